"""Triage: the queue, decide / skip / undo, safe HTML, and the notebook run headless."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from helpers import URL, build, copy_of, labels_of

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels import set_label
from adviser_analytics.store import Workspace
from adviser_analytics.triage import (
    KIND_VALUES,
    REQUEST_VALUES,
    TriageItem,
    TriageQueue,
    answer_words,
    item_html,
    safe_text,
)

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "triage.ipynb"


@pytest.fixture
def ws(tmp_path):
    workspace = copy_of(tmp_path / "ws")
    yield workspace
    workspace.close()


def test_the_latest_month_comes_first_requests_first(ws):
    """Hand-ordered from the fixture: its latest month with items is February 2026 (the
    pending request of 25 Feb, Fay's invitation of 20 Feb, Stu's relationship dated by that
    request), then January (the two suggested requests, newest first, the introduction
    request of 25 Jan, Pat's relationship dated 20 Jan), then December, then undated people."""
    queue = TriageQueue(ws)
    k = ws.fixture
    order = [(item.kind, item.subject) for item in queue]
    assert order[:7] == [
        ("request", k["pending"]), ("decision", k["recent"]), ("relationship", URL + "stu"),
        ("request", k["explain"]), ("request", k["refer"]), ("outcome", "1"),
        ("relationship", URL + "pat")]
    assert order[7:10] == [("decision", k["redirected"]), ("decision", k["withdrawn"]),
                           ("relationship", URL + "hal")]
    assert {s for kind, s in order[10:]} == {URL + "col", URL + "spam", URL + "zoe"}
    assert all(kind == "relationship" and queue.items[i].when is None
               for i, (kind, _) in enumerate(order) if i >= 10)
    # each item explains itself
    refer = next(item for item in queue if item.subject == k["refer"])
    assert refer.suggestion == "refer: appointment" and refer.rule == "booking-link"
    assert "book an appointment" in refer.reason
    assert refer.excerpt == "Could you look at my CV?" and "appointments" in refer.reply
    assert refer.values == REQUEST_VALUES
    person = next(item for item in queue if item.subject == URL + "stu")
    assert person.excerpt == "MSc Finance student" and person.suggestion == "client"
    assert person.values == ("client", "colleague", "professional", "personal", "unknown", "spam")
    intro = next(item for item in queue if item.kind == "outcome")
    assert "introduce me to Zoë" in intro.excerpt and intro.suggestion is None
    assert intro.title == "Stu Dent asked to meet Zoë Brontë-Ngata on 2026-01-25"


def test_answers_are_shown_in_the_advisers_words():
    assert answer_words("outcome", "target_declined") == "My contact declined"
    assert answer_words("request", "refer: mentor") == "Referred to an alumni mentor"
    assert answer_words("decision", "ask") == "Replied to ask who they are"
    for kind, values in KIND_VALUES.items():  # every value has words, none shows a code
        for value in values:
            words = answer_words(kind, value)
            assert words and "_" not in words and ":" not in words, (kind, value, words)
    item = TriageItem(kind="outcome", subject="1", title="t", excerpt="e",
                      suggestion="target_declined", source="suggested", rule="intro-declined",
                      reason="they wrote that she declined", values=KIND_VALUES["outcome"])
    html = item_html(item, {"position": 4, "total": 10, "decided": 3, "skipped": 1,
                            "remaining": 6})
    assert "My contact declined" in html and "target_declined" not in html
    assert "intro-declined" not in html and "suggested by a rule" in html
    assert "3 decided" in html and "1 skipped" in html and "Item 5 of 10" in html
    assert "intro-declined" in item_html(item, show_rules=True)  # the rule's name when asked


def test_decide_saves_a_confirmed_label_at_once(ws):
    queue = TriageQueue(ws)
    while queue.current.kind != "relationship":
        queue.skip()
    item = queue.current
    queue.decide("personal")
    with Workspace.open(ws.path) as other:  # another connection sees it: committed
        assert labels_of(other, "relationship")[item.subject] == ("personal", "confirmed")
    assert queue.progress()["decided"] == 1
    assert queue.current is not item
    while queue.current.kind != "relationship":
        queue.skip()
    with pytest.raises(BadLabelsError, match="client, colleague"):
        queue.decide("friend")
    assert queue.progress()["decided"] == 1  # nothing saved, nothing counted


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
    text = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                   for cell in nb.cells if cell.cell_type == "code"
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
    assert ws is None and "There is no workspace here" in message
    assert str(tmp_path / "missing") in message and "Check the folder name given" in message
    (tmp_path / "notebooks").mkdir()
    build(tmp_path / "workspace").close()
    monkeypatch.chdir(tmp_path / "notebooks")  # where a notebook runs
    monkeypatch.delenv("ADVISER_ANALYTICS_WORKSPACE", raising=False)
    ws, message = open_workspace("")
    assert ws is not None
    ws.close()


# ---------------------------------------------------------------------- the notebook's app
def _app(ws):
    from adviser_analytics.triage import TriageApp

    return TriageApp(TriageQueue(ws), "test")


def _answer(app, words):
    return next(b for b in app.answers.children if b.description == words)


def _control(app, name):
    return next(b for b in app.controls.children if b.description == name)


def _in_thread(button):
    """Click as JupyterLab's widget messages do: on a thread other than the one that drew it."""
    import threading

    worker = threading.Thread(target=button.click)
    worker.start()
    worker.join(30)


def test_every_click_is_saved_from_whatever_thread_it_comes(ws):
    app = _app(ws)
    items = app.queue.items
    # five answers, each from a new thread: request, invitation, person, request, request
    clicks = [("I answered", "handling", "answer"), ("Accepted", "decision", "accept"),
              ("A client", "relationship", "client"),
              ("I explained I can't help", "handling", "explain"),
              ("Referred to an alumni mentor", "referral", "mentor")]
    for n, (words, kind, value) in enumerate(clicks):
        assert app.queue.current is items[n]
        _in_thread(_answer(app, words))
        with Workspace.open(ws.path) as other:
            assert labels_of(other, kind)[items[n].subject] == (value, "confirmed"), words
        assert f"Saved: <b>{words}</b>" in html.unescape(app.status.value)
    assert app.queue.progress()["decided"] == 5 and app.ignored == 0
    assert "5 decided" in app.item.value and "0 skipped" in app.item.value


def test_a_stale_or_double_click_confirms_one_item_once(ws):
    app = _app(ws)
    first, second = app.queue.items[0], app.queue.items[1]
    old = _answer(app, "I answered")
    seen_disabled = []
    decide = app.queue.decide

    def slow_decide(value):  # a second click arrives while the first is being saved
        seen_disabled.append(all(b.disabled for b in app._buttons))
        _in_thread(old)
        return decide(value)

    app.queue.decide = slow_decide
    old.click()
    app.queue.decide = decide
    assert seen_disabled == [True] and app.ignored == 1
    assert app.queue.current is second and app.queue.progress()["decided"] == 1
    old.click()  # the previous item's button, after the redraw: ignored as well
    _in_thread(old)
    assert app.ignored == 3 and app.queue.current is second
    assert second.subject not in labels_of(ws, "decision")
    assert labels_of(ws, "handling")[first.subject] == ("answer", "confirmed")
    assert not any(b.disabled for b in app.answers.children)


def test_skip_undo_and_progress_in_the_app(ws):
    app = _app(ws)
    first, second, third = app.queue.items[:3]
    assert _control(app, "Undo").disabled  # nothing to take back yet
    _in_thread(_control(app, "Skip"))
    assert app.queue.current is second and "1 skipped" in app.item.value
    _in_thread(_answer(app, "Accepted"))
    assert labels_of(ws, "decision")[second.subject] == ("accept", "confirmed")
    assert app.queue.current is third and "1 decided" in app.item.value
    _in_thread(_control(app, "Undo"))
    assert second.subject not in labels_of(ws, "decision")
    assert app.queue.current is second and "0 decided" in app.item.value
    assert "Taken back" in app.status.value
    _in_thread(_control(app, "Undo"))
    assert app.queue.current is first and "0 skipped" in app.item.value


def test_a_failure_to_save_is_shown_in_words_and_nothing_moves(ws, tmp_path):
    app = _app(ws)
    item = app.queue.current
    moved = tmp_path / "elsewhere"
    ws.close()
    ws.path.rename(moved)  # the workspace is gone (an unplugged disk, say)
    try:
        _in_thread(_answer(app, "I answered"))
        assert "Not saved." in app.status.value and "no workspace at" in app.status.value
        assert "Traceback" not in app.status.value
        assert app.queue.current is item and app.queue.progress()["decided"] == 0
        assert not any(b.disabled for b in app.answers.children)
    finally:
        moved.rename(ws.path)
    _in_thread(_answer(app, "I answered"))  # back: the same click now saves
    with Workspace.open(ws.path) as other:
        assert labels_of(other, "handling")[item.subject] == ("answer", "confirmed")


def test_rule_names_only_when_asked(ws):
    app = _app(ws)
    while app.queue.current.subject != ws.fixture["refer"]:
        app.queue.skip()
    app._token += 1
    app._render()
    assert "booking-link" not in app.item.value and "book an appointment" in app.item.value
    app.show_rules.value = True
    assert "booking-link" in app.item.value
