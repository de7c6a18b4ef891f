"""The realistic account generator: its files hold what its truth says.

The checks read the written bytes with the csv module (not the generator's own objects) and
rebuild the inbound runs by the domain's rule, then compare with ``realistic_truth.json``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from adviser_analytics import samples
from adviser_analytics.samples_realistic import (
    ONE_WORD_EMPLOYERS,
    ORDINARY_WORD_NAMES,
    realistic_account,
)

LINKS = (samples.BOOKING_URL, samples.MENTORING_URL, samples.EVENTS_URL, samples.RESOURCE_URL)


def _read(zip_path: str, name: str) -> list[dict]:
    with zipfile.ZipFile(zip_path) as zf:
        text = zf.read(name).decode("utf-8")
    if text.startswith("Notes:"):
        text = text.split("\n\n", 1)[1]
    return list(csv.DictReader(io.StringIO(text)))


def _iso(cell: str) -> str:  # "2026-05-17 05:09:41 UTC" -> "2026-05-17T05:09:41Z"
    return cell.replace(" UTC", "Z").replace(" ", "T")


def _person_rows(rows: list[dict], owner: str) -> list[dict]:
    """Person-to-person rows: not spam folder, sponsored, LinkedIn Member or draft."""
    return [r for r in rows if r["FOLDER"] in ("INBOX", "ARCHIVE", "SENT")
            and r["CONVERSATION TITLE"] != "Sponsored Conversation"
            and r["FROM"] != "LinkedIn Member" and r.get("IS MESSAGE DRAFT") != "Yes"]


def _runs_from_file(rows: list[dict], owner: str) -> list[dict]:
    """Inbound runs by the domain's rule; same-second rows keep the file's order (newest first)."""
    by_conv: dict[str, list[tuple]] = {}
    for pos, r in enumerate(rows):
        by_conv.setdefault(r["CONVERSATION ID"], []).append((_iso(r["DATE"]), -pos, r))
    runs = []
    for cid, items in by_conv.items():
        items.sort(key=lambda x: (x[0], x[1]))
        others = {u.strip() for _, _, r in items for u in re.split("[,;]", r["RECIPIENT PROFILE URLS"])
                  if u.strip()} | {r["SENDER PROFILE URL"] for _, _, r in items}
        others = {u.rstrip("/").lower().replace("http://", "https://") for u in others}
        others.discard(samples.PROFILE_PREFIX + samples.OWNER_SLUG)
        start, n = None, 0
        for when, _, r in items:
            if r["FROM"] != owner:
                start, n = (start or when), n + 1
            elif start:
                runs.append({"conversation_id": cid, "start": start, "answered_at": when,
                             "messages": n, "one_to_one": len(others) == 1})
                start, n = None, 0
        if start:
            runs.append({"conversation_id": cid, "start": start, "answered_at": None,
                         "messages": n, "one_to_one": len(others) == 1})
    return runs


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realistic-small")
    truth = realistic_account(folder, contacts=400, seed=11, months=12)
    return folder, truth


def test_sizes_as_asked(small):
    folder, truth = small
    conns = _read(truth.exports[-1], "Connections.csv")
    people = [r for r in conns if r["First Name"] or r["Last Name"]]
    assert len(people) == 400 == truth.connections
    rows = _read(truth.exports[-1], "messages.csv")
    p2p = _person_rows(rows, samples.OWNER_NAME)
    assert len(p2p) == truth.messages
    assert 0.85 * 4000 <= len(p2p) <= 1.15 * 4000
    dates = sorted(_iso(r["DATE"]) for r in rows)
    assert dates[0] >= "2025-06-01" and dates[-1] < "2026-06-01"
    saved = json.loads((folder / "realistic_truth.json").read_text(encoding="utf-8"))
    assert saved["counts"] == truth.counts and len(saved["runs"]) == len(truth.runs)


def test_runs_in_the_file_are_the_truths_runs(small):
    _, truth = small
    rows = _person_rows(_read(truth.exports[-1], "messages.csv"), samples.OWNER_NAME)
    found = {(r["conversation_id"], r["start"]): r for r in _runs_from_file(rows, samples.OWNER_NAME)}
    told = {(r["conversation_id"], r["start"]): r for r in truth.runs}
    assert found.keys() == told.keys()
    for key, run in told.items():
        assert found[key]["answered_at"] == run["answered_at"], key
        assert found[key]["messages"] == run["messages"], key
        assert found[key]["one_to_one"] == run["one_to_one"], key
    # a request is a one-to-one run that is not an acknowledgement
    assert truth.counts["requests"] == sum(r["one_to_one"] and not r["acknowledgement"]
                                           for r in truth.runs)


def test_every_messy_kind_is_there(small):
    _, truth = small
    kinds = Counter(r["kind"] for r in truth.runs)
    for kind in ("request", "acknowledgement", "chitchat", "congratulations", "birthday",
                 "recruiter", "dead", "group", "introduction"):
        assert kinds[kind] >= 3, (kind, kinds)
    langs = Counter(r["lang"] for r in truth.runs)
    assert min(langs["fr"], langs["de"], langs["es"]) >= 2, langs
    assert truth.counts["same_second"] >= 2
    with_link = [r for r in truth.referrals if r["with_link"]]
    assert with_link and len(with_link) < len(truth.referrals)
    assert any(i["target_url"] is None and i["target_company"] == "Northwind" for i in truth.introductions)
    assert any(i["target_url"] for i in truth.introductions)
    assert {t["word"] for t in truth.traps} >= {"event", "reception", "guide", "resources",
                                                "in the event of"}
    assert any(t["outbound"] for t in truth.traps) and any(not t["outbound"] for t in truth.traps)


def test_message_texts_match_their_kinds(small):
    _, truth = small
    rows = _person_rows(_read(truth.exports[-1], "messages.csv"), samples.OWNER_NAME)
    text = {(r["CONVERSATION ID"], _iso(r["DATE"]), r["FROM"] == samples.OWNER_NAME): r["CONTENT"]
            for r in rows}
    for ref in truth.referrals:
        body = text[(ref["conversation_id"], ref["sent_at"], True)]
        assert any(link in body for link in LINKS) == ref["with_link"], body
    for trap in truth.traps:
        body = text[(trap["conversation_id"], trap["sent_at"], trap["outbound"])]
        assert trap["word"].split()[-1] in body.lower()
        assert not any(link in body for link in LINKS)
    for intro in truth.introductions:
        body = text[(intro["conversation_id"], intro["requested_at"], False)]
        if intro["target_name"]:
            assert intro["target_name"] in body
        else:
            assert "someone at Northwind" in body
    # acknowledgement runs are short and ask nothing
    starts = {(r["conversation_id"], r["start"]) for r in truth.runs if r["acknowledgement"]}
    acks = [text[(c, s, False)] for c, s in starts]
    assert acks and all("?" not in a and len(a) <= 60 for a in acks)
    assert any(not re.search(r"[A-Za-z]", a) for a in acks)  # emoji-only


def test_group_and_dead_threads(small):
    _, truth = small
    rows = _person_rows(_read(truth.exports[-1], "messages.csv"), samples.OWNER_NAME)
    sizes = Counter(r["CONVERSATION ID"] for r in rows)
    group_convs = {r["conversation_id"] for r in truth.runs if r["kind"] == "group"}
    assert max(sizes[c] for c in group_convs) >= 15
    long_groups = [c for c in group_convs if sizes[c] >= 15]
    members = {c: {r["FROM"] for r in rows if r["CONVERSATION ID"] == c} - {samples.OWNER_NAME}
               for c in long_groups}
    assert any(len(m) >= 3 for m in members.values())
    assert all(not r["one_to_one"] and not r["request"] for r in truth.runs if r["kind"] == "group")
    dead = [r for r in truth.runs if r["kind"] == "dead"]
    assert all(r["answered_at"] is None and r["start"] < "2026-02-01" for r in dead)


def test_names_include_ordinary_and_report_words(small):
    _, truth = small
    conns = _read(truth.exports[-1], "Connections.csv")
    words = {w for r in conns for w in (r["First Name"] + " " + r["Last Name"]).split()}
    assert set(ORDINARY_WORD_NAMES) <= words
    assert any(r["First Name"].strip() == "Floor" and r["Last Name"] == "Lang" for r in conns)
    companies = {r["Company"].strip() for r in conns}
    assert set(ONE_WORD_EMPLOYERS) <= companies
    assert sum(p["ordinary_word"] for p in truth.people.values()) >= 0.08 * len(conns)


def test_invitations_personalised_or_not(small):
    _, truth = small
    rows = _read(truth.exports[-1], "Invitations.csv")
    assert len(rows) == len(truth.invitations)
    notes = sum(1 for r in rows if r["Message"])
    assert notes == sum(i["personalised"] for i in truth.invitations) > 0
    connected = {p for p, v in truth.people.items() if v["connected"]}
    for inv in truth.invitations:
        assert (inv["decision"] == "accept") == (inv["profile_url"] in connected)


def test_same_arguments_same_bytes(tmp_path):
    a = realistic_account(tmp_path / "a", contacts=60, seed=4, months=3)
    b = realistic_account(tmp_path / "b", contacts=60, seed=4, months=3)
    assert Path(a.exports[0]).read_bytes() == Path(b.exports[0]).read_bytes()
    c = realistic_account(tmp_path / "c", contacts=60, seed=5, months=3)
    assert Path(a.exports[0]).read_bytes() != Path(c.exports[0]).read_bytes()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        realistic_account(tmp_path, contacts=10)
    with pytest.raises(ValueError):
        realistic_account(tmp_path, contacts=100, months=2, exports=3)


@pytest.mark.slow
def test_three_thousand_contacts_in_seconds_and_through_ingest(tmp_path):
    from adviser_analytics.export import read_export
    from adviser_analytics.ingest import ingest
    from adviser_analytics.store import Workspace

    began = time.perf_counter()
    truth = realistic_account(tmp_path / "exports", contacts=3000, seed=3, months=12, exports=2)
    seconds = time.perf_counter() - began
    assert seconds < 20, seconds  # about 2-3 s on one core of the project machine
    assert truth.connections == 3000 and 25_000 <= truth.messages <= 35_000
    contents = read_export(truth.exports[-1])
    assert len(contents.connections) == 3000 + truth.excluded["blank_person"]
    with Workspace.create(tmp_path / "ws") as ws:
        result = ingest(ws, truth.exports)
        messages = ws.messages(content=False)
    assert result.totals["connections"] == 3000
    assert result.totals["messages"] == truth.messages
    assert result.skipped["spam_folder"] >= 1 and result.skipped["sponsored"] >= 1
    p2p = messages[messages["exclusion"].isna()]
    assert (p2p["direction"] == "inbound").sum() == sum(r["messages"] for r in truth.runs)
    assert (p2p["direction"] == "outbound").sum() == truth.counts["owner_messages"]


def test_command_line(tmp_path, capsys):
    from adviser_analytics.samples_realistic import main

    assert main(["--out", str(tmp_path), "--contacts", "80", "--months", "4", "--seed", "2"]) == 0
    said = capsys.readouterr().out
    truth = json.loads((tmp_path / "realistic_truth.json").read_text(encoding="utf-8"))
    assert f"{truth['connections']} connections" in said and truth["connections"] == 80
    assert len(list(tmp_path.glob("Complete_LinkedInDataExport_*.zip"))) == 1
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--contacts", "5"])
