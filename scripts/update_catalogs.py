"""Add new messages (of the folders babel.cfg names) to the fr, ar and en catalogs and drop stale
ones; translations are kept.

    python scripts/update_catalogs.py          # then fill the empty msgstr in suivi/i18n/locale/
"""

from __future__ import annotations

from suivi.i18n.extract import LANGUAGES, extract_project, update_catalog


def main() -> None:
    """Extract once, update each language, say what is left to translate."""
    template = extract_project()
    for language in LANGUAGES:
        catalog = update_catalog(language, template)
        untranslated = sum(1 for message in catalog if message.id and not message.string)
        print(f"{language}: {len(catalog)} messages, {untranslated} to translate")


if __name__ == "__main__":
    main()
