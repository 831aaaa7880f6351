"""Message → Email: Jinja2 templates (autoescaped), CSS inlined, a real text part, the chart."""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import pandas as pd
from markupsafe import Markup, escape

from suivi.i18n import (
    MISSING,
    as_date,
    format_day,
    format_fraction,
    format_number,
    is_rtl,
    label,
    language_or_default,
    message_text,
    translate,
)
from suivi.i18n.catalogs import install_in_templates
from suivi.model import CONTROL_CHARACTERS, Email
from suivi.notify.charts import achievement_chart
from suivi.notify.messages import Message, MessageKind

# Every header value: no control characters, no Unicode line or paragraph separators.
HEADER_UNSAFE = CONTROL_CHARACTERS
MAX_SUBJECT_CHARS = 200
MAX_CELL_CHARS = 90  # longer names are cut in tables; the sheet has them whole
# A link from a cell: https only, and nothing that could leave the attribute.
SAFE_LINK = re.compile(r"https://[^\s<>\"'`\\]+")
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
PACK_MIME_TYPE = "text/html"
# Class names are useless once styles are inlined: dropping them keeps mails under the clip.
OPENING_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
CLASS_ATTRIBUTE = re.compile(r' class="[^"]*"')
CHART_COLUMNS = ["code", "achievement", "expected", "status"]
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)


# The templates that ship with the package; a settings `templates:` folder overrides them by name.
SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_environment(override: Path | None = None) -> jinja2.Environment:
    """Jinja2 for the e-mails: HTML autoescaped, undefined names fail, no path out of a folder.

    Templates come from `override` first (the officer's own wording), then from those shipped.
    """
    folders = [override] if override is not None else []
    loader = jinja2.ChoiceLoader([ConfinedLoader(folder) for folder in [*folders, SHIPPED_TEMPLATES]])
    environment = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        date=_date_filter,
        short_date=_short_date_filter,
        percent=_percent_filter,
        number=_number_filter,
        label=_label_filter,
        ltr=_ltr,
        https_link=_https_link,
        nl2br=_nl2br,
        dash=_dash,
        shorten=_shorten,
        bidi=_bidi,
    )
    environment.globals.update(t=_t, where=_where, hint=_hint, labelled=_labelled)
    install_in_templates(environment)
    return environment


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
    document = env.get_template(f"{message.kind}.html").render(context)
    text = env.get_template(f"{message.kind}.txt").render(context)
    attachments: tuple[tuple[str, bytes, str], ...] = ()
    if message.kind == MessageKind.COMMITTEE_REMINDER:
        pack = env.get_template("committee_pack.html").render(context)
        attachments = ((_pack_file_name(message), pack.encode("utf-8"), PACK_MIME_TYPE),)
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
        attachments=attachments,
    )


def render_page(message: Message, env: jinja2.Environment) -> str:
    """A standalone HTML page of the e-mail (preview, outbox copy): images embedded."""
    context, images = _template_context(message)
    page = _INLINER.inline(env.get_template(f"{message.kind}.html").render(context))
    for cid, png, _ in images:
        embedded = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        page = page.replace(f"cid:{cid}", embedded)
    return page


def render_pack(message: Message, env: jinja2.Environment) -> str:
    """The printable meeting pack of a committee reminder, as a standalone page."""
    context, _ = _template_context(message)
    return env.get_template("committee_pack.html").render(context)


def header_safe(value: object) -> str:
    """A header value without control characters or line breaks, spaces collapsed."""
    return re.sub(r"\s{2,}", " ", HEADER_UNSAFE.sub(" ", str(value))).strip()


def subject_of(message: Message) -> str:
    """The subject line: project, kind and date, in the message's language."""
    language = language_or_default(message.language)
    context = message.context
    project = context.get("project", {}).get("code") or message.project
    as_of = format_day(context.get("as_of"), language, "short")
    week = context.get("week", "")
    kind = message.kind
    if kind == MessageKind.WEEKLY_SUMMARY:
        text = translate("subject.weekly_summary", language, project=project, week=week, date=as_of)
    elif kind == MessageKind.OWNER_DIGEST:
        text = translate("subject.owner_digest", language, project=project, week=week, date=as_of)
    elif kind == MessageKind.COMMITTEE_REMINDER:
        committee = context.get("committee", {})
        text = translate(
            "subject.committee_reminder",
            language,
            project=project,
            body=committee.get("body") or "",
            date=format_day(committee.get("date"), language, "short"),
            days=context.get("days_before", ""),
        )
    elif kind in (MessageKind.DELIVERABLE_REMINDER, MessageKind.DELIVERABLE_OVERDUE):
        item = context.get("item", {})
        text = translate(
            f"subject.{kind}",
            language,
            project=project,
            name=item.get("name") or item.get("id") or "",
            date=format_day(item.get("deadline"), language, "short"),
            days=context.get("days_before", ""),
        )
    elif kind == MessageKind.LATE_ALERT:
        key = "subject.late_alert_first" if context.get("first_run") else "subject.late_alert"
        text = translate(key, language, project=project, date=as_of)
    elif kind == MessageKind.RUN_FAILURE:
        text = translate("subject.run_failure", language, flow=context.get("flow", ""), date=as_of)
    else:
        text = translate(f"subject.{kind}", language, project=project, date=as_of)
    return header_safe(text)[:MAX_SUBJECT_CHARS]


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
        alt = translate("chart.alt", language)
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


def _pack_file_name(message: Message) -> str:
    """`dossier-seance-COPIL-2026-12-14.html`, in the message's language."""
    committee = message.context.get("committee", {})
    day = as_date(committee.get("date"))
    body = re.sub(r"[^\w-]+", "-", header_safe(committee.get("body") or "")).strip("-")
    stem = translate("file.pack", message.language)
    parts = [stem, body[:40], day.isoformat() if day else ""]
    return "-".join(part for part in parts if part) + ".html"


# ---------------------------------------------------------------- filters and helpers


def _language(context: Any) -> str:
    """The language of the template being rendered."""
    return str(context.get("language", "fr"))


@jinja2.pass_context
def _t(context: Any, key: str, **values: object) -> str:
    """A fixed string in the template's language; in HTML, values are escaped unless markup."""
    language = _language(context)
    if not context.eval_ctx.autoescape:
        return translate(key, language, **values)
    # Markup.format escapes each plain value and keeps <bdi> wrappers made by the filters.
    return (
        Markup(escape(message_text(key, language, **values))).format(**values)
        if values
        else translate(key, language)
    )


@jinja2.pass_context
def _date_filter(context: Any, value: object) -> str:
    """`lundi 7 décembre 2026`."""
    return format_day(value, _language(context), "full")


@jinja2.pass_context
def _short_date_filter(context: Any, value: object) -> str:
    """`7 déc. 2026`."""
    return format_day(value, _language(context), "short")


@jinja2.pass_context
def _percent_filter(context: Any, value: object) -> str:
    """0.45 → `45 %`."""
    return format_fraction(value, _language(context))


@jinja2.pass_context
def _number_filter(context: Any, value: object) -> str:
    """1234.5 → `1 234,5`."""
    return format_number(value, _language(context))


@jinja2.pass_context
def _label_filter(context: Any, value: object) -> str:
    """A flag or status code in words."""
    return label(value, _language(context))


@jinja2.pass_context
def _labelled(context: Any, key: str, value: object) -> str:
    """`Échéance : 7 déc. 2026` (with French spacing before the colon)."""
    language = _language(context)
    separator = "\u00a0: " if language == "fr" else ": "
    return f"{translate(key, language)}{separator}{_dash(value)}"


@jinja2.pass_context
def _where(context: Any, item: dict[str, Any]) -> str:
    """Where in the sheet a row lives: tab and row number."""
    language = _language(context)
    tab = item.get("tab") or ""
    row = item.get("row")
    if row is None:
        return translate("where_tab", language, tab=tab)
    return translate("where", language, tab=tab, row=row)


@jinja2.pass_context
def _hint(context: Any, item: dict[str, Any]) -> str:
    """What the owner should update in the sheet for this row's state."""
    language = _language(context)
    state = str(item.get("state") or "")
    keys = [f"hint.{state}.{item.get('kind')}", f"hint.{state}"]
    for key in keys:
        text = translate(key, language)
        if text != key:
            return text
    return ""


@jinja2.pass_context
def _ltr(context: Any, value: object) -> Markup:
    """A value kept left-to-right inside right-to-left text (IDs, numbers, cells, addresses)."""
    if not is_rtl(_language(context)):
        return Markup("{}").format(_dash(value))  # already left-to-right: spare the bytes
    return Markup('<bdi dir="ltr">{}</bdi>').format(_dash(value))


@jinja2.pass_context
def _bidi(context: Any, value: object) -> Markup:
    """Sheet text isolated in right-to-left mails, so Latin names do not reorder around it."""
    if not is_rtl(_language(context)):
        return Markup("{}").format(_dash(value))
    return Markup("<bdi>{}</bdi>").format(_dash(value))


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
