"""Cell parsers: every date, number and percentage form of the contract."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from suivi.schema import STATUS_LABELS
from suivi.sheet.parse import (
    parse_dates,
    parse_email_lists,
    parse_emails,
    parse_labels,
    parse_numbers,
    parse_percents,
    parse_text,
)


def cells(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="object")


@pytest.mark.parametrize(
    "cell",
    [
        dt.datetime(2026, 12, 31),
        dt.datetime(2026, 12, 31, 14, 30),
        dt.date(2026, 12, 31),
        46387,  # spreadsheet serial of 2026-12-31
        46387.6,  # a serial with a time of day
        "31/12/2026",
        "31/12/26",
        "2026-12-31",
        "31 déc. 2026",
        "31 décembre 2026",
        "31 DEC 2026",
        " 31.12.2026 ",
        "31-12-2026",
    ],
)
def test_every_date_form_reads_as_the_same_day(cell: object) -> None:
    dates, failed = parse_dates(cells(cell))
    assert dates.iloc[0] == pd.Timestamp("2026-12-31")
    assert not failed.any()


def test_dates_are_day_first() -> None:
    dates, _ = parse_dates(cells("03/04/2026"))
    assert dates.iloc[0] == pd.Timestamp("2026-04-03")


def test_first_of_the_month_in_words() -> None:
    dates, _ = parse_dates(cells("1er mars 2026"))
    assert dates.iloc[0] == pd.Timestamp("2026-03-01")


@pytest.mark.parametrize(
    "cell", ["fin novembre", "31/02/2026", "2026-13-01", "demain", 3, True, "12/2026"]
)
def test_unreadable_dates_fail_and_stay_missing(cell: object) -> None:
    dates, failed = parse_dates(cells(cell))
    assert pd.isna(dates.iloc[0])
    assert failed.tolist() == [True]


def test_blank_dates_are_missing_not_failed() -> None:
    dates, failed = parse_dates(cells(None, "", "  ", float("nan")))
    assert dates.isna().all()
    assert not failed.any()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12 500,50", 12500.5),
        ("12\u00a0500,50", 12500.5),
        ("12\u202f500", 12500.0),
        ("12500.5", 12500.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("12 500 MAD", 12500.0),
        ("-3", -3.0),
        (45, 45.0),
        (0.5, 0.5),
    ],
)
def test_numbers_in_french_and_english(cell: object, expected: float) -> None:
    values, failed = parse_numbers(cells(cell))
    assert values.iloc[0] == pytest.approx(expected)
    assert not failed.any()


@pytest.mark.parametrize("cell", ["douze", "12,5,3", "#REF!", "#N/A", True])
def test_unreadable_numbers_fail(cell: object) -> None:
    values, failed = parse_numbers(cells(cell))
    assert np.isnan(values.iloc[0])
    assert failed.tolist() == [True]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("45", 0.45),
        ("45 %", 0.45),
        ("45,5%", 0.455),
        (0.45, 0.45),
        ("0,45", 0.45),
        (45, 0.45),
        (1, 1.0),
        ("100 %", 1.0),
        (0, 0.0),
    ],
)
def test_progress_forms(cell: object, expected: float) -> None:
    shares, failed = parse_percents(cells(cell))
    assert shares.iloc[0] == pytest.approx(expected)
    assert not failed.any()


@pytest.mark.parametrize("cell", ["150 %", 250, -0.1, "beaucoup"])
def test_progress_outside_0_100_fails(cell: object) -> None:
    shares, failed = parse_percents(cells(cell))
    assert np.isnan(shares.iloc[0])
    assert failed.tolist() == [True]


def test_status_labels_ignore_case_accents_and_english() -> None:
    codes, failed = parse_labels(
        cells("Terminée", "TERMINEE", " en cours ", "done", "Annulé", "En attente", None),
        STATUS_LABELS,
    )
    assert codes.tolist()[:5] == ["done", "done", "in_progress", "done", "cancelled"]
    assert pd.isna(codes.iloc[5]) and pd.isna(codes.iloc[6])
    assert failed.tolist() == [False, False, False, False, False, True, False]


def test_emails() -> None:
    addresses, failed = parse_emails(cells("a.b@example.org", "h.idrissi@", None, "x y@z.org"))
    assert addresses.iloc[0] == "a.b@example.org"
    assert failed.tolist() == [False, True, False, True]


def test_email_lists_keep_good_addresses_and_fail_the_cell_on_a_bad_one() -> None:
    lists, failed = parse_email_lists(
        cells("a@x.org; b@y.org", None, "bad, c@z.org", "d@w.org,e@w.org")
    )
    assert lists.tolist() == [["a@x.org", "b@y.org"], [], ["c@z.org"], ["d@w.org", "e@w.org"]]
    assert failed.tolist() == [False, False, True, False]


def test_text_keeps_codes_without_float_tails() -> None:
    text = parse_text(cells(1.0, " R1 ", None, 2.5, ""))
    assert text.tolist()[:2] == ["1", "R1"]
    assert pd.isna(text.iloc[2]) and pd.isna(text.iloc[4])
    assert text.iloc[3] == "2.5"
