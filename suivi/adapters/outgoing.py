"""The fields an e-mail keeps from composing to sending, shared by the transport and the outbox."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail to send once: `mail.Composed` and the store's `OutboxItem` both start so."""

    key: str
    kind: str
    project: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    payload: str  # the whole RFC 5322 message, ASCII only
