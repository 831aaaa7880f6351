"""`suivi report committee|iptt` and `suivi import iati`: argparse set-up and handlers.

`suivi.cli` registers them with `add_report_commands(commands)` and
`add_import_commands(commands)`, and dispatches `report` to `command_report` and `import`
to `command_import`; each handler returns the exit code.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suivi.cli.common import iso_date
from suivi.errors import SourceError, StoreError

if TYPE_CHECKING:  # imported when a report runs, not when the parser is built
    from suivi.adapters.store import Store
    from suivi.settings import Config, Env

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
DEFAULT_PACK_DIR = Path("reports")  # git-ignored: packs and tables are outputs
PROJECT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")  # as the settings accept it


def add_report_commands(subparsers: Any) -> None:
    """Register `report committee` and `report iptt` on the `suivi` command's subparsers."""
    kinds = _command_group(
        subparsers,
        "report",
        "write a committee pack (HTML, PDF or Word) or the funders' indicator table (IPTT, .xlsx)",
        dest="report",
        metavar="REPORT",
    )
    committee = kinds.add_parser(
        "committee",
        help="the pack of each project's next meeting in « Comités »",
        description="The printable pack (HTML, PDF or Word) of each project's next meeting in « Comités »: "
        "since the last committee, timeline, decisions, deliverables, indicators.",
    )
    committee.add_argument(
        "--date", type=iso_date, help="the meeting's date (default: the next one in « Comités »)"
    )
    committee.add_argument(
        "--as-of", type=iso_date, help="the day the pack describes (default: today)"
    )
    committee.add_argument(
        "--format",
        choices=["html", "pdf", "docx"],
        default="html",
        help="html (to print from a browser), pdf (needs Chromium) or docx (Word, editable)",
    )
    committee.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_PACK_DIR,
        help=f"folder for the packs (default: {DEFAULT_PACK_DIR}/)",
    )
    _add_config(committee)
    committee.set_defaults(handler=report_committee)
    iptt = kinds.add_parser(
        "iptt",
        help="the Indicator Performance Tracking Table, one sheet per project",
        description="The Indicator Performance Tracking Table (.xlsx): per indicator, baseline, "
        "target, value per quarter, cumulative, % achieved and the source cells; one sheet per project.",
    )
    iptt.add_argument(
        "--out",
        type=Path,
        help=f"the workbook to write (default: {DEFAULT_PACK_DIR}/iptt-YYYY-MM-DD.xlsx)",
    )
    iptt.add_argument("--as-of", type=iso_date, help="the day the table describes (default: today)")
    _add_config(iptt)
    iptt.set_defaults(handler=report_iptt)


def add_import_commands(subparsers: Any) -> None:
    """Register `import iati FILE --out WORKBOOK [--code CODE]`."""
    summary = "turn another format into a workbook with the contract's tabs"
    sources = _command_group(subparsers, "import", summary, dest="source", metavar="FORMAT")
    iati = sources.add_parser(
        "iati",
        help="an IATI activity file (XML, 2.0x or 1.0x)",
        description="Map IATI activities, dates, statuses and result indicators onto the tabs "
        "Activités, Indicateurs and Mesures; every unreadable value is listed, never guessed.",
    )
    iati.add_argument("file", type=Path, help="the IATI XML file")
    iati.add_argument("--out", type=Path, required=True, help="the workbook to write (.xlsx)")
    iati.add_argument(
        "--code",
        type=_project_code,
        default="IATI",
        help="project code for the problems listed (default: IATI)",
    )
    iati.set_defaults(handler=import_iati_file)


def _command_group(subparsers: Any, name: str, summary: str, *, dest: str, metavar: str) -> Any:
    """Register a command made of subcommands; its description is its help as a sentence."""
    command = subparsers.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}."
    )
    return command.add_subparsers(dest=dest, required=True, metavar=metavar)


def command_report(args: argparse.Namespace) -> int:
    """Dispatch `suivi report …` to its handler."""
    return int(args.handler(args))


def command_import(args: argparse.Namespace) -> int:
    """Dispatch `suivi import …` to its handler."""
    return int(args.handler(args))


def report_committee(args: argparse.Namespace) -> int:
    """Write each project's committee pack (HTML, PDF or Word).

    Exit 1 if a project could not be read or has no meeting ahead; 2 if no project has a
    meeting on `--date` (the planned meetings are listed) or no PDF can be made here.
    """
    import jinja2

    from suivi.adapters.printing import PrintingUnavailable
    from suivi.jobs.committee import pack_documents, prepare_committee_pack, write_committee_pack
    from suivi.jobs.pipeline import view_project
    from suivi.notify.render import template_environment
    from suivi.report.committee import NoMeetingError, pack_file_name, render_committee_pack

    config, env = _load(args)
    as_of = args.as_of or config.today()
    templates = template_environment(config.template_folder())
    status = EXIT_OK
    store = _store_or_none(env)
    packs, pages, elsewhere = [], [], []
    try:
        for project in config.projects:
            try:
                view = view_project(project, config, env, as_of, store)
                pack = prepare_committee_pack(view, config, as_of, store, meeting_date=args.date)
                pages.append(render_committee_pack(pack, templates))
                packs.append(pack)
            except NoMeetingError as error:
                if args.date is None:
                    print(f"suivi: {project.code}: {error}", file=sys.stderr)
                    status = EXIT_PROBLEMS
                elsewhere.append((project.code, error.meetings))
            except SourceError as error:
                print(f"suivi: {project.code}: {error}", file=sys.stderr)
                status = EXIT_PROBLEMS
            except jinja2.TemplateNotFound as error:
                print(
                    f"suivi: template {error.name} not found in {config.template_folder()}",
                    file=sys.stderr,
                )
                return EXIT_ERROR
    finally:
        if store is not None:
            store.close()
    if args.date is not None and not packs and elsewhere:
        print(
            f"suivi: no committee on {args.date.isoformat()}; the meetings planned:",
            file=sys.stderr,
        )
        for code, meetings in elsewhere:
            dates = ", ".join(day.isoformat() for day in meetings) or "none"
            print(f"  {code}: {dates}", file=sys.stderr)
        return EXIT_ERROR
    try:
        documents = pack_documents(pages, args.format)
    except PrintingUnavailable as error:
        print(f"suivi: no PDF made: {error}; use --format docx or html", file=sys.stderr)
        return EXIT_ERROR
    for pack, content in zip(packs, documents, strict=True):
        path = write_committee_pack(content, args.out, pack_file_name(pack, args.format))
        print(f"{pack.project_code}: {path}")
    return status


def report_iptt(args: argparse.Namespace) -> int:
    """Write the IPTT workbook; exit 1 if a project could not be read (the others are written)."""
    from suivi.jobs.iptt import IpttProject, value_column_letter, write_iptt
    from suivi.jobs.pipeline import assess_project, read_project
    from suivi.schema import TAB_HEADERS, Tab

    config, env = _load(args)
    as_of = args.as_of or config.today()
    projects: list[IpttProject] = []
    status = EXIT_OK
    for project in config.projects:
        try:
            tabs = read_project(project, config, env)
        except SourceError as error:
            print(f"suivi: {project.code}: {error}", file=sys.stderr)
            status = EXIT_PROBLEMS
            continue
        assessment = assess_project(project, config, tabs, as_of)
        tables = assessment.tables
        projects.append(
            IpttProject(
                code=project.code,
                name=project.name,
                indicators=assessment.indicators,
                measures=tables.measures,
                definitions=tables.indicators,
                language=config.language_of(project),
                measures_tab=tables.tab_titles.get(
                    Tab.MEASURES.value, TAB_HEADERS[Tab.MEASURES][0]
                ),
                value_column=value_column_letter(tabs) or "C",
                targets=tables.targets,
            )
        )
    if not projects:
        print("suivi: no project could be read: nothing written", file=sys.stderr)
        return EXIT_PROBLEMS
    path = args.out or DEFAULT_PACK_DIR / f"iptt-{as_of.isoformat()}.xlsx"
    write_iptt(projects, path, as_of)
    print(f"{path} ({', '.join(project.code for project in projects)})")
    return status


def import_iati_file(args: argparse.Namespace) -> int:
    """Write the workbook and list every value left out; exit 1 when a row is blocked, 2 on a bad file."""
    from suivi.adapters.iati import IatiError, import_iati, write_workbook
    from suivi.model import problems_frame

    try:
        tabs, problems = import_iati(args.file, project=args.code)
    except OSError as error:
        print(f"suivi: cannot read {args.file}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    except IatiError as error:
        print(f"suivi: {args.file}: {error}", file=sys.stderr)
        return EXIT_ERROR
    write_workbook(tabs, args.out)
    if problems:
        print(problems_frame(problems).to_string(index=False, max_colwidth=80))
    counts = ", ".join(f"{title}: {len(rows) - 1}" for title, rows in tabs.items())
    print(f"{args.out}: {counts}; {len(problems)} value(s) left out or empty, listed above")
    print(
        "to follow it, add to the settings' projects:\n"
        f"  - {{code: {args.code}, name: {args.file.stem}, source: {args.out}}}"
    )
    return EXIT_PROBLEMS if any(problem.blocking for problem in problems) else EXIT_OK


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", help="settings file (default: $SUIVI_CONFIG or config/suivi.yaml)"
    )


def _load(args: argparse.Namespace) -> tuple[Config, Env]:
    """The settings (errors propagate to `suivi.cli.main`, which prints them) and the environment."""
    from suivi.settings import Env, config_path, load_config

    return load_config(config_path(args.config)), Env()


def _store_or_none(env: Env) -> Store | None:
    """The history store, or None (said on stderr) when it cannot be opened: the pack still comes."""
    from suivi.adapters.store import open_store

    try:
        return open_store(env.database_url)
    except StoreError as error:
        print(f"suivi: {error}; the pack compares with the sheet's dates only", file=sys.stderr)
        return None


def _project_code(text: str) -> str:
    """A project code as the settings accept it."""
    if not PROJECT_CODE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"not a project code (letters, digits, _ or -, up to 20): {text!r}"
        )
    return text


__all__ = [
    "add_import_commands",
    "add_report_commands",
    "command_import",
    "command_report",
    "import_iati_file",
    "report_committee",
    "report_iptt",
]
