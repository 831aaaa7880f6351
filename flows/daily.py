"""The daily watch: every project gathered and computed, then the reminders and alerts due today."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.catchup import LATE_AFTER_HOURS
from flows.common import run_flow_body
from flows.hooks import alert_failure

FLOW_NAME = "daily-watch"


@flow(name=FLOW_NAME, on_failure=[alert_failure], on_crashed=[alert_failure])
def daily_watch(
    config_path: str = "config/suivi.yaml",
    as_of: dt.date | None = None,
    dry_run: bool = False,
    force: bool = False,
    late_after_hours: float = LATE_AFTER_HOURS,
) -> dict[str, object]:
    """Read, flag, measure, store and write back every project; send the reminders and alerts due today."""
    return run_flow_body(FLOW_NAME, "daily", config_path, as_of, dry_run, force, late_after_hours)
