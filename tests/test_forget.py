"""Erasure and retention: forget a person everywhere; drop old message text, keep the metrics."""

from __future__ import annotations

import json
import sqlite3

import pytest

from adviser_analytics.cli import main
from adviser_analytics.ingest import ingest
from adviser_analytics.store import DB_NAME, Workspace


def _busiest_correspondent(workspace) -> tuple[str, str]:
    with Workspace.open(workspace) as ws:
        messages = ws.messages()
        people = ws.people().set_index("person_key")
    inbound = messages[(messages["direction"] == "inbound") & messages["sender_url"].notna()]
    key = inbound["sender_key"].value_counts().index[0]
    return key, people.loc[key, "name"]


@pytest.mark.slow
def test_forget_person_removes_them_everywhere_and_for_good(sample_workspace, sample_exports, capsys):
    key, name = _busiest_correspondent(sample_workspace)
    assert main(["forget", "--workspace", str(sample_workspace), "--person", key, "--json"]) == 0
    removed = json.loads(capsys.readouterr().out)["removed"]
    assert removed["messages"] > 0 and removed["people"] == 1

    def leftovers() -> int:
        with sqlite3.connect(sample_workspace / DB_NAME) as db:
            slug = key.rsplit("/", 1)[-1]
            found = 0
            for table, columns in {
                "people": ["person_key", "name", "profile_url"],
                "connections": ["person_key"],
                "messages": ["sender_key", "sender_name", "sender_url", "counterpart_key",
                             "recipient_urls", "to_names"],
                "invitations": ["person_key", "name", "profile_url"],
                "labels": ["subject"],
                "introductions": ["requester_key", "target_key", "target_name"],
                "pseudonyms": ["person_key"],
            }.items():
                for column in columns:
                    found += db.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE ? OR {column} LIKE ?",
                        (f"%{slug}%", f"%{name}%"),
                    ).fetchone()[0]
            return found

    assert leftovers() == 0
    with Workspace.open(sample_workspace) as ws:
        ingest(ws, sample_exports[-1:])  # the newest export is already known: nothing comes back
        ws.db.execute("DELETE FROM snapshots")  # make every export look new again
        ingest(ws, sample_exports)
    assert leftovers() == 0


def test_forget_content_before_keeps_what_metrics_need(sample_workspace, capsys):
    args = ["metrics", "--workspace", str(sample_workspace), "--from", "2025-07-01",
            "--to", "2026-09-30", "--json"]
    assert main(args) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["forget", "--workspace", str(sample_workspace), "--content-before", "2026-01-01"]) == 0
    assert "Dropped the text" in capsys.readouterr().out
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM messages WHERE sent_at < '2026-01-01' "
                          "AND content IS NOT NULL").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM messages WHERE sent_at >= '2026-01-01' "
                          "AND content IS NOT NULL").fetchone()[0] > 0
    assert main(args) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["load"] == before["load"]


def test_forget_rejects_what_is_not_a_profile_link(sample_workspace, capsys):
    assert main(["forget", "--workspace", str(sample_workspace), "--person", "Jane"]) == 1
    assert "profile link" in capsys.readouterr().err
