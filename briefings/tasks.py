from celery import shared_task

from briefings.services import briefings_publish_due


@shared_task
def publish_due_briefings() -> int:
    return briefings_publish_due()
