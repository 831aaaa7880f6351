"""gettext catalogs: one `.po` per language in `locale/`, read at first use, plural forms included.

Messages are written in English in the code (`gettext("Late", language)`) and in the templates
(`{{ _("Late") }}`, `{% trans %}`); `fr.po`, `ar.po` and `en.po` hold their translations. A
translator edits a `.po` file with any gettext tool (Poedit, Weblate, Lokalize); `python
scripts/update_catalogs.py` adds new messages and drops stale ones.
"""

from __future__ import annotations

import gettext as gettext_module
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

if TYPE_CHECKING:  # Jinja is imported where templates are set up: `status` prints words only
    import jinja2
    from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "suivi"
SOURCE_LANGUAGE = "en"
_NO_BREAK = "\u00a0"
_HIGH_PUNCTUATION = re.compile(r" ([:;?!»])")


def catalog_path(language: str) -> Path:
    """Where the catalog of `language` lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalog of `language` (compiled in memory, once); none: messages as written."""
    path = catalog_path(language)
    if not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


@lru_cache(maxsize=4096)  # pure, and the same few hundred messages come back for every row
def french_typography(text: str) -> str:
    """Non-breaking spaces before : ; ? ! » and after «, as French print wants."""
    return _HIGH_PUNCTUATION.sub(_NO_BREAK + r"\1", text).replace("« ", "«" + _NO_BREAK)


def typography(text: str, language: str) -> str:
    """The language's typography on a translated message (before its values go in)."""
    return french_typography(text) if language == "fr" else text


def _finish(text: str, language: str, values: dict[str, object]) -> str:
    """The language's typography, then `{name}` placeholders filled (values stay as written)."""
    text = typography(text, language)
    return text.format(**values) if values else text


def gettext(message: str, language: str, **values: object) -> str:
    """`message` in `language`, with `{name}` placeholders filled from `values`."""
    text = _translated(message, language)
    return text.format(**values) if values else text


@lru_cache(maxsize=4096)  # templates ask for the same message once a row
def _translated(message: str, language: str) -> str:
    """`message` in `language`, with the language's typography, placeholders left in."""
    return typography(translations(language).gettext(message), language)


def ngettext(singular: str, plural: str, count: int, language: str, **values: object) -> str:
    """The form of `language` for `count` (Arabic has six); `{count}` is filled in too."""
    text = translations(language).ngettext(singular, plural, count)
    return _finish(text, language, {"count": count, **values})


def pgettext(context: str, message: str, language: str, **values: object) -> str:
    """`message` in `language` where the same English words mean different things (`context`)."""
    return _finish(translations(language).pgettext(context, message), language, values)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Contextual:
    """A message whose English words mean something else elsewhere: translated with `pgettext`."""

    context: str
    message: str


@dataclass(frozen=True)
class Plural:
    """A message with a count: translated with `ngettext`, `count` names the value that counts."""

    singular: str
    plural: str
    count: str = "count"


def NP_(context: str, message: str) -> Contextual:
    """Mark a message with its context for extraction; translated where it is shown."""
    return Contextual(context, message)


def NN_(singular: str, plural: str, count: str = "count") -> Plural:
    """Mark a message with plural forms for extraction; translated where it is shown."""
    return Plural(singular, plural, count)


def install_in_templates(environment: jinja2.Environment) -> None:
    """`{{ _("…") }}`, `{% trans %}` and `{% pluralize %}` speak the rendered `language`.

    As in Jinja's own "new style" gettext, placeholders in templates are `%(name)s` and the
    values are escaped when autoescaping is on; the translation itself is trusted markup.
    """
    import jinja2

    environment.add_extension("jinja2.ext.i18n")

    @jinja2.pass_context
    def template_gettext(context: Context, message: str, **values: object) -> str:
        return _filled(context, gettext(message, _language(context)), values)

    @jinja2.pass_context
    def template_ngettext(
        context: Context, singular: str, plural: str, num: int, **values: object
    ) -> str:
        text = translations(_language(context)).ngettext(singular, plural, num)
        values.setdefault("num", num)
        return _filled(context, _finish(text, _language(context), {}), values)

    @jinja2.pass_context
    def template_pgettext(context: Context, where: str, message: str, **values: object) -> str:
        return _filled(context, pgettext(where, message, _language(context)), values)

    environment.globals.update(
        _=template_gettext,
        gettext=template_gettext,
        ngettext=template_ngettext,
        pgettext=template_pgettext,
    )
    environment.newstyle_gettext = True  # type: ignore[attr-defined]


def _language(context: Context) -> str:
    """The language the template is being rendered in."""
    return str(context.get("language", SOURCE_LANGUAGE))


def _filled(context: Context, text: str, values: dict[str, object]) -> str:
    """`%(name)s` placeholders filled; values escaped when the template autoescapes."""
    if context.eval_ctx.autoescape:
        from markupsafe import Markup  # loaded with Jinja already, by then

        text = Markup(text)
    return text % values if values else text
