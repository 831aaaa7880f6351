"""The dashboard as records: one per activity, deliverable and indicator (contract §3)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from suivi.compute.flags import flag_lists

STATUS_FIELDS = [
    "project",
    "kind",
    "id",
    "name",
    "owner",
    "state",
    "flags",
    "days_late",
    "projected_finish",
    "current",
    "achievement",
]


def status_records(tracking: pd.DataFrame, indicators: pd.DataFrame) -> list[dict[str, Any]]:
    """Activities and deliverables (state, flags, days late, projected finish), then indicators."""
    items = pd.DataFrame(
        {
            "project": tracking["project"],
            "kind": tracking["kind"],
            "id": tracking["id"],
            "name": tracking["name"],
            "owner": tracking["owner"],
            "state": tracking["state"],
            "flags": flag_lists(tracking),
            "days_late": tracking["days_late"].astype("Int64"),
            "projected_finish": tracking["projected_finish"].dt.strftime("%Y-%m-%d"),
            "current": float("nan"),
            "achievement": float("nan"),
        }
    )
    measured = pd.DataFrame(
        {
            "project": indicators["project"],
            "kind": "indicator",
            "id": indicators["code"],
            "name": indicators["name"],
            "owner": indicators["owner"],
            "state": indicators["status"],
            "flags": [[] for _ in range(len(indicators))],
            "days_late": pd.array([pd.NA] * len(indicators), dtype="Int64"),
            "projected_finish": None,
            "current": indicators["current"],
            "achievement": indicators["achievement"],
        }
    )
    both = pd.concat([items, measured], ignore_index=True)[STATUS_FIELDS]
    return [_plain(record) for record in both.astype("object").to_dict("records")]


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values: missing → None, numpy numbers → Python numbers."""
    plain: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, list):
            plain[name] = [str(item) for item in value]
        elif value is None or (not isinstance(value, str) and pd.isna(value)):
            plain[name] = None
        elif name == "days_late":
            plain[name] = int(value)
        elif name in {"current", "achievement"}:
            plain[name] = round(float(value), 4)
        else:
            plain[name] = str(value)
    return plain
