"""`suivi preview`: exactly the e-mails the run of that day would send, in files any system opens."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from suivi.adapters.store import open_store
from suivi.jobs.pipeline import view_project
from suivi.jobs.preview import FLOW_OF, plan_previews, preview_file_name, write_previews
from suivi.notify.messages import Message, MessageKind
from suivi.settings import Env, load_config

# Characters Windows refuses in a file name (macOS refuses ':' in Finder and '/').
UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def test_preview_names_are_safe_on_windows_and_macos() -> None:
    digest = Message(
        MessageKind.OWNER_DIGEST, "*", "2026-W50", (("Amina", "amina@example.org"),), "fr"
    )
    odd = Message(
        MessageKind.LATE_ALERT, 'A/B:C*"?', "2026-12-07", (("X", "x|y@example.org"),), "ar"
    )
    names = [preview_file_name(1, digest), preview_file_name(2, odd)]

    assert names[0] == "001-owner_digest-all-amina@example.org.html"
    for name in names:
        assert not UNSAFE.search(name), name
        assert name.endswith(".html") and len(name) <= 160


def test_the_flows_are_named_as_the_preview_thinks() -> None:
    """The names Prefect runs the flows under are those the preview looks up in the store."""
    from flows.daily import daily_watch
    from flows.weekly import weekly_summary

    assert {"weekly": weekly_summary.name, "daily": daily_watch.name} == FLOW_OF


@pytest.mark.usefixtures("prefect_harness")
def test_preview_daily_shows_exactly_what_the_daily_run_sends(
    suivi_env: Path, demo_config: Path
) -> None:
    """A weekly ran after the last daily: the daily compares with the daily, so does the preview."""
    from flows.daily import daily_watch
    from flows.weekly import weekly_summary

    daily_watch(config_path=str(demo_config), as_of=dt.date(2026, 11, 30))
    weekly_summary(config_path=str(demo_config), as_of=dt.date(2026, 12, 7))
    day = dt.date(2026, 12, 8)
    config = load_config(demo_config)
    env = Env()
    with open_store(env.database_url) as store:
        views = [
            view_project(p, config, env, day, store, flow="daily-watch") for p in config.projects
        ]
        before = {item.key for item in store.outbox_items()}
        # As the run: its last daily run (§6.1) and its outbox (what was already sent).
        previewed = {message.key for message in plan_previews("daily", views, config, day, store)}
    pages = write_previews("daily", config, env, day, suivi_env / "preview")

    daily_watch(config_path=str(demo_config), as_of=day)

    with open_store(env.database_url) as store:
        sent = {item.key for item in store.outbox_items("sent")} - before
    assert any(key.startswith("late_alert|") for key in sent)  # items late since 30 November
    assert previewed == sent
    assert len(pages) == len(sent)
    assert all(not UNSAFE.search(page.name) for page in pages)
