"""Pure steps as tasks: named on the run page, never retried (the same input fails the same way)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from suivi.jobs.pipeline import Assessment, assess_tables, clean_sheet
from suivi.model import ProjectTables, RawTabs
from suivi.settings import Config, Project


@task(name="clean", task_run_name="clean-{project.code}", cache_policy=NO_CACHE)
def clean(project: Project, config: Config, tabs: RawTabs) -> tuple[Project, ProjectTables]:
    """The typed tables and their problems; the project without its outside addresses."""
    return clean_sheet(project, config, tabs)


@task(name="assess", task_run_name="assess-{project.code}", cache_policy=NO_CACHE)
def assess(
    project: Project,
    config: Config,
    tables: ProjectTables,
    as_of: dt.date,
    history: pd.DataFrame | None = None,
) -> Assessment:
    """Flag delays and compute indicators."""
    return assess_tables(project, config, tables, as_of, history)
