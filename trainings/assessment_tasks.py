"""Celery tasks for self-assessment mail: thin wrappers over trainings.assessment_outbound
and trainings.assessment_mail.

No task waits for a send time: the beat sweep finds due rows every minute and each send task
takes ids of rows already claimed. The retry and give-up rules are the generic ledger's
(outbox/worker.py), shared with convening mail and briefing deliveries.
"""

from celery import Task, shared_task

from outbox import TransientSendError
from outbox import worker as ledger_worker
from trainings import assessment_mail, assessment_outbound


@shared_task(bind=True, ignore_result=True)
def sweep_assessment_requests(self) -> int:
    """Beat, every minute (and after invitations): claim due rows, fan out chunks."""
    queue = ledger_worker.queue_of(self)

    def enqueue(ids: list[int]) -> None:
        send_assessment_requests.apply_async(kwargs={"request_ids": ids}, queue=queue)

    return assessment_outbound.assessments_sweep(enqueue=enqueue)


@shared_task(ignore_result=True)
def report_stuck_assessment_requests() -> int:
    """Beat, every few minutes: rows a killed worker left mid-send are reported, not re-sent."""
    return len(assessment_outbound.assessments_report_stuck())


class _SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Out of retries, or a permanent error: the rows show FAILED with the reason instead
        # of staying sending until the stuck check finds them.
        assessment_mail.assessments_fail(
            request_ids=kwargs.get("request_ids", []),
            reason=ledger_worker.give_up_reason(self, exc),
        )


@shared_task(bind=True, base=_SendTask, ignore_result=True, max_retries=ledger_worker.MAX_RETRIES)
def send_assessment_requests(self, *, request_ids: list[int], handed: dict | None = None) -> int:
    """Send one chunk of claimed rows; retry the chunk with backoff when SMTP says "later"."""
    try:
        return assessment_mail.assessments_send(request_ids=request_ids, handed=handed)
    except TransientSendError as error:
        raise ledger_worker.retry_later(
            self, error, kwargs={"request_ids": request_ids}, noun="Self-assessment mail"
        ) from error
