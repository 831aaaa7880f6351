"""Calendar or working days (Saturday, Sunday and Morocco's public holidays off), vectorised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeAlias, overload

import numpy as np
import pandas as pd

# Morocco works Monday to Friday.
WEEKMASK = "1111100"
# Holidays are looked up for these years unless told otherwise; outside them only weekends are off.
DEFAULT_YEARS = range(2000, 2051)

# One date: a date, a datetime or pandas Timestamp (taken at its day), or a numpy datetime64.
DateLike: TypeAlias = dt.date | np.datetime64


@dataclass(frozen=True)
class Calendar:
    """Counts days as calendar days, or as working days when `working_days` is true."""

    working_days: bool = False
    holidays: tuple[dt.date, ...] = field(default=(), repr=False)
    _business: np.busdaycalendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Build numpy's business-day calendar once (frozen, so through object.__setattr__)."""
        days_off = np.array(sorted(self.holidays), dtype="datetime64[D]")
        object.__setattr__(self, "_business", np.busdaycalendar(WEEKMASK, days_off))

    @overload
    def days_between(self, start: DateLike, end: DateLike) -> int: ...
    @overload
    def days_between(self, start: pd.Series | DateLike, end: pd.Series | DateLike) -> pd.Series: ...

    def days_between(
        self, start: pd.Series | DateLike, end: pd.Series | DateLike
    ) -> pd.Series | int:
        """Days from start to end (negative when end is earlier); Int64 series with NA for NaT."""
        starts, ends = _as_days(start), _as_days(end)
        missing = np.isnat(starts) | np.isnat(ends)
        if self.working_days:
            # busday_count cannot take NaT: count a harmless stand-in, then blank those rows.
            placeholder = np.datetime64("2000-01-01", "D")
            counts = np.busday_count(
                np.where(np.isnat(starts), placeholder, starts),
                np.where(np.isnat(ends), placeholder, ends),
                busdaycal=self._business,
            )
        else:
            counts = np.where(missing, 0, (ends - starts).astype("int64"))
        index = _index_of(start, end)
        if index is None:
            if bool(missing):
                raise ValueError("days_between needs two dates, got a missing one")
            return int(counts)
        result = pd.Series(np.broadcast_to(counts, len(index)), index=index, dtype="Int64")
        return result.mask(np.broadcast_to(missing, len(index)))

    def add_days(self, dates: pd.Series, days: pd.Series | int) -> pd.Series:
        """Dates moved by a number of (calendar or working) days; NaT where a date or count is missing."""
        starts = _as_days(dates)
        counts = pd.Series(days, index=dates.index) if np.isscalar(days) else days
        amounts = pd.to_numeric(counts, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnat(starts) | np.isnan(amounts)
        whole = np.where(missing, 0, amounts).astype("int64")
        if self.working_days:
            # A date on a day off first rolls forward to the next working day, then moves.
            placeholder = np.datetime64("2000-01-03", "D")
            moved = np.busday_offset(
                np.where(np.isnat(starts), placeholder, starts),
                whole,
                roll="forward",
                busdaycal=self._business,
            )
        else:
            moved = starts + whole.astype("timedelta64[D]")
        moved = np.where(missing, np.datetime64("NaT", "D"), moved)
        return pd.Series(moved.astype("datetime64[ns]"), index=dates.index)

    def is_working_day(self, day: dt.date) -> bool:
        """True when work happens that day (every day, in calendar mode)."""
        if not self.working_days:
            return True
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._business))

    def previous_working_day(self, day: dt.date) -> dt.date:
        """The day itself if it is a working day, else the last working day before it."""
        if not self.working_days:
            return day
        rolled = np.busday_offset(
            np.datetime64(day, "D"), 0, roll="backward", busdaycal=self._business
        )
        return _to_date(rolled)


# Calendar days: the default everywhere a calendar is optional.
CALENDAR_DAYS = Calendar(False)


@lru_cache(maxsize=8)
def calendar_for(working_days: bool, years: range | None = None) -> Calendar:
    """The calendar the settings ask for: calendar days, or Moroccan working days."""
    if not working_days:
        return CALENDAR_DAYS
    # The package gives the Islamic holidays too, as estimated dates. Imported here: calendar
    # days (the default) never need it, and it costs a tenth of a second to load.
    import holidays as holiday_tables

    table = holiday_tables.country_holidays("MA", years=years or DEFAULT_YEARS)
    return Calendar(True, tuple(sorted(table)))


def _as_days(values: pd.Series | DateLike) -> np.ndarray:
    """Dates (a series or one date) as numpy day precision, NaT kept."""
    if isinstance(values, pd.Series):
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            values = pd.to_datetime(values, errors="coerce")
        elif getattr(values.dtype, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        return values.to_numpy(dtype="datetime64[D]")
    if values is None or pd.isna(values):
        return np.array("NaT", dtype="datetime64[D]")
    if isinstance(values, pd.Timestamp):
        return np.array(values.to_datetime64(), dtype="datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


def _index_of(start: object, end: object) -> pd.Index | None:
    """The index of whichever argument is a series (start first); None for two scalars."""
    for value in (start, end):
        if isinstance(value, pd.Series):
            return value.index
    return None


def _to_date(day: np.datetime64) -> dt.date:
    """A numpy day as a date."""
    return pd.Timestamp(day).date()
