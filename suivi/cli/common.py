"""What every command shares: exit statuses, the settings file they name, dates they accept."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def iso_date(text: str) -> dt.date:
    """--as-of YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def config_path_of(args: argparse.Namespace) -> Path:
    """--config, else SUIVI_CONFIG, else config/suivi.yaml."""
    from suivi.settings import config_path

    return config_path(args.config)
