"""`suivi.model.records`: plain Python values, missing ones None, whatever the column's dtype."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from suivi.model import records


def mixed() -> pd.DataFrame:
    """One column of each dtype the planner meets, a missing value in each."""
    return pd.DataFrame(
        {
            "progress": [0.5, np.nan],
            "row": [2, 3],
            "done": [True, False],
            "name": pd.Series(["Atelier", None], dtype="str"),
            "deadline": pd.to_datetime(["2026-12-07", None]),
            "aware": pd.to_datetime(["2026-12-07 23:30", None]).tz_localize("UTC"),
            "count": pd.array([4, None], dtype="Int64"),
            "participants": [["a@x.org"], None],
            "mixed": [np.int64(3), "x"],
        }
    )


def test_values_are_plain_python_and_missing_is_none() -> None:
    first, second = records(mixed())
    assert first["progress"] == 0.5 and type(first["progress"]) is float
    assert first["row"] == 2 and type(first["row"]) is int
    assert first["done"] is True
    assert first["name"] == "Atelier" and type(first["name"]) is str
    assert first["deadline"] == pd.Timestamp("2026-12-07")
    assert first["count"] == 4 and type(first["count"]) is int
    assert first["participants"] == ["a@x.org"]
    assert first["mixed"] == 3 and type(first["mixed"]) is int
    assert all(second[name] is None for name in second if name not in {"row", "done", "mixed"})


def test_as_dates_gives_days() -> None:
    first, second = records(mixed(), as_dates=True)
    assert first["deadline"] == dt.date(2026, 12, 7) and type(first["deadline"]) is dt.date
    assert first["aware"] == dt.date(2026, 12, 7)
    assert second["deadline"] is None and second["aware"] is None


def test_columns_kept_in_order_and_empty_frames_give_no_rows() -> None:
    assert list(records(mixed())[0]) == list(mixed().columns)
    assert records(mixed().iloc[:0], as_dates=True) == []
