"""`suivi sheet create|prepare PROJECT`: the team's tracking spreadsheet, made or prepared."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from suivi.adapters.source import google_key
from suivi.cli.common import EXIT_ERROR, EXIT_OK, config_path_of
from suivi.i18n.catalogs import gettext
from suivi.settings import Config, ConfigError, Env, Project, load_config


def command_sheet(args: argparse.Namespace) -> int:
    """Run `sheet create` or `sheet prepare`."""
    config = load_config(config_path_of(args))
    project = _project(config, args.project)
    language = config.language_of(project)
    if args.sheet_command == "create":
        return _create(config, project, args.xlsx, language)
    return _prepare(config, project, language)


def layout_messages(language: str) -> dict[str, str]:
    """What the team reads in the sheet: input help and the owned tabs' warning."""
    return {
        "owned": gettext("Written by suivi at each run: changes made here are lost.", language),
        "choice": gettext("Pick a value from the list.", language),
        "date": gettext("A date, day first: 31/12/2026.", language),
        "percent": gettext("Progress, from 0 % to 100 %.", language),
        "email": gettext("An e-mail address.", language),
    }


def _project(config: Config, code: str) -> Project:
    for project in config.projects:
        if project.code.casefold() == code.casefold():
            return project
    known = ", ".join(project.code for project in config.projects)
    raise ConfigError(f"no project {code!r} in the settings file (projects: {known})")


def _create(config: Config, project: Project, xlsx: Path | None, language: str) -> int:
    from suivi.sheet.layout import spreadsheet_plan

    plans = spreadsheet_plan()
    if xlsx is not None:
        from suivi.adapters.workbook_layout import create_workbook

        try:
            create_workbook(xlsx, plans, layout_messages(language))
        except FileExistsError:
            print(
                gettext("suivi: {path} already exists; nothing was written.", language, path=xlsx),
                file=sys.stderr,
            )
            return EXIT_ERROR
        print(
            gettext(
                "Created {path}. In the settings file, for project {code}:",
                language,
                path=xlsx,
                code=project.code,
            )
        )
        print(f"    source: {_relative(xlsx, config.base_dir)}")
        return EXIT_OK
    from suivi.adapters.google_layout import create_spreadsheet, share
    from suivi.adapters.google_sheets import GoogleSheets

    env = Env()
    sheet = GoogleSheets("", credentials=env.google_credentials, endpoint=env.sheets_endpoint)
    title = f"{project.code} — {project.name}"
    key = create_spreadsheet(sheet, title, plans, config.timezone, layout_messages(language))
    people = [config.officer_of(project).email, *project.team]
    shared = share(sheet, people)
    url = f"https://docs.google.com/spreadsheets/d/{key}/edit"
    print(
        gettext(
            "Created the Google Sheet {title}, shared as Editor with: {people}.",
            language,
            title=title,
            people=", ".join(shared),
        )
    )
    print(gettext("In the settings file, for project {code}:", language, code=project.code))
    print(f"    source: {url}")
    return EXIT_OK


def _prepare(config: Config, project: Project, language: str) -> int:
    key = google_key(project.source)
    if key is None:
        print(
            gettext(
                "suivi sheet prepare works on Google Sheets; for a workbook, make a new one with suivi sheet create --xlsx and copy the rows into it.",
                language,
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR
    from suivi.adapters.google_layout import prepare
    from suivi.adapters.google_sheets import open_google_sheet

    prepared = prepare(open_google_sheet(key, Env()), layout_messages(language))
    print(
        gettext(
            "Validation added to: {tabs}. No value was changed.", language, tabs=", ".join(prepared)
        )
    )
    return EXIT_OK


def _relative(path: Path, folder: Path) -> str:
    """The path as `source:` should hold it: relative to the settings file's folder when inside."""
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path.resolve())
