"""Celery task for briefing request notices: a thin wrapper over briefings.request_notices.

Run by the beat every minute, and kicked after each step's commit so the requester hears
at once. The event rows are the promise; the task only keeps it, so a run that never
happens (broker down) delays a notice, never loses it.
"""

from celery import shared_task

from briefings import request_notices


@shared_task(ignore_result=True)
def notify_request_events() -> int:
    """Claim the un-notified request events, mail the people to tell, mark each row."""
    return request_notices.events_notify()
