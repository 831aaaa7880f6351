"""E-mail transport: compose offline, send over one SMTP connection (yagmail's client) or to a folder.

`compose` turns a rendered `Email` into a full RFC 5322 message (`Composed`), which the
store keeps in its outbox; `Smtp.send_all` and `OutboxFolder.send_all` deliver a batch of
them and say, per key, whether it went out and whether a retry could help.

The message is written as text in one pass (each body encoded once, each header folded
by the stdlib's compat32 policy), never serialised, parsed and serialised again: its
layout is the one yagmail used to build, and only its headers are parsed back, to check
them. Header values are sanitised here: CR/LF and control characters are removed.

yagmail 0.16 carries the connection and has sharp edges (see the team's notes on it):
- `Client.send` reconnects on every call, so `Smtp` logs in once and feeds prepared
  payloads to the same `smtplib` connection;
- with no password yagmail falls back to keyring and prompts, so it never logs in
  itself: `Smtp` calls `smtplib.SMTP.login` with the password from the environment.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import email
import email.policy
import functools
import hashlib
import html
import logging
import mimetypes
import random
import re
import smtplib
import ssl
import sys
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.charset import QP, Charset
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any

import yagmail
from email_validator import EmailNotValidError, validate_email

from suivi.adapters.closing import ClosedOnExit
from suivi.adapters.mail_oauth import (
    fetch_access_token,
    oauth_login_of,
    oauth_settings_problem,
    xoauth2_login,
)
from suivi.adapters.outgoing import OutgoingMail
from suivi.i18n import is_rtl
from suivi.model import CONTROL_CHARACTERS, Email
from suivi.settings import Env

log = logging.getLogger(__name__)

# Languages written right to left, for the standalone HTML copy.
# Start of the error text of every result failed by a configuration problem (bad
# password, STARTTLS missing, untrusted certificate): fixing the settings fixes them all.
CONFIG_ERROR = "SMTP configuration error"
# Longest display name kept: encoded, a name is one word that cannot be folded, and a
# header line must stay under 998 characters.
MAX_NAME_LENGTH = 100

# C0 and C1 controls, DEL and the Unicode line/paragraph separators: any of them in a
# header value could end the header (header injection) or break the header block.
_CONTROL_CHARACTERS = CONTROL_CHARACTERS
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_MESSAGE_POLICY = email.policy.default
_CONTENT_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+$")
_QUOTED_PRINTABLE_UTF8 = Charset("utf-8")
_QUOTED_PRINTABLE_UTF8.body_encoding = QP  # the text part stays readable in raw form
# compat32 folds like the messages sent so far; the modern policy can fold an encoded
# display name across lines differently.
_HEADER_POLICY = email.policy.compat32.clone(max_line_length=78)
_NON_MIME_PREAMBLE = "This message is best displayed using a MIME capable email reader."
# Why a connection could not be used: (text safe to log, permanent).
_Failure = tuple[str, bool]


class MailError(Exception):
    """An e-mail that cannot be composed or a mailer that cannot connect; the text is safe to log."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Composed(OutgoingMail):
    """A message ready to send: the same fields as the store's `OutboxItem`, and the rejected.

    `recipients` are the validated envelope addresses (To then Cc, no duplicates);
    `rejected` the addresses dropped because they are not valid, as "address: reason".
    """

    rejected: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendResult:
    """What happened to one message: sent, or failed and whether a retry could ever help.

    `ok` with an `error` means some recipients accepted the message and the ones named in
    `error` refused it; it must not be resent (the others would get it twice).
    """

    key: str
    ok: bool
    error: str | None = None
    permanent: bool = False
    unknown: bool = False  # the message left, no reply came: it may have arrived; never resent


class Mailer(ClosedOnExit, ABC):
    """What the flows need from a transport: `Smtp` and `OutboxFolder` are the two kinds."""

    @abstractmethod
    def connect(self) -> None:
        """Open the connection or folder now, to fail before claiming work."""

    def send_all(
        self,
        items: Sequence[Composed],
        sender: str,
        on_result: Callable[[SendResult], object] | None = None,
    ) -> list[SendResult]:
        """One result per item, in order; `on_result` hears each one as soon as it is known."""
        results: list[SendResult] = []
        for result in self._results(items, sender):
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results

    @abstractmethod
    def _results(self, items: Sequence[Composed], sender: str) -> Iterator[SendResult]:
        """Each item's result, yielded the moment it is known (before the next is tried)."""


# --------------------------------------------------------------------------- compose


def clean_header(value: str) -> str:
    """A header value with control characters and line breaks turned into single spaces."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", value).split())


def message_id_of(key: str, domain: str) -> str:
    """A Message-ID unique per key and stable across resends, so clients can de-duplicate."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.suivi@{domain}>"


def compose(
    email_to_send: Email, sender: tuple[str, str] | str, *, domain: str | None = None
) -> Composed:
    """Build the whole message once, as the text that is stored and sent.

    `sender` is (display name, address), or "Name <address>", or a bare address.
    `domain` names the right side of the Message-ID; the sender's domain by default.
    Invalid recipient addresses are dropped and listed in `rejected`; `MailError` is
    raised when no valid recipient remains or the sender address is invalid.
    """
    sender_name, sender_address = _sender_parts(sender)
    for content_id, _ in email_to_send.images:
        if not _CONTENT_ID.match(content_id):  # it goes into a header and a cid: URL as is
            raise MailError(f"{email_to_send.key}: image Content-ID {content_id!r} is not a token")
    to, to_rejected = _valid_recipients(email_to_send.to, set())
    cc, cc_rejected = _valid_recipients(email_to_send.cc, {address.lower() for _, address in to})
    rejected = to_rejected + cc_rejected
    if not to and not cc:
        detail = "; ".join(rejected) or "the e-mail has no recipient"
        raise MailError(f"{email_to_send.key}: no valid recipient ({detail})")
    if not to:  # a Cc-only message would have no To: promote the Cc instead
        to, cc = cc, []
    message_id = message_id_of(email_to_send.key, _message_domain(domain, sender_address))
    subject = clean_header(email_to_send.subject)
    language = clean_header(email_to_send.language)
    language = language if _LANGUAGE_TAG.match(language) else "fr"

    boundary, body = _mixed_body(email_to_send)
    headers = [
        ("Auto-Submitted", "auto-generated"),
        ("Content-Language", language),
        ("Date", formatdate()),
        ("To", _address_list(to)),
        *([("Cc", _address_list(cc))] if cc else []),
        ("Message-ID", message_id),
        ("From", formataddr((sender_name, sender_address)) if sender_name else sender_address),
        ("Subject", subject),
    ]
    header_block = _multipart_headers("mixed", boundary) + _header_block(headers)
    recipients = tuple(address for _, address in [*to, *cc])
    _check_headers(header_block, email_to_send.key, recipients)
    payload = f"{header_block}\n{body}"
    if not payload.isascii():  # smtplib sends str payloads as ASCII
        raise MailError(f"{email_to_send.key}: the composed message is not pure ASCII")
    return Composed(
        key=email_to_send.key,
        kind=email_to_send.kind,
        project=email_to_send.project,
        recipients=recipients,
        subject=subject,
        message_id=message_id,
        payload=payload,
        rejected=tuple(rejected),
    )


def _sender_parts(sender: tuple[str, str] | str) -> tuple[str, str]:
    """(clean display name, validated ASCII address) of the sender."""
    name, address = sender if isinstance(sender, tuple) else parseaddr(clean_header(sender))
    try:
        valid = validate_email(
            clean_header(address), check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        raise MailError(f"invalid sender address {clean_header(address)!r}: {error}") from None
    return _display_name(name), valid.ascii_email or valid.normalized


def _display_name(name: str) -> str:
    """A clean display name, short enough that its encoded form fits a header line."""
    cleaned = clean_header(name)
    return cleaned if len(cleaned) <= MAX_NAME_LENGTH else cleaned[: MAX_NAME_LENGTH - 1] + "…"


def _valid_recipients(
    people: Sequence[tuple[str, str]], seen: set[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Valid (clean name, ASCII address) pairs not already in `seen`, and the rejected ones."""
    valid: list[tuple[str, str]] = []
    rejected: list[str] = []
    for name, address in people:
        shown = clean_header(address)
        try:
            checked = validate_email(shown, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as error:
            rejected.append(f"{shown}: {error}")
            continue
        normalized = checked.ascii_email or checked.normalized
        if normalized.lower() in seen:
            continue
        seen.add(normalized.lower())
        valid.append((_display_name(name), normalized))
    return valid, rejected


def _message_domain(domain: str | None, sender_address: str) -> str:
    """A safe right-hand side for Message-IDs."""
    candidate = (domain or sender_address.rpartition("@")[2]).lower()
    cleaned = re.sub(r"[^a-z0-9.-]", "", candidate).strip(".-")
    return cleaned or "suivi.invalid"


def _address_list(people: Sequence[tuple[str, str]]) -> str:
    """An address header's value: each "name <address>" (RFC 2047 when not ASCII), no spaces."""
    return ",".join(formataddr((name, address)) for name, address in people)


def _safe_file_name(name: str) -> str:
    """A base name without control characters or path separators."""
    base = clean_header(name).replace("\\", "/").rsplit("/", 1)[-1].strip(". ")
    return base or "piece-jointe.bin"


# The MIME tree, built as text in one pass: multipart/mixed holds multipart/alternative
# (text/plain, then multipart/related: the HTML and its inline images), then each
# attachment. Its layout and headers are the ones the yagmail-built messages had, byte for
# byte but the random boundaries and the Date (tests/test_mail_bytes.py keeps it so).


def _mixed_body(source: Email) -> tuple[str, str]:
    """(boundary, body) of the whole message: the readable parts, then the attachments."""
    alternative = _multipart("alternative", [_text_part(source.text), _related_part(source)])
    attachments = [_attachment_part(name, data, mime) for name, data, mime in source.attachments]
    return _multipart_body("mixed", [alternative, *attachments], _preamble(source))


def _preamble(source: Email) -> str | None:
    """The line mail readers without MIME show: written, as yagmail did, only beside an image."""
    images = bool(source.images) or any(
        (mimetypes.guess_type(_safe_file_name(name))[0] or "").startswith("image/")
        for name, _, _ in source.attachments
    )
    return _NON_MIME_PREAMBLE if images else None


def _text_part(text: str) -> str:
    """The text/plain part, quoted-printable: it stays readable in raw form."""
    headers = [
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("MIME-Version", "1.0"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return _leaf(headers, _QUOTED_PRINTABLE_UTF8.body_encode(text))


def _related_part(source: Email) -> str:
    """The HTML (one line, in a <div>) and its inline images, each under its own Content-ID."""
    html_text = f"<div>{_one_line(source.html)}</div>"
    html_headers = [
        ("Content-Type", 'text/html; charset="utf-8"'),
        ("MIME-Version", "1.0"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    parts = [_leaf(html_headers, _base64_lines(html_text.encode("utf-8")))]
    for index, (content_id, png) in enumerate(source.images):
        image_headers = [
            ("Content-Type", f"image/png; name*=utf-8''image-{index}.png"),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-ID", f"<{content_id}>"),
            ("Content-Disposition", "inline"),
        ]
        parts.append(_leaf(image_headers, _base64_lines(png)))
    return _multipart("related", parts)


def _attachment_part(name: str, data: bytes, mime_type: str) -> str:
    """An attachment: its type when well formed (else octet-stream), its safe file name."""
    file_name = _safe_file_name(name)
    typed = Message()  # only for add_header's parameter quoting (RFC 2231 when not ASCII)
    typed.add_header(
        "Content-Type",
        mime_type if _MIME_TYPE.match(mime_type) else "application/octet-stream",
        name=file_name,
    )
    typed.add_header("Content-Disposition", "attachment", filename=file_name)
    headers = [
        ("MIME-Version", "1.0"),
        ("Content-Transfer-Encoding", "base64"),
        *((header, str(value)) for header, value in typed.items()),
    ]
    return _leaf(headers, _base64_lines(data))


def _one_line(fragment: str) -> str:
    """The HTML on one line, each run of line breaks as one space (as every message was sent)."""
    if "\n" not in fragment and "\r" not in fragment:  # the regex scans slowly: skip it
        return fragment
    return re.sub(r"[\r\n]+", " ", fragment)


def _leaf(headers: Sequence[tuple[str, str]], body: str) -> str:
    """A single part: its headers, a blank line, its encoded body."""
    return f"{_header_block(headers)}\n{body}"


def _multipart(subtype: str, parts: Sequence[str], preamble: str | None = None) -> str:
    """A multipart part, its headers included."""
    boundary, body = _multipart_body(subtype, parts, preamble)
    return f"{_multipart_headers(subtype, boundary)}\n{body}"


def _multipart_body(subtype: str, parts: Sequence[str], preamble: str | None) -> tuple[str, str]:
    """(boundary, body) of a multipart: the parts between lines of a fresh boundary."""
    boundary = _boundary(parts)
    opening = f"{preamble}\n" if preamble is not None else ""
    between = f"\n--{boundary}\n".join(parts)
    body = f"{opening}--{boundary}\n{between}\n--{boundary}--\n"
    return boundary, body


def _multipart_headers(subtype: str, boundary: str) -> str:
    """A multipart's Content-Type and MIME-Version, folded once per subtype and boundary length.

    A boundary is "=", digits and maybe "." (no folding point): a stand-in of the same
    length folds the same way, so the folded lines are kept and the boundary put in.
    """
    stand_in = "=" * 15 + "0" * (len(boundary) - 17) + "=="
    content_type = f'multipart/{subtype}; boundary="{stand_in}"'
    block = _header_block([("Content-Type", content_type), ("MIME-Version", "1.0")])
    return block.replace(stand_in, boundary)


def _boundary(parts: Sequence[str]) -> str:
    """A random boundary, in the stdlib generator's form, that no part contains."""
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
    candidate, counter = boundary, 0
    while any(f"--{candidate}" in part for part in parts):
        candidate = f"{boundary}.{counter}"
        counter += 1
    return candidate


def _header_block(headers: Sequence[tuple[str, str]]) -> str:
    """The headers folded at 78 characters, non-ASCII words RFC 2047-encoded, one per line."""
    return "".join(_folded(name, value) for name, value in headers)


@functools.lru_cache(maxsize=512)
def _folded(name: str, value: str) -> str:
    """One header folded; most recur in every message (a part's type, its encoding)."""
    return _HEADER_POLICY.fold(name, value)


def _base64_lines(data: bytes) -> str:
    """The data in base64, lines of 76 characters each ending with a newline (RFC 2045)."""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    if not encoded:
        return ""
    starts = range(0, len(encoded), 76)
    return "\n".join(map(encoded.__getitem__, map(slice, starts, [*starts[1:], None]))) + "\n"


def _check_headers(header_block: str, key: str, recipients: Sequence[str]) -> None:
    """Re-read the headers and make sure they say exactly what was meant."""
    parsed = HeaderParser(policy=_MESSAGE_POLICY).parsestr(header_block)
    # Counted by name: get_all would parse each value (address lists are slow to parse).
    names = [name.lower() for name in parsed]
    if parsed.defects or "bcc" in names or "resent-to" in names:
        raise MailError(f"{key}: the composed headers do not parse cleanly")
    for name in ("From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted"):
        if names.count(name.lower()) != 1:
            raise MailError(f"{key}: the composed message needs exactly one {name} header")
    shown = [
        address.addr_spec.lower()
        for name in ("To", "Cc")
        for header in parsed.get_all(name, [])
        for address in header.addresses
    ]
    if shown != [address.lower() for address in recipients]:
        raise MailError(f"{key}: the composed To/Cc headers do not match the recipients")


# --------------------------------------------------------------------------- SMTP


class Smtp(Mailer):
    """Sends batches over one SMTP connection (yagmail's client, logged in once).

    Not thread-safe: one instance per worker. The password is read from the environment
    only when logging in and is scrubbed from every error text this class produces.
    """

    def __init__(
        self,
        env: Env,
        *,
        tls_context: ssl.SSLContext | None = None,
        max_reconnects: int = 3,
    ) -> None:
        if not env.smtp_host:
            raise MailError(f"{CONFIG_ERROR}: SUIVI_SMTP_HOST is not set")
        # Reported by send_all like any other configuration failure, never raised here.
        self._settings_problem = (
            "SUIVI_SMTP_USER is set but SUIVI_SMTP_PASSWORD is not"
            if env.smtp_user and env.smtp_password is None and env.smtp_auth != "xoauth2"
            else oauth_settings_problem(env)
        )
        self._oauth = oauth_login_of(env)
        self.host = env.smtp_host
        self.security = env.smtp_security
        self.port = env.smtp_port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]
        self.user = env.smtp_user
        self._password = env.smtp_password
        self.max_reconnects = max_reconnects
        # Certificates are verified: smtplib's own default context does not verify them.
        context = tls_context or ssl.create_default_context()
        options: dict[str, Any] = {"timeout": env.smtp_timeout}
        self.timeout = env.smtp_timeout
        self.data_timeout = max(env.smtp_data_timeout, env.smtp_timeout)
        if self.security == "ssl":
            options |= {"smtp_ssl": True, "context": context}
        elif self.security == "starttls":
            options |= {"smtp_ssl": False, "smtp_starttls": {"context": context}}
        else:
            options |= {"smtp_ssl": False, "smtp_starttls": False}
        # smtp_skip_login: yagmail would append @gmail.com to a user without "@" and ask
        # keyring for the password; the login is done here instead, on the same socket.
        self._client = yagmail.Client(
            None,
            host=self.host,
            port=self.port,
            smtp_skip_login=True,
            soft_email_validation=False,
            **options,
        )
        self._connected = False
        self._reconnects_left = max_reconnects
        self.connections = 0  # how many times this mailer connected, for the run's log

    def __repr__(self) -> str:
        return f"Smtp(host={self.host!r}, port={self.port}, security={self.security!r})"

    def connect(self) -> None:
        """Connect and log in now, to fail fast; `MailError.permanent` tells config from outage."""
        failure = self._ensure_connected()
        if failure is not None:
            message, permanent = failure
            raise MailError(message, permanent=permanent)

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        if self._connected:
            try:
                self._client.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._client.smtp.close()
        self._connected = False
        self._client.is_closed = True  # yagmail's __del__ would QUIT again otherwise

    def _results(self, items: Sequence[Composed], sender: str) -> Iterator[SendResult]:
        """Send each message once over the open connection, yielding as the server answers.

        `sender` is the envelope sender ("Name <address>" or an address). A lost
        connection is reopened, at most `max_reconnects` times per call; what could not
        be sent then is reported transient. Nothing is reported sent that the server did
        not accept. Each result is yielded as soon as the server answered, so the caller
        can record a send before the next one starts.
        """
        envelope_sender = parseaddr(clean_header(sender))[1] or clean_header(sender)
        if not items:
            return
        self._reconnects_left = self.max_reconnects
        failure = self._ensure_connected()
        sent = 0
        for item in items:
            if failure is not None:  # the connection is unusable: the rest waits
                result = SendResult(item.key, False, failure[0], failure[1])
            else:
                result, failure = self._deliver(item, envelope_sender)
                if result.error:
                    log.warning(
                        "%s %s: %s", "sent" if result.ok else "not sent", item.key, result.error
                    )
            sent += result.ok
            yield result
        log.info("SMTP %s: %d of %d e-mails sent", self.host, sent, len(items))
        if failure is not None:
            log.warning(
                "SMTP %s: %d e-mails not sent: %s", self.host, len(items) - sent, failure[0]
            )

    def _deliver(self, item: Composed, envelope_sender: str) -> tuple[SendResult, _Failure | None]:
        """Send one item, reopening a lost connection; a failure returned stops the batch."""
        lost: str | None = None
        for _ in range(2):  # the message in flight when the connection broke goes once more
            failure = self._reopen_if_closed()
            if failure is not None:
                text = f"{lost}; then {failure[0]}" if lost else failure[0]
                return SendResult(item.key, False, text, failure[1]), failure
            try:
                return self._send_one(item, envelope_sender), None
            except _Disconnected as error:
                self._drop()
                lost = f"connection lost: {error}"
                log.warning("SMTP %s while sending %s", lost, item.key)
        return SendResult(item.key, False, lost, False), None

    def _reopen_if_closed(self) -> _Failure | None:
        """Reconnect when the connection is gone (a drop, or smtplib closing after a 421)."""
        if self._connected and self._client.smtp.sock is not None:
            return None
        self._connected = False
        if self._reconnects_left <= 0:
            return ("connection lost, and no reconnection left for this batch", False)
        self._reconnects_left -= 1
        return self._ensure_connected()

    def _send_one(self, item: Composed, envelope_sender: str) -> SendResult:
        """One SMTP transaction; raises `_Disconnected` when the connection is gone.

        Once the message has left, its final reply is awaited `data_timeout` seconds (RFC
        5321: 10 minutes); without one the e-mail may have arrived: it is reported
        `unknown`, never resent on another connection.
        """
        if not item.recipients:
            return SendResult(item.key, False, "no recipient", True)
        smtp = self._client.smtp
        try:
            refused = _envelope(smtp, envelope_sender, item.recipients, len(item.payload))
            _send_data(smtp, item.payload)
        except smtplib.SMTPRecipientsRefused as error:
            codes = {address: code for address, (code, _) in error.recipients.items()}
            return SendResult(
                item.key,
                False,
                self._scrub(_refusals(error.recipients)),
                permanent=bool(codes) and all(code >= 500 for code in codes.values()),
            )
        except smtplib.SMTPResponseException as error:  # sender refused, DATA refused
            return SendResult(
                item.key,
                False,
                self._scrub(_response_text(error)),
                permanent=error.smtp_code >= 500,
            )
        except smtplib.SMTPServerDisconnected as error:
            raise _Disconnected(self._scrub(str(error) or "server disconnected")) from None
        except (OSError, smtplib.SMTPException) as error:  # reset, timeout, broken pipe
            raise _Disconnected(self._scrub(_exception_text(error))) from None
        except UnicodeEncodeError:
            return SendResult(item.key, False, "the payload is not ASCII", True)
        try:
            code, reply = _final_reply(smtp, self.data_timeout, self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()  # the connection is in an unknown state: a new one for the next
            text = self._scrub(
                f"no reply after the message was sent ({_exception_text(error)}):"
                " it may have arrived; not resent"
            )
            return SendResult(item.key, False, text, permanent=False, unknown=True)
        if code != 250:
            if code == 421:  # the server is closing: the next message reconnects
                self._drop()
            else:
                _reset(smtp)
            text = self._scrub(f"{code} {clean_header(reply.decode('utf-8', 'replace'))}")
            return SendResult(item.key, False, text, permanent=code >= 500)
        if refused:  # delivered to the others: resending would duplicate it
            return SendResult(item.key, True, self._scrub(_refusals(refused)), False)
        return SendResult(item.key, True)

    def _ensure_connected(self) -> _Failure | None:
        """Connect and log in unless connected; a failure is (safe text, permanent)."""
        if self._connected:
            return None
        if self._settings_problem is not None:
            return self._config_failure(ValueError(self._settings_problem))
        try:
            self._client.login()  # connect, EHLO, STARTTLS, EHLO; never AUTH (skip_login)
            self.connections += 1
            self._connected = True
            if self._oauth is not None:
                token = fetch_access_token(self._oauth, self._client.smtp.timeout or 30.0)
                xoauth2_login(self._client.smtp, self.user or "", token)
            elif self.user and self._password is not None:
                self._client.smtp.login(self.user, self._password.get_secret_value())
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
            return self._config_failure(error)
        except smtplib.SMTPResponseException as error:  # greeting or EHLO refused
            self._drop()
            return (self._scrub(f"cannot connect: {_response_text(error)}"), error.smtp_code >= 500)
        except ssl.SSLError as error:  # untrusted certificate, TLS spoken to a plain port
            return self._config_failure(error)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            return (self._scrub(f"cannot connect: {error or 'server disconnected'}"), False)
        except smtplib.SMTPException as error:  # e.g. no AUTH mechanism in common
            return self._config_failure(error)
        except UnicodeError:  # smtplib sends AUTH as ASCII; never show the failing string
            return self._config_failure(ValueError("the SMTP user and password must be ASCII"))
        except OSError as error:  # refused, unreachable, timeout, unknown host
            self._drop()
            return (
                self._scrub(f"cannot connect to {self.host}:{self.port}: {_exception_text(error)}"),
                False,
            )
        log.info("SMTP connected to %s:%s (%s)", self.host, self.port, self.security)
        return None

    def _config_failure(self, error: BaseException) -> _Failure:
        """A failure that only a settings change can fix: permanent for every item."""
        self._drop()
        text = self._scrub(
            f"{CONFIG_ERROR} ({self.host}:{self.port}, {self.security}): {_exception_text(error)}"
        )
        log.error("%s", text)
        return text, True

    def _drop(self) -> None:
        """Forget the connection without a QUIT (it is already broken or refused)."""
        smtp = self._client.smtp
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()
        self._connected = False

    def _scrub(self, text: str) -> str:
        """The text without the password, raw or in the base64 forms AUTH sends."""
        if self._password is None:
            return text
        secret = self._password.get_secret_value()
        if not secret:
            return text
        forms = {secret}
        user = self.user or ""
        for plain in (secret, f"\0{user}\0{secret}"):
            forms.add(base64.b64encode(plain.encode("utf-8", "replace")).decode("ascii"))
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
        return text


def _envelope(
    smtp: smtplib.SMTP, sender: str, recipients: Sequence[str], size: int
) -> dict[str, tuple[int, bytes]]:
    """MAIL FROM and RCPT TO, as smtplib's sendmail does them; returns the refused recipients."""
    smtp.ehlo_or_helo_if_needed()
    options = [f"SIZE={size}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(sender, options)
    if code != 250:
        if code == 421:
            smtp.close()
        else:
            _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for address in recipients:
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    return refused


def _send_data(smtp: smtplib.SMTP, payload: str) -> None:
    """DATA, then the message with its end marker; its final reply is read apart."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        if code == 421:
            smtp.close()
        else:
            _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)
    # Every line break as CRLF, then each line starting with "." doubled (RFC 5321
    # 4.5.2); str.replace, because a regex over a message of megabytes costs ~10 times more.
    lines = payload.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    data = lines.encode("ascii").replace(b"\r\n.", b"\r\n..")
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data + b".\r\n")


def _final_reply(smtp: smtplib.SMTP, wait: float, usual: float) -> tuple[int, bytes]:
    """The reply to the end of DATA, awaited `wait` seconds (the usual timeout after)."""
    sock = smtp.sock
    if sock is not None:
        sock.settimeout(wait)
    try:
        return smtp.getreply()
    finally:
        if smtp.sock is not None:
            smtp.sock.settimeout(usual)


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a refused step; a broken connection shows on the next command."""
    with contextlib.suppress(smtplib.SMTPServerDisconnected, OSError):
        smtp.rset()


class _Disconnected(Exception):
    """The connection broke during a transaction; the message may or may not have arrived."""


def _response_text(error: smtplib.SMTPResponseException) -> str:
    """'421 text' from an SMTP reply error."""
    reply = error.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{error.smtp_code} {clean_header(text)}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    """'address: 550 text; …' for refused recipients."""
    return (
        "; ".join(
            f"{address}: {code} {clean_header(reply.decode('utf-8', 'replace'))}"
            for address, (code, reply) in refused.items()
        )
        or "every recipient refused"
    )


def _exception_text(error: BaseException) -> str:
    """Class name and message of an exception, on one line."""
    if isinstance(error, smtplib.SMTPResponseException):
        return _response_text(error)
    return clean_header(f"{type(error).__name__}: {error}")


# --------------------------------------------------------------------------- folder


class OutboxFolder(Mailer):
    """Writes each message as .eml plus a standalone .html page instead of sending it."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.written: list[Path] = []

    def __repr__(self) -> str:
        return f"OutboxFolder({str(self.directory)!r})"

    def connect(self) -> None:
        """Create the folder now (private to the user: the mails hold personal data)."""
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory.chmod(0o700)  # mkdir's mode is masked by the umask

    def close(self) -> None:
        """Nothing to release."""

    def _results(self, items: Sequence[Composed], sender: str) -> Iterator[SendResult]:
        """Write every message, yielding as its files are written; a failed write is transient.

        `sender` is not used: it keeps the interface of `Smtp`.
        """
        if not items:
            return
        try:
            self.connect()
        except OSError as error:
            text = f"cannot create {self.directory}: {_exception_text(error)}"
            for item in items:
                yield SendResult(item.key, False, text, False)
            return
        stamp = dt.datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
        for item in items:
            yield self._write(item, stamp)

    def _write(self, item: Composed, stamp: str) -> SendResult:
        """Write one message as .eml and .html; a failed write is transient."""
        stem = "-".join(
            [
                stamp,
                _slug(item.kind) or "mail",
                _slug(item.project) or "portfolio",
                _slug(item.subject)[:40].strip("-") or "message",
                hashlib.sha256(item.key.encode("utf-8")).hexdigest()[:8],
            ]
        )
        paths = [self.directory / f"{stem}.eml", self.directory / f"{stem}.html"]
        try:
            page = standalone_html(item.payload)
            _write_private(paths[0], item.payload)
            _write_private(paths[1], page)
        except OSError as error:
            return SendResult(item.key, False, _exception_text(error), False)
        self.written += paths
        return SendResult(item.key, True)


def standalone_html(payload: str) -> str:
    """The HTML part of a message as a page a browser shows as the mail would look."""
    message = email.message_from_string(payload, policy=_MESSAGE_POLICY)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("html",))
    fragment = body.get_content() if body is not None else ""
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_maintype() == "image":
            # Browsers cannot resolve cid: links; embed the image as a data: URL.
            image = part.get_payload(decode=True)
            data = base64.b64encode(image if isinstance(image, bytes) else b"").decode("ascii")
            fragment = fragment.replace(
                f"cid:{str(content_id).strip('<>')}",
                f"data:{part.get_content_type()};base64,{data}",
            )
    language = str(message.get("Content-Language") or "fr").strip()
    language = language if _LANGUAGE_TAG.match(language) else "fr"
    direction = "rtl" if is_rtl(language) else "ltr"
    title = html.escape(str(message.get("Subject") or ""))
    return (
        f'<!DOCTYPE html>\n<html lang="{language}" dir="{direction}">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{title}</title>\n</head>\n'
        f'<body style="margin:0">\n{fragment}\n</body>\n</html>\n'
    )


def _write_private(path: Path, text: str) -> None:
    """Write a UTF-8 file readable by the owner only."""
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by dashes, for file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# --------------------------------------------------------------------------- factory


def open_mailer(env: Env) -> Smtp | OutboxFolder:
    """SMTP when SUIVI_SMTP_HOST is set, else the outbox folder (a fresh clone needs no server)."""
    if env.smtp_host:
        return Smtp(env)
    return OutboxFolder(env.outbox_dir)


def sender_of(env: Env, officer_email: str) -> str:
    """SUIVI_MAIL_FROM, else the SMTP user when it is an address, else the officer's address."""
    if env.mail_from:
        return env.mail_from
    if env.smtp_user and "@" in env.smtp_user:
        return env.smtp_user
    return officer_email


def message_of(payload: str) -> Message:
    """A stored payload parsed back, for tests and previews."""
    return email.message_from_string(payload, policy=_MESSAGE_POLICY)
