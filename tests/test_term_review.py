"""The term review (``report --every term``): its sections on the sample workspace, checked
against the metrics functions and small cases worked by hand; the review executed through the
CLI for both audiences (sections present, the leak check passed, month reports unchanged);
and the review read in headless Chromium (screenshots to ``$AA_SCREENSHOTS`` when set, else
the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import build_reports_workspace

from adviser_analytics import privacy
from adviser_analytics.cli import main
from adviser_analytics.metrics import compute_metrics
from adviser_analytics.metrics.drift import wilson_interval
from adviser_analytics.metrics.introductions import outcome_mix
from adviser_analytics.periods import Period
from adviser_analytics.reflection import open_report, prompts
from adviser_analytics.reflection.term import month_rows, monthly_plans, next_month
from adviser_analytics.reflection.views import view_for
from adviser_analytics.store import Workspace
from adviser_analytics.store import writing as stored

AUTUMN = ("2025-09-01", "2025-12-31")   # one policy version throughout
SPRING = ("2026-01-01", "2026-03-31")   # a new version comes into force on 5 January
TERM_TITLES = ("The term month by month", "The policy as lived",
               "Each month's action plan, and what came of it",
               "Worth discussing about the term")
SEPTEMBER_PLAN = "Answer every student within five days."
OCTOBER_PLAN = "Keep Friday afternoons for replies."


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, request) -> Path:
    """The demo's sample workspace (copied), with a plan written in September's report
    (private) and one in October's (marked to share), and one written for the whole term."""
    ws = tmp_path_factory.mktemp("term") / "ws"
    shutil.copytree(build_reports_workspace(tmp_path_factory, request), ws)
    with Workspace.open(ws) as opened:
        stored.keep(opened, [
            {"period_from": "2025-09-01", "period_to": "2025-09-30", "cell": "action_plan",
             "text": SEPTEMBER_PLAN},
            {"period_from": "2025-10-01", "period_to": "2025-10-31", "cell": "action_plan",
             "text": OCTOBER_PLAN, "share": True},
            {"period_from": "2025-09-01", "period_to": "2025-12-31", "cell": "action_plan",
             "text": "The term's own plan", "share": True}])
    return ws


# ------------------------------------------------------------------------------ sections


def test_each_month_is_what_the_metrics_say(workspace):
    r = open_report(workspace, *AUTUMN, kind="term")
    d = r.data
    rows = r.model.month_by_month
    assert [x["month"] for x in rows] == ["September 2025", "October 2025", "November 2025",
                                          "December 2025"]
    for row in rows:
        month = Period(row["from"], row["to"])
        m = compute_metrics(d.messages, d.invitations, d.labels, d.introductions, d.policy,
                            month, data_to=d.data_to)
        for key in ("requests", "answered_requests", "due_requests", "within_target",
                    "waiting"):
            assert row[key] == m["load"][key], (row["month"], key)
        assert row["decisions"] == m["policy"]["decisions"]
        assert row["conforming"] == m["policy"]["conforming"]
        assert row["introductions_asked"] == m["introductions"]["requests"]
        mix = outcome_mix(d.introductions, d.labels, month)["outcomes"]
        assert row["introductions"]["made"] == mix["made"] + mix["met"]
        low, high = wilson_interval(row["answered_requests"], row["requests"])
        assert row["reply_rate_ci95"] == pytest.approx([low, high])
    # the months add up to the term
    term = r.metrics
    assert sum(x["requests"] for x in rows) == term["load"]["requests"]
    assert sum(x["decisions"] for x in rows) == term["policy"]["decisions"]


def test_the_sections_are_empty_outside_a_term_review(workspace):
    r = open_report(workspace, "2025-10-01", "2025-10-31")
    for name in ("term_trends", "term_policy_lived", "term_plans", "term_prompts"):
        assert getattr(r, name)().html == "", name
    assert r.heading().text.startswith("Reflection report")
    assert open_report(workspace, *AUTUMN, kind="term").heading().text.startswith(
        "Term review")
    with pytest.raises(ValueError):
        open_report(workspace, *AUTUMN, kind="year")


def test_policy_as_lived_splits_the_term_at_the_new_version(workspace):
    r = open_report(workspace, *SPRING, kind="term")
    stretches = r.model.version_stretches()
    assert [(s.start.isoformat(), s.end.isoformat()) for _, s in stretches] == [
        ("2026-01-01", "2026-01-04"), ("2026-01-05", "2026-03-31")]
    decided = r.model.decided
    text = r.term_policy_lived().text
    for version, stretch in stretches:
        n = int(((decided["version"] == version.name)
                 & r.model.in_period(decided["dated_at"], stretch).to_numpy()).sum())
        assert f"{version.name} {stretch.start.day} " in text
        assert f"({stretch.days} days) {n}" in text  # its decisions, counted in the table
        assert f"Promises of {version.name}" in text or not r.model.part(stretch).covered
    assert "A new version came into force during the term" in text
    assert "came into force on 2026-01-05" in r.term_prompts().text


def test_supervision_keeps_counts_that_the_terms_totals_would_give_back(workspace):
    """Per-month introductions made and per-version promises add up to figures the term
    review shows for the whole term: in supervision, one hidden beside the others shown
    would give it back, so they go as a whole; the adviser's own version keeps them."""
    from adviser_analytics.reflection.term import _made_by_month

    rows = [{"introductions_asked": 12, "introductions": {"made": 6}},
            {"introductions_asked": 6, "introductions": {"made": "<5"}},
            {"introductions_asked": 0, "introductions": {"made": 0}}]
    assert _made_by_month(rows) == ["withheld", "withheld", "–"]  # 9 - 6 would give 3 back
    rows[1]["introductions"]["made"] = 5
    assert _made_by_month(rows) == ["6", "5", "0"]
    sup = open_report(workspace, *SPRING, "supervision", kind="term").term_policy_lived().text
    own = open_report(workspace, *SPRING, "self", kind="term").term_policy_lived().text
    assert "Promises of" not in sup and "in your own version of this review" in sup
    assert "Promises of genuine-connection" in own


def test_plans_self_sees_all_supervision_only_the_shared(workspace):
    mine = open_report(workspace, *AUTUMN, kind="term")
    plans = monthly_plans(mine)
    # the term's own plan (written over the whole term) is nobody's month
    assert {k: v["text"] for k, v in plans.items()} == {
        "2025-09-01": SEPTEMBER_PLAN, "2025-10-01": OCTOBER_PLAN}
    text = mine.term_plans().text
    assert SEPTEMBER_PLAN in text and OCTOBER_PLAN in text
    assert "The term's own plan" not in text
    # beside September's plan: October's measures (the month after)
    october = mine.model.measures_in(next_month(Period("2025-09-01", "2025-09-30")))
    assert f"{october['requests']} requests, reply rate" in text
    assert "January 2026" in text  # December's month after lies beyond the term
    shared = open_report(workspace, *AUTUMN, "supervision", kind="term")
    text = shared.term_plans().text
    assert OCTOBER_PLAN in text and SEPTEMBER_PLAN not in text
    assert "Only the plans you marked to share are shown" in text


def test_the_registry_guards_each_month_for_supervision():
    view = view_for("supervision")
    row = {"month": "May 2026", "requests": 12, "answered_requests": 9, "reply_rate": 0.75,
           "reply_rate_ci95": [0.47, 0.91], "introductions_asked": 8,
           "introductions": {"made": 2, "other": 6}, "secret": 3}
    shown = view.metrics({"month": row})["month"]
    assert shown["requests"] == 12 and shown["reply_rate"] == 0.75  # own totals
    assert shown["introductions"]["made"] == privacy.SMALL  # a breakdown: 1-4 hidden
    assert shown["introductions"]["other"] == privacy.SECONDARY  # else 8 - 6 gives it back
    assert shown["secret"] is None  # not registered: withheld
    assert view_for("self").metrics({"month": row})["month"] == row


def test_term_prompts_judge_a_move_by_overlapping_intervals():
    def rows(a, b):
        return [{"month": "September", "reply_rate": a[0], "reply_rate_ci95": a[1]},
                {"month": "December", "reply_rate": b[0], "reply_rate_ci95": b[1]}]

    # 18/20 against 6/20: Wilson intervals (0.70, 0.97) and (0.15, 0.52) do not overlap
    apart = rows((0.9, wilson_interval(18, 20)), (0.3, wilson_interval(6, 20)))
    said = prompts._moved(apart, "reply_rate", "reply_rate_ci95", "Your reply rate")
    assert said.startswith("Worth discussing: Your reply rate went from 90% in September "
                           "to 30% in December")
    # 9/10 against 7/10 overlap
    near = rows((0.9, wilson_interval(9, 10)), (0.7, wilson_interval(7, 10)))
    assert "may be chance" in prompts._moved(near, "reply_rate", "reply_rate_ci95", "X")
    same = rows((1.0, wilson_interval(5, 5)), (1.0, wilson_interval(9, 9)))
    assert prompts._moved(same, "reply_rate", "reply_rate_ci95", "X") is None


def test_month_rows_as_supervision_shows_them(workspace):
    shared = open_report(workspace, *AUTUMN, "supervision", kind="term")
    for raw, shown in zip(shared.model.month_by_month, month_rows(shared), strict=True):
        assert shown["requests"] == raw["requests"]
        made = raw["introductions"]["made"]
        assert shown["introductions"]["made"] in (made if not 1 <= made <= 4 else privacy.SMALL,
                                                  privacy.SECONDARY, privacy.WITHHELD)


# ------------------------------------------------------------------------------ the CLI


@pytest.fixture(scope="module")
def reviews(workspace, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("term-out")
    for audience in ("self", "supervision"):
        assert main(["report", "--workspace", str(workspace), "--from", AUTUMN[0],
                     "--to", SPRING[1], "--every", "term", "--audience", audience,
                     "--out", str(out)]) == 0  # (supervision: the leak check passed)
    return out


@pytest.mark.slow
def test_term_review_executed_through_the_cli(reviews, workspace):
    for audience in ("self", "supervision"):
        for term in ("autumn-2025", "spring-2026"):
            page = (reviews / audience / f"{term}.html").read_text(encoding="utf-8")
            assert "Term review" in page
            for title in TERM_TITLES:
                assert title in page, (audience, term, title)
    autumn = (reviews / "supervision" / "autumn-2025.html").read_text(encoding="utf-8")
    assert OCTOBER_PLAN in autumn and SEPTEMBER_PLAN not in autumn
    assert SEPTEMBER_PLAN in (reviews / "self" / "autumn-2025.html").read_text(
        encoding="utf-8")
    # the supervision files pass the leak check again when read back
    with Workspace.open(workspace) as ws:
        index = __import__("adviser_analytics.reports", fromlist=["leak_index"]).leak_index(
            ws, workspace)
    privacy.check_artefacts([reviews / "supervision" / f"{t}.html"
                             for t in ("autumn-2025", "spring-2026")], index)


@pytest.mark.slow
def test_a_month_report_has_no_term_sections(workspace, tmp_path):
    assert main(["report", "--workspace", str(workspace), "--from", "2025-10-01",
                 "--to", "2025-10-31", "--every", "month", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "self" / "2025-10.html").read_text(encoding="utf-8")
    assert "Reflection report" in page and "Term review" not in page
    for title in (*TERM_TITLES, "Across the term", "What came of the plans"):
        assert title not in page, title
    import nbformat

    nb = nbformat.read(tmp_path / "self" / "2025-10.ipynb", as_version=4)
    assert not [c for c in nb.cells if "term-review" in c.metadata.get("tags", [])]


# ------------------------------------------------------------------------------ browser


@pytest.mark.slow
def test_term_review_read_in_headless_chromium(reviews):
    from browser import require_playwright

    sync_playwright = require_playwright()
    shots = Path(os.environ.get("AA_SCREENSHOTS") or reviews / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            for audience in ("self", "supervision"):
                page = browser.new_page(viewport={"width": 1100, "height": 1400})
                page.goto((reviews / audience / "autumn-2025.html").as_uri())
                for title in TERM_TITLES:
                    assert page.locator("h4", has_text=title).first.is_visible(), title
                trends = page.locator(".aa-block", has=page.locator(
                    "h4", has_text="The term month by month"))
                assert trends.locator("img").first.is_visible()
                rows = trends.locator("table tbody tr")
                assert rows.count() == 4
                assert rows.first.inner_text().startswith("September 2025")
                plans = page.locator(".aa-term-plans-table tbody tr")
                assert plans.count() == 4
                october = plans.nth(1).inner_text()
                assert OCTOBER_PLAN in october and "November 2025" in october
                assert (SEPTEMBER_PLAN in plans.first.inner_text()) == (audience == "self")
                page.screenshot(path=str(shots / f"term-review-{audience}.png"),
                                full_page=True)
        finally:
            browser.close()
