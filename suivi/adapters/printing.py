"""Printing HTML to PDF in a headless Chromium (Playwright drives the browser installed here)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Where Chromium usually is: `SUIVI_CHROMIUM` first, then the names Debian, Ubuntu and Google use.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell")
# The pack's own @page rule sets A4 and the margins; the browser adds no header or footer.
PDF_OPTIONS = {"format": "A4", "print_background": True, "prefer_css_page_size": True}
LAUNCH_TIMEOUT_MS = 60_000


class PrintingUnavailable(RuntimeError):
    """No browser to print with on this machine (or Playwright is not installed)."""


def chromium_path() -> Path | None:
    """The Chromium this machine can print with, or None."""
    named = os.environ.get("SUIVI_CHROMIUM")
    if named:
        return Path(named) if Path(named).is_file() else None
    found = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    return Path(found) if found else None


def can_print() -> bool:
    """True when a PDF can be made here: Chromium found and Playwright importable."""
    if chromium_path() is None:
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def html_to_pdf(pages: list[str]) -> list[bytes]:
    """Each standalone HTML page printed to an A4 PDF, in one browser."""
    browser_path = chromium_path()
    if browser_path is None:
        raise PrintingUnavailable("no Chromium found (install `chromium` or set SUIVI_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PrintingUnavailable("Playwright is not installed (pip install playwright)") from None
    try:
        # Playwright's sync API refuses a thread with a running event loop (a flow's): its own.
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(_print_all, sync_playwright, browser_path, pages).result()
    except Exception as error:  # Playwright's errors: the browser would not start or print
        raise PrintingUnavailable(f"Chromium could not print: {error}") from None


def _print_all(sync_playwright: Any, browser_path: Path, pages: list[str]) -> list[bytes]:
    """Print each page in one browser session."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(browser_path),
            args=["--no-sandbox", "--disable-gpu"],
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            printed = []
            for html in pages:
                page = browser.new_page()
                page.set_content(html, wait_until="load")
                printed.append(page.pdf(**PDF_OPTIONS))
                page.close()
            return printed
        finally:
            browser.close()
