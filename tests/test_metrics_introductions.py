"""Introductions: outcome mix, unreviewed suggestions, "asked often", time to resolution."""

from __future__ import annotations

import pandas as pd
import pytest

from adviser_analytics.metrics.introductions import (
    OUTCOME_KEYS,
    asked_often,
    monthly_series,
    outcome_mix,
    outcomes,
    time_to_resolution,
)
from adviser_analytics.periods import Period
from adviser_analytics.policy import OUTCOMES


def intros(rows) -> pd.DataFrame:
    """rows: (id, requester, target, requested_on, resolved_on or None)."""
    frame = pd.DataFrame(
        [{"introduction_id": i, "requester_key": r, "target_key": t, "target_name": t.upper(),
          "requested_on": pd.Timestamp(on, tz="UTC"),
          "resolved_on": pd.Timestamp(res, tz="UTC") if res else pd.NaT}
         for i, r, t, on, res in rows],
        columns=["introduction_id", "requester_key", "target_key", "target_name",
                 "requested_on", "resolved_on"])
    for col in ("requested_on", "resolved_on"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def labels(rows) -> pd.DataFrame:
    return pd.DataFrame([{"kind": k, "subject": s, "value": v, "source": src}
                         for k, s, v, src in rows],
                        columns=["kind", "subject", "value", "source"])


INTROS = intros([
    (1, "a", "t1", "2025-03-01", "2025-03-11"),
    (2, "b", "t1", "2025-03-05", None),
    (3, "c", "t2", "2025-03-20", "2025-03-21"),
    (4, "d", "t2", "2025-03-31", None),
    (5, "e", "t1", "2025-04-01", "2025-04-05"),  # outside March
])
LABELS = labels([
    ("outcome", "1", "made", "confirmed"),
    ("outcome", "2", "explained", "suggested"),   # a rule's guess: still unreviewed
    ("outcome", "3", "met", "inferred"),
    ("outcome", "5", "no_response", "confirmed"),
    ("relationship", "a", "client", "confirmed"),  # other kinds are ignored
])
MARCH = Period.parse("2025-03-01", "2025-03-31")


def test_outcome_of_each_introduction():
    assert outcomes(INTROS, LABELS).tolist() == ["made", "unreviewed", "met", "unreviewed",
                                                 "no_response"]
    assert outcomes(INTROS, None).tolist() == ["unreviewed"] * 5
    no_outcomes = LABELS.loc[LABELS["kind"] != "outcome"]
    assert outcomes(INTROS, no_outcomes).tolist() == ["unreviewed"] * 5


def test_outcome_mix_counts_by_request_date_with_every_key():
    mix = outcome_mix(INTROS, LABELS, MARCH)
    assert mix["requests"] == 4
    assert list(mix["outcomes"]) == [*OUTCOMES, "unreviewed"] == list(OUTCOME_KEYS)
    assert mix["outcomes"] == {"made": 1, "explained": 0, "redirected": 0,
                               "target_declined": 0, "no_response": 0, "met": 1,
                               "pending": 0, "unreviewed": 2}
    assert sum(mix["outcomes"].values()) == mix["requests"]


def test_outcome_mix_empty():
    for frame in (INTROS.iloc[:0], None):
        mix = outcome_mix(frame, LABELS, MARCH)
        assert mix["requests"] == 0
        assert mix["outcomes"] == dict.fromkeys(OUTCOME_KEYS, 0)
    assert outcome_mix(INTROS, LABELS, Period.parse("2024-01-01", "2024-01-31"))["requests"] == 0


def test_asked_often_needs_more_than_the_threshold_in_the_window():
    rows = [(i, f"r{i}", "busy", f"2025-01-{10 + i:02d}", None) for i in range(4)]   # 4 asks
    rows += [(10 + i, f"s{i}", "ok", f"2025-01-{10 + i:02d}", None) for i in range(3)]  # 3
    frame = intros(rows)
    flagged = asked_often(frame, "2025-01-31")
    assert flagged["target_key"].tolist() == ["busy"]
    assert flagged.loc[0, "requests"] == 4 and flagged.loc[0, "requesters"] == 4
    assert flagged.loc[0, "target_name"] == "BUSY"
    assert asked_often(frame, "2025-01-31", threshold=2)["target_key"].tolist() == ["busy", "ok"]


def test_a_target_matched_to_nobody_is_keyed_as_a_person_key_by_name():
    """The same written name, however spaced or cased, is one target, keyed as
    ``people.person_key`` keys a person known only by name (so pseudonyms line up)."""
    from adviser_analytics.people import person_key

    frame = intros([(i, f"r{i}", "x", f"2025-01-{10 + i:02d}", None) for i in range(4)])
    frame["target_key"] = None
    frame["target_name"] = ["Jane  Smith", "jane smith", "JANE SMITH ", "Jane Smith"]
    flagged = asked_often(frame, "2025-01-31")
    assert flagged["target_key"].tolist() == [person_key(None, "Jane Smith")]
    assert flagged.loc[0, "requests"] == 4


def test_asked_often_window_is_days_up_to_and_including_end():
    # 90 days ending 2025-04-10 (inclusive) start on 2025-01-11
    rows = [(1, "a", "t", "2025-01-10", None),   # one day too early
            (2, "b", "t", "2025-01-11", None),   # first day of the window
            (3, "c", "t", "2025-02-01", None),
            (4, "d", "t", "2025-04-10", None),   # the end day itself
            (5, "e", "t", "2025-04-11", None)]   # after the end
    frame = intros(rows)
    assert asked_often(frame, "2025-04-10", threshold=2)["requests"].tolist() == [3]
    assert asked_often(frame, "2025-04-10").empty            # 3 is not more than 3
    assert asked_often(frame, "2025-04-10", days=91)["requests"].tolist() == [4]
    assert asked_often(frame.iloc[:0], "2025-04-10").empty


def test_time_to_resolution_median_days():
    result = time_to_resolution(INTROS, MARCH)
    assert result == {"resolved": 2, "median_days": pytest.approx((10 + 1) / 2)}
    assert time_to_resolution(INTROS, Period.parse("2025-03-05", "2025-03-05")) == \
        {"resolved": 0, "median_days": None}


def test_monthly_series():
    series = monthly_series(INTROS, LABELS, "2025-03-01", "2025-05-31")
    assert series["period"].tolist() == ["2025-03", "2025-04", "2025-05"]
    assert series["requests"].tolist() == [4, 1, 0]
    assert series["unreviewed"].tolist() == [2, 0, 0]
    assert series["no_response"].tolist() == [0, 1, 0]
    assert list(series.columns[4:]) == list(OUTCOME_KEYS)
