"""The committee pack, pure: what changed since the last committee, timeline, indicators, decisions.

`plan_committee_pack` computes what the pack shows from a project's view and the snapshot
stored at the last committee (passed in, never fetched); `render_committee_pack` draws the
figures off-screen (Agg) and renders the one printable HTML page. Reading the store and
writing files (HTML, PDF, Word) happen in `suivi.jobs.committee`.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jinja2
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from babel.dates import format_date as babel_format_date
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from suivi.compute.calendar import Calendar, calendar_for
from suivi.compute.changes import diff_snapshots, done_mask, flag_mask
from suivi.compute.flags import flag_lists
from suivi.compute.indicators import compute_indicators, indicator_history
from suivi.i18n import as_date, format_day, format_number, is_rtl, language_or_default, locale_of
from suivi.i18n import as_float as _float
from suivi.i18n import translate as translate_key
from suivi.i18n.catalogs import gettext, pgettext
from suivi.model import records
from suivi.notify.charts import figure_png as chart_png
from suivi.notify.messages import PACK_HORIZON_DAYS, ProjectView
from suivi.schema import TAB_HEADERS, Flag, Status, Tab
from suivi.settings import Config

PACK_TEMPLATE = "committee_pack.html"
MAX_ROWS = 100  # rows per table; the sheet's "Suivi automatique" tab has them all
MAX_TIMELINE_BARS = 36  # with the frame, the figure stays shorter than an A4 page
MAX_INDICATOR_CHARTS = 24
# A change smaller than this is rounding, not movement.
MOVE_EPSILON = 1e-9

# Figures: A4 holds 180 mm of text width, about 7 inches; 120 dpi keeps print sharp and files small.
DPI = 120
TIMELINE_WIDTH_INCHES = 7.0
TIMELINE_BAR_INCHES = 0.22
TIMELINE_FRAME_INCHES = 1.3
INDICATOR_FIGURE_INCHES = (3.4, 2.6)
PALETTE_COLOURS = 48
# State → (fill colour, hatch): the pattern and the words next to the bar tell the state,
# never the colour alone.
TIMELINE_STYLES: dict[str, tuple[str, str]] = {
    "late": ("#f4c7c3", "xxx"),
    "at_risk": ("#fde2b8", "///"),
    "done": ("#c8e6c9", ""),
    "paused": ("#e0e0e0", "..."),
    "open": ("#dbe9f6", ""),
}
TIMELINE_EDGES: dict[str, str] = {
    "late": "#b71c1c",
    "at_risk": "#9a4d00",
    "done": "#1b5e20",
    "paused": "#616161",
    "open": "#0d47a1",
}

ITEM_COLUMNS = [
    "project", "kind", "id", "name", "owner", "owner_email", "funder", "status", "state",
    "progress", "planned_start", "deadline", "days_late", "projected_finish", "actual_end",
    "last_update", "row", "tab", "flags",
]  # fmt: skip


def chart_word(kind: str, language: str) -> str:
    """The legend word of a timeline category (late, at_risk, done, open, paused, progress)."""
    words = {
        "late": pgettext("committee chart", "Late", language),
        "at_risk": pgettext("committee chart", "At risk", language),
        "done": pgettext("committee chart", "Done", language),
        "open": pgettext("committee chart", "Planned or in progress", language),
        "paused": pgettext("committee chart", "Suspended or cancelled", language),
        "progress": pgettext("committee chart", "Progress", language),
    }
    return words[kind]


class NoMeetingError(LookupError):
    """No committee to build a pack for: none on the date asked, or none ahead."""

    def __init__(self, message: str, meetings: list[dt.date] | None = None) -> None:
        """`meetings`: the dates planned in « Comités », to offer instead."""
        super().__init__(message)
        self.meetings = meetings or []


class StoredState(Protocol):
    """What a run stored for a project (a store's snapshot): the pack compares with it."""

    @property
    def as_of(self) -> dt.date:
        """The day the snapshot describes."""

    @property
    def tracking(self) -> pd.DataFrame:
        """Activities and deliverables as they stood."""

    @property
    def indicators(self) -> pd.DataFrame:
        """Indicator values as they stood."""


@dataclass(frozen=True, eq=False)
class CommitteePack:
    """What the pack shows, computed; frames hold rows in the order they are printed."""

    project_code: str
    project_name: str
    language: str
    as_of: dt.date
    meeting: dict[str, Any]  # date, time, body, place, participants, agenda
    last_meeting: dt.date | None
    compared_on: dt.date | None  # the stored snapshot used, when there was one
    horizon: dt.date
    done_since: pd.DataFrame  # tracking rows done (or handed in) since the last committee
    newly_late: pd.DataFrame  # tracking rows late now and not at the last committee
    moved: pd.DataFrame  # indicators whose value changed: previous, current, change
    late: pd.DataFrame  # every late item, the longest delay first
    at_risk: pd.DataFrame  # activities at risk, with the weekly pace they need
    deliverables: pd.DataFrame  # not handed in, due by the horizon
    indicators: pd.DataFrame  # the indicator table with its forecast columns
    history: pd.DataFrame  # indicator values per measure date (project, code, date, value)
    tracking: pd.DataFrame  # every activity and deliverable, for the timeline
    tab_titles: dict[str, str]


def plan_committee_pack(
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    *,
    meeting_date: dt.date | None = None,
    previous: StoredState | None = None,
) -> CommitteePack:
    """Everything the pack shows for the next meeting (or the one on `meeting_date`): pure.

    `previous` is what was stored at the last committee (`meeting_before`); without it the
    sheet's dates tell what changed.
    """
    project = view.project
    language = config.language_of(project)
    calendar = calendar_for(config.working_days)
    committees = view.tables.committees
    meeting = _choose_meeting(committees, as_of, meeting_date)
    title = view.tables.tab_titles.get(Tab.COMMITTEES, TAB_HEADERS[Tab.COMMITTEES][0])
    if meeting is None and meeting_date is not None:
        raise NoMeetingError(
            f"{project.code}: no committee on {meeting_date.isoformat()} in « {title} »",
            meeting_dates(committees),
        )
    if meeting is None:
        raise NoMeetingError(
            f"{project.code}: no committee on or after {as_of.isoformat()} in « {title} »;"
            " give the meeting's date with --date",
            meeting_dates(committees),
        )
    day = meeting["date"]
    last_meeting = _last_meeting_before(committees, day)
    next_meeting = _first_meeting_after(committees, day)
    horizon = next_meeting or day + dt.timedelta(days=PACK_HORIZON_DAYS)

    tracking = _items(view, view.tracking)
    snapshot = previous if last_meeting is not None else None
    done_since, newly_late = _since(tracking, last_meeting, snapshot, calendar)
    # The view's indicators carry their forecast, its activities their pace (suivi.jobs.pipeline).
    moved = _moved_indicators(view, config, view.indicators, last_meeting, snapshot)
    late = tracking[flag_mask(tracking, Flag.LATE).to_numpy()].sort_values(
        ["days_late", "deadline"], ascending=[False, True], na_position="last", kind="stable"
    )
    at_risk = tracking[flag_mask(tracking, Flag.AT_RISK).to_numpy()].sort_values(
        "deadline", na_position="last", kind="stable"
    )
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    deliverables = tracking[
        ((tracking["kind"] == "deliverable") & ~done_mask(tracking)).to_numpy()
        & (deadline <= pd.Timestamp(horizon)).to_numpy()
    ].sort_values("deadline", kind="stable")
    history = _measured_history(view, as_of)
    return CommitteePack(
        project_code=project.code,
        project_name=project.name,
        language=language,
        as_of=as_of,
        meeting=meeting,
        last_meeting=last_meeting,
        compared_on=snapshot.as_of if snapshot is not None else None,
        horizon=horizon,
        done_since=done_since,
        newly_late=newly_late,
        moved=moved,
        late=late,
        at_risk=at_risk,
        deliverables=deliverables,
        indicators=view.indicators,
        history=history,
        tracking=tracking,
        tab_titles=dict(view.tables.tab_titles),
    )


def render_committee_pack(pack: CommitteePack, templates: jinja2.Environment) -> str:
    """The pack as one standalone, printable HTML page; charts embedded as data: PNG."""
    language = language_or_default(pack.language)
    rtl = is_rtl(language)
    activities = pack.tracking[(pack.tracking["kind"] == "activity").to_numpy()]
    drawn = _timeline_rows(activities)
    context = {
        "language": language,
        "dir": "rtl" if rtl else "ltr",
        "align": "right" if rtl else "left",
        "opposite": "left" if rtl else "right",
        "subject": f"{translate_key('title.committee_pack', language)} – {pack.project_code}",
        "project": {"code": pack.project_code, "name": pack.project_name},
        "as_of": pack.as_of,
        "committee": pack.meeting,
        "last_meeting": pack.last_meeting,
        "compared_on": pack.compared_on,
        "horizon": pack.horizon,
        "done_since": _section(pack.done_since),
        "newly_late": _section(pack.newly_late),
        "moved": _records(pack.moved.head(MAX_ROWS)),
        "late": _section(pack.late),
        "at_risk": _section(pack.at_risk),
        "deliverables": _section(pack.deliverables),
        "indicators": _records(pack.indicators.head(MAX_ROWS)),
        "missing": _records(pack.indicators[pack.indicators["missing_measure"].to_numpy()]),
        "timeline": {
            "src": _data_uri(figure_png(timeline_chart(pack.tracking, pack.as_of, language))),
            "alt": timeline_description(pack.as_of, language),
            "more": int(len(_timeline_candidates(activities)) - len(drawn)),
            "undated": int(
                (activities["planned_start"].isna() | activities["deadline"].isna()).sum()
            ),
        },
        "charts": _indicator_charts(pack, language),
        "charts_more": max(0, len(pack.indicators) - MAX_INDICATOR_CHARTS),
    }
    return templates.get_template(PACK_TEMPLATE).render(context)


def timeline_description(as_of: dt.date, language: str) -> str:
    """The timeline's text alternative: what the bars, the line and the hatching mean."""
    return gettext(
        "Chart: each activity is a bar from its planned start to its deadline, the dark part"
        " shows progress; the vertical line marks {date}; late activities are cross-hatched"
        " and marked “Late”, those at risk are diagonally hatched and marked “At risk”.",
        language,
        date=format_day(as_of, language, "short"),
    )


def _indicator_charts(pack: CommitteePack, language: str) -> list[dict[str, Any]]:
    """One chart per indicator (the first ones), with its text alternative."""
    return [
        {
            "src": _data_uri(figure_png(indicator_chart(row, pack.history, pack.as_of, language))),
            "alt": gettext(
                "{code}: measured values, target {target} by {date}, projection {projected}.",
                language,
                code=row["code"],
                target=format_number(row.get("target"), language),
                date=format_day(row.get("target_date"), language, "short"),
                projected=format_number(row.get("projected"), language),
            ),
            "code": row["code"],
        }
        for row in _records(pack.indicators.head(MAX_INDICATOR_CHARTS))
    ]


def meeting_before(
    committees: pd.DataFrame, as_of: dt.date, meeting_date: dt.date | None
) -> dt.date | None:
    """The last committee before the pack's meeting: the snapshot of that day is compared with."""
    meeting = _choose_meeting(committees, as_of, meeting_date)
    return None if meeting is None else _last_meeting_before(committees, meeting["date"])


def meeting_dates(committees: pd.DataFrame) -> list[dt.date]:
    """The meetings' dates planned in « Comités », in order."""
    if "date" not in committees:
        return []
    dates = pd.to_datetime(committees["date"], errors="coerce").dropna()
    return sorted({moment.date() for moment in dates})


def pack_file_name(pack: CommitteePack, extension: str = "html") -> str:
    """`dossier-seance-TPM-COPIL-2026-12-14.pdf`, in the project's language."""
    stem = translate_key("file.pack", pack.language)
    body = re.sub(r"[^\w-]+", "-", str(pack.meeting.get("body") or "")).strip("-")[:40]
    parts = [stem, pack.project_code, body, pack.meeting["date"].isoformat()]
    return "-".join(part for part in parts if part) + "." + extension


# ---------------------------------------------------------------- figures


def timeline_chart(tracking: pd.DataFrame, as_of: dt.date, language: str) -> Figure:
    """Activities as bars from planned start to deadline, progress inside, a line at as_of."""
    activities = tracking[(tracking["kind"] == "activity").to_numpy()]
    rows = _timeline_rows(activities)
    height = TIMELINE_FRAME_INCHES + TIMELINE_BAR_INCHES * max(len(rows), 1)
    figure = Figure(figsize=(TIMELINE_WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.1, 0.75 / height, 0.74, 1 - 1.15 / height))
    today = mdates.date2num(pd.Timestamp(as_of))
    if rows.empty:
        axes.text(0.5, 0.5, translate_key("none", language), ha="center", va="center")
        axes.set_axis_off()
        return figure
    starts = mdates.date2num(rows["planned_start"])
    ends = mdates.date2num(rows["deadline"])
    positions = np.arange(len(rows))[::-1]
    categories = _timeline_categories(rows)
    for category, (colour, hatch) in TIMELINE_STYLES.items():  # five categories at most
        chosen = (categories == category).to_numpy()
        if chosen.any():
            axes.barh(
                positions[chosen],
                np.maximum(ends[chosen] - starts[chosen], 1.0),
                left=starts[chosen],
                height=0.62,
                color=colour,
                hatch=hatch,
                edgecolor=TIMELINE_EDGES[category],
                linewidth=0.8,
            )
    progress = rows["progress"].to_numpy(dtype="float64", na_value=0.0).clip(0.0, 1.0)
    axes.barh(
        positions, (ends - starts) * progress, left=starts, height=0.2, color="#1f2933", linewidth=0
    )
    axes.axvline(today, color="black", linestyle="--", linewidth=1.2)
    axes.text(
        today,
        len(rows) - 0.35,
        " " + pgettext("committee chart", "Today", language),
        fontsize=7,
        va="bottom",
    )
    markers = _timeline_markers(rows, categories, language)
    right = max(float(np.nanmax(ends)), today)
    # A late bar ends before today: its words go past today's line, the others after the bar.
    after = np.where((categories == "late").to_numpy(), np.maximum(ends, today), ends) + 4
    for position, at, text in zip(positions, after, markers, strict=True):
        if text:
            axes.text(at, position, text, va="center", fontsize=7)
    left = min(float(np.nanmin(starts)), today)
    span = max(right - left, 30.0)
    axes.set_xlim(left - span * 0.02, right + span * 0.22)
    axes.set_ylim(-0.7, len(rows) - 0.1)
    axes.set_yticks(positions, labels=[str(code) for code in rows["id"]], fontsize=7)
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=8))
    axes.xaxis.set_major_formatter(_date_formatter(language))
    axes.tick_params(axis="x", labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(gettext("Activity timeline", language), fontsize=10, loc="left")
    legend = [
        Patch(
            facecolor=TIMELINE_STYLES[category][0],
            hatch=TIMELINE_STYLES[category][1],
            edgecolor=TIMELINE_EDGES[category],
            label=chart_word(category, language),
        )
        for category in ("late", "at_risk", "open", "done", "paused")
    ] + [Patch(facecolor="#1f2933", label=chart_word("progress", language))]
    figure.legend(
        handles=legend,
        loc="lower center",
        ncols=3,
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    return figure


def indicator_chart(
    indicator: Mapping[str, Any], history: pd.DataFrame, as_of: dt.date, language: str
) -> Figure:
    """One indicator: measured values, baseline and target lines, projection to the target date."""
    figure = Figure(figsize=INDICATOR_FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.15, 0.3, 0.8, 0.58))
    code = str(indicator.get("code") or "")
    project = str(indicator.get("project") or "")
    points = history[
        (history["code"].astype("str") == code).to_numpy()
        & (history["project"].astype("str") == project).to_numpy()
    ]
    today = pd.Timestamp(as_of)
    target = _float(indicator.get("target"))
    baseline = _float(indicator.get("baseline"))
    current = _float(indicator.get("current"))
    projected = _float(indicator.get("projected"))
    target_date = _timestamp(indicator.get("target_date"))
    dates = [*points["date"], today]
    if not points.empty:
        axes.plot(
            points["date"], points["value"], marker="o", linestyle="-", color="#0d47a1",
            linewidth=1.4, markersize=3.5, label=pgettext("committee chart", "Measures", language),
        )  # fmt: skip
        if current is not None and points["date"].max() < today:
            # The value holds from the last measure until today, where the projection starts.
            axes.plot([points["date"].max(), today], [current, current], linestyle=":",
                      color="#0d47a1", linewidth=1.0)  # fmt: skip
    elif current is not None:
        axes.plot([today], [current], marker="o", color="#0d47a1", markersize=4,
                  label=pgettext("committee chart", "Measures", language))  # fmt: skip
    if (
        current is not None
        and projected is not None
        and target_date is not None
        and target_date > today
    ):
        axes.plot(
            [today, target_date], [current, projected], linestyle="--", color="#0d47a1",
            linewidth=1.2, label=pgettext("committee chart", "Projection", language),
        )  # fmt: skip
        dates.append(target_date)
    if target_date is not None:
        dates.append(target_date)
    if target is not None:
        axes.axhline(target, color="#1b5e20", linestyle=":", linewidth=1.4,
                     label=pgettext("committee chart", "Target", language))  # fmt: skip
    if baseline is not None:
        axes.axhline(baseline, color="#616161", linestyle="-.", linewidth=0.9,
                     label=pgettext("committee chart", "Baseline", language))  # fmt: skip
    axes.axvline(today, color="black", linestyle="--", linewidth=0.8)
    if target_date is not None:
        axes.axvline(target_date, color="#1b5e20", linestyle=":", linewidth=0.8)
    known = [moment for moment in dates if moment is not None and not pd.isna(moment)]
    earliest, latest = min(known), max(known)
    margin = max((latest - earliest).days * 0.05, 15)
    axes.set_xlim(earliest - pd.Timedelta(days=margin), latest + pd.Timedelta(days=margin))
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=5))
    axes.xaxis.set_major_formatter(_date_formatter(language))
    axes.tick_params(labelsize=6.5)
    axes.spines[["top", "right"]].set_visible(False)
    unit = str(indicator.get("unit") or "").strip()
    axes.set_title(f"{code}{f' ({unit})' if unit else ''}", fontsize=8.5, loc="left")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(
            fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(-0.1, -0.12), ncols=2
        )
    return figure


def figure_png(figure: Figure) -> bytes:
    """The figure as a palette PNG at the pack's resolution (one encoder: suivi.notify.charts)."""
    return chart_png(figure, dpi=DPI, colours=PALETTE_COLOURS)


# ---------------------------------------------------------------- planning helpers


def _choose_meeting(
    committees: pd.DataFrame, as_of: dt.date, meeting_date: dt.date | None
) -> dict[str, Any] | None:
    """The meeting planned on `meeting_date`, else the first from as_of on; None if there is none."""
    if "date" not in committees:
        return None
    dates = pd.to_datetime(committees["date"], errors="coerce")
    if meeting_date is not None:
        found = committees[(dates == pd.Timestamp(meeting_date)).to_numpy()]
        return None if found.empty else _meeting_record(found.iloc[0], meeting_date)
    upcoming = committees.assign(_date=dates)[(dates >= pd.Timestamp(as_of)).to_numpy()]
    if upcoming.empty:
        return None
    first = upcoming.sort_values("_date", kind="stable").iloc[0]
    return _meeting_record(first, first["_date"].date())


def _meeting_record(row: pd.Series, day: dt.date) -> dict[str, Any]:
    """A meeting as the template reads it."""

    def text(column: str) -> str | None:
        if column not in row.index or _missing(row[column]):
            return None
        return str(row[column])

    participants = row["participants"] if "participants" in row.index else []
    return {
        "date": day,
        "time": text("time"),
        "body": text("body"),
        "place": text("place"),
        "agenda": text("agenda"),
        "participants": list(participants) if isinstance(participants, list | tuple) else [],
    }


def _last_meeting_before(committees: pd.DataFrame, day: dt.date) -> dt.date | None:
    """The date of the last committee before `day`."""
    if "date" not in committees:
        return None
    dates = pd.to_datetime(committees["date"], errors="coerce")
    earlier = dates[dates < pd.Timestamp(day)]
    return None if earlier.empty else earlier.max().date()


def _first_meeting_after(committees: pd.DataFrame, day: dt.date) -> dt.date | None:
    """The date of the first committee after `day`."""
    if "date" not in committees:
        return None
    dates = pd.to_datetime(committees["date"], errors="coerce")
    later = dates[dates > pd.Timestamp(day)]
    return None if later.empty else later.min().date()


def _items(view: ProjectView, tracking: pd.DataFrame) -> pd.DataFrame:
    """Tracking rows with their flag list and the tab where they live."""
    titles = view.tables.tab_titles
    activities_tab = titles.get(Tab.ACTIVITIES, TAB_HEADERS[Tab.ACTIVITIES][0])
    deliverables_tab = titles.get(Tab.DELIVERABLES, TAB_HEADERS[Tab.DELIVERABLES][0])
    tab = np.where(tracking["kind"] == "deliverable", deliverables_tab, activities_tab)
    items = tracking.assign(flags=flag_lists(tracking), tab=pd.Series(tab, index=tracking.index))
    absent = {column: pd.NA for column in ITEM_COLUMNS if column not in items.columns}
    return items.assign(**absent).reset_index(drop=True)


def _since(
    tracking: pd.DataFrame,
    last_meeting: dt.date | None,
    snapshot: StoredState | None,
    calendar: Calendar,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items done since the last committee, and items late now that were not late then."""
    done_now = done_mask(tracking).to_numpy()
    late_now = flag_mask(tracking, Flag.LATE).to_numpy()
    if last_meeting is None:  # a first committee: everything so far
        return tracking[done_now], tracking[late_now]
    then = pd.Timestamp(last_meeting)
    finished = pd.to_datetime(tracking["actual_end"], errors="coerce")
    done_after = done_now & (finished > then).fillna(False).to_numpy()
    deadline = pd.to_datetime(tracking["deadline"], errors="coerce")
    # Late at the last committee: its deadline had passed by then (what the sheet's dates say).
    late_then = (calendar.days_between(deadline, then) >= 1).fillna(False).to_numpy(dtype=bool)
    newly_late = late_now & ~late_then
    if snapshot is not None:
        changes = diff_snapshots(snapshot.tracking, tracking.drop(columns=["flags"]))
        # What was stored then wins over what the dates suggest (a reopened item, a late
        # status); the dates still speak for items added to the sheet since.
        known = _keys(tracking).isin(set(_keys(snapshot.tracking))).to_numpy()
        done_after |= _positions(tracking, changes.newly_done) & ~finished.notna().to_numpy()
        stored_newly_late = _positions(tracking, changes.newly_late) & late_now
        newly_late = np.where(known, stored_newly_late, newly_late)
    return tracking[done_after], tracking[newly_late].sort_values(
        "days_late", ascending=False, kind="stable"
    )


def _keys(tracking: pd.DataFrame) -> pd.Series:
    """`project|kind|id` of each row, as the snapshots identify items."""
    parts = [
        tracking[column].where(tracking[column].notna(), "").astype("str")
        for column in ("project", "kind", "id")
    ]
    return parts[0] + "|" + parts[1] + "|" + parts[2]


def _positions(tracking: pd.DataFrame, chosen: pd.DataFrame) -> np.ndarray:
    """Which rows of `tracking` are in `chosen` (a slice of a frame aligned on it)."""
    return np.isin(np.arange(len(tracking)), chosen.index.to_numpy())


def _moved_indicators(
    view: ProjectView,
    config: Config,
    forecasts: pd.DataFrame,
    last_meeting: dt.date | None,
    snapshot: StoredState | None,
) -> pd.DataFrame:
    """Indicators whose value changed since the last committee: previous, current, change."""
    comparable = pd.Series(True, index=forecasts.index)
    if last_meeting is None:
        previous = pd.Series(np.nan, index=forecasts.index)
    elif snapshot is not None:
        stored = snapshot.indicators.drop_duplicates("code", keep="last").set_index("code")
        previous = forecasts["code"].astype("str").map(stored["current"]).astype("float64")
    else:
        # Measured indicators at the last committee, recomputed from the dated measures.
        then = compute_indicators(
            view.tables.indicators,
            view.tables.measures,
            view.tables.activities,
            as_of=last_meeting,
            rules=config.indicators,
            project_start=view.project.start,
        )
        measured = then["method"].fillna("saisie").astype("str").str.strip().isin(["", "saisie"])
        values = then[measured.to_numpy()].drop_duplicates("code").set_index("code")["current"]
        previous = forecasts["code"].astype("str").map(values).astype("float64")
        # A computed value of then cannot be rebuilt from today's activities: not compared.
        comparable = (
            forecasts["method"].fillna("saisie").astype("str").str.strip().isin(["", "saisie"])
        )
    current = pd.to_numeric(forecasts["current"], errors="coerce").astype("float64")
    change = current - previous
    moved = ((change.abs() > MOVE_EPSILON) | (previous.isna() & current.notna())) & comparable
    if last_meeting is None:
        moved = current.notna()
    return forecasts.assign(previous=previous, change=change)[moved.to_numpy()]


def _measured_history(view: ProjectView, as_of: dt.date) -> pd.DataFrame:
    """Values of the measured indicators per measure date up to as_of."""
    measures = view.tables.measures
    if measures.empty or view.tables.indicators.empty:
        return pd.DataFrame(
            {
                "project": pd.Series(dtype="str"),
                "code": pd.Series(dtype="str"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "value": pd.Series(dtype="float64"),
            }
        )
    history = indicator_history(view.tables.indicators, measures)
    return history[(history["date"] <= pd.Timestamp(as_of)).to_numpy()].reset_index(drop=True)


def _timeline_candidates(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities that belong on the timeline: dated, not cancelled."""
    dated = activities[
        (activities["planned_start"].notna() & activities["deadline"].notna()).to_numpy()
    ]
    return dated[~dated["status"].isin([Status.CANCELLED.value]).to_numpy()]


def _timeline_rows(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities drawn on the timeline: open ones first when they do not all fit."""
    dated = _timeline_candidates(activities)
    if len(dated) > MAX_TIMELINE_BARS:
        # The oldest finished activities make way first: the committee discusses what is open.
        done = done_mask(dated).to_numpy()
        keep = dated.assign(_done=done, _end=dated["deadline"]).sort_values(
            ["_done", "_end"], ascending=[True, False], kind="stable"
        )
        dated = dated.loc[keep.index[:MAX_TIMELINE_BARS]]
    return dated.sort_values(["planned_start", "deadline"], kind="stable")


def _timeline_categories(rows: pd.DataFrame) -> pd.Series:
    """late, at_risk, done, paused or open for each drawn activity."""
    status = rows["status"].astype("str")
    categories = np.select(
        [
            flag_mask(rows, Flag.LATE).to_numpy(),
            flag_mask(rows, Flag.AT_RISK).to_numpy(),
            done_mask(rows).to_numpy(),
            status.isin([Status.SUSPENDED.value, Status.CANCELLED.value]).to_numpy(),
        ],
        ["late", "at_risk", "done", "paused"],
        default="open",
    )
    return pd.Series(categories, index=rows.index)


def _timeline_markers(rows: pd.DataFrame, categories: pd.Series, language: str) -> list[str]:
    """The words next to each bar: late ones with their delay, at-risk and done ones."""
    days = pd.to_numeric(rows["days_late"], errors="coerce")
    late_word = chart_word("late", language)
    texts = {
        "late": [
            f"▲ {late_word} {_days_late(int(value), language)}"
            if not math.isnan(value)
            else f"▲ {late_word}"
            for value in days.to_numpy(dtype="float64", na_value=np.nan)
        ],
        "at_risk": [f"△ {chart_word('at_risk', language)}"] * len(rows),
        "done": ["✓"] * len(rows),
        "paused": [f"‖ {chart_word('paused', language)}"] * len(rows),
        "open": [""] * len(rows),
    }
    return [texts[category][position] for position, category in enumerate(categories)]


def _days_late(days: int, language: str) -> str:
    """`+37 j`: a bar's delay, short."""
    return pgettext("committee chart", "+{days} d", language, days=days)


def _date_formatter(language: str) -> Any:
    """Axis dates as `déc. 2026`, `دجنبر 2026`, `Dec 2026`."""
    locale = locale_of(language)

    def formatted(value: float, _position: int | None = None) -> str:
        day = mdates.num2date(value).date()
        return str(babel_format_date(day, format="MMM y", locale=locale))

    return FuncFormatter(formatted)


# ---------------------------------------------------------------- rendering helpers


def _section(rows: pd.DataFrame) -> dict[str, Any]:
    """Rows as the shared table macros read them: the first ones, and how many in all."""
    return {
        "rows": _records(rows.head(MAX_ROWS)),
        "total": len(rows),
        "more": max(0, len(rows) - MAX_ROWS),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values: dates as `date`, missing values as None."""
    rows = records(frame, as_dates=True)
    return [{str(key): _plain(value) for key, value in record.items()} for record in rows]


def _plain(value: Any) -> Any:
    """numpy scalars as Python values; NaT and NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI for an <img>."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _missing(value: object) -> bool:
    """True for None, NaN, NaT and blank text."""
    if isinstance(value, list | tuple):
        return False
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.isna(value))


def _timestamp(value: object) -> pd.Timestamp | None:
    """A date as a timestamp, or None."""
    day = as_date(value)
    return None if day is None else pd.Timestamp(day)


__all__ = [
    "CommitteePack",
    "NoMeetingError",
    "StoredState",
    "figure_png",
    "indicator_chart",
    "meeting_before",
    "meeting_dates",
    "pack_file_name",
    "plan_committee_pack",
    "render_committee_pack",
    "timeline_chart",
    "timeline_description",
]
