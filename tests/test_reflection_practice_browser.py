"""The report with the new sections, rendered to HTML and opened in headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adviser_analytics.store import Workspace

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium")
def test_new_sections_render_in_the_browser(sample_workspace_template, tmp_path):
    from playwright.sync_api import sync_playwright

    from adviser_analytics import labels
    from adviser_analytics.cli import main

    ws = tmp_path / "workspace"
    shutil.copytree(sample_workspace_template, ws)
    with Workspace.open(ws) as opened:
        labels.suggest(opened)
    out = tmp_path / "out"
    for audience in ("self", "supervision"):
        assert main(["report", "--workspace", str(ws), "--from", "2026-01-05", "--to",
                     "2026-03-31", "--audience", audience, "--out", str(out)]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            seen = {}
            for audience in ("self", "supervision"):
                page = browser.new_page(viewport={"width": 1100, "height": 1500})
                page.goto((out / audience / "2026-01-05_2026-03-31.html").as_uri())
                for title in ("Promises against practice", "Values, measured"):
                    assert page.locator("h4", has_text=title).first.is_visible(), title
                promises = page.locator(".aa-promises li")
                assert promises.count() == 4
                assert promises.first.inner_text().startswith(
                    "Your advice says you reply within 5 days:")
                employers = page.locator('table[data-metric="section.values.employers"] '
                                         "tbody tr td:first-child")
                seen[audience] = employers.all_inner_texts()
                page.screenshot(path=str(tmp_path / f"{audience}.png"), full_page=True)
            # the employers' table in both: named for the adviser, pseudonymised for
            # supervision (in the same order); the keep-in-touch list only for the adviser
            assert "Glasswing Software" in seen["self"]
            assert seen["supervision"][:2] == ["employer A", "employer B"]
            assert len(seen["self"]) == len(seen["supervision"])
            generic = {"Total", "other employers", "employer not known"}
            assert not [x for x in seen["supervision"] if x in set(seen["self"]) - generic]
        finally:
            browser.close()
