"""History store tasks: what the last run saw, and this run's snapshot."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.adapters.store import Snapshot, Store
from suivi.pipeline import PACE_WINDOW_DAYS, Assessment


@task(name="load-history", task_run_name="load-history-{project}", cache_policy=NO_CACHE)
def load_history(
    store: Store, project: str, as_of: dt.date, before_run: int | None
) -> tuple[Snapshot | None, pd.DataFrame]:
    """The project's last good snapshot and its recent progress history."""
    previous = store.last_snapshot(project, before_run=before_run)
    history = store.progress_history(project, since=as_of - dt.timedelta(days=PACE_WINDOW_DAYS))
    return previous, history


@task(
    name="save-snapshot",
    task_run_name="save-snapshot-{assessment.project.code}",
    retries=2,
    retry_delay_seconds=5,
    cache_policy=NO_CACHE,
)
def save_snapshot(store: Store, run_id: int, assessment: Assessment, as_of: dt.date) -> None:
    """Save tracking, indicators and problems of this run (one transaction, batched)."""
    store.save_snapshot(
        run_id,
        assessment.project.code,
        as_of,
        assessment.tracking,
        assessment.indicators,
        assessment.problems,
    )
