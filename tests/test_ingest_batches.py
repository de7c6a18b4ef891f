"""Ingest reads messages.csv in batches: the batch size changes memory, never the workspace."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from adviser_analytics import ingest as ingest_module
from adviser_analytics.ingest import ingest
from adviser_analytics.store import DB_NAME, SECRET_NAME, Workspace, erasure, snapshots
from adviser_analytics.store.schema import MIGRATIONS

#: Columns written with the clock (when it ran), not from the exports.
CLOCK_COLUMNS = {"snapshots": {"ingested_at"}, "meta": set(), "erasures": {"erased_at"}}
ONE_BATCH = 1 << 40


def _tables(workspace: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a fixed order, without the clock's columns."""
    found = {}
    with sqlite3.connect(workspace / DB_NAME) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")
                       if r[1] not in CLOCK_COLUMNS.get(table, ())]
            rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY "
                              f"{', '.join(str(i + 1) for i in range(len(columns)))}").fetchall()
            if table == "meta":
                rows = [r for r in rows if r[0] != "created_at"]
            found[table] = rows
    return found


def _busiest_sender(workspace: Path) -> str:
    with Workspace.open(workspace) as ws:
        messages = ws.messages()
    inbound = messages[(messages["direction"] == "inbound") & messages["sender_url"].notna()]
    return inbound["sender_key"].value_counts().index[0]


def _build(workspace: Path, exports: list[Path], batch_bytes: int, secret: Path | None,
           erase: str | None) -> None:
    """Half the exports, then an erasure and a retention of 6 months, then the rest."""
    half = len(exports) // 2
    with Workspace.create(workspace) as ws:
        ingest(ws, exports[:half], batch_bytes=batch_bytes)
    if secret is not None:
        shutil.copy(secret, workspace / SECRET_NAME)  # the same keyed register in both
    with Workspace.open(workspace) as ws:
        if erase:
            erasure.forget_person(ws, erase)
        erasure.set_retention_months(ws, 6)
        ingest(ws, exports[half:], batch_bytes=batch_bytes)


@pytest.mark.slow
def test_small_batches_and_one_batch_give_the_same_workspace(sample_exports, tmp_path,
                                                             monkeypatch):
    """The sample series (every era), with someone erased and text kept 6 months, in blocks
    of 20,000 bytes (some fifty messages each, read twice) and in one block (kept from the
    first pass): every table is the same."""
    one = tmp_path / "one"
    with Workspace.create(one) as ws:
        ingest(ws, sample_exports[:1], batch_bytes=ONE_BATCH)
    erased = _busiest_sender(one)
    shutil.rmtree(one)
    _build(one, sample_exports, ONE_BATCH, None, erased)
    small = tmp_path / "small"
    monkeypatch.setattr(ingest_module, "KEEP_FRAME_BYTES", 0)
    _build(small, sample_exports, 20_000, one / SECRET_NAME, erased)
    expected, found = _tables(one), _tables(small)
    assert expected["messages"] and expected["erasures"] and expected["conversations"]
    assert list(found) == list(expected)
    for table in expected:
        assert found[table] == expected[table], table


HEADER = ("CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
          "DATE,SUBJECT,CONTENT,FOLDER\n")
ME = "https://www.linkedin.com/in/olive-owner"
ADA = "https://www.linkedin.com/in/ada-lovelace"
BO = "https://www.linkedin.com/in/bo-babbage"
CY = "https://www.linkedin.com/in/cy-clarke"


def _small_export(folder: Path) -> Path:
    """Newest first, as LinkedIn writes: Ada's two messages of one second (one natural key),
    a group conversation (Bo writes to the owner and Cy), and the owner's replies."""
    folder.mkdir(parents=True)
    (folder / "Profile.csv").write_text("First Name,Last Name,Headline\nOlive,Owner,Adviser\n",
                                        encoding="utf-8")
    rows = [
        f'2-ada==,,Olive Owner,{ME},Ada Lovelace,{ADA},2026-01-05 10:00:00 UTC,,Happy to help,INBOX',
        f'2-ada==,,Ada Lovelace,{ADA},Olive Owner,{ME},2026-01-05 09:00:00 UTC,,and a CV question,INBOX',
        f'2-ada==,,Ada Lovelace,{ADA},Olive Owner,{ME},2026-01-05 09:00:00 UTC,,Hello Olive,INBOX',
        f'2-grp==,Planning,Olive Owner,{ME},"Bo Babbage, Cy Clarke","{BO}, {CY}",'
        '2026-01-04 12:00:00 UTC,,See you both,INBOX',
        f'2-grp==,Planning,Bo Babbage,{BO},"Olive Owner, Cy Clarke","{ME}, {CY}",'
        '2026-01-04 11:00:00 UTC,,Shall we meet?,INBOX',
    ]
    (folder / "messages.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_a_batch_per_row_numbers_repeated_keys_and_counts_participants(tmp_path, monkeypatch):
    export = _small_export(tmp_path / "Basic_LinkedInDataExport_01-10-2026")
    for name, batch_bytes, keep in (("one", ONE_BATCH, 1 << 30), ("rows", 1, 0)):
        monkeypatch.setattr(ingest_module, "KEEP_FRAME_BYTES", keep)
        with Workspace.create(tmp_path / name) as ws:
            result = ingest(ws, [export], batch_bytes=batch_bytes)
            assert result.totals["messages"] == 5
            assert ws.owner.profile_url == ME
    rows, one = _tables(tmp_path / "rows"), _tables(tmp_path / "one")
    assert rows == one
    with Workspace.open(tmp_path / "rows") as ws:
        messages = ws.messages().sort_values("message_id")
        occurrences = ws.db.execute("SELECT content, occurrence FROM messages WHERE "
                                    "conversation_id = '2-ada==' AND sender_key = ?", (ADA,))
        # file order: "and a CV question" is the first of the two rows of one second
        assert dict(occurrences.fetchall()) == {"and a CV question": 0, "Hello Olive": 1}
        assert dict(ws.db.execute("SELECT * FROM conversations").fetchall()) == {
            "2-ada==": 2, "2-grp==": 3}
        with ws.transaction():  # counted from the stored messages: the same
            snapshots.refresh_participants(ws)
        assert dict(ws.db.execute("SELECT * FROM conversations").fetchall()) == {
            "2-ada==": 2, "2-grp==": 3}
        participants = dict(zip(messages["conversation_id"], messages["participants"],
                                strict=True))
        assert participants == {"2-ada==": 2, "2-grp==": 3}
        # the owner's message in the group answers Bo, who wrote first there
        outbound = messages[messages["direction"] == "outbound"]
        assert dict(zip(outbound["conversation_id"], outbound["counterpart_key"],
                        strict=True)) == {"2-ada==": ADA, "2-grp==": BO}


@pytest.mark.slow
def test_a_version_4_workspace_gets_its_participants(sample_workspace, tmp_path):
    """Opening a workspace written before conversations were counted counts them, as an
    ingest would have."""
    expected = _tables(sample_workspace)["conversations"]
    assert any(n >= 3 for _, n in expected)
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        db.execute("DROP TABLE conversations")
        db.execute("PRAGMA user_version = 4")
    with Workspace.open(sample_workspace) as ws:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert _tables(sample_workspace)["conversations"] == expected


def test_participants_kept_at_each_ingest_equal_a_recount(sample_workspace):
    """The sample series, ingested export after export, keeps each conversation's
    participants batch by batch: the same as counting them again from every stored message."""
    with Workspace.open(sample_workspace) as ws:
        kept = dict(ws.db.execute("SELECT * FROM conversations").fetchall())
        with ws.transaction():
            snapshots.refresh_participants(ws)
        recounted = dict(ws.db.execute("SELECT * FROM conversations").fetchall())
    assert kept == recounted and max(kept.values()) >= 3
