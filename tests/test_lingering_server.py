"""The Prefect server `suivi run` starts when none runs: reused by the next run, stopped when idle.

Real processes throughout: `suivi run` as a command, the server as `flows.lingering_server`
with Prefect's API app. The idle time is a few seconds here (SUIVI_PREFECT_IDLE_SECONDS); the
test holds the server itself (a lease, as each command does) wherever a slow machine could
otherwise let it stop between two steps, so nothing depends on how fast anything is.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.lingering_server import (
    CLIENTS_LOCK,
    REGISTRY,
    alive,
    read_registry,
    server_environment,
    stop,
    write_registry,
)
from suivi.adapters.private_files import private_folder

ROOT = Path(__file__).resolve().parents[1]
SUIVI = [sys.executable, "-m", "suivi.cli"]
IDLE = "3"
GONE_WITHIN = 240.0  # a safety net against a hung test, not a measure


def command_env(folder: Path) -> dict[str, str]:
    """No Prefect server anywhere: no PREFECT_API_URL, no profile; the store and outbox in `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SUIVI_"))}
    return env | {
        "PREFECT_HOME": str(folder / "client-prefect-home"),
        "SUIVI_DATABASE_URL": f"sqlite:///{folder / 'suivi.db'}",
        "SUIVI_OUTBOX_DIR": str(folder / "outbox"),
        "SUIVI_PREFECT_IDLE_SECONDS": IDLE,
        "PYTHONPATH": str(ROOT),
        "DO_NOT_TRACK": "1",
    }


def suivi_in(folder: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`suivi ARGV` as a new process, from `folder` (its data/ is there)."""
    return subprocess.run(
        [*SUIVI, *argv],
        cwd=folder,
        env=command_env(folder),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_weekly(folder: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """`suivi run weekly` on the demo as a new process, from `folder`."""
    return suivi_in(folder, "run", "weekly", "--config", str(config), "--as-of", "2026-12-07")


def wait_until_gone(pid: int) -> None:
    """Until process `pid` has ended (it is not our child: we cannot wait() for it)."""
    deadline = time.monotonic() + GONE_WITHIN
    while alive(pid):
        assert time.monotonic() < deadline, f"the server {pid} is still running"
        time.sleep(0.2)


class Lease:
    """The test holds the server as a running command does (a shared lock on clients.lock)."""

    def __init__(self, home: Path) -> None:
        private_folder(private_folder(home.parent) / home.name)
        self.handle = (home / CLIENTS_LOCK).open("a", encoding="utf-8")
        fcntl.flock(self.handle, fcntl.LOCK_SH)

    def release(self) -> None:
        self.handle.close()


@pytest.fixture
def run_home(tmp_path: Path) -> Iterator[Path]:
    """data/prefect/run-server/ under tmp_path; whatever server is recorded there is stopped after."""
    home = tmp_path / "data" / "prefect" / "run-server"
    yield home
    facts = read_registry(home) if home.exists() else None
    if facts is not None:
        stop(home)
        wait_until_gone(facts["pid"])


def first_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr.splitlines()[0]


def post(url: str, auth: str | None = None) -> int:
    """The HTTP status of a POST of `{}`."""
    request = urllib.request.Request(
        url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_run_starts_a_server_the_next_run_reuses_and_it_stops_when_idle(
    tmp_path: Path, demo_config: Path, run_home: Path
) -> None:
    lease = Lease(run_home)  # between the two runs the server must not stop, however slow
    first = run_weekly(tmp_path, demo_config)
    facts = read_registry(run_home)
    assert facts is not None, first.stderr
    url, pid = facts["api_url"], facts["pid"]
    assert url.startswith("http://127.0.0.1:") and alive(pid)
    assert stat.S_IMODE((run_home / REGISTRY).stat().st_mode) == 0o600

    second = run_weekly(tmp_path, demo_config)
    started, reused = first_line(first), first_line(second)
    assert url in started and url in reused and started != reused
    assert read_registry(run_home) == facts, "the second run started another server"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) >= 10

    # Its API wants the project's auth string, like `suivi serve`'s.
    auth = (tmp_path / "data" / "prefect" / "api-auth").read_text(encoding="utf-8").strip()
    assert post(f"{url}/flow_runs/filter") == 401
    assert post(f"{url}/flow_runs/filter", auth) == 200

    lease.release()  # nobody holds it now: it stops by itself after IDLE seconds
    wait_until_gone(pid)
    assert read_registry(run_home) is None


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_commands_at_once_start_one_server_and_removing_its_record_stops_it(
    tmp_path: Path, run_home: Path
) -> None:
    code = (
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from flows.lingering_server import provide\n"
        "server = provide(dict(os.environ), 'suivi:secret', home=Path(sys.argv[1]), idle=600)\n"
        "print(json.dumps([server.api_url, server.pid, server.started_here]))\n"
    )
    env = command_env(tmp_path)
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(run_home)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [json.loads(racer.communicate(timeout=500)[0]) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0]
    assert outcomes[0][:2] == outcomes[1][:2], "two servers were started"
    assert sorted(started for _, _, started in outcomes) == [False, True]

    pid = stop(run_home)  # its record removed: it stops at once, idle time or not
    assert pid is not None and pid == outcomes[0][1]
    wait_until_gone(pid)


def suivi_server_stop(folder: Path, config: Path, *more: str) -> subprocess.CompletedProcess[str]:
    """`suivi server stop` as a new process, from `folder`."""
    return suivi_in(folder, "server", "stop", "--config", str(config), *more, timeout=300)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_suivi_server_stop_stops_it_but_not_under_a_running_command(
    tmp_path: Path, demo_config: Path, run_home: Path
) -> None:
    code = (
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from flows.lingering_server import provide\n"
        "server = provide(dict(os.environ), 'suivi:secret', home=Path(sys.argv[1]), idle=600)\n"
        "print(json.dumps([server.api_url, server.pid]))\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", code, str(run_home)],
        cwd=tmp_path,
        env=command_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    url, pid = json.loads(started.stdout)
    assert alive(pid)  # left running by the command that started it, which has ended

    lease = Lease(run_home)  # a command using it, as a `suivi run` in progress would
    refused = suivi_server_stop(tmp_path, demo_config)
    assert refused.returncode == 1 and url in refused.stderr and "--force" in refused.stderr
    assert alive(pid) and read_registry(run_home) is not None
    lease.release()

    stopped = suivi_server_stop(tmp_path, demo_config)
    assert stopped.returncode == 0, stopped.stderr
    said = stopped.stdout.replace("\u00a0", " ")
    assert f"Serveur Prefect à {url} arrêté (pid {pid})" in said  # the demo speaks French
    assert not alive(pid) and read_registry(run_home) is None

    again = suivi_server_stop(tmp_path, demo_config)
    assert again.returncode == 0 and "Aucun serveur Prefect" in again.stdout


def test_suivi_server_stop_with_nothing_to_stop(tmp_path: Path, demo_config: Path) -> None:
    done = suivi_server_stop(tmp_path, demo_config)
    assert done.returncode == 0, done.stderr
    assert "Aucun serveur Prefect laissé en marche par `suivi run`." in done.stdout
    assert not (tmp_path / "data").exists()  # asking created nothing


def test_a_record_of_a_dead_server_is_not_used(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(process.stdout)
    write_registry(tmp_path, {"api_url": "http://127.0.0.1:9/api", "pid": dead})
    assert read_registry(tmp_path) == {"api_url": "http://127.0.0.1:9/api", "pid": dead}
    assert not alive(dead) and alive(os.getpid())
    (tmp_path / REGISTRY).write_text("{not json", encoding="utf-8")
    assert read_registry(tmp_path) is None


def test_the_server_runs_offline_with_its_own_database_and_the_auth_string(tmp_path: Path) -> None:
    environ = {
        "PREFECT_API_URL": "http://elsewhere/api",
        "PREFECT_API_AUTH_STRING": "x:y",
        "SUIVI_SMTP_PASSWORD": "hunter2",
    }
    env = server_environment(environ, tmp_path, "suivi:secret", 42)
    assert "PREFECT_API_URL" not in env and "PREFECT_API_AUTH_STRING" not in env
    assert "SUIVI_SMTP_PASSWORD" not in env
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].endswith(f"{tmp_path}/prefect.db")
    assert env["PREFECT_HOME"] == str(tmp_path)
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == "suivi:secret"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "false"
    assert env["SUIVI_PREFECT_IDLE_SECONDS"] == "42"
