"""Message → Email: Jinja2 templates (autoescaped), CSS inlined, a real text part, the chart."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import pandas as pd
from markupsafe import Markup, escape

from suivi.i18n import (
    MISSING,
    format_day,
    format_fraction,
    format_number,
    is_rtl,
    label,
    language_or_default,
)
from suivi.i18n.catalogs import N_, gettext, install_in_templates
from suivi.model import CONTROL_CHARACTERS, Email
from suivi.notify.charts import achievement_chart
from suivi.notify.messages import Message, MessageKind
from suivi.notify.week import week_lines

# Every header value: no control characters, no Unicode line or paragraph separators.
HEADER_UNSAFE = CONTROL_CHARACTERS
MAX_SUBJECT_CHARS = 200
MAX_CELL_CHARS = 90  # longer names are cut in tables; the sheet has them whole
# A link from a cell: https only, and nothing that could leave the attribute.
SAFE_LINK = re.compile(r"https://[^\s<>\"'`\\]+")
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# Class names are useless once styles are inlined: dropping them keeps mails under the clip.
OPENING_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
CLASS_ATTRIBUTE = re.compile(r' class="[^"]*"')
CHART_COLUMNS = ["code", "achievement", "expected", "status"]
# Unicode isolates keep sheet text whole inside right-to-left plain text and subjects.
FIRST_STRONG_ISOLATE, LEFT_TO_RIGHT_ISOLATE, POP_ISOLATE = "\u2068", "\u2066", "\u2069"
# «Soumis», «Suivi automatique»: French words quoted inside a right-to-left sentence.
QUOTED_LATIN = re.compile(r"«\s?([^«»<>\u2066-\u2069]*[A-Za-z][^«»<>\u2066-\u2069]*?)\s?»")
# Subject lines by kind; every value is filled in, each subject takes the ones it names.
SUBJECTS: dict[str, str] = {
    MessageKind.WEEKLY_SUMMARY: N_("[{project}] Weekly summary – week {week} ({date})"),
    MessageKind.OWNER_DIGEST: N_("[{project}] Your items to update – week {week} ({date})"),
    MessageKind.COMMITTEE_REMINDER: N_("[{project}] Reminder: {body} on {day} (in {days} days)"),
    MessageKind.DELIVERABLE_REMINDER: N_(
        "[{project}] Deliverable “{name}” due on {day} (in {days} days)"
    ),
    MessageKind.DELIVERABLE_OVERDUE: N_("[{project}] Overdue deliverable: “{name}” (due on {day})"),
    MessageKind.LATE_ALERT: N_("[{project}] Newly late as of {date}"),
    MessageKind.PROBLEM_REPORT: N_("[{project}] Data to fix in the tracking sheet ({date})"),
    MessageKind.RUN_FAILURE: N_("[suivi] The “{flow}” run failed ({date})"),
    MessageKind.ESCALATION: N_("[{project}] {name}: late for {days} days"),
    MessageKind.OUTSIDE_RECIPIENT: N_(
        "[{project}] An address outside the allowed domains was left out"
    ),
    MessageKind.RECIPIENT_DOMAINS: N_("[{project}] The e-mail domains this project's data goes to"),
    MessageKind.FORCED_RUN: N_(
        "[suivi] “{flow}”: a run was started with force (e-mails sent again)"
    ),
}
FIRST_LATE_ALERT_SUBJECT = N_("[{project}] Late items as of {date}")
LEADING_TAG = re.compile(r"^\[([^\]\u2066-\u2069]+)\]")
CHART_ALT = N_(
    "Bar chart: percentage achieved for each indicator and the level expected by now."
    " The same data is in the “Chart data” table."
)
WHERE_TAB = N_("Tab “{tab}”")
WHERE_ROW = N_("Tab “{tab}”, row {row}")
# Why a run or a project failed, by the error's type, in words the officer reads.
FAILURE_REASONS: dict[str, str] = {
    "SourceError": N_("The spreadsheet could not be read."),
    "StoreError": N_("The history store could not be used."),
    "ConfigError": N_("The settings file has an error."),
    "MailError": N_("The mail server could not be used."),
}
UNEXPECTED_FAILURE = N_("An unexpected error stopped it.")
ERROR_KIND = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Failed))\b")
# What the owner should do, by state and kind ("" = any kind).
HINTS: dict[tuple[str, str], str] = {
    ("en_retard", ""): N_("Update progress and status, or the completion date if it is done."),
    ("en_retard", "deliverable"): N_("If it was sent, write “Soumis” and the submission date."),
    ("a_risque", ""): N_(
        "Check the progress entered; if the deadline can no longer be met, tell the M&E officer."
    ),
    ("demarrage_tardif", ""): N_(
        "Set the status to “En cours” and enter the progress, or say what is blocking."
    ),
    ("echeance_proche", ""): N_(
        "The deadline is close: check that the progress entered is current."
    ),
    ("sans_mise_a_jour", ""): N_(
        "Enter the current progress and today's date in “Dernière mise à jour”."
    ),
}
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)


# The templates that ship with the package; a settings `templates:` folder overrides them by name.
SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_environment(override: Path | None = None) -> jinja2.Environment:
    """Jinja2 for the e-mails: HTML autoescaped, undefined names fail, no path out of a folder.

    Templates come from `override` first (the officer's own wording), then from those shipped.
    """
    folders = [override] if override is not None else []
    loader = jinja2.ChoiceLoader(
        [ConfinedLoader(folder) for folder in [*folders, SHIPPED_TEMPLATES]]
    )
    environment = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters = (
        _date_filter, _short_date_filter, _percent_filter, _number_filter, _label_filter,
        _ltr, _https_link, _nl2br, _dash, _shorten, _bidi,
    )  # fmt: skip
    functions = (
        _where, _hint, _title_of, _problem_message, _this_week_lines, _failure_reason, error_kind,
    )  # fmt: skip
    environment.filters.update(_by_template_name(filters))
    environment.globals.update(_by_template_name(functions))
    install_in_templates(environment)
    return environment


def _by_template_name(functions: Iterable[Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Each function under the name templates call it by: its own, less `_` and `_filter`."""
    return {
        function.__name__.removeprefix("_").removesuffix("_filter"): function
        for function in functions
    }


class ConfinedLoader(jinja2.FileSystemLoader):
    """A folder loader that refuses `..` and any file resolving outside the folder (symlinks)."""

    def __init__(self, folder: Path) -> None:
        """Serve templates from `folder` only."""
        super().__init__(str(folder))
        self.root = Path(folder).resolve()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """The template's source, if its real path lies inside the folder."""
        if "\\" in template or template.startswith("/"):
            raise jinja2.TemplateNotFound(template)
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.root):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


def render_email(message: Message, env: jinja2.Environment) -> Email:
    """The e-mail for a message: subject, one-line inlined HTML, text/plain, chart, pack."""
    context, images = _template_context(message)
    document = _finished(env.get_template(f"{message.kind}.html").render(context), context)
    text = _finished(env.get_template(f"{message.kind}.txt").render(context), context)
    return Email(
        key=message.key,
        kind=str(message.kind),
        project=message.project,
        to=tuple((header_safe(name), header_safe(address)) for name, address in message.to),
        subject=context["subject"],
        html=_email_fragment(document),
        text=_tidy_text(text),
        language=context["language"],
        images=tuple((cid, png) for cid, png, _ in images),
        attachments=(),  # a committee reminder's pack is attached by suivi.jobs.committee
        cc=tuple((header_safe(name), header_safe(address)) for name, address in message.cc),
    )


def render_page(message: Message, env: jinja2.Environment) -> str:
    """A standalone HTML page of the e-mail (preview, outbox copy): images embedded."""
    context, images = _template_context(message)
    page = _finished(env.get_template(f"{message.kind}.html").render(context), context)
    page = _INLINER.inline(page)
    for cid, png, _ in images:
        embedded = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        page = page.replace(f"cid:{cid}", embedded)
    return page


def _finished(rendered: str, context: dict[str, Any]) -> str:
    """In right-to-left mails, French words quoted in the sentences kept whole."""
    return isolate_quoted_latin(rendered) if context["dir"] == "rtl" else rendered


def header_safe(value: object) -> str:
    """A header value without control characters or line breaks, spaces collapsed."""
    return re.sub(r"\s{2,}", " ", HEADER_UNSAFE.sub(" ", str(value))).strip()


def subject_of(message: Message) -> str:
    """The subject line: project, kind and date, in the message's language."""
    language = language_or_default(message.language)
    context = message.context
    # In Arabic, "[TPM]" and French names must not turn the subject left-to-right.
    kept = _header_isolate if is_rtl(language) else str
    project = kept(context.get("project", {}).get("code") or message.project)
    committee = context.get("committee", {})
    item = context.get("item", {})
    subject = SUBJECTS.get(str(message.kind), SUBJECTS[MessageKind.PROBLEM_REPORT])
    if message.kind == MessageKind.LATE_ALERT and context.get("first_run"):
        subject = FIRST_LATE_ALERT_SUBJECT
    day = committee.get("date") if committee else item.get("deadline")
    text = gettext(
        subject,
        language,
        project=project,
        week=context.get("week", ""),
        date=format_day(context.get("as_of"), language, "short"),
        body=kept(committee.get("body") or ""),
        name=kept(item.get("name") or item.get("id") or ""),
        day=format_day(day, language, "short"),
        days=context.get("days_before", item.get("days_late", "")),
        flow=kept(context.get("flow", "")),
    )
    if is_rtl(language):  # "[suivi]" written in the catalog: isolated like the rest
        text = LEADING_TAG.sub(lambda tag: f"[{_header_isolate(tag.group(1))}]", text)
    return header_safe(text)[:MAX_SUBJECT_CHARS]


def _header_isolate(value: object) -> str:
    """Sheet text kept whole in a right-to-left header: Unicode first-strong isolate."""
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_ISOLATE}"


def _template_context(
    message: Message,
) -> tuple[dict[str, Any], list[tuple[str, bytes, str]]]:
    """What templates see: the message's context plus language, direction, subject, chart."""
    language = language_or_default(message.language)
    rtl = is_rtl(language)
    images: list[tuple[str, bytes, str]] = []
    chart = None
    indicators = message.context.get("indicators") or []
    if message.kind == MessageKind.WEEKLY_SUMMARY and indicators:
        cid = _content_id("chart", message.project, message.occasion)
        alt = gettext(CHART_ALT, language)
        bars = tuple(
            tuple(indicator.get(column) for column in CHART_COLUMNS) for indicator in indicators
        )
        images.append((cid, _chart_png(bars, language), alt))
        chart = {"src": f"cid:{cid}", "alt": alt, "cid": cid}
    context = {
        **message.context,
        "kind": str(message.kind),
        "language": language,
        "dir": "rtl" if rtl else "ltr",
        "align": "right" if rtl else "left",
        "subject": subject_of(message),
        "chart": chart,
    }
    context.setdefault("recipient", {"name": "", "email": message.recipient})
    return context, images


@lru_cache(maxsize=256)  # one per project and language: a big portfolio must not evict its own
def _chart_png(bars: tuple[tuple[Any, ...], ...], language: str) -> bytes:
    """The achievement chart, drawn once for the e-mail, its page and every recipient."""
    return achievement_chart(pd.DataFrame(list(bars), columns=CHART_COLUMNS), language)


def _email_fragment(document: str) -> str:
    """The body of a rendered page, CSS inlined, on one line (yagmail turns newlines into <br>)."""
    inlined = _INLINER.inline(document)
    match = BODY.search(inlined)
    fragment = match.group(1) if match else inlined
    # Only inside tags, where every " of the data is escaped: text keeps what the team typed.
    fragment = OPENING_TAG.sub(lambda tag: CLASS_ATTRIBUTE.sub("", tag.group(0)), fragment)
    return LINE_BREAKS.sub(" ", fragment).strip()


def _tidy_text(text: str) -> str:
    """Plain text with trailing spaces and runs of blank lines removed."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _content_id(*parts: str) -> str:
    """An ASCII Content-ID for an inline image, e.g. chart-TPM-2026-W50@suivi."""
    local = re.sub(r"[^A-Za-z0-9.-]+", "-", "-".join(parts)).strip("-")
    return f"{local}@suivi"


# ---------------------------------------------------------------- filters and helpers


def _remembered(function: Callable[..., str]) -> Callable[..., str]:
    """`function` remembering its answers: e-mails format the same dates and numbers again and again."""
    remember = lru_cache(maxsize=8192, typed=True)(function)  # typed: 1 and 1.0 format apart

    def call(*arguments: object) -> str:
        try:
            return remember(*arguments)
        except TypeError:  # an unhashable value (a list in a cell): formatted afresh
            return function(*arguments)

    return call


# The formatting filters are pure functions of (value, language): each answer is worked out once.
_format_day = _remembered(format_day)
_format_fraction = _remembered(format_fraction)
_format_number = _remembered(format_number)
_label = _remembered(label)


def _language(context: Any) -> str:
    """The language of the template being rendered."""
    return str(context.get("language", "fr"))


@jinja2.pass_context
def _date_filter(context: Any, value: object) -> str:
    """`lundi 7 décembre 2026`."""
    return _format_day(value, _language(context), "full")


@jinja2.pass_context
def _short_date_filter(context: Any, value: object) -> str:
    """`7 déc. 2026`."""
    return _format_day(value, _language(context), "short")


@jinja2.pass_context
def _percent_filter(context: Any, value: object) -> str:
    """0.45 → `45 %`."""
    return _format_fraction(value, _language(context))


@jinja2.pass_context
def _number_filter(context: Any, value: object) -> str:
    """1234.5 → `1 234,5`."""
    return _format_number(value, _language(context))


@jinja2.pass_context
def _label_filter(context: Any, value: object) -> str:
    """A flag or status code in words."""
    return _label(value, _language(context))


@jinja2.pass_context
def _where(context: Any, item: dict[str, Any]) -> Markup | str:
    """Where in the sheet a row lives: tab and row number."""
    tab = _isolated(context, item.get("tab") or "")
    row = item.get("row")
    if row is None:
        return _words(context, WHERE_TAB, tab=tab)
    return _words(context, WHERE_ROW, tab=tab, row=_isolated(context, row, "ltr"))


@jinja2.pass_context
def _hint(context: Any, item: dict[str, Any]) -> Markup | str:
    """What the owner should update in the sheet for this row's state."""
    state = str(item.get("state") or "")
    message = HINTS.get((state, str(item.get("kind"))), HINTS.get((state, ""), ""))
    return _words(context, message) if message else ""


@jinja2.pass_context
def _title_of(context: Any, item: dict[str, Any]) -> Markup | str:
    """`A2.3 — Atelier de concertation`; an item whose ID is its name shows the name once."""
    identifier = str(item.get("id") or "").strip()
    name = str(item.get("name") or "").strip()
    if not name:
        return _isolated(context, identifier, "ltr")
    shown_name = _isolated(context, _shorten(name))
    if not identifier or identifier == name:  # deliverables: the ID is often the title itself
        return shown_name
    return _joined(context, _isolated(context, identifier, "ltr"), " — ", shown_name)


@jinja2.pass_context
def _problem_message(context: Any, problem: dict[str, Any]) -> Markup | str:
    """What is wrong (said in the mail's language by the planner), kept whole in right-to-left."""
    return _isolated(context, problem.get("message"))


@jinja2.pass_context
def _this_week_lines(context: Any) -> list[Markup | str]:
    """The weekly summary's opening: five lines at most, what this week holds."""
    lines = week_lines(
        context.get("this_week") or {}, _language(context), lambda value: _isolated(context, value)
    )
    # Sheet text in the lines went through _isolated (escaped in HTML); the rest is the catalog's.
    return [Markup(line) for line in lines] if context.eval_ctx.autoescape else lines


def _words(context: Any, message: str, **values: object) -> Markup | str:
    """A catalog message in the template's language, `{name}` placeholders filled.

    In HTML the message is escaped, plain values too, and markup values (isolated sheet
    text) are kept; in text, values go in as they are.
    """
    text = gettext(message, _language(context))
    if context.eval_ctx.autoescape:
        return Markup(escape(text)).format(**values)
    return text.format(**values)


def _isolated(context: Any, value: object, direction: str | None = None) -> Markup | str:
    """Sheet text kept whole in a right-to-left mail: <bdi> in HTML, Unicode isolates in text.

    `direction="ltr"` for what is always left-to-right (IDs, numbers, addresses); otherwise
    the browser takes the text's own first strong letter (`dir="auto"`, like <bdi>).
    """
    shown = _dash(value)
    html = context.eval_ctx.autoescape
    if not is_rtl(_language(context)):
        return _escaped(shown) if html else str(shown)
    if html:
        opening = '<bdi dir="ltr">' if direction == "ltr" else "<bdi>"
        return Markup(opening) + _escaped(shown) + Markup("</bdi>")
    isolate = LEFT_TO_RIGHT_ISOLATE if direction == "ltr" else FIRST_STRONG_ISOLATE
    return f"{isolate}{shown}{POP_ISOLATE}"


def _escaped(value: object) -> Markup:
    """`Markup("{}").format(value)`, without the formatter for text (called per cell)."""
    return escape(value) if isinstance(value, str) else Markup("{}").format(value)


def _joined(context: Any, *parts: object) -> Markup | str:
    """Pieces put together, escaped in HTML unless already markup."""
    if context.eval_ctx.autoescape:
        return Markup("").join(escape(part) for part in parts)
    return "".join(str(part) for part in parts)


def error_kind(error: object) -> str:
    """`SourceError` from `SourceError: spreadsheet not found`; "" when no type is named."""
    match = ERROR_KIND.search(str(error or ""))
    return match.group(1).rsplit(".", 1)[-1] if match else ""


@jinja2.pass_context
def _failure_reason(context: Any, kind: str) -> Markup | str:
    """Why something failed, from the error's type, in the mail's language."""
    return _words(context, FAILURE_REASONS.get(kind, UNEXPECTED_FAILURE))


def isolate_quoted_latin(text: str) -> str:
    """In right-to-left text, «Soumis» and «Suivi automatique» kept whole and in order."""
    return QUOTED_LATIN.sub(
        lambda quoted: f"«{FIRST_STRONG_ISOLATE}{quoted.group(1)}{POP_ISOLATE}»", text
    )


@jinja2.pass_context
def _ltr(context: Any, value: object) -> Markup | str:
    """A value kept left-to-right inside right-to-left text (IDs, numbers, cells, addresses)."""
    return _isolated(context, value, "ltr")


@jinja2.pass_context
def _bidi(context: Any, value: object) -> Markup | str:
    """Sheet text isolated in right-to-left mails, so Latin names do not reorder around it."""
    return _isolated(context, value)


def _https_link(value: object, text: object = None) -> Markup:
    """A link when the value is an https:// address, else the value as plain text."""
    shown = _dash(value if text is None else text)
    candidate = str(value or "").strip()
    if SAFE_LINK.fullmatch(candidate):
        return Markup('<a href="{}">{}</a>').format(candidate, shown)
    return Markup("{}").format(_dash(value))


@jinja2.pass_context
def _nl2br(context: Any, value: object) -> Markup:
    """Text with its line breaks kept as <br> (escaped first), each line isolated in RTL."""
    lines = [escape(line) for line in str(_dash(value)).splitlines()]
    if is_rtl(_language(context)):
        lines = [Markup("<bdi>{}</bdi>").format(line) for line in lines]
    return Markup("<br>").join(lines)


def _shorten(value: object, length: int = MAX_CELL_CHARS) -> object:
    """Long sheet text cut to `length` characters with an ellipsis, for table cells."""
    shown = _dash(value)
    text = str(shown)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _dash(value: object) -> object:
    """The value, or — when missing or empty."""
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    if isinstance(value, str) and not value.strip():
        return MISSING
    return value
