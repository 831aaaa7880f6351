"""The daily flow's run days, read from the one place the schedules live: prefect.yaml."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from suivi.notify.due import WEEKDAYS, weekdays_of_cron

PREFECT_FILE = Path(__file__).resolve().parents[1] / "prefect.yaml"
DAILY_ENTRYPOINT = "flows/daily.py:daily_watch"

log = logging.getLogger(__name__)


def daily_run_days(path: Path = PREFECT_FILE) -> frozenset[int]:
    """Weekdays (Monday = 0) the daily deployment runs on; Monday to Friday when unknown."""
    try:
        deployments = yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]
        crons = [
            schedule["cron"]
            for deployment in deployments
            if deployment.get("entrypoint") == DAILY_ENTRYPOINT
            for schedule in deployment.get("schedules") or []
            if schedule.get("active", True) and "cron" in schedule
        ]
        days = frozenset().union(*(weekdays_of_cron(cron) for cron in crons))
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        log.warning("daily schedule not read from %s (%s): Monday to Friday assumed", path, error)
        return WEEKDAYS
    return days or WEEKDAYS
