"""Shared fixtures: real local servers and databases, one Prefect harness per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Prefect reads its settings at import: keep the tests away from the user's ~/.prefect and offline.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="suivi-prefect-home-"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest
from store_fixtures import postgres_url, sqlite_url, store  # noqa: F401

pytest_plugins = ["fakes.sheets_api", "fakes.smtp"]

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "config" / "suivi.yaml"


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary Prefect API for the whole session (starting one costs ~8 s)."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    results = tmp_path_factory.mktemp("prefect-results")
    with (
        temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: results}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


@pytest.fixture
def suivi_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean SUIVI_* environment: SQLite and outbox in tmp_path, no SMTP, no Google."""
    for name in list(os.environ):
        if name.startswith("SUIVI_") and not name.startswith("SUIVI_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SUIVI_DATABASE_URL", f"sqlite:///{tmp_path / 'suivi.db'}")
    monkeypatch.setenv("SUIVI_OUTBOX_DIR", str(tmp_path / "outbox"))
    return tmp_path


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """The bundled demo settings, with the write-back copies in tmp_path."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace("source: demo/", f"source: {ROOT / 'config' / 'demo'}/")
    text = text.replace("../data/demo/", f"{tmp_path / 'written'}/")
    path = tmp_path / "suivi.yaml"
    path.write_text(text, encoding="utf-8")
    return path
