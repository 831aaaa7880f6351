"""`suivi status` on the demo: a terminal gets the project's language in 100 columns; JSON keeps the contract."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from suivi.cli import main
from suivi.cli.progress import RUN_LOGGER, ProjectProgress, show_progress
from suivi.cli.terminal import render_status

# Codes and raw numbers a person should never read in the terminal view.
RAW = re.compile(
    r"\b(done|in_progress|not_started|behind|on_track|no_data|en_retard|a_risque|todo)\b"
    r"|\b\d+\.0\b|\d\.\d{3,}"
)


def test_status_in_a_terminal_speaks_french_in_100_columns(
    demo_config: Path, suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["status", "--config", str(demo_config), "--as-of", "2026-12-07"]
    assert main(argv) in (0, 1)
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert not RAW.search(shown), RAW.search(shown)
    for words in ("TPM · Activités", "INSER · Indicateurs", "Responsable", "En retard", "Terminée"):
        assert words in shown
    assert "58,5" in shown and "59\u00a0%" in shown  # the locale's decimals, whole percentages

    assert main([*argv, "--format", "json"]) in (0, 1)
    records = json.loads(capsys.readouterr().out)
    assert {"project", "kind", "id", "flags", "days_late", "current", "achievement"} <= set(
        records[0]
    )
    assert any(record["flags"] == ["en_retard"] for record in records)  # §2's names stay


def test_status_in_arabic_and_english() -> None:
    records = [
        {"project": "P", "kind": "activity", "id": "A1", "name": "x" * 80, "owner": "Amina",
         "state": "en_retard", "flags": ["en_retard", "sans_mise_a_jour"], "days_late": 12,
         "projected_finish": "2027-01-31", "current": None, "achievement": None},
        {"project": "P", "kind": "indicator", "id": "I1", "name": "Taux", "owner": None,
         "state": "behind", "flags": [], "days_late": None, "projected_finish": None,
         "current": 1540.0, "achievement": 0.6423},
    ]  # fmt: skip
    arabic = render_status(records, {"P": "ar"}, width=100)
    assert "متأخر" in arabic and "الأنشطة" in arabic and "64" in arabic
    english = render_status(records, {"P": "en"}, width=80)
    assert max(len(line) for line in english.splitlines()) <= 80
    assert "Late" in english and "1,540" in english and "64%" in english
    assert not RAW.search(english)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_lines_are_per_project_and_only_in_a_terminal() -> None:
    logger = logging.getLogger(RUN_LOGGER)
    level = logger.level
    logger.setLevel(logging.INFO)  # as Prefect sets it during a run
    terminal, log_file = Terminal(), io.StringIO()
    show_progress(["TPM", "INSER"], verbose=False, stream=terminal)
    show_progress(["TPM", "INSER"], verbose=False, stream=log_file)  # a log: nothing added
    show_progress(["TPM", "INSER"], verbose=True, stream=Terminal())  # Prefect speaks instead
    try:
        logger.info("%s: read (%.2f s)", "TPM", 0.31)
        logger.info("Created task run 'plan-weekly-emails'")  # Prefect's own: not shown
        logger.error("project %s skipped: %s", "INSER", "SourceError: no such file")
    finally:
        logger.setLevel(level)
        for handler in [h for h in logger.handlers if isinstance(h, ProjectProgress)]:
            logger.removeHandler(handler)
    assert terminal.getvalue().splitlines() == [
        "  TPM: read (0.31 s)",
        "  project INSER skipped: SourceError: no such file",
    ]
    assert log_file.getvalue() == ""


@pytest.mark.usefixtures("prefect_harness")
def test_run_stays_quiet_without_verbose(
    demo_config: Path, suivi_env: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "weekly", "--config", str(demo_config), "--as-of", "2026-12-07", "--dry-run"]
    assert main(argv) == 0
    out, err = capfd.readouterr()
    assert "weekly" in out and "e-mails" in out  # what happened, in a few lines
    assert "| INFO" not in err and "Traceback" not in err and "telemetry" not in err
