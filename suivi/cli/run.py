"""`suivi run weekly|daily`: one run of a flow now, and where its e-mails went."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of


def command_run(args: argparse.Namespace) -> int:
    """Run a flow under Prefect and say where the e-mails went (CONTRACT §6.4).

    0: everything due was done; 1: something due was not (a project failed, an e-mail still
    pending, the run stopped half-way); 2: a settings or environment error before any work.
    """
    status = run_flow(args)
    if launched_as_suivi():
        leave(status)
    return status


def launched_as_suivi() -> bool:
    """This process is the `suivi` command itself (not a test or a program calling main())."""
    from suivi.cli import main

    return getattr(sys.modules.get("__main__"), "main", None) is main


def leave(status: int) -> None:
    """Exit now, once the exit handlers ran (Prefect's logs and events reach the server).

    The interpreter's own teardown of a process that imported Prefect, pandas and matplotlib
    costs about a second of CPU and frees nothing the system would not. Only when no other
    thread of ours still works: then the ordinary exit waits for it.
    """
    import atexit
    import threading

    current = threading.current_thread()
    if current is not threading.main_thread() or any(
        thread.is_alive() and not thread.daemon and thread is not current
        for thread in threading.enumerate()
    ):
        return
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def run_flow(args: argparse.Namespace) -> int:
    """Choose the Prefect server, run the flow, print the report; the exit status."""
    from suivi.cli.progress import quiet_prefect, show_progress

    verbose = bool(getattr(args, "verbose", False))
    quiet_prefect(verbose)  # before Prefect is imported
    # Prefect's temporary server (no PREFECT_API_URL) would send telemetry: off, as `suivi serve` does.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from suivi.settings import Env, load_config

    config_path = str(config_path_of(args))
    config = load_config(config_path)  # settings errors show here, before Prefect is imported
    from suivi.adapters.store import open_store

    with open_store(Env().database_url):  # so does an unreachable store: nothing is sent
        pass
    server = choose_server(config.language)
    print(f"suivi: {server.line}", file=sys.stderr, flush=True)
    from flows.common import RunIncomplete  # while a server started above gets ready

    if args.flow == "weekly":
        from flows.weekly import weekly_summary as chosen
    else:
        from flows.daily import daily_watch as chosen
    from tasks.attended import attended

    fallback = server.ready(config.language)
    if fallback:
        print(f"suivi: {fallback}", file=sys.stderr, flush=True)
    show_progress([project.code for project in config.projects], verbose)
    try:
        with (
            attended(sys.stdin.isatty()),  # at a terminal: an outage is said, not waited out
            without_heartbeats(),
        ):
            report = chosen(
                config_path=config_path, as_of=args.as_of, dry_run=args.dry_run, force=args.force
            )
        status = EXIT_OK
    except RunIncomplete as error:
        report, status = error.report, EXIT_PROBLEMS
        print(f"suivi: {describe_incomplete(error, config.language)}", file=sys.stderr)
    except Exception as error:  # the run stopped half-way: say why, without a traceback
        from suivi.i18n.catalogs import gettext

        said = gettext(
            "the {flow} run failed: {error}",
            config.language,
            flow=args.flow,
            error=f"{type(error).__name__}: {error}",
        )
        print(f"suivi: {said}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(describe_report(report, config.language))
    return status


@contextlib.contextmanager
def without_heartbeats() -> Iterator[None]:
    """No heartbeat thread for a run someone started by hand.

    Heartbeats let a server's automations notice a crashed run; none watches these, and
    stopping the thread at the end of the run costs up to a second (it sleeps in 1 s steps).
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@dataclass
class ServerChoice:
    """Which Prefect server the run uses (the sentence that says so), and one still starting."""

    line: str
    starting: Any = None  # flows.lingering_server.Claim of a server started by this command

    def ready(self, language: str) -> str | None:
        """Wait for a server still starting; if it fails, say so and fall back to a temporary one."""
        if self.starting is None:
            return None
        from flows.lingering_server import StartError
        from suivi.i18n.catalogs import gettext

        try:
            self.starting.ready()
        except (StartError, OSError) as error:
            for name in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
                os.environ.pop(name, None)
            refresh_prefect_settings()
            return gettext(
                "the Prefect server did not start ({reason}): a temporary one runs for this run"
                " only",
                language,
                reason=first_line(error),
            )
        return None


def choose_server(language: str) -> ServerChoice:
    """Point Prefect at a server; a server started here is left starting while the flows import.

    PREFECT_API_URL, else a running `suivi serve`'s server, else the URL Prefect's own settings
    name (profile, prefect.toml, a test harness), else the server an earlier `suivi run` left
    running, else one started now and left running (`flows/lingering_server.py`); with
    SUIVI_PREFECT_IDLE_SECONDS=0, or when none can be started, Prefect's temporary server.
    """
    from flows.running_server import choose_api
    from suivi.i18n.catalogs import gettext

    api = choose_api(os.environ)
    if api.url is not None:
        return ServerChoice(api.how)
    from prefect.settings import get_current_settings  # reads env, profile, prefect.toml

    configured = get_current_settings().api.url
    if configured:
        return ServerChoice(
            gettext("Prefect server at {url} (Prefect's settings)", language, url=configured)
        )
    try:
        from flows.lingering_server import StartError, claim, idle_seconds
    except ImportError:  # no fcntl (not a POSIX system): Prefect's temporary server
        return ServerChoice(api.how)

    idle = idle_seconds(os.environ)
    if not idle:
        return ServerChoice(api.how)
    from flows.serve import auth_string, local_home

    try:
        server = claim(os.environ, auth_string(local_home()), idle=idle)
    except (StartError, OSError) as error:
        return ServerChoice(
            gettext(
                "no Prefect server could be started in the background ({reason}): a temporary"
                " one runs for this run only",
                language,
                reason=first_line(error),
            )
        )
    refresh_prefect_settings()
    if server.started_here:
        return ServerChoice(
            gettext(
                "no Prefect server was running: starting one at {url}, left running for the next"
                " runs; it stops after {idle} without work (log: {log})",
                language,
                url=server.api_url,
                idle=duration(server.idle_seconds),
                log=server.log,
            ),
            server,
        )
    server.ready()
    return ServerChoice(
        gettext(
            "Prefect server left running by an earlier `suivi run` at {url} (it stops after"
            " {idle} without work)",
            language,
            url=server.api_url,
            idle=duration(server.idle_seconds),
        )
    )


def refresh_prefect_settings() -> None:
    """Prefect read its settings when imported: read them again from the environment."""
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def duration(seconds: float) -> str:
    """`10 min`, `90 s`."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"


def describe_report(report: dict[str, Any], language: str = "en") -> str:
    """Where the e-mails went, in a few lines, in the settings' language."""
    from suivi.i18n.catalogs import gettext

    projects = ", ".join(report.get("projects", [])) or gettext("none", language)
    lines = [
        gettext(
            "{flow} for {day}: projects {projects}",
            language,
            flow=report.get("flow"),
            day=report.get("as_of"),
            projects=projects,
        ),
        gettext(
            "e-mails: {sent} sent, {already} already sent earlier, {failed} failed",
            language,
            sent=report.get("emails_sent", 0),
            already=report.get("emails_already_sent", 0),
            failed=len(report.get("emails_failed", [])),
        ),
    ]
    lines += [
        "  " + gettext("not sent: {failure}", language, failure=failure)
        for failure in report.get("emails_failed", [])
    ]
    if report.get("mail_unreachable"):
        lines.append(
            gettext(
                "the mail server cannot be used ({reason}): these e-mails stay pending; the next"
                " run sends them",
                language,
                reason=report["mail_unreachable"],
            )
        )
    lines += [
        "  " + gettext("no reply after sending, not resent: {key}", language, key=key)
        for key in report.get("emails_unknown", [])
    ]
    lines += [
        "  " + gettext("bad address dropped: {address}", language, address=address)
        for address in report.get("rejected_addresses", [])
    ]
    written = [path for path in report.get("written", []) if str(path).endswith(".html")]
    if written:
        folder = f"{Path(written[0]).parent}/"
        lines.append(
            gettext("written to {folder} (no SMTP server configured):", language, folder=folder)
        )
        lines += [f"  {path}" for path in written]
    return "\n".join(lines)


def describe_incomplete(error: Exception, language: str) -> str:
    """What a run left undone, in the settings' language, from its report.

    The same sentences as `flows.common.what_was_not_done`, which words them in English for
    the run's log; without a report to read them from, its English message as it is.
    """
    from suivi.i18n.catalogs import ngettext

    report: dict[str, Any] = getattr(error, "report", None) or {}
    if "failed_projects" not in report:
        return str(error)
    missing = []
    failed = report.get("failed_projects") or {}
    if failed:
        names = ", ".join(f"{code} ({why})" for code, why in failed.items())
        missing.append(
            ngettext(
                "{count} project could not be followed: {failed}",
                "{count} projects could not be followed: {failed}",
                len(failed),
                language,
                failed=names,
            )
        )
    unknown = list(report.get("emails_unknown") or [])
    pending = [key for key in report.get("emails_pending") or [] if key not in unknown]
    if pending:
        reason = report.get("mail_unreachable") or _failure_of(pending[0], report)
        missing.append(
            ngettext(
                "{count} e-mail still pending after retries, sent by the next run: {reason}",
                "{count} e-mails still pending after retries, sent by the next run: {reason}",
                len(pending),
                language,
                reason=reason,
            )
        )
    if unknown:
        missing.append(
            ngettext(
                "{count} e-mail of unknown fate (no reply after DATA), not resent: {keys}",
                "{count} e-mails of unknown fate (no reply after DATA), not resent: {keys}",
                len(unknown),
                language,
                keys=", ".join(unknown),
            )
        )
    return "; ".join(missing) or str(error)


def _failure_of(key: str, report: dict[str, Any]) -> str:
    """The error an e-mail failed with, as the report's `emails_failed` lines give it."""
    for line in report.get("emails_failed") or []:
        if str(line).startswith(f"{key}: "):
            return str(line)[len(key) + 2 :]
    return ""
