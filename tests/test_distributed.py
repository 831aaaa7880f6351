"""Many machines, end to end on loopback: a Prefect server on PostgreSQL, a process work pool,
`prefect deploy --all`, a real worker, `daily-watch` triggered through the API, e-mails at an
SMTP sink, and suivi's store on the same PostgreSQL. The steps are those of docs/deployment.md."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fakes.smtp import FakeSmtpServer, free_port
from store_fixtures import (
    POSTGRES_SERVER_URL,
    postgres_connect,
    postgres_unavailable,
    running_in_ci,
)

from suivi.adapters.store import open_store

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 7)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def command(*arguments: str) -> list[str]:
    """The `prefect` CLI of this interpreter."""
    return [sys.executable, "-m", "prefect", *arguments]


def run(arguments: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run a CLI command in the repository; fail the test with its output if it fails."""
    done = subprocess.run(
        arguments, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(arguments[2:])} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the Prefect server (asyncpg URL), dropped afterwards."""
    reason = postgres_unavailable()
    if reason is not None:
        if running_in_ci():
            pytest.fail(f"{reason} (CI=true: the distributed test must run)")
        pytest.skip(reason)
    name = f"suivi_prefect_{uuid.uuid4().hex[:12]}"
    with postgres_connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    server = sa.make_url(POSTGRES_SERVER_URL)
    url = server.set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def prefect_server(prefect_database: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`prefect server start` on a free loopback port over that database; yields its API URL and a client env."""
    port = free_port()
    home = tmp_path / "prefect-home"
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "SUIVI_"))
    }
    base |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    server_env = base | {"PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_database}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        command("server", "start", "--host", "127.0.0.1", "--port", str(port)),
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while not healthy(api_url):
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.25)
        yield api_url, base | {"PREFECT_API_URL": api_url}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def healthy(api_url: str) -> bool:
    """The API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.mark.timeout(240)
def test_a_worker_runs_the_deployed_daily_watch_and_the_emails_arrive(
    prefect_server: tuple[str, dict[str, str]],
    postgres_url: str,
    smtp_server: FakeSmtpServer,
    demo_config: Path,
    tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api_url, client_env = prefect_server
    # The operator's steps (docs/deployment.md): a process pool, then every deployment.
    run(command("work-pool", "create", "suivi", "--type", "process"), client_env)
    deployed = run(command("--no-prompt", "deploy", "--all"), client_env)
    assert "weekly-summary" in deployed and "daily-watch" in deployed

    with temporary_settings({PREFECT_API_URL: api_url}):
        flow_run = run_deployment(
            "daily-watch/daily-watch",
            parameters={"config_path": str(demo_config), "as_of": AS_OF.isoformat()},
            timeout=0,  # trigger only: the worker below runs it
        )
        with get_client(sync_client=True) as client:
            deployments = {d.name: d for d in client.read_deployments()}
    assert deployments["weekly-summary"].work_pool_name == "suivi"
    assert [s.schedule.cron for s in deployments["weekly-summary"].schedules] == ["0 8 * * 1"]

    # A worker machine: the repository at SUIVI_PROJECT_DIR, SMTP and the shared store.
    worker_env = client_env | {
        "SUIVI_PROJECT_DIR": str(ROOT),
        "SUIVI_DATABASE_URL": postgres_url,
        "SUIVI_SMTP_HOST": smtp_server.host,
        "SUIVI_SMTP_PORT": str(smtp_server.port),
        "SUIVI_SMTP_SECURITY": "none",
        "SUIVI_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    run(
        command("worker", "start", "--pool", "suivi", "--run-once", "--limit", "1"),
        worker_env,
        timeout=180,
    )

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        finished = client.read_flow_run(flow_run.id)
    assert finished.state is not None and finished.state.is_completed(), finished.state
    subjects = [str(received.message["Subject"]) for received in smtp_server.messages]
    # COPIL on 14/12 (J-7), a report due 21/12 (J-14), another on 06/01 (J-30).
    assert any("COPIL" in subject for subject in subjects), subjects
    assert any("Rapport narratif intermédiaire 2026" in subject for subject in subjects), subjects
    assert not (tmp_path / "outbox").exists()  # SMTP was used, not the folder
    with open_store(postgres_url) as store:
        sent = store.outbox_items("sent")
        assert len(sent) == len(smtp_server.messages) > 0
        assert store.last_snapshot("TPM") is not None
