"""`make bench`, the funder's report: a quarterly report for every city, in bounded memory.

run_report(env, scale) (called by config/bench.py) runs `python -m config.bench_report build`
in child processes against the bench database (env["DATABASE_URL"]), each its own process so
that its peak RSS (getrusage) is its own:
  1. all cities, plain: a ProgressReport row for the grant's latest ended quarter is built by
     report_services.report_build, the code the Celery task runs (claim, batches of 100
     cities, CSV, PDF, files stored), timed (wall and CPU) with its SQL queries counted;
     then, in the same process, the baseline below;
  2. the first SMALL_SCOPE cities (by name), plain: the same build on fewer cities;
  3. and 4. the same two under tracemalloc (it slows Python, so its times are not used):
     the traced peak of the Python heap, the figure that shows growth most directly.
The row is deleted afterwards and the files land in a throw-away VAR_DIR.

Baseline (measured in the same run, same database, same period): the practical floor of the
work, i.e. one grouped query per table over the whole scope (convenings by city and month,
attendance by city and leg and by city and sector, completions by city and leg, deliveries
by city and leg: the database does the aggregation, as the report's queries do) and a plain
csv.writer writing as many rows as the report's CSV. The report does more (milestones, the
self-assessments, the PDF, batching, progress), so the ratio (baseline seconds / report
seconds) is below 1; it is informational, as issue #9 sets no target for it.

Pass: memory is bounded: the traced peak at all cities is within MAX_TRACED_FACTOR of the
peak at SMALL_SCOPE cities plus MAX_TRACED_CONSTANT_MB, and the RSS peak grows by at most
MAX_RSS_GROWTH_MB; the build finishes ("done") with one CSV row set per city; and the
queries per batch are the same for a batch of SMALL_SCOPE and of all cities (constant).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SMALL_SCOPE = {"tiny": 2, "small": 10, "full": 100}
MAX_TRACED_FACTOR = 1.5
MAX_TRACED_CONSTANT_MB = 2.0
MAX_RSS_GROWTH_MB = 25.0
TIMEOUT_S = 1800


# --- In the bench process -----------------------------------------------------------------------
def _child(env: dict, scale: str, *, scope: str, traced: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", "config.bench_report", "build", "--scale", scale]
        command += ["--scope", scope, "--out", str(out)] + (["--traced"] if traced else [])
        child_env = {**env, "VAR_DIR": str(Path(tmp) / "var")}
        subprocess.run(  # noqa: S603
            command, cwd=BASE_DIR, env=child_env, check=True, timeout=TIMEOUT_S
        )
        return json.loads(out.read_text())


def run_report(env: dict, scale: str) -> dict:
    """Run the report benchmark; return its result row for bench-results.json."""
    print(f"Quarterly report for all cities (and for {SMALL_SCOPE[scale]}) ...", flush=True)
    full = _child(env, scale, scope="all", traced=False)
    small = _child(env, scale, scope=str(SMALL_SCOPE[scale]), traced=False)
    full_traced = _child(env, scale, scope="all", traced=True)
    small_traced = _child(env, scale, scope=str(SMALL_SCOPE[scale]), traced=True)
    return _result(full, small, full_traced, small_traced)


def _result(full: dict, small: dict, full_traced: dict, small_traced: dict) -> dict:
    traced_full, traced_small = full_traced["traced_peak_mb"], small_traced["traced_peak_mb"]
    traced_limit = MAX_TRACED_FACTOR * traced_small + MAX_TRACED_CONSTANT_MB
    rss_growth = full["peak_rss_mb"] - small["peak_rss_mb"]
    items_per_s = full["cities"] / full["seconds"] if full["seconds"] else 0.0
    baseline_per_s = full["cities"] / full["baseline_seconds"] if full["baseline_seconds"] else 0.0
    ratio = items_per_s / baseline_per_s if baseline_per_s else 0.0
    failures = []
    if traced_full > traced_limit:
        failures.append(
            f"traced peak {traced_full} MB at all cities > {MAX_TRACED_FACTOR} x "
            f"{traced_small} MB + {MAX_TRACED_CONSTANT_MB} MB"
        )
    if rss_growth > MAX_RSS_GROWTH_MB:
        failures.append(f"peak RSS grew {rss_growth:.1f} MB > {MAX_RSS_GROWTH_MB} MB")
    for run in (full, small, full_traced, small_traced):
        if run["status"] != "done":
            failures.append(f"the build of {run['cities']} cities ended {run['status']}")
    batch = full["batch_queries"]
    if batch["one_city"] != batch["full_batch"]:
        failures.append(
            f"a batch of one city reads in {batch['one_city']} queries, a batch of "
            f"{full['cities'] if full['batches'] == 1 else 100} in {batch['full_batch']}"
        )
    # Queries grow with batches, not cities: the extra batches of the full scope explain
    # every extra query.
    per_batch = (
        (full["queries"] - small["queries"]) / (full["batches"] - small["batches"])
        if full["batches"] != small["batches"]
        else None
    )
    return {
        "name": "report",
        "what": "quarterly funder's report (CSV + PDF) for all cities, as the Celery task "
        "builds it, in batches of 100 cities",
        "dataset_size": full["sizes"],
        "period": full["period"],
        "items": "cities",
        "scope_cities": full["cities"],
        "items_per_s": round(items_per_s, 2),
        "seconds": round(full["seconds"], 2),
        "cpu_seconds": round(full["cpu_seconds"], 2),
        "baseline": "one grouped query per table over every city + csv.writer of as many rows",
        "baseline_seconds": round(full["baseline_seconds"], 3),
        "baseline_items_per_s": round(baseline_per_s, 2),
        "ratio": round(ratio, 4),
        "target": f"bounded memory: traced peak at all cities <= {MAX_TRACED_FACTOR} x the peak "
        f"at {small['cities']} cities + {MAX_TRACED_CONSTANT_MB} MB, peak RSS growth <= "
        f"{MAX_RSS_GROWTH_MB} MB, same queries per batch; time ratio informational",
        "passed": not failures,
        "failures": failures,
        "csv_rows": full["csv_rows"],
        "csv_mb": full["csv_mb"],
        "pdf_mb": full["pdf_mb"],
        "queries": full["queries"],
        "small_queries": small["queries"],
        "batches": full["batches"],
        "queries_per_batch_of_figures": batch["full_batch"],
        "queries_per_extra_batch": per_batch,
        "peak_rss_mb": full["peak_rss_mb"],
        "small_scope_cities": small["cities"],
        "small_peak_rss_mb": small["peak_rss_mb"],
        "small_seconds": round(small["seconds"], 2),
        "rss_growth_mb": round(rss_growth, 2),
        "traced_peak_mb": traced_full,
        "small_traced_peak_mb": traced_small,
    }


def print_report(result: dict) -> None:
    verdict = "pass" if result["passed"] else "FAIL"
    print(
        f"\nreport: {result['scope_cities']:,} cities, "
        f"{result['period'][0]} to {result['period'][1]}, in {result['seconds']} s "
        f"({result['cpu_seconds']} s CPU) = {result['items_per_s']} cities/s; baseline "
        f"{result['baseline_seconds']} s = {result['baseline_items_per_s']} cities/s; "
        f"ratio {result['ratio']} (informational) {verdict}\n"
        f"  CSV {result['csv_rows']:,} rows ({result['csv_mb']} MB), PDF {result['pdf_mb']} MB; "
        f"{result['queries']} queries in {result['batches']} batches "
        f"({result['queries_per_batch_of_figures']} for a batch's figures, 1 or 100 cities; "
        f"{result['queries_per_extra_batch']} per extra batch)\n"
        f"  memory: peak RSS {result['peak_rss_mb']} MB at all cities vs "
        f"{result['small_peak_rss_mb']} MB at {result['small_scope_cities']} "
        f"(+{result['rss_growth_mb']} MB); traced peak {result['traced_peak_mb']} MB vs "
        f"{result['small_traced_peak_mb']} MB"
    )
    for failure in result["failures"]:
        print(f"  FAILED: {failure}")


# --- Inside Django ------------------------------------------------------------------------------
def _period():
    from django.db.models import Count
    from django.utils import timezone

    from stakeholders.models import Programme
    from workinggroups.report_periods import default_quarter, grant_quarters

    programme = Programme.objects.annotate(n=Count("cities")).order_by("-n", "pk").first()
    if programme is None:
        raise SystemExit("The bench database has no programme: seed it first (seed_scale).")
    return default_quarter(grant_quarters(programme), timezone.localdate())


def _limit_scope(count: int) -> list[int]:
    """Make every scope of all cities the first `count` cities by name (bench only)."""
    from stakeholders.models import City
    from workinggroups import report_figures

    ids = list(City.objects.order_by("name", "pk").values_list("pk", flat=True)[:count])
    everything = report_figures.Scope.cities

    def first_cities(self):
        return everything(self).filter(pk__in=ids)

    report_figures.Scope.cities = first_cities
    return ids


def _baseline(start, end, rows: int) -> float:
    """Seconds for the floor: one grouped query per table over every city, then a plain
    csv.writer writing `rows` rows of the same width."""
    import csv

    from django.db import connection

    low, high = start.isoformat(), end.isoformat()
    held = (
        " FROM workinggroups_convening c"
        " JOIN workinggroups_workinggroup g ON g.id = c.group_id"
        " JOIN stakeholders_city city ON city.id = g.city_id"
    )
    attended = (
        " FROM workinggroups_attendance a"
        " JOIN workinggroups_convening c ON c.id = a.convening_id"
        " JOIN workinggroups_workinggroup g ON g.id = c.group_id"
        " JOIN stakeholders_city city ON city.id = g.city_id"
    )
    in_period = (
        " WHERE c.status = 'held'"
        " AND ((c.starts_at AT TIME ZONE city.time_zone)::date) BETWEEN %s AND %s"
    )
    queries = [
        "SELECT g.city_id, to_char(c.starts_at AT TIME ZONE city.time_zone, 'YYYY-MM'),"
        " count(*)" + held + in_period + " GROUP BY 1, 2",
        "SELECT g.city_id, a.leg, count(*), count(DISTINCT a.person_id)"
        + attended
        + in_period
        + " GROUP BY 1, 2",
        "SELECT g.city_id, p.sector_id, count(DISTINCT a.person_id)"
        + attended
        + " JOIN stakeholders_person p ON p.id = a.person_id"
        + in_period
        + " GROUP BY 1, 2",
        "SELECT p.city_id, p.leg, count(DISTINCT t.person_id) FROM trainings_completion t"
        " JOIN stakeholders_person p ON p.id = t.person_id"
        " WHERE t.completed_on BETWEEN %s AND %s GROUP BY 1, 2",
        "SELECT d.city_id, d.leg, count(*), count(d.read_at) FROM briefings_delivery d"
        " JOIN stakeholders_city city ON city.id = d.city_id WHERE d.status = 'sent'"
        " AND ((d.sent_at AT TIME ZONE city.time_zone)::date) BETWEEN %s AND %s GROUP BY 1, 2",
    ]
    started = time.perf_counter()
    found = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, [low, high])
            found.extend(cursor.fetchall())
    with tempfile.TemporaryFile("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        sample = [low, high, "Riverton 1", "New Mexico", "participants"]
        sample += ["Participants, by leg", "community", "Community organisations", 12, ""]
        for n in range(rows):
            writer.writerow(sample if n % 10 else [*sample[:-2], len(found), ""])
    return time.perf_counter() - started


def _build(scale: str, scope: str, traced: bool) -> dict:
    import resource
    import tracemalloc

    from django.db import connection

    from stakeholders import scale as scale_data
    from workinggroups import report_figures, report_services
    from workinggroups.models import ProgressReport

    period = _period()
    if scope != "all":
        _limit_scope(int(scope))
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    report = ProgressReport.objects.create(
        requested_by=None, city=None, period_start=period.start, period_end=period.end
    )
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        status = report_services.report_build(report_id=report.pk)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    if traced:
        tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    report.refresh_from_db()
    cities = report.progress_total
    batches = max(1, -(-cities // report_figures.BATCH_SIZE))
    rows = report_services.csv_rows(report) if report.csv_file else 0
    measured = {
        "status": status,
        "cities": cities,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "queries": queries[0],
        "batches": batches,
        "csv_rows": rows,
        "csv_mb": round(report.csv_file.size / 2**20, 2) if report.csv_file else 0,
        "pdf_mb": round(report.pdf_file.size / 2**20, 2) if report.pdf_file else 0,
        "peak_rss_mb": round(peak_rss, 1),
        "traced_peak_mb": round(traced_peak, 2) if traced_peak is not None else None,
    }
    if not traced and scope == "all":
        measured["sizes"] = scale_data.count_rows()
        measured["baseline_seconds"] = _baseline(period.start, period.end, rows)
        measured["batch_queries"] = _batch_queries(period)
    for stored in (report.csv_file, report.pdf_file):
        if stored:
            stored.storage.delete(stored.name)
    report.delete()
    return measured


def _batch_queries(period) -> dict[str, int]:
    """Queries of one batch's figures for one city and for a full batch (BATCH_SIZE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workinggroups import report_figures

    scope = report_figures.Scope(city_id=None, start=period.start, end=period.end)
    batch = next(report_figures.city_batches(scope), [])
    counts = {}
    for label, ids in (
        ("one_city", [c.pk for c in batch[:1]]),
        ("full_batch", [c.pk for c in batch]),
    ):
        with CaptureQueriesContext(connection) as captured:
            report_figures.batch_figures(ids, period.start, period.end)
        counts[label] = len(captured)
    return counts


def _main() -> int:
    parser = argparse.ArgumentParser(prog="python -m config.bench_report")
    commands = parser.add_subparsers(dest="command", required=True)
    step = commands.add_parser("build")
    step.add_argument("--scale", choices=sorted(SMALL_SCOPE), required=True)
    step.add_argument("--scope", required=True, help="'all', or a number of cities")
    step.add_argument("--traced", action="store_true")
    step.add_argument("--out", required=True, type=Path)
    report = commands.add_parser("run", help="the whole benchmark, printed (for a manual run)")
    report.add_argument("--scale", choices=sorted(SMALL_SCOPE), default="full")
    args = parser.parse_args()
    if args.command == "run":
        result = run_report(dict(os.environ), args.scale)
        print_report(result)
        print(json.dumps(result, indent=2))
        return 0 if result["passed"] else 1
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    args.out.write_text(json.dumps(_build(args.scale, args.scope, args.traced), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
