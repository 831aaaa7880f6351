"""A run started with `force` sends again what was already sent: record it and tell the officer.

`force: true` can come from `suivi run --force`, or from anyone who can reach the Prefect API
(a deployment run with that parameter). The run's report keeps `forced: true` in the history
store, the run's log says it, and the officer gets one notice per forced run. The notice goes
in the run's one delivery, after the run's other e-mails: one SMTP connection per run, and
like them it waits in the outbox when the server cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from dataclasses import dataclass
from typing import Any

from suivi.model import Email
from suivi.notify.forced import StartedBy, plan_forced_run
from suivi.notify.render import render_email, template_environment
from suivi.settings import Config
from tasks.attended import is_attended

AUTO_SCHEDULED = "auto-scheduled"  # the tag Prefect's scheduler gives the runs it creates


@dataclass(frozen=True)
class ForcedRun:
    """This run was started with `force`: its flow, day and id, and what started it."""

    flow: str
    day: dt.date
    run_id: str
    started_by: StartedBy


def forced_run(flow_name: str, day: dt.date, *, force: bool, dry_run: bool) -> ForcedRun | None:
    """The forced run to record and tell; None unless forced (a dry run sends and tells nothing)."""
    if not force or dry_run:
        return None
    run_id, started_by = who_started()
    return ForcedRun(flow_name, day, run_id, started_by)


def who_started() -> tuple[str, StartedBy]:
    """The flow run's id, and what started it: a schedule, the API, or `suivi run` on a machine."""
    from prefect.runtime import deployment, flow_run

    run_id = str(flow_run.id or "local")
    name = deployment.name
    if name:
        scheduled = AUTO_SCHEDULED in (flow_run.tags or [])
        return run_id, StartedBy("schedule" if scheduled else "api", deployment=name)
    here = {"user": login_name(), "host": socket.gethostname()}
    return run_id, StartedBy("terminal" if is_attended() else "script", **here)


def login_name() -> str:
    """The login of whoever runs this process ("?" where the system has none to give)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (some containers)
        return "?"


def with_forced_notice(
    emails: list[Email], forced: ForcedRun | None, config: Config
) -> list[Email]:
    """The run's e-mails, and last the officer's notice when the run is forced.

    Forced, every e-mail of the run goes out again, whether or not it went before: the notice
    counts them all.
    """
    if forced is None:
        return emails
    message = plan_forced_run(
        config, forced.flow, forced.day, forced.run_id, forced.started_by, len(emails)
    )
    notice = render_email(message, template_environment(config.template_folder()))
    return [*emails, notice]


def record_forced_run(report: dict[str, object], forced: ForcedRun, logger: Any) -> None:
    """Mark the run's report as forced, by what, and say it in the run's log."""
    started_by = forced.started_by.for_the_log()
    report["forced"] = True
    report["forced_by"] = started_by
    logger.warning(
        "run started with force by %s: e-mails already sent went out again; the officer is told",
        started_by,
    )
