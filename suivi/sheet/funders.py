"""The funders' optional tabs (`Cibles`, `Engagements`): periods and periodicities read, or reported."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from suivi.i18n.catalogs import N_
from suivi.model import Problem
from suivi.schema import COLUMNS, TAB_HEADERS, Tab, fold_labels, normalise_label

# A period as the team writes it: `2026`, `2026-S1`, `2026-T3` (or `Q3`), a month `2026-09`;
# a month typed into a spreadsheet often arrives as the first day of that month.
PERIOD_PATTERN = (
    r"^(?P<year>\d{4})(?:"
    r"(?:\s*-?\s*(?P<half>[sS])(?P<half_n>[12]))"
    r"|(?:\s*-?\s*(?P<quarter>[tTqQ])(?P<quarter_n>[1-4]))"
    r"|(?:-(?P<month>\d{1,2})(?:-01(?: 00:00:00)?)?)"
    r")?$"
)
MONTHS_PER_PERIODICITY: dict[str, int] = {
    normalise_label(label): months
    for labels, months in (
        (("mensuelle", "monthly"), 1),
        (("trimestrielle", "quarterly"), 3),
        (("semestrielle", "half-yearly", "semiannual", "semestrial"), 6),
        (("annuelle", "yearly", "annual"), 12),
    )
    for label in labels
}
BAD_PERIOD = N_(
    "Unreadable period {value} (expected 2026, 2026-S1, 2026-T3 or 2026-09); row ignored"
)
BAD_PERIODICITY = N_(
    "Unknown periodicity {value} (expected trimestrielle, semestrielle or annuelle); row ignored"
)
BAD_DELAY = N_("The delay must be a whole number of days, 0 or more: {value}; row ignored")
ENDS_BEFORE_START = N_("The contract ends before it starts ({start} after {end}); row ignored")
UNKNOWN_INDICATOR = N_("Indicator {value} is not in the Indicators tab; row ignored")
REPEATED_TARGET = N_(
    "A second target for {indicator}, {period}{breakdown}: only the first one is used"
)

TARGET_COLUMNS = [
    "project", "indicator", "period", "breakdown", "target", "row",
    "period_start", "period_end", "period_months",
]  # fmt: skip
COMMITMENT_COLUMNS = [
    "project", "funder", "deliverable", "periodicity", "delay_days", "start", "end", "owner",
    "owner_email", "row", "months",
]  # fmt: skip


def parse_periods(cells: pd.Series) -> pd.DataFrame:
    """Canonical label, first day, last day and length in months of each period; NaN where unreadable."""
    text = cells.astype("string").str.strip()
    parts = text.str.extract(PERIOD_PATTERN)
    year = pd.to_numeric(parts["year"], errors="coerce")
    half = pd.to_numeric(parts["half_n"], errors="coerce")
    quarter = pd.to_numeric(parts["quarter_n"], errors="coerce")
    month = pd.to_numeric(parts["month"], errors="coerce")
    month = month.where(month.between(1, 12))
    months = pd.Series(
        np.select(
            [half.notna(), quarter.notna(), month.notna(), parts["month"].isna() & year.notna()],
            [6, 3, 1, 12],
            default=0,
        ),
        index=cells.index,
    )
    first_month = (
        ((half - 1) * 6 + 1).fillna((quarter - 1) * 3 + 1).fillna(month).fillna(1).where(months > 0)
    )
    readable = year.notna() & first_month.notna()
    first = (year * 12 + first_month - 1).where(readable)  # months since year 0
    start = month_starts(first)
    end = month_starts(first + months) - pd.Timedelta(days=1)
    label = pd.Series(
        np.select(
            [half.notna(), quarter.notna(), month.notna()],
            [
                year.astype("Int64").astype("string")
                + "-S"
                + half.astype("Int64").astype("string"),
                year.astype("Int64").astype("string")
                + "-T"
                + quarter.astype("Int64").astype("string"),
                year.astype("Int64").astype("string")
                + "-"
                + month.astype("Int64").astype("string").str.zfill(2),
            ],
            default=year.astype("Int64").astype("string"),
        ),
        index=cells.index,
        dtype="object",
    )
    return pd.DataFrame(
        {
            "period": label.where(readable),
            "period_start": start.where(readable).astype("datetime64[ns]"),
            "period_end": end.where(readable).astype("datetime64[ns]"),
            "period_months": months.where(readable),
        },
        index=cells.index,
    )


def month_starts(months: pd.Series) -> pd.Series:
    """The first day of each month counted from year 0 (NaT where missing)."""
    known = months.notna().to_numpy()
    since_epoch = np.where(known, months.fillna(0).to_numpy(dtype="float64") - 1970 * 12, 0)
    days = since_epoch.astype("int64").astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(days, index=months.index).where(known).astype("datetime64[ns]")


def check_funder_tabs(
    project: str,
    frames: Mapping[Tab, pd.DataFrame],
    titles: Mapping[Tab, str],
    letters: Mapping[Tab, Mapping[str, str]],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """`Cibles` with their periods, `Engagements` with their months per period; bad rows reported."""
    targets, commitments = frames[Tab.TARGETS], frames[Tab.COMMITMENTS]
    indicators = frames[Tab.INDICATORS]
    checked_targets, problems = _check_targets(
        project, targets, indicators, titles.get(Tab.TARGETS, ""), letters.get(Tab.TARGETS, {})
    )
    checked_commitments, found = _check_commitments(
        project, commitments, titles.get(Tab.COMMITMENTS, ""), letters.get(Tab.COMMITMENTS, {})
    )
    return checked_targets, checked_commitments, problems + found


def _check_targets(
    project: str,
    targets: pd.DataFrame,
    indicators: pd.DataFrame,
    title: str,
    letters: Mapping[str, str],
) -> tuple[pd.DataFrame, list[Problem]]:
    title = title or TAB_HEADERS[Tab.TARGETS][0]
    periods = parse_periods(targets["period"])
    unreadable = periods["period"].isna()
    unknown = ~targets["indicator"].isin(indicators["code"])
    problems = _problems(project, title, targets, unreadable, "period", letters, BAD_PERIOD)
    problems += _problems(
        project, title, targets, unknown & ~unreadable, "indicator", letters, UNKNOWN_INDICATOR
    )
    kept = targets.drop(columns=["period"]).join(periods)[~(unreadable | unknown)]
    breakdown = kept["breakdown"].fillna("").astype("str").str.strip()
    kept = kept.assign(breakdown=breakdown)
    folded = fold_labels(breakdown)  # "femmes" and "Femmes " are one breakdown
    repeated = kept.assign(_folded=folded).duplicated(
        ["indicator", "period", "_folded"], keep="first"
    )
    problems += [
        _problem(
            project,
            title,
            letters,
            "period",
            row,
            indicator,
            REPEATED_TARGET,
            {"indicator": indicator, "period": period, "breakdown": f", {part}" if part else ""},
            value=period,
            blocking=False,  # the first target of the period is used
        )
        for row, indicator, period, part in _masked(
            kept, repeated, "row", "indicator", "period", "breakdown"
        )
    ]
    return kept[~repeated].reset_index(drop=True)[TARGET_COLUMNS], problems


def _check_commitments(
    project: str, commitments: pd.DataFrame, title: str, letters: Mapping[str, str]
) -> tuple[pd.DataFrame, list[Problem]]:
    title = title or TAB_HEADERS[Tab.COMMITMENTS][0]
    folded = fold_labels(commitments["periodicity"])
    months = folded.map(MONTHS_PER_PERIODICITY)
    bad_periodicity = months.isna()
    delay = commitments["delay_days"]
    bad_delay = ~((delay >= 0) & (delay == delay.round()))
    backwards = commitments["end"] < commitments["start"]
    problems = _problems(
        project, title, commitments, bad_periodicity, "periodicity", letters, BAD_PERIODICITY
    )
    problems += _problems(project, title, commitments, bad_delay, "delay_days", letters, BAD_DELAY)
    problems += [
        _problem(
            project,
            title,
            letters,
            "end",
            row,
            name,
            ENDS_BEFORE_START,
            {"start": start.date().isoformat(), "end": end.date().isoformat()},
            value=end.date().isoformat(),
        )
        for row, name, start, end in _masked(
            commitments, backwards, "row", "deliverable", "start", "end"
        )
    ]
    usable = ~(bad_periodicity | bad_delay | backwards)
    kept = commitments.assign(months=months)[usable.to_numpy()]
    return kept.reset_index(drop=True)[COMMITMENT_COLUMNS], problems


def _problems(
    project: str,
    title: str,
    rows: pd.DataFrame,
    mask: pd.Series,
    column: str,
    letters: Mapping[str, str],
    message: str,
) -> list[Problem]:
    """One blocking problem per masked row, on `column`'s cell, quoting the value found."""
    key = "indicator" if "indicator" in rows.columns else "deliverable"
    return [
        _problem(project, title, letters, column, row, row_id, message, {"value": _text(value)})
        for row, row_id, value in _masked(rows, mask.to_numpy(), "row", key, column)
    ]


def _masked(
    rows: pd.DataFrame, mask: pd.Series | np.ndarray[Any, Any], *columns: str
) -> Iterator[tuple[Any, ...]]:
    """The masked rows' values in these columns, row by row."""
    return zip(*(rows.loc[mask, column] for column in columns), strict=True)


def _problem(
    project: str,
    title: str,
    letters: Mapping[str, str],
    column: str,
    row: object,
    row_id: object,
    message: str,
    params: dict[str, object],
    value: object = None,
    blocking: bool = True,
) -> Problem:
    header = _header(column)
    shown = _text(value if value is not None else params.get("value", ""))
    return Problem(
        project,
        title,
        f"{letters.get(column, '?')}{row}",
        shown,
        message,
        blocking=blocking,
        params=params,
        column=header,
        row_id=_text(row_id),
    )


def _header(column: str) -> str:
    for tab in (Tab.TARGETS, Tab.COMMITMENTS):
        for known in COLUMNS[tab]:
            if known.name == column:
                return known.fr
    return column


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
