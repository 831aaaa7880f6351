"""The officer's notice of a run started with `force`: e-mails already sent went out again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from suivi.i18n import is_rtl
from suivi.i18n.catalogs import N_, SOURCE_LANGUAGE, gettext
from suivi.notify.messages import Message, MessageKind
from suivi.notify.render import FIRST_STRONG_ISOLATE, POP_ISOLATE
from suivi.settings import Config

Starter = Literal["schedule", "api", "terminal", "script"]

# Who started a forced run, as the notice says it after "started with force by …": the words
# are translated, the names in braces (a deployment, a login, a machine) stay as they are.
STARTED_BY: dict[Starter, str] = {
    "schedule": N_("the schedule of the deployment {deployment}"),
    "api": N_("a request to the Prefect API for the deployment {deployment}"),
    "terminal": N_("{user} at a terminal on {host} ({command})"),
    "script": N_("a script or a scheduled task on {host}, as {user} ({command})"),
}
COMMAND = "suivi run --force"


@dataclass(frozen=True)
class StartedBy:
    """What started a forced run, and the names that tell which one."""

    starter: Starter
    deployment: str = ""
    user: str = ""
    host: str = ""

    def said_in(self, language: str) -> str:
        """The words of the notice, in `language`, names as they are.

        In right-to-left text each name is isolated, so `pc-12` or `--force` keep their order.
        """
        names = self._names()
        if is_rtl(language):
            names = {
                key: f"{FIRST_STRONG_ISOLATE}{name}{POP_ISOLATE}" for key, name in names.items()
            }
        return gettext(STARTED_BY[self.starter], language, **names)

    def for_the_log(self) -> str:
        """In English, for the run's log and stored report (read by whoever maintains the machine)."""
        return self.said_in(SOURCE_LANGUAGE)

    def _names(self) -> dict[str, str]:
        return {
            "deployment": self.deployment,
            "user": self.user,
            "host": self.host,
            "command": COMMAND,
        }


def plan_forced_run(
    config: Config,
    flow_name: str,
    as_of: dt.date,
    run_id: str,
    started_by: StartedBy,
    resent: int,
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
            "started_by": started_by.said_in(config.language),
            "resent": resent,
            "officer": {"name": officer.name, "email": officer.email},
            "recipient": {"name": officer.name, "email": officer.email},
        },
    )
