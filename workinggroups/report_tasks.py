"""Celery tasks for the funder's reports: thin wrappers over workinggroups.report_services.

The build takes the report's id only; the claim inside makes a second delivery of the same
message (acks_late, a visibility timeout, the beat's resend) a no-op.
"""

from celery import shared_task

from workinggroups import report_services


@shared_task(ignore_result=True)
def build_progress_report(*, report_id: int) -> str:
    """Build one report's CSV and PDF (or do nothing if it is not queued)."""
    return report_services.report_build(report_id=report_id)


@shared_task(ignore_result=True)
def requeue_stuck_progress_reports() -> dict:
    """Beat, every five minutes: restart reports whose worker stopped; resend lost ones."""
    sweep = report_services.reports_requeue_stuck()
    return {"requeued": sweep.requeued, "failed": sweep.failed, "resent": sweep.resent}
