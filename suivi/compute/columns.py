"""A frame's column read as one type, whether it is there or not: text, numbers, dates (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def texts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as strings ("" where missing or absent)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    values = frame[column]
    return values.where(values.notna(), "").astype("str")


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats (NaN where missing, unreadable or absent)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def number_array(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as a float array (NaN where missing, unreadable or absent)."""
    return numbers(frame, column).to_numpy(dtype="float64", na_value=np.nan)


def dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as midnight timestamps (NaT where missing, unreadable or absent)."""
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    found = pd.to_datetime(frame[column], errors="coerce")
    return found.dt.normalize().astype("datetime64[ns]")
