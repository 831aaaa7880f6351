"""prefect.yaml, checked without a server: what `prefect deploy` accepts, and what it would ignore."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint
from prefect.server.schemas.schedules import CronSchedule as ServerCronSchedule

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS: list[dict[str, Any]] = DOCUMENT["deployments"]
CASABLANCA = ZoneInfo("Africa/Casablanca")

# Prefect's own models ignore unknown deployment keys (extra="ignore"): a typo would vanish.
DEPLOYMENT_KEYS = {
    "name", "version", "version_type", "tags", "description", "schedules", "paused",
    "concurrency_limit", "flow_name", "entrypoint", "parameters", "enforce_parameter_schema",
    "build", "push", "pull", "work_pool", "triggers", "sla",
}  # fmt: skip
SCHEDULE_KEYS = {"cron", "interval", "rrule", "timezone", "anchor_date", "active", "parameters",
                 "slug", "replaces", "day_or"}  # fmt: skip
WORK_POOL_KEYS = {"name", "work_queue_name", "job_variables"}


def deployment(name: str) -> dict[str, Any]:
    """One deployment of the file, by name."""
    return next(entry for entry in DEPLOYMENTS if entry["name"] == name)


def run_times(cron: str, start: dt.datetime, count: int) -> list[dt.datetime]:
    """The next run times the Prefect server's scheduler computes, in Casablanca time."""
    schedule = ServerCronSchedule(cron=cron, timezone="Africa/Casablanca")
    dates = asyncio.run(schedule.get_dates(n=count, start=start))  # type: ignore[arg-type]
    return [moment.astimezone(CASABLANCA) for moment in dates]


def test_the_file_is_what_prefect_deploy_validates() -> None:
    model = PrefectYamlModel.model_validate(DOCUMENT)
    assert [entry.name for entry in model.deployments] == ["weekly-summary", "daily-watch"]
    assert DOCUMENT["prefect-version"] == "3.9.1"
    assert DOCUMENT["pull"] == [
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ $SUIVI_PROJECT_DIR }}"
            }
        }
    ]


@pytest.mark.parametrize("entry", DEPLOYMENTS, ids=lambda entry: entry["name"])
def test_every_deployment_is_complete_and_has_no_key_prefect_would_ignore(
    entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(entry) <= DEPLOYMENT_KEYS, set(entry) - DEPLOYMENT_KEYS
    assert set(entry["work_pool"]) <= WORK_POOL_KEYS and entry["work_pool"]["name"] == "suivi"
    assert entry["concurrency_limit"] == 1
    assert entry["description"] and "suivi" in entry["tags"]
    monkeypatch.chdir(ROOT)  # entrypoints are relative to the project folder
    flow = load_flow_from_entrypoint(entry["entrypoint"])
    assert flow.name == entry["name"]  # the deployment is named after its flow
    flow.validate_parameters(entry["parameters"])
    assert (ROOT / entry["parameters"]["config_path"]).is_file()
    for schedule in entry["schedules"]:
        assert set(schedule) <= SCHEDULE_KEYS, set(schedule) - SCHEDULE_KEYS
        assert schedule["timezone"] == "Africa/Casablanca"  # never UTC by omission
        flow.validate_parameters({**entry["parameters"], **schedule.get("parameters", {})})
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])


def test_a_misspelled_key_would_pass_prefects_own_validation_unnoticed() -> None:
    """Why the key check above exists: Prefect accepts the typo and drops the setting."""
    typo = {**DEPLOYMENTS[0], "concurency_limit": 1}
    typo.pop("concurrency_limit")
    model = PrefectYamlModel.model_validate({**DOCUMENT, "deployments": [typo]})
    assert model.deployments[0].concurrency_limit is None
    assert set(typo) - DEPLOYMENT_KEYS == {"concurency_limit"}


def test_the_weekly_runs_mondays_at_0800_and_the_daily_weekdays_at_0730() -> None:
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # a Tuesday
    weekly = run_times(deployment("weekly-summary")["schedules"][0]["cron"], start, 3)
    assert [(m.date().isoformat(), m.strftime("%a %H:%M")) for m in weekly] == [
        ("2026-12-07", "Mon 08:00"),
        ("2026-12-14", "Mon 08:00"),
        ("2026-12-21", "Mon 08:00"),
    ]
    daily = run_times(deployment("daily-watch")["schedules"][0]["cron"], start, 6)
    assert [m.strftime("%a %H:%M") for m in daily] == [
        "Tue 07:30", "Wed 07:30", "Thu 07:30", "Fri 07:30", "Mon 07:30", "Tue 07:30",
    ]  # fmt: skip


def test_the_monday_summary_stays_at_0800_local_across_ramadan_2026() -> None:
    # Morocco goes from UTC+1 to UTC+0 on 2026-02-15 and back to UTC+1 on 2026-03-22.
    cron = deployment("weekly-summary")["schedules"][0]["cron"]
    runs = run_times(cron, dt.datetime(2026, 2, 1, tzinfo=dt.UTC), 8)
    assert {moment.strftime("%a %H:%M") for moment in runs} == {"Mon 08:00"}
    in_utc = [(m.date().isoformat(), m.astimezone(dt.UTC).hour) for m in runs]
    assert in_utc == [
        ("2026-02-02", 7), ("2026-02-09", 7),  # UTC+1
        ("2026-02-16", 8), ("2026-02-23", 8), ("2026-03-02", 8), ("2026-03-09", 8),
        ("2026-03-16", 8),  # Ramadan: UTC+0
        ("2026-03-23", 7),  # UTC+1 again
    ]  # fmt: skip
