"""What both flows do: gather every project, compute, apply; one broken project never stops the others."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from prefect import get_run_logger
from prefect.states import Completed

from flows.artifacts import publish_artifacts
from flows.catchup import (
    LATE_AFTER_HOURS,
    current_timing,
    day_of,
    is_late,
    later_run_due,
    stand_aside_message,
)
from flows.secret_blocks import RunSettings, resolve_secrets
from suivi.adapters.sheets import Source, google_key, open_source
from suivi.adapters.store import Store, open_store
from suivi.jobs.delivery import Delivery
from suivi.jobs.pipeline import project_view
from suivi.jobs.reads import google_pace, read_ahead
from suivi.model import RawTabs
from suivi.notify.messages import ProjectView
from suivi.settings import Config, Env, Project
from tasks.compute import assess
from tasks.history import load_history, save_snapshot
from tasks.notify import Occasion, deliver, plan_emails
from tasks.sheets import read_sheet, write_sheet

Logger = logging.Logger | logging.LoggerAdapter[Any]


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


@contextmanager
def timed(logger: Logger, what: str) -> Iterator[dict[str, Any]]:
    """Log `what` with its duration; the body may add details to the yielded dict (`detail`)."""
    started = time.perf_counter()
    facts: dict[str, Any] = {"detail": ""}
    yield facts
    detail = f": {facts['detail']}" if facts["detail"] else ""
    logger.info("%s%s (%.2f s)", what, detail, time.perf_counter() - started)


def open_project_source(
    project: Project, config: Config, env: Env, credentials_info: Mapping[str, Any] | None = None
) -> Source:
    """The project's spreadsheet; a Google Sheet uses the key from a Secret block when one was found."""
    key = google_key(project.source)
    if key is not None and credentials_info is not None:
        from suivi.adapters.google_sheets import open_google_sheet

        return open_google_sheet(key, env, credentials_info=credentials_info)
    return open_source(project, config, env)


def follow_project(
    project: Project,
    config: Config,
    env: Env,
    store: Store,
    run_id: int | None,
    as_of: dt.date,
    credentials_info: Mapping[str, Any] | None = None,
    opened: tuple[Source, RawTabs] | None = None,
) -> ProjectView:
    """Read → clean, flag, measure → compare with the last run → write back and save."""
    logger = get_run_logger()
    code = project.code
    with timed(logger, f"{code}: read") as read:  # `opened`: read ahead, this is the wait
        source, tabs = opened or read_project_sheet(project, config, env, credentials_info)
        rows = sum(len(cells) for cells in tabs.values())  # a handful of tabs
        read["detail"] = f"{len(tabs)} tabs, {rows} rows from {source.describe()}"
    with timed(logger, f"{code}: history loaded"):
        previous, history = load_history(store, code, as_of, run_id)
    with timed(logger, f"{code}: cleaned, flagged and measured") as assessed:
        assessment = assess(project, config, tabs, as_of, history)
        tracking = assessment.tracking
        late = int(tracking["en_retard"].sum()) if "en_retard" in tracking.columns else 0
        assessed["detail"] = (
            f"{len(tracking)} activities and deliverables ({late} late),"
            f" {len(assessment.indicators)} indicators, {len(assessment.problems)} data problems"
        )
    if run_id is not None:  # a dry run records and writes nothing
        # Write back first: if the sheet refuses it, the project fails with nothing recorded,
        # and the next run still sees today's changes (what became late is alerted then).
        if project.write_back is not False:
            with timed(logger, f"{code}: written back") as written:
                write_sheet(source, assessment, as_of)
                written["detail"] = "Suivi automatique and Contrôles"
        with timed(logger, f"{code}: snapshot stored"):
            save_snapshot(store, run_id, assessment, as_of)
    return project_view(assessment, previous, config)


def read_project_sheet(
    project: Project, config: Config, env: Env, credentials_info: Mapping[str, Any] | None = None
) -> tuple[Source, RawTabs]:
    """The project's spreadsheet and every tab of it."""
    source = open_project_source(project, config, env, credentials_info)
    return source, read_sheet(source, project)


def follow_projects(
    config: Config,
    env: Env,
    store: Store,
    run_id: int | None,
    as_of: dt.date,
    credentials_info: Mapping[str, Any] | None = None,
) -> Gathered:
    """Follow each project in turn; a failure is logged and recorded, and the next goes on.

    The next few projects' sheets are read while one is computed (bounded, in order, within
    Google's read quota); the history store is used by one project at a time.
    """
    logger = get_run_logger()
    gathered = Gathered()
    google = google_pace()
    reads = read_ahead(
        config.projects,
        lambda project: read_project_sheet(project, config, env, credentials_info),
        pace=lambda project: google if google_key(project.source) else None,
    )
    for project, opened in reads:
        try:
            if isinstance(opened, Exception):
                raise opened
            view = follow_project(
                project, config, env, store, run_id, as_of, credentials_info, opened
            )
        except Exception as error:  # isolation: one project's failure must not stop the others
            gathered.failures[project.code] = f"{type(error).__name__}: {error}"
            logger.error("project %s skipped: %s", project.code, error)
            continue
        gathered.views.append(view)
    return gathered


def load_settings(config_path: str) -> tuple[Config, Env]:
    """The settings file and the environment."""
    from suivi.settings import load_config

    return load_config(config_path), Env()


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
        "rejected_addresses": delivery.rejected,
        "written": [str(path) for path in delivery.written],
    }


def finish(
    store: Store, run_id: int | None, report: dict[str, object], gathered: Gathered
) -> dict[str, object]:
    """Record the run's end; raise when a project failed, so the run's state says so."""
    state = "partial" if gathered.failures else "completed"
    if run_id is not None:
        store.finish_run(run_id, state, report)
    if gathered.failures:
        failed = ", ".join(f"{code} ({why})" for code, why in gathered.failures.items())
        raise ProjectsFailed(
            f"{len(gathered.failures)} project(s) could not be followed: {failed}", report
        )
    return report


def day_to_follow(
    config: Config, as_of: dt.date | None, late_after_hours: float, logger: Logger
) -> tuple[dt.date, str | None]:
    """The run's day (given, else the scheduled day in the settings' zone) and why to stand aside, if so."""
    if as_of is not None:
        return as_of, None
    timing = current_timing()
    if timing.scheduled is None:
        return config.today(), None
    day = day_of(timing.scheduled, config.timezone)
    now = dt.datetime.now(dt.UTC)
    if not is_late(timing, now, late_after_hours):
        return day, None
    try:
        later = later_run_due(timing, now)
    except Exception as error:  # cannot tell: run; the outbox still sends each e-mail once
        logger.warning("could not look for later runs of this deployment: %s", error)
        return day, None
    if later is None:
        logger.warning("this run starts late; it sends what is due for %s", day.isoformat())
        return day, None
    return day, stand_aside_message(timing.scheduled, now, later, config.timezone)


def stood_aside(flow_name: str, day: dt.date, message: str) -> dict[str, object]:
    """The run ends Completed with `message`; its caller gets a report that did nothing."""
    report: dict[str, object] = {
        "flow": flow_name,
        "as_of": day.isoformat(),
        "projects": [],
        "failed_projects": {},
        "emails_planned": 0,
        "emails_sent": 0,
        "emails_already_sent": 0,
        "emails_failed": [],
        "rejected_addresses": [],
        "written": [],
        "skipped": message,
    }
    # Prefect makes a returned State the run's final state and hands the caller its data.
    return cast(dict[str, object], Completed(message=message, data=report))


def run_flow_body(
    flow_name: str,
    occasion: Occasion,
    config_path: str,
    as_of: dt.date | None,
    dry_run: bool,
    force: bool,
    late_after_hours: float = LATE_AFTER_HOURS,
) -> dict[str, object]:
    """Gather every project, plan the occasion's e-mails, deliver them once, report."""
    logger = get_run_logger()
    config, env = load_settings(config_path)
    day, stand_aside = day_to_follow(config, as_of, late_after_hours, logger)
    if stand_aside is not None:
        logger.warning(stand_aside)
        return stood_aside(flow_name, day, stand_aside)
    settings: RunSettings = resolve_secrets(env, config, logger)
    logger.info(
        "%s for %s: %d projects, e-mails %s%s",
        flow_name,
        day.isoformat(),
        len(config.projects),
        f"by SMTP via {settings.env.smtp_host}"
        if settings.env.smtp_host
        else f"to the folder {settings.env.outbox_dir}",
        " (dry run)" if dry_run else "",
    )
    with open_store(settings.env.database_url) as store:
        logger.info("history store: %s", store.describe())
        run_id = None if dry_run else store.begin_run(flow_name, day)
        gathered = follow_projects(
            config, settings.env, store, run_id, day, settings.google_credentials_info
        )
        with timed(logger, "e-mails planned") as planned:
            emails = plan_emails(occasion, gathered.views, config, day, store)
            planned["detail"] = f"{len(emails)}"
        with timed(logger, "e-mails delivered") as delivered:
            delivery = deliver(emails, store, settings.env, config, dry_run, force)
            delivered["detail"] = (
                f"{len(delivery.sent)} sent, {delivery.already_sent} already sent,"
                f" {len(delivery.failures)} failed, {len(delivery.rejected)} bad addresses dropped"
            )
        for failure in delivery.failures:
            logger.warning("not sent: %s: %s", failure.key, failure.error)
        report = run_report(flow_name, day, gathered, delivery)
        if force and not dry_run:  # recorded with the run, told to the officer
            from flows.forced import report_forced_run

            report_forced_run(flow_name, day, report, store, settings.env, config, logger)
        try:
            publish_artifacts(flow_name, day, gathered.views, gathered.failures, report)
        except Exception as error:  # the run page is a convenience: never fail a run for it
            logger.warning("run artifacts not published: %s", error)
        return finish(store, run_id, report, gathered)
