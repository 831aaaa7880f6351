"""How `suivi run` finds the Prefect server of a running `suivi serve`, instead of starting one.

`suivi serve` writes the API's address (and its auth string, when the server has one) to a
file readable by its owner only, in its Prefect home, while its server runs; `suivi run`
reads it, checks that the server answers, and points Prefect at it before importing it.
Nothing here imports Prefect: the choice is made before Prefect reads its settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path

SERVE_HOME = Path("data") / "prefect"  # `suivi serve`'s Prefect home, under the working folder
ADDRESS_FILE = "api.json"
HEALTH_SECONDS = 1.0
# A temporary server on a busy machine (or migrating a new database) may need more than
# Prefect's 20 s to answer; the limit only ever matters when it is reached.
TEMPORARY_STARTUP_SECONDS = "120"


@dataclass(frozen=True)
class PrefectApi:
    """Which Prefect API a run uses, and the sentence that says so in the log."""

    url: str | None  # None: Prefect's temporary server, started for this run
    how: str


def address_file(home: Path = SERVE_HOME) -> Path:
    """Where `suivi serve` writes its server's address."""
    return home / ADDRESS_FILE


@contextlib.contextmanager
def announced(api_url: str, home: Path = SERVE_HOME, auth: str | None = None) -> Iterator[Path]:
    """Write the address (owner-only, with the auth string if any) while the block runs."""
    path = address_file(home)
    facts = {
        "api_url": api_url,
        "auth_string": auth or os.environ.get("PREFECT_SERVER_API_AUTH_STRING"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        json.dump(facts, output)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def answers(api_url: str, timeout: float = HEALTH_SECONDS) -> bool:
    """The API's /health answers 200 (it needs no auth string)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def read_address(home: Path = SERVE_HOME) -> dict[str, str | None] | None:
    """The address `suivi serve` wrote, if a readable one is there."""
    try:
        facts = json.loads(address_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or not isinstance(facts.get("api_url"), str):
        return None
    return facts


def choose_api(environ: MutableMapping[str, str], home: Path = SERVE_HOME) -> PrefectApi:
    """PREFECT_API_URL, else a running `suivi serve`'s server, else a temporary one; set in `environ`."""
    if environ.get("PREFECT_API_URL"):
        url = environ["PREFECT_API_URL"]
        return PrefectApi(url, f"Prefect server at {url} (PREFECT_API_URL)")
    facts = read_address(home)
    if facts is not None and answers(str(facts["api_url"])):
        url = str(facts["api_url"])
        environ["PREFECT_API_URL"] = url
        if facts.get("auth_string") and not environ.get("PREFECT_API_AUTH_STRING"):
            environ["PREFECT_API_AUTH_STRING"] = str(facts["auth_string"])
        return PrefectApi(url, f"Prefect server of the running `suivi serve` at {url}")
    environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", TEMPORARY_STARTUP_SECONDS
    )
    environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return PrefectApi(
        None,
        "no Prefect server running (start `suivi serve`, or set PREFECT_API_URL):"
        " starting a temporary one for this run, which takes a few seconds",
    )
