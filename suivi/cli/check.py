"""`suivi check`: every data problem of every project."""

from __future__ import annotations

import argparse
import json

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of
from suivi.errors import SourceError


def command_check(args: argparse.Namespace) -> int:
    """Every data problem of every project; exit 1 when one blocks a row."""
    from suivi.settings import Env, load_config

    config = load_config(config_path_of(args))  # a settings error shows before pandas loads
    from suivi.jobs.pipeline import read_project
    from suivi.model import Problem, problems_frame
    from suivi.sheet.clean import clean_project

    env = Env()
    problems: list[Problem] = []
    unreadable = False
    for project in config.projects:
        try:
            tabs = read_project(project, config, env)
        except SourceError as error:
            problems.append(
                Problem(project.code, "", "", project.source, str(error), blocking=True)
            )
            unreadable = True
            continue
        problems.extend(clean_project(project.code, tabs, rules=list(config.indicators)).problems)
    languages = {project.code: config.language_of(project) for project in config.projects}
    if args.format == "json":
        shown = [p.as_dict(languages.get(p.project, config.language)) for p in problems]
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    elif problems:
        shown_frame = problems_frame(problems, languages, config.language)
        print(shown_frame.to_string(index=False, max_colwidth=60))
    else:
        print("no data problems")
    return EXIT_PROBLEMS if unreadable or any(problem.blocking for problem in problems) else EXIT_OK
