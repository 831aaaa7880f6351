"""A person at a terminal hears of a mail outage at once; only unattended runs wait to retry."""

from __future__ import annotations

from suivi.cli.run import describe_report
from suivi.jobs.delivery import Delivery, Failure
from tasks.attended import attended, is_attended
from tasks.notify import worth_retrying

REFUSED = "cannot connect to smtp.example.org:587: [Errno 111] Connection refused"


def outage() -> Delivery:
    return Delivery(
        planned=2, failures=[Failure("k1", REFUSED, permanent=False)], unreachable=REFUSED
    )


def test_an_unattended_run_retries_an_outage_while_attempts_remain() -> None:
    assert not is_attended()
    assert worth_retrying(outage(), attempt=1, attempts=3)
    assert not worth_retrying(outage(), attempt=3, attempts=3)


def test_an_attended_run_never_waits_to_retry() -> None:
    with attended():
        assert is_attended()
        assert not worth_retrying(outage(), attempt=1, attempts=3)
    assert not is_attended()
    with attended(False):
        assert worth_retrying(outage(), attempt=1, attempts=3)


def test_the_run_says_the_mail_server_cannot_be_used_and_the_e_mails_stay_pending() -> None:
    text = describe_report(
        {
            "flow": "weekly-summary",
            "as_of": "2026-12-07",
            "projects": ["TPM"],
            "emails_failed": [f"k1: {REFUSED}"],
            "mail_unreachable": REFUSED,
        }
    )
    assert "Connection refused" in text and "stay pending" in text
