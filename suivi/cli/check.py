"""`suivi check`: every data problem of every project."""

from __future__ import annotations

import argparse
import json

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of
from suivi.errors import SourceError


def command_check(args: argparse.Namespace) -> int:
    """Every data problem of every project; exit 1 when one blocks a row."""
    if getattr(args, "mail", False):
        from suivi.cli.readiness import command_check_mail

        return command_check_mail(args)
    from suivi.settings import Env, load_config

    config = load_config(config_path_of(args))  # a settings error shows before pandas loads
    from suivi.cli.readiness import describe, readiness_problems, required_tab_problems
    from suivi.jobs.pipeline import read_project
    from suivi.model import Problem, problems_frame
    from suivi.notify.recipients import apply_allowed_domains
    from suivi.sheet.clean import clean_project

    env = Env()
    problems: list[Problem] = []
    unreadable = False
    unreadable_codes: set[str] = set()
    missing_tabs: list[Problem] = []
    for project in config.projects:
        try:
            tabs = read_project(project, config, env)
        except SourceError as error:
            problems.append(
                Problem(project.code, "", "", project.source, str(error), blocking=True)
            )
            unreadable = True
            unreadable_codes.add(project.code)
            continue
        tables = clean_project(project.code, tabs, rules=list(config.indicators))
        _, tables = apply_allowed_domains(project, tables, tabs, config.mail.allowed_domains)
        problems.extend(tables.problems)
        missing_tabs += required_tab_problems(project.code, tabs)
    # Required tabs, edit rights, the store, the mail settings: what the run will need.
    readable = [project for project in config.projects if project.code not in unreadable_codes]
    readiness = missing_tabs + readiness_problems(config, env, readable)
    languages = {project.code: config.language_of(project) for project in config.projects}
    if args.format == "json":
        shown = [
            p.as_dict(languages.get(p.project, config.language)) for p in [*problems, *readiness]
        ]
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for problem in readiness:
            print(describe(problem, languages.get(problem.project, config.language)))
        if problems:
            shown_frame = problems_frame(problems, languages, config.language)
            print(shown_frame.to_string(index=False, max_colwidth=60))
        else:
            print("no data problems")
    blocked = unreadable or any(problem.blocking for problem in [*problems, *readiness])
    return EXIT_PROBLEMS if blocked else EXIT_OK
