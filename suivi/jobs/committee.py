"""The committee pack's shell: the snapshot of the last committee from the store, the files written.

What the pack shows is computed and rendered in `suivi.report.committee` (pure); here the store
is read, the page printed to PDF (Chromium) or turned into Word (.docx), and files written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict, Unpack

import jinja2
import sqlalchemy as sa

from suivi.adapters.printing import PrintingUnavailable, can_print, html_to_pdf
from suivi.adapters.store import Snapshot, Store, snapshots
from suivi.adapters.word import html_to_docx
from suivi.i18n import as_date
from suivi.model import Email
from suivi.notify.messages import Message, MessageKind, ProjectView
from suivi.notify.render import template_environment
from suivi.report.committee import (
    CommitteePack,
    NoMeetingError,
    meeting_before,
    pack_file_name,
    plan_committee_pack,
    render_committee_pack,
)
from suivi.settings import Config

PackFormat = Literal["html", "pdf", "docx"]
MIME_TYPES: dict[str, str] = {
    "html": "text/html",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def prepare_committee_pack(
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    *,
    meeting_date: dt.date | None = None,
) -> CommitteePack:
    """The pack's content, compared with the snapshot stored at the last committee (if a store)."""
    last_meeting = meeting_before(view.tables.committees, as_of, meeting_date)
    previous = None
    if store is not None and last_meeting is not None:
        previous = snapshot_on_or_before(store, view.project.code, last_meeting)
    return plan_committee_pack(view, config, as_of, meeting_date=meeting_date, previous=previous)


class PackHistory(TypedDict, total=False):
    """`prepare_committee_pack`'s options: the store to compare with, the meeting's date."""

    store: Store | None
    meeting_date: dt.date | None


def build_committee_pack(
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    *,
    templates: jinja2.Environment | None = None,
    **history: Unpack[PackHistory],
) -> str:
    """The pack's HTML for the next meeting (or `meeting_date`), compared with the stored history."""
    pack = prepare_committee_pack(view, config, as_of, **history)
    environment = templates or template_environment(config.template_folder())
    return render_committee_pack(pack, environment)


def pack_documents(pages: Sequence[str], file_format: PackFormat) -> list[bytes]:
    """The rendered pages as files of `file_format` (PDF printed in one browser session)."""
    if file_format == "pdf":
        return html_to_pdf(list(pages))
    if file_format == "docx":
        return [html_to_docx(page) for page in pages]
    return [page.encode("utf-8") for page in pages]


def attachment_format() -> PackFormat:
    """What a reminder attaches: a PDF where this machine can print one, else Word."""
    return "pdf" if can_print() else "docx"


def write_committee_pack(content: bytes | str, out_dir: Path, file_name: str) -> Path:
    """Write the pack into `out_dir` (created if needed), owner-only like the outbox; returns its path."""
    from suivi.adapters.private_files import private_folder, write_private_bytes

    path = private_folder(out_dir) / Path(file_name).name  # a name, never a path out of the folder
    data = content.encode("utf-8") if isinstance(content, str) else content
    return write_private_bytes(path, data)


def snapshot_on_or_before(store: Store, project: str, day: dt.date) -> Snapshot | None:
    """The last snapshot of a project saved for a date on or before `day` (read only)."""
    query = (
        sa.select(snapshots.c.run_id)
        .where(snapshots.c.project == project, snapshots.c.as_of <= day)
        .order_by(snapshots.c.as_of.desc(), snapshots.c.run_id.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        run_id = connection.execute(query).scalar()
    if run_id is None:
        return None
    # The latest snapshot before the next run is this run's own.
    return store.last_snapshot(project, before_run=int(run_id) + 1)


def with_committee_packs(
    messages: Sequence[Message],
    emails: Sequence[Email],
    views: Sequence[ProjectView],
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    *,
    file_format: PackFormat | None = None,
) -> list[Email]:
    """The e-mails with each committee reminder carrying its meeting's pack, as PDF or Word.

    `messages` and `emails` are aligned (each e-mail rendered from its message); one pack is
    built per project and meeting, however many participants receive it.
    """
    views_by_code = {view.project.code: view for view in views}
    templates = template_environment(config.template_folder())
    wanted: dict[tuple[str, dt.date | None], CommitteePack] = {}
    for message in messages:
        view = views_by_code.get(message.project)
        day = as_date(message.context.get("committee", {}).get("date"))
        key = (message.project, day)
        if message.kind != MessageKind.COMMITTEE_REMINDER or view is None or day is None:
            continue
        if key in wanted:
            continue
        try:
            wanted[key] = prepare_committee_pack(view, config, as_of, store, meeting_date=day)
        except NoMeetingError:
            continue  # the reminder goes without its pack rather than not at all
    chosen = file_format or attachment_format()
    pages = [render_committee_pack(pack, templates) for pack in wanted.values()]
    try:
        documents = pack_documents(pages, chosen) if pages else []
    except PrintingUnavailable:
        chosen = "docx"  # Chromium would not print: the officer's Word file still goes
        documents = pack_documents(pages, chosen)
    files = dict(zip(wanted, documents, strict=True))
    result: list[Email] = []
    for message, email in zip(messages, emails, strict=True):
        found = (message.project, as_date(message.context.get("committee", {}).get("date")))
        if message.kind != MessageKind.COMMITTEE_REMINDER or found not in files:
            result.append(email)
            continue
        attachment = (pack_file_name(wanted[found], chosen), files[found], MIME_TYPES[chosen])
        result.append(dataclasses.replace(email, attachments=(attachment,)))
    return result


__all__ = [
    "MIME_TYPES",
    "attachment_format",
    "build_committee_pack",
    "pack_documents",
    "prepare_committee_pack",
    "snapshot_on_or_before",
    "with_committee_packs",
    "write_committee_pack",
]
