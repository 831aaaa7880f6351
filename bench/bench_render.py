"""Time the render stage alone (templates, chart, CSS inlining) on a synthetic week's messages.

Run from the repository root: `.venv/bin/python -m bench.bench_render 5x10000`. The messages are
planned as `bench.golden_emails` plans them; `--keep FILE` stores them (pickle) on the first run
and reads them back on the next ones, so that only rendering is repeated. `--profile FILE`
writes the render's cProfile statistics. CPU seconds (this process), not wall time.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path
from time import process_time
from typing import Any

from bench.golden_emails import synthetic_config, views_of
from bench.portfolio import AS_OF
from suivi.compute.calendar import CALENDAR_DAYS
from suivi.notify.messages import Message, plan_weekly
from suivi.settings import Config


def planned(size: str, language: str, keep: Path | None) -> tuple[list[Message], Config]:
    """The week's messages, from `keep` when it holds them, else planned (and kept there)."""
    projects, activities = (int(part) for part in size.split("x"))
    config = synthetic_config(projects, language)
    if keep is not None and keep.exists():
        return pickle.loads(keep.read_bytes()), config
    messages = plan_weekly(views_of(activities, config), config, AS_OF, CALENDAR_DAYS)
    if keep is not None:
        keep.write_bytes(pickle.dumps(messages))
    return messages, config


def render_all(messages: list[Message], config: Config) -> list[Any]:
    """Every message rendered, as the weekly run renders them (a fresh template environment)."""
    from suivi.notify.render import render_email, template_environment

    templates = template_environment(config.template_folder())
    return [render_email(message, templates) for message in messages]


def main(argv: list[str] | None = None) -> None:
    """Print the render stage's CPU seconds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", help="PxN, e.g. 5x10000")
    parser.add_argument("--language", default="fr")
    parser.add_argument("--keep", type=Path, help="pickle of the planned messages")
    parser.add_argument("--profile", type=Path, help="where the cProfile statistics go")
    arguments = parser.parse_args(argv)
    messages, config = planned(arguments.size, arguments.language, arguments.keep)
    started = process_time()
    if arguments.profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        emails = profiler.runcall(render_all, messages, config)
        profiler.dump_stats(arguments.profile)
    else:
        emails = render_all(messages, config)
    rendered = process_time()
    print(
        f"{arguments.size} ({arguments.language}): {len(emails)} e-mails, "
        f"render CPU {rendered - started:.2f} s"
    )


if __name__ == "__main__":
    main()
