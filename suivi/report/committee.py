"""The committee pack: what happened since the last committee, what is late, what to decide.

Pure planning (`plan_committee_pack`), matplotlib figures drawn off-screen (Agg), and one
standalone printable HTML page (`render_committee_pack`). `build_committee_pack` composes
them and, given a history store, compares with the snapshot stored at the last committee.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import sqlalchemy as sa
from babel.dates import format_date as babel_format_date
from markupsafe import Markup, escape
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from suivi.adapters.store import Snapshot, Store, snapshots
from suivi.compute.calendar import Calendar, calendar_for
from suivi.compute.changes import diff_snapshots, done_mask, flag_mask
from suivi.compute.flags import flag_lists
from suivi.compute.indicators import compute_indicators, indicator_history
from suivi.i18n import (
    as_date,
    format_day,
    format_number,
    is_rtl,
    language_or_default,
    locale_of,
    translate,
)
from suivi.i18n import as_float as _float
from suivi.model import Email, records
from suivi.notify.charts import figure_png as chart_png
from suivi.notify.messages import PACK_HORIZON_DAYS, Message, MessageKind, ProjectView
from suivi.notify.render import template_environment
from suivi.schema import TAB_HEADERS, Flag, Status, Tab
from suivi.settings import Config

PACK_TEMPLATE = "committee_pack_report.html"
PACK_MIME_TYPE = "text/html"
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

# key → (French, Arabic, English): the pack's own words; shared ones come from suivi.i18n.
_WORDS: dict[str, tuple[str, str, str]] = {
    "since_last": (
        "Depuis le dernier comité ({date})",
        "منذ آخر اجتماع ({date})",
        "Since the last committee ({date})",
    ),
    "since_start": (
        "Depuis le début du projet (premier comité)",
        "منذ بداية المشروع (أول اجتماع)",
        "Since the project started (first committee)",
    ),
    "compared_snapshot": (
        "Comparaison avec l'état enregistré le {date}.",
        "مقارنة مع الوضعية المسجلة بتاريخ {date}.",
        "Compared with the state stored on {date}.",
    ),
    "compared_sheet": (
        "Comparaison établie à partir des dates du tableau de suivi (aucun historique enregistré à cette date).",
        "مقارنة انطلاقا من تواريخ جدول التتبع (لا يوجد سجل محفوظ في هذا التاريخ).",
        "Compared using the dates in the tracking sheet (no history stored at that date).",
    ),
    "summary": (
        "Terminés : {done} · nouveaux retards : {late} · indicateurs qui ont bougé : {moved}",
        "منجزة: {done} · تأخرات جديدة: {late} · مؤشرات تغيرت: {moved}",
        "Completed: {done} · newly late: {late} · indicators that moved: {moved}",
    ),
    "done_since": (
        "Terminés depuis le dernier comité",
        "أنجزت منذ آخر اجتماع",
        "Completed since the last committee",
    ),
    "done_all": ("Terminés à ce jour", "أنجزت إلى حد الآن", "Completed so far"),
    "newly_late": (
        "Passés en retard depuis le dernier comité",
        "أصبحت متأخرة منذ آخر اجتماع",
        "Became late since the last committee",
    ),
    "late_all": ("En retard à ce jour", "متأخرة إلى حد الآن", "Late so far"),
    "moved": ("Indicateurs qui ont bougé", "مؤشرات تغيرت", "Indicators that moved"),
    "timeline": ("Calendrier des activités", "الجدول الزمني للأنشطة", "Activity timeline"),
    "timeline_alt": (
        "Diagramme : chaque activité est une barre allant de son début prévu à son échéance, la partie foncée montre l'avancement ; la ligne verticale marque le {date} ; les activités en retard sont hachurées en croix et marquées « En retard », celles à risque hachurées en biais et marquées « À risque ».",
        "رسم بياني: كل نشاط عمود يمتد من تاريخ انطلاقه المقرر إلى أجله، والجزء الداكن يبين نسبة التقدم؛ الخط العمودي يشير إلى {date}؛ الأنشطة المتأخرة مخططة بخطوط متقاطعة ومعلمة بكلمة «متأخر»، والمعرضة للتأخر مخططة بخطوط مائلة.",
        "Chart: each activity is a bar from its planned start to its deadline, the dark part shows progress; the vertical line marks {date}; late activities are cross-hatched and marked “Late”, those at risk are diagonally hatched and marked “At risk”.",
    ),
    "timeline_more": (
        "{count} autres activités terminées ne figurent pas sur le diagramme.",
        "{count} أنشطة منجزة أخرى غير معروضة في الرسم.",
        "{count} more completed activities are not drawn.",
    ),
    "timeline_undated": (
        "{count} activités sans début prévu ou sans échéance ne figurent pas sur le diagramme.",
        "{count} أنشطة بدون تاريخ انطلاق أو أجل غير معروضة في الرسم.",
        "{count} activities without a planned start or deadline are not drawn.",
    ),
    "decisions": ("Décisions à prendre", "قرارات يجب اتخاذها", "Decisions to take"),
    "decisions_late": (
        "Éléments en retard et leurs responsables",
        "العناصر المتأخرة والمسؤولون عنها",
        "Late items and their owners",
    ),
    "decisions_risk": (
        "Activités à risque : rythme nécessaire pour finir à temps",
        "أنشطة معرضة للتأخر: الوتيرة اللازمة للإنهاء في الأجل",
        "Activities at risk: the pace needed to finish on time",
    ),
    "missing_measures": (
        "Mesures manquantes : indicateurs sans mesure depuis plus longtemps que leur fréquence",
        "قياسات ناقصة: مؤشرات بدون قياس لمدة أطول من وتيرتها",
        "Missing measures: indicators not measured for longer than their frequency",
    ),
    "indicators": (
        "Indicateurs : projection à l'échéance cible",
        "المؤشرات: الإسقاط في أجل الهدف",
        "Indicators: projection at the target date",
    ),
    "indicator_charts": (
        "Évolution des indicateurs et cibles",
        "تطور المؤشرات والقيم المستهدفة",
        "Indicators over time, with targets",
    ),
    "indicator_alt": (
        "{code} : valeurs mesurées, cible {target} au {date}, projection {projected}.",
        "{code}: القيم المقيسة، الهدف {target} بتاريخ {date}، الإسقاط {projected}.",
        "{code}: measured values, target {target} by {date}, projection {projected}.",
    ),
    "charts_more": (
        "{count} autres indicateurs figurent dans le tableau ci-dessus sans graphique.",
        "{count} مؤشرات أخرى موجودة في الجدول أعلاه بدون رسم.",
        "{count} more indicators are in the table above, without a chart.",
    ),
    "meeting_unplanned": (
        "Cette date ne figure pas dans l'onglet « Comités ».",
        "هذا التاريخ غير موجود في ورقة «Comités».",
        "This date is not in the “Comités” tab.",
    ),
    "col.previous": ("Au dernier comité", "في آخر اجتماع", "At the last committee"),
    "col.rate_needed": (
        "Rythme mensuel nécessaire",
        "الوتيرة الشهرية اللازمة",
        "Monthly rate needed",
    ),
    "col.rate_now": ("Rythme mensuel actuel", "الوتيرة الشهرية الحالية", "Monthly rate now"),
    "col.forecast": ("Prévision", "التوقع", "Forecast"),
    "col.target_date": ("Échéance cible", "أجل الهدف", "Target date"),
    "col.points_needed": (
        "Points d'avancement nécessaires par semaine",
        "نقاط التقدم اللازمة أسبوعيا",
        "Progress points needed a week",
    ),
    "col.points_now": (
        "Points par semaine au rythme actuel",
        "النقاط أسبوعيا بالوتيرة الحالية",
        "Points a week at the current pace",
    ),
    "col.days_without": ("Jours sans mesure", "أيام بدون قياس", "Days without a measure"),
    "col.actual_end": ("Réalisé le", "أنجز بتاريخ", "Done on"),
    "chart.today": ("Aujourd'hui", "اليوم", "Today"),
    "chart.late": ("En retard", "متأخر", "Late"),
    "chart.at_risk": ("À risque", "معرض للتأخر", "At risk"),
    "chart.done": ("Terminée", "منجز", "Done"),
    "chart.open": ("Prévue ou en cours", "مبرمج أو قيد الإنجاز", "Planned or in progress"),
    "chart.paused": ("Suspendue ou annulée", "معلق أو ملغى", "Suspended or cancelled"),
    "chart.progress": ("Avancement", "نسبة التقدم", "Progress"),
    "chart.days_late": ("+{days} j", "+{days} يوم", "+{days} d"),
    "chart.target": ("Cible", "الهدف", "Target"),
    "chart.baseline": ("Référence", "القيمة المرجعية", "Baseline"),
    "chart.measures": ("Mesures", "القياسات", "Measures"),
    "chart.projection": ("Projection", "الإسقاط", "Projection"),
}
_LANGUAGE_INDEX = {"fr": 0, "ar": 1, "en": 2}


def words(key: str, language: str, **values: object) -> str:
    """One of the pack's own strings in `language`, with `values` filled in."""
    entry = _WORDS.get(key)
    if entry is None:
        return key
    text = entry[_LANGUAGE_INDEX[language_or_default(language)]]
    if language_or_default(language) == "fr":
        text = re.sub(r" ([:;?!»])", "\u00a0\\1", text).replace("« ", "«\u00a0")
    return text.format(**values) if values else text


class NoMeetingError(LookupError):
    """No committee to build a pack for: none planned on or after the date asked."""


@dataclass(frozen=True, eq=False)
class CommitteePack:
    """What the pack shows, computed; frames hold rows in the order they are printed."""

    project_code: str
    project_name: str
    language: str
    as_of: dt.date
    meeting: dict[str, Any]  # date, time, body, place, participants, agenda; planned: bool
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
    previous: Snapshot | None = None,
) -> CommitteePack:
    """Everything the pack shows for the next meeting (or the one on `meeting_date`): pure."""
    project = view.project
    language = config.language_of(project)
    calendar = calendar_for(config.working_days)
    committees = view.tables.committees
    meeting = _choose_meeting(committees, as_of, meeting_date)
    if meeting is None:
        title = view.tables.tab_titles.get(Tab.COMMITTEES, TAB_HEADERS[Tab.COMMITTEES][0])
        raise NoMeetingError(
            f"{project.code}: no committee on or after {as_of.isoformat()} in « {title} »;"
            " give the meeting's date with --date"
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
    timeline = timeline_chart(pack.tracking, pack.as_of, language)
    charts = [
        {
            "src": _data_uri(figure_png(indicator_chart(row, pack.history, pack.as_of, language))),
            "alt": words(
                "indicator_alt",
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
    activities = pack.tracking[(pack.tracking["kind"] == "activity").to_numpy()]
    drawn = _timeline_rows(activities)
    undated = int((activities["planned_start"].isna() | activities["deadline"].isna()).sum())
    context = {
        "w": _pack_words,
        "language": language,
        "dir": "rtl" if rtl else "ltr",
        "align": "right" if rtl else "left",
        "opposite": "left" if rtl else "right",
        "subject": f"{translate('title.committee_pack', language)} – {pack.project_code}",
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
            "src": _data_uri(figure_png(timeline)),
            "alt": words("timeline_alt", language, date=format_day(pack.as_of, language, "short")),
            "more": int(len(_timeline_candidates(activities)) - len(drawn)),
            "undated": undated,
        },
        "charts": charts,
        "charts_more": max(0, len(pack.indicators) - MAX_INDICATOR_CHARTS),
    }
    return templates.get_template(PACK_TEMPLATE).render(context)


def prepare_committee_pack(
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    *,
    meeting_date: dt.date | None = None,
) -> CommitteePack:
    """The pack's content, compared with the snapshot stored at the last committee when a store is given."""
    committees = view.tables.committees
    meeting = _choose_meeting(committees, as_of, meeting_date)
    previous = None
    if store is not None and meeting is not None:
        last_meeting = _last_meeting_before(committees, meeting["date"])
        if last_meeting is not None:
            previous = snapshot_on_or_before(store, view.project.code, last_meeting)
    return plan_committee_pack(view, config, as_of, meeting_date=meeting_date, previous=previous)


def build_committee_pack(
    view: ProjectView,
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
    *,
    meeting_date: dt.date | None = None,
    templates: jinja2.Environment | None = None,
) -> str:
    """The pack's HTML for the next meeting (or `meeting_date`), compared with the stored history."""
    pack = prepare_committee_pack(view, config, as_of, store, meeting_date=meeting_date)
    environment = templates or template_environment(config.template_folder())
    return render_committee_pack(pack, environment)


def pack_file_name(pack: CommitteePack) -> str:
    """`dossier-seance-TPM-COPIL-2026-12-14.html`, in the project's language."""
    stem = translate("file.pack", pack.language)
    body = re.sub(r"[^\w-]+", "-", str(pack.meeting.get("body") or "")).strip("-")[:40]
    parts = [stem, pack.project_code, body, pack.meeting["date"].isoformat()]
    return "-".join(part for part in parts if part) + ".html"


def write_committee_pack(html: str, out_dir: Path, file_name: str) -> Path:
    """Write the pack into `out_dir` (created if needed); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / Path(file_name).name  # a name, never a path out of the folder
    path.write_text(html, encoding="utf-8")
    return path


def snapshot_on_or_before(store: Store, project: str, day: dt.date) -> Snapshot | None:
    """The last snapshot of a project saved for a date on or before `day` (read only)."""
    query = (
        sa.select(snapshots.c.run_id)
        .where(snapshots.c.project == project, snapshots.c.as_of <= day)
        .order_by(snapshots.c.as_of.desc(), snapshots.c.run_id.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        run_id = connection.execute(query).scalar()
    if run_id is None:
        return None
    # The latest snapshot before the next run is this run's own.
    return store.last_snapshot(project, before_run=int(run_id) + 1)


def with_committee_packs(
    messages: Sequence[Message],
    emails: Sequence[Email],
    views: Sequence[ProjectView],
    config: Config,
    as_of: dt.date,
    store: Store | None = None,
) -> list[Email]:
    """The e-mails with each committee reminder's attachment replaced by the full pack.

    `messages` and `emails` are aligned (each e-mail rendered from its message); one pack is
    built per project and meeting, however many participants receive it.
    """
    views_by_code = {view.project.code: view for view in views}
    templates = template_environment(config.template_folder())
    built: dict[tuple[str, dt.date], tuple[str, bytes]] = {}
    result: list[Email] = []
    for message, email in zip(messages, emails, strict=True):
        view = views_by_code.get(message.project)
        day = as_date(message.context.get("committee", {}).get("date"))
        if message.kind != MessageKind.COMMITTEE_REMINDER or view is None or day is None:
            result.append(email)
            continue
        if (message.project, day) not in built:
            pack = prepare_committee_pack(view, config, as_of, store, meeting_date=day)
            html = render_committee_pack(pack, templates)
            built[(message.project, day)] = (pack_file_name(pack), html.encode("utf-8"))
        name, content = built[(message.project, day)]
        # The name render gave the attachment stays: the e-mail's text may refer to it.
        name = email.attachments[0][0] if email.attachments else name
        result.append(dataclasses.replace(email, attachments=((name, content, PACK_MIME_TYPE),)))
    return result


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
        axes.text(0.5, 0.5, translate("none", language), ha="center", va="center")
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
        today, len(rows) - 0.35, f" {words('chart.today', language)}", fontsize=7, va="bottom"
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
    axes.set_title(words("timeline", language), fontsize=10, loc="left")
    legend = [
        Patch(
            facecolor=TIMELINE_STYLES[category][0],
            hatch=TIMELINE_STYLES[category][1],
            edgecolor=TIMELINE_EDGES[category],
            label=words(f"chart.{category}", language),
        )
        for category in ("late", "at_risk", "open", "done", "paused")
    ] + [Patch(facecolor="#1f2933", label=words("chart.progress", language))]
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
            linewidth=1.4, markersize=3.5, label=words("chart.measures", language),
        )  # fmt: skip
        if current is not None and points["date"].max() < today:
            # The value holds from the last measure until today, where the projection starts.
            axes.plot([points["date"].max(), today], [current, current], linestyle=":",
                      color="#0d47a1", linewidth=1.0)  # fmt: skip
    elif current is not None:
        axes.plot([today], [current], marker="o", color="#0d47a1", markersize=4,
                  label=words("chart.measures", language))  # fmt: skip
    if (
        current is not None
        and projected is not None
        and target_date is not None
        and target_date > today
    ):
        axes.plot(
            [today, target_date], [current, projected], linestyle="--", color="#0d47a1",
            linewidth=1.2, label=words("chart.projection", language),
        )  # fmt: skip
        dates.append(target_date)
    if target_date is not None:
        dates.append(target_date)
    if target is not None:
        axes.axhline(target, color="#1b5e20", linestyle=":", linewidth=1.4,
                     label=words("chart.target", language))  # fmt: skip
    if baseline is not None:
        axes.axhline(baseline, color="#616161", linestyle="-.", linewidth=0.9,
                     label=words("chart.baseline", language))  # fmt: skip
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
    """The meeting on `meeting_date` (planned in Comités or not), else the first from as_of on."""
    dates = pd.to_datetime(committees["date"], errors="coerce") if "date" in committees else None
    if meeting_date is not None:
        wanted = pd.Timestamp(meeting_date)
        found = (
            committees[(dates == wanted).to_numpy()] if dates is not None else committees.iloc[0:0]
        )
        if found.empty:
            return _meeting_record(None, meeting_date, planned=False)
        return _meeting_record(found.iloc[0], meeting_date, planned=True)
    if dates is None:
        return None
    upcoming = committees.assign(_date=dates)[(dates >= pd.Timestamp(as_of)).to_numpy()]
    if upcoming.empty:
        return None
    first = upcoming.sort_values("_date", kind="stable").iloc[0]
    return _meeting_record(first, first["_date"].date(), planned=True)


def _meeting_record(row: pd.Series | None, day: dt.date, *, planned: bool) -> dict[str, Any]:
    """A meeting as the template reads it."""

    def text(column: str) -> str | None:
        if row is None or column not in row.index or _missing(row[column]):
            return None
        return str(row[column])

    participants = row["participants"] if row is not None and "participants" in row.index else []
    return {
        "date": day,
        "time": text("time"),
        "body": text("body"),
        "place": text("place"),
        "agenda": text("agenda"),
        "participants": list(participants) if isinstance(participants, list | tuple) else [],
        "planned": planned,
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
    snapshot: Snapshot | None,
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
    snapshot: Snapshot | None,
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
    late_word = words("chart.late", language)
    texts = {
        "late": [
            f"▲ {late_word} {words('chart.days_late', language, days=int(value))}"
            if not math.isnan(value)
            else f"▲ {late_word}"
            for value in days.to_numpy(dtype="float64", na_value=np.nan)
        ],
        "at_risk": [f"△ {words('chart.at_risk', language)}"] * len(rows),
        "done": ["✓"] * len(rows),
        "paused": [f"‖ {words('chart.paused', language)}"] * len(rows),
        "open": [""] * len(rows),
    }
    return [texts[category][position] for position, category in enumerate(categories)]


def _date_formatter(language: str) -> Any:
    """Axis dates as `déc. 2026`, `دجنبر 2026`, `Dec 2026`."""
    locale = locale_of(language)

    def formatted(value: float, _position: int | None = None) -> str:
        day = mdates.num2date(value).date()
        return str(babel_format_date(day, format="MMM y", locale=locale))

    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(formatted)


# ---------------------------------------------------------------- rendering helpers


@jinja2.pass_context
def _pack_words(context: Any, key: str, **values: object) -> str:
    """The pack's own strings in the template's language; values escaped in HTML."""
    language = str(context.get("language", "fr"))
    if not values:
        return words(key, language)
    return Markup(escape(words(key, language))).format(**values)


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
    "build_committee_pack",
    "figure_png",
    "indicator_chart",
    "pack_file_name",
    "plan_committee_pack",
    "prepare_committee_pack",
    "render_committee_pack",
    "snapshot_on_or_before",
    "timeline_chart",
    "with_committee_packs",
    "words",
    "write_committee_pack",
]
