"""OAuth2 login to SMTP (SASL XOAUTH2) for Google and Microsoft 365.

The access token comes from the provider's token endpoint: a stored refresh token
(`grant_type=refresh_token`, Google or Microsoft) or, without one, the app's own client
credentials (`grant_type=client_credentials`, Microsoft 365, scope
`https://outlook.office365.com/.default`). yagmail's own OAuth2 module hard-codes Google's
URLs, so the token is fetched here and the login is done on the connection yagmail opened.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

import requests

from suivi.settings import Env

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"


class OAuthRefused(smtplib.SMTPException):
    """The token endpoint refused the client or the refresh token: a settings problem."""


class OAuthUnreachable(OSError):
    """The token endpoint did not answer: may pass, like a mail server that is down."""


@dataclass(frozen=True)
class OAuthLogin:
    """Where and how to get an access token for SMTP (secrets kept in the Env's SecretStr)."""

    token_url: str
    client_id: str
    env: Env

    def form(self) -> dict[str, str]:
        """The token request's form: refresh-token grant when one is stored, else client credentials."""
        form = {"client_id": self.client_id}
        if self.env.smtp_oauth_client_secret is not None:
            form["client_secret"] = self.env.smtp_oauth_client_secret.get_secret_value()
        if self.env.smtp_oauth_refresh_token is not None:
            form |= {
                "grant_type": "refresh_token",
                "refresh_token": self.env.smtp_oauth_refresh_token.get_secret_value(),
            }
            if self.env.smtp_oauth_scope:
                form["scope"] = self.env.smtp_oauth_scope
        else:
            form |= {
                "grant_type": "client_credentials",
                "scope": self.env.smtp_oauth_scope or MICROSOFT_SCOPE,
            }
        return form


def oauth_settings_problem(env: Env) -> str | None:
    """What is missing for SUIVI_SMTP_AUTH=xoauth2, or None."""
    if env.smtp_auth != "xoauth2":
        return None
    missing = [
        name
        for name, value in (
            ("SUIVI_SMTP_USER", env.smtp_user),
            ("SUIVI_SMTP_OAUTH_CLIENT_ID", env.smtp_oauth_client_id),
        )
        if not value
    ]
    if env.smtp_oauth_refresh_token is None and env.smtp_oauth_client_secret is None:
        missing.append("SUIVI_SMTP_OAUTH_REFRESH_TOKEN or SUIVI_SMTP_OAUTH_CLIENT_SECRET")
    return f"SUIVI_SMTP_AUTH=xoauth2 needs {', '.join(missing)}" if missing else None


def oauth_login_of(env: Env) -> OAuthLogin | None:
    """The OAuth login the environment asks for, or None for a password login."""
    if env.smtp_auth != "xoauth2" or oauth_settings_problem(env):
        return None
    return OAuthLogin(
        env.smtp_oauth_token_url or GOOGLE_TOKEN_URL, env.smtp_oauth_client_id or "", env
    )


def fetch_access_token(login: OAuthLogin, timeout: float) -> str:
    """One POST to the token endpoint; the error names the endpoint's reason, never a secret."""
    try:
        response = requests.post(login.token_url, data=login.form(), timeout=timeout)
    except requests.RequestException as error:
        raise OAuthUnreachable(
            f"the OAuth token endpoint {login.token_url} did not answer ({type(error).__name__})"
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if response.status_code >= 500:
        raise OAuthUnreachable(
            f"the OAuth token endpoint {login.token_url} failed ({response.status_code})"
        )
    if response.status_code != 200 or not isinstance(token, str):
        reason = answer.get("error", "") if isinstance(answer, dict) else ""
        detail = answer.get("error_description", "") if isinstance(answer, dict) else ""
        raise OAuthRefused(
            f"the OAuth token endpoint {login.token_url} refused ({response.status_code}"
            f" {reason}: {str(detail)[:200]}): check SUIVI_SMTP_OAUTH_CLIENT_ID, the client"
            " secret or refresh token, and the scope"
        )
    return token


def xoauth2_login(smtp: smtplib.SMTP, user: str, token: str) -> None:
    """AUTH XOAUTH2 on an open connection (smtplib does the base64)."""
    smtp.ehlo_or_helo_if_needed()

    def answer(challenge: bytes | None = None) -> str:
        # A second challenge carries the server's error: answer empty to get its final 535.
        return f"user={user}\x01auth=Bearer {token}\x01\x01" if challenge is None else ""

    smtp.auth("XOAUTH2", answer, initial_response_ok=True)
