"""What the run page shows: a markdown dashboard and a table of flags (pure builders + publish).

Artifact keys are fixed (`suivi-dashboard`, `suivi-flags`), so the Prefect UI keeps one
history per key across runs.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd

from suivi.compute.flags import flag_lists
from suivi.notify.messages import ProjectView
from suivi.schema import Flag

DASHBOARD_KEY = "suivi-dashboard"
FLAGS_KEY = "suivi-flags"
# What makes Markdown live in the middle of a line (links, images, code, emphasis, tables);
# `&`, `<` and `>` become entities first, so no HTML tag or autolink survives either.
MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]()!|~]")
MAX_ROWS = 50  # per section: the sheet's `Suivi automatique` tab has them all

COUNT_FLAGS: dict[str, Flag] = {
    "late": Flag.LATE,
    "at risk": Flag.AT_RISK,
    "late start": Flag.LATE_START,
    "due soon": Flag.DUE_SOON,
    "stale": Flag.STALE,
}
FLAG_TABLE_COLUMNS = [
    "project",
    "kind",
    "id",
    "name",
    "owner",
    "state",
    "days_late",
    "deadline",
    "flags",
]


def project_counts(views: Sequence[ProjectView], failures: Mapping[str, str]) -> pd.DataFrame:
    """One row per project: items, flags raised, indicators behind, data problems; failed ones too."""
    rows: list[dict[str, Any]] = []
    for view in views:  # a handful of projects
        tracking = view.tracking
        row: dict[str, Any] = {
            "project": view.project.code,
            "activities": int((tracking["kind"] == "activity").sum()),
            "deliverables": int((tracking["kind"] == "deliverable").sum()),
        }
        for label, flag in COUNT_FLAGS.items():
            row[label] = int(tracking[flag.value].sum()) if flag.value in tracking.columns else 0
        row["indicators"] = len(view.indicators)
        row["behind"] = int((view.indicators.get("status", pd.Series(dtype=str)) == "behind").sum())
        row["problems"] = len(view.tables.problems)
        row["state"] = "ok"
        rows.append(row)
    rows += [{"project": code, "state": f"failed: {why}"} for code, why in failures.items()]
    columns = [
        "project",
        "activities",
        "deliverables",
        *COUNT_FLAGS,
        "indicators",
        "behind",
        "problems",
        "state",
    ]
    return pd.DataFrame(rows, columns=columns)


def late_items(views: Sequence[ProjectView]) -> pd.DataFrame:
    """Every late activity and deliverable with its owner, the latest first."""
    columns = ["project", "id", "name", "owner", "deadline", "days_late"]
    frames = [
        view.tracking.loc[view.tracking[Flag.LATE.value], columns]
        for view in views
        if Flag.LATE.value in view.tracking.columns
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    late = pd.concat(frames, ignore_index=True)
    return late.sort_values("days_late", ascending=False, kind="stable").reset_index(drop=True)


def indicator_progress(views: Sequence[ProjectView]) -> pd.DataFrame:
    """Every indicator with its current value, target and share achieved (in %)."""
    columns = ["project", "code", "name", "current", "target", "achievement", "status"]
    frames = [view.indicators.reindex(columns=columns) for view in views]
    if not frames:
        return pd.DataFrame(columns=columns)
    indicators = pd.concat(frames, ignore_index=True)
    return indicators.assign(achievement=(indicators["achievement"] * 100).round(0))


def flag_rows(views: Sequence[ProjectView]) -> list[dict[str, Any]]:
    """One plain row per flagged activity or deliverable, for the table artifact."""
    frames = []
    for view in views:
        tracking = view.tracking
        flags = flag_lists(tracking)
        flagged = flags.map(len) > 0
        frames.append(
            tracking.loc[flagged]
            .assign(flags=flags[flagged].map(", ".join))
            .reindex(columns=FLAG_TABLE_COLUMNS)
        )
    if not frames:
        return []
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        return []
    # The Prefect UI renders every text cell of a table artifact as Markdown (ArtifactDataTable).
    cells = _text_cells(table)
    sheet_text = [name for name in cells.columns if name != "flags"]  # flags: the product's codes
    cells[sheet_text] = cells[sheet_text].apply(lambda column: column.map(escape_markdown))
    return cast(list[dict[str, Any]], cells.to_dict("records"))


def dashboard_markdown(
    flow_name: str,
    as_of: dt.date,
    views: Sequence[ProjectView],
    failures: Mapping[str, str],
    report: Mapping[str, Any] | None = None,
) -> str:
    """The run's dashboard: counts per project, late items with owners, indicators with % achieved."""
    parts = [f"# {escape_markdown(flow_name)} — {as_of.isoformat()}", ""]
    if report is not None:
        parts += [
            f"E-mails: {report.get('emails_sent', 0)} sent, {report.get('emails_already_sent', 0)}"
            f" already sent, {len(report.get('emails_failed', []))} failed.",
            "",
        ]
    parts += ["## Projects", "", markdown_table(project_counts(views, failures)), ""]
    late = late_items(views)
    parts += [
        f"## Late ({len(late)})",
        "",
        markdown_table(late.head(MAX_ROWS)) if len(late) else "Nothing late.",
        "",
    ]
    if len(late) > MAX_ROWS:
        parts += [f"… and {len(late) - MAX_ROWS} more in the `Suivi automatique` tabs.", ""]
    indicators = indicator_progress(views)
    parts += [
        "## Indicators (% achieved)",
        "",
        markdown_table(indicators.head(MAX_ROWS)) if len(indicators) else "No indicators.",
        "",
    ]
    return "\n".join(parts)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-style markdown table; cells are single-line inert text (Markdown and HTML escaped)."""
    if frame.empty:
        return "(none)"
    cells = _text_cells(frame).apply(lambda column: column.map(escape_markdown))
    lines = "| " + cells.iloc[:, 0]
    for column in cells.columns[1:]:
        lines = lines + " | " + cells[column]
    header = "| " + " | ".join(str(name) for name in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule, *(lines + " |").tolist()])


def escape_markdown(text: str) -> str:
    """Sheet text shown as itself: no link, image, emphasis or HTML tag comes alive."""
    return MARKDOWN_SPECIALS.sub(r"\\\g<0>", html.escape(text, quote=False))


def _text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as one line of text: dates as ISO days, numbers without noise, missing as ''."""
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values):
            text = values.round(2).map(lambda number: f"{number:g}", na_action="ignore")
        else:
            text = values.astype("string")
        columns[str(name)] = (
            text.astype("string").fillna("").str.replace(r"\s+", " ", regex=True).str.strip()
        )
    return pd.DataFrame(columns, index=frame.index)


def publish_artifacts(
    flow_name: str,
    as_of: dt.date,
    views: Sequence[ProjectView],
    failures: Mapping[str, str],
    report: Mapping[str, Any] | None = None,
) -> None:
    """Create this run's dashboard and flags artifacts."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        dashboard_markdown(flow_name, as_of, views, failures, report),
        key=DASHBOARD_KEY,
        description=f"{flow_name} {as_of.isoformat()}: projects, late items, indicators",
    )
    create_table_artifact(
        flag_rows(views) or [dict.fromkeys(FLAG_TABLE_COLUMNS, "")],
        key=FLAGS_KEY,
        description=f"{flow_name} {as_of.isoformat()}: flagged activities and deliverables",
    )
