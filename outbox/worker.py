"""The Celery side of an outbound ledger: fan-out queue, retry with backoff, give-up reason.

No task waits for a send time: a beat sweep finds due rows every minute and each send task
takes ids of rows already claimed. Retries wait seconds, never hours (a Redis ETA past the
visibility timeout is delivered again and again).
"""

import logging

from celery import Task
from celery.utils.time import get_exponential_backoff_interval

from outbox.sending import TransientSendError

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
BACKOFF_FACTOR = 1  # 1, 2, 4, 8, 16 s: about half a minute in all, far below STUCK_AFTER
BACKOFF_MAX = 120


def queue_of(task: Task) -> str | None:
    """The queue this task came from, so its fan-out goes where the same workers listen."""
    delivery = task.request.delivery_info or {}
    return delivery.get("routing_key") or None


def retry_later(task: Task, error: TransientSendError, *, kwargs: dict, noun: str):
    """Retry the send task with backoff, carrying the `handed` map of the failed try.

    An explicit retry rather than autoretry_for: the retry must carry `handed` (the rows
    whose failed attempt is known), so that a re-delivered copy of an older message can
    tell a known failure from a send that may have gone through. Raises celery's Retry (or,
    out of retries, the SMTP error: the task fails and its on_failure records why).
    """
    countdown = get_exponential_backoff_interval(
        factor=BACKOFF_FACTOR,
        retries=task.request.retries,
        maximum=BACKOFF_MAX,
        full_jitter=False,
    )
    logger.warning("%s: SMTP said later (%s); retry in %s s", noun, error, countdown)
    return task.retry(
        exc=error.cause, countdown=countdown, kwargs={**kwargs, "handed": error.handed}
    )


def give_up_reason(task: Task, exc: BaseException) -> str:
    """What a send task that ran out of retries (or broke) records on its rows."""
    return f"gave up after {task.request.retries + 1} tries: {exc}"
