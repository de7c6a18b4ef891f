"""Inference across snapshots, the rules, and ``suggest`` as a whole."""

from __future__ import annotations

import shutil

import pytest
from helpers import URL, build, copy_of, history_count, labels_of, shortfalls, story_scores

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels import (
    copy_default_rules,
    default_rules_path,
    infer,
    load_rules,
    set_label,
    suggest,
)


@pytest.fixture
def ws(tmp_path):
    workspace = copy_of(tmp_path / "ws", suggested=False)
    yield workspace
    workspace.close()


def test_invitation_decisions_are_inferred_from_the_snapshots(ws):
    summary = suggest(ws)
    k = ws.fixture
    decisions = labels_of(ws, "decision")
    reasons = ws.labels("decision").set_index("subject")["reason"]
    assert decisions[k["accepted"]] == ("accept", "inferred")
    assert reasons[k["accepted"]] == "connected on 2026-01-05"
    assert decisions[k["by_name"]] == ("accept", "inferred")  # older invitation without URL
    assert "matched by name" in reasons[k["by_name"]]
    assert decisions[k["ignored"]] == ("ignore", "inferred")
    assert "export of 2026-03-01" in reasons[k["ignored"]] and "90 days" in reasons[k["ignored"]]
    assert decisions[k["asked"]] == ("ask", "inferred")
    assert "you wrote to them on 2025-12-12" in reasons[k["asked"]]
    assert decisions[k["redirected"]] == ("redirect", "suggested")  # named a service
    # a connection accepts the inviter's latest invitation, not the earlier one
    assert decisions[k["resent_new"]] == ("accept", "inferred")
    assert decisions[k["resent_old"]] == ("ignore", "inferred")
    # withdrawn by the sender: gone from a later export still covering its date
    assert k["withdrawn"] not in decisions
    assert summary["withdrawn_invitations"] == 1
    # too recent to judge, and outgoing invitations, get no decision
    assert k["recent"] not in decisions
    assert len(decisions) == 7


def test_request_handlings_and_referrals(ws):
    suggest(ws)
    k = ws.fixture
    handling = labels_of(ws, "handling")
    referral = labels_of(ws, "referral")
    frame = ws.labels("handling").set_index("subject")
    assert handling[k["answer"]] == ("answer", "inferred")
    assert frame.loc[k["answer"], "reason"] == "you replied on 2026-01-16"
    assert handling[k["refer"]] == ("refer", "suggested")
    assert referral[k["refer"]] == ("appointment", "suggested")
    assert frame.loc[k["refer"], "rule"] == "booking-link"
    assert "book an appointment" in frame.loc[k["refer"], "reason"]
    assert handling[k["explain"]] == ("explain", "suggested")  # curly apostrophes too
    assert frame.loc[k["explain"], "rule"] == "honest-decline"
    assert handling[k["none"]] == ("none", "inferred")
    assert "39 days" in frame.loc[k["none"], "reason"]
    assert k["pending"] not in handling
    assert set(referral) == {k["refer"]}


def test_introduction_requests_are_recorded_unreviewed(ws):
    summary = suggest(ws)
    intros = ws.introductions()
    assert len(intros) == 1
    row = intros.iloc[0]
    assert row["requester_key"] == URL + "stu"
    assert row["target_key"] == URL + "zoe" and row["target_name"] == "Zoë Brontë-Ngata"
    assert row["requested_on"].strftime("%Y-%m-%d") == "2026-01-25"
    assert row["rule"] == "introduction-request"
    assert row["outcome"] == "unreviewed"
    assert labels_of(ws, "outcome") == {}
    assert summary["introductions"]["without_name"] == 1  # "someone in marketing"
    again = suggest(ws)
    assert again["introductions"]["added"] == 0 and len(ws.introductions()) == 1


def test_relationship_rules(ws):
    suggest(ws)
    frame = ws.labels("relationship").set_index("subject")
    got = frame["value"].to_dict()
    assert got[URL + "col"] == "colleague"      # the policy's owner_institution
    assert got[URL + "stu"] == "client"         # "MSc ... student"
    assert got[URL + "pat"] == "professional"   # talent partner at a company
    assert got[URL + "spam"] == "spam"
    assert got[URL + "hal"] == "client"         # said so in the invitation note
    assert URL + "arch" not in got
    assert (frame["source"] == "suggested").all()
    assert frame.loc[URL + "stu", "rule"] == "student-or-graduate"
    assert frame.loc[URL + "stu", "reason"] == 'title: "MSc"'


def test_without_an_institution_the_colleague_rule_is_skipped_and_said(tmp_path):
    ws = build(tmp_path / "ws", policy=False)
    summary = suggest(ws)
    assert any(s.startswith("own-institution") for s in summary["rules_skipped"])
    assert URL + "col" not in labels_of(ws, "relationship")


def test_suggest_is_idempotent(ws):
    first = suggest(ws)
    assert first["labels"]["added"] > 0
    before = history_count(ws)
    second = suggest(ws)
    assert second["labels"] == {"added": 0, "changed": 0, "unchanged": first["labels"]["added"],
                                "removed": 0, "kept_confirmed": 0}
    assert history_count(ws) == before


def test_confirmed_labels_are_never_touched(ws):
    k = ws.fixture
    set_label(ws, "decision", k["accepted"], "report", "confirmed")
    set_label(ws, "handling", k["refer"], "answer", "confirmed")
    set_label(ws, "relationship", URL + "stu", "personal", "confirmed")
    set_label(ws, "handling", k["none"], "explain", "confirmed")
    summary = suggest(ws)
    assert labels_of(ws, "decision")[k["accepted"]] == ("report", "confirmed")
    assert labels_of(ws, "handling")[k["refer"]] == ("answer", "confirmed")
    assert labels_of(ws, "handling")[k["none"]] == ("explain", "confirmed")
    assert labels_of(ws, "relationship")[URL + "stu"] == ("personal", "confirmed")
    # no referral is suggested for a request the adviser says was answered
    assert k["refer"] not in labels_of(ws, "referral")
    assert summary["labels"]["kept_confirmed"] == 4
    infer(ws)
    assert labels_of(ws, "decision")[k["accepted"]] == ("report", "confirmed")


def test_infer_alone_stores_only_inferred_labels(ws):
    summary = infer(ws)
    sources = set(ws.labels()["source"])
    assert sources == {"inferred"}
    assert summary["inferred"]["decision"] == {"accept": 3, "ask": 1, "ignore": 2}
    # the replies a rule reads as a referral or a decline are left for suggest
    assert ws.fixture["refer"] not in labels_of(ws, "handling")


def test_the_workspace_copy_of_the_rules_is_used_and_stale_suggestions_withdrawn(ws):
    suggest(ws)
    path, created = copy_default_rules(ws)
    assert created and path == ws.path / "rules.yaml"
    assert copy_default_rules(ws) == (path, False)  # never over the adviser's copy
    text = path.read_text(encoding="utf-8")
    text = text.replace("book an appointment, ", "").replace(
        "    patterns: ['https?://\\S+/(?:appointments?|booking)(?![\\w-])']\n", "")
    path.write_text(text, encoding="utf-8")
    before = history_count(ws)
    summary = suggest(ws)
    assert summary["rules_file"] == str(path)
    k = ws.fixture
    assert labels_of(ws, "handling")[k["refer"]] == ("answer", "inferred")
    assert k["refer"] not in labels_of(ws, "referral")
    assert labels_of(ws, "decision")[k["redirected"]] == ("ask", "inferred")
    assert summary["labels"]["removed"] == 1 and summary["labels"]["changed"] == 2
    assert history_count(ws) == before + 3


def test_a_broken_rules_file_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "rules.yaml"
    shutil.copyfile(default_rules_path(), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if "value: mentor" in line)
    lines[number] = lines[number].replace("mentor", "buddy")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BadLabelsError) as error:
        load_rules(path)
    message = str(error.value)
    assert str(path) in message and f"line {number}" in message
    assert "appointment, mentor, event" in message
    path.write_text("referral:\n  - name: x\n    value: event\n    patterns: ['(']\n",
                    encoding="utf-8")
    with pytest.raises(BadLabelsError, match="line 2.*not a valid regular expression"):
        load_rules(path)
    path.write_text("relationship:\n  - name: x\n    value: client\n    wordz: [a]\n",
                    encoding="utf-8")
    with pytest.raises(BadLabelsError, match="unknown key 'wordz'"):
        load_rules(path)
    path.write_text("relationship:\n  - name: x\n    value: client\n    words: [a]\n"
                    "    requires: [messages]\n", encoding="utf-8")
    with pytest.raises(BadLabelsError, match="line 2.*'requires' cannot be 'messages'"):
        load_rules(path)


def test_rules_on_the_sample_series_are_precise(sample_workspace, sample_series):
    """The evaluation of ``python -m adviser_analytics.devtools.evaluate_labels`` on the sample story."""
    scores = story_scores(sample_workspace, sample_series[0])
    checked = {
        ("relationship", "client"), ("relationship", "colleague"),
        ("relationship", "professional"), ("relationship", "spam"),
        ("referral", "refer + kind"), ("explain", "requests"), ("explain", "messages"),
        ("introduction", "requests"), ("decision", "accept"), ("decision", "ask"),
        ("decision", "ignore (truth ignore or report)"), ("decision", "redirect"),
        ("handling", "answer"), ("handling", "none"),
    }
    assert shortfalls(scores, dict.fromkeys(checked, (0.9, 0.7))) == []
