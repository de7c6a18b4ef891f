"""A self report read as a document in a real JupyterLab and as HTML, in headless Chromium.

One month of the sample workspace is made into a self report (``run_reports``); JupyterLab
(``jupyter lab --no-browser``, a private port and token, the report folder as its root) opens
the report notebook, and Playwright (Debian's ``/usr/bin/chromium``) checks what an adviser
sees: no code input visible (every code cell's source hidden by JupyterLab's own
``source_hidden`` metadata), no test marker (``NBVAL``) and no "change the parameters" text,
the figures shown (writing in the writing cells is driven in the browser by
``tests/test_writing_browser.py``). The HTML is checked the same way. Screenshots go to
``$AA_SCREENSHOTS`` when set (else the test's temporary folder).

Outside CI the test skips, saying why, when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser import require_chromium
from helpers import build_reports_workspace

from adviser_analytics.reports import run_reports

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-03"


def _require_playwright():
    require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing in CI (pip install playwright)")
        pytest.skip("the playwright package is not installed (pip install playwright)")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("JupyterLab is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory, request) -> Path:
    workspace = build_reports_workspace(tmp_path_factory, request)
    out = tmp_path_factory.mktemp("lab-reports")
    run = run_reports(workspace, f"{MONTH}-01", f"{MONTH}-31", "month", "self", out=out,
                      progress=False)
    assert not run.failed, [r.error for r in run.failed]
    return out / "self"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(report_folder):
    """A JupyterLab serving the report folder: (base URL, token)."""
    _require_playwright()
    port, token = _free_port(), secrets.token_hex(16)
    settings = report_folder.parent / "lab-settings"
    for name, value in (
            # every cell in the page (not only those scrolled to), and no news pop-up
            ("notebook-extension/tracker", '{"windowingMode": "none"}'),
            ("apputils-extension/notification", '{"fetchNews": "false"}')):
        target = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value)
    env = dict(os.environ, PYTHONPATH=str(ROOT), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTER_CONFIG_DIR=str(report_folder.parent / ".jupyter"))
    log = (report_folder.parent / "lab.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={report_folder}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=report_folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start: "
                                + (report_folder.parent / "lab.log").read_text()[-2000:])
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("AA_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_report_notebook_reads_like_a_document_in_jupyterlab(lab, report_folder, tmp_path):
    sync_playwright = _require_playwright()
    base, token = lab
    shots = _shots(tmp_path)
    path = report_folder / f"{MONTH}.ipynb"
    before = nbformat.read(path, as_version=4)
    code = [c for c in before.cells if c.cell_type == "code"]
    assert code and all(c.metadata["jupyter"]["source_hidden"] for c in code)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{base}/lab/tree/{MONTH}.ipynb?token={token}")
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
            notebook.wait_for(timeout=90_000)
            page.locator(".jp-Cell").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shots / "report-lab-top.png"))
            # every cell is attached (JupyterLab renders lazily: scroll to the end)
            cells = notebook.locator(".jp-Cell")
            assert cells.count() == len(before.cells)
            cells.last.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            # no code input visible: each code cell shows a collapsed-input placeholder
            code_cells = notebook.locator(".jp-CodeCell")
            assert code_cells.count() == len(code)
            for i in range(code_cells.count()):
                cell = code_cells.nth(i)
                editors = cell.locator(".jp-InputArea-editor")
                assert editors.count() == 0 or not editors.first.is_visible(), i
                preview = cell.locator(".jp-InputPlaceholder")
                assert preview.count() == 1, i  # the collapsed input's bar
                assert preview.inner_text().strip(" \n\u2022") == "", preview.inner_text()
            text = notebook.inner_text()
            assert "NBVAL" not in text
            assert "change the parameters" not in text
            assert "report.key_numbers()" not in text and "import" not in text
            assert "Requests for help that started" in text  # the outputs are there
            assert notebook.locator("img[alt]").count() >= 3  # the figures
            # (writing in the writing cells, in the browser: tests/test_writing_browser.py)
            page.screenshot(path=str(shots / "report-lab-top.png"))
        finally:
            browser.close()


def _writing_index(nb, heading: str = "## 2. Feelings") -> int:
    """The index of the writing cell after a section's heading cell."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.startswith(heading):
            return i + 1
    raise AssertionError(f"no {heading!r} section in the report")


def test_report_html_shows_no_code_and_no_markers(report_folder, tmp_path):
    sync_playwright = _require_playwright()
    shots = _shots(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            page.goto((report_folder / f"{MONTH}.html").as_uri())
            page.wait_for_load_state("load")
            text = page.inner_text("body")
            page.screenshot(path=str(shots / "report-html.png"), full_page=True)
        finally:
            browser.close()
    assert "NBVAL" not in text and "change the parameters" not in text
    assert "report.key_numbers()" not in text and "open_report" not in text
    assert "waiting" in text and "past your" in text
