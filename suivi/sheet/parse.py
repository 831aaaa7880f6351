"""Vectorised cell parsers: each returns the typed values and a mask of cells that failed."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from pandas._libs import lib

from suivi.schema import normalise_label

# Spreadsheet serial dates count days from 1899-12-30 (Excel's and Google's shared epoch).
SERIAL_EPOCH = pd.Timestamp("1899-12-30")
# Serials of 1950-01-01 and 2150-12-31: numbers outside are not dates a project would hold.
SERIAL_MIN, SERIAL_MAX = 18264, 91675
PLAUSIBLE_YEARS = (1950, 2150)  # the same bounds for real date cells

FRENCH_MONTHS = {
    normalise_label(name): month
    for month, names in enumerate(
        (
            ("janvier", "janv", "jan", "january"),
            ("février", "févr", "fév", "fevr", "feb", "february"),
            ("mars", "mar", "march"),
            ("avril", "avr", "apr", "april"),
            ("mai", "may"),
            ("juin", "jun", "june"),
            ("juillet", "juil", "jul", "july"),
            ("août", "aout", "aug", "august"),
            ("septembre", "sept", "sep", "september"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("décembre", "déc", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}

ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T][\d:.]*)?$")
DMY_DATE = re.compile(r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})$")
# The two forms most cells take, with a year a ns timestamp holds: (pattern, strptime layout).
COMMON_DATE_FORMS = (
    (re.compile(r"\d{1,2}/\d{1,2}/(?:19|20|21)\d\d"), "%d/%m/%Y"),
    (re.compile(r"(?:19|20|21)\d\d-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
)
TEXT_DATE = re.compile(r"^(?P<d>\d{1,2})(?:er)?\s+(?P<m>[^\W\d_]+)\.?\s+(?P<y>\d{4})$")

SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
CURRENCY = re.compile(r"(?i)(mad|dhs?|eur|€|\$|usd)$|^(mad|eur|€|\$|usd)")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# Invisible format characters: RTL/LTR marks and embeddings, zero-width spaces, the BOM.
FORMAT_CHARACTERS = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# What a spreadsheet holds instead of a value when a formula fails: Excel and Google Sheets
# error values, and LibreOffice's numbered errors (Err:501…Err:539).
FORMULA_ERRORS = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!"}
    | {"#CALC!", "#GETTING_DATA", "#BLOCKED!", "#FIELD!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
    | {f"Err:{code}" for code in range(501, 540)}
)


def fold_label(value: object) -> str:
    """A label folded for matching, without the invisible marks Arabic text and copy-paste leave."""
    return normalise_label(FORMAT_CHARACTERS.sub("", str(value)))


def is_blank(cells: pd.Series) -> np.ndarray:
    """True where a cell holds nothing (None, NaN or only spaces)."""
    if cells.dtype != object:
        as_text = cells.astype("string").str.strip()
        return cells.isna().to_numpy() | (as_text == "").fillna(True).to_numpy()
    # Cell by cell in plain Python: cheaper than pandas' string machinery for a sheet's cells.
    # Text, numbers and None (most cells) are told apart without a call.
    spaces = np.array(
        [
            not value.strip()
            if type(value) is str
            else False
            if value is None or type(value) is float or type(value) is int
            else _blank_text(value)
            for value in cells
        ],
        dtype=bool,
    )
    return cells.isna().to_numpy() | spaces


# Cells of these types never read as blank text (bool is an int, datetime and Timestamp dates).
NEVER_BLANK = (int, float, dt.date, np.number, np.bool_)


def _blank_text(value: object) -> bool:
    """True when the text of a (not missing) cell is only spaces, as pandas' `string` reads it."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, NEVER_BLANK):
        return False
    if isinstance(value, bytes):  # pandas' `string` decodes bytes
        return not value.decode().strip()
    return not str(value).strip()


def formula_errors(cells: pd.Series) -> np.ndarray:
    """True where a cell holds a formula's error value (#REF!, #N/A, Err:502…)."""
    return np.asarray(cells.isin(FORMULA_ERRORS).to_numpy(dtype=bool))


def _numeric_mask(cells: pd.Series) -> np.ndarray:
    """Cells holding a real number (bools are not numbers here)."""
    kinds = cells.map(type)
    return np.asarray(kinds.isin([int, float, np.int64, np.float64]).to_numpy())


def _text(cells: pd.Series) -> pd.Series:
    """The cells as pandas `string`, stripped."""
    return _stripped(cells, blank_as_missing=False)


def _stripped(cells: pd.Series, blank_as_missing: bool) -> pd.Series:
    """`cells.astype("string").str.strip()` (`blank_as_missing`: "" then masked as missing).

    Cells all text or missing (nearly always) are stripped in one Python pass: pandas'
    `string` methods cost several times more per cell.
    """
    values = cells.to_numpy(dtype=object)
    if cells.dtype != object or not lib.is_string_array(values, skipna=True):
        text = cells.astype("string").str.strip()
        return text.mask(text == "") if blank_as_missing else text
    if blank_as_missing:
        stripped = [(value.strip() or None) if isinstance(value, str) else None for value in values]
    else:
        stripped = [value.strip() if isinstance(value, str) else None for value in values]
    return pd.Series(stripped, index=cells.index, dtype="string", name=cells.name)


def parse_dates(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates from real dates, serial numbers or day-first text; returns (dates, failed)."""
    blank = is_blank(cells)
    result = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    kinds = cells.map(type)
    typed = kinds.isin([dt.datetime, dt.date, pd.Timestamp]).to_numpy() & ~blank
    real = typed.copy()
    if typed.any():
        # Placeholders such as 31/12/9999 are real dates a project never holds, and beyond
        # what a nanosecond timestamp can hold: they fail like implausible serials.
        years = cells[typed].map(_year).astype("int64")
        real[typed] = years.between(*PLAUSIBLE_YEARS).to_numpy()
    if real.any():
        result[real] = pd.to_datetime(cells[real].map(_to_timestamp)).dt.normalize()
    numeric = _numeric_mask(cells) & ~blank
    if numeric.any():
        serial = _as_floats(cells[numeric])
        plausible = serial.between(SERIAL_MIN, SERIAL_MAX)
        days = pd.to_timedelta(np.floor(serial.where(plausible)), unit="D")
        result[numeric] = (SERIAL_EPOCH + days).astype("datetime64[ns]")
    textual = ~(typed | numeric | blank)
    if textual.any():
        result[textual] = _parse_text_dates(_text(cells[textual]))
    failed = ~blank & result.isna().to_numpy()
    return result, failed


def _to_timestamp(value: object) -> pd.Timestamp:
    return pd.Timestamp(value)


def _year(value: dt.date) -> int:
    return value.year


def _as_floats(numbers: pd.Series) -> pd.Series:
    """Real numbers as float64; an integer too large for a float becomes NaN (it fails)."""
    try:
        return pd.to_numeric(numbers, errors="coerce").astype(float)
    except OverflowError:  # raised even with errors="coerce"
        return numbers.map(_float_or_nan).astype(float)


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (OverflowError, TypeError, ValueError):
        return math.nan


def _parse_text_dates(texts: pd.Series) -> pd.Series:
    """Day-first text dates: 31/12/2026, 31/12/26, 2026-12-31, 31 déc. 2026."""
    dates = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]")
    pending = np.ones(len(texts), dtype=bool)
    # The forms nearly every cell takes go through one strptime-like pass each; only what
    # is left needs the general (and slower) decomposition.
    for pattern, layout in COMMON_DATE_FORMS:
        chosen = pending & texts.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
        if chosen.any():
            parsed = pd.to_datetime(texts[chosen], format=layout, errors="coerce")
            dates[chosen] = parsed.astype("datetime64[ns]")
            pending &= ~chosen
    if pending.any():
        dates[pending] = _decompose_text_dates(texts[pending])
    return dates.where(dates.dt.year.between(*PLAUSIBLE_YEARS))


def _decompose_text_dates(texts: pd.Series) -> pd.Series:
    """Day, month and year found by pattern, then put together (any of the written forms)."""
    parts = pd.DataFrame(index=texts.index, columns=["y", "m", "d"], dtype="object")
    for pattern in (ISO_DATE, DMY_DATE):
        found = texts.str.extract(pattern)
        parts = parts.fillna(found[["y", "m", "d"]])
    worded = texts.str.extract(TEXT_DATE)
    month_numbers = worded["m"].map(
        lambda name: FRENCH_MONTHS.get(normalise_label(name)), na_action="ignore"
    )
    worded = worded.assign(m=month_numbers)
    parts = parts.fillna(worded[["y", "m", "d"]])
    years = pd.to_numeric(parts["y"], errors="coerce")
    two_digits = (parts["y"].astype("string").str.len() == 2).fillna(False).to_numpy(dtype=bool)
    years = years.where(~two_digits, 2000 + years)  # two-digit years are this century's
    years = years.where(years.between(*PLAUSIBLE_YEARS))  # 9999 is a placeholder, not a date
    months = pd.to_numeric(parts["m"], errors="coerce")
    days = pd.to_numeric(parts["d"], errors="coerce")
    dates = pd.to_datetime(
        pd.DataFrame({"year": years, "month": months, "day": days}), errors="coerce"
    )
    return dates.astype("datetime64[ns]")


def parse_numbers(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers as written in French or English: 12 500,50 · 12500.5 · 1.234,5; (values, failed)."""
    blank = is_blank(cells)
    numeric = _numeric_mask(cells) & ~blank
    values = pd.Series(np.nan, index=cells.index, dtype="float64")
    values[numeric] = _as_floats(cells[numeric])
    textual = ~(numeric | blank)
    if textual.any():
        values[textual] = _parse_text_numbers(_text(cells[textual]))
    finite = np.isfinite(values.to_numpy())  # an infinity would poison every sum
    return values.where(finite), ~blank & ~finite


def _parse_text_numbers(texts: pd.Series) -> pd.Series:
    compact = texts.str.replace(SPACES, "", regex=True).str.replace(CURRENCY, "", regex=True)
    plain = compact.str.fullmatch(PLAIN_NUMBER).fillna(False).astype(bool)
    dots = compact.str.fullmatch(DOT_THOUSANDS).fillna(False).astype(bool)
    commas = compact.str.fullmatch(COMMA_THOUSANDS).fillna(False).astype(bool)
    normalised = pd.Series(pd.NA, index=texts.index, dtype="string")
    normalised[plain] = compact[plain].str.replace(",", ".", regex=False)
    normalised[dots & ~plain] = (
        compact[dots & ~plain].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    normalised[commas & ~plain] = compact[commas & ~plain].str.replace(",", "", regex=False)
    return pd.to_numeric(normalised, errors="coerce").astype(float)


def parse_percents(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A share of completion: 45, '45 %', '45,5%' or 0.45 → 0.45; outside 0–100 % fails."""
    blank = is_blank(cells)
    text = _text(cells)
    has_sign = text.str.contains("%", regex=False).fillna(False).to_numpy(dtype=bool)
    # Real numbers are read as numbers: their text may be scientific (1e-05) and not parse.
    without_sign = text.str.replace("%", "", regex=False).astype(object)
    numbers, failed = parse_numbers(
        cells.astype(object).where(_numeric_mask(cells), without_sign).where(~blank)
    )
    # A bare number above 1 is a percentage (45 → 45 %); 0–1 is already a fraction.
    shares = numbers.where(~(has_sign | (numbers > 1)), numbers / 100)
    out_of_range = ((shares < 0) | (shares > 1)).to_numpy()
    shares = shares.mask(out_of_range)
    # Not blank, yet no number (e.g. a lone "%"): a failure, never a silent gap.
    unread = ~blank & numbers.isna().to_numpy()
    return shares, failed | out_of_range | unread


def parse_labels(cells: pd.Series, labels: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Enum codes from labels folded for case, accents and spaces; (codes, failed)."""
    blank = is_blank(cells)
    folded = cells.map(fold_label, na_action="ignore")
    codes = folded.map(labels).astype("string")
    codes[blank] = pd.NA
    failed = ~blank & codes.isna().to_numpy()
    return codes, failed


def parse_emails(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """One e-mail address per cell; (addresses, failed)."""
    blank = is_blank(cells)
    text = _text(cells)
    valid = text.str.fullmatch(EMAIL).fillna(False).to_numpy(dtype=bool)
    addresses = text.where(valid & ~blank).astype("string")
    return addresses, ~blank & ~valid


def parse_email_lists(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Addresses separated by `,` or `;`; keeps the valid ones, fails the cell on any bad one."""
    blank = is_blank(cells)
    items = _text(cells).where(~blank).str.split(r"[,;\n]", regex=True).explode().str.strip()
    items = items[items.fillna("") != ""]
    valid = items.str.fullmatch(EMAIL).fillna(False).astype(bool)
    good = items[valid].groupby(level=0).agg(list)
    bad_rows = items[~valid].index.unique()
    addresses = pd.Series([[] for _ in range(len(cells))], index=cells.index, dtype="object")
    addresses.update(good)
    failed = cells.index.isin(bad_rows)
    return addresses, np.asarray(failed)


def parse_text(cells: pd.Series) -> pd.Series:
    """Text cells stripped; numbers that are really codes keep no trailing `.0`."""
    cleaned = cells
    if pd.api.types.infer_dtype(cells, skipna=True) not in {"string", "empty"}:
        integral = np.array(
            [isinstance(value, float) and value.is_integer() for value in cells], dtype=bool
        )
        if integral.any():
            cleaned = cells.where(~integral, cells.map(_int_text, na_action="ignore"))
    return _stripped(cleaned, blank_as_missing=True)


def _int_text(value: object) -> object:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else value


# What pandas infers for cells that cannot hide a bool (or a list): no look at each cell needed.
PLAIN_KINDS = frozenset(
    {
        "string",
        "empty",
        "datetime",
        "date",
        "floating",
        "integer",
        "mixed-integer-float",
        "decimal",
    }
)


def holds_bools(cells: pd.Series) -> bool:
    """True when a bool may hide among the cells (True hashes like 1, False like 0)."""
    if pd.api.types.infer_dtype(cells, skipna=True) in PLAIN_KINDS:
        return False
    return bool(cells.map(type).eq(bool).any())


def _parsed_whole(cells: pd.Series) -> bool:
    """Cells that must be parsed one by one: bools (they hash like 1 and 0) or lists (unhashable)."""
    if pd.api.types.infer_dtype(cells, skipna=True) in PLAIN_KINDS:
        return False
    kinds = set(map(type, cells.to_numpy(dtype=object)))  # one C-level pass over the cells
    return bool in kinds or list in kinds


Parsed = tuple[pd.Series, np.ndarray, np.ndarray]  # values, failed, blank; aligned on the cells


def on_distinct(
    cells: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, np.ndarray]]
) -> Parsed:
    """Parse each distinct value once and spread the results: sheets repeat their values a lot.

    Returns (values, failed, blank) aligned on `cells`.
    """
    return on_distinct_columns([cells], parse)[0]


def on_distinct_columns(
    columns: list[pd.Series],
    parse: Callable[[pd.Series], tuple[pd.Series, np.ndarray]],
    blank_when_missing: bool = False,
) -> list[Parsed]:
    """`on_distinct` for several columns of one kind, with one call of `parse` for them all."""
    return parse_distinct(columns, parse, blank_when_missing)[0]


def parse_distinct(
    columns: list[pd.Series],
    parse: Callable[[pd.Series], tuple[pd.Series, np.ndarray]],
    blank_when_missing: bool = False,
    as_missing: frozenset[str] = frozenset(),
) -> tuple[list[Parsed], list[np.ndarray]]:
    """Several columns of one kind parsed with one call of `parse`, and where `as_missing` was.

    Each column's distinct values are parsed (the parsers work cell by cell, so pooling
    changes no result); a small sheet pays each parser's fixed cost once, not per column.
    `blank_when_missing`: `parse` gives a missing value exactly for blank cells (`parse_text`
    does), so blank cells need not be looked for again. A cell holding one of `as_missing`
    (failed formulas) is parsed as an empty cell; the second list says where they were,
    found among the distinct values rather than cell by cell.
    """
    results: dict[int, Parsed] = {}
    found: dict[int, np.ndarray] = {}
    pooled: list[tuple[int, np.ndarray, int]] = []  # column, its codes, its first slot
    distinct_values: list[object] = []
    for number, cells in enumerate(columns):
        if _parsed_whole(cells):
            found[number] = cells.isin(as_missing).to_numpy(dtype=bool)
            if found[number].any():
                cells = cells.mask(found[number])
            values, failed = parse(cells)
            results[number] = (values, np.asarray(failed), is_blank(cells))
            continue
        codes, uniques = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=True)
        pooled.append((number, codes, len(distinct_values)))
        distinct_values.extend(uniques)
    if pooled:
        # One more slot, parsed as an empty cell, serves the missing ones (defaults apply there too).
        empty = len(distinct_values)
        distinct = pd.Series([*distinct_values, None], dtype="object")
        values, failed = parse(distinct)
        failed = np.asarray(failed)
        blank = values.isna().to_numpy() if blank_when_missing else is_blank(distinct)
        unwanted = distinct.isin(as_missing).to_numpy(dtype=bool)
        for number, codes, first in pooled:
            positions = np.where(codes < 0, empty, codes + first)
            found[number] = unwanted[positions]
            if found[number].any():
                positions[found[number]] = empty
            spread = values.take(positions)
            spread.index = columns[number].index
            results[number] = (spread, failed[positions], blank[positions])
    numbers = range(len(columns))
    return [results[number] for number in numbers], [found[number] for number in numbers]
