"""Every message of the code (suivi/, flows/: babel.cfg) and templates is in the fr, ar and en catalogs, and nothing stale."""

from __future__ import annotations

import jinja2
import pytest

from suivi.i18n.catalogs import install_in_templates, translations
from suivi.i18n.extract import LANGUAGES, extract_project, read_catalog

# Catalogs that must translate every message (English is the source: an empty msgstr is fine).
TRANSLATED = ("fr", "ar")


def keys_of(catalog: object) -> set[tuple[object, str | None]]:
    """(msgid, context) of every message of a catalog but its header."""
    return {(message.id, message.context) for message in catalog if message.id}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def extracted() -> set[tuple[object, str | None]]:
    return keys_of(extract_project())


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_holds_every_message_and_no_stale_one(
    language: str, extracted: set[tuple[object, str | None]]
) -> None:
    catalog = keys_of(read_catalog(language))
    missing, stale = extracted - catalog, catalog - extracted
    assert not missing, f"{language}: run scripts/update_catalogs.py; missing {sorted(map(str, missing))[:20]}"
    assert not stale, f"{language}: run scripts/update_catalogs.py; stale {sorted(map(str, stale))[:20]}"


def test_the_words_the_flows_print_are_extracted_too(
    extracted: set[tuple[object, str | None]],
) -> None:
    """babel.cfg names flows/: `suivi serve` and the forced-run notice speak the officer's language."""
    assert ("{file}: no `deployments:` list", None) in extracted  # flows/serve.py
    assert ("Next runs:", None) in extracted  # flows/serve_info.py
    assert ("the schedule of the deployment {deployment}", None) in extracted  # suivi/notify


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    untranslated = [
        message.id
        for message in read_catalog(language)
        if message.id and (not message.string or message.fuzzy or not all(message.string))
    ]
    assert not untranslated, f"{language}: {len(untranslated)} to translate, e.g. {untranslated[:10]}"


def test_arabic_has_six_plural_forms_and_french_treats_zero_as_singular() -> None:
    arabic, french = translations("ar"), translations("fr")
    assert read_catalog("ar").num_plurals == 6
    assert [arabic.plural(n) for n in (0, 1, 2, 3, 11, 100)] == [0, 1, 2, 3, 5, 4]  # type: ignore[attr-defined]
    assert [french.plural(n) for n in (0, 1, 2)] == [0, 0, 1]  # type: ignore[attr-defined]


def test_templates_translate_with_the_language_they_are_rendered_in() -> None:
    environment = jinja2.Environment(autoescape=True)
    install_in_templates(environment)
    template = environment.from_string(
        "{% trans count=n %}{{ count }} late item{% pluralize %}{{ count }} late items{% endtrans %}"
        " {{ _('Late: %(name)s', name=who) }}"
    )
    rendered = template.render(language="en", n=2, who="<b>Ali</b>")
    assert rendered == "2 late items Late: &lt;b&gt;Ali&lt;/b&gt;"
