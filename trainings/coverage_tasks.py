"""Celery tasks for training coverage nudges: plan them weekly, then send them.

Thin wrappers over trainings.nudges; the sweep, send, retry and give-up rules are the generic
ledger's (outbox/), the same as briefing deliveries' (briefings/tasks.py).
"""

from celery import Task, shared_task
from django.db import transaction

from outbox import TransientSendError
from outbox import worker as ledger_worker
from trainings import nudges


@shared_task(bind=True, ignore_result=True)
def plan_coverage_nudges(self) -> int:
    """Beat, weekly: a nudge row for each lagging leg of each city (once per ISO week),
    then a sweep at once rather than at the next beat."""
    queue = ledger_worker.queue_of(self)
    planned = nudges.nudges_plan()
    transaction.on_commit(lambda: sweep_coverage_nudges.apply_async(queue=queue))
    return planned


@shared_task(bind=True, ignore_result=True)
def sweep_coverage_nudges(self) -> int:
    """Beat, every few minutes, and after planning: claim pending nudges, fan out chunks."""
    queue = ledger_worker.queue_of(self)

    def enqueue(ids: list[int]) -> None:
        send_coverage_nudges.apply_async(kwargs={"nudge_ids": ids}, queue=queue)

    return nudges.nudges_sweep(enqueue=enqueue)


@shared_task(ignore_result=True)
def report_stuck_coverage_nudges() -> int:
    """Beat, every few minutes: rows a killed worker left mid-send are reported, not re-sent."""
    return len(nudges.nudges_report_stuck())


class _SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Out of retries, or a permanent error: the row shows FAILED with the reason instead
        # of staying sending until the stuck check finds it.
        ids = kwargs.get("nudge_ids") or (args[0] if args else [])
        nudges.nudges_fail(nudge_ids=ids, reason=ledger_worker.give_up_reason(self, exc))


@shared_task(bind=True, base=_SendTask, ignore_result=True, max_retries=ledger_worker.MAX_RETRIES)
def send_coverage_nudges(self, nudge_ids: list[int], handed: dict | None = None) -> int:
    """Send one chunk of claimed nudges; retry with backoff when SMTP says "later"."""
    try:
        return nudges.nudges_send(nudge_ids=nudge_ids, handed=handed)
    except TransientSendError as error:
        raise ledger_worker.retry_later(
            self, error, kwargs={"nudge_ids": nudge_ids}, noun="Training nudge"
        ) from error
