"""Celery tasks for landscape briefings: publishing scheduled ones, and distributing them.

Thin wrappers over briefings.services and briefings.distribution; the retry and give-up
rules are the generic ledger's (outbox/worker.py), shared with convening mail.
"""

from celery import Task, shared_task

from briefings import distribution
from briefings.request_tasks import notify_request_events  # noqa: F401  (registers it)
from briefings.services import briefings_publish_due
from outbox import TransientSendError
from outbox import worker as ledger_worker


@shared_task
def publish_due_briefings() -> int:
    return briefings_publish_due()


@shared_task(bind=True, ignore_result=True)
def sweep_briefing_deliveries(self) -> int:
    """Beat, every minute, and after each publish: claim queued deliveries, fan out chunks."""
    queue = ledger_worker.queue_of(self)

    def enqueue(ids: list[int]) -> None:
        send_briefing_deliveries.apply_async(kwargs={"delivery_ids": ids}, queue=queue)

    return distribution.deliveries_sweep(enqueue=enqueue)


@shared_task(ignore_result=True)
def report_stuck_briefing_deliveries() -> int:
    """Beat, every few minutes: rows a killed worker left mid-send are reported, not re-sent."""
    return len(distribution.deliveries_report_stuck())


class _SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Out of retries, or a permanent error: the author sees FAILED with the reason
        # instead of rows that stay sending until the stuck check finds them.
        ids = kwargs.get("delivery_ids") or (args[0] if args else [])
        distribution.deliveries_fail(
            delivery_ids=ids, reason=ledger_worker.give_up_reason(self, exc)
        )


@shared_task(bind=True, base=_SendTask, ignore_result=True, max_retries=ledger_worker.MAX_RETRIES)
def send_briefing_deliveries(self, delivery_ids: list[int], handed: dict | None = None) -> int:
    """Send one chunk of claimed deliveries; retry with backoff when SMTP says "later"."""
    try:
        return distribution.deliveries_send(delivery_ids=delivery_ids, handed=handed)
    except TransientSendError as error:
        raise ledger_worker.retry_later(
            self, error, kwargs={"delivery_ids": delivery_ids}, noun="Briefing mail"
        ) from error
