"""`make run`: the web server, a Celery worker and Celery beat, started and stopped together.

Ctrl-C (or SIGTERM) stops all three; if one dies, the others are stopped too, so a
half-running demo never hides a failure.
"""

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    port = os.environ.get("PORT", "8000")
    # Links in mail (RSVP, calendars) point at this running demo.
    os.environ.setdefault("PORTAL_BASE_URL", f"http://127.0.0.1:{port}")
    python = sys.executable
    debug = os.environ.get("DEBUG", "1")
    web = (
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        if debug not in {"0", "false", "no", "off"}
        else [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    )
    commands = {
        "web": web,
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
    password = os.environ.get("DEMO_PASSWORD") or "prevention-demo-2026"
    print(f"\nThe prevention portal is at http://127.0.0.1:{port}/", flush=True)
    print(f"Demo accounts (password: {password}):", flush=True)
    for account in _demo_accounts():
        print(f"  {account}", flush=True)
    print("Ctrl-C stops the web server, the worker and beat.\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping the rest.", flush=True)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


def _demo_accounts() -> list[str]:
    # The seed's own list, so the banner never names an account that does not exist.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from stakeholders.demo.cities import demo_account_emails

    return demo_account_emails()


if __name__ == "__main__":
    sys.exit(main())
