"""Sheet I/O tasks: transient failures (quota, 5xx, timeouts) retry with backoff, others never."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from suivi.adapters.sheets import Source, SourceError
from suivi.model import RawTabs
from suivi.pipeline import Assessment, write_back
from suivi.settings import Project


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
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
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
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=only_transient,
    cache_policy=NO_CACHE,
)
def write_sheet(source: Source, assessment: Assessment, as_of: dt.date) -> None:
    """Rewrite `Suivi automatique` and `Contrôles` in the project's spreadsheet."""
    write_back(source, assessment, as_of)
