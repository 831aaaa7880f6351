"""What every command shares: exit statuses, the settings file they name, dates they accept."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
EXIT_OUTPUT_CLOSED = 128 + 13  # killed by SIGPIPE, as the shell reports it (13 on every Unix)


def iso_date(text: str) -> dt.date:
    """--as-of as the sheets write dates: 07/12/2026, 7/12/26, 7 déc. 2026 or 2026-12-07."""
    import pandas as pd

    from suivi.sheet.parse import parse_dates

    dates, failed = parse_dates(pd.Series([text.strip()], dtype="object"))
    if failed.any() or pd.isna(dates.iloc[0]):
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (day first, as in the sheets: 07/12/2026, 7/12/26, 2026-12-07)"
        )
    return dates.iloc[0].date()


def config_path_of(args: argparse.Namespace) -> Path:
    """--config, else SUIVI_CONFIG, else config/suivi.yaml."""
    from suivi.settings import config_path

    return config_path(args.config)
