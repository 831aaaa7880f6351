"""`--as-of` takes dates as the sheets write them: day first, or ISO."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from suivi.cli import build_parser, main
from suivi.cli.common import iso_date

DAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    "text", ["07/12/2026", "7/12/2026", "7/12/26", "07.12.2026", "2026-12-07", " 7 déc. 2026 "]
)
def test_day_first_and_iso_dates_are_the_same_day(text: str) -> None:
    assert iso_date(text) == DAY


@pytest.mark.parametrize("text", ["", "12/31/2026", "32/12/2026", "fin novembre", "2026-13-01"])
def test_what_is_not_a_date_is_refused_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="07/12/2026"):
        iso_date(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "daily", "--as-of", "07/12/2026"],
        ["status", "--as-of", "7/12/26"],
        ["preview", "daily", "--as-of", "07/12/2026", "--out", "x"],
        ["report", "committee", "--as-of", "07/12/2026"],
    ],
)
def test_every_command_reads_day_first(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).as_of == DAY


def test_preview_with_a_day_first_date_writes_safe_file_names(
    suivi_env: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = suivi_env / "preview"
    argv = ["preview", "weekly", "--config", str(demo_config), "--as-of", "07/12/2026"]
    assert main([*argv, "--out", str(out)]) == 0

    pages = sorted(path.name for path in out.glob("*.html"))
    assert pages and f"{len(pages)} e-mail(s)" in capsys.readouterr().out
    assert any("-owner_digest-all-" in name for name in pages)
    assert not any(set(name) & set('<>:"/\\|?*') for name in pages)
