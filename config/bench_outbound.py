"""`make bench`, convenings: the reminder sweep over a large ledger and the RSVP POST.

reminders (after gunicorn stops, in its own Django process, `sweep` below):
  1. Makes sure the ledger holds a reminder row per invitation and offset of every scale
     convening (past ones sent, cancelled ones skipped, upcoming ones pending), built in one
     INSERT ... SELECT from the invitations already in the database when it does not.
  2. Makes every pending reminder of the DUE_CONVENINGS[scale] soonest upcoming convenings
     due now (issue #9: 100,000 at full scale; all the data set has, less a tenth kept in the
     future, when it has fewer); rows whose convening started since the ledger was built are
     marked missed.
  3. Runs the beat's own workinggroups.outbound.messages_sweep (an enqueue that drops the ids:
     no mail) until nothing is due, timed, its queries counted; runs it again at once (the
     first run's rows are with their senders: it must claim nothing); then the baseline, a
     plain iteration over the same rows (a server-side cursor read in Python): convenings/s
     against convenings/s. Kept from the first version: the same rows claimed by primary key
     (`UPDATE ... WHERE id = ANY(%s)`, one batch per transaction), rows/s against rows/s; the
     sweep again under tracemalloc for its peak memory; EXPLAIN of the claim queries, no Seq
     Scan on the ledger allowed.
  4. Puts the claimed rows back to pending at their real due time, so the next run is alike.

rsvp (through gunicorn, between two /ping runs): signed links for invitations of upcoming
convenings, one per convening; a GET of an answer page gives the CSRF cookie and form token,
then wrk POSTs answers to each invitation in turn, each the opposite of the one stored, so
every POST changes an answer (Python threads do the same when wrk is missing). Afterwards the
database must hold one row per (convening, person) and every invitation answered. The query
count of one POST each way is taken in-process at tiny and at scale (`rsvp-prepare` below).
"""

import argparse
import http.client
import itertools
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from config import benchtools as bt

# Upcoming convenings whose reminders are all made due (issue #9: 100,000 at full scale).
DUE_CONVENINGS = {"tiny": 50, "small": 2_000, "full": 100_000}
RSVP_INVITATIONS = 40
# Issue #9: convenings/s >= 0.05 of a plain iteration over the same rows.
MIN_SWEEP_RATIO = 0.05
# Kept from the first version: rows/s >= 0.3 of a plain UPDATE-by-id loop over the same rows.
MIN_SWEEP_UPDATE_RATIO = 0.3
MAX_SWEEP_PEAK_MB = 50.0
# Issue #9: rsvp req/s >= 0.15 of /ping's, at most 6 queries a POST (either direction).
MIN_RSVP_RATIO = 0.15
MAX_RSVP_QUERIES = 6
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- In the bench process -----------------------------------------------------------------------
def _child(env: dict[str, str], *args: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", "config.bench_outbound", *args, "--out", str(out)]
        subprocess.run(command, cwd=bt.BASE_DIR, env=env, check=True)  # noqa: S603
        return json.loads(out.read_text())


def prepare_rsvp(env: dict[str, str]) -> dict:
    """Tokens (signed with env's SECRET_KEY, the server's) and one POST's query count."""
    return _child(env, "rsvp-prepare")


def run_sweep(env: dict[str, str], scale: str) -> dict:
    print(f"Reminder sweep at the {scale} size ...", flush=True)
    return _child(env, "sweep", "--convenings", str(DUE_CONVENINGS[scale]))


class RsvpLoad:
    """POSTs answers to the prepared invitations; one shared ticket counter, so the answers
    keep alternating per invitation across the warm-up and the measurement."""

    def __init__(self, port: int, prep: dict) -> None:
        self.port, self.invitations = port, prep["invitations"]
        self.tickets, self.lock = itertools.count(), threading.Lock()

    def _answer(self, ticket: int) -> tuple[str, str]:
        invitation = self.invitations[ticket % len(self.invitations)]
        flip = (ticket // len(self.invitations)) % 2 == 0
        first = "no" if invitation["response"] == "yes" else "yes"
        return invitation["path"], first if flip else ("yes" if first == "no" else "no")

    def _csrf(self, conn: http.client.HTTPConnection) -> tuple[str, str]:
        """GET an answer page: the CSRF cookie and the form's token, as a browser has them."""
        conn.request("GET", self.invitations[0]["path"])
        response = conn.getresponse()
        body = response.read()
        cookie = next(
            (
                value.split(";", 1)[0]
                for header, value in response.getheaders()
                if header.lower() == "set-cookie" and value.startswith("csrftoken=")
            ),
            None,
        )
        field = CSRF_FIELD.search(body)
        if response.status != 200 or cookie is None or field is None:
            raise RuntimeError(f"RSVP page answered {response.status} without a CSRF token")
        return cookie, field.group(1).decode()

    def run(self, *, concurrency: int, duration: float, max_requests: int) -> bt.LoadResult:
        result, deadline = bt.LoadResult(seconds=0.0), time.perf_counter() + duration
        done = itertools.count()

        def worker() -> None:
            conn = http.client.HTTPConnection(bt.HOST, self.port, timeout=120)
            try:
                cookie, token = self._csrf(conn)
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                with self.lock:
                    result.failures += 1
                    result.statuses[f"csrf: {exc}"] += 1
                return
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            while time.perf_counter() < deadline and next(done) < max_requests:
                path, answer = self._answer(next(self.tickets))
                body = urlencode({"csrfmiddlewaretoken": token, "answer": answer})
                start = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    with self.lock:
                        result.failures += 1
                    continue
                with self.lock:
                    result.latencies.append(time.perf_counter() - start)
                    result.statuses[response.status] += 1
            conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result.seconds = time.perf_counter() - started
        return result


def _current_answers(database_url: str, ids: list[int]) -> list[str]:
    """The answers stored now, in the order of `ids` (the bench process has no Django)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = dict(
            conn.execute(
                "SELECT id, response FROM workinggroups_invitation WHERE id = ANY(%s)", [ids]
            ).fetchall()
        )
    return [rows[pk] for pk in ids]


def check_rows(database_url: str, prep: dict, since: float) -> dict:
    """After the run: one invitation row per (convening, person) in the convenings answered,
    and every answered invitation written during the run."""
    import psycopg

    ids = [invitation["id"] for invitation in prep["invitations"]]
    with psycopg.connect(database_url, autocommit=True) as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT convening_id, person_id FROM workinggroups_invitation"
            " WHERE convening_id IN (SELECT convening_id FROM workinggroups_invitation"
            " WHERE id = ANY(%s)) GROUP BY 1, 2 HAVING count(*) > 1) twice",
            [ids],
        ).fetchone()[0]
        written = conn.execute(
            "SELECT count(*) FROM workinggroups_invitation WHERE id = ANY(%s)"
            " AND responded_at >= to_timestamp(%s)",
            [ids, since],
        ).fetchone()[0]
    return {"duplicate_pairs": duplicates, "written": written, "invitations": len(ids)}


def measure_rsvp(server: bt.Server, prep: dict, args, database_url: str) -> bt.LoadResult:
    if not bt.wrk_available():
        load = RsvpLoad(server.port, prep)
        load.run(concurrency=1, duration=2, max_requests=5)  # warm-up; statuses checked below
        cpu_before = server.worker_cpu_seconds()
        result = load.run(
            concurrency=args.concurrency, duration=args.duration, max_requests=args.max_requests
        )
        result.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
        return result
    loader = RsvpLoad(server.port, prep)
    conn = http.client.HTTPConnection(bt.HOST, server.port, timeout=30)
    try:
        cookie, token = loader._csrf(conn)
    finally:
        conn.close()
    paths = [invitation["path"] for invitation in prep["invitations"]]
    ids = [invitation["id"] for invitation in prep["invitations"]]
    headers = {"Cookie": cookie}

    def run(duration: float) -> bt.LoadResult:
        current = _current_answers(database_url, ids)
        script = bt.wrk_rsvp_script(paths, current, token, headers)
        return bt.run_wrk(server.port, script, duration=duration)

    warm = run(1)
    if not warm.answered(302):
        raise RuntimeError(f"RSVP POST did not answer 302 when warming up: {warm.statuses}")
    cpu_before = server.worker_cpu_seconds()
    result = run(args.duration)
    result.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
    return result


def rsvp_result(
    prep: dict, tiny: dict, load: bt.LoadResult, baseline: dict, sizes: dict, rows: dict
) -> dict:
    """The rsvp row, in the pages' format. Success is the 302 of post/redirect/get; anything
    else (a refusal, a CSRF failure, a rate limit) fails the benchmark, counted."""
    ok = load.answered(302)
    requests_per_s = ok / load.seconds if load.seconds else 0.0
    base = baseline["baseline_requests_per_s"]
    ratio = requests_per_s / base if base else 0.0
    errors = load.errors_besides(302)
    failures = []
    if ratio < MIN_RSVP_RATIO:
        failures.append(f"ratio {ratio:.4f} < {MIN_RSVP_RATIO:.4f}")
    if prep["queries"] != tiny["queries"]:
        failures.append(f"{prep['queries']} queries at scale, {tiny['queries']} at tiny")
        print(f"\nrsvp: {tiny['queries']} queries at tiny, {prep['queries']}:")
        for sql in prep["sql"][:30]:
            print(f"  {sql[:150]}")
    worst = max(int(n) for n in prep["queries"].split("+"))
    if worst > MAX_RSVP_QUERIES:
        failures.append(f"{prep['queries']} queries > {MAX_RSVP_QUERIES}")
    if errors:
        statuses = {str(k): v for k, v in load.statuses.items()}
        failures.append(f"{errors} requests not answered 302: {statuses}")
    if rows["duplicate_pairs"]:
        failures.append(f"{rows['duplicate_pairs']} (convening, person) pairs with two rows")
    if rows["written"] != rows["invitations"]:
        failures.append(f"{rows['written']} of {rows['invitations']} invitations answered")
    return {
        "name": "rsvp",
        "path": "/rsvp/<token>/ (POST)",
        "user": "anonymous (signed link)",
        "tool": load.tool,
        "dataset_sizes": sizes,
        "requests": load.requests,
        "errors": errors,
        "statuses": {str(k): v for k, v in load.statuses.items()},
        "invitations": len(prep["invitations"]),
        "rows_check": rows,
        "requests_per_s": round(requests_per_s, 2),
        "p50_ms": _number(load.p(50), 2),
        "p95_ms": _number(load.p(95), 2),
        "worker_cpu_ms_per_request": _number(load.cpu_ms_per_request, 2),
        "queries": prep["queries"],
        "queries_tiny": tiny["queries"],
        **baseline,
        "ratio": round(ratio, 5),
        "target": {
            "min_ratio": MIN_RSVP_RATIO,
            "max_queries": MAX_RSVP_QUERIES,
            "queries": tiny["queries"],
        },
        "passed": not failures,
        "failures": failures,
    }


def sweep_result(data: dict, sizes: dict) -> dict:
    failures = []
    if data["ratio"] < MIN_SWEEP_RATIO:
        failures.append(f"ratio {data['ratio']:.3f} < {MIN_SWEEP_RATIO}")
    if data["update_ratio"] < MIN_SWEEP_UPDATE_RATIO:
        failures.append(f"{data['update_ratio']:.3f} of the UPDATE loop < {MIN_SWEEP_UPDATE_RATIO}")
    if data["seq_scans"]:
        failures.append(f"Seq Scan on the ledger: {data['seq_scans']}")
    if data["peak_traced_mb"] >= MAX_SWEEP_PEAK_MB:
        failures.append(f"peak traced memory {data['peak_traced_mb']:.1f} MB")
    if data["claimed"] != data["due"] or data["claimed_traced"] != data["due"]:
        failures.append(f"claimed {data['claimed']}/{data['claimed_traced']} of {data['due']}")
    if data["second_run_claimed"] or data["second_run_enqueued"]:
        failures.append(f"a second run claimed {data['second_run_claimed']} rows")
    if not data["queries_grow_with_batches"]:
        failures.append(
            f"{data['queries']} queries for {data['batches']} batches"
            f" ({data['second_run_queries']} for an empty run): grows with rows"
        )
    return {
        "name": "reminders",
        "dataset_sizes": sizes,
        **data,
        "target": {
            "min_ratio": MIN_SWEEP_RATIO,
            "min_update_ratio": MIN_SWEEP_UPDATE_RATIO,
            "seq_scan": False,
            "max_peak_traced_mb": MAX_SWEEP_PEAK_MB,
            "second_run_claims": 0,
            "queries": "at most an empty run's per batch",
        },
        "passed": not failures,
        "failures": failures,
    }


def print_sweep(r: dict) -> None:
    short = ""
    if r["convenings"] < r["convenings_wanted"]:
        short = (
            f" (of {r['convenings_wanted']:,} wanted: {r['upcoming_convenings_available']:,}"
            " upcoming in the data set, a tenth kept in the future)"
        )
    print(
        f"\nreminders: the sweep over {r['convenings']:,} upcoming convenings{short} with"
        f" {r['claimed']:,} reminders due, of {r['ledger_rows']:,} ledger rows"
        f" ({r['pending_rows']:,} pending), batches of {r['batch_size']}"
    )
    print(f"{'':<17} {'conv/s':>9} {'baseline':>9} {'ratio':>7} {'rows/s':>9} {'UPDATE':>7}")
    result = "pass" if r["passed"] else "FAIL: " + "; ".join(r["failures"])
    print(
        f"{'reminders':<17} {r['convenings_per_s']:>9,.0f} {r['baseline_convenings_per_s']:>9,.0f}"
        f" {r['ratio']:>7.3f} {r['items_per_s']:>9,.0f} {r['update_ratio']:>7.3f}"
        f"  (>= {MIN_SWEEP_RATIO}; >= {MIN_SWEEP_UPDATE_RATIO})  {result}"
    )
    print(
        f"  baseline: a plain iteration over the claimed rows; UPDATE: rows/s as a ratio of a"
        f" plain UPDATE-by-id loop. {r['queries']} queries for {r['batches']} batches, an empty"
        f" second run {r['second_run_queries']} and {r['second_run_claimed']} claimed; peak"
        f" traced {r['peak_traced_mb']:.2f} MB (< {MAX_SWEEP_PEAK_MB:g}),"
        f" RSS +{r['rss_growth_mb']:.2f} MB"
    )
    print(f"  claim plan: {'; '.join(r['plans'])}")


def _number(value: float, digits: int) -> float | None:
    return None if value != value else round(value, digits)  # NaN: JSON has none


# --- In a Django process ------------------------------------------------------------------------
def _rsvp_prepare() -> dict:
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from stakeholders.scale import PREFIX
    from workinggroups.models import ConveningStatus, Invitation
    from workinggroups.rsvp_tokens import make_rsvp_token

    invitations = list(
        Invitation.objects.filter(
            convening__status=ConveningStatus.SCHEDULED,
            # Far enough ahead that answers stay open for the whole run.
            convening__starts_at__gt=timezone.now() + timedelta(days=2),
            convening__group__city__slug__startswith=PREFIX,
        )
        .order_by("convening_id", "pk")
        .distinct("convening_id")[:RSVP_INVITATIONS]  # one per convening: no shared row lock
    )
    if not invitations:
        raise RuntimeError("no invitation to an upcoming scale convening")
    paths = [f"/rsvp/{make_rsvp_token(invitation)}/" for invitation in invitations]
    client = Client(SERVER_NAME=bt.HOST)
    first, path = invitations[0], paths[0]
    client.post(path, {"answer": "no"})  # warm; then both changes the load makes, counted
    counted = {}
    for answer in ("yes", "no"):  # no -> yes, then yes -> no (a seat freed: one query more)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, {"answer": answer})
        if response.status_code != 302:
            raise RuntimeError(f"RSVP POST answered {response.status_code} in-process")
        counted[answer] = captured
    first.refresh_from_db()
    return {
        # The two directions joined, so a change in either shows: "6+7".
        "queries": "+".join(str(len(counted[a])) for a in ("yes", "no")),
        "sql": [query["sql"] for query in counted["no"].captured_queries],
        "invitations": [
            {"id": i.pk, "path": p, "response": i.response}
            for p, i in zip(paths, invitations, strict=True)
        ],
    }


class _QueryCounter:
    """Counts the queries run on the connection (execute_wrapper: no SQL kept, little cost)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _sweep(convenings: int) -> dict:
    import tracemalloc

    from django.db import connection
    from django.utils import timezone

    from config import bench_ledger as ledger
    from workinggroups import outbound

    table, batch = ledger.table(), outbound.CLAIM_BATCH
    info = ledger.ensure()
    now = timezone.now()
    due = ledger.make_due(convenings, now)
    plans, seq_scans = ledger.explain_claim(now)
    enqueued = []

    def drop(ids: list[int]) -> None:
        """The sweep's enqueue: no send task, no mail; the ids are dropped."""

    def remember(ids: list[int]) -> None:
        enqueued.extend(ids)

    ledger.vacuum()
    counter = _QueryCounter()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        claimed = outbound.messages_sweep(enqueue=drop, now=timezone.now(), batch_size=batch)
    sweep_seconds = time.perf_counter() - start
    # The beat fires again while the first run's rows are with their senders: nothing to send.
    second = _QueryCounter()
    with connection.execute_wrapper(second):
        second_claimed = outbound.messages_sweep(
            enqueue=remember, now=timezone.now(), batch_size=batch
        )
    rows, convening_count, iterate_seconds = ledger.iterate_claimed()
    ids = ledger.claimed_ids()
    ledger.release()

    ledger.vacuum()
    claim_at = timezone.now()
    start = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: each batch its own transaction
        for i in range(0, len(ids), batch):
            cursor.execute(
                f"UPDATE {table} SET status = 'sending', claimed_at = %s WHERE id = ANY(%s)",  # noqa: S608
                [claim_at, ids[i : i + batch]],
            )
    update_seconds = time.perf_counter() - start
    ledger.release()

    ledger.vacuum()
    rss_before = ledger.rss_kb()
    tracemalloc.start()
    claimed_traced = outbound.messages_sweep(enqueue=drop, now=timezone.now(), batch_size=batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = ledger.rss_kb()
    ledger.release(restore=True)

    items_per_s = claimed / sweep_seconds if sweep_seconds else 0.0
    update_rate = len(ids) / update_seconds if update_seconds else 0.0
    convenings_per_s = due["convenings"] / sweep_seconds if sweep_seconds else 0.0
    baseline = convening_count / iterate_seconds if iterate_seconds else 0.0
    batches = claimed // batch + 1  # the last claim comes back short (maybe empty)
    return {
        **info,
        **due,
        "batch_size": batch,
        "claimed": claimed,
        "claimed_traced": claimed_traced,
        "sweep_seconds": round(sweep_seconds, 3),
        "convenings_per_s": round(convenings_per_s, 1),
        "items_per_s": round(items_per_s, 1),
        "baseline": "a plain iteration (server-side cursor) over the same rows, in Python",
        "baseline_rows": rows,
        "baseline_convenings": convening_count,
        "baseline_seconds": round(iterate_seconds, 3),
        "baseline_convenings_per_s": round(baseline, 1),
        "ratio": round(convenings_per_s / baseline, 4) if baseline else 0.0,
        "update_baseline": "UPDATE ... SET status='sending' WHERE id = ANY(%s), same batches",
        "update_seconds": round(update_seconds, 3),
        "update_items_per_s": round(update_rate, 1),
        "update_ratio": round(items_per_s / update_rate, 4) if update_rate else 0.0,
        "queries": counter.count,
        "batches": batches,
        "second_run_queries": second.count,
        "second_run_claimed": second_claimed,
        "second_run_enqueued": len(enqueued),
        # Rows add no queries: each batch (and the run's start) costs at most what a whole
        # empty run does, whatever the rows in it.
        "queries_grow_with_batches": counter.count <= (batches + 1) * second.count,
        "peak_traced_mb": round(peak / 2**20, 3),
        "rss_growth_mb": round(max(rss_after["VmRSS"] - rss_before["VmRSS"], 0) / 1024, 2),
        "peak_rss_growth_mb": round(max(rss_after["VmHWM"] - rss_before["VmHWM"], 0) / 1024, 2),
        "plans": plans,
        "seq_scans": seq_scans,
    }


def _main() -> int:
    import django

    parser = argparse.ArgumentParser(prog="python -m config.bench_outbound")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rsvp-prepare").add_argument("--out", required=True, type=Path)
    step = commands.add_parser("sweep")
    step.add_argument("--convenings", required=True, type=int)
    step.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    django.setup()
    result = _rsvp_prepare() if args.command == "rsvp-prepare" else _sweep(args.convenings)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
