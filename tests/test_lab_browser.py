"""A triage session in a real JupyterLab, driven by headless Chromium (Playwright).

``adviser-analytics lab -- --no-browser --port=P --IdentityProvider.token=T`` is started on a
copy of the sample workspace after ``labels suggest``; the test opens ``triage.ipynb`` from the
lab folder, runs all cells, and then answers, as an adviser would, five items with five
different answers, double-clicks one, skips one and undoes twice, checking the workspace
(through the Workspace API, another connection) after each step. Screenshots of each stage
go to ``$AA_SCREENSHOTS`` when set (else the test's temporary folder).

Outside CI the test skips, saying why, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import require_playwright

from adviser_analytics.devtools.bench_lab import (
    LabServer,
    answer_button,
    launch_browser,
    open_notebook,
    run_all_cells,
    triage_widget,
)
from adviser_analytics.labels import suggest
from adviser_analytics.store import Workspace
from adviser_analytics.triage import TriageQueue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def triage_workspace(sample_workspace_template, tmp_path_factory) -> Path:
    """The sample workspace after ``labels suggest`` (what an adviser has before triage)."""
    folder = tmp_path_factory.mktemp("lab") / "workspace"
    shutil.copytree(sample_workspace_template, folder)
    with Workspace.open(folder) as ws, ws.transaction():
        suggest(ws)
    return folder


def _label(workspace: Path, kind: str, subject: str):
    with Workspace.open(workspace) as ws:
        labels = ws.labels(kind)
    row = labels[labels["subject"] == subject]
    return None if row.empty else (row["value"].iloc[0], row["source"].iloc[0])


def _expected(item, value: str) -> list[tuple[str, tuple[str, str] | None]]:
    """(label kind, (value, source)) the workspace must hold after choosing ``value``."""
    if item.kind != "request":
        return [(item.kind, (value, "confirmed"))]
    handling, _, referral = (part.strip() for part in value.partition(":"))
    return [("handling", (handling, "confirmed")),
            ("referral", (referral, "confirmed") if referral else None)]


def _wait_saved(page, workspace: Path, item, value: str, timeout: float = 15_000) -> None:
    """The UI says it is saved, then the workspace holds it (polled via the status line)."""
    triage_widget(page).locator(".aa-saved", has_text=item.words(value)).wait_for(timeout=timeout)
    for kind, want in _expected(item, value):
        assert _label(workspace, kind, item.subject) == want, (item.title, kind)


def _wait_position(page, number: int, total: int, timeout: float = 15_000) -> None:
    triage_widget(page).locator(".aa-progress", has_text=f"Item {number} of {total} ") \
        .wait_for(timeout=timeout)


def test_a_triage_session_in_jupyterlab(triage_workspace, tmp_path):
    sync_playwright = require_playwright()
    shots = Path(os.environ.get("AA_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with Workspace.open(triage_workspace) as ws:
        items = TriageQueue(ws).items
    total = len(items)
    assert total >= 10
    # different answers for the first six items (never the suggestion, so the click shows)
    chosen, used = [], set()
    for item in items[:6]:
        value = next(v for v in item.values
                     if v != item.suggestion and item.words(v) not in used)
        used.add(item.words(value))
        chosen.append(value)
    before_sixth = {kind: _label(triage_workspace, kind, items[5].subject)
                    for kind, _ in _expected(items[5], chosen[5])}
    seventh = {kind: _label(triage_workspace, kind, items[6].subject)
               for kind in (["handling", "referral"] if items[6].kind == "request"
                            else [items[6].kind])}

    with LabServer(triage_workspace, reports=tmp_path / "reports",
                   state=tmp_path / "jupyter") as server, sync_playwright() as p:
        server.wait_ready()
        browser = launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            open_notebook(page, server, "triage.ipynb")
            page.screenshot(path=shots / "1-opened.png")
            run_all_cells(page)
            _wait_position(page, 1, total, timeout=120_000)
            page.screenshot(path=shots / "2-first-item.png")
            shown = triage_widget(page).inner_text()
            assert "0 decided" in shown and "0 skipped" in shown
            assert f"{total} items to review" in shown and str(triage_workspace) in shown
            for code in ("target_declined", "no_response", "refer:", "_"):
                assert code not in shown.replace(str(triage_workspace), ""), code

            # five items, five different answers, each saved at once
            for n in range(5):
                answer_button(page, items[n].words(chosen[n])).click()
                _wait_saved(page, triage_workspace, items[n], chosen[n])
                _wait_position(page, n + 2, total)
            page.screenshot(path=shots / "3-after-five.png")

            # a double click confirms the sixth item once, the seventh not at all
            answer_button(page, items[5].words(chosen[5])).dblclick()
            _wait_saved(page, triage_workspace, items[5], chosen[5])
            _wait_position(page, 7, total)
            # Skip: processed after the double click's second click (one message at a time)
            triage_widget(page).get_by_role("button", name="Skip", exact=True).click()
            _wait_position(page, 8, total)
            assert "6 decided" in triage_widget(page).inner_text()
            assert "1 skipped" in triage_widget(page).inner_text()
            for kind, was in seventh.items():
                assert _label(triage_workspace, kind, items[6].subject) == was, kind
            page.screenshot(path=shots / "4-double-click-and-skip.png")

            # Undo the skip (nothing in the workspace changes), then the sixth decision
            undo = triage_widget(page).get_by_role("button", name="Undo", exact=True)
            undo.click()
            _wait_position(page, 7, total)
            assert "0 skipped" in triage_widget(page).inner_text()
            for kind, was in seventh.items():
                assert _label(triage_workspace, kind, items[6].subject) == was, kind
            triage_widget(page).get_by_role("button", name="Undo", exact=True).click()
            _wait_position(page, 6, total)
            assert "5 decided" in triage_widget(page).inner_text()
            for kind, was in before_sixth.items():
                assert _label(triage_workspace, kind, items[5].subject) == was, kind
            for n in range(5):  # the first five are still as the adviser said
                for kind, want in _expected(items[n], chosen[n]):
                    assert _label(triage_workspace, kind, items[n].subject) == want
            page.screenshot(path=shots / "5-undone.png")
            errors = triage_widget(page).locator(".aa-error").count()
            assert errors == 0
        finally:
            browser.close()
    assert "Traceback" not in server.log() or "ProgrammingError" not in server.log()
