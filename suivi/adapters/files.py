"""Files written whole or not at all: a workbook is saved beside its target, then swapped in."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook


def save_workbook(book: Workbook, path: Path) -> Path:
    """Save `book` at `path` atomically: a reader never sees half a file, a failure leaves none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".xlsx")
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
