"""Data leaves only to the domains the officer allows (`mail.allowed_domains`, contract §6.5).

Real path: the `suivi` command runs the weekly summary then the daily watch under Prefect on
a workbook where a team member typed outside addresses, e-mailing a real SMTP server
(aiosmtpd on loopback); what arrives, what the written-back `Contrôles` tab says and what
`suivi check` prints are read back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fakes.smtp import FakeSmtpServer

from suivi.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"
MONDAY = dt.date(2026, 12, 7)  # the COPIL of 14/12 is in Comités: its J-7 reminder is due
OWNER = "someone@gmail.com"  # A2.5's owner (late: in a digest), typed with a private address
PARTICIPANT = "ext@attacker.example"  # among the COPIL's participants: would get the pack
TEAM = "consultant@partner.example"  # in the settings' team: would get the summary
OUTSIDE = (OWNER, PARTICIPANT, TEAM)


def workbook_with_outside_addresses(path: Path) -> Path:
    """The demo's TPM workbook where two cells name addresses outside example.org."""
    book = openpyxl.load_workbook(DEMO / "tpm.xlsx")
    book["Activités"]["E14"] = OWNER
    book["Comités"]["E3"] = f"copil@example.org; {PARTICIPANT}"
    book.save(path)
    return path


def settings(tmp_path: Path, allowed: str | None) -> Path:
    """One project's settings, with or without `mail.allowed_domains`."""
    mail = f"mail: {{allowed_domains: [{allowed}]}}\n" if allowed else ""
    path = tmp_path / "suivi.yaml"
    path.write_text(
        f"""\
officer: {{name: Chargée de projet, email: officer@example.org}}
{mail}projects:
  - code: TPM
    name: Territorialisation des politiques migratoires
    source: {workbook_with_outside_addresses(tmp_path / "tpm.xlsx")}
    start: 2025-03-01
    team: [equipe@example.org, "Consultant <{TEAM}>"]
    write_back: {tmp_path / "tpm-suivi.xlsx"}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def sink(suivi_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtpServer]:
    """A real SMTP server on loopback that the runs send to."""
    server = FakeSmtpServer().start()
    for name, value in {
        "SUIVI_SMTP_HOST": server.host,
        "SUIVI_SMTP_PORT": str(server.port),
        "SUIVI_SMTP_SECURITY": "none",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        server.stop()


def recipients_of(server: FakeSmtpServer) -> list[str]:
    return [address.lower() for received in server.messages for address in received.rcpt_tos]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_outside_addresses_receive_nothing_and_the_officer_is_told_once_each(
    suivi_env: Path, sink: FakeSmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings(suivi_env, "example.org")
    day = MONDAY.isoformat()

    assert main(["run", "weekly", "--config", str(config), "--as-of", day]) == 0
    assert main(["run", "daily", "--config", str(config), "--as-of", day]) == 0
    next_day = (MONDAY + dt.timedelta(days=1)).isoformat()
    assert main(["run", "daily", "--config", str(config), "--as-of", next_day]) == 0

    delivered = recipients_of(sink)
    assert "officer@example.org" in delivered and "copil@example.org" in delivered
    assert "equipe@example.org" in delivered  # the team's allowed address still gets the summary
    assert not set(OUTSIDE) & set(delivered)
    assert all(address.endswith("@example.org") for address in delivered)
    # The COPIL's reminder (with its pack) went to the allowed participant only.
    subjects = [str(received.message["Subject"]) for received in sink.messages]
    assert any("COPIL" in subject for subject in subjects)

    # The officer: one notice per dropped address, over the three runs.
    texts = [
        received.message.get_body(("plain",)).get_content()
        for received in sink.messages
        if "officer@example.org" in received.rcpt_tos
    ]
    for address in OUTSIDE:
        told = [text for text in texts if address in text and "example.org)" in text]
        assert len(told) == 1, (address, len(told))

    # Contrôles: one row per address from the sheet, with its cell.
    controls = openpyxl.load_workbook(suivi_env / "tpm-suivi.xlsx")["Contrôles"]
    rows = [
        [str(cell) for cell in row if cell is not None]
        for row in controls.iter_rows(values_only=True)
    ]
    owner_row = next(row for row in rows if OWNER in row)
    assert "E14" in owner_row
    participant_row = next(row for row in rows if PARTICIPANT in row)
    assert "E3" in participant_row

    # `suivi check` lists them too.
    capsys.readouterr()
    main(["check", "--config", str(config), "--format", "json"])
    printed = capsys.readouterr().out
    assert all(address in printed for address in OUTSIDE)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_without_the_key_the_first_run_lists_the_outside_domains_once(
    suivi_env: Path, sink: FakeSmtpServer
) -> None:
    config = settings(suivi_env, None)
    day = MONDAY.isoformat()
    week_after = (MONDAY + dt.timedelta(days=7)).isoformat()

    assert main(["run", "weekly", "--config", str(config), "--as-of", day]) == 0
    assert main(["run", "weekly", "--config", str(config), "--as-of", week_after]) == 0

    delivered = recipients_of(sink)
    assert OWNER in delivered and TEAM in delivered  # nothing is filtered without the key
    listings = [
        received.message.get_body(("plain",)).get_content()
        for received in sink.messages
        if "mail.allowed_domains" in received.message.get_body(("plain",)).get_content()
    ]
    assert len(listings) == 1
    assert all(
        domain in listings[0] for domain in ("gmail.com", "attacker.example", "partner.example")
    )
    assert "example.org\n" not in listings[0]  # the officer's own domain is not listed
