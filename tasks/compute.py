"""Pure steps as tasks: named on the run page, never retried (the same input fails the same way)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.jobs.pipeline import Assessment, assess_project
from suivi.model import RawTabs
from suivi.settings import Config, Project


@task(name="assess", task_run_name="assess-{project.code}", cache_policy=NO_CACHE)
def assess(
    project: Project,
    config: Config,
    tabs: RawTabs,
    as_of: dt.date,
    history: pd.DataFrame | None = None,
) -> Assessment:
    """Clean the tabs, flag delays and compute indicators."""
    return assess_project(project, config, tabs, as_of, history)
