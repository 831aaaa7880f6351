"""The steps both flows call: settings, each project gathered, the run recorded and reported.

One broken project never stops the others. A run that did not do everything due (a project
failed, an e-mail still pending after its retries) ends Failed, naming it (CONTRACT §6.4);
a run that stops half-way is recorded `failed`, so what it saw is still news to the next.

The run's log lines stay in English, untranslated: they are read in the Prefect UI or the
journal by whoever maintains the machine, and searched for as they are written. What the team
and the officer read (e-mails, the sheets' `Contrôles` tab, `suivi serve`'s own lines) goes
through the catalogs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from prefect import get_run_logger
from prefect.states import Completed

from flows.artifacts import publish_artifacts
from flows.catchup import current_timing, day_of, is_late, later_run_due, stand_aside_message
from flows.forced import ForcedRun, record_forced_run
from flows.secret_blocks import RunSettings
from suivi.adapters.sheets import Source, google_key, open_source
from suivi.adapters.store import FAILED_STATE, Snapshot, Store
from suivi.jobs.delivery import Delivery
from suivi.jobs.pipeline import (
    Assessment,
    noting_companion,
    project_view,
    required_tabs,
    unsent_mail_problem,
)
from suivi.jobs.reads import google_pace, read_ahead
from suivi.jobs.writes import google_write_pace, write_behind
from suivi.model import Problem, RawTabs
from suivi.notify.messages import ProjectView
from suivi.settings import Config, Env, Project
from tasks.compute import assess, clean
from tasks.history import load_history, save_snapshot
from tasks.inputs import whole
from tasks.sheets import read_sheet, write_sheet

Logger = logging.Logger | logging.LoggerAdapter[Any]
T = TypeVar("T")


class RunIncomplete(RuntimeError):
    """Something due was not done this run (a project failed, e-mails still pending); the rest was."""

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


ProjectsFailed = RunIncomplete  # its former name


@dataclass(frozen=True)
class Followed:
    """One project followed this run: what the e-mails need, and what was written back where."""

    view: ProjectView
    source: Source
    assessment: Assessment


@dataclass
class Gathered:
    """Every project followed this run, and the ones that failed with why."""

    followed: list[Followed] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def views(self) -> list[ProjectView]:
        """The followed projects, as the e-mails see them."""
        return [project.view for project in self.followed]


@dataclass
class RunRecord:
    """This run in the store (no id for a dry run) and whether its end is recorded."""

    id: int | None
    finished: bool = False


@contextmanager
def timed(logger: Logger, what: str) -> Iterator[dict[str, Any]]:
    """Log `what` with its duration; the body may add details to the yielded dict (`detail`)."""
    started = time.perf_counter()
    facts: dict[str, Any] = {"detail": ""}
    yield facts
    detail = f": {facts['detail']}" if facts["detail"] else ""
    logger.info("%s%s (%.2f s)", what, detail, time.perf_counter() - started)


def load_settings(config_path: str) -> tuple[Config, Env]:
    """The settings file and the environment."""
    from suivi.settings import load_config

    return load_config(config_path), Env()


def announce(
    flow_name: str, day: dt.date, config: Config, settings: RunSettings, dry_run: bool
) -> None:
    """Say in the run's log what this run is for and where its e-mails go."""
    env = settings.env
    get_run_logger().info(
        "%s for %s: %d projects, e-mails %s%s",
        flow_name,
        day.isoformat(),
        len(config.projects),
        f"by SMTP via {env.smtp_host}" if env.smtp_host else f"to the folder {env.outbox_dir}",
        " (dry run)" if dry_run else "",
    )


@contextmanager
def recorded_run(store: Store, flow_name: str, day: dt.date, dry_run: bool) -> Iterator[RunRecord]:
    """Record the run's start; a run that stops on an error is recorded `failed`, never left running."""
    get_run_logger().info("history store: %s", store.describe())
    run = RunRecord(None if dry_run else store.begin_run(flow_name, day))
    try:
        yield run
    except BaseException as error:
        if run.id is not None and not run.finished:
            why = f"{type(error).__name__}: {error}"
            store.finish_run(run.id, FAILED_STATE, {"flow": flow_name, "error": why[:2000]})
        raise


def open_project_source(
    project: Project, config: Config, env: Env, credentials_info: Mapping[str, Any] | None = None
) -> Source:
    """The project's spreadsheet; a Google Sheet uses the key from a Secret block when one was found."""
    key = google_key(project.source)
    if key is not None and credentials_info is not None:
        from suivi.adapters.google_sheets import open_google_sheet

        return open_google_sheet(key, env, credentials_info=credentials_info)
    return open_source(project, config, env)


@dataclass(frozen=True)
class Assessed:
    """One project read and assessed, its write-back not yet done; what the last run saw."""

    source: Source
    assessment: Assessment
    previous: Snapshot | None


def assess_sheet(
    project: Project,
    config: Config,
    store: Store,
    run_id: int | None,
    as_of: dt.date,
    opened: list[tuple[Source, RawTabs]],
) -> Assessed:
    """The sheet read ahead → cleaned, flagged, measured, with the last run's snapshot.

    `opened`: the sheet read ahead, in a one-item list that this empties (`handed_over`).
    """
    logger = get_run_logger()
    code = project.code
    with timed(logger, f"{code}: read") as read:  # read ahead: waited for by `read_ahead`
        source, tabs = opened.pop()
        required_tabs(code, tabs)  # a renamed tab fails the project, never reads as a quiet week
        rows = sum(len(cells) for cells in tabs.values())  # a handful of tabs
        read["detail"] = f"{len(tabs)} tabs, {rows} rows from {source.describe()}"
    with timed(logger, f"{code}: cleaned"):
        project, tables = clean(project, config, whole(tabs))
        # Nothing reads the raw cells after this (a 200 000-row sheet's are ~250 MB of Python
        # lists): `tabs` was their only reference, so they go before the history comes in.
        del tabs
    with timed(logger, f"{code}: history loaded"):
        previous, history = load_history(store, code, as_of, run_id)
    with timed(logger, f"{code}: flagged and measured") as measured:
        assessment = assess(project, config, whole(tables), as_of, history)
        tracking = assessment.tracking
        late = int(tracking["en_retard"].sum()) if "en_retard" in tracking.columns else 0
        measured["detail"] = (
            f"{len(tracking)} activities and deliverables ({late} late),"
            f" {len(assessment.indicators)} indicators, {len(assessment.problems)} data problems"
        )
    return Assessed(source, assessment, previous)


def writes_back(project: Project, run_id: int | None) -> bool:
    """Whether this run writes the project's owned tabs (a dry run records and writes nothing)."""
    return run_id is not None and project.write_back is not False


def write_assessed(assessed: Assessed, as_of: dt.date, run_id: int | None) -> None:
    """Rewrite the project's owned tabs, if this run writes them (in the background)."""
    project = assessed.assessment.project
    if not writes_back(project, run_id):
        return
    code = project.code
    with timed(get_run_logger(), f"{code}: written back") as written:
        write_sheet(assessed.source, assessed.assessment, as_of)
        written["detail"] = "Suivi automatique and Contrôles"


def record_project(
    assessed: Assessed, config: Config, store: Store, run_id: int | None, as_of: dt.date
) -> Followed:
    """Its write-back done: the project's snapshot saved, its view for the e-mails.

    Write back first: if the sheet refuses it, the project fails with nothing recorded,
    and the next run still sees today's changes (what became late is alerted then).
    """
    assessment, previous = assessed.assessment, assessed.previous
    notes: list[Problem] = []
    if writes_back(assessment.project, run_id):
        noted = noting_companion(assessed.source, assessment)
        notes = noted.problems[len(assessment.problems) :]
        assessment = noted
    if run_id is not None:  # a dry run records nothing
        with timed(get_run_logger(), f"{assessment.project.code}: snapshot stored"):
            save_snapshot(store, run_id, assessment, as_of)
    view = told_once(project_view(assessment, previous, config), notes, previous)
    return Followed(view, assessed.source, assessment)


def told_once(view: ProjectView, notes: list[Problem], previous: Snapshot | None) -> ProjectView:
    """The view without the notes the last run of this flow already had: each is told once.

    A note (the tracking went to a companion workbook) stays true run after run; the officer
    and the team read it in the first weekly summary (and problem report) that has it, not
    every week after. It stays in every snapshot, so the comparison with the last run holds,
    and it is told again when it changes (another companion file) or comes back after a gap.
    """
    if previous is None or not notes:
        return view
    seen = {note_identity(problem) for problem in previous.problems}
    told = [note for note in notes if note_identity(note) in seen]
    if not told:
        return view
    problems = [p for p in view.tables.problems if not any(p is note for note in told)]
    return dataclasses.replace(view, tables=dataclasses.replace(view.tables, problems=problems))


def note_identity(problem: Problem) -> tuple[str, str, str, str, str]:
    """What makes a note the same one from run to run (its reason's wording may change)."""
    return (problem.project, problem.tab, problem.cell, problem.value, problem.message)


def read_project_sheet(
    project: Project, config: Config, env: Env, credentials_info: Mapping[str, Any] | None = None
) -> tuple[Source, RawTabs]:
    """The project's spreadsheet and every tab of it."""
    source = open_project_source(project, config, env, credentials_info)
    return source, read_sheet(source, project)


def follow_projects(
    config: Config, settings: RunSettings, store: Store, run_id: int | None, as_of: dt.date
) -> Gathered:
    """Follow each project in turn; a failure is logged and recorded, and the next goes on.

    Read → clean, flag, measure → write back → save, each project in the projects' order.
    The next few projects' sheets are read while one is computed, and each project's sheet is
    written while the next is computed (bounded, within Google's quotas); the history store
    is used by this thread alone, and a project is saved only once its write succeeded.
    """
    logger = get_run_logger()
    gathered = Gathered()
    reading, writing = google_pace(), google_write_pace()
    reads = read_ahead(
        config.projects,
        lambda project: read_project_sheet(
            project, config, settings.env, settings.google_credentials_info
        ),
        pace=lambda project: reading if google_key(project.source) else None,
    )
    assessed = assess_each(handed_over(reads), config, store, run_id, as_of)
    written = write_behind(
        assessed,
        lambda project, work: write_assessed(work, as_of, run_id),
        pace=lambda project: writing if google_key(project.source) else None,
    )
    for project, outcome in written:
        try:
            if isinstance(outcome, Exception):
                raise outcome
            followed = record_project(outcome, config, store, run_id, as_of)
        except Exception as error:  # isolation: one project's failure must not stop the others
            gathered.failures[project.code] = f"{type(error).__name__}: {error}"
            logger.error("project %s skipped: %s", project.code, error)
            continue
        gathered.followed.append(followed)
    return gathered


def assess_each(
    reads: Iterator[tuple[Project, list[tuple[Source, RawTabs]] | Exception]],
    config: Config,
    store: Store,
    run_id: int | None,
    as_of: dt.date,
) -> Iterator[tuple[Project, Assessed | Exception]]:
    """Each project read ahead, assessed, or the exception its read or assessment raised."""
    for project, opened in reads:
        if isinstance(opened, Exception):
            yield project, opened
            continue
        try:
            outcome: Assessed | Exception = assess_sheet(
                project, config, store, run_id, as_of, opened
            )
        except Exception as error:  # the project's own failure, reported in its place
            outcome = error
        yield project, outcome


def handed_over(
    reads: Iterator[tuple[Project, T | Exception]],
) -> Iterator[tuple[Project, list[T] | Exception]]:
    """Each read in a one-item list, its only reference: whoever pops it can free it early.

    A loop variable holding the read itself would keep a project's raw cells alive through
    its write-back and save, long after they were assessed (`assess_sheet` pops them).
    """
    for project, read in reads:
        if isinstance(read, Exception):
            yield project, read
            continue
        holder = [read]
        del read
        yield project, holder


def unsent(delivery: Delivery) -> list[str]:
    """E-mails due this run that did not go: still pending after the retries, or of unknown fate."""
    return [failure.key for failure in delivery.transient_failures] + list(delivery.unknown)


def run_report(
    flow_name: str, as_of: dt.date, gathered: Gathered, delivery: Delivery
) -> dict[str, object]:
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
        "mail_unreachable": delivery.unreachable,
        "emails_unknown": list(delivery.unknown),
        "emails_pending": unsent(delivery),
        "rejected_addresses": delivery.rejected,
        "written": [str(path) for path in delivery.written],
    }


def tell_the_sheets(gathered: Gathered, delivery: Delivery, as_of: dt.date, logger: Logger) -> None:
    """E-mails did not go: say so in each project's `Contrôles` tab, where the team looks."""
    keys = unsent(delivery)
    reason = delivery.unreachable or next((f.error for f in delivery.failures), "")
    for followed in gathered.followed:
        if followed.assessment.project.write_back is False:
            continue
        code = followed.assessment.project.code
        problem = unsent_mail_problem(code, len(keys), reason)
        noted = dataclasses.replace(
            followed.assessment, problems=[*followed.assessment.problems, problem]
        )
        try:
            write_sheet.fn(followed.source, noted, as_of)  # once: the sheet was reachable
        except Exception as error:  # the run already fails for the mail; never hide that
            logger.warning(
                "%s: the unsent e-mails could not be noted in the sheet: %s", code, error
            )


def report_run(
    flow_name: str,
    day: dt.date,
    gathered: Gathered,
    delivery: Delivery,
    store: Store,
    run: RunRecord,
    forced: ForcedRun | None = None,
) -> dict[str, object]:
    """Log and publish what the run did, note unsent e-mails in the sheets, record the end.

    `forced`: the run was started with `force`; its report says so and by what (the officer's
    notice went with the run's e-mails, `flows.forced.with_forced_notice`).

    Raises `RunIncomplete` when something due was not done, so the flow run ends Failed.
    """
    logger = get_run_logger()
    logger.info(
        "e-mails: %d planned, %d sent, %d already sent, %d failed, %d of unknown fate,"
        " %d bad addresses dropped",
        delivery.planned,
        len(delivery.sent),
        delivery.already_sent,
        len(delivery.failures),
        len(delivery.unknown),
        len(delivery.rejected),
    )
    for failure in delivery.failures:
        logger.warning("not sent: %s: %s", failure.key, failure.error)
    report = run_report(flow_name, day, gathered, delivery)
    if forced is not None:
        record_forced_run(report, forced, logger)
    pending = unsent(delivery)
    if pending and run.id is not None:
        tell_the_sheets(gathered, delivery, day, logger)
    try:
        publish_artifacts(flow_name, day, gathered.views, gathered.failures, report)
    except Exception as error:  # the run page is a convenience: never fail a run for it
        logger.warning("run artifacts not published: %s", error)
    if run.id is not None:
        incomplete = gathered.failures or pending
        store.finish_run(run.id, "partial" if incomplete else "completed", report)
        run.finished = True
    missing = what_was_not_done(gathered, delivery)
    if missing:
        raise RunIncomplete("; ".join(missing), report)
    return report


def what_was_not_done(gathered: Gathered, delivery: Delivery) -> list[str]:
    """One sentence per thing due that did not happen (empty when the run did everything)."""
    missing = []
    if gathered.failures:
        failed = ", ".join(f"{code} ({why})" for code, why in gathered.failures.items())
        missing.append(f"{len(gathered.failures)} project(s) could not be followed: {failed}")
    pending = [failure.key for failure in delivery.transient_failures]
    if pending:
        reason = delivery.unreachable or delivery.transient_failures[0].error
        missing.append(
            f"{len(pending)} e-mail(s) still pending after retries, sent by the next run: {reason}"
        )
    if delivery.unknown:
        missing.append(
            f"{len(delivery.unknown)} e-mail(s) of unknown fate (no reply after DATA),"
            f" not resent: {', '.join(delivery.unknown)}"
        )
    return missing


@dataclass(frozen=True)
class RunDay:
    """The day a run is for, whether it starts hours late, and why it stands aside, if so."""

    day: dt.date
    late: bool = False
    stand_aside: str | None = None


def day_to_follow(
    config: Config, as_of: dt.date | None, late_after_hours: float, logger: Logger
) -> RunDay:
    """The run's day (given, else the scheduled day in the settings' zone), late or standing aside."""
    if as_of is not None:
        return RunDay(as_of)
    timing = current_timing()
    if timing.scheduled is None:
        return RunDay(config.today())
    day = day_of(timing.scheduled, config.timezone)
    now = dt.datetime.now(dt.UTC)
    if not is_late(timing, now, late_after_hours):
        return RunDay(day)
    try:
        later = later_run_due(timing, now)
    except Exception as error:  # cannot tell: run; the outbox still sends each e-mail once
        logger.warning("could not look for later runs of this deployment: %s", error)
        return RunDay(day, late=True)
    if later is None:
        logger.warning("this run starts late; it sends what is due for %s", day.isoformat())
        return RunDay(day, late=True)
    return RunDay(day, True, stand_aside_message(timing.scheduled, now, later, config.timezone))


def stood_aside(flow_name: str, day: dt.date, message: str) -> dict[str, object]:
    """The run ends Completed with `message`; its caller gets a report that did nothing."""
    get_run_logger().warning(message)
    report: dict[str, object] = {
        "flow": flow_name,
        "as_of": day.isoformat(),
        "projects": [],
        "failed_projects": {},
        "emails_planned": 0,
        "emails_sent": 0,
        "emails_already_sent": 0,
        "emails_failed": [],
        "emails_unknown": [],
        "emails_pending": [],
        "rejected_addresses": [],
        "written": [],
        "skipped": message,
    }
    # Prefect makes a returned State the run's final state and hands the caller its data.
    return cast(dict[str, object], Completed(message=message, data=report))
