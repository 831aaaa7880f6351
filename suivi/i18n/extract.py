"""Find every translatable message in the code and the templates, and keep the catalogs in step.

Used by `scripts/update_catalogs.py` (a translator's tool) and by the test that fails when a
catalog misses a message or keeps a stale one.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from suivi.i18n.catalogs import DOMAIN, catalog_path

PACKAGE = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "ar", "en")
METHODS = [
    ("**/templates/**", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**": {"extensions": "jinja2.ext.i18n", "silent": "false"}}
HEADER = """\
# suivi: messages of the e-mails, reports and commands, in "{language}".
# Edit msgstr with any gettext tool; `python scripts/update_catalogs.py` adds new messages."""
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "NP_": ((1, "c"), 2),
    "NN_": (1, 2),
}


def extract_messages(package: Path = PACKAGE) -> Catalog:
    """Every message of the package's code and templates, as a catalog template."""
    template = Catalog(domain=DOMAIN, project="suivi", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str) -> Catalog:
    """The catalog of `language` as it is on disk (empty when there is none yet)."""
    path = catalog_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def update_catalog(language: str, template: Catalog) -> Catalog:
    """The catalog with the template's messages: translations kept, new ones empty, stale dropped."""
    catalog = read_catalog(language)
    created = catalog.creation_date  # kept, so that concurrent updates merge without conflict
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.creation_date = created
    catalog.revision_date = created
    catalog.fuzzy = False
    catalog.project, catalog.version = "suivi", ""
    catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = "suivi"
    catalog.header_comment = HEADER.format(language=language)
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=100, no_location=True, sort_output=True, omit_header=False)
    return catalog
