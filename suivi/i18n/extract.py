"""Find every translatable message in the code and the templates, and keep the catalogs in step.

Used by `scripts/update_catalogs.py` (a translator's tool) and by the test that fails when a
catalog misses a message or keeps a stale one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from suivi.i18n.catalogs import DOMAIN, catalog_path

PACKAGE = Path(__file__).resolve().parents[1]
MAPPING = PACKAGE.parent / "babel.cfg"  # the folders to read: suivi/ and flows/ of a checkout
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
    return _as_template(
        extract_from_dir(
            str(package), method_map=METHODS, options_map=OPTIONS, **_EXTRACTION
        )
    )


def extract_project(mapping: Path = MAPPING) -> Catalog:
    """Every message of the folders `babel.cfg` names, as `pybabel extract -F babel.cfg .` finds them."""
    with mapping.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(mapping))
    root = mapping.parent
    tops = {pattern.split("/", 1)[0] for pattern, _method in method_map}

    def named(folder: str) -> bool:  # walk only the folders the mapping names, not .venv or data/
        return os.path.relpath(folder, root).split(os.sep)[0] in tops

    return _as_template(
        extract_from_dir(
            str(root),
            method_map=method_map,
            options_map=options_map,
            directory_filter=named,
            **_EXTRACTION,
        )
    )


_EXTRACTION: dict[str, Any] = {
    "keywords": KEYWORDS,
    "comment_tags": ("Translators:",),
    "strip_comment_tags": True,
}


def _as_template(found: Iterable[tuple[str, int, Any, list[str], str | None]]) -> Catalog:
    """What an extraction found, as a catalog template."""
    template = Catalog(domain=DOMAIN, project="suivi", charset="utf-8")
    for filename, lineno, message, comments, context in found:
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
