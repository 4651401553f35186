"""`make bench`: how fast the main pages answer with a large data set, next to a trivial view
measured in the same run, and whether their SQL query counts stay constant as rows grow.

    python -m config.bench [--scale small|full]

1. Prepares two PostgreSQL databases (BENCH_DATABASE_URL, default portal_bench, and a
   "_tiny" sibling): migrates them, seeds them with seed_scale unless they already hold that
   size, refreshes the progress summary, makes a network-staff and a coordinator account, and
   counts each page's queries in-process (django.test.Client, CaptureQueriesContext).
2. Serves the chosen database with gunicorn and production settings (one sync worker,
   DEBUG off, persistent database connections).
3. Loads it from wrk (one thread, two connections: the other core is left to the server;
   Python threads when wrk is missing): /ping, then each target followed by /ping again, so
   every target has a /ping just before and just after it; its baseline is their mean, and
   the target (and the run) is flagged noisy when the two differ by more than 15%. /ping is
   also measured once with the Python loader, to show what the load generator costs.
4. After gunicorn stops: the reminder sweep (config/bench_outbound.py), a landscape
   briefing's distribution through Celery to an SMTP sink with the plain SMTP loop and a
   no-op Celery task rate as its baselines (config/bench_briefing.py), and the quarterly
   report (config/bench_report.py).
5. Prints a table, writes bench-results.json, and exits 1 when a ratio or query-count target
   fails (absolute times are informational: they depend on the machine), 2 when it cannot run.
"""

import argparse
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from config import bench_briefing as bb
from config import bench_outbound as bo
from config import benchtools as bt

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
RESULTS_PATH = bt.BASE_DIR / "bench-results.json"
LOG_PATH = bt.BASE_DIR / "var" / "bench-gunicorn.log"
# /ping before and after a target differing by more than this: the machine was busy.
NOISE_LIMIT = 0.15
# Per page: the lowest req/s ÷ /ping req/s, and at most this many queries (None: no limit
# beyond "the same as at the tiny size", which every page must meet).
# Issue #9's targets:
ISSUE_TARGETS = {
    "dashboard": {"min_ratio": 0.06, "max_queries": 8},  # 50 cities a page
    "dashboard_all": {"min_ratio": 1 / 300, "max_queries": 8},  # every city
    "roster": {"min_ratio": 0.12, "max_queries": 5},  # a 2,000-person city, by leg
}
# The other pages: first-version floors, set about 20% under what they measured at full scale
# on the 2-core machines when they were written; not issue #9's table.
PAGE_FLOORS = {
    "staff_home": {"min_ratio": 0.02, "max_queries": None},  # fifty cities a page
    "coordinator_home": {"min_ratio": 0.05, "max_queries": None},
    "city_page": {"min_ratio": 0.04, "max_queries": None},
    "group_page": {"min_ratio": 0.04, "max_queries": None},
    "city_balance": {"min_ratio": 0.02, "max_queries": None},  # issue #6, the big city
    "training_coverage": {"min_ratio": 0.02, "max_queries": None},  # issue #7
}
TARGETS = {**ISSUE_TARGETS, **PAGE_FLOORS}


def production_env(database_url: str) -> dict[str, str]:
    """The settings gunicorn runs with: production's, with a fresh key, on loopback."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        # New each run, so nothing signed with it (sessions) outlives the run.
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=bt.HOST,
        # Plain HTTP on loopback with no TLS proxy in front: the SSL redirect would answer
        # every request with a 301, and a Secure cookie is never sent back over HTTP.
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        DB_CONN_MAX_AGE="60",  # persistent connections, as in production
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        DATABASE_URL=database_url,
    )
    return env


def prepare(env: dict[str, str], size: str, *, collectstatic: bool = False) -> dict:
    """Run `python -m config.benchtools prepare` against env's database; return its JSON."""
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]  # not the whole URL: it may hold a password
    print(f"Preparing database {database} at the {size} size ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prepare.json"
        command = [sys.executable, "-m", "config.benchtools", "prepare", "--size", size]
        command += ["--out", str(out)] + (["--collectstatic"] if collectstatic else [])
        subprocess.run(command, cwd=bt.BASE_DIR, env=env, check=True)  # noqa: S603
        return json.loads(out.read_text())


def measure(
    server: bt.Server, path: str, cookie: str | None, args, duration: float | None = None
) -> bt.LoadResult:
    # A few untimed requests first: templates compile and connections open in the worker.
    warm = bt.run_load(server.port, path, cookie=cookie, duration=2, max_requests=5)
    if warm.errors or not warm.requests:
        raise RuntimeError(f"{path} did not answer 200 when warming up: {dict(warm.statuses)}")
    cpu_before = server.worker_cpu_seconds()
    if bt.wrk_available() and not args.python_loader:
        headers = {"Cookie": cookie} if cookie else {}
        script = bt.wrk_get_script(path, headers)
        load = bt.run_wrk(server.port, script, duration=duration or args.duration)
    else:
        load = bt.run_load(
            server.port,
            path,
            cookie=cookie,
            concurrency=args.concurrency,
            duration=duration or args.duration,
            max_requests=args.max_requests,
        )
    load.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
    return load


def ping_python(server: bt.Server, args) -> bt.LoadResult:
    """/ping from Python threads, for comparison with wrk (the loader's own cost)."""
    cpu_before = server.worker_cpu_seconds()
    load = bt.run_load(
        server.port,
        "/ping",
        concurrency=args.concurrency,
        duration=args.ping_duration,
        max_requests=args.max_requests * 10,
    )
    load.worker_cpu_seconds = server.worker_cpu_seconds() - cpu_before
    return load


def page_cookie(prepared: dict, target: dict) -> str:
    """The Cookie header of a signed-in browser: the target's session and a CSRF cookie."""
    return f"{prepared['cookie_name']}={target['session']}; {prepared['csrf_cookie']}"


def run_server(env: dict[str, str], prepared: dict, args, rsvp: dict):
    """/ping, then each target followed by /ping, all against one gunicorn."""
    LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    loads, pings = {}, []
    with bt.Server(env, LOG_PATH) as server:
        tool = "wrk" if bt.wrk_available() and not args.python_loader else "python threads"
        print(f"gunicorn on {bt.HOST}:{server.port} (log: {LOG_PATH}); load: {tool}", flush=True)
        loads["ping_python"] = ping_python(server, args)
        pings.append(measure(server, "/ping", None, args, args.ping_duration))
        for target in prepared["targets"]:
            if target.get("unavailable"):
                print(f"  skipping {target['name']}: {target['unavailable']}", flush=True)
                continue
            print(f"  measuring {target['name']} {target['path']} ...", flush=True)
            cookie = page_cookie(prepared, target)
            loads[target["name"]] = measure(server, target["path"], cookie, args)
            loads[target["name"]].pings = (len(pings) - 1, len(pings))
            pings.append(measure(server, "/ping", None, args, args.ping_duration))
        print("  measuring rsvp POST /rsvp/<token>/ ...", flush=True)
        since = time.time()
        loads["rsvp"] = bo.measure_rsvp(server, rsvp, args, env["DATABASE_URL"])
        loads["rsvp"].pings = (len(pings) - 1, len(pings))
        pings.append(measure(server, "/ping", None, args, args.ping_duration))
    loads["rsvp_rows"] = bo.check_rows(env["DATABASE_URL"], rsvp, since)
    return loads, pings


def baseline_of(load: bt.LoadResult, pings: list[bt.LoadResult]) -> dict:
    """The mean of the /ping just before and just after a target; noisy if they differ."""
    before, after = (pings[i].requests_per_s for i in load.pings)
    return {
        "ping_before_requests_per_s": round(before, 1),
        "ping_after_requests_per_s": round(after, 1),
        "baseline_requests_per_s": round((before + after) / 2, 1),
        "noisy": abs(after - before) > NOISE_LIMIT * max(before, after, 1e-9),
    }


def evaluate(target: dict, tiny: dict, load: bt.LoadResult | None, pings, sizes: dict):
    name, goal = target["name"], TARGETS[target["name"]]
    failures, base = [], {"baseline_requests_per_s": 0.0, "noisy": False}
    if load is None:
        failures.append(f"not measured: {target.get('unavailable') or tiny.get('unavailable')}")
        ratio = 0.0
    else:
        base = baseline_of(load, pings)
        ratio = load.requests_per_s / base["baseline_requests_per_s"]
        if ratio < goal["min_ratio"]:
            failures.append(f"ratio {ratio:.4f} < {goal['min_ratio']:.4f}")
        if load.errors:
            failures.append(f"{load.errors} requests failed: {dict(load.statuses)}")
    if target.get("queries") != tiny.get("queries"):
        failures.append(f"{target.get('queries')} queries at scale, {tiny.get('queries')} at tiny")
    if goal["max_queries"] is not None and (target.get("queries") or 0) > goal["max_queries"]:
        failures.append(f"{target['queries']} queries > {goal['max_queries']}")
    return {
        "name": name,
        "issue_target": name in ISSUE_TARGETS,
        "path": target["path"],
        "user": target["user"],
        "tool": load.tool if load else None,
        "dataset_sizes": sizes,
        "requests": load.requests if load else 0,
        "errors": load.errors if load else 0,
        "requests_per_s": round(load.requests_per_s, 2) if load else 0.0,
        "p50_ms": _number(load.p(50), 2) if load else None,
        "p95_ms": _number(load.p(95), 2) if load else None,
        "worker_cpu_ms_per_request": _number(load.cpu_ms_per_request, 2) if load else None,
        "queries": target.get("queries"),
        "queries_tiny": tiny.get("queries"),
        **base,
        "ratio": round(ratio, 5),
        # The query count must equal the tiny data set's: constant, not growing with rows.
        "target": {
            "min_ratio": round(goal["min_ratio"], 5),
            "max_queries": goal["max_queries"],
            "queries": tiny.get("queries"),
        },
        "passed": not failures,
        "failures": failures,
    }


def _number(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(value, digits)  # JSON has no NaN


def _cell(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(meta: dict, results: list[dict]) -> None:
    sizes = ", ".join(f"{n:,} {key}" for key, n in meta["dataset_sizes"].items())
    print(f"\nScale {meta['scale']}: {sizes}")
    b = meta["baselines"]
    print(
        f"Baselines: /ping {b['ping_first_requests_per_s']:,.0f} req/s first, "
        f"{b['ping_last_requests_per_s']:,.0f} last ({b['ping_tool']}; "
        f"{b['ping_python_requests_per_s']:,.0f} from Python threads), "
        f"{b['ping_worker_cpu_ms_per_request'] or float('nan'):.2f} cpu ms; "
        f"PostgreSQL SELECT 1 p50 {b['db_round_trip_p50_ms']:.3f} ms"
    )
    header = f"{'target':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7}"
    header += f" {'queries':>7} {'tiny':>5} {'ping':>6}"
    print(f"{header} {'ratio':>8} {'target':>9}  result")
    for r in results:
        row = f"{r['name']:<18} {r['requests_per_s']:>8.1f} {_cell(r['p50_ms'], '8.1f'):>8}"
        row += f" {_cell(r['p95_ms'], '8.1f'):>8}"
        row += f" {_cell(r['worker_cpu_ms_per_request'], '7.1f'):>7}"
        row += f" {r['queries'] or '-':>7} {r['queries_tiny'] or '-':>5}"
        noisy = "~" if r["noisy"] else ""
        row += f" {r['baseline_requests_per_s']:>5.0f}{noisy:1} {r['ratio']:>8.4f}"
        result = "pass" if r["passed"] else "FAIL: " + "; ".join(r["failures"])
        print(f"{row} {'>= ' + format(r['target']['min_ratio'], '.4f'):>9}  {result}")
    load = meta["load"]
    print(
        f"(load: {load['tool']}; 1 sync worker; {load['duration_s']:g} s a measurement; ping: the"
        " mean of /ping just before and after the target, ~ = they differ by more than"
        f" {NOISE_LIMIT:.0%} (noisy); cpu ms: the worker's CPU time per request, steadier than"
        " wall time on a busy machine)"
    )


def report_query_growth(main_targets: list[dict], tiny_targets: dict) -> None:
    """Show the SQL of a page whose query count changed with the data, to find the N+1."""
    for target in main_targets:
        tiny = tiny_targets[target["name"]]
        if target.get("queries") != tiny.get("queries") and target.get("sql"):
            print(
                f"\n{target['name']}: {tiny.get('queries')} queries at tiny, {target['queries']}:"
            )
            for sql in target["sql"][:30]:
                print(f"  {sql[:150]}")


def run_report(env: dict[str, str], scale: str) -> dict | None:
    try:
        from config import bench_report
    except ImportError as exc:
        print(f"report benchmark skipped: config/bench_report.py missing ({exc})", flush=True)
        return None
    return bench_report.run_report(env, scale)


def run(args) -> int:
    started = time.perf_counter()
    main_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    tiny_url = bt.sibling_database(main_url, "_tiny")
    env = production_env(main_url)
    for url in (main_url, tiny_url):
        bt.ensure_database(url)
    # Static files first: pages render {% static %} from the manifest, and on a fresh clone
    # the tiny database's page counts would otherwise meet a missing manifest (500s).
    tiny = prepare({**env, "DATABASE_URL": tiny_url}, "tiny", collectstatic=True)
    main = prepare(env, args.scale)
    rsvp_tiny = bo.prepare_rsvp({**env, "DATABASE_URL": tiny_url})
    rsvp_main = bo.prepare_rsvp(env)
    bt.wait_for_autovacuum(main_url)
    round_trip = bt.db_round_trip_ms(main_url)
    loads, pings = run_server(env, main, args, rsvp_main)
    # After gunicorn has stopped: the sweep's writes would share the CPU with the pages.
    sweep = bo.sweep_result(bo.run_sweep(env, args.scale), main["sizes"])
    distribution = bb.run_distribution(env, args.scale)
    report = run_report(env, args.scale)

    tiny_targets = {t["name"]: t for t in tiny["targets"]}
    results = [
        evaluate(t, tiny_targets[t["name"]], loads.get(t["name"]), pings, main["sizes"])
        for t in main["targets"]
    ]
    rsvp = loads["rsvp"]
    results.append(
        bo.rsvp_result(
            rsvp_main,
            rsvp_tiny,
            rsvp,
            baseline_of(rsvp, pings),
            main["sizes"],
            loads["rsvp_rows"],
        )
    )
    first, last, python = pings[0], pings[-1], loads["ping_python"]
    ping_rates = [p.requests_per_s for p in pings]
    meta = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "dataset_sizes": main["sizes"],
        "tiny_dataset_sizes": tiny["sizes"],
        "seeded_this_run": main["seeded"],
        "seed_seconds": round(main["seed_seconds"], 1),
        "noisy": any(r.get("noisy") for r in results),
        "noisy_targets": [r["name"] for r in results if r.get("noisy")],
        "baselines": {
            "ping_tool": first.tool,
            "ping_requests_per_s": [round(rate, 1) for rate in ping_rates],
            "ping_first_requests_per_s": round(first.requests_per_s, 1),
            "ping_last_requests_per_s": round(last.requests_per_s, 1),
            "ping_p50_ms": _number(first.p(50), 3),
            "ping_p95_ms": _number(first.p(95), 3),
            "ping_worker_cpu_ms_per_request": _number(first.cpu_ms_per_request, 3),
            "ping_python_requests_per_s": round(python.requests_per_s, 1),
            "ping_python_p50_ms": _number(python.p(50), 3),
            "ping_python_worker_cpu_ms_per_request": _number(python.cpu_ms_per_request, 3),
            "db_round_trip_p50_ms": round(round_trip, 4),
            "celery_noop_tasks_per_s": distribution.get("celery_noop_tasks_per_s"),
            "smtp_plain_loop_mails_per_s": distribution.get("baseline_items_per_s"),
        },
        "server": "gunicorn config.wsgi --workers 1 --worker-class sync (DEBUG=0, CONN_MAX_AGE 60)",
        "load": {
            "tool": first.tool,
            "connections": bt.WRK_CONNECTIONS if first.tool == "wrk" else args.concurrency,
            "duration_s": args.duration,
        },
    }
    results += [sweep, distribution] + ([report] if report else [])
    meta["passed"] = all(r["passed"] for r in results)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    print_table(meta, results[: len(main["targets"]) + 1])
    bo.print_sweep(sweep)
    bb.print_distribution(distribution)
    if report:
        from config import bench_report

        bench_report.print_report(report)
    report_query_growth(main["targets"], tiny_targets)
    RESULTS_PATH.write_text(json.dumps({"meta": meta, "benchmarks": results}, indent=2) + "\n")
    verdict = "all targets met" if meta["passed"] else "some targets FAILED"
    print(f"\nWrote {RESULTS_PATH.name} in {meta['seconds']:.0f} s: {verdict}")
    return 0 if meta["passed"] else 1


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through Server.__exit__, which stops gunicorn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.bench", description=__doc__)
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads (Python loader)")
    parser.add_argument(
        "--python-loader", action="store_true", help="load from Python threads even with wrk"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--max-requests", type=int, default=2000, help="per measurement")
    parser.add_argument(
        "--ping-duration", type=float, default=3.0, help="seconds per /ping measurement"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return run(args)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"bench could not run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # gunicorn is already stopped: Server.__exit__ ran
        print("bench interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
