"""The flows' names, in one place: the flows are registered under them, each run is stored
under its flow's name, and the preview compares with the last run of the same name.
"""

from __future__ import annotations

from typing import Final

WEEKLY_FLOW: Final = "weekly-summary"
DAILY_FLOW: Final = "daily-watch"
# A run's occasion (`suivi run weekly|daily`, `suivi preview …`) → its flow's name.
FLOW_OF: Final[dict[str, str]] = {"weekly": WEEKLY_FLOW, "daily": DAILY_FLOW}
