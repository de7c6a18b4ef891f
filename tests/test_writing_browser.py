"""Writing in a report in a real JupyterLab (headless Chromium, Playwright), then ``report``
again: the writing is in the new notebook, its HTML and ``journal``; the next month's report
opens its evaluation with "Last time you planned".

JupyterLab is ``adviser-analytics lab`` (``devtools.bench_lab.LabServer``: a private Jupyter
configuration, a free port, a random token), where the reports are reached as ``reports/``.
Screenshots go to ``$AA_SCREENSHOTS`` when set (else the test's temporary folder).

Outside CI the test skips, saying why, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import require_chromium, require_playwright
from helpers import build_reports_workspace

from adviser_analytics.devtools.bench_lab import LabServer, launch_browser, open_notebook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FEELINGS = "Glad I could help; the Tuesday rush weighed on me."
PLAN = "Reply to introduction requests within three days."


def _env(state: Path) -> dict:
    env = dict(os.environ)
    for name, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                         ("JUPYTERLAB_SETTINGS_DIR", "settings")):
        (state / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(state / folder)
    news = (state / "settings" / "@jupyterlab" / "apputils-extension"
            / "notification.jupyterlab-settings")
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}', encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def _cli(*args: str, state: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "adviser_analytics", *args],
                          capture_output=True, text=True, env=_env(state), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _show(page, locator) -> None:
    """Scroll a cell into view and keep it there while the cells above finish drawing
    (JupyterLab draws cells as they come into view, which moves the ones below)."""
    for _ in range(4):
        locator.scroll_into_view_if_needed()
        page.wait_for_timeout(600)
    box = locator.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], box


def _write_in(page, heading: str, text: str) -> None:
    """A single click on the (empty) writing cell under ``heading``, then typing: no
    double-click, no Enter first (the cell is an open editor, so the keys are text, not
    JupyterLab's shortcuts)."""
    above = page.locator(".jp-Notebook:visible .jp-MarkdownCell", has_text=heading).first
    cell = above.locator("xpath=following-sibling::div[contains(@class, 'jp-Cell')][1]")
    _show(page, cell)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.type(text)
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(300)


def _wait_file_has(path: Path, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(encoding="utf-8")
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached {path}")


def _writing(nb_path: Path) -> dict[str, str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        name = cell["metadata"].get("adviser_analytics", {}).get("writing")
        if name:
            out[name] = "".join(cell["source"])
    return out


def test_writing_in_jupyterlab_survives_the_next_report(tmp_path_factory, request, tmp_path):
    require_chromium()
    sync_playwright = require_playwright()
    shots = Path(os.environ.get("AA_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    workspace = tmp_path / "workspace"
    shutil.copytree(build_reports_workspace(tmp_path_factory, request), workspace)
    state = tmp_path / "jupyter"
    state.mkdir()
    reports = tmp_path / "reports"
    ws = ("--workspace", str(workspace))
    _cli("report", *ws, "--from", "2025-11-01", "--to", "2025-11-30", "--every", "month", "--out", str(reports),
         state=state)
    november = reports / "self" / "2025-11.ipynb"
    assert "Last time you planned" not in november.read_text(encoding="utf-8")

    with LabServer(workspace, reports=reports, state=state / "lab") as lab:
        lab.wait_ready()
        with sync_playwright() as p:
            browser = launch_browser(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                open_notebook(page, lab, "reports/self/2025-11.ipynb")
                _write_in(page, "2. Feelings", FEELINGS)
                _write_in(page, "7. Action plan", PLAN)
                page.screenshot(path=shots / "writing-1-typed.png")
                page.keyboard.press("Control+s")
                _wait_file_has(november, PLAN)
                _wait_file_has(november, FEELINGS)
            finally:
                browser.close()

    # the report made again, as a separate command: the writing is back
    _cli("report", *ws, "--from", "2025-11-01", "--to", "2025-11-30", "--every", "month", "--out", str(reports),
         state=state)
    written = _writing(november)
    assert written["feelings"] == FEELINGS and written["action_plan"] == PLAN
    assert written["conclusion"] == ""                # nothing typed there: still empty
    # a single click and typing wrote into the cells, not JupyterLab's shortcuts (no cell
    # added, none turned into code)
    cells = json.loads(november.read_text(encoding="utf-8"))["cells"]
    assert [c["cell_type"] for c in cells if c["metadata"].get("adviser_analytics", {})
            .get("writing")] == ["markdown"] * 3
    page_html = (reports / "self" / "2025-11.html").read_text(encoding="utf-8")
    assert FEELINGS.replace("'", "&#39;").split(";")[0] in page_html and PLAN in page_html
    journal = _cli("journal", *ws, state=state).stdout
    assert journal.index("### Feelings") < journal.index(FEELINGS) \
        < journal.index("### Action plan") < journal.index(PLAN)
    # nothing was marked to share: the supervision version has none of it
    _cli("report", *ws, "--from", "2025-11-01", "--to", "2025-11-30", "--every", "month", "--out", str(reports),
         "--audience", "supervision", state=state)
    shared = (reports / "supervision" / "2025-11.html").read_text(encoding="utf-8")
    assert PLAN not in shared and "Glad I could help" not in shared

    # the next month opens its evaluation with November's plan
    _cli("report", *ws, "--from", "2025-12-01", "--to", "2025-12-31", "--every", "month", "--out", str(reports),
         state=state)
    december = (reports / "self" / "2025-12.html").read_text(encoding="utf-8")
    assert "Last time you planned" in december and PLAN in december
    assert december.index("Evaluation") < december.index("Last time you planned")

    with LabServer(workspace, reports=reports, state=state / "lab") as lab:
        lab.wait_ready()
        with sync_playwright() as p:
            browser = launch_browser(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                open_notebook(page, lab, "reports/self/2025-11.ipynb")
                kept = page.locator(".jp-Notebook:visible .jp-MarkdownCell", has_text=PLAN)
                _show(page, kept)
                page.screenshot(path=shots / "writing-2-kept.png")
                open_notebook(page, lab, "reports/self/2025-12.ipynb")
                last = page.locator(".jp-Notebook:visible .jp-MarkdownCell",
                                    has_text="Last time you planned")
                _show(page, last)
                assert PLAN in last.text_content()
                page.screenshot(path=shots / "writing-3-last-time.png")
            finally:
                browser.close()
