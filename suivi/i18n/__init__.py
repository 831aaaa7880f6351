"""Fixed strings by key for the code, translated through the gettext catalogs; locale formatting."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Literal

import pandas as pd
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal, format_percent

from suivi.i18n.catalogs import (
    N_,
    NP_,
    Contextual,
    translations,
    typography,
)
from suivi.settings import Language

LANGUAGES: tuple[Language, ...] = ("fr", "ar", "en")
DEFAULT_LANGUAGE: Language = "fr"
# Babel locales: Moroccan Arabic month names (دجنبر), day-first English.
LOCALES: dict[str, str] = {"fr": "fr_FR", "ar": "ar_MA", "en": "en_GB"}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ckb"})
MISSING = "—"

# The key-based names the code uses (`translate(key, …)`, `label(code, …)`: sheet columns, chart
# words, state codes), each bound to its English message; the words of each language live in
# locale/<lang>/…/suivi.po. Templates use gettext directly (`{{ _("…") }}`, `{% trans %}`).
# NP_ gives a context where the same English means two things (a late flag, an achieved column).
Message = str | Contextual
MESSAGES: dict[str, Message] = {
    "flag.en_retard": NP_("flag", "Late"),
    "flag.demarrage_tardif": N_("Late start"),
    "flag.a_risque": NP_("flag", "At risk"),
    "flag.echeance_proche": N_("Due soon"),
    "flag.sans_mise_a_jour": N_("Not updated"),
    "flag.termine_en_retard": N_("Done late"),
    "flag.mesure_manquante": N_("Missing measure"),
    "status.not_started": N_("Not started"),
    "status.in_progress": N_("In progress"),
    "status.done": N_("Done"),
    "status.suspended": N_("Suspended"),
    "status.cancelled": N_("Cancelled"),
    "status.todo": N_("To do"),
    "status.submitted": N_("Submitted"),
    "status.validated": N_("Validated"),
    "status.unknown": N_("Status not given"),
    "indicator.achieved": NP_("indicator", "Achieved"),
    "indicator.on_track": N_("On track"),
    "indicator.behind": N_("Behind"),
    "indicator.no_data": N_("No data"),
    "kind.activity": N_("Activity"),
    "kind.deliverable": N_("Deliverable"),
    "col.id": N_("ID"),
    "col.name": NP_("column", "Item"),
    "col.kind": N_("Type"),
    "col.owner": N_("Owner"),
    "col.state": N_("State"),
    "col.days_late": N_("Days late"),
    "col.projected_finish": N_("Projected finish"),
    "col.code": N_("Code"),
    "col.indicator": N_("Indicator"),
    "col.baseline": N_("Baseline"),
    "col.target": N_("Target"),
    "col.current": N_("Current value"),
    "col.achievement": NP_("column", "Achieved"),
    "col.status": N_("Status"),
    "col.tab": N_("Tab"),
    "col.cell": N_("Cell"),
    "col.problem": N_("Problem"),
    "none": N_("Nothing to report."),
    "as_of": N_("Status as of {date}"),
    "title.committee_pack": N_("Meeting pack"),
    "chart.title": N_("Indicator achievement (%)"),
    "chart.expected": N_("Expected by now"),
    "chart.none": N_("No indicator"),
    "file.pack": N_("meeting-pack"),
}


def message_text(key: str, language: str) -> str:
    """The translated text of `key`, placeholders left in; an unknown key as it is."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    language = language_or_default(language)
    catalog = translations(language)
    if isinstance(entry, Contextual):
        text = catalog.pgettext(entry.context, entry.message)
    else:
        text = catalog.gettext(entry)
    return typography(text, language)


class _Strings(Mapping[str, dict[str, str]]):
    """key → its text in each language, read from the catalogs (to inspect, e.g. in tests)."""

    def __getitem__(self, key: str) -> dict[str, str]:
        if key not in MESSAGES:
            raise KeyError(key)
        return {language: message_text(key, language) for language in LANGUAGES}

    def __iter__(self) -> Iterator[str]:
        return iter(MESSAGES)

    def __len__(self) -> int:
        return len(MESSAGES)


STRINGS: Mapping[str, dict[str, str]] = _Strings()


def language_or_default(language: object) -> Language:
    """A known language code, else French."""
    for known in LANGUAGES:
        if language == known:
            return known
    return DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: object) -> str:
    """The fixed string `key` in `language` (French if unknown), with `values` filled in."""
    text = message_text(key, language)
    return text.format(**values) if values and key in MESSAGES else text


def label(code: object, language: str) -> str:
    """A flag, status or indicator-status code in words; unknown codes shown as they are."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return translate("status.unknown", language)
    for prefix in ("flag", "status", "indicator", "kind"):
        key = f"{prefix}.{code}"
        if key in MESSAGES:
            return translate(key, language)
    return str(code)


@lru_cache(maxsize=64)  # asked for every cell of every e-mail, of a handful of languages
def is_rtl(language: str) -> bool:
    """True for right-to-left languages (`ar`, `ar-MA`…)."""
    return language.split("-")[0].split("_")[0].lower() in RTL_LANGUAGES


def locale_of(language: str) -> str:
    """The babel locale for a language."""
    return LOCALES[language_or_default(language)]


def as_date(value: object) -> dt.date | None:
    """A date from a date, datetime, Timestamp or ISO string; None when missing or unreadable."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.date()


def format_day(value: object, language: str, style: Literal["full", "short"] = "full") -> str:
    """A date in words: `lundi 7 décembre 2026`, `الاثنين، 7 دجنبر 2026`; — when missing."""
    day = as_date(value)
    if day is None:
        return MISSING
    # Short: `7 déc. 2026`; Arabic keeps the month name, its numeric form reorders in RTL.
    pattern = style if style == "full" else ("long" if is_rtl(language) else "medium")
    return str(babel_format_date(day, format=pattern, locale=locale_of(language)))


def format_fraction(value: object, language: str) -> str:
    """A fraction as a whole percentage (0.456 → `46 %`); — when missing."""
    number = as_float(value)
    if number is None:
        return MISSING
    return str(format_percent(number, locale=locale_of(language)))


def format_number(value: object, language: str) -> str:
    """A number with the locale's separators, at most two decimals; — when missing."""
    number = as_float(value)
    if number is None:
        return MISSING
    return str(format_decimal(round(number, 2), format="#,##0.##", locale=locale_of(language)))


def as_float(value: object) -> float | None:
    """A finite float, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
