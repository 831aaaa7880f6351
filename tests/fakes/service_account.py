"""A real service-account key (RSA, generated here) whose token_uri points at a fake server."""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_EMAIL = "suivi-bot@suivi-test.iam.gserviceaccount.com"


@dataclass(frozen=True)
class ServiceAccount:
    """The JSON key Google Cloud hands out, and the public half a token server verifies with."""

    info: dict[str, str]
    public_key_pem: str

    @property
    def email(self) -> str:
        """The address the spreadsheet is shared with."""
        return self.info["client_email"]

    def write(self, path: Path) -> Path:
        """Save the JSON key file, as a user would download it."""
        path.write_text(json.dumps(self.info, indent=2), encoding="utf-8")
        return path


@functools.cache
def _private_key(seed: int = 0) -> rsa.RSAPrivateKey:
    """One 2048-bit key per seed and process: generating one takes a noticeable moment."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_service_account(
    token_uri: str, email: str = DEFAULT_EMAIL, key_seed: int = 0
) -> ServiceAccount:
    """A service-account key in Google's JSON layout; a different `key_seed` gives another key."""
    key = _private_key(key_seed)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    project = email.split("@", 1)[1].split(".", 1)[0]
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": email,
        "client_id": str(10**20 + key_seed),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email}",
        "universe_domain": "googleapis.com",
    }
    return ServiceAccount(info=info, public_key_pem=public_pem)
