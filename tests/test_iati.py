"""IATI import on the two real files: tabs, problems reported (never guessed), flags, workbook, CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from suivi.adapters.iati import IatiError, import_iati, parse_iati, write_workbook
from suivi.adapters.sheets import Workbook
from suivi.cli.reports import (
    add_import_commands,
    add_report_commands,
    command_import,
    command_report,
)
from suivi.compute.flags import FLAG_COLUMNS, track
from suivi.model import Problem
from suivi.sheet.clean import clean_project

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real"
SAMPLE = FIXTURES / "iati_dportal_ebola_sample_100_activities.xml"
EXAMPLE = FIXTURES / "iati_activity_standard_example_annotated_v2.03.xml"
AS_OF = dt.date(2026, 12, 7)

# Flag counts of the 100 real activities at AS_OF (reported in the closing note of issue 6).
SAMPLE_FLAG_COUNTS = {
    "en_retard": 14,
    "a_risque": 0,
    "demarrage_tardif": 1,
    "echeance_proche": 0,
    "sans_mise_a_jour": 23,
    "termine_en_retard": 16,
}


def run_cli(argv: Sequence[str]) -> int:
    """`suivi …` through suivi.cli.main once it knows the command, else through these handlers."""
    from suivi import cli

    if argv[0] in getattr(cli, "COMMANDS", {}):
        return cli.main(list(argv))
    parser = argparse.ArgumentParser(prog="suivi")
    commands = parser.add_subparsers(dest="command", required=True)
    add_report_commands(commands)
    add_import_commands(commands)
    args = parser.parse_args(list(argv))
    return {"report": command_report, "import": command_import}[args.command](args)


def ended_after_planned_end(path: Path) -> set[str]:
    """IDs of the activities whose published actual end is after their planned end (read apart)."""
    late: set[str] = set()
    for activity in ET.parse(path).getroot().iter("iati-activity"):
        dates = {
            element.get("type"): element.get("iso-date")
            for element in activity.findall("activity-date")
        }
        planned = dates.get("3") or dates.get("end-planned")
        actual = dates.get("4") or dates.get("end-actual")
        if planned and actual and dt.date.fromisoformat(actual) > dt.date.fromisoformat(planned):
            late.add((activity.findtext("iati-identifier") or "").strip())
    return late


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, list[list[object]]], list[Problem]]:
    """The 100 real activities, imported once for the module."""
    return import_iati(SAMPLE)


def test_sample_fills_the_contract_tabs(sample: tuple[dict, list[Problem]]) -> None:
    tabs, _ = sample
    assert list(tabs) == ["Activités", "Indicateurs", "Mesures", "Comités", "Échéances"]
    assert len(tabs["Activités"]) - 1 == 100
    assert len(tabs["Indicateurs"]) - 1 == 255
    assert tabs["Activités"][0][:3] == ["ID", "Résultat", "Activité"]
    tables = clean_project("IATI", tabs)
    assert len(tables.activities) == 100  # no row lost
    assert len(tables.indicators) == 255
    assert not [problem for problem in tables.problems if problem.blocking]


def test_activities_ended_late_are_exactly_those_flagged_done_late(
    sample: tuple[dict, list[Problem]],
) -> None:
    tabs, _ = sample
    tables = clean_project("IATI", tabs)
    tracking = track(tables.activities, tables.deliverables, AS_OF)
    flagged = set(tracking.loc[tracking["termine_en_retard"], "id"])
    expected = ended_after_planned_end(SAMPLE)
    assert len(expected) == 16
    assert flagged == expected
    counts = {flag: int(tracking[flag].sum()) for flag in FLAG_COLUMNS}
    assert counts == SAMPLE_FLAG_COUNTS


def test_unreadable_values_are_reported_not_guessed(sample: tuple[dict, list[Problem]]) -> None:
    tabs, problems = sample
    values = {problem.value for problem in problems}
    assert {"2015:1584728 (158%)", "Not available", "9999-12-31", "12254,1"} <= values
    unicef = "XM-DAC-41122-Guinea-1770/A0/04/708/007-R1.1"
    indicator = next(row for row in tabs["Indicateurs"][1:] if row[0] == unicef)
    assert (
        indicator[5] is None and indicator[6] is None
    )  # baseline "Not available", target "2015:1004106"
    assert not [
        row for row in tabs["Mesures"][1:] if row[0] == unicef
    ]  # actual "2015:1584728 (158%)"
    reported = [problem for problem in problems if problem.value == "2015:1584728 (158%)"]
    assert reported[0].tab == "Mesures"
    assert unicef in reported[0].message
    baseline = next(problem for problem in problems if problem.value == "Not available")
    assert (baseline.tab, baseline.cell) == ("Indicateurs", "F2")
    # Every written measure is a real number dated by its period's end, never a placeholder year.
    measures = tabs["Mesures"][1:]
    assert all(isinstance(row[2], float) and row[1].year < 9999 for row in measures)  # type: ignore[union-attr]
    # Progress is only written where the status determines it; open activities are reported.
    progress = {row[0]: row[9] for row in tabs["Activités"][1:]}
    statuses = {row[0]: row[10] for row in tabs["Activités"][1:]}
    assert {progress[key] for key, status in statuses.items() if status == "Terminée"} == {1.0}
    open_ids = {key for key, status in statuses.items() if status == "En cours"}
    assert {progress[key] for key in open_ids} == {None}
    progress_cells = {problem.cell for problem in problems if "avancement" in problem.message}
    assert len(progress_cells) >= len(open_ids)


def test_iati_1_0x_activities_are_read_too(sample: tuple[dict, list[Problem]]) -> None:
    tabs, problems = sample
    rows = {row[0]: row for row in tabs["Activités"][1:]}
    nrc = rows["NO-BRC-977538319_X9SM1403"]  # version 1.03: text titles, start-planned/end-planned
    assert nrc[2].startswith("Multi-Sectoral analysis")
    assert (nrc[6], nrc[7]) == (dt.date(2014, 11, 10), dt.date(2015, 5, 10))
    assert nrc[10] == "Terminée"
    assert nrc[13] == "DFID" and nrc[5] == "NRC"
    aiddata = rows["US-501c3-522318905-SG-1120091252354"]  # status written as a name
    assert aiddata[10] == "En cours"
    swiss = [problem for problem in problems if "CH-4-2015002496" in problem.message]
    assert any(problem.value == "Planned End" for problem in swiss)  # a date written in words


def test_the_standard_example_maps_every_field() -> None:
    tabs, problems = import_iati(EXAMPLE, project="EX")
    activity = tabs["Activités"][1]
    assert activity[0] == "AA-AAA-123456789-ABC123"
    assert activity[2] == "Titre de l'activité"  # French preferred over the default English
    assert activity[3] == "Name of Agency C"  # accountable organisation (role 2)
    assert activity[13] == "Name of Agency B"  # funding organisation (role 1)
    assert (activity[6], activity[7], activity[11]) == (
        dt.date(2012, 4, 15),
        dt.date(2015, 12, 31),
        None,
    )
    assert activity[10] == "En cours" and activity[9] is None
    indicator = tabs["Indicateurs"][1]
    assert indicator == [
        "AA-AAA-123456789-ABC123-R1.1",
        "Produit",
        "AA-AAA-123456789-ABC123-R1",
        "Indicator title",
        "nombre",
        10.0,
        10.0,
        dt.date(2013, 3, 31),
        "hausse",
        "saisie",
        "dernière",
        "trimestrielle",
        "Name of Agency C",
    ]
    assert tabs["Mesures"][1] == [
        "AA-AAA-123456789-ABC123-R1.1",
        dt.date(2013, 3, 31),
        11.0,
        "sex: female; age: adult",
        "IATI AA-AAA-123456789-ABC123",
    ]
    assert [problem.cell for problem in problems] == ["J2"]  # progress not published
    assert all(problem.project == "EX" for problem in problems)
    tables = clean_project("EX", tabs)
    tracking = track(tables.activities, tables.deliverables, AS_OF)
    assert not tracking["termine_en_retard"].any()
    assert ended_after_planned_end(EXAMPLE) == set()


def test_doctype_and_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<iati-activities><iati-activity><iati-identifier>&lol2;</iati-identifier>"
        b"</iati-activity></iati-activities>"
    )
    with pytest.raises(IatiError, match="DOCTYPE"):
        parse_iati(laughs)
    external = b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><iati-activities/>'
    with pytest.raises(IatiError, match="DOCTYPE"):
        parse_iati(external)
    with pytest.raises(IatiError, match="well-formed"):
        parse_iati(b"<iati-activities><iati-activity>")
    with pytest.raises(IatiError, match="root element"):
        parse_iati(b"<html><body/></html>")


def test_odd_activity_is_kept_with_its_problems() -> None:
    data = b"""<iati-activities version="2.03">
      <iati-activity xml:lang="en">
        <title><narrative>=HYPERLINK("http://evil")</narrative></title>
        <activity-status code="9"/>
        <activity-date iso-date="2026-02-30" type="1"/>
        <activity-date iso-date="2026-03-01" type="2"/>
        <activity-date iso-date="2027-01-31" type="3"/>
        <activity-date iso-date="2027-02-28" type="3"/>
        <activity-date iso-date="2026-01-01" type="7"/>
      </iati-activity>
    </iati-activities>"""
    tabs, problems = parse_iati(data)
    row = tabs["Activités"][1]
    assert row[0] is None and row[2] == '=HYPERLINK("http://evil")'
    assert row[6] == dt.date(2026, 3, 1)  # actual start stands in for the unreadable planned one
    assert row[7] == dt.date(2027, 1, 31)  # the first planned end; the second one is reported
    assert row[10] is None
    messages = " | ".join(problem.message for problem in problems)
    for expected in ("iati-identifier absent", "début prévu illisible", "publiée deux fois",
                     "type de date inconnu", "statut IATI"):  # fmt: skip
        assert expected in messages
    assert [problem.blocking for problem in problems].count(True) == 1  # only the missing ID


def test_workbook_round_trip_reads_back_the_same_tables(tmp_path: Path) -> None:
    tabs, _ = import_iati(EXAMPLE)
    tabs["Activités"][1][2] = "=1+1"  # a title that looks like a formula stays text
    path = write_workbook(tabs, tmp_path / "iati.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Activités", "Indicateurs", "Mesures", "Comités", "Échéances"]
    sheet = book["Activités"]
    assert sheet["C2"].value == "=1+1" and sheet["C2"].data_type == "s"
    assert sheet["G2"].is_date and sheet["G2"].number_format == "DD/MM/YYYY"
    assert sheet.freeze_panes == "A2"
    direct = clean_project("EX", tabs)
    read_back = clean_project("EX", Workbook(path).read_tabs())
    for name in ("activities", "indicators", "measures"):
        pd.testing.assert_frame_equal(getattr(read_back, name), getattr(direct, name))


def test_import_command_writes_the_workbook_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "iati.xlsx"
    assert run_cli(["import", "iati", str(EXAMPLE), "--out", str(out), "--code", "EX"]) == 0
    printed = capsys.readouterr().out
    assert out.exists()
    assert "J2" in printed and "Activités: 1" in printed and "source:" in printed
    assert Workbook(out).read_tabs()["Mesures"][1][2] == 11


def test_import_command_refuses_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<!DOCTYPE x [<!ENTITY a 'b'>]><iati-activities/>")
    assert run_cli(["import", "iati", str(bad), "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "DOCTYPE" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
    assert (
        run_cli(
            ["import", "iati", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "y.xlsx")]
        )
        == 2
    )
