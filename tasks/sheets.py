"""Sheet I/O tasks: transient failures (quota, 5xx, timeouts) retry with backoff, others never."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.adapters.sheets import Source, SourceError
from suivi.jobs.pipeline import Assessment, write_back
from suivi.model import RawTabs
from suivi.settings import Project
from tasks.retries import BASE_SECONDS, backoff

# The Google adapter already retries a failed call a few times within seconds; these task
# retries wait longer (10, 20, 40 s by default) to ride out a quota minute or a short outage.
SHEET_RETRIES = 3
SHEET_RETRY_DELAYS = backoff(SHEET_RETRIES, BASE_SECONDS)


def only_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry quota, server and network errors; never a 403, a 404 or a bad sheet."""
    try:
        state.result()
    except SourceError as error:
        return error.transient
    except (ConnectionError, TimeoutError):
        return True
    except Exception:
        return False
    return False


@task(
    name="read-sheet",
    task_run_name="read-sheet-{project.code}",
    retries=SHEET_RETRIES,
    retry_delay_seconds=SHEET_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=only_transient,
    cache_policy=NO_CACHE,
)
def read_sheet(source: Source, project: Project) -> RawTabs:
    """Every tab of the project's spreadsheet."""
    return source.read_tabs()


@task(
    name="write-back",
    task_run_name="write-back-{assessment.project.code}",
    retries=SHEET_RETRIES,
    retry_delay_seconds=SHEET_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=only_transient,
    cache_policy=NO_CACHE,
)
def write_sheet(source: Source, assessment: Assessment, as_of: dt.date) -> None:
    """Rewrite `Suivi automatique` and `Contrôles` in the project's spreadsheet."""
    write_back(source, assessment, as_of)
