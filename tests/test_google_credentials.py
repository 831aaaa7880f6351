"""Every Google credential people have, through the real google-auth path, on loopback.

One fake token endpoint serves each grant: JWT bearer (service-account key), refresh token
(`suivi auth google`'s file, Application Default Credentials), token exchange (workload
identity), and the installed-app flow's authorization code.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes.service_account import ServiceAccount
from fakes.sheets_api import FakeSheetsApi, OAuthClient

from suivi.adapters.google_sheets import GoogleSheets, open_google_sheet
from suivi.adapters.source import SourceError
from suivi.settings import Env

KEY = "1credentialsTestSheet0123456789abcdefABCDEF"
PERSON = "agent.suivi@example.org"
CLIENT_ID = "123-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-secret"
REFRESH_TOKEN = "1//fake-stored-refresh-token"
WORKLOAD = "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/subject/server-1"
AUDIENCE = (
    "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/oidc"
)


@pytest.fixture
def sheet(sheets_api: FakeSheetsApi) -> FakeSheetsApi:
    """A team sheet with one tab."""
    sheets_api.add_spreadsheet(KEY, "Suivi PROJET", {"Activités": [["ID"], ["A1"]]})
    return sheets_api


def user_file(sheet: FakeSheetsApi, tmp_path: Path, account: str = PERSON) -> Path:
    """What `suivi auth google` writes: a person's refresh token, known to the fake."""
    sheet.register_user(
        PERSON, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
    )
    info = {
        "type": "authorized_user",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "token_uri": sheet.token_url,
        "account": account,
    }
    path = tmp_path / "google-credentials.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def workload_file(sheet: FakeSheetsApi, tmp_path: Path, **extra: Any) -> Path:
    """A workload identity (external_account) file reading its OIDC token from a file."""
    subject = tmp_path / "oidc-token"
    subject.write_text("eyJ.fake-oidc-token.sig", encoding="utf-8")
    sheet.register_workload("eyJ.fake-oidc-token.sig", WORKLOAD)
    info = {
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": sheet.token_url,
        "credential_source": {"file": str(subject)},
        **extra,
    }
    path = tmp_path / "workload-identity.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def grants(sheet: FakeSheetsApi) -> list[str]:
    """The grant types the token endpoint saw, in order."""
    return [call.body["grant_type"][0] for call in sheet.log if call.kind == "token"]


def readers(sheet: FakeSheetsApi) -> set[str | None]:
    """Who the Sheets API calls were made as."""
    return {call.client for call in sheet.log if call.kind == "metadata"}


def test_service_account_key_uses_the_jwt_bearer_grant(
    sheet: FakeSheetsApi, service_account_file: Path, service_account: ServiceAccount
) -> None:
    source = GoogleSheets(KEY, credentials=service_account_file, endpoint=sheet.url)

    assert source.read_tabs()["Activités"] == [["ID"], ["A1"]]
    assert grants(sheet) == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert readers(sheet) == {service_account.email}
    assert source.identity.kind == "service_account"


def test_user_credentials_use_the_refresh_token_at_their_token_uri(
    sheet: FakeSheetsApi, tmp_path: Path
) -> None:
    source = GoogleSheets(KEY, credentials=user_file(sheet, tmp_path), endpoint=sheet.url)

    assert source.read_tabs()["Activités"][1] == ["A1"]
    assert grants(sheet) == ["refresh_token"]
    assert readers(sheet) == {PERSON}


def test_workload_identity_uses_the_token_exchange(sheet: FakeSheetsApi, tmp_path: Path) -> None:
    source = GoogleSheets(KEY, credentials=workload_file(sheet, tmp_path), endpoint=sheet.url)

    assert source.read_tabs()["Activités"][1] == ["A1"]
    assert grants(sheet) == ["urn:ietf:params:oauth:grant-type:token-exchange"]
    exchange = next(call for call in sheet.log if call.kind == "token")
    assert exchange.body["audience"] == [AUDIENCE]
    assert exchange.body["subject_token"] == ["eyJ.fake-oidc-token.sig"]
    assert readers(sheet) == {WORKLOAD}


def test_application_default_credentials_when_nothing_is_set(
    sheet: FakeSheetsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(user_file(sheet, tmp_path)))

    source = open_google_sheet(KEY, Env(google_credentials=None, sheets_endpoint=sheet.url))

    assert source.read_tabs()["Activités"][1] == ["A1"]
    assert grants(sheet) == ["refresh_token"]
    assert source.identity.origin == "Application Default Credentials"
    assert source.identity.kind == "authorized_user"


def test_a_refused_refresh_token_says_to_sign_in_again(
    sheet: FakeSheetsApi, tmp_path: Path
) -> None:
    path = user_file(sheet, tmp_path)
    info = json.loads(path.read_text(encoding="utf-8")) | {"refresh_token": "1//revoked"}
    path.write_text(json.dumps(info), encoding="utf-8")

    with pytest.raises(SourceError, match=r"run `suivi auth google` again") as raised:
        GoogleSheets(KEY, credentials=path, endpoint=sheet.url, retries=0).read_tabs()

    assert "1//revoked" not in str(raised.value)
    assert CLIENT_SECRET not in str(raised.value)


@pytest.mark.parametrize("kind", ["service_account", "authorized_user", "external_account"])
def test_a_403_names_the_identity_to_share_with(
    sheet: FakeSheetsApi, service_account_file: Path, tmp_path: Path, kind: str
) -> None:
    files = {
        "service_account": lambda: service_account_file,
        "authorized_user": lambda: user_file(sheet, tmp_path),
        "external_account": lambda: workload_file(sheet, tmp_path),
    }
    sheet.set_access(KEY, "none")
    source = GoogleSheets(KEY, credentials=files[kind](), endpoint=sheet.url, retries=0)

    with pytest.raises(SourceError) as raised:
        source.read_tabs()

    message = str(raised.value)
    expected = {
        "service_account": "share the spreadsheet with the service account suivi-bot@",
        "authorized_user": f"share the spreadsheet with the Google account {PERSON}",
        "external_account": "service_account_impersonation_url",
    }[kind]
    assert expected in message
    assert "Editor" in message


def test_an_impersonating_workload_names_its_service_account(
    sheet: FakeSheetsApi, tmp_path: Path
) -> None:
    from suivi.adapters.google_auth import load_identity

    url = (
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
        "suivi@projet.iam.gserviceaccount.com:generateAccessToken"
    )
    identity = load_identity(workload_file(sheet, tmp_path, service_account_impersonation_url=url))

    assert identity.email == "suivi@projet.iam.gserviceaccount.com"
    assert "suivi@projet.iam.gserviceaccount.com" in identity.share_hint()


def test_suivi_auth_google_runs_the_installed_app_flow_once(
    sheet: FakeSheetsApi, tmp_path: Path
) -> None:
    """The officer's browser consents; the loopback redirect brings the code; 0600 file."""
    sheet.register_client(OAuthClient(CLIENT_ID, CLIENT_SECRET, PERSON))
    secrets_file = tmp_path / "client_secret.json"
    secrets_file.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "auth_uri": sheet.authorize_url,
                    "token_uri": sheet.token_url,
                    "redirect_uris": ["http://localhost"],
                }
            }
        ),
        encoding="utf-8",
    )
    browser = tmp_path / "browser.py"  # a browser that follows the redirect, as a person would
    browser.write_text(
        "import sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=10).read()\n",
        encoding="utf-8",
    )
    out = tmp_path / "secrets" / "google-credentials.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SUIVI_")},
        "BROWSER": f"{sys.executable} {browser} %s",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # the fake token endpoint is plain http on loopback
        "SUIVI_SHEETS_ENDPOINT": sheet.url,
        "NO_PROXY": "*",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "suivi.cli",
            "auth",
            "google",
            "--client-secrets",
            str(secrets_file),
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    stored = json.loads(out.read_text(encoding="utf-8"))
    assert stored["type"] == "authorized_user"
    assert stored["token_uri"] == sheet.token_url
    assert stored["account"] == PERSON
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Ouvrez ce lien" in result.stdout or "sign in" in result.stdout.lower()
    sheet.reset_log()
    source = GoogleSheets(KEY, credentials=out, endpoint=sheet.url)
    assert source.read_tabs()["Activités"][1] == ["A1"]
    assert grants(sheet) == ["refresh_token"]
