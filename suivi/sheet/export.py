"""Sheet text made safe for the files people open elsewhere (CSV in a spreadsheet)."""

from __future__ import annotations

import pandas as pd

# A spreadsheet opening a CSV evaluates a cell starting with one of these (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells that a spreadsheet would evaluate start with `'`; numbers stay as they are."""
    columns = {name: _neutralised(frame[name]) for name in frame.columns}
    return pd.DataFrame(columns, index=frame.index)


def _neutralised(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.map(lambda cell: cell if isinstance(cell, str) else None)
    risky = text.str.startswith(FORMULA_STARTS, na=False) & ~text.str.fullmatch(
        PLAIN_NUMBER, na=False
    )
    neutralised = values.copy()
    neutralised[risky] = "'" + text[risky]
    return neutralised


def safe_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV text whose cells no spreadsheet evaluates."""
    return neutralise_formulas(frame).to_csv(index=False).rstrip("\n")
