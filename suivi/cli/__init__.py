"""The `suivi` command: run a flow, check the sheets, print the status, serve, preview.

Each command lives in its own module, imported only when it is the one asked for: `--help`
and a mistyped option answer before pandas, pydantic, SQLAlchemy or Prefect are imported.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from suivi.cli.common import EXIT_ERROR, EXIT_OK, EXIT_OUTPUT_CLOSED, EXIT_PROBLEMS, iso_date
from suivi.errors import ConfigError, SourceError, StoreError  # cheap: no pandas, no pydantic

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_PROBLEMS",
    "build_parser",
    "main",
]

# command → "module:function", imported when that command runs.
COMMANDS = {
    "run": "suivi.cli.run:command_run",
    "check": "suivi.cli.check:command_check",
    "status": "suivi.cli.status:command_status",
    "serve": "suivi.cli.serve:command_serve",
    "preview": "suivi.cli.serve:command_preview",
    "report": "suivi.cli.reports:command_report",
    "import": "suivi.cli.reports:command_import",
    "init": "suivi.cli.init:command_init",
    "sheet": "suivi.cli.sheet:command_sheet",
    "auth": "suivi.cli.auth:command_auth",
    "server": "suivi.cli.server:command_server",
}


def build_parser() -> argparse.ArgumentParser:
    """Every command and option of the contract (§3)."""
    parser = argparse.ArgumentParser(
        prog="suivi", description="Monitoring & evaluation that runs by itself."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--config", help="settings file (default: $SUIVI_CONFIG or config/suivi.yaml)"
        )
        return sub

    run = add("run", "run one flow now: weekly summary or daily watch")
    run.add_argument("flow", choices=["weekly", "daily"])
    run.add_argument(
        "--as-of",
        type=iso_date,
        help="the day to run for (default: today in the configured time zone)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="write every e-mail to the outbox folder, send none, record nothing",
    )
    run.add_argument(
        "--force", action="store_true", help="send again e-mails already sent for this day"
    )
    run.add_argument(
        "--verbose", action="store_true", help="show Prefect's own log lines and tracebacks"
    )

    check = add("check", "read the sheets and print every data problem; exit 1 if a row is blocked")
    check.add_argument("--format", choices=["table", "json"], default="table")
    check.add_argument(
        "--mail", action="store_true", help="send one test e-mail and explain any failure"
    )
    check.add_argument("--to", help="address of the test e-mail (default: the officer)")

    status = add("status", "print the computed state of every activity, deliverable and indicator")
    status.add_argument("--as-of", type=iso_date)
    status.add_argument("--format", choices=["table", "csv", "json"], default="table")

    serve = add("serve", "run every deployment of prefect.yaml on its schedule, unattended")
    serve.add_argument(
        "--status", action="store_true", help="print each deployment's next and last runs, and stop"
    )

    preview = add("preview", "write the e-mails a flow would send as HTML files, send nothing")
    preview.add_argument("occasion", choices=["weekly", "daily", "committee"])
    preview.add_argument("--as-of", type=iso_date)
    preview.add_argument("--out", type=Path, required=True, help="folder for the HTML files")

    from suivi.cli.reports import add_import_commands, add_report_commands

    add_report_commands(commands)
    add_import_commands(commands)
    from suivi.cli.setup_commands import (
        add_auth_commands,
        add_init_command,
        add_server_commands,
        add_sheet_commands,
    )

    add_init_command(commands)
    add_sheet_commands(commands)
    add_auth_commands(commands)
    add_server_commands(commands)
    return parser


def command_of(name: str) -> Callable[[argparse.Namespace], int]:
    """The function of a command, from its module."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script.

    A reader that stops early (`suivi status | head -3`) ends the command quietly, with the
    status a command killed by SIGPIPE has (see `output_closed`).
    """
    try:
        try:
            return run_command(argv)
        finally:
            # Buffered output reaches the pipe here, inside the handler below, and not at the
            # interpreter's exit, where a closed pipe prints "Exception ignored …".
            sys.stdout.flush()
    except BrokenPipeError:
        return output_closed()


def run_command(argv: Sequence[str] | None) -> int:
    """Parse the arguments and run the command; a settings or source error is one line, status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(command_of(args.command)(args))
    except ConfigError as error:
        print(f"suivi: settings error:\n{error}", file=sys.stderr)
        return EXIT_ERROR
    except (SourceError, StoreError) as error:
        print(f"suivi: {error}", file=sys.stderr)
        return EXIT_ERROR


def output_closed() -> int:
    """Whoever read the output is gone: say nothing more, exit as `ls`, `git` or `cat` would.

    Those die of SIGPIPE, which the shell reports as 141 (128 + 13): with `set -o pipefail` a
    script sees the output was cut short, and without it `head` decides the pipeline's status.
    Python ignores SIGPIPE and raises BrokenPipeError instead; stdout is pointed at the null
    device so that the interpreter's last flush finds nowhere to fail.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real descriptor (an embedding, a test's capture)
        pass
    return EXIT_OUTPUT_CLOSED


if __name__ == "__main__":
    sys.exit(main())
