"""Secrets from Prefect `Secret` blocks, when the environment does not hold them.

Named `secret_blocks`, not `secrets`: Prefect puts `flows/` on `sys.path` while it loads an
entrypoint, and a `flows/secrets.py` would then shadow the standard library's `secrets`.

- `suivi-smtp-password`: the SMTP password, used when SUIVI_SMTP_USER is set and
  SUIVI_SMTP_PASSWORD is not.
- `suivi-google-credentials`: the service account's JSON key (the whole key, as a JSON
  object or its text), used when SUIVI_GOOGLE_CREDENTIALS is not set and a project reads a
  Google Sheet. It is handed to the Sheets adapter in memory, never written to disk.

Values are never logged; only which block was used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from pydantic import SecretStr

from suivi.adapters.sheets import google_key
from suivi.settings import Config, Env

SMTP_PASSWORD_BLOCK = "suivi-smtp-password"
GOOGLE_CREDENTIALS_BLOCK = "suivi-google-credentials"


@dataclass(frozen=True)
class RunSettings:
    """The environment of this run with its secrets filled in, and the Google key if one came from a block."""

    env: Env
    google_credentials_info: Mapping[str, Any] | None = None


def load_secret(name: str, logger: logging.Logger | logging.LoggerAdapter[Any]) -> Any | None:
    """The raw value of the `Secret` block `name`, or None when there is none (never logged)."""
    from prefect.blocks.system import Secret

    try:
        block = cast(Secret[Any], Secret.load(name))
    except ValueError:  # no block of that name: the environment is the only source
        return None
    except Exception as error:  # the API is unreachable: say so, run without the secret
        logger.warning("Prefect Secret block %s could not be read: %s", name, type(error).__name__)
        return None
    return block.value.get_secret_value()


def needs_smtp_password(env: Env) -> bool:
    """An SMTP login is configured without its password."""
    return bool(env.smtp_host and env.smtp_user and env.smtp_password is None)


def needs_google_key(env: Env, config: Config) -> bool:
    """A project reads a Google Sheet and SUIVI_GOOGLE_CREDENTIALS names no key file."""
    return env.google_credentials is None and any(
        google_key(project.source) is not None for project in config.projects
    )


def google_info(value: Any) -> Mapping[str, Any] | None:
    """A service-account key given as a JSON object or its text; None when it is neither."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def resolve_secrets(
    env: Env, config: Config, logger: logging.Logger | logging.LoggerAdapter[Any]
) -> RunSettings:
    """The environment, completed from Secret blocks where it lacks a secret this run needs."""
    if needs_smtp_password(env):
        password = load_secret(SMTP_PASSWORD_BLOCK, logger)
        if isinstance(password, str) and password:
            env = env.model_copy(update={"smtp_password": SecretStr(password)})
            logger.info("SMTP password taken from the Prefect Secret block %s", SMTP_PASSWORD_BLOCK)
    credentials: Mapping[str, Any] | None = None
    if needs_google_key(env, config):
        value = load_secret(GOOGLE_CREDENTIALS_BLOCK, logger)
        credentials = google_info(value) if value is not None else None
        if credentials is not None:
            logger.info(
                "Google service-account key taken from the Prefect Secret block %s",
                GOOGLE_CREDENTIALS_BLOCK,
            )
        elif value is not None:
            logger.error(
                "the Prefect Secret block %s does not hold a JSON service-account key",
                GOOGLE_CREDENTIALS_BLOCK,
            )
    return RunSettings(env, credentials)
