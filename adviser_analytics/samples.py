"""Synthetic LinkedIn data exports, and the truth they encode.

Everything here is invented: people, companies, institutions and texts. Nothing is random
in the wall-clock sense: every export is a pure function of its arguments (``seed`` drives a
``random.Random`` or a numpy ``Generator``), so the same call writes the same bytes.

Three generators:

- :func:`write_fixture`: one export in one of the layouts of ``shared/linkedin-export-format.md``
  (``era`` 2018 ... 2025), with every quirk that layout can carry, in a zip or a folder.
- :func:`write_series`: the committed story of ``data_samples/``: a careers adviser's monthly
  exports over 15 months, a contact policy that changes half way, and the truth an ingest,
  the label rules and the metrics must find (``truth.json``), plus ``policy.yaml``.
- :func:`write_maximal`: the heavy account of the benchmark (30,000 connections, 300,000
  messages), vectorised.

Beside them, :mod:`adviser_analytics.samples_realistic` writes a messy, realistic inbox of
thousands of contacts (acknowledgements, group threads, recruiters, other languages, names
that are ordinary words) with the raw facts it wrote.

The truth follows the classification of ``shared/domain.md``. Every excluded message row
carries exactly one quirk, so its reason is unambiguous:

- ``coach``: rows of ``coach_messages.csv`` / ``learning_coach_messages.csv``;
- ``redacted``: every field empty but DATE (its FOLDER is empty too, so this rule comes
  before the empty-FOLDER draft rule);
- ``draft``: ``IS MESSAGE DRAFT`` = ``Yes``, or an empty FOLDER;
- ``spam_folder``: FOLDER ``SPAM``;
- ``sponsored``: title ``Sponsored Conversation``, ``%FIRSTNAME%`` placeholders, or company
  InMail (a sender without profile URL who is neither the owner nor ``LinkedIn Member``, in
  layouts that have URLs);
- ``hidden_member``: ``LinkedIn Member`` sender without URL;
- ``system``: the four system texts;
- ``blank_person``: Connections.csv rows with no person.

Everything else is person-to-person, group conversations included. A person is keyed by
the normalised profile URL (percent-decoded, lower case, https, no trailing ``/``), else by
``name:`` and the case-folded name.

Command line::

    python -m adviser_analytics.samples --out data_samples [--seed 7]     # the committed series
    python -m adviser_analytics.samples --maximal --out DIR                # the benchmark account
    python -m adviser_analytics.samples --fixture 2021 --out DIR           # one export of one era
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import math
import random
import shutil
import sys
import time
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "ERAS",
    "REASONS",
    "ExportTruth",
    "SeriesTruth",
    "write_fixture",
    "write_series",
    "write_maximal",
    "main",
]

ERAS = ("2018", "2020", "2021", "2023", "2024", "2025")
REASONS = ("blank_person", "draft", "system", "sponsored", "hidden_member", "spam_folder",
           "coach", "redacted")

PROFILE_PREFIX = "https://www.linkedin.com/in/"

NOTES_TEXT = (
    "When exporting your connection data, you may notice that some of the email addresses are "
    "missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    "https://www.linkedin.com/help/linkedin/answer/261"
)
NOTES_BLOCK = 'Notes:\n"' + NOTES_TEXT + '"\n\n'

CONNECTIONS_HEADER_OLD = ["First Name", "Last Name", "Email Address", "Company", "Position",
                          "Connected On"]
CONNECTIONS_HEADER_URL = ["First Name", "Last Name", "URL", "Email Address", "Company",
                          "Position", "Connected On"]
MESSAGES_HEADERS = {
    "2018": ["From", "To", "Date", "Subject", "Content", "Direction", "Folder"],
    "2020": ["FROM", "TO", "DATE", "SUBJECT", "CONTENT", "DIRECTION", "FOLDER"],
    "2021": ["CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO", "DATE",
             "SUBJECT", "CONTENT", "FOLDER"],
    "2023": ["CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO",
             "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER"],
}
MESSAGES_HEADERS["2024"] = MESSAGES_HEADERS["2023"]
MESSAGES_HEADERS["2025"] = MESSAGES_HEADERS["2023"]
TRAILING = ("ATTACHMENTS", "IS MESSAGE DRAFT", "IS CONVERSATION DRAFT")
INVITATIONS_BASE = ["From", "To", "Sent At", "Message", "Direction"]
INVITATIONS_HEADERS = {
    "2018": INVITATIONS_BASE, "2020": INVITATIONS_BASE, "2021": INVITATIONS_BASE,
    "2023": INVITATIONS_BASE + ["inviterProfileUrn", "inviteeProfileUrn"],
    "2024": INVITATIONS_BASE + ["inviterProfileUrl", "inviteeProfileUrl"],
    "2025": INVITATIONS_BASE + ["inviterProfileUrl", "inviteeProfileUrl"],
}
PROFILE_HEADER = ["First Name", "Last Name", "Maiden Name", "Address", "Birth Date", "Headline",
                  "Summary", "Industry", "Zip Code", "Geo Location", "Twitter Handles",
                  "Websites", "Instant Messengers"]
FIXTURE_EXPORT_DATES = {"2018": date(2018, 10, 20), "2020": date(2020, 3, 14),
                        "2021": date(2021, 11, 29), "2023": date(2023, 8, 14),
                        "2024": date(2024, 10, 2), "2025": date(2025, 6, 18)}
# file names as delivered when unzipped into a nested "(1)" folder (case and spacing swaps)
NESTED_RENAMES = {"messages.csv": "Messages.csv", "Ad_Targeting.csv": "Ad Targeting.csv",
                  "learning_coach_messages.csv": "learning coach messages.csv"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# ---------------------------------------------------------------------------------------------
# the owner and the institution (invented)
# ---------------------------------------------------------------------------------------------

OWNER_FIRST, OWNER_LAST = "Morwenna", "Achterberg"
OWNER_NAME = f"{OWNER_FIRST} {OWNER_LAST}"
OWNER_SLUG = "morwenna-achterberg-4b21a7"
OWNER_URN = 730215884
INSTITUTION = "Northbridge University"
SERVICE = "Northbridge University Careers Service"
BOOKING_URL = "https://careers.northbridge.ac.uk/appointments"
MENTORING_URL = "https://careers.northbridge.ac.uk/mentoring"
EVENTS_URL = "https://careers.northbridge.ac.uk/events"
RESOURCE_URL = "https://careers.northbridge.ac.uk/resources/cv-guide"

# ---------------------------------------------------------------------------------------------
# invented names and organisations
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aurelio", "Bronwen", "Caspian", "Delphine", "Eluned", "Florian", "Gwenllian", "Hamish",
    "Isolde", "Jago", "Kestrel", "Leopold", "Marisol", "Niamh", "Octavia", "Peregrine",
    "Quintus", "Rosalind", "Saoirse", "Tobias", "Ulrika", "Valentin", "Wilhelmina", "Xanthe",
    "Yannick", "Zephyrine", "Anouk", "Benedikt", "Cressida", "Dashiell", "Eilidh", "Fenella",
    "Gideon", "Hesper", "Ignatius", "Juniper", "Kasimir", "Lavinia", "Magnus", "Nerys", "Orla",
    "Percival", "Romilly", "Tamsin", "Umberto", "Verity", "Wolfgang", "Ximena", "Yevgenia",
    "Zebedee", "Ottilie", "Lysander", "Araminta", "Barnaby", "Clementine", "Ezekiel", "Ffion",
    "Jocasta", "Leocadia", "Mirabel", "Nyasha", "Oluwaseun", "Priyanka", "Rhodri", "Sunniva",
    "Thaddeus", "Ulyana", "Wendeline", "Yusuf", "Zainab", "Chiamaka", "Emrys", "Folasade",
    "Ilse", "Kwabena", "Linnea", "Mehmet", "Noor", "Ragnhild", "Tiago", "Vesna", "Sebastián",
    "Anaïs", "Søren", "Eoghan", "Maëlle", "Björn",
)
LAST_NAMES = (
    "Quillfeather", "Marchbanks", "Thistlewood", "Oyelaran", "Vantongeren", "Pennywhistle",
    "Ashcombe", "Coldharbour", "Dunmore-Pike", "Eversleigh", "Fairweather-Oduya",
    "Inchcape", "Juniperwood", "Kettleborough", "Larkspur", "Mossgiel", "Nettlefold",
    "Okonkwo-Reyes", "Pemberthy", "Quenby", "Ravensworth", "Saltonstall", "Tregothnan",
    "Underhill-Asante", "Valderrama", "Wyndlesham", "Yardley-Osei", "Zabrinski",
    "Abernethy-Kaur", "Blackthorn", "Calloway-Mbeki", "Drummelzier", "Elderkin", "Foxworth",
    "Glendinning", "Ironside-Lau", "Jessamy", "Kinloch-Adeyemi", "Loxley", "Merriweather",
    "Northcote-Iyer", "Ormsby", "Penhallow", "Quarrington", "Rookwood", "Stromness",
    "Tattersall-Nwosu", "Umfreville", "Verhoeven-Tapp", "Wollaston", "Yelverton", "Zouche",
    "Achterlonie", "Bellhaven", "Cottingley", "Dimmock-Ferreira", "Ellingham", "Fothergill",
    "Grimsditch", "Hartigan-Oyo", "Jaquith", "Kilbride", "Lamplugh", "Mortimer-Sato",
    "Nightingale-Obi", "Oddingley", "Pickersgill", "Rudhall", "Threlkeld", "Upcott", "Vyvyan",
    "Whitgift", "Østergaard", "Müller-Quaye", "Ferreira-Lindqvist", "Brontë-Hale",
)
EMPLOYERS = (
    "Hollowmere Engineering", "Quillon & Marsh LLP", "Brackenfield Analytics",
    "Saltire Greenworks", "Tidewell Health Trust", "Ravenscar Digital", "Oakhollow Civil",
    "Fenwick-Dray Consulting", "Lanternfish Games", "Corrimony Pharma", "Harrowgate & Vine Bank",
    "Stonechat Media", "Kelpwater Energy", "Marrowby Foods", "Glasswing Software",
    "Pellucid Logistics",
)
OTHER_COMPANIES = ("Bramblecup Café", "Tessellate Architects", "Windlestraw Books",
                   "Copperbeech Dental", "Larchmont Property", "Dovecote Theatre Company",
                   "Silverhowe Outdoor Centre", "Gannet Point Surveys")
SPAM_COMPANIES = ("Hypergrowth Nexus", "CryptoLeap Mastermind", "10X Funnel Labs",
                  "BlockRocket Ventures")
SPONSORS = ("Luminant Skills Academy", "Vireo Leadership Institute")
INMAIL_COMPANIES = ("Brightquay Talent Solutions", "Stackhaven Recruitment")
CLIENT_STUDENT_POSITIONS = (
    "Final-year BSc Geography student", "MSc Data Science student", "Second-year Law student",
    "PhD student in Chemistry", "BA History student", "Final-year Mechanical Engineering student",
    "MA Journalism student", "Placement student",
)
CLIENT_GRADUATE_POSITIONS = (
    "Graduate Trainee", "Graduate Analyst", "Graduate Engineer", "Recent graduate",
    "Northbridge University alumna", "Northbridge University alumnus",
)
COLLEAGUE_POSITIONS = ("Careers Consultant", "Employability Officer", "Placements Coordinator",
                       "Lecturer in Chemistry", "Head of Careers and Employability",
                       "Employer Engagement Officer", "Senior Lecturer in Law",
                       "Information Officer")
EMPLOYER_POSITIONS = ("Early Careers Lead", "Talent Acquisition Partner",
                      "Campus Recruitment Manager", "HR Business Partner",
                      "Emerging Talent Manager", "Head of People")
OTHER_POSITIONS = ("Operations Manager", "Architect", "Bookseller", "Dentist",
                   "Property Manager", "Stage Manager", "Outdoor Instructor", "Surveyor",
                   "Product Designer", "Accountant")
SPAM_POSITIONS = ("Crypto Growth Hacker | Web3 | DM me", "Growth Hacking Coach - 10x your leads",
                  "Blockchain Visionary and Serial Founder")

# special invented people: (first, last, relationship, role)
SPECIAL_PEOPLE = (
    ("José", "García", "client"),
    ("Zoë", "Brontë-Ngata", "professional"),
    ("Siobhán", "Ó Briain", "colleague"),
    ("=HYPERLINK", "Jones", "unknown"),
    ("Ingrid", "Vasquez-Thornbury, PhD", "colleague"),
    ("Tobiah", "Wrenfield-Ames", "unknown"),
    ("Dagný", "Þórsdóttir", "personal"),
    ("Łukasz", "Wróblewski", "client"),
    ("Nguyễn", "Thị Lan", "client"),
)

# ---------------------------------------------------------------------------------------------
# texts (invented)
# ---------------------------------------------------------------------------------------------

CLIENT_ASKS = (
    "Hi Morwenna, could you have a quick look at my CV before I apply to {employer}?",
    "Hello Morwenna, I have an interview with {employer} next week and I'm really nervous. Any tips for competency questions?",
    "Hi Morwenna, I'm in my final year and can't decide between a master's and applying for graduate schemes. What would you suggest?",
    "Hi, is it normal to hear nothing back from an assessment centre after two weeks?",
    "Hello Morwenna, I'm thinking about moving into data analysis. Where would you start?",
    "Hi Morwenna, do you know whether {employer} sponsors visas for graduate roles?",
    "Hi, I've had an offer from {employer} but the salary is lower than I hoped. Is it OK to negotiate?",
    "Hi Morwenna, could you check my cover letter for a placement year application?",
    "Hello, I graduated last summer and I'm still looking for work. Could we talk about my options?",
    "Hi Morwenna, what's the best way to answer 'tell me about yourself' in an interview?",
    "Hi Morwenna, I'd love some advice on my personal statement for teacher training.",
    "Hello Morwenna, I've been rejected by six graduate schemes now. What am I doing wrong?",
    "Hi Morwenna, how do I explain a gap year on my CV?",
    "Hi, should I accept a fixed-term contract at {employer} or keep waiting for something permanent?",
    "Hi Morwenna, is it worth doing an unpaid internship at {employer}?",
    "Hello, how early should I start applying for summer internships?",
)
FOLLOW_UPS = ("Sorry, I should have said: the deadline is Friday.",
              "I've attached the job description as well.", "Thanks so much in advance!",
              "Also, would it help to mention my volunteering?",
              "It's for the {employer} scheme, if that helps.")
FOLLOW_QUESTIONS = ("Thanks! One more question: should I mention my grades?",
                    "That makes sense. Would you do the same for a part-time role?",
                    "Great, and how long should the cover letter be?",
                    "Thank you. Is it too late to apply this year?",
                    "OK, and should I send it as a PDF?")
THANKS = ("Thank you so much, that's really helpful!", "Thanks Morwenna, I'll do that.",
          "That's brilliant, thank you!", "Thanks, I really appreciate it.")
PRO_ASKS = (
    "Hi Morwenna, we're opening the {company} summer internships next month. Could you share them with your students?",
    "Hello Morwenna, would your team be interested in a CV workshop run by {company}?",
    "Hi Morwenna, do you have a contact for the spring careers fair stands?",
    "Hi Morwenna, could we talk about a skills session for second-year students?",
)
COLLEAGUE_ASKS = ("Hi Morwenna, could you cover the Thursday drop-in for me?",
                  "Do you have the latest graduate outcomes figures to hand?",
                  "Morwenna, are you free to co-run the interview skills workshop in week 5?",
                  "Quick one: which room are we in for the employer panel?")
UNKNOWN_ASKS = ("Hello, I'm not a Northbridge student but could you give me some career advice?",
                "Hi Morwenna, I found your profile. Could you help me find a job in marketing?",
                "Hi, can you recommend a good recruiter for engineering roles?",
                "Hello, would you look at my LinkedIn profile and tell me what to improve?")
PERSONAL_ASKS = ("Morwenna! Are we still on for the walk on Saturday?",
                 "Happy birthday for yesterday! Drinks soon?",
                 "Are you coming to Hester's leaving do on Friday?",
                 "Did you get home OK after the concert?")
ASKS = {"client": CLIENT_ASKS, "professional": PRO_ASKS, "colleague": COLLEAGUE_ASKS,
        "unknown": UNKNOWN_ASKS, "personal": PERSONAL_ASKS, "spam": UNKNOWN_ASKS}

ANSWERS = {
    "client": (
        "Thanks for your message. For competency questions, use one specific example each time and finish with what you learned from it.",
        "Good question. A master's is worth it when the roles you want ask for one, so check five job adverts before deciding.",
        "That's quite normal, sadly. A polite chaser to the recruiter after two weeks is perfectly fine.",
        "Yes, negotiating a graduate salary politely is fine; ask about the whole package, not only the figure.",
        "Start with a short online course and one small project you can show; that counts for more than certificates.",
        "Keep the first paragraph of your letter about why this employer, in your own words, and cut the rest to one page.",
        "A gap year is fine on a CV: one line on what you did and what it taught you is enough.",
        "Lead with your strongest example, keep each answer under two minutes, and have two questions ready for them.",
    ),
    "colleague": ("Of course, happy to help.", "Yes, I'll send them over this afternoon.",
                  "Count me in for week 5.", "Room 2.14 in the Hallam Building, I think."),
    "professional": ("Thanks, that sounds great. Send me the details and I'll share them with the team.",
                     "Lovely to hear from you. Yes, let's find a date in the spring term.",
                     "Thank you, I'll pass this on to the students it suits."),
    "personal": ("Yes! See you at ten by the bridge.", "Thank you! Drinks on Friday?",
                 "I'll be there.", "All good, thanks for asking."),
    "unknown": ("Thanks for getting in touch. The most useful first step is to list three roles you'd apply for tomorrow and work back from what they ask for.",
                "Thanks for asking. Look at the skills section first: five specific skills beat twenty vague ones."),
}
ANSWERS["spam"] = ANSWERS["unknown"]
THANKS_REPLIES = ("You're very welcome, good luck!", "Glad it helped. Let me know how you get on.",
                  "My pleasure, fingers crossed for you.")
REFERRALS = {
    "appointment": (
        f"The best next step is a one-to-one appointment where we can go through it properly: you can book an appointment at {BOOKING_URL}",
        f"This needs a proper conversation, so please book an appointment with one of our advisers: {BOOKING_URL}",
    ),
    "mentor": (
        f"Our alumni mentor scheme would suit this really well. Sign up at {MENTORING_URL} and you'll be matched with an alumni mentor in the sector.",
    ),
    "event": (
        f"Come along to Employer Insight Week: the events are listed at {EVENTS_URL} and several recruiters will be there.",
    ),
    "resource": (
        f"Our online CV and cover letter guide covers exactly this: {RESOURCE_URL}",
    ),
    "reception": (
        "Please contact Careers Reception (Level 2, Hallam Building, or careers@northbridge.ac.uk) and they'll put you in touch with the right person.",
    ),
    "other": (
        "Could you send the details to our employer engagement team at employers@northbridge.ac.uk? They handle all vacancy advertising.",
    ),
}
EXPLAINS = (
    "I'm afraid I can't review applications over LinkedIn messages, as I need to keep things fair for every student.",
    "I'm afraid I can't help with this one personally at the moment. I hope you understand.",
    "I'm afraid I can't give individual advice over LinkedIn, but thank you for thinking of me.",
)
INTRO_ASKS = (
    "Hi Morwenna, could you introduce me to {target}? I'd love to hear about graduate roles at {company}.",
    "Hello Morwenna, would you put me in touch with {target}? I'm really interested in {company}.",
    "Hi Morwenna, I saw you're connected with {target}. Could you introduce me?",
)
INTRO_MADE = "Happy to. I've just started a conversation with you and {tf}."
INTRO_GROUP = ("{tf}, meet {rf}: {rf} is a Northbridge graduate keen on {company}. {rf}, {tf} "
               "leads early careers there. I'll leave you both to it!")
INTRO_TARGET_HELLO = "Lovely to meet you, {rf}. Let's find a time for a call next week."
INTRO_REQUESTER_HELLO = "Thank you both! I'm free most afternoons."
INTRO_WRAP = "Wonderful, glad you two are connected."
INTRO_MET = "I met {tf} for coffee last week. Thank you so much for the introduction!"
INTRO_MET_REPLY = "That's wonderful to hear!"
INTRO_EXPLAIN = ("I'm afraid I can't introduce you to {tf}: I only make introductions where I know "
                 "both sides well enough to vouch for them.")
INTRO_REDIRECT = (f"Rather than a direct introduction, the alumni mentor scheme is the best route in: "
                  f"sign up at {MENTORING_URL} and ask for someone at {{company}}.")
INTRO_CHECK = "Let me check with {tf} first and I'll come back to you."
INTRO_ASK_TARGET = ("Hi {tf}, would you be open to a short introduction to a Northbridge graduate "
                    "who is keen on {company}?")
INTRO_TARGET_NO = "Sorry Morwenna, I can't take anything like that on at the moment."
INTRO_TARGET_NO_REPLY = "Completely understood, thank you for letting me know."
INTRO_TELL_DECLINED = ("I'm sorry: {tf} isn't able to help at the moment. Do keep an eye on "
                       "their vacancies page.")
ASK_INVITE = ("Thank you for the invitation. I don't think we've met: could you tell me a little "
              "about how we know each other?")
ASK_INVITE_REPLIES = ("We met at the Graduate Fair in October, I was on the volunteer team.",
                      "I'm a friend of Hester's from the choir!",
                      "I'm a recruiter and thought we might work together.")
ASK_INVITE_OWNER = "Thanks for explaining, nice to hear from you."
REDIRECT_INVITE = ("Thank you for the invitation. I keep LinkedIn for colleagues and employers, so "
                   f"I won't connect here, but you can book an appointment at {BOOKING_URL} or "
                   "join the Northbridge Careers Network group.")
INVITE_NOTES = {
    "client": ("Hi Morwenna, we met at the CV clinic. I'd love to connect.",
               "Hello, I'm a Northbridge student and enjoyed your workshop."),
    "professional": ("Hi Morwenna, great to meet you at the careers fair.",),
    "colleague": ("Hi Morwenna, I've just joined the Careers Service team!",),
    "unknown": ("Hi, I'd like to add you to my professional network.",),
    "personal": ("Lovely to see you last weekend!",),
    "spam": ("Hi Morwenna! I help careers professionals 10x their reach with crypto growth hacking. Let's connect!",
             "Web3 opportunity: double your network with our growth hacking bot."),
}
# personalised notes that jog the adviser's memory (asked for by the second policy)
PERSONAL_NOTES = {
    "client": ("Hi Morwenna, we spoke at the CV clinic on Tuesday about my placement year. I'd love to stay in touch.",
               "Hello Morwenna, you helped me prepare for my Glasswing interview last month: I got the job! Thank you."),
    "unknown": ("Hi Morwenna, we met at the alumni evening in Leeds; I was the one asking about museum careers.",
                "Hello, I sat next to you at the Graduate Recruitment conference lunch. Great to meet you!"),
}
MULTILINE_INVITE = ("Hi Morwenna,\nThank you for the talk on graduate schemes today.\n"
                    "Best wishes,\n{first}")
OUTREACH = "Hi {first}, would {company} like to join a panel at our Employer Insight Week in March?"
OUTREACH_REPLIES = ("Yes, count us in!", "Not this year, sorry, but please ask again in the autumn.",
                    "Sounds great, who else is on the panel?")
OUTREACH_WRAP = "Wonderful, thank you. I'll send the details next week."
GROUP_TITLES = ("Graduate Fair planning", "Employer Insight Week", "Drop-in rota",
                "Placement year briefing", "Careers awards shortlist")
GROUP_LINES = ("Shall we meet on Tuesday to finalise the stands?", "I can take the morning slot.",
               "I've updated the shared spreadsheet.", "Could someone book the Hallam foyer?",
               "Great, thanks all.", "I'll draft the email to employers.")
SPONSORED_TEXT = ('<p class="spinmail-quill-editor__spin-break">Hi Morwenna, discover the '
                  '{sponsor} leadership programme&nbsp;&ndash; 20% off for careers '
                  'professionals this month.</p>')
INMAIL_SUBJECT = "Graduate recruitment partnership"
INMAIL_TEXT = ("Dear Morwenna, {company} helps universities place graduates faster. Could we "
               "book 15 minutes next week?")
FIRSTNAME_TEXT = ("Hi %FIRSTNAME%, I came across your profile and have an exciting opportunity "
                  "in fintech sales. Are you open to a chat?")
HIDDEN_TEXTS = ("Hello, are you still running the careers drop-in on Wednesdays?",
                "Hi, is the careers service open over the summer?")
SPAM_FOLDER_TEXTS = ("Earn 5 BTC a week with our growth hacking system! Reply YES to start.",
                     "Congratulations Morwenna, you've been selected for an exclusive crypto mastermind.")
SYSTEM_ACCEPTED = "Message request accepted"
SYSTEM_LEFT = "A LinkedIn member left the conversation."
SCRIPT_TEXT = ("Hi Morwenna, is this the right place to ask about the careers fair? "
               "<script>alert(1)</script> Sorry, I pasted the wrong thing!")
DRAFT_TEXTS = ("Thanks for your message, I'll get back to you properly once",
               "Hi, just a quick note to say", "Sorry for the slow reply, it has been")
COACH_USER = ("How can I make my LinkedIn headline stronger?",
              "Can you help me prepare for a panel interview?",
              "What should I post about the careers fair?")
COACH_BOT = ("Try leading with who you help and how, for example 'Careers adviser helping students find their first role'.",
             "Start by listing three examples that show your impact.",
             "Share one practical tip and one photo from the day.")


# ---------------------------------------------------------------------------------------------
# time helpers (everything is UTC epoch seconds; no wall clock)
# ---------------------------------------------------------------------------------------------

def _epoch(d: date, hh: int = 0, mm: int = 0, ss: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=UTC).timestamp())


def _dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _day(t: int) -> date:
    return _dt(t).date()


def _iso(t: int) -> str:
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def _last_sunday(year: int, month: int) -> date:
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def _london_offset(t: int) -> int:
    """Seconds east of UTC in Europe/London (BST from the last Sunday of March to October)."""
    year = _dt(t).year
    start = _epoch(_last_sunday(year, 3), 1)
    end = _epoch(_last_sunday(year, 10), 1)
    return 3600 if start <= t < end else 0


def _working_time(t: int, rng: random.Random, start_h: int = 9, end_h: int = 17) -> int:
    """``t`` or the next moment inside London working hours (Mon-Fri 09:00-17:00)."""
    for _ in range(20):
        off = _london_offset(t)
        loc = _dt(t + off)
        midnight = _epoch(loc.date()) - off
        if loc.weekday() >= 5 or loc.hour >= end_h:
            t = midnight + 86400 + start_h * 3600 + rng.randint(0, 5400)
            continue
        if loc.hour < start_h:
            t = midnight + start_h * 3600 + rng.randint(0, 5400)
            continue
        return t
    return t


def _us_datetime(t: int) -> str:
    d = _dt(t)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year % 100:02d}, {hour}:{d.minute:02d} {'AM' if d.hour < 12 else 'PM'}"


def _utc_text(t: int) -> str:
    return _dt(t).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso_local(t: int) -> str:
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%S")


def _connected_on_text(t: int, style: str) -> str:
    d = _dt(t)
    if style == "us":
        return _us_datetime(t)
    if style == "dmy-dash":  # spreadsheet: 29-Nov-21
        return f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year % 100:02d}"
    if style == "dmy-dot":  # spreadsheet: 16.09.2021
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _wchoice(rng: random.Random, weights: dict):
    total = sum(weights.values())
    r = rng.random() * total
    for key, w in weights.items():
        r -= w
        if r < 0:
            return key
    return key


# ---------------------------------------------------------------------------------------------
# people and keys
# ---------------------------------------------------------------------------------------------

def name_key(name: str) -> str:
    """``name:`` + NFKC, single-spaced, case-folded display name (the truth's own rule)."""
    return "name:" + " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass(eq=False)
class Person:
    first: str
    last: str
    slug: str  # lower-case, raw Unicode
    relationship: str
    company: str = ""
    position: str = ""
    email: str = ""
    urn: int = 0

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def url(self) -> str:
        return PROFILE_PREFIX + self.slug

    @property
    def url_encoded(self) -> str:
        return PROFILE_PREFIX + quote(self.slug, safe="-._~")

    @property
    def key(self) -> str:
        return self.url

    @property
    def name_key(self) -> str:
        return name_key(self.name)


def _slug_base(first: str, last: str) -> str:
    text = f"{first} {last}".lower().replace(", phd", "")
    chars = [c if c.isalnum() else "-" for c in text]
    return "-".join(part for part in "".join(chars).split("-") if part)


class _People:
    """Makes unique invented people from the name pools."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()  # membership only, never iterated
        self.slugs: set[str] = set()

    def make(self, relationship: str, first: str | None = None, last: str | None = None) -> Person:
        rng = self.rng
        for _ in range(1000):
            f = first or rng.choice(FIRST_NAMES)
            l = last or rng.choice(LAST_NAMES)  # noqa: E741
            if f"{f} {l}" not in self.names:
                break
            if first and last:
                raise ValueError(f"duplicate person {first} {last}")
        else:  # pragma: no cover - pools are large
            raise RuntimeError("ran out of invented names")
        self.names.add(f"{f} {l}")
        base = _slug_base(f, l)
        while True:
            slug = base if rng.random() < 0.15 else f"{base}-{rng.getrandbits(28):07x}"
            if slug not in self.slugs:
                break
        self.slugs.add(slug)
        company, position = _attributes(rng, relationship)
        return Person(f, l, slug, relationship, company, position, "",
                      rng.randrange(10_000_000, 999_999_999))


def _attributes(rng: random.Random, relationship: str) -> tuple[str, str]:
    if relationship == "client":
        if rng.random() < 0.6:
            return "", rng.choice(CLIENT_STUDENT_POSITIONS)
        return rng.choice(EMPLOYERS), rng.choice(CLIENT_GRADUATE_POSITIONS)
    if relationship == "colleague":
        return INSTITUTION, rng.choice(COLLEAGUE_POSITIONS)
    if relationship == "professional":
        return rng.choice(EMPLOYERS), rng.choice(EMPLOYER_POSITIONS)
    if relationship == "spam":
        return rng.choice(SPAM_COMPANIES), rng.choice(SPAM_POSITIONS)
    return rng.choice(OTHER_COMPANIES), rng.choice(OTHER_POSITIONS)


def _owner(name: str | None = None) -> Person:
    """The account holder: Morwenna Achterberg, or another invented adviser by name."""
    if not name or name == OWNER_NAME:
        return Person(OWNER_FIRST, OWNER_LAST, OWNER_SLUG, "owner", INSTITUTION,
                      "Careers Adviser", "", OWNER_URN)
    first, _, last = name.strip().partition(" ")
    digest = int.from_bytes(name.encode("utf-8"), "big") % 0xFFFFFF
    return Person(first, last, f"{_slug_base(first, last)}-{digest:06x}", "owner", INSTITUTION,
                  "Careers Adviser", "", 100_000_000 + digest)


# ---------------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Msg:
    mid: int
    conv: str
    title: str
    sender_name: str
    sender_url: str
    to_names: str
    recipient_urls: str
    t: int
    subject: str
    content: str
    folder: str
    attachments: str = ""
    draft: bool = False
    conv_draft: bool = False
    reason: str | None = None  # None = person-to-person
    outbound: bool = False
    kind: str | None = None  # owner messages: answer / explain / refer:<referral>
    deleted_on: int | None = None  # vanishes from exports dated after this
    ckey: str = ""  # the conversation as the ingest must rebuild it
    direction: str = ""  # INCOMING / OUTGOING (2018, 2020)
    parts: tuple = ()  # the people in the row (not the owner)
    redacted: bool = False
    ack: bool = False  # an acknowledgement ("thanks!"): needs no reply


@dataclass(eq=False)
class Conv:
    id: str
    title: str
    folder: str
    members: list  # people other than the owner
    sep: str = ","
    last_t: int = 0


@dataclass(eq=False)
class Invitation:
    direction: str  # INCOMING / OUTGOING
    person: Person
    t: int  # minute precision
    message: str = ""
    decision: str | None = None
    accepted_on: date | None = None


@dataclass(eq=False)
class ConnRow:
    person: Person | None  # None: a blank-person row
    t: int
    removed: int | None = None
    first: str = ""
    last: str = ""
    company: str = ""
    position: str = ""
    email: str = ""


class _Builder:
    """Appends message rows for one layout, rendering names, URLs and conversation keys."""

    def __init__(self, era: str, owner: Person, rng: random.Random):
        self.era = era
        self.owner = owner
        self.rng = rng
        self.msgs: list[Msg] = []
        self.mid = 0
        self.has_ids = era >= "2021"
        self.has_urls = era >= "2021"

    def conv_id(self) -> str:
        rng = self.rng
        raw = (f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-"
               f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}_{rng.choice((0, 10, 100)):03d}")
        return "2-" + base64.b64encode(raw.encode()).decode()

    def new_conv(self, members, title: str = "", folder: str = "INBOX", sep: str = ",") -> Conv:
        return Conv(self.conv_id() if self.has_ids else "", title, folder, list(members), sep)

    def render_url(self, person: Person) -> str:
        """How messages.csv writes a profile URL: raw Unicode slug, sometimes untidy."""
        if not self.has_urls:
            return ""
        r = self.rng.random()
        if person is self.owner:
            if r < 0.03:
                return PROFILE_PREFIX + person.slug + "/"
            return person.url
        if r < 0.04:
            return "http://www.linkedin.com/in/" + person.slug
        if r < 0.08:
            return person.url + "/"
        if r < 0.12:
            return PROFILE_PREFIX + "-".join(p.capitalize() for p in person.slug.split("-"))
        return person.url

    def _next_id(self) -> int:
        self.mid += 1
        return self.mid

    def add(self, conv: Conv, sender: Person, t: int, content: str, *, reason: str | None = None,
            kind: str | None = None, subject: str = "", attachments: str = "",
            folder: str | None = None, recipients=None) -> Msg:
        owner = self.owner
        everyone = [owner] + list(conv.members)
        if recipients is None:
            recipients = [p for p in everyone if p is not sender]
        outbound = sender is owner
        if self.has_ids:
            ckey = conv.id
        else:  # pre-2021: the conversation is the owner and one counterpart
            other = recipients[0] if outbound else sender
            ckey = other.name_key
        msg = Msg(
            mid=self._next_id(), conv=conv.id, title=conv.title, sender_name=sender.name,
            sender_url=self.render_url(sender),
            to_names=", ".join(p.name for p in recipients),
            recipient_urls=conv.sep.join(self.render_url(p) for p in recipients),
            t=t, subject=subject, content=content,
            folder=conv.folder if folder is None else folder, attachments=attachments,
            reason=reason, outbound=outbound, kind=kind if outbound else None, ckey=ckey,
            direction="OUTGOING" if outbound else "INCOMING",
            parts=tuple(p for p in [sender, *recipients] if p is not owner),
        )
        if self.era == "2018" and outbound and msg.folder == "INBOX":
            msg.folder = "SENT"
        conv.last_t = max(conv.last_t, t)
        self.msgs.append(msg)
        return msg

    def add_raw(self, conv_id: str, title: str, sender_name: str, t: int, content: str, *,
                reason: str, to_names: str = "", recipient_urls: str = "", subject: str = "",
                folder: str = "INBOX", sender_url: str = "", parts: tuple = ()) -> Msg:
        """A row whose sender is not a person (LinkedIn Member, a company, a sponsor)."""
        ckey = conv_id if self.has_ids else name_key(sender_name)
        msg = Msg(mid=self._next_id(), conv=conv_id, title=title, sender_name=sender_name,
                  sender_url=sender_url, to_names=to_names, recipient_urls=recipient_urls, t=t,
                  subject=subject, content=content, folder=folder, reason=reason, ckey=ckey,
                  direction="INCOMING", parts=parts)
        self.msgs.append(msg)
        return msg

    def add_redacted(self, t: int) -> Msg:
        msg = Msg(mid=self._next_id(), conv="", title="", sender_name="", sender_url="",
                  to_names="", recipient_urls="", t=t, subject="", content="", folder="",
                  reason="redacted", ckey=f"~redacted{self.mid}", redacted=True)
        self.msgs.append(msg)
        return msg

    def add_draft(self, conv: Conv | None, t: int, content: str, *, column: bool,
                  detached: bool) -> Msg:
        """An unsent owner draft: empty FOLDER, or ``IS MESSAGE DRAFT`` = Yes (``column``)."""
        owner = self.owner
        members = conv.members if conv else []
        detached = detached or conv is None
        msg = Msg(mid=self._next_id(), conv="" if detached else conv.id,
                  title="" if detached else conv.title, sender_name=owner.name,
                  sender_url=self.render_url(owner),
                  to_names="" if detached else ", ".join(p.name for p in members),
                  recipient_urls="" if detached else conv.sep.join(self.render_url(p) for p in members),
                  t=t, subject="", content=content,
                  folder="INBOX" if (column and not detached) else "",
                  draft=column, conv_draft=detached and column, reason="draft", outbound=True,
                  ckey=(conv.id if conv and not detached else f"~draft{self.mid}"),
                  direction="OUTGOING", parts=tuple(members))
        self.msgs.append(msg)
        return msg


def _decorate(rng: random.Random, text: str, outbound: bool) -> str:
    """HTML paragraphs and entities, as LinkedIn sometimes stores them."""
    r = rng.random()
    if outbound:
        r = r * 3  # owner text is decorated less often
    if r < 0.05:
        body = text.replace("'", "&rsquo;").replace(" & ", " &amp; ")
        return f'<p class="msg-s-event-listitem__body t-14">{body}</p>'
    if r < 0.13:
        text = text.replace("'", "&rsquo;").replace(" & ", " &amp; ")
        return text.replace(", ", ",&nbsp;", 1)
    return text


def _attachment_url(rng: random.Random) -> str:
    return ("https://www.linkedin.com/dms/prv/attachment/v2/D4E10AQ"
            + base64.urlsafe_b64encode(rng.randbytes(18)).decode().rstrip("="))


def _fmt(text: str, **values) -> str:
    for k, v in values.items():
        text = text.replace("{" + k + "}", v)
    return text


# ---------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------

def _csv_text(rows, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=lineterminator)
    writer.writerows(rows)
    return buf.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode("utf-8")


def _connections_bytes(era: str, rows: list[ConnRow], *, encoding: str = "utf-8",
                       resaved: bool = False, resave_style: str = "dmy-dash") -> bytes:
    with_url = era >= "2023"
    header = CONNECTIONS_HEADER_URL if with_url else CONNECTIONS_HEADER_OLD
    date_style = "us" if era == "2018" else "dmy"
    if resaved:
        date_style = resave_style
    ordered = sorted(rows, key=lambda r: -r.t)  # newest first (stable)
    body = [header]
    for r in ordered:
        when = _connected_on_text(r.t, date_style)
        if r.person is None:
            cells = ["", "", "", "", "", ""] if with_url else ["", "", "", "", ""]
        else:
            cells = [r.first, r.last] + ([r.person.url_encoded] if with_url else []) + [
                r.email, r.company, r.position]
        body.append(cells + [when])
    notes = era >= "2021"
    if resaved:  # spreadsheet re-save: BOM, CRLF, ';', minimal quoting
        pre = [["Notes:"], [NOTES_TEXT], []] if notes else []
        text = _csv_text(pre + body, delimiter=";", lineterminator="\r\n")
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16":  # legacy: UTF-16LE with BOM, tab-separated, fully quoted
        pre = [["Notes:"], [NOTES_TEXT], []] if notes else []
        text = _csv_text(pre + body, delimiter="\t", quoting=csv.QUOTE_ALL).rstrip("\n")
        return _encode(text, "utf-16")
    text = (NOTES_BLOCK if notes else "") + _csv_text(body)
    return text.rstrip("\n").encode("utf-8")  # the file does not end with a newline


def _message_header(era: str, trailing=()) -> list[str]:
    header = list(MESSAGES_HEADERS[era])
    if era == "2025":
        header += [c for c in TRAILING if c in trailing]
    return header


def _message_cells(m: Msg, era: str, trailing=()) -> list[str]:
    if m.redacted:
        when = {"2018": _us_datetime, "2020": _iso_local}.get(era, _utc_text)(m.t)
        header = _message_header(era, trailing)
        return [when if h.upper() == "DATE" else "" for h in header]
    if era == "2018":
        return [m.sender_name, m.to_names, _us_datetime(m.t), m.subject, m.content, m.direction,
                m.folder]
    if era == "2020":
        return [m.sender_name, m.to_names, _iso_local(m.t), m.subject, m.content, m.direction,
                m.folder]
    if era == "2021":
        return [m.conv, m.title, m.sender_name, m.sender_url, m.to_names, _utc_text(m.t),
                m.subject, m.content, m.folder]
    cells = [m.conv, m.title, m.sender_name, m.sender_url, m.to_names, m.recipient_urls,
             _utc_text(m.t), m.subject, m.content, m.folder]
    if era == "2025":
        extra = {"ATTACHMENTS": m.attachments, "IS MESSAGE DRAFT": "Yes" if m.draft else "No",
                 "IS CONVERSATION DRAFT": "Yes" if m.conv_draft else "No"}
        cells += [extra[c] for c in TRAILING if c in trailing]
    return cells


def _order_messages(msgs: list[Msg]) -> list[Msg]:
    """Grouped by conversation (most recent conversation first), newest first within it."""
    blocks: dict[str, list[Msg]] = {}
    for m in msgs:
        key = m.conv if m.conv else m.ckey
        blocks.setdefault(key, []).append(m)
    ordered = []
    for block in blocks.values():
        block.sort(key=lambda m: (-m.t, -m.mid))
        ordered.append(block)
    ordered.sort(key=lambda b: (-b[0].t, -b[0].mid))
    return [m for block in ordered for m in block]


def _messages_bytes(era: str, msgs: list[Msg], *, trailing=(), encoding: str = "utf-8") -> bytes:
    rows = [_message_header(era, trailing)]
    rows += [_message_cells(m, era, trailing) for m in _order_messages(msgs)]
    if encoding == "utf-16":
        return _encode(_csv_text(rows, delimiter="\t", quoting=csv.QUOTE_ALL), "utf-16")
    return _csv_text(rows).encode("utf-8")


def _invitations_bytes(era: str, invitations: list[Invitation], owner: Person) -> bytes:
    rows = [INVITATIONS_HEADERS[era]]
    for inv in sorted(invitations, key=lambda i: -i.t):
        p = inv.person
        incoming = inv.direction == "INCOMING"
        inviter, invitee = (p, owner) if incoming else (owner, p)
        row = [inviter.name, invitee.name, _us_datetime(inv.t), inv.message, inv.direction]
        if era == "2023":
            row += [f"urn:li:member:{inviter.urn}", f"urn:li:member:{invitee.urn}"]
        elif era >= "2024":
            row += [inviter.url_encoded, invitee.url_encoded]
        rows.append(row)
    return _csv_text(rows).encode("utf-8")


def _profile_bytes(owner: Person) -> bytes:
    row = [owner.first, owner.last, "", "", "",
           f"Dr {owner.name} | Careers Adviser, {SERVICE}",
           "I help students and graduates of Northbridge University find their way into work.",
           "Higher Education", "", "Northbridge, England, United Kingdom", "",
           f"[PORTFOLIO:{BOOKING_URL}]", ""]
    return _csv_text([PROFILE_HEADER, row]).encode("utf-8")


def _irrelevant_files() -> dict[str, bytes]:
    jobs = _csv_text([
        ["Application Date", "Contact Email", "Contact Phone Number", "Company Name", "Job Title",
         "Job Url", "Resume Name", "Question And Answers"],
        ["3/14/24, 9:02 AM", "morwenna.a@example.org", "", "Tidewell Health Trust",
         "Senior Careers Consultant", "", "CV_Achterberg_2024.pdf", ""],
    ]).encode("utf-8")
    ads = _csv_text([
        ["Member Age", "Company Names", "Degrees", "Fields of Study", "Job Functions",
         "Member Interests", "Years of Experience"],
        ["35 to 54", "Northbridge University", "Doctor of Philosophy", "Education",
         "Education; Human Resources", "Careers guidance; Higher education", "10 to 15"],
    ]).encode("utf-8")
    skills = _csv_text([["Name"], ["Careers guidance"], ["Coaching"], ["Employer engagement"]])
    return {"Jobs/Job Applications.csv": jobs, "Ad_Targeting.csv": ads,
            "Skills.csv": skills.encode("utf-8")}


def _coach_bytes(era: str, owner: Person, n_rows: int, start_t: int, seed_text: str,
                 trailing=()) -> bytes:
    """An AI-coach chat: the messages header, rows that are not people."""
    rng = random.Random(seed_text)
    header = _message_header(era, trailing)
    rows = [header]
    conv = "2-" + base64.b64encode(f"coach-{seed_text}".encode()).decode()
    t = start_t
    for i in range(n_rows):
        mine = i % 2 == 0
        text = COACH_USER[(i // 2) % len(COACH_USER)] if mine else COACH_BOT[(i // 2) % len(COACH_BOT)]
        t += rng.randint(30, 600)
        sender = owner.name if mine else "LinkedIn Coach"
        url = owner.url if mine else ""
        to = "LinkedIn Coach" if mine else owner.name
        values = {
            "CONVERSATION ID": conv, "CONVERSATION TITLE": "Career coaching", "FROM": sender,
            "SENDER PROFILE URL": url, "TO": to, "RECIPIENT PROFILE URLS": "" if mine else owner.url,
            "DATE": {"2018": _us_datetime, "2020": _iso_local}.get(era, _utc_text)(t),
            "SUBJECT": "", "CONTENT": text, "FOLDER": "INBOX",
            "DIRECTION": "OUTGOING" if mine else "INCOMING", "ATTACHMENTS": "",
            "IS MESSAGE DRAFT": "No", "IS CONVERSATION DRAFT": "No",
        }
        rows.append([values[h.upper()] for h in header])
    return _csv_text(rows).encode("utf-8")


def _export_name(export_date: date, kind: str = "Complete") -> str:
    return f"{kind}_LinkedInDataExport_{export_date:%m-%d-%Y}"


def _emit(out_dir: Path, export_date: date, files: dict[str, bytes], *, zipped: bool,
          nested: bool, kind: str = "Complete") -> Path:
    """Write the files as LinkedIn delivers them: a zip, a folder, or a nested ``(1)`` folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = _export_name(export_date, kind)
    if nested:
        files = {NESTED_RENAMES.get(name, name): data for name, data in files.items()}
        outer = f"{base} (1)"
        members = {f"{base}/{name}": data for name, data in files.items()}
    else:
        outer = base
        members = files
    target = out_dir / (outer + ".zip" if zipped else outer)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    if zipped:
        stamp = (export_date.year, export_date.month, export_date.day, 0, 0, 0)
        with zipfile.ZipFile(target, "w") as zf:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3
                zf.writestr(info, data, compresslevel=9)
    else:
        for name, data in members.items():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return target


# ---------------------------------------------------------------------------------------------
# truth
# ---------------------------------------------------------------------------------------------

@dataclass
class ExportTruth:
    """What an ingest of one export must find (the counts of ``ingest --json`` for it alone)."""

    path: str
    era: str
    export_date: str
    owner_name: str
    owner_url: str | None
    connections: int
    blank_person: int
    messages: int
    invitations: int
    skipped: dict
    requests: int
    layout: dict = field(default_factory=dict)

    def to_dict(self, relative_to: Path | None = None) -> dict:
        data = asdict(self)
        if relative_to is not None:
            data["path"] = Path(self.path).relative_to(relative_to).as_posix()
        return data


@dataclass
class SeriesTruth:
    """The story of ``write_series``: snapshots, cumulative counts and the true labels."""

    out_dir: str
    seed: int
    owner: dict
    snapshots: list
    cumulative: list
    people: dict
    invitations: list
    requests: list
    introductions: list
    declines: list
    policy_versions: list
    busy_weeks: list = field(default_factory=list)
    story: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        base = Path(self.out_dir)
        return {
            "description": "Truth of the synthetic sample series (adviser_analytics.samples). "
                           "All people, companies and texts are invented.",
            "seed": self.seed,
            "owner": self.owner,
            "snapshots": [s.to_dict(relative_to=base) for s in self.snapshots],
            "cumulative": self.cumulative,
            "people": self.people,
            "invitations": self.invitations,
            "requests": self.requests,
            "introductions": self.introductions,
            "declines": self.declines,
            "policy_versions": self.policy_versions,
            "busy_weeks": self.busy_weeks,
            "story": self.story,
        }


def episodes(msgs: list[Msg]) -> list[dict]:
    """Inbound episodes of person-to-person rows: maximal runs of inbound messages per conversation.

    Each: ``ckey``, ``start`` (first inbound Msg), ``msgs``, ``reply`` (the owner's next Msg or None).
    """
    by_conv: dict[str, list[Msg]] = {}
    for m in msgs:
        if m.reason is None:
            by_conv.setdefault(m.ckey, []).append(m)
    found = []
    for ckey, rows in by_conv.items():
        rows.sort(key=lambda m: (m.t, m.mid))
        current = None
        for m in rows:
            if not m.outbound:
                if current is None:
                    current = {"ckey": ckey, "start": m, "msgs": [m], "reply": None}
                else:
                    current["msgs"].append(m)
            elif current is not None:
                current["reply"] = m
                found.append(current)
                current = None
        if current is not None:
            found.append(current)
    found.sort(key=lambda e: (e["start"].t, e["start"].mid))
    return found


def _invitation_id(inv: Invitation, owner: Person) -> tuple:
    return (inv.direction, inv.person.name_key, inv.t // 60)


def _export_truth(path: Path, era: str, export_date: date, owner: Person, conns: list[ConnRow],
                  msgs: list[Msg], coach_rows: int, invitations: list[Invitation],
                  layout: dict) -> ExportTruth:
    with_url = era >= "2023"
    people = [r for r in conns if r.person is not None]
    keys = {(r.person.key if with_url else r.person.name_key) for r in people}
    skipped = {reason: 0 for reason in REASONS}
    skipped["blank_person"] = len(conns) - len(people)
    skipped["coach"] = coach_rows
    for m in msgs:
        if m.reason:
            skipped[m.reason] += 1
    return ExportTruth(
        path=str(path), era=era, export_date=export_date.isoformat(), owner_name=owner.name,
        owner_url=owner.url if era >= "2021" else None,
        connections=len(keys), blank_person=skipped["blank_person"],
        messages=sum(1 for m in msgs if m.reason is None),
        invitations=len({_invitation_id(i, owner) for i in invitations}),
        skipped=skipped, requests=len(episodes(msgs)), layout=layout,
    )


def _conn_row(rng: random.Random, person: Person, t: int, email_rate: float = 0.0) -> ConnRow:
    """A Connections.csv row, with the odd stray space and, rarely, an e-mail address."""
    row = ConnRow(person, t, None, person.first, person.last, person.company, person.position)
    r = rng.random()
    if r < 0.03:
        row.first = " " + row.first
    elif r < 0.06:
        row.position = row.position + " "
    elif r < 0.08:
        row.company = row.company + "  "
    if rng.random() < email_rate:
        local = _slug_base(person.first, person.last).replace("-", ".")
        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() or "member"
        row.email = f"{local}@example.org"
    return row


# ---------------------------------------------------------------------------------------------
# write_fixture: one export of one era, every quirk it can carry
# ---------------------------------------------------------------------------------------------

_TRAILING_BY_SEED = (TRAILING, ("IS MESSAGE DRAFT",), ("ATTACHMENTS",),
                     ("ATTACHMENTS", "IS MESSAGE DRAFT"), (), ("IS MESSAGE DRAFT", "IS CONVERSATION DRAFT"))


def write_fixture(out_dir, era: str = "2025", *, encoding: str = "utf-8", resaved: bool = False,
                  zipped: bool = True, nested: bool = False, seed: int = 0, n_people: int = 40,
                  n_messages: int = 200, trailing=None, kind: str = "Complete",
                  owner: str | None = None) -> ExportTruth:
    """Write one synthetic export in the layout of ``era``; return what an ingest must find.

    ``encoding="utf-16"``: messages.csv and Connections.csv as UTF-16LE with BOM, tab-separated,
    fully quoted. ``resaved``: Connections.csv re-saved by a spreadsheet (UTF-8 BOM, CRLF, ``;``,
    ``Connected On`` as ``29-Nov-21`` for even seeds, ``16.09.2021`` for odd ones).
    ``nested``: a ``... (1)/...`` folder (or, with ``zipped``, a zip of that inner folder) with
    some file names changed in case and spacing. ``n_messages``: rows of messages.csv
    (person-to-person and excluded together; the excluded rows are about 20). ``trailing``:
    for era 2025 the optional trailing message columns (default: chosen by ``seed``; all three
    for seed 0). ``owner``: the account holder's display name (default ``Morwenna Achterberg``;
    another name makes an export of another account).
    """
    if era not in ERAS:
        raise ValueError(f"era must be one of {', '.join(ERAS)}, not {era!r}")
    if encoding not in ("utf-8", "utf-16"):
        raise ValueError("encoding must be 'utf-8' or 'utf-16'")
    if n_people < len(SPECIAL_PEOPLE) + 3:
        raise ValueError(f"n_people must be at least {len(SPECIAL_PEOPLE) + 3}")
    out_dir = Path(out_dir)
    rng = random.Random(f"fixture:{era}:{seed}")
    export_date = FIXTURE_EXPORT_DATES[era]
    T = _epoch(export_date)
    if era != "2025":
        trailing = ()
    elif trailing is None:
        trailing = _TRAILING_BY_SEED[seed % len(_TRAILING_BY_SEED)]
    trailing = tuple(c for c in TRAILING if c in trailing)
    owner = _owner(owner)
    maker = _People(rng)
    people = [maker.make(rel, first, last) for first, last, rel in SPECIAL_PEOPLE]
    rels = {"client": 0.35, "professional": 0.2, "colleague": 0.12, "personal": 0.08,
            "unknown": 0.15, "spam": 0.1}
    while len(people) < n_people:
        people.append(maker.make(_wchoice(rng, rels)))
    special = {p.name: p for p in people[:len(SPECIAL_PEOPLE)]}

    # Connections: most people, never spam; tens of blank-person rows; 1-4 % e-mails
    conns: list[ConnRow] = []
    for p in people:
        if p.relationship == "spam" or (p.relationship == "unknown" and rng.random() < 0.3
                                        and p.first != "=HYPERLINK"):
            continue
        t = T - rng.randint(2 * 86400, 6 * 365 * 86400)
        conns.append(_conn_row(rng, p, t - t % 60))
    n_email = max(1, round(0.03 * len(conns)))
    for row in rng.sample(conns, n_email):
        row.email = f"{_slug_base(row.person.first, 'x').split('-')[0]}.{row.person.urn % 1000}@example.org"
        row.email = unicodedata.normalize("NFKD", row.email).encode("ascii", "ignore").decode()
    for _ in range(10 + n_people // 20):
        t = T - rng.randint(30 * 86400, 7 * 365 * 86400)
        conns.append(ConnRow(None, t - t % 60))

    b = _Builder(era, owner, rng)
    minute = era == "2018"

    def when(t: int) -> int:
        return t - t % 60 if minute else t

    convs: dict[str, Conv] = {}

    def conv_for(p: Person) -> Conv:
        if p.key not in convs:
            folder = "ARCHIVED" if era == "2018" else "ARCHIVE"
            convs[p.key] = b.new_conv([p], folder=folder if rng.random() < 0.12 else "INBOX")
        return convs[p.key]

    # excluded rows first (each with exactly one quirk), then fill with person-to-person rows
    start = T - 700 * 86400
    def rand_t(lo=start, hi=T - 86400) -> int:  # noqa: E306
        return when(rng.randint(lo, hi))

    excluded: list[Msg] = []
    spammers = [p for p in people if p.relationship == "spam"] or [maker.make("spam")]
    recruiter = maker.make("spam")
    # %FIRSTNAME% (every era)
    c = b.new_conv([recruiter])
    excluded.append(b.add(c, recruiter, rand_t(), FIRSTNAME_TEXT, reason="sponsored"))
    # hidden members (every era)
    for text in HIDDEN_TEXTS:
        excluded.append(b.add_raw(b.conv_id() if b.has_ids else "", "", "LinkedIn Member",
                                  rand_t(), text, reason="hidden_member", to_names=owner.name,
                                  recipient_urls=owner.url if era >= "2023" else ""))
    # redacted rows (every era)
    for _ in range(2):
        excluded.append(b.add_redacted(rand_t()))
    if era >= "2020":  # SPAM folder
        for text in SPAM_FOLDER_TEXTS:
            c = b.new_conv([spammers[0]], folder="SPAM")
            excluded.append(b.add(c, spammers[0], rand_t(), text, reason="spam_folder"))
    if era >= "2021":
        sponsor = rng.choice(SPONSORS)
        excluded.append(b.add_raw(b.conv_id(), "Sponsored Conversation", sponsor, rand_t(),
                                  _fmt(SPONSORED_TEXT, sponsor=sponsor), reason="sponsored",
                                  to_names=owner.name,
                                  recipient_urls=owner.url if era >= "2023" else ""))
        company = rng.choice(INMAIL_COMPANIES)
        excluded.append(b.add_raw(b.conv_id(), INMAIL_SUBJECT, company, rand_t(),
                                  _fmt(INMAIL_TEXT, company=company), reason="sponsored",
                                  subject=INMAIL_SUBJECT, to_names=owner.name,
                                  recipient_urls=owner.url if era >= "2023" else ""))

    # person-to-person conversations
    late = 7 if era >= "2021" else 1  # system rows and drafts, added below
    target_p2p = n_messages - len(excluded) - late
    if target_p2p < 20:
        raise ValueError("n_messages is too small for the quirks of this layout")
    p2p: list[Msg] = []
    order = [p for p in people if p.relationship != "spam"]
    rng.shuffle(order)
    order.sort(key=lambda p: p.name not in special)  # the special people talk first
    groups: list[Conv] = []
    if era >= "2021":
        colleagues = [p for p in people if p.relationship == "colleague"
                      and p is not special["Ingrid Vasquez-Thornbury, PhD"]
                      and p is not special["Siobhán Ó Briain"]]
        group_a = b.new_conv([special["Ingrid Vasquez-Thornbury, PhD"], special["Siobhán Ó Briain"]]
                             + colleagues[:1], title="Careers fair planning")
        pros = [p for p in people if p.relationship == "professional"][:3]
        group_b = b.new_conv(pros or order[:3], sep=";" if era >= "2023" else ",")
        groups = [group_a, group_b]

    def burst(conv: Conv, n: int, first_text: str | None = None, lo: int | None = None):
        t = max(conv.last_t + 3600, lo or rng.randint(start, T - 40 * 86400))
        t = when(t)
        inbound = rng.random() < 0.7 or first_text is not None
        for i in range(n):
            if t >= T - 3600:
                break
            if inbound:
                sender = rng.choice(conv.members)
                rel = sender.relationship
                if i == 0 and first_text:
                    text = first_text
                else:
                    text = _fmt(rng.choice(ASKS[rel] + THANKS), employer=rng.choice(EMPLOYERS),
                                company=sender.company or "your company")
                text = _decorate(rng, text, False)
                attach = ""
                if rng.random() < 0.05:
                    text, attach = "", (_attachment_url(rng) if "ATTACHMENTS" in trailing else "")
                p2p.append(b.add(conv, sender, t, text, attachments=attach))
            else:
                group = len(conv.members) > 1
                rel = "colleague" if group else conv.members[0].relationship
                kind = _wchoice(rng, {"answer": 1.0} if group else
                                {"answer": 0.6, "refer": 0.25, "explain": 0.15})
                if kind == "refer":
                    referral = rng.choice(sorted(REFERRALS))
                    text, kind = rng.choice(REFERRALS[referral]), f"refer:{referral}"
                elif kind == "explain":
                    text = rng.choice(EXPLAINS)
                else:
                    text = rng.choice(ANSWERS[rel])
                p2p.append(b.add(conv, owner, t, _decorate(rng, text, True), kind=kind))
            if rng.random() < 0.6:
                inbound = not inbound
            t = when(t + rng.randint(120, 2 * 86400))

    for g in groups:
        burst(g, 5)
    for p in order:
        if len(p2p) >= target_p2p:
            break
        first_text = SCRIPT_TEXT if p.first == "Tobiah" else None
        burst(conv_for(p), min(rng.randint(2, 8), target_p2p - len(p2p)), first_text)
    stalled = 0
    while len(p2p) < target_p2p:
        before = len(p2p)
        p = rng.choice(order)
        burst(conv_for(p), min(rng.randint(2, 6), target_p2p - len(p2p)))
        stalled = stalled + 1 if len(p2p) == before else 0
        if stalled > 200:
            raise ValueError("n_messages is too large for n_people: raise n_people")

    # system rows (one quirk: the text), inside person-to-person conversations
    if era >= "2021":
        ga, gb = groups
        t0 = min(m.t for m in p2p if m.conv == ga.id)
        excluded.append(b.add(ga, owner, t0 - 120,
                              f"{owner.name} changed the conversation title to {ga.title}",
                              reason="system"))
        excluded.append(b.add(ga, owner, t0 - 60,
                              f"{owner.name} added {ga.members[-1].name} to the conversation.",
                              reason="system"))
        excluded.append(b.add(gb, gb.members[-1], gb.last_t + 600, SYSTEM_LEFT, reason="system"))
        p = special["Tobiah Wrenfield-Ames"]
        c = conv_for(p)
        first = min((m for m in p2p if m.conv == c.id), key=lambda m: m.t, default=None)
        t_sys = first.t + 30 if first else rand_t()
        excluded.append(b.add(c, owner, t_sys, SYSTEM_ACCEPTED, reason="system"))
        # drafts: the owner's unsent text
        column = "IS MESSAGE DRAFT" in trailing
        recent = sorted(convs.values(), key=lambda c: -c.last_t)[:2]
        excluded.append(b.add_draft(recent[0], T - 5400, DRAFT_TEXTS[0], column=column,
                                    detached=False))
        excluded.append(b.add_draft(recent[1], T - 9000, DRAFT_TEXTS[1], column=column,
                                    detached=column))
        excluded.append(b.add_draft(None, T - 12000, DRAFT_TEXTS[2], column=column,
                                    detached=True))
        # a %FIRSTNAME%-free company InMail and a sponsored title already added above
    else:
        p = special["Tobiah Wrenfield-Ames"]
        c = conv_for(p)
        first = min((m for m in p2p if m.ckey == p.name_key), key=lambda m: m.t, default=None)
        t_sys = first.t + 60 if first else rand_t()
        excluded.append(b.add(c, p, t_sys, SYSTEM_ACCEPTED, reason="system"))
    msgs = b.msgs

    # invitations: the last ~8 months
    window = _epoch(_add_months(export_date, -8))
    invitations: list[Invitation] = []
    n_inv = max(6, n_people // 2)
    candidates = [p for p in people if p.first != "José"]
    seen = set()
    multiline_done = False
    for i in range(n_inv):
        p = candidates[i % len(candidates)]
        direction = "OUTGOING" if rng.random() < 0.2 and p.relationship != "spam" else "INCOMING"
        t = rng.randint(window + 3600, T - 3600)
        t -= t % 60
        inv = Invitation(direction, p, t)
        if (direction, p.name_key, t // 60) in seen:
            continue
        seen.add((direction, p.name_key, t // 60))
        if direction == "INCOMING":
            if not multiline_done and p.relationship == "client":
                inv.message = _fmt(MULTILINE_INVITE, first=p.first)
                multiline_done = True
            elif rng.random() < (0.7 if p.relationship == "spam" else 0.15):
                inv.message = rng.choice(INVITE_NOTES[p.relationship])
        invitations.append(inv)
    if not multiline_done:
        invitations[0].message = _fmt(MULTILINE_INVITE, first=invitations[0].person.first)
    # José: an invitation in every fixture (a non-ASCII URL in Invitations.csv)
    t = T - 10 * 86400 - 17 * 60
    invitations.append(Invitation("INCOMING", special["José García"], t, ""))
    if owner.first != OWNER_FIRST:  # texts greet the owner by first name
        for m in msgs:
            m.content = m.content.replace(OWNER_FIRST, owner.first)
        for inv in invitations:
            inv.message = inv.message.replace(OWNER_FIRST, owner.first)

    # files
    resave_style = "dmy-dash" if seed % 2 == 0 else "dmy-dot"
    files = {
        "Connections.csv": _connections_bytes(era, conns, encoding=encoding, resaved=resaved,
                                              resave_style=resave_style),
        "messages.csv": _messages_bytes(era, msgs, trailing=trailing, encoding=encoding),
        "Invitations.csv": _invitations_bytes(era, invitations, owner),
        "Profile.csv": _profile_bytes(owner),
    }
    coach_rows = {"coach_messages.csv": 6, "learning_coach_messages.csv": 2}
    for name, n in coach_rows.items():
        files[name] = _coach_bytes(era, owner, n, T - 20 * 86400, f"{era}:{seed}:{name}", trailing)
    files.update(_irrelevant_files())
    path = _emit(out_dir, export_date, files, zipped=zipped, nested=nested, kind=kind)
    layout = {"encoding": encoding, "resaved": resaved, "zipped": zipped, "nested": nested,
              "message_columns": _message_header(era, trailing),
              "connections_date_style": (resave_style if resaved else
                                         ("us" if era == "2018" else "dmy")),
              "files": sorted(NESTED_RENAMES.get(n, n) if nested else n for n in files)}
    return _export_truth(path, era, export_date, owner, conns, msgs, sum(coach_rows.values()),
                         invitations, layout)


# ---------------------------------------------------------------------------------------------
# write_series: the committed story
# ---------------------------------------------------------------------------------------------

STORY_START = date(2024, 11, 1)  # policy "cautious-avoidance" from here
HISTORY_START = date(2023, 3, 1)  # the oldest messages
POLICY_CHANGE = date(2026, 1, 5)  # "genuine-connection" from here
FIRST_EXPORT = date(2025, 7, 1)
BUSY_WEEKS = ((date(2026, 3, 9), date(2026, 3, 29)), (date(2026, 5, 11), date(2026, 5, 31)),
              (date(2026, 7, 13), date(2026, 7, 26)))
# trailing message columns of each monthly export (they come and go)
SERIES_TRAILING = ((), ("IS MESSAGE DRAFT",), TRAILING, ("ATTACHMENTS",),
                   ("ATTACHMENTS", "IS MESSAGE DRAFT"), ("IS MESSAGE DRAFT", "IS CONVERSATION DRAFT"),
                   TRAILING, (), TRAILING, ("IS MESSAGE DRAFT",), TRAILING,
                   ("ATTACHMENTS", "IS CONVERSATION DRAFT"), TRAILING, ("IS MESSAGE DRAFT",),
                   TRAILING)
CONCENTRATED_EMPLOYER = "Glasswing Software"  # the employer of the two most asked-for contacts
MULTILINE_FROM = date(2026, 2, 10)  # the first client invitation from here has a multi-line note
SERIES_NESTED_MONTH = 3  # 2025-10-01: unzipped into a nested "(1)" folder
SERIES_RESAVED_MONTH = 9  # 2026-04-01: Connections.csv re-saved by a spreadsheet

POLICY_YAML = """\
# The sample contact policy of the synthetic adviser (data_samples/, invented).
# Made by: python -m adviser_analytics.samples --out data_samples
owner_institution: Northbridge University
versions:
  - name: cautious-avoidance
    effective_from: {start}
    notes: I don't connect with current clients; I point them to the service instead.
    invitations:
      client: [redirect]
      colleague: [accept]
      professional: [accept]
      personal: [accept]
      unknown: [ignore, ask]
      spam: [ignore, report]
    requests:
      client: [refer, explain]
      colleague: [answer]
      professional: [answer, refer]
      personal: [answer]
      unknown: [refer, explain]
    introductions: [explained, redirected]
    minutes_per_reply: 6
    minutes_per_week: 90
    reply_within_days: 7
    working_hours: {{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/London}}
  - name: genuine-connection
    effective_from: {change}
    notes: If I know you, I connect; if I might know you, I reply and ask; spam I ignore or report.
    invitations:
      client: [accept]
      colleague: [accept]
      professional: [accept]
      personal: [accept]
      unknown: [ask, ignore]
      spam: [ignore, report]
    requests:
      client: [answer, refer]
      colleague: [answer]
      professional: [answer, refer]
      personal: [answer]
      unknown: [answer, refer, explain]
    introductions: [made, met, explained, redirected]
    minutes_per_reply: 5
    minutes_per_week: 150
    reply_within_days: 5
    working_hours: {{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", timezone: Europe/London}}
"""

README_TEXT = """\
# data_samples: a synthetic adviser's LinkedIn exports

Everything here is **invented** by `adviser_analytics/samples.py`: the adviser (Dr Morwenna
Achterberg of the Northbridge University Careers Service), every person, company, URL and
message. No real personal data.

- `Complete_LinkedInDataExport_MM-DD-YYYY.zip`: {n} monthly exports, {first} to {last}, in the
  2025 layout of `shared/linkedin-export-format.md` with its quirks (Notes block, blank-person
  rows, percent-encoded slugs, drafts, sponsored and system rows, AI-coach files, trailing
  message columns that come and go). The {nested} export arrives unzipped as a nested
  `(1)` folder; the {resaved} export's Connections.csv was re-saved by a spreadsheet.
- `policy.yaml`: the adviser's contact policy: `cautious-avoidance` from {start}, then
  `genuine-connection` from {change}.
- `truth.json`: what an ingest must find in each export (`snapshots`), the cumulative
  workspace counts (`cumulative`), and the true labels of the story (`people`,
  `invitations`, `requests`, `introductions`, `declines`, `policy_versions`).

The story: few client connections and referred or explained client requests at first; after
the policy change more client connections, more requests (about {before} a month before,
about {after} a month by the end), referrals, introduction requests (some contacts asked
often, most of them at one employer, {employer}) and honest declines; more personalised
invitations, and nearly all of them accepted; then some drift in busy weeks (requests left
unanswered or declined, client invitations ignored). Most requests are answered within days:
at the end a handful are waiting and a handful of older ones lapsed.

Remake it (byte-identical) with:

    python -m adviser_analytics.samples --out data_samples --seed {seed}
"""


class _Story:
    """The adviser's practice over time: every message, invitation and connection."""

    def __init__(self, seed: int, end: date):
        self.rng = rng = random.Random(f"series:{seed}")
        self.seed = seed
        self.end = end
        self.E = _epoch(end)
        self.owner = _owner()
        self.maker = _People(rng)
        self.b = _Builder("2025", self.owner, rng)
        self.people: list[Person] = []
        self.pool: dict[str, list[Person]] = {r: [] for r in
                                              ("client", "colleague", "professional", "personal",
                                               "unknown", "spam")}
        self.conns: list[ConnRow] = []
        self.connected: dict[str, int] = {}  # person key -> connected at
        self.convs: dict[str, Conv] = {}
        self.busy_until: dict[str, int] = {}
        self.invited: dict[str, int] = {}  # person key -> last invitation
        self.invitations: list[Invitation] = []
        self.introductions: list[dict] = []
        self.special: dict[str, Person] = {}
        self.multiline_done = False
        self._setup()
        self._simulate()
        self._afterwards()

    # -- people ------------------------------------------------------------------------------
    def new_person(self, rel: str, first=None, last=None) -> Person:
        p = self.maker.make(rel, first, last)
        self.people.append(p)
        self.pool[rel].append(p)
        return p

    def connect(self, p: Person, t: int, email_rate: float = 0.0) -> None:
        if p.key in self.connected:
            return
        self.connected[p.key] = t
        self.conns.append(_conn_row(self.rng, p, t - t % 86400, email_rate))

    def conv(self, p: Person) -> Conv:
        if p.key not in self.convs:
            folder = "ARCHIVE" if self.rng.random() < 0.08 else "INBOX"
            self.convs[p.key] = self.b.new_conv([p], folder=folder)
        return self.convs[p.key]

    def _setup(self) -> None:
        rng = self.rng
        for first, last, rel in SPECIAL_PEOPLE:
            self.special[f"{first} {last}"] = self.new_person(rel, first, last)
        historic = {"colleague": 16, "professional": 26, "personal": 10, "unknown": 12,
                    "client": 9}
        for rel, n in historic.items():
            for _ in range(n):
                self.new_person(rel)
        pros = [p for p in self.pool["professional"]]
        zoe = self.special["Zoë Brontë-Ngata"]
        others = [p for p in pros if p is not zoe]
        self.targets = [zoe, others[0]] + others[1:5]
        self.target_weights = {0: 4.0, 1: 4.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0}
        for p in self.targets[:2]:  # the concentrated employer
            p.company = CONCENTRATED_EMPLOYER
        lo, hi = _epoch(date(2014, 1, 1)), _epoch(date(2024, 10, 25))
        skip = {"José García", "Tobiah Wrenfield-Ames", "Łukasz Wróblewski", "Nguyễn Thị Lan"}
        for p in list(self.people):
            if p.name in skip:
                continue
            self.connect(p, rng.randint(lo, hi), email_rate=0.05)
        for _ in range(26):  # blank-person rows: deleted or hidden members
            t = rng.randint(_epoch(date(2015, 1, 1)), hi)
            self.conns.append(ConnRow(None, t - t % 86400))
        # two connections removed later
        self.removals = [(self.pool["unknown"][2], _epoch(date(2025, 11, 20))),
                         (self.pool["personal"][3], _epoch(date(2026, 5, 3)))]

    # -- phases ------------------------------------------------------------------------------
    @staticmethod
    def phase(d: date) -> str:
        if d < STORY_START:
            return "before"
        return "cautious" if d < POLICY_CHANGE else "genuine"

    @staticmethod
    def busy(d: date) -> bool:
        return any(a <= d <= b for a, b in BUSY_WEEKS)

    def request_rate(self, d: date) -> float:
        """Requests a month (introductions and follow-ups come on top)."""
        if d < STORY_START:
            return 4.0
        if d < POLICY_CHANGE:
            return 5.5
        months = (d - POLICY_CHANGE).days / 30.4
        return min(22.0, 8.5 + 3.5 * months)

    # -- the simulation ----------------------------------------------------------------------
    def _simulate(self) -> None:
        rng = self.rng
        scripted = self._scripted()
        group_day = date(2023, 4, 3)
        outreach_day = date(2024, 11, 20)
        streams = {"sponsored": (date(2024, 11, 20), 45), "inmail": (date(2024, 12, 10), 61),
                   "firstname": (date(2025, 1, 15), 55), "hidden": (date(2024, 12, 1), 70),
                   "spam_folder": (date(2024, 11, 25), 36)}
        d = HISTORY_START
        while d < self.end:
            t_day = _epoch(d)
            weekday = d.weekday() < 5
            ww = 1.2 if weekday else 0.5
            phase = self.phase(d)
            for action in scripted.get(d, ()):
                action(t_day)
            for _ in range(_poisson(rng, self.request_rate(d) / 30.4 * ww)):
                self.request(t_day + rng.randint(7 * 3600, 23 * 3600 - 1))
            if phase == "genuine":
                rate = 1.6 if date(2026, 3, 1) <= d < date(2026, 6, 1) else 1.0
                for _ in range(_poisson(rng, rate / 7 * ww)):
                    self.introduction(t_day + rng.randint(8 * 3600, 22 * 3600))
            if phase != "before":
                for _ in range(_poisson(rng, 1.6 / 7 * ww)):
                    self.invite_in(t_day + rng.randint(6 * 3600, 23 * 3600))
                if weekday:
                    for _ in range(_poisson(rng, 0.2 / 5)):
                        self.invite_out(_working_time(t_day + 9 * 3600, rng))
            if d == group_day:
                self.group_chat(t_day)
                group_day += timedelta(days=rng.randint(21, 35))
            if d == outreach_day and phase != "before":
                self.outreach(_working_time(t_day + 10 * 3600, rng))
                outreach_day += timedelta(days=rng.randint(12, 20))
            elif d == outreach_day:
                outreach_day += timedelta(days=25)
            for name, (day, every) in list(streams.items()):
                if d == day:
                    getattr(self, "stream_" + name)(t_day + rng.randint(6 * 3600, 20 * 3600))
                    streams[name] = (day + timedelta(days=every), every)
            d += timedelta(days=1)

    def _scripted(self) -> dict:
        s = self.special
        return {
            date(2024, 12, 3): [lambda t: self.request(t + 14 * 3600, person=s["José García"])],
            date(2025, 3, 10): [lambda t: self.invite_in(t + 11 * 3600, person=s["José García"])],
            date(2025, 5, 20): [lambda t: self.request(t + 16 * 3600, person=s["=HYPERLINK Jones"],
                                                       handling="refer")],
            date(2025, 9, 15): [lambda t: self.request(t + 21 * 3600, person=s["Tobiah Wrenfield-Ames"],
                                                       text=SCRIPT_TEXT, handling="explain")],
            date(2026, 2, 3): [lambda t: self.invite_in(t + 10 * 3600, person=s["José García"])],
            date(2026, 3, 17): [lambda t: self.introduction(t + 13 * 3600, requester=s["José García"],
                                                            target=0)],
        }

    # -- requests ----------------------------------------------------------------------------
    def _pick(self, rel: str, t: int, p_new: float) -> Person:
        rng = self.rng
        eligible = [p for p in self.pool[rel] if self.busy_until.get(p.key, 0) < t]
        if rel in ("client", "unknown") and (not eligible or rng.random() < p_new):
            return self.new_person(rel)
        if not eligible:
            return self.new_person(rel)
        return rng.choice(eligible)

    def handling(self, rel: str, phase: str, busy: bool) -> str:
        if rel == "client":
            table = {"before": {"refer": 0.5, "explain": 0.3, "answer": 0.17, "none": 0.03},
                     "cautious": {"refer": 0.57, "explain": 0.31, "answer": 0.09, "none": 0.03},
                     "genuine": ({"answer": 0.26, "refer": 0.26, "explain": 0.18, "none": 0.3}
                                 if busy else
                                 {"answer": 0.52, "refer": 0.41, "explain": 0.05, "none": 0.02})}[phase]
        elif rel == "colleague":
            table = {"answer": 0.85, "none": 0.15} if busy else {"answer": 0.97, "none": 0.03}
        elif rel == "professional":
            table = {"answer": 0.62, "refer": 0.36, "none": 0.02}
        elif rel == "personal":
            table = {"answer": 0.96, "none": 0.04}
        elif phase == "genuine":
            table = {"refer": 0.45, "explain": 0.2, "answer": 0.27, "none": 0.08}
        else:
            table = {"refer": 0.4, "explain": 0.45, "none": 0.15}
        return _wchoice(self.rng, table)

    def reply_delay(self, phase: str, busy: bool) -> float:
        rng = self.rng
        if busy:
            return rng.uniform(3, 12)
        if phase == "genuine":
            return min(6.0, rng.expovariate(1.0) + 0.1)
        return min(10.0, rng.expovariate(1 / 2.5) + 0.5)

    def owner_text(self, handling: str, rel: str) -> tuple[str, str]:
        rng = self.rng
        if handling == "refer":
            if rel == "professional":
                referral = _wchoice(rng, {"other": 0.6, "event": 0.4})
            elif rel in ("colleague", "personal"):
                referral = "resource"
            else:
                referral = _wchoice(rng, {"appointment": 0.35, "resource": 0.2, "event": 0.15,
                                          "mentor": 0.15, "reception": 0.15})
            return rng.choice(REFERRALS[referral]), f"refer:{referral}"
        if handling == "explain":
            return rng.choice(EXPLAINS), "explain"
        return rng.choice(ANSWERS[rel]), "answer"

    def inbound(self, conv: Conv, sender: Person, t: int, text: str, **kw) -> Msg:
        return self.b.add(conv, sender, t, _decorate(self.rng, text, False), **kw)

    def outbound(self, conv: Conv, t: int, text: str, kind: str = "answer") -> Msg:
        return self.b.add(conv, self.owner, t, _decorate(self.rng, text, True), kind=kind)

    def request(self, t: int, person: Person | None = None, text: str | None = None,
                handling: str | None = None) -> None:
        rng = self.rng
        d = _day(t)
        phase = self.phase(d)
        busy = self.busy(d)
        if person is None:
            weights = ({"client": 0.6, "professional": 0.12, "colleague": 0.12, "unknown": 0.1,
                        "personal": 0.06} if phase != "genuine" else
                       {"client": 0.78, "professional": 0.08, "colleague": 0.07, "unknown": 0.05,
                        "personal": 0.02})
            if phase == "before":
                weights = {"client": 0.2, "professional": 0.35, "colleague": 0.3, "personal": 0.15}
            rel = _wchoice(rng, weights)
            person = self._pick(rel, t, {"client": 0.12, "unknown": 0.15}.get(rel, 0.0))
        rel = person.relationship
        conv = self.conv(person)
        t = max(t, conv.last_t + 600)
        first_contact = conv.last_t == 0 and person.key not in self.connected
        if text is None:
            text = _fmt(rng.choice(ASKS[rel]), employer=rng.choice(EMPLOYERS),
                        company=person.company or "our company")
        handling = handling or self.handling(rel, phase, busy)
        end, replied = self._exchange(conv, person, t, text, handling, phase, busy,
                                      system_row=first_contact and rng.random() < 0.4)
        # the conversation goes on: a follow-up question, answered or not
        while replied and rng.random() < (0.4 if rel == "client" else 0.25):
            t2 = end + rng.randint(2 * 3600, 4 * 86400)
            d2 = _day(t2)
            follow = self.handling(rel, self.phase(d2), self.busy(d2))
            if follow in ("refer", "explain"):
                follow = "answer"
            end, replied = self._exchange(conv, person, t2, rng.choice(FOLLOW_QUESTIONS), follow,
                                          self.phase(d2), self.busy(d2))
        if replied and handling != "explain" and rng.random() < 0.25:
            thanks = self.inbound(conv, person, end + rng.randint(3600, 20 * 3600),
                                  rng.choice(THANKS))
            thanks.ack = True
            end = thanks.t
            if rng.random() < 0.45:
                r2 = _working_time(thanks.t + rng.randint(1800, 86400), rng)
                end = self.outbound(conv, r2, rng.choice(THANKS_REPLIES)).t
        wait = 45 if not replied else rng.randint(7, 30)
        self.busy_until[person.key] = end + wait * 86400

    def _exchange(self, conv: Conv, person: Person, t: int, text: str, handling: str,
                  phase: str, busy: bool, system_row: bool = False) -> tuple[int, bool]:
        """One request (one or two inbound messages) and the owner's reply, if any."""
        rng = self.rng
        rel = person.relationship
        last = self.inbound(conv, person, t, text)
        if rng.random() < 0.4:
            t2 = last.t + rng.randint(120, 90 * 60)
            if rng.random() < 0.3:  # an attachment: empty CONTENT
                last = self.inbound(conv, person, t2, "", attachments=_attachment_url(rng))
            else:
                last = self.inbound(conv, person, t2,
                                    _fmt(rng.choice(FOLLOW_UPS), employer=rng.choice(EMPLOYERS)))
        if handling == "none":
            return last.t, False
        reply_t = _working_time(int(last.t + self.reply_delay(phase, busy) * 86400), rng)
        if system_row:
            self.b.add(conv, self.owner, reply_t - rng.randint(60, 900), SYSTEM_ACCEPTED,
                       reason="system")
        text, kind = self.owner_text(handling, rel)
        return self.outbound(conv, reply_t, text, kind).t, True

    # -- introductions -----------------------------------------------------------------------
    def introduction(self, t: int, requester: Person | None = None, target: int | None = None) -> None:
        rng = self.rng
        b = self.b
        if requester is None:
            eligible = [p for p in self.pool["client"]
                        if self.busy_until.get(p.key, 0) < t and p.key in self.convs]
            if not eligible:
                return
            requester = rng.choice(eligible)
        if target is None:
            d = _day(t)
            weights = dict(self.target_weights)
            if not (date(2026, 3, 1) <= d < date(2026, 6, 1)):
                weights[0] = weights[1] = 1.5
            target = _wchoice(rng, weights)
        tp = self.targets[target]
        conv = self.conv(requester)
        t = max(t, conv.last_t + 600)
        ask = self.inbound(conv, requester, t,
                           _fmt(rng.choice(INTRO_ASKS), target=tp.name, company=tp.company))
        d = _day(t)
        busy = self.busy(d)
        if t > self.E - 21 * 86400:
            outcome = "pending"
        else:
            outcome = _wchoice(rng, {"made": 0.3, "met": 0.12, "explained": 0.15,
                                     "redirected": 0.15, "target_declined": 0.1,
                                     "no_response": 0.25 if busy else 0.05})
        values = dict(tf=tp.first, rf=requester.first, company=tp.company)
        reply_t = _working_time(int(t + self.reply_delay("genuine", busy) * 86400), rng)
        resolved = None
        end = reply_t
        if outcome == "pending":
            if rng.random() < 0.5 and reply_t < self.E:
                self.outbound(conv, reply_t, _fmt(INTRO_CHECK, **values))
            end = t + 60 * 86400
        elif outcome == "no_response":
            end = t + 60 * 86400
        elif outcome == "explained":
            self.outbound(conv, reply_t, _fmt(INTRO_EXPLAIN, **values), "explain")
            resolved = reply_t
        elif outcome == "redirected":
            self.outbound(conv, reply_t, _fmt(INTRO_REDIRECT, **values), "refer:mentor")
            resolved = reply_t
        elif outcome in ("made", "met"):
            self.outbound(conv, reply_t, _fmt(INTRO_MADE, **values))
            group = b.new_conv([requester, tp])
            g0 = reply_t + rng.randint(120, 600)
            if rng.random() < 0.5:
                b.add(group, self.owner, g0 - 30,
                      f"{self.owner.name} added {tp.name} to the conversation.", reason="system")
            self.outbound(group, g0, _fmt(INTRO_GROUP, **values))
            resolved = g0
            th = _working_time(g0 + rng.randint(3600, 3 * 86400), rng)
            self.inbound(group, tp, th, _fmt(INTRO_TARGET_HELLO, **values))
            rh = th + rng.randint(1800, 20 * 3600)
            self.inbound(group, requester, rh, INTRO_REQUESTER_HELLO)
            end = rh
            if rng.random() < 0.5:
                end = self.outbound(group, _working_time(rh + rng.randint(3600, 86400), rng),
                                    INTRO_WRAP).t
            if outcome == "met":
                mt = end + rng.randint(10, 25) * 86400
                conv = self.conv(requester)
                self.inbound(conv, requester, max(mt, conv.last_t + 600), _fmt(INTRO_MET, **values))
                resolved = mt
                end = self.outbound(conv, _working_time(mt + rng.randint(3600, 2 * 86400), rng),
                                    INTRO_MET_REPLY).t
        elif outcome == "target_declined":
            self.outbound(conv, reply_t, _fmt(INTRO_CHECK, **values))
            tconv = self.conv(tp)
            a = max(reply_t + 1200, tconv.last_t + 600)
            self.outbound(tconv, a, _fmt(INTRO_ASK_TARGET, **values))
            no = _working_time(a + rng.randint(4 * 3600, 4 * 86400), rng)
            self.inbound(tconv, tp, no, INTRO_TARGET_NO)
            self.outbound(tconv, _working_time(no + rng.randint(1800, 86400), rng),
                          INTRO_TARGET_NO_REPLY)
            tell = _working_time(no + rng.randint(3600, 2 * 86400), rng)
            tell = max(tell, conv.last_t + 60)
            self.outbound(conv, tell, _fmt(INTRO_TELL_DECLINED, **values))
            resolved = tell
            end = tell
        if resolved is not None and resolved >= self.E:
            outcome, resolved = "pending", None
        self.busy_until[requester.key] = end + rng.randint(10, 30) * 86400
        self.introductions.append({
            "requester": requester, "target": tp, "ask": ask, "outcome": outcome,
            "resolved": resolved,
        })

    # -- invitations -------------------------------------------------------------------------
    def decision(self, rel: str, phase: str, busy: bool) -> str:
        if rel == "client":
            if phase == "cautious":
                table = {"redirect": 0.85, "accept": 0.15}
            else:
                table = {"accept": 0.4, "ignore": 0.6} if busy else {"accept": 0.92, "ignore": 0.08}
        elif rel in ("colleague", "professional", "personal"):
            table = {"accept": 0.95, "ignore": 0.05}
        elif rel == "unknown":
            table = ({"ask": 0.5, "accept": 0.1, "ignore": 0.4} if phase == "genuine"
                     else {"ask": 0.45, "ignore": 0.55})
        else:
            table = {"ignore": 0.55, "report": 0.45}
        return _wchoice(self.rng, table)

    def invite_in(self, t: int, person: Person | None = None, multiline: bool = False) -> None:
        rng = self.rng
        t -= t % 60
        d = _day(t)
        phase = self.phase(d)
        busy = self.busy(d)
        if person is None:
            rel = _wchoice(rng, {"client": 0.5, "professional": 0.1, "colleague": 0.05,
                                 "unknown": 0.13, "spam": 0.14, "personal": 0.03})
            person = None
            if rel == "client" and rng.random() < 0.85:
                options = [p for p in self.pool["client"] if p.key not in self.connected
                           and self.invited.get(p.key, 0) < t - 120 * 86400
                           and p is not self.special["José García"]]
                person = rng.choice(options) if options else None
            person = person or self.new_person(rel)
        if person.key in self.connected:
            return
        rel = person.relationship
        inv = Invitation("INCOMING", person, t)
        if rel == "client" and d >= MULTILINE_FROM and not self.multiline_done:
            multiline, self.multiline_done = True, True
        if multiline:
            inv.message = _fmt(MULTILINE_INVITE, first=person.first)
        elif rel in PERSONAL_NOTES and phase == "genuine" and rng.random() < 0.45:
            # the new policy asks: "jog my memory by sending a personalised invitation"
            inv.message = rng.choice(PERSONAL_NOTES[rel])
        elif rng.random() < (0.7 if rel == "spam" else 0.15):
            inv.message = rng.choice(INVITE_NOTES[rel])
        self.invited[person.key] = t
        decision = self.decision(rel, phase, busy)
        if inv.message and phase == "genuine" and rel in PERSONAL_NOTES and not busy:
            # a personalised invitation jogs her memory: accepted far more often (busy weeks
            # keep their drift: invitations pile up unanswered whatever they say)
            decision = _wchoice(rng, {"accept": 0.8, "ask": 0.15, "ignore": 0.05}
                                if rel == "unknown" else {"accept": 1.0})
        if person is self.special.get("José García"):
            decision = "redirect" if phase == "cautious" else "accept"
        delay = (rng.uniform(3, 15) if busy else rng.uniform(0.1, 4)) * 86400
        when = _working_time(int(t + delay), rng)
        if decision in ("ask", "redirect") and person.key in self.convs:
            when = max(when, self.convs[person.key].last_t + 600)
        if decision in ("accept", "ask", "redirect") and when >= self.E:
            decision = "pending"
        if decision in ("ignore", "report") and t > self.E - 21 * 86400:
            decision = "pending"
        inv.decision = decision
        if decision == "accept":
            self.connect(person, when)
            inv.accepted_on = _day(when)
        elif decision in ("ask", "redirect"):
            conv = self.conv(person)
            if decision == "ask":
                self.outbound(conv, when, ASK_INVITE)
                if rng.random() < 0.4:
                    r = self.inbound(conv, person, when + rng.randint(3600, 3 * 86400),
                                     rng.choice(ASK_INVITE_REPLIES))
                    if rng.random() < 0.9:
                        self.outbound(conv, _working_time(r.t + rng.randint(1800, 2 * 86400), rng),
                                      ASK_INVITE_OWNER)
            else:
                self.outbound(conv, when, REDIRECT_INVITE, "refer:appointment")
            self.busy_until[person.key] = max(self.busy_until.get(person.key, 0),
                                              conv.last_t + 14 * 86400)
        self.invitations.append(inv)

    def invite_out(self, t: int) -> None:
        rng = self.rng
        t -= t % 60
        rel = "professional" if rng.random() < 0.7 else "colleague"
        person = self.new_person(rel)
        inv = Invitation("OUTGOING", person, t)
        if rng.random() < 0.85:
            when = t + int(rng.uniform(0.2, 6) * 86400)
            if when < self.E:
                self.connect(person, when)
                inv.accepted_on = _day(when)
        self.invited[person.key] = t
        self.invitations.append(inv)

    # -- the rest of the mailbox -------------------------------------------------------------
    def group_chat(self, t: int) -> None:
        rng = self.rng
        colleagues = [p for p in self.pool["colleague"] if p.key in self.connected]
        ingrid = self.special["Ingrid Vasquez-Thornbury, PhD"]
        siobhan = self.special["Siobhán Ó Briain"]
        others = [p for p in colleagues if p is not ingrid and p is not siobhan]
        members = [ingrid if rng.random() < 0.5 else siobhan] + rng.sample(others, rng.randint(1, 2))
        n_groups = sum(1 for c in self.convs.values() if c.title)
        title = GROUP_TITLES[n_groups % len(GROUP_TITLES)]
        conv = self.b.new_conv(members, title=title, sep=";" if n_groups == 2 else ",")
        self.convs[f"group:{n_groups}"] = conv
        t = _working_time(t + 9 * 3600, rng)
        if n_groups % 2 == 0:
            self.b.add(conv, self.owner, t - 120,
                       f"{self.owner.name} changed the conversation title to {title}",
                       reason="system")
        self.outbound(conv, t, rng.choice(GROUP_LINES))
        for _ in range(rng.randint(4, 9)):
            t = _working_time(t + rng.randint(600, 86400), rng)
            if rng.random() < 0.35:
                self.outbound(conv, t, rng.choice(GROUP_LINES))
            else:
                self.inbound(conv, rng.choice(members), t, rng.choice(GROUP_LINES))
        if n_groups % 3 == 1:
            self.b.add(conv, members[-1], t + 3600, SYSTEM_LEFT, reason="system")

    def outreach(self, t: int) -> None:
        rng = self.rng
        pros = [p for p in self.pool["professional"]
                if p.key in self.connected and self.busy_until.get(p.key, 0) < t]
        if not pros:
            return
        p = rng.choice(pros)
        conv = self.conv(p)
        t = max(t, conv.last_t + 600)
        m = self.outbound(conv, t, _fmt(OUTREACH, first=p.first, company=p.company))
        end = m.t
        if rng.random() < 0.7:
            r = self.inbound(conv, p, _working_time(m.t + rng.randint(3600, 4 * 86400), rng),
                             rng.choice(OUTREACH_REPLIES))
            end = r.t
            if rng.random() < 0.92:
                end = self.outbound(conv, _working_time(r.t + rng.randint(1800, 2 * 86400), rng),
                                    OUTREACH_WRAP).t
        self.busy_until[p.key] = end + 10 * 86400

    def stream_sponsored(self, t: int) -> None:
        sponsor = self.rng.choice(SPONSORS)
        self.b.add_raw(self.b.conv_id(), "Sponsored Conversation", sponsor, t,
                       _fmt(SPONSORED_TEXT, sponsor=sponsor), reason="sponsored",
                       to_names=self.owner.name, recipient_urls=self.owner.url)

    def stream_inmail(self, t: int) -> None:
        company = self.rng.choice(INMAIL_COMPANIES)
        self.b.add_raw(self.b.conv_id(), INMAIL_SUBJECT, company, t,
                       _fmt(INMAIL_TEXT, company=company), reason="sponsored",
                       subject=INMAIL_SUBJECT, to_names=self.owner.name,
                       recipient_urls=self.owner.url)

    def stream_firstname(self, t: int) -> None:
        spammers = self.pool["spam"]
        if spammers and self.rng.random() < 0.5:
            recruiter = self.rng.choice(spammers)
        else:
            recruiter = self.new_person("spam")
        self.b.add(self.b.new_conv([recruiter]), recruiter, t, FIRSTNAME_TEXT, reason="sponsored")

    def stream_hidden(self, t: int) -> None:
        self.b.add_raw(self.b.conv_id(), "", "LinkedIn Member", t, self.rng.choice(HIDDEN_TEXTS),
                       reason="hidden_member", to_names=self.owner.name,
                       recipient_urls=self.owner.url)

    def stream_spam_folder(self, t: int) -> None:
        spammers = self.pool["spam"]
        p = self.rng.choice(spammers) if spammers and self.rng.random() < 0.6 else self.new_person("spam")
        conv = self.b.new_conv([p], folder="SPAM")
        self.b.add(conv, p, t, self.rng.choice(SPAM_FOLDER_TEXTS), reason="spam_folder")

    def _afterwards(self) -> None:
        rng = self.rng
        # redacted rows: everything empty but DATE
        for d in (date(2025, 2, 14), date(2025, 9, 3), date(2026, 4, 22)):
            self.b.add_redacted(_epoch(d) + rng.randint(8 * 3600, 20 * 3600))
        # two messages deleted on LinkedIn: second messages of an inbound run (episode starts stay)
        runs = [e for e in episodes(self.b.msgs)
                if len(e["msgs"]) >= 2 and e["msgs"][1].t < _epoch(date(2025, 10, 1))
                and e["msgs"][1].t >= _epoch(date(2025, 3, 1)) and e["msgs"][1].content]
        for e, when in zip(runs[:2], (date(2025, 12, 10), date(2026, 4, 8))[:len(runs[:2])], strict=True):
            e["msgs"][1].deleted_on = _epoch(when)
        for person, when in self.removals:
            for row in self.conns:
                if row.person is person:
                    row.removed = when

    # -- exports -----------------------------------------------------------------------------
    def drafts(self, k: int, T: int, trailing) -> list[Msg]:
        """The owner's unsent drafts at export time (they do not persist)."""
        rng = random.Random(f"drafts:{self.seed}:{k}")
        column = "IS MESSAGE DRAFT" in trailing
        recent = sorted((c for c in self.convs.values() if c.last_t < T),
                        key=lambda c: -c.last_t)[:3]
        made = []
        saved_rng, self.b.rng = self.b.rng, rng
        try:
            for i in range(1 + k % 3):
                conv = recent[i % len(recent)] if recent else None
                detached = column and i == 1
                made.append(self.b.add_draft(conv, T - rng.randint(1800, 2 * 86400),
                                             DRAFT_TEXTS[i % len(DRAFT_TEXTS)], column=column,
                                             detached=detached))
        finally:
            self.b.rng = saved_rng
            if made:
                del self.b.msgs[-len(made):]
        return made


def write_series(out_dir, seed: int = 7, months: int = 15) -> SeriesTruth:
    """Write the monthly sample exports, ``truth.json``, ``policy.yaml`` and ``README.md``."""
    if not 1 <= months <= 60:
        raise ValueError("months must be between 1 and 60")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_dates = [_add_months(FIRST_EXPORT, k) for k in range(months)]
    story = _Story(seed, export_dates[-1])
    owner = story.owner
    snapshots: list[ExportTruth] = []
    cumulative = []
    ever_conn, ever_msg, ever_inv = set(), set(), set()
    exported: dict[int, Msg] = {}
    seen_invitations: dict[tuple, Invitation] = {}
    seen_people: dict[str, Person] = {}
    for k, d in enumerate(export_dates):
        T = _epoch(d)
        trailing = SERIES_TRAILING[k % len(SERIES_TRAILING)]
        conns = [r for r in story.conns
                 if r.t < T and (r.removed is None or T <= r.removed)]
        msgs = [m for m in story.b.msgs
                if m.t < T and (m.deleted_on is None or T <= m.deleted_on)]
        drafts = story.drafts(k, T, trailing)
        window = _epoch(_add_months(d, -8))
        invs = [i for i in story.invitations if window <= i.t < T]
        coach = {"coach_messages.csv": 4 + 2 * k}
        if k >= 4:
            coach["learning_coach_messages.csv"] = 2
        files = {
            "Connections.csv": _connections_bytes("2025", conns, resaved=k == SERIES_RESAVED_MONTH,
                                                  resave_style="dmy-dash"),
            "messages.csv": _messages_bytes("2025", msgs + drafts, trailing=trailing),
            "Invitations.csv": _invitations_bytes("2025", invs, owner),
            "Profile.csv": _profile_bytes(owner),
        }
        for name, n in coach.items():
            files[name] = _coach_bytes("2025", owner, n, T - 25 * 86400, f"series:{seed}:{k}:{name}",
                                       trailing)
        files.update(_irrelevant_files())
        nested = k == SERIES_NESTED_MONTH
        path = _emit(out_dir, d, files, zipped=not nested, nested=nested)
        layout = {"encoding": "utf-8", "resaved": k == SERIES_RESAVED_MONTH, "zipped": not nested,
                  "nested": nested, "message_columns": _message_header("2025", trailing),
                  "connections_date_style": "dmy-dash" if k == SERIES_RESAVED_MONTH else "dmy",
                  "files": sorted(NESTED_RENAMES.get(n, n) if nested else n for n in files)}
        truth = _export_truth(path, "2025", d, owner, conns, msgs + drafts, sum(coach.values()),
                              invs, layout)
        snapshots.append(truth)
        for r in conns:
            if r.person is not None:
                ever_conn.add(r.person.key)
                seen_people[r.person.key] = r.person
        for m in msgs:
            if m.reason is None:
                ever_msg.add(m.mid)
            exported[m.mid] = m
            for p in m.parts:
                seen_people[p.key] = p
        for i in invs:
            ever_inv.add(_invitation_id(i, owner))
            seen_invitations[_invitation_id(i, owner)] = i
            seen_people[i.person.key] = i.person
        cumulative.append({"export_date": d.isoformat(), "connections": len(ever_conn),
                           "messages": len(ever_msg), "invitations": len(ever_inv)})

    # the story's truth, over everything the workspace will have seen
    union = sorted(exported.values(), key=lambda m: m.mid)
    p2p = [m for m in union if m.reason is None]
    opened_by: dict[str, str] = {}
    for m in sorted(p2p, key=lambda m: (m.t, m.mid)):
        opened_by.setdefault(m.ckey, "owner" if m.outbound else "them")
    requests = []
    for e in episodes(p2p):
        start, reply = e["start"], e["reply"]
        if reply is None:
            handling, referral = "none", None
        elif reply.kind and reply.kind.startswith("refer:"):
            handling, referral = "refer", reply.kind.split(":", 1)[1]
        else:
            handling, referral = (reply.kind or "answer"), None
        requests.append({
            "conversation_id": start.conv, "started_at": _iso(start.t),
            "handling": handling, "referral": referral,
            "replied_at": _iso(reply.t) if reply else None,
            "requester": start.parts[0].key if start.parts else None,
            "relationship": start.parts[0].relationship if start.parts else None,
            "messages": len(e["msgs"]),
            # raw facts for the revised definitions: one other participant or a group; who
            # wrote first in the conversation; a run of thanks only (needs no reply)
            "one_to_one": len(start.parts) == 1,
            "opened_by": opened_by[e["ckey"]],
            "acknowledgement": all(m.ack for m in e["msgs"]),
        })
    conn_at = {}
    for r in story.conns:
        if r.person is not None:
            conn_at[r.person.key] = r.t
    invitations = []
    for inv in sorted(seen_invitations.values(), key=lambda i: i.t):
        p = inv.person
        invitations.append({
            "direction": inv.direction.lower(), "name": p.name, "profile_url": p.key,
            "sent_at": _iso(inv.t), "decision": inv.decision,
            "accepted_on": inv.accepted_on.isoformat() if inv.accepted_on else None,
            "relationship": p.relationship, "personalised": bool(inv.message),
        })
    introductions = []
    for intro in story.introductions:
        ask = intro["ask"]
        if ask.mid not in exported:
            continue
        introductions.append({
            "requester_url": intro["requester"].key, "requester_name": intro["requester"].name,
            "target_url": intro["target"].key, "target_name": intro["target"].name,
            "target_company": intro["target"].company,
            "requested_on": _day(ask.t).isoformat(), "requested_at": _iso(ask.t),
            "conversation_id": ask.conv, "outcome": intro["outcome"],
            "resolved_on": _day(intro["resolved"]).isoformat() if intro["resolved"] else None,
        })
    declines = [{"conversation_id": m.conv, "sent_at": _iso(m.t), "content": m.content}
                for m in p2p if m.outbound and m.kind == "explain"]
    people = {key: seen_people[key].relationship for key in sorted(seen_people)}
    policy_versions = [{"name": "cautious-avoidance", "effective_from": STORY_START.isoformat()},
                       {"name": "genuine-connection", "effective_from": POLICY_CHANGE.isoformat()}]
    series = SeriesTruth(
        out_dir=str(out_dir), seed=seed,
        owner={"name": owner.name, "profile_url": owner.url, "institution": INSTITUTION,
               "service": SERVICE, "booking_url": BOOKING_URL},
        snapshots=snapshots, cumulative=cumulative, people=people, invitations=invitations,
        requests=requests, introductions=introductions, declines=declines,
        policy_versions=policy_versions,
        busy_weeks=[{"from": a.isoformat(), "to": b.isoformat()} for a, b in BUSY_WEEKS],
        story=_story_facts(invitations, introductions),
    )
    (out_dir / "truth.json").write_text(
        json.dumps(series.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / "policy.yaml").write_text(
        POLICY_YAML.format(start=STORY_START.isoformat(), change=POLICY_CHANGE.isoformat()),
        encoding="utf-8")
    per_month = _requests_per_month(requests)
    before = [n for m, n in per_month.items() if STORY_START.isoformat()[:7] <= m < POLICY_CHANGE.isoformat()[:7]]
    after = [n for m, n in per_month.items() if m >= "2026-06"]
    (out_dir / "README.md").write_text(README_TEXT.format(
        n=months, first=export_dates[0].isoformat(), last=export_dates[-1].isoformat(),
        nested=(export_dates[SERIES_NESTED_MONTH].isoformat() if months > SERIES_NESTED_MONTH else "(none)"),
        resaved=(export_dates[SERIES_RESAVED_MONTH].isoformat() if months > SERIES_RESAVED_MONTH else "(none)"),
        start=STORY_START.isoformat(), change=POLICY_CHANGE.isoformat(),
        before=round(sum(before) / len(before)) if before else "?",
        after=round(sum(after) / len(after)) if after else "?", seed=seed,
        employer=CONCENTRATED_EMPLOYER), encoding="utf-8")
    return series


def _story_facts(invitations: list[dict], introductions: list[dict]) -> dict:
    """The story's shape in numbers: personalised invitations and the concentrated employer."""
    personalised = {}
    for phase, lo, hi in (("cautious-avoidance", STORY_START, POLICY_CHANGE),
                          ("genuine-connection", POLICY_CHANGE, date(9999, 1, 1))):
        rows = [i for i in invitations if i["direction"] == "incoming" and i["personalised"]
                and lo.isoformat() <= i["sent_at"][:10] < hi.isoformat()
                and i["relationship"] != "spam"]
        personalised[phase] = {"received": len(rows),
                               "accepted": sum(i["decision"] == "accept" for i in rows)}
    per_employer: dict[str, int] = {}
    for i in introductions:
        per_employer[i["target_company"]] = per_employer.get(i["target_company"], 0) + 1
    return {"personalised_invitations": personalised,
            "concentrated_employer": CONCENTRATED_EMPLOYER,
            "introductions_per_employer": dict(sorted(per_employer.items(), key=lambda kv: -kv[1]))}


def _requests_per_month(requests: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in requests:
        month = r["started_at"][:7]
        counts[month] = counts.get(month, 0) + 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------------------------------------
# write_maximal: the benchmark account, vectorised
# ---------------------------------------------------------------------------------------------

MAXIMAL_EXPORT_DATE = date(2026, 3, 2)


def write_maximal(out_dir, connections: int = 30000, messages: int = 300000,
                  invitations: int = 3000, seed: int = 1, *, zipped: bool = False) -> ExportTruth:
    """The heaviest account LinkedIn allows, in the 2025 layout (a folder unless ``zipped``).

    ``connections`` people (plus about 0.2 % blank-person rows), ``messages`` rows of
    messages.csv (about 0.5 % of them excluded rows of every kind), ``invitations`` rows.
    """
    import numpy as np
    import pandas as pd

    if connections < 10 or messages < 100 or invitations < 1:
        raise ValueError("write_maximal needs at least 10 connections, 100 messages, 1 invitation")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    export_date = MAXIMAL_EXPORT_DATE
    T = _epoch(export_date)
    owner = _owner()
    base = _export_name(export_date)
    folder = out_dir / base
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    # people: connections plus message-only counterparts; URLs unique by a hex suffix
    n_extra = max(1, connections // 15)
    n_people = connections + n_extra
    firsts = np.array(FIRST_NAMES + ("José", "Zoë", "Siobhán", "Łukasz", "Dagný"), dtype=object)
    lasts = np.array(LAST_NAMES, dtype=object)
    fi = rng.integers(0, len(firsts), n_people)
    li = rng.integers(0, len(lasts), n_people)
    suffix = rng.permutation(n_people) + 0x100000
    first_names = firsts[fi]
    last_names = lasts[li]
    names = np.array([f"{a} {b}" for a, b in zip(first_names, last_names, strict=True)], dtype=object)
    slug_of = {}
    for a in firsts:
        for c in lasts:
            slug_of[(a, c)] = _slug_base(a, c)
    slugs = [f"{slug_of[(a, c)]}-{s:x}" for a, c, s in zip(first_names, last_names, suffix, strict=True)]
    raw_urls = np.array([PROFILE_PREFIX + s for s in slugs], dtype=object)
    enc_urls = np.array([PROFILE_PREFIX + quote(s, safe="-._~") for s in slugs], dtype=object)

    # Connections.csv
    conn_t = np.sort(rng.integers(_epoch(date(2008, 1, 1)), T - 86400, connections))[::-1]
    n_blank = max(1, connections // 500)
    blank_t = rng.integers(_epoch(date(2012, 1, 1)), T - 86400, n_blank)
    companies = np.array(EMPLOYERS + OTHER_COMPANIES + (INSTITUTION,), dtype=object)
    positions = np.array(EMPLOYER_POSITIONS + OTHER_POSITIONS + COLLEAGUE_POSITIONS
                         + CLIENT_STUDENT_POSITIONS, dtype=object)
    emails = np.full(connections, "", dtype=object)
    has_email = rng.random(connections) < 0.02
    emails[has_email] = [f"member{s:x}@example.org" for s in suffix[:connections][has_email]]
    all_t = np.concatenate([conn_t, blank_t])
    order = np.argsort(-all_t, kind="stable")
    day = pd.to_datetime(all_t, unit="s")
    mon = np.array(MONTHS, dtype=object)[day.month.to_numpy() - 1]
    when = (pd.Series(day.day).map("{:02d}".format).to_numpy().astype(object) + " " + mon + " "
            + day.year.astype(str).to_numpy().astype(object))
    blank = np.full(n_blank, "", dtype=object)
    conn_df = pd.DataFrame({
        "First Name": np.concatenate([first_names[:connections], blank]),
        "Last Name": np.concatenate([last_names[:connections], blank]),
        "URL": np.concatenate([enc_urls[:connections], blank]),
        "Email Address": np.concatenate([emails, blank]),
        "Company": np.concatenate([companies[rng.integers(0, len(companies), connections)], blank]),
        "Position": np.concatenate([positions[rng.integers(0, len(positions), connections)], blank]),
        "Connected On": when,
    }, dtype=object).iloc[order]
    text = NOTES_BLOCK + conn_df.to_csv(index=False, lineterminator="\n")
    (folder / "Connections.csv").write_bytes(text.rstrip("\n").encode("utf-8"))

    # messages.csv: conversations with one counterpart each
    n = messages
    n_conv = max(2, n // 8)
    conv_of_row = np.sort(rng.integers(0, n_conv, n))
    sizes = np.bincount(conv_of_row, minlength=n_conv)
    conv_ids = np.array(["2-" + base64.b64encode(
        f"{x:032x}_010".encode()).decode() for x in rng.integers(0, 2**62, n_conv)], dtype=object)
    counterpart = rng.integers(0, n_people, n_conv)
    # special conversations: one kind of excluded row each
    special = np.zeros(n_conv, dtype=np.int8)  # 0 normal
    kinds = ("sponsored_title", "inmail", "firstname", "hidden_member", "spam_folder", "system",
             "draft", "redacted")
    n_special = max(len(kinds), n_conv // 400)
    chosen = rng.choice(n_conv, n_special, replace=False)
    special[chosen] = np.arange(n_special) % len(kinds) + 1
    # times: start of each conversation, then gaps of at least a minute
    starts = rng.integers(T - 6 * 365 * 86400, T - 30 * 86400, n_conv)
    gaps = rng.exponential(1.5 * 86400, n).astype(np.int64) + 60
    first_row = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    csum = np.cumsum(gaps)
    offset = csum - np.repeat(csum[np.minimum(first_row, n - 1)], sizes)
    t = np.repeat(starts, sizes) + offset
    conv_end = np.maximum.reduceat(t, first_row[sizes > 0]) if n else t
    over = np.zeros(n_conv, dtype=np.int64)
    nonempty = np.flatnonzero(sizes > 0)
    over[nonempty] = np.maximum(0, conv_end - (T - 3600))
    t = t - np.repeat(over, sizes)
    # direction: alternate-ish, first message usually inbound
    inbound = rng.random(n) < 0.55
    inbound[first_row[sizes > 0]] = rng.random(len(nonempty)) < 0.7
    row_kind = np.repeat(special, sizes)
    cp = np.repeat(counterpart, sizes)
    # forced directions of the excluded kinds
    inbound[np.isin(row_kind, [1, 2, 3, 4, 5])] = True
    inbound[row_kind == 7] = False
    cp_names = names[cp]
    cp_urls = raw_urls[cp]
    owner_name, owner_url = owner.name, owner.url
    sender = np.where(inbound, cp_names, owner_name).astype(object)
    sender_url = np.where(inbound, cp_urls, owner_url).astype(object)
    to = np.where(inbound, owner_name, cp_names).astype(object)
    rurls = np.where(inbound, owner_url, cp_urls).astype(object)
    in_pool = [_fmt(x, employer=e, company=e) for x in CLIENT_ASKS + PRO_ASKS + COLLEAGUE_ASKS
               + UNKNOWN_ASKS + PERSONAL_ASKS + FOLLOW_UPS + THANKS for e in EMPLOYERS[:6]]
    in_pool += [f'<p class="msg-s-event-listitem__body t-14">{x.replace(chr(39), "&rsquo;")}</p>'
                for x in in_pool[:40]]
    out_pool = [x for v in ANSWERS.values() for x in v] + [x for v in REFERRALS.values() for x in v]
    out_pool += list(EXPLAINS) + list(THANKS_REPLIES)
    in_pool = np.array(in_pool, dtype=object)
    out_pool = np.array(out_pool, dtype=object)
    content = np.where(inbound, in_pool[rng.integers(0, len(in_pool), n)],
                       out_pool[rng.integers(0, len(out_pool), n)]).astype(object)
    empty = rng.random(n) < 0.03
    content[empty] = ""
    title = np.full(n, "", dtype=object)
    subject = np.full(n, "", dtype=object)
    folder_col = np.where(np.repeat(rng.random(n_conv) < 0.1, sizes), "ARCHIVE", "INBOX").astype(object)
    attachments = np.full(n, "", dtype=object)
    is_draft = np.full(n, "No", dtype=object)
    conv_draft = np.full(n, "No", dtype=object)
    conv_col = conv_ids[conv_of_row]
    reason = np.full(n, "", dtype=object)
    # apply the excluded kinds
    m = row_kind == 1
    title[m] = "Sponsored Conversation"
    sender[m] = SPONSORS[0]
    sender_url[m] = ""
    content[m] = _fmt(SPONSORED_TEXT, sponsor=SPONSORS[0])
    reason[m] = "sponsored"
    m = row_kind == 2
    title[m] = INMAIL_SUBJECT
    subject[m] = INMAIL_SUBJECT
    sender[m] = INMAIL_COMPANIES[0]
    sender_url[m] = ""
    content[m] = _fmt(INMAIL_TEXT, company=INMAIL_COMPANIES[0])
    reason[m] = "sponsored"
    m = row_kind == 3
    content[m] = FIRSTNAME_TEXT
    reason[m] = "sponsored"
    m = row_kind == 4
    sender[m] = "LinkedIn Member"
    sender_url[m] = ""
    content[m] = HIDDEN_TEXTS[0]
    reason[m] = "hidden_member"
    m = row_kind == 5
    folder_col[m] = "SPAM"
    content[m] = SPAM_FOLDER_TEXTS[0]
    reason[m] = "spam_folder"
    m = row_kind == 6
    content[m] = SYSTEM_ACCEPTED
    reason[m] = "system"
    m = row_kind == 7
    is_draft[m] = "Yes"
    folder_col[m] = ""
    content[m] = DRAFT_TEXTS[0]
    reason[m] = "draft"
    m = row_kind == 8
    for col in (conv_col, title, sender, sender_url, to, rurls, subject, content, folder_col,
                attachments, is_draft, conv_draft):
        col[m] = ""
    reason[m] = "redacted"
    attachments[empty & (row_kind == 0)] = "https://www.linkedin.com/dms/prv/attachment/v2/D4E10AQmax"

    # truth, from the arrays
    p2p = reason == ""
    skipped = {r: 0 for r in REASONS}
    values, counts = np.unique(reason[~p2p].astype(str), return_counts=True)
    for v, c in zip(values, counts, strict=True):
        skipped[str(v)] = int(c)
    skipped["blank_person"] = int(n_blank)
    # episodes: p2p rows in time order per conversation, inbound after a non-inbound
    idx = np.flatnonzero(p2p)
    o = np.lexsort((t[idx], conv_of_row[idx]))
    rows_sorted = idx[o]
    c_s, in_s = conv_of_row[rows_sorted], inbound[rows_sorted]
    new_conv = np.concatenate([[True], c_s[1:] != c_s[:-1]])
    prev_in = np.concatenate([[False], in_s[:-1]])
    n_requests = int(np.sum(in_s & (new_conv | ~prev_in)))

    # write, newest conversation first, newest row first within it
    conv_last = np.full(n_conv, -1, dtype=np.int64)
    np.maximum.at(conv_last, conv_of_row, t)
    order = np.lexsort((-t, conv_of_row, -conv_last[conv_of_row]))
    date_text = pd.to_datetime(t, unit="s").strftime("%Y-%m-%d %H:%M:%S UTC").to_numpy().astype(object)
    header = _message_header("2025", TRAILING)
    cols = [conv_col, title, sender, sender_url, to, rurls, date_text, subject, content,
            folder_col, attachments, is_draft, conv_draft]
    with open(folder / "messages.csv", "w", encoding="utf-8", newline="") as handle:
        chunk = 50_000
        for start in range(0, n, chunk):
            sel = order[start:start + chunk]
            frame = pd.DataFrame({h: c[sel] for h, c in zip(header, cols, strict=True)}, dtype=object)
            frame.to_csv(handle, index=False, header=start == 0, lineterminator="\n")

    # Invitations.csv: the last 8 months
    window = _epoch(_add_months(export_date, -8))
    inv_t = np.sort(rng.choice(np.arange(window // 60 + 1, T // 60), invitations, replace=False))[::-1] * 60
    who = rng.choice(n_people, invitations, replace=invitations > n_people)
    incoming = rng.random(invitations) < 0.85
    inv_df = pd.DataFrame({
        "From": np.where(incoming, names[who], owner.name),
        "To": np.where(incoming, owner.name, names[who]),
        "Sent At": [_us_datetime(int(x)) for x in inv_t],
        "Message": np.where(rng.random(invitations) < 0.1, INVITE_NOTES["client"][0], ""),
        "Direction": np.where(incoming, "INCOMING", "OUTGOING"),
        "inviterProfileUrl": np.where(incoming, enc_urls[who], owner.url_encoded),
        "inviteeProfileUrl": np.where(incoming, owner.url_encoded, enc_urls[who]),
    }, dtype=object)
    (folder / "Invitations.csv").write_bytes(
        inv_df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    inv_keys = {(bool(i), name_key(str(names[w])), int(x) // 60) for i, w, x in zip(incoming, who, inv_t, strict=True)}

    (folder / "Profile.csv").write_bytes(_profile_bytes(owner))
    coach_n = 20
    (folder / "coach_messages.csv").write_bytes(
        _coach_bytes("2025", owner, coach_n, T - 20 * 86400, f"maximal:{seed}", TRAILING))
    for name, data in _irrelevant_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    skipped["coach"] = coach_n
    path = folder
    if zipped:
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        shutil.rmtree(folder)
        path = _emit(out_dir, export_date, files, zipped=True, nested=False)
    layout = {"encoding": "utf-8", "resaved": False, "zipped": zipped, "nested": False,
              "message_columns": header, "connections_date_style": "dmy"}
    return ExportTruth(
        path=str(path), era="2025", export_date=export_date.isoformat(), owner_name=owner.name,
        owner_url=owner.url, connections=connections, blank_person=int(n_blank),
        messages=int(p2p.sum()), invitations=len(inv_keys), skipped=skipped,
        requests=n_requests, layout=layout)


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------

def _human(num: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024:
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.1f} TB"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adviser_analytics.samples",
        description="Write synthetic LinkedIn exports (invented data) and the truth they encode.")
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default 7 for the series, 1 maximal, 0 fixture)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--maximal", action="store_true", help="the benchmark account")
    what.add_argument("--fixture", choices=ERAS, help="one export in the layout of this era")
    parser.add_argument("--months", type=int, default=15, help="series: monthly exports")
    parser.add_argument("--connections", type=int, default=30000, help="maximal: connections")
    parser.add_argument("--messages", type=int, default=300000, help="maximal: message rows")
    parser.add_argument("--invitations", type=int, default=3000, help="maximal: invitations")
    args = parser.parse_args(argv)
    out = Path(args.out)
    start = time.perf_counter()
    if args.maximal:
        truth = write_maximal(out, args.connections, args.messages, args.invitations,
                              seed=1 if args.seed is None else args.seed)
        print(json.dumps(truth.to_dict(), ensure_ascii=False, indent=1))
    elif args.fixture:
        truth = write_fixture(out, args.fixture, seed=0 if args.seed is None else args.seed)
        print(json.dumps(truth.to_dict(), ensure_ascii=False, indent=1))
    else:
        series = write_series(out, seed=7 if args.seed is None else args.seed, months=args.months)
        last = series.snapshots[-1]
        print(f"{len(series.snapshots)} exports; final: {last.connections} connections, "
              f"{last.messages} person-to-person messages, {last.invitations} invitations; "
              f"{len(series.people)} people, {len(series.invitations)} invitations over the period, "
              f"{len(series.requests)} requests.")
    print(f"wrote {out} ({_human(_size(out))}) in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
