"""How long tasks wait before a retry: exponential backoff from one base delay.

The base is `SUIVI_RETRY_DELAY_SECONDS` (default 10 s), read when the tasks are imported, so
an operator can lengthen the waits for a slow network and a test can shorten them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_BASE_SECONDS = 10.0


def base_delay(environ: Mapping[str, str] = os.environ) -> float:
    """SUIVI_RETRY_DELAY_SECONDS, else 10 s; a bad or negative value falls back to the default."""
    try:
        value = float(environ.get("SUIVI_RETRY_DELAY_SECONDS", DEFAULT_BASE_SECONDS))
    except ValueError:
        return DEFAULT_BASE_SECONDS
    return value if value >= 0 else DEFAULT_BASE_SECONDS


def backoff(retries: int, base: float) -> list[float]:
    """Waits before each retry, doubling: base, 2·base, 4·base…"""
    return [base * 2**attempt for attempt in range(retries)]


BASE_SECONDS = base_delay()
