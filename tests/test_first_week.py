"""From an empty folder to the first Monday e-mails, as a new officer goes (issue 13's "done when").

`suivi init`, `suivi sheet create` (fake Sheets and Drive API), the team fills the sheet,
`suivi check`, `suivi check --mail` (aiosmtpd with a password, then with XOAUTH2), and a
weekly run whose e-mails arrive.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from fakes.sheets_api import FakeSheetsApi, OAuthClient
from fakes.smtp import FakeSmtpServer

from suivi.cli import main

OFFICER = "salma@association.ma"
OWNER = "youssef@association.ma"
TEAM = "equipe@association.ma"
MAILBOX = "suivi@association.ma"


def load_env_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `set -a; . suivi.env; set +a` (or systemd's EnvironmentFile) does."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)


def team_types(sheets: FakeSheetsApi, key: str, rows: dict[str, list[list[str]]]) -> None:
    """The team types rows under the headers, as in the browser (USER_ENTERED, French locale)."""
    sheets.accept_token("team-browser", OFFICER)
    data = [{"range": f"'{tab}'!A2", "values": values} for tab, values in rows.items()]
    answer = requests.post(
        f"{sheets.url}/v4/spreadsheets/{key}/values:batchUpdate",
        json={"valueInputOption": "USER_ENTERED", "data": data},
        headers={"Authorization": "Bearer team-browser"},
        timeout=5,
    )
    answer.raise_for_status()


@pytest.mark.usefixtures("prefect_harness")
def test_from_an_empty_folder_to_the_first_monday_emails(
    tmp_path: Path,
    suivi_env: Path,
    sheets_api: FakeSheetsApi,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "suivi-projet"
    monkeypatch.chdir(tmp_path)

    # 1. suivi init, then the officer edits the file.
    assert main(["init", str(folder)]) == 0
    settings = folder / "suivi.yaml"
    text = settings.read_text(encoding="utf-8").replace("officer@example.org", OFFICER)
    settings.write_text(text.replace("equipe@example.org", TEAM), encoding="utf-8")
    load_env_file(folder / "suivi.env", monkeypatch)
    monkeypatch.setenv("SUIVI_GOOGLE_CREDENTIALS", str(service_account_file))
    monkeypatch.setenv("SUIVI_SHEETS_ENDPOINT", sheets_api.url)
    capsys.readouterr()

    # 2. suivi sheet create, and the URL goes into source:.
    assert main(["sheet", "create", "PROJET"]) == 0
    out = capsys.readouterr().out
    url = re.search(r"source: (https://docs.google.com/spreadsheets/d/([\w-]+)/edit)", out)
    assert url, out
    key = url[2]
    text = settings.read_text(encoding="utf-8").replace("source: projet.xlsx", f"source: {url[1]}")
    settings.write_text(text, encoding="utf-8")
    assert sheets_api.spreadsheet(key).shared_with == {OFFICER: "writer", TEAM: "writer"}

    # 3. The team fills its sheet.
    team_types(
        sheets_api,
        key,
        {
            "Activités": [
                ["A1", "R1", "Atelier de lancement", "Youssef", OWNER, "", "01/10/2026",
                 "15/11/2026", "", "30 %", "En cours", "", "30/11/2026"],
                ["A2", "R1", "Formation des animatrices", "Salma", OFFICER, "", "01/11/2026",
                 "31/01/2027", "", "20 %", "En cours", "", "01/12/2026"],
            ],
            "Indicateurs": [
                ["IO1", "Produit", "R1", "Femmes formées", "nombre", "0", "100", "31/12/2026",
                 "hausse", "saisie", "dernière", "trimestrielle", "Salma"],
            ],
            "Mesures": [["IO1", "30/11/2026", "40"]],
        },
    )  # fmt: skip

    # 4. suivi check: the data, the edit rights, the store.
    assert main(["check"]) == 0, capsys.readouterr()
    assert "no data problems" in capsys.readouterr().out

    # 5. suivi check --mail with an app password.
    with_password = FakeSmtpServer(user=MAILBOX, password="abcd efgh ijkl mnop").start()
    try:
        for name, value in {
            "SUIVI_SMTP_HOST": with_password.host,
            "SUIVI_SMTP_PORT": str(with_password.port),
            "SUIVI_SMTP_SECURITY": "none",
            "SUIVI_SMTP_USER": MAILBOX,
            "SUIVI_SMTP_PASSWORD": "abcd efgh ijkl mnop",
        }.items():
            monkeypatch.setenv(name, value)
        assert main(["check", "--mail"]) == 0
        assert [message.rcpt_tos for message in with_password.messages] == [(OFFICER,)]
    finally:
        with_password.stop()

    # 6. The mailbox moves to OAuth2 (Microsoft 365 retires password login): check again.
    sheets_api.register_client(OAuthClient("app-id", "app-secret", MAILBOX))
    with_oauth = FakeSmtpServer(xoauth2=lambda user, token: sheets_api.token_owner(token) == user)
    with_oauth.start()
    try:
        monkeypatch.delenv("SUIVI_SMTP_PASSWORD")
        for name, value in {
            "SUIVI_SMTP_PORT": str(with_oauth.port),
            "SUIVI_SMTP_AUTH": "xoauth2",
            "SUIVI_SMTP_OAUTH_TOKEN_URL": sheets_api.token_url,
            "SUIVI_SMTP_OAUTH_CLIENT_ID": "app-id",
            "SUIVI_SMTP_OAUTH_CLIENT_SECRET": "app-secret",
        }.items():
            monkeypatch.setenv(name, value)
        assert main(["check", "--mail"]) == 0
        assert len(with_oauth.messages) == 1

        # 7. The first Monday.
        assert main(["run", "weekly", "--as-of", "2026-12-07"]) == 0, capsys.readouterr()
        weekly = with_oauth.messages[1:]
    finally:
        with_oauth.stop()

    recipients = {address for message in weekly for address in message.rcpt_tos}
    assert {OFFICER, TEAM, OWNER} <= recipients
    assert all(message.login == MAILBOX for message in weekly)
    digest = next(message for message in weekly if message.rcpt_tos == (OWNER,))
    assert "Atelier de lancement" in digest.message.get_body(("html",)).get_content()
    tracking = sheets_api.values(key, "Suivi automatique")
    assert tracking[0][0] == "ID"
    # Rows below the table may hold only the summary block to its right (first cell empty).
    assert {row[0] for row in tracking[1:] if row} >= {"A1", "A2"}
