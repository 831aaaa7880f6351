"""`suivi serve`: run every deployment of prefect.yaml on its schedule, on one machine.

The schedules are read from prefect.yaml, never repeated here. Prefect's temporary server
does not run schedules, so when no PREFECT_API_URL is set this command starts a local
`prefect server` itself (127.0.0.1 only, SQLite and PREFECT_HOME under `data/prefect/` of
the working folder), waits until it answers, serves the deployments, and stops the server
when it stops (SIGTERM from systemd, or Ctrl-C). Deployments are not paused on shutdown, so
a restart keeps every schedule active; what fell due while the machine was down is handled
by the flows themselves (see `flows/catchup.py`).

The local server requires authentication: an auth string (`suivi:<random>`) is generated
once into `data/prefect/api-auth` (mode 0600, folder 0700); the server gets it as
PREFECT_SERVER_API_AUTH_STRING, this process and its runs as PREFECT_API_AUTH_STRING. Without
it the API answers 401, so no other local user can read the Secret blocks or start a run.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import importlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from flows.running_server import announced
from suivi.i18n.catalogs import N_, gettext

ROOT = Path(__file__).resolve().parents[1]  # where the code and its prefect.yaml live
HOST = "127.0.0.1"
DEFAULT_PORT = 4200
STARTUP_SECONDS = 180.0  # a first start migrates a new database: slow on a small disk
STOP_SECONDS = 20.0
RUN_LIMIT = 2  # runs at once: the two flows may overlap on Monday morning
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
AUTH_FILE = "api-auth"  # in the local server's home, data/prefect/
AUTH_USER = "suivi"


class ServeError(RuntimeError):
    """`suivi serve` cannot start; the message says what to change.

    Whoever starts `suivi serve` reads it (the officer, or whoever installs the machine), so it
    is said in the settings' language (`said_in`); `str()` keeps the English, for tracebacks.
    """

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values

    def said_in(self, language: str) -> str:
        """The message in `language`, its values as they are."""
        return gettext(self.message, language, **self.values)


# ---------------------------------------------------------------- prefect.yaml → deployments


def find_prefect_file(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The given file, else ./prefect.yaml, else the one next to the code."""
    if explicit:
        return Path(explicit)
    local = Path("prefect.yaml")
    return local if local.is_file() else ROOT / "prefect.yaml"


def read_deployments(prefect_file: Path) -> list[dict[str, Any]]:
    """The `deployments:` entries of a prefect.yaml."""
    try:
        document = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ServeError(
            N_("{file}: cannot read the deployments: {error}"), file=prefect_file, error=error
        ) from None
    entries = document.get("deployments") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ServeError(N_("{file}: no `deployments:` list"), file=prefect_file)
    return entries


def schedule_of(entry: Mapping[str, Any]) -> Any:
    """A prefect.yaml schedule entry as a Prefect schedule object."""
    from prefect.schedules import Cron, Interval, RRule

    common: dict[str, Any] = {
        "timezone": entry.get("timezone"),
        "active": entry.get("active", True),
        "parameters": entry.get("parameters") or {},
        "slug": entry.get("slug"),
    }
    if "cron" in entry:
        return Cron(entry["cron"], day_or=entry.get("day_or", True), **common)
    if "interval" in entry:
        return Interval(entry["interval"], anchor_date=entry.get("anchor_date"), **common)
    if "rrule" in entry:
        return RRule(entry["rrule"], **common)
    raise ServeError(N_("a schedule needs cron, interval or rrule: {entry}"), entry=dict(entry))


def import_flow(entrypoint: str) -> Any:
    """The flow of `flows/weekly.py:weekly_summary`, imported as a module (so run processes can import it too)."""
    path, _, name = entrypoint.partition(":")
    module_name = path.removesuffix(".py").replace("/", ".").replace("\\", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        if str(ROOT) in sys.path:
            raise
        # A checkout run without installing the package: here and in the run processes.
        sys.path.insert(0, str(ROOT))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        )
        module = importlib.import_module(module_name)
    return getattr(module, name)


def load_deployments(prefect_file: Path, config_path: str) -> list[Any]:
    """One served deployment per entry of prefect.yaml, with its schedules, for the given settings file."""
    from prefect.types.entrypoint import EntrypointType

    served = []
    for entry in read_deployments(prefect_file):
        flow = import_flow(entry["entrypoint"])
        parameters = {**(entry.get("parameters") or {}), "config_path": config_path}
        served.append(
            flow.to_deployment(
                name=entry["name"],
                schedules=[schedule_of(schedule) for schedule in entry.get("schedules") or []],
                parameters=parameters,
                description=entry.get("description"),
                tags=entry.get("tags"),
                version=entry.get("version"),
                paused=entry.get("paused"),
                concurrency_limit=entry.get("concurrency_limit"),
                enforce_parameter_schema=entry.get("enforce_parameter_schema", True),
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return served


# ---------------------------------------------------------------- the supervised local server


def auth_file_of(home: Path) -> Path:
    """Where the local server's auth string is kept."""
    return home / AUTH_FILE


def auth_string(home: Path, environ: Mapping[str, str] = os.environ) -> str:
    """The API auth string: from the environment when set, else the 0600 file, made once."""
    given = environ.get("PREFECT_SERVER_API_AUTH_STRING") or environ.get("PREFECT_API_AUTH_STRING")
    if given:
        return given
    path = auth_file_of(home)
    if not path.is_file():
        from suivi.adapters.private_files import private_folder

        private_folder(home)
        try:  # O_EXCL: two starts at once never write two different secrets
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as output:
                output.write(f"{AUTH_USER}:{secrets.token_urlsafe(32)}\n")
    path.chmod(0o600)  # a copy restored from a backup may have come back wider
    return path.read_text(encoding="utf-8").strip()


def basic_authorization(auth: str) -> str:
    """The Authorization header value Prefect's clients and UI send for an auth string."""
    return "Basic " + base64.b64encode(auth.encode("utf-8")).decode("ascii")


def port_is_free(port: int, host: str = HOST) -> bool:
    """Nobody listens on host:port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) != 0


def server_environment(
    environ: Mapping[str, str], home: Path, port: int, auth: str | None = None
) -> dict[str, str]:
    """The local server's environment: loopback only, its SQLite and home under `home`, `auth` required."""
    env = {key: value for key, value in environ.items() if key != "PREFECT_API_URL"}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
    }
    if auth:
        env |= {"PREFECT_SERVER_API_AUTH_STRING": auth, "PREFECT_API_AUTH_STRING": auth}
    # Offline-friendly, and bounded: old runs and events are vacuumed (90 / 7 days by default).
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED", "events,flow_runs")
    return env


def wait_until_healthy(
    process: subprocess.Popen[bytes], api_url: str, log: Path, timeout: float
) -> None:
    """Poll /api/health until the server answers; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServeError(
                N_("the local Prefect server stopped at start (exit {status}):\n{log}"),
                status=process.returncode,
                log=tail(log),
            )
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise ServeError(
        N_("the local Prefect server did not answer within {seconds} s:\n{log}"),
        seconds=f"{timeout:.0f}",
        log=tail(log),
    )


def tail(log: Path, lines: int = 15) -> str:
    """The last lines of the server's log, for an error message."""
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_SECONDS) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def local_server(
    home: Path, port: int, timeout: float = STARTUP_SECONDS, auth: str | None = None
) -> Iterator[str]:
    """A `prefect server start` on 127.0.0.1:port for the duration of the block; yields its API URL."""
    if not port_is_free(port):
        raise ServeError(
            N_(
                "port {port} on {host} is taken: if a Prefect server runs there, set"
                " PREFECT_API_URL=http://{host}:{port}/api; otherwise set PREFECT_SERVER_API_PORT"
            ),
            port=port,
            host=HOST,
        )
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    api_url = f"http://{HOST}:{port}/api"
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    with log.open("ab") as output:
        # A session of its own: Ctrl-C in a terminal reaches `suivi serve`, which stops the
        # runs first and the server last.
        process = subprocess.Popen(
            command,
            env=server_environment(os.environ, home, port, auth),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_until_healthy(process, api_url, log, timeout)
        yield api_url
    finally:
        with ignoring_sigterm():  # a second SIGTERM must not cut the server's stop short
            stop_process(process)


@contextlib.contextmanager
def ignoring_sigterm() -> Iterator[None]:
    """SIGTERM is ignored in the block (main thread only: elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into a clean exit until the runner installs its own handler."""

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(EXIT_OK)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def using_api(api_url: str, home: Path, auth: str | None = None) -> Iterator[None]:
    """This process and the run processes it spawns talk to `api_url` (with `auth`), home in `home`."""
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_API_URL,
        PREFECT_HOME,
        temporary_settings,
    )

    names = ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_API_AUTH_STRING")
    saved = {name: os.environ.get(name) for name in names}
    os.environ |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)}
    updates: dict[Any, Any] = {PREFECT_API_URL: api_url, PREFECT_HOME: home}
    if auth:
        os.environ["PREFECT_API_AUTH_STRING"] = auth
        updates[PREFECT_API_AUTH_STRING] = auth
    try:
        with temporary_settings(updates):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ---------------------------------------------------------------- the command


def serve_deployments(deployments: list[Any]) -> None:
    """Serve until SIGTERM or Ctrl-C; deployments stay active across restarts."""
    from prefect import serve

    serve(*deployments, pause_on_shutdown=False, limit=RUN_LIMIT)


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def serve_all(config_path: str, prefect_file: str | os.PathLike[str] | None = None) -> int:
    """Run every deployment of prefect.yaml on its schedule until stopped; returns the exit status."""
    config = str(Path(config_path).resolve())
    _zone, language = settings_zone_and_language(config)
    try:
        prefect_path = find_prefect_file(prefect_file)
        deployments = load_deployments(prefect_path, config)
        if configured_api_url():
            announce(prefect_path, config, api_ui_url(), None)
            serve_deployments(deployments)
            return EXIT_OK
        home = local_home()
        port = local_port()
        auth = auth_string(home)
        with stop_on_sigterm(), local_server(home, port, auth=auth) as api_url:
            started = gettext(
                "Prefect server at {url} (log: {log})",
                language,
                url=api_url.removesuffix("/api"),
                log=home / "server.log",
            )
            print(f"suivi serve: {started}", flush=True)
            announce(prefect_path, config, api_url.removesuffix("/api"), auth_file_of(home))
            # `suivi run` finds this server (and its auth string) through api.json.
            with using_api(api_url, home, auth), announced(api_url, home, auth):
                serve_deployments(deployments)
    except ServeError as error:
        print(f"suivi serve: {error.said_in(language)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def local_home() -> Path:
    """The local server's home (its database, log and auth string): data/prefect/ here."""
    return (Path("data") / "prefect").resolve()


def local_port() -> int:
    """The local server's port."""
    return int(os.environ.get("PREFECT_SERVER_API_PORT") or DEFAULT_PORT)


def api_ui_url() -> str:
    """The UI's address for a configured server (PREFECT_UI_URL, else the API's without /api)."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    return str(settings.ui_url or str(settings.api.url or "").removesuffix("/api"))


def settings_zone_and_language(config_path: str) -> tuple[str, str]:
    """The settings' time zone and language (Casablanca and French when they cannot be read)."""
    from suivi.settings import ConfigError, load_config

    try:
        settings = load_config(config_path)
    except ConfigError:
        return "Africa/Casablanca", "fr"
    return settings.timezone, settings.language


def announce(prefect_path: Path, config_path: str, ui_url: str, auth_file: Path | None) -> None:
    """Print what will happen: each deployment's next run in local time, the UI, how to stop."""
    from flows.serve_info import next_runs, start_lines

    zone, language = settings_zone_and_language(config_path)
    runs = next_runs(read_deployments(prefect_path), dt.datetime.now(dt.UTC), zone)
    for line in start_lines(runs, zone, ui_url, auth_file, language):
        print(f"suivi serve: {line}", flush=True)


def show_status(config_path: str) -> int:
    """`suivi serve --status`: next and last runs from the running server's API."""
    from flows.serve_info import status_lines

    zone, language = settings_zone_and_language(str(Path(config_path).resolve()))
    if configured_api_url():
        api_url, auth = str(configured_api_url()), None
    else:
        home = local_home()
        api_url = f"http://{HOST}:{local_port()}/api"
        auth = auth_string(home) if auth_file_of(home).is_file() else None
    try:
        with using_api(api_url, local_home(), auth):
            lines = status_lines(zone, language, dt.datetime.now(dt.UTC))
    except Exception as error:  # no server, refused login: say it in one line
        why = f"{type(error).__name__}: {error}"
        said = gettext("no answer from {url}: {error}", language, url=api_url, error=why)
        print(f"suivi serve --status: {said}", file=sys.stderr)
        return EXIT_PROBLEMS
    print("\n".join(lines))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(serve_all(sys.argv[1] if len(sys.argv) > 1 else "config/suivi.yaml"))
