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

rsvp (through gunicorn, between two /ping runs; issue #9: the signed-in RSVP POST):
RSVP_MEMBERS random people of the scale data, each answering RSVP_PER_MEMBER of their
invitations to random upcoming convenings of their city, are signed in (an account made for
each, a session stored as a sign-in stores it); the member's home page gives the CSRF cookie
and form token; after a warm-up pass (every invitation answered once, every session seen),
wrk POSTs answers to /groups/convenings/<id>/answer/ in turn, each request with its member's
session cookie, each answer the opposite of the one stored, so every POST changes an answer
(Python threads do the same when wrk is missing). Then, informational and shorter, the same
through the anonymous signed links (/rsvp/<token>/) of other convenings. Afterwards the
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
# Signed-in members answering (issue #9's rsvp), each to RSVP_PER_MEMBER of their invitations
# to random upcoming convenings; RSVP_INVITATIONS signed links for the informational row,
# measured for at most LINK_SECONDS.
RSVP_MEMBERS = 8
RSVP_PER_MEMBER = 5
RSVP_INVITATIONS = 40
LINK_SECONDS = 3.0
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
    """Members' sessions (signed with env's SECRET_KEY, the server's) with their invitations,
    signed links for the informational row, and one POST's query count each way."""
    return _child(env, "rsvp-prepare")


def run_sweep(env: dict[str, str], scale: str) -> dict:
    print(f"Reminder sweep at the {scale} size ...", flush=True)
    return _child(env, "sweep", "--convenings", str(DUE_CONVENINGS[scale]))


def _csrf(port: int, path: str, cookie: str | None) -> tuple[str, str]:
    """GET a page with an answer form: the CSRF cookie and the form's token, as a browser
    has them. The CSRF cookie is not tied to the session: one serves every member."""
    conn = http.client.HTTPConnection(bt.HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    csrf_cookie = next(
        (
            value.split(";", 1)[0]
            for header, value in response.getheaders()
            if header.lower() == "set-cookie" and value.startswith("csrftoken=")
        ),
        None,
    )
    field = CSRF_FIELD.search(body)
    if response.status != 200 or csrf_cookie is None or field is None:
        raise RuntimeError(f"GET {path} answered {response.status} without a CSRF token")
    return csrf_cookie, field.group(1).decode()


class RsvpLoad:
    """POSTs answers to the prepared invitations in turn, each the opposite of the answer
    stored (`current`, read from the database), so that every POST changes an answer. Each
    request carries its own Cookie header: the member's session (none for a signed link)
    and the CSRF cookie."""

    def __init__(self, port: int, invitations: list[dict], csrf: tuple[str, str]) -> None:
        self.port, self.invitations = port, invitations
        self.csrf_cookie, self.token = csrf
        self.tickets, self.lock = itertools.count(), threading.Lock()

    def cookie(self, invitation: dict) -> str:
        session = invitation.get("cookie")
        return f"{session}; {self.csrf_cookie}" if session else self.csrf_cookie

    def body(self, answer: str) -> str:
        return urlencode({"csrfmiddlewaretoken": self.token, "answer": answer})

    def wrk_script(self, current: list[str]) -> str:
        rows = ", ".join(
            f"{{{bt._lua(i['path'])}, {bt._lua(self.cookie(i))}, {bt._lua(answer)}}}"
            for i, answer in zip(self.invitations, current, strict=True)
        )
        return _WRK_RSVP % {"rows": rows, "token": bt._lua(self.token)} + bt._WRK_REPORT

    def run(
        self, current: list[str], *, concurrency: int, duration: float, max_requests: int
    ) -> bt.LoadResult:
        result, deadline = bt.LoadResult(seconds=0.0), time.perf_counter() + duration
        done, current = itertools.count(), list(current)

        def next_post() -> tuple[dict, str]:
            with self.lock:
                i = next(self.tickets) % len(self.invitations)
                current[i] = "no" if current[i] == "yes" else "yes"
                return self.invitations[i], current[i]

        def worker() -> None:
            conn = http.client.HTTPConnection(bt.HOST, self.port, timeout=120)
            while time.perf_counter() < deadline and next(done) < max_requests:
                invitation, answer = next_post()
                headers = {
                    "Cookie": self.cookie(invitation),
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                start = time.perf_counter()
                try:
                    conn.request(
                        "POST", invitation["path"], body=self.body(answer), headers=headers
                    )
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


# POSTs an answer to each invitation in turn, with its own Cookie header; each pass flips
# every answer, starting from the opposite of the answer stored when the run begins.
_WRK_RSVP = """
statuses = {}
local rows = {%(rows)s}
local token = %(token)s
local sent = 0
function request()
  local row = rows[sent %% #rows + 1]
  local answer = (row[3] == "yes") and "no" or "yes"
  row[3] = answer
  sent = sent + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = row[2]}
  local body = "csrfmiddlewaretoken=" .. token .. "&answer=" .. answer
  return wrk.format("POST", row[1], headers, body)
end
"""


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
    and every answered invitation (signed in, and by signed link) written during the run."""
    import psycopg

    ids = [invitation["id"] for invitation in prep["invitations"]]
    link_ids = [invitation["id"] for invitation in prep.get("links", [])]
    with psycopg.connect(database_url, autocommit=True) as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT convening_id, person_id FROM workinggroups_invitation"
            " WHERE convening_id IN (SELECT convening_id FROM workinggroups_invitation"
            " WHERE id = ANY(%s)) GROUP BY 1, 2 HAVING count(*) > 1) twice",
            [ids + link_ids],
        ).fetchone()[0]

        def written(pks: list[int]) -> int:
            return conn.execute(
                "SELECT count(*) FROM workinggroups_invitation WHERE id = ANY(%s)"
                " AND responded_at >= to_timestamp(%s)",
                [pks, since],
            ).fetchone()[0]

        return {
            "duplicate_pairs": duplicates,
            "written": written(ids),
            "invitations": len(ids),
            "links_written": written(link_ids),
            "links": len(link_ids),
        }


def _load(server: bt.Server, loader: RsvpLoad, args, database_url: str, duration: float):
    """Warm up (every invitation answered once, so each session has had its first visit),
    then the measured run, with the worker's CPU time."""
    ids = [invitation["id"] for invitation in loader.invitations]
    warm = loader.run(
        _current_answers(database_url, ids),
        concurrency=1,
        duration=60,
        max_requests=len(ids),
    )
    if warm.answered(302) != len(ids):
        raise RuntimeError(f"RSVP POST did not answer 302 when warming up: {warm.statuses}")
    current = _current_answers(database_url, ids)
    cpu_before = server.worker_cpu_seconds()
    if bt.wrk_available() and not args.python_loader:
        result = bt.run_wrk(server.port, loader.wrk_script(current), duration=duration)
    else:
        result = loader.run(
            current,
            concurrency=args.concurrency,
            duration=duration,
            max_requests=args.max_requests,
        )
    result.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
    return result


def measure_rsvp(server: bt.Server, prep: dict, args, database_url: str) -> bt.LoadResult:
    """Issue #9's rsvp: members signed in (session cookie + CSRF token) POST answers to their
    invitations. Then, informational and shorter, the same through signed links
    (`.signed_link` of the result)."""
    first = prep["invitations"][0]
    csrf = _csrf(server.port, "/", first["cookie"])  # the member's home page: answer forms
    result = _load(
        server, RsvpLoad(server.port, prep["invitations"], csrf), args, database_url, args.duration
    )
    result.signed_link = None
    if prep.get("links"):
        link_csrf = _csrf(server.port, prep["links"][0]["path"], None)
        loader = RsvpLoad(server.port, prep["links"], link_csrf)
        duration = min(args.duration, LINK_SECONDS)
        result.signed_link = _load(server, loader, args, database_url, duration)
    return result


def _summary(load: bt.LoadResult, base: float) -> dict:
    ok = load.answered(302)
    requests_per_s = ok / load.seconds if load.seconds else 0.0
    return {
        "tool": load.tool,
        "requests": load.requests,
        "errors": load.errors_besides(302),
        "statuses": {str(k): v for k, v in load.statuses.items()},
        "requests_per_s": round(requests_per_s, 2),
        "p50_ms": _number(load.p(50), 2),
        "p95_ms": _number(load.p(95), 2),
        "worker_cpu_ms_per_request": _number(load.cpu_ms_per_request, 2),
        "ratio": round(requests_per_s / base, 5) if base else 0.0,
    }


def rsvp_result(
    prep: dict, tiny: dict, load: bt.LoadResult, baseline: dict, sizes: dict, rows: dict
) -> dict:
    """The rsvp row, in the pages' format. Success is the 302 of post/redirect/get; anything
    else (a 404, a CSRF failure, a rate limit) fails the benchmark, counted; a refusal is a
    302 too, caught by the rows check (every invitation written during the run)."""
    summary = _summary(load, baseline["baseline_requests_per_s"])
    ratio, errors = summary["ratio"], summary["errors"]
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
        failures.append(f"{errors} requests not answered 302: {summary['statuses']}")
    if rows["duplicate_pairs"]:
        failures.append(f"{rows['duplicate_pairs']} (convening, person) pairs with two rows")
    if rows["written"] != rows["invitations"]:
        failures.append(f"{rows['written']} of {rows['invitations']} invitations answered")
    link = getattr(load, "signed_link", None)
    signed_link = None
    if link is not None:  # informational: no target of its own
        signed_link = {
            "path": "/rsvp/<token>/ (POST)",
            "user": "anonymous (signed link)",
            **_summary(link, baseline["baseline_requests_per_s"]),
            "queries": prep["link_queries"],
            "queries_tiny": tiny.get("link_queries"),
            "written": rows.get("links_written"),
            "invitations": rows.get("links"),
        }
        print(
            f"\nrsvp by signed link (informational): {signed_link['requests_per_s']:.1f} req/s,"
            f" {signed_link['worker_cpu_ms_per_request']} cpu ms, ratio {signed_link['ratio']:.4f},"
            f" {signed_link['queries']} queries ({signed_link['queries_tiny']} at tiny),"
            f" {signed_link['errors']} errors, {signed_link['written']} of"
            f" {signed_link['invitations']} invitations answered"
        )
    return {
        "name": "rsvp",
        "path": "/groups/convenings/<id>/answer/ (POST)",
        "user": f"{prep['members']} members signed in (session cookie + CSRF token)",
        "dataset_sizes": sizes,
        "invitations": len(prep["invitations"]),
        "members": prep["members"],
        "rows_check": rows,
        **summary,
        "queries": prep["queries"],
        "queries_tiny": tiny["queries"],
        **baseline,
        "target": {
            "min_ratio": MIN_RSVP_RATIO,
            "max_queries": MAX_RSVP_QUERIES,
            "queries": tiny["queries"],
        },
        "signed_link": signed_link,
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
    import random
    from datetime import timedelta

    from django.db.models import F
    from django.utils import timezone

    from stakeholders.models import Person
    from stakeholders.scale import PREFIX
    from workinggroups.models import ConveningStatus, Invitation
    from workinggroups.rsvp_tokens import make_rsvp_token

    # Far enough ahead that answers stay open for the whole run; the common case of the
    # signed-in answer: a person invited to a convening of their own city's group.
    upcoming = Invitation.objects.filter(
        convening__status=ConveningStatus.SCHEDULED,
        convening__starts_at__gt=timezone.now() + timedelta(days=2),
        convening__group__city__slug__startswith=PREFIX,
        person__city_id=F("convening__group__city_id"),
    )
    people = list(Person.objects.filter(city__slug__startswith=PREFIX).values_list("pk", flat=True))
    rng = random.Random(9)  # random people and convenings, the same ones every run
    rng.shuffle(people)
    chosen, convenings = [], set()
    for person_id in people:
        mine = [
            i
            for i in upcoming.filter(person_id=person_id).order_by("pk")[:50]
            if i.convening_id not in convenings
        ]
        if not mine:
            continue
        for invitation in rng.sample(mine, min(len(mine), RSVP_PER_MEMBER)):
            chosen.append(invitation)
            convenings.add(invitation.convening_id)
        if len({i.person_id for i in chosen}) == RSVP_MEMBERS:
            break
    if not chosen:
        raise RuntimeError("no invitation to an upcoming scale convening")
    cookies = {}
    for person_id in {i.person_id for i in chosen}:
        cookies[person_id] = f"{_settings().SESSION_COOKIE_NAME}={_member_session(person_id)}"
    chosen.sort(key=lambda i: (i.pk % 7, i.pk))  # members interleaved, not one after another
    # Signed links, one per other convening (informational row).
    links = list(
        upcoming.exclude(convening_id__in=convenings)
        .order_by("convening_id", "pk")
        .distinct("convening_id")[:RSVP_INVITATIONS]
    )
    first = chosen[0]
    queries, sql = _count_answer_queries(
        _member_user(first.person_id), f"/groups/convenings/{first.convening_id}/answer/"
    )
    link_queries, _sql = _count_answer_queries(None, f"/rsvp/{make_rsvp_token(links[0])}/")
    for invitation in [*chosen, *links]:
        invitation.refresh_from_db(fields=["response"])
    return {
        # The two directions joined, so a change in either shows: "4+4".
        "queries": queries,
        "sql": sql,
        "link_queries": link_queries,
        "members": len(cookies),
        "invitations": [
            {
                "id": i.pk,
                "path": f"/groups/convenings/{i.convening_id}/answer/",
                "cookie": cookies[i.person_id],
                "response": i.response,
            }
            for i in chosen
        ],
        "links": [
            {"id": i.pk, "path": f"/rsvp/{make_rsvp_token(i)}/", "response": i.response}
            for i in links
        ],
    }


def _settings():
    from django.conf import settings

    return settings


def _member_user(person_id: int):
    """The person's account, made (without a usable password) when they have none."""
    from stakeholders.models import User

    user = User.objects.filter(person_id=person_id).first()
    if user is None:
        user = User(email=f"rsvp-bench-{person_id}@bench.invalid", person_id=person_id)
        user.set_unusable_password()
        user.save()
    return user


def _member_session(person_id: int) -> str:
    """A session signed in as the person's account, seen just now by the idle timeout (as
    after a first page), so the measured POSTs write nothing to it."""
    from importlib import import_module

    from stakeholders.middleware import _LAST_SEEN

    key = bt.new_session(_member_user(person_id))
    store = import_module(_settings().SESSION_ENGINE).SessionStore(session_key=key)
    store[_LAST_SEEN] = int(time.time())
    store.save()
    return key


def _count_answer_queries(user, path: str) -> tuple[str, list[str]]:
    """Queries of one answer POST each way once warm (the second request, as
    benchtools.count_queries counts pages): "yes" then "no", joined: "4+4"."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME=bt.HOST, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.post(path, {"answer": "no"})  # warm: the session's first visit
    counted = {}
    for answer in ("yes", "no"):  # no -> yes, then yes -> no
        client.cookies.pop("messages", None)  # a browser shows them on the next page
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, {"answer": answer})
        if response.status_code != 302:
            raise RuntimeError(f"RSVP POST {path} answered {response.status_code} in-process")
        counted[answer] = captured
    return (
        "+".join(str(len(counted[a])) for a in ("yes", "no")),
        [query["sql"] for query in counted["no"].captured_queries],
    )


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
    ledger.vacuum()  # the plans below are read with the statistics of these rows
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
