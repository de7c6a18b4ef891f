"""The privacy registry against what the report shows a supervisor: every table and figure
a section renders in the supervision version, and every number of "Promises against
practice" and "Values", has its entry in ``privacy.METRICS`` (deny by default); the new
tables keep their hidden cells; contacts are never listed beside a withheld count."""

from __future__ import annotations

import html as html_module
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_privacy import _hidden, _range_of_hidden

from adviser_analytics import privacy as P
from adviser_analytics import reflection
from adviser_analytics.reflection import practice
from adviser_analytics.reflection.render import Block, FigureBlock, table
from adviser_analytics.reflection.sections import SECTIONS
from adviser_analytics.reflection.views import SelfView, SupervisionView
from adviser_analytics.store import Workspace

#: a month before the policy change, the change's quarter, and a month whose end sees three
#: contacts asked for more than 3 introductions (the sample story)
PERIODS = (("2025-11-01", "2025-11-30"), ("2026-01-01", "2026-03-31"),
           ("2026-03-01", "2026-03-31"))
SHOWN = re.compile(r'<(table|figure) class="aa-(?:table|figure)(?: [^"]*)?"([^>]*)>')
PSEUDONYM = re.compile(r"\b[a-z]+-[0-9a-f]{4,}\b")


@pytest.fixture(scope="module")
def supervision_reports(labelled_workspace):
    return [reflection.open_report(labelled_workspace, a, b, "supervision") for a, b in PERIODS] \
        + [reflection.open_report(labelled_workspace, "2026-01-01", "2026-03-31", "supervision",
                                  kind="term")]  # the term review's sections too


def test_every_table_and_figure_shown_to_supervision_is_registered(supervision_reports):
    seen = set()
    for r in supervision_reports:
        for name, entry in SECTIONS.items():
            html = entry.build(r).html  # as the section made it, before the view's guard
            for tag, attrs in SHOWN.findall(html):
                key = re.search(r'data-metric="([^"]*)"', attrs)
                assert key, f"{name} shows a {tag} with no registry key"
                registered = P.metric(key.group(1))
                assert registered is not None and registered.kind == tag, \
                    f"{name} shows the {tag} {key.group(1)}, which is not registered"
                seen.add(key.group(1))
    # the sample reaches the new sections' table and the breakdowns of the older ones
    assert {"section.values.employers", "section.key_numbers", "section.decisions.invitation",
            "section.who_asks.relationships", "section.term_trends", "section.term_policy",
            "section.term_plans"} <= seen


def test_every_number_of_the_new_sections_is_registered(supervision_reports, monkeypatch):
    used: list[str] = []
    for method in ("shown", "share", "interval", "sum_shown"):
        original = getattr(SupervisionView, method)

        def record(self, key, *args, _original=original, **kwargs):
            used.append(key)
            return _original(self, key, *args, **kwargs)

        monkeypatch.setattr(SupervisionView, method, record)
    for r in supervision_reports:
        r.promises_against_practice()
        r.values()
    assert {"values.with_message", "values.introductions_asked",
            "promises.accepted_from_promised", "values.keep_in_touch"} <= set(used)
    assert [k for k in used if P.metric(k) is None] == []


def test_self_only_tables_are_never_registered():
    assert not [k for k in P.SELF_ONLY if k in P.METRICS]


def test_an_unregistered_table_or_figure_is_withheld_from_supervision():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    picture = FigureBlock(fig, "a chart")
    plt.close(fig)
    for unregistered in (table(["a", "n"], [["x", 3]]),
                         table(["a", "n"], [["x", 3]], metric="section.values.keep_in_touch"),
                         table(["a", "n"], [["x", 3]], metric="section.nothing_like_it")):
        block = Block(f"<div>{unregistered}</div>")
        assert "<table" not in SupervisionView().guard(block).html
        assert "left out of the supervision version" in SupervisionView().guard(block).html
        assert SelfView().guard(block).html == block.html
    out = SupervisionView().guard(picture).html
    assert "<img" not in out and "A chart is left out" in out
    kept = Block(str(table(["a", "n"], [["x", 3]], metric="section.key_numbers")))
    assert SupervisionView().guard(kept).html == kept.html


def test_registered_numbers_follow_their_scope():
    v = SupervisionView()
    assert v.shown("values.replies", 3) == "3"                      # own total: shown
    assert v.shown("values.with_message", 3, of=20) == "<5"         # breakdown: suppressed
    assert v.shown("values.with_message", 17, of=20) == "≥5"        # the rest would be 3
    assert v.shown("values.not_registered", 30) == "withheld"       # deny by default
    assert v.share("values.share_with_message", 12, 20) == "60%"
    assert v.share("values.share_with_message", 3, 20) == "withheld (small count)"
    assert v.interval("values.share_with_message_ci95", [0.4, 0.8], 3, 20) == ""
    assert v.interval("values.share_with_message_ci95", [0.4, 0.8], 12, 20) \
        == "; 95 % interval 40–80%"
    # a sum of another table's cells: only when that table shows each of them
    assert v.sum_shown("values.introductions_brokered", 9, ["6", 3]) == "9"
    assert v.sum_shown("values.introductions_brokered", 9, ["≥5", "<5"]) == "withheld"
    assert v.sum_shown("values.introductions_brokered", 0, [0, 0]) == "0"
    assert SelfView().sum_shown("values.introductions_brokered", 9, ["≥5", "<5"]) == "9"


# ------------------------------------------------------------ the employers' table

def _grid(html: str) -> list[list[str]]:
    """The employers' table as shown: its "asked" column, each cell also its row's total."""
    cells = [[html_module.unescape(x) for x in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
             for row in re.findall(r"<tr>(.*?)</tr>", html) if "<td" in row]
    return [[row[-1], row[-1]] for row in cells]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=11), st.integers(0, 6))
def test_employers_table_keeps_its_hidden_cells(per_employer, unknown):
    per_employer = sorted(per_employer, reverse=True)
    spread = {"per_employer": [{"company": f"Firm {i}", "asked": n, "brokered": 0,
                                "unreviewed": 0} for i, n in enumerate(per_employer)],
              "asked": sum(per_employer) + unknown, "brokered": 0, "unreviewed": 0,
              "employer_known": sum(per_employer)}
    html = str(practice._employers_table(SupervisionView(), spread))
    assert "Firm" not in html
    grid = _grid(html)
    rows = ([*per_employer[:practice.EMPLOYER_ROWS]]
            + ([sum(per_employer[practice.EMPLOYER_ROWS:])]
               if len(per_employer) > practice.EMPLOYER_ROWS else [])
            + ([unknown] if unknown else []))
    assert len(grid) == len(rows) + 1
    assert grid[-1][0] == str(sum(rows))  # every introduction asked: the adviser's own total
    for (cell, _), true in zip(grid, rows, strict=False):
        assert cell in ("<5", "≥5", "withheld") or (int(cell) == true and not 1 <= true <= 4)
    if len(grid) == 2:  # one row is the row of totals: shown only when it is not 1-4
        assert _hidden(grid[0][0]) or grid[0][0] == grid[1][0]
        return
    for cell, (low, high) in _range_of_hidden(grid).items():
        assert low < high, f"hidden cell {cell} follows from the totals: {grid}"


def test_employers_are_named_only_in_the_adviser_version(labelled_workspace):
    start, end = "2026-01-01", "2026-06-30"
    own = reflection.open_report(labelled_workspace, start, end, "self").values().html
    shared = reflection.open_report(labelled_workspace, start, end, "supervision").values().html
    with Workspace.open(labelled_workspace) as ws:
        companies = {str(c) for c in ws.people()["company"].dropna() if str(c).strip()}
    assert [c for c in companies if c in own]
    assert not [c for c in companies if c in shared] and "employer A" in shared


# ------------------------------------------------------------ contacts asked of often

def test_contacts_asked_often_are_not_listed_beside_a_withheld_count(labelled_workspace):
    start, end = PERIODS[-1]
    r = reflection.open_report(labelled_workspace, start, end, "supervision")
    often = r.model.asked_often
    assert 1 <= len(often) <= 4  # the sample story: three contacts asked of often
    prompt = next(p for p in reflection.prompts.worth_discussing(r.model, r.view)
                  if "more than 3 introductions" in p)
    assert "<5 contacts were asked" in prompt and not PSEUDONYM.search(prompt)
    summary = r.introductions_summary().html
    assert "more than 3" in summary and not PSEUDONYM.search(summary)
    assert 'data-metric="section.introductions.asked_often"' not in summary
    # the adviser's own version names them
    own = reflection.open_report(labelled_workspace, start, end, "self")
    prompt = next(p for p in reflection.prompts.worth_discussing(own.model, own.view)
                  if "more than 3 introductions" in p)
    names = [own.view.target(x) for x in often.itertuples()]
    assert f"{len(often)} contacts ({', '.join(names)}) were asked" in prompt


def test_contacts_asked_often_are_listed_when_their_number_is_shown():
    often = pd.DataFrame({"target_key": [f"k{i}" for i in range(6)],
                          "target_name": [f"T {i}" for i in range(6)],
                          "requests": [5] * 6, "requesters": [5] * 6})
    v = SupervisionView(codes={f"k{i}": f"{i:04x}" for i in range(6)})
    words = reflection.prompts.asked_often_words(often, v)
    assert words.startswith("6 contacts (person-0000, person-0001, person-0002) were")
