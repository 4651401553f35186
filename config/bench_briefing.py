"""`make bench`, landscape briefings: distribution through Celery to an SMTP sink on loopback.

briefing_distribution (after gunicorn stops, in its own Django process, `distribute` below):
  1. Makes sure its own database (the bench database's "_briefing" sibling) holds an
     audience: a bench city whose working group seats AUDIENCE[scale] people, and a second
     group seating the first SMALL_AUDIENCE of them
     (the memory comparison), all with consent and an address; built once with bulk inserts.
  2. Baseline: a plain single-process loop sending the same mails (the first recipient's
     message as the portal composes it, addressed to each recipient in turn) over ONE SMTP
     connection to an aiosmtpd sink in its own process. That is the practical limit.
  3. Target: one Celery worker process (pool solo, concurrency 1) on a private Redis
     database, pointed at a fresh sink; a GREEN briefing (the body travels in the mail: the
     heavier case) is published to the group, which writes the ledger and kicks the sweep;
     timed from the publish to the moment no delivery is queued or sending.
  4. The sink counts mails per recipient: exactly one each, none twice. The same is done for
     the small group, and the worker's peak RSS compared between the two: memory must not
     grow with the audience. The publishing process's traced peak is taken too.
  5. A second baseline, informational: the rate of a no-op Celery task (config/bench_noop.py)
     through the same broker and one worker like the one above, NOOP_TASKS[scale] of them
     published from this process while the worker consumes: the floor of any task.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from config import benchtools as bt

AUDIENCE = {"tiny": 500, "small": 5_000, "full": 50_000}
NOOP_TASKS = {"tiny": 500, "small": 2_000, "full": 10_000}
SMALL_AUDIENCE = {"tiny": 100, "small": 1_000, "full": 5_000}
MIN_RATIO = 0.7
MAX_RSS_GROWTH_MB = 25.0  # the worker's peak at the full audience over its peak at the small
BENCH_CITY_SLUG = "bench-briefing-city"
BENCH_REDIS_DB = 9
DONE_TIMEOUT_S = 1200


# --- In the bench process -----------------------------------------------------------------------
def run_distribution(env: dict[str, str], scale: str) -> dict:
    """Run the distribution benchmark in a Django child process; return its result row."""
    print(f"Briefing distribution to {AUDIENCE[scale]:,} recipients ...", flush=True)
    redis = env.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    # A database of its own: a 55,000-seat audience city in the pages' database would land
    # on the staff home's first page and skew every other benchmark.
    database = bt.sibling_database(env["DATABASE_URL"], "_briefing")
    bt.ensure_database(database)
    child_env = {**env, "REDIS_URL": f"{redis}/{BENCH_REDIS_DB}", "DATABASE_URL": database}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", "config.bench_briefing", "distribute", "--scale", scale]
        command += ["--out", str(out)]
        subprocess.run(command, cwd=bt.BASE_DIR, env=child_env, check=True)  # noqa: S603
        measured = json.loads(out.read_text())
    return _result(measured)


# Keys of the measurement the result row already shows (rounded) under its own names.
_SHOWN = {"audience", "small_audience", "items_per_s", "seconds", "baseline_items_per_s"}


def _result(m: dict) -> dict:
    ratio = m["items_per_s"] / m["baseline_items_per_s"] if m["baseline_items_per_s"] else 0.0
    growth = m["worker_peak_rss_mb"] - m["small_worker_peak_rss_mb"]
    exact = m["mails"] == m["audience"] and m["duplicates"] == 0 and m["distinct"] == m["audience"]
    passed = ratio >= MIN_RATIO and exact and growth <= MAX_RSS_GROWTH_MB
    return {
        "name": "briefing_distribution",
        "what": "publish a GREEN briefing; one Celery worker sends it to an SMTP sink",
        "dataset_size": {"recipients": m["audience"], "small_recipients": m["small_audience"]},
        "items_per_s": round(m["items_per_s"], 1),
        "seconds": round(m["seconds"], 2),
        "baseline": "plain loop, same mails, one SMTP connection, same sink",
        "baseline_items_per_s": round(m["baseline_items_per_s"], 1),
        "ratio": round(ratio, 4),
        "target": f"ratio >= {MIN_RATIO}; exactly one mail per recipient; worker peak RSS "
        f"grows <= {MAX_RSS_GROWTH_MB} MB from the small to the full audience",
        "passed": passed,
        **{key: m[key] for key in sorted(m) if key not in _SHOWN},
        "worker_rss_growth_mb": round(growth, 2),
    }


def print_distribution(result: dict) -> None:
    verdict = "pass" if result["passed"] else "FAIL"
    print(
        f"\nbriefing_distribution: {result['dataset_size']['recipients']:,} recipients in "
        f"{result['seconds']} s = {result['items_per_s']} mails/s; plain loop "
        f"{result['baseline_items_per_s']} mails/s; ratio {result['ratio']} "
        f"(>= {MIN_RATIO}) {verdict}\n"
        f"  mails at the sink {result['mails']:,} ({result['distinct']:,} recipients, "
        f"{result['duplicates']} twice); worker peak RSS {result['worker_peak_rss_mb']} MB at "
        f"{result['dataset_size']['recipients']:,} vs {result['small_worker_peak_rss_mb']} MB at "
        f"{result['dataset_size']['small_recipients']:,}; ledger write "
        f"{result['ledger_write_seconds']} s, traced peak {result['publish_peak_traced_mb']} MB\n"
        f"  baseline: a no-op Celery task, {result['celery_noop_tasks']:,} through the same broker"
        f" and one worker: {result['celery_noop_tasks_per_s']} tasks/s"
    )


# --- The SMTP sink (its own process) ------------------------------------------------------------
def _sink(port: int, stats_path: Path) -> int:
    """Accept mail on loopback, counting per recipient; write the counts on SIGTERM."""
    import threading

    from aiosmtpd.controller import Controller

    counts: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            with lock:
                counts.update(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname=bt.HOST, port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print("sink ready", flush=True)
    stopped.wait()
    controller.stop()
    with lock:
        stats = {
            "mails": sum(counts.values()),
            "distinct": len(counts),
            "duplicates": sum(1 for n in counts.values() if n > 1),
        }
    stats_path.write_text(json.dumps(stats))
    return 0


class Sink:
    def __init__(self) -> None:
        self.port = bt.free_port()
        self._dir = tempfile.TemporaryDirectory()
        self.stats_path = Path(self._dir.name) / "sink.json"

    def __enter__(self) -> "Sink":
        command = [sys.executable, "-m", "config.bench_briefing", "sink", "--port", str(self.port)]
        command += ["--out", str(self.stats_path)]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=bt.BASE_DIR, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "sink ready":
            raise RuntimeError("the SMTP sink did not start")
        return self

    def stats(self) -> dict:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return json.loads(self.stats_path.read_text())

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self._dir.cleanup()


# --- Inside Django ------------------------------------------------------------------------------
def _ensure_audience(scale: str) -> dict[str, int]:
    """The bench city and its two groups, built once per size (bulk inserts)."""
    from django.db import transaction
    from django.utils import timezone

    from stakeholders.models import City, Leg, Person, Programme, Sector
    from workinggroups.models import Membership, WorkingGroup

    size, small = AUDIENCE[scale], SMALL_AUDIENCE[scale]
    programme, _ = Programme.objects.get_or_create(
        name="Bench programme",
        defaults={"starts_on": date(2026, 1, 1), "ends_on": date(2027, 12, 31)},
    )
    city, _ = City.objects.get_or_create(
        slug=BENCH_CITY_SLUG,
        defaults={
            "programme": programme,
            "name": "Bench Briefing City",
            "state": "Kansas",
            "time_zone": "America/Chicago",
            "form_of_government": City.FormOfGovernment.COUNCIL_MANAGER,
        },
    )
    groups = {}
    for name, seats in (("all", size), ("small", small)):
        group, _ = WorkingGroup.objects.get_or_create(
            city=city,
            name=f"Bench group {name}-{seats}",
            defaults={"kind": WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP},
        )
        groups[name] = group
    people = Person.objects.filter(city=city)
    if people.count() < size:
        legs = list(Leg.values)
        sectors = {leg: Sector.objects.filter(usual_leg=leg).first() for leg in legs}
        now = timezone.now()
        start = people.count()
        with transaction.atomic():
            for first in range(start, size, 5_000):
                Person.objects.bulk_create(
                    Person(
                        city=city,
                        full_name=f"Bench Recipient {n}",
                        leg=legs[n % 4],
                        sector=sectors[legs[n % 4]],
                        email=f"recipient{n}@bench.example.org",
                        consent_to_contact=True,
                        consent_recorded_at=now,
                    )
                    for n in range(first, min(first + 5_000, size))
                )
    for name, seats in (("all", size), ("small", small)):
        group = groups[name]
        if group.memberships.count() != seats:
            group.memberships.all().delete()
            ids = people.order_by("pk").values_list("pk", flat=True)[:seats]
            Membership.objects.bulk_create(
                (Membership(group=group, person_id=pk) for pk in ids.iterator()),
                batch_size=5_000,
            )
    return {name: group.pk for name, group in groups.items()}


def _settle() -> None:
    """VACUUM (ANALYZE) the tables a distribution reads and writes, before the timed runs.

    The bench's PostgreSQL runs with autovacuum off (its CI configuration), so nothing else
    ever does: the bulk-built audience would have no statistics (PostgreSQL then reads all
    50,000 seats of the group for each chunk's audience check instead of the chunk's 100),
    and every earlier run's deliveries would stay behind as dead rows in the ledger's
    indexes. In production autovacuum has done both long before a briefing is published.
    """
    from django.db import connection

    tables = ["stakeholders_person", "workinggroups_membership", "briefings_delivery"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def _publish(group_id: int, author) -> tuple[int, float, float, int]:
    """Publish a GREEN briefing to the group; return (id, seconds, traced peak MB, queued)."""
    import tracemalloc

    from briefings.models import LandscapeBriefing
    from briefings.services import briefing_publish

    briefing = LandscapeBriefing.objects.create(
        title=f"Bench landscape briefing {time.time_ns()}",
        summary="The landscape of hate and extremism online this month, for the bench.",
        body_markdown="## What we see\n\n"
        + "Social cohesion and safety: needs and vulnerabilities in the city.\n\n" * 12,
        tlp="GREEN",
        author=author,
    )
    briefing.audience_groups.set([group_id])
    tracemalloc.start()
    start = time.perf_counter()
    queued = briefing_publish(actor=author, briefing_id=briefing.pk)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return briefing.pk, seconds, peak / 2**20, queued


def _wait_until_done(briefing_id: int) -> None:
    from briefings.models import Delivery

    deadline = time.monotonic() + DONE_TIMEOUT_S
    open_rows = Delivery.objects.filter(briefing_id=briefing_id, status__in=["queued", "sending"])
    while open_rows.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"briefing {briefing_id} not delivered in {DONE_TIMEOUT_S} s")
        time.sleep(0.2)


def _worker(sink: Sink | None) -> subprocess.Popen:
    """One worker process (pool solo: its own pid does the work, so its VmHWM is the peak)."""
    import threading

    env = {**os.environ, "EMAIL_USE_TLS": "0"}
    if sink is not None:
        env.update(EMAIL_HOST=bt.HOST, EMAIL_PORT=str(sink.port))
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
    command += ["--include", "config.bench_noop"]
    command += ["--concurrency", "1", "--without-mingle", "--without-gossip"]
    command += ["--without-heartbeat", "--loglevel", "INFO"]
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=bt.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    for line in process.stdout:  # celery says "... ready." once it consumes
        if " ready." in line:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start")
    else:
        raise RuntimeError("the Celery worker exited before it was ready")
    # Keep draining its log so a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _distribute_once(group_id: int, author) -> dict:
    from briefings.models import Delivery

    with Sink() as sink:
        worker = _worker(sink)
        try:
            cpu_before = bt.process_cpu_seconds(worker.pid)
            start = time.perf_counter()
            briefing_id, write_seconds, traced_mb, queued = _publish(group_id, author)
            _wait_until_done(briefing_id)
            seconds = time.perf_counter() - start
            worker_cpu = bt.process_cpu_seconds(worker.pid) - cpu_before
            peak = _peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        stats = sink.stats()
    statuses = dict(
        Counter(Delivery.objects.filter(briefing_id=briefing_id).values_list("status", flat=True))
    )
    return {
        "briefing_id": briefing_id,
        "queued": queued,
        "seconds": seconds,
        "ledger_write_seconds": round(write_seconds, 3),
        "publish_peak_traced_mb": round(traced_mb, 3),
        "worker_peak_rss_mb": round(peak, 2),
        "worker_cpu_ms_per_mail": round(1000 * worker_cpu / max(queued, 1), 3),
        "statuses": statuses,
        **stats,
    }


def _baseline(briefing_id: int, recipients: int) -> tuple[float, float]:
    """Mails per second of a plain loop: the same message, one connection, same kind of sink;
    and its CPU milliseconds per mail (this process's, to set beside the worker's)."""
    from django.core.mail import get_connection

    from briefings.delivery_mail import bench_sample_message
    from briefings.models import LandscapeBriefing

    briefing = LandscapeBriefing.objects.get(pk=briefing_id)
    addresses = [f"recipient{n}@bench.example.org" for n in range(recipients)]
    with Sink() as sink:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=bt.HOST,
            port=sink.port,
            use_tls=False,
            username="",
            password="",
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        connection.open()
        for address in addresses:
            connection.send_messages([bench_sample_message(briefing, address)])
        connection.close()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        stats = sink.stats()
    if stats["mails"] != recipients:
        raise RuntimeError(f"the plain loop delivered {stats['mails']} of {recipients}")
    return recipients / seconds, 1000 * cpu / recipients


def _noop_rate(tasks: int) -> float:
    """No-op tasks per second: published here while one worker consumes them."""
    import redis as redis_lib

    from config.bench_noop import DONE_KEY, noop

    client = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(DONE_KEY)
    worker = _worker(None)
    try:
        noop.delay()  # the first one opens the broker connections on both sides, untimed
        start = time.perf_counter()
        for _ in range(tasks - 1):
            noop.delay()
        noop.delay(last=True)
        deadline = time.monotonic() + DONE_TIMEOUT_S
        while not client.exists(DONE_KEY):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{tasks} no-op tasks not done in {DONE_TIMEOUT_S} s")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return tasks / seconds


def _distribute(scale: str) -> dict:
    import redis as redis_lib
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    redis_lib.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # the bench's private db
    groups = _ensure_audience(scale)
    author, _ = get_user_model().objects.get_or_create(
        email="bench-author@scale.example.org",
        defaults={"display_name": "Bench analyst", "is_network_staff": True},
    )
    _settle()
    small = _distribute_once(groups["small"], author)
    full = _distribute_once(groups["all"], author)
    baseline, baseline_cpu_ms = _baseline(full["briefing_id"], AUDIENCE[scale])
    noop_rate = _noop_rate(NOOP_TASKS[scale])
    return {
        "celery_noop_tasks": NOOP_TASKS[scale],
        "celery_noop_tasks_per_s": round(noop_rate, 1),
        "audience": AUDIENCE[scale],
        "small_audience": SMALL_AUDIENCE[scale],
        "items_per_s": AUDIENCE[scale] / full["seconds"],
        "baseline_items_per_s": baseline,
        "baseline_cpu_ms_per_mail": round(baseline_cpu_ms, 3),
        "small_worker_peak_rss_mb": small["worker_peak_rss_mb"],
        "small_items_per_s": round(SMALL_AUDIENCE[scale] / small["seconds"], 1),
        **{key: full[key] for key in full if key != "briefing_id"},
    }


def _main() -> int:
    parser = argparse.ArgumentParser(prog="python -m config.bench_briefing")
    commands = parser.add_subparsers(dest="command", required=True)
    sink = commands.add_parser("sink")
    sink.add_argument("--port", required=True, type=int)
    sink.add_argument("--out", required=True, type=Path)
    step = commands.add_parser("distribute")
    step.add_argument("--scale", choices=sorted(AUDIENCE), required=True)
    step.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    if args.command == "sink":
        return _sink(args.port, args.out)
    import django

    django.setup()
    args.out.write_text(json.dumps(_distribute(args.scale), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
