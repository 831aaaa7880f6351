"""Output piped into a reader that stops early (`suivi status | head -3`) ends quietly.

Real interpreters and real pipes: the reader's end is closed before the command writes its
first byte, so every write meets a closed pipe, whatever the command and the machine's speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from suivi.cli.common import EXIT_OUTPUT_CLOSED

ROOT = Path(__file__).resolve().parents[1]
CLOSED = EXIT_OUTPUT_CLOSED
COMMANDS = [
    (["status"], CLOSED),
    (["status", "--format", "json"], CLOSED),
    (["status", "--format", "csv"], CLOSED),
    (["check"], CLOSED),
    (["--help"], 0),  # argparse writes the help itself and ignores a closed pipe
]


def suivi(argv: list[str], config: Path) -> list[str]:
    """The command line of `suivi ARGV` in a fresh interpreter, with the demo settings."""
    with_config = [*argv, "--config", str(config)] if argv[0] != "--help" else argv
    return [sys.executable, "-m", "suivi.cli", *with_config]


@pytest.mark.parametrize(("argv", "status"), COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_a_reader_gone_before_the_first_line_ends_the_command_quietly(
    argv: list[str], status: int, suivi_env: Path, demo_config: Path
) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader left: like `| head -c 0`, or a pager quit at once
    try:
        finished = subprocess.run(
            suivi(argv, demo_config),
            stdout=writer,
            stderr=subprocess.PIPE,
            cwd=suivi_env,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        os.close(writer)

    assert finished.stderr == ""  # no traceback, no "Exception ignored … BrokenPipeError"
    assert finished.returncode == status
    assert EXIT_OUTPUT_CLOSED == 141  # as the shell reports `ls` in `ls | head -c 0`


def test_status_piped_into_head_shows_its_first_lines_and_nothing_on_stderr(
    suivi_env: Path, demo_config: Path
) -> None:
    command = " ".join(f"'{part}'" for part in suivi(["status"], demo_config))
    # `head` may leave before or after the last write: either way, no word on stderr.
    finished = subprocess.run(
        ["sh", "-c", f'{command} | head -n 3; echo "suivi exited $?" >&2'],
        capture_output=True,
        cwd=suivi_env,
        text=True,
        timeout=180,
        check=False,
    )
    complete = subprocess.run(
        suivi(["status"], demo_config), capture_output=True, cwd=suivi_env, text=True, check=True
    )

    assert finished.stdout.splitlines() == complete.stdout.splitlines()[:3]
    assert finished.stderr == "suivi exited 0\n"  # head's status; suivi said nothing
