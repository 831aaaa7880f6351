"""The parsers of `suivi init`, `suivi sheet`, `suivi auth` and `suivi server`: argparse only, so building the
command line never imports what those commands need (catalogs, Google, openpyxl).
"""

from __future__ import annotations

import argparse
from pathlib import Path

CONFIG_HELP = "settings file (default: $SUIVI_CONFIG or config/suivi.yaml)"


def add_init_command(commands: argparse._SubParsersAction) -> None:
    """`suivi init [FOLDER] [--language fr|ar|en]`."""
    text = "write a commented settings file and an environment-file template, then say what next"
    init = commands.add_parser("init", help=text, description=text)
    init.add_argument("folder", nargs="?", default=".", type=Path, help="where (default: here)")
    init.add_argument(
        "--language",
        choices=["fr", "ar", "en"],
        default="fr",
        help="the officer's language: e-mails and these instructions (default: fr)",
    )


def add_sheet_commands(commands: argparse._SubParsersAction) -> None:
    """`suivi sheet create PROJECT [--xlsx PATH]` and `suivi sheet prepare PROJECT`."""
    text = "make the team's tracking spreadsheet, or prepare an existing one"
    sheet = commands.add_parser("sheet", help=text, description=text)
    actions = sheet.add_subparsers(dest="sheet_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="a new Google Sheet (shared with the team) or .xlsx with the five tabs laid out",
        description="a new Google Sheet (shared with the team) or .xlsx with the five tabs laid out",
    )
    create.add_argument("project", help="the project's code in the settings file")
    create.add_argument("--xlsx", type=Path, help="write a workbook at this path instead")
    create.add_argument("--config", help=CONFIG_HELP)
    prepare = actions.add_parser(
        "prepare",
        help="add drop-downs, date and percentage validation to the project's Google Sheet; no value changes",
        description="add drop-downs, date and percentage validation to the project's Google Sheet; no value changes",
    )
    prepare.add_argument("project", help="the project's code in the settings file")
    prepare.add_argument("--config", help=CONFIG_HELP)


def add_auth_commands(commands: argparse._SubParsersAction) -> None:
    """`suivi auth google --client-secrets FILE [--out PATH] [--no-browser] [--language L]`."""
    text = "sign in to Google once (OAuth, in a browser) and keep the refresh token for the runs"
    auth = commands.add_parser("auth", help=text, description=text)
    providers = auth.add_subparsers(dest="provider", required=True, metavar="PROVIDER")
    google = providers.add_parser("google", help=text, description=text)
    google.add_argument(
        "--client-secrets",
        type=Path,
        required=True,
        help="the OAuth client file (Desktop app) downloaded from Google Cloud",
    )
    google.add_argument(
        "--out",
        type=Path,
        help="where to keep the credentials (default: $SUIVI_GOOGLE_CREDENTIALS or"
        " ./google-credentials.json)",
    )
    google.add_argument(
        "--no-browser", action="store_true", help="print the sign-in link instead of opening it"
    )
    google.add_argument("--language", choices=["fr", "ar", "en"], default="fr")


def add_server_commands(commands: argparse._SubParsersAction) -> None:
    """`suivi server stop [--force]`."""
    text = "the Prefect server `suivi run` leaves running in the background (it stops when idle)"
    server = commands.add_parser("server", help=text, description=text)
    actions = server.add_subparsers(dest="server_command", required=True, metavar="ACTION")
    stop_text = "stop it now (a run still using it keeps it, unless --force)"
    stop = actions.add_parser("stop", help=stop_text, description=stop_text)
    stop.add_argument("--force", action="store_true", help="stop it even while a run uses it")
    stop.add_argument("--config", help=CONFIG_HELP)
