"""One test e-mail through the configured SMTP server, and at which step it failed.

The connection and the login are the ones a run uses (`Smtp`); the transaction is then
done step by step, so a refused sender is told apart from a refused recipient.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal

from suivi.adapters.mail import MailError, Smtp, clean_header
from suivi.settings import Env

Step = Literal["settings", "connect", "tls", "login", "sender", "recipient", "data", "sent"]
_TLS_WORDS = ("SSL", "TLS", "certificate", "CERTIFICATE")
_LOGIN_WORDS = ("535", "534", "Authentication", "AUTH", "OAuth", "SUIVI_SMTP_")


@dataclass(frozen=True)
class MailCheck:
    """Where the test e-mail went, or the step that failed and the server's words."""

    step: Step
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the server accepted the message."""
        return self.step == "sent"


def send_test_email(
    env: Env,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> MailCheck:
    """Connect, log in and send one message; the first failing step and what the server said."""
    if not env.smtp_host:
        return MailCheck("settings", "SUIVI_SMTP_HOST is not set")
    mailer = Smtp(env, tls_context=tls_context, max_reconnects=0)
    try:
        try:
            mailer.connect()
        except MailError as error:
            return MailCheck(_connection_step(str(error)), str(error))
        return _transaction(mailer, sender, recipient, _message(sender, recipient, subject, text))
    finally:
        mailer.close()


def _connection_step(text: str) -> Step:
    """TLS, login or plain connection, from the failure's words."""
    if any(word in text for word in _TLS_WORDS):
        return "tls"
    if any(word in text for word in _LOGIN_WORDS):
        return "login"
    return "connect"


def _transaction(mailer: Smtp, sender: str, recipient: str, message: EmailMessage) -> MailCheck:
    """MAIL FROM, RCPT TO, DATA one at a time on the open connection."""
    smtp = mailer._client.smtp
    address = parseaddr(sender)[1] or sender
    try:
        code, reply = smtp.mail(address)
        if code >= 400:
            return MailCheck("sender", f"{code} {reply.decode(errors='replace')}")
        code, reply = smtp.rcpt(recipient)
        if code >= 400:
            return MailCheck("recipient", f"{code} {reply.decode(errors='replace')}")
        code, reply = smtp.data(message.as_bytes())
    except smtplib.SMTPResponseException as error:
        return MailCheck("data", f"{error.smtp_code} {_text(error.smtp_error)}")
    except (smtplib.SMTPException, OSError) as error:
        return MailCheck("connect", f"{type(error).__name__}: {error}")
    if code >= 400:
        return MailCheck("data", f"{code} {reply.decode(errors='replace')}")
    return MailCheck("sent", f"{code} {reply.decode(errors='replace')}")


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _message(sender: str, recipient: str, subject: str, text: str) -> EmailMessage:
    """A short plain-text message, marked automatic so no vacation reply comes back."""
    message = EmailMessage()
    message["From"] = clean_header(sender)
    message["To"] = clean_header(recipient)
    message["Subject"] = clean_header(subject)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=(parseaddr(sender)[1].partition("@")[2] or None))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message
