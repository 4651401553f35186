"""A no-op Celery task for `make bench`: the task-rate baseline (config/bench_briefing.py).

Only the bench's own worker imports it (`celery worker --include config.bench_noop`); the last
task of a run marks its end in Redis, the only work any of them does.
"""

from config.celery import app

DONE_KEY = "bench:noop:done"


@app.task(name="bench.noop")
def noop(last: bool = False) -> None:
    if last:
        import redis
        from django.conf import settings

        redis.Redis.from_url(settings.REDIS_URL).set(DONE_KEY, "1")
