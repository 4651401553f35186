"""Celery tasks for convening mail: thin wrappers over workinggroups.outbound and convening_mail.

No task waits for a send time: the beat sweep finds due rows every minute, and each send
task takes ids of rows already claimed. Retries wait seconds, never hours (a Redis ETA past
the visibility timeout is delivered again and again). The retry and give-up rules are the
generic ledger's (outbox/worker.py), shared with briefing deliveries.
"""

import logging

from celery import Task, shared_task

from outbox import worker as ledger_worker
from workinggroups import convening_mail, outbound
from workinggroups.progress_tasks import (  # noqa: F401  (registers them with the worker)
    refresh_all_progress,
    refresh_cities_progress,
    refresh_stale_progress,
)
from workinggroups.report_tasks import (  # noqa: F401  (registers them with the worker)
    build_progress_report,
    requeue_stuck_progress_reports,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = ledger_worker.MAX_RETRIES
BACKOFF_FACTOR = ledger_worker.BACKOFF_FACTOR
BACKOFF_MAX = ledger_worker.BACKOFF_MAX


@shared_task(bind=True, ignore_result=True)
def sweep_convening_messages(self) -> int:
    """Beat, every minute: claim the due rows and fan them out in chunks."""
    queue = ledger_worker.queue_of(self)

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
        convening_mail.messages_fail(
            message_ids=kwargs.get("message_ids", []),
            reason=ledger_worker.give_up_reason(self, exc),
        )


@shared_task(bind=True, base=_SendTask, ignore_result=True, max_retries=MAX_RETRIES)
def send_convening_messages(self, *, message_ids: list[int], handed: dict | None = None) -> int:
    """Send one chunk of claimed rows; retry the chunk with backoff when SMTP says "later"."""
    try:
        return convening_mail.messages_send(message_ids=message_ids, handed=handed)
    except convening_mail.TransientSendError as error:
        raise ledger_worker.retry_later(
            self, error, kwargs={"message_ids": message_ids}, noun="Convening mail"
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
