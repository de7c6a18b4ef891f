"""Erasure that holds: the keyed register, redaction in what others wrote, secure deletion,
the refusal while another process holds the workspace, retention and subject access."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from adviser_analytics.cli import main
from adviser_analytics.ingest import ingest
from adviser_analytics.people import name_key
from adviser_analytics.store import DB_NAME, Workspace, erasure

SECRET = bytes(range(32))
ZOE = "https://www.linkedin.com/in/zoë-brontë-ngata-1b28c4c"


def _register(*people) -> erasure.Register:
    empty = erasure.Register(SECRET, frozenset())
    entries = [e for url, name in people for e in empty.entries_for(url, name)]
    return erasure.Register(SECRET, frozenset(entries))


def test_the_register_is_keyed_with_the_workspace_secret():
    register = _register((ZOE, "Zoë Brontë-Ngata"))
    other = erasure.Register(bytes(32), frozenset())
    # link, name and the name's parts (zoë, brontë-ngata, brontë, ngata): 6 entries
    assert len(register.digests) == 6
    assert erasure.key_digest(ZOE) not in register.digests  # never the unsalted hash
    assert other.mac("url", ZOE) not in register.digests  # another secret, other digests
    assert register.key_erased(ZOE) and register.key_erased("name:zoë brontë-ngata")
    assert not register.key_erased("https://www.linkedin.com/in/marisol-brontë-hale-9b6e9d9")
    names = pd.Series(["Zoë Brontë-Ngata", "ZOË  Brontë-Ngata Thanks", "Marisol Brontë-Hale", None])
    assert register.names_erased(names).tolist() == [True, True, False, False]


def test_old_unsalted_digests_are_still_honoured():
    register = erasure.Register(SECRET, frozenset({erasure.key_digest(ZOE)}))
    assert register.key_erased(ZOE)
    assert not register.key_erased("https://www.linkedin.com/in/someone-else")


def test_redaction_of_names_parts_and_links_in_what_others_wrote():
    register = _register((ZOE, "Zoë Brontë-Ngata"))
    redactor = erasure.Redactor(register, kept_names=["Marisol Brontë-Hale", "Ada Lovelace"])
    text = ("Could you introduce me to Zoë Brontë-Ngata? Zoë's team is great. "
            "Marisol Brontë-Hale sent https://linkedin.com/in/Zo%C3%AB-Bront%C3%AB-Ngata-1b28c4c/ "
            "and zoë was lower case. Ngata, Brontë.")
    assert redactor.text(text) == (
        "Could you introduce me to [someone you erased]? [someone you erased]'s team is great. "
        "Marisol Brontë-Hale sent [someone you erased] "
        "and zoë was lower case. [someone you erased], Brontë.")
    eoghan = _register(("https://www.linkedin.com/in/eoghan-dunmore-pike", "Eoghan N. Dunmore-Pike"))
    redactor_e = erasure.Redactor(eoghan, kept_names=["Eoghan Smith", "Ada Dunmore-Pike"])
    assert redactor_e.text("Ada Lovelace, Eoghan N. Dunmore-Pike, Eoghan Smith, N. Dunmore-Pike") \
        == "Ada Lovelace, [someone you erased], Eoghan Smith, N. Dunmore-Pike"
    # "Brontë" alone is borne by Marisol, who is kept: it stays; lower-case words are words
    frame = pd.Series(["Hello Ada", None, "Zoë Brontë-Ngata, Ada Lovelace"], dtype="string")
    out = redactor.series(frame)
    assert out.tolist()[0] == "Hello Ada" and out.isna().tolist()[1]
    assert out.tolist()[2] == "[someone you erased], Ada Lovelace"


def _mentioned_in_groups(workspace) -> tuple[str, str]:
    """A person who is a recipient of group messages others sent (and has a name)."""
    with Workspace.open(workspace) as ws:
        messages = ws.messages()
        people = ws.people().set_index("person_key")
    named = people[people["name"].notna() & people.index.str.startswith("https://")]
    for key in named.index:
        slug = key.rsplit("/", 1)[-1]
        others = messages[(messages["sender_key"] != key)
                          & messages["recipient_urls"].str.contains(slug, regex=False, na=False)
                          & (messages["counterpart_key"] != key)]
        if len(others):
            return key, named.loc[key, "name"]
    raise AssertionError("the sample has no group message naming another recipient")


def _occurrences(workspace, needles) -> int:
    with sqlite3.connect(workspace / DB_NAME) as db:
        found = 0
        for table, columns in {"people": ["person_key", "name", "profile_url"],
                               "messages": ["sender_key", "sender_name", "sender_url",
                                            "counterpart_key", "recipient_urls", "to_names",
                                            "content", "subject", "conversation_title"],
                               "invitations": ["person_key", "name", "profile_url", "message"],
                               "introductions": ["requester_key", "target_key", "target_name"],
                               "labels": ["subject"], "pseudonyms": ["person_key"]}.items():
            for column in columns:
                for needle in needles:
                    found += db.execute(f"SELECT COUNT(*) FROM {table} WHERE instr({column}, ?)",
                                        (needle,)).fetchone()[0]
        return found


@pytest.mark.slow
def test_reingest_does_not_bring_back_recipients_or_invitations(sample_workspace, sample_exports):
    key, name = _mentioned_in_groups(sample_workspace)
    slug = key.rsplit("/", 1)[-1]
    assert _occurrences(sample_workspace, [slug, name]) > 0
    assert main(["forget", "--workspace", str(sample_workspace), "--person", key]) == 0
    assert _occurrences(sample_workspace, [slug, name]) == 0
    with Workspace.open(sample_workspace) as ws:
        with ws.transaction():
            ws.db.execute("DELETE FROM snapshots")  # every export looks new again
        ingest(ws, sample_exports)
        assert ws.db.execute("SELECT COUNT(*) FROM messages WHERE instr(to_names, ?) "
                             "OR instr(recipient_urls, ?)", (erasure.REDACTED,) * 2).fetchone()[0] > 0
    assert _occurrences(sample_workspace, [slug, name]) == 0


def test_a_legacy_digest_is_honoured_and_replaced_by_the_keyed_form(sample_workspace,
                                                                      sample_exports):
    key, name = _mentioned_in_groups(sample_workspace)
    with Workspace.open(sample_workspace) as ws:
        erasure.forget_person(ws, key)
        with ws.transaction():  # as a workspace of the previous version left it
            ws.db.execute("DELETE FROM erasures")
            ws.db.execute("INSERT INTO erasures VALUES (?, '2026-01-01T00:00:00Z')",
                          (erasure.key_digest(key),))
            ws.db.execute("DELETE FROM snapshots")
        ingest(ws, sample_exports[-1:])
        register = erasure.load_register(ws)
        assert ws.db.execute("SELECT COUNT(*) FROM people WHERE person_key = ?",
                             (key,)).fetchone()[0] == 0
        assert erasure.key_digest(key) not in register.digests
        assert register.mac("url", key) in register.digests
        assert register.mac("name", name_key(name)) in register.digests


_HOLDER = textwrap.dedent("""
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1])
    db.execute("SELECT COUNT(*) FROM people").fetchone()
    print("ready", flush=True)
    sys.stdin.readline()
""")


def test_forget_refuses_while_another_process_holds_the_workspace(sample_workspace, capsys):
    key, _ = _mentioned_in_groups(sample_workspace)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(sample_workspace / DB_NAME)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        before = (sample_workspace / DB_NAME).read_bytes()
        assert main(["forget", "--workspace", str(sample_workspace), "--person", key]) == 1
        out = capsys.readouterr()
        assert "Removed everywhere" not in out.out
        assert f"process {holder.pid}" in out.err and "close it" in out.err.lower()
        assert "Nothing was changed" in out.err
        assert (sample_workspace / DB_NAME).read_bytes() == before
    finally:
        holder.communicate("\n", timeout=30)
    assert main(["forget", "--workspace", str(sample_workspace), "--person", key]) == 0
    assert "Removed everywhere" in capsys.readouterr().out


def test_forget_leaves_no_copy_in_any_file_even_without_secure_delete(sample_workspace,
                                                                     monkeypatch):
    key, name = _mentioned_in_groups(sample_workspace)
    slug = key.rsplit("/", 1)[-1]
    _secure_delete_off_by_default(monkeypatch)
    with Workspace.open(sample_workspace) as ws:
        assert ws.db.execute("PRAGMA secure_delete").fetchone()[0] == 0
        erasure.forget_person(ws, key)
        assert ws.db.execute("PRAGMA secure_delete").fetchone()[0] == 0  # set back after
        for path in sample_workspace.iterdir():
            if path.name != "pseudonym.key":
                data = path.read_bytes()
                assert slug.encode() not in data and name.encode() not in data, path.name


def _secure_delete_off_by_default(monkeypatch) -> None:
    """Connections as a default SQLite build makes them (Debian's forces secure deletion on)."""
    original = Workspace._connect.__func__

    def connect(cls, path):
        workspace = original(cls, path)
        workspace.db.execute("PRAGMA secure_delete = OFF")
        return workspace

    monkeypatch.setattr(Workspace, "_connect", classmethod(connect))


def test_content_before_covers_titles_and_invitation_notes(sample_workspace, capsys):
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        notes = db.execute("SELECT COUNT(*) FROM invitations WHERE message IS NOT NULL "
                           "AND sent_at < '2026-01-01'").fetchone()[0]
        titles = db.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation_title IS NOT NULL AND "
            "conversation_id NOT IN (SELECT conversation_id FROM messages "
            "WHERE sent_at >= '2026-01-01')").fetchone()[0]
    assert notes > 0 and titles > 0
    assert main(["forget", "--workspace", str(sample_workspace), "--content-before",
                 "2026-01-01", "--json"]) == 0
    removed = json.loads(capsys.readouterr().out)["removed"]
    assert removed["invitation_notes_dropped"] == notes
    assert removed["conversation_titles_dropped"] == titles
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM invitations WHERE message IS NOT NULL "
                          "AND sent_at < '2026-01-01'").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM invitations WHERE message IS NOT NULL "
                          "AND sent_at >= '2026-01-01'").fetchone()[0] > 0


def test_months_before():
    assert erasure._months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert erasure._months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)
    assert erasure._months_before(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)


def test_retention_months_is_kept_shown_and_applied_at_ingest(sample_workspace, sample_exports,
                                                              capsys):
    args = ["status", "--workspace", str(sample_workspace), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["retention"] == {"months": None,
                                                               "content_kept_from": None}
    with Workspace.open(sample_workspace) as ws:
        done = erasure.set_retention_months(ws, 6, today=dt.date(2026, 3, 31))
        assert done["content_kept_from"] == "2025-09-30"
        assert ws.db.execute("SELECT COUNT(*) FROM messages WHERE sent_at < '2025-09-30' "
                             "AND content IS NOT NULL").fetchone()[0] == 0
        assert ws.db.execute("SELECT COUNT(*) FROM messages WHERE sent_at >= '2025-09-30' "
                             "AND content IS NOT NULL").fetchone()[0] > 0
    assert main(args) == 0
    shown = json.loads(capsys.readouterr().out)["retention"]
    assert shown["months"] == 6  # measured from today, so at least as late as the above
    assert shown["content_kept_from"] >= "2025-09-30"
    assert main(["status", "--workspace", str(sample_workspace)]) == 0
    assert "the last 6 months" in capsys.readouterr().out
    with Workspace.open(sample_workspace) as ws:
        with ws.transaction():
            ws.db.execute("DELETE FROM snapshots")
        ingest(ws, sample_exports)  # text older than six months does not come back
        kept_from = erasure.retained_from(ws)
        assert ws.db.execute("SELECT COUNT(*) FROM messages WHERE sent_at < ? "
                             "AND content IS NOT NULL", (kept_from,)).fetchone()[0] == 0


def test_the_first_ingest_announces_the_retention_default(sample_exports, tmp_path, capsys):
    workspace = tmp_path / "fresh"
    assert main(["ingest", "--workspace", str(workspace), str(sample_exports[0])]) == 0
    assert "Message text kept: without a time limit" in capsys.readouterr().out
    assert main(["ingest", "--workspace", str(workspace), str(sample_exports[1])]) == 0
    assert "Message text kept" not in capsys.readouterr().out
    assert main(["forget", "--workspace", str(workspace), "--keep-content-months", "0"]) == 2


def test_export_person_writes_everything_held_on_them(sample_workspace, tmp_path, capsys):
    with Workspace.open(sample_workspace) as ws:
        messages = ws.messages(include_excluded=True)
        inbound = messages[(messages["direction"] == "inbound") & messages["sender_url"].notna()]
        key = inbound["sender_key"].value_counts().index[0]
        name = ws.people().set_index("person_key").loc[key, "name"]
        with ws.transaction():  # a message whose text a spreadsheet would run as a formula
            ws.db.execute("UPDATE messages SET content = '=HYPERLINK(\"http://x\")' WHERE "
                          "message_id = (SELECT MIN(message_id) FROM messages WHERE sender_key = ?)",
                          (key,))
    # hand-count: their messages, and every message of conversations with them alone
    alone = set(messages.loc[messages["counterpart_key"] == key, "conversation_id"]) - set(
        messages.loc[(messages["direction"] == "inbound") & (messages["sender_key"] != key),
                     "conversation_id"])
    expected = int(((messages["sender_key"] == key) | messages["conversation_id"].isin(alone)).sum())
    out = tmp_path / "sar"
    assert main(["export-person", "--workspace", str(sample_workspace), key, "--out", str(out),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["messages"] == expected and result["counts"]["person"] == 1
    data = json.loads((out / "person.json").read_text(encoding="utf-8"))
    assert data["person"][0]["name"] == name and len(data["messages"]) == expected
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    with open(out / "messages.csv", encoding="utf-8", newline="") as handle:
        contents = [row["content"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(\"http://x\")" in contents
    assert not any(c.startswith(("=", "+", "-", "@")) for c in contents if c)
    assert main(["export-person", "--workspace", str(sample_workspace),
                 "https://www.linkedin.com/in/nobody-here", "--out", str(out)]) == 1
    assert "holds nobody" in capsys.readouterr().err



# ---------------------------------------------------------------------------------------------
# The erasure test of issue 13: the most-asked-for contact of the sample, then a monthly routine.
def _needles(name: str, key: str, kept_names) -> list[str]:
    """The erased person as they could appear: full name, name parts of 4+ letters that are
    not common words and not borne by anyone kept, the link's slug; in the forms text takes in
    HTML, JSON and links."""
    import html
    import urllib.parse

    from adviser_analytics.privacy.leaks import STOPWORDS

    kept = set()
    for other in kept_names:
        kept |= erasure.name_parts(other)
    parts = {p for p in erasure.name_parts(name)
             if sum(c.isalpha() for c in p) >= 4 and p not in STOPWORDS and p not in kept}
    slug = key.rsplit("/", 1)[-1]
    forms = set()
    for text in {name, slug, *parts}:
        forms |= {text, html.escape(text), json.dumps(text)[1:-1], urllib.parse.quote(text),
                  text.encode("ascii", "xmlcharrefreplace").decode()}
    return sorted(forms)


def _found_in(path, needles) -> list[str]:
    data = path.read_bytes().lower()
    return [n for n in needles if n.lower().encode() in data]


@pytest.mark.slow
def test_erasure_holds_through_the_monthly_routine(tmp_path, monkeypatch, capsys):
    from adviser_analytics.demo import SAMPLES_DIR, sample_exports, sample_months

    _secure_delete_off_by_default(monkeypatch)
    workspace = tmp_path / "workspace"
    exports = [str(p) for p in sample_exports(SAMPLES_DIR)]
    w = ["--workspace", str(workspace)]
    assert main(["ingest", *w, *exports]) == 0
    assert main(["policy", "set", *w, str(SAMPLES_DIR / "policy.yaml")]) == 0
    assert main(["labels", "suggest", *w]) == 0
    with Workspace.open(workspace) as ws:
        introductions = ws.introductions()
        people = ws.people().set_index("person_key")
    asked = introductions["target_key"].value_counts()
    most = asked[asked == asked.max()].index
    # ties: the one whose own name parts the test can look for (none borne by anyone else)
    def own_parts(key):
        others = people.drop(index=key)["name"].dropna()
        kept = set().union(*(erasure.name_parts(n) for n in others))
        return len(erasure.name_parts(people.loc[key, "name"]) - kept)
    key = max(sorted(most), key=own_parts)
    name = people.loc[key, "name"]
    kept_names = people.drop(index=key)["name"].dropna().tolist()
    needles = _needles(name, key, kept_names)
    assert any(_found_in(workspace / DB_NAME, needles))
    capsys.readouterr()

    assert main(["forget", *w, "--person", key]) == 0
    outputs = [capsys.readouterr()]
    # the monthly routine: every export again (as downloaded, and as if each were new), the
    # labels, and both audiences' reports for every sample month
    assert main(["ingest", *w, *exports]) == 0
    with Workspace.open(workspace) as ws:
        with ws.transaction():
            ws.db.execute("DELETE FROM snapshots")
    assert main(["ingest", *w, *exports]) == 0
    assert main(["labels", "suggest", *w]) == 0
    dates = [re.search(r"(\d{2})-(\d{2})-(\d{4})", p).groups() for p in exports]
    first, last = sample_months([f"{y}-{m}-{d}" for m, d, y in dates])
    reports = tmp_path / "reports"
    for audience in ("self", "supervision"):
        assert main(["report", *w, "--from", first, "--to", last, "--every", "month",
                     "--audience", audience, "--out", str(reports), "--jobs", "2"]) == 0
    outputs.append(capsys.readouterr())

    written = [p for p in reports.rglob("*") if p.is_file()]
    assert len([p for p in written if p.suffix == ".html"]) >= 2 * 12
    with Workspace.open(workspace) as ws:
        assert ws.db.execute("SELECT COUNT(*) FROM introductions").fetchone()[0] > 0
        assert ws.db.execute("SELECT COUNT(*) FROM erasures").fetchone()[0] > 0
    leaks = {str(p): _found_in(p, needles) for p in written}
    leaks.update({str(p): _found_in(p, needles) for p in workspace.iterdir()
                  if p.is_file() and p.name != "pseudonym.key"})
    assert {p: found for p, found in leaks.items() if found} == {}
    for captured in outputs:
        text = (captured.out + captured.err).lower()
        assert not [n for n in needles if n.lower() in text]


def test_text_dropped_at_ingest_leaves_no_copy_in_any_file(sample_workspace, sample_exports,
                                                           monkeypatch):
    """The retention window moves on at an ingest: the text it drops is gone from the file's
    free space and the write-ahead log too, though SQLite's secure deletion is off by default
    (set ON only for that ingest, then back)."""
    _secure_delete_off_by_default(monkeypatch)
    with Workspace.open(sample_workspace) as ws:
        with ws.transaction():  # a retention set earlier (no text dropped yet) ...
            ws.set_meta(erasure.RETENTION_MONTHS_KEY, "6")
            ws.db.execute("DELETE FROM snapshots")  # ... and exports to read again
        kept_from = erasure.retained_from(ws)
        # a text only messages older than the window hold, quoted nowhere else
        needle = ws.db.execute(
            "SELECT old.content FROM messages AS old WHERE old.sent_at < ?1 "
            "AND length(old.content) >= 40 AND NOT EXISTS (SELECT 1 FROM messages AS new "
            "WHERE new.sent_at >= ?1 AND instr(new.content, old.content)) "
            "AND NOT EXISTS (SELECT 1 FROM labels WHERE instr(labels.reason, old.content)) "
            "ORDER BY old.sent_at LIMIT 1", (kept_from,)).fetchone()[0].encode()
    assert needle in (sample_workspace / DB_NAME).read_bytes()
    with Workspace.open(sample_workspace) as ws:
        ingest(ws, sample_exports)
        assert ws.db.execute("PRAGMA secure_delete").fetchone()[0] == 0  # set back after
        assert ws.db.execute("SELECT COUNT(*) FROM messages WHERE sent_at < ? "
                             "AND content IS NOT NULL", (kept_from,)).fetchone()[0] == 0
        for path in sample_workspace.iterdir():
            if path.is_file() and path.name != "pseudonym.key":
                assert needle not in path.read_bytes(), path.name


def test_forgetting_the_only_one_who_answered_in_a_group_keeps_the_group(sample_workspace):
    """A group conversation in which only the forgotten person wrote back is not theirs
    alone: the adviser's messages to the others stay (with the person redacted), their own
    messages go."""
    with Workspace.open(sample_workspace) as ws:
        found = ws.db.execute(
            "SELECT c.conversation_id, MIN(m.sender_key) FROM conversations c "
            "JOIN messages m ON m.conversation_id = c.conversation_id "
            "WHERE c.participants >= 3 AND m.direction = 'inbound' "
            "GROUP BY c.conversation_id HAVING COUNT(DISTINCT m.sender_key) = 1 "
            "LIMIT 1").fetchone()
        assert found, "the sample has a group where one member alone wrote back"
        conversation, key = found
        theirs, others = (ws.db.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND sender_key " + op
            + " ?", (conversation, key)).fetchone()[0] for op in ("=", "!="))
        assert theirs and others
        erasure.forget_person(ws, key)
        left = ws.db.execute("SELECT sender_key FROM messages WHERE conversation_id = ?",
                             (conversation,)).fetchall()
    assert len(left) == others and key not in {k for (k,) in left}
