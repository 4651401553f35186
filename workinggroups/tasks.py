"""Celery tasks for convening mail: thin wrappers over workinggroups.outbound and convening_mail.

No task waits for a send time: the beat sweep finds due rows every minute, and each send
task takes ids of rows already claimed. Retries wait seconds, never hours (a Redis ETA past
the visibility timeout is delivered again and again).
"""

import logging

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from workinggroups import convening_mail, outbound

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
BACKOFF_FACTOR = 1  # 1, 2, 4, 8, 16 s: about half a minute in all, far below STUCK_AFTER
BACKOFF_MAX = 120


def _queue_of(task: Task) -> str | None:
    """The queue this task came from, so its fan-out goes where the same workers listen."""
    delivery = task.request.delivery_info or {}
    return delivery.get("routing_key") or None


@shared_task(bind=True, ignore_result=True)
def sweep_convening_messages(self) -> int:
    """Beat, every minute: claim the due rows and fan them out in chunks."""
    queue = _queue_of(self)

    def enqueue(ids: list[int]) -> None:
        send_convening_messages.apply_async(kwargs={"message_ids": ids}, queue=queue)

    return outbound.messages_sweep(enqueue=enqueue)


@shared_task(ignore_result=True)
def report_stuck_convening_messages() -> int:
    """Beat, every few minutes: rows a killed worker left mid-send are reported, not re-sent."""
    return len(outbound.messages_report_stuck())


class _SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Out of retries (or an unexpected error): the coordinator sees FAILED with the reason
        # instead of rows that stay SENDING until the stuck check finds them.
        reason = f"gave up after {self.request.retries + 1} tries: {exc}"
        convening_mail.messages_fail(message_ids=kwargs.get("message_ids", []), reason=reason)


@shared_task(bind=True, base=_SendTask, ignore_result=True, max_retries=MAX_RETRIES)
def send_convening_messages(self, *, message_ids: list[int], handed: dict | None = None) -> int:
    """Send one chunk of claimed rows; retry the chunk with backoff when SMTP says "later".

    An explicit retry rather than autoretry_for: the retry must carry `handed` (the rows
    whose failed attempt is known), so that a re-delivered copy of an older message can
    tell a known failure from a send that may have gone through.
    """
    try:
        return convening_mail.messages_send(message_ids=message_ids, handed=handed)
    except convening_mail.TransientSendError as error:
        countdown = get_exponential_backoff_interval(
            factor=BACKOFF_FACTOR,
            retries=self.request.retries,
            maximum=BACKOFF_MAX,
            full_jitter=False,
        )
        logger.warning("Convening mail: SMTP said later (%s); retry in %s s", error, countdown)
        raise self.retry(
            exc=error.cause,
            countdown=countdown,
            kwargs={"message_ids": message_ids, "handed": error.handed},
        ) from error


@shared_task(ignore_result=True)
def extend_convening_series() -> int:
    """Beat, daily: add the occurrences that came within each series' horizon."""
    from workinggroups.convening_services import series_extend
    from workinggroups.models import ConveningSeries

    series_ids = list(ConveningSeries.objects.values_list("pk", flat=True))
    for series_id in series_ids:
        series_extend(series_id=series_id)
    return len(series_ids)
