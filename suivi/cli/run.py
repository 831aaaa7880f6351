"""`suivi run weekly|daily`: one run of a flow now, and where its e-mails went."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from suivi.cli.common import EXIT_OK, EXIT_PROBLEMS, config_path_of


def command_run(args: argparse.Namespace) -> int:
    """Run a flow under Prefect and say where the e-mails went (CONTRACT §6.4).

    0: everything due was done; 1: something due was not (a project failed, an e-mail still
    pending, the run stopped half-way); 2: a settings or environment error before any work.
    """
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
    from flows.running_server import choose_api

    print(f"suivi: {choose_api(os.environ).how}", file=sys.stderr, flush=True)
    from flows.common import RunIncomplete  # Prefect reads its settings here, after the choice

    if args.flow == "weekly":
        from flows.weekly import weekly_summary as chosen
    else:
        from flows.daily import daily_watch as chosen
    from tasks.attended import attended

    show_progress([project.code for project in config.projects], verbose)
    try:
        with attended(sys.stdin.isatty()):  # at a terminal: an outage is said, not waited out
            report = chosen(
                config_path=config_path, as_of=args.as_of, dry_run=args.dry_run, force=args.force
            )
        status = EXIT_OK
    except RunIncomplete as error:
        report, status = error.report, EXIT_PROBLEMS
        print(f"suivi: {error}", file=sys.stderr)
    except Exception as error:  # the run stopped half-way: say why, without a traceback
        print(
            f"suivi: the {args.flow} run failed: {type(error).__name__}: {error}", file=sys.stderr
        )
        return EXIT_PROBLEMS
    print(describe_report(report))
    return status


def describe_report(report: dict[str, Any]) -> str:
    """Where the e-mails went, in a few lines."""
    lines = [
        f"{report.get('flow')} for {report.get('as_of')}: projects {', '.join(report.get('projects', [])) or 'none'}",
        f"e-mails: {report.get('emails_sent', 0)} sent, {report.get('emails_already_sent', 0)} already sent earlier, "
        f"{len(report.get('emails_failed', []))} failed",
    ]
    lines += [f"  not sent: {failure}" for failure in report.get("emails_failed", [])]
    if report.get("mail_unreachable"):
        lines.append(
            f"the mail server cannot be used ({report['mail_unreachable']}):"
            " these e-mails stay pending; the next run sends them"
        )
    lines += [
        f"  no reply after sending, not resent: {key}" for key in report.get("emails_unknown", [])
    ]
    lines += [
        f"  bad address dropped: {address}" for address in report.get("rejected_addresses", [])
    ]
    written = [path for path in report.get("written", []) if str(path).endswith(".html")]
    if written:
        lines.append(f"written to {Path(written[0]).parent}/ (no SMTP server configured):")
        lines += [f"  {path}" for path in written]
    return "\n".join(lines)
