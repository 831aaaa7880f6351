"""Compose 500 e-mails and send them over one SMTP connection to a loopback aiosmtpd sink.

Run from the repository root: `.venv/bin/python bench/bench_smtp.py [count]`.
Prints composing and sending rates (e-mails per second), the main thread's CPU seconds for
each (the sink runs in a thread of its own: its work is not counted), and the connections used.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from time import thread_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes.smtp import FakeSmtpServer

from suivi.adapters.mail import Smtp, compose
from suivi.model import Email

SENDER = ("Suivi & Évaluation", "suivi@example.org")


def sample_email(index: int) -> Email:
    """An owner digest of realistic size: a table, a small chart, a CSV attachment."""
    rows = "".join(
        f'<tr><td style="padding:4px">A{index}.{row}</td><td>Activité n° {row} – Agadir</td>'
        f'<td align="right">{row * 3 % 100} %</td></tr>'
        for row in range(40)
    )
    return Email(
        key=f"owner_digest|TPM|2026-03-16|owner{index}@example.org",
        kind="owner_digest",
        project="TPM",
        to=((f"Responsable n° {index} – العلوي", f"owner{index}@example.org"),),
        cc=(("Chargée de projet", "officer@example.org"),),
        subject=f"Vos activités – semaine 12 ({index})",
        html=f'<div dir="ltr" lang="fr"><table>{rows}</table><img src="cid:chart"></div>',
        text="\n".join(f"A{index}.{row} Activité n° {row}" for row in range(40)),
        images=(("chart", os.urandom(12_000)),),  # incompressible, like a PNG
        attachments=(("activites.csv", b"id;activite\n" * 200, "text/csv"),),
    )


def main(count: int = 500) -> None:
    """Compose `count` e-mails, send them over one connection, print the rates."""
    server = FakeSmtpServer().start()
    try:
        emails = [sample_email(index) for index in range(count)]
        started, cpu_started = time.perf_counter(), thread_time()
        composed = [compose(email, SENDER) for email in emails]
        composing, composing_cpu = time.perf_counter() - started, thread_time() - cpu_started

        env = server.env()
        started, cpu_started = time.perf_counter(), thread_time()
        with Smtp(env) as mailer:
            results = mailer.send_all(composed, "suivi@example.org")
        sending, sending_cpu = time.perf_counter() - started, thread_time() - cpu_started

        sent = sum(result.ok for result in results)
        size = sum(len(item.payload) for item in composed) / count
        print(f"messages: {count}, average size {size / 1024:.1f} KiB")
        print(
            f"compose: {composing:.2f} s = {count / composing:.0f} e-mails/s, CPU {composing_cpu:.2f} s"
        )
        print(
            f"send:    {sending:.2f} s = {sent / sending:.0f} e-mails/s over loopback,"
            f" CPU {sending_cpu:.2f} s"
        )
        print(
            f"sent {sent}/{count}, received {len(server.messages)}, connections {server.connections}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
