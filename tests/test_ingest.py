"""Ingest: every era and quirk, checked against what the generator says it wrote."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest

from adviser_analytics import samples
from adviser_analytics.cli import main
from adviser_analytics.errors import AdviserAnalyticsError, WorkspaceError
from adviser_analytics.ingest import ingest
from adviser_analytics.people import normalise_url
from adviser_analytics.store import DB_NAME, Workspace

ERAS = ["2018", "2020", "2021", "2023", "2024", "2025"]


def _db_digest(workspace: Path) -> str:
    """A digest of every row of every table: equal digests mean an unchanged workspace."""
    with sqlite3.connect(workspace / DB_NAME) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        digest = hashlib.sha256()
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def _ingest_json(workspace: Path, *exports: Path, capsys) -> dict:
    code = main(["ingest", "--workspace", str(workspace), "--json", *map(str, exports)])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize("era", ERAS)
def test_each_era_gives_the_counts_the_generator_wrote(era, tmp_path, capsys):
    truth = samples.write_fixture(tmp_path / "export", era=era, seed=3)
    result = _ingest_json(tmp_path / "ws", Path(truth.path), capsys=capsys)
    assert result["snapshots_added"] == 1
    assert result["connections"]["total"] == truth.connections
    assert result["messages"]["total"] == truth.messages
    assert result["invitations"]["total"] == truth.invitations
    assert result["skipped"] == {k: v for k, v in truth.skipped.items() if v}
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.owner.name == truth.owner_name
        assert ws.owner.profile_url == truth.owner_url
        requests = ws.messages()
        assert set(requests["direction"]) <= {"inbound", "outbound"}


@pytest.mark.parametrize(
    "variant",
    [
        {"era": "2018", "encoding": "utf-16"},
        {"era": "2025", "resaved": True},
        {"era": "2025", "zipped": False, "nested": True},
        {"era": "2021", "zipped": False},
    ],
    ids=["utf16-tab", "spreadsheet-resave", "nested-folder", "plain-folder"],
)
def test_quirky_copies_read_like_the_original(variant, tmp_path, capsys):
    truth = samples.write_fixture(tmp_path / "export", seed=5, **variant)
    result = _ingest_json(tmp_path / "ws", Path(truth.path), capsys=capsys)
    assert result["connections"]["total"] == truth.connections
    assert result["messages"]["total"] == truth.messages
    assert result["invitations"]["total"] == truth.invitations
    assert result["skipped"] == {k: v for k, v in truth.skipped.items() if v}


@pytest.mark.slow
def test_series_accumulates_snapshot_by_snapshot(sample_series, sample_exports, tmp_path):
    folder, truth = sample_series
    with Workspace.create(tmp_path / "ws") as ws:
        for number, export in enumerate(sample_exports):
            ingest(ws, [export])
            status = ws.status()
            expected = truth.cumulative[number]
            assert status["snapshots"] == number + 1
            assert status["connections"] == expected["connections"], export.name
            assert status["messages"] == expected["messages"], export.name
            assert status["invitations"] == expected["invitations"], export.name


@pytest.mark.slow
def test_reingest_adds_nothing_and_reverse_order_ends_the_same(sample_series, sample_exports,
                                                               tmp_path, capsys):
    _folder, truth = sample_series
    workspace = tmp_path / "ws"
    newest_first = list(reversed(sample_exports))
    _ingest_json(workspace, newest_first[0], capsys=capsys)
    digest = _db_digest(workspace)
    again = _ingest_json(workspace, newest_first[0], capsys=capsys)
    assert again["snapshots_added"] == 0
    assert again["messages"]["added"] == 0 and again["connections"]["added"] == 0
    assert _db_digest(workspace) == digest
    result = _ingest_json(workspace, *newest_first[1:], capsys=capsys)
    assert result["snapshots_added"] == len(sample_exports) - 1
    final = truth.cumulative[-1]
    assert result["connections"]["total"] == final["connections"]
    assert result["messages"]["total"] == final["messages"]
    assert result["invitations"]["total"] == final["invitations"]


def test_connections_and_invitations_keep_when_they_were_seen(sample_workspace_template, sample_series):
    _folder, truth = sample_series
    with Workspace.open(sample_workspace_template) as ws:
        connections = ws.connections()
        invitations = ws.invitations()
        snapshots = ws.snapshots()
    assert (connections["first_seen_on"] <= connections["last_seen_on"]).all()
    # A connection removed on LinkedIn is still in the workspace, last seen before the end.
    assert (connections["last_seen_on"] < snapshots["export_date"].max()).any()
    # Invitations cover a window: the oldest ones were seen in fewer snapshots than exist.
    assert invitations["snapshots"].max() < len(snapshots)
    assert invitations["snapshots"].min() >= 1


def test_percent_encoded_and_raw_slugs_are_one_person(sample_workspace_template):
    with Workspace.open(sample_workspace_template) as ws:
        connections = ws.connections()
        messages = ws.messages()
    non_ascii = connections[connections["profile_url"].str.contains(r"[^\x00-\x7f]", regex=True)]
    assert len(non_ascii), "the samples should hold non-ASCII slugs"
    senders = set(messages["sender_key"])
    assert set(non_ascii["person_key"]) & senders
    assert all(key == normalise_url(key) for key in connections["profile_url"].dropna())


def test_excluded_rows_are_kept_with_their_reason(sample_workspace_template):
    with Workspace.open(sample_workspace_template) as ws:
        everything = ws.messages(include_excluded=True)
        person_to_person = ws.messages()
    reasons = set(everything["exclusion"].dropna())
    assert {"draft", "system", "sponsored", "hidden_member", "spam_folder"} <= reasons
    assert person_to_person["exclusion"].isna().all()
    assert len(everything) > len(person_to_person)


@pytest.mark.parametrize(
    "make_bad, expected",
    [
        (lambda p: (p / "notes.txt").write_text("hello") and p, "not"),
        (lambda p: _truncated_zip(p), "zip"),
        (lambda p: _unknown_header(p), "line"),
        (lambda p: _undecodable(p), "line"),
    ],
    ids=["not-an-export", "truncated-zip", "unknown-header", "undecodable"],
)
def test_bad_input_exits_1_names_the_file_and_changes_nothing(make_bad, expected, tmp_path,
                                                              sample_exports, capsys):
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), str(sample_exports[0])]) == 0
    digest = _db_digest(workspace)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = make_bad(bad_dir)
    capsys.readouterr()
    code = main(["ingest", "--workspace", str(workspace), str(sample_exports[1]), str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert expected in err.lower()
    assert Path(bad).name in err or "csv" in err.lower()
    assert _db_digest(workspace) == digest  # the good export before it was rolled back too


def _truncated_zip(folder: Path) -> Path:
    good = folder / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Connections.csv", "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" * 2000)
    data = good.read_bytes()
    bad = folder / "Complete_LinkedInDataExport_01-01-2026.zip"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _unknown_header(folder: Path) -> Path:
    export = folder / "export"
    export.mkdir()
    (export / "Connections.csv").write_text("Vorname,Nachname,Firma\nA,B,C\n", encoding="utf-8")
    return export


def _undecodable(folder: Path) -> Path:
    export = folder / "export"
    export.mkdir()
    (export / "messages.csv").write_bytes(
        b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER\n"
        b"1,,A,,B,2022-09-08 18:08:14 UTC,,caf\xe9 \xff\xfe,INBOX\n"
    )
    return export


def test_export_of_another_account_is_refused(tmp_path, capsys):
    one = samples.write_fixture(tmp_path / "one", era="2025", seed=1)
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), str(one.path)]) == 0
    other = samples.write_fixture(tmp_path / "two", era="2025", seed=2, owner="Ingrid Vasquez-Holloway")
    if other.owner_url == one.owner_url:
        pytest.skip("the generator gave both fixtures the same owner")
    digest = _db_digest(workspace)
    assert main(["ingest", "--workspace", str(workspace), str(other.path)]) == 1
    assert "separate --workspace" in capsys.readouterr().err
    assert _db_digest(workspace) == digest


def test_workspace_is_private_to_its_owner(tmp_path):
    with Workspace.create(tmp_path / "ws") as ws:
        folder = ws.path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / DB_NAME).stat().st_mode) == 0o600


def test_status_json_has_the_contract_shape(sample_workspace, capsys):
    assert main(["status", "--workspace", str(sample_workspace), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert set(status) >= {"owner", "snapshots", "connections", "messages", "invitations",
                           "first_date", "last_date", "labels"}
    assert set(status["labels"]) == {"confirmed", "suggested", "inferred"}
    assert status["first_date"] <= status["last_date"]


def test_missing_workspace_is_a_clear_error(tmp_path, capsys):
    assert main(["status", "--workspace", str(tmp_path / "nowhere")]) == 1
    assert "no workspace" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["metrics", "--from", "2026-01-01"])
    assert exit_info.value.code == 2


def test_workspace_errors_are_adviser_errors():
    assert issubclass(WorkspaceError, AdviserAnalyticsError)


def test_a_failed_first_ingest_leaves_no_workspace_behind(tmp_path, capsys):
    junk = tmp_path / "Complete_LinkedInDataExport_01-01-2026.zip"
    junk.write_bytes(b"this is not a zip")
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), str(junk)]) == 1
    assert "Download the export again" in capsys.readouterr().err
    assert not workspace.exists()


def _message_rows(workspace: Path) -> list[tuple]:
    with sqlite3.connect(workspace / DB_NAME) as db:
        return db.execute(
            "SELECT message_id, conversation_id, sent_at, sender_key, occurrence, first_seen_on, "
            "last_seen_on FROM messages ORDER BY message_id").fetchall()


def _stored_keys_are_current(workspace: Path) -> bool:
    import pandas as pd

    from adviser_analytics.store import message_keys

    with sqlite3.connect(workspace / DB_NAME) as db:
        rows = pd.read_sql_query("SELECT * FROM messages ORDER BY message_id", db)
    return rows["message_key"].tolist() == message_keys(rows).tolist()


def test_message_keys_are_stable_integers():
    import pandas as pd

    from adviser_analytics.store.schema import _CANARY_ROWS, message_keys

    frame = pd.DataFrame(_CANARY_ROWS)
    as_strings = frame.astype({c: "string" for c in ("conversation_id", "sent_at", "sender_key")})
    keys = message_keys(frame)
    assert keys.dtype == "int64" and len(set(keys.tolist())) == len(frame)
    assert message_keys(as_strings).tolist() == keys.tolist()
    assert message_keys(frame.iloc[::-1]).tolist() == keys.tolist()[::-1]


@pytest.mark.slow
def test_a_changed_key_hash_is_detected_and_the_keys_recomputed(sample_workspace, sample_exports):
    before = _message_rows(sample_workspace)
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        db.execute("UPDATE messages SET message_key = -message_id")
        db.execute("UPDATE meta SET value = 'a hash of another pandas' "
                   "WHERE key = 'message_key_canary'")
    with Workspace.open(sample_workspace) as ws:
        # Forget the fingerprints so that every export is read and merged again, by key.
        ws.db.execute("DELETE FROM snapshots")
        ingest(ws, sample_exports)
        assert ws.meta("message_key_canary") != "a hash of another pandas"
    assert _message_rows(sample_workspace) == before
    assert _stored_keys_are_current(sample_workspace)


@pytest.mark.slow
def test_a_version_2_workspace_migrates_keeping_its_messages(sample_workspace, sample_exports,
                                                              tmp_path):
    from adviser_analytics.store.schema import MIGRATIONS
    from adviser_analytics.store.schema import split_sql as _split_sql

    old = tmp_path / "v2"
    old.mkdir()
    with sqlite3.connect(old / DB_NAME) as db:
        for script in MIGRATIONS[:2]:
            for statement in _split_sql(script):
                db.execute(statement)
        db.execute("PRAGMA user_version = 2")
        db.execute("ATTACH DATABASE ? AS new", (str(sample_workspace / DB_NAME),))
        tables = [r[0] for r in db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            columns = ", ".join(r[1] for r in db.execute(f"PRAGMA main.table_info({table})"))
            db.execute(f"INSERT INTO main.{table}({columns}) SELECT {columns} FROM new.{table}")
        db.execute("DELETE FROM main.meta WHERE key = 'message_key_canary'")
    before = _message_rows(old)
    assert before
    with Workspace.open(old) as ws:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert ws.meta("message_key_canary")
        indexes = {r[1] for r in ws.db.execute("PRAGMA index_list(messages)")}
        assert indexes == {"messages_key"}
        ws.db.execute("DELETE FROM snapshots")  # merge every export again, by key
        ingest(ws, sample_exports)
    assert _message_rows(old) == before
    assert _stored_keys_are_current(old)


def _colliding_keys(monkeypatch):
    """Make message keys collide (three keys for every message) as a 64-bit hash almost never does."""
    import adviser_analytics.ingest as ingest_module

    real = ingest_module.message_keys
    monkeypatch.setattr(ingest_module, "message_keys", lambda frame, hashes=None: real(frame, hashes) % 3)


def test_colliding_message_keys_refuse_a_first_ingest(sample_exports, tmp_path, monkeypatch, capsys):
    _colliding_keys(monkeypatch)
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), str(sample_exports[0])]) == 1
    assert "same internal key" in capsys.readouterr().err
    assert not workspace.exists()


def test_colliding_message_keys_refuse_a_merge_and_change_nothing(sample_workspace, sample_exports,
                                                                   monkeypatch, capsys):
    with sqlite3.connect(sample_workspace / DB_NAME) as db:
        db.execute("DELETE FROM snapshots WHERE snapshot_id = (SELECT MAX(snapshot_id) FROM snapshots)")
    before = _db_digest(sample_workspace)
    _colliding_keys(monkeypatch)
    assert main(["ingest", "--workspace", str(sample_workspace), str(sample_exports[-1])]) == 1
    assert "same internal key" in capsys.readouterr().err
    assert _db_digest(sample_workspace) == before


def test_invitation_rows_without_a_name_or_a_date_are_counted_not_lost(tmp_path, capsys):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2026"
    export.mkdir()
    (export / "Invitations.csv").write_text(
        "From,To,Sent At,Message,Direction\n"
        'Ada Lovelace,Olive Owner,"1/5/26, 9:15 AM",Hello,INCOMING\n'
        ',Olive Owner,"1/6/26, 9:15 AM",,INCOMING\n'
        "Bob Babbage,Olive Owner,,Hi,INCOMING\n", encoding="utf-8")
    payload = _ingest_json(tmp_path / "ws", export, capsys=capsys)
    assert payload["invitations"] == {"added": 1, "total": 1}
    assert payload["skipped"] == {"blank_person": 1, "undated": 1}
