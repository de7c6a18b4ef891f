"""The policy YAML: parsing, validation with line numbers, versions in force, expectations."""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import pytest

from adviser_analytics.errors import BadPolicyError
from adviser_analytics.policy import Policy, load_policy

CONTRACT_EXAMPLE = """\
owner_institution: Example University      # optional; used by the rules
versions:
  - name: cautious-avoidance
    effective_from: 2025-01-01
    invitations:            # relationship -> allowed decisions
      client: [redirect]
      colleague: [accept]
      professional: [accept]
      personal: [accept]
      unknown: [ignore, ask]
      spam: [ignore, report]
    requests:               # relationship -> allowed handlings
      client: [refer, explain]
      colleague: [answer]
      professional: [answer, refer]
      personal: [answer]
      unknown: [refer, explain]
    introductions: [explained, redirected]   # outcomes the adviser means to give
    minutes_per_reply: 6
    minutes_per_week: 90
    reply_within_days: 7
    working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/London}
  - name: genuine-connection
    effective_from: 2025-09-01
    invitations:
      client: [accept]
      unknown: [ask]
    requests:
      client: [answer, refer, explain]
    introductions: [made, redirected, explained]
    minutes_per_reply: 8
    minutes_per_week: 150
    reply_within_days: 5
"""


@pytest.fixture
def policy() -> Policy:
    return load_policy(CONTRACT_EXAMPLE, file="policy.yaml")


def test_contract_example_parses(policy):
    assert policy.owner_institution == "Example University"
    assert [v.name for v in policy.versions] == ["cautious-avoidance", "genuine-connection"]
    first = policy.versions[0]
    assert first.effective_from == date(2025, 1, 1)
    assert first.invitations["unknown"] == {"ignore", "ask"}
    assert first.requests["professional"] == {"answer", "refer"}
    assert first.introductions == {"explained", "redirected"}
    assert (first.minutes_per_reply, first.minutes_per_week, first.reply_within_days) == (6, 90, 7)
    wh = first.working_hours
    assert wh.days == (0, 1, 2, 3, 4)
    assert (wh.start, wh.end, wh.timezone) == (time(9), time(17), "Europe/London")
    assert wh.hours_per_day == 8
    assert first.line == 3
    # nothing is inherited: the second version has no working hours
    assert policy.versions[1].working_hours is None
    assert policy.boundaries == [date(2025, 1, 1), date(2025, 9, 1)]


def test_version_in_force(policy):
    assert policy.version_on(date(2024, 12, 31)) is None
    assert policy.version_on(date(2025, 1, 1)).name == "cautious-avoidance"
    assert policy.version_on("2025-08-31").name == "cautious-avoidance"
    assert policy.version_on(date(2025, 9, 1)).name == "genuine-connection"
    # a UTC timestamp is dated by its UTC day
    assert policy.version_on(pd.Timestamp("2025-08-31T23:59:59Z")).name == "cautious-avoidance"
    assert policy.version_on(pd.Timestamp("2025-09-01T00:30:00+02:00")).name == \
        "cautious-avoidance"  # 2025-08-31 22:30 UTC


def test_version_index_matches_version_on(policy):
    stamps = pd.Series(pd.to_datetime(
        ["2024-06-01T10:00:00Z", "2025-01-01T00:00:00Z", "2025-08-31T23:59:59Z",
         "2025-09-01T00:00:00Z", "2030-01-01T00:00:00Z"], utc=True))
    idx = policy.version_index(stamps)
    assert idx.tolist() == [-1, 0, 0, 1, 1]
    for stamp, i in zip(stamps, idx, strict=True):
        version = policy.version_on(stamp)
        assert (version is None and i == -1) or version is policy.versions[i]


def test_expected(policy):
    assert policy.expected("invitation", "client", date(2025, 3, 1)) == {"redirect"}
    assert policy.expected("decision", "client", date(2025, 9, 1)) == {"accept"}
    assert policy.expected("request", "colleague", date(2025, 3, 1)) == {"answer"}
    # missing from the map: no expectation
    assert policy.expected("request", "spam", date(2025, 3, 1)) is None
    assert policy.expected("invitation", "colleague", date(2025, 10, 1)) is None
    # before the first version: no expectation
    assert policy.expected("invitation", "client", date(2024, 12, 31)) is None
    # introductions ignore the relationship
    assert policy.expected("introduction", None, date(2025, 10, 1)) == \
        {"made", "redirected", "explained"}
    # a missing relationship is "unknown"
    assert policy.expected("invitation", None, date(2025, 3, 1)) == {"ignore", "ask"}
    with pytest.raises(ValueError):
        policy.expected("connection", "client", date(2025, 3, 1))


def test_round_trip_and_summary(policy):
    again = load_policy(policy.to_yaml(), file="again.yaml")
    assert again == policy
    text = policy.summary()
    assert "cautious-avoidance: in force from 2025-01-01 to 2025-08-31" in text
    assert "genuine-connection: in force from 2025-09-01 onwards" in text
    assert "Mon-Fri 09:00-17:00 (Europe/London)" in text
    assert "no expectation for: spam" in text


def test_unquoted_times_are_read_as_written():
    text = CONTRACT_EXAMPLE.replace('start: "09:00", end: "17:00"', "start: 9:00, end: 17:30")
    wh = load_policy(text).versions[0].working_hours
    assert (wh.start, wh.end) == (time(9), time(17, 30))


def test_minimal_version_and_no_expectations():
    p = load_policy("versions:\n  - name: v1\n    effective_from: 2025-01-01\n")
    assert p.expected("invitation", "client", date(2025, 2, 1)) is None
    assert p.expected("introduction", None, date(2025, 2, 1)) is None
    assert p.versions[0].minutes_per_reply is None


# ---------------------------------------------------------------------------------------
# validation errors name the file and the line


def _error(text: str) -> BadPolicyError:
    with pytest.raises(BadPolicyError) as info:
        load_policy(text, file="policy.yaml")
    return info.value


def _line_of(text: str, fragment: str, after: int = 0) -> int:
    lines = text.splitlines()
    for i, line in enumerate(lines[after:], start=after):
        if fragment in line:
            return i + 1
    raise AssertionError(fragment)


@pytest.mark.parametrize("old,new,fragment,words", [
    ("      personal: [accept]\n", "      persnal: [accept]\n", "persnal:", "relationship"),
    ("      client: [redirect]", "      client: [redirekt]", "client: [redirekt]", "decision"),
    ("      colleague: [answer]", "      colleague: [reply]", "colleague: [reply]", "handling"),
    ("introductions: [explained, redirected]", "introductions: [explained, declined]",
     "introductions: [explained, declined]", "introduction outcome"),
    ("minutes_per_reply: 6", "minutes_per_reply: 0", "minutes_per_reply: 0", "positive"),
    ("minutes_per_week: 90", "minutes_per_week: -5", "minutes_per_week: -5", "positive"),
    ("reply_within_days: 7", "reply_within_days: soon", "reply_within_days: soon", "positive"),
    ("minutes_per_week: 90", "minutes_per_week: yes", "minutes_per_week: yes", "positive"),
    ("timezone: Europe/London", "timezone: Europe/Londres", "timezone: Europe/Londres",
     "time zone"),
    ('end: "17:00"', 'end: "08:00"', 'end: "08:00"', "after they start"),
    ('start: "09:00"', 'start: "9am"', 'start: "9am"', "HH:MM"),
    ("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu, fry]",
     "days: [mon, tue, wed, thu, fry]", "day"),
    ("    minutes_per_reply: 6\n", "    minutes_per_replies: 6\n", "minutes_per_replies",
     "did you mean 'minutes_per_reply'"),
    ("effective_from: 2025-01-01", "effective_from: 2025-02-30", "2025-02-30",
     "calendar date"),
    ("effective_from: 2025-01-01", "effective_from: January 2025", "January 2025",
     "YYYY-MM-DD"),
])
def test_bad_values_are_refused_with_their_line(old, new, fragment, words):
    assert old in CONTRACT_EXAMPLE
    text = CONTRACT_EXAMPLE.replace(old, new, 1)
    error = _error(text)
    assert error.file == "policy.yaml"
    assert error.line == _line_of(text, fragment), str(error)
    assert words in str(error)
    assert str(error).startswith(f"policy.yaml, line {error.line}: ")
    assert error.what_to_do


def test_versions_out_of_order():
    text = CONTRACT_EXAMPLE.replace("effective_from: 2025-09-01", "effective_from: 2024-09-01")
    error = _error(text)
    assert error.line == _line_of(text, "effective_from: 2024-09-01")
    assert "not after the version before it" in str(error)
    same = CONTRACT_EXAMPLE.replace("effective_from: 2025-09-01", "effective_from: 2025-01-01")
    assert _error(same).line == _line_of(same, "effective_from: 2025-01-01", after=10)


def test_structural_errors():
    assert "not valid YAML" in str(_error("versions:\n  - name: [unclosed\n"))
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n  bad: : :\n")
    assert error.line is not None
    assert "empty" in str(_error(""))
    assert "no versions" in str(_error("owner_institution: X\n"))
    assert _error("owner_institution: X\nversions: []\n").line == 2
    error = _error("versions:\n  - effective_from: 2025-01-01\n")
    assert "no 'name'" in str(error) and error.line == 2
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n"
                   "    name: b\n")
    assert "appears twice" in str(error) and error.line == 4
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n"
                   "  - name: a\n    effective_from: 2025-02-01\n")
    assert "two versions are named" in str(error) and error.line == 4
    error = _error("version:\n  - name: a\n    effective_from: 2025-01-01\n")
    assert "did you mean 'versions'" in str(error) and error.line == 1
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n"
                   "    invitations: [accept]\n")
    assert "map a relationship" in str(error) and error.line == 4
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n"
                   "    invitations:\n      client: []\n")
    assert "non-empty list" in str(error) and error.line == 5
    error = _error("versions:\n  - name: a\n    effective_from: 2025-01-01\n"
                   "    working_hours: {days: [mon], start: '09:00', end: '17:00'}\n")
    assert "no 'timezone'" in str(error) and error.line == 4


# ---------------------------------------------------------------------------------------
# waiting window, public terms, the service and its links (contract revised this round)

SERVICE_EXAMPLE = CONTRACT_EXAMPLE.replace(
    "    reply_within_days: 7\n",
    "    reply_within_days: 7\n    waiting_window_days: 45\n", 1) + """\
public_terms: [Example University, Jo Bloggs, Example University]
service:
  name: Example Careers Service
  reception: Careers Centre, Library ground floor
  links:
    appointment: https://careers.example.ac.uk/book
    mentor: [https://mentors.example.ac.uk, careers.example.ac.uk/mentoring]
    event: https://careers.example.ac.uk/events
"""


def test_waiting_window_per_version_defaults_to_30(policy):
    assert [v.waiting_window_days for v in policy.versions] == [30, 30]
    p = load_policy(SERVICE_EXAMPLE, file="policy.yaml")
    assert [v.waiting_window_days for v in p.versions] == [45, 30]
    assert p.waiting_window_on(date(2025, 3, 1)) == 45
    assert p.waiting_window_on(date(2025, 9, 1)) == 30
    assert p.waiting_window_on(date(2024, 3, 1)) == 45      # before the first: the first's
    assert "requests unanswered after 45 days count as lapsed" in p.summary()


def test_public_terms_and_service_parse():
    p = load_policy(SERVICE_EXAMPLE, file="policy.yaml")
    assert p.public_terms == ("Example University", "Jo Bloggs")
    assert p.service.name == "Example Careers Service"
    assert p.service.reception == "Careers Centre, Library ground floor"
    assert p.service.links == {
        "appointment": ("https://careers.example.ac.uk/book",),
        "mentor": ("https://mentors.example.ac.uk", "careers.example.ac.uk/mentoring"),
        "event": ("https://careers.example.ac.uk/events",)}
    assert p.service.all_links[0] == "https://careers.example.ac.uk/book"
    assert len(p.service.all_links) == 4
    text = p.summary()
    assert "Service: Example Careers Service" in text
    assert "mentor link: careers.example.ac.uk/mentoring" in text
    assert "Jo Bloggs" in text


def test_new_fields_round_trip_and_stay_optional(policy):
    p = load_policy(SERVICE_EXAMPLE, file="policy.yaml")
    again = load_policy(p.to_yaml(), file="again.yaml")
    assert again == p
    assert again.versions[0].waiting_window_days == 45
    assert policy.public_terms == () and policy.service is None
    assert "waiting_window_days" not in policy.to_yaml()
    assert "service" not in policy.to_yaml()
    minimal = load_policy("service: {name: Careers}\nversions:\n  - name: v1\n"
                          "    effective_from: 2025-01-01\n")
    assert minimal.service.links == {} and minimal.service.reception is None


@pytest.mark.parametrize("old,new,fragment,words", [
    ("waiting_window_days: 45", "waiting_window_days: 0", "waiting_window_days: 0",
     "positive"),
    ("waiting_window_days: 45", "waiting_window_days: a month", "waiting_window_days: a month",
     "positive"),
    ("    event: https", "    events: https", "events: https", "did you mean 'event'"),
    ("    event: https", "    workshop: https", "workshop: https", "not a referral kind"),
    ("  links:\n    appointment: https://careers.example.ac.uk/book\n"
     "    mentor: [https://mentors.example.ac.uk, careers.example.ac.uk/mentoring]\n"
     "    event: https://careers.example.ac.uk/events\n",
     "  links: https://careers.example.ac.uk\n", "links:", "referral kind"),
    ("appointment: https://careers.example.ac.uk/book", "appointment: book an appointment",
     "appointment: book an", "not a web address"),
    ("careers.example.ac.uk/mentoring]", "ask at reception]", "ask at reception]",
     "not a web address"),
    ("  reception: Careers Centre", "  recepton: Careers Centre", "recepton:",
     "did you mean 'reception'"),
    ("  reception: Careers Centre, Library ground floor", "  reception: [a, b]",
     "reception: [a, b]", "non-empty text"),
    ("public_terms: [Example University, Jo Bloggs, Example University]",
     "public_terms: {owner: Jo}", "public_terms:", "list of words"),
    ("public_terms: [Example University, Jo Bloggs, Example University]",
     "public_terms: [Example University, '']", "public_terms:", "non-empty text"),
])
def test_new_fields_refused_with_line_and_allowed_values(old, new, fragment, words):
    assert old in SERVICE_EXAMPLE
    text = SERVICE_EXAMPLE.replace(old, new, 1)
    error = _error(text)
    assert error.file == "policy.yaml"
    assert error.line == _line_of(text, fragment), str(error)
    assert words in str(error)
    assert error.what_to_do


def test_link_errors_name_the_allowed_kinds():
    text = SERVICE_EXAMPLE.replace("    event: https", "    workshop: https", 1)
    assert "appointment, mentor, event, resource, reception" in _error(text).what_to_do
    error = _error("service: [a]\nversions:\n  - name: v1\n    effective_from: 2025-01-01\n")
    assert error.line == 1 and "name, reception, links" in error.what_to_do
    error = _error("service:\n  links:\n    event: []\n"
                   "versions:\n  - name: v1\n    effective_from: 2025-01-01\n")
    assert error.line == 3 and "web address" in str(error)
