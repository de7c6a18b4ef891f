"""Headless Chromium for the browser tests (``tests/test_reports.py``, ``test_lab_browser.py``).

``chromium()`` finds the browser (``/usr/bin/chromium``, else on PATH) or returns None;
``dump_dom`` and ``screenshot`` run it on a local file with a private profile, no network
services, no GPU; ``require_playwright`` gives Playwright for driving JupyterLab. In CI
(``$CI`` set) a missing browser is a failure, not a skip: ``.ci/run`` installs Debian's
``chromium``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")


def chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """The browser, or skip (outside CI) with the reason; in CI its absence fails."""
    found = chromium()
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run should have installed it "
                    "(apt-get install -y chromium)")
    pytest.skip("headless Chromium is not installed (/usr/bin/chromium); "
                "install it (Debian: apt-get install chromium) to run the browser tests")


def _run(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess:
    browser = require_chromium()
    with tempfile.TemporaryDirectory(prefix="aa-chromium-") as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def dump_dom(page: Path) -> str:
    """The DOM of a local page after it has loaded (``--dump-dom``)."""
    done = _run(["--virtual-time-budget=3000", "--dump-dom", Path(page).resolve().as_uri()])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, out: Path, size: tuple[int, int] = (1000, 2400)) -> Path:
    """A PNG screenshot of a local page."""
    done = _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={Path(out).resolve()}",
                 Path(page).resolve().as_uri()])
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(out)


def require_playwright():
    """Playwright's ``sync_playwright`` with Chromium present, or skip (outside CI) with the
    reason; in CI a missing piece fails."""
    require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the playwright package is missing in CI: pip install -e '.[dev]'")
        pytest.skip("the playwright Python package is not installed (pip install playwright; "
                    "the browser itself is Debian's chromium, never downloaded)")
    return sync_playwright
