"""Helpers for `make bench` (config/bench.py): databases, the gunicorn server, a small HTTP load
generator, and the `prepare` step that runs inside Django against one database.

Load comes from `wrk` (Debian package wrk; one thread, a few connections, so the other core is
left to the server) when it is installed, else from Python threads (run_load), which cost
more CPU per request on the client side.

`python -m config.benchtools prepare --size small --out FILE` migrates the database in
DATABASE_URL, seeds it with seed_scale unless it already holds that size, makes the bench
accounts and their sessions, counts each page's SQL queries, and writes JSON to FILE. It runs
in its own process so that one bench run can prepare two databases (tiny and the chosen size).
"""

import argparse
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STAFF_EMAIL = "bench-staff@scale.example.org"
COORDINATOR_EMAIL = "bench-coordinator@scale.example.org"
# A throw-away database on loopback; the password only has to be known, not secret.
BENCH_PASSWORD = "bench-only-password-2026"  # noqa: S105
COORDINATED_CITY = "scale-city-0001"


# --- Databases ---------------------------------------------------------------------------------
def sibling_database(url: str, suffix: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(path=f"{parsed.path.rstrip('/')}{suffix}").geturl()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it is missing."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def db_round_trip_ms(url: str, samples: int = 1000) -> float:
    """The median time of `SELECT 1` on an open connection: the floor under any query."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(50):
            conn.execute("SELECT 1").fetchone()
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            times.append(time.perf_counter() - start)
    return percentile(times, 50) * 1000


def wait_for_autovacuum(url: str, timeout: float = 180) -> None:
    """Wait (a bounded time) while autovacuum works on the database: it would share the CPU."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name, deadline = conninfo_to_dict(url)["dbname"], time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'autovacuum worker' AND datname = %s",
                [name],
            ).fetchone()[0]
            if not busy:
                return
            print("  waiting for autovacuum to finish ...", flush=True)
            time.sleep(5)


# --- The server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc; OSError elsewhere
    or once it has exited)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime


class Server:
    """gunicorn with one sync worker on loopback, stopped on exit (also on Ctrl-C or errors)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path, self.port = env, log_path, free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        # One worker: the second core is left to the load generator (and PostgreSQL).
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"]
        command += ["--worker-class", "sync", "--bind", f"{HOST}:{self.port}", "--timeout", "120"]
        self.log = self.log_path.open("w")
        # Its own session, so a Ctrl-C in the terminal reaches only us; we stop it in __exit__.
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if fetch(self.port, "/ping") == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /ping in {timeout} s; see {self.log_path}")

    def worker_cpu_seconds(self) -> float:
        """CPU time the worker has used: unlike wall time, barely moved by other processes
        sharing the machine (Linux /proc; NaN elsewhere)."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return sum(process_cpu_seconds(int(child)) for child in children)
        except OSError:
            return float("nan")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its worker on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group we started, only it
                self.process.wait()
        self.log.close()


# --- Load generation ---------------------------------------------------------------------------
def fetch(port: int, path: str, cookie: str | None = None) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: int = 0
    worker_cpu_seconds: float = float("nan")
    tool: str = "python"
    # wrk keeps its own latency histogram: the count and the percentiles (ms) it reports.
    counted: int | None = None
    percentiles_ms: dict[int, float] | None = None

    @property
    def cpu_ms_per_request(self) -> float:
        return self.worker_cpu_seconds * 1000 / self.requests if self.requests else float("nan")

    @property
    def requests(self) -> int:
        return self.counted if self.counted is not None else len(self.latencies)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def answered(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def errors_besides(self, expected: int) -> int:
        return self.failures + sum(n for status, n in self.statuses.items() if status != expected)

    @property
    def errors(self) -> int:
        return self.errors_besides(200)

    def p(self, pct: int) -> float:
        if self.percentiles_ms is not None:
            return self.percentiles_ms.get(pct, float("nan"))
        return percentile(self.latencies, pct) * 1000


# --- wrk ---------------------------------------------------------------------------------------
WRK_CONNECTIONS = 2
# Counts the statuses (every response, not only wrk's ">= 400" errors) and writes one JSON line.
_WRK_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "statuses": {%s},'
    .. ' "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", "), latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""
_WRK_GET = """
statuses = {}
wrk.method = "GET"
wrk.path = %(path)s
%(headers)s
"""
# POSTs an answer to each invitation in turn; each pass flips every answer, starting from the
# opposite of the answer stored when the run begins (read from the database), so that every
# POST is a change of answer, a real write.
_WRK_RSVP = """
statuses = {}
local paths = {%(paths)s}
local current = {%(current)s}
local token = %(token)s
local sent = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
%(headers)s
function request()
  local i = sent %% #paths + 1
  local answer = (current[i] == "yes") and "no" or "yes"
  current[i] = answer
  sent = sent + 1
  return wrk.format(nil, paths[i], nil, "csrfmiddlewaretoken=" .. token .. "&answer=" .. answer)
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


def _lua_headers(headers: dict[str, str]) -> str:
    return "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items())


def wrk_get_script(path: str, headers: dict[str, str]) -> str:
    return _WRK_GET % {"path": _lua(path), "headers": _lua_headers(headers)} + _WRK_REPORT


def wrk_rsvp_script(paths: list[str], current: list[str], token: str, headers: dict) -> str:
    return (
        _WRK_RSVP
        % {
            "paths": ", ".join(map(_lua, paths)),
            "current": ", ".join(map(_lua, current)),
            "token": _lua(token),
            "headers": _lua_headers(headers),
        }
        + _WRK_REPORT
    )


def run_wrk(
    port: int, script: str, *, duration: float, connections: int = WRK_CONNECTIONS
) -> LoadResult:
    """Run wrk (one thread) with a Lua script from wrk_*_script; parse its JSON line."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = ["wrk", "--threads", "1", "--connections", str(connections)]
        command += ["--duration", f"{max(1, round(duration))}s", "--timeout", "60s"]
        command += ["--script", file.name, f"http://{HOST}:{port}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)  # noqa: S603
    finally:
        os.unlink(file.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        seconds=data["duration_us"] / 1e6,
        statuses=Counter({int(k): v for k, v in data["statuses"].items()}),
        failures=data["socket_errors"],
        tool="wrk",
        counted=data["requests"],
        percentiles_ms={p: data[f"p{p}_us"] / 1000 for p in (50, 95, 99)},
    )


def run_load(
    port: int,
    path: str,
    *,
    cookie: str | None = None,
    concurrency: int = 2,
    duration: float = 5.0,
    max_requests: int = 2000,
) -> LoadResult:
    """GET `path` from `concurrency` threads until `duration` seconds or `max_requests` pass.

    http.client keeps the connection when the server allows it; gunicorn's sync worker closes
    it after each response, so each request also pays a TCP connect, as real clients would.
    Two threads keep the one worker busy while the other parses the last response.
    """
    headers = {"Cookie": cookie} if cookie else {}
    tickets, lock = itertools.count(), threading.Lock()
    deadline = time.perf_counter() + duration
    result = LoadResult(seconds=0.0)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        while time.perf_counter() < deadline and next(tickets) < max_requests:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    result.failures += 1
                continue
            with lock:
                result.latencies.append(time.perf_counter() - start)
                result.statuses[response.status] += 1
        conn.close()

    # Daemon threads: an interrupted bench exits at once instead of waiting out the deadline.
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


# --- The prepare step (inside Django) ------------------------------------------------------------
def prepare(size: str, *, collectstatic: bool) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if collectstatic:  # the manifest storage needs it with DEBUG off
        call_command("collectstatic", interactive=False, verbosity=0)
    seeded, seed_seconds = _seed_if_needed(size)
    targets = _targets(size)
    summary = _refresh_progress_summary()
    _analyze()
    for target in targets:
        target["session"] = new_session(target["user"])
        try:
            target["queries"], target["sql"] = count_queries(target["user"], target["path"])
        except RuntimeError as exc:  # a page not built yet: reported, not measured
            target["unavailable"] = str(exc)
            if target["name"].startswith("dashboard") and summary:
                target["unavailable"] += f" ({summary})"
            print(f"  {target['name']}: {target['unavailable']}", flush=True)
        target["user"] = target["user"].email
    from stakeholders import scale

    return {
        "sizes": scale.count_rows(),
        "seeded": seeded,
        "seed_seconds": seed_seconds,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": _csrf_cookie(),
        "targets": targets,
    }


def _csrf_cookie() -> str:
    """A CSRF cookie, as every signed-in browser holds (the sign-in form set it): with it a
    page only masks the token for its forms; without it each request would be a browser's
    first visit, making and setting a new secret."""
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    secret = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    return f"{settings.CSRF_COOKIE_NAME}={secret}"


def _analyze() -> None:
    """Fresh planner statistics for what prepare wrote (the big city, the accounts, the
    summaries): production has autovacuum to take them, but a server may run without it
    (these machines' CI PostgreSQL does), and a plan made for the empty table of a bulk
    insert would be measured instead of the page."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  statistics refreshed (ANALYZE) in {time.perf_counter() - start:.1f} s", flush=True)


def _refresh_progress_summary() -> str:
    """Fill the per-city progress summary the dashboard reads (issue #8; Celery keeps it
    fresh in production). Return why it could not be, or ""."""
    try:
        from workinggroups.progress_summary import refresh_all
    except ImportError as exc:
        return f"workinggroups.progress_summary.refresh_all is missing: {exc}"
    start = time.perf_counter()
    cities = refresh_all()
    print(f"  progress summary refreshed: {cities} cities in {time.perf_counter() - start:.1f} s")
    return ""


def _seed_if_needed(size: str) -> tuple[bool, float]:
    from django.core.management import call_command

    from stakeholders import scale

    present = scale.sizes_present()
    if present == scale.SIZES[size]:
        print(f"  {size} data already there: {present}", flush=True)
        return False, 0.0
    start = time.perf_counter()
    call_command("seed_scale", size=size, flush=True, yes=True)
    return True, time.perf_counter() - start


def _targets(size: str) -> list[dict]:
    from config.bench_city import ensure_big_city
    from stakeholders.models import City
    from stakeholders.roles import grant_coordinator

    staff = _account(STAFF_EMAIL, display_name="Bench network staff", is_network_staff=True)
    coordinator = _account(COORDINATOR_EMAIL, display_name="Bench coordinator")
    city = City.objects.get(slug=COORDINATED_CITY)
    grant_coordinator(city=city, user=coordinator)
    group = city.working_groups.order_by("pk").first()
    big = ensure_big_city(size)
    return [
        {"name": "staff_home", "user": staff, "path": "/"},
        {"name": "coordinator_home", "user": coordinator, "path": "/"},
        {"name": "city_page", "user": coordinator, "path": f"/cities/{city.slug}/"},
        {"name": "group_page", "user": coordinator, "path": f"/groups/{group.pk}/"},
        # Issue #6: the roster (directory) of a big city filtered by leg, paginated, and
        # its four-leg balance.
        {
            "name": "roster",
            "user": staff,
            "path": f"/cities/{big.slug}/directory/?leg=law_enforcement",
        },
        {"name": "city_balance", "user": staff, "path": f"/groups/cities/{big.slug}/balance/"},
        # Issue #7: training coverage of every city (fifty a page), from the scale data.
        {"name": "training_coverage", "user": staff, "path": "/trainings/coverage/"},
        # Issue #8: the cross-pilot dashboard, fifty cities a page and every city at once.
        {"name": "dashboard", "user": staff, "path": "/progress/"},
        {"name": "dashboard_all", "user": staff, "path": "/progress/all/"},
    ]


def _account(email: str, **flags):
    """A signed-in-able account: known password, verified primary address (allauth)."""
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    from stakeholders.models import User

    user = User.objects.filter(email=email).first() or User(email=email)
    for name, value in flags.items():
        setattr(user, name, value)
    user.set_password(BENCH_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    _enrol_in_two_factor(user)
    # Sessions of earlier runs are useless (each run has a new SECRET_KEY): drop them.
    old = UserSession.objects.filter(user=user)
    Session.objects.filter(session_key__in=old.values("session_key")).delete()
    old.delete()
    return user


def _enrol_in_two_factor(user) -> None:
    """Managers must have an authenticator (REQUIRE_MFA) before any page: give the bench
    accounts one, as real staff and coordinators have, rather than switching the rule off."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


def new_session(user) -> str:
    """A session signed in as `user`, stored the way django.contrib.auth.login stores it.

    Signing in through allauth's form would need a CSRF round trip and a TOTP code per client
    and meets its login rate limits; once signed in, a real session holds the same keys. Every
    request still goes through the session, authentication and MFA middleware, which is what
    is being measured; the warm-up requests settle what they store on a first visit.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()  # the sessions of earlier runs, once they time out
    store = engine.SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "stakeholders.auth_backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def count_queries(user, path: str) -> tuple[int, list[str]]:
    """The SQL queries one request makes once the worker is warm (the second request)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # ALLOWED_HOSTS is 127.0.0.1 only, as for gunicorn; an error is a status, not a crash.
    client = Client(SERVER_NAME=HOST, raise_request_exception=False)
    client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} to {user.email}")
    return len(captured), [query["sql"] for query in captured.captured_queries]


def _main() -> int:
    parser = argparse.ArgumentParser(prog="python -m config.benchtools")
    commands = parser.add_subparsers(dest="command", required=True)
    step = commands.add_parser("prepare")
    step.add_argument("--size", required=True)
    step.add_argument("--out", required=True, type=Path)
    step.add_argument("--collectstatic", action="store_true")
    args = parser.parse_args()
    result = prepare(args.size, collectstatic=args.collectstatic)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
