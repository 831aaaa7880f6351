"""Send each e-mail exactly once: record it in the store's outbox, connect, claim, send, mark.

A rerun, a retry or a second worker finds the key already sent and sends nothing; an e-mail
that failed for a passing reason stays pending and goes out with the next run. Each e-mail
is marked sent as soon as the server accepted it, so a crash resends at most the one in
flight: its lease expires and the next run resends it with the same Message-ID, which mail
clients show once (at-least-once in that window only; see docs/reliability.md).

A transport that cannot be used at all (server down, 421 greeting, bad password, no
STARTTLS, untrusted certificate) is found before the first message: every e-mail goes back
to pending and the reason is reported. Only a refusal of one message (550 on a recipient,
554 after DATA, an address that cannot be composed) is permanent; those are listed in
one notice to the officer, sent once per set of failures.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from suivi.adapters.mail import (
    CONFIG_ERROR,
    Composed,
    Mailer,
    MailError,
    OutboxFolder,
    SendResult,
    compose,
    open_mailer,
    sender_of,
)
from suivi.adapters.store import OutboxItem, Store
from suivi.i18n import is_rtl, language_or_default
from suivi.i18n.catalogs import gettext, ngettext, typography
from suivi.model import Email
from suivi.settings import Env

log = logging.getLogger(__name__)

LEASE_SECONDS = 900  # a sender that holds an e-mail longer than this is presumed dead
NOTICE_KIND = "delivery_failure"
MAX_NOTICE_ITEMS = 50  # the notice names this many failures, then says how many more


@dataclass(frozen=True)
class Failure:
    """An e-mail not sent: why, and whether a later run could succeed."""

    key: str
    error: str
    permanent: bool


@dataclass
class Delivery:
    """What one delivery did."""

    planned: int = 0
    sent: list[str] = field(default_factory=list)
    already_sent: int = 0
    failures: list[Failure] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # bad recipient addresses, dropped
    written: list[Path] = field(default_factory=list)  # outbox files, when no SMTP
    unreachable: str | None = None  # why the transport could not be used: all stays pending
    notice: str | None = None  # key of the notice that told the officer of permanent failures
    unknown: list[str] = field(default_factory=list)  # sent, no reply after DATA: not resent

    @property
    def transient_failures(self) -> list[Failure]:
        """Failures the next run will retry."""
        return [failure for failure in self.failures if not failure.permanent]

    @property
    def permanent_failures(self) -> list[Failure]:
        """Failures no run will retry: the officer is told of them."""
        return [failure for failure in self.failures if failure.permanent]


def claimant() -> str:
    """Who holds an outbox lease: host and process, so a dead holder can be told apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


def compose_all(emails: list[Email], sender: str, delivery: Delivery) -> list[Composed]:
    """Compose every e-mail; one that cannot be composed is a permanent failure, not a crash."""
    composed: list[Composed] = []
    for email in emails:
        try:
            item = compose(email, sender)
        except MailError as error:
            delivery.failures.append(Failure(email.key, str(error), permanent=True))
            continue
        delivery.rejected.extend(item.rejected)
        composed.append(item)
    return composed


def deliver_emails(
    emails: list[Email],
    store: Store | None,
    env: Env,
    officer_email: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    lease_seconds: int = LEASE_SECONDS,
    language: str = "fr",
) -> Delivery:
    """Compose, record and send; `dry_run` writes them all to the outbox folder and records nothing.

    `language` is the one of the officer's notice about permanent failures (fr, ar, en).
    """
    delivery = Delivery(planned=len(emails))
    sender = sender_of(env, officer_email)
    composed = compose_all(emails, sender, delivery)
    if dry_run or store is None:
        folder = OutboxFolder(env.outbox_dir)
        results = folder.send_all(composed, sender)
        delivery.sent = [result.key for result in results if result.ok]
        delivery.written = folder.written
        return delivery
    store.enqueue([outbox_item(item) for item in composed])
    if force:
        store.requeue([item.key for item in composed])
    owner = claimant()
    claimed = store.claim(owner, lease_seconds=lease_seconds)
    claimed_keys = {item.key for item in claimed}
    delivery.already_sent = sum(item.key not in claimed_keys for item in composed)
    if not claimed and not delivery.permanent_failures:
        return delivery  # nothing to send: no connection at all
    mailer = open_mailer(env)
    with mailer:
        try:
            # Before the first message: a transport that cannot be used at all (down, 421,
            # a settings mistake) must fail no e-mail for good.
            mailer.connect()
        except (MailError, OSError) as error:
            _release(delivery, store, owner, claimed, error)
            return delivery
        _send(mailer, claimed, sender, store, owner, delivery)
        notice = failure_notice(delivery.permanent_failures, officer_email, language)
        if notice is not None:
            _send_notice(mailer, notice, sender, store, owner, lease_seconds, delivery)
    if isinstance(mailer, OutboxFolder):
        delivery.written = mailer.written
    return delivery


def _send(
    mailer: Mailer,
    claimed: Sequence[OutboxItem],
    sender: str,
    store: Store,
    owner: str,
    delivery: Delivery,
) -> None:
    """Send the claimed items, recording each result the moment the server gave it."""

    def record(result: SendResult) -> None:
        error = result.error or ""
        if result.ok:
            store.mark_sent(result.key, owner)
            delivery.sent.append(result.key)
            return
        if result.unknown:  # it may have arrived: resending could make a second copy
            store.mark_unknown(result.key, owner, error)
            delivery.unknown.append(result.key)
            return
        # A settings problem met mid-batch (e.g. on a reconnection) is not the message's
        # fault: fixing the settings must send it, so it stays pending.
        permanent = result.permanent and not error.startswith(CONFIG_ERROR)
        store.mark_failed(result.key, owner, error, permanent)
        delivery.failures.append(Failure(result.key, error, permanent))

    if claimed:
        mailer.send_all([composed_of(item) for item in claimed], sender, on_result=record)


def _send_notice(
    mailer: Mailer,
    notice: Email,
    sender: str,
    store: Store,
    owner: str,
    lease_seconds: int,
    delivery: Delivery,
) -> None:
    """Send the officer's notice over the same connection, exactly once like any e-mail."""
    try:
        item = compose(notice, sender)
    except MailError as error:  # the officer's own address is unusable: nobody to tell
        log.error("the notice of undelivered e-mails cannot be composed: %s", error)
        return
    store.enqueue([outbox_item(item)])
    claimed = store.claim(owner, lease_seconds=lease_seconds, keys=[item.key])
    before = len(delivery.failures)
    _send(mailer, claimed, sender, store, owner, delivery)
    # The notice's own failure is logged and recorded, never the subject of another notice.
    del delivery.failures[before:]
    if item.key in delivery.sent:
        delivery.sent.remove(item.key)
        delivery.notice = item.key


def _release(
    delivery: Delivery, store: Store, owner: str, claimed: Sequence[OutboxItem], error: Exception
) -> None:
    """The transport cannot be used: every claimed e-mail goes back to pending for the next run."""
    reason = str(error)
    log.warning("e-mails not sent, %d stay pending for the next run: %s", len(claimed), reason)
    delivery.unreachable = reason
    for item in claimed:
        store.mark_failed(item.key, owner, reason, permanent=False)
        delivery.failures.append(Failure(item.key, reason, permanent=False))


def failure_notice(failures: Sequence[Failure], officer_email: str, language: str) -> Email | None:
    """One e-mail telling the officer which e-mails were refused for good; None when none were.

    Its key is a digest of the failed keys: the same failures are reported once.
    """
    if not failures:
        return None
    language = language_or_default(language)
    intro = gettext(
        "The mail server refused these e-mails for good; they will not be sent again."
        " Check the addresses in the sheets (owner e-mail, participants) or in the settings file.",
        language,
    )
    keys = sorted({failure.key for failure in failures})
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:16]
    shown = failures[:MAX_NOTICE_ITEMS]
    separator = typography(" : " if language == "fr" else ": ", language)
    lines = [f"- {failure.key}: {failure.error}" for failure in shown]
    items = "".join(
        f"<li><code>{html.escape(failure.key)}</code>{separator}{html.escape(failure.error)}</li>"
        for failure in shown
    )
    rest = len(failures) - len(shown)
    tail = ngettext("… and {count} more.", "… and {count} more.", rest, language) if rest else ""
    direction = "rtl" if is_rtl(language) else "ltr"
    return Email(
        key=f"{NOTICE_KIND}|*|{digest}|{officer_email}",
        kind=NOTICE_KIND,
        project="*",
        to=(("", officer_email),),
        subject=gettext("Undelivered e-mails: {count}", language, count=len(failures)),
        html=(
            f'<div dir="{direction}" lang="{language}"><p>{html.escape(intro)}</p>'
            f"<ul>{items}</ul><p>{html.escape(tail)}</p></div>"
        ),
        text="\n".join([intro, "", *lines, tail]).strip() + "\n",
        language=language,
    )


# What a composed message and its outbox row share, field for field.
MESSAGE_FIELDS = ("key", "kind", "project", "recipients", "subject", "message_id", "payload")


def outbox_item(item: Composed) -> OutboxItem:
    """A composed message as the store records it."""
    return OutboxItem(**{name: getattr(item, name) for name in MESSAGE_FIELDS})


def composed_of(item: OutboxItem) -> Composed:
    """A stored message, ready for the transport again (same payload, same Message-ID)."""
    return Composed(**{name: getattr(item, name) for name in MESSAGE_FIELDS})
