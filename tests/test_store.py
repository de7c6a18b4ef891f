"""The store's own functions, on small hand-built workspaces (no export, no generator)."""

from __future__ import annotations

import pandas as pd
import pytest

from adviser_analytics.labels import current_label, last_change, remove_label, set_label
from adviser_analytics.store import Workspace, erasure, message_keys, snapshots
from adviser_analytics.store.pseudonyms import ensure_pseudonyms, stored_pseudonyms

ADA = "https://www.linkedin.com/in/ada"
BO = "https://www.linkedin.com/in/bo"
OWNER = "https://www.linkedin.com/in/me"


@pytest.fixture
def ws(tmp_path):
    with Workspace.create(tmp_path / "ws") as workspace:
        yield workspace


def _messages(rows: list[tuple]) -> pd.DataFrame:
    """Messages from ``(conversation_id, sent_at, sender_key, counterpart_key, direction,
    exclusion, content)``."""
    frame = pd.DataFrame(rows, columns=["conversation_id", "sent_at", "sender_key",
                                        "counterpart_key", "direction", "exclusion", "content"])
    frame["occurrence"] = 0
    for column in ("conversation_title", "sender_name", "sender_url", "to_names",
                   "recipient_urls", "subject", "folder"):
        frame[column] = None
    frame["message_key"] = message_keys(frame)
    frame["seen_on"] = "2026-03-01"
    return frame


def _load(ws, frame: pd.DataFrame) -> None:
    rows = frame[[*snapshots.MESSAGE_COLUMNS, "seen_on", "seen_on"]].itertuples(index=False)
    with ws.transaction():
        if snapshots.has_messages(ws):
            assert snapshots.merge_messages(ws, rows) == len(frame)
        else:
            with snapshots.first_load(ws):
                snapshots.insert_messages(ws, rows)


def test_current_label_and_last_change_follow_each_change(ws):
    assert current_label(ws, "relationship", ADA) is None
    assert last_change(ws, "relationship", ADA) is None
    set_label(ws, "relationship", ADA, "client", "suggested")
    assert current_label(ws, "relationship", ADA) == ("client", "suggested")
    assert last_change(ws, "relationship", ADA) == (None, None, "client", "suggested")
    set_label(ws, "relationship", ADA, "colleague", "confirmed")
    assert current_label(ws, "relationship", ADA) == ("colleague", "confirmed")
    assert last_change(ws, "relationship", ADA) == ("client", "suggested", "colleague", "confirmed")
    remove_label(ws, "relationship", ADA)
    assert current_label(ws, "relationship", ADA) is None
    assert last_change(ws, "relationship", ADA) == ("colleague", "confirmed", None, None)
    # an integer subject (an invitation id) is the same label as its text
    set_label(ws, "decision", 7, "accept", "inferred")
    assert current_label(ws, "decision", "7") == ("accept", "inferred")


def test_messages_load_then_merge_and_last_message_at(ws):
    assert not snapshots.has_messages(ws)
    assert snapshots.last_message_at(ws) is None
    first = _messages([
        ("c1", "2026-01-05T09:00:00Z", ADA, ADA, "inbound", None, "hello"),
        ("c1", "2026-01-06T10:00:00Z", OWNER, ADA, "outbound", None, "hi Ada"),
        ("c2", "2026-02-01T08:00:00Z", "", None, "inbound", "system", None),
    ])
    _load(ws, first)
    assert snapshots.has_messages(ws)
    assert snapshots.last_message_at(ws) == "2026-01-06T10:00:00Z"
    assert snapshots.last_message_at(ws, person_to_person=False) == "2026-02-01T08:00:00Z"
    # the same messages again, seen in an earlier export, plus one new: 4 rows, dates widened
    again = _messages([
        ("c1", "2026-01-05T09:00:00Z", ADA, ADA, "inbound", None, "hello"),
        ("c1", "2026-03-01T07:00:00Z", BO, BO, "inbound", None, "me too"),
    ]).assign(seen_on="2026-02-15")
    _load(ws, again)
    rows = ws.db.execute("SELECT conversation_id, sent_at, first_seen_on, last_seen_on "
                         "FROM messages ORDER BY sent_at").fetchall()
    assert rows == [("c1", "2026-01-05T09:00:00Z", "2026-02-15", "2026-03-01"),
                    ("c1", "2026-01-06T10:00:00Z", "2026-03-01", "2026-03-01"),
                    ("c2", "2026-02-01T08:00:00Z", "2026-03-01", "2026-03-01"),
                    ("c1", "2026-03-01T07:00:00Z", "2026-02-15", "2026-02-15")]
    assert snapshots.last_message_at(ws) == "2026-03-01T07:00:00Z"


def test_a_snapshot_is_known_by_its_fingerprint(ws):
    with ws.transaction():
        first = snapshots.add_snapshot(ws, "abc", "export_A.zip", "2026-03-01", {"x.csv": "2024"})
        snapshots.set_snapshot_counts(ws, first, {"read": {"messages": 2}})
    assert snapshots.known_export_date(ws, "abc") == "2026-03-01"
    assert snapshots.known_export_date(ws, "other") is None
    assert ws.snapshot_counts()[0]["read"] == {"messages": 2}
    assert snapshots.last_export_date(ws) == pd.Timestamp("2026-03-01", tz="UTC")


def test_erasure_and_retention_are_remembered_for_ingest(ws):
    _load(ws, _messages([
        ("c1", "2025-12-31T23:00:00Z", ADA, ADA, "inbound", None, "old words"),
        ("c1", "2026-01-01T00:00:00Z", OWNER, ADA, "outbound", None, "new words"),
        ("c2", "2025-06-01T12:00:00Z", BO, BO, "inbound", None, "from Bo"),
    ]))
    with ws.transaction():
        snapshots.add_people(ws, [(ADA, "Ada Lovelace", ADA), (BO, "Bo Diddley", BO)])
    assert erasure.erased_digests(ws) == set()
    assert erasure.retained_from(ws) is None

    removed = erasure.forget_person(ws, "linkedin.com/in/ada/")
    assert removed["messages"] == 2 and removed["people"] == 1
    # the register holds keyed digests (link, name, name parts), never an unsalted hash
    register = erasure.load_register(ws)
    assert erasure.erased_digests(ws) == {register.mac("url", ADA), register.mac("name", "ada lovelace"),
                                          register.mac("part", "ada"), register.mac("part", "lovelace")}
    assert erasure.key_digest(ADA) not in register.digests
    assert register.key_erased(ADA) and register.key_erased("name:ada lovelace")
    assert not register.key_erased(BO)

    done = erasure.forget_content_before(ws, "2026-01-01")
    assert done == {"messages_text_dropped": 1, "conversation_titles_dropped": 0,
                    "invitation_notes_dropped": 0, "content_kept_from": "2026-01-01"}
    assert erasure.retained_from(ws) == "2026-01-01"
    # an earlier date does not move the retention date back
    assert erasure.forget_content_before(ws, "2025-01-01")["content_kept_from"] == "2026-01-01"
    assert erasure.retained_from(ws) == "2026-01-01"
    assert ws.db.execute("SELECT sender_key, content FROM messages").fetchall() == [(BO, None)]


def test_pseudonyms_once_given_are_kept(ws):
    assert stored_pseudonyms(ws) == {}
    first = ensure_pseudonyms(ws, [ADA, BO, None, ""])
    assert set(first) == {ADA, BO} and first[ADA] != first[BO]
    again = ensure_pseudonyms(ws, [BO, OWNER])
    assert again[ADA] == first[ADA] and again[BO] == first[BO] and set(again) == {ADA, BO, OWNER}
    assert stored_pseudonyms(ws) == again


def test_actions_at_a_transactions_end_run_once_last_first_and_know_if_it_committed(ws):
    ran = []
    with ws.transaction():
        ws.at_transaction_end(lambda committed: ran.append(("first", committed)))
        ws.at_transaction_end(lambda committed: ran.append(("second", committed)))
    assert ran == [("second", True), ("first", True)]
    with pytest.raises(RuntimeError), ws.transaction():
        ws.at_transaction_end(lambda committed: ran.append(("failed", committed)))
        raise RuntimeError("stop")
    with ws.transaction():
        pass
    assert ran[2:] == [("failed", False)]
