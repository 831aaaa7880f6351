"""What both flows do first: gather every project, compute, apply; one broken project never stops the others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from prefect import get_run_logger

from suivi.adapters.sheets import open_source
from suivi.adapters.store import Store
from suivi.delivery import Delivery
from suivi.messages import ProjectView
from suivi.pipeline import project_view
from suivi.settings import Config, Env, Project
from tasks.compute import assess
from tasks.history import load_history, save_snapshot
from tasks.sheets import read_sheet, write_sheet


class ProjectsFailed(RuntimeError):
    """Some projects could not be followed this run; the others were."""

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


@dataclass
class Gathered:
    """Every project followed this run, and the ones that failed with why."""

    views: list[ProjectView] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def follow_project(
    project: Project, config: Config, env: Env, store: Store, run_id: int | None, as_of: dt.date
) -> ProjectView:
    """Read → clean, flag, measure → compare with the last run → save and write back."""
    source = open_source(project, config, env)
    tabs = read_sheet(source, project)
    previous, history = load_history(store, project.code, as_of, run_id)
    assessment = assess(project, config, tabs, as_of, history)
    if run_id is not None:  # a dry run records and writes nothing
        save_snapshot(store, run_id, assessment, as_of)
        if project.write_back is not False:
            write_sheet(source, assessment, as_of)
    return project_view(assessment, previous, config)


def follow_projects(
    config: Config, env: Env, store: Store, run_id: int | None, as_of: dt.date
) -> Gathered:
    """Follow each project in turn; a failure is logged and recorded, and the next goes on."""
    logger = get_run_logger()
    gathered = Gathered()
    for project in config.projects:
        try:
            view = follow_project(project, config, env, store, run_id, as_of)
        except Exception as error:  # isolation: one project's failure must not stop the others
            gathered.failures[project.code] = f"{type(error).__name__}: {error}"
            logger.error("project %s skipped: %s", project.code, error)
            continue
        gathered.views.append(view)
        logger.info(
            "project %s: %d activities and deliverables, %d indicators, %d problems",
            project.code,
            len(view.tracking),
            len(view.indicators),
            len(view.tables.problems),
        )
    return gathered


def load_settings(config_path: str) -> tuple[Config, Env]:
    """The settings file and the environment."""
    from suivi.settings import load_config

    return load_config(config_path), Env()


def run_report(flow_name: str, as_of: dt.date, gathered: Gathered, delivery: Delivery) -> dict[str, object]:
    """What the run did, as plain values (stored with the run and returned by the flow)."""
    return {
        "flow": flow_name,
        "as_of": as_of.isoformat(),
        "projects": [view.project.code for view in gathered.views],
        "failed_projects": gathered.failures,
        "emails_planned": delivery.planned,
        "emails_sent": len(delivery.sent),
        "emails_already_sent": delivery.already_sent,
        "emails_failed": [f"{f.key}: {f.error}" for f in delivery.failures],
        "rejected_addresses": delivery.rejected,
        "written": [str(path) for path in delivery.written],
    }


def finish(store: Store, run_id: int | None, report: dict[str, object], gathered: Gathered) -> dict[str, object]:
    """Record the run's end; raise when a project failed, so the run's state says so."""
    state = "partial" if gathered.failures else "completed"
    if run_id is not None:
        store.finish_run(run_id, state, report)
    if gathered.failures:
        failed = ", ".join(f"{code} ({why})" for code, why in gathered.failures.items())
        raise ProjectsFailed(f"{len(gathered.failures)} project(s) could not be followed: {failed}", report)
    return report
