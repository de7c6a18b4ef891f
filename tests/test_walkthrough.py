"""What a walk through the product as an adviser found: numbers that must agree between
sections, and stored codes that must not reach the page."""

from __future__ import annotations

import re

import pytest

from adviser_analytics import reflection


@pytest.mark.parametrize("audience", ["self", "supervision"])
def test_decisions_count_the_requests_of_the_key_numbers(labelled_workspace, audience):
    # the autumn term of the samples holds thanks needing no reply and group-conversation
    # runs: the Decisions section said "48 requests" where the key numbers said 32
    r = reflection.open_report(labelled_workspace, "2025-09-01", "2025-12-31", audience)
    block = r.decisions_summary()
    requests = r.metrics["load"]["requests"]
    runs = len(r.model.period_requests())
    assert runs > requests  # the case under test: runs that are not requests
    said = re.search(r"and (\d+) requests? for help in the period \(and (\d+) other runs? of",
                     block.text)
    assert said, block.text
    assert int(said.group(1)) == requests
    assert int(said.group(2)) == runs - requests
    assert "no_reply_needed" not in block.html
    assert "no reply needed" in block.html


def test_command_counts_read_well():
    from adviser_analytics.cli.common import counted
    from adviser_analytics.cli.ingest import _text

    assert counted(1, "new connection") == "1 new connection"
    assert counted(0, "person", "people") == "0 people"
    one = {"status": "added", "source": "x.zip", "export_date": "2026-01-01",
           "connections": 1, "messages": 2, "invitations": 1}
    text = _text([one], {"connections": {"total": 1}, "messages": {"total": 1},
                         "invitations": {"total": 2},
                         "skipped": {"draft": 1, "system": 3, "something_new": 2}})
    assert "1 new connection, 2 new messages, 1 new invitation." in text
    assert "holds 1 connection, 1 person-to-person message and 2 invitations." in text
    assert "1 unsent draft, 3 system notices, 2 something new." in text


def test_metrics_text_gives_long_reply_times_in_days():
    from adviser_analytics.cli.metrics import metrics_text

    metrics = {"period": {"from": "2026-03-01", "to": "2026-03-31"},
               "coverage": {"as_of": "2026-03-31", "complete": True, "data_to": "2026-08-31"},
               "load": {"inbound_messages": 5, "group_messages": 0, "requests": 2,
                        "requests_opened_by_them": 2, "requests_in_your_threads": 0,
                        "answered_requests": 2, "reply_rate": 1.0,
                        "first_reply_hours_median": 118.3, "first_reply_hours_p90": 20.5,
                        "within_target_rate": 0.5, "due_requests": 2, "waiting": 0,
                        "waiting_oldest_days": None, "overdue": 0, "lapsed": 0,
                        "minutes_spent_estimate": 12.0},
               "introductions": {"requests": 0, "outcomes": {}},
               "policy": {"decisions": 0, "conforming": 0, "conformance_rate": None}}
    text = metrics_text(metrics)
    # the report's words: days from 48 hours, hours below
    assert "First reply: median 4.9 days, 90th percentile 20.5 hours" in text
    assert "within your aim: 50% of 2 due" in text


@pytest.mark.slow
def test_index_fits_a_laptop_window(tmp_path):
    # the index table was wider than its page (1,325 px at a 1,100 px window): every header
    # and cell kept on one line
    from browser import require_playwright

    from adviser_analytics.reports import build_index

    entry = {"file": "2026-03.html", "label": "Summer 2026", "from": "2026-04-01",
             "to": "2026-04-30", "audience": "supervision", "generated_at": "2026-12-07 20:53 UTC",
             "headline": {"requests": "1075", "reply_rate": "90%", "conformance": "84%",
                          "waiting": "246 waiting, 159 past your 5-day aim; "
                                     "1113 older threads lapsed"}}
    page = tmp_path / "index.html"
    page.write_text(build_index({"self": [dict(entry, audience="self")],
                                 "supervision": [entry]}, {}, "Reflection reports"),
                    encoding="utf-8")
    with require_playwright()() as p:
        browser = p.chromium.launch(executable_path=require_chromium_path())
        try:
            for width in (1100, 1000):
                tab = browser.new_page(viewport={"width": width, "height": 800})
                tab.goto(page.as_uri())
                wide = tab.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, f"{wide} px of page in a {width} px window"
        finally:
            browser.close()


def require_chromium_path() -> str:
    from browser import require_chromium

    return require_chromium()


def test_a_month_before_the_data_is_reported(labelled_workspace):
    # "report --from 2010-01-01 --to 2010-01-31": the samples begin in 2014; the report
    # stopped with a pandas cast error, then "the range ends before it starts"
    from adviser_analytics.reflection.sections import SECTIONS

    r = reflection.open_report(labelled_workspace, "2010-01-01", "2010-01-31", "supervision")
    assert r.data.status["first_date"] > "2010-01-31"
    for name in SECTIONS:
        getattr(r, name)()  # each section builds
    assert [p.start.isoformat() for p in r.model.series_periods()] == ["2010-01-01"]


def test_handover_into_a_folder_that_cannot_be_made(labelled_workspace, tmp_path, capsys):
    from adviser_analytics.cli import main

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert main(["handover", "--workspace", str(labelled_workspace),
                 "--out", str(blocked / "handover")]) == 1
    err = capsys.readouterr().err
    assert "cannot write the handover pack" in err and "--out" in err
    assert "Traceback" not in err and "Errno" not in err


def test_policy_file_missing_said_in_words(tmp_path, capsys):
    from adviser_analytics.cli import main

    assert main(["policy", "set", "--workspace", str(tmp_path / "ws"),
                 str(tmp_path / "nope.yaml")]) == 1
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "Errno" not in err


def test_one_week_is_one_week(labelled_workspace):
    # a policy version in force for 4 days of a term measured "0 of 1 weeks"
    r = reflection.open_report(labelled_workspace, "2026-03-02", "2026-03-08", "self")
    text = r.promises_against_practice().text + r.values().text
    assert "of 1 week that falls at least partly" in text
    assert "1 weeks" not in text


def test_a_term_cut_short_by_the_dates_given_is_named(tmp_path):
    """`report --every term --from 2026-01-01 --to 2026-04-30` reviews spring and April of
    the summer term: the adviser is told April is not the whole term, and how to get it."""
    from adviser_analytics.periods import cut_short, split

    periods = split("2026-01-01", "2026-04-30", "term")
    assert [p.label for p in periods] == ["Spring 2026", "Summer 2026"]
    ((cut, whole),) = cut_short(periods, "term")
    assert (cut.start.isoformat(), cut.end.isoformat()) == ("2026-04-01", "2026-04-30")
    assert (whole.start.isoformat(), whole.end.isoformat()) == ("2026-04-01", "2026-08-31")
    assert cut_short(split("2026-03-01", "2026-03-31", "month"), "month") == []
    ((week, whole_week),) = cut_short(split("2026-03-04", "2026-03-08", "week"), "week")
    assert whole_week.start.isoformat() == "2026-03-02"  # the Monday of that week
