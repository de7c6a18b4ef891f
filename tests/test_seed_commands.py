"""advice, handover, contacts export, message search and browse on the sample workspace
(built once per session from data_samples/: ingest, the sample policy with a service block,
labels suggest)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from adviser_analytics import advice, browse, contacts, handover, labels
from adviser_analytics.cli import browse as browse_command
from adviser_analytics.cli import main
from adviser_analytics.demo import sample_exports
from adviser_analytics.ingest import ingest
from adviser_analytics.metrics import values
from adviser_analytics.metrics.drift import relationships
from adviser_analytics.metrics.episodes import requests as episodes
from adviser_analytics.store import DB_NAME, Workspace
from adviser_analytics.store.erasure import forget_content_before
from adviser_analytics.store.search import SEARCH_TABLE, search_messages

ROOT = Path(__file__).resolve().parent.parent
DATA_SAMPLES = ROOT / "data_samples"
SERVICE = """\
service:
  name: Northbridge Careers
  reception: Careers Hub, Library ground floor
  links:
    appointment: https://careers.northbridge.example/book
    mentor: https://careers.northbridge.example/mentors
"""


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seed") / "workspace"
    policy = SERVICE + (DATA_SAMPLES / "policy.yaml").read_text(encoding="utf-8")
    with Workspace.create(folder) as ws:
        ingest(ws, sample_exports(DATA_SAMPLES))
        ws.set_policy_text(policy)
        labels.suggest(ws)
    return folder


@pytest.fixture
def seed(seed_template, tmp_path) -> Path:
    folder = tmp_path / "workspace"
    shutil.copytree(seed_template, folder)
    return folder


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- advice
def test_advice_context_from_each_version(seed_template):
    with Workspace.open(seed_template) as ws:
        parts = advice.read_policy(ws.policy_text())
    cautious, genuine = parts.policy.versions
    before = advice.advice_context(cautious, parts.service)
    assert "students and graduates I advise" not in before["connect_with"]
    assert before["redirect"] == ["students and graduates I advise"]
    assert before["introductions"] == "not_made"
    assert before["reply_within_days"] == 7 and before["replies_per_week"] == 15  # 90 / 6
    after = advice.advice_context(genuine, parts.service)
    assert after["connect_with"][0] == "students and graduates I advise"
    assert after["redirect"] == [] and after["introductions"] == "case_by_case"
    assert after["replies_per_week"] == 30  # 150 / 5
    assert after["service"]["links"] == [
        ("book an appointment", "https://careers.northbridge.example/book"),
        ("find an alumni mentor", "https://careers.northbridge.example/mentors")]


def test_advice_shows_old_and_new_after_a_change(seed, capsys):
    code, out, err = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2026-02-01")
    assert code == 0, err
    assert "Before: cautious-avoidance" in out and "Now: genuine-connection" in out
    left = " ".join(line.split(" | ")[0] for line in out.splitlines() if " | " in line)
    right = " ".join(line.split(" | ")[1] for line in out.splitlines() if " | " in line)
    assert "I don't connect with students and graduates I advise" in " ".join(left.split())
    assert "within 7 days" in left and "within 5 days" in " ".join(right.split())
    assert "https://careers.northbridge.example/book" in right


def test_advice_long_after_a_change_is_the_current_text_only(seed, capsys):
    code, out, _ = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2026-06-01",
                           "--json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == "genuine-connection" and data["previous"] is None
    assert "I'm not too busy" in data["text"] and "roughly 30 replies" in data["text"]
    assert "Introductions are welcome" not in data["text"]  # the policy also explains/redirects
    code, out, _ = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2026-06-01",
                           "--compare", "--json")
    assert json.loads(out)["previous"]["version"] == "cautious-avoidance"


def test_advice_files_by_extension(seed, tmp_path, capsys):
    html_file, md_file = tmp_path / "advice.html", tmp_path / "advice.md"
    assert run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2026-02-01",
                   "--out", str(html_file))[0] == 0
    page = html_file.read_text(encoding="utf-8")
    assert '<a href="https://careers.northbridge.example/book">' in page
    assert page.count("<section>") == 2
    assert stat.S_IMODE(html_file.stat().st_mode) == 0o600
    assert run_cli(capsys, "advice", "--workspace", str(seed), "--out", str(md_file))[0] == 0
    assert md_file.read_text(encoding="utf-8").startswith("## Advice for contacting\n")


def test_advice_html_escapes_text():
    item = advice.Advice("v<1>", pd.Timestamp("2026-01-01").date(),
                         "Hello <script>alert(1)</script> & see https://x.example/?a=1&b=2")
    page = advice.as_html(item)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<a href="https://x.example/?a=1&amp;b=2">' in page


def test_workspace_template_overrides_and_broken_one_is_named(seed, capsys):
    own = seed / "templates" / advice.TEMPLATE_NAME
    own.parent.mkdir()
    own.write_text("My own words: reply within {{ reply_within_days | days }}.", encoding="utf-8")
    code, out, _ = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2026-06-01")
    assert code == 0 and out.strip() == "My own words: reply within 5 days."
    own.write_text("Line one\n{% if %}", encoding="utf-8")
    code, out, err = run_cli(capsys, "advice", "--workspace", str(seed))
    assert code == 1 and advice.TEMPLATE_NAME in err and "line 2" in err
    assert "Traceback" not in err


def test_advice_without_policy_or_before_it(tmp_path, seed, capsys):
    empty = tmp_path / "empty"
    Workspace.create(empty).close()
    code, _, err = run_cli(capsys, "advice", "--workspace", str(empty))
    assert code == 1 and "policy set" in err
    code, _, err = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "2020-01-01")
    assert code == 1 and "--on 2024-11-01" in err
    code, _, err = run_cli(capsys, "advice", "--workspace", str(seed), "--on", "1st May")
    assert code == 2


# ---------------------------------------------------------------------- handover
def _names(ws, relationship: str) -> set[str]:
    people = ws.people()
    rel = people["person_key"].map(relationships(ws.labels("relationship")))
    return set(people.loc[rel == relationship, "name"].dropna())


def test_handover_names_no_client_by_default(seed, tmp_path, capsys):
    out = tmp_path / "pack"
    code, text, err = run_cli(capsys, "handover", "--workspace", str(seed), "--out", str(out))
    assert code == 0, err
    page = (out / "handover.html").read_text(encoding="utf-8")
    table = (out / "handover.csv").read_text(encoding="utf-8")
    with Workspace.open(seed) as ws:
        clients = _names(ws, "client")
        colleagues = _names(ws, "colleague")
    assert len(clients) > 10
    for name in clients - colleagues:
        assert name not in table and name not in page, name
    rows = pd.read_csv(out / "handover.csv", keep_default_na=False)
    assert set(rows["relationship"]) == {"colleague", "professional"}
    assert list(rows.columns) == handover.CSV_COLUMNS and (rows["notes"] == "").all()
    for path in (out / "handover.csv", out / "handover.html"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "contacts export" in page and "No shared accounts" in page
    assert "Clients are not listed" in page


def test_handover_figures_match_the_workspace(seed_template):
    with Workspace.open(seed_template) as ws:
        intro = ws.introductions()
        msgs = ws.messages(content=False)
        rows = handover.handover_rows(ws.people(), ws.labels("relationship"), msgs, intro,
                                      include_clients=True)
        people = ws.people().set_index("name")
    assert "client" in set(rows["relationship"])
    asked = rows.set_index("name")["introductions_asked"]
    busiest = asked.idxmax()
    key = people.loc[busiest, "person_key"]
    assert asked[busiest] == int((intro["target_key"] == key).sum()) > 0
    last = msgs.loc[msgs["counterpart_key"] == key, "sent_at"].max()
    expected = "" if pd.isna(last) else last.strftime("%Y-%m-%d")
    assert (rows.set_index("name").loc[busiest, "last_interaction"] or "") == expected
    # colleagues first, then professional contacts, then clients
    order = rows["relationship"].map(handover.ORDER)
    assert order.is_monotonic_increasing


def test_handover_csv_and_html_are_safe():
    rows = pd.DataFrame([{"name": "=HYPERLINK(\"x\")", "relationship": "colleague",
                          "company": "<b>Co</b>", "position": "@lead", "profile_url": "javascript:x",
                          "last_interaction": None, "introductions_asked": 0,
                          "introductions_made": 0, "notes": ""}])
    table = handover.handover_csv(rows)
    assert "'=HYPERLINK" in table and "'@lead" in table
    page = handover.handover_html(rows, None, "Owner <x>", False)
    assert "<b>Co</b>" not in page and "&lt;b&gt;Co&lt;/b&gt;" in page
    assert 'href="javascript' not in page and "Owner &lt;x&gt;" in page


# ---------------------------------------------------------------------- contacts
def test_vcard_parsed_back_matches_the_workspace(seed, tmp_path, capsys):
    import vobject

    out = tmp_path / "contacts.vcf"
    code, text, err = run_cli(capsys, "contacts", "export", "--workspace", str(seed), str(out))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    with Workspace.open(seed) as ws:
        connections = ws.connections().set_index("profile_url")
        rel = relationships(ws.labels("relationship"))
    assert len(cards) == len(connections) > 100
    emails = 0
    for card in cards:
        url = card.url.value
        row = connections.loc[url]
        assert card.fn.value == row["name"]
        assert card.n.value.given + " " + card.n.value.family == row["name"]
        assert card.org.value == [row["company"]] if pd.notna(row["company"]) else True
        assert card.title.value == row["position"] if pd.notna(row["position"]) else True
        assert card.contents["x-linkedin-connected-on"][0].value == \
            row["connected_on"].date().isoformat()
        if pd.notna(row["email"]):
            emails += 1
            assert card.email.value == row["email"]
        else:
            assert "email" not in card.contents
        relationship = rel.get(row["person_key"])
        if relationship:
            assert card.categories.value == [contacts.RELATIONSHIP_WORDS[relationship]]
        else:
            assert "categories" not in card.contents
    assert emails == int(connections["email"].notna().sum())


def test_contacts_csv_uses_google_columns_and_is_formula_safe(seed, tmp_path, capsys):
    out = tmp_path / "contacts.csv"
    assert run_cli(capsys, "contacts", "export", "--workspace", str(seed), str(out))[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    with Workspace.open(seed) as ws:
        connected = len(ws.connections())
    assert list(rows[0].keys()) == contacts.GOOGLE_COLUMNS and len(rows) == connected > 100
    for row in rows:
        assert not row["First Name"].startswith(("=", "+", "-", "@"))
        assert row["Labels"].startswith("LinkedIn")
    assert any(r["First Name"] == "'=HYPERLINK" for r in rows)  # the sample's hostile name
    code, _, err = run_cli(capsys, "contacts", "export", "--workspace", str(seed),
                           str(tmp_path / "contacts.txt"))
    assert code == 2 and ".vcf" in err


# ---------------------------------------------------------------------- search
def _reference_hits(ws, word: str) -> set[int]:
    m = ws.messages()
    text = (m["subject"].fillna("") + " " + m["content"].fillna("") + " "
            + m["sender_name"].fillna(""))
    hit = text.str.contains(rf"\b{word}\b", case=False, regex=True)
    return set(m.loc[hit, "message_id"].astype(int))


def test_search_finds_every_message_with_the_word(seed):
    with Workspace.open(seed) as ws:
        found = search_messages(ws, "introduce", limit=None)
        expected = _reference_hits(ws, "introduce")
        assert len(expected) > 10
        assert set(found["message_id"]) == expected
        assert found["snippet"].str.contains(r"\[introduce\]", case=False).all()
        both = search_messages(ws, "introduce Could", limit=None)
        assert set(both["message_id"]) <= expected and len(both) > 0
        # characters that mean something to FTS5 are taken as plain words
        assert isinstance(search_messages(ws, 'AND OR NEAR( "unclosed -x'), pd.DataFrame)


def test_forget_clears_the_search_index(seed):
    with Workspace.open(seed) as ws:
        assert len(search_messages(ws, "introduce")) > 0
        forget_content_before(ws, "2100-01-01")
        raw = ws.db.execute(f"SELECT COUNT(*) FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} "
                            "MATCH 'introduce'").fetchone()[0]
        assert raw == 0
        assert len(search_messages(ws, "introduce")) == 0


def test_forget_person_leaves_no_word_of_theirs_searchable(seed):
    from adviser_analytics.store.erasure import forget_person

    with Workspace.open(seed) as ws:
        found = search_messages(ws, "introduce", limit=None)
        inbound = ws.messages().set_index("message_id").loc[found["message_id"]]
        key = inbound.loc[inbound["direction"] == "inbound", "sender_key"].iloc[0]
        surname = ws.people().set_index("person_key").loc[key, "name"].split()[-1]
        before = len(search_messages(ws, surname, limit=None))
        assert before > 0
        forget_person(ws, key)
        raw = ws.db.execute(f"SELECT COUNT(*) FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?",
                            (f'"{surname}"',)).fetchone()[0]
        left = ws.messages(include_excluded=True)  # the index covers every message row
        text = (left["subject"].fillna("") + " " + left["content"].fillna("") + " "
                + left["sender_name"].fillna(""))
        assert raw == int(text.str.contains(rf"\b{surname}\b", case=False).sum()) < before


def test_explore_notebook_ends_with_the_search_cell():
    nb = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    source = "".join(nb["cells"][-1]["source"])
    assert ".search(" in source


# ---------------------------------------------------------------------- browse
def _canned(db_file: Path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
        return pd.read_sql_query(sql, db)


def test_who_is_waiting_query_matches_the_episodes(seed_template):
    with Workspace.open(seed_template) as ws:
        msgs = ws.messages(content=False)
        handling = ws.labels("handling")
        data_to = ws.snapshots()["export_date"].max()
    eps = episodes(msgs)
    inbound = msgs[msgs["direction"] == "inbound"]
    senders = inbound.groupby("conversation_id")["sender_key"].nunique()
    one_to_one = set(senders[senders == 1].index)
    quiet = set(handling.loc[handling["value"] == "no_reply_needed", "subject"])
    expected = eps[eps["replied_at"].isna() & eps["conversation_id"].isin(one_to_one)
                   & (eps["started_at"] >= data_to - pd.Timedelta(days=30))
                   & ~eps["request_key"].isin(quiet)]
    got = _canned(seed_template / DB_NAME, browse.waiting_sql(30))
    assert len(expected) > 0
    assert sorted(zip(got["conversation_id"], got["started_at"], strict=True)) == sorted(
        zip(expected["conversation_id"],
            expected["started_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"), strict=True))
    assert (got["days_waiting"] <= 30).all() and got["started_at"].is_monotonic_increasing


def test_introduction_queries_match_the_measures(seed_template):
    with Workspace.open(seed_template) as ws:
        spread = values.introductions_spread(ws.introductions(), ws.people())
    by_contact = _canned(seed_template / DB_NAME, browse.INTRODUCTIONS_BY_CONTACT_SQL)
    assert by_contact["asked"].sum() == spread["asked"] == len(_truth()["introductions"])
    expected = {(c["target_name"], c["asked"], c["brokered"]) for c in spread["per_contact"]}
    assert set(zip(by_contact["contact"], by_contact["asked"], by_contact["made"],
                   strict=True)) == expected
    by_employer = _canned(seed_template / DB_NAME, browse.INTRODUCTIONS_BY_EMPLOYER_SQL)
    top = by_employer.iloc[0]
    assert top["employer"] == spread["top_employer"]
    assert top["percent_of_all"] == round(100 * spread["top_employer_share"], 1)


def test_browse_builds_a_read_only_datasette_command(seed, monkeypatch, capsys):
    seen = {}

    def fake_run(command):
        seen["command"] = command
        meta = command[command.index("--metadata") + 1]
        seen["metadata"] = json.loads(Path(meta).read_text(encoding="utf-8"))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(browse_command, "datasette_installed", lambda: True)
    monkeypatch.setattr(browse_command, "start", fake_run)
    code, out, err = run_cli(capsys, "browse", "--workspace", str(seed), "--no-browser",
                             "--port", "8123")
    assert code == 0, err
    command = seen["command"]
    assert command[1:4] == ["-m", "datasette", "serve"]
    assert command[4] == str(seed / DB_NAME)
    assert "--immutable" not in command and "-i" not in command and "--open" not in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8123"
    queries = seen["metadata"]["databases"]["adviser"]["queries"]
    assert set(queries) == {"who_is_waiting", "introductions_by_contact",
                            "introductions_by_employer"}
    assert "-30 days" in queries["who_is_waiting"]["sql"]
    # the search index was built before Datasette opens the file read-only
    with sqlite3.connect(seed / DB_NAME) as db:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (SEARCH_TABLE,)).fetchone()


def test_browse_without_datasette_says_how_to_install(seed, monkeypatch, capsys):
    monkeypatch.setattr(browse_command, "datasette_installed", lambda: False)
    code, _, err = run_cli(capsys, "browse", "--workspace", str(seed))
    assert code == 1
    assert "pip install 'adviser-analytics[browse]'" in err and "Traceback" not in err


@pytest.mark.slow
def test_browse_really_serves_the_canned_queries(seed):
    pytest.importorskip("datasette")
    port = browse.free_port()
    with Workspace.open(seed) as ws:
        from adviser_analytics.store.search import refresh_search_index

        refresh_search_index(ws)
    meta = seed.parent / "metadata.json"
    meta.write_text(json.dumps(browse.metadata(30)), encoding="utf-8")
    before = (seed / DB_NAME).read_bytes()
    process = subprocess.Popen(browse.datasette_command(seed / DB_NAME, meta, port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/adviser/introductions_by_contact.json?_shape=array"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    rows = json.load(response)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("Datasette did not start: " + process.stderr.read1().decode())
        assert sum(r["asked"] for r in rows) == len(_truth()["introductions"])
        search = (f"http://127.0.0.1:{port}/adviser/messages.json?_search=introduce"
                  "&_shape=array&_size=max")
        with urllib.request.urlopen(search, timeout=5) as response:
            assert len(json.load(response)) > 10
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (seed / DB_NAME).read_bytes() == before  # nothing written while browsing


def _truth() -> dict:
    """What the sample generator wrote (data_samples/truth.json): the story's own numbers."""
    return json.loads((Path(__file__).resolve().parent.parent / "data_samples" / "truth.json")
                      .read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- the sample story
def test_the_sample_story_in_the_value_measures(seed_template):
    """The sample adviser changed policy on 2026-01-05 (genuine connection): introductions
    are asked for after it, and one games employer draws most of them (impartiality)."""
    with Workspace.open(seed_template) as ws:
        intro, people = ws.introductions(), ws.people()
    before = values.introductions_spread(intro, people, None, "2026-01-04")
    after = values.introductions_spread(intro, people, "2026-01-05", None)
    assert before["asked"] < after["asked"]
    assert after["concentrated"] is True
    story = _truth()["story"]
    top = story["concentrated_employer"]
    share = story["introductions_per_employer"][top] / sum(story["introductions_per_employer"].values())
    assert after["top_employer"] == top
    assert after["top_employer_share"] == pytest.approx(share)
    low, high = after["top_employer_share_ci95"]
    assert low < share < high


def test_vcard_is_the_bytes_vobject_writes_for_hostile_text():
    """to_vcard writes the cards column by column; vobject, card by card, is the reference:
    escaping of , ; \\ and line breaks, folding at 75 octets without cutting a character."""
    import datetime as dt

    from adviser_analytics.contacts import to_vcard, vcard_vobject

    hostile = ["Zoë Ångström-Łukasiewicz", "a,b;c\\d", "line\nbreak\r\nand\rcr", "",
               "日本語の名前" * 8, "x" * 74, "é" * 74, "y" * 75, "=CMD()", "O'Brien, Jr.; PhD"]
    n = len(hostile)
    rows = pd.DataFrame({
        "person_key": [f"k{i}" for i in range(n)], "name": hostile[::-1],
        "first_name": hostile, "last_name": hostile[::-1], "email": hostile[3:] + hostile[:3],
        "company": hostile[5:] + hostile[:5], "position": hostile[2:] + hostile[:2],
        "profile_url": ["https://www.linkedin.com/in/a,b;c"] + hostile[1:],
        "connected_on": [dt.date(2020, 1, i + 1) if i % 3 else None for i in range(n)],
        "relationship": [["client", "colleague", None, "professional", "odd,value"][i % 5]
                         for i in range(n)],
    })
    written = to_vcard(rows)
    assert written == vcard_vobject(rows)
    assert written.count("BEGIN:VCARD") == n and "\r\n " in written  # some lines folded
