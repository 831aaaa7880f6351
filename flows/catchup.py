"""Which day a run is for, and whether a run that starts hours late should stand aside.

A scheduled run is for the day of its scheduled time in the settings' time zone, however
late it starts: the Monday 08:00 weekly that starts at 14:00 after a power cut still sends
Monday's summary, once (the store's outbox never sends a key twice).

When the machine was down longer, several runs of one deployment fall due together and
Prefect starts them all on restart. A run more than `late_after_hours` late stands aside
(it ends Completed, with a message saying why) when a later run of the same deployment is
also due, so only the newest sends: one summary, never a pile of catch-up e-mails.
Runs started by hand (`suivi run`, a "quick run" in the UI) are never late.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

LATE_AFTER_HOURS = 6.0
# A later run that was cancelled or crashed will not send: it does not make this one redundant.
COVERING_STATES = ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "PAUSED")


@dataclass(frozen=True)
class RunTiming:
    """When the schedule meant this run to start, and which deployment it belongs to."""

    flow_run_id: UUID | None
    deployment_id: UUID | None
    scheduled: dt.datetime | None  # aware


def current_timing() -> RunTiming:
    """The timing of the flow run in progress (all None outside a run)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    if run is None:
        return RunTiming(None, None, None)
    return RunTiming(run.id, run.deployment_id, run.expected_start_time)


def day_of(moment: dt.datetime, timezone: str) -> dt.date:
    """The calendar day of an aware moment in the settings' time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def is_late(timing: RunTiming, now: dt.datetime, late_after_hours: float) -> bool:
    """A scheduled run of a deployment that starts more than `late_after_hours` after its time."""
    if timing.deployment_id is None or timing.scheduled is None:
        return False
    return now - timing.scheduled > dt.timedelta(hours=late_after_hours)


def stand_aside_message(
    scheduled: dt.datetime, now: dt.datetime, later: dt.datetime, timezone: str
) -> str:
    """Why a late run sends nothing, in the officer's time zone."""
    zone = ZoneInfo(timezone)
    hours = (now - scheduled).total_seconds() / 3600

    def local(moment: dt.datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return (
        f"skipped: scheduled for {local(scheduled)} ({timezone}), started {hours:.1f} h late;"
        f" the run scheduled for {local(later)} is also due and sends instead"
    )


def later_run_due(timing: RunTiming, now: dt.datetime) -> dt.datetime | None:
    """The scheduled time of the latest other run of the same deployment due by now, if any."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    if timing.deployment_id is None or timing.scheduled is None:
        return None
    runs_filter = FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[timing.deployment_id]),
        expected_start_time=FlowRunFilterExpectedStartTime(after_=timing.scheduled, before_=now),
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType(name) for name in COVERING_STATES])
        ),
        id=FlowRunFilterId(not_any_=[timing.flow_run_id] if timing.flow_run_id else []),
    )
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=runs_filter, limit=20)
    later = [
        run.expected_start_time
        for run in runs
        if run.expected_start_time is not None and run.expected_start_time > timing.scheduled
    ]
    return max(later, default=None)
