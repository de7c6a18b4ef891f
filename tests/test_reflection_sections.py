"""The reflection package's rooms: the registry of sections against the notebook, the
audience views (one implementation each) and the templates."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest

from adviser_analytics import reflection
from adviser_analytics.reflection import render
from adviser_analytics.reflection.sections import SECTIONS, STAGES
from adviser_analytics.reflection.views import SelfView, SupervisionView, view_for

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "notebooks" / "reflection_report.ipynb"
PACKAGE = ROOT / "adviser_analytics" / "reflection"


def _report_calls(path: Path) -> list[str]:
    """The ``report.<name>()`` calls of the notebook's code cells, in order."""
    nb = nbformat.read(path, as_version=4)
    calls = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "report":
                calls.append(node.func.attr)
    return calls


def test_every_registered_section_is_a_notebook_cell_and_back():
    calls = _report_calls(REPORT)
    assert calls, "the notebook calls no section"
    assert set(calls) == set(SECTIONS), (set(calls) ^ set(SECTIONS))
    # each once, in the registry's order (the order of the reflective cycle)
    assert calls == list(SECTIONS)


def test_registry_gives_the_report_its_methods():
    for name, entry in SECTIONS.items():
        assert entry.stage in STAGES
        method = getattr(reflection.ReflectionReport, name)
        assert method.__doc__ == entry.build.__doc__ and entry.doc
    assert [s.stage for s in SECTIONS.values()] == sorted(
        (s.stage for s in SECTIONS.values()), key=STAGES.index)


def test_no_audience_branch_outside_the_views():
    # the sections, prompts, model and rendering ask the view, never which audience it is
    for module in ("sections.py", "prompts.py", "model.py", "render.py", "explore.py",
                   "term.py", "practice.py"):
        tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("supervision", "audience") or module == "sections.py" \
                    and node.attr == "audience", (module, node.lineno)
            if isinstance(node, ast.Compare):
                consts = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
                assert "supervision" not in consts and "self" not in consts, (module, node.lineno)


# ------------------------------------------------------------------------------ views

def test_counts_parts_and_percentages_per_audience():
    own, sup = SelfView(), SupervisionView()
    assert (own.n(3), sup.n(3)) == ("3", "<5")
    assert (own.n(0), sup.n(0)) == ("0", "0")
    assert (own.n(None), sup.n(np.nan)) == ("–", "–")
    # 12 answered of 15: the 3 unanswered would follow by subtraction
    assert (own.part(12, 15), sup.part(12, 15)) == ("12", "≥5")
    assert sup.part(10, 15) == "10"
    # 12 / 15 = 80 %; withheld for supervision (rest 3); 6 / 9: base under 10
    assert (own.pct(12, 15), sup.pct(12, 15)) == ("80%", None)
    assert (own.pct(6, 9), sup.pct(6, 9)) == ("67%", None)
    assert sup.pct(10, 20) == "50%" and own.pct(1, 0) is None
    assert sup.pct_text(6, 9) == "withheld (fewer than 10)"
    assert sup.pct_text(3, 20) == "withheld (small count)"
    assert own.pct_text(0, 0) == "–"
    assert (own.counted(1, "request"), sup.counted(2, "request")) == ("1 request",
                                                                       "<5 requests")


def test_times_and_statistics_per_audience():
    own, sup = SelfView(), SupervisionView()
    assert own.hours(5, 3) == "5.0 hours" and own.hours(47.96, 3) == "48.0 hours"
    assert own.hours(72, 3) == "3.0 days"      # 48 hours and more in days
    assert sup.hours(72, 9) == "withheld (fewer than 10 answered)"
    assert sup.hours(72, 10) == "3.0 days"
    assert own.hours(None, 20) == "–"
    assert own.statistic_ok(1) and not sup.statistic_ok(9) and sup.statistic_ok(10)


def test_people_per_audience():
    names = {"https://www.linkedin.com/in/ada": "Ada Lovelace"}
    rel = {"https://www.linkedin.com/in/ada": "client"}
    codes = {"https://www.linkedin.com/in/ada": "3f9a"}
    own = view_for("self", rel, names, codes)
    sup = view_for("supervision", rel, names, codes)
    assert own.person("https://www.linkedin.com/in/ada") == "Ada Lovelace"
    assert sup.person("https://www.linkedin.com/in/ada") == "client-3f9a"
    assert own.person("name:grace hill") == "grace hill"
    assert sup.person("name:grace hill") == "a person"
    row = SimpleNamespace(target_key=None, target_name="Grace Hill")
    assert own.target(row) == "Grace Hill" and sup.target(row) == "a person"
    with pytest.raises(ValueError):
        view_for("everyone")


def test_count_tables_per_audience():
    frame = pd.DataFrame({"relationship": ["client", "colleague"], "answered": [7, 3],
                          "no reply yet": [5, 6]})
    own = SelfView().count_table(frame, ["answered", "no reply yet"], total_column="requests")
    assert own.to_dict("records") == [
        {"relationship": "client", "answered": 7, "no reply yet": 5, "requests": 12},
        {"relationship": "colleague", "answered": 3, "no reply yet": 6, "requests": 9},
        {"relationship": "Total", "answered": 10, "no reply yet": 11, "requests": 21}]
    sup = SupervisionView().count_table(frame, ["answered", "no reply yet"],
                                        total_column="requests")
    # 3 is hidden; its row (colleague: 3 + 6 = 9) and column (7 + 3 = 10) each need a
    # second hidden cell: 6 (smallest visible part of the row) and 7 (of the column), and
    # then row "client" (7 + 5 = 12) needs 5 too
    assert list(sup["answered"]) == ["≥5", "<5", "10"]
    assert list(sup["no reply yet"]) == ["≥5", "≥5", "11"]
    assert list(sup["requests"]) == ["12", "9", "21"]


def test_figures_and_charts_per_audience():
    own, sup = SelfView(), SupervisionView()
    assert own.figure_ok([1, 2]) and not sup.figure_ok([0, 7, 3]) and sup.figure_ok([0, 5])
    chart = pd.DataFrame({"decisions": [9, 12], "p": [0.5, 0.75], "too_small": [False, False],
                          "signal": [True, True]})
    shown = sup.chart(chart)
    assert np.isnan(shown["p"].iloc[0]) and bool(shown["too_small"].iloc[0])
    assert not bool(shown["signal"].iloc[0]) and bool(shown["signal"].iloc[1])
    assert own.chart(chart).equals(chart) and chart["p"].iloc[0] == 0.5  # input unchanged


def test_headline_uses_the_views():
    metrics = {"load": {"requests": 15, "answered_requests": 12},
               "policy": {"decisions": 8, "conforming": 3}}
    assert reflection.headline(metrics, False) == {
        "requests": "15", "reply_rate": "80%", "waiting": "–", "conformance": "38%",
        "decisions": "8"}
    # the adviser's own totals over everyone: the same for supervision (disclosure by risk)
    assert reflection.headline(metrics, True) == reflection.headline(metrics, False)
    # a breakdown cell is still suppressed by the supervision view
    assert reflection.view_for("supervision").n(3) == "<5"
    assert reflection.view_for("supervision").waiting_days(10) == "1-2 weeks"
    assert reflection.view_for("self").waiting_days(10) == "10"


def test_headline_says_waiting_past_the_aim_and_lapsed():
    from adviser_analytics.policy import load_policy

    policy = load_policy("versions:\n  - name: v1\n    effective_from: 2025-01-01\n"
                         "    reply_within_days: 5\n")
    metrics = {"period": {"from": "2025-03-01", "to": "2025-03-31"},
               "coverage": {"data_to": "2025-04-02", "as_of": "2025-03-31", "complete": True},
               "load": {"requests": 15, "answered_requests": 12, "waiting": 7, "overdue": 2,
                        "lapsed": 135},
               "policy": {"decisions": 8, "conforming": 3}}
    assert reflection.headline(metrics, False, policy)["waiting"] == (
        "7 waiting, 2 past your 5-day aim; 135 older threads lapsed")
    assert reflection.headline(metrics, True, policy)["waiting"] == (
        "7 waiting, 2 past your 5-day aim; 135 older threads lapsed")
    assert reflection.headline(metrics, False)["waiting"] == (  # no policy: no aim
        "7 waiting; 135 older threads lapsed")
    metrics["coverage"] = {"data_to": "2025-03-20", "as_of": "2025-03-20", "complete": False}
    assert reflection.headline(metrics, False, policy)["waiting"] == (
        "7 waiting, 2 past your 5-day aim; 135 older threads lapsed (so far, to 2025-03-20)")
    metrics["coverage"] = {"data_to": "2025-02-20", "as_of": None, "complete": False}
    assert reflection.headline(metrics, False, policy)["waiting"] == "no data yet"


# ------------------------------------------------------------------------------ templates

def test_templates_escape_export_text():
    html = render.table(["name", "n"], [["<b>O'Brien</b>", 3]], caption="A & B")
    assert "&lt;b&gt;O&#x27;Brien&lt;/b&gt;" in html and "<b>" not in html
    assert "<caption>A &amp; B</caption>" in html
    assert '<td data-aa="data" style="text-align:right;white-space:nowrap">3</td>' in html  # a data cell
    block = render.section("Who <asked>", render.paragraph("<5 requests"))
    assert "<h4>Who &lt;asked&gt;</h4>" in block.html and "<p>&lt;5 requests</p>" in block.html
    assert block.text == "Who <asked>\n<5 requests"


def test_templates_are_package_data():
    import fnmatch
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["adviser_analytics"]
    assert any(fnmatch.fnmatch("reflection/templates/report.html", p) for p in patterns), patterns
    used = set(re.findall(r'render\(\s*"([\w.]+\.html)"',
                          "".join(p.read_text(encoding="utf-8") for p in PACKAGE.glob("*.py"))))
    present = {p.name for p in (PACKAGE / "templates").glob("*.html")}
    assert used and used <= present, used - present


# ------------------------------------------------------------------------------ waiting words

def test_waiting_coverage_and_provisional_words():
    from adviser_analytics.reflection import prompts

    load = {"waiting": 7, "overdue": 2, "lapsed": 135}
    assert prompts.waiting_text(load, 5) == (
        "7 waiting, 2 past your 5-day aim; 135 older threads lapsed.")
    # the adviser's own totals: the same words for supervision (disclosure by risk)
    assert prompts.waiting_text(load, 5, SupervisionView()) == (
        "7 waiting, 2 past your 5-day aim; 135 older threads lapsed.")
    assert prompts.waiting_text({"waiting": 0, "overdue": None, "lapsed": 1}) == (
        "0 waiting; 1 older thread lapsed.")
    assert prompts.waiting_text({"waiting": 3, "overdue": 0, "lapsed": 0}, 2.5) == (
        "3 waiting, 0 past your 2.5-day aim.")
    assert prompts.coverage_note({"data_to": "2026-03-20", "as_of": "2026-03-20",
                                  "complete": False}).startswith(
        "Your newest export is dated 2026-03-20: the figures for this period are so far")
    assert "starts after your newest export (dated 2026-02-01)" in prompts.coverage_note(
        {"data_to": "2026-02-01", "as_of": None, "complete": False})
    assert prompts.coverage_note({"data_to": "2026-04-01", "as_of": "2026-03-31",
                                  "complete": True}) is None
    chart = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"],
                          "provisional": [False, True, True]})
    assert prompts.provisional_text(chart).startswith("2026-02 and 2026-03 are provisional")
    assert prompts.provisional_text(chart.assign(provisional=False)) is None
    text = prompts.prompt_for({"requests": 4, "answered_requests": 3, "reply_rate": 0.75,
                               "waiting": 1, "lapsed": 2})
    assert "Waiting at the end: 1 waiting; 2 older threads lapsed." in text
