"""The README documents every command, option and setting the code knows (and vice versa)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from suivi.cli import build_parser
from suivi.settings import Env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands(
    parser: argparse.ArgumentParser | None = None, prefix: str = "suivi"
) -> dict[str, argparse.ArgumentParser]:
    """Every command, nested ones included (`suivi report committee`), by its full name."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix} {name}"] = sub
                found.update(subcommands(sub, f"{prefix} {name}"))
    return found


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_and_option_is_in_the_readme(name: str) -> None:
    assert name in README, f"README does not document `{name}`"
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in README, f"README does not document `{name} {option}`"


@pytest.mark.parametrize("field", sorted(Env.model_fields))
def test_every_environment_variable_is_in_the_readme(field: str) -> None:
    assert f"SUIVI_{field.upper()}" in README


def test_the_first_code_block_holds_exactly_the_two_commands() -> None:
    block = re.search(r"```[a-z]*\n(.*?)```", README, re.S)
    assert block is not None
    commands = [
        line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]
    assert len(commands) == 2
    assert "suivi run weekly --as-of" in commands[0] and "pytest" in commands[1]
