"""Reminder days no run sees (CONTRACT §6.1): weekends, holidays, days the machine was down."""

from __future__ import annotations

import datetime as dt

import pytest
from test_messages import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    committees,
    config,
    deliverable,
    quiet,
    sent,
    tracking,
    view,
)

from suivi.notify.due import RunDays, due_window, weekdays_of_cron
from suivi.notify.messages import MessageKind, plan_daily

COPIL = committees({"date": "2026-12-14"})  # the demo's COPIL, a Monday
WEEKDAYS = RunDays()  # prefect.yaml's daily-watch: Monday to Friday


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def committee_occasions(as_of: str, last_run: str | None = None, **changes: object) -> set[str]:
    rows = tracking({"id": "A1"})
    calendar = WORKING_DAYS if changes.get("working_days") else CALENDAR_DAYS
    messages = plan_daily(
        [view(rows, meetings=COPIL, previous=quiet(rows))],
        config(**changes),
        day(as_of),
        calendar,
        RunDays(calendar=calendar if changes.get("working_days") else None),
        day(last_run) if last_run else None,
    )
    return {message.occasion for message in sent(messages, MessageKind.COMMITTEE_REMINDER)}


def test_the_sunday_reminder_of_the_demo_copil_goes_out_on_friday() -> None:
    # Each weekday run of the week before, as the schedule makes them.
    sent_on = {
        as_of: committee_occasions(as_of, last_run=previous)
        for previous, as_of in [
            ("2026-12-04", "2026-12-07"),
            ("2026-12-07", "2026-12-08"),
            ("2026-12-08", "2026-12-09"),
            ("2026-12-09", "2026-12-10"),
            ("2026-12-10", "2026-12-11"),
            ("2026-12-11", "2026-12-14"),
        ]
    }

    assert sent_on == {
        "2026-12-07": {"2026-12-14:J-7"},
        "2026-12-08": set(),
        "2026-12-09": set(),
        "2026-12-10": set(),
        "2026-12-11": {"2026-12-14:J-1"},  # Sunday 13's reminder, at the last run before it
        "2026-12-14": set(),  # the meeting day: nothing more, nothing twice
    }


def test_a_reminder_whose_day_no_run_saw_goes_at_the_next_run_while_its_event_is_ahead() -> None:
    # The machine was down from Saturday 5 to Monday 7: J-7 (Monday 7) goes on Tuesday 8.
    assert committee_occasions("2026-12-08", last_run="2026-12-04") == {"2026-12-14:J-7"}
    # Down all week: Monday 14's run is the meeting day; J-1 still goes (the event is today).
    assert committee_occasions("2026-12-14", last_run="2026-12-04") == {"2026-12-14:J-1"}
    # After the meeting, nothing is sent late.
    assert committee_occasions("2026-12-15", last_run="2026-12-04") == set()


def test_a_first_run_sends_no_backlog() -> None:
    assert committee_occasions("2026-12-08") == set()  # J-7 was yesterday, no run known


def test_working_days_mode_sends_before_a_holiday_and_nothing_on_it() -> None:
    # A meeting on Thursday 19 November 2026: its J-1 is Independence Day (Wednesday 18).
    meeting = committees({"date": "2026-11-19"})
    rows = tracking({"id": "A1"})
    run_days = RunDays(calendar=WORKING_DAYS)

    def occasions(as_of: str, last_run: str) -> set[str]:
        messages = plan_daily(
            [view(rows, meetings=meeting, previous=quiet(rows))],
            config(working_days=True),
            day(as_of),
            WORKING_DAYS,
            run_days,
            day(last_run),
        )
        return {m.occasion for m in sent(messages, MessageKind.COMMITTEE_REMINDER)}

    assert not WORKING_DAYS.is_working_day(day("2026-11-18"))  # Independence Day
    assert occasions("2026-11-17", "2026-11-16") == {"2026-11-19:J-1"}
    assert occasions("2026-11-18", "2026-11-17") == set()


def test_a_deliverable_due_on_a_sunday_gets_every_reminder() -> None:
    rows = tracking(deliverable(id="Rapport", deadline="2026-12-20"))  # a Sunday
    runs = [day("2026-11-20") + dt.timedelta(days=step) for step in range(31)]
    runs = [run for run in runs if WEEKDAYS.runs_on(run)]
    occasions: list[str] = []
    for previous, as_of in zip([None, *runs], runs, strict=False):
        messages = plan_daily(
            [view(rows, previous=quiet(rows))], config(), as_of, CALENDAR_DAYS, WEEKDAYS, previous
        )
        occasions += [
            m.occasion
            for m in sent(messages, MessageKind.DELIVERABLE_REMINDER)
            if m.recipient == "officer@example.org"
        ]
    assert occasions == [
        "2026-12-20:J-30:Rapport",  # Friday 20 November: the run of that day
        "2026-12-20:J-14:Rapport",  # Sunday 6 December → Friday 4
        "2026-12-20:J-7:Rapport",  # Sunday 13 → Friday 11
        "2026-12-20:J-1:Rapport",  # Saturday 19 → Friday 18
    ]


@pytest.mark.parametrize(
    "cron, days",
    [
        ("30 7 * * 1-5", {0, 1, 2, 3, 4}),
        ("0 8 * * 1", {0}),
        ("0 8 * * *", set(range(7))),
        ("0 8 * * mon-fri", {0, 1, 2, 3, 4}),
        ("0 8 * * 0,6", {5, 6}),
        ("0 8 * * 7", {6}),
    ],
)
def test_run_days_come_from_the_cron_schedule(cron: str, days: set[int]) -> None:
    assert weekdays_of_cron(cron) == frozenset(days)


def test_the_window_reaches_the_day_before_the_next_run() -> None:
    friday = due_window(day("2026-12-11"), WEEKDAYS, day("2026-12-10"))
    assert (friday.first, friday.last) == (day("2026-12-11"), day("2026-12-13"))
    thursday_after_a_gap = due_window(day("2026-12-10"), WEEKDAYS, day("2026-12-07"))
    assert thursday_after_a_gap.first == day("2026-12-08")
