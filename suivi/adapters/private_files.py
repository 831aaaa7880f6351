"""Files that hold people's names and addresses: readable by the owner only, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> Path:
    """The folder; one created here gets mode 0700 (a folder the user already had keeps its mode)."""
    if not folder.is_dir():
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        folder.chmod(FOLDER_MODE)  # mkdir's mode is masked by the umask
    return folder


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write a file of mode 0600, never readable by others even for an instant."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)  # an older file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "wb") as output:
        output.write(data)
    return path


def write_private_text(path: Path, text: str) -> Path:
    """Write UTF-8 text to a file of mode 0600."""
    return write_private_bytes(path, text.encode("utf-8"))
