"""On the sample series, the metrics tell the story the generator wrote (its truth.json):
the load by month, the growth after the policy change, introductions, and drift in busy weeks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import load_truth

from adviser_analytics.labels import suggest
from adviser_analytics.metrics import compute, drift
from adviser_analytics.metrics.episodes import requests as episodes
from adviser_analytics.periods import Period, split
from adviser_analytics.store import Workspace


@pytest.fixture(scope="module")
def labelled(sample_workspace_template, tmp_path_factory):
    """The sample workspace after `labels suggest` (no adviser confirmations)."""
    import shutil

    folder = tmp_path_factory.mktemp("story") / "workspace"
    shutil.copytree(sample_workspace_template, folder)
    with Workspace.open(folder) as ws, ws.transaction():
        suggest(ws)
    return folder


def _months(truth: dict) -> list[Period]:
    return split(dt.date(2025, 7, 1), dt.date(2026, 8, 31), "month")


def test_requests_and_answers_by_month_match_the_truth(labelled, sample_series):
    truth = load_truth(sample_series[0])
    with Workspace.open(labelled) as ws:
        # REVISED (domain.md): requests are runs in one-to-one conversations only; a group
        # conversation names two or more recipients on a message, or has two or more writers
        m = ws.messages(columns=("conversation_id", "sent_at", "sender_key", "direction",
                                 "recipient_urls"))
        named = m["recipient_urls"].fillna("").str.contains(r"[,;]", regex=True)
        writers = m[m["direction"] == "inbound"].groupby("conversation_id")["sender_key"]
        groups = set(m.loc[named, "conversation_id"]) | set(
            writers.nunique().loc[lambda n: n > 1].index)
    # thanks-only runs are acknowledgements (the rules suggest no_reply_needed): not requests
    one_to_one = [r for r in truth["requests"] if r["conversation_id"] not in groups
                  and not r.get("acknowledgement")]
    started = pd.to_datetime([r["started_at"] for r in one_to_one], utc=True)
    replied = pd.Series([r["replied_at"] is not None for r in one_to_one])
    with Workspace.open(labelled) as ws:
        for month in _months(truth):
            in_month = (started >= month.start_ts) & (started < month.end_exclusive_ts)
            load = compute(ws, month)["load"]
            assert load["requests"] == int(in_month.sum()), month.label
            assert load["answered_requests"] == int((replied & in_month).sum()), month.label


def test_load_grows_after_the_policy_change(labelled, sample_series):
    truth = load_truth(sample_series[0])
    change = dt.date.fromisoformat(truth["policy_versions"][1]["effective_from"])
    with Workspace.open(labelled) as ws:
        counts = {m.start: compute(ws, m)["load"]["requests"] for m in _months(truth)}
    before = [n for start, n in counts.items() if start < change]
    after = [n for start, n in counts.items() if start >= change]
    assert sum(after) / len(after) > 2 * sum(before) / len(before)


def test_introduction_requests_found_match_the_truth(labelled, sample_series):
    truth = load_truth(sample_series[0])
    with Workspace.open(labelled) as ws:
        found = ws.introductions()
    expected = {(i["requester_url"], i["requested_on"]) for i in truth["introductions"]}
    got = {(r, d.date().isoformat()) for r, d in zip(found["requester_key"], found["requested_on"], strict=True)}
    assert len(expected & got) >= 0.9 * len(expected)
    assert len(got - expected) <= 0.1 * len(got)  # hardly anything invented


def test_drift_in_busy_weeks_is_visible(labelled, sample_series):
    truth = load_truth(sample_series[0])
    with Workspace.open(labelled) as ws:
        policy = ws.policy()
        decided = drift.decisions(ws.invitations(), ws.labels(), episodes(ws.messages(content=False)),
                                  policy)
    change = pd.Timestamp(truth["policy_versions"][1]["effective_from"], tz="UTC")
    after = decided[decided["dated_at"] >= change]
    busy = pd.Series(False, index=after.index)
    for week in truth["busy_weeks"]:
        start = pd.Timestamp(week["from"], tz="UTC")
        end = pd.Timestamp(week["to"], tz="UTC") + pd.Timedelta(days=1)
        busy |= (after["dated_at"] >= start) & (after["dated_at"] < end)
    busy_rate = after.loc[busy, "conforming"].mean()
    calm_rate = after.loc[~busy, "conforming"].mean()
    assert busy.sum() >= 10 and (~busy).sum() >= 10
    assert busy_rate < calm_rate - 0.1, (busy_rate, calm_rate)


def _phases(truth: dict) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The story's two phases: to the day before the policy change, and from it on."""
    change = dt.date.fromisoformat(truth["policy_versions"][1]["effective_from"])
    first = min(dt.date.fromisoformat(i["sent_at"][:10]) for i in truth["invitations"])
    return (first, change - dt.timedelta(days=1)), (change, dt.date(2030, 12, 31))


def test_values_move_as_the_story_says(labelled, sample_series):
    # issue 14: each values measure moves as the generator's story (truth.json) has it
    from adviser_analytics.metrics import values

    truth = load_truth(sample_series[0])
    story = truth["story"]
    with Workspace.open(labelled) as ws:
        inv, labels, intro, people = ws.invitations(), ws.labels(), ws.introductions(), \
            ws.people()
    before, after = _phases(truth)
    # more personalised invitations accepted after the policy change: the counts accepted
    # are the story's, and the share accepted of those decided rises
    measured = {}
    for phase, (start, end) in zip(("cautious-avoidance", "genuine-connection"),
                                   (before, after), strict=True):
        dec = values.personal_invitations(inv, labels, start, end)["with_message_decisions"]
        assert dec["accepted"] == story["personalised_invitations"][phase]["accepted"], phase
        measured[phase] = dec["accepted_rate"]
    told = {p: x["accepted"] / x["received"] for p, x in story["personalised_invitations"].items()}
    assert told["cautious-avoidance"] < told["genuine-connection"]
    assert measured["cautious-avoidance"] < measured["genuine-connection"]
    # introductions only after the policy change, spread over employers as the story has them
    asked_before = [i for i in truth["introductions"]
                    if i["requested_on"] < after[0].isoformat()]
    assert values.introductions_spread(intro, people, *before)["asked"] == len(asked_before) == 0
    spread = values.introductions_spread(intro, people, *after)
    assert {e["company"]: e["asked"] for e in spread["per_employer"]} \
        == story["introductions_per_employer"]
    # concentrated on one employer
    assert spread["top_employer"] == story["concentrated_employer"]
    assert spread["concentrated"] is True
