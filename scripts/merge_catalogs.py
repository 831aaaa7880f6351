"""A git merge driver for the gettext catalogs: both sides' messages kept, sorted, no conflict.

    git config merge.catalog.driver "python scripts/merge_catalogs.py %O %A %B"
    (and `*.po merge=catalog` in .gitattributes)

A message either side added is kept; one either side dropped (stale) is dropped; where both
translated a message differently, ours wins. The result is written over %A, sorted as
scripts/update_catalogs.py writes it, so that file always merges.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def read(path: str) -> Catalog:
    """A catalog from a file git hands us."""
    with Path(path).open("rb") as source:
        return read_po(source)


def keys(catalog: Catalog) -> set[tuple[object, str | None]]:
    """(msgid, context) of every message but the header."""
    return {(message.id, message.context) for message in catalog if message.id}


def merge(base: Catalog, ours: Catalog, theirs: Catalog) -> Catalog:
    """Ours, plus what theirs added, minus what theirs dropped."""
    dropped = keys(base) - keys(theirs)
    for message in list(ours):
        if message.id and (message.id, message.context) in dropped:
            ours.delete(message.id, message.context)
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id, message.context)
        if mine is None:
            ours[message.id] = message
        elif not mine.string or (isinstance(mine.string, tuple) and not all(mine.string)):
            mine.string = message.string
    return ours


def main(base: str, ours: str, theirs: str) -> int:
    """Write the merge over `ours`; exit 0 (merged)."""
    merged = merge(read(base), read(ours), read(theirs))
    with Path(ours).open("wb") as target:
        write_po(target, merged, width=100, no_location=True, sort_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
