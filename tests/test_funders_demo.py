"""The demo on its day shows the funders' capabilities: period targets, obligations, escalation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from test_flows import outbox_messages, plain_text

from suivi.cli import main

AS_OF = dt.date(2026, 12, 7)
OFFICER = "officer@example.org"
DIRECTOR = "direction@example.org"


def test_status_json_judges_indicators_on_their_period_and_lists_the_obligations(
    suivi_env: Path, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["status", "--config", str(demo_config), "--as-of", AS_OF.isoformat(), "--format", "json"]
    )
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    tpm = {(r["kind"], r["id"]): r for r in records if r["project"] == "TPM"}
    # R1.2 on 2026-S2: 34 trained of 60, the line at 60 × 160/184 = 52.2 → behind.
    assert tpm[("indicator", "R1.2")]["state"] == "behind"
    # R2.1 on 2026-S2: 1 540 of 1 200 → achieved (the whole-project 64 % is shown as before).
    assert tpm[("indicator", "R2.1")]["state"] == "achieved"
    assert tpm[("indicator", "R2.1")]["achievement"] == pytest.approx(1540 / 2400, abs=1e-4)
    deliverables = {id_ for kind, id_ in tpm if kind == "deliverable"}
    # Engagements: AFD's two semestrial reports and the EU's annual one, 2026 to 2027; the two
    # S1 reports the team recorded in Échéances are theirs, not generated a second time.
    assert {
        "Rapport narratif semestriel 2026-S2", "Rapport narratif semestriel 2027-S1",
        "Rapport narratif semestriel 2027-S2", "Rapport financier semestriel 2026-S2",
        "Rapport financier semestriel 2027-S1", "Rapport financier semestriel 2027-S2",
        "Rapport annuel 2026", "Rapport annuel 2027",
    } <= deliverables  # fmt: skip
    assert "Rapport narratif semestriel 2026-S1" not in deliverables
    assert tpm[("deliverable", "Rapport narratif semestriel")]["state"] == "submitted"
    assert tpm[("deliverable", "Rapport financier semestriel")]["flags"] == ["termine_en_retard"]


@pytest.mark.usefixtures("prefect_harness")
def test_daily_run_escalates_once_to_the_officer_and_to_the_director(
    suivi_env: Path, demo_config: Path
) -> None:
    from flows.daily import daily_watch

    daily_watch(config_path=str(demo_config), as_of=AS_OF)
    escalations = [
        message
        for message in outbox_messages(suivi_env / "outbox")
        if "en retard depuis" in str(message["Subject"])
    ]
    by_recipient = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in escalations}
    assert set(by_recipient) == {OFFICER, DIRECTOR}
    director = by_recipient[DIRECTOR]
    # A2.5, 68 days late (past 60): to the director, the officer in copy, naming what it holds up.
    assert str(director["Subject"]) == (
        "[TPM] Cartographie des services d'accueil (annuaire bilingue) : en retard depuis 68 jours"
    )
    assert OFFICER in str(director["Cc"])
    text = plain_text(director)
    assert "Hicham Idrissi" in text and "R2.1" in text and "Son bailleur" in text and "AFD" in text
    # A3.4, 37 days late (past 30): to the officer alone.
    officer = by_recipient[OFFICER]
    assert "Fonds de garantie" in str(officer["Subject"]) and officer["Cc"] is None
    # Once per item and level: the next run sends no escalation again.
    daily_watch(config_path=str(demo_config), as_of=AS_OF + dt.timedelta(days=1))
    subjects = [str(m["Subject"]) for m in outbox_messages(suivi_env / "outbox")]
    assert sum("en retard depuis" in subject for subject in subjects) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_the_written_back_tab_lists_the_generated_deliverables(
    suivi_env: Path, demo_config: Path
) -> None:
    from flows.daily import daily_watch

    daily_watch(config_path=str(demo_config), as_of=AS_OF)
    book = openpyxl.load_workbook(demo_config.parent / "written" / "tpm-suivi.xlsx")
    ids = [row[0] for row in book["Suivi automatique"].iter_rows(values_only=True)]
    assert "Rapport annuel 2026" in ids and "Rapport financier semestriel 2027-S2" in ids
