"""`make bench`, convenings: the reminder sweep over a large ledger and the RSVP POST.

reminder_sweep (after gunicorn stops, in its own Django process, `sweep` below):
  1. Makes sure the ledger holds a reminder row per invitation and offset of every scale
     convening (past ones sent, cancelled ones skipped, upcoming ones pending), built in one
     INSERT ... SELECT from the invitations already in the database when it does not.
  2. Makes exactly DUE_ROWS[scale] pending rows due now (the soonest ones), the rest stay
     in the future; rows whose convening started since the ledger was built are marked missed.
  3. Runs the beat's own workinggroups.outbound.messages_sweep (an enqueue that drops the ids:
     no mail) until nothing is due, timed; then the same number of rows claimed by primary key
     (`UPDATE ... WHERE id = ANY(%s)`, one batch of CLAIM_BATCH per transaction) as the
     baseline; then the sweep again under tracemalloc for its peak memory and RSS growth.
     EXPLAINs the claim queries: no Seq Scan on the ledger allowed.
  4. Puts the claimed rows back to pending at their real due time, so the next run is alike.

rsvp_post (through gunicorn, between the two /ping runs): signed tokens for invitations of
upcoming convenings; each client GETs a page for the CSRF cookie and form token, then POSTs
answers alternating yes/no per invitation. The query count of one POST is taken in-process
at tiny and at scale (`rsvp-prepare` below) and must be equal.
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

DUE_ROWS = {"tiny": 500, "small": 5_000, "full": 20_000}
RSVP_INVITATIONS = 40
MIN_SWEEP_RATIO = 0.3
MAX_SWEEP_PEAK_MB = 50.0
# The lowest rsvp_post req/s ÷ /ping req/s: a first-version floor, about 20% under what it
# measured at full scale on the 2-core machine (0.070 at full, 0.079 at small).
MIN_RSVP_RATIO = 0.055
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
    return _child(env, "sweep", "--due", str(DUE_ROWS[scale]))


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


def measure_rsvp(server: bt.Server, prep: dict, args) -> bt.LoadResult:
    load = RsvpLoad(server.port, prep)
    load.run(concurrency=1, duration=2, max_requests=5)  # warm-up; its statuses are checked below
    cpu_before = server.worker_cpu_seconds()
    result = load.run(
        concurrency=args.concurrency, duration=args.duration, max_requests=args.max_requests
    )
    result.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
    return result


def rsvp_result(prep: dict, tiny: dict, load: bt.LoadResult, baseline: float, sizes: dict):
    """The rsvp_post row, in the pages' format. Success is the 302 of post/redirect/get;
    anything else (a refusal, a CSRF failure, a rate limit) fails the benchmark, counted."""
    ok = load.statuses.get(302, 0)
    requests_per_s = ok / load.seconds if load.seconds else 0.0
    ratio = requests_per_s / baseline if baseline else 0.0
    errors = load.failures + sum(n for status, n in load.statuses.items() if status != 302)
    failures = []
    if ratio < MIN_RSVP_RATIO:
        failures.append(f"ratio {ratio:.4f} < {MIN_RSVP_RATIO:.4f}")
    if prep["queries"] != tiny["queries"]:
        failures.append(f"{prep['queries']} queries at scale, {tiny['queries']} at tiny")
        print(f"\nrsvp_post: {tiny['queries']} queries at tiny, {prep['queries']}:")
        for sql in prep["sql"][:30]:
            print(f"  {sql[:150]}")
    if errors:
        statuses = {str(k): v for k, v in load.statuses.items()}
        failures.append(f"{errors} requests not answered 302: {statuses}")
    cpu = load.worker_cpu_seconds * 1000 / load.requests if load.requests else float("nan")
    return {
        "name": "rsvp_post",
        "path": "/rsvp/<token>/ (POST)",
        "user": "anonymous (signed link)",
        "dataset_sizes": sizes,
        "requests": load.requests,
        "errors": errors,
        "statuses": {str(k): v for k, v in load.statuses.items()},
        "invitations": len(prep["invitations"]),
        "requests_per_s": round(requests_per_s, 2),
        "p50_ms": _number(load.p(50), 2),
        "p95_ms": _number(load.p(95), 2),
        "worker_cpu_ms_per_request": _number(cpu, 2),
        "queries": prep["queries"],
        "queries_tiny": tiny["queries"],
        "baseline_requests_per_s": round(baseline, 2),
        "ratio": round(ratio, 5),
        "target": {"min_ratio": MIN_RSVP_RATIO, "queries": tiny["queries"]},
        "passed": not failures,
        "failures": failures,
    }


def sweep_result(data: dict, sizes: dict) -> dict:
    failures = []
    if data["ratio"] < MIN_SWEEP_RATIO:
        failures.append(f"ratio {data['ratio']:.3f} < {MIN_SWEEP_RATIO}")
    if data["seq_scans"]:
        failures.append(f"Seq Scan on the ledger: {data['seq_scans']}")
    if data["peak_traced_mb"] >= MAX_SWEEP_PEAK_MB:
        failures.append(f"peak traced memory {data['peak_traced_mb']:.1f} MB")
    if data["claimed"] != data["due"] or data["claimed_traced"] != data["due"]:
        failures.append(f"claimed {data['claimed']}/{data['claimed_traced']} of {data['due']}")
    return {
        "name": "reminder_sweep",
        "dataset_sizes": sizes,
        **data,
        "target": {
            "min_ratio": MIN_SWEEP_RATIO,
            "seq_scan": False,
            "max_peak_traced_mb": MAX_SWEEP_PEAK_MB,
        },
        "passed": not failures,
        "failures": failures,
    }


def print_sweep(r: dict) -> None:
    print(
        f"\nreminder_sweep: {r['claimed']:,} due of {r['ledger_rows']:,} ledger rows"
        f" ({r['pending_rows']:,} pending), batches of {r['batch_size']}"
    )
    print(f"{'':<17} {'items/s':>9} {'baseline':>9} {'ratio':>7} {'peak MB':>8} {'RSS +MB':>8}")
    result = "pass" if r["passed"] else "FAIL: " + "; ".join(r["failures"])
    print(
        f"{'reminder_sweep':<17} {r['items_per_s']:>9,.0f} {r['baseline_items_per_s']:>9,.0f}"
        f" {r['ratio']:>7.3f} {r['peak_traced_mb']:>8.2f} {r['rss_growth_mb']:>8.2f}"
        f"  (>= {MIN_SWEEP_RATIO}, < {MAX_SWEEP_PEAK_MB:g} MB)  {result}"
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
            {"path": p, "response": i.response} for p, i in zip(paths, invitations, strict=True)
        ],
    }


def _sweep(due: int) -> dict:
    import tracemalloc

    from django.db import connection
    from django.utils import timezone

    from config import bench_ledger as ledger
    from workinggroups import outbound

    table, batch = ledger.table(), outbound.CLAIM_BATCH
    info = ledger.ensure()
    now = timezone.now()
    pending = ledger.make_due(due, now)
    plans, seq_scans = ledger.explain_claim(now)

    def drop(ids: list[int]) -> None:
        """The sweep's enqueue: no send task, no mail; the ids are dropped."""

    ledger.vacuum()
    start = time.perf_counter()
    claimed = outbound.messages_sweep(enqueue=drop, now=timezone.now(), batch_size=batch)
    sweep_seconds = time.perf_counter() - start
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
    baseline_seconds = time.perf_counter() - start
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
    baseline = len(ids) / baseline_seconds if baseline_seconds else 0.0
    return {
        **info,
        "due": due,
        "pending_rows": pending,
        "batch_size": batch,
        "claimed": claimed,
        "claimed_traced": claimed_traced,
        "sweep_seconds": round(sweep_seconds, 3),
        "items_per_s": round(items_per_s, 1),
        "baseline": "UPDATE ... SET status='sending' WHERE id = ANY(%s), same rows and batches",
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_items_per_s": round(baseline, 1),
        "ratio": round(items_per_s / baseline, 4) if baseline else 0.0,
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
    step.add_argument("--due", required=True, type=int)
    step.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    django.setup()
    result = _rsvp_prepare() if args.command == "rsvp-prepare" else _sweep(args.due)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
