"""`suivi serve` and `suivi preview`: the schedules, unattended; the e-mails, to look at."""

from __future__ import annotations

import argparse

from suivi.cli.common import EXIT_OK, config_path_of
from suivi.settings import Env, load_config


def command_serve(args: argparse.Namespace) -> int:
    """Run every deployment of prefect.yaml on its schedule (or, with --status, say how they ran)."""
    if getattr(args, "status", False):
        from flows.serve import show_status

        return show_status(str(config_path_of(args)))
    from flows.serve import serve_all

    return serve_all(config_path=str(config_path_of(args)))


def command_preview(args: argparse.Namespace) -> int:
    """Write the e-mails of an occasion as HTML pages; nothing is sent or recorded."""
    from flows.schedule import daily_run_days
    from suivi.jobs.preview import write_previews

    config = load_config(config_path_of(args))
    day = args.as_of or config.today()
    paths = write_previews(args.occasion, config, Env(), day, args.out, daily_run_days())
    print(f"{len(paths)} e-mail(s) written to {args.out}/")
    for path in paths:
        print(f"  {path}")
    return EXIT_OK
