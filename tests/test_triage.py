"""Triage: the queue, decide / skip / undo, safe HTML, and the notebook run headless."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import URL, build, copy_of, labels_of

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels import set_label
from adviser_analytics.store import Workspace
from adviser_analytics.triage import REQUEST_VALUES, TriageQueue, item_html, safe_text

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "triage.ipynb"


@pytest.fixture
def ws(tmp_path):
    workspace = copy_of(tmp_path / "ws")
    yield workspace
    workspace.close()


def test_suggestions_come_first_then_unreviewed_introductions_then_unlabelled(ws):
    queue = TriageQueue(ws)
    kinds = [(item.kind, item.source) for item in queue]
    assert kinds[:2] == [("request", "suggested"), ("request", "suggested")]
    first_unlabelled = next(i for i, (_, source) in enumerate(kinds) if source is None)
    assert all(source == "suggested" for _, source in kinds[:first_unlabelled])
    assert ("outcome", None) in kinds and ("decision", "suggested") in kinds
    # the pending request and the recent invitation have no label yet
    subjects = {item.subject for item in queue}
    assert ws.fixture["pending"] in subjects and ws.fixture["recent"] in subjects
    # requests newest first; each item explains itself
    refer = next(item for item in queue if item.subject == ws.fixture["refer"])
    assert refer.suggestion == "refer: appointment" and refer.rule == "booking-link"
    assert "book an appointment" in refer.reason
    assert refer.excerpt == "Could you look at my CV?" and "appointments" in refer.reply
    assert refer.values == REQUEST_VALUES
    person = next(item for item in queue if item.subject == URL + "stu")
    assert person.excerpt == "MSc Finance student" and person.suggestion == "client"
    assert person.values == ("client", "colleague", "professional", "personal", "unknown", "spam")
    intro = next(item for item in queue if item.kind == "outcome")
    assert "introduce me to Zoë" in intro.excerpt and intro.suggestion is None


def test_decide_saves_a_confirmed_label_at_once(ws):
    queue = TriageQueue(ws)
    while queue.current.kind != "relationship":
        queue.skip()
    item = queue.current
    queue.decide("personal")
    with Workspace.open(ws.path) as other:  # another connection sees it: committed
        assert labels_of(other, "relationship")[item.subject] == ("personal", "confirmed")
    assert queue.progress()["decided"] == 1
    with pytest.raises(BadLabelsError, match="client, colleague"):
        queue.decide("friend")
    assert queue.current is not item


def test_a_request_decision_sets_handling_and_referral_and_undo_restores_them(ws):
    queue = TriageQueue(ws)
    key = ws.fixture["refer"]
    while queue.current.subject != key:
        queue.skip()
    queue.decide("refer: mentor")
    assert labels_of(ws, "handling")[key] == ("refer", "confirmed")
    assert labels_of(ws, "referral")[key] == ("mentor", "confirmed")
    queue.undo()
    assert queue.current.subject == key
    assert labels_of(ws, "handling")[key] == ("refer", "suggested")
    assert labels_of(ws, "referral")[key] == ("appointment", "suggested")
    rule = ws.labels("referral").set_index("subject").loc[key, "rule"]
    assert rule == "booking-link"  # the rule and reason come back too
    queue.decide("answer")  # not referred after all: the referral goes
    assert labels_of(ws, "handling")[key] == ("answer", "confirmed")
    assert key not in labels_of(ws, "referral")
    queue.undo()
    assert labels_of(ws, "referral")[key] == ("appointment", "suggested")
    with pytest.raises(BadLabelsError):
        queue.decide("answer: mentor")


def test_skip_and_undo(ws):
    queue = TriageQueue(ws)
    first, second = queue.items[0], queue.items[1]
    queue.skip()
    assert queue.current is second and queue.progress()["skipped"] == 1
    assert queue.undo() is first and queue.current is first
    assert queue.progress()["skipped"] == 0
    assert queue.undo() is None  # nothing more to undo
    # undo of a decision on an item that had no label removes the label again
    while queue.current.source is not None:
        queue.skip()
    item = queue.current
    kind = "handling" if item.kind == "request" else item.kind
    queue.decide(item.values[0].split(":")[0])
    assert labels_of(ws, kind)[item.subject][1] == "confirmed"
    queue.undo()
    assert item.subject not in labels_of(ws, kind)


def test_undo_leaves_a_label_changed_since_alone(ws):
    queue = TriageQueue(ws)
    item = queue.current
    queue.decide("answer")
    set_label(ws, "handling", item.subject, "none", "confirmed")  # changed elsewhere since
    queue.undo()
    assert labels_of(ws, "handling")[item.subject] == ("none", "confirmed")


def test_html_is_always_escaped():
    assert safe_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert safe_text("Tom &amp; Jerry &lt;b&gt;") == "Tom &amp; Jerry &lt;b&gt;"  # decoded once
    from adviser_analytics.triage import TriageItem

    item = TriageItem(kind="request", subject="c|t", title="<b>Eve</b>",
                      excerpt="Hi <script>alert(1)</script> &rsquo;", reply="<img src=x>",
                      suggestion="answer", source="inferred", rule="replied",
                      reason="<i>why</i>", values=REQUEST_VALUES)
    html = item_html(item, {"position": 0, "total": 3, "decided": 0, "skipped": 0})
    assert "<script>" not in html and "<img" not in html and "<b>Eve" not in html
    assert "&lt;script&gt;" in html and "’" in html
    assert item_html(None) == "<p><b>Nothing left to review.</b></p>"


@pytest.mark.slow
def test_the_notebook_runs_headless_under_papermill(ws, tmp_path):
    import nbformat
    import papermill

    out = tmp_path / "triage-out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"workspace": str(ws.path)},
                               cwd=str(NOTEBOOK.parent), progress_bar=False, kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    text = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))
    assert f"{len(TriageQueue(ws))} items to review" in text
    assert not any(output.get("output_type") == "error" for cell in nb.cells
                   if cell.cell_type == "code" for output in cell.get("outputs", []))
    parameters = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
                  if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "workspace" in parameters[0].source


def test_a_missing_workspace_is_explained_not_raised(tmp_path, monkeypatch):
    from adviser_analytics.triage import open_workspace

    monkeypatch.chdir(tmp_path)
    ws, message = open_workspace(str(tmp_path / "missing"))
    assert ws is None and "There is no workspace at" in message
    (tmp_path / "notebooks").mkdir()
    build(tmp_path / "workspace").close()
    monkeypatch.chdir(tmp_path / "notebooks")  # where a notebook runs
    monkeypatch.delenv("ADVISER_ANALYTICS_WORKSPACE", raising=False)
    ws, message = open_workspace("")
    assert ws is not None
    ws.close()
