"""Calendar and Moroccan working days."""

from __future__ import annotations

import datetime as dt

import holidays
import pandas as pd
import pytest

from suivi.compute.calendar import CALENDAR_DAYS, Calendar, calendar_for

THRONE_DAY = dt.date(2026, 7, 30)  # a Thursday
GREEN_MARCH = dt.date(2026, 11, 6)  # a Friday
INDEPENDENCE_DAY = dt.date(2026, 11, 18)  # a Wednesday


@pytest.fixture(scope="module")
def working() -> Calendar:
    """Moroccan working days."""
    return calendar_for(True)


def days(*texts: str | None) -> pd.Series:
    """A series of midnight dates (None is NaT)."""
    return pd.Series(pd.to_datetime(list(texts)), dtype="datetime64[ns]")


def test_calendar_for_calendar_days_has_no_days_off() -> None:
    calendar = calendar_for(False)
    assert calendar is CALENDAR_DAYS
    assert not calendar.working_days
    assert calendar.days_between(dt.date(2026, 7, 29), dt.date(2026, 7, 31)) == 2


def test_working_calendar_holds_moroccan_holidays_islamic_ones_included(working: Calendar) -> None:
    assert working.working_days
    assert {THRONE_DAY, GREEN_MARCH, INDEPENDENCE_DAY} <= set(working.holidays)
    from_package = holidays.country_holidays("MA", years=2026)
    assert any("Eid al-Fitr" in name for name in from_package.values())
    assert set(from_package) <= set(working.holidays)


def test_calendar_for_limits_holidays_to_the_years_asked() -> None:
    calendar = calendar_for(True, range(2026, 2027))
    assert calendar.holidays
    assert {day.year for day in calendar.holidays} == {2026}


def test_days_between_skips_a_holiday_in_working_days(working: Calendar) -> None:
    # Wednesday to Friday over Throne Day: only Wednesday is worked.
    assert working.days_between(dt.date(2026, 7, 29), dt.date(2026, 7, 31)) == 1
    assert CALENDAR_DAYS.days_between(dt.date(2026, 7, 29), dt.date(2026, 7, 31)) == 2


def test_days_between_skips_the_weekend_in_working_days(working: Calendar) -> None:
    friday, monday = dt.date(2026, 3, 6), dt.date(2026, 3, 9)
    assert working.days_between(friday, monday) == 1
    assert CALENDAR_DAYS.days_between(friday, monday) == 3


def test_days_between_keeps_the_sign(working: Calendar) -> None:
    assert working.days_between(dt.date(2026, 11, 19), dt.date(2026, 11, 17)) == -1
    assert CALENDAR_DAYS.days_between(dt.date(2026, 11, 19), dt.date(2026, 11, 17)) == -2


def test_days_between_series_keeps_index_and_blanks_missing_dates(working: Calendar) -> None:
    starts = days("2026-11-17", None, "2026-11-20").set_axis([10, 11, 12])
    thursday = dt.date(2026, 11, 19)
    # Working: 17 Nov worked, 18 Nov is Independence Day; 20 Nov is one day after.
    pd.testing.assert_series_equal(
        working.days_between(starts, thursday),
        pd.Series([1, None, -1], index=[10, 11, 12], dtype="Int64"),
    )
    pd.testing.assert_series_equal(
        CALENDAR_DAYS.days_between(starts, thursday),
        pd.Series([2, None, -1], index=[10, 11, 12], dtype="Int64"),
    )


def test_days_between_two_series(working: Calendar) -> None:
    starts = days("2026-11-05", "2026-07-29")
    ends = days("2026-11-09", None)
    counted = working.days_between(starts, ends)
    pd.testing.assert_series_equal(counted, pd.Series([1, None], dtype="Int64"))


def test_days_between_a_date_and_a_series(working: Calendar) -> None:
    ends = days("2026-07-31", "2026-07-29")
    counted = working.days_between(dt.date(2026, 7, 29), ends)
    pd.testing.assert_series_equal(counted, pd.Series([1, 0], dtype="Int64"))


def test_days_between_two_scalars_with_a_missing_date_is_an_error() -> None:
    with pytest.raises(ValueError, match="missing"):
        CALENDAR_DAYS.days_between(pd.NaT, dt.date(2026, 1, 1))  # type: ignore[arg-type]


def test_add_days_calendar_handles_missing_counts_and_dates() -> None:
    moved = CALENDAR_DAYS.add_days(days("2026-07-29", None, "2026-12-31"), pd.Series([2, 1, None]))
    pd.testing.assert_series_equal(moved, days("2026-07-31", None, None))


def test_add_days_working_skips_holidays_and_weekends(working: Calendar) -> None:
    moved = working.add_days(days("2026-11-17", "2026-11-05", "2026-07-29"), 1)
    # 18 Nov and 6 Nov (then the weekend) and 30 Jul are off.
    pd.testing.assert_series_equal(moved, days("2026-11-19", "2026-11-09", "2026-07-31"))


def test_add_days_working_rolls_a_day_off_forward_first(working: Calendar) -> None:
    moved = working.add_days(days("2026-11-07", "2026-11-07"), pd.Series([0, 2]))
    pd.testing.assert_series_equal(moved, days("2026-11-09", "2026-11-11"))


def test_add_days_preserves_index() -> None:
    dates = days("2026-01-01").set_axis(["A1"])
    assert CALENDAR_DAYS.add_days(dates, 3).index.tolist() == ["A1"]


def test_previous_working_day(working: Calendar) -> None:
    assert working.previous_working_day(INDEPENDENCE_DAY) == dt.date(2026, 11, 17)
    # Sunday after Green March: back over the weekend and the holiday to Thursday.
    assert working.previous_working_day(dt.date(2026, 11, 8)) == dt.date(2026, 11, 5)
    assert working.previous_working_day(dt.date(2026, 11, 19)) == dt.date(2026, 11, 19)
    assert CALENDAR_DAYS.previous_working_day(dt.date(2026, 11, 8)) == dt.date(2026, 11, 8)


def test_is_working_day(working: Calendar) -> None:
    assert not working.is_working_day(THRONE_DAY)
    assert not working.is_working_day(dt.date(2026, 8, 1))  # Saturday
    assert working.is_working_day(dt.date(2026, 7, 31))
    assert CALENDAR_DAYS.is_working_day(THRONE_DAY)


def test_weekends_only_calendar_without_holidays() -> None:
    weekdays_only = Calendar(True)
    assert weekdays_only.days_between(dt.date(2026, 7, 29), dt.date(2026, 7, 31)) == 2


def test_calendars_compare_by_value() -> None:
    assert Calendar(False) == CALENDAR_DAYS
    assert calendar_for(True) is calendar_for(True)  # built once
