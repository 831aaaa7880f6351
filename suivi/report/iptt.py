"""The funders' Indicator Performance Tracking Table, as tables: pure (no workbook here).

`iptt_table` is one row per indicator with its values per quarter and the sheet cells they came
from; `period_table` is TolaData's layout: per indicator and per breakdown, target, actual and
% met for the life of the programme and for each period `Cibles` sets (years, semesters,
quarters). suivi.jobs.iptt writes both into an .xlsx workbook.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from suivi.compute.forecast import aggregation_codes
from suivi.i18n import translate
from suivi.i18n.catalogs import N_, gettext
from suivi.model import RawTabs
from suivi.schema import TAB_HEADERS, Tab, column_letter, fold_labels
from suivi.sheet.clean import find_header, match_tabs

DEFAULT_VALUE_COLUMN = "C"  # Valeur is the third column of the contract's Mesures tab
PLAIN_SHEET_NAME = re.compile(r"[^\W\d]\w*")  # a name Excel reads without quotes

FIXED_BEFORE = ["code", "level", "name", "unit", "baseline", "target", "target_date"]
FIXED_AFTER = ["cumulative", "current", "achievement", "status", "sources"]

# The table's own words (English msgids; French and Arabic in the catalogs).
_WORDS: dict[str, str] = {
    "title": N_("Indicator Performance Tracking Table (IPTT)"),
    "level": N_("Level"),
    "unit": N_("Unit"),
    "target_date": N_("Target date"),
    "quarter": N_("Q{quarter} {year}"),
    "cumulative": N_("Cumulative"),
    "achievement": N_("% achieved"),
    "sources": N_("Source cells"),
    "note": N_(
        "Quarter value: the sum of the quarter's measures for a “sum” indicator, the quarter's"
        " last measure for a “latest” one; breakdowns of one date are added up."
        " % achieved = (current − baseline) ÷ (target − baseline)."
    ),
}


@dataclass(frozen=True, eq=False)
class IpttProject:
    """One project's sheet: its indicator table and the measures behind it."""

    code: str
    name: str
    indicators: pd.DataFrame  # the indicator table of compute_indicators
    measures: pd.DataFrame  # clean measures: `row` is the sheet row of each value
    definitions: pd.DataFrame | None = None  # clean Indicateurs, for each aggregation
    language: str = "fr"
    measures_tab: str = TAB_HEADERS[Tab.MEASURES][0]  # the tab as the team named it
    value_column: str = DEFAULT_VALUE_COLUMN  # the letter of its Valeur column
    targets: pd.DataFrame | None = None  # clean Cibles: periodic and disaggregated targets


def iptt_words(key: str, language: str, **values: object) -> str:
    """One of the table's own strings in `language`."""
    return gettext(_WORDS[key], language, **values)


def value_column_letter(tabs: RawTabs) -> str | None:
    """The letter of the `Valeur` column in the raw `Mesures` tab, or None when not found."""
    title = match_tabs(tabs).get(Tab.MEASURES)
    if title is None:
        return None
    _, mapping = find_header(tabs[title], Tab.MEASURES)
    position = next((index for index, name in mapping.items() if name == "value"), None)
    return None if position is None else column_letter(position + 1)


def quarter_range(first: pd.Timestamp, last: pd.Timestamp) -> pd.PeriodIndex:
    """Every quarter from the one holding `first` to the one holding `last`."""
    return pd.period_range(first.to_period("Q"), last.to_period("Q"), freq="Q")


def iptt_table(project: IpttProject, as_of: dt.date) -> tuple[pd.DataFrame, pd.PeriodIndex]:
    """One row per indicator: fixed columns, one column per quarter (Period labels), sources.

    Quarters run from the first measure's to as_of's; measures after as_of are left out.
    """
    today = pd.Timestamp(as_of).normalize()
    indicators = project.indicators.reset_index(drop=True)
    codes = indicators["code"].astype("str").str.strip()
    aggregation = aggregation_codes(indicators, project.definitions).reset_index(drop=True)
    used = _usable_measures(project.measures, today, set(codes))
    totals = used.groupby(["code", "date"], as_index=False)["value"].sum()
    totals = totals.assign(quarter=totals["date"].dt.to_period("Q"))
    first = totals["date"].min() if not totals.empty else today
    quarters = quarter_range(min(first, today), today)

    summed_codes = set(codes[aggregation.eq("sum").to_numpy()])
    summed = totals["code"].isin(summed_codes)
    # Per quarter: the sum of a "sum" indicator's dated totals, the last one of a "latest" one.
    per_quarter = pd.concat(
        [
            totals[summed.to_numpy()].groupby(["code", "quarter"])["value"].sum(),
            totals[~summed.to_numpy()]
            .sort_values("date", kind="stable")
            .groupby(["code", "quarter"])["value"]
            .last(),
        ]
    )
    grid = (
        per_quarter.unstack("quarter").reindex(columns=quarters)
        if not per_quarter.empty
        else pd.DataFrame(columns=quarters, dtype="float64")
    )
    grid = grid.reindex(codes.to_numpy())
    overall = totals.sort_values("date", kind="stable").groupby("code")["value"]
    cumulative = codes.map(overall.sum()).where(codes.isin(summed_codes), codes.map(overall.last()))

    table = pd.DataFrame(
        {
            "code": codes,
            "level": indicators.get("level"),
            "name": indicators.get("name"),
            "unit": indicators.get("unit"),
            "baseline": pd.to_numeric(indicators.get("baseline"), errors="coerce"),
            "target": pd.to_numeric(indicators.get("target"), errors="coerce"),
            "target_date": pd.to_datetime(indicators.get("target_date"), errors="coerce"),
        }
    )
    for quarter in quarters:
        table[quarter] = grid[quarter].to_numpy(dtype="float64", na_value=np.nan)
    table = table.assign(
        cumulative=cumulative.astype("float64").to_numpy(),
        current=pd.to_numeric(indicators.get("current"), errors="coerce").to_numpy(),
        achievement=pd.to_numeric(indicators.get("achievement"), errors="coerce").to_numpy(),
        status=indicators.get("status"),
        sources=codes.map(_source_cells(used, project)).to_numpy(),
    )
    return table, quarters


def header_labels(quarters: pd.PeriodIndex, language: str) -> list[str]:
    """The header row: fixed columns, a label per quarter, then the closing columns."""
    before = [
        translate("col.code", language),
        iptt_words("level", language),
        translate("col.indicator", language),
        iptt_words("unit", language),
        translate("col.baseline", language),
        translate("col.target", language),
        iptt_words("target_date", language),
    ]
    middle = [
        iptt_words("quarter", language, quarter=quarter.quarter, year=quarter.year)
        for quarter in quarters
    ]
    after = [
        iptt_words("cumulative", language),
        translate("col.current", language),
        iptt_words("achievement", language),
        translate("col.status", language),
        iptt_words("sources", language),
    ]
    return before + middle + after


def _usable_measures(measures: pd.DataFrame, today: pd.Timestamp, codes: set[str]) -> pd.DataFrame:
    """Measures of known indicators with a date up to today and a value: code, date, value, row."""
    columns = measures.columns
    usable = pd.DataFrame(
        {
            "code": (
                measures["indicator"].astype("str").str.strip()
                if "indicator" in columns
                else pd.Series("", index=measures.index, dtype="str")
            ),
            "date": pd.to_datetime(
                measures["date"] if "date" in columns else pd.Series(pd.NaT, index=measures.index),
                errors="coerce",
            ).dt.normalize(),
            "value": pd.to_numeric(
                measures["value"] if "value" in columns else pd.Series(np.nan, measures.index),
                errors="coerce",
            ),
            "row": pd.to_numeric(
                measures["row"] if "row" in columns else pd.Series(np.nan, measures.index),
                errors="coerce",
            ),
        }
    )
    keep = (
        usable["code"].isin(codes)
        & usable["date"].notna()
        & (usable["date"] <= today)
        & usable["value"].notna()
    )
    return usable[keep.to_numpy()].astype({"date": "datetime64[ns]", "value": "float64"})


def _source_cells(used: pd.DataFrame, project: IpttProject) -> pd.Series:
    """Per indicator code: `Mesures!C5:C7, C9`, the value cells its figures add up."""
    located = used.dropna(subset=["row"]).astype({"row": "int64"})
    if located.empty:
        return pd.Series(dtype="str")
    located = located.drop_duplicates(["code", "row"]).sort_values(["code", "row"], kind="stable")
    # Consecutive rows of one indicator make one range: a new range where the run breaks.
    breaks = (located["code"] != located["code"].shift()) | (
        located["row"] != located["row"].shift() + 1
    )
    runs = (
        located.assign(run=breaks.cumsum())
        .groupby("run")
        .agg(code=("code", "first"), first=("row", "min"), last=("row", "max"))
    )
    letter = project.value_column
    ranges = (letter + runs["first"].astype("str")).where(
        runs["first"] == runs["last"],
        letter + runs["first"].astype("str") + ":" + letter + runs["last"].astype("str"),
    )
    joined = ranges.groupby(runs["code"]).agg(", ".join)
    return _sheet_reference(project.measures_tab) + "!" + joined


def _sheet_reference(title: str) -> str:
    """A tab name as a formula reference writes it: quoted only when it must be."""
    if PLAIN_SHEET_NAME.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


# ---------------------------------------------------------------- by period (TolaData's layout)

PERIOD_FIXED = ["code", "name", "breakdown", "level", "unit", "baseline"]
TRIPLET = ("target", "actual", "met")
PERIOD_WORDS: dict[str, str] = {
    "title": N_("Indicator Performance Tracking Table by period"),
    "sheet": N_("{code} by period"),
    "breakdown": N_("Breakdown"),
    "all": N_("All"),
    "life": N_("Life of programme"),
    "target": N_("Target"),
    "actual": N_("Actual"),
    "met": N_("% met"),
    "note": N_(
        "Actual of a period: the sum of its measures for a “sum” indicator, its last measure for a"
        " “latest” one, up to the date above; % met = actual ÷ target. Life of programme: the"
        " logframe's target for an indicator, the sum (or the last) of its period targets for a"
        " breakdown."
    ),
}


@dataclass(frozen=True)
class Period:
    """A column group of the table: a period `Cibles` sets a target for."""

    label: str  # 2026, 2026-S1, 2026-T3, 2026-09
    start: dt.date
    end: dt.date


def period_words(key: str, language: str, **values: object) -> str:
    """One of the period table's own strings in `language`."""
    return gettext(PERIOD_WORDS[key], language, **values)


def target_periods(targets: pd.DataFrame | None) -> list[Period]:
    """Every period with a target, by start date, the longest first (2026, 2026-S1, 2026-T1…)."""
    if targets is None or targets.empty:
        return []
    periods = targets.drop_duplicates("period").sort_values(
        ["period_start", "period_end"], ascending=[True, False], kind="stable"
    )
    return [
        Period(str(label), start.date(), end.date())
        for label, start, end in zip(
            periods["period"], periods["period_start"], periods["period_end"], strict=True
        )
    ]


def period_table(project: IpttProject, as_of: dt.date) -> tuple[pd.DataFrame, list[Period]]:
    """Per indicator then per breakdown: fixed columns, then target, actual and % met for the
    life of the programme and for each period (columns `life|target`, `2026-S1|met`…).
    """
    today = pd.Timestamp(as_of).normalize()
    periods = target_periods(project.targets)
    targets = project.targets if project.targets is not None else pd.DataFrame()
    indicators = project.indicators.reset_index(drop=True)
    codes = indicators["code"].astype("str").str.strip()
    summed = aggregation_codes(indicators, project.definitions).reset_index(drop=True).eq("sum")
    measures = _measures_with_breakdowns(project.measures, today, set(codes))
    slots = _slots(indicators.assign(code=codes, summed=summed.to_numpy()), targets, measures)
    table = slots[PERIOD_FIXED].copy()
    # An indicator's own actual is its current value (computed ones have no measures).
    current = pd.to_numeric(indicators["current"], errors="coerce").groupby(codes).first()
    life_actual = _actuals(slots, measures, pd.Timestamp.min, today).where(
        slots["folded"].ne("").to_numpy(), slots["code"].map(current).to_numpy()
    )
    life_target = _life_targets(slots, targets)
    _put_triplet(table, "life", life_target, life_actual)
    for period in periods:
        start, end = pd.Timestamp(period.start), min(today, pd.Timestamp(period.end))
        # A period still ahead has no actual yet (not a zero).
        actual = _actuals(slots, measures, start, end) if start <= today else _nothing(slots)
        target = _period_targets(slots, targets, period.label)
        _put_triplet(table, period.label, target, actual)
    return table.reset_index(drop=True), periods


def _measures_with_breakdowns(
    measures: pd.DataFrame, today: pd.Timestamp, codes: set[str]
) -> pd.DataFrame:
    """Usable measures with their breakdown ('' when none), folded for matching."""
    usable = _usable_measures(measures, today, codes)
    breakdowns = (
        measures["breakdown"].reindex(usable.index).fillna("").astype("str").str.strip()
        if "breakdown" in measures.columns
        else pd.Series("", index=usable.index, dtype="str")
    )
    return usable.assign(breakdown=breakdowns, folded=fold_labels(breakdowns))


def _slots(indicators: pd.DataFrame, targets: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """The table's rows: each indicator ('' breakdown), then its breakdowns (targets or measures)."""
    named = [
        frame[["code", "breakdown"]]
        for frame in (
            targets.rename(columns={"indicator": "code"}) if not targets.empty else None,
            measures,
        )
        if frame is not None and not frame.empty
    ]
    parts = (
        pd.concat(named, ignore_index=True)
        if named
        else pd.DataFrame(columns=["code", "breakdown"])
    )
    parts = parts[parts["breakdown"].astype("str").str.strip().ne("")]
    parts = parts.assign(folded=fold_labels(parts["breakdown"]))
    parts = parts.drop_duplicates(["code", "folded"]).sort_values(["code", "folded"], kind="stable")
    totals = pd.DataFrame({"code": indicators["code"], "breakdown": "", "folded": ""})
    order = pd.Series(range(len(indicators)), index=indicators["code"]).groupby(level=0).first()
    rows = pd.concat([totals, parts], ignore_index=True)
    rows = rows[rows["code"].isin(order.index)]
    rows = rows.assign(_order=rows["code"].map(order), _part=rows["folded"].ne(""))
    rows = rows.sort_values(["_order", "_part", "folded"], kind="stable")
    fixed = indicators.drop_duplicates("code")[
        ["code", "name", "level", "unit", "baseline", "target", "summed"]
    ].rename(columns={"target": "logframe_target"})
    fixed = fixed.assign(
        baseline=pd.to_numeric(fixed["baseline"], errors="coerce"),
        logframe_target=pd.to_numeric(fixed["logframe_target"], errors="coerce"),
    )
    merged = rows.merge(fixed, on="code", how="left").drop(columns=["_order", "_part"])
    # A breakdown has no baseline of its own.
    return merged.assign(baseline=merged["baseline"].where(merged["folded"].eq("")))


def _actuals(
    slots: pd.DataFrame, measures: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Per slot, the sum (or the last value) of its measures dated from start to end."""
    within = measures[(measures["date"] >= start) & (measures["date"] <= end)]
    keyed = slots[["code", "folded"]].assign(slot=range(len(slots)))
    paired = keyed.merge(within, on="code", how="inner", suffixes=("", "_measured"))
    own = paired["folded"].eq("") | paired["folded"].eq(paired["folded_measured"])
    per_date = paired[own.to_numpy()].groupby(["slot", "date"], sort=True)["value"].sum()
    per_date = per_date.reset_index()
    by_slot = per_date.groupby("slot")["value"].agg(total="sum", latest="last")
    index = pd.RangeIndex(len(slots))
    summed = slots["summed"].fillna(False).astype(bool).to_numpy()
    return by_slot["total"].reindex(index).where(summed, by_slot["latest"].reindex(index))


def _nothing(slots: pd.DataFrame) -> pd.Series:
    """No value for any slot."""
    return pd.Series(np.nan, index=pd.RangeIndex(len(slots)), dtype="float64")


def _period_targets(slots: pd.DataFrame, targets: pd.DataFrame, label: str) -> pd.Series:
    """Per slot, its target for one period (NaN where none)."""
    if targets.empty:
        return pd.Series(np.nan, index=pd.RangeIndex(len(slots)))
    chosen = targets[targets["period"].eq(label)]
    lookup = chosen.assign(folded=fold_labels(chosen["breakdown"])).drop_duplicates(
        ["indicator", "folded"]
    )
    keyed = slots[["code", "folded"]].merge(
        lookup.rename(columns={"indicator": "code"})[["code", "folded", "target"]],
        on=["code", "folded"],
        how="left",
    )
    return keyed["target"].astype("float64").reset_index(drop=True)


def _life_targets(slots: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """Logframe target of an indicator; for a breakdown, the sum (or last) of its longest periods."""
    totals = slots["folded"].eq("").to_numpy()
    life = pd.Series(np.where(totals, slots["logframe_target"], np.nan), dtype="float64")
    if targets.empty:
        return life
    parts = targets.assign(folded=fold_labels(targets["breakdown"]))
    parts = parts[parts["folded"].ne("")]
    longest = parts.groupby(["indicator", "folded"])["period_months"].transform("max")
    parts = parts[parts["period_months"].eq(longest)].sort_values("period_start", kind="stable")
    grouped = parts.groupby(["indicator", "folded"])["target"]
    keyed = slots[["code", "folded", "summed"]].merge(
        pd.DataFrame({"sum": grouped.sum(), "last": grouped.last()})
        .reset_index()
        .rename(columns={"indicator": "code"}),
        on=["code", "folded"],
        how="left",
    )
    derived = keyed["sum"].where(keyed["summed"].fillna(False).astype(bool), keyed["last"])
    return life.where(totals, derived.to_numpy())


def _put_triplet(table: pd.DataFrame, group: str, target: pd.Series, actual: pd.Series) -> None:
    """Add a group's target, actual and % met columns to the table being built."""
    target = pd.Series(target.to_numpy(dtype="float64"), index=table.index)
    actual = pd.Series(actual.to_numpy(dtype="float64"), index=table.index)
    table[triplet_column(group, "target")] = target
    table[triplet_column(group, "actual")] = actual
    table[triplet_column(group, "met")] = actual / target.where(target != 0)


def triplet_column(group: str, word: str) -> str:
    """The table column of one of a group's values: `2026-S1|target`, `life|met`."""
    return f"{group}|{word}"


__all__ = [
    "IpttProject",
    "Period",
    "header_labels",
    "iptt_table",
    "iptt_words",
    "period_table",
    "period_words",
    "quarter_range",
    "target_periods",
    "triplet_column",
    "value_column_letter",
]
