"""A run started with `force`: its notice goes in the run's one SMTP connection, in the officer's words.

The flows run under a real Prefect API, the e-mails go to a real aiosmtpd server on loopback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from pathlib import Path

import pytest
from fakes.smtp import FakeSmtpServer

from suivi.adapters.store import open_store
from suivi.notify.forced import STARTED_BY, StartedBy
from suivi.settings import Env

DAY = dt.date(2026, 12, 7)
NAMES = {"deployment": "weekly-summary", "user": "amina", "host": "pc-12"}


def smtp_settings(monkeypatch: pytest.MonkeyPatch, server: FakeSmtpServer) -> None:
    """The run's e-mails go to `server`, in clear (loopback)."""
    monkeypatch.setenv("SUIVI_SMTP_HOST", server.host)
    monkeypatch.setenv("SUIVI_SMTP_PORT", str(server.port))
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")


def forced_notices(server: FakeSmtpServer, since: int = 0) -> list[str]:
    """The plain text of each forced-run notice the server received after message `since`."""
    return [
        received.message.get_body(("plain",)).get_content()
        for received in server.messages[since:]
        if "force" in str(received.message["Subject"]).lower()
    ]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_forced_run_tells_the_officer_on_the_runs_one_connection(
    suivi_env: Path,
    demo_config: Path,
    smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.daily import daily_watch

    smtp_settings(monkeypatch, smtp_server)
    daily_watch(config_path=str(demo_config), as_of=DAY)
    before, connections = len(smtp_server.messages), smtp_server.connections

    report = daily_watch(config_path=str(demo_config), as_of=DAY, force=True)

    again = smtp_server.messages[before:]
    assert smtp_server.connections - connections == 1  # the notice too: one connection per run
    assert {received.connection for received in again} == {connections + 1}
    notices = forced_notices(smtp_server, before)
    assert len(notices) == 1 and len(again) > 1  # the run's e-mails again, and one notice
    assert str(again[-1].message["Subject"]).lower().count("force") == 1  # sent last
    # Who started it, in French; the login and the machine as they are.
    said = StartedBy("script", user=getpass.getuser(), host=socket.gethostname()).said_in("fr")
    assert said.startswith("un script") and said in notices[0].replace("\u2068", "").replace(
        "\u2069", ""
    )
    assert "direct call" not in notices[0] and "a script" not in notices[0]
    assert report["forced"] is True and "suivi run --force" in str(report["forced_by"])


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_the_notice_of_a_forced_run_waits_in_the_outbox_when_the_server_is_down(
    suivi_env: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.common import RunIncomplete
    from flows.daily import daily_watch
    from tasks.attended import attended

    server = FakeSmtpServer()  # its port is chosen, nothing listens yet
    smtp_settings(monkeypatch, server)
    with attended(), pytest.raises(RunIncomplete):  # attended: no minutes of retries
        daily_watch(config_path=str(demo_config), as_of=DAY, force=True)
    with open_store(Env().database_url) as store:
        pending = [item for item in store.outbox_items("pending") if item.kind == "forced_run"]
    assert len(pending) == 1

    server.start()
    try:
        daily_watch(config_path=str(demo_config), as_of=DAY)
    finally:
        server.stop()
    assert len(forced_notices(server)) == 1  # the next run sent it, with the rest
    assert server.connections == 1


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_who_started_a_forced_run_is_said_in_the_officers_language(language: str) -> None:
    for starter in STARTED_BY:
        started_by = StartedBy(starter, **NAMES)
        said = started_by.said_in(language)
        english = started_by.for_the_log()
        assert said != english
        names = {"schedule": ["weekly-summary"], "api": ["weekly-summary"]}.get(
            starter, ["amina", "pc-12"]
        )
        assert all(name in said for name in names)  # names stay as they are
