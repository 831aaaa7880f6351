"""Secrets stay secret, files stay private, sheet text stays text.

One portfolio runs for real through the `suivi` command under Prefect: a workbook whose
cells try script injection, header injection, formula injection and `javascript:` links,
and a Google Sheet served by the fake Sheets API (signed JWT, token exchange), e-mailed
through an SMTP server that requires a login. Every trace of those runs is then scanned
for the SMTP password and the service account's private key: logs, stdout and stderr, the
e-mails received, the outbox files, every table of the store, what Prefect recorded
(artifacts, logs, run states), the written-back tabs and the texts of the exceptions.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import shutil
import stat
import traceback
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from fakes.service_account import ServiceAccount
from fakes.sheets_api import FakeSheetsApi, raw_cell, tabs_from_workbook
from fakes.smtp import FakeSmtpServer

from suivi.adapters.google_sheets import GoogleSheets
from suivi.adapters.mail import MailError, Smtp, message_of
from suivi.adapters.sheets import SourceError
from suivi.adapters.store import metadata, open_store
from suivi.cli import main
from suivi.notify.render import template_environment
from suivi.settings import Env

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo"
AS_OF = dt.date(2026, 12, 7)
KEY = "1InserSuiviAgadir2026SecurityTestKey0123"
USER = "suivi-bot"
PASSWORD = "Sm7p-S3cret-P4ss!"
WRONG_PASSWORD = "Wr0ng-S3cret-Gu3ss"
SCRIPT = '<script>alert("suivi")</script> Cartographie & annuaire'
INJECTED_OWNER = "Hicham Idrissi\r\nBcc: victim@evil.example"
INJECTED_BODY = "COPIL\r\nBcc: evil@evil.example"
FORMULA = '=HYPERLINK("http://evil.example/x","clic")'
JAVASCRIPT = "javascript:alert(document.cookie)"
MEETING = "https://meet.example.org/copil-2026"
# The fake SMTP server logs the AUTH exchange at DEBUG: that is the test's server, not suivi.
FOREIGN_LOGGERS = ("mail.log",)


def hostile_workbook(path: Path) -> Path:
    """The demo's TPM workbook with hostile text in the cells a team member could type into."""
    book = openpyxl.load_workbook(DEMO / "tpm.xlsx")
    activities = book["Activités"]
    activities["C14"] = SCRIPT  # A2.5, late: in the summary and the owner's digest
    activities["D14"] = INJECTED_OWNER
    activities["A4"] = FORMULA  # an ID that would be a formula if written back as typed
    activities["A4"].data_type = "s"  # typed as text, as a person would with a leading '
    committees = book["Comités"]
    committees["C3"] = INJECTED_BODY  # the COPIL of 14/12: its J-7 reminder is due on AS_OF
    committees["D3"] = MEETING
    committees["D4"] = JAVASCRIPT
    book.save(path)
    return path


@pytest.fixture
def portfolio(
    tmp_path: Path,
    sheets_api: FakeSheetsApi,
    service_account_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Path, FakeSmtpServer]]:
    """Settings for TPM (hostile workbook) and INSER (Google), and the environment of a run."""
    inser = tabs_from_workbook(DEMO / "inser.xlsx")
    inser["Activités"][3][0] = raw_cell(FORMULA)  # J1's ID, written back by the Sheets API
    sheets_api.add_spreadsheet(KEY, "Suivi INSER", inser)
    workbook = hostile_workbook(tmp_path / "tpm.xlsx")
    config = tmp_path / "suivi.yaml"
    config.write_text(
        f"""\
officer: {{name: Chargée de projet, email: officer@example.org}}
projects:
  - code: TPM
    name: Territorialisation des politiques migratoires
    source: {workbook}
    start: 2025-03-01
    team: [equipe@example.org]
    write_back: {tmp_path / "written" / "tpm-suivi.xlsx"}
  - code: INSER
    name: Insertion économique des migrants de retour
    source: https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0
    team: [equipe-inser@example.org]
""",
        encoding="utf-8",
    )
    server = FakeSmtpServer(user=USER, password=PASSWORD).start()
    for name in list(os.environ):
        if name.startswith("SUIVI_") and not name.startswith("SUIVI_TEST_"):
            monkeypatch.delenv(name)
    environment = {
        "SUIVI_DATABASE_URL": f"sqlite:///{tmp_path / 'private' / 'history' / 'suivi.db'}",
        "SUIVI_OUTBOX_DIR": str(tmp_path / "private" / "outbox"),
        "SUIVI_SMTP_HOST": server.host,
        "SUIVI_SMTP_PORT": str(server.port),
        "SUIVI_SMTP_SECURITY": "none",
        "SUIVI_SMTP_USER": USER,
        "SUIVI_SMTP_PASSWORD": PASSWORD,
        "SUIVI_GOOGLE_CREDENTIALS": str(service_account_file),
        "SUIVI_SHEETS_ENDPOINT": sheets_api.url,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    try:
        yield config, server
    finally:
        server.stop()


class Everything(logging.Handler):
    """Keeps every log record of every logger, formatted, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(FOREIGN_LOGGERS):
            self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    """Every log line, at DEBUG, from the root logger and Prefect's (which does not propagate)."""
    handler = Everything()
    loggers = [logging.getLogger(), logging.getLogger("prefect")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def secrets_of(service_account: ServiceAccount, sheets_api: FakeSheetsApi) -> list[str]:
    """Every form a secret could leak in: passwords, their AUTH encodings, the key, tokens."""
    found = [PASSWORD, WRONG_PASSWORD, service_account.info["private_key_id"]]
    for password in (PASSWORD, WRONG_PASSWORD):
        for plain in (password, f"\0{USER}\0{password}"):
            found.append(base64.b64encode(plain.encode()).decode())
    pem = service_account.info["private_key"]
    found += [line for line in pem.splitlines() if len(line) >= 40]  # the key's base64 body
    tokens = list(sheets_api._tokens)  # the access tokens the token endpoint handed out
    assert tokens, "the Google path was not taken"
    return found + tokens


def prefect_records() -> list[str]:
    """What the Prefect API kept of the runs: artifacts, logs, run parameters and states."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifacts = [repr(artifact.data) for artifact in client.read_artifacts()]
        logs = [log.message for log in client.read_logs()]
        runs = [
            f"{run.parameters!r} {run.state.message if run.state else ''}"
            for run in client.read_flow_runs()
        ]
    return [*artifacts, *logs, *runs]


def readable(raw: str | bytes) -> list[str]:
    """A message as stored and every part of it decoded: base64 or quoted-printable hide nothing."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    message = message_of(text)
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode("utf-8", "replace"))
    return [text, *parts]


def store_rows(url: str) -> list[str]:
    """Every row of every table of the store, as text; the outbox's messages decoded."""
    with open_store(url) as store, store.engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in connection.execute(sa.select(table))
        ]
        payloads = connection.execute(sa.select(metadata.tables["outbox"].c.payload)).scalars()
        return rows + [text for payload in payloads for text in readable(payload)]


def files_under(*folders: Path) -> list[str]:
    """The text of every file under the folders (binary workbooks as their cell values)."""
    texts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.suffix == ".xlsx":
                book = openpyxl.load_workbook(path)
                texts += [repr(list(sheet.values)) for sheet in book.worksheets]
            elif path.suffix == ".eml":
                texts += readable(path.read_bytes())
            elif path.is_file():
                texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


def failure_texts(config: Path, sheets_api: FakeSheetsApi, service_account_file: Path) -> list[str]:
    """The texts of the errors a wrong password and an unshared sheet raise, tracebacks included."""
    texts = []
    with pytest.raises(MailError) as refused:
        Smtp(Env(smtp_password=WRONG_PASSWORD)).connect()
    sheets_api.set_access(KEY, "none")
    with pytest.raises(SourceError) as unshared:
        GoogleSheets(
            KEY, credentials=service_account_file, endpoint=sheets_api.url, retries=0
        ).read_tabs()
    sheets_api.set_access(KEY, "writer")
    for error in (refused.value, unshared.value):
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts.append(repr(Env()))
    return texts


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_leaks_no_secret_and_keeps_sheet_text_inert(
    portfolio: tuple[Path, FakeSmtpServer],
    sheets_api: FakeSheetsApi,
    service_account: ServiceAccount,
    service_account_file: Path,
    all_logs: Everything,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    config, server = portfolio
    day = AS_OF.isoformat()
    previous_umask = os.umask(0o022)  # the usual umask: privacy must not depend on it
    try:
        statuses = [
            main(["run", "weekly", "--config", str(config), "--as-of", day]),
            main(["run", "daily", "--config", str(config), "--as-of", day]),
            main(["run", "weekly", "--config", str(config), "--as-of", day, "--dry-run"]),
        ]
        sheets_api.set_access(KEY, "none")  # a failing run: its alert carries the error text
        next_day = (AS_OF + dt.timedelta(days=1)).isoformat()
        statuses.append(main(["run", "daily", "--config", str(config), "--as-of", next_day]))
        sheets_api.set_access(KEY, "writer")
    finally:
        os.umask(previous_umask)
    printed = capsys.readouterr()

    assert statuses == [0, 0, 0, 1]
    assert server.messages and all(message.login == USER for message in server.messages)
    private = tmp_path / "private"
    traces = {
        "logs": all_logs.lines,
        "stdout and stderr": [printed.out, printed.err],
        "e-mails received": [text for m in server.messages for text in readable(m.raw)],
        "outbox files": files_under(private / "outbox"),
        "store": store_rows(os.environ["SUIVI_DATABASE_URL"]),
        "Prefect records": prefect_records(),
        "written back": [
            *files_under(tmp_path / "written"),
            *(repr(sheets_api.values(KEY, tab.title)) for tab in sheets_api.spreadsheet(KEY).tabs),
        ],
        "exceptions": failure_texts(config, sheets_api, service_account_file),
    }
    for where, texts in traces.items():
        assert texts, f"nothing to scan in {where}: the scan would prove nothing"
    # The failing run's alert reached the officer with the error's text, and the logs
    # hold Prefect's own lines: both were scanned.
    assert any("share the spreadsheet" in text for text in traces["e-mails received"])
    assert any(line.startswith("prefect") for line in all_logs.lines)
    # With SUIVI_SHEETS_ENDPOINT set, nothing goes to Google (google-auth's access-boundary
    # lookup used to try iamcredentials.googleapis.com after every token).
    assert not any("iamcredentials.googleapis.com" in line for line in all_logs.lines)
    secrets = secrets_of(service_account, sheets_api)
    leaks = [
        (where, secret[:12] + "…")
        for where, texts in traces.items()
        for secret in secrets
        if any(secret in text for text in texts)
    ]
    assert leaks == []

    check_private_files(private)
    check_inert_html_and_headers(server)
    check_written_back_as_text(tmp_path / "written" / "tpm-suivi.xlsx", sheets_api)


def check_private_files(private: Path) -> None:
    """The store's file and the outbox folder (and what is in them) are the owner's only."""
    history = private / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o700
    database_files = list(history.glob("suivi.db*"))  # with SQLite's -wal and -shm
    assert database_files and {stat.S_IMODE(p.stat().st_mode) for p in database_files} == {0o600}
    outbox = private / "outbox"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    written = list(outbox.iterdir())
    assert written and {stat.S_IMODE(path.stat().st_mode) for path in written} == {0o600}


def check_inert_html_and_headers(server: FakeSmtpServer) -> None:
    """Sheet text is escaped in HTML, never a header line, and links only when https."""
    messages = [received.message for received in server.messages]
    bodies = [message.get_body(("html",)) for message in messages]
    htmls = [str(body.get_content()) for body in bodies if body is not None]
    assert len(htmls) == len(messages)
    assert not any("<script" in page.lower() for page in htmls)
    assert any("&lt;script&gt;alert(" in page for page in htmls)  # shown, as text
    assert not any('href="javascript' in page.lower() for page in htmls)
    assert any(JAVASCRIPT in page for page in htmls)  # shown, not linked
    assert any(f'href="{MEETING}"' in page for page in htmls)  # an https link is a link
    for received in server.messages:
        assert not any("evil.example" in address for address in received.rcpt_tos)
        header_block = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        names = [line.split(":", 1)[0].lower() for line in header_block.split("\r\n")]
        names = [name for name in names if name and not name[0].isspace()]
        assert "bcc" not in names
        for name, value in received.message.items():
            assert "\r" not in str(value) and "\n" not in str(value), name
    reminder = next(m for m in messages if "COPIL" in str(m["Subject"]))
    assert "Bcc" not in reminder


def check_written_back_as_text(workbook: Path, sheets_api: FakeSheetsApi) -> None:
    """A sheet value that looks like a formula is written back as text, in a workbook and in Google."""
    book = openpyxl.load_workbook(workbook)
    cells = [cell for row in book["Suivi automatique"].iter_rows() for cell in row]
    formula_like = [cell for cell in cells if cell.value == FORMULA]
    assert formula_like and all(cell.data_type == "s" for cell in formula_like)
    writes = [call for call in sheets_api.log if call.kind == "values.batchUpdate"]
    assert writes and all(call.body["valueInputOption"] == "RAW" for call in writes)
    tracking = sheets_api.spreadsheet(KEY).tab("Suivi automatique")
    assert tracking is not None
    stored = [cell for cell in tracking.cells.values() if cell.value == FORMULA]
    assert stored and all(cell.formula is None for cell in stored)


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize(
    "name",
    ["../suivi.yaml", "../../pyproject.toml", "/etc/passwd", "..\\suivi.yaml", "escape.html"],
)
def test_template_names_cannot_leave_the_templates_folder(tmp_path: Path, name: str) -> None:
    import jinja2

    templates = tmp_path / "config" / "templates"
    shutil.copytree(ROOT / "suivi" / "notify" / "templates", templates)
    (tmp_path / "config" / "suivi.yaml").write_text("secret: yes\n", encoding="utf-8")
    (templates / "escape.html").symlink_to(tmp_path / "config" / "suivi.yaml")
    environment = template_environment(templates)

    with pytest.raises(jinja2.TemplateNotFound):
        environment.get_template(name)
    assert environment.get_template("weekly_summary.html") is not None
