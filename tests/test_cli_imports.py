"""The `suivi` command answers `--help` and settings errors before the heavy libraries load.

Checked by module, not by time: each case runs in a fresh interpreter, then lists which of
pandas, Prefect, matplotlib, SQLAlchemy and pydantic it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "prefect", "matplotlib", "sqlalchemy", "pydantic")
HELP_COMMANDS = [
    [],
    ["run"],
    ["check"],
    ["status"],
    ["serve"],
    ["preview"],
    ["report"],
    ["report", "committee"],
    ["report", "iptt"],
    ["import"],
    ["import", "iati"],
    ["server"],
    ["server", "stop"],
]
PROBE = """
import json, sys
from suivi.cli import main
watched = set(json.loads(sys.argv.pop(1)))
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & watched)
print(json.dumps({"status": status, "heavy": heavy}))
"""


def imported_by(argv: list[str], cwd: Path, watched: tuple[str, ...] = HEAVY) -> dict[str, object]:
    """Run `suivi ARGV` in a fresh interpreter; its exit status and which `watched` it loaded."""
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watched), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return dict(json.loads(finished.stdout.strip().splitlines()[-1]))


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check can fail: `suivi status` on the demo does load pandas."""
    outcome = imported_by(["status", "--config", str(ROOT / "config" / "suivi.yaml")], tmp_path)
    assert "pandas" in outcome["heavy"]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda argv: " ".join(argv) or "suivi")
def test_help_imports_no_heavy_library(command: list[str], tmp_path: Path) -> None:
    outcome = imported_by([*command, "--help"], tmp_path)
    assert outcome == {"status": 0, "heavy": []}


@pytest.mark.parametrize("command", [["run", "weekly"], ["status"], ["check"]])
def test_settings_error_comes_before_pandas_and_prefect(command: list[str], tmp_path: Path) -> None:
    outcome = imported_by([*command, "--config", str(tmp_path / "missing.yaml")], tmp_path)
    assert outcome["status"] == 2
    assert not {"pandas", "prefect", "matplotlib", "sqlalchemy"} & set(outcome["heavy"])


# What `status` and `check` never need: the e-mail side (Jinja included), the orchestrator,
# openpyxl (calamine reads the workbooks), and for `status` the history store.
NOT_FOR_STATUS = (
    "openpyxl",
    "matplotlib",
    "prefect",
    "sqlalchemy",
    "yagmail",
    "gspread",
    "jinja2",
)
NOT_FOR_CHECK = ("openpyxl", "matplotlib", "prefect", "yagmail")


def loaded_by(argv: list[str], cwd: Path) -> set[str]:
    """The libraries of NOT_FOR_STATUS and HEAVY that `suivi ARGV` imported."""
    outcome = imported_by(argv, cwd, NOT_FOR_STATUS + HEAVY)
    return set(outcome["heavy"])  # type: ignore[call-overload]


def test_status_on_the_demo_imports_only_what_it_shows(tmp_path: Path) -> None:
    demo = str(ROOT / "config" / "suivi.yaml")
    loaded = loaded_by(["status", "--config", demo, "--as-of", "2026-12-07"], tmp_path)
    assert "pandas" in loaded  # the probe sees what was imported
    assert not loaded & set(NOT_FOR_STATUS)


def test_check_on_the_demo_imports_no_writer_mailer_or_orchestrator(tmp_path: Path) -> None:
    loaded = loaded_by(["check", "--config", str(ROOT / "config" / "suivi.yaml")], tmp_path)
    assert "pandas" in loaded
    assert not loaded & set(NOT_FOR_CHECK)
