"""Periods, request episodes and response load, checked against hand-computed cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from adviser_analytics.metrics.episodes import requests
from adviser_analytics.metrics.load import (
    load,
    load_series,
    reply_hours,
    weekday_hour_counts,
    working_hours_between,
)
from adviser_analytics.periods import Period, parse_date, split
from adviser_analytics.policy import WorkingHours, load_policy

ME = "me"


def msgs(rows) -> pd.DataFrame:
    """rows: (conversation, 'YYYY-MM-DD HH:MM' UTC, 'in'|'out', sender[, counterpart])."""
    out = []
    for i, row in enumerate(rows):
        conv, when, direction, sender = row[:4]
        counterpart = row[4] if len(row) > 4 else (sender if direction == "in" else None)
        out.append({
            "message_id": i + 1, "conversation_id": conv,
            "sent_at": pd.Timestamp(when, tz="UTC"),
            "direction": "inbound" if direction == "in" else "outbound",
            "sender_key": sender, "counterpart_key": counterpart,
        })
    frame = pd.DataFrame(out, columns=["message_id", "conversation_id", "sent_at", "direction",
                                       "sender_key", "counterpart_key"])
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    return frame


POLICY = load_policy("""\
versions:
  - name: v1
    effective_from: 2025-01-01
    minutes_per_reply: 6
    minutes_per_week: 70
    reply_within_days: 2
    working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/London}
  - name: v2
    effective_from: 2025-03-06
    minutes_per_reply: 10
    minutes_per_week: 140
    reply_within_days: 5
""")
LONDON = WorkingHours(days=(0, 1, 2, 3, 4), start=POLICY.versions[0].working_hours.start,
                      end=POLICY.versions[0].working_hours.end, timezone="Europe/London")


# ---------------------------------------------------------------------------------------
# periods


def test_period_basics():
    p = Period.parse("2025-03-03", "2025-03-09")
    assert p.start_ts == pd.Timestamp("2025-03-03T00:00:00Z")
    assert p.end_exclusive_ts == pd.Timestamp("2025-03-10T00:00:00Z")
    assert p.days == 7 and p.weeks == 1
    assert p.label == "2025-03-03 to 2025-03-09"
    assert p.contains(pd.Timestamp("2025-03-09T23:59:59Z"))
    assert not p.contains(pd.Timestamp("2025-03-10T00:00:00Z"))
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2025, 3, 9), date(2025, 3, 1))


@pytest.mark.parametrize("text", ["2025-13-01", "2025-02-30", "01/02/2025", "", "2025-1-1"])
def test_parse_date_errors_are_clear(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD|calendar date"):
        parse_date(text, what="--from")


def test_split_weeks_are_iso_and_clipped():
    weeks = split("2025-03-05", "2025-03-20", "week")  # a Wednesday to a Thursday
    assert [(w.start, w.end, w.label) for w in weeks] == [
        (date(2025, 3, 5), date(2025, 3, 9), "2025-W10"),
        (date(2025, 3, 10), date(2025, 3, 16), "2025-W11"),
        (date(2025, 3, 17), date(2025, 3, 20), "2025-W12"),
    ]
    # ISO year: 2024-12-30 is in week 1 of 2025
    assert split("2024-12-30", "2025-01-05", "week")[0].label == "2025-W01"


def test_split_months_and_single():
    months = split("2025-01-15", "2025-03-10", "month")
    assert [(m.start, m.end, m.label) for m in months] == [
        (date(2025, 1, 15), date(2025, 1, 31), "2025-01"),
        (date(2025, 2, 1), date(2025, 2, 28), "2025-02"),
        (date(2025, 3, 1), date(2025, 3, 10), "2025-03"),
    ]
    assert split("2025-01-15", "2025-03-10") == [Period(date(2025, 1, 15), date(2025, 3, 10))]
    with pytest.raises(ValueError, match="unknown period length"):
        split("2025-01-01", "2025-02-01", "fortnight")


def test_split_default_terms():
    terms = split("2025-08-15", "2026-04-10", "term")
    assert [(t.start, t.end, t.label) for t in terms] == [
        (date(2025, 8, 15), date(2025, 8, 31), "Summer 2025"),
        (date(2025, 9, 1), date(2025, 12, 31), "Autumn 2025"),
        (date(2026, 1, 1), date(2026, 3, 31), "Spring 2026"),
        (date(2026, 4, 1), date(2026, 4, 10), "Summer 2026"),
    ]


def test_split_custom_terms_with_gaps():
    custom = [("Michaelmas", "2025-10-06", "2025-12-05"), ("Lent", "2026-01-19", "2026-03-20")]
    terms = split("2025-10-01", "2026-01-31", "term", terms=custom)
    assert [(t.start, t.end, t.label) for t in terms] == [
        (date(2025, 10, 1), date(2025, 10, 5), "Between terms"),
        (date(2025, 10, 6), date(2025, 12, 5), "Michaelmas"),
        (date(2025, 12, 6), date(2026, 1, 18), "Between terms"),
        (date(2026, 1, 19), date(2026, 1, 31), "Lent"),
    ]
    recurring = [("Autumn", "09-15", "12-15"), ("Winter", "12-16", "09-14")]  # wraps the year
    labels = [t.label for t in split("2025-12-01", "2026-10-01", "term", terms=recurring)]
    assert labels == ["Autumn 2025", "Winter 2025", "Autumn 2026"]
    with pytest.raises(ValueError, match="overlap"):
        split("2025-01-01", "2025-12-31", "term", terms=[("A", "01-01", "06-30"),
                                                         ("B", "06-01", "12-31")])


# ---------------------------------------------------------------------------------------
# episodes


def test_episodes_basic_and_reply():
    m = msgs([
        ("c1", "2025-03-03 09:00", "in", "a"),
        ("c1", "2025-03-03 10:00", "in", "a"),
        ("c1", "2025-03-04 09:00", "out", ME, "a"),
        ("c1", "2025-03-04 09:30", "out", ME, "a"),
        ("c1", "2025-03-05 12:00", "in", "a"),
        ("c2", "2025-03-01 08:00", "out", ME, "b"),  # the owner writes first: no request
        ("c2", "2025-03-02 08:00", "in", "b"),
    ])
    e = requests(m.sample(frac=1, random_state=3))  # input order does not matter
    assert list(e.columns[:6]) == ["conversation_id", "started_at", "counterpart_key",
                                   "inbound_messages", "last_inbound_at", "replied_at"]
    rows = e.set_index("request_key")
    assert list(rows.index) == ["c1|2025-03-03T09:00:00Z", "c1|2025-03-05T12:00:00Z",
                                "c2|2025-03-02T08:00:00Z"]
    first = rows.loc["c1|2025-03-03T09:00:00Z"]
    assert first["inbound_messages"] == 2
    assert first["replied_at"] == pd.Timestamp("2025-03-04 09:00", tz="UTC")
    assert first["last_inbound_at"] == pd.Timestamp("2025-03-03 10:00", tz="UTC")
    assert pd.isna(rows.loc["c1|2025-03-05T12:00:00Z", "replied_at"])
    assert pd.isna(rows.loc["c2|2025-03-02T08:00:00Z", "replied_at"])
    assert str(e["started_at"].dtype) == "datetime64[ns, UTC]"


def test_group_conversation_is_one_episode():
    m = msgs([
        ("g", "2025-03-03 09:00", "in", "a", None),
        ("g", "2025-03-03 09:05", "in", "b", None),
        ("g", "2025-03-03 09:10", "in", "c", None),
        ("g", "2025-03-03 11:00", "out", ME, None),
    ])
    e = requests(m)
    assert len(e) == 1
    assert e.loc[0, "inbound_messages"] == 3
    assert e.loc[0, "counterpart_key"] == "a"  # no counterpart: the first sender


def test_episodes_only_from_given_rows():
    """Drafts and system rows are not in the input frame, so they cannot split an episode
    or pose as a reply; the function trusts the rows it is given."""
    rows = [
        ("c", "2025-03-03 09:00", "in", "a"),
        ("c", "2025-03-03 09:30", "out", ME, "a"),  # a draft, excluded upstream
        ("c", "2025-03-03 10:00", "in", "a"),
        ("c", "2025-03-04 10:00", "out", ME, "a"),
    ]
    with_draft = requests(msgs(rows))
    assert len(with_draft) == 2  # had the draft been passed, it would count as a reply
    without = requests(msgs(rows).drop(index=1))
    assert len(without) == 1
    assert without.loc[0, "inbound_messages"] == 2
    assert without.loc[0, "replied_at"] == pd.Timestamp("2025-03-04 10:00", tz="UTC")


def test_same_second_messages_keep_the_conversations_order():
    """REVISED (domain.md): LinkedIn writes newest first, so within one second the row with
    the higher message_id (stored later, further down the file) is the earlier message."""
    m = msgs([
        ("c", "2025-03-03 09:00", "in", "a"),          # id 1: newest of the three
        ("c", "2025-03-03 09:00", "out", ME, "a"),     # id 2
        ("c", "2025-03-03 09:00", "in", "a"),          # id 3: the first
    ])
    e = requests(m)
    assert e["inbound_messages"].tolist() == [1, 1]
    assert e.loc[0, "replied_at"] == pd.Timestamp("2025-03-03 09:00", tz="UTC")
    assert pd.isna(e.loc[1, "replied_at"])


def test_same_second_question_and_reply_as_linkedin_writes_them():
    """The file (newest first): reply at line 2, question at line 3, both 10:00:05."""
    m = msgs([
        ("c", "2025-03-03 10:00:05", "out", ME, "a"),
        ("c", "2025-03-03 10:00:05", "in", "a"),
    ])
    m["line"] = [2, 3]
    e = requests(m.iloc[::-1])  # the row order given does not matter
    assert len(e) == 1
    assert e.loc[0, "replied_at"] == pd.Timestamp("2025-03-03 10:00:05", tz="UTC")
    assert e.loc[0, "opened_by_them"]
    # without line numbers, message ids in file order say the same
    m2 = m.drop(columns="line").assign(message_id=[10, 11])
    assert requests(m2).loc[0, "replied_at"] == pd.Timestamp("2025-03-03 10:00:05", tz="UTC")
    # the line beats the message id when both are there
    m3 = m.assign(message_id=[11, 10])
    assert requests(m3).loc[0, "replied_at"] == pd.Timestamp("2025-03-03 10:00:05", tz="UTC")


def test_no_messages_no_episodes():
    assert requests(msgs([])).empty
    assert list(requests(msgs([])).columns) == list(requests(msgs(
        [("c", "2025-03-03 09:00", "in", "a")])).columns)
    assert requests(msgs([("c", "2025-03-03 09:00", "out", ME, "a")])).empty


# ---------------------------------------------------------------------------------------
# load

# Week 2025-03-03 (Mon) .. 2025-03-09 (Sun)
WEEK = Period.parse("2025-03-03", "2025-03-09")
NEXT = Period.parse("2025-03-10", "2025-03-16")
CASE = msgs([
    ("c1", "2025-03-03 09:00", "in", "a"),          # request 1, answered after 24 h
    ("c1", "2025-03-03 10:00", "in", "a"),
    ("c1", "2025-03-04 09:00", "out", ME, "a"),
    ("c2", "2025-03-07 16:00", "in", "b"),          # request 2, answered after the week: 66 h
    ("c2", "2025-03-10 10:00", "out", ME, "b"),
    ("c3", "2025-03-09 12:00", "in", "c"),          # request 3, never answered
    ("c4", "2025-02-20 12:00", "in", "d"),          # before the week, answered in it: 288 h
    ("c4", "2025-03-05 12:00", "out", ME, "d"),
    ("c5", "2025-03-08 08:00", "in", "e"),          # request 4, answered in 2 h
    ("c5", "2025-03-08 10:00", "out", ME, "e"),
])


def test_load_hand_computed():
    result = load(CASE, WEEK)
    assert result["inbound_messages"] == 5
    assert result["requests"] == 4
    assert result["answered_requests"] == 3  # c2's reply after the week still counts
    assert result["reply_rate"] == pytest.approx(3 / 4)
    hours = [24.0, 66.0, 2.0]
    assert result["first_reply_hours_median"] == pytest.approx(24.0)
    assert result["first_reply_hours_p90"] == pytest.approx(float(np.percentile(hours, 90)))
    assert result["first_reply_hours_p90"] == pytest.approx(57.6)  # 24 + 0.8 * (66 - 24)
    # at 2025-03-10 00:00: c2 (open since Fri 16:00) and c3 (since Sun 12:00) wait
    assert result["waiting"] == 2 and result["lapsed"] == 0  # both within 30 days
    assert result["waiting_oldest_days"] == pytest.approx(2 + 8 / 24)
    assert "backlog" not in result  # the retired alias is gone
    # without a policy: no time estimates
    assert result["minutes_spent_estimate"] is None
    assert result["minutes_budget"] is None
    assert result["first_reply_working_hours_median"] is None


def test_episode_spanning_two_periods():
    # REVISED: the data reach 2025-03-31 (else the newest message's day, 03-10, would cut
    # NEXT short)
    week, nxt = load(CASE, WEEK, data_to=date(2025, 3, 31)), \
        load(CASE, NEXT, data_to=date(2025, 3, 31))
    # c2 started in WEEK: a request of WEEK (answered), waiting at WEEK's end only
    assert nxt["requests"] == 0
    assert nxt["reply_rate"] is None
    assert nxt["first_reply_hours_median"] is None
    assert nxt["waiting"] == 1  # c3 only
    assert nxt["waiting_oldest_days"] == pytest.approx(7 + 12 / 24)
    assert week["waiting"] == 2


def test_p90_matches_numpy_on_many_values():
    rng = np.random.default_rng(5)
    rows = []
    for i in range(37):
        start = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(minutes=int(rng.integers(0, 5000)))
        reply = start + pd.Timedelta(minutes=int(rng.integers(1, 20000)))
        rows += [(f"c{i}", str(start), "in", f"p{i}"), (f"c{i}", str(reply), "out", ME, f"p{i}")]
    m = msgs(rows)
    result = load(m, Period.parse("2025-03-01", "2025-03-31"))
    hours = reply_hours(requests(m))
    assert len(hours) == 37
    assert result["first_reply_hours_p90"] == pytest.approx(np.percentile(hours, 90))
    assert result["first_reply_hours_median"] == pytest.approx(np.median(hours))


def test_period_without_data_gives_nulls_not_zeros():
    # REVISED: a quiet period the data cover gives zeros; one they do not cover, nulls
    empty = load(msgs([]), WEEK, POLICY, data_to=date(2025, 3, 20))
    assert empty["coverage"] == {"data_to": date(2025, 3, 20), "as_of": date(2025, 3, 9),
                                 "complete": True}
    assert empty["inbound_messages"] == 0 and empty["requests"] == 0
    assert empty["answered_requests"] == 0 and empty["waiting"] == 0 and empty["lapsed"] == 0
    for key in ("reply_rate", "first_reply_hours_median", "first_reply_hours_p90",
                "waiting_oldest_days", "first_reply_working_hours_median",
                "first_reply_working_hours_p90", "within_target_rate"):
        assert empty[key] is None, key
    assert empty["due_requests"] == 0
    assert empty["minutes_spent_estimate"] == 0.0  # no owner messages at 6 minutes each
    quiet = load(CASE, Period.parse("2025-03-24", "2025-03-30"), data_to=date(2025, 4, 30))
    assert quiet["requests"] == 0 and quiet["reply_rate"] is None
    assert quiet["waiting"] == 1  # c3 (since 03-09 12:00) is still waiting, 21.5 days
    assert quiet["waiting_oldest_days"] == pytest.approx(21.5)
    unknown = load(msgs([]), WEEK, POLICY)  # no data and no export date: nothing to say
    assert unknown["coverage"]["as_of"] is None
    assert all(unknown[k] is None for k in unknown if k != "coverage")


def test_minutes_with_a_policy_version_switch_mid_period():
    # v1 (6 min, 70/week) until 2025-03-05, v2 (10 min, 140/week) from 2025-03-06
    result = load(CASE, WEEK, POLICY)
    # owner messages in the week: 03-04 (v1), 03-05 (v1), 03-08 (v2) -> 6 + 6 + 10
    assert result["minutes_spent_estimate"] == pytest.approx(22.0)
    # 3 days of v1 at 10/day and 4 days of v2 at 20/day
    assert result["minutes_budget"] == pytest.approx(3 * 10 + 4 * 20)
    # reply targets by the version at each request's start: c1 (v1, 2 d): 1 d, yes;
    # c2 (v2, 5 d): 2.75 d, yes; c5 (v2): yes
    assert result["answered_within_target"] == 3


def test_minutes_before_the_first_version_use_the_first_version():
    result = load(msgs([("c", "2024-12-02 10:00", "in", "a"), ("c", "2024-12-02 11:00", "out",
                                                                  ME, "a")]),
                  Period.parse("2024-12-02", "2024-12-08"), POLICY, data_to="2024-12-31")
    assert result["minutes_spent_estimate"] == pytest.approx(6.0)
    assert result["minutes_budget"] == pytest.approx(70.0)


def test_minutes_null_when_a_version_lacks_the_number():
    policy = load_policy("versions:\n  - name: a\n    effective_from: 2025-01-01\n")
    result = load(CASE, WEEK, policy)
    assert result["minutes_spent_estimate"] is None
    assert result["minutes_budget"] is None
    assert result["first_reply_working_hours_median"] is None


# ---------------------------------------------------------------------------------------
# the working-hours clock


def ts(text: str) -> pd.Series:
    return pd.Series([pd.Timestamp(text, tz="UTC")])


@pytest.mark.parametrize("start,end,hours", [
    # same day, inside hours (London is on GMT in February)
    ("2025-02-03 10:00", "2025-02-03 12:30", 2.5),
    # evening request, answered next morning: only 09:00-10:00 counts
    ("2025-02-03 20:00", "2025-02-04 10:00", 1.0),
    # across a weekend: Fri 16:00-17:00 and Mon 09:00-10:00
    ("2025-02-07 16:00", "2025-02-10 10:00", 2.0),
    # sent and answered on a Saturday: no working time
    ("2025-02-08 10:00", "2025-02-08 15:00", 0.0),
    # a full working week: Mon 09:00 to next Mon 09:00
    ("2025-02-03 09:00", "2025-02-10 09:00", 40.0),
    # spring forward (30 Mar 2025): Fri 16:00 GMT -> 1 h; Mon 10:00 UTC = 11:00 BST -> 2 h
    ("2025-03-28 16:00", "2025-03-31 10:00", 3.0),
    # fall back (26 Oct 2025): Fri 16:00 UTC = 17:00 BST -> 0 h; Mon 10:00 UTC = GMT -> 1 h
    ("2025-10-24 16:00", "2025-10-27 10:00", 1.0),
    # in summer 09:00 London is 08:00 UTC
    ("2025-06-02 07:00", "2025-06-02 09:00", 1.0),
])
def test_working_hours_clock(start, end, hours):
    assert working_hours_between(ts(start), ts(end), LONDON)[0] == pytest.approx(hours)


def test_working_hours_clock_missing_reply_is_nan():
    out = working_hours_between(pd.concat([ts("2025-02-03 10:00"), ts("2025-02-03 10:00")]),
                                pd.concat([ts("2025-02-03 11:00"), pd.Series([pd.NaT])]),
                                LONDON)
    assert out[0] == pytest.approx(1.0) and np.isnan(out[1])


def test_working_hours_in_load_are_reported_beside_calendar_hours():
    m = msgs([
        ("c1", "2025-02-07 16:00", "in", "a"), ("c1", "2025-02-10 10:00", "out", ME, "a"),
        ("c2", "2025-02-03 20:00", "in", "b"), ("c2", "2025-02-04 10:00", "out", ME, "b"),
    ])
    result = load(m, Period.parse("2025-02-03", "2025-02-09"), POLICY)
    assert result["first_reply_hours_median"] == pytest.approx((66 + 14) / 2)
    assert result["first_reply_working_hours_median"] == pytest.approx(1.5)
    assert result["first_reply_working_hours_p90"] == pytest.approx(1.0 + 0.9 * 1.0)


# ---------------------------------------------------------------------------------------
# series and heatmap


def test_load_series_one_row_per_iso_week():
    series = load_series(CASE, "2025-03-01", "2025-03-16", POLICY)
    assert series["period"].tolist() == ["2025-W09", "2025-W10", "2025-W11"]
    assert series["start"].tolist() == [date(2025, 3, 1), date(2025, 3, 3), date(2025, 3, 10)]
    assert series["requests"].tolist() == [0, 4, 0]
    assert series["waiting"].tolist() == [1, 2, 1]
    assert series["complete"].tolist() == [True, True, False]  # the data end on 03-10
    assert series.loc[1, "minutes_spent_estimate"] == pytest.approx(22.0)


def test_weekday_hour_counts():
    counts = weekday_hour_counts(CASE, WEEK)
    assert counts.shape == (7, 24)
    assert counts.to_numpy().sum() == 5
    assert counts.loc["Mon", 9] == 1 and counts.loc["Mon", 10] == 1
    assert counts.loc["Sun", 12] == 1
    summer = msgs([("c", "2025-06-02 08:30", "in", "a")])
    local = weekday_hour_counts(summer, Period.parse("2025-06-01", "2025-06-30"),
                                "Europe/London")
    assert local.loc["Mon", 9] == 1  # 08:30 UTC is 09:30 BST
    assert weekday_hour_counts(msgs([]), WEEK).to_numpy().sum() == 0


# ---------------------------------------------------------------------------------------
# the revised response load (domain.md, "Response load", revised): hand-computed

POLICY2 = load_policy("""\
versions:
  - name: v1
    effective_from: 2025-01-01
    minutes_per_reply: 6
    reply_within_days: 2
    waiting_window_days: 10
  - name: v2
    effective_from: 2025-03-06
    minutes_per_reply: 10
    reply_within_days: 5
""")
REAL = msgs([
    ("c1", "2025-03-03 09:00", "in", "a"),           # one-to-one, answered after 24 h
    ("c1", "2025-03-04 09:00", "out", ME, "a"),
    ("c2", "2025-03-01 08:00", "out", ME, "b"),      # the owner opened it
    ("c2", "2025-03-07 16:00", "in", "b"),           # a request in your thread, unanswered
    ("g", "2025-03-04 10:00", "in", "x", None),      # a group (x, y and the owner)
    ("g", "2025-03-04 10:05", "in", "x", None),
    ("g", "2025-03-04 12:00", "out", ME, None),
    ("g", "2025-03-06 09:00", "in", "x", None),      # group chat, no label: context
    ("c3", "2025-03-05 10:00", "in", "d"),           # "thanks!": no_reply_needed
    ("c4", "2025-01-10 12:00", "in", "e"),           # old and never answered
    ("c5", "2025-03-08 10:00:05", "out", ME, "f"),   # LinkedIn's order: the reply first,
    ("c5", "2025-03-08 10:00:05", "in", "f"),        # the question below it, same second
    ("c6", "2025-02-20 12:00", "in", "h"),           # unanswered since February
])
REAL["recipient_urls"] = ["me", "a", "b", "me", "me, y", "me,y", "x;y", "me, y", "me", "me",
                          "f", "me", "me"]
REAL_LABELS = pd.DataFrame({
    "kind": ["handling", "handling", "handling", "relationship"],
    "subject": ["g|2025-03-04T10:00:00Z", "c3|2025-03-05T10:00:00Z",
                "g|2025-03-06T09:00:00Z", "x"],
    "value": ["answer", "no_reply_needed", "answer", "colleague"],
    # the second group run's answer is only inferred: not the adviser's word
    "source": ["confirmed", "suggested", "inferred", "confirmed"],
})
DATA_TO = date(2025, 3, 20)


def real(period: Period, data_to=DATA_TO, labels=REAL_LABELS, policy=POLICY2) -> dict:
    return load(REAL, period, policy, labels=labels, data_to=data_to)


def test_episodes_know_groups_and_who_opened():
    e = requests(REAL).set_index("request_key")
    assert e.loc["g|2025-03-04T10:00:00Z", "group"]  # one writer, two recipients named
    assert not e.loc["c1|2025-03-03T09:00:00Z", "group"]
    assert e.loc["c1|2025-03-03T09:00:00Z", "opened_by_them"]
    assert not e.loc["c2|2025-03-07T16:00:00Z", "opened_by_them"]
    assert e.loc["c5|2025-03-08T10:00:05Z", "replied_at"] == pd.Timestamp(
        "2025-03-08 10:00:05", tz="UTC")


def test_revised_load_of_a_covered_week():
    r = real(WEEK)
    assert r["coverage"] == {"data_to": DATA_TO, "as_of": date(2025, 3, 9), "complete": True}
    assert r["inbound_messages"] == 7          # c1, c2, g x3, c3, c5
    assert r["group_messages"] == 3
    # requests: c1, c2, g's first run (confirmed), c5; not g's second run, not c3's thanks
    assert r["requests"] == 4
    assert r["requests_opened_by_them"] == 3 and r["requests_in_your_threads"] == 1
    assert r["answered_requests"] == 3 and r["reply_rate"] == pytest.approx(0.75)
    # reply hours 24 (c1), 2 (g), 0 (c5, same second): median 2, p90 2 + 0.8 * 22
    assert r["first_reply_hours_median"] == pytest.approx(2.0)
    assert r["first_reply_hours_p90"] == pytest.approx(19.6)
    # targets by the version at each start: c1, g (v1: 2 days) met; c2 (v2: 5 days, due
    # 03-12 16:00) missed; c5 (v2) met
    assert r["due_requests"] == 4 and r["within_target_rate"] == pytest.approx(0.75)
    # at the end of 03-09 (window of v2: 30 days): c2 (2 d 8 h) and c6 (17.5 d) wait,
    # c6 past its 2-day target (v1 at its start); c4 (58.5 d) has lapsed
    assert r["waiting"] == 2
    assert r["waiting_oldest_days"] == pytest.approx(17.5)
    assert r["overdue"] == 1 and r["lapsed"] == 1
    # owner messages in the week: c1 and g on 03-04 (v1: 6 min), c5 on 03-08 (v2: 10)
    assert r["minutes_spent_estimate"] == pytest.approx(22.0)
    assert r["within_target"] == 3  # 0.75 of the 4 due: the count the report quotes
    assert "backlog" not in r and "backlog_oldest_days" not in r


def test_waiting_window_of_the_version_in_force_on_as_of():
    # as of 03-05 (v1: window 10 days): c6 (14.5 days) and c4 have lapsed; nothing waits
    r = real(Period.parse("2025-03-01", "2025-03-05"))
    assert r["waiting"] == 0 and r["waiting_oldest_days"] is None
    assert r["lapsed"] == 2 and r["overdue"] == 0


def test_as_of_after_the_data_end_and_straddling_it():
    later = real(Period.parse("2025-03-10", "2025-03-16"))
    assert later["coverage"]["complete"] and later["requests"] == 0
    assert later["waiting"] == 2 and later["overdue"] == 2  # c2 now 9 d 8 h > 5 days
    straddling = real(Period.parse("2025-03-17", "2025-03-31"))
    assert straddling["coverage"] == {"data_to": DATA_TO, "as_of": DATA_TO, "complete": False}
    assert straddling["requests"] == 0 and straddling["inbound_messages"] == 0
    # at the end of 03-20: c2 13 d 8 h, c6 (02-20 12:00 to 03-21 00:00) 28.5 days: both
    # within the 30-day window
    assert straddling["waiting"] == 2
    assert straddling["waiting_oldest_days"] == pytest.approx(28.5)
    after = real(Period.parse("2025-04-01", "2025-04-30"))
    assert after["coverage"] == {"data_to": DATA_TO, "as_of": None, "complete": False}
    assert all(after[k] is None for k in after if k != "coverage")


def test_replies_counted_up_to_the_data_end():
    # data to 03-12: c5's deadline (03-13 10:00:05) is still ahead, so it is not due yet;
    # c2's (03-12 16:00) falls on 03-12: due, and missed
    r = real(WEEK, data_to=date(2025, 3, 12))
    assert r["due_requests"] == 3 and r["within_target_rate"] == pytest.approx(2 / 3)
    cut = real(Period.parse("2025-03-03", "2025-03-31"), data_to=date(2025, 3, 12))
    assert cut["coverage"]["complete"] is False and cut["requests"] == 4


def test_labels_decide_group_runs_and_acknowledgements():
    bare = real(WEEK, labels=None)
    # without labels: g's first run is group context; c3's thanks is a request
    assert bare["requests"] == 4          # c1, c2, c3, c5
    assert bare["answered_requests"] == 2  # c1, c5
    assert bare["waiting"] == 3           # c2, c3, c6
    confirmed_ack_only = REAL_LABELS.iloc[[1]]
    assert real(WEEK, labels=confirmed_ack_only)["requests"] == 3


def test_no_policy_no_targets_and_the_default_window():
    r = real(WEEK, policy=None)
    assert r["due_requests"] is None and r["within_target_rate"] is None
    assert r["overdue"] is None and r["minutes_spent_estimate"] is None
    assert r["waiting"] == 2 and r["lapsed"] == 1  # window 30 days


def test_compute_metrics_and_the_contract_json():
    from adviser_analytics.metrics import compute_metrics, to_contract

    full = compute_metrics(REAL, None, REAL_LABELS, None, POLICY2, WEEK, data_to=DATA_TO)
    assert full["coverage"] == {"data_to": "2025-03-20", "as_of": "2025-03-09",
                                "complete": True}
    assert full["load"]["waiting"] == 2 and "backlog" not in full["load"]
    out = to_contract(full)
    assert list(out) == ["period", "coverage", "load", "introductions", "policy"]
    assert list(out["load"]) == [
        "inbound_messages", "requests", "requests_opened_by_them", "requests_in_your_threads",
        "group_messages", "answered_requests", "reply_rate", "first_reply_hours_median",
        "first_reply_hours_p90", "due_requests", "within_target_rate", "waiting",
        "waiting_oldest_days", "overdue", "lapsed", "minutes_spent_estimate",
        "minutes_budget", "first_reply_working_hours_median", "first_reply_working_hours_p90"]
    assert "backlog" not in out["load"] and "backlog_oldest_days" not in out["load"]
    assert out["load"]["waiting_oldest_days"] == 17.5
    after = to_contract(compute_metrics(REAL, None, REAL_LABELS, None, POLICY2,
                                        Period.parse("2025-04-01", "2025-04-30"),
                                        data_to=DATA_TO))
    assert after["coverage"]["as_of"] is None
    assert all(v is None for v in after["load"].values())


def test_metrics_command_text_says_what_the_data_cover():
    from adviser_analytics.cli.metrics import metrics_text as _metrics_text
    from adviser_analytics.metrics import compute_metrics, to_contract

    def text(period):
        return _metrics_text(to_contract(compute_metrics(REAL, None, REAL_LABELS, None, POLICY2,
                                                         period, data_to=DATA_TO)))

    week = text(WEEK)
    assert "requests for help: 4 (3 in conversations they started, 1 in conversations you " \
           "started), answered: 3 (75%)" in week
    assert "Waiting on 2025-03-09: 2 requests, the oldest 17.5 days, 1 past your reply " \
           "aim; 1 older unanswered request let go" in week
    assert "answered within your aim: 75% of 4 due" in week
    assert "so far" not in week
    cut = text(Period.parse("2025-03-17", "2025-03-31"))
    assert "Your newest export is from 2025-03-20: figures so far, as of 2025-03-20." in cut
    after = text(Period.parse("2025-04-01", "2025-04-30"))
    assert "starts after your newest export (2025-03-20)" in after
    assert "Waiting" not in after and "backlog" not in after
