"""A realistic adviser's account: a messy inbox beside the tidy story, and the truth it wrote.

The sample story (:func:`adviser_analytics.samples.write_series`) is tidy on purpose: every
request is a question, every reply a clear handling. Real inboxes are not. This generator
writes one or more LinkedIn exports (2025 layout, zipped) of an adviser with thousands of
contacts whose inbox has what real ones have:

- requests in one-to-one conversations, answered within days, a few left unanswered;
- acknowledgements: thanks-only and emoji-only replies, congratulations and birthday
  messages (they need no reply: the truth says ``no_reply_needed``);
- chit-chat with colleagues and friends, recruiters' messages, dead threads (old, never
  answered), long group conversations (3 or more other participants, many messages);
- messages in French, German and Spanish; a question and its reply in the same second;
- referral replies with and without the service's links; introduction requests naming a
  contact, and ones asking for "someone at Northwind" with no named contact;
- ordinary messages that merely contain words like "event", "reception", "guide",
  "resources", "in the event of", "grateful for your reception" (the false-suggestion test);
- people whose names are ordinary words and the report's own words (Floor Lang, Grace
  Wilson, Will Jensen, Hope Security ...), one-word employers (People, First, Next).

The truth (:class:`RealisticTruth`) states raw facts, never metric results: per inbound run
its start, whether the conversation is one-to-one, who opened the conversation, when it was
answered (if at all), whether it is an acknowledgement, its kind and language; per owner
message whether it is a referral (which kind, with or without a link); every introduction
request (with or without a named target); every ordinary message that holds a trap word.

Everything is invented and deterministic: the same arguments write the same bytes.

    from adviser_analytics.samples_realistic import realistic_account
    truth = realistic_account(tmp_path, contacts=3000, seed=3, months=12)
    truth.exports        # the zips written, oldest first
    truth.runs_frame()   # one row per inbound run (pandas)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

from adviser_analytics import samples as s

__all__ = ["ORDINARY_WORD_NAMES", "ONE_WORD_EMPLOYERS", "RealisticTruth", "realistic_account",
           "REALISTIC_END"]

REALISTIC_END = date(2026, 6, 1)  # the newest export's date, unless told otherwise

# names that are ordinary English words or the report's own words (issue 13)
ORDINARY_WORD_NAMES = (
    "Wilson", "Jensen", "Floor", "Code", "People", "Lang", "Security", "Jobs", "First", "May",
    "Will", "Grace", "Hope", "Rose", "Young", "Long", "Page", "Post", "Church", "Key", "Mark",
    "Bill", "Chance", "Story", "Noise", "Next", "Waiting", "Median", "Report", "Summary",
)
# every ordinary word appears at least once, in these pairs (first, last)
_SEED_NAMES = (
    ("Floor", "Lang"), ("Grace", "Wilson"), ("Will", "Jensen"), ("Hope", "Security"),
    ("Rose", "People"), ("May", "Jobs"), ("Mark", "First"), ("Bill", "Code"),
    ("Chance", "Young"), ("Story", "Long"), ("Key", "Page"), ("Jensen", "Post"),
    ("Wilson", "Church"), ("Page", "Mark"), ("Grace", "Noise"), ("Lang", "Story"),
    ("Jobs", "Key"), ("Code", "Chance"), ("Post", "Hope"), ("Young", "Rose"),
    ("Church", "May"), ("Long", "Will"), ("Noise", "Bill"), ("Security", "Grace"),
    ("People", "Floor"), ("First", "Next"), ("Waiting", "Median"), ("Report", "Summary"),
)
ORDINARY_FIRST = ("Will", "Grace", "Hope", "Rose", "May", "Mark", "Bill", "Chance", "Story",
                  "Floor", "Key", "Page", "Jensen", "Wilson", "Lang")
ORDINARY_LAST = ("Wilson", "Jensen", "Floor", "Code", "People", "Lang", "Security", "Jobs",
                 "First", "Young", "Long", "Page", "Post", "Church", "Key", "Mark", "Story",
                 "Noise", "Chance", "Hope", "Rose", "May", "Next")
ONE_WORD_EMPLOYERS = ("People", "First", "Next", "Northwind")
EMPLOYERS = s.EMPLOYERS + ONE_WORD_EMPLOYERS
RECRUITER_COMPANIES = ("Stackhaven Recruitment", "Brightquay Talent Solutions", "Keystone Search")
RECRUITER_POSITIONS = ("Senior Recruiter", "Talent Partner - Education", "Executive Search Consultant")
NO_TARGET_COMPANY = "Northwind"
LANGUAGES = ("fr", "de", "es")

# -- texts (invented) ------------------------------------------------------------------------
REQUESTS_EN = s.CLIENT_ASKS + s.UNKNOWN_ASKS + (
    "Hi Morwenna, quick question: do you know if the spring careers fair has a list of employers yet?",
    "Hello Morwenna, could we have a chat about switching from law to teaching?",
)
REQUESTS = {
    "fr": ("Bonjour Morwenna, pourriez-vous relire mon CV avant ma candidature chez {employer} ?",
           "Bonjour, est-ce que le service carrières aide aussi les anciens étudiants ?"),
    "de": ("Hallo Morwenna, könnten Sie sich meinen Lebenslauf für {employer} ansehen?",
           "Guten Tag, haben Sie einen Tipp für mein Vorstellungsgespräch nächste Woche?"),
    "es": ("Hola Morwenna, ¿podrías revisar mi CV antes de enviarlo a {employer}?",
           "Hola, ¿sabes si hay prácticas de verano en {employer}?"),
}
ANSWERS_EN = s.ANSWERS["client"] + s.ANSWERS["unknown"]
ANSWERS = {
    "fr": ("Bonjour, bien sûr : envoyez-le moi et je le regarde cette semaine.",
           "Oui, le service aide les anciens étudiants pendant trois ans après le diplôme."),
    "de": ("Hallo, gerne: schicken Sie ihn mir, ich schaue ihn mir diese Woche an.",
           "Bereiten Sie zwei konkrete Beispiele vor, das hilft am meisten."),
    "es": ("Hola, claro: envíamelo y lo miro esta semana.",
           "Sí, suelen abrir las prácticas en febrero; vale la pena preguntar."),
}
# acknowledgements: need no reply
THANKS_EN = ("Thanks!", "Thank you so much!", "Thanks Morwenna, really appreciate it.", "Cheers!",
             "Many thanks 🙏", "Brilliant, thank you!", "Thank you, that's really helpful.",
             "thx", "Great, thanks a lot!")
EMOJI_ONLY = ("👍", "🙏", "😊", "👏", "🎉🎉", "❤️", "🙂👍", "👍🏽")
THANKS = {"fr": ("Merci beaucoup !", "Merci, c'est très gentil."),
          "de": ("Vielen Dank!", "Danke schön 🙏"),
          "es": ("¡Muchas gracias!", "Gracias, muy amable.")}
CONGRATS_EN = ("Congratulations on your work anniversary!", "Congrats on the new role, Morwenna!",
               "Congratulations on the award, well deserved!", "Congrats! 🎉")
BIRTHDAY_EN = ("Happy birthday Morwenna! 🎂", "Happy birthday! Hope you have a lovely day.",
               "Happy birthday! 🎉")
CONGRATS = {"fr": ("Félicitations pour ton nouveau poste !", "Joyeux anniversaire !"),
            "de": ("Herzlichen Glückwunsch zum Geburtstag!", "Glückwunsch zur neuen Stelle!"),
            "es": ("¡Feliz cumpleaños!", "¡Enhorabuena por el nuevo puesto!")}
OWNER_THANKS = ("Thank you!", "Thanks so much, that's kind.", "Thank you! 😊", "Merci !",
                "Danke!", "¡Gracias!")
OWNER_CONGRATS = ("Congratulations on the new job, {first}! Well deserved.",
                  "Happy birthday, {first}! Have a lovely day.",
                  "Congratulations on finishing your degree, {first}!")
WELCOMES = ("You're very welcome!", "My pleasure, good luck!", "Any time.")
FOLLOW_UPS = ("Sorry, one more thing: the deadline is Friday.", "I've attached the job description too.",
              "Also, should I mention my volunteering?")
# ordinary chat holding the words that used to trigger the referral rules (trap words)
TRAPS_IN = (
    ("I am grateful for your reception yesterday, it was lovely to meet the team.", "reception"),
    ("In the event of rain, shall we move the walk to Sunday?", "in the event of"),
    ("The event last night was great fun, thanks for organising the drinks!", "event"),
    ("Your guide to the city was spot on, we found the café!", "guide"),
    ("Thanks for the resources you mentioned at lunch, I'll have a look at the weekend.", "resources"),
    ("Did you see the reception area has been repainted? Very bright!", "reception"),
    ("I'm writing a guide for new staff on the coffee machine, ha.", "guide"),
)
TRAPS_OUT = (
    ("Good luck! In the event of a delay, just drop me a line.", "in the event of"),
    ("Thanks for the warm reception at your office yesterday.", "reception"),
    ("I'll guide you through it when we meet on Tuesday.", "guide"),
    ("Lovely to see you at the event, hope the journey home was fine.", "event"),
    ("There are lots of resources out there; the job adverts themselves are the best start.", "resources"),
    ("I'm grateful for your reception of the idea, let's talk more next week.", "reception"),
)
CHAT_IN = ("How was your weekend?", "Are you going to the staff party on Friday?",
           "Long time no see! How are things at Northbridge?", "Did you watch the match?",
           "Coffee next week?", "How's the new office?")
CHAT_OUT = ("Lovely, thanks! Yours?", "Yes, see you there.", "All good here, busy term!",
            "Coffee would be great, Tuesday?", "Not bad at all, thanks for asking.")
RECRUITER_TEXTS = (
    "Hi Morwenna, I'm recruiting for a Head of Careers at a Russell Group university. Open to a confidential chat?",
    "Hello Morwenna, I came across your profile and have an exciting role in graduate recruitment. Could we talk?",
    "Hi Morwenna, are you open to interim careers consultancy work this summer?",
)
RECRUITER_CHASER = "Just following up on my message below, would love to hear from you."
RECRUITER_REPLY = "Thanks for thinking of me, but I'm not looking at the moment."
DEAD_TEXTS = ("Hi Morwenna", "Hello, can I ask you something about careers in publishing?",
              "Hi, are you the careers person at Northbridge?", "Hello Morwenna, I need some help.",
              "Bonjour", "Hola, ¿tienes un momento?")
OUTREACH_OWNER = ("Hi {first}, would you give a short talk at our employer panel in March?",
                  "Hi {first}, we're updating the alumni directory: could I add you as a contact for {company}?")
OUTREACH_REPLIES = ("Yes, happy to. Which date?", "Sure, what would you need from me?",
                    "Sounds good, can you send the details?")
OUTREACH_WRAP = ("Wonderful, I'll send the details this week.", "Thank you, I'll be in touch.")
GROUP_TITLES = ("Careers team", "Graduate Fair 2026 planning", "Employer panel speakers",
                "Placement tutors", "Alumni mentoring pilot", "Book club", "Northbridge careers network")
GROUP_LINES = ("Shall we meet on Tuesday to finalise the stands?", "I can take the morning slot.",
               "I've updated the shared spreadsheet.", "Could someone book the Hallam foyer?",
               "Great, thanks all.", "I'll draft the email to employers.", "Running 5 minutes late!",
               "Agenda attached for tomorrow.", "Who's bringing the banners?", "+1",
               "Sounds good to me.", "Can we move it to Thursday?")
GROUP_TRAPS = (("In the event of a fire alarm we meet by the library.", "in the event of"),
               ("The reception desk has the badges.", "reception"),
               ("I've put the event guide on the shared drive.", "event"),
               ("All the resources are in the folder now.", "resources"))
# referral replies: the service's links, or referral phrasing alone
REFERRAL_LINKED = {
    "appointment": (f"The best next step is a one-to-one appointment: you can book an appointment at {s.BOOKING_URL}",),
    "mentor": (f"Our alumni mentor scheme would suit this: sign up at {s.MENTORING_URL}",),
    "event": (f"Come along to Employer Insight Week: the events are listed at {s.EVENTS_URL}",),
    "resource": (f"Our online CV guide covers exactly this: {s.RESOURCE_URL}",),
}
REFERRAL_PHRASED = {
    "appointment": ("This needs a proper conversation, so please book an appointment with one of our advisers through the careers website.",),
    "mentor": ("Do sign up for the alumni mentor scheme, you'd be matched with someone in the sector.",),
    "reception": ("Please contact Careers Reception on Level 2 of the Hallam Building and they'll book you in.",),
    "resource": ("Have a look at the CV guide on the careers service website, it covers this step by step.",),
}
EXPLAINS = s.EXPLAINS
INTRO_NAMED = ("Hi Morwenna, could you introduce me to {target}? I'd love to hear about graduate roles at {company}.",
               "Hello Morwenna, would you put me in touch with {target}?")
INTRO_UNNAMED = ("Hi Morwenna, do you know someone at Northwind? Could you put me in touch with them about their graduate scheme?",
                 "Hello Morwenna, could you introduce me to someone at Northwind? I'm applying there.")
INTRO_REPLIES = {"made": "Happy to. I've just started a conversation with you and {tf}.",
                 "explained": "I'm afraid I can't introduce you: I only make introductions where I know both sides well.",
                 "redirected": f"Rather than a direct introduction, try the alumni mentor scheme: sign up at {s.MENTORING_URL}"}
INTRO_GROUP = "{tf}, meet {rf}: {rf} is a Northbridge graduate keen on {company}. I'll leave you both to it!"
INTRO_GROUP_HELLO = ("Lovely to meet you, {rf}. Let's find a time for a call.", "Thank you both!")


@dataclass
class RealisticTruth:
    """What ``realistic_account`` wrote: the exports and the raw facts of its inbox."""

    out_dir: str
    seed: int
    contacts: int
    months: int
    exports: list  # paths of the zips, oldest first
    export_dates: list
    data_to: str  # the newest export's date
    owner: dict
    connections: int  # people in the newest Connections.csv
    messages: int  # person-to-person rows in the newest messages.csv
    excluded: dict  # rows that are not person-to-person, by reason
    people: dict  # profile URL -> {name, relationship, company, ordinary_word, connected}
    runs: list  # one per inbound run
    referrals: list  # owner messages that refer
    introductions: list  # introduction requests
    traps: list  # ordinary messages that merely contain a trap word
    ordinary_messages: int  # person-to-person messages that are neither referral nor intro request
    invitations: list
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0  # how long the generation took

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def runs_frame(self):
        """The runs as a pandas DataFrame (``start`` and ``answered_at`` as UTC timestamps)."""
        import pandas as pd

        frame = pd.DataFrame(self.runs)
        for col in ("start", "answered_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        return frame


class _Inbox:
    """Builds the account: people, conversations, invitations, and the facts about them."""

    def __init__(self, seed: int, contacts: int, start: date, end: date, messages: int):
        self.rng = random.Random(f"realistic:{seed}")
        self.S, self.E = s._epoch(start), s._epoch(end)
        self.owner = s._owner()
        self.b = s._Builder("2025", self.owner, self.rng)
        self.people: list[s.Person] = []
        self.by_rel: dict[str, list[s.Person]] = {}
        self.names: set[str] = set()
        self.slugs: set[str] = set()
        self.conns: list[s.ConnRow] = []
        self.connected: set[str] = set()
        self.convs: dict[str, s.Conv] = {}
        self.info: dict[int, dict] = {}  # mid -> facts of the message
        self.run_kind: dict[int, dict] = {}  # mid of an inbound message -> its run facts
        self.intros: list[dict] = []
        self.invitations: list[s.Invitation] = []
        self.inv_personal: dict[int, bool] = {}
        self.recruiters: list[s.Person] = []
        self.invited: set[str] = set()
        self.conn_of: dict[str, s.ConnRow] = {}
        self._people(contacts)
        self._events(messages)

    # -- people ------------------------------------------------------------------------------
    def person(self, rel: str, first: str | None = None, last: str | None = None,
               company: str | None = None, position: str | None = None,
               pooled: bool = True) -> s.Person:
        """A new invented person; ``pooled`` ones may be picked again for later conversations."""
        rng = self.rng
        for _ in range(200):
            f = first or (rng.choice(ORDINARY_FIRST) if rng.random() < 0.08 else rng.choice(s.FIRST_NAMES))
            l = last or (rng.choice(ORDINARY_LAST) if rng.random() < 0.1 else rng.choice(s.LAST_NAMES))  # noqa: E741
            if f"{f} {l}" not in self.names:
                break
            if first and last:
                raise ValueError(f"duplicate person {first} {last}")
            if rng.random() < 0.5:  # a middle initial keeps big accounts unique
                f = f"{f} {chr(65 + rng.randrange(26))}."
                if f"{f} {l}" not in self.names:
                    break
        else:  # pragma: no cover - pools and initials are large
            raise RuntimeError("ran out of invented names")
        self.names.add(f"{f} {l}")
        base = s._slug_base(f, l)
        slug = f"{base}-{rng.getrandbits(28):07x}"
        while slug in self.slugs:
            slug = f"{base}-{rng.getrandbits(28):07x}"
        self.slugs.add(slug)
        comp, pos = s._attributes(rng, rel)
        if rel in ("professional", "client") and comp:
            comp = rng.choice(EMPLOYERS)
        p = s.Person(f, l, slug, rel, comp if company is None else company,
                     pos if position is None else position, "", rng.randrange(10_000_000, 999_999_999))
        self.people.append(p)
        if pooled:
            self.by_rel.setdefault(rel, []).append(p)
        return p

    def recruiter(self) -> s.Person:
        """A recruiter: relationship ``unknown`` (the truth's people say ``recruiter: true``)."""
        p = self.person("unknown", company=self.rng.choice(RECRUITER_COMPANIES),
                        position=self.rng.choice(RECRUITER_POSITIONS), pooled=False)
        self.recruiters.append(p)
        return p

    def connect(self, p: s.Person, t: int) -> None:
        if p.key not in self.connected:
            self.connected.add(p.key)
            self.conns.append(s._conn_row(self.rng, p, t - t % 86400, 0.03))
            self.conn_of[p.key] = self.conns[-1]

    def _people(self, contacts: int) -> None:
        rng = self.rng
        rels = {"client": 0.5, "professional": 0.2, "colleague": 0.08, "personal": 0.08,
                "unknown": 0.14}
        lo, hi = s._epoch(date(2012, 1, 1)), self.E - 2 * 86400
        seeded = _SEED_NAMES[:max(0, min(len(_SEED_NAMES), contacts - 4))]
        for i, (first, last) in enumerate(seeded):
            rel = ("professional", "colleague", "client", "personal")[i % 4]
            company = ONE_WORD_EMPLOYERS[i % 3] if rel == "professional" else None
            self.connect(self.person(rel, first, last, company=company), rng.randint(lo, hi))
        # contacts at Northwind (someone at Northwind can be asked for)
        for _ in range(min(3, contacts - len(self.conns))):
            self.connect(self.person("professional", company=NO_TARGET_COMPANY,
                                     position=rng.choice(s.EMPLOYER_POSITIONS)), rng.randint(lo, hi))
        for _ in range(max(1, contacts // 100)):  # recruiters among the connections
            self.connect(self.recruiter(), rng.randint(lo, hi))
        while len(self.conns) < contacts:
            self.connect(self.person(s._wchoice(rng, rels)), rng.randint(lo, hi))
        for _ in range(max(1, contacts // 100)):  # blank-person rows
            t = rng.randint(lo, hi)
            self.conns.append(s.ConnRow(None, t - t % 86400))

    def pick(self, rel: str) -> s.Person:
        return self.rng.choice(self.by_rel[rel])

    def conv(self, p: s.Person) -> s.Conv:
        if p.key not in self.convs:
            folder = "ARCHIVE" if self.rng.random() < 0.1 else "INBOX"
            self.convs[p.key] = self.b.new_conv([p], folder=folder)
        return self.convs[p.key]

    # -- message helpers ---------------------------------------------------------------------
    def inb(self, conv: s.Conv, who: s.Person, t: int, text: str, kind: str, *, lang: str = "en",
            ack: bool = False, trap: str | None = None, **extra) -> s.Msg:
        m = self.b.add(conv, who, t, text)
        self.info[m.mid] = {"kind": kind, "lang": lang, "ack": ack, "trap": trap, **extra}
        return m

    def out(self, conv: s.Conv, t: int, text: str, kind: str = "answer", *, trap: str | None = None,
            **extra) -> s.Msg:
        m = self.b.add(conv, self.owner, t, text, kind=kind)
        self.info[m.mid] = {"kind": kind, "trap": trap, **extra}
        return m

    def reply_t(self, t: int, fast: bool = True) -> int:
        rng = self.rng
        days = min(9.0, rng.expovariate(1 / (1.0 if fast else 3.0)) + 0.02)
        return s._working_time(int(t + days * 86400), rng)

    def start(self, conv: s.Conv, t: int) -> int:
        return max(t, conv.last_t + 600)

    def lang(self) -> str:
        r = self.rng.random()
        return "en" if r < 0.88 else LANGUAGES[int((r - 0.88) / 0.04) % 3]

    # -- conversation kinds --------------------------------------------------------------------
    def ev_request(self, t: int) -> None:
        rng = self.rng
        rel = s._wchoice(rng, {"client": 0.7, "unknown": 0.12, "professional": 0.1, "colleague": 0.08})
        p = self.pick(rel)
        conv = self.conv(p)
        t = self.start(conv, t)
        lang = self.lang()
        pool = REQUESTS_EN if lang == "en" else REQUESTS[lang]
        q = self.inb(conv, p, t, s._fmt(rng.choice(pool), employer=rng.choice(EMPLOYERS)), "request",
                     lang=lang)
        last = q
        if rng.random() < 0.25:
            last = self.inb(conv, p, q.t + rng.randint(60, 3600), rng.choice(FOLLOW_UPS), "request",
                            lang=lang)
        if rng.random() < 0.04:  # let go: never answered
            return
        if rng.random() < 0.03:  # the reply written in the same second as the question
            r_t = last.t
            self.info[last.mid]["same_second"] = True
        else:
            r_t = self.reply_t(last.t)
        h = rng.random()
        if h < 0.22:
            ref = rng.choice(sorted(REFERRAL_LINKED)) if rng.random() < 0.55 else None
            if ref:
                self.out(conv, r_t, rng.choice(REFERRAL_LINKED[ref]), f"refer:{ref}", referral=ref,
                         with_link=True)
            else:
                ref = rng.choice(sorted(REFERRAL_PHRASED))
                self.out(conv, r_t, rng.choice(REFERRAL_PHRASED[ref]), f"refer:{ref}", referral=ref,
                         with_link=False)
        elif h < 0.28:
            self.out(conv, r_t, rng.choice(EXPLAINS), "explain")
        elif h < 0.38:
            text, word = rng.choice(TRAPS_OUT)
            self.out(conv, r_t, text, trap=word)
        else:
            pool = ANSWERS_EN if lang == "en" else ANSWERS[lang]
            self.out(conv, r_t, rng.choice(pool))
        end = self.convs[p.key].last_t
        if rng.random() < 0.45:  # an acknowledgement: thanks, an emoji
            a = rng.random()
            text = (rng.choice(EMOJI_ONLY) if a < 0.3 else
                    rng.choice(THANKS_EN) if lang == "en" else rng.choice(THANKS[lang]))
            th = self.inb(conv, p, end + rng.randint(300, 2 * 86400), text, "acknowledgement",
                          lang="und" if a < 0.3 else lang, ack=True)
            if rng.random() < 0.3:
                self.out(conv, s._working_time(th.t + rng.randint(600, 86400), rng), rng.choice(WELCOMES))
        elif rng.random() < 0.2:  # a follow-up question
            f = self.inb(conv, p, end + rng.randint(3600, 5 * 86400),
                         rng.choice(s.FOLLOW_QUESTIONS), "request", lang="en")
            if rng.random() < 0.9:
                self.out(conv, self.reply_t(f.t), rng.choice(ANSWERS_EN))

    def ev_chitchat(self, t: int) -> None:
        rng = self.rng
        p = self.pick(rng.choice(("personal", "colleague")))
        conv = self.conv(p)
        t = self.start(conv, t)
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                text, word = rng.choice(TRAPS_IN)
            else:
                text, word = rng.choice(CHAT_IN), None
            m = self.inb(conv, p, t, text, "chitchat", trap=word)
            if rng.random() < 0.1:
                break
            if rng.random() < 0.3:
                text, word = rng.choice(TRAPS_OUT)
            else:
                text, word = rng.choice(CHAT_OUT), None
            r = self.out(conv, self.reply_t(m.t, fast=False), text, trap=word)
            t = r.t + rng.randint(600, 3 * 86400)
        if rng.random() < 0.3:
            self.inb(conv, p, conv.last_t + rng.randint(60, 86400), rng.choice(EMOJI_ONLY),
                     "acknowledgement", lang="und", ack=True)

    def ev_congrats(self, t: int) -> None:
        rng = self.rng
        p = self.pick(s._wchoice(rng, {"professional": 0.4, "colleague": 0.2, "personal": 0.2,
                                       "client": 0.2}))
        conv = self.conv(p)
        t = self.start(conv, t)
        if rng.random() < 0.3:  # the owner congratulates; they thank her
            m = self.out(conv, t, s._fmt(rng.choice(OWNER_CONGRATS), first=p.first), "answer")
            text = rng.choice(THANKS_EN + EMOJI_ONLY)
            self.inb(conv, p, m.t + rng.randint(600, 3 * 86400), text, "acknowledgement",
                     lang="und" if text in EMOJI_ONLY else "en", ack=True)
            return
        lang = self.lang()
        birthday = rng.random() < 0.4
        pool = ((BIRTHDAY_EN if birthday else CONGRATS_EN) if lang == "en" else CONGRATS[lang])
        m = self.inb(conv, p, t, rng.choice(pool), "birthday" if birthday else "congratulations",
                     lang=lang, ack=True)
        if rng.random() < 0.5:
            r = self.out(conv, self.reply_t(m.t, fast=False), rng.choice(OWNER_THANKS))
            if rng.random() < 0.3:
                self.inb(conv, p, r.t + rng.randint(600, 86400), rng.choice(EMOJI_ONLY),
                         "acknowledgement", lang="und", ack=True)

    def ev_recruiter(self, t: int) -> None:
        rng = self.rng
        if rng.random() < 0.4:  # a recruiter among the connections
            p = rng.choice(self.recruiters[:max(1, len(self.recruiters) // 3)])
        else:
            p = self.recruiter()
        conv = self.conv(p)
        t = self.start(conv, t)
        m = self.inb(conv, p, t, rng.choice(RECRUITER_TEXTS), "recruiter")
        if rng.random() < 0.35:
            m = self.inb(conv, p, m.t + rng.randint(5, 12) * 86400, RECRUITER_CHASER, "recruiter")
        if rng.random() < 0.2:
            self.out(conv, self.reply_t(m.t, fast=False), RECRUITER_REPLY)

    def ev_dead(self, t: int) -> None:
        rng = self.rng
        p = self.person("unknown", pooled=False)  # nobody else writes in a dead thread
        t = self.S + int((t - self.S) * 0.6)  # old: in the first 60 % of the span
        conv = self.conv(p)
        text = rng.choice(DEAD_TEXTS)
        lang = "fr" if text == "Bonjour" else "es" if text.startswith("Hola") else "en"
        m = self.inb(conv, p, t, text, "dead", lang=lang)
        if rng.random() < 0.3:
            self.inb(conv, p, m.t + rng.randint(60, 7 * 86400), "Hello?", "dead")

    def ev_outreach(self, t: int) -> None:
        rng = self.rng
        p = self.pick("professional")
        conv = self.conv(p)
        t = s._working_time(self.start(conv, t), rng)
        m = self.out(conv, t, s._fmt(rng.choice(OUTREACH_OWNER), first=p.first, company=p.company or "your team"))
        if rng.random() < 0.8:
            r = self.inb(conv, p, m.t + rng.randint(3600, 4 * 86400), rng.choice(OUTREACH_REPLIES),
                         "request")
            if rng.random() < 0.92:
                self.out(conv, self.reply_t(r.t), rng.choice(OUTREACH_WRAP))

    def ev_group(self, t: int) -> None:
        rng = self.rng
        pool = self.by_rel["colleague"] + self.by_rel["professional"][:40]
        members = rng.sample(pool, min(len(pool), rng.randint(3, 8)))
        title = rng.choice(GROUP_TITLES)
        conv = self.b.new_conv(members, title=title, sep=rng.choice((",", ";")))
        self.convs[f"group:{conv.id}"] = conv
        t = s._working_time(t, rng)
        for _ in range(rng.randint(15, 70)):
            t = s._working_time(t + int(rng.expovariate(1 / 7200)) + 30, rng)
            if rng.random() < 0.18:
                self.out(conv, t, rng.choice(GROUP_LINES))
            elif rng.random() < 0.08:
                text, word = rng.choice(GROUP_TRAPS)
                self.inb(conv, rng.choice(members), t, text, "group", trap=word)
            else:
                self.inb(conv, rng.choice(members), t, rng.choice(GROUP_LINES), "group")

    def ev_introduction(self, t: int) -> None:
        rng = self.rng
        req = self.pick("client")
        conv = self.conv(req)
        t = self.start(conv, t)
        named = rng.random() < 0.7
        if named:
            target = self.pick("professional")
            text = s._fmt(rng.choice(INTRO_NAMED), target=target.name, company=target.company or "their firm")
        else:
            target = None
            text = rng.choice(INTRO_UNNAMED)
        m = self.inb(conv, req, t, text, "introduction")
        self.intros.append({"mid": m.mid, "requester": req, "target": target,
                            "company": target.company if target else NO_TARGET_COMPANY})
        outcome = s._wchoice(rng, {"made": 0.4, "explained": 0.2, "redirected": 0.2, "none": 0.2})
        if outcome == "none":
            return
        r_t = self.reply_t(m.t)
        tf = target.first if target else "my contact at Northwind"
        if outcome == "redirected":
            self.out(conv, r_t, INTRO_REPLIES[outcome], "refer:mentor", referral="mentor", with_link=True)
        else:
            self.out(conv, r_t, s._fmt(INTRO_REPLIES[outcome], tf=tf),
                     "explain" if outcome == "explained" else "answer")
        if outcome == "made" and target is not None:
            group = self.b.new_conv([req, target])
            self.convs[f"group:{group.id}"] = group
            g = self.out(group, r_t + rng.randint(60, 900),
                         s._fmt(INTRO_GROUP, tf=target.first, rf=req.first, company=target.company or "them"))
            h = self.inb(group, target, s._working_time(g.t + rng.randint(3600, 2 * 86400), rng),
                         s._fmt(INTRO_GROUP_HELLO[0], rf=req.first), "group")
            self.inb(group, req, h.t + rng.randint(600, 86400), INTRO_GROUP_HELLO[1], "group")
        self.intros[-1]["outcome"] = outcome

    def ev_invitation(self, t: int) -> None:
        rng = self.rng
        t -= t % 60
        rel = s._wchoice(rng, {"client": 0.5, "unknown": 0.3, "professional": 0.2})
        personal = rng.random() < 0.4
        accept = rng.random() < (0.75 if personal else 0.35)
        when = s._working_time(t + rng.randint(3600, 5 * 86400), rng)
        accept = accept and when < self.E
        # an accepted invitation is one of the contacts: connected on the day it was accepted
        fresh = [p for p in self.by_rel[rel][-200:] if p.key in self.connected
                 and p.key not in self.invited] if accept else []
        p = rng.choice(fresh) if fresh else self.person(rel)
        self.invited.add(p.key)
        inv = s.Invitation("INCOMING", p, t)
        if personal:
            inv.message = rng.choice(s.INVITE_NOTES[rel])
        if accept and fresh:
            row = self.conn_of[p.key]
            row.t = when - when % 86400
            inv.decision, inv.accepted_on = "accept", s._day(when)
        else:  # never accepted: ignored once older than the inference window (21 days)
            inv.decision = "ignore" if t < self.E - 21 * 86400 else "pending"
        self.invitations.append(inv)
        self.inv_personal[id(inv)] = personal

    # -- the timeline ------------------------------------------------------------------------
    KINDS = {  # kind -> (share of events, rough messages per event)
        "request": (0.44, 4.2), "chitchat": (0.1, 4.0), "congrats": (0.16, 1.8),
        "recruiter": (0.06, 1.5), "dead": (0.04, 1.3), "outreach": (0.08, 2.6),
        "group": (0.012, 42.0), "introduction": (0.06, 2.8), "invitation": (0.038, 0.0),
    }

    def _events(self, messages: int) -> None:
        rng = self.rng
        per_event = 0.82 * sum(share * size for share, size in self.KINDS.values())
        n = max(20, round(messages / per_event))
        kinds = list(self.KINDS)
        weights = [self.KINDS[k][0] for k in kinds]
        span = self.E - self.S
        events = sorted((self.S + rng.randrange(span), k)
                        for k in rng.choices(kinds, weights, k=n))
        invite_from = self.E - 240 * 86400
        for i, kind in enumerate(("request", "congrats", "group", "introduction", "dead", "recruiter")):
            events.append((self.S + span // 2 + i * 3600, kind))  # each kind at least once
        events.sort()
        for t, kind in events:
            if kind == "invitation" and t < invite_from:
                t = invite_from + (t - self.S) % (self.E - invite_from)
            getattr(self, "ev_" + kind)(t)


def _run_facts(cid: str, current: list, reply, info: dict, one: bool, opened: str) -> dict:
    """The raw facts of one inbound run (``current``) and the owner's reply (or None)."""
    facts = [info.get(m.mid, {}) for m in current]
    ack = all(f.get("ack") for f in facts)
    kinds = [f.get("kind", "request") for f in facts if not f.get("ack")] or \
        [facts[0].get("kind", "acknowledgement")]
    first = current[0]
    if ack:
        expected = "no_reply_needed"
    elif not one:
        expected = None  # group context, not a request
    elif reply is None:
        expected = "none"
    elif (reply.kind or "").startswith("refer:"):
        expected = "refer"
    else:
        expected = reply.kind or "answer"
    return {
        "conversation_id": cid, "start": s._iso(first.t), "sender": first.parts[0].key,
        "relationship": first.parts[0].relationship, "messages": len(current),
        "one_to_one": one, "opened_by": opened, "acknowledgement": ack,
        "request": one and not ack, "kind": kinds[0], "lang": facts[0].get("lang", "en"),
        "answered_at": s._iso(reply.t) if reply else None,
        "same_second": bool(reply and reply.t == current[-1].t),
        "expected_handling": expected,
    }


def _runs(msgs: list[s.Msg], info: dict, convs: dict) -> list[dict]:
    """Inbound runs per conversation (same-second rows in the order they were written)."""
    by_conv: dict[str, list[s.Msg]] = {}
    for m in msgs:
        if m.reason is None:
            by_conv.setdefault(m.conv, []).append(m)
    members = {c.id: len(c.members) for c in convs.values()}
    runs = []
    for cid, rows in by_conv.items():
        rows.sort(key=lambda m: (m.t, m.mid))
        opened = "owner" if rows[0].outbound else "them"
        one = members[cid] == 1
        current: list[s.Msg] = []
        for m in rows:
            if not m.outbound:
                current.append(m)
            elif current:
                runs.append(_run_facts(cid, current, m, info, one, opened))
                current = []
        if current:
            runs.append(_run_facts(cid, current, None, info, one, opened))
    runs.sort(key=lambda r: (r["start"], r["conversation_id"]))
    return runs


def realistic_account(out_dir, contacts: int = 3000, seed: int = 1, months: int = 12, *,
                      messages: int | None = None, exports: int = 1,
                      end: date = REALISTIC_END) -> RealisticTruth:
    """Write ``exports`` monthly zips (the newest dated ``end``) and ``realistic_truth.json``.

    ``contacts`` connections (people in Connections.csv), about ``messages`` person-to-person
    message rows (default 10 per contact) over the ``months`` before ``end``.
    """
    import time

    if contacts < 40:
        raise ValueError("realistic_account needs at least 40 contacts")
    if not 1 <= months <= 60 or not 1 <= exports <= months:
        raise ValueError("months must be 1-60 and exports 1-months")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = messages if messages is not None else 10 * contacts
    start = s._add_months(end, -months)
    inbox = _Inbox(seed, contacts, start, end, target)
    owner = inbox.owner
    dates = [s._add_months(end, k - exports + 1) for k in range(exports)]
    dates[-1] = end
    # a few rows of the kinds that are not person-to-person, as real exports have
    rng = inbox.rng
    for i in range(max(3, contacts // 300)):
        t = inbox.S + rng.randrange(inbox.E - inbox.S)
        if i % 3 == 0:
            inbox.b.add_raw(inbox.b.conv_id(), "Sponsored Conversation", s.SPONSORS[0], t,
                            s._fmt(s.SPONSORED_TEXT, sponsor=s.SPONSORS[0]), reason="sponsored",
                            to_names=owner.name, recipient_urls=owner.url)
        elif i % 3 == 1:
            inbox.b.add_raw(inbox.b.conv_id(), "", "LinkedIn Member", t, s.HIDDEN_TEXTS[0],
                            reason="hidden_member", to_names=owner.name, recipient_urls=owner.url)
        else:
            spam = inbox.person("spam")
            inbox.b.add(inbox.b.new_conv([spam], folder="SPAM"), spam, t, s.SPAM_FOLDER_TEXTS[0],
                        reason="spam_folder")
    paths = []
    for d in dates:
        T = s._epoch(d)
        conns = [r for r in inbox.conns if r.t < T]
        msgs = [m for m in inbox.b.msgs if m.t < T]
        window = s._epoch(s._add_months(d, -8))
        invs = [i for i in inbox.invitations if window <= i.t < T]
        files = {
            "Connections.csv": s._connections_bytes("2025", conns),
            "messages.csv": s._messages_bytes("2025", msgs, trailing=s.TRAILING),
            "Invitations.csv": s._invitations_bytes("2025", invs, owner),
            "Profile.csv": s._profile_bytes(owner),
        }
        paths.append(s._emit(out_dir, d, files, zipped=True, nested=False))
    T = s._epoch(end)
    msgs = [m for m in inbox.b.msgs if m.t < T]
    p2p = [m for m in msgs if m.reason is None]
    excluded: dict[str, int] = {}
    for m in msgs:
        if m.reason:
            excluded[m.reason] = excluded.get(m.reason, 0) + 1
    excluded["blank_person"] = sum(1 for r in inbox.conns if r.person is None and r.t < T)
    info = inbox.info
    runs = _runs(p2p, info, inbox.convs)
    referrals = [{"conversation_id": m.conv, "sent_at": s._iso(m.t),
                  "referral": info[m.mid]["referral"], "with_link": info[m.mid]["with_link"]}
                 for m in p2p if m.outbound and "referral" in info.get(m.mid, {})]
    sent = {m.mid for m in p2p}
    intros = []
    for it in inbox.intros:
        if it["mid"] not in sent:
            continue
        intros.append({
            "requester_url": it["requester"].key, "requester_name": it["requester"].name,
            "target_url": it["target"].key if it["target"] else None,
            "target_name": it["target"].name if it["target"] else None,
            "target_company": it["company"], "outcome": it.get("outcome", "none"),
        })
    by_mid = {m.mid: m for m in p2p}
    for row, it in zip(intros, [i for i in inbox.intros if i["mid"] in sent], strict=True):
        m = by_mid[it["mid"]]
        row.update({"conversation_id": m.conv, "requested_at": s._iso(m.t),
                    "requested_on": s._day(m.t).isoformat()})
    special = {m.mid for m in p2p
               if "referral" in info.get(m.mid, {}) or info.get(m.mid, {}).get("kind") in
               ("introduction", "explain")}
    traps = [{"conversation_id": m.conv, "sent_at": s._iso(m.t), "outbound": m.outbound,
              "word": info[m.mid]["trap"], "content": m.content}
             for m in p2p if info.get(m.mid, {}).get("trap")]
    newest = [r for r in inbox.conns if r.t < T and r.person is not None]
    connected = {r.person.key for r in newest}
    seen = {p.key for m in p2p for p in m.parts} | connected
    seen |= {i.person.key for i in inbox.invitations if i.t < T}
    words = set(ORDINARY_WORD_NAMES)
    recruiters = {p.key for p in inbox.recruiters}
    people = {p.key: {"name": p.name, "relationship": p.relationship, "company": p.company,
                      "recruiter": p.key in recruiters,
                      "ordinary_word": bool(words & set(p.name.replace(".", "").split())),
                      "connected": p.key in connected}
              for p in inbox.people if p.key in seen}
    window = s._epoch(s._add_months(end, -8))
    invitations = [{"name": i.person.name, "profile_url": i.person.key, "sent_at": s._iso(i.t),
                    "personalised": inbox.inv_personal[id(i)], "decision": i.decision,
                    "accepted_on": i.accepted_on.isoformat() if i.accepted_on else None}
                   for i in inbox.invitations if window <= i.t < T]
    members = {c.id: len(c.members) for c in inbox.convs.values()}
    counts: dict[str, int] = {}
    for r in runs:
        counts[f"runs_{r['kind']}"] = counts.get(f"runs_{r['kind']}", 0) + 1
    counts.update({
        "runs": len(runs), "requests": sum(r["request"] for r in runs),
        "acknowledgements": sum(r["acknowledgement"] for r in runs),
        "group_runs": sum(not r["one_to_one"] for r in runs),
        "group_messages": sum(1 for m in p2p if not m.outbound and members[m.conv] > 1),
        "unanswered_requests": sum(r["request"] and r["answered_at"] is None for r in runs),
        "same_second": sum(r["same_second"] for r in runs),
        "other_languages": sum(r["lang"] in LANGUAGES for r in runs),
        "referrals": len(referrals), "referrals_with_link": sum(r["with_link"] for r in referrals),
        "introductions": len(intros),
        "introductions_without_target": sum(i["target_url"] is None for i in intros),
        "traps": len(traps), "ordinary_word_people": sum(p["ordinary_word"] for p in people.values()),
        "owner_messages": sum(m.outbound for m in p2p),
    })
    truth = RealisticTruth(
        out_dir=str(out_dir), seed=seed, contacts=contacts, months=months,
        exports=[str(p) for p in paths], export_dates=[d.isoformat() for d in dates],
        data_to=end.isoformat(),
        owner={"name": owner.name, "profile_url": owner.url, "institution": s.INSTITUTION,
               "links": [s.BOOKING_URL, s.MENTORING_URL, s.EVENTS_URL, s.RESOURCE_URL]},
        connections=len(connected), messages=len(p2p), excluded=excluded, people=people,
        runs=runs, referrals=referrals, introductions=intros, traps=traps,
        ordinary_messages=len(p2p) - len(special), invitations=invitations, counts=counts,
    )
    truth.seconds = round(time.perf_counter() - began, 2)
    (out_dir / "realistic_truth.json").write_text(
        json.dumps(truth.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    """``python -m adviser_analytics.samples_realistic --out DIR [--contacts 3000] ...``"""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m adviser_analytics.samples_realistic",
        description="Write a realistic adviser's LinkedIn exports (invented) and their truth.")
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument("--contacts", type=int, default=3000, help="connections (default 3000)")
    parser.add_argument("--messages", type=int, default=None,
                        help="person-to-person messages (default 10 per contact)")
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument("--exports", type=int, default=1, help="monthly exports (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    try:
        truth = realistic_account(args.out, contacts=args.contacts, seed=args.seed,
                                  months=args.months, messages=args.messages, exports=args.exports)
    except ValueError as exc:
        parser.error(str(exc))
    c = truth.counts
    print(f"wrote {len(truth.exports)} export(s) to {args.out} in {truth.seconds:.1f} s: "
          f"{truth.connections} connections, {truth.messages} person-to-person messages, "
          f"{c['requests']} requests ({c['unanswered_requests']} unanswered), "
          f"{c['acknowledgements']} acknowledgements, {c['group_runs']} group runs, "
          f"{c['referrals']} referrals, {c['introductions']} introduction requests, "
          f"{c['traps']} ordinary messages with trap words; truth in realistic_truth.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
