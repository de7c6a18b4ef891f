"""The value measures (metrics/values.py) on small hand-made frames, expectations by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from adviser_analytics.metrics import values
from adviser_analytics.policy import load_policy

T = pd.Timestamp


def utc(text: str) -> pd.Timestamp:
    return T(text, tz="UTC")


def labels(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "subject", "value", "source"])


# ---------------------------------------------------------------------- invitations
def invitation_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "invitation_id": [1, 2, 3, 4, 5, 6, 7],
        "direction": ["incoming", "incoming", "incoming", "incoming", "incoming", "outgoing",
                      "incoming"],
        "sent_at": [utc("2026-01-02 10:00"), utc("2026-01-03 10:00"), utc("2026-01-04 10:00"),
                    utc("2026-01-05 10:00"), utc("2026-01-31 23:59"), utc("2026-01-06 10:00"),
                    utc("2026-02-01 00:00")],
        "message": ["We met at the fair", "Hello, I'm in your seminar", "   ", None, "Hi!",
                    "Outgoing note", "After the period"],
    })


def test_personal_invitations_counts_shares_and_decisions():
    lab = labels([
        ("decision", "1", "accept", "confirmed"),
        ("decision", "2", "accept", "suggested"),
        ("decision", "5", "pending", "inferred"),
        ("decision", "3", "ignore", "inferred"),
        ("decision", "4", "accept", "inferred"),
        ("decision", "6", "accept", "confirmed"),   # outgoing: not counted
        ("decision", "7", "ignore", "confirmed"),   # after the period
        ("relationship", "1", "client", "confirmed"),
    ])
    out = values.personal_invitations(invitation_frame(), lab, "2026-01-01", "2026-01-31")
    # incoming in January: 1..5; with a message: 1, 2, 5 (3 is blank)
    assert out["incoming"] == 5
    assert out["with_message"] == 3
    assert out["share_with_message"] == pytest.approx(0.6)
    assert out["unreviewed"] == 1
    with_msg, without = out["with_message_decisions"], out["without_message_decisions"]
    assert with_msg["decided"] == 2 and with_msg["accepted"] == 2  # 5 is pending
    assert with_msg["decisions"] == {"accept": 2}
    assert without["decided"] == 2 and without["accepted"] == 1
    assert without["decisions"] == {"accept": 1, "ignore": 1}
    # Wilson 95 % for 1 of 2 (by hand: centre 0.5, half-width 0.4055)
    low, high = without["accepted_rate_ci95"]
    assert low == pytest.approx(0.0945, abs=1e-4) and high == pytest.approx(0.9055, abs=1e-4)


def test_personal_invitations_without_any():
    out = values.personal_invitations(invitation_frame().iloc[:0], None)
    assert out["incoming"] == 0 and out["share_with_message"] is None
    assert out["share_with_message_ci95"] is None
    assert out["with_message_decisions"]["accepted_rate"] is None


# ---------------------------------------------------------------------- working hours
POLICY = """
versions:
  - name: first
    effective_from: 2026-01-01
    minutes_per_reply: 6
    minutes_per_week: 20
    working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/London}
  - name: second
    effective_from: 2026-01-14
    minutes_per_reply: 5
    minutes_per_week: 30
"""


def messages(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sent_at", "direction", "counterpart_key"]).assign(
        sent_at=lambda f: pd.to_datetime(f["sent_at"], utc=True))


def test_out_of_hours_in_local_time_with_summer_time():
    hours = load_policy(POLICY).versions[0].working_hours
    m = messages([
        ("2026-01-05 08:59", "outbound", "a"),   # Monday 08:59 London: before start
        ("2026-01-05 09:00", "outbound", "a"),   # inside
        ("2026-01-05 16:59", "outbound", "a"),   # inside
        ("2026-01-05 17:00", "outbound", "a"),   # at the end: outside
        ("2026-01-10 12:00", "outbound", "a"),   # Saturday: outside and weekend
        ("2026-06-01 08:30", "outbound", "a"),   # 09:30 BST: inside
        ("2026-06-01 16:30", "outbound", "a"),   # 17:30 BST: outside
        ("2026-01-06 03:00", "inbound", "a"),    # theirs: not counted
        ("2026-07-01 03:00", "outbound", "a"),   # after the period
    ])
    out = values.out_of_hours_replies(m, hours, "2026-01-01", "2026-06-30")
    assert out["replies"] == 7
    assert out["outside_hours"] == 4
    assert out["outside_share"] == pytest.approx(4 / 7)
    assert out["weekend"] == 1
    assert out["weekend_share"] == pytest.approx(1 / 7)
    low, high = out["outside_share_ci95"]
    assert low < 4 / 7 < high


def test_weekly_minutes_follow_the_version_in_force():
    policy = load_policy(POLICY)
    m = messages([
        ("2026-01-05 10:00", "outbound", "a"), ("2026-01-06 10:00", "outbound", "a"),
        ("2026-01-07 10:00", "outbound", "a"), ("2026-01-11 23:00", "outbound", "a"),
        ("2026-01-12 10:00", "outbound", "a"),   # first version: 6 min
        ("2026-01-14 10:00", "outbound", "a"),   # second version: 5 min
        ("2026-01-15 10:00", "outbound", "a"),
        ("2026-01-13 10:00", "inbound", "a"),    # theirs
        ("2026-01-19 00:00", "outbound", "a"),   # the week after
    ])
    out = values.weekly_minutes(m, policy, "2026-01-07", "2026-01-18")
    weeks = out["weeks"]
    assert [w["week_start"] for w in weeks] == ["2026-01-05", "2026-01-12"]
    assert [w["replies"] for w in weeks] == [4, 3]
    assert [w["minutes"] for w in weeks] == [24.0, 16.0]
    assert [w["budget"] for w in weeks] == [20.0, 20.0]  # budget of the version on the Monday
    assert [w["over_budget"] for w in weeks] == [True, False]
    assert out["weeks_over_budget"] == 1
    assert out["median_minutes"] == 20.0 and out["max_minutes"] == 24.0


# ---------------------------------------------------------------------- introductions
def intro_frames(n_d: int = 1):
    intro = pd.DataFrame({
        "target_key": ["A", "A", "A", "B", "C"] + ["D"] * n_d,
        "target_name": ["Ann", "Ann", "Ann", "Bob", "Cy"] + ["Dee"] * n_d,
        "requested_on": pd.to_datetime(["2026-01-02"] * (5 + n_d), utc=True),
        "outcome": ["made", "met", "unreviewed", "explained", "made"] + ["pending"] * n_d,
    })
    people = pd.DataFrame({"person_key": ["A", "B", "C", "D"],
                           "company": ["Xco", "Xco", "Yco", None]})
    return intro, people


def test_introductions_per_contact_and_employer_with_concentration():
    intro, people = intro_frames()
    out = values.introductions_spread(intro, people)
    assert out["asked"] == 6 and out["brokered"] == 3
    assert out["unreviewed"] == 1  # Ann's third: no outcome recorded, neither made nor not
    assert out["employer_known"] == 5 and out["employer_unknown"] == 1
    assert out["per_contact"][0] == {"target_key": "A", "target_name": "Ann", "company": "Xco",
                                     "asked": 3, "brokered": 2}
    assert out["per_employer"] == [{"company": "Xco", "asked": 4, "brokered": 2, "unreviewed": 1},
                                   {"company": "Yco", "asked": 1, "brokered": 1, "unreviewed": 0}]
    assert out["top_employer"] == "Xco"
    assert out["top_employer_share"] == pytest.approx(0.8)
    assert out["hhi"] == pytest.approx(0.8 ** 2 + 0.2 ** 2)  # 0.68
    assert out["concentrated"] is True


def test_introductions_too_few_are_not_called_concentrated():
    intro, people = intro_frames()
    out = values.introductions_spread(intro.iloc[1:], people)  # 4 with a known employer
    assert out["employer_known"] == 4 and out["hhi"] == pytest.approx(0.75 ** 2 + 0.25 ** 2)
    assert out["concentrated"] is False


def test_introductions_period_filter():
    intro, people = intro_frames()
    intro.loc[0, "requested_on"] = utc("2025-12-31")
    out = values.introductions_spread(intro, people, "2026-01-01", "2026-01-31")
    assert out["asked"] == 5 and out["per_contact"][0]["asked"] == 2


# ---------------------------------------------------------------------- keep in touch
def test_keep_in_touch_lists_quiet_professional_connections():
    people = pd.DataFrame({
        "person_key": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "name": ["One", "Two", "Three", "Four", "Five", "Six"],
        "company": ["Co"] * 6, "position": ["Lead"] * 6,
        "is_connection": [True, True, True, True, False, True],
    })
    lab = labels([("relationship", k, r, "confirmed") for k, r in
                  [("p1", "professional"), ("p2", "professional"), ("p3", "professional"),
                   ("p4", "colleague"), ("p5", "professional"), ("p6", "professional")]])
    m = messages([
        ("2025-12-31 10:00", "inbound", "p1"),
        ("2025-06-01 10:00", "outbound", "p1"),
        ("2026-01-01 00:00", "outbound", "p2"),   # exactly at the start of the window: kept in touch
        ("2026-07-02 10:00", "inbound", "p6"),    # after as_of: does not count
    ])
    out = values.keep_in_touch(people, m, lab, "2026-06-30", months=6)
    assert out["since"] == "2026-01-01"
    # longest silence first; never spoken to last, by name (Six before Three)
    assert [p["person_key"] for p in out["people"]] == ["p1", "p6", "p3"]
    assert out["people"][0]["last_spoken"] == "2025-12-31"
    assert out["people"][0]["days_silent"] == 181
    assert out["people"][1]["last_spoken"] is None and out["people"][1]["days_silent"] is None
    both = values.keep_in_touch(people, m, lab, "2026-06-30", months=6,
                                relationships_kept=("professional", "colleague"))
    assert both["count"] == 4


def test_keep_in_touch_before_any_message():
    # a report of a month before the data (2010) stopped with "Cannot cast DatetimeArray to
    # dtype float64": no message before as_of, so nobody has a last message
    people = pd.DataFrame({"person_key": ["p1", "p2"], "name": ["One", "Two"],
                           "company": ["Co"] * 2, "position": ["Lead"] * 2,
                           "is_connection": [True, True]})
    lab = labels([("relationship", "p1", "professional", "confirmed"),
                  ("relationship", "p2", "professional", "confirmed")])
    m = messages([("2026-07-02 10:00", "inbound", "p1")])
    out = values.keep_in_touch(people, m, lab, "2010-01-31", months=6)
    assert [p["person_key"] for p in out["people"]] == ["p1", "p2"]
    assert all(p["last_spoken"] is None for p in out["people"])
