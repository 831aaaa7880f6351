"""`suivi init [FOLDER]`: a settings file and an environment-file template for a real project."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from suivi.cli.common import EXIT_ERROR, EXIT_OK
from suivi.i18n.catalogs import gettext

SETTINGS_NAME = "suivi.yaml"
ENV_NAME = "suivi.env"


def command_init(args: argparse.Namespace) -> int:
    """Write both files, never over existing ones, and print the next steps."""
    folder: Path = args.folder
    language: str = args.language
    settings, env_file = folder / SETTINGS_NAME, folder / ENV_NAME
    existing = [path for path in (settings, env_file) if path.exists()]
    if existing:
        names = ", ".join(str(path) for path in existing)
        print(
            gettext(
                "suivi init: {names} already exists; nothing was written.", language, names=names
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR
    folder.mkdir(parents=True, exist_ok=True)
    settings.write_text(settings_text(language), encoding="utf-8")
    _write_private(env_file, env_text(folder.resolve(), language))
    print(next_steps(folder, language))
    return EXIT_OK


def settings_text(language: str) -> str:
    """The settings file: one example project, the officer, the team; comments in `language`."""

    def _(message: str) -> str:
        return gettext(message, language)

    return "\n".join(
        [
            "# " + _("suivi settings. Secrets never go here: they go in suivi.env."),
            "# " + _("Lines starting with # are comments. Replace the example values with yours."),
            f"language: {language:<23} # fr, ar, en: " + _("the language of the e-mails"),
            "timezone: Africa/Casablanca       # " + _("the time zone of the dates and schedules"),
            "working_days: false               # "
            + _("true: Saturday, Sunday and public holidays are off"),
            "# "
            + _(
                "The officer receives the weekly summary, the data problems and the failure alerts."
            ),
            "officer:",
            "  name: " + _("Project officer"),
            "  email: officer@example.org",
            "thresholds: {due_soon_days: 14, stale_days: 30}   # "
            + _("days: due soon, without update"),
            "reminders: {committee_days: [7, 1], deliverable_days: [30, 14, 7, 1]}  # "
            + _("days before"),
            "projects:",
            "  - code: PROJET                  # "
            + _("short name used in subjects (letters, digits, - and _)"),
            "    name: " + _("My project"),
            "    # "
            + _("The team spreadsheet: a Google Sheet URL, or a workbook next to this file."),
            "    # " + _("`suivi sheet create PROJET` makes one and prints what to put here."),
            "    source: projet.xlsx",
            "    # " + _("Who receives the weekly summary besides the officer."),
            "    team: [equipe@example.org]",
            "",
        ]
    )


def env_text(folder: Path, language: str) -> str:
    """The environment file (systemd's EnvironmentFile format): secrets and this machine's paths."""

    def _(message: str) -> str:
        return gettext(message, language)

    return "\n".join(
        [
            "# "
            + _(
                "suivi environment: secrets and paths of this machine. Keep it readable by its owner only."
            ),
            "# " + _("Load it in a shell with: set -a; . ./suivi.env; set +a"),
            f"SUIVI_CONFIG={folder / SETTINGS_NAME}",
            f"SUIVI_DATABASE_URL=sqlite:///{folder / 'data' / 'suivi.db'}",
            f"SUIVI_OUTBOX_DIR={folder / 'outbox'}",
            "# " + _("Google: a service-account key, or the file `suivi auth google` writes."),
            f"# SUIVI_GOOGLE_CREDENTIALS={folder / 'google-credentials.json'}",
            "# "
            + _("Mail (see docs/mise-en-route.md for Gmail, Google Workspace and Microsoft 365)."),
            "# SUIVI_SMTP_HOST=smtp.gmail.com",
            "# SUIVI_SMTP_PORT=587",
            "# SUIVI_SMTP_SECURITY=starttls",
            "# SUIVI_SMTP_USER=officer@example.org",
            "# SUIVI_SMTP_PASSWORD=",
            "# SUIVI_MAIL_FROM=officer@example.org",
            "# " + _("Or log in with OAuth2 instead of a password:"),
            "# SUIVI_SMTP_AUTH=xoauth2",
            "# SUIVI_SMTP_OAUTH_TOKEN_URL=https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
            "# SUIVI_SMTP_OAUTH_CLIENT_ID=",
            "# SUIVI_SMTP_OAUTH_CLIENT_SECRET=",
            "# SUIVI_SMTP_OAUTH_REFRESH_TOKEN=",
            "",
        ]
    )


def next_steps(folder: Path, language: str) -> str:
    """What to do now, in the officer's language."""
    settings, env_file = folder / SETTINGS_NAME, folder / ENV_NAME
    lines = [
        gettext(
            "Written: {settings}, and {env} readable by you only.",
            language,
            settings=settings,
            env=env_file,
        ),
        gettext("Next steps:", language),
        gettext(
            "1. Edit {settings}: your name and address, the project, the team.",
            language,
            settings=settings,
        ),
        gettext(
            "2. Make the team's spreadsheet: suivi sheet create PROJET --xlsx {path} (or a Google Sheet, see the guide), and put what it prints in source:.",
            language,
            path=folder / "projet.xlsx",
        ),
        gettext(
            "3. Fill in {env}: Google credentials and the mailbox (SUIVI_SMTP_*).",
            language,
            env=env_file,
        ),
        gettext("4. Load it: set -a; . {env}; set +a", language, env=env_file),
        gettext("5. Check everything: suivi check, then suivi check --mail", language),
        gettext(
            "6. Try a run without sending: suivi run weekly --dry-run; then run it on a schedule: suivi serve",
            language,
        ),
        gettext("The guide, step by step: docs/mise-en-route.md", language),
    ]
    return "\n".join(lines)


def _write_private(path: Path, text: str) -> None:
    """Create the file 0600 from the start (it will hold passwords); never replace one."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
