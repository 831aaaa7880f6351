"""`suivi serve`: deployments read from prefect.yaml, a supervised local server, a real schedule."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakes.smtp import free_port

from flows.serve import (
    HOST,
    ServeError,
    auth_string,
    find_prefect_file,
    load_deployments,
    local_server,
    port_is_free,
    schedule_of,
    server_environment,
)
from flows.serve_info import next_runs, start_lines

ROOT = Path(__file__).resolve().parents[1]
PREFECT_FILE = ROOT / "prefect.yaml"


# ---------------------------------------------------------------- no server needed


def test_the_served_deployments_are_those_of_prefect_yaml_with_the_given_settings_file(
    tmp_path: Path,
) -> None:
    entries = yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))["deployments"]
    config = str(tmp_path / "suivi.yaml")
    served = load_deployments(PREFECT_FILE, config)

    assert [deployment.name for deployment in served] == [entry["name"] for entry in entries]
    for deployment, entry in zip(served, entries, strict=True):
        assert deployment.flow_name == entry["name"]
        assert deployment.parameters["config_path"] == config  # the --config of `suivi serve`
        assert deployment.tags == entry["tags"] and deployment.description == entry["description"]
        path, _, function = entry["entrypoint"].partition(":")
        module = path.removesuffix(".py").replace("/", ".")
        assert deployment.entrypoint == f"{module}.{function}"  # importable by run processes
        assert deployment.concurrency_limit == entry["concurrency_limit"]
        schedules = [
            (item.schedule.cron, item.schedule.timezone, item.slug) for item in deployment.schedules
        ]
        assert schedules == [(s["cron"], s["timezone"], s["slug"]) for s in entry["schedules"]]


def test_other_schedule_kinds_are_read_too_and_a_schedule_needs_one() -> None:
    interval = schedule_of(
        {"interval": 3600, "anchor_date": "2026-01-05T08:00:00", "timezone": "Africa/Casablanca"}
    )
    assert interval.interval.total_seconds() == 3600 and interval.timezone == "Africa/Casablanca"
    assert schedule_of({"rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8"}).rrule.startswith("FREQ=WEEKLY")
    with pytest.raises(ServeError, match="cron, interval or rrule"):
        schedule_of({"timezone": "Africa/Casablanca"})


def test_the_local_file_wins_over_the_one_next_to_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_prefect_file() == PREFECT_FILE
    (tmp_path / "prefect.yaml").write_text("deployments: []\n", encoding="utf-8")
    assert find_prefect_file() == Path("prefect.yaml")
    assert find_prefect_file("other.yaml") == Path("other.yaml")
    with pytest.raises(ServeError, match="no `deployments:` list"):
        load_deployments(Path("prefect.yaml"), "config/suivi.yaml")


def test_the_local_server_listens_on_loopback_with_its_database_under_data_prefect() -> None:
    home = Path("/srv/suivi/data/prefect")
    env = server_environment(
        {"PREFECT_API_URL": "http://elsewhere/api", "PATH": "/usr/bin"}, home, 4300
    )
    assert "PREFECT_API_URL" not in env and env["PATH"] == "/usr/bin"
    assert (
        env["PREFECT_SERVER_API_HOST"] == "127.0.0.1" and env["PREFECT_SERVER_API_PORT"] == "4300"
    )
    assert env["PREFECT_HOME"] == str(home)
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == f"sqlite+aiosqlite:///{home}/prefect.db"


def test_a_taken_port_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(ServeError, match="PREFECT_API_URL") as error,
            local_server(tmp_path, port),
        ):
            pass
    assert f"port {port}" in str(error.value)
    assert not (tmp_path / "server.log").exists()  # nothing was started


def test_the_auth_string_is_made_once_owner_only_and_the_environment_wins(tmp_path: Path) -> None:
    home = tmp_path / "data" / "prefect"
    previous = os.umask(0o022)
    try:
        made = auth_string(home, environ={})
    finally:
        os.umask(previous)
    assert made.startswith("suivi:") and len(made) > 40
    assert stat.S_IMODE((home / "api-auth").stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert auth_string(home, environ={}) == made  # kept, not remade
    assert auth_string(home, environ={"PREFECT_API_AUTH_STRING": "a:b"}) == "a:b"
    env = server_environment({}, home, 4321, made)
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"] == made


def test_the_start_message_gives_next_runs_in_local_time_the_ui_and_how_to_stop() -> None:
    deployments = yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))["deployments"]
    saturday_noon = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    runs = next_runs(deployments, saturday_noon, "Africa/Casablanca")
    lines = start_lines(runs, "Africa/Casablanca", "http://127.0.0.1:4200", Path("api-auth"), "en")
    text = "\n".join(lines)
    # Casablanca is UTC+1 in December: the Monday runs, in local time.
    assert "daily-watch [weekdays-0730]: Mon 2026-12-07 07:30 (Africa/Casablanca)" in text
    assert "weekly-summary [monday-0800]: Mon 2026-12-07 08:00 (Africa/Casablanca)" in text
    assert "http://127.0.0.1:4200" in text and "api-auth" in text and "Ctrl-C" in text


# ---------------------------------------------------------------- left running on the demo


@pytest.fixture
def every_minute(tmp_path: Path) -> Path:
    """A copy of prefect.yaml whose weekly summary runs at every minute (the daily left out)."""
    document = yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))
    weekly = next(entry for entry in document["deployments"] if entry["name"] == "weekly-summary")
    weekly["schedules"][0]["cron"] = "* * * * *"
    document["deployments"] = [weekly]
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def serving_env(port: int) -> dict[str, str]:
    """The environment of `suivi serve` in the tests: no PREFECT_* of the machine, a free port."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return env | {
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


@pytest.fixture
def serving(
    suivi_env: Path, demo_config: Path, every_minute: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`suivi serve` started in tmp_path (SQLite store and outbox folder there), no PREFECT_API_URL."""
    port = free_port()
    env = serving_env(port)
    log = (suivi_env / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "suivi.cli", "serve", "--config", str(demo_config)],
        cwd=suivi_env,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:  # SIGTERM first: `suivi serve` stops its server too
            process.terminate()
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_serve_left_running_sends_the_weekly_summary_on_schedule_and_stops_its_server(
    suivi_env: Path, demo_config: Path, serving: tuple[subprocess.Popen[bytes], int]
) -> None:
    process, port = serving
    outbox = suivi_env / "outbox"
    deadline = time.monotonic() + 180  # server start, the next minute, the run
    summaries: list[Path] = []
    while not summaries and time.monotonic() < deadline and process.poll() is None:
        time.sleep(1)
        summaries = list(outbox.glob("*weekly-summary*.eml"))
    log = suivi_env / "serve.log"
    assert summaries, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    assert not port_is_free(port)  # the supervised server is up
    database = suivi_env / "data" / "prefect" / "prefect.db"
    # SIGTERM cancels a run still in flight, even one in its last second after Completed:
    # let the run's process finish first.
    while (
        completed_runs(database) == 0 or run_processes(process.pid)
    ) and time.monotonic() < deadline:
        time.sleep(0.5)

    check_authentication_required(suivi_env, port)
    check_status_screen(suivi_env, demo_config, serving_env(port))
    started = log.read_text(encoding="utf-8", errors="replace")
    assert (
        "Prochaines exécutions" in started  # the demo's settings are in French
        and "weekly-summary" in started
        and "(Africa/Casablanca)" in started
    )
    assert f"http://{HOST}:{port}" in started and "Ctrl-C" in started

    process.send_signal(signal.SIGTERM)  # what systemd sends
    assert process.wait(timeout=90) == 0
    assert port_is_free(port), "the supervised Prefect server must stop with `suivi serve`"

    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name, paused FROM deployment").fetchall() == [
            ("weekly-summary", 0)  # not paused on shutdown: a restart keeps the schedule
        ]
        assert connection.execute("SELECT active FROM deployment_schedule").fetchall() == [(1,)]
    assert completed_runs(database) >= 1


def run_processes(pid: int) -> list[int]:
    """Flow-run processes `suivi serve` spawned and that still run (Linux /proc)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:  # gone meanwhile
                continue
            if b"prefect.engine" in command:  # a run, not the server
                found.append(int(child))
    return found


def completed_runs(database: Path) -> int:
    """Flow runs the Prefect server recorded as Completed (read straight from its SQLite)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            row = connection.execute(
                "SELECT count(*) FROM flow_run WHERE state_type = 'COMPLETED'"
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet, or busy: ask again
            return 0
    return int(row[0]) if row else 0


def api_call(
    port: int, path: str, auth: str | None, body: bytes | None = b"{}", prefix: str = "/api"
) -> tuple[int, str]:
    """(HTTP status, body) of a call to the local server's API, with or without the auth string."""
    request = urllib.request.Request(f"http://{HOST}:{port}{prefix}{path}", data=body)
    request.add_header("Content-Type", "application/json")
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def check_authentication_required(folder: Path, port: int) -> None:
    """Without the auth string the API answers 401 (deployments, Secret blocks); with it, 200."""
    auth_file = folder / "data" / "prefect" / "api-auth"
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    auth = auth_file.read_text(encoding="utf-8").strip()
    assert api_call(port, "/deployments/filter", None)[0] == 401
    assert api_call(port, "/block_documents/filter?include_secrets=true", None)[0] == 401
    assert api_call(port, "/deployments/filter", "suivi:not-the-secret")[0] == 401
    status, body = api_call(port, "/deployments/filter", auth)
    assert status == 200 and "weekly-summary" in body
    # The UI learns from its settings that the server asks for the auth string as a password.
    status, body = api_call(port, "/ui-settings", None, body=None, prefix="")
    assert status == 200 and json.loads(body)["auth"] == "BASIC"


def check_status_screen(folder: Path, config: Path, env: dict[str, str]) -> None:
    """`suivi serve --status`: the next run and the last runs with their states, in local time."""
    command = [sys.executable, "-m", "suivi.cli", "serve", "--status", "--config", str(config)]
    shown = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1] == "weekly-summary"
    assert lines[2].strip().startswith("prochaine exécution") and "(Africa/Casablanca)" in lines[2]
    assert any("Completed" in line for line in lines[3:]), shown.stdout
    assert len(lines) <= 25  # one screen
    wrong = env | {"PREFECT_API_AUTH_STRING": "suivi:wrong"}
    refused = subprocess.run(
        command, cwd=folder, env=wrong, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 1 and "401" in refused.stderr
