"""The daily watch: every project gathered, then the reminders and alerts due, each once."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from flows.catchup import LATE_AFTER_HOURS
from flows.common import (
    announce,
    day_to_follow,
    follow_projects,
    load_settings,
    recorded_run,
    report_run,
    stood_aside,
    timed,
)
from flows.forced import forced_run, with_forced_notice
from flows.hooks import alert_failure
from flows.schedule import daily_run_days
from flows.secret_blocks import resolve_secrets
from suivi.adapters.store import open_store
from suivi.jobs.flow_names import DAILY_FLOW
from tasks.notify import deliver, plan_emails

FLOW_NAME = DAILY_FLOW


@flow(name=FLOW_NAME, on_failure=[alert_failure], on_crashed=[alert_failure])
def daily_watch(
    config_path: str = "config/suivi.yaml",
    as_of: dt.date | None = None,
    dry_run: bool = False,
    force: bool = False,
    late_after_hours: float = LATE_AFTER_HOURS,
) -> dict[str, object]:
    """Read, flag, measure, store and write back every project; send the reminders and alerts due."""
    logger = get_run_logger()
    config, env = load_settings(config_path)
    run_day = day_to_follow(config, as_of, late_after_hours, logger)
    day = run_day.day
    if run_day.stand_aside is not None:  # a later run of this deployment is due: it sends
        return stood_aside(FLOW_NAME, day, run_day.stand_aside)
    settings = resolve_secrets(env, config, logger)
    announce(FLOW_NAME, day, config, settings, dry_run)
    with (
        open_store(settings.env.database_url) as store,
        recorded_run(store, FLOW_NAME, day, dry_run) as run,
    ):
        forced = forced_run(FLOW_NAME, day, force=force, dry_run=dry_run)
        # Each project: read → assess → write back → store; one failure never stops the rest.
        gathered = follow_projects(config, settings, store, run.id, day)
        # Reminders due on days without a run, or on days no run saw, go now (§6.1).
        last_run = store.last_run_day(FLOW_NAME, before=day)
        with timed(logger, "e-mails planned"):
            emails = plan_emails(
                "daily", gathered.views, config, day, store,
                run_weekdays=daily_run_days(), last_run=last_run,
            )  # fmt: skip
        with timed(logger, "e-mails delivered"):  # each once: the outbox remembers every key
            # A forced run's notice to the officer goes with them, on the same connection.
            emails = with_forced_notice(emails, forced, config)
            delivery = deliver(emails, store, settings.env, config, dry_run, force)
        return report_run(
            FLOW_NAME,
            day,
            gathered,
            delivery,
            store,
            run,
            forced,
        )
