"""What `suivi serve` will do and has done: next runs in local time, the UI, how to stop, status.

`next_runs` computes each schedule's next time as Prefect's scheduler does (its own schedule
models), from prefect.yaml, before anything is registered. `status_lines` asks the running
server (with its authentication string) for each deployment's next and last runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from suivi.i18n.catalogs import gettext

LAST_RUNS = 3  # per deployment, on the status screen


@dataclass(frozen=True)
class NextRun:
    """A deployment's next scheduled start (local time), with the schedule's slug."""

    deployment: str
    slug: str
    at: dt.datetime | None


def server_schedule(entry: Mapping[str, Any]) -> Any:
    """A prefect.yaml schedule entry as the server's schedule model (what its scheduler uses)."""
    from prefect.server.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

    timezone = entry.get("timezone")
    if "cron" in entry:
        return CronSchedule(cron=entry["cron"], timezone=timezone, day_or=entry.get("day_or", True))
    if "interval" in entry:
        interval = entry["interval"]
        seconds = interval if isinstance(interval, int | float) else None
        every = dt.timedelta(seconds=seconds) if seconds is not None else interval
        anchor = entry.get("anchor_date")
        return IntervalSchedule(
            interval=every, timezone=timezone, **({"anchor_date": anchor} if anchor else {})
        )
    return RRuleSchedule(rrule=entry["rrule"], timezone=timezone)


def next_runs(
    deployments: Iterable[Mapping[str, Any]], now: dt.datetime, zone: str
) -> list[NextRun]:
    """Each active schedule's next start after `now`, in the zone `zone`, soonest first."""
    found = []
    local = ZoneInfo(zone)
    for entry in deployments:
        for schedule in entry.get("schedules") or []:
            if schedule.get("active", True) is False:
                continue
            dates = asyncio.run(server_schedule(schedule).get_dates(n=1, start=now))
            at = (
                dt.datetime.fromisoformat(dates[0].isoformat()).astimezone(local) if dates else None
            )
            found.append(NextRun(str(entry["name"]), str(schedule.get("slug") or ""), at))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda run: run.at or far)


def local_time(moment: dt.datetime | None, zone: str) -> str:
    """`Mon 2026-12-07 08:00 (Africa/Casablanca)`, or `—` when unknown."""
    if moment is None:
        return "—"
    return f"{moment.astimezone(ZoneInfo(zone)):%a %Y-%m-%d %H:%M} ({zone})"


def start_lines(
    runs: Sequence[NextRun], zone: str, ui_url: str, auth_file: Path | None, language: str
) -> list[str]:
    """What `suivi serve` prints on start: next runs, where the UI is, how to stop."""
    lines = [gettext("Next runs:", language)]
    lines += [
        f"  {run.deployment}{f' [{run.slug}]' if run.slug else ''}: {local_time(run.at, zone)}"
        for run in runs
    ]
    lines.append(gettext("Prefect UI: {url}", language, url=ui_url))
    if auth_file is not None:
        lines.append(
            gettext(
                "The UI asks for a password: paste the whole line of {file} (user:secret).",
                language,
                file=auth_file,
            )
        )
    lines.append(
        gettext(
            "To stop: Ctrl-C here, or `systemctl stop suivi-serve` under systemd; the schedules stay"
            " active and resume at the next start. `suivi serve --status` shows next and last runs.",
            language,
        )
    )
    return lines


def status_lines(zone: str, language: str, now: dt.datetime) -> list[str]:
    """One screen: per deployment, the next scheduled runs and the last runs with their states."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    del DeploymentFilter  # all deployments of the server
    lines: list[str] = []
    with get_client(sync_client=True) as client:
        for deployment in sorted(client.read_deployments(), key=lambda d: d.name):
            of_deployment = FlowRunFilterDeploymentId(any_=[deployment.id])
            upcoming = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=of_deployment,
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    ),
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
            past = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=of_deployment,
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])
                    ),
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=LAST_RUNS,
            )
            paused = gettext(" (paused)", language) if deployment.paused else ""
            lines.append(f"{deployment.name}{paused}")
            next_at = upcoming[0].expected_start_time if upcoming else None
            lines.append(
                "  " + gettext("next run: {when}", language, when=local_time(next_at, zone))
            )
            if not past:
                lines.append("  " + gettext("no run yet", language))
            for run in past:
                started = run.start_time or run.expected_start_time
                state = run.state.name if run.state else "?"
                lines.append(f"  {local_time(started, zone)}  {state:<10} {run.name}")
    if not lines:
        lines.append(gettext("No deployment on this server: is `suivi serve` running?", language))
    return [gettext("suivi serve at {moment}", language, moment=local_time(now, zone)), *lines]
