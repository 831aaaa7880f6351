"""Fixed strings by key, translated through the gettext catalogs; locale-aware formatting."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Literal

import pandas as pd
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal, format_percent

from suivi.i18n.catalogs import (
    N_,
    NN_,
    NP_,
    Contextual,
    Plural,
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

# The key-based names the templates (`t('key')`) and the code (`translate(key, …)`) use, each
# bound to its English message; the words of each language live in locale/<lang>/…/suivi.po.
# NP_ gives a context where the same English means two things (a late flag, a count of late
# items); NN_ gives plural forms, chosen by the value it names.
Message = str | Contextual | Plural
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
    "col.deadline": N_("Deadline"),
    "col.projected_finish": N_("Projected finish"),
    "col.progress": N_("Progress"),
    "col.planned_start": N_("Planned start"),
    "col.change": N_("Change"),
    "col.last_update": N_("Last update"),
    "col.where": N_("Where"),
    "col.what": N_("What to update"),
    "col.code": N_("Code"),
    "col.indicator": N_("Indicator"),
    "col.baseline": N_("Baseline"),
    "col.target": N_("Target"),
    "col.current": N_("Current value"),
    "col.achievement": NP_("column", "Achieved"),
    "col.expected": N_("Expected by now"),
    "col.last_measure": N_("Last measure"),
    "col.projected": N_("Projected at target date"),
    "col.points_per_week_needed": N_("Pace needed (points/week)"),
    "col.status": N_("Status"),
    "col.tab": N_("Tab"),
    "col.cell": N_("Cell"),
    "col.value": N_("Value found"),
    "col.problem": N_("Problem"),
    "col.date": N_("Date"),
    "col.time": N_("Time"),
    "col.body": N_("Body"),
    "col.place": N_("Place"),
    "col.agenda": N_("Agenda"),
    "col.participants": N_("Participants"),
    "col.funder": N_("Funder"),
    "col.due": N_("Due"),
    "col.items": N_("Items"),
    "col.project": N_("Project"),
    "col.count": N_("Count"),
    "col.what_label": NP_("heading", "Item"),
    "section.headline": N_("At a glance"),
    "section.changes": N_("What changed since the last run"),
    "section.newly_late": N_("Newly late"),
    "section.resolved": N_("No longer late"),
    "section.newly_done": N_("Completed since the last run"),
    "section.big_progress": N_("Big steps forward"),
    "section.first_run": N_("First run for this project: there is no history to compare with yet."),
    "section.no_change": N_("No notable change."),
    "section.late": NP_("section", "Late"),
    "section.late_and_risks": N_("Delays and risks"),
    "section.at_risk": N_("At risk of running late"),
    "section.late_start": N_("Late starts"),
    "section.due_soon": NN_("Due in the next {days} day", "Due in the next {days} days", "days"),
    "section.stale": NN_(
        "Not updated for more than {days} day", "Not updated for more than {days} days", "days"
    ),
    "section.indicators": N_("Logframe indicators"),
    "section.chart_data": N_("Chart data"),
    "section.committees": N_("Upcoming committees"),
    "section.deliverables": N_("Upcoming deliverables"),
    "section.problems": N_("Data to fix"),
    "section.problem_list": N_("Problems found in the sheet"),
    "section.calendar": N_("Calendar"),
    "section.no_email": N_("Owners without an e-mail address (please fill it in the sheet)"),
    "section.meeting": N_("The meeting"),
    "section.pack": N_("Meeting pack"),
    "section.deliverables_before": N_("Deliverables due by {date}"),
    "section.your_items": N_("Your items"),
    "section.to_measure": N_("Indicators to measure: no measure for longer than their frequency"),
    "section.deliverable": N_("The deliverable"),
    "section.error": N_("Error"),
    "none": N_("Nothing to report."),
    "more_rows": NN_(
        "… and {count} more: see the “Suivi automatique” tab of the sheet.",
        "… and {count} more: see the “Suivi automatique” tab of the sheet.",
        "count",
    ),
    "blocking": N_("blocking: row skipped"),
    "count.activities": N_("Activities tracked"),
    "count.done": N_("Activities done"),
    "count.late": NP_("count", "Late"),
    "count.at_risk": NP_("count", "At risk"),
    "count.late_start": N_("Late start"),
    "count.due_soon": N_("Due soon"),
    "count.stale": N_("Not updated"),
    "count.deliverables_open": N_("Deliverables not yet submitted"),
    "count.indicators_behind": N_("Indicators behind schedule"),
    "count.problems": N_("Data problems"),
    "hello": N_("Hello {name},"),
    "hello_anonymous": N_("Hello,"),
    "footer": N_(
        "Sent automatically by suivi from the tracking sheet. Any question? Write to {officer}."
    ),
    "as_of": N_("Status as of {date}"),
    "intro.weekly_summary": N_(
        "Here is the weekly summary of the project “{project}”, as of {date}."
    ),
    "intro.owner_digest": N_(
        "Here are the items you own that need your attention as of {date}. Please update the tracking sheet (progress, status, completion date, last update date)."
    ),
    "intro.committee_reminder": N_(
        "Reminder: the “{body}” meeting of the project “{project}” takes place on {date}."
    ),
    "intro.committee_pack": N_(
        "The key points of the meeting pack are below; the full, printable version is attached."
    ),
    "intro.pack_document": N_("Pack prepared automatically on {date} from the tracking sheet."),
    "intro.deliverable_reminder": N_(
        "The deliverable “{name}” is due on {date}. It is not yet marked as submitted in the tracking sheet."
    ),
    "intro.deliverable_overdue": N_(
        "The deliverable “{name}” was due on {date} and is not marked as submitted in the tracking sheet."
    ),
    "action.deliverable": N_(
        "Once it is sent, write “Soumis” in the Status column and the date in “Date de soumission”."
    ),
    "intro.late_alert": N_(
        "The following items of the project “{project}” became late since the last check:"
    ),
    "intro.late_alert_first": N_(
        "First check of the project “{project}”: here is everything already late as of {date}."
    ),
    "intro.problem_report": N_(
        "The last check of the tracking sheet of the project “{project}” found data to fix. Rows marked “blocking” could not be used."
    ),
    "intro.problem_report_none": N_(
        "Every data problem reported before for the project “{project}” has been fixed. Thank you!"
    ),
    "intro.run_failure": N_(
        "The “{flow}” run failed on {date}. Planned e-mails may not have gone out; they will go with the next successful run."
    ),
    "run.link": N_("See the run's details"),
    "where": N_("Tab “{tab}”, row {row}"),
    "where_tab": N_("Tab “{tab}”"),
    "progress_change": N_("{before} → {after}"),
    "hint.en_retard": N_("Update progress and status, or the completion date if it is done."),
    "hint.en_retard.deliverable": N_("If it was sent, write “Soumis” and the submission date."),
    "hint.a_risque": N_(
        "Check the progress entered; if the deadline can no longer be met, tell the M&E officer."
    ),
    "hint.demarrage_tardif": N_(
        "Set the status to “En cours” and enter the progress, or say what is blocking."
    ),
    "hint.echeance_proche": N_(
        "The deadline is close: check that the progress entered is current."
    ),
    "hint.sans_mise_a_jour": N_(
        "Enter the current progress and today's date in “Dernière mise à jour”."
    ),
    "subject.weekly_summary": N_("[{project}] Weekly summary – week {week} ({date})"),
    "subject.owner_digest": N_("[{project}] Your items to update – week {week} ({date})"),
    "subject.committee_reminder": NN_(
        "[{project}] Reminder: {body} on {date} (in {days} day)",
        "[{project}] Reminder: {body} on {date} (in {days} days)",
        "days",
    ),
    "subject.deliverable_reminder": NN_(
        "[{project}] Deliverable “{name}” due on {date} (in {days} day)",
        "[{project}] Deliverable “{name}” due on {date} (in {days} days)",
        "days",
    ),
    "subject.deliverable_overdue": N_("[{project}] Overdue deliverable: “{name}” (due on {date})"),
    "subject.late_alert": N_("[{project}] Newly late as of {date}"),
    "subject.late_alert_first": N_("[{project}] Late items as of {date}"),
    "subject.problem_report": N_("[{project}] Data to fix in the tracking sheet ({date})"),
    "subject.run_failure": N_("[suivi] The “{flow}” run failed ({date})"),
    "title.weekly_summary": N_("Weekly summary"),
    "title.owner_digest": N_("Your items to update"),
    "title.committee_reminder": N_("Meeting reminder"),
    "title.committee_pack": N_("Meeting pack"),
    "title.deliverable_reminder": N_("Deadline reminder"),
    "title.deliverable_overdue": N_("Overdue deliverable"),
    "title.late_alert": N_("Newly late"),
    "title.problem_report": N_("Data to fix"),
    "title.run_failure": N_("Run failure"),
    "chart.title": N_("Indicator achievement (%)"),
    "chart.expected": N_("Expected by now"),
    "chart.alt": N_(
        "Bar chart: percentage achieved for each indicator and the level expected by now. The same data is in the “Chart data” table."
    ),
    "chart.none": N_("No indicator"),
    "file.pack": N_("meeting-pack"),
}
# A count whose form names the number in every language, when a plural message gets none.
ANY_COUNT = 11


def message_text(key: str, language: str, **values: object) -> str:
    """The translated text of `key`, placeholders left in (the plural form chosen by `values`)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    language = language_or_default(language)
    catalog = translations(language)
    if isinstance(entry, Contextual):
        text = catalog.pgettext(entry.context, entry.message)
    elif isinstance(entry, Plural):
        text = catalog.ngettext(entry.singular, entry.plural, _count(values.get(entry.count)))
    else:
        text = catalog.gettext(entry)
    return typography(text, language)


def _count(value: object) -> int:
    """A count for choosing a plural form."""
    try:
        return abs(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ANY_COUNT


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
    text = message_text(key, language, **values)
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
