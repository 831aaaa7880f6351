"""Send each e-mail exactly once: record it in the store's outbox, claim, send, mark.

A rerun, a retry or a second worker finds the key already sent and sends nothing; an e-mail
that failed for a passing reason stays pending and goes out with the next run. If the process
dies between the server's acceptance and the mark, the lease expires and the next run resends
it with the same Message-ID, so mail clients show it once (at-least-once in that window only).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from suivi.adapters.mail import Composed, MailError, OutboxFolder, compose, open_mailer, sender_of
from suivi.adapters.store import OutboxItem, Store
from suivi.model import Email
from suivi.settings import Env

log = logging.getLogger(__name__)

LEASE_SECONDS = 900  # a sender that holds an e-mail longer than this is presumed dead


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

    @property
    def transient_failures(self) -> list[Failure]:
        """Failures the next run will retry."""
        return [failure for failure in self.failures if not failure.permanent]


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
) -> Delivery:
    """Compose, record and send; `dry_run` writes them all to the outbox folder and records nothing."""
    delivery = Delivery(planned=len(emails))
    sender = sender_of(env, officer_email)
    composed = compose_all(emails, sender, delivery)
    if dry_run or store is None:
        folder = OutboxFolder(env.outbox_dir)
        results = folder.send_all(composed, sender)
        delivery.sent = [result.key for result in results if result.ok]
        delivery.written = folder.written
        return delivery
    new = store.enqueue([outbox_item(item) for item in composed])
    if force:
        store.requeue([item.key for item in composed])
    delivery.already_sent = len(composed) - new if not force else 0
    owner = claimant()
    claimed = store.claim(owner, lease_seconds=LEASE_SECONDS)
    if not claimed:
        return delivery
    mailer = open_mailer(env)
    with mailer:
        results = mailer.send_all([composed_of(item) for item in claimed], sender)
    for result in results:
        if result.ok:
            store.mark_sent(result.key, owner)
            delivery.sent.append(result.key)
        else:
            store.mark_failed(result.key, owner, result.error or "", result.permanent)
            delivery.failures.append(Failure(result.key, result.error or "", result.permanent))
    if isinstance(mailer, OutboxFolder):
        delivery.written = mailer.written
    return delivery


def outbox_item(item: Composed) -> OutboxItem:
    """A composed message as the store records it."""
    return OutboxItem(
        key=item.key,
        kind=item.kind,
        project=item.project,
        recipients=item.recipients,
        subject=item.subject,
        message_id=item.message_id,
        payload=item.payload,
    )


def composed_of(item: OutboxItem) -> Composed:
    """A stored message, ready for the transport again (same payload, same Message-ID)."""
    return Composed(
        key=item.key,
        kind=item.kind,
        project=item.project,
        recipients=item.recipients,
        subject=item.subject,
        message_id=item.message_id,
        payload=item.payload,
    )
