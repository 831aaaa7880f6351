"""IATI activity files (2.0x, and the 1.0x still published) → the contract's tabs, problems reported.

Every IATI value lands in one cell of `Activités`, `Indicateurs` or `Mesures` as it was
published; a value that cannot be read (`"2015:1584728 (158%)"`, `"Not available"`, a year
9999 placeholder) leaves its cell empty and becomes a `Problem`, never a guess.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from suivi.adapters.files import save_workbook
from suivi.model import Problem, RawTab, RawTabs
from suivi.schema import COLUMNS, TAB_HEADERS, Tab

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CHUNK_BYTES = 1 << 20  # the file is read and parsed 1 MB at a time
PREFERRED_LANGUAGES = ("fr", "en")
# Dates outside these years are placeholders (9999) or typos, not project dates.
FIRST_YEAR, LAST_YEAR = 1950, 2150
ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?\s*$")
# IATI values are xsd:decimal: digits, one optional point, an optional sign; nothing else.
DECIMAL = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$")
DATE_FORMAT = "DD/MM/YYYY"
PROGRESS_FORMAT = "0%"
MAX_QUOTED_CHARS = 120

# activity-status code (2.0x) or name (1.0x) → the contract's Statut label.
STATUS_LABELS = {
    "1": "Non démarrée",
    "2": "En cours",
    "3": "Terminée",
    "4": "Terminée",
    "5": "Annulée",
    "6": "Suspendue",
}
STATUS_NAMES = {
    "pipeline/identification": "1",
    "pipeline": "1",
    "identification": "1",
    "implementation": "2",
    "completion": "3",
    "finalisation": "3",
    "post-completion": "4",
    "closed": "4",
    "cancelled": "5",
    "suspended": "6",
}
FINISHED_STATUSES = frozenset({"3", "4"})  # finalisation, closed: the work is done
NOT_STARTED_STATUSES = frozenset({"1"})  # pipeline: nothing done yet
# activity-date type: 2.0x codes and 1.0x names.
DATE_TYPES = {
    "1": "planned_start",
    "2": "actual_start",
    "3": "planned_end",
    "4": "actual_end",
    "start-planned": "planned_start",
    "start-actual": "actual_start",
    "end-planned": "planned_end",
    "end-actual": "actual_end",
}
# Each date type's cell in Activités: an actual start stands where the planned one is missing.
DATE_CELLS = {
    "planned_start": "planned_start",
    "actual_start": "planned_start",
    "planned_end": "planned_end",
    "actual_end": "actual_end",
}
DATE_TYPE_NAMES = {
    "planned_start": "début prévu",
    "actual_start": "début réel",
    "planned_end": "fin prévue",
    "actual_end": "fin réelle",
}
ORG_ROLES = {
    "1": "funding",
    "2": "accountable",
    "3": "extending",
    "4": "implementing",
    "funding": "funding",
    "accountable": "accountable",
    "extending": "extending",
    "implementing": "implementing",
}
RESULT_LEVELS = {"1": "Produit", "2": "Effet", "3": "Impact"}
MEASURE_UNITS = {"1": "nombre", "2": "%", "3": "nominal", "4": "ordinal", "5": "qualitatif"}
# Period length in days → the contract's Fréquence, when every period of an indicator agrees.
FREQUENCIES = (
    (range(28, 32), "mensuelle"),
    (range(89, 93), "trimestrielle"),
    (range(181, 185), "semestrielle"),
    (range(364, 367), "annuelle"),
)


class IatiError(ValueError):
    """A file that cannot be imported at all (not XML, a DOCTYPE, no IATI activity)."""


@dataclass
class _Sheet:
    """One output tab being filled: its headers and rows, with A1 references for problems."""

    tab: Tab
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TAB_HEADERS[self.tab][0]

    @property
    def names(self) -> list[str]:
        return [column.name for column in COLUMNS[self.tab]]

    def next_row(self) -> int:
        """The sheet row the next appended row will occupy (the header is row 1)."""
        return len(self.rows) + 2

    def cell(self, column: str, row: int) -> str:
        """A1 reference of a column on a row."""
        return f"{get_column_letter(self.names.index(column) + 1)}{row}"

    def append(self, values: dict[str, Any]) -> None:
        self.rows.append([values.get(name) for name in self.names])

    def raw(self) -> RawTab:
        """Header row (French names) then the rows."""
        return [[column.fr for column in COLUMNS[self.tab]], *self.rows]


@dataclass
class _Import:
    """The tabs being built and the problems met, for one file."""

    project: str
    activities: _Sheet = field(default_factory=lambda: _Sheet(Tab.ACTIVITIES))
    indicators: _Sheet = field(default_factory=lambda: _Sheet(Tab.INDICATORS))
    measures: _Sheet = field(default_factory=lambda: _Sheet(Tab.MEASURES))
    problems: list[Problem] = field(default_factory=list)

    def report(
        self, sheet: _Sheet, cell: str, value: object, message: str, blocking: bool = False
    ) -> None:
        text = "" if value is None else str(value)
        if len(text) > MAX_QUOTED_CHARS:
            text = text[: MAX_QUOTED_CHARS - 1] + "…"
        self.problems.append(Problem(self.project, sheet.title, cell, text, message, blocking))


@dataclass(frozen=True)
class _RowProblems:
    """Reports problems about one row: `where` names it, a column (or None) gives the cell."""

    state: _Import
    sheet: _Sheet
    row: int
    where: str

    def __call__(
        self, column: str | None, value: object, message: str, blocking: bool = False
    ) -> None:
        cell = self.sheet.cell(column, self.row) if column else ""
        self.state.report(self.sheet, cell, value, f"{self.where} : {message}", blocking)

    def about(self, detail: str) -> _RowProblems:
        """The same row, its problems naming a detail of it (`indicateur X, cible …`)."""
        return replace(self, where=f"{self.where}, {detail}")


def import_iati(xml_path: Path, project: str = "IATI") -> tuple[RawTabs, list[Problem]]:
    """Read an IATI activity file into the contract's tabs, with every unreadable value reported.

    The file is streamed: each activity is read, mapped, then cleared, so memory follows
    the tabs written, not the XML tree (a 200 MB file stays well under 500 MB).
    """
    with Path(xml_path).open("rb") as stream:
        return _import_stream(stream, project)


def parse_iati(data: bytes, project: str = "IATI") -> tuple[RawTabs, list[Problem]]:
    """IATI XML (bytes) → the five tabs as rows of cells, and the problems; no DOCTYPE allowed."""
    return _import_stream(io.BytesIO(data), project)


def _import_stream(stream: BinaryIO, project: str) -> tuple[RawTabs, list[Problem]]:
    """Map each top-level activity as soon as it is read, then drop it."""
    state = _Import(project)
    root: ET.Element | None = None
    default_language = ""
    depth, position = 0, 0
    for event, element in safe_events(stream):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                if root.tag not in ("iati-activities", "iati-activity"):
                    raise IatiError(f"not an IATI activity file: the root element is <{root.tag}>")
                default_language = root.get(XML_LANG, "")
            continue
        depth -= 1
        is_activity = element.tag == "iati-activity" and (
            depth == 1 or (depth == 0 and element is root)
        )
        if is_activity:
            position += 1
            _import_activity(state, element, position, default_language)
            element.clear()  # its subtree is mapped: free it
        if depth == 1 and root is not None:
            root.remove(element)  # the root keeps no child: memory stays flat
    if root is None:
        raise IatiError("not well-formed XML: no element found")
    tabs: RawTabs = {
        sheet.title: sheet.raw() for sheet in (state.activities, state.indicators, state.measures)
    }
    for tab in (Tab.COMMITTEES, Tab.DELIVERABLES):
        tabs[TAB_HEADERS[tab][0]] = _Sheet(tab).raw()
    return tabs, state.problems


def safe_events(stream: BinaryIO) -> Iterator[tuple[str, ET.Element]]:
    """(event, element) pairs of a streamed parse that refuses any DOCTYPE or entity declaration.

    Each chunk goes through a bare expat parser first, which raises on a DOCTYPE before the
    element parser sees a byte past it: no entity is ever expanded, none fetched (as defusedxml).
    """

    def refuse(*_: object) -> None:
        raise IatiError("the file declares a DOCTYPE or entities: refused for safety")

    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = refuse
    checker.EntityDeclHandler = refuse
    elements: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    try:
        while chunk := stream.read(CHUNK_BYTES):
            checker.Parse(chunk, False)
            elements.feed(chunk)
            yield from _element_events(elements)
        checker.Parse(b"", True)
        elements.close()
        yield from _element_events(elements)
    except (expat.ExpatError, ET.ParseError) as error:
        raise IatiError(f"not well-formed XML: {error}") from None


def _element_events(parser: ET.XMLPullParser[ET.Element]) -> Iterator[tuple[str, ET.Element]]:
    """The start and end events read so far (the only kinds asked for)."""
    for event in parser.read_events():
        kind, element = event[0], event[1] if len(event) > 1 else None
        if isinstance(element, ET.Element):
            yield kind, element


def safe_xml(data: bytes) -> ET.Element:
    """Parse XML refusing any DOCTYPE (so no entity expansion, no external entity): as defusedxml does."""
    root: ET.Element | None = None
    for event, element in safe_events(io.BytesIO(data)):
        if event == "start" and root is None:
            root = element
    if root is None:
        raise IatiError("not well-formed XML: no element found")
    return root


def write_workbook(tabs: RawTabs, path: Path) -> Path:
    """Write the tabs as an .xlsx workbook the `suivi` commands read; atomic; returns the path.

    Write-only mode: rows are streamed to the file, never held as cell objects.
    """
    book = Workbook(write_only=True)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title)
        header = rows[0] if rows else []
        for position, name in enumerate(header, start=1):
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].width = 40 if name in ("Activité", "Libellé") else 16
        sheet.freeze_panes = "A2"
        progress = header.index("Avancement") if "Avancement" in header else -1
        sheet.append([_bold(sheet, name) for name in header])
        for values in rows[1:]:
            sheet.append(
                [_cell(sheet, value, index == progress) for index, value in enumerate(values)]
            )
    return save_workbook(book, path)


def _bold(sheet: Any, value: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


def _cell(sheet: Any, value: object, is_progress: bool) -> object:
    """A value as written: text stays text (a title starting with "=" too), dates and % formatted."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if is_progress and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = PROGRESS_FORMAT
        return cell
    return value


# ---------------------------------------------------------------- activities


def _import_activity(
    state: _Import, activity: ET.Element, position: int, default_language: str
) -> None:
    """One activity: its row in Activités, its indicators and their measures."""
    sheet = state.activities
    row = sheet.next_row()
    language = activity.get(XML_LANG, default_language)
    identifier = (activity.findtext("iati-identifier") or "").strip()
    problem = _RowProblems(state, sheet, row, f"activité {identifier or f'n° {position}'}")
    if not identifier:
        problem("id", "", "iati-identifier absent ; ID vide", blocking=True)
    title = _text(activity.find("title"), language)
    if title is None:
        problem("activity", "", "titre absent")

    organisations = _organisations(activity, language)
    reporting = _text(activity.find("reporting-org"), language) or _attribute(
        activity.find("reporting-org"), "ref"
    )
    owner = _first(organisations.get("accountable", [])) or reporting
    if owner is None:
        problem("owner", "", "ni organisation responsable ni publiant")

    dates = _activity_dates(problem, activity)
    planned_start = dates.get("planned_start") or dates.get("actual_start")
    if planned_start is None:
        problem("planned_start", "", "ni début prévu ni début réel (activity-date 1 ou 2)")
    planned_end = dates.get("planned_end")
    if planned_end is None:
        problem("planned_end", "", "fin prévue absente (activity-date 3) ; Fin prévue laissée vide")

    status_code, status_text = _status(activity)
    status = STATUS_LABELS.get(status_code or "")
    if status is None:
        unknown = "statut IATI (activity-status) inconnu ou absent ; Statut laissé vide"
        problem("status", status_text or "", unknown)
    progress: float | None = None
    if status_code in FINISHED_STATUSES:
        progress = 1.0
    elif status_code in NOT_STARTED_STATUSES:
        progress = 0.0
    else:
        problem("progress", status or "", "avancement non publié en IATI ; Avancement laissé vide")
    actual_end = dates.get("actual_end")
    if actual_end is not None and status_code not in FINISHED_STATUSES:
        shown = status or status_text or "?"
        early = f"fin réelle publiée alors que l'activité n'est pas terminée (statut « {shown} »)"
        problem("actual_end", actual_end.isoformat(), early)

    updated = _day(activity.get("last-updated-datetime"))
    sheet.append(
        {
            "id": identifier or None,
            "activity": title,
            "owner": owner,
            "partner": _joined(organisations.get("implementing", [])),
            "planned_start": planned_start,
            "planned_end": planned_end,
            "progress": progress,
            "status": status,
            "actual_end": actual_end,
            "last_update": updated if updated is not None and _plausible(updated) else None,
            "funder": _joined(organisations.get("funding", [])),
            "comment": f"IATI activity-status {status_code or '?'}"
            + (f" ({status_text})" if status_text else ""),
        }
    )
    for result_number, result in enumerate(activity.findall("result"), start=1):
        for indicator_number, indicator in enumerate(result.findall("indicator"), start=1):
            _import_indicator(
                state,
                indicator,
                result,
                code=f"{identifier or f'A{position}'}-R{result_number}.{indicator_number}",
                output=f"{identifier or f'A{position}'}-R{result_number}",
                owner=owner,
                language=language,
                source=f"IATI {identifier}".strip(),
            )


def _activity_dates(problem: _RowProblems, activity: ET.Element) -> dict[str, dt.date]:
    """Planned and actual start and end dates; unreadable or repeated ones reported."""
    found: dict[str, dt.date] = {}
    for element in activity.findall("activity-date"):
        kind = DATE_TYPES.get((element.get("type") or "").strip().lower())
        if kind is None:
            unknown = "type de date inconnu (activity-date) ; date ignorée"
            problem(None, element.get("type") or "", unknown)
            continue
        raw = element.get("iso-date")
        day = _day(raw)
        if day is None:
            shown: str | None = raw if raw is not None else (element.text or "").strip()
            why = "illisible (attendu : AAAA-MM-JJ) ; laissée vide"
        elif not _plausible(day):
            shown, why = raw, f"factice ou hors plage (année {day.year}) ; laissée vide"
        elif found.get(kind, day) != day:
            first = found[kind].isoformat()
            shown, why = raw, f"publiée deux fois ; la première ({first}) est retenue"
        else:
            found.setdefault(kind, day)
            continue
        problem(DATE_CELLS[kind], shown, f"{DATE_TYPE_NAMES[kind]} {why}")
    return found


def _status(activity: ET.Element) -> tuple[str | None, str]:
    """The activity-status code (2.0x `code`, or the 1.0x name) and its published text."""
    element = activity.find("activity-status")
    if element is None:
        return None, ""
    text = (element.text or "").strip()
    code = (element.get("code") or "").strip()
    if code in STATUS_LABELS:
        return code, text
    named = STATUS_NAMES.get(text.casefold())
    return named, text or code


def _organisations(activity: ET.Element, language: str) -> dict[str, list[str]]:
    """Participating organisation names by role (funding, accountable, extending, implementing)."""
    roles: dict[str, list[str]] = {}
    for element in activity.findall("participating-org"):
        role = ORG_ROLES.get((element.get("role") or "").strip().casefold())
        name = _text(element, language) or _attribute(element, "ref")
        if role is None or name is None:
            continue
        if name not in roles.setdefault(role, []):
            roles[role].append(name)
    return roles


# ---------------------------------------------------------------- indicators and measures


def _import_indicator(
    state: _Import,
    indicator: ET.Element,
    result: ET.Element,
    *,
    code: str,
    output: str,
    owner: str | None,
    language: str,
    source: str,
) -> None:
    """One result indicator: its row in Indicateurs and one Mesures row per readable actual."""
    sheet = state.indicators
    where = f"indicateur {code}"
    problem = _RowProblems(state, sheet, sheet.next_row(), where)
    name = _text(indicator.find("title"), language) or _text(
        indicator.find("description"), language
    )
    if name is None:
        problem("name", "", "ni titre ni description ; Libellé laissé vide")

    baseline = _summed_values(
        problem, "baseline", indicator.findall("baseline"), "valeur de référence"
    )

    periods = []
    for number, period in enumerate(indicator.findall("period"), start=1):
        start = _period_day(
            state, period.find("period-start"), f"{where}, période {number} (début)"
        )
        end = _period_day(state, period.find("period-end"), f"{where}, période {number} (fin)")
        periods.append((number, period, start, end))
        label = f"{where}, période {number} ({start or '?'} → {end or '?'})"
        for actual in period.findall("actual"):
            _import_actual(state, actual, code, end, source, label)

    # The target is the last dated period's: with `dernière`, the latest target is the goal.
    target: float | None = None
    target_date: dt.date | None = None
    targeted = [item for item in periods if item[1].findall("target")]
    for number, period, _, end in targeted:
        value = _summed_values(
            problem, "target", period.findall("target"), f"cible de la période {number}"
        )
        if end is not None and (target_date is None or end >= target_date) and value is not None:
            target, target_date = value, end
    if target is None:
        problem("target", "", "aucune cible numérique datée ; Cible laissée vide")

    sheet.append(
        {
            "code": code,
            "level": RESULT_LEVELS.get((result.get("type") or "").strip()),
            "output": output,
            "name": name,
            "unit": MEASURE_UNITS.get((indicator.get("measure") or "").strip()),
            "baseline": baseline,
            "target": target,
            "target_date": target_date,
            "direction": "baisse"
            if (indicator.get("ascending") or "").strip() in ("0", "false")
            else "hausse",
            "method": "saisie",
            "aggregation": "dernière",
            "frequency": _frequency([(start, end) for _, _, start, end in periods]),
            "owner": owner,
        }
    )


def _import_actual(
    state: _Import, actual: ET.Element, code: str, end: dt.date | None, source: str, where: str
) -> None:
    """A period's actual value as one Mesures row, dated at the period's end."""
    sheet = state.measures
    raw = actual.get("value")
    value = _decimal(raw)
    if value is None:
        reason = "vide" if raw is None or not raw.strip() else "illisible (nombre attendu)"
        state.report(sheet, "", raw, f"{where} : valeur réalisée {reason} ; mesure non importée")
        return
    if end is None:
        state.report(
            sheet, "", raw, f"{where} : période sans date de fin lisible ; mesure non importée"
        )
        return
    sheet.append(
        {
            "indicator": code,
            "date": end,
            "value": value,
            "breakdown": _breakdown(actual),
            "source": source,
        }
    )


def _summed_values(
    problem: _RowProblems, column: str, elements: list[ET.Element], what: str
) -> float | None:
    """The value of one element, or the sum of several (breakdowns add up); None if any is unreadable."""
    values = []
    for element in elements:
        raw = element.get("value")
        value = _decimal(raw)
        if value is None:
            reason = "vide" if raw is None or not raw.strip() else "illisible (nombre attendu)"
            year = element.get("year")
            placeholder = f" (année {year})" if year and not _plausible_year(year) else ""
            problem.about(f"{what}{placeholder}")(column, raw, f"{reason} ; laissée vide")
            return None
        values.append(value)
    return sum(values) if values else None


def _period_day(state: _Import, element: ET.Element | None, where: str) -> dt.date | None:
    """A period-start or period-end date; unreadable or placeholder dates reported."""
    if element is None:
        return None
    raw = element.get("iso-date")
    day = _day(raw)
    if day is None:
        state.report(state.measures, "", raw, f"{where} : date illisible (attendu : AAAA-MM-JJ)")
        return None
    if not _plausible(day):
        state.report(
            state.measures, "", raw, f"{where} : date factice ou hors plage (année {day.year})"
        )
        return None
    return day


def _breakdown(actual: ET.Element) -> str | None:
    """`sex: female; age: adult` from an actual's dimensions; None without any."""
    parts = [
        f"{(dimension.get('name') or '').strip()}: {(dimension.get('value') or '').strip()}"
        for dimension in actual.findall("dimension")
        if (dimension.get("name") or "").strip() or (dimension.get("value") or "").strip()
    ]
    return "; ".join(parts) or None


def _frequency(periods: Iterable[tuple[dt.date | None, dt.date | None]]) -> str | None:
    """The contract's Fréquence when every dated period has the same standard length."""
    lengths = {(end - start).days + 1 for start, end in periods if start and end}
    names = {name for length in lengths for days, name in FREQUENCIES if length in days}
    if len(names) == 1 and all(
        any(length in days for days, _ in FREQUENCIES) for length in lengths
    ):
        return names.pop()
    return None


# ---------------------------------------------------------------- values


def _text(element: ET.Element | None, language: str) -> str | None:
    """An element's narrative in French, else English, else any; 1.0x text when no narrative."""
    if element is None:
        return None
    narratives = [
        ((narrative.get(XML_LANG) or language or "").casefold(), (narrative.text or "").strip())
        for narrative in element.findall("narrative")
    ]
    if not element.findall("narrative"):
        narratives = [
            ((element.get(XML_LANG) or language or "").casefold(), (element.text or "").strip())
        ]
    written = [(lang, text) for lang, text in narratives if text]
    for wanted in PREFERRED_LANGUAGES:
        for lang, text in written:
            if lang.split("-")[0] == wanted:
                return text
    return written[0][1] if written else None


def _attribute(element: ET.Element | None, name: str) -> str | None:
    """An attribute's stripped value, None when absent or blank."""
    if element is None:
        return None
    value = (element.get(name) or "").strip()
    return value or None


def _decimal(raw: str | None) -> float | None:
    """An xsd:decimal value; anything else (units, years, words, commas) is None."""
    if raw is None or not DECIMAL.fullmatch(raw):
        return None
    return float(raw.strip())


def _day(raw: str | None) -> dt.date | None:
    """The day of an ISO date or date-time; None when unreadable."""
    match = ISO_DAY.match(raw or "")
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _plausible(day: dt.date) -> bool:
    """A date a project could hold (not a 9999 placeholder)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _plausible_year(year: str) -> bool:
    """A year a project could hold."""
    return year.strip().isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _joined(values: list[str]) -> str | None:
    return "; ".join(values) or None


__all__ = ["IatiError", "import_iati", "parse_iati", "safe_xml", "write_workbook"]
