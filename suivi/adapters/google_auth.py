"""Google credentials of every kind people have, and who each one is when a sheet says 403.

`SUIVI_GOOGLE_CREDENTIALS` may name a service-account key, OAuth user credentials
(`"type": "authorized_user"`, made by `suivi auth google`), an external-account (workload
identity) file or an impersonated-service-account file; unset, Google's Application Default
Credentials are used. Each refreshes at its own file's token endpoint.
"""

from __future__ import annotations

import json
import os
import re
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
from google.auth import aws, identity_pool, impersonated_credentials, pluggable
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from suivi.adapters.source import SourceError

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
# Drive: reading a file's capabilities (can this identity edit?) and sharing a new sheet.
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.file"
SCOPES = (SHEETS_SCOPE, DRIVE_SCOPE)
KINDS = ("service_account", "authorized_user", "external_account", "impersonated_service_account")
_IMPERSONATED = re.compile(r"serviceAccounts/([^/:]+):generateAccessToken")


@dataclass(frozen=True)
class GoogleIdentity:
    """Loaded credentials, their kind, their token endpoint and who they are to Google."""

    credentials: google.auth.credentials.Credentials
    kind: str  # one of KINDS, or "default" for Application Default Credentials of another kind
    token_uri: str
    email: str | None  # the address to share the sheet with, when it is known
    origin: str  # where they came from, for messages

    def who(self) -> str:
        """The identity in words, for messages."""
        if self.kind == "service_account":
            return f"the service account {self.email}"
        if self.kind == "authorized_user":
            account = self.email or "the Google account that ran `suivi auth google`"
            return f"the Google account {account}" if self.email else account
        if self.kind in ("external_account", "impersonated_service_account") and self.email:
            return f"the service account {self.email} (impersonated by {self.origin})"
        if self.kind == "external_account":
            return f"the workload identity of {self.origin}"
        return f"the identity of {self.origin}"

    def share_hint(self) -> str:
        """What to do when Google answers 403: share with this identity, as Editor."""
        if self.kind == "service_account":
            return f"share the spreadsheet with the service account {self.email} (Editor for write-back)"
        if self.kind == "authorized_user":
            return (
                f"share the spreadsheet with {self.who()} (Editor for write-back), or run"
                " `suivi auth google` again signed in with an account that can edit it"
            )
        if self.email:
            return f"share the spreadsheet with {self.who()} (Editor for write-back)"
        if self.kind == "external_account":
            return (
                f"{self.who()} has no e-mail a sheet can be shared with: set"
                " service_account_impersonation_url in that file to a service account and share"
                " the spreadsheet with it (Editor for write-back)"
            )
        return f"share the spreadsheet with {self.who()} (Editor for write-back)"


def load_identity(source: Mapping[str, Any] | Path | str | None) -> GoogleIdentity:
    """Credentials from a file, its parsed JSON, or (None) Application Default Credentials."""
    if source is None:
        return _default_identity()
    if isinstance(source, Mapping):
        return identity_from_info(dict(source), "the Google credentials")
    path = Path(source)
    origin = f"the Google credentials {path}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{origin} not found: check SUIVI_GOOGLE_CREDENTIALS") from None
    except (OSError, ValueError) as error:
        raise SourceError(
            f"{origin} cannot be read ({type(error).__name__}): check SUIVI_GOOGLE_CREDENTIALS"
        ) from None
    return identity_from_info(info, origin)


def identity_from_info(info: Any, origin: str) -> GoogleIdentity:
    """Credentials of the kind the JSON's `type` names, scoped for Sheets and Drive."""
    kind = info.get("type") if isinstance(info, dict) else None
    if kind not in KINDS:
        shown = kind if isinstance(info, dict) else type(info).__name__
        raise SourceError(
            f"{origin} is not Google credentials suivi knows (type {shown!r}): use a"
            " service-account key, a file made by `suivi auth google`, or a workload identity"
            " (external_account) file"
        )
    try:
        credentials, token_uri, email = _load(kind, info)
    except (ValueError, TypeError, KeyError, google.auth.exceptions.GoogleAuthError) as error:
        hint = "check the service-account key" if kind == "service_account" else "check the file"
        raise SourceError(f"{origin} cannot be used ({error}): {hint}") from None
    return GoogleIdentity(credentials, kind, token_uri, email, origin)


def _load(
    kind: str, info: dict[str, Any]
) -> tuple[google.auth.credentials.Credentials, str, str | None]:
    """The credentials object, its token endpoint and its e-mail for one kind of file."""
    scopes = list(SCOPES)
    if kind == "service_account":
        loaded = service_account.Credentials.from_service_account_info(info, scopes=scopes)
        return loaded, str(info.get("token_uri", "")), loaded.service_account_email
    if kind == "authorized_user":
        user = _honour_token_uri(
            user_credentials.Credentials.from_authorized_user_info(info, scopes=scopes), info
        )
        return user, user.token_uri or "", info.get("account") or None
    if kind == "impersonated_service_account":
        target = impersonated_credentials.Credentials.from_impersonated_service_account_info(
            info, scopes=scopes
        )
        source = info.get("source_credentials", {})
        return target, str(source.get("token_uri", "")), _impersonated_email(info)
    external: google.auth.credentials.Credentials
    source = info.get("credential_source") or {}
    if source.get("environment_id", "").startswith("aws"):
        external = aws.Credentials.from_info(info, scopes=scopes)
    elif "executable" in source:
        external = pluggable.Credentials.from_info(info, scopes=scopes)
    else:
        external = identity_pool.Credentials.from_info(info, scopes=scopes)
    return external, str(info.get("token_url", "")), _impersonated_email(info)


def _honour_token_uri(
    user: user_credentials.Credentials, info: Mapping[str, Any]
) -> user_credentials.Credentials:
    """The file's own token_uri: google-auth 2.62 replaces it with Google's when loading."""
    token_uri = info.get("token_uri")
    return user.with_token_uri(str(token_uri)) if token_uri else user


def _impersonated_email(info: Mapping[str, Any]) -> str | None:
    """The service account an external or impersonated file acts as, if it names one."""
    match = _IMPERSONATED.search(str(info.get("service_account_impersonation_url", "")))
    return match[1] if match else None


def _default_identity() -> GoogleIdentity:
    """Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's, the machine's."""
    try:
        with warnings.catch_warnings():  # google-auth warns about its generic file loader
            warnings.simplefilter("ignore", DeprecationWarning)
            credentials, _ = google.auth.default(scopes=list(SCOPES))
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise SourceError(
            "no Google credentials: set SUIVI_GOOGLE_CREDENTIALS to a service-account key or to"
            " the file `suivi auth google` writes, and share the spreadsheet with that identity"
            f" ({error})"
        ) from None
    origin = "Application Default Credentials"
    token_uri = str(
        getattr(credentials, "_token_uri", None) or getattr(credentials, "_token_url", None) or ""
    )
    if isinstance(credentials, user_credentials.Credentials):
        credentials = _honour_token_uri(credentials, _named_file())
        token_uri = credentials.token_uri or ""
        return GoogleIdentity(
            credentials, "authorized_user", token_uri, credentials.account or None, origin
        )
    email = getattr(credentials, "service_account_email", None)
    if isinstance(credentials, service_account.Credentials):
        return GoogleIdentity(credentials, "service_account", token_uri, email, origin)
    if isinstance(credentials, identity_pool.Credentials | aws.Credentials | pluggable.Credentials):
        return GoogleIdentity(credentials, "external_account", token_uri, email, origin)
    known = email if isinstance(email, str) and "@" in email else None
    return GoogleIdentity(
        credentials, "service_account" if known else "default", token_uri, known, origin
    )


def _named_file() -> dict[str, Any]:
    """The JSON of the file GOOGLE_APPLICATION_CREDENTIALS names ({} when none is readable)."""
    named = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    try:
        info = json.loads(Path(named).read_text(encoding="utf-8")) if named else {}
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON readable by its owner only (0600 from the start, never wider)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # an existing file keeps its mode on open
