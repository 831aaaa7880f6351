"""The `suivi` command: run a flow, check the sheets, print the status, serve, preview."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from suivi.adapters.sheets import SourceError
from suivi.adapters.store import StoreError, open_store
from suivi.settings import ConfigError, Env, load_config

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def iso_date(text: str) -> dt.date:
    """--as-of YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """Every command and option of the contract (§3)."""
    parser = argparse.ArgumentParser(
        prog="suivi", description="Monitoring & evaluation that runs by itself."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--config", help="settings file (default: $SUIVI_CONFIG or config/suivi.yaml)"
        )
        return sub

    run = add("run", "run one flow now: weekly summary or daily watch")
    run.add_argument("flow", choices=["weekly", "daily"])
    run.add_argument(
        "--as-of",
        type=iso_date,
        help="the day to run for (default: today in the configured time zone)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="write every e-mail to the outbox folder, send none, record nothing",
    )
    run.add_argument(
        "--force", action="store_true", help="send again e-mails already sent for this day"
    )

    check = add("check", "read the sheets and print every data problem; exit 1 if a row is blocked")
    check.add_argument("--format", choices=["table", "json"], default="table")

    status = add("status", "print the computed state of every activity, deliverable and indicator")
    status.add_argument("--as-of", type=iso_date)
    status.add_argument("--format", choices=["table", "csv", "json"], default="table")

    add("serve", "run every deployment of prefect.yaml on its schedule, unattended")

    preview = add("preview", "write the e-mails a flow would send as HTML files, send nothing")
    preview.add_argument("occasion", choices=["weekly", "daily", "committee"])
    preview.add_argument("--as-of", type=iso_date)
    preview.add_argument("--out", type=Path, required=True, help="folder for the HTML files")

    from suivi.cli.reports import add_import_commands, add_report_commands

    add_report_commands(commands)
    add_import_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(COMMANDS[args.command](args))
    except ConfigError as error:
        print(f"suivi: settings error:\n{error}", file=sys.stderr)
        return EXIT_ERROR
    except (SourceError, StoreError) as error:
        print(f"suivi: {error}", file=sys.stderr)
        return EXIT_ERROR


def command_run(args: argparse.Namespace) -> int:
    """Run a flow under Prefect and say where the e-mails went."""
    from flows.common import ProjectsFailed

    config_path = str(_config_path(args))
    load_config(config_path)  # settings errors show here, before Prefect starts
    with open_store(Env().database_url):  # so does an unreachable store: nothing is sent
        pass
    if args.flow == "weekly":
        from flows.weekly import weekly_summary as chosen
    else:
        from flows.daily import daily_watch as chosen
    try:
        report = chosen(
            config_path=config_path, as_of=args.as_of, dry_run=args.dry_run, force=args.force
        )
        status = EXIT_OK
    except ProjectsFailed as error:
        report, status = error.report, EXIT_PROBLEMS
        print(f"suivi: {error}", file=sys.stderr)
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
    lines += [
        f"  bad address dropped: {address}" for address in report.get("rejected_addresses", [])
    ]
    written = [path for path in report.get("written", []) if str(path).endswith(".html")]
    if written:
        lines.append(f"written to {Path(written[0]).parent}/ (no SMTP server configured):")
        lines += [f"  {path}" for path in written]
    return "\n".join(lines)


def command_check(args: argparse.Namespace) -> int:
    """Every data problem of every project; exit 1 when one blocks a row."""
    from suivi.jobs.pipeline import read_project
    from suivi.model import Problem, problems_frame
    from suivi.sheet.clean import clean_project

    config, env = load_config(_config_path(args)), Env()
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
    if args.format == "json":
        print(json.dumps([problem.as_dict() for problem in problems], ensure_ascii=False, indent=2))
    elif problems:
        print(problems_frame(problems).to_string(index=False, max_colwidth=60))
    else:
        print("no data problems")
    return EXIT_PROBLEMS if unreadable or any(problem.blocking for problem in problems) else EXIT_OK


def command_status(args: argparse.Namespace) -> int:
    """The computed state of everything, as a table, CSV or JSON."""
    from suivi.compute.status import status_records
    from suivi.jobs.pipeline import assess_project, read_project

    config, env = load_config(_config_path(args)), Env()
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
    print(format_records(records, args.format))
    return EXIT_PROBLEMS if failed else EXIT_OK


def format_records(records: list[dict[str, Any]], output: str) -> str:
    """JSON (stable English names), CSV, or an aligned table."""
    if output == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    table = pd.DataFrame(records)
    if table.empty:
        return "nothing to show"
    table = table.assign(flags=table["flags"].map(lambda flags: " ".join(flags)))
    if output == "csv":
        return table.to_csv(index=False).rstrip("\n")
    shown = table.assign(achievement=table["achievement"].map(_percent))
    return shown.to_string(index=False, na_rep="", max_colwidth=50)


def _percent(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.0%}"


def command_serve(args: argparse.Namespace) -> int:
    """Run every deployment of prefect.yaml on its schedule."""
    from flows.serve import serve_all

    return serve_all(config_path=str(_config_path(args)))


def command_preview(args: argparse.Namespace) -> int:
    """Write the e-mails of an occasion as HTML pages; nothing is sent or recorded."""
    from suivi.jobs.preview import write_previews

    config = load_config(_config_path(args))
    paths = write_previews(args.occasion, config, Env(), args.as_of or config.today(), args.out)
    print(f"{len(paths)} e-mail(s) written to {args.out}/")
    for path in paths:
        print(f"  {path}")
    return EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    """`suivi report committee|iptt`: the meeting pack, or the funder's tracking table."""
    from suivi.cli.reports import command_report as report

    return report(args)


def command_import(args: argparse.Namespace) -> int:
    """`suivi import iati FILE --out WORKBOOK`: IATI activities onto the contract's tabs."""
    from suivi.cli.reports import command_import as run_import

    return run_import(args)


def _config_path(args: argparse.Namespace) -> Path:
    from suivi.settings import config_path

    return config_path(args.config)


COMMANDS = {
    "run": command_run,
    "check": command_check,
    "status": command_status,
    "serve": command_serve,
    "preview": command_preview,
    "report": command_report,
    "import": command_import,
}

if __name__ == "__main__":
    sys.exit(main())
