"""What `suivi check` verifies besides the data: edit rights, the store, the mail settings.

And `suivi check --mail`: one test e-mail, and what to change when it fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from suivi.adapters.source import SourceError, google_key
from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of
from suivi.i18n.catalogs import N_, gettext
from suivi.model import Problem, RawTabs
from suivi.settings import Config, Env, Project, load_config


def readiness_problems(config: Config, env: Env, projects: list[Project]) -> list[Problem]:
    """Edit rights on these projects' sheets, the history store, the mail settings."""
    problems = [problem for project in projects for problem in _editable(project, config, env)]
    problems += _store(env)
    problems += _mail_settings(env)
    return problems


def required_tab_problems(project: str, tabs: RawTabs) -> list[Problem]:
    """A run of a project without `Indicateurs` fails (§6.3): say so now, naming the tabs found.

    A missing `Activités` is already a blocking data problem of the cleaning step.
    """
    from suivi.schema import TAB_HEADERS, Tab
    from suivi.sheet.clean import match_tabs

    if Tab.INDICATORS in match_tabs(tabs):
        return []
    return [
        _problem(
            project,
            "",
            N_("the run needs the tab {tab}: not found (tabs found: {found})"),
            tab=TAB_HEADERS[Tab.INDICATORS][0],
            found=", ".join(tabs) or "-",
        )
    ]


def _editable(project: Project, config: Config, env: Env) -> list[Problem]:
    """The run writes two tabs back: the sheet (or workbook) must be editable, not only readable."""
    key = google_key(project.source)
    if project.write_back is False:
        return []
    if key is None:
        target = (
            config.resolve(project.write_back)
            if isinstance(project.write_back, str)
            else config.resolve(project.source)
        )
        if _writable(target):
            return []
        return [
            _problem(
                project.code,
                str(target),
                N_("suivi cannot write to {path}: give this user write access"),
                path=target,
            )
        ]
    from suivi.adapters.google_layout import can_edit
    from suivi.adapters.google_sheets import open_google_sheet

    try:
        sheet = open_google_sheet(key, env)
        if can_edit(sheet):
            return []
        hint = sheet.identity.share_hint()
    except SourceError as error:
        return [
            _problem(
                project.code,
                key,
                N_("cannot check who may edit the sheet: {error}"),
                blocking=False,
                error=error,
            )
        ]
    return [
        _problem(
            project.code, key, N_("suivi can read the sheet but not edit it: {hint}"), hint=hint
        )
    ]


def _writable(target: Path) -> bool:
    """The file can be replaced, or created (the writer makes missing folders)."""
    if target.exists():
        return os.access(target, os.W_OK) and os.access(target.parent, os.W_OK)
    existing = next(folder for folder in target.parents if folder.exists())
    return os.access(existing, os.W_OK)


def _store(env: Env) -> list[Problem]:
    """The history store opens and its schema is brought up to date (as a run would)."""
    from suivi.adapters.store import StoreError, open_store

    try:
        open_store(env.database_url).close()
    except StoreError as error:
        return [_problem("", "", N_("the history store cannot be used: {error}"), error=error)]
    return []


def _mail_settings(env: Env) -> list[Problem]:
    """SMTP settings a run can log in with (no server at all is fine: the outbox folder)."""
    if not env.smtp_host:
        return [
            _problem(
                "",
                "",
                N_("no SMTP server (SUIVI_SMTP_HOST): e-mails go to the outbox folder"),
                blocking=False,
            )
        ]
    if env.smtp_user and env.smtp_password is None and env.smtp_auth != "xoauth2":
        return [_problem("", "", N_("SUIVI_SMTP_USER is set but SUIVI_SMTP_PASSWORD is not"))]
    # Imported here: it brings requests (a tenth of a second), useless without a mail server.
    from suivi.adapters.mail_oauth import oauth_settings_problem

    problem = oauth_settings_problem(env)
    return (
        [_problem("", "", N_("the mail settings are incomplete: {problem}"), problem=problem)]
        if problem
        else []
    )


def _problem(
    project: str, value: str, message: str, blocking: bool = True, **params: object
) -> Problem:
    """A readiness problem: an English message marked for translation, its values in params."""
    values = {name: str(value) for name, value in params.items()}
    return Problem(project, "", "", value, message, blocking=blocking, params=values)


def describe(problem: Problem, language: str) -> str:
    """One readiness problem in the officer's language."""
    where = f"{problem.project}: " if problem.project else ""
    mark = "✗" if problem.blocking else "!"
    text = gettext(problem.message, language, **{k: str(v) for k, v in problem.params.items()})
    return f"{mark} {where}{text}"


def command_check_mail(args: argparse.Namespace) -> int:
    """Send one test e-mail; say what failed and what to change."""
    from suivi.adapters.mail import sender_of
    from suivi.adapters.mail_check import send_test_email

    config, env = load_config(config_path_of(args)), Env()
    language = config.language
    recipient = args.to or config.officer.email
    sender = sender_of(env, config.officer.email)
    result = send_test_email(
        env,
        sender,
        recipient,
        gettext("suivi: test e-mail", language),
        gettext("This e-mail checks the mail settings of suivi. Nothing to do.", language),
    )
    if result.ok:
        print(
            gettext(
                "Test e-mail sent to {recipient} from {sender} through {host}:{port}. Look in the inbox (and the spam folder).",
                language,
                recipient=recipient,
                sender=sender,
                host=env.smtp_host,
                port=env.smtp_port or "-",
            )
        )
        return EXIT_OK
    print(gettext("The test e-mail was not sent.", language), file=sys.stderr)
    if result.detail:
        print(gettext("The server said: {detail}", language, detail=result.detail), file=sys.stderr)
    print(advice(result.step, language, env, sender, recipient), file=sys.stderr)
    return EXIT_PROBLEMS


def advice(step: str, language: str, env: Env, sender: str, recipient: str) -> str:
    """What to change, for the step that failed."""
    where = f"{env.smtp_host}:{env.smtp_port or '-'}"
    if step == "settings":
        return gettext(
            "No mail server is set: e-mails go to the outbox folder. Set SUIVI_SMTP_HOST and the other SUIVI_SMTP_* variables in the environment file.",
            language,
        )
    if step == "connect":
        return gettext(
            "Nothing answered at {where}. Check SUIVI_SMTP_HOST and SUIVI_SMTP_PORT (587 with starttls, 465 with ssl); a firewall may block the port.",
            language,
            where=where,
        )
    if step == "tls":
        return gettext(
            "The secure connection failed. Check SUIVI_SMTP_SECURITY: starttls for port 587, ssl for port 465; the server's certificate must be valid for SUIVI_SMTP_HOST.",
            language,
        )
    if step == "login":
        return gettext(
            "The server refused the login. Check SUIVI_SMTP_USER and SUIVI_SMTP_PASSWORD: Gmail and Google Workspace need an app password (two-step verification on); Microsoft 365 needs SMTP AUTH enabled for the mailbox, or SUIVI_SMTP_AUTH=xoauth2.",
            language,
        )
    if step == "sender":
        return gettext(
            "The server refused the sender {sender}. Set SUIVI_MAIL_FROM to the mailbox's own address, or to an alias it may send as.",
            language,
            sender=sender,
        )
    if step == "recipient":
        return gettext(
            "The server refused the recipient {recipient}. Check the address (--to).",
            language,
            recipient=recipient,
        )
    return gettext(
        "The server refused the message after reading it. Read its answer above; a 4xx answer passes, try again later.",
        language,
    )
