"""The adviser's writing: harvested from a report notebook, kept in the workspace, put back,
never blanked, never shown to supervision unless marked to share; and the journal.

Notebooks here are the project's template (``notebooks/reflection_report.ipynb``) with cells
changed the way JupyterLab changes them; the expectations are written out by hand.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import nbformat
import pytest
from helpers import build

from adviser_analytics import journal, reports, writing
from adviser_analytics.cli import main
from adviser_analytics.periods import Period
from adviser_analytics.store import Workspace
from adviser_analytics.store import writing as stored

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "notebooks" / "reflection_report.ipynb"


@pytest.fixture
def template() -> dict:
    return json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))


def _index(nb: dict, name: str) -> int:
    return next(i for i, c in enumerate(nb["cells"])
                if c["metadata"].get("adviser_analytics", {}).get("writing") == name)


def _node(template: dict):
    """The template as papermill reads it (sources as text)."""
    return nbformat.reads(json.dumps(template), as_version=4)


def _as_generated(template: dict) -> dict:
    """A month's notebook as ``report`` leaves it: no term review cells, every other cell
    marked generated."""
    nb = reports._without_term_cells(_node(template))
    writing.restore(nb, [])
    return json.loads(nbformat.writes(nb))


def _written(template: dict) -> dict:
    """The adviser wrote Feelings (marked share), an Action plan, a note of their own after
    Feelings (a new JupyterLab cell: an id, no metadata), and left Conclusion as it was."""
    nb = _as_generated(template)
    feelings = _index(nb, "feelings")
    nb["cells"][feelings]["source"] = "Heavy in week two.\nBetter after the policy change."
    nb["cells"][feelings]["metadata"]["tags"] = ["share"]
    nb["cells"][_index(nb, "action_plan")]["source"] = "Answer within three days."
    nb["cells"].insert(feelings + 1, {"cell_type": "markdown", "id": "my-note",
                                      "metadata": {}, "source": ["A note ", "of my own."]})
    return nb


def test_the_template_marks_its_three_writing_cells_and_the_evaluation(template):
    def names(term: bool) -> list[str]:
        return [c["metadata"]["adviser_analytics"]["writing"] for c in template["cells"]
                if c["metadata"].get("adviser_analytics", {}).get("writing")
                and ("term-review" in c["metadata"].get("tags", [])) == term]

    assert names(term=False) == ["feelings", "conclusion", "action_plan"]
    # the term review's own writing cell, left out of every other report
    assert names(term=True) == ["term_outcomes"]
    anchors = [c for c in template["cells"]
               if c["metadata"].get("adviser_analytics", {}).get("anchor") == "evaluation"]
    assert len(anchors) == 1 and "Evaluation" in "".join(anchors[0]["source"])
    # each writing cell is empty (a click and typing edit it); the heading above it says how
    # to write and how to share
    for name in ("feelings", "conclusion", "action_plan", "term_outcomes"):
        assert "".join(template["cells"][_index(template, name)]["source"]) == ""
        above = "".join(template["cells"][_index(template, name) - 1]["source"])
        assert above.startswith("#") and above.endswith(writing.INSTRUCTIONS)


def test_an_old_report_with_instructions_in_its_writing_cells_is_harvested(template):
    # reports made before the writing cells were left empty held these instructions there
    nb = _as_generated(template)
    for name in ("feelings", "conclusion", "action_plan"):
        nb["cells"][_index(nb, name)]["source"] = writing._OLD_INSTRUCTIONS[0]
    cell = nb["cells"][_index(nb, "conclusion")]
    cell["source"] = cell["source"] + "\n\nMy conclusion."
    rows = {r["cell"]: r["text"] for r in writing.harvest(nb, template)}
    assert rows == {"feelings": "", "conclusion": "My conclusion.", "action_plan": ""}
    # and with the template of that time
    old = copy.deepcopy(template)
    for name in ("feelings", "conclusion", "action_plan"):
        old["cells"][_index(old, name)]["source"] = writing._OLD_INSTRUCTIONS[0]
    assert {r["cell"]: r["text"] for r in writing.harvest(nb, old)} == rows


def test_harvest_finds_writing_an_added_cell_and_the_share_mark(template):
    nb = _written(template)
    rows = {r["cell"]: r for r in writing.harvest(nb, template)}
    assert set(rows) == {"feelings", "added:my-note", "conclusion", "action_plan"}
    assert rows["feelings"]["text"] == "Heavy in week two.\nBetter after the policy change."
    assert rows["feelings"]["share"] is True
    assert rows["added:my-note"] == {
        "cell": "added:my-note", "cell_type": "markdown",
        "position": _index(nb, "feelings") + 1, "after_cell": "feelings",
        "text": "A note of my own.", "share": False}
    assert rows["conclusion"]["text"] == ""          # only the instructions: nothing written
    assert rows["action_plan"]["text"] == "Answer within three days."
    assert rows["action_plan"]["share"] is False


def test_text_typed_after_the_instructions_is_kept_without_them(template):
    nb = _as_generated(template)
    cell = nb["cells"][_index(nb, "conclusion")]
    cell["source"] = "".join(cell["source"]) + "\n\nMy conclusion."
    rows = {r["cell"]: r for r in writing.harvest(nb, template)}
    assert rows["conclusion"]["text"] == "My conclusion."


def test_a_notebook_made_before_the_marks_is_harvested_by_its_headings(template):
    nb = copy.deepcopy(template)
    for cell in nb["cells"]:
        cell["metadata"] = {"papermill": {"status": "completed"}}
        if cell["cell_type"] == "markdown" and "Write here" in "".join(cell["source"]):
            cell["source"] = ""
    nb["cells"][_index(template, "conclusion")]["source"] = "Old conclusion."
    rows = {r["cell"]: r["text"] for r in writing.harvest(nb, template)}
    assert rows == {"feelings": "", "conclusion": "Old conclusion.", "action_plan": ""}


def test_a_notebook_edited_beyond_recognition_cannot_be_harvested(template, tmp_path):
    nb = copy.deepcopy(template)
    nb["cells"] = [c for c in nb["cells"] if c["cell_type"] == "code"]
    with pytest.raises(writing.NotebookUnreadable, match="beyond recognition"):
        writing.harvest(nb, template)
    path = tmp_path / "2026-01.ipynb"
    path.write_text('{"cells": [{"cell_type": "mark', encoding="utf-8")
    with pytest.raises(writing.NotebookUnreadable, match="damaged"):
        writing.harvest_file(path, template)


def test_keep_aside_renames_never_deletes_never_overwrites(tmp_path):
    path = tmp_path / "2026-01.ipynb"
    path.write_text("broken", encoding="utf-8")
    when = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
    first = writing.keep_aside(path, when)
    assert first.name == "2026-01.kept-20260203T091500Z.ipynb"
    assert first.read_text(encoding="utf-8") == "broken" and not path.exists()
    path.write_text("broken again", encoding="utf-8")
    second = writing.keep_aside(path, when)
    assert second.name == "2026-01.kept-20260203T091500Z-2.ipynb"
    assert first.read_text(encoding="utf-8") == "broken"


def test_restore_puts_writing_back_where_it_was(template):
    rows = writing.harvest(_written(template), template)
    new = reports._without_term_cells(_node(template))  # a month's report
    writing.restore(new, rows, last_plan="**Last time you planned** (x)")
    cells = new.cells
    feelings = _index(new, "feelings")
    assert cells[feelings].source == "Heavy in week two.\nBetter after the policy change."
    assert cells[feelings].metadata["tags"] == ["share"]
    assert cells[feelings + 1].id == "my-note"
    assert cells[feelings + 1].source == "A note of my own."
    assert cells[feelings + 1].metadata["adviser_analytics"] == {"added": True}
    assert cells[_index(new, "action_plan")].source == "Answer within three days."
    # the Conclusion nobody wrote in stays empty
    assert cells[_index(new, "conclusion")].source == ""
    opening = next(i for i, c in enumerate(cells)
                   if c.metadata.get("adviser_analytics", {}).get("anchor") == "evaluation")
    assert cells[opening + 1].source == "**Last time you planned** (x)"
    # harvesting the restored notebook gives the same writing back
    again = {r["cell"]: r["text"] for r in writing.harvest(json.loads(nbformat.writes(new)),
                                                           template)}
    assert again == {r["cell"]: r["text"] for r in rows}


def test_html_shows_written_cells_and_supervision_only_shared_ones(template):
    rows = writing.harvest(_written(template), template)
    for audience, expected in (("self", {"Heavy in week two.", "A note of my own.",
                                         "Answer within three days."}),
                               ("supervision", {"Heavy in week two."})):
        nb = _node(template)
        writing.restore(nb, rows)
        if audience == "supervision":
            writing.drop_unshared(nb)
        clean = reports.clean_notebook(nb, audience, "t")
        texts = {c.source.split("\n")[0] for c in clean.cells if writing.is_writing_cell(c)}
        assert texts == expected
        assert not any("Write here" in c.source for c in clean.cells)


def test_the_store_never_lets_an_empty_cell_replace_writing(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    key = {"period_from": "2026-01-01", "period_to": "2026-01-31"}
    first = stored.keep(ws, [dict(key, cell="feelings", text="Kept words", position=18)])
    assert first == {"added": 1, "changed": 0, "unchanged": 0, "blank": 0}
    when = stored.stored(ws)["harvested_at"].tolist()
    again = stored.keep(ws, [dict(key, cell="feelings", text="  \n", position=18),
                             dict(key, cell="feelings", text="Kept words", position=18)])
    assert again == {"added": 0, "changed": 0, "unchanged": 1, "blank": 1}
    frame = stored.stored(ws)
    assert frame["text"].tolist() == ["Kept words"]
    assert frame["harvested_at"].tolist() == when
    stored.keep(ws, [dict(key, cell="feelings", text="New words", position=18, share=True)])
    frame = stored.stored(ws)
    assert frame["text"].tolist() == ["New words"] and frame["share"].tolist() == [True]
    ws.close()


def test_the_previous_plan_is_the_latest_before_the_period(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    stored.keep(ws, [
        {"period_from": "2026-01-01", "period_to": "2026-01-31", "cell": "action_plan",
         "text": "January's plan"},
        {"period_from": "2026-02-01", "period_to": "2026-02-28", "cell": "action_plan",
         "text": "February's plan", "share": True},
        {"period_from": "2026-03-01", "period_to": "2026-03-31", "cell": "feelings",
         "text": "March felt fine"}])
    assert stored.previous_plan(ws, "2026-01-01") is None
    assert stored.previous_plan(ws, "2026-02-01")["text"] == "January's plan"
    assert stored.previous_plan(ws, "2026-04-01")["text"] == "February's plan"
    assert stored.previous_plan(ws, "2026-02-01", shared_only=True) is None
    ws.close()


def test_harvest_before_a_run_keeps_writing_and_a_broken_notebook_aside(template, tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    folder = tmp_path / "reports" / "self"
    folder.mkdir(parents=True)
    (folder / "2026-01.ipynb").write_text(json.dumps(_written(template)), encoding="utf-8")
    (folder / "2026-02.ipynb").write_text("{not json", encoding="utf-8")
    labelled = [("2026-01", Period("2026-01-01", "2026-01-31")),
                ("2026-02", Period("2026-02-01", "2026-02-28")),
                ("2026-03", Period("2026-03-01", "2026-03-31"))]
    counts, notices = reports._harvest_writing(ws, folder, labelled, TEMPLATE_PATH)
    assert counts == {"added": 3, "changed": 0, "unchanged": 0, "blank": 1}
    assert len(notices) == 1
    kept = [p for p in folder.iterdir() if ".kept-" in p.name]
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{not json"
    assert str(kept[0]) in notices[0] and "could not be read" in notices[0]
    assert not (folder / "2026-02.ipynb").exists()
    by_period, plans = reports._writing_for_tasks(ws, labelled, supervision=False)
    assert [r["cell"] for r in by_period["2026-01"]] == ["feelings", "added:my-note",
                                                          "action_plan"]
    assert by_period["2026-03"] == [] and "2026-01" not in plans
    assert "> Answer within three days." in plans["2026-02"]
    assert "January 2026" in plans["2026-02"] and "What came of it?" in plans["2026-02"]
    shared, plans = reports._writing_for_tasks(ws, labelled, supervision=True)
    assert [r["cell"] for r in shared["2026-01"]] == ["feelings"] and plans == {}
    ws.close()


def _journal_workspace(path: Path) -> Workspace:
    ws = build(path)
    stored.keep(ws, [
        {"period_from": "2026-02-01", "period_to": "2026-02-28", "cell": "action_plan",
         "position": 31, "text": "Say <no> to cold intros & mean it"},
        {"period_from": "2026-01-01", "period_to": "2026-01-31", "cell": "feelings",
         "position": 18, "text": "Tired, but glad", "share": True},
        {"period_from": "2026-01-01", "period_to": "2026-01-31", "cell": "added:x1",
         "position": 19, "after_cell": "feelings", "text": "Own note"}])
    return ws


def test_journal_markdown_in_order_and_html_escaped(tmp_path, capsys):
    ws = _journal_workspace(tmp_path / "ws")
    ws.close()
    assert main(["journal", "--workspace", str(tmp_path / "ws")]) == 0
    text = capsys.readouterr().out
    order = [text.index(s) for s in ("## January 2026", "### Feelings (shared with supervision)",
                                     "Tired, but glad", "### Your own note", "Own note",
                                     "## February 2026", "### Action plan",
                                     "Say <no> to cold intros & mean it")]
    assert order == sorted(order)
    out = tmp_path / "journal.html"
    assert main(["journal", "--workspace", str(tmp_path / "ws"), "--from", "2026-02-01",
                 "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Say &lt;no&gt; to cold intros &amp; mean it" in page and "<no>" not in page
    assert "January 2026" not in page and "February 2026" in page


def test_journal_for_supervision_shows_shared_writing_and_stops_a_leak(tmp_path, capsys):
    ws = _journal_workspace(tmp_path / "ws")
    ws.close()
    out = tmp_path / "shared.md"
    assert main(["journal", "--workspace", str(tmp_path / "ws"), "--audience", "supervision",
                 "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Tired, but glad" in text
    assert "Own note" not in text and "cold intros" not in text
    ws = Workspace.open(tmp_path / "ws")
    stored.keep(ws, [{"period_from": "2026-01-01", "period_to": "2026-01-31",
                      "cell": "conclusion", "position": 29, "share": True,
                      "text": "Stu Dent asked too much of me"}])
    ws.close()
    leaked = tmp_path / "leaked.md"
    capsys.readouterr()
    assert main(["journal", "--workspace", str(tmp_path / "ws"), "--audience", "supervision",
                 "--out", str(leaked)]) == 1
    assert not leaked.exists()
    assert "Stu Dent" not in capsys.readouterr().err


def test_journal_of_an_empty_workspace_says_how_to_begin(tmp_path, capsys):
    Workspace.create(tmp_path / "ws").close()
    assert main(["journal", "--workspace", str(tmp_path / "ws")]) == 0
    assert "Nothing written yet" in capsys.readouterr().out
    assert journal.to_html(journal.Journal("self", None, None)).count("Nothing written yet") == 1
