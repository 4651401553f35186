"""Celery tasks of the stakeholders app."""

import logging

from celery import shared_task

from stakeholders.roles import sync_coordinator_flags

logger = logging.getLogger(__name__)


@shared_task
def resync_coordinator_flags() -> int:
    """Nightly: every account's is_city_coordinator against the permission rows. The signals
    keep it in step; this catches a bulk write that skipped them (the flag decides whether
    two-factor sign-in is required)."""
    changed = sync_coordinator_flags()
    if changed:
        logger.warning("coordinator flag was out of step for %d account(s); corrected", changed)
    return changed
