"""Policy drift: decisions, conformance with Wilson intervals, p-charts, decision-mix shift,
reflective prompts, and the ``metrics --json`` object."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adviser_analytics.metrics import compute_metrics, to_contract
from adviser_analytics.metrics.drift import (
    conformance,
    conformance_series,
    decision_mix_by_relationship,
    decision_mix_shift,
    decisions,
    p_chart,
    wilson_interval,
)
from adviser_analytics.metrics.episodes import requests
from adviser_analytics.periods import Period, split
from adviser_analytics.policy import load_policy
from adviser_analytics.reflection.prompts import prompt_for

POLICY = load_policy("""\
versions:
  - name: v1
    effective_from: 2025-01-01
    invitations: {client: [redirect], unknown: [ignore, ask]}
    requests: {client: [refer, explain]}
    minutes_per_reply: 6
    minutes_per_week: 70
  - name: v2
    effective_from: 2025-03-06
    invitations: {client: [accept], unknown: [ask]}
    requests: {client: [answer, refer, explain]}
    minutes_per_reply: 6
    minutes_per_week: 70
""")
WEEK = Period.parse("2025-03-03", "2025-03-09")  # v2 takes effect on Thursday 03-06


def ts(text):
    return pd.Timestamp(text, tz="UTC")


INVITATIONS = pd.DataFrame(
    [(1, "incoming", "p1", "P1", ts("2025-03-04 10:00")),
     (2, "incoming", "p2", "P2", ts("2025-03-07 10:00")),
     (3, "incoming", "p3", "P3", ts("2025-03-05 10:00")),
     (4, "incoming", "p4", "P4", ts("2025-03-05 11:00")),
     (5, "outgoing", "p5", "P5", ts("2025-03-05 12:00")),
     (6, "incoming", "p6", "P6", ts("2025-03-08 10:00")),
     (7, "incoming", "p7", "P7", ts("2024-12-20 10:00")),
     (8, "incoming", "p8", "P8", ts("2025-03-12 10:00")),
     (9, "incoming", "p9", "P9", ts("2025-03-06 10:00"))],
    columns=["invitation_id", "direction", "person_key", "name", "sent_at"])

MESSAGES = pd.DataFrame(
    [(1, "k1", ts("2025-03-05 23:00"), "inbound", "p1", "p1"),
     (2, "k1", ts("2025-03-06 09:00"), "outbound", "me", "p1"),
     (3, "k2", ts("2025-02-28 09:00"), "inbound", "p2", "p2"),
     (4, "k2", ts("2025-03-04 09:00"), "outbound", "me", "p2")],
    columns=["message_id", "conversation_id", "sent_at", "direction", "sender_key",
             "counterpart_key"])
REQUESTS = requests(MESSAGES)

LABELS = pd.DataFrame(
    [("relationship", "p1", "client", "confirmed"),
     ("relationship", "p2", "client", "suggested"),
     ("relationship", "p4", "colleague", "confirmed"),
     ("relationship", "p6", "client", "confirmed"),
     ("relationship", "p9", "spam", "inferred"),
     ("decision", "1", "redirect", "confirmed"),    # v1 expects redirect: conforms
     ("decision", "2", "redirect", "inferred"),     # v2 expects accept: differs
     ("decision", "3", "ignore", "inferred"),       # unknown under v1: ignore/ask: conforms
     ("decision", "4", "accept", "inferred"),       # colleague: no expectation in v1
     ("decision", "5", "accept", "inferred"),       # outgoing: not a decision of the owner
     ("decision", "6", "pending", "inferred"),      # not decided yet
     ("decision", "7", "ignore", "inferred"),       # before the first version
     ("decision", "8", "ask", "inferred"),          # after the week
     ("decision", "9", "report", "suggested"),      # spam: no expectation in v2
     ("handling", "k1|2025-03-05T23:00:00Z", "answer", "confirmed"),  # v1 (by start): differs
     ("handling", "k2|2025-02-28T09:00:00Z", "answer", "confirmed"),  # started before the week
     ("handling", "k9|2025-03-05T10:00:00Z", "refer", "confirmed")],  # no such request
    columns=["kind", "subject", "value", "source"])


def test_decisions_hand_computed_with_version_switch_mid_period():
    d = decisions(INVITATIONS, LABELS, REQUESTS, POLICY, WEEK)
    got = {(r.kind, r.subject): (r.relationship, r.version, r.expected, r.conforming)
           for r in d.itertuples()}
    assert got == {
        ("invitation", "1"): ("client", "v1", ("redirect",), True),
        ("invitation", "3"): ("unknown", "v1", ("ask", "ignore"), True),
        ("invitation", "2"): ("client", "v2", ("accept",), False),
        ("request", "k1|2025-03-05T23:00:00Z"): ("client", "v1", ("refer", "explain"), False),
    }
    assert d["dated_at"].is_monotonic_increasing
    result = conformance(d)
    assert (result["decisions"], result["conforming"], result["conformance_rate"]) == (4, 2, 0.5)
    lo, hi = result["conformance_ci95"]
    ref = stats.binomtest(2, 4).proportion_ci(method="wilson")
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    assert result["suggested"] == 0


def test_decisions_over_all_dates_and_sources():
    everything = decisions(INVITATIONS, LABELS, REQUESTS, POLICY)
    # invitation 7 predates the first version, 4 and 9 have no expectation
    assert sorted(everything["subject"]) == sorted(
        ["1", "2", "3", "8", "k1|2025-03-05T23:00:00Z", "k2|2025-02-28T09:00:00Z"])
    only_confirmed = decisions(INVITATIONS, LABELS, REQUESTS, POLICY, WEEK,
                               sources=("confirmed",))
    assert sorted(only_confirmed["subject"]) == ["1", "k1|2025-03-05T23:00:00Z"]


def test_relationship_defaults_to_unknown_without_relationship_labels():
    d = decisions(INVITATIONS, LABELS.loc[LABELS["kind"] != "relationship"], REQUESTS, POLICY,
                  WEEK)
    assert set(d["relationship"]) == {"unknown"}
    # everyone is unknown: ignore/ask under v1, ask under v2; the request (k1) has no
    # expectation for unknown under v1
    assert sorted(d["subject"]) == ["1", "2", "3", "4", "9"]
    assert d.set_index("subject")["conforming"].to_dict() == {
        "1": False, "2": False, "3": True, "4": False, "9": False}


def test_no_policy_or_no_labels_no_decisions():
    assert decisions(INVITATIONS, LABELS, REQUESTS, None, WEEK).empty
    assert decisions(INVITATIONS, LABELS.iloc[:0], REQUESTS, POLICY, WEEK).empty
    empty = conformance(decisions(INVITATIONS, LABELS, REQUESTS, POLICY,
                                  Period.parse("2026-01-01", "2026-01-31")))
    assert empty == {"decisions": 0, "conforming": 0, "conformance_rate": None,
                     "conformance_ci95": None, "suggested": 0}


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(8, 10)
    assert round(lo, 3) == 0.490 and round(hi, 3) == 0.943
    ref = stats.binomtest(8, 10).proportion_ci(method="wilson")
    assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


# ---------------------------------------------------------------------------------------
# p-chart


def series(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [{"period": f"P{i}", "start": pd.Timestamp("2025-01-06").date() + pd.Timedelta(weeks=i),
          "end": pd.Timestamp("2025-01-12").date() + pd.Timedelta(weeks=i), "decisions": n,
          "conforming": k, "version": "v1", "new_version": nv}
         for i, (n, k, nv) in enumerate(rows)])


def test_p_chart_exact_limits_too_small_and_signal():
    chart = p_chart(series([(20, 18, None), (20, 19, None), (20, 10, None), (3, 0, None),
                            (17, 17, None)]))
    # p-bar = 64 / 80 = 0.8; too small when n < 4 / min(0.8, 0.2) = 20
    assert chart["p_bar"].iloc[0] == pytest.approx(0.8)
    assert chart["min_n"].iloc[0] == pytest.approx(20)
    # n = 20 at p = 0.8: P(X <= 11) = 0.0100 < 0.025 <= P(X <= 12) = 0.0321, and
    # P(X <= 18) = 0.9308 < 0.975 <= P(X <= 19) = 0.9885: limits 12/20 and 19/20
    assert chart.loc[0, "lower"] == pytest.approx(12 / 20)
    assert chart.loc[0, "upper"] == pytest.approx(19 / 20)
    for i, n in enumerate([20, 20, 20, 3, 17]):
        assert chart.loc[i, "lower"] == pytest.approx(stats.binom.ppf(0.025, n, 0.8) / n)
        assert chart.loc[i, "upper"] == pytest.approx(stats.binom.ppf(0.975, n, 0.8) / n)
    assert chart["too_small"].tolist() == [False, False, False, True, True]
    # 10/20 is below 12/20; 19/20 sits on the upper limit (not outside); 0/3 is far out
    # but too small to judge, so never a signal
    assert chart["signal"].tolist() == [False, False, True, False, False]


def test_p_chart_near_one_uses_the_failure_rate():
    # p-bar = 0.95: n < 4/0.95 would judge n = 5, but 4/0.05 = 80 decisions are needed
    chart = p_chart(series([(5, 5, None), (95, 90, None)]))
    assert chart["p_bar"].iloc[0] == pytest.approx(0.95)
    assert chart["min_n"].iloc[0] == pytest.approx(80)
    assert chart["too_small"].tolist() == [True, False]


def test_p_chart_everything_conforming_or_empty():
    chart = p_chart(series([(10, 10, None), (12, 12, None)]))
    assert chart["too_small"].all() and not chart["signal"].any()
    empty = p_chart(series([(0, 0, None)]))
    assert empty["too_small"].all() and not empty["signal"].any()
    assert np.isnan(empty.loc[0, "p"])


def test_p_chart_pooling_never_crosses_a_version_change():
    rows = [(5, 4, "v1"), (6, 5, None), (10, 8, None), (3, 3, None), (4, 2, "v2"),
            (5, 4, None), (2, 2, None)]
    # p-bar = 28/35 = 0.8 -> min_n 20
    chart = p_chart(series(rows), pool=True)
    assert chart["period"].tolist() == ["P0 to P3", "P4 to P6"]
    assert chart["decisions"].tolist() == [24, 11]
    assert chart["pooled"].tolist() == [4, 3]
    assert chart["too_small"].tolist() == [False, True]
    assert not chart["signal"].any()


def test_conformance_series_carries_versions():
    periods = split("2025-02-24", "2025-03-16", "week")
    s = conformance_series(INVITATIONS, LABELS, REQUESTS, POLICY, periods)
    assert s["period"].tolist() == ["2025-W09", "2025-W10", "2025-W11"]
    assert s["decisions"].tolist() == [1, 4, 1]
    assert s["conforming"].tolist() == [0, 2, 1]  # invitation 8: unknown -> ask under v2
    assert s["version"].tolist() == ["v1", "v1", "v2"]
    assert s["new_version"].tolist()[1] == "v2"
    assert pd.isna(s["new_version"].tolist()[0]) and pd.isna(s["new_version"].tolist()[2])


# ---------------------------------------------------------------------------------------
# decision mix against a baseline


def test_mix_shift_statistic_matches_scipy():
    current = {"accept": 12, "ask": 3, "ignore": 5}
    baseline = {"accept": 40, "ask": 30, "ignore": 30}
    result = decision_mix_shift(current, baseline, n_resamples=2000, seed=1)
    p0 = (np.array([40, 30, 30]) + 0.5) / (100 + 1.5)
    expected = stats.chisquare([12, 3, 5], f_exp=20 * p0).statistic
    assert result["chi_square"] == pytest.approx(expected)
    assert result["categories"] == ["accept", "ask", "ignore"]
    assert result["js_distance"] == pytest.approx(
        float(__import__("scipy.spatial.distance").spatial.distance.jensenshannon(
            np.array([12, 3, 5]) / 20, p0, base=2)))
    homog = decision_mix_shift(current, baseline, n_resamples=2000, seed=1,
                               method="homogeneity")
    table = np.array([[12, 3, 5], [40, 30, 30]])
    assert homog["chi_square"] == pytest.approx(
        stats.chi2_contingency(table, correction=False).statistic)


def test_mix_shift_p_value_and_noise_floor():
    same = decision_mix_shift({"accept": 40, "ask": 30, "ignore": 30},
                              {"accept": 400, "ask": 300, "ignore": 300}, seed=2)
    assert same["p_value"] > 0.5
    assert same["js_distance"] < same["js_noise_floor"]
    moved = decision_mix_shift({"accept": 5, "ask": 40, "ignore": 5},
                               {"accept": 400, "ask": 300, "ignore": 300}, seed=2)
    assert moved["p_value"] < 0.001
    assert moved["js_distance"] > moved["js_noise_floor"]
    # the Monte Carlo p-value agrees with the asymptotic one at a moderate size
    mid = decision_mix_shift({"accept": 50, "ask": 25, "ignore": 25},
                             {"accept": 400, "ask": 300, "ignore": 300}, seed=3)
    p0 = (np.array([400, 300, 300]) + 0.5) / 1001.5
    asymptotic = stats.chisquare([50, 25, 25], f_exp=100 * p0).pvalue
    assert mid["p_value"] == pytest.approx(asymptotic, abs=0.02)
    # the noise floor shrinks as the sample grows
    small = decision_mix_shift({"accept": 4, "ask": 3, "ignore": 3},
                               {"accept": 400, "ask": 300, "ignore": 300}, seed=2)
    assert small["js_noise_floor"] > same["js_noise_floor"]


def test_mix_shift_is_reproducible_and_handles_empty_and_new_categories():
    a = decision_mix_shift(["accept", "ask", "ask"], ["accept"] * 5 + ["ask"] * 5, seed=9)
    b = decision_mix_shift(["accept", "ask", "ask"], ["accept"] * 5 + ["ask"] * 5, seed=9)
    assert a == b
    assert decision_mix_shift({}, {"accept": 3})["p_value"] is None
    new = decision_mix_shift({"accept": 5, "report": 5}, {"accept": 20}, seed=1)
    assert np.isfinite(new["chi_square"]) and new["p_value"] < 0.01
    with pytest.raises(ValueError):
        decision_mix_shift({"accept": 1, "ask": 1}, {"accept": 1, "ask": 1}, method="psi")


# ---------------------------------------------------------------------------------------
# words

VERDICTS = re.compile(r"\b(good|bad|poor|fail\w*|excellent|should|must|wrong|better than|"
                      r"worse|score|rank\w*|alarm\w*)\b", re.IGNORECASE)


def test_prompts_invite_reflection_not_verdicts():
    texts = []
    d = decisions(INVITATIONS, LABELS, REQUESTS, POLICY, WEEK)
    texts.append(prompt_for(conformance(d)))
    assert texts[-1].startswith("2 of 4 decisions (50%)")
    assert "Worth discussing" in texts[-1]
    texts.append(prompt_for(conformance(d.iloc[:0])))
    chart = p_chart(series([(20, 18, None), (20, 19, None), (20, 10, None), (3, 0, None)]))
    texts.append(prompt_for(chart))
    assert "Worth discussing" in texts[-1] and "P2" in texts[-1] and "P3" not in texts[-1]
    assert "too small to judge" in texts[-1]
    texts.append(prompt_for(p_chart(series([(20, 16, None), (20, 16, None)]))))
    texts.append(prompt_for(decision_mix_shift({"accept": 5, "ask": 40, "ignore": 5},
                                               {"accept": 400, "ask": 300, "ignore": 300},
                                               seed=2)))
    assert texts[-1].startswith("Worth discussing") and "p < 0.001" in texts[-1]
    texts.append(prompt_for(decision_mix_shift({"accept": 4, "ask": 3, "ignore": 3},
                                               {"accept": 400, "ask": 300, "ignore": 300},
                                               seed=2)))
    metrics = compute_metrics(MESSAGES, INVITATIONS, LABELS, None, POLICY, WEEK)
    texts.append(prompt_for(metrics["load"]))
    texts.append(prompt_for(metrics["introductions"]))
    for text in texts:
        assert text and not VERDICTS.search(text), text


# ---------------------------------------------------------------------------------------
# the metrics --json object


def test_compute_metrics_contract_shape():
    intro = pd.DataFrame({"introduction_id": [1], "requester_key": ["p1"], "target_key": ["t"],
                          "target_name": ["T"], "requested_on": [ts("2025-03-04")],
                          "resolved_on": [pd.NaT]})
    # REVISED contract: coverage, waiting/overdue/lapsed in place of the backlog
    result = to_contract(compute_metrics(MESSAGES, INVITATIONS, LABELS, intro, POLICY, WEEK,
                                         data_to=date(2025, 3, 31)))
    json.dumps(result, allow_nan=False)
    assert result["period"] == {"from": "2025-03-03", "to": "2025-03-09"}
    assert result["coverage"] == {"data_to": "2025-03-31", "as_of": "2025-03-09",
                                  "complete": True}
    contract_load = {"inbound_messages": int, "requests": int, "answered_requests": int,
                     "requests_opened_by_them": int, "requests_in_your_threads": int,
                     "group_messages": int, "due_requests": (int, type(None)),
                     "within_target_rate": (float, type(None)),
                     "reply_rate": float, "first_reply_hours_median": float,
                     "first_reply_hours_p90": float, "waiting": int,
                     "waiting_oldest_days": (float, type(None)), "overdue": (int, type(None)),
                     "lapsed": int, "minutes_spent_estimate": float}
    for key, kind in contract_load.items():
        assert isinstance(result["load"][key], kind), key
    assert "backlog" not in result["load"]
    assert result["load"]["requests"] == 1 and result["load"]["answered_requests"] == 1
    assert result["load"]["first_reply_hours_median"] == 10.0
    assert result["load"]["minutes_spent_estimate"] == 12.0  # two owner messages x 6
    assert result["load"]["waiting"] == 0 and result["load"]["waiting_oldest_days"] is None
    assert result["introductions"]["requests"] == 1
    assert result["introductions"]["outcomes"]["unreviewed"] == 1
    policy = result["policy"]
    assert (policy["decisions"], policy["conforming"], policy["conformance_rate"]) == (4, 2, 0.5)
    assert isinstance(policy["conformance_ci95"], list) and len(policy["conformance_ci95"]) == 2
    assert all(len(str(x).split(".")[-1]) <= 4 for x in policy["conformance_ci95"])


def test_compute_metrics_empty_period_and_no_policy():
    result = compute_metrics(MESSAGES.iloc[:0], INVITATIONS.iloc[:0], LABELS.iloc[:0], None,
                             None, WEEK, data_to=date(2025, 3, 31))
    json.dumps(result, allow_nan=False)
    assert result["load"]["reply_rate"] is None
    assert result["load"]["first_reply_hours_median"] is None
    assert result["load"]["minutes_spent_estimate"] is None
    assert result["policy"]["conformance_rate"] is None
    assert result["policy"]["conformance_ci95"] is None
    assert result["introductions"]["requests"] == 0


# ---------------------------------------------------------------------------------------
# drift, revised (domain.md "Policy drift"): per-version centre line, pooling only of small
# neighbours, provisional latest period, the mix compared within each relationship


def test_p_chart_centre_line_per_policy_version():
    # v1: 18 + 19 of 40 -> p-bar 37/40; v2 from P2: 10 + 14 of 40 -> p-bar 24/40
    chart = p_chart(series([(20, 18, None), (20, 19, None), (20, 10, "v2"), (20, 14, None)]))
    assert chart["p_bar"].tolist() == pytest.approx([37 / 40, 37 / 40, 24 / 40, 24 / 40])
    assert chart["segment"].tolist() == [0, 0, 1, 1]
    assert chart["baseline"].tolist() == ["v1", "v1", "v2", "v2"]
    # min_n: 4 / (3/40) = 53.3 under v1 (all too small); 4 / (16/40) = 10 under v2
    assert chart["min_n"].tolist() == pytest.approx([160 / 3, 160 / 3, 10, 10])
    assert chart["too_small"].tolist() == [True, True, False, False]
    # under v2 (p-bar 0.6, n 20): binom.ppf(0.025) = 8, ppf(0.975) = 16: 10 and 14 inside.
    # With one centre line (61/80 = 0.7625) P2's 10/20 would be a signal:
    assert chart.loc[2, "lower"] == pytest.approx(8 / 20)
    assert chart.loc[2, "upper"] == pytest.approx(16 / 20)
    assert not chart["signal"].any()
    one_line = p_chart(series([(20, 18, None), (20, 19, None), (20, 10, None), (20, 14, None)]))
    assert one_line["signal"].tolist() == [False, False, True, False]


def test_p_chart_pools_only_neighbours_that_are_each_too_small():
    # p-bar = 72/90 = 0.8 -> min_n 20. P1 (50) is large enough on its own: never pooled.
    rows = [(8, 6, None), (50, 40, None), (6, 5, None), (7, 5, None), (9, 8, None),
            (10, 8, None)]
    chart = p_chart(series(rows), pool=True)
    # P2 + P3 + P4 = 22 >= 20: one judged group; P5 (10) is left over and joins it
    assert chart["period"].tolist() == ["P0", "P1", "P2 to P5"]
    assert chart["decisions"].tolist() == [8, 50, 32]
    assert chart["pooled"].tolist() == [1, 1, 4]
    assert chart["too_small"].tolist() == [True, False, False]
    # the old rule would have pooled P0 with P1 (8 + 50)
    alone = p_chart(series([(8, 6, None), (50, 40, None)]), pool=True)
    assert alone["period"].tolist() == ["P0", "P1"]


def test_p_chart_latest_period_provisional():
    # weekly periods P0..P3 end 01-12, 01-19, 01-26, 02-02; as of 02-05 the inference window
    # starts 01-15: P1 (ends 01-19) ... P3 reach into it
    rows = [(20, 18, None), (20, 19, None), (20, 2, None), (20, 1, None)]
    chart = p_chart(series(rows), as_of=date(2025, 2, 5))
    assert chart["provisional"].tolist() == [False, True, True, True]
    assert not chart["signal"].any()          # 2/20 and 1/20 are not judged
    assert chart["p_bar"].iloc[0] == pytest.approx(18 / 20)  # from settled periods only
    assert not chart["too_small"].iloc[1:].any()  # provisional, not "too small"
    # as of a month later, P2 and P3 are settled and judged
    later = p_chart(series(rows), as_of=date(2025, 3, 5))
    assert not later["provisional"].any()
    assert later["p_bar"].iloc[0] == pytest.approx(40 / 80)
    # as of 02-20 the window starts 01-30: only the last period is provisional
    last = p_chart(series(rows), as_of=date(2025, 2, 20), pool=True)
    assert last["provisional"].tolist() == [False, False, False, True]
    assert last["p_bar"].iloc[0] == pytest.approx(39 / 60)


def test_conformance_series_version_change_inside_the_chart_window():
    periods = split("2025-02-24", "2025-03-16", "week")
    s = conformance_series(INVITATIONS, LABELS, REQUESTS, POLICY, periods)
    chart = p_chart(s)
    # v2 takes effect on 03-06, inside W10: W10 starts the v2 segment
    # (W10 belongs to the version in force at its end); W11 continues it
    assert chart["segment"].tolist() == [0, 1, 1]
    assert chart["baseline"].tolist() == ["v1", "v2", "v2"]
    # centre lines: v1 0/1 (W09); v2 (2 + 1) / (4 + 1)
    assert chart["p_bar"].tolist() == pytest.approx([0.0, 3 / 5, 3 / 5])


def test_decisions_leave_out_acknowledgements_and_unconfirmed_group_runs():
    msgs = pd.DataFrame(
        [(1, "g", ts("2025-03-04 09:00"), "inbound", "p1", None, "me, p2"),
         (2, "g", ts("2025-03-04 10:00"), "outbound", "me", None, "p1, p2"),
         (3, "g", ts("2025-03-05 09:00"), "inbound", "p2", None, "me, p1"),
         (4, "k", ts("2025-03-04 09:00"), "inbound", "p1", "p1", "me"),
         (5, "k", ts("2025-03-04 12:00"), "inbound", "p1", "p1", "me")],
        columns=["message_id", "conversation_id", "sent_at", "direction", "sender_key",
                 "counterpart_key", "recipient_urls"])
    reqs = requests(msgs)
    assert reqs["group"].tolist() == [True, True, False]
    labels = pd.DataFrame(
        [("relationship", "p1", "client", "confirmed"),
         ("relationship", "p2", "client", "confirmed"),
         ("handling", "g|2025-03-04T09:00:00Z", "answer", "inferred"),      # group: inferred
         ("handling", "g|2025-03-05T09:00:00Z", "refer", "confirmed"),      # group: adviser
         ("handling", "k|2025-03-04T09:00:00Z", "no_reply_needed", "confirmed")],
        columns=["kind", "subject", "value", "source"])
    d = decisions(None, labels, reqs, POLICY, WEEK)
    assert d["subject"].tolist() == ["g|2025-03-05T09:00:00Z"]
    assert d["conforming"].tolist() == [True]  # client under v1: refer or explain


def _decided(rows):
    return pd.DataFrame([{"relationship": r, "value": v} for r, v, n in rows for _ in range(n)])


def test_mix_by_relationship_sees_no_change_when_only_the_clientele_changed():
    # within each relationship the same shares (client 0.8/0.2, unknown 0.9/0.1); the
    # current window simply has more clients
    base = _decided([("client", "redirect", 8), ("client", "accept", 2),
                     ("unknown", "ignore", 27), ("unknown", "ask", 3)])
    cur = _decided([("client", "redirect", 16), ("client", "accept", 4),
                    ("unknown", "ignore", 9), ("unknown", "ask", 1)])
    r = decision_mix_by_relationship(cur, base, n_resamples=999, seed=4)
    assert r["chi_square"] == pytest.approx(0.0)
    assert r["p_value"] == 1.0
    assert r["js_distance"] == pytest.approx(0.0, abs=1e-7)
    assert r["composition"] == {"current": {"client": 20, "unknown": 10},
                                "baseline": {"client": 10, "unknown": 30}}
    assert r["strata"]["client"]["current"] == {"accept": 4, "ask": 0, "ignore": 0,
                                                "redirect": 16}
    assert r["categories"] == ["accept", "ask", "ignore", "redirect"]
    # the unstratified comparison reads the change of clientele as a change of practice
    pooled = decision_mix_shift(list(cur["value"]), list(base["value"]), seed=4,
                                method="homogeneity", n_resamples=999)
    assert pooled["p_value"] < 0.01


def test_mix_by_relationship_statistic_is_the_sum_of_the_strata():
    base = _decided([("client", "redirect", 12), ("client", "accept", 3),
                     ("colleague", "accept", 10), ("colleague", "ask", 2),
                     ("spam", "ignore", 4)])
    cur = _decided([("client", "redirect", 3), ("client", "accept", 9),
                    ("colleague", "accept", 6), ("colleague", "ask", 3),
                    ("personal", "accept", 2)])
    r = decision_mix_by_relationship(cur, base, n_resamples=1999, seed=7)
    expected = (stats.chi2_contingency([[9, 3], [3, 12]], correction=False).statistic
                + stats.chi2_contingency([[6, 3], [10, 2]], correction=False).statistic)
    assert r["chi_square"] == pytest.approx(expected)
    assert r["strata_compared"] == 2
    assert r["strata"]["spam"]["compared"] is False
    assert r["strata"]["personal"]["compared"] is False and r["strata"]["personal"][
        "js_distance"] is None
    assert 0 < r["p_value"] < 0.05   # clients moved from redirect to accept
    # standardised to the baseline's composition of the compared strata (15 clients,
    # 12 colleagues); categories accept, ask, ignore, redirect
    w = np.array([15, 12]) / 27
    cur_mix = w[0] * np.array([9, 0, 0, 3]) / 12 + w[1] * np.array([6, 3, 0, 0]) / 9
    base_mix = w[0] * np.array([3, 0, 0, 12]) / 15 + w[1] * np.array([10, 2, 0, 0]) / 12
    from scipy.spatial.distance import jensenshannon
    assert r["js_distance"] == pytest.approx(float(jensenshannon(cur_mix, base_mix, base=2)))
    assert 0 < r["js_noise_floor"] < 1
    again = decision_mix_by_relationship(cur, base, n_resamples=1999, seed=7)
    assert again == r
    empty = decision_mix_by_relationship(cur.iloc[:0], base)
    assert empty["p_value"] is None and empty["strata_compared"] == 0
