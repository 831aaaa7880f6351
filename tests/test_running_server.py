"""`suivi run` uses the Prefect server a running `suivi serve` announces, else says it starts one."""

from __future__ import annotations

import http.server
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.running_server import address_file, announced, choose_api


class Health(http.server.BaseHTTPRequestHandler):
    """Answers /api/health as a Prefect server does; anything else is 404."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live_api() -> Iterator[str]:
    """A loopback server answering /api/health; yields its API URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_serve_announces_its_server_to_its_owner_only_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass")
    with announced("http://127.0.0.1:4200/api", tmp_path) as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "admin:pass" in path.read_text(encoding="utf-8")
    assert not path.exists()


def test_run_uses_the_announced_server_and_its_auth_string(
    tmp_path: Path, live_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass")
    environ: dict[str, str] = {}
    with announced(live_api, tmp_path):
        api = choose_api(environ, tmp_path)
    assert api.url == live_api and "suivi serve" in api.how
    assert environ == {"PREFECT_API_URL": live_api, "PREFECT_API_AUTH_STRING": "admin:pass"}


def test_a_set_api_url_wins(tmp_path: Path, live_api: str) -> None:
    environ = {"PREFECT_API_URL": "http://10.0.0.5:4200/api"}
    with announced(live_api, tmp_path):
        api = choose_api(environ, tmp_path)
    assert api.url == "http://10.0.0.5:4200/api" and "PREFECT_API_URL" in api.how
    assert environ == {"PREFECT_API_URL": "http://10.0.0.5:4200/api"}


def test_a_stale_announcement_falls_back_to_a_temporary_server(tmp_path: Path) -> None:
    """`suivi serve` was killed: its file remains, nobody answers; the run says what it does."""
    address_file(tmp_path).write_text('{"api_url": "http://127.0.0.1:9/api"}', encoding="utf-8")
    environ: dict[str, str] = {}
    api = choose_api(environ, tmp_path)
    assert api.url is None and "temporary" in api.how
    assert "PREFECT_API_URL" not in environ
    assert environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "120"


def test_no_announcement_means_a_temporary_server(tmp_path: Path) -> None:
    assert choose_api({}, tmp_path / "nowhere").url is None
