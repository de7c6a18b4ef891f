"""Rules that stay quiet in ordinary chat (issue 12, items 2 and 4): the acknowledgement rule,
referrals that need referral phrasing or the service's own links, introduction requests for
"someone at <organisation>", introductions the adviser records by hand, and the figures of
the evaluation on the realistic inbox and on the story."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import POLICY, URL, Builder, labels_of, shortfalls, story_scores

from adviser_analytics.labels import import_labels, load_rules, suggest
from adviser_analytics.labels.rules import acknowledgements, first_rule, link_regex
from adviser_analytics.triage import TriageQueue, item_html

RULES = load_rules()
LINKS = {"event": ("https://careers.example.ac.uk/events",),
         "appointment": ("https://careers.example.ac.uk/book",)}
POLICY_WITH_LINKS = POLICY + """\
service:
  name: Example Careers
  links:
    event: https://careers.example.ac.uk/events
    appointment: https://careers.example.ac.uk/book
"""


def ack(texts, filler=("Olive",)):
    found = acknowledgements(pd.Series(texts, dtype=object), RULES.family("acknowledgement"),
                             filler)
    return list(found["rule"].where(found["rule"].notna(), None))


def referral(texts, links=None):
    found = first_rule(pd.Series(texts, dtype=object), RULES.family("referral"), links=links)
    return list(found["value"].where(found["value"].notna(), None))


# ------------------------------------------------------------------ the acknowledgement rule
@pytest.mark.parametrize("text, rule", [
    ("Thanks!", "thanks-only"),
    ("Thank you so much, Olive, really appreciate it.", "thanks-only"),
    ("Great, thanks a lot!", "thanks-only"),
    ("Many thanks 🙏", "thanks-only"),
    ("Merci beaucoup !", "thanks-only"),
    ("Danke schön", "thanks-only"),
    ("¡Muchas gracias!", "thanks-only"),
    ("👍", "emoji-only"),
    ("🎉🎉", "emoji-only"),
    ("👍🏽", "emoji-only"),
    ("Congratulations on the new role, Olive!", "congratulations"),
    ("Happy birthday! Hope you have a lovely day.", "congratulations"),
    ("Félicitations pour ton nouveau poste !", "congratulations"),
    ("Herzlichen Glückwunsch zum Geburtstag!", "congratulations"),
    ("Glückwunsch!", "congratulations"),
    ("¡Felicitaciones por el premio!", "congratulations"),
])
def test_thanks_emoji_and_congratulations_alone_are_acknowledgements(text, rule):
    assert ack([text]) == [rule]


@pytest.mark.parametrize("text", [
    "Thanks! One more question: should I mention my grades?",
    "Thanks, could you also look at my cover letter",
    "Merci ! Vous avez un moment ?",
    "Thanks for the resources you mentioned at lunch, I'll have a look at the weekend.",
    "Thanks for the invitation, how do we know each other?",
    "Congratulations! Are you still hiring graduates?",
    "The event last night was great fun, thanks for organising the drinks!",
    "?",
    "Thanks Bob, see you at the fair",   # "Bob" is not the adviser's name: more than thanks
    "",
])
def test_anything_more_than_thanks_is_not_an_acknowledgement(text):
    assert ack([text]) == [None]


def test_the_whole_run_must_be_an_acknowledgement_and_triage_says_it_in_words(tmp_path):
    b = Builder(tmp_path / "ws")
    ws = b.ws
    with ws.transaction():
        b.snapshot("2026-03-01")
        stu = b.person(URL + "stu", "Stu Dent", None, "MSc student")
        ana = b.person(URL + "ana", "Ana Other", None, "BSc student")
        conv = b.conversation()
        b.message(conv, "2026-01-10T10:00:00Z", stu, "Could you look at my CV?", True)
        b.message(conv, "2026-01-11T09:00:00Z", stu, "Sure, send it over.", False)
        b.message(conv, "2026-01-12T10:00:00Z", stu, "Thanks Olive!", True)
        b.message(conv, "2026-01-12T10:01:00Z", stu, "👍", True)
        thanks = f"{conv}|2026-01-12T10:00:00Z"
        conv = b.conversation()
        b.message(conv, "2026-01-14T10:00:00Z", ana, "Thanks!", True)
        b.message(conv, "2026-01-14T10:02:00Z", ana, "Also: is the fair on Friday?", True)
        mixed = f"{conv}|2026-01-14T10:00:00Z"
        group = b.conversation()  # a group thread: two people write in it
        b.message(group, "2026-01-16T10:00:00Z", stu, "Great, thanks all.", True)
        b.message(group, "2026-01-16T10:05:00Z", ana, "Thanks!", True)
    ws.set_policy_text(POLICY)
    summary = suggest(ws)
    handling = labels_of(ws, "handling")
    assert handling[thanks] == ("no_reply_needed", "suggested")
    assert handling[mixed] == ("none", "inferred")  # a thanks followed by a question
    assert f"{group}|2026-01-16T10:00:00Z" not in handling or \
        handling[f"{group}|2026-01-16T10:00:00Z"][0] != "no_reply_needed"
    assert summary["suggested"]["handling"] == {"no_reply_needed": 1}
    reason = ws.labels("handling").set_index("subject")["reason"][thanks]
    assert reason == 'an acknowledgement only: they wrote "Thanks Olive! / 👍"'
    queue = TriageQueue(ws)
    item = queue.current
    assert item.subject == thanks and "no_reply_needed" in item.values
    html = item_html(item)
    assert "No reply needed" in html
    queue.decide("no_reply_needed")
    assert labels_of(ws, "handling")[thanks] == ("no_reply_needed", "confirmed")
    ws.close()


# ------------------------------------------------------------------ referrals
@pytest.mark.parametrize("text", [
    "I am grateful for your reception yesterday, it was lovely to meet the team.",
    "I'm grateful for your reception of the idea, let's talk more next week.",
    "Good luck! In the event of a delay, just drop me a line.",
    "Lovely to see you at the event, hope the journey home was fine.",
    "I'll guide you through it when we meet on Tuesday.",
    "There are lots of resources out there; the job adverts themselves are the best start.",
    "Did you see the reception area has been repainted?",
    "See https://careers.example.ac.uk/events-archive for last year's photos",
    "Lots of events this week, and a workshop too.",
])
def test_single_words_never_make_a_referral(text):
    assert referral([text], LINKS) == [None]


@pytest.mark.parametrize("text, kind", [
    ("Please book an appointment with one of our advisers.", "appointment"),
    ("You could speak to our alumni mentors about this.", "mentor"),
    ("Come to the careers fair on 12 March, the employers will be there.", "event"),
    ("Have a look at our CV guide, it covers this step by step.", "resource"),
    ("Please contact Careers Reception on Level 2.", "reception"),
    # the service's own links (policy service.links), with or without https:// and www.
    ("Details at https://careers.example.ac.uk/events?week=3", "event"),
    ("Details at careers.example.ac.uk/events/ and see you there", "event"),
    ("You can do it here: https://www.careers.example.ac.uk/book.", "appointment"),
])
def test_referral_phrasing_or_the_services_links_make_a_referral(text, kind):
    assert referral([text], LINKS) == [kind]


def test_a_service_link_is_the_strongest_evidence_and_names_its_kind():
    # the events page link wins over the word "appointment" later in the reply
    text = "See careers.example.ac.uk/events, or book an appointment if you prefer."
    found = first_rule(pd.Series([text]), RULES.family("referral"), links=LINKS)
    assert found.loc[0, "rule"] == "service-link" and found.loc[0, "value"] == "event"
    # without links in the policy the rule looks for nothing (the phrase decides)
    found = first_rule(pd.Series([text]), RULES.family("referral"))
    assert found.loc[0, "rule"] == "booking-link"
    assert link_regex("https://x.ac.uk/book/").startswith(r"(?<![\w./-])")


def test_referral_suggestions_use_the_stored_policys_links(tmp_path):
    b = Builder(tmp_path / "ws")
    ws = b.ws
    with ws.transaction():
        b.snapshot("2026-03-01")
        stu = b.person(URL + "stu", "Stu Dent", None, "MSc student")
        conv = b.conversation()
        b.message(conv, "2026-01-10T10:00:00Z", stu, "Any events for engineers?", True)
        b.message(conv, "2026-01-11T09:00:00Z", stu,
                  "Yes: https://careers.example.ac.uk/events?topic=engineering", False)
        linked = f"{conv}|2026-01-10T10:00:00Z"
        conv = b.conversation()
        b.message(conv, "2026-01-12T10:00:00Z", stu, "How was the weekend?", True)
        b.message(conv, "2026-01-13T09:00:00Z", stu,
                  "Lovely! In the event of rain we'd have stayed in.", False)
        chat = f"{conv}|2026-01-12T10:00:00Z"
    ws.set_policy_text(POLICY_WITH_LINKS)
    suggest(ws)
    assert labels_of(ws, "handling")[linked] == ("refer", "suggested")
    assert labels_of(ws, "referral")[linked] == ("event", "suggested")
    assert labels_of(ws, "handling")[chat] == ("answer", "inferred")
    assert chat not in labels_of(ws, "referral")
    ws.close()


# ------------------------------------------------------------------ introductions
def test_a_request_for_someone_at_an_organisation_is_kept_with_the_target_to_identify(tmp_path):
    b = Builder(tmp_path / "ws")
    ws = b.ws
    with ws.transaction():
        b.snapshot("2026-03-01")
        stu = b.person(URL + "stu", "Stu Dent", None, "MSc student")
        b.person(URL + "nora", "Nora North", "Northwind", "Head of Early Careers")
        conv = b.conversation()
        b.message(conv, "2026-01-10T10:00:00Z", stu,
                  "Do you know someone at Northwind? Could you put me in touch with them?", True)
        conv = b.conversation()
        b.message(conv, "2026-01-11T10:00:00Z", stu,
                  "Could you put me in touch with someone in marketing?", True)  # no organisation
    ws.set_policy_text(POLICY)
    summary = suggest(ws)
    assert summary["introductions"]["to_identify"] == 1
    assert summary["introductions"]["without_name"] == 2
    intro = ws.introductions()
    assert len(intro) == 1
    row = intro.iloc[0]
    assert row["target_name"] == "someone at Northwind" and pd.isna(row["target_key"])
    assert row["requester_key"] == URL + "stu" and row["outcome"] == "unreviewed"
    titles = [i.title for i in TriageQueue(ws).items if i.kind == "outcome"]
    assert titles == ["Stu Dent asked to meet someone at Northwind (someone to identify) "
                      "on 2026-01-10"]
    assert len(suggest(ws)["introductions"]) and len(ws.introductions()) == 1  # idempotent
    ws.close()


def test_introductions_the_adviser_adds_by_hand_are_recorded_confirmed_and_counted(tmp_path):
    b = Builder(tmp_path / "ws")
    ws = b.ws
    with ws.transaction():
        b.snapshot("2026-03-01")
        b.person(URL + "stu", "Stu Dent", None, "MSc student")
        b.person(URL + "zoe", "Zoë Brontë-Ngata", "Acme Ltd", "Head of People")
    ws.set_policy_text(POLICY)
    path = tmp_path / "introductions.csv"
    path.write_text(
        "requester_url,requester_name,target_url,target_name,requested_on,outcome,resolved_on,"
        "source\n"
        f"{URL}stu,Stu Dent,{URL}zoe,,2026-02-03,made,2026-02-10,\n"   # asked in person
        f",Stu Dent,,Priya at the council,2026-02-05,,,\n"            # a target by name only
        f"{URL}nobody,Nobody Known,{URL}zoe,,2026-02-06,made,,\n",     # requester unknown
        encoding="utf-8")
    summary = import_labels(ws, path)
    assert summary["recorded_by_hand"] == 2 and summary["unmatched"] == 1
    report = summary["files"]["introductions.csv"]
    assert report["recorded_by_hand"] == 2
    assert "requester is not someone you know" in report["unmatched_lines"][0]["why"]
    intro = ws.introductions().set_index("target_name")
    assert set(intro.index) == {"Zoë Brontë-Ngata", "Priya at the council"}
    zoe = intro.loc["Zoë Brontë-Ngata"]
    assert zoe["target_key"] == URL + "zoe" and zoe["outcome"] == "made"
    assert zoe["outcome_source"] == "confirmed" and pd.isna(zoe["rule"])
    assert zoe["resolved_on"].strftime("%Y-%m-%d") == "2026-02-10"
    assert pd.isna(intro.loc["Priya at the council", "target_key"])
    # the rules never withdraw what the adviser recorded; importing again changes nothing
    suggest(ws)
    again = import_labels(ws, path)
    assert again["recorded_by_hand"] == 0 and len(ws.introductions()) == 2
    ws.close()


# ------------------------------------------------------------------ the figures
@pytest.mark.slow
def test_the_realistic_inbox_stays_quiet():
    """False referral or introduction suggestions per 1,000 ordinary messages at most 5."""
    from adviser_analytics.devtools.evaluate_labels import evaluate_realistic

    result = evaluate_realistic(contacts=600, seed=2)
    false = result["scores"]["false suggestions"]
    assert false["ordinary_messages"] > 3000
    assert false["per_1000_ordinary_messages"] <= 5.0, false
    assert false["trap_messages"] > 100 and false["trap_messages_read_by_a_rule"] == 0
    scores = result["scores"]
    for family, label in (("referral", "refer + kind"), ("referral", "with the service's link"),
                          ("referral", "in words only"), ("introduction", "named contact"),
                          ("introduction", "someone to identify"),
                          ("acknowledgement", "no_reply_needed")):
        score = scores[family][label]
        assert score["truth"] > 10, (family, label, score)
        assert score["precision"] >= 0.9 and score["recall"] >= 0.85, (family, label, score)


# the story's figures before this change (evaluate_labels on the sample series, seed 7):
# a fall of more than 0.05 in any of them is a regression
STORY_BEFORE = {
    ("relationship", "all four ruled classes"): (1.0, 0.926),
    ("referral", "refer + kind"): (1.0, 1.0),
    ("explain", "requests"): (1.0, 1.0),
    ("explain", "messages"): (1.0, 1.0),
    ("introduction", "requests"): (1.0, 1.0),
    ("decision", "redirect"): (1.0, 1.0),
    ("handling", "answer"): (1.0, 1.0),
    ("handling", "none"): (1.0, 0.949),
}


def test_the_storys_precision_and_recall_do_not_fall(sample_workspace, sample_series):
    scores = story_scores(sample_workspace, sample_series[0])
    floors = {label: (precision - 0.05, recall - 0.05)
              for label, (precision, recall) in STORY_BEFORE.items()}
    assert shortfalls(scores, floors) == []
    acks = scores["handling"]["no_reply_needed"]
    assert acks["truth"] > 5 and acks["precision"] >= 0.9 and acks["recall"] >= 0.9, acks
