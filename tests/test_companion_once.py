"""The note that the tracking tabs went to a companion workbook is told once, not every week.

Real weekly runs under Prefect on a workbook suivi cannot edit safely; the e-mails go to a real
aiosmtpd server on loopback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fakes.smtp import FakeSmtpServer
from test_faults_workbook import AS_OF, settings_for, unsafe_workbook

from suivi.adapters.store import open_store
from suivi.settings import Env

pytestmark = pytest.mark.usefixtures("prefect_harness")
COMPANION = "tpm-suivi.xlsx"
SUMMARY_OF_TPM = "[TPM] Point hebdomadaire"


def weekly_summaries(server: FakeSmtpServer) -> list[str]:
    """The plain text of each weekly summary of TPM the officer received, in order."""
    return [
        received.message.get_body(("plain",)).get_content()
        for received in server.messages
        if "officer@example.org" in received.rcpt_tos
        and str(received.message["Subject"]).startswith(SUMMARY_OF_TPM)
    ]


def test_the_companion_note_is_in_the_first_weekly_summary_only(
    suivi_env: Path,
    demo_config: Path,
    tmp_path: Path,
    smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.weekly import weekly_summary

    monkeypatch.setenv("SUIVI_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("SUIVI_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")
    settings = settings_for(tmp_path, demo_config, unsafe_workbook(tmp_path / "tpm.xlsx"))

    for week in range(3):
        weekly_summary(config_path=str(settings), as_of=AS_OF + dt.timedelta(weeks=week))

    summaries = weekly_summaries(smtp_server)
    assert len(summaries) == 3, [str(m.message["Subject"]) for m in smtp_server.messages]
    assert [COMPANION in text for text in summaries] == [True, False, False]
    with open_store(Env().database_url) as store:
        last = store.last_snapshot("TPM")
    assert last is not None  # still true, still stored: the next comparison holds
    assert [p.value for p in last.problems].count(COMPANION) == 1
