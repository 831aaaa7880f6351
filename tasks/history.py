"""History store tasks: what the last run saw, and this run's snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.adapters.store import CHANGE_COLUMNS, Snapshot, Store
from suivi.jobs.pipeline import PACE_WINDOW_DAYS, Assessment
from tasks.retries import BASE_SECONDS, backoff

STORE_RETRIES = 2


def only_database_outage(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry a lost connection or a locked SQLite file; never a constraint or a bad value."""
    try:
        state.result()
    except sa.exc.OperationalError:  # disconnects, timeouts, "database is locked"
        return True
    except sa.exc.DBAPIError as error:
        return bool(error.connection_invalidated)
    except Exception:
        return False
    return False


@task(name="load-history", task_run_name="load-history-{project}", cache_policy=NO_CACHE)
def load_history(
    store: Store, project: str, as_of: dt.date, before_run: int | None
) -> tuple[Snapshot | None, pd.DataFrame]:
    """The project's last good snapshot and its recent progress history."""
    previous = store.last_snapshot(project, before_run=before_run, columns=CHANGE_COLUMNS)
    history = store.progress_history(project, since=as_of - dt.timedelta(days=PACE_WINDOW_DAYS))
    return previous, history


@task(
    name="save-snapshot",
    task_run_name="save-snapshot-{assessment.project.code}",
    retries=STORE_RETRIES,
    retry_delay_seconds=backoff(STORE_RETRIES, BASE_SECONDS / 2),  # 5 s, then 10 s
    retry_jitter_factor=0.5,
    retry_condition_fn=only_database_outage,
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
