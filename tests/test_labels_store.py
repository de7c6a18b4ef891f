"""The label store: vocabulary, precedence of sources, history."""

from __future__ import annotations

import pandas as pd
import pytest

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels import remove_label, set_label, set_labels
from adviser_analytics.store import Workspace


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "ws") as workspace:
        yield workspace


def history(ws):
    return ws.db.execute("SELECT kind, subject, old_value, old_source, new_value, new_source "
                         "FROM label_history ORDER BY history_id").fetchall()


def stored(ws, kind, subject):
    return ws.db.execute("SELECT value, source, rule, reason FROM labels WHERE kind = ? AND "
                         "subject = ?", (kind, subject)).fetchone()


def test_values_outside_the_vocabulary_are_refused_with_the_allowed_values(ws):
    with pytest.raises(BadLabelsError) as error:
        set_label(ws, "decision", 7, "maybe", "confirmed")
    assert "accept, ask, ignore, report, redirect, pending" in str(error.value)
    with pytest.raises(BadLabelsError, match="appointment, mentor, event, resource, reception, other"):
        set_labels(ws, pd.DataFrame({"kind": ["referral"], "subject": ["c|t"],
                                     "value": ["library"]}), "suggested")
    with pytest.raises(BadLabelsError, match="no label kind"):
        set_label(ws, "mood", "x", "happy", "confirmed")
    with pytest.raises(BadLabelsError, match="inferred, suggested, confirmed"):
        set_label(ws, "decision", 7, "accept", "guessed")
    assert ws.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 0


def test_sources_rank_confirmed_over_inferred_over_suggested(ws):
    assert set_label(ws, "decision", 1, "ignore", "suggested", rule="r", reason="why") == "added"
    assert set_label(ws, "decision", 1, "accept", "inferred", reason="connected on 2026-02-03") \
        == "changed"
    assert set_label(ws, "decision", 1, "ignore", "suggested") == "kept"  # the data said it
    assert stored(ws, "decision", "1")[:2] == ("accept", "inferred")
    assert set_label(ws, "decision", 1, "ask", "confirmed") == "changed"
    assert set_label(ws, "decision", 1, "accept", "inferred") == "kept"  # never over confirmed
    assert set_label(ws, "decision", 1, "ignore", "suggested") == "kept"
    assert stored(ws, "decision", "1")[:2] == ("ask", "confirmed")
    assert set_label(ws, "decision", 1, "report", "confirmed") == "changed"  # the adviser may
    assert set_label(ws, "decision", 1, "report", "confirmed") == "unchanged"


def test_every_change_of_value_or_source_writes_history(ws):
    set_label(ws, "relationship", "https://www.linkedin.com/in/a", "client", "suggested",
              rule="student-or-graduate", reason='title: "MSc"')
    set_label(ws, "relationship", "https://www.linkedin.com/in/a", "client", "suggested",
              rule="student-or-graduate", reason='title: "MSc student"')  # reason only
    set_label(ws, "relationship", "https://www.linkedin.com/in/a", "client", "confirmed")
    set_label(ws, "relationship", "https://www.linkedin.com/in/a", "colleague", "confirmed")
    remove_label(ws, "relationship", "https://www.linkedin.com/in/a")
    key = "https://www.linkedin.com/in/a"
    assert history(ws) == [
        ("relationship", key, None, None, "client", "suggested"),
        ("relationship", key, "client", "suggested", "client", "confirmed"),
        ("relationship", key, "client", "confirmed", "colleague", "confirmed"),
        ("relationship", key, "colleague", "confirmed", None, None),
    ]
    changed_at = ws.db.execute("SELECT changed_at FROM label_history").fetchall()
    assert all(c[0].endswith("Z") for c in changed_at)


def test_set_labels_is_vectorised_and_counts_what_it_did(ws):
    n = 5000
    frame = pd.DataFrame({"kind": "handling", "subject": [f"c{i}|2026-01-01T00:00:00Z" for i in range(n)],
                          "value": "answer", "reason": "you replied on 2026-01-02"})
    with ws.transaction():
        counts = set_labels(ws, frame, "inferred")
    assert counts["added"] == n
    frame.loc[:9, "value"] = "none"
    with ws.transaction():
        counts = set_labels(ws, frame, "inferred")
    assert (counts["added"], counts["changed"], counts["unchanged"]) == (0, 10, n - 10)
    with ws.transaction():
        set_labels(ws, frame.iloc[:3], "confirmed")
        counts = set_labels(ws, frame.iloc[:5].assign(value="explain"), "suggested")
    assert counts["kept"] == 5 and counts["kept_confirmed"] == 3 and counts["kept_inferred"] == 2
    assert len(history(ws)) == n + 10 + 3


def test_subjects_are_text_and_values_are_folded(ws):
    set_labels(ws, pd.DataFrame({"kind": ["decision", "outcome"], "subject": [12, 3.0],
                                 "value": [" Accept ", "MADE"]}), "confirmed")
    assert stored(ws, "decision", "12")[:2] == ("accept", "confirmed")
    assert stored(ws, "outcome", "3")[:2] == ("made", "confirmed")
