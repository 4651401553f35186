"""Celery tasks that keep the dashboard's summaries (CityProgress) fresh: thin wrappers over
workinggroups.progress_summary.

- every five minutes, the stale (and missing) summaries, in batches of about 200 cities,
  for at most SWEEP_SECONDS, then one batch of the oldest rows;
- nightly, every summary (figures that depend on the date: the quarter, the fiscal year,
  "no convening in 90 days").

Both are safe to run at the same time as each other or twice: a claim takes each stale row
once, and a refresh is an upsert of figures read from the records.
"""

from celery import shared_task

from workinggroups import progress_summary


@shared_task(ignore_result=True)
def refresh_stale_progress() -> int:
    """Beat, every five minutes: refresh the summaries marked stale since the last sweep."""
    return progress_summary.refresh_stale()


@shared_task(ignore_result=True)
def refresh_all_progress() -> int:
    """Beat, nightly: refresh every city's summary."""
    return progress_summary.refresh_all()


@shared_task(ignore_result=True)
def refresh_cities_progress(city_ids: list[int]) -> int:
    """Refresh the given cities' summaries now (a batch of ids)."""
    return progress_summary.refresh_cities(city_ids)
