"""The team's own workbook: written back without damage, bounded reads, missing tabs (§6.2, §6.3)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from suivi.adapters.mail import message_of
from suivi.adapters.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"
AS_OF = dt.date(2026, 12, 7)
OWNED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
STYLES = "xl/styles.xml"
DXFS = re.compile(rb"<dxfs\b[^>]*/>|<dxfs\b.*?</dxfs>", re.S)


def without_dxfs(styles: bytes) -> bytes:
    return DXFS.sub(b"", styles)


def dxf_entries(styles: bytes) -> list[bytes]:
    block = DXFS.search(styles)
    return re.findall(rb"<dxf>.*?</dxf>", block.group(), re.S) if block else []


pytestmark = pytest.mark.usefixtures("prefect_harness")


def team_workbook(path: Path) -> Path:
    """The demo workbook as a team would keep it: a budget tab with formulas, a drop-down,
    conditional colours and a chart, saved by Excel with the formulas' last values."""
    book = openpyxl.load_workbook(DEMO / "tpm.xlsx")
    budget = book.create_sheet("Budget")
    budget.append(["Poste", "Prévu", "Dépensé", "Taux", "Validé"])
    for row, (name, planned, spent) in enumerate(
        [("Ateliers", 12000, 9000), ("Études", 30000, 31000), ("Missions", 8000, 2000)], start=2
    ):
        budget.append([name, planned, spent, f"=C{row}/B{row}", "oui"])
    budget.append(["Total", "=SUM(B2:B4)", "=SUM(C2:C4)", "=C5/B5", None])
    choice = DataValidation(type="list", formula1='"oui,non"', allow_blank=True)
    budget.add_data_validation(choice)
    choice.add("E2:E4")
    budget.conditional_formatting.add(
        "D2:D4",
        CellIsRule(operator="greaterThan", formula=["1"], fill=PatternFill("solid", "FFC7CE")),
    )
    chart = BarChart()
    chart.add_data(Reference(budget, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    budget.add_chart(chart, "G2")
    book.save(path)
    with_cached_values(
        path, "Budget", {"D2": 0.75, "D3": 1.0333, "D4": 0.25, "B5": 50000, "C5": 42000, "D5": 0.84}
    )
    path.chmod(0o664)
    return path


def with_cached_values(path: Path, title: str, values: dict[str, float]) -> None:
    """Give formula cells the value Excel would have stored with them (openpyxl cannot)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet_part = sheet_part_of(parts, title)
    xml = parts[sheet_part].decode("utf-8")
    for cell, value in values.items():
        xml = re.sub(
            rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
            rf"\g<1>\g<2><v>{value}</v>",
            xml,
        )
    parts[sheet_part] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def sheet_part_of(parts: dict[str, bytes], title: str) -> str:
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    rid = re.search(rf'<sheet[^>]*name="{title}"[^>]*r:id="([^"]+)"', workbook)
    assert rid is not None
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    target = re.search(
        rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    assert target is not None
    found = (target.group(1) or target.group(2)).lstrip("/")
    return found if found.startswith("xl/") else f"xl/{found}"


def package_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def unsafe_workbook(path: Path) -> Path:
    """The demo's TPM workbook as a generator writes it: a prefixed namespace suivi will not edit."""
    workbook = team_workbook(path)
    parts = package_parts(workbook)
    parts["xl/workbook.xml"] = (
        parts["xl/workbook.xml"]
        .replace(
            b"<sheets>",
            b"<x:sheets xmlns:x='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>",
        )
        .replace(b"</sheets>", b"</x:sheets>")
    )
    with zipfile.ZipFile(workbook, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return workbook


def settings_for(tmp_path: Path, demo_config: Path, workbook: Path) -> Path:
    """The demo settings with TPM on the team's own workbook, written back into it."""
    text = demo_config.read_text(encoding="utf-8")
    text = text.replace(f"source: {DEMO}/tpm.xlsx", f"source: {workbook}")
    text = re.sub(r"write_back: \S*tpm-suivi.xlsx", "write_back: true", text)
    assert f"source: {workbook}" in text and "write_back: true" in text
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_writing_back_changes_only_the_two_owned_tabs(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.weekly import weekly_summary

    workbook = team_workbook(tmp_path / "tpm.xlsx")
    before = package_parts(workbook)
    settings = settings_for(tmp_path, demo_config, workbook)

    weekly_summary(config_path=str(settings), as_of=AS_OF)  # adds the two tabs
    weekly_summary(config_path=str(settings), as_of=AS_OF + dt.timedelta(days=7))  # replaces them

    after = package_parts(workbook)
    owned = {sheet_part_of(after, "Suivi automatique"), sheet_part_of(after, "Contrôles")}
    assert owned.isdisjoint(before)  # added as new parts
    unchanged = set(before) - OWNED_PARTS - {STYLES}
    assert {name for name in unchanged if after.get(name) != before[name]} == set()
    # The owned tab's colours: dxf entries appended after the team's, nothing else in styles.
    assert without_dxfs(after[STYLES]) == without_dxfs(before[STYLES])
    team_dxfs = dxf_entries(before[STYLES])
    assert team_dxfs and dxf_entries(after[STYLES])[: len(team_dxfs)] == team_dxfs
    assert len(dxf_entries(after[STYLES])) > len(team_dxfs)
    assert set(after) - set(before) == owned
    assert oct(workbook.stat().st_mode & 0o777) == oct(0o664)
    assert workbook.stat().st_uid == os.getuid()

    values = openpyxl.load_workbook(workbook, data_only=True)
    assert [values["Budget"][cell].value for cell in ("D2", "B5", "D5")] == [0.75, 50000, 0.84]
    formulas = openpyxl.load_workbook(workbook)
    assert formulas["Budget"]["B5"].value == "=SUM(B2:B4)"
    assert len(formulas["Budget"].data_validations.dataValidation) == 1
    assert len(list(formulas["Budget"].conditional_formatting)) == 1
    assert any(name.startswith("xl/charts/chart") for name in after)
    tracking = list(values["Suivi automatique"].iter_rows(values_only=True))
    assert tracking[0][0] == "ID" and len(tracking) > 10
    assert formulas.sheetnames[: len(formulas.sheetnames) - 2] == [
        name for name in openpyxl.load_workbook(DEMO / "tpm.xlsx").sheetnames
    ] + ["Budget"]


def test_a_workbook_that_cannot_be_edited_safely_gets_a_companion(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.weekly import weekly_summary

    workbook = unsafe_workbook(tmp_path / "tpm.xlsx")
    original = workbook.read_bytes()
    settings = settings_for(tmp_path, demo_config, workbook)

    weekly_summary(config_path=str(settings), as_of=AS_OF)
    weekly_summary(config_path=str(settings), as_of=AS_OF + dt.timedelta(days=1))

    assert workbook.read_bytes() == original  # the team's file is left alone
    companion = openpyxl.load_workbook(tmp_path / "tpm-suivi.xlsx")
    assert companion.sheetnames == ["Suivi automatique", "Contrôles"]
    told = [
        message_of(path.read_text(encoding="utf-8"))
        for path in sorted((suivi_env / "outbox").glob("*.eml"))
    ]
    mentions = [m for m in told if "tpm-suivi.xlsx" in str(m.get_body(("plain",)).get_content())]
    assert mentions  # the officer is told
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        problems = store.last_snapshot("TPM")
        assert problems is not None
        assert sum(p.value == "tpm-suivi.xlsx" for p in problems.problems) == 1


def test_a_renamed_required_tab_fails_its_project_and_keeps_its_history(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.common import RunIncomplete
    from flows.weekly import weekly_summary

    workbook = tmp_path / "tpm.xlsx"
    shutil.copy(DEMO / "tpm.xlsx", workbook)
    settings = settings_for(tmp_path, demo_config, workbook)
    weekly_summary(config_path=str(settings), as_of=AS_OF)
    book = openpyxl.load_workbook(workbook)
    book["Activités"].title = "Activités 2026"
    book.save(workbook)
    shutil.rmtree(suivi_env / "outbox")

    with pytest.raises(RunIncomplete) as failed:
        weekly_summary(config_path=str(settings), as_of=AS_OF + dt.timedelta(days=7))

    message = str(failed.value)
    assert "« Activités »" in message and "« Activités 2026 »" in message
    assert failed.value.report["projects"] == ["INSER"]  # the other project ran
    subjects = [
        str(message_of(path.read_text(encoding="utf-8"))["Subject"])
        for path in (suivi_env / "outbox").glob("*.eml")
    ]
    assert not [s for s in subjects if s.startswith("[TPM]")]  # no "0 activities" summary
    assert [s for s in subjects if s.startswith("[INSER]")]
    bodies = [
        str(message_of(path.read_text(encoding="utf-8")).get_body(("plain",)).get_content())
        for path in (suivi_env / "outbox").glob("*.eml")
    ]
    assert any("Activités 2026" in body for body in bodies)  # the failure alert names it
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        latest = store.last_snapshot("TPM")
        assert latest is not None and latest.as_of == AS_OF and len(latest.tracking) > 10


def stray_cell_workbook(path: Path) -> Path:
    """A 10 KB workbook whose Activités tab declares A1:XFD1048576 and has a cell there."""
    book = openpyxl.load_workbook(DEMO / "tpm.xlsx")
    book["Activités"]["XFD1048576"] = "x"
    book.save(path)
    parts = package_parts(path)
    part = sheet_part_of(parts, "Activités")
    parts[part] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_a_stray_far_cell_is_a_clear_problem_in_little_memory(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    workbook = stray_cell_workbook(tmp_path / "tpm.xlsx")
    settings = settings_for(tmp_path, demo_config, workbook)
    limit = 2 * 1024**3  # the unbounded read pads 17 billion cells: MemoryError far below this
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, sys; from suivi.cli import main;"
            f" resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}));"
            " sys.exit(main(sys.argv[1:]))",
            "check",
            "--config",
            str(settings),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        cwd=ROOT,
    )
    output = check.stdout + check.stderr
    assert "Traceback" not in output and "MemoryError" not in output
    assert "XFD1048576" in output and "Activités" in output
    assert check.returncode != 0
