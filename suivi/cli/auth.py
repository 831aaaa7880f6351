"""`suivi auth google`: the officer signs in once; suivi keeps a refresh token (0600)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from suivi.cli.common import EXIT_OK
from suivi.i18n.catalogs import gettext
from suivi.settings import Env

DEFAULT_FILE = Path("google-credentials.json")


def command_auth(args: argparse.Namespace) -> int:
    """Run Google's installed-app flow (loopback redirect) and store the result 0600."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    from suivi.adapters.google_auth import SCOPES, write_private_json

    language = args.language
    env = Env()
    out: Path = args.out or env.google_credentials or DEFAULT_FILE
    flow = InstalledAppFlow.from_client_secrets_file(str(args.client_secrets), scopes=list(SCOPES))
    prompt = gettext("Open this link to sign in to Google and allow suivi: {url}", language)
    credentials = flow.run_local_server(
        host="localhost",
        port=0,
        open_browser=not args.no_browser,
        authorization_prompt_message=prompt,
        success_message=gettext("suivi is allowed. You may close this window.", language),
    )
    stored: dict[str, Any] = {
        "type": "authorized_user",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        "token_uri": credentials.token_uri,
        "account": _account_of(credentials, env) or "",
    }
    write_private_json(out, stored)
    print(
        gettext(
            "Saved to {path} (readable by you only). In the environment file: SUIVI_GOOGLE_CREDENTIALS={path}",
            language,
            path=out.resolve(),
        )
    )
    if stored["account"]:
        print(
            gettext(
                "Signed in as {account}: share the team's spreadsheet with this account.",
                language,
                account=stored["account"],
            )
        )
    return EXIT_OK


def _account_of(credentials: Any, env: Env) -> str | None:
    """The signed-in address, from Drive's `about` (None when it cannot be read)."""
    import requests

    from suivi.adapters.google_sheets import _authorized_session

    session = _authorized_session(credentials, credentials.token_uri or "", env.sheets_endpoint)
    try:
        answer = session.get(
            "https://www.googleapis.com/drive/v3/about",
            params={"fields": "user(emailAddress)"},
            timeout=30,
        )
        email = answer.json().get("user", {}).get("emailAddress") if answer.ok else None
    except (requests.RequestException, ValueError):
        return None
    return str(email) if email else None
