"""`suivi run` says where the e-mails went, and what it left undone, in the settings' language."""

from __future__ import annotations

from flows.common import RunIncomplete
from suivi.cli.run import describe_incomplete, describe_report

REFUSED = "[Errno 111] Connection refused"
REPORT = {
    "flow": "weekly-summary",
    "as_of": "2026-12-07",
    "projects": ["TPM"],
    "failed_projects": {"INSER": "SourceError: no such file"},
    "emails_sent": 3,
    "emails_already_sent": 1,
    "emails_failed": [f"k1: {REFUSED}", f"k2: {REFUSED}"],
    "mail_unreachable": None,
    "emails_unknown": ["k3"],
    "emails_pending": ["k1", "k2", "k3"],
    "rejected_addresses": ["h.idrissi@"],
    "written": [],
}


def plain(text: str) -> str:
    """French typography's non-breaking spaces as plain ones."""
    return text.replace("\u00a0", " ")


def test_the_summary_is_in_french() -> None:
    said = plain(describe_report(REPORT, "fr"))
    assert "weekly-summary du 2026-12-07 : projets TPM" in said
    assert "e-mails : 3 envoyés, 1 déjà envoyés auparavant, 2 en échec" in said
    assert f"non envoyé : k1: {REFUSED}" in said
    assert "pas de réponse après l'envoi, non renvoyé : k3" in said
    assert "adresse invalide écartée : h.idrissi@" in said
    assert "sent" not in said.replace("envoy", "")


def test_the_summary_stays_english_where_asked() -> None:
    said = describe_report(REPORT)
    assert said.startswith("weekly-summary for 2026-12-07: projects TPM\ne-mails: 3 sent")


def test_what_a_run_left_undone_is_in_french_and_arabic() -> None:
    error = RunIncomplete("1 project(s) could not be followed: …", REPORT)
    french = plain(describe_incomplete(error, "fr"))
    assert french == (
        "1 projet n'a pas pu être suivi : INSER (SourceError: no such file);"
        " 2 e-mails encore en attente après les nouvelles tentatives, envoyés au prochain"
        f" passage : {REFUSED}; 1 e-mail au sort inconnu (pas de réponse après DATA),"
        " non renvoyé : k3"
    )
    arabic = describe_incomplete(error, "ar")
    assert "مشروع واحد تعذّرت متابعته: INSER" in arabic and "رسالتان" in arabic


def test_the_mail_server_outage_is_the_reason_when_there_is_one() -> None:
    report = {**REPORT, "failed_projects": {}, "emails_unknown": [], "mail_unreachable": "down"}
    error = RunIncomplete("…", report)
    assert describe_incomplete(error, "en") == (
        "3 e-mails still pending after retries, sent by the next run: down"
    )


def test_without_a_report_the_message_is_kept() -> None:
    assert describe_incomplete(RunIncomplete("the run stopped"), "fr") == "the run stopped"
