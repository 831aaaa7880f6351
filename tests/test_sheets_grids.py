"""The vectorised paths of reading, cleaning and writing sheets give what cell-by-cell code would."""

from __future__ import annotations

import numpy as np
import pandas as pd

from suivi.adapters.google_sheets import _extent, _literals, _padded, _read_grid
from suivi.schema import Flag
from suivi.sheet import parse
from suivi.sheet.writeback import flag_text, french_date


def test_a_read_range_becomes_a_rectangle_of_none_with_its_extent() -> None:
    value_range = {"values": [["a", "", "b"], [], ["", 3], ["x"], [""]]}

    rows, extent = _read_grid(value_range)

    assert rows == [
        ["a", None, "b"],
        [None, None, None],
        [None, 3, None],
        ["x", None, None],
        [None, None, None],
    ]
    assert extent == (4, 3) == _extent(rows)
    assert _read_grid({}) == ([], (0, 0))


def test_written_rows_are_cut_or_padded_with_blanks_and_other_values_made_literal() -> None:
    rows = [["id", "état"], ["A1", None, 3], ["A2", 2.5, True, "x", ""]]

    literal = _literals(rows)

    assert literal == [["id", "état"], ["A1", "", 3], ["A2", 2.5, True, "x", ""]]
    assert _extent(literal) == (3, 4)
    assert _padded(literal, 4, 3) == [
        ["id", "état", ""],
        ["A1", "", 3],
        ["A2", 2.5, True],
        ["", "", ""],
    ]
    plain = [["a", 1], ["b", True]]
    assert _literals(plain) == plain


def test_failed_formulas_among_distinct_values_parse_as_empty_cells_and_are_located() -> None:
    repeated = pd.Series(["12", "#REF!", "12", None, "#REF!", "x"], index=range(5, 11))
    whole = pd.Series([True, "#N/A", 4], dtype="object")  # a bool: parsed cell by cell

    (numbers, bools), (errors, bool_errors) = parse.parse_distinct(
        [repeated, whole], parse.parse_numbers, as_missing=parse.FORMULA_ERRORS
    )

    values, failed, blank = numbers
    assert list(values.index) == list(range(5, 11))
    assert values.tolist()[0] == 12.0 and values.tolist()[2] == 12.0
    assert errors.tolist() == [False, True, False, False, True, False]
    assert failed.tolist() == [False, False, False, False, False, True]
    assert blank.tolist() == [False, True, False, True, True, False]
    assert bool_errors.tolist() == [False, True, False]
    assert bools[2].tolist() == [False, True, False]  # the failed formula is a blank cell


def test_flags_are_joined_in_order_of_severity_once_per_combination() -> None:
    tracking = pd.DataFrame(
        {
            Flag.STALE.value: [True, False, True, None],
            Flag.LATE.value: [True, False, True, True],
            Flag.DUE_SOON.value: [False, False, True, False],
        }
    )

    text = flag_text(tracking)

    late, stale, soon = Flag.LATE.value, Flag.STALE.value, Flag.DUE_SOON.value
    assert text.tolist() == [f"{late}, {stale}", "", f"{late}, {soon}, {stale}", late]
    assert flag_text(tracking.iloc[:0]).tolist() == []
    assert flag_text(pd.DataFrame(index=range(2))).tolist() == ["", ""]


def test_dates_are_written_day_first_and_missing_ones_empty() -> None:
    dates = pd.Series(pd.to_datetime(["2026-12-31", None, "2026-01-02", "2026-12-31"]))

    assert french_date(dates).tolist() == ["31/12/2026", "", "02/01/2026", "31/12/2026"]
    assert french_date(dates.iloc[:0]).tolist() == []
    assert np.array_equal(french_date(dates).index, dates.index)
