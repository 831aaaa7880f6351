"""The officer's notice of a run started with `force`: e-mails already sent went out again."""

from __future__ import annotations

import datetime as dt

from suivi.notify.messages import Message, MessageKind
from suivi.settings import Config


def plan_forced_run(
    config: Config, flow_name: str, as_of: dt.date, run_id: str, started_by: str, resent: int
) -> Message:
    """One notice per forced run (its id in the key), to the portfolio's officer."""
    officer = config.officer
    return Message(
        kind=MessageKind.FORCED_RUN,
        project="*",
        occasion=f"{as_of.isoformat()}:{run_id}",
        to=((officer.name, officer.email.strip().lower()),),
        language=config.language,
        context={
            "project": {"code": "*", "name": ""},
            "as_of": as_of,
            "flow": flow_name,
            "run_id": run_id,
            "started_by": started_by,
            "resent": resent,
            "officer": {"name": officer.name, "email": officer.email},
            "recipient": {"name": officer.name, "email": officer.email},
        },
    )
