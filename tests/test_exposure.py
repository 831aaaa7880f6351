"""Where sheet text and personal data go: CSV exports, run artifacts, committee packs, messages.

Each goes through the real path: the `suivi` command on a workbook a team member typed into,
the flows under Prefect, the store's error messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from suivi.adapters.store import mask_url
from suivi.cli import main
from suivi.sheet.export import neutralise_formulas

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"
AS_OF = dt.date(2026, 12, 7)
# What a spreadsheet would evaluate, typed into activity names (rows 4 to 9 of Activités).
FORMULAS = {
    "C4": '=HYPERLINK("http://evil.example/x","clic")',
    "C5": "+1+cmd|' /C calc'!A0",
    "C6": "-2+3",
    "C7": "@SUM(1+1)*cmd|' /C calc'!A0",
    "C8": "\t=1+1",
    "C9": "\r=1+1",
}
LINK = "[clic](javascript:alert(document.cookie))"
IMAGE = "![pixel](http://evil.example/track.png)"
HTML = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def team_workbook(path: Path, cells: dict[str, str]) -> Path:
    """The demo's TPM workbook with text typed into some cells of `Activités`."""
    book = openpyxl.load_workbook(DEMO / "tpm.xlsx")
    for cell, text in cells.items():
        book["Activités"][cell] = text
        book["Activités"][cell].data_type = "s"
    book.save(path)
    return path


def settings_for(tmp_path: Path, workbook: Path) -> Path:
    """Settings of one project reading `workbook`, written beside it."""
    path = tmp_path / "suivi.yaml"
    path.write_text(
        f"""\
officer: {{name: Chargée de projet, email: officer@example.org}}
projects:
  - code: TPM
    name: Territorialisation des politiques migratoires
    source: {workbook}
    start: 2025-03-01
    team: [equipe@example.org]
    write_back: {tmp_path / "written" / "tpm-suivi.xlsx"}
""",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- CSV export


def test_status_as_csv_neutralises_what_a_spreadsheet_would_evaluate(
    suivi_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = team_workbook(suivi_env / "tpm.xlsx", FORMULAS)
    config = settings_for(suivi_env, workbook)

    status = main(
        ["status", "--config", str(config), "--as-of", AS_OF.isoformat(), "--format", "csv"]
    )

    assert status == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    names = {row["name"] for row in rows}
    # Cleaning trims blanks around a cell; what is left is shown as text, after a quote.
    assert {"'" + typed.strip() for typed in FORMULAS.values()} <= names
    assert not any(name[:1] in "=+-@\t\r" for name in names if name)
    numbers = [row["achievement"] for row in rows if row["achievement"]]
    assert numbers and all(not value.startswith("'") for value in numbers)


def test_numbers_are_left_as_they_are_and_text_that_is_a_number_too() -> None:
    frame = pd.DataFrame(
        {"text": ["-12", "+3,5", "-x", "=1", "ok", None], "n": [-1, 2, 3, 4, 5, 6]}
    )
    safe = neutralise_formulas(frame)
    assert safe["text"].fillna("").tolist() == ["-12", "+3,5", "'-x", "'=1", "ok", ""]
    assert safe["n"].tolist() == frame["n"].tolist()
    assert frame["text"].iloc[3] == "=1"  # the input is untouched


# ---------------------------------------------------------------- committee pack


def test_the_committee_pack_is_readable_by_its_owner_only(
    suivi_env: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = suivi_env / "packs"
    previous = os.umask(0o022)  # the usual umask: privacy must not depend on it
    try:
        main(
            [
                "report",
                "committee",
                "--config",
                str(demo_config),
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(out),
            ]
        )
    finally:
        os.umask(previous)
    packs = list(out.glob("*.html"))
    assert packs, capsys.readouterr()
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in packs} == {0o600}


# ---------------------------------------------------------------- database URL


def test_a_password_in_the_database_urls_query_string_is_masked(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "S3cr3t-in-query"
    url = f"postgresql://bob@127.0.0.1:1/suivi?sslmode=disable&password={secret}"
    monkeypatch.setenv("SUIVI_DATABASE_URL", url)

    status = main(["run", "weekly", "--config", str(demo_config), "--dry-run"])

    printed = capsys.readouterr()
    assert status == 2
    assert "password=***" in printed.err and secret not in printed.err + printed.out
    assert mask_url(url) == "postgresql://bob@127.0.0.1:1/suivi?sslmode=disable&password=***"
    assert mask_url("postgresql://bob:pw@db/x?sslpassword=k&a=1") == (
        "postgresql://bob:***@db/x?sslpassword=***&a=1"
    )


# ---------------------------------------------------------------- forced runs


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_forced_run_is_recorded_and_the_officer_is_told(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa
    from fakes.smtp import FakeSmtpServer

    server = FakeSmtpServer().start()
    monkeypatch.setenv("SUIVI_SMTP_HOST", server.host)
    monkeypatch.setenv("SUIVI_SMTP_PORT", str(server.port))
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")
    day = AS_OF.isoformat()
    try:
        assert main(["run", "daily", "--config", str(demo_config), "--as-of", day]) == 0
        first = len(server.messages)
        assert main(["run", "daily", "--config", str(demo_config), "--as-of", day, "--force"]) == 0
        again = server.messages[first:]
    finally:
        server.stop()

    notices = [m for m in again if "force" in str(m.message["Subject"]).lower()]
    assert len(notices) == 1 and list(notices[0].rcpt_tos) == ["officer@example.org"]
    text = notices[0].message.get_body(("plain",)).get_content()
    assert "daily-watch" in text and f": {len(again) - 1}" in text  # how many went out again
    engine = sa.create_engine(os.environ["SUIVI_DATABASE_URL"])
    with engine.connect() as connection:
        summaries = [
            row[0] for row in connection.execute(sa.text("SELECT summary FROM runs ORDER BY id"))
        ]
    engine.dispose()
    assert "forced" not in str(summaries[0]) and '"forced": true' in str(summaries[-1]).lower()


# ---------------------------------------------------------------- run artifacts


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_run_artifacts_show_sheet_text_as_text(suivi_env: Path) -> None:
    from markdown_it import MarkdownIt
    from prefect.artifacts import Artifact

    # A2.5 (row 14) is late: its name and owner reach the dashboard and the flags table.
    hostile = {"C14": f"{LINK} {IMAGE} {HTML}", "D14": "*Hicham* <b>Idrissi</b>"}
    config = settings_for(suivi_env, team_workbook(suivi_env / "tpm.xlsx", hostile))

    assert main(["run", "weekly", "--config", str(config), "--as-of", AS_OF.isoformat()]) == 0

    dashboard = Artifact.get("suivi-dashboard")
    flags = Artifact.get("suivi-flags")
    assert dashboard is not None and flags is not None
    table = flags.data if isinstance(flags.data, str) else str(flags.data)
    cells = [str(value) for row in json.loads(table) for value in row.values()]
    # Rendered as the Prefect UI does (Markdown with HTML allowed): nothing comes alive.
    renderer = MarkdownIt("commonmark", {"html": True})
    for text in [str(dashboard.data), *cells]:
        page = renderer.render(text).lower()
        assert "<a " not in page and "<img" not in page and "<script" not in page, text
        assert "<b>" not in page and "<em>" not in page
    shown = renderer.render(str(dashboard.data))
    assert "[clic](javascript:alert(document.cookie))" in shown  # the text itself, shown
    assert "&lt;script&gt;" in shown


# ---------------------------------------------------------------- telemetry


def descendants(pid: int) -> list[int]:
    """Every process under `pid` still running (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(child) for child in children.read_text().split()]
            except OSError:
                continue
            found += kids
            queue += kids
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_suivi_runs_temporary_prefect_server_sends_no_telemetry(
    suivi_env: Path, demo_config: Path
) -> None:
    import subprocess
    import sys
    import time

    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.pop("DO_NOT_TRACK", None)
    env |= {
        "PREFECT_HOME": str(suivi_env / "prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",  # a new database migrates first
        "PYTHONPATH": str(ROOT),
        "SUIVI_PREFECT_IDLE_SECONDS": "1",  # the server the run leaves running stops soon after
    }
    command = [
        sys.executable,
        "-m",
        "suivi.cli",
        "run",
        "weekly",
        "--dry-run",
        "--config",
        str(demo_config),
    ]
    run = subprocess.Popen(
        command, cwd=suivi_env, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    servers: dict[int, str] = {}
    while run.poll() is None:  # the temporary server lives as long as the run
        for pid in descendants(run.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"prefect.server" in cmdline or b"flows.lingering_server" in cmdline:
                    servers[pid] = (
                        Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
                    )
            except OSError:
                continue
        time.sleep(0.1)
    assert run.returncode == 0
    assert servers, "no temporary Prefect server was seen: the check would prove nothing"
    # Prefect passes its settings on as text: "false" or "False".
    assert all(
        "prefect_server_analytics_enabled=false" in environ.lower().split("\0")
        for environ in servers.values()
    ), [line for environ in servers.values() for line in environ.split("\0") if "ANALYTICS" in line]
