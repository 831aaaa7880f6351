"""The job's steps, composed from the pure core and the adapters; no Prefect here.

`tasks/` wraps these steps with names and retries; the CLI's `check` and `status` call them
directly so that they answer in a second, without an orchestration server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from suivi.adapters.sheets import Source, SourceError, open_source
from suivi.compute.calendar import Calendar, calendar_for
from suivi.compute.changes import diff_snapshots
from suivi.compute.flags import track
from suivi.compute.forecast import activity_outlook, forecast_indicators
from suivi.compute.indicators import compute_indicators
from suivi.compute.obligations import expand_commitments, with_obligations
from suivi.i18n.catalogs import N_
from suivi.model import Problem, ProjectTables, RawTabs
from suivi.notify.recipients import apply_allowed_domains
from suivi.schema import TAB_HEADERS, Tab
from suivi.settings import Config, Env, Project
from suivi.sheet.clean import clean_project, match_tabs
from suivi.sheet.dashboard import tracking_dashboard
from suivi.sheet.writeback import owned_tabs

if TYPE_CHECKING:  # `suivi status` and `check` never open the store: no SQLAlchemy for them
    from suivi.adapters.store import Snapshot, Store
    from suivi.notify.messages import ProjectView  # the e-mail side, loaded by who plans mail

# What the e-mails say of each open activity's pace, besides its projected finish.
PACE_COLUMNS = ["points_per_week_needed", "points_per_week_now"]
# How far back stored progress is read to measure each activity's recent pace.
PACE_WINDOW_DAYS = 35
# Without these a project cannot be followed: a run that cannot find one fails that project.
REQUIRED_TABS = (Tab.ACTIVITIES, Tab.INDICATORS)


class MissingTab(SourceError):
    """A required tab is not in the spreadsheet (renamed or deleted): the project cannot be followed."""


@dataclass(frozen=True)
class Assessment:
    """One project's state at as_of: typed tables, tracking (flags) and indicators."""

    project: Project
    tables: ProjectTables
    tracking: pd.DataFrame
    indicators: pd.DataFrame
    problems: list[Problem]
    language: str = "fr"  # the project's: the owned tabs are written in it


def calendar_of(config: Config) -> Calendar:
    """Calendar or working days, as the settings say."""
    return calendar_for(config.working_days)


def read_project(project: Project, config: Config, env: Env) -> RawTabs:
    """Every tab of the project's spreadsheet, in as few requests as the backend allows."""
    return open_source(project, config, env).read_tabs()


def assess_project(
    project: Project,
    config: Config,
    tabs: RawTabs,
    as_of: dt.date,
    history: pd.DataFrame | None = None,
) -> Assessment:
    """Clean the tabs, flag delays and compute indicators: pure."""
    project, tables = clean_sheet(project, config, tabs)
    return assess_tables(project, config, tables, as_of, history)


def assess_tables(
    project: Project,
    config: Config,
    tables: ProjectTables,
    as_of: dt.date,
    history: pd.DataFrame | None = None,
) -> Assessment:
    """Flag delays and compute indicators from the cleaned tables: pure."""
    tracking = flag_project(project, config, tables, as_of, history)
    indicators = measure_project(project, config, tables, as_of)
    language = config.language_of(project)
    return Assessment(project, tables, tracking, indicators, tables.problems, language)


def clean_sheet(project: Project, config: Config, tabs: RawTabs) -> tuple[Project, ProjectTables]:
    """The typed tables and their problems; the project without its outside addresses."""
    tables = clean_project(project.code, tabs, rules=list(config.indicators))
    # Outside addresses go before anything is composed: they become problems, never recipients.
    return apply_allowed_domains(project, tables, tabs, config.mail.allowed_domains)


def flag_project(
    project: Project,
    config: Config,
    tables: ProjectTables,
    as_of: dt.date,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The tracking frame: each activity and deliverable flagged, each open activity's pace."""
    thresholds = config.thresholds
    deliverables = with_obligations(tables.deliverables, expand_commitments(tables.commitments))
    tracking = track(
        tables.activities,
        deliverables,
        as_of,
        due_soon_days=thresholds.due_soon_days,
        stale_days=thresholds.stale_days,
        calendar=calendar_of(config),
        history=history,
    )
    add_pace(tracking, as_of)
    return tracking


def add_pace(tracking: pd.DataFrame, as_of: dt.date) -> None:
    """Each open activity's pace (`PACE_COLUMNS`) added to `tracking`, NaN elsewhere.

    Added in place, to a frame its caller has just made: a merge would copy the whole
    tracking frame (at 200 000 activities, tens of MB at the run's peak) for two columns.
    Activity IDs are unique (clean drops repeats), so each open activity's row is its ID's.
    """
    outlook = activity_outlook(tracking, as_of=as_of).set_index("id")
    activities = tracking["kind"].eq("activity")
    for column in PACE_COLUMNS:
        pace = tracking["id"].map(outlook[column]).astype("float64")
        tracking[column] = pace.where(activities)


def measure_project(
    project: Project, config: Config, tables: ProjectTables, as_of: dt.date
) -> pd.DataFrame:
    """The indicator table: current value, achievement, status and forecast of each."""
    indicators = compute_indicators(
        tables.indicators,
        tables.measures,
        tables.activities,
        as_of=as_of,
        rules=config.indicators,
        project_start=project.start,
        targets=tables.targets,
    )
    return forecast_indicators(
        indicators,
        tables.measures,
        as_of=as_of,
        definitions=tables.indicators,
        project_start=project.start,
    )


def required_tabs(project: str, tabs: RawTabs) -> None:
    """Raise `MissingTab`, naming the tab and the tabs found, when a required tab is not there.

    A renamed `Activités` must fail its project, never read as a week of 0 activities.
    """
    matched = match_tabs(tabs)
    missing = [TAB_HEADERS[tab][0] for tab in REQUIRED_TABS if tab not in matched]
    if missing:
        found = ", ".join(f"« {title} »" for title in tabs) or "none"
        names = ", ".join(f"« {name} »" for name in missing)
        raise MissingTab(
            f"{project}: required tab {names} not found (renamed or deleted?);"
            f" tabs found: {found}. Give the tab its name back, then run again."
        )


def unsent_mail_problem(project: str, count: int, reason: str) -> Problem:
    """The line the `Contrôles` tab shows when e-mails of this run could not be sent."""
    return Problem(
        project,
        "E-mails",
        "",
        reason[:500],
        N_("{count} e-mail(s) of this run not sent; they go out with the next run: {reason}"),
        blocking=True,
        params={"count": count, "reason": reason[:500]},
    )


def noting_companion(source: Source, assessment: Assessment) -> Assessment:
    """When the tracking went to a companion workbook, a problem says so (e-mailed once, as new)."""
    reason = getattr(source, "companion_reason", None)
    companion = getattr(source, "companion", None)
    if reason is None or companion is None:
        return assessment
    problem = Problem(
        assessment.project.code,
        "",
        "",
        companion.name,
        N_(
            "The tracking tabs were written to {companion}, beside the workbook:"
            " the workbook itself could not be changed safely ({reason})."
        ),
        params={"companion": companion.name, "reason": reason},
    )
    return dataclasses.replace(
        assessment,
        problems=[*assessment.problems, problem],
        tables=dataclasses.replace(
            assessment.tables, problems=[*assessment.tables.problems, problem]
        ),
    )


def write_back(source: Source, assessment: Assessment, as_of: dt.date) -> None:
    """Rewrite the owned tabs (`Suivi automatique`, `Contrôles`) in one write, in its language."""
    tabs = owned_tabs(
        assessment.tracking, assessment.problems, as_of, source.cell_url, assessment.language
    )
    tabs, layouts = tracking_dashboard(
        tabs, assessment.tracking, assessment.tables.committees, as_of, assessment.language
    )
    source.write_tabs(tabs, layouts=layouts)


def project_view(assessment: Assessment, previous: Snapshot | None, config: Config) -> ProjectView:
    """What the messages need of a project: its state now and what changed since the last run."""
    from suivi.notify.messages import ProjectView

    changes = diff_snapshots(
        previous.tracking if previous is not None else None,
        assessment.tracking,
        big_progress_points=config.thresholds.big_progress_points,
    )
    before = {_problem_identity(problem) for problem in previous.problems} if previous else set()
    now = {_problem_identity(problem) for problem in assessment.problems}
    return ProjectView(
        project=assessment.project,
        tables=assessment.tables,
        tracking=assessment.tracking,
        indicators=assessment.indicators,
        changes=changes,
        problems_changed=before != now,
        first_run=previous is None,
    )


def _problem_identity(problem: Problem) -> tuple[str, str, str, str]:
    return (problem.tab, problem.cell, problem.value, problem.message)


def view_project(
    project: Project,
    config: Config,
    env: Env,
    as_of: dt.date,
    store: Store | None = None,
    flow: str | None = None,
) -> ProjectView:
    """Read, assess and compare with the last stored run, recording nothing (status, preview).

    With `flow`, the last run of that flow: what its next run will compare with.
    """
    previous = None
    if store is not None:
        from suivi.adapters.store import CHANGE_COLUMNS  # the store is open: SQLAlchemy is here

        previous = store.last_snapshot(project.code, flow=flow, columns=CHANGE_COLUMNS)
    history = (
        store.progress_history(project.code, since=as_of - dt.timedelta(days=PACE_WINDOW_DAYS))
        if store is not None
        else None
    )
    assessment = assess_project(project, config, read_project(project, config, env), as_of, history)
    return project_view(assessment, previous, config)
