"""`suivi status`: the computed state of every activity, deliverable and indicator."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of
from suivi.errors import SourceError


def command_status(args: argparse.Namespace) -> int:
    """The computed state of everything, as a table, CSV or JSON."""
    from suivi.settings import Env, load_config

    config = load_config(config_path_of(args))  # a settings error shows before pandas loads
    from suivi.compute.status import status_records
    from suivi.i18n.catalogs import gettext
    from suivi.jobs.pipeline import assess_project, read_project

    env = Env()
    as_of = args.as_of or config.today()
    records: list[dict[str, Any]] = []
    failed = False
    for project in config.projects:
        try:
            assessment = assess_project(project, config, read_project(project, config, env), as_of)
        except SourceError as error:
            print(f"suivi: {project.code}: {error}", file=sys.stderr)
            failed = True
            continue
        records.extend(status_records(assessment.tracking, assessment.indicators))
    if args.format in ("json", "csv"):
        print(format_records(records, args.format))
    elif not records:
        print(gettext("Nothing to show.", config.language))
    else:
        from suivi.cli.terminal import render_status, terminal_width

        languages = {project.code: config.language_of(project) for project in config.projects}
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(render_status(records, languages, width=terminal_width(), colour=colour))
    return EXIT_PROBLEMS if failed else EXIT_OK


def format_records(records: list[dict[str, Any]], output: str) -> str:
    """JSON or CSV with the contract's English names (a terminal gets `suivi.cli.terminal`)."""
    if output == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    import pandas as pd

    table = pd.DataFrame(records)
    if table.empty:
        return "nothing to show"
    table = table.assign(flags=table["flags"].map(lambda flags: " ".join(flags)))
    if output == "csv":
        from suivi.sheet.export import safe_csv

        return safe_csv(table)
    shown = table.assign(achievement=table["achievement"].map(_percent))
    return shown.to_string(index=False, na_rep="", max_colwidth=50)


def _percent(value: float | None) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else f"{value:.0%}"
