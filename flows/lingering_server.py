"""The Prefect server `suivi run` starts when none runs, and leaves running for the next commands.

Starting a Prefect server costs seconds (its imports, the database check); paying that once
instead of on every `suivi run` is the point. The first `suivi run` that finds no server
starts this one in the background: loopback only, its own session (Ctrl-C in the terminal
does not reach it), its SQLite database and home under `data/prefect/run-server/` (migrated
once, kept), the project's auth string required, only the services a run needs (no UI,
scheduler, automations or telemetry). It writes its address and pid to `api.json` there
(owner-only) once it answers; later commands reuse it. It stops by itself after an idle time
(`SUIVI_PREFECT_IDLE_SECONDS`, 600 by default; 0: no lingering server, Prefect's temporary
one per run as before), counted from the last request once no `suivi run` holds it, and at
once when its `api.json` is removed or names another server.

Two commands racing take `start.lock` in turn, so one server starts; each command holds a
shared lock on `clients.lock` until it exits, which the server needs exclusively to stop.
The kernel drops both locks of a command that dies, so nothing waits on a dead process.
Nothing here imports Prefect before the server's own process: the client side runs before
Prefect reads its settings.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flows.running_server import SERVE_HOME, answers

ROOT = Path(__file__).resolve().parents[1]
RUN_HOME = SERVE_HOME / "run-server"
REGISTRY = "api.json"
START_LOCK = "start.lock"
CLIENTS_LOCK = "clients.lock"
LOG = "server.log"
HOST = "127.0.0.1"
IDLE_VARIABLE = "SUIVI_PREFECT_IDLE_SECONDS"
IDLE_SECONDS = 600.0
# A first start migrates a new database; a busy machine may need minutes for it.
STARTUP_SECONDS = 180.0
_held: list[IO[str]] = []  # this process's lease: kept open until it exits


class StartError(RuntimeError):
    """The server could not be started; the message ends with its log's last lines."""


@dataclass(frozen=True)
class RunServer:
    """The lingering server a command uses: where, whether this command started it, for how long idle."""

    api_url: str
    pid: int
    started_here: bool
    idle_seconds: float
    log: Path


def idle_seconds(environ: Mapping[str, str]) -> float:
    """How long the server stays without work (0: no lingering server); a bad value is the default."""
    try:
        seconds = float(environ.get(IDLE_VARIABLE, IDLE_SECONDS))
    except ValueError:
        return IDLE_SECONDS
    return max(seconds, 0.0)


# ---------------------------------------------------------------- the registry and the locks


def read_registry(home: Path) -> dict[str, Any] | None:
    """The server's address and pid, if a readable record is there."""
    try:
        facts = json.loads((home / REGISTRY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or not isinstance(facts.get("api_url"), str):
        return None
    if not isinstance(facts.get("pid"), int):
        return None
    return facts


def write_registry(home: Path, facts: Mapping[str, Any]) -> None:
    """Write the record owner-only, whole or not at all (a reader never sees half of it)."""
    partial = home / f".{REGISTRY}.{os.getpid()}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        json.dump(dict(facts), output)
    partial.replace(home / REGISTRY)


def names(home: Path, pid: int) -> bool:
    """The record names the server of process `pid`."""
    facts = read_registry(home)
    return facts is not None and facts["pid"] == pid


def alive(pid: int) -> bool:
    """A process `pid` exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


@contextlib.contextmanager
def locked(path: Path, how: int) -> Iterator[bool]:
    """flock `path` for the block (`how`: LOCK_EX or LOCK_SH, | LOCK_NB); yields whether it was got."""
    with path.open("a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, how)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def hold_lease(home: Path) -> None:
    """A shared lock on clients.lock for the rest of this process: the server stays while it lives."""
    handle = (home / CLIENTS_LOCK).open("a", encoding="utf-8")
    fcntl.flock(handle, fcntl.LOCK_SH)
    _held.append(handle)


def release_leases() -> None:
    """Drop this process's leases (tests in one process; a command simply exits)."""
    while _held:
        _held.pop().close()


# ---------------------------------------------------------------- the client side


@dataclass
class Claim:
    """A server this command will use: reused, or started and maybe not answering yet.

    Until `ready()` the start lock is held: no other command starts a second server and
    this one cannot stop. The URL is known at once (the port is bound here), so the command
    imports its flows while the server starts.
    """

    home: Path
    api_url: str
    pid: int
    started_here: bool
    idle_seconds: float
    log: Path
    lock: IO[str] | None
    process: subprocess.Popen[bytes] | None = None

    def ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Wait until a started server is recorded and answers; hold it for this process."""
        try:
            if self.process is not None:
                wait_until_recorded(self.process, self.home, timeout)
            hold_lease(self.home)
        finally:
            if self.lock is not None:
                fcntl.flock(self.lock, fcntl.LOCK_UN)
                self.lock.close()
                self.lock = None


def claim(
    environ: MutableMapping[str, str],
    auth: str,
    home: Path = RUN_HOME,
    idle: float = IDLE_SECONDS,
) -> Claim:
    """The recorded server if it answers, else one started now; `environ` points at it."""
    home = home.resolve()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = (home / START_LOCK).open("a", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        facts = read_registry(home)
        if facts is not None and alive(facts["pid"]) and answers(facts["api_url"]):
            found = Claim(
                home,
                facts["api_url"],
                facts["pid"],
                False,
                float(facts["idle_seconds"]),
                home / LOG,
                lock,
            )
        else:
            found = start(environ, auth, home, idle, lock)
    except BaseException:
        lock.close()
        raise
    environ["PREFECT_API_URL"] = found.api_url
    environ["PREFECT_API_AUTH_STRING"] = auth
    return found


def provide(
    environ: MutableMapping[str, str],
    auth: str,
    home: Path = RUN_HOME,
    idle: float = IDLE_SECONDS,
    timeout: float = STARTUP_SECONDS,
) -> Claim:
    """The lingering server (reused, else started), answering and held until this process exits."""
    found = claim(environ, auth, home, idle)
    found.ready(timeout)
    return found


def server_environment(
    environ: Mapping[str, str], home: Path, auth: str, idle: float
) -> dict[str, str]:
    """The server's environment: its home and SQLite under `home`, `auth` required, one-shot services only."""
    env = {  # suivi's own settings (SMTP password…) are none of the server's business
        key: value
        for key, value in environ.items()
        if key not in {"PREFECT_API_URL", "PREFECT_API_AUTH_STRING"}
        and not key.startswith("SUIVI_")
    }
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_API_AUTH_STRING": auth,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # Automations and their actions: nothing of suivi's uses them on this server.
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")])),
        IDLE_VARIABLE: str(idle),
    }
    return env


def start(environ: Mapping[str, str], auth: str, home: Path, idle: float, lock: IO[str]) -> Claim:
    """Start the server on a loopback port bound here (no race for it), without waiting for it."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    log = home / LOG
    try:
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "flows.lingering_server", "--fd", str(listener.fileno())],
                env=server_environment(environ, home, auth, idle),
                pass_fds=[listener.fileno()],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C on this command does not stop it
                cwd=home,
            )
    finally:
        listener.close()  # the server holds its own copy
    _started.append(process)
    return Claim(home, f"http://{HOST}:{port}/api", process.pid, True, idle, log, lock, process)


def wait_until_recorded(process: subprocess.Popen[bytes], home: Path, timeout: float) -> None:
    """Until the started server has recorded itself and answers; its log's tail if it fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"exit {process.returncode}:\n{tail(home / LOG)}")
        facts = read_registry(home)
        if facts is not None and facts["pid"] == process.pid and answers(facts["api_url"]):
            return
        time.sleep(0.1)
    process.terminate()
    raise StartError(f"no answer within {timeout:.0f} s:\n{tail(home / LOG)}")


_started: list[subprocess.Popen[bytes]] = []  # not collected while running (no ResourceWarning)


def tail(log: Path, lines: int = 12) -> str:
    """The last lines of the server's log, for an error message."""
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def stop(home: Path = RUN_HOME) -> int | None:
    """Ask the recorded server to stop (its record goes; it notices within a second); its pid."""
    home = home.resolve()
    with locked(home / START_LOCK, fcntl.LOCK_EX):
        facts = read_registry(home)
        (home / REGISTRY).unlink(missing_ok=True)
    return None if facts is None else int(facts["pid"])


# ---------------------------------------------------------------- the server's own process


class Activity:
    """An ASGI wrapper that knows when the last request ended and how many are open."""

    def __init__(self, app: Callable[..., Any]) -> None:
        """Wrap Prefect's app."""
        self.app = app
        self.open = 0
        self.last = time.monotonic()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Count HTTP requests and websockets (a run's event stream stays open while it lives)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        """Seconds without any request or connection (0 while one is open)."""
        return 0.0 if self.open else time.monotonic() - self.last


def may_stop(home: Path, activity: Activity, idle: float) -> bool:
    """Idle long enough, no command starting or holding it: the record goes and the server may stop."""
    if activity.idle_for() < idle:
        return False
    with (
        locked(home / START_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB) as starting_free,
        locked(home / CLIENTS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB) as clients_free,
    ):
        if not (starting_free and clients_free) or activity.idle_for() < idle:
            return False
        if names(home, os.getpid()):
            (home / REGISTRY).unlink(missing_ok=True)
        return True


def watch(server: Any, activity: Activity, home: Path, api_url: str, idle: float) -> None:
    """Record the server once it answers; stop it when idle, or when its record is gone or replaced."""
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    pid = os.getpid()
    write_registry(
        home, {"api_url": api_url, "pid": pid, "idle_seconds": idle, "started": time.time()}
    )
    tick = min(1.0, max(idle / 4, 0.05))
    while not server.should_exit:
        time.sleep(tick)
        if not names(home, pid) or may_stop(home, activity, idle):
            server.should_exit = True


def serve(fd: int) -> None:
    """Prefect's API app (ephemeral services only) on the inherited socket, until idle or stopped."""
    import uvicorn
    from prefect.server.api.server import create_app

    home = Path(os.environ["PREFECT_HOME"])
    idle = idle_seconds(os.environ)
    listener = socket.socket(fileno=fd)
    api_url = f"http://{HOST}:{listener.getsockname()[1]}/api"
    activity = Activity(create_app(ephemeral=True, final=True))
    server = uvicorn.Server(
        uvicorn.Config(activity, log_level="error", lifespan="on", timeout_graceful_shutdown=5)
    )
    watcher = threading.Thread(
        target=watch, args=(server, activity, home, api_url, idle), daemon=True
    )
    watcher.start()
    try:
        server.run(sockets=[listener])
    finally:
        if names(home, os.getpid()):  # stopped by a signal: the record goes with it
            (home / REGISTRY).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """`python -m flows.lingering_server --fd N`, as `provide` starts it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True)
    serve(parser.parse_args(argv).fd)


if __name__ == "__main__":
    main()
