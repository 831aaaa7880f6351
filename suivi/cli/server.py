"""`suivi server stop`: stop the Prefect server an earlier `suivi run` left running.

That server stops by itself when idle (`flows/lingering_server.py`); this is for now: before
moving the folder, after changing the auth string, or to free its memory. A `suivi run`
still using it keeps it unless `--force`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of

STOPPED_WITHIN = 30.0  # seconds: it notices its record is gone within one


def command_server(args: argparse.Namespace) -> int:
    """Stop the lingering Prefect server of this folder, and say what happened."""
    from suivi.i18n.catalogs import gettext
    from suivi.settings import load_config

    language = load_config(config_path_of(args)).language
    try:
        from flows.lingering_server import RUN_HOME
    except ImportError:  # no fcntl (not a POSIX system): `suivi run` leaves no server
        print(gettext("No Prefect server left running by `suivi run`.", language))
        return EXIT_OK
    said, status = stop_server(RUN_HOME, force=bool(args.force), language=language)
    print(said, file=sys.stdout if status == EXIT_OK else sys.stderr)
    return status


def stop_server(home: Path, *, force: bool, language: str) -> tuple[str, int]:
    """Stop the server recorded under `home`; what to say and the exit status."""
    import fcntl

    from flows.lingering_server import CLIENTS_LOCK, alive, locked, read_registry, stop
    from suivi.i18n.catalogs import gettext

    facts = read_registry(home) if home.is_dir() else None
    if facts is None or not alive(facts["pid"]):
        if facts is not None:
            stop(home)  # the record of a server that died: nothing to keep it for
        return gettext("No Prefect server left running by `suivi run`.", language), EXIT_OK
    url, pid = facts["api_url"], facts["pid"]
    if not force:
        with locked(home / CLIENTS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB) as unused:
            if not unused:
                return gettext(
                    "A `suivi run` is using the Prefect server at {url}: it was left running."
                    " Stop it once the run ends, or now with --force (the run then fails).",
                    language,
                    url=url,
                ), EXIT_PROBLEMS
    stop(home)
    deadline = time.monotonic() + STOPPED_WITHIN
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        return gettext(
            "The Prefect server at {url} (pid {pid}) was asked to stop but still runs.",
            language,
            url=url,
            pid=pid,
        ), EXIT_PROBLEMS
    return gettext(
        "Prefect server at {url} stopped (pid {pid}).", language, url=url, pid=pid
    ), EXIT_OK
