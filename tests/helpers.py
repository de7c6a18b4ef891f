"""Helpers shared by several test modules (tests import from here, never from each other).

- ``build_reports_workspace``: the demo's sample workspace, built once per session, for the
  report and notebook tests.
- ``story_scores`` / ``shortfalls``: the label suggestions on the sample story scored against
  the generator's truth (what ``devtools.evaluate_labels`` prints), and the labels whose
  precision or recall fall below a floor.
- ``build`` / ``copy_of`` and friends: a small multi-snapshot workspace, written row by row
  with the workspace's own tables, for the label and triage tests.

The label fixture:

``build(path)`` returns an open :class:`Workspace` holding three snapshots (2026-01-01,
-02-01, -03-01) with invitations that were accepted, ignored, asked about, withdrawn,
redirected, re-sent, or are too recent to judge, and requests answered, referred, declined,
left unanswered, and an introduction request.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from adviser_analytics.people import name_key
from adviser_analytics.store import Workspace

ROOT = Path(__file__).resolve().parent.parent

OWNER = "https://www.linkedin.com/in/owner"
URL = "https://www.linkedin.com/in/"
POLICY = """\
owner_institution: Example University
versions:
  - name: v1
    effective_from: 2025-01-01
    invitations: {client: [accept], unknown: [ignore, ask]}
    requests: {client: [answer, refer]}
"""


class Builder:
    def __init__(self, path: Path):
        self.ws = Workspace.create(path)
        self.ws.set_meta("owner_name", "Olive Owner")
        self.ws.set_meta("owner_url", OWNER)
        self.snapshots: dict[str, int] = {}
        self._conv = 0

    def snapshot(self, day: str) -> int:
        cur = self.ws.db.execute(
            "INSERT INTO snapshots(fingerprint, source, export_date, ingested_at) "
            "VALUES (?, ?, ?, ?)", (f"fp-{day}", f"export {day}", day, day + "T00:00:00Z"))
        self.snapshots[day] = cur.lastrowid
        return cur.lastrowid

    def person(self, key: str, name: str, company: str | None = None,
               position: str | None = None) -> str:
        self.ws.db.execute(
            "INSERT INTO people(person_key, name, profile_url, company, position) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(person_key) DO UPDATE SET "
            "company = excluded.company, position = excluded.position",
            (key, name, key if key.startswith("https://") else None, company, position))
        return key

    def connect(self, key: str, on: str, seen: str = "2026-03-01") -> None:
        self.ws.db.execute(
            "INSERT INTO connections(person_key, connected_on, first_seen_on, last_seen_on) "
            "VALUES (?, ?, ?, ?)", (key, on, seen, seen))

    def invitation(self, name: str, sent_at: str, seen: list[str], url: str | None = None,
                   direction: str = "incoming", message: str | None = None) -> str:
        key = url or f"name:{name_key(name)}"
        self.person(key, name)
        cur = self.ws.db.execute(
            "INSERT INTO invitations(direction, name_key, sent_at, person_key, name, profile_url, "
            "message, first_seen_on, last_seen_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (direction, name_key(name), sent_at, key, name, url, message, min(seen), max(seen)))
        for day in seen:
            self.ws.db.execute("INSERT INTO invitation_sightings VALUES (?, ?)",
                               (cur.lastrowid, self.snapshots[day]))
        return str(cur.lastrowid)

    def conversation(self) -> str:
        self._conv += 1
        return f"conv-{self._conv}"

    def message(self, conversation: str, sent_at: str, who: str, content: str | None,
                inbound: bool) -> None:
        self.ws.db.execute(
            "INSERT INTO messages(conversation_id, sent_at, sender_key, sender_name, content, "
            "direction, counterpart_key, folder) VALUES (?, ?, ?, ?, ?, ?, ?, 'INBOX')",
            (conversation, sent_at, who if inbound else OWNER,
             None if not inbound else who.rsplit("/", 1)[-1], content,
             "inbound" if inbound else "outbound", who))


def build(path: Path, policy: bool = True) -> Workspace:
    """The fixture workspace (see the module docstring); keys of interest in ``ws.fixture``."""
    b = Builder(path)
    ws = b.ws
    keys: dict[str, str] = {}
    with ws.transaction():
        for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
            b.snapshot(day)
        all3 = ["2026-01-01", "2026-02-01", "2026-03-01"]
        # invitations
        keys["accepted"] = b.invitation("Ada Lovelace", "2025-12-20T10:00:00Z", all3, URL + "ada")
        b.connect(URL + "ada", "2026-01-05")
        keys["ignored"] = b.invitation("Bea Smith", "2025-12-01T09:00:00Z", all3, URL + "bea")
        keys["asked"] = b.invitation("Cy Young", "2025-12-10T09:00:00Z", all3, URL + "cy")
        conv = b.conversation()
        b.message(conv, "2025-12-12T09:00:00Z", URL + "cy",
                  "Thanks for the invitation. Have we met? How do we know each other?", False)
        keys["withdrawn"] = b.invitation("Dee Gone", "2025-12-15T09:00:00Z", ["2026-01-01"],
                                         URL + "dee")
        keys["by_name"] = b.invitation("Émile Zola", "2025-12-05T09:00:00Z", all3)  # no URL
        b.person(URL + "emile-zola", "Émile  ZOLA")
        b.connect(URL + "emile-zola", "2026-01-10")
        keys["recent"] = b.invitation("Fay Recent", "2026-02-20T09:00:00Z", ["2026-03-01"],
                                      URL + "fay")
        keys["resent_old"] = b.invitation("Gus Twice", "2025-12-02T09:00:00Z", all3, URL + "gus")
        keys["resent_new"] = b.invitation("Gus Twice", "2026-01-20T09:00:00Z",
                                          ["2026-02-01", "2026-03-01"], URL + "gus")
        b.connect(URL + "gus", "2026-01-22")
        keys["redirected"] = b.invitation("Hal Client", "2025-12-03T09:00:00Z", all3,
                                          URL + "hal", message="I'm a final-year student")
        conv = b.conversation()
        b.message(conv, "2025-12-05T09:00:00Z", URL + "hal",
                  "I won't connect here, but you can book an appointment at "
                  "https://careers.example.ac.uk/appointments", False)
        b.invitation("Out Going", "2025-12-01T09:00:00Z", all3, URL + "out",
                     direction="outgoing")

        # requests
        client = b.person(URL + "stu", "Stu Dent", None, "MSc Finance student")
        b.connect(client, "2024-01-01")
        conv = b.conversation()
        b.message(conv, "2026-01-10T10:00:00Z", client, "Could you look at my CV?", True)
        b.message(conv, "2026-01-11T09:00:00Z", client, None, False)
        ws.db.execute("UPDATE messages SET content = ? WHERE sent_at = ?",
                      ("Please book an appointment: https://careers.example.ac.uk/appointments",
                       "2026-01-11T09:00:00Z"))
        keys["refer"] = f"{conv}|2026-01-10T10:00:00Z"
        conv = b.conversation()
        b.message(conv, "2026-01-12T10:00:00Z", client, "Can you write my reference today?", True)
        b.message(conv, "2026-01-13T09:00:00Z", client, "I’m afraid I can’t do that one.", False)
        keys["explain"] = f"{conv}|2026-01-12T10:00:00Z"
        other = b.person(URL + "pat", "Pat Partner", "Acme Ltd", "Talent Acquisition Partner")
        b.connect(other, "2023-05-01")
        conv = b.conversation()
        b.message(conv, "2026-01-15T10:00:00Z", other, "Can we talk about the spring term?", True)
        b.message(conv, "2026-01-15T11:00:00Z", other, "Also: which room?", True)
        b.message(conv, "2026-01-16T09:00:00Z", other, "Sure, Tuesday works, room 2.14.", False)
        keys["answer"] = f"{conv}|2026-01-15T10:00:00Z"
        b.message(conv, "2026-01-20T10:00:00Z", other, "Great, see you then", True)
        keys["none"] = f"{conv}|2026-01-20T10:00:00Z"
        conv = b.conversation()
        b.message(conv, "2026-02-25T10:00:00Z", client, "One more question!", True)
        keys["pending"] = f"{conv}|2026-02-25T10:00:00Z"
        zoe = b.person(URL + "zoe", "Zoë Brontë-Ngata", "Acme Ltd", "Head of People")
        b.connect(zoe, "2022-02-02")
        conv = b.conversation()
        b.message(conv, "2026-01-25T10:00:00Z", client,
                  "Hi, could you introduce me to Zoë Brontë-Ngata? Thanks!", True)
        b.message(conv, "2026-01-26T10:00:00Z", client, "Happy to, I'll write to her.", False)
        keys["intro_request"] = f"{conv}|2026-01-25T10:00:00Z"
        conv = b.conversation()
        b.message(conv, "2026-01-27T10:00:00Z", client,
                  "Could you put me in touch with someone in marketing?", True)
        b.message(conv, "2026-01-27T12:00:00Z", client, "Let me think about who.", False)

        # people for relationship rules
        b.person(URL + "col", "Col League", "Example University", "Careers Consultant")
        b.person(URL + "spam", "Sam Spam", "CryptoLeap", "Crypto growth hacker")
        b.person(URL + "arch", "Archie Tect", "Tessellate Architects", "Architect")
        b.person(URL + "=evil", "=HYPERLINK(\"http://x\",\"click\")", "+44 Ltd", "-minus")
        b.person(URL + "at", "@mention", "\tTabbed", "\rCarriage")
    if policy:
        ws.set_policy_text(POLICY)
    ws.fixture = keys
    return ws


_TEMPLATES: dict[tuple, tuple[Path, dict]] = {}


def copy_of(path: Path, *, suggested: bool = True, policy: bool = True) -> Workspace:
    """A private copy of the fixture workspace (built once per test session), after
    ``suggest`` when ``suggested``."""
    key = (suggested, policy)
    if key not in _TEMPLATES:
        from adviser_analytics.labels import suggest

        folder = Path(tempfile.mkdtemp(prefix="labels-fixture-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        ws = build(folder / "ws", policy=policy)
        if suggested:
            with ws.transaction():
                suggest(ws)
        _TEMPLATES[key] = (folder / "ws", ws.fixture)
        ws.close()
    template, keys = _TEMPLATES[key]
    shutil.copytree(template, path)
    ws = Workspace.open(path)
    ws.fixture = keys
    return ws


def labels_of(ws: Workspace, kind: str) -> dict:
    frame = ws.labels(kind)
    return {s: (v, src) for s, v, src in zip(frame["subject"], frame["value"], frame["source"],
                                             strict=True)}


def history_count(ws: Workspace) -> int:
    return ws.db.execute("SELECT COUNT(*) FROM label_history").fetchone()[0]


# ------------------------------------------------------------------------------------------
# the demo's sample workspace, for the report and notebook tests

_BUILT: dict[str, Path] = {}


def build_reports_workspace(tmp_path_factory, request) -> Path:
    """The demo's sample workspace, built once per test session (shared by
    ``test_reports.py`` and ``test_notebooks.py``): ``<base>/workspace/demo`` with
    ``<base>/notebooks/`` beside it."""
    if "workspace" not in _BUILT:
        from adviser_analytics.demo import run_demo, sample_exports

        samples = ROOT / "data_samples"
        if not samples.is_dir() or not sample_exports(samples):
            samples = request.getfixturevalue("sample_series")[0]
        base = tmp_path_factory.mktemp("reports-base")
        workspace = base / "workspace" / "demo"
        run_demo(workspace, out=None, samples=samples, say=lambda _text: None, reports=False)
        (base / "notebooks").mkdir()
        _BUILT["workspace"] = workspace
    return _BUILT["workspace"]


def story_scores(workspace: Path, series_folder: Path) -> dict:
    """``family -> label -> {"precision", "recall", "truth", ...}``: the label suggestions
    made on ``workspace`` (the sample story) compared with ``series_folder/truth.json``."""
    from adviser_analytics.devtools.evaluate_labels import compare
    from adviser_analytics.labels import suggest

    truth = json.loads((series_folder / "truth.json").read_text(encoding="utf-8"))
    with Workspace.open(workspace) as ws:
        with ws.transaction():
            suggest(ws)
        return compare(ws, truth)


def shortfalls(scores: dict, floors: dict[tuple[str, str], tuple[float, float]]) -> list:
    """``(family, label, score)`` for each label whose precision or recall is below its
    ``(precision, recall)`` floor (a precision of None, nothing suggested, falls short)."""
    short = []
    for (family, label), (precision, recall) in floors.items():
        score = scores[family][label]
        if (score["precision"] is None or score["precision"] < precision
                or score["recall"] < recall):
            short.append((family, label, score))
    return short
