"""The "Promises against practice" section: the promises come from the advice's own facts,
and each is measured for the period (hand-counted here from the workspace's tables)."""

from __future__ import annotations

import re

import pandas as pd

from adviser_analytics import reflection
from adviser_analytics.advice import advice_context
from adviser_analytics.reflection import prompts
from adviser_analytics.reflection.practice import promises
from adviser_analytics.reflection.sections import SECTIONS
from adviser_analytics.store import Workspace


class _Version:
    name = "v"
    effective_from = pd.Timestamp("2026-01-05").date()
    invitations = {"client": {"redirect"}, "colleague": {"accept"},
                   "professional": {"accept", "ask"}, "unknown": {"ask"}, "spam": {"ignore"}}
    introductions = {"explained"}
    minutes_per_reply = 6
    minutes_per_week = 90
    reply_within_days = 7


def test_promises_are_read_from_the_advice_facts():
    found = promises(advice_context(_Version(), {}))
    assert [p.kind for p in found] == ["reply_within", "connect_with",
                                       "introductions_not_made", "minutes_per_week"]
    reply, connect, intro, minutes = found
    assert reply.value == 7 and reply.words == "you reply within 7 days"
    assert connect.relationships == ("colleague", "professional")
    assert connect.words == ("you connect with colleagues and employers and professional "
                             "contacts")
    assert intro.words == "you don't make introductions"
    assert minutes.value == 90


def test_a_policy_without_aims_promises_nothing_measurable():
    class Bare(_Version):
        invitations = {"spam": {"ignore"}}
        introductions = set()
        minutes_per_week = None
        reply_within_days = None

    assert [p.kind for p in promises(advice_context(Bare(), {}))] == \
        ["introductions_not_made"]


def test_section_stands_after_the_description_before_feelings():
    names = list(SECTIONS)
    assert names.index("promises_against_practice") == names.index("decisions_summary") + 1


def _lines(block) -> dict[str, str]:
    out = {}
    for line in block.text.splitlines():
        words, _, measured = line.partition(": ")
        out[words.removeprefix("Your advice says ")] = measured
    return out


def test_reply_and_weekly_time_measured_by_hand(labelled_workspace):
    r = reflection.open_report(labelled_workspace, "2026-03-01", "2026-03-31", "self")
    lines = _lines(r.promises_against_practice())
    # requests that started in March, answered within the 5 days of the version in force
    from adviser_analytics.metrics.load import request_mask

    eps = r.model.episodes
    eps = eps.loc[request_mask(eps, r.data.labels)]
    start = pd.Timestamp("2026-03-01", tz="UTC")
    march = eps.loc[(eps["started_at"] >= start)
                    & (eps["started_at"] < pd.Timestamp("2026-04-01", tz="UTC"))]
    target = r.policy.version_on(pd.Timestamp("2026-03-31").date()).reply_within_days
    within = int(((march["replied_at"] - march["started_at"])
                  <= pd.Timedelta(days=target)).sum())
    reply = lines[f"you reply within {target:g} days"]
    assert reply.startswith(f"{within} of {len(march)} requests"), reply
    assert 0 < within < len(march)
    # weeks (Monday to Sunday) meeting March: 23 Feb .. 5 Apr, six of them
    msgs = r.data.messages
    out = pd.to_datetime(msgs.loc[msgs["direction"] == "outbound", "sent_at"], utc=True)
    version = r.policy.version_on(pd.Timestamp("2026-03-31").date())
    weeks_within = 0
    for monday in pd.date_range("2026-02-23", periods=6, freq="7D", tz="UTC"):
        n = int(((out >= monday) & (out < monday + pd.Timedelta(days=7))).sum())
        weeks_within += n * version.minutes_per_reply <= version.minutes_per_week
    key = f"you give about {version.minutes_per_week:g} minutes a week to replies"
    assert lines[key].startswith(f"{weeks_within} of 6 weeks"), lines[key]


def test_connections_follow_the_labels_and_the_policy_change(labelled_workspace):
    with Workspace.open(labelled_workspace) as ws:
        labels, invitations = ws.labels(), ws.invitations()
    decided = labels.loc[(labels["kind"] == "decision") & (labels["value"] == "accept"),
                         ["subject"]]
    rel = labels.loc[labels["kind"] == "relationship", ["subject", "value"]].rename(
        columns={"subject": "person_key", "value": "relationship"})
    inc = invitations.loc[invitations["direction"] == "incoming"].copy()
    inc["subject"] = inc["invitation_id"].astype("int64").astype(str)
    accepted = inc.merge(decided, on="subject").merge(rel, on="person_key", how="left")
    accepted["relationship"] = accepted["relationship"].fillna("unknown")
    sent = pd.to_datetime(accepted["sent_at"], utc=True)
    for start, end, rels in (("2026-02-01", "2026-04-30", {"client", "colleague",
                                                            "professional", "personal"}),):
        inside = accepted.loc[(sent >= pd.Timestamp(start, tz="UTC"))
                              & (sent < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))]
        k, n = int(inside["relationship"].isin(rels).sum()), len(inside)
        assert n > 0
        r = reflection.open_report(labelled_workspace, start, end, "self")
        line = next(m for w, m in _lines(r.promises_against_practice()).items()
                    if w.startswith("you connect with"))
        assert line.startswith(f"{k} of {n} invitations you accepted"), line


def test_supervision_version_suppresses_small_counts(labelled_workspace):
    r = reflection.open_report(labelled_workspace, "2026-03-01", "2026-03-31", "supervision")
    text = r.promises_against_practice().text
    for number in re.findall(r"\b(\d+) of\b", text):
        assert int(number) == 0 or int(number) >= 5, text


# ------------------------------------------------------------------------------ values

def _with_message(workspace, start, end):
    with Workspace.open(workspace) as ws:
        inv = ws.invitations()
    inc = inv.loc[inv["direction"] == "incoming"]
    sent = pd.to_datetime(inc["sent_at"], utc=True)
    inc = inc.loc[(sent >= pd.Timestamp(start, tz="UTC"))
                  & (sent < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))]
    k = int(inc["message"].fillna("").astype(str).str.strip().str.len().gt(0).sum())
    return k, len(inc)


def test_values_counts_personal_invitations_by_hand(labelled_workspace):
    start, end = "2026-02-01", "2026-04-30"
    k, n = _with_message(labelled_workspace, start, end)
    assert 0 < k < n
    text = reflection.open_report(labelled_workspace, start, end, "self").values().text
    assert f"{k} of {n} invitations you received carried a personal message" in text
    assert "95 % interval" in text


def test_values_in_supervision_name_no_employer_and_no_contact(labelled_workspace):
    r_self = reflection.open_report(labelled_workspace, "2025-01-01", "2026-06-30", "self")
    r_sup = reflection.open_report(labelled_workspace, "2025-01-01", "2026-06-30",
                                   "supervision")
    html = str(r_sup.values().html)
    companies = {str(c) for c in r_self.data.people["company"].dropna() if str(c).strip()}
    names = {str(x) for x in r_self.data.people["name"].dropna() if str(x).strip()} \
        if "name" in r_self.data.people else set()
    assert not [c for c in companies if c in html]
    assert not [x for x in names if x in html]
    assert "contact</th>" not in html  # the keep-in-touch list is the adviser's only
    # introductions by employer: each employer pseudonymised, in the order of the table
    table = re.search(r'<table[^>]*data-metric="section.values.employers".*?</table>', html,
                      re.DOTALL).group(0)
    rows = re.findall(r"<tr><td[^>]*>([^<]*)</td>", table)
    assert rows[0] == "employer A" and rows[-1] == "Total"
    assert all(re.fullmatch(r"employer [A-Z]+|other employers|employer not known", x)
               for x in rows[:-1]), rows


def _accepted_with_message(workspace, start, end):
    """Accepted of decided incoming invitations with a personal message (hand count)."""
    with Workspace.open(workspace) as ws:
        inv, labels = ws.invitations(), ws.labels()
    dec = labels.loc[labels["kind"] == "decision"].drop_duplicates("subject", keep="last")
    inc = inv.loc[inv["direction"] == "incoming"].copy()
    sent = pd.to_datetime(inc["sent_at"], utc=True)
    inc = inc.loc[(sent >= pd.Timestamp(start, tz="UTC"))
                  & (sent < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))]
    inc = inc.loc[inc["message"].fillna("").astype(str).str.strip().str.len() > 0]
    inc["subject"] = inc["invitation_id"].astype("int64").astype(str)
    joined = inc.merge(dec[["subject", "value"]], on="subject")
    joined = joined.loc[joined["value"] != "pending"]
    return int((joined["value"] == "accept").sum()), len(joined)


def test_the_story_moves_after_the_policy_change(labelled_workspace):
    # the sample story: more personalised invitations accepted after the change (2026-01-05),
    # introductions asked only after it, and concentrated on one employer
    before = ("2025-01-01", "2026-01-04")
    after = ("2026-01-05", "2026-06-30")
    (ka, na), (kb, nb) = (_accepted_with_message(labelled_workspace, *p) for p in (before, after))
    assert ka / na < kb / nb
    t_before = reflection.open_report(labelled_workspace, *before, "self").values().text
    t_after = reflection.open_report(labelled_workspace, *after, "self").values().text
    assert f"Of those with a message that you decided, you accepted {ka} of {na}" in t_before
    assert f"Of those with a message that you decided, you accepted {kb} of {nb}" in t_after
    assert "no introduction was asked of you" in t_before
    with Workspace.open(labelled_workspace) as ws:
        intro = ws.introductions()
    asked = pd.to_datetime(intro["requested_on"], utc=True)
    n_after = int(((asked >= pd.Timestamp(after[0], tz="UTC"))
                   & (asked < pd.Timestamp("2026-07-01", tz="UTC"))).sum())
    assert n_after > 0
    assert f"{n_after} introductions were asked of you" in t_after
    assert "concentration worth reflecting on" in t_after


def test_supervision_sentences_say_what_is_not_given_in_words(labelled_workspace):
    """A suppressed number reads as a sentence, never "withheld of 4" or "<5 of <5", and
    the share following the policy (one of the adviser's own totals) is given as the table
    "Against earlier periods" gives it."""
    r = reflection.open_report(labelled_workspace, "2026-03-01", "2026-03-31", "supervision")
    text = "\n".join([r.promises_against_practice().text, r.values().text])
    assert not re.search(r"withheld of|<5 of <5|\(withheld \(", text), text
    pol = r.shown["policy"]
    n, k = pol["decisions"], pol["conforming"]
    assert n >= 10 and 0 < n - k < 5  # a size where a breakdown rule would hide the share
    sentence = prompts.conformance_text(pol, pol.get("conformance_ci95"), r.view)
    assert sentence.startswith(f"{k} of {n} decisions ({100 * k / n:.0f}%) matched"), sentence
    assert "Wilson 95 % interval" in sentence


def test_introductions_not_reviewed_are_not_counted_as_not_made(labelled_workspace):
    """An introduction whose outcome nobody recorded is neither made nor not made: the
    promise and the employers' table say how many are not reviewed yet."""
    r = reflection.open_report(labelled_workspace, "2026-03-01", "2026-03-31", "self")
    intro = r.metrics["introductions"]
    unreviewed = intro["outcomes"]["unreviewed"]
    assert 0 < unreviewed <= intro["requests"]
    promise = _lines(r.promises_against_practice())["you make introductions case by case"]
    assert f"; {unreviewed} not reviewed yet" in promise, promise
    html = str(r.values().html)
    table = re.search(r'data-metric="section.values.employers".*?</table>', html, re.S).group(0)
    assert "not reviewed yet</th>" in table
    total = re.findall(r"<tr><td[^>]*>Total</td>(.*?)</tr>", table)[0]
    cells = [int(x) for x in re.findall(r">(\d+)</td>", total)]
    made, not_made, not_reviewed, asked = cells
    assert not_reviewed == unreviewed and made + not_made + not_reviewed == asked
