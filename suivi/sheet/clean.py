"""Raw tabs → typed frames and a list of problems; a bad cell never sinks its row."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from pandas._libs import lib

from suivi.i18n.catalogs import N_
from suivi.model import Problem, ProjectTables, RawTab, RawTabs
from suivi.schema import (
    AGGREGATION_LABELS,
    COLUMNS,
    DELIVERABLE_STATUS_LABELS,
    DIRECTION_LABELS,
    FREQUENCY_DAYS,
    OPTIONAL_TABS,
    STATUS_LABELS,
    TAB_HEADERS,
    Column,
    Tab,
    column_letter,
    column_lookup,
    column_names,
    tab_lookup,
)
from suivi.sheet import funders, parse

HEADER_SEARCH_ROWS = 30  # real sheets put titles and instructions above the header
# Columns without which a row cannot be used at all: a problem there drops the row.
KEY_COLUMNS: dict[Tab, frozenset[str]] = {
    Tab.ACTIVITIES: frozenset({"id"}),
    Tab.INDICATORS: frozenset({"code"}),
    Tab.MEASURES: frozenset({"indicator", "date", "value"}),
    Tab.COMMITTEES: frozenset({"date"}),
    Tab.DELIVERABLES: frozenset({"deliverable"}),
    Tab.TARGETS: frozenset({"indicator", "period", "target"}),
    Tab.COMMITMENTS: frozenset({"deliverable", "periodicity", "delay_days", "start", "end"}),
}
# The column that names a row, for problem reports (a measure is named by its indicator).
ROW_ID_COLUMNS: dict[Tab, str] = {
    Tab.ACTIVITIES: "id",
    Tab.INDICATORS: "code",
    Tab.MEASURES: "indicator",
    Tab.COMMITTEES: "date",
    Tab.DELIVERABLES: "deliverable",
    Tab.TARGETS: "indicator",
    Tab.COMMITMENTS: "deliverable",
}
MAX_VALUE_CHARS = 120  # problem reports quote at most this much of a cell

# Problem messages: English msgids, translated where they are shown (Problem.text). A problem
# on a key column blocks its row, which reports show beside the message.
FORMULA_ERROR = N_("formula error: the cell has no value")
MISSING_VALUE = N_("required value missing")
MANUAL_METHODS = frozenset({"saisie", "manuel", "manual", "entered"})
UNKNOWN_INDICATOR = N_("indicator not found in the “Indicateurs” tab; row skipped")
DUPLICATE_ID = N_("duplicate ID; row skipped")
DUPLICATE_COLUMN = N_("duplicate column: only the first one is read")
MISSING_TAB = N_("tab “{tab}” [{english}] not found")
MISSING_HEADER = N_("header row not found")
MISSING_COLUMN = N_("required column “{column}” [{english}] missing")
MESSAGES = {
    "date": N_("unreadable date (expected: 31/12/2026, 2026-12-31 or 31 Dec 2026)"),
    "number": N_("unreadable number (expected: 12 500,50 or 12500.5)"),
    "percent": N_("unreadable progress or outside 0–100 % (expected: 45, 45 % or 0,45)"),
    "status": N_("unknown status (expected: Non démarrée, En cours, Terminée, Suspendue, Annulée)"),
    "deliverable_status": N_("unknown status (expected: À faire, Soumis, Validé)"),
    "email": N_("invalid e-mail address"),
    "emails": N_("invalid e-mail address in the list"),
    "direction": N_("unknown direction (expected: hausse or baisse); hausse assumed"),
    "aggregation": N_("unknown aggregation (expected: dernière or somme); dernière assumed"),
    "method": N_(
        "unknown calculation rule: neither “saisie” nor a rule of config/suivi.yaml (indicators)"
    ),
    "frequency": N_(
        "unknown frequency (expected: mensuelle, trimestrielle, semestrielle, annuelle)"
    ),
}


@dataclass(frozen=True)
class Located:
    """A tab's data rows with the sheet position of each cell."""

    cells: pd.DataFrame  # canonical columns (object dtype), index = 1-based sheet row
    letters: dict[str, str]  # canonical column → sheet column letter
    title: str  # the tab's title as the team wrote it
    headers: dict[str, str] = field(default_factory=dict)  # canonical column → header as written
    ids: pd.Series | None = None  # the cell naming each row, as found (same index as `cells`)

    def row_ids(self, rows: pd.Index) -> pd.Series:
        """The ID naming each of these rows, as problem reports quote it ("" when none)."""
        if self.ids is None:
            return pd.Series("", index=rows)
        found = self.ids.reindex(rows)
        return found.map(_quote_value, na_action="ignore").fillna("").str.strip().fillna("")


def clean_project(project: str, tabs: RawTabs, rules: Collection[str] = ()) -> ProjectTables:
    """Every tab of one spreadsheet, typed, with the problems met; `rules` names computed indicators."""
    problems: list[Problem] = []
    titles = match_tabs(tabs)
    located: dict[Tab, Located] = {}
    found_in: dict[Tab, list[Problem]] = {}
    for tab in Tab:
        title = titles.get(tab)
        if title is None:
            located[tab] = _no_rows(tab)
        else:
            located[tab], found_in[tab] = locate(project, tab, title, tabs[title])
    # Every column of a kind, across the tabs, goes through its parser in one call.
    parsed, errors = parse_columns(located, rules)
    frames: dict[Tab, pd.DataFrame] = {}
    letters: dict[Tab, dict[str, str]] = {}
    headers: dict[Tab, dict[str, str]] = {}
    for tab in Tab:
        if tab not in found_in:
            if tab not in OPTIONAL_TABS:
                problems.extend(_missing_tab(project, tab))
            frames[tab], _ = type_cells(project, tab, located[tab], parsed[tab], errors[tab])
            continue
        problems.extend(found_in[tab])
        frame, found = type_cells(project, tab, located[tab], parsed[tab], errors[tab])
        problems.extend(found)
        frame, found = drop_unusable(project, tab, frame, located[tab])
        problems.extend(found)
        frames[tab], letters[tab], headers[tab] = frame, located[tab].letters, located[tab].headers
    measures, found = check_measures(
        project,
        frames[Tab.MEASURES],
        frames[Tab.INDICATORS],
        titles,
        letters.get(Tab.MEASURES, {}),
        headers.get(Tab.MEASURES, {}).get("indicator", ""),
    )
    problems.extend(found)
    targets, commitments, found = funders.check_funder_tabs(project, frames, titles, letters)
    problems.extend(found)
    return ProjectTables(
        project=project,
        activities=frames[Tab.ACTIVITIES],
        indicators=frames[Tab.INDICATORS],
        measures=measures,
        committees=frames[Tab.COMMITTEES],
        deliverables=frames[Tab.DELIVERABLES],
        problems=problems,
        tab_titles={tab.value: title for tab, title in titles.items()},
        targets=targets,
        commitments=commitments,
    )


def match_tabs(tabs: RawTabs) -> dict[Tab, str]:
    """Canonical tab → the first title that names it (French or English, any case/accents)."""
    lookup = tab_lookup()
    matched: dict[Tab, str] = {}
    for title in tabs:
        tab = lookup.get(parse.fold_label(title))
        if tab is not None and tab not in matched:
            matched[tab] = title
    return matched


def _missing_tab(project: str, tab: Tab) -> list[Problem]:
    french, english = TAB_HEADERS[tab]
    return [
        Problem(
            project,
            french,
            "",
            "",
            MISSING_TAB,
            blocking=tab is Tab.ACTIVITIES,
            params={"tab": french, "english": english},
        )
    ]


def _no_rows(tab: Tab) -> Located:
    """A missing tab: its columns, no rows, nowhere in the sheet."""
    return Located(pd.DataFrame(columns=column_names(tab), dtype="object"), {}, "")


def find_header(rows: RawTab, tab: Tab) -> tuple[int | None, dict[int, str]]:
    """The row (0-based) among the first ones that names most contract columns, and its map."""
    lookup = column_lookup(tab)
    best_row: int | None = None
    best_map: dict[int, str] = {}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping: dict[int, str] = {}
        for position, cell in enumerate(row):
            name = lookup.get(parse.fold_label(cell)) if cell is not None else None
            if name is not None and name not in mapping.values():
                mapping[position] = name
        if len(mapping) > len(best_map):
            best_row, best_map = index, mapping
    if len(best_map) < min(2, len(COLUMNS[tab])):
        return None, {}
    return best_row, best_map


def locate(project: str, tab: Tab, title: str, rows: RawTab) -> tuple[Located, list[Problem]]:
    """Find the header and keep the contract's columns; report missing columns."""
    problems: list[Problem] = []
    header, mapping = find_header(rows, tab)
    if header is None:
        if any(any(not _blank(cell) for cell in row) for row in rows):
            problems.append(Problem(project, title, "", "", MISSING_HEADER, tab is Tab.ACTIVITIES))
        return Located(pd.DataFrame(columns=column_names(tab), dtype="object"), {}, title), problems
    problems.extend(_duplicate_headers(project, tab, title, rows[header], mapping, header))
    width = max(map(len, rows[header + 1 :]), default=0)
    # Short rows padded with None (pandas' own row-to-array step: a Python loop costs triple).
    body = lib.to_object_array(rows[header + 1 :], min_width=width)
    positions = {name: position for position, name in mapping.items() if position < width}
    absent = np.full(len(body), np.nan, dtype=object)  # a contract column the sheet lacks
    cells = pd.DataFrame(
        {
            name: body[:, positions[name]] if name in positions else absent
            for name in column_names(tab)
        },
        index=pd.RangeIndex(header + 2, header + 2 + len(body)),  # 1-based sheet rows
        dtype="object",
    )
    cells = cells[_any_value(body, list(positions.values()))]  # rows of spaces: type_cells
    letters = {name: column_letter(position + 1) for position, name in mapping.items()}
    headers = {name: str(rows[header][position]).strip() for position, name in mapping.items()}
    for column in COLUMNS[tab]:
        if column.required and column.name not in letters:
            problems.append(
                Problem(
                    project,
                    title,
                    f"{header + 1}:{header + 1}",
                    "",
                    MISSING_COLUMN,
                    blocking=column.name in {"id", "code", "deliverable", "indicator", "date"},
                    params={"column": column.fr, "english": column.en},
                    column=column.fr,
                )
            )
    return Located(cells, letters, title, headers, cells[ROW_ID_COLUMNS[tab]]), problems


def _any_value(body: np.ndarray, positions: list[int]) -> np.ndarray:
    """Rows with a value (not None, NaN…) in any of these columns of the grid.

    Column by column, only for rows still without one: most rows have a value in the first
    column, so this reads one column, not the whole grid (a frame's row-wise `any` costs
    twenty times more).
    """
    found = np.zeros(len(body), dtype=bool)
    for position in positions:
        pending = np.flatnonzero(~found)
        if not len(pending):
            break
        found[pending] = pd.notna(body[pending, position])
    return found


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _duplicate_headers(
    project: str, tab: Tab, title: str, header: list[object], mapping: dict[int, str], row: int
) -> list[Problem]:
    """A second column with a known header is ignored, and said so."""
    lookup = column_lookup(tab)
    used = set(mapping)
    return [
        Problem(
            project,
            title,
            f"{column_letter(position + 1)}{row + 1}",
            str(cell),
            DUPLICATE_COLUMN,
            column=str(cell).strip(),
        )
        for position, cell in enumerate(header)
        if position not in used and cell is not None and lookup.get(parse.fold_label(cell))
    ]


Parser = Callable[[pd.Series], tuple[pd.Series, np.ndarray]]

PARSERS: dict[str, Parser] = {
    "date": parse.parse_dates,
    "number": parse.parse_numbers,
    "percent": parse.parse_percents,
    "status": lambda cells: parse.parse_labels(cells, STATUS_LABELS),
    "deliverable_status": lambda cells: parse.parse_labels(cells, DELIVERABLE_STATUS_LABELS),
    "email": parse.parse_emails,
}


ColumnsParsed = dict[str, parse.Parsed]  # canonical column → values, failed, blank


FormulaErrors = dict[str, np.ndarray]  # canonical column → where a cell holds a failed formula


def parse_columns(
    located: dict[Tab, Located], rules: Collection[str] = ()
) -> tuple[dict[Tab, ColumnsParsed], dict[Tab, FormulaErrors]]:
    """Every column of every tab parsed, one parser call per kind of column for them all, and
    where each column holds a failed formula (#REF!, #N/A…).

    A failed formula is no value at all, whatever the column: it is parsed as an empty cell
    (so defaults apply) and reported as what it is (`type_cells`).
    """
    groups: dict[str, list[tuple[Tab, str, pd.Series]]] = {}
    for tab, where in located.items():
        for column in COLUMNS[tab]:
            cells = where.cells[column.name]
            groups.setdefault(_kind_of(tab, column), []).append((tab, column.name, cells))
    parsed: dict[Tab, ColumnsParsed] = {tab: {} for tab in located}
    errors: dict[Tab, FormulaErrors] = {tab: {} for tab in located}
    for kind, columns in groups.items():
        results, failed_formulas = parse.parse_distinct(
            [cells for _, _, cells in columns],
            partial(_parse_kind, kind, rules=rules),
            blank_when_missing=_parsed_as_text(kind),
            as_missing=parse.FORMULA_ERRORS,
        )
        for (tab, name, _), result, failed_formula in zip(
            columns, results, failed_formulas, strict=True
        ):
            parsed[tab][name], errors[tab][name] = result, failed_formula
    return parsed, errors


def type_cells(
    project: str,
    tab: Tab,
    located: Located,
    parsed: ColumnsParsed,
    errors: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, list[Problem]]:
    """The columns as `parse_columns` typed them; failed cells and formulas become problems.

    Rows whose every cell is blank (spaces count as blank) are dropped without a word.
    """
    cells = located.cells
    parsed = {column.name: parsed[column.name] for column in COLUMNS[tab]}  # the tab's order
    filled = ~np.logical_and.reduce(
        [missing & ~errors[name] for name, (_, _, missing) in parsed.items()]
    )
    problems: list[Problem] = []
    for column in COLUMNS[tab]:
        raw = cells[column.name][filled]
        _, failed, missing = parsed[column.name]
        error = errors[column.name]
        key = column.name in KEY_COLUMNS[tab]
        problems += _cell_problems(
            project, located, column.name, raw, error[filled], FORMULA_ERROR, key
        )
        message = MESSAGES.get(_kind_of(tab, column), "")
        problems += _cell_problems(project, located, column.name, raw, failed[filled], message, key)
        if column.required and column.name in located.letters:
            problems += _cell_problems(
                project, located, column.name, raw, (missing & ~error)[filled], MISSING_VALUE, key
            )
    frame = pd.DataFrame(
        {name: values for name, (values, _, _) in parsed.items()}, index=cells.index
    )
    frame = frame[filled]
    frame.insert(0, "project", project)
    frame["row"] = frame.index.astype("int64")
    return frame.reset_index(drop=True), problems


def _kind_of(tab: Tab, column: Column) -> str:
    """Which message a failed cell of this column gets."""
    if tab is Tab.INDICATORS and column.name in {"method", "direction", "aggregation", "frequency"}:
        return column.name
    if tab is Tab.COMMITTEES and column.name == "participants":
        return "emails"
    return column.kind


# Kinds `_parse_kind` reads by their own rules (some put a default in blank cells).
SPECIAL_KINDS = frozenset({"method", "emails", "direction", "aggregation", "frequency"})


def _parsed_as_text(kind: str) -> bool:
    """Kinds read by `parse.parse_text` alone, whose values are missing exactly where blank."""
    return kind not in SPECIAL_KINDS and kind not in PARSERS


def _parse_kind(kind: str, raw: pd.Series, rules: Collection[str]) -> tuple[pd.Series, np.ndarray]:
    """Typed values of cells of one kind (`_kind_of`) and the failed-cell mask."""
    if kind == "method":
        methods = parse.parse_text(raw)
        folded = methods.map(parse.fold_label, na_action="ignore")
        manual = methods.isna() | folded.isin(MANUAL_METHODS)
        failed = ~(manual | methods.isin(list(rules))).to_numpy(dtype=bool)
        return methods.where(~manual, "saisie"), failed
    if kind == "emails":
        return parse.parse_email_lists(raw)
    if kind in {"direction", "aggregation"}:
        labels = DIRECTION_LABELS if kind == "direction" else AGGREGATION_LABELS
        codes, failed = parse.parse_labels(raw.where(~parse.is_blank(raw), ""), labels)
        default = "up" if kind == "direction" else "latest"
        return codes.fillna(default), failed
    if kind == "frequency":
        codes, failed = parse.parse_labels(raw, {k: str(v) for k, v in FREQUENCY_DAYS.items()})
        return pd.to_numeric(codes, errors="coerce").astype(float), failed
    parser = PARSERS.get(kind)
    if parser is None:
        return parse.parse_text(raw), np.zeros(len(raw), dtype=bool)
    return parser(raw)


def _cell_problems(
    project: str,
    located: Located,
    column: str,
    raw: pd.Series,
    mask: np.ndarray,
    message: str,
    blocking: bool = False,
) -> list[Problem]:
    """One problem per masked cell: A1 reference, value found, column header and row ID."""
    if not mask.any():
        return []
    letter = located.letters.get(column, "?")
    header = located.headers.get(column, "")
    bad = raw[mask]
    values = bad.map(_quote_value, na_action="ignore").fillna("")
    ids = located.row_ids(bad.index)  # only the rows reported: IDs quoted for them alone
    return [
        Problem(
            project,
            located.title,
            f"{letter}{row}",
            value,
            message,
            blocking,
            column=header,
            row_id=row_id,
        )
        for row, value, row_id in zip(bad.index, values, ids, strict=True)
    ]


def _quote_value(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def drop_unusable(
    project: str, tab: Tab, frame: pd.DataFrame, located: Located
) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows missing a key value (already reported) or repeating an ID are dropped."""
    keys = sorted(KEY_COLUMNS[tab])
    unusable = frame[keys].isna().any(axis=1).to_numpy(copy=True)
    problems: list[Problem] = []
    if tab in (Tab.ACTIVITIES, Tab.INDICATORS):
        key = keys[0]
        repeated = frame[key].duplicated(keep="first").to_numpy() & ~unusable
        letter = located.letters.get(key, "A")
        problems = [
            Problem(
                project,
                located.title,
                f"{letter}{row}",
                str(value),
                DUPLICATE_ID,
                True,
                column=located.headers.get(key, ""),
                row_id=str(value),
            )
            for row, value in zip(frame.loc[repeated, "row"], frame.loc[repeated, key], strict=True)
        ]
        unusable |= repeated
    return frame[~unusable].reset_index(drop=True), problems


def check_measures(
    project: str,
    measures: pd.DataFrame,
    indicators: pd.DataFrame,
    titles: dict[Tab, str],
    letters: dict[str, str],
    header: str = "",
) -> tuple[pd.DataFrame, list[Problem]]:
    """Measures must name an indicator of the `Indicateurs` tab (`header`: its column as written)."""
    if measures.empty:
        return measures, []
    title = titles.get(Tab.MEASURES, TAB_HEADERS[Tab.MEASURES][0])
    unknown = ~measures["indicator"].isin(indicators["code"])
    letter = letters.get("indicator", "A")
    problems = [
        Problem(
            project,
            title,
            f"{letter}{row}",
            str(code),
            UNKNOWN_INDICATOR,
            True,
            column=header,
            row_id=str(code),
        )
        for row, code in zip(
            measures.loc[unknown, "row"], measures.loc[unknown, "indicator"], strict=True
        )
    ]
    return measures[~unknown].reset_index(drop=True), problems
