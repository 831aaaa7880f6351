"""`suivi check` checks what the run will need; `suivi check --mail` sends one test e-mail.

Real servers on loopback: the fake Sheets/Drive API and token endpoint, aiosmtpd with
password login, STARTTLS and AUTH XOAUTH2.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from fakes.service_account import ServiceAccount
from fakes.sheets_api import FakeSheetsApi, OAuthClient
from fakes.smtp import Certificates, FakeSmtpServer

from suivi.cli import main

KEY = "1readyCheckSheet0123456789abcdefABCDEFGHIJ"
OFFICER = "salma@association.ma"
MAILBOX = "suivi@association.ma"
TEAM_TABS = {
    "Activités": [
        ["ID", "Activité", "Responsable", "Début prévu", "Fin prévue", "Avancement", "Statut"],
        ["A1", "Atelier", "Salma", "01/02/2026", "31/03/2026", 0.45, "En cours"],
    ],
    "Indicateurs": [["Code", "Libellé", "Valeur de référence", "Cible"], ["IO1", "Femmes", 0, 10]],
}


@pytest.fixture
def settings(tmp_path: Path, suivi_env: Path) -> Path:
    path = tmp_path / "suivi.yaml"
    path.write_text(
        f"officer: {{name: Salma, email: {OFFICER}}}\n"
        "projects:\n"
        f"  - {{code: PROJET, name: Projet, source: {KEY}, team: [equipe@association.ma]}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def google(
    sheets_api: FakeSheetsApi, service_account_file: Path, monkeypatch: pytest.MonkeyPatch
) -> FakeSheetsApi:
    sheets_api.add_spreadsheet(KEY, "Suivi PROJET", TEAM_TABS)
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    return sheets_api


def check(settings: Path, *options: str) -> int:
    return main(["check", "--config", str(settings), *options])


# -- suivi check -------------------------------------------------------------------------


def test_an_editable_sheet_a_store_and_no_smtp_is_ready(
    settings: Path, google: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(settings) == 0

    out = capsys.readouterr().out
    assert "pas de serveur SMTP" in out  # said, not blocking: e-mails go to the outbox
    assert google.count("drive.get") == 1
    drive = next(call for call in google.log if call.kind == "drive.get")
    assert drive.query["fields"] == ["capabilities(canEdit)"]


def test_a_sheet_shared_read_only_is_found_before_the_first_write_back(
    settings: Path,
    google: FakeSheetsApi,
    service_account: ServiceAccount,
    capsys: pytest.CaptureFixture[str],
) -> None:
    google.set_access(KEY, "reader")

    assert check(settings) == 1

    out = capsys.readouterr().out
    assert "peut lire le tableur mais pas le modifier" in out
    assert f"service account {service_account.email} (Editor" in out
    assert google.writes == 0


def test_json_lists_the_readiness_problems_too(
    settings: Path, google: FakeSheetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    google.set_access(KEY, "reader")

    assert check(settings, "--format", "json") == 1

    rows = json.loads(capsys.readouterr().out)
    assert any(
        row["message"].startswith("suivi peut lire le tableur") and row["blocking"] for row in rows
    )


def test_a_store_that_cannot_open_blocks(
    settings: Path, google: FakeSheetsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("SUIVI_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'deep' / 'x.db'}")
    (tmp_path / "missing").write_text("a file where a folder should be", encoding="utf-8")

    assert check(settings) == 1

    assert "l'historique est inutilisable" in capsys.readouterr().out


def test_incomplete_mail_settings_block(
    settings: Path, google: FakeSheetsApi, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("SUIVI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUIVI_SMTP_AUTH", "xoauth2")

    assert check(settings) == 1

    out = capsys.readouterr().out
    assert "SUIVI_SMTP_OAUTH_CLIENT_ID" in out and "SUIVI_SMTP_USER" in out


# -- suivi check --mail ------------------------------------------------------------------


def smtp_env(monkeypatch: pytest.MonkeyPatch, server: FakeSmtpServer, **values: str) -> None:
    monkeypatch.setenv("SUIVI_SMTP_HOST", server.host)
    monkeypatch.setenv("SUIVI_SMTP_PORT", str(server.port))
    monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")
    monkeypatch.setenv("SUIVI_SMTP_TIMEOUT", "5")
    for name, value in values.items():
        monkeypatch.setenv(f"SUIVI_{name.upper()}", value)


@pytest.fixture
def mailbox() -> FakeSmtpServer:
    server = FakeSmtpServer(user=MAILBOX, password="mot-de-passe-application").start()
    yield server  # type: ignore[misc]
    server.stop()


def test_a_test_email_goes_to_the_officer_by_default(
    settings: Path, mailbox: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    smtp_env(monkeypatch, mailbox, smtp_user=MAILBOX, smtp_password="mot-de-passe-application")

    assert check(settings, "--mail") == 0

    (received,) = mailbox.messages
    assert received.rcpt_tos == (OFFICER,)
    assert received.mail_from == MAILBOX and received.login == MAILBOX
    assert received.message["Subject"] == "suivi : e-mail de test"
    assert "E-mail de test envoyé" in capsys.readouterr().out


def test_to_chooses_the_address(
    settings: Path, mailbox: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_env(monkeypatch, mailbox, smtp_user=MAILBOX, smtp_password="mot-de-passe-application")

    assert check(settings, "--mail", "--to", "moi@association.ma") == 0

    assert [message.rcpt_tos for message in mailbox.messages] == [("moi@association.ma",)]


def test_a_refused_connection_says_check_host_and_port(
    settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:  # bound but not listening: connections are refused
        taken.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SUIVI_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SUIVI_SMTP_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("SUIVI_SMTP_SECURITY", "none")

        assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "Rien n'a répondu" in err and "SUIVI_SMTP_PORT" in err


def test_starttls_on_a_server_without_it_says_check_the_security(
    settings: Path, mailbox: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    smtp_env(monkeypatch, mailbox, smtp_security="starttls")

    assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "connexion sécurisée a échoué" in err and "SUIVI_SMTP_SECURITY" in err
    assert mailbox.messages == []


def test_an_untrusted_certificate_says_check_the_security(
    settings: Path, certificates: Certificates, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    server = FakeSmtpServer(starttls=certificates.server_context()).start()
    try:
        smtp_env(monkeypatch, server, smtp_security="starttls")  # the test CA is not trusted

        assert check(settings, "--mail") == 1
    finally:
        server.stop()

    assert "connexion sécurisée a échoué" in capsys.readouterr().err


def test_a_535_says_check_the_login_and_app_passwords(
    settings: Path, mailbox: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    smtp_env(monkeypatch, mailbox, smtp_user=MAILBOX, smtp_password="le-mot-de-passe-du-compte")

    assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "535" in err and "mot de passe d'application" in err
    assert "le-mot-de-passe-du-compte" not in err


def test_a_550_sender_says_set_mail_from_to_the_mailbox(
    settings: Path, mailbox: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    mailbox.reject_sender("direction@association.ma", "550 5.7.60 SendAsDenied")
    smtp_env(
        monkeypatch,
        mailbox,
        smtp_user=MAILBOX,
        smtp_password="mot-de-passe-application",
        mail_from="direction@association.ma",
    )

    assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "SendAsDenied" in err and "SUIVI_MAIL_FROM" in err
    assert mailbox.messages == []


# -- XOAUTH2 -----------------------------------------------------------------------------


@pytest.fixture
def oauth_mailbox(sheets_api: FakeSheetsApi) -> FakeSmtpServer:
    """A server that accepts AUTH XOAUTH2 with a token the fake token endpoint issued to the user."""
    server = FakeSmtpServer(
        xoauth2=lambda user, token: sheets_api.token_owner(token) == user
    ).start()
    yield server  # type: ignore[misc]
    server.stop()


def test_google_xoauth2_with_a_stored_refresh_token(
    settings: Path, sheets_api: FakeSheetsApi, oauth_mailbox: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sheets_api.register_user(
        MAILBOX, client_id="cid", client_secret="csecret", refresh_token="1//gmail-refresh"
    )
    smtp_env(
        monkeypatch,
        oauth_mailbox,
        smtp_user=MAILBOX,
        smtp_auth="xoauth2",
        smtp_oauth_token_url=sheets_api.token_url,
        smtp_oauth_client_id="cid",
        smtp_oauth_client_secret="csecret",
        smtp_oauth_refresh_token="1//gmail-refresh",
        smtp_oauth_scope="https://mail.google.com/",
    )

    assert check(settings, "--mail") == 0

    assert [message.login for message in oauth_mailbox.messages] == [MAILBOX]
    (grant,) = [call.body for call in sheets_api.log if call.kind == "token"]
    assert grant["grant_type"] == ["refresh_token"]


def test_microsoft_365_xoauth2_with_client_credentials(
    settings: Path, sheets_api: FakeSheetsApi, oauth_mailbox: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sheets_api.register_client(OAuthClient("app-id", "app-secret", MAILBOX))
    smtp_env(
        monkeypatch,
        oauth_mailbox,
        smtp_user=MAILBOX,
        smtp_auth="xoauth2",
        smtp_oauth_token_url=sheets_api.token_url,
        smtp_oauth_client_id="app-id",
        smtp_oauth_client_secret="app-secret",
    )

    assert check(settings, "--mail") == 0

    assert len(oauth_mailbox.messages) == 1
    (grant,) = [call.body for call in sheets_api.log if call.kind == "token"]
    assert grant["grant_type"] == ["client_credentials"]
    assert grant["scope"] == ["https://outlook.office365.com/.default"]


def test_a_refused_client_secret_says_check_the_oauth_settings(
    settings: Path, sheets_api: FakeSheetsApi, oauth_mailbox: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    sheets_api.register_client(OAuthClient("app-id", "app-secret", MAILBOX))
    smtp_env(
        monkeypatch,
        oauth_mailbox,
        smtp_user=MAILBOX,
        smtp_auth="xoauth2",
        smtp_oauth_token_url=sheets_api.token_url,
        smtp_oauth_client_id="app-id",
        smtp_oauth_client_secret="an-expired-secret",
    )

    assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "AADSTS7000215" in err and "SUIVI_SMTP_OAUTH_CLIENT_ID" in err
    assert "an-expired-secret" not in err
    assert oauth_mailbox.messages == []


def test_a_token_for_someone_else_gets_the_servers_535(
    settings: Path, sheets_api: FakeSheetsApi, oauth_mailbox: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    sheets_api.register_client(OAuthClient("app-id", "app-secret", "autre@association.ma"))
    smtp_env(
        monkeypatch,
        oauth_mailbox,
        smtp_user=MAILBOX,
        smtp_auth="xoauth2",
        smtp_oauth_token_url=sheets_api.token_url,
        smtp_oauth_client_id="app-id",
        smtp_oauth_client_secret="app-secret",
    )

    assert check(settings, "--mail") == 1

    err = capsys.readouterr().err
    assert "535" in err and "SUIVI_SMTP_AUTH=xoauth2" in err


# -- upgrades ----------------------------------------------------------------------------


def test_migrations_are_applied_at_open_and_said_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from alembic.script import ScriptDirectory

    from suivi.adapters.store import alembic_config, open_store

    url = f"sqlite:///{tmp_path / 'suivi.db'}"
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    with caplog.at_level("INFO", logger="suivi.adapters.store"):
        open_store(url).close()
        open_store(url).close()  # already at the latest schema: nothing more is said

    said = [
        record.getMessage() for record in caplog.records if "schema migrated" in record.getMessage()
    ]
    assert len(said) == 1
    assert said[0].endswith(f"schema migrated from (empty) to {head}")


def test_a_missing_indicators_tab_blocks_naming_the_tabs_found(
    settings: Path, sheets_api: FakeSheetsApi, service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    sheets_api.add_spreadsheet(
        KEY, "Suivi PROJET", {"Activités": TEAM_TABS["Activités"], "Indic": [["Code"]]}
    )
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)

    assert check(settings) == 1

    out = capsys.readouterr().out
    assert "Indicateurs" in out and "Activités, Indic" in out
