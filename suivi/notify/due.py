"""Which reminder days a daily run sends (CONTRACT §6.1): pure, no clock.

The daily flow runs on the days its schedule names (Monday to Friday by default; in
working-days mode holidays are off too). A reminder is due on a day (its event minus N days):
- on a day with a run, that run sends it;
- on a day with no scheduled run (a weekend, a holiday), the last run before it sends it;
- when its day passed with no run at all (the machine was down), the next run sends it,
  as long as its event is still ahead.
So a run sends the reminders of every day from the first day no earlier run covered up to
the day before the next scheduled run. Each goes once: its outbox key names the event and
the offset, never the day it is sent. Of several reminders of one event that fall in the
same run, only the nearest to the event goes (J-2 and J-1 both on Friday: J-1).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from suivi.compute.calendar import Calendar

# The daily schedule when none is known (prefect.yaml's daily-watch: Monday to Friday).
WEEKDAYS = frozenset(range(5))
# A run never looks further back than this for reminders no run sent (machine down).
MAX_CATCH_UP_DAYS = 31
# Nor further ahead for days without a run (a holiday stretch never runs longer).
MAX_AHEAD_DAYS = 31
_DAY_NAMES = {
    name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
}


@dataclass(frozen=True)
class RunDays:
    """The days the daily flow is scheduled to run: weekdays (Monday = 0), minus days off in working-days mode."""

    weekdays: frozenset[int] = WEEKDAYS
    calendar: Calendar | None = None  # working-days mode: its holidays have no run either

    def runs_on(self, day: dt.date) -> bool:
        """Whether a scheduled run falls on `day`."""
        if day.weekday() not in self.weekdays:
            return False
        return self.calendar is None or self.calendar.is_working_day(day)

    def next_run_after(self, day: dt.date) -> dt.date:
        """The first scheduled run day after `day` (at most MAX_AHEAD_DAYS ahead)."""
        for step in range(1, MAX_AHEAD_DAYS + 1):
            candidate = day + dt.timedelta(days=step)
            if self.runs_on(candidate):
                return candidate
        return day + dt.timedelta(days=MAX_AHEAD_DAYS)


@dataclass(frozen=True)
class DueWindow:
    """The reminder days one run sends: from `first` to `last`, for events not before `as_of`."""

    as_of: dt.date
    first: dt.date
    last: dt.date

    @property
    def empty(self) -> bool:
        """True when the run sends no reminder (a day off in working-days mode)."""
        return self.last < self.first


def due_window(as_of: dt.date, run_days: RunDays, last_run: dt.date | None = None) -> DueWindow:
    """The reminder days the run of `as_of` sends, given the day of the last run that sent.

    `last_run` is the day of the latest earlier daily run whose e-mails were planned (None
    when there was none: the run then sends today's reminders and those of the days without
    a run that follow, never a backlog).
    """
    if run_days.calendar is not None and not run_days.calendar.is_working_day(as_of):
        return DueWindow(as_of, as_of, as_of - dt.timedelta(days=1))  # sent the working day before
    last = run_days.next_run_after(as_of) - dt.timedelta(days=1)
    first = as_of
    if last_run is not None and last_run < as_of:
        covered_until = run_days.next_run_after(last_run)  # the last run covered the days before
        first = max(min(covered_until, as_of), as_of - dt.timedelta(days=MAX_CATCH_UP_DAYS))
    return DueWindow(as_of, first, last)


def overdue_since(as_of: dt.date, window_start: dt.date, last_run: dt.date | None) -> dt.date:
    """The earliest due date whose overdue notice this run sends: back to the last run, if any."""
    if last_run is None or last_run >= as_of:
        return window_start
    return min(window_start, max(last_run, as_of - dt.timedelta(days=MAX_CATCH_UP_DAYS)))


def weekdays_of_cron(expression: str) -> frozenset[int]:
    """The weekdays (Monday = 0) of a five-field cron expression's day-of-week field."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"not a five-field cron expression: {expression!r}")
    days: set[int] = set()
    for part in fields[4].lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            low, high = 0, 6
        elif "-" in part:
            low_text, high_text = part.split("-", 1)
            low, high = _cron_day(low_text), _cron_day(high_text)
        else:
            low = high = _cron_day(part)
        days.update(range(low, high + 1, step))
    # cron counts Sunday as 0 (and 7), Monday as 1: shift to Python's Monday = 0.
    return frozenset((day - 1) % 7 for day in days)


def _cron_day(text: str) -> int:
    """A cron day of the week: 0-7 or mon..sun."""
    text = text.strip()
    if re.fullmatch(r"[0-7]", text):
        return int(text)
    if text[:3] in _DAY_NAMES:
        return _DAY_NAMES[text[:3]] + 1  # mon = 1 … sun = 7
    raise ValueError(f"unknown day of the week in cron: {text!r}")
