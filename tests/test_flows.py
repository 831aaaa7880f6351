"""The weekly and daily flows, run for real under Prefect on the demo portfolio."""

from __future__ import annotations

import datetime as dt
import shutil
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from suivi.adapters.mail import message_of
from suivi.adapters.store import open_store
from suivi.jobs.committee import attachment_format

AS_OF = dt.date(2026, 12, 7)  # the README's demo day: a Monday

pytestmark = pytest.mark.usefixtures("prefect_harness")


def outbox_messages(folder: Path) -> list[EmailMessage]:
    """Every e-mail written to the outbox folder, parsed."""
    return [message_of(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.eml"))]


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def summary_of(messages: list[EmailMessage], code: str) -> EmailMessage:
    """The weekly summary of one project sent to the officer."""
    return next(
        m
        for m in messages
        if str(m["Subject"]).startswith(f"[{code}]") and "officer@example.org" in str(m["To"])
    )


def test_weekly_run_on_the_demo_writes_summaries_digests_and_the_tracking_tabs(
    suivi_env: Path, demo_config: Path
) -> None:
    from flows.weekly import weekly_summary

    report = weekly_summary(config_path=str(demo_config), as_of=AS_OF)

    assert report["projects"] == ["TPM", "INSER"] and report["failed_projects"] == {}
    messages = outbox_messages(suivi_env / "outbox")
    assert report["emails_sent"] == len(messages) > 2
    tpm = summary_of(messages, "TPM")
    text = plain_text(tpm)
    assert "lundi 7 décembre 2026" in text
    assert "A2.5 — Cartographie des services d'accueil" in text  # late, with its owner
    assert "Hicham Idrissi" in text
    assert "h.idrissi@" in text  # the data problem, with its cell
    html = tpm.get_body(("html",))
    assert html is not None and "<script" not in str(html.get_content())
    digests = [m for m in messages if "salma.benali@example.org" in str(m["To"])]
    assert len(digests) == 1  # one digest per owner, all their items
    written = openpyxl.load_workbook(demo_config.parent / "written" / "tpm-suivi.xlsx")
    tracking = [row for row in written["Suivi automatique"].iter_rows(values_only=True)]
    assert tracking[0][:6] == (
        "ID",
        "Statut calculé",
        "Retard (jours)",
        "Fin projetée",
        "Alertes",
        "Mis à jour le",
    )
    late = {row[0]: row for row in tracking[1:]}["A2.5"]
    assert late[1] == "En retard" and late[2] == 68 and "en_retard" in late[4]
    checks = [row for row in written["Contrôles"].iter_rows(values_only=True)]
    assert ("Activités", "E36", "h.idrissi@") in {row[:3] for row in checks}


def test_a_rerun_sends_nothing_and_a_later_run_reports_what_changed(
    suivi_env: Path, demo_config: Path, tmp_path: Path
) -> None:
    from flows.weekly import weekly_summary

    workbook = tmp_path / "tpm.xlsx"
    shutil.copy(Path(__file__).resolve().parents[1] / "config" / "demo" / "tpm.xlsx", workbook)
    config = demo_config.read_text(encoding="utf-8")
    config = config.replace(
        str(Path(__file__).resolve().parents[1] / "config" / "demo" / "tpm.xlsx"), str(workbook)
    )
    demo_config.write_text(config, encoding="utf-8")

    first = weekly_summary(config_path=str(demo_config), as_of=AS_OF)
    again = weekly_summary(config_path=str(demo_config), as_of=AS_OF)
    assert first["emails_sent"] > 0
    assert again["emails_sent"] == 0 and again["emails_already_sent"] == first["emails_sent"]

    mark_done(workbook, "A1.3", dt.datetime(2026, 12, 10))  # the late activity gets done
    shutil.rmtree(suivi_env / "outbox")
    later = weekly_summary(config_path=str(demo_config), as_of=AS_OF + dt.timedelta(days=7))
    assert later["emails_sent"] > 0
    text = plain_text(summary_of(outbox_messages(suivi_env / "outbox"), "TPM"))
    changes = text.split("Ce qui a changé")[1].split("Retards et risques")[0]
    assert "A1.3" in changes

    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        latest = store.last_snapshot("TPM")
        assert latest is not None and latest.as_of == AS_OF + dt.timedelta(days=7)
        earlier = store.last_snapshot("TPM", before_run=latest.run_id)
        assert earlier is not None and earlier.as_of == AS_OF


def mark_done(workbook: Path, activity: str, when: dt.datetime) -> None:
    """Edit the team's workbook as the team would: status, progress and date of completion."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["Activités"]
    header = [cell.value for cell in sheet[3]]
    for row in sheet.iter_rows(min_row=4):
        if row[0].value == activity:
            row[header.index("Statut")].value = "Terminée"
            row[header.index("Avancement (%)")].value = 1
            row[header.index("Date de réalisation")].value = when
            row[header.index("Dernière mise à jour")].value = when
    book.save(workbook)


def test_dry_run_writes_every_email_and_records_nothing(suivi_env: Path, demo_config: Path) -> None:
    from flows.daily import daily_watch

    report = daily_watch(config_path=str(demo_config), as_of=AS_OF, dry_run=True)
    assert report["emails_sent"] == len(outbox_messages(suivi_env / "outbox")) > 0
    assert not (demo_config.parent / "written").exists()  # nothing written back
    with open_store(f"sqlite:///{suivi_env / 'suivi.db'}") as store:
        assert store.last_snapshot("TPM") is None
        assert store.outbox_items() == []


def test_daily_on_the_demo_day_sends_exactly_the_due_emails_to_the_right_people_once(
    suivi_env: Path, demo_config: Path
) -> None:
    from flows.daily import daily_watch

    report = daily_watch(config_path=str(demo_config), as_of=AS_OF)
    sent = {
        (str(m["To"]).split("<")[-1].rstrip(">"), str(m["Subject"]))
        for m in outbox_messages(suivi_env / "outbox")
    }
    officer = "officer@example.org"
    copil = "[TPM] Rappel : COPIL le 14 déc. 2026 (J-7)"  # the meeting in 7 days
    narrative = (
        "[TPM] Livrable « Rapport narratif intermédiaire 2026 » attendu le 21 déc. 2026 (J-14)"
    )
    financial = (
        "[TPM] Livrable « Rapport financier intermédiaire 2026 » attendu le 6 janv. 2027 (J-30)"
    )
    inser = "[INSER] Livrable « Rapport intermédiaire d'avancement » attendu le 21 déc. 2026 (J-14)"
    assert sent == {
        *{
            (who, copil)
            for who in (
                "copil@example.org",
                "afd.rabat@example.org",
                "conseil.regional@example.org",
                officer,
            )
        },
        ("salma.benali@example.org", narrative),
        (officer, narrative),
        ("youssef.amrani@example.org", financial),
        (officer, financial),
        ("nadia.elfassi@example.org", inser),
        (officer, inser),
        (officer, "[TPM] Retards constatés au 7 déc. 2026"),  # first run: one list to the officer
        (officer, "[INSER] Retards constatés au 7 déc. 2026"),
        (officer, "[TPM] Données à corriger dans le tableau de suivi (7 déc. 2026)"),
        # Escalation: A2.5 is 68 days late (director, officer in copy), A3.4 37 (officer).
        (
            "direction@example.org",
            "[TPM] Cartographie des services d'accueil (annuaire bilingue) : "
            "en retard depuis 68 jours",
        ),
        (
            officer,
            "[TPM] Fonds de garantie des micro-investissements (convention bancaire) : "
            "en retard depuis 37 jours",
        ),
    }
    assert report["emails_sent"] == len(sent) == 15
    copil_mail = next(
        m for m in outbox_messages(suivi_env / "outbox") if str(m["Subject"]) == copil
    )
    assert (
        [part.get_filename() for part in copil_mail.iter_attachments()]
        == [
            f"dossier-seance-TPM-COPIL-2026-12-14.{attachment_format()}"  # PDF, or Word without Chromium
        ]
    )
    again = daily_watch(config_path=str(demo_config), as_of=AS_OF)
    assert again["emails_sent"] == 0
