"""Bad input never crashes and never loses data: random sheets through cleaning and flags.

A hypothesis strategy builds `Activités` tabs the way real sheets go wrong — wrong types,
Arabic, emoji and RTL marks, 10 000-character cells, formula errors (#REF!, #N/A), headers
in any case or language, repeated or missing, extra columns, titles above the header, empty
tabs — and remembers, for every cell, whether it is blank, good or bad. The assertions:
nothing raises; every bad cell (and every missing required value) is reported once, with
its A1 reference, and no good cell is; every row with a usable ID reaches the flags.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from suivi.jobs.pipeline import assess_project
from suivi.schema import COLUMNS, STATUS_LABELS, Column, Tab
from suivi.settings import Config
from suivi.sheet.clean import clean_project
from suivi.sheet.parse import FORMULA_ERRORS, fold_label

AS_OF = dt.date(2026, 6, 1)
ACTIVITY_COLUMNS = {column.name: column for column in COLUMNS[Tab.ACTIVITIES]}
ERRORS = sorted(FORMULA_ERRORS)
LONG_CELLS = ["x" * 10_000, "عمل ميداني " * 1_000, "😀" * 10_000, "\u200f" + "أ" * 9_999]
TITLES = ["Plan d'action 2026 — خطة العمل", "😀 Suivi", "\u200fمشروع التنمية\u200f", "Version 3"]
FRENCH_MONTHS = ["janv.", "févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept."]
FRENCH_MONTHS += ["oct.", "nov.", "déc."]
STATUS_WORDS = ["Non démarrée", "EN COURS", "terminee", "Suspendu", "annulée", "done", "ongoing"]

# Free text without digits or "@": it can be no date, number, percentage or e-mail.
WORDS = st.text(
    st.characters(
        codec="utf-8",
        categories=("L", "M", "P", "S", "Zs"),
        exclude_characters="@",
        include_characters="\u200f\u200e\u202b",
    ),
    min_size=1,
    max_size=25,
).filter(lambda text: bool(text.strip()) and text not in FORMULA_ERRORS)
ANY_TEXT = st.text(min_size=1, max_size=40).filter(
    lambda text: bool(text.strip()) and text not in FORMULA_ERRORS
)
PLAUSIBLE_DATES = st.dates(dt.date(1950, 1, 1), dt.date(2150, 12, 31))
BLANKS = st.sampled_from([None, "", "   ", "\u00a0"])


def date_texts(day: dt.date) -> st.SearchStrategy[str]:
    """The ways the team writes a day."""
    return st.sampled_from(
        [
            f"{day.day:02d}/{day.month:02d}/{day.year}",
            f"{day.day}/{day.month}/{day.year}",
            day.isoformat(),
            f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}",
        ]
    )


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.one_of(
        ANY_TEXT, st.sampled_from(LONG_CELLS), st.integers(-(10**9), 10**9), st.booleans()
    ),
    "date": st.one_of(
        PLAUSIBLE_DATES,
        st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2150, 12, 31, 23)),
        st.integers(18_264, 91_675),  # serial numbers
        PLAUSIBLE_DATES.flatmap(date_texts),
    ),
    "number": st.one_of(
        st.floats(-1e12, 1e12, allow_nan=False),
        st.integers(-(10**12), 10**12),
        st.integers(0, 10**7).map(lambda n: f"{n:,}".replace(",", " ") + ",50"),
        st.integers(0, 10**7).map(lambda n: f"{n}.5"),
    ),
    "percent": st.one_of(
        st.integers(0, 100),
        st.floats(0, 100),
        st.integers(0, 100).map(lambda n: f"{n} %"),
        st.integers(0, 99).map(lambda n: f"{n},5%"),
    ),
    "status": st.sampled_from(STATUS_WORDS),
    "email": st.from_regex(r"[a-z][a-z.]{0,10}@example\.org", fullmatch=True),
}
BAD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.sampled_from(ERRORS),
    "date": st.one_of(
        st.sampled_from(ERRORS),
        WORDS,
        st.sampled_from([*LONG_CELLS, "31/12/9999", "32/13/2026", "fin novembre", True]),
        st.integers(0, 18_263),
        st.integers(91_676, 10**7),
        st.dates(dt.date(1, 1, 1), dt.date(1949, 12, 31)),
        st.dates(dt.date(2151, 1, 1), dt.date(9999, 12, 31)),
        st.just(dt.time(10, 30)),
    ),
    "number": st.one_of(
        st.sampled_from(ERRORS),
        WORDS,
        st.sampled_from([*LONG_CELLS, "douze mille", "12,5,3", False]),
        PLAUSIBLE_DATES,
    ),
    "percent": st.one_of(
        st.sampled_from(ERRORS),
        WORDS,
        st.sampled_from([*LONG_CELLS, "%", "150 %", True]),
        st.integers(101, 10**6),
        st.integers(-(10**6), -1),
    ),
    "status": st.one_of(
        st.sampled_from(ERRORS),
        WORDS.filter(lambda text: fold_label(text) not in STATUS_LABELS),
        st.integers(),
        PLAUSIBLE_DATES,
    ),
    "email": st.one_of(
        st.sampled_from(ERRORS), WORDS, st.sampled_from(["h.idrissi@", "a@b", "@example.org"])
    ),
}


def kind_of(column: Column) -> str:
    """Which strategies fill a column's cells."""
    return "text" if column.kind not in GOOD else column.kind


def header_variants(column: Column) -> st.SearchStrategy[str]:
    """How the team may write a header: French, English alias, upper case, no accents, marks."""
    return st.sampled_from(
        [
            column.fr,
            column.en,
            column.fr.upper(),
            fold_label(column.fr),
            f" {column.fr} (%) ",
            f"\u200f{column.fr}",
        ]
    )


@dataclass
class Sheet:
    """A generated tab and what the oracle knows of it."""

    rows: list[list[Any]]
    header_row: int  # 1-based
    letters: dict[str, str]  # canonical column → letter of its first occurrence
    expected_problems: Counter[str] = field(default_factory=Counter)  # A1 cells
    expected_rows: set[int] = field(default_factory=set)  # sheet rows that must be processed
    header_problems: set[str] = field(default_factory=set)  # cells in the header row


@st.composite
def activity_sheets(draw: st.DrawFn, max_rows: int = 60) -> Sheet:
    """An `Activités` tab with a header, titles, extra and repeated columns and messy cells."""
    others = [name for name in ACTIVITY_COLUMNS if name != "id"]
    chosen = draw(st.lists(st.sampled_from(others), min_size=1, max_size=len(others), unique=True))
    order = draw(st.permutations(["id", *chosen]))
    header: list[Any] = [draw(header_variants(ACTIVITY_COLUMNS[name])) for name in order]
    kinds = [kind_of(ACTIVITY_COLUMNS[name]) for name in order]
    duplicated = draw(st.sampled_from([None, *order]))
    if duplicated is not None:  # a second column with the same header: ignored, said so
        header.append(ACTIVITY_COLUMNS[duplicated].fr)
        kinds.append(kind_of(ACTIVITY_COLUMNS[duplicated]))
    for extra in draw(st.lists(st.sampled_from(["Notes", "ملاحظات", "😀", None]), max_size=2)):
        header.append(extra)
        kinds.append("text")
    titles = [[title] for title in draw(st.lists(st.sampled_from(TITLES), max_size=2))]
    titles += [[]] * draw(st.integers(0, 1))  # a blank line under the title
    header_row = len(titles) + 1
    letters = {name: get_column_letter(index + 1) for index, name in enumerate(order)}
    sheet = Sheet([*titles, header], header_row, letters)
    if duplicated is not None:
        sheet.header_problems.add(f"{get_column_letter(len(order) + 1)}{header_row}")

    used_ids: list[str] = []
    for offset in range(draw(st.integers(0, max_rows))):
        number = header_row + 1 + offset
        states = [draw(st.sampled_from(["blank", "good", "good", "bad"])) for _ in kinds]
        if draw(st.integers(0, 9)) == 0:
            states = ["blank"] * len(kinds)  # a blank line in the middle of the data
        row: list[Any] = []
        for position, (kind, state) in enumerate(zip(kinds, states, strict=True)):
            if position == order.index("id") and state == "good":
                row.append(draw(identifiers(used_ids, number)))
            elif state == "good":
                row.append(draw(GOOD[kind]))
            elif state == "bad":
                row.append(draw(BAD[kind]))
            else:
                row.append(draw(BLANKS))
        while row and row[-1] is None and draw(st.booleans()):  # Google drops trailing blanks
            row.pop()
        sheet.rows.append(row)
        expect(sheet, order, states[: len(order)], row, number, used_ids)
    return sheet


def identifiers(used: list[str], number: int) -> st.SearchStrategy[str]:
    """A new ID, sometimes with spaces around, sometimes one already used (a duplicate)."""
    new = st.sampled_from([f"A{number}", f"  A{number} ", f"نشاط-{number}", f"😀{number}"])
    return st.one_of(new, st.sampled_from(used)) if used else new


def expect(
    sheet: Sheet, order: list[str], states: list[str], row: list[Any], number: int, used: list[str]
) -> None:
    """What cleaning must report for this row, and whether it must be kept."""
    if all(state == "blank" for state in states):
        return  # a blank row: skipped without a word
    for name, state in zip(order, states, strict=True):
        cell = f"{sheet.letters[name]}{number}"
        if state == "bad" or (state == "blank" and ACTIVITY_COLUMNS[name].required):
            sheet.expected_problems[cell] += 1
    position = order.index("id")
    if states[position] != "good":
        return
    identifier = str(row[position]).strip()
    if identifier in used:
        sheet.expected_problems[f"{sheet.letters['id']}{number}"] += 1  # repeated ID
        return
    used.append(identifier)
    sheet.expected_rows.add(number)


CONFIG = Config.model_validate(
    {
        "officer": {"email": "officer@example.org"},
        "projects": [{"code": "BAD", "name": "Données sales", "source": "bad.xlsx"}],
    }
)


def check_sheet(sheet: Sheet, other_tabs: dict[str, list[list[Any]]]) -> None:
    """Clean, flag and measure the sheet; compare the problems and rows with the oracle."""
    tabs = {"Activités": sheet.rows, **other_tabs}
    assessment = assess_project(CONFIG.projects[0], CONFIG, tabs, AS_OF)
    problems = [problem for problem in assessment.problems if problem.tab == "Activités"]

    in_data = Counter(
        problem.cell
        for problem in problems
        if problem.cell and ":" not in problem.cell and problem.cell not in sheet.header_problems
    )
    assert in_data == sheet.expected_problems
    assert sheet.header_problems <= {problem.cell for problem in problems}
    assert all(len(problem.value) <= 120 for problem in problems)  # long cells are quoted short
    activities = assessment.tables.activities
    assert set(activities["row"]) == sheet.expected_rows
    tracked = assessment.tracking[assessment.tracking["kind"] == "activity"]
    assert sorted(tracked["id"]) == sorted(activities["id"])
    assert activities["progress"].dropna().between(0, 1).all()
    assert set(activities["status"].dropna()) <= set(STATUS_LABELS.values())


OTHER_TABS = st.fixed_dictionaries(
    {},
    optional={
        "Mesures": st.just([]),  # an empty tab
        "Comités": st.just([["Réunions à venir — الاجتماعات"]]),  # a title, no header
        "Feuille 3": st.just([["#REF!", "😀"], [None, 3]]),  # a tab nobody asked for
        "Échéances": st.just([["Livrable", "Date limite"], ["Rapport", "#N/A"]]),
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sheet=activity_sheets(), other_tabs=OTHER_TABS)
def test_random_sheets_never_crash_report_every_bad_cell_and_keep_every_good_row(
    sheet: Sheet, other_tabs: dict[str, list[list[Any]]]
) -> None:
    check_sheet(sheet, other_tabs)


def test_a_sheet_of_formula_errors_in_every_column_reports_each_cell() -> None:
    header = [column.fr for column in COLUMNS[Tab.ACTIVITIES]]
    rows = [header, ["A1", *ERRORS[: len(header) - 1]], [ERRORS[0], "Atelier", "Salma"]]

    tables = clean_project("BAD", {"Activités": rows})

    cells = {problem.cell: problem for problem in tables.problems if problem.tab == "Activités"}
    assert {f"{get_column_letter(i)}2" for i in range(2, len(header) + 1)} <= set(cells)
    assert cells["A3"].blocking and "erreur de formule" in cells["A3"].text("fr")
    assert list(tables.activities["id"]) == ["A1"]  # the row whose ID is #REF! is dropped


EDGE_HEADER = ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "\u200fAvancement"]
EDGE_HEADER += ["Statut", "Budget prévu"]


@pytest.mark.parametrize(
    ("column", "value", "bad"),
    [
        ("\u200fAvancement", "%", True),  # was silently empty
        ("\u200fAvancement", 1e-09, False),  # was read as the text "1e-09" and refused
        ("Début prévu", dt.date(9999, 12, 31), True),  # crashed: beyond nanosecond timestamps
        ("Début prévu", "31/12/9999", True),  # crashed the same way
        ("Début prévu", dt.datetime(1, 1, 1), True),  # was read as 2001-01-01
        ("Budget prévu", 10**400, True),  # crashed: too large for a float
        ("Budget prévu", float("inf"), True),  # was kept, and would poison every sum
        ("Statut", "\u200fEn cours\u200e", False),  # RTL marks around a label
    ],
)
def test_edge_cells_found_by_the_property_test(column: str, value: Any, bad: bool) -> None:
    row: list[Any] = ["A1", "Atelier", "Salma", "01/01/2026", "31/12/2026", 0.5, "En cours", 10]
    row[EDGE_HEADER.index(column)] = value
    letter = get_column_letter(EDGE_HEADER.index(column) + 1)

    tables = clean_project("BAD", {"Activités": [EDGE_HEADER, row]})

    reported = {problem.cell for problem in tables.problems if problem.tab == "Activités"}
    assert reported == ({f"{letter}2"} if bad else set())
    assert list(tables.activities["id"]) == ["A1"]


@pytest.mark.slow
def test_fifty_thousand_rows_with_bad_cells_are_all_accounted_for() -> None:
    count = 50_000
    numbers = np.arange(count)
    ids = pd.Series([f"A{n}" for n in numbers], dtype=object)
    repeated = numbers % 97 == 96  # these repeat the ID of the row before
    ids[repeated] = ids.shift(1)[repeated]
    starts = pd.Series(pd.date_range("2025-01-01", periods=count, freq="min").date, dtype=object)
    starts[numbers % 7 == 3] = "#REF!"
    progress = pd.Series(numbers % 101, dtype=object)
    progress[numbers % 11 == 5] = "beaucoup"
    status = pd.Series(np.where(numbers % 3 == 0, "En cours", "Terminée"), dtype=object)
    status[numbers % 13 == 7] = "🙂 presque"
    comment = pd.Series("", index=numbers, dtype=object)
    comment[numbers % 1_000 == 0] = "ملاحظة " * 1_500  # 10 500 characters of Arabic
    activities = pd.DataFrame(
        {
            "ID": ids,
            "Activité": [f"Atelier n° {n} – أكادير" for n in numbers],
            "Responsable": np.where(numbers % 2 == 0, "Salma", "Karim"),
            "Début prévu": starts,
            "Fin prévue": "31/12/2026",
            "Avancement": progress,
            "Statut": status,
            "Commentaire": comment,
        }
    )
    rows = [list(activities.columns), *activities.astype(object).to_numpy().tolist()]

    assessment = assess_project(CONFIG.projects[0], CONFIG, {"Activités": rows}, AS_OF)

    found = Counter(
        problem.text("fr").replace("\u00a0", " ").split(" (")[0].split(" ;")[0]
        for problem in assessment.problems
        if problem.tab == "Activités"
    )
    assert found == {
        "erreur de formule : la cellule n'a pas de valeur": int((numbers % 7 == 3).sum()),
        "avancement illisible ou hors de 0–100 %": int((numbers % 11 == 5).sum()),
        "statut inconnu": int((numbers % 13 == 7).sum()),
        "identifiant en double": int(repeated.sum()),
    }
    kept = assessment.tables.activities
    assert len(kept) == count - repeated.sum()
    assert len(assessment.tracking) == len(kept)
    assert kept["comment"].str.len().max() == len("ملاحظة " * 1_500) - 1  # stripped, not cut
