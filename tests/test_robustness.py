"""Faults found by adversarial testing (issue 13, item 5), input side: links out of a folder
export, NUL bytes, escape codes reaching the terminal, read-only and full workspaces, two
first ingests at once, folder and file modes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from adviser_analytics.errors import BadExportError
from adviser_analytics.export import read_export
from adviser_analytics.textsafety import (
    spreadsheet_safe,
    spreadsheet_safe_frame,
    spreadsheet_unprotect,
    terminal_text,
)

ROOT = Path(__file__).resolve().parent.parent

CONNECTIONS = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Jane,Doe,https://www.linkedin.com/in/jane-doe,,Acme,Engineer,04 Jul 2023\n"
)
MESSAGES = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    "SUBJECT,CONTENT,FOLDER\n"
    "2-a==,,Jane Doe,https://www.linkedin.com/in/jane-doe,Ann Owner,"
    'https://www.linkedin.com/in/ann,2024-11-02 09:15:00 UTC,,"Hello, Ann",INBOX\n'
    "2-a==,,Ann Owner,https://www.linkedin.com/in/ann,Jane Doe,"
    "https://www.linkedin.com/in/jane-doe,2024-11-03 10:00:00 UTC,,Thanks,INBOX\n"
)
PROFILE = "First Name,Last Name,Headline\nAnn,Owner,Careers Adviser\n"


def folder_export(folder: Path, **override: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"Connections.csv": CONNECTIONS, "messages.csv": MESSAGES, "Profile.csv": PROFILE}
    files.update(override)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# 1. Links in a folder export


def test_a_link_to_an_export_file_outside_the_folder_is_refused_by_name(tmp_path):
    export = folder_export(tmp_path / "export")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(MESSAGES.replace("Hello, Ann", "not part of the export"), encoding="utf-8")
    (export / "messages.csv").unlink()
    (export / "messages.csv").symlink_to(outside)
    with pytest.raises(BadExportError) as caught:
        read_export(export)
    message = str(caught.value)
    assert "messages.csv in export" in message
    assert "link to a file outside the export folder" in message
    assert "Copy the file itself" in message


def test_a_link_to_an_unread_file_outside_is_left_out_quietly(tmp_path):
    export = folder_export(tmp_path / "export")
    secret = tmp_path / "secret.txt"
    secret.write_text("private", encoding="utf-8")
    (export / "notes.txt").symlink_to(secret)
    (export / "sub").symlink_to(tmp_path, target_is_directory=True)  # a linked folder
    from adviser_analytics.export.limits import DEFAULT_LIMITS
    from adviser_analytics.export.sources import open_source

    with open_source(export, DEFAULT_LIMITS) as source:
        assert "notes.txt" not in source.names
        assert source.outside == ["notes.txt"]
        assert not any(name.startswith("sub/") for name in source.names)
    contents = read_export(export)
    assert len(contents.messages) == 2


def test_a_link_inside_the_folder_is_read_like_the_file(tmp_path):
    export = folder_export(tmp_path / "export")
    (export / "originals").mkdir()
    (export / "messages.csv").rename(export / "originals" / "kept.csv")
    (export / "messages.csv").symlink_to(export / "originals" / "kept.csv")
    contents = read_export(export)
    assert list(contents.messages["content"]) == ["Hello, Ann", "Thanks"]


def test_a_file_swapped_for_an_outside_link_after_listing_is_refused(tmp_path):
    from adviser_analytics.export.limits import DEFAULT_LIMITS
    from adviser_analytics.export.sources import open_source

    export = folder_export(tmp_path / "export")
    outside = tmp_path / "other.csv"
    outside.write_text(MESSAGES, encoding="utf-8")
    with open_source(export, DEFAULT_LIMITS) as source:
        (export / "messages.csv").unlink()
        (export / "messages.csv").symlink_to(outside)
        with pytest.raises(BadExportError, match="outside the export folder"):
            source.read("messages.csv")


# ---------------------------------------------------------------------------------------------
# 2. NUL bytes and formula protection


def test_nul_bytes_are_removed_as_text_is_read(tmp_path):
    messages = MESSAGES.replace("Hello, Ann", "Hel\x00lo, Ann").replace("Jane Doe,https",
                                                                       "Ja\x00ne Doe,https", 1)
    export = folder_export(tmp_path / "export", **{"messages.csv": messages,
                                                   "Connections.csv": CONNECTIONS.replace(
                                                       "Acme", "\x00=HYPERLINK(\"x\")")})
    contents = read_export(export)
    assert contents.messages["content"].tolist() == ["Hello, Ann", "Thanks"]
    assert contents.messages["sender_name"].tolist()[0] == "Jane Doe"
    assert contents.connections["company"].tolist() == ['=HYPERLINK("x")']
    for frame in (contents.messages, contents.connections):
        for column in frame.select_dtypes(include=["string", "object"]):
            assert not frame[column].astype("string").str.contains("\x00", regex=False).any()


def test_nul_bytes_are_removed_on_the_exact_parser_path_too(tmp_path):
    # A lone carriage return sends the body to Python's csv module.
    messages = MESSAGES.replace("Thanks", '"Tha\x00nks\r ok"')
    export = folder_export(tmp_path / "export", **{"messages.csv": messages})
    contents = read_export(export)
    assert contents.messages["content"].tolist() == ["Hello, Ann", "Thanks\r ok"]


@pytest.mark.parametrize("value, expected", [
    ("\x00=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("\x01\x02+1", "'+1"),
    ("\x1b-2", "'-2"),
    ("  @SUM(A1)", "'  @SUM(A1)"),
    ("\u200b=1+1", "'\u200b=1+1"),
    ("\x7f\x9b=x", "'=x"),
    ("\t=x", "'\t=x"),
    ("a\x00b", "ab"),
    ("plain = text", "plain = text"),
    ("Zoë", "Zoë"),
])
def test_formula_protection_sees_through_leading_control_characters(value, expected):
    assert spreadsheet_safe(value) == expected


def test_formula_protection_of_frames_matches_the_cell_function():
    values = ["\x00=HYPERLINK(1)", "ok", None, "\x07@x", " -3", "a\x00b"]
    frame = pd.DataFrame({
        "object": pd.Series(values, dtype=object),
        "string": pd.Series(values, dtype="string[pyarrow]"),
        "number": [1, 2, 3, 4, 5, 6],
    })
    out = spreadsheet_safe_frame(frame)
    expected = ["'=HYPERLINK(1)", "ok", None, "'@x", "' -3", "ab"]
    assert out["object"].tolist() == expected
    assert [None if pd.isna(v) else v for v in out["string"]] == expected
    assert out["number"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["object"].tolist()[0] == "\x00=HYPERLINK(1)"  # the input is not changed


def test_protected_cells_written_and_read_by_a_spreadsheet_reader_never_start_a_formula():
    hostile = ["\x00=HYPERLINK(\"http://evil\",\"click\")", "\x00\x00+cmd|' /C calc'!A0",
               " =1", "\r=2"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_safe(v)] for v in hostile])
    for (cell,) in csv.reader(io.StringIO(buffer.getvalue())):
        stripped = cell.replace("\x00", "").lstrip()
        assert not stripped.startswith(("=", "+", "-", "@")), cell
        assert spreadsheet_unprotect(cell).lstrip().startswith(("=", "+", "\r"))


# ---------------------------------------------------------------------------------------------
# 3. Escape codes never reach the terminal


def test_terminal_text_shows_controls_as_visible_escapes():
    crafted = "Eve\x1b[2J\x1b]0;pwned\x07\x08\r\x9b31mX\u202eTxt\nnext\tline"
    shown = terminal_text(crafted)
    assert shown == ("Eve\\x1b[2J\\x1b]0;pwned\\x07\\x08\\x0d\\x9b31mX\\u202eTxt\nnext\tline")
    assert terminal_text("José García") == "José García"
    assert terminal_text(None) == ""


def _sample(n: int = 0) -> Path:
    return sorted((ROOT / "data_samples").glob("*.zip"))[n]


def _run(argv, capsys):
    from adviser_analytics.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


UNSAFE = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e")


def test_crafted_names_reach_the_terminal_as_visible_text_only(tmp_path, capsys):
    crafted = "Eve\x1b[31m\x1b]0;owned\x07\x08\rX\x9b2J\u202e"
    export = folder_export(
        tmp_path / f"export {crafted}",
        **{"Profile.csv": f"First Name,Last Name,Headline\n\"{crafted}\",Owner,x\n",
           "messages.csv": MESSAGES.replace("Ann Owner", f"\"{crafted} Owner\"")})
    workspace = tmp_path / "ws"
    outputs = []
    code, out, err = _run(["--workspace", workspace, "ingest", export], capsys)
    assert code == 0, err
    outputs += [out, err]
    assert "export Eve\\x1b[31m" in out  # the folder's name, shown, not obeyed
    code, out, err = _run(["--workspace", workspace, "status"], capsys)
    assert code == 0
    assert "Owner: Eve\\x1b[31m\\x1b]0;owned\\x07\\x08\\x0dX\\x9b2J\\u202e Owner" in out
    outputs += [out, err]
    missing = tmp_path / f"gone{crafted}.zip"
    code, out, err = _run(["--workspace", workspace, "ingest", missing], capsys)
    assert code == 1 and "gone" in err
    outputs += [out, err]
    code, out, err = _run(["--workspace", workspace, "forget", "--person", crafted], capsys)
    outputs += [out, err]
    code, out, err = _run(["--workspace", workspace, "--json", "status"], capsys)
    assert code == 0
    assert json.loads(out)["owner"]["name"] == f"{crafted} Owner"  # JSON keeps the exact text
    outputs += [out, err]
    for text in outputs:
        for character in UNSAFE:
            assert character not in text, (character, text)


# ---------------------------------------------------------------------------------------------
# 5. Read-only workspaces, full disks


@pytest.fixture
def small_workspace(tmp_path, capsys) -> Path:
    workspace = tmp_path / "ws"
    code, _, err = _run(["--workspace", workspace, "ingest", _sample(0)], capsys)
    assert code == 0, err
    return workspace


def _make_read_only(workspace: Path, folder: bool = True, file: bool = True) -> None:
    for path in [*([workspace / "adviser.sqlite"] if file else []),
                 *([workspace] if folder else [])]:
        path.chmod(path.stat().st_mode & ~0o222)


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mode) for p in folder.iterdir()}


@pytest.mark.parametrize("folder, file", [(True, True), (True, False), (False, True)])
def test_reading_commands_work_on_a_read_only_workspace(small_workspace, capsys, folder, file):
    code, before_status, _ = _run(["--workspace", small_workspace, "status"], capsys)
    _make_read_only(small_workspace, folder, file)
    before = _snapshot(small_workspace)
    try:
        code, out, err = _run(["--workspace", small_workspace, "status"], capsys)
        assert (code, err) == (0, "")
        assert out == before_status
        code, out, err = _run(["--workspace", small_workspace, "metrics", "--from", "2025-01-01",
                               "--to", "2025-12-31"], capsys)
        assert code == 0 and "Inbound messages" in out, err
        for argv in (["ingest", _sample(1)], ["labels", "suggest"]):
            code, out, err = _run(["--workspace", small_workspace, *argv], capsys)
            assert code == 1, (argv, err)
            assert "is read-only" in err and "needs write access" in err
            assert "Traceback" not in err and "fault" not in err
        assert _snapshot(small_workspace) == before  # not even SQLite's side files appeared
    finally:
        for path in (small_workspace, small_workspace / "adviser.sqlite"):
            path.chmod(path.stat().st_mode | 0o200)


def test_a_full_disk_rolls_back_and_is_worded(small_workspace, capsys, monkeypatch):
    from adviser_analytics.store import Workspace

    code, status_before, _ = _run(["--workspace", small_workspace, "--json", "status"], capsys)
    connect = Workspace._connect.__func__

    def nearly_full(cls, path):
        ws = connect(cls, path)
        pages = ws.db.execute("PRAGMA page_count").fetchone()[0]
        ws.db.execute(f"PRAGMA max_page_count = {pages + 3}")  # SQLite reports a full disk
        return ws

    monkeypatch.setattr(Workspace, "_connect", classmethod(nearly_full))
    code, out, err = _run(["--workspace", small_workspace, "ingest", _sample(1)], capsys)
    assert code == 1, err
    assert "the disk is full" in err and "nothing was changed" in err
    assert "fault in adviser-analytics" not in err
    monkeypatch.undo()
    code, status_after, _ = _run(["--workspace", small_workspace, "--json", "status"], capsys)
    assert status_after == status_before


def test_no_space_left_on_writing_a_file_is_worded(small_workspace, capsys, monkeypatch):
    import errno

    from adviser_analytics.cli import status

    def no_room(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(small_workspace / "x"))

    monkeypatch.setattr(status, "run", no_room)
    code, out, err = _run(["--workspace", small_workspace, "status"], capsys)
    assert code == 1
    assert "the disk is full" in err and "Free some space" in err
    assert "fault" not in err


# ---------------------------------------------------------------------------------------------
# 6. Two first ingests at once


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize("attempt", range(3))
def test_two_first_ingests_at_once_never_delete_each_others_data(tmp_path, attempt):
    """Two real processes start the same instant on a new folder; one export is damaged.
    Whoever goes first, the good export ends in the workspace and its command succeeded."""
    workspace = tmp_path / "new" / "ws"
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(_sample(1).read_bytes()[:5000])
    go = tmp_path / "go"
    code = ("import os, sys, time\n"
            "from adviser_analytics.cli import main\n"
            "import adviser_analytics.ingest\n"  # imported before the start, not after
            "print('ready', flush=True)\n"
            f"while not os.path.exists({str(go)!r}):\n    time.sleep(0.0005)\n"
            "sys.exit(main(sys.argv[1:]))\n")
    processes = [subprocess.Popen([*_python(code), "--workspace", str(workspace), "ingest",
                                   str(export)], env=_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for export in ((_sample(0), damaged) if attempt % 2 else (damaged, _sample(0)))]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    go.touch()
    results = {}
    for process in processes:
        out, err = process.communicate(timeout=120)
        results[process.args[-1]] = (process.returncode, out, err)
    good_code, good_out, good_err = results[str(_sample(0))]
    bad_code, _, bad_err = results[str(damaged)]
    assert good_code == 0, good_err
    alone = tmp_path / "alone"
    reference = subprocess.run([*_python("import sys\nfrom adviser_analytics.cli import main\n"
                                         "sys.exit(main(sys.argv[1:]))\n"),
                                "--workspace", str(alone), "ingest", str(_sample(0))],
                               env=_env(), capture_output=True, text=True)
    new_connections = re.search(r"\d+ new connections", reference.stdout).group()
    assert new_connections in good_out  # the same as an ingest on its own
    assert bad_code == 1 and "damaged" in bad_err, bad_err
    from adviser_analytics.store import Workspace

    with Workspace.open(workspace) as ws, Workspace.open(alone) as reference_ws:
        assert ws.totals()["connections"] == reference_ws.totals()["connections"] > 0


def test_a_second_ingest_waits_then_says_the_workspace_is_busy(tmp_path):
    from adviser_analytics.errors import WorkspaceError
    from adviser_analytics.store import workspace_lock

    workspace = tmp_path / "ws"
    holder = subprocess.Popen(
        _python("import sys, time\nfrom adviser_analytics.store import workspace_lock\n"
                f"with workspace_lock({str(workspace)!r}):\n"
                "    print('held', flush=True)\n    sys.stdin.readline()\n"),
        env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        told = []
        with pytest.raises(WorkspaceError, match="is busy"):
            with workspace_lock(workspace, wait=0.5, on_wait=lambda: told.append(1)):
                pass
        assert told == [1]
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    with workspace_lock(workspace, wait=0.5):
        pass  # free again once the other has finished


# ---------------------------------------------------------------------------------------------
# 7. Owner-only folders and files


def test_folders_the_tool_makes_are_owner_only(tmp_path):
    from adviser_analytics.files import private_folder, write_atomic

    old = os.umask(0o022)
    try:
        (tmp_path / "mine").mkdir(mode=0o755)
        write_atomic(tmp_path / "mine" / "reports" / "self" / "a.html", "x")
        private_folder(tmp_path / "mine" / "reports" / "supervision")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "mine") == 0o755  # the adviser's own folder is left as it is
    assert mode(tmp_path / "mine" / "reports") == 0o700
    assert mode(tmp_path / "mine" / "reports" / "self") == 0o700
    assert mode(tmp_path / "mine" / "reports" / "supervision") == 0o700
    assert mode(tmp_path / "mine" / "reports" / "self" / "a.html") == 0o600


@pytest.mark.slow
def test_reports_are_owner_only_and_written_from_a_read_only_workspace(small_workspace, capsys,
                                                                       tmp_path):
    _make_read_only(small_workspace)
    out = tmp_path / "shared" / "reports"
    old = os.umask(0o022)
    try:
        code, stdout, err = _run(["--workspace", small_workspace, "report", "--from",
                                  "2025-10-01", "--to", "2025-12-31", "--out", out], capsys)
    finally:
        os.umask(old)
        for path in (small_workspace, small_workspace / "adviser.sqlite"):
            path.chmod(path.stat().st_mode | 0o200)
    assert code == 0, err
    for path in [out.parent, out, *out.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


# ---------------------------------------------------------------------------------------------
# 4. messages.csv read in blocks


def _messages_csv(rows: int) -> str:
    lines = [MESSAGES.splitlines()[0]]
    for i in range(rows):
        content = f'"line one {i}\nline two, ""quoted"""' if i % 7 == 0 else f"plain {i}"
        lines.append(f"2-{i % 5}==,,Jane Doe,https://www.linkedin.com/in/jane-doe,Ann Owner,"
                     f"https://www.linkedin.com/in/ann,2024-11-02 09:{i % 60:02d}:00 UTC,,"
                     f"{content},INBOX")
        if i % 50 == 0:
            lines.append("")  # a blank line: lines must not drift
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("block_bytes", [64, 300, 4096, 1 << 26])
def test_messages_read_in_blocks_equal_the_whole_file(tmp_path, block_bytes):
    from adviser_analytics.export import csvparse
    from adviser_analytics.export.layouts import MESSAGES as SPEC
    from adviser_analytics.export.limits import DEFAULT_LIMITS

    data = _messages_csv(400).encode()
    whole = csvparse.parse(data, SPEC, "messages.csv", DEFAULT_LIMITS)
    pieces = [data[i:i + 97] for i in range(0, len(data), 97)]
    blocks = list(csvparse.parse_stream(pieces, SPEC, "messages.csv", DEFAULT_LIMITS,
                                        block_bytes))
    assert len(blocks) >= (2 if block_bytes < 4096 else 1)
    lines = [int(x) for b in blocks for x in b.lines]
    assert lines == whole.lines.tolist()
    # hand-computed: row i starts on line 2 + i + (extra lines of earlier multi-line cells)
    # + (blank lines before it)
    expected, line = [], 2
    for i in range(400):
        expected.append(line)
        line += 2 if i % 7 == 0 else 1
        line += 1 if i % 50 == 0 else 0
    assert lines == expected
    contents = [v for b in blocks for v in b.columns["content"].to_pylist()]
    assert contents == whole.columns["content"].to_pylist()
    assert contents[0] == 'line one 0\nline two, "quoted"'


def test_read_export_and_message_batches_agree_with_the_file(tmp_path):
    from adviser_analytics.export import read_message_batches

    export = folder_export(tmp_path / "export", **{"messages.csv": _messages_csv(300)})
    contents = read_export(export)
    batches = list(read_message_batches(export, block_bytes=2000))
    assert len(batches) > 3
    joined = pd.concat(batches, ignore_index=True)
    pd.testing.assert_frame_equal(joined, contents.messages)
    assert len(contents.messages) == 300
    import hashlib

    digest = hashlib.sha256((export / "messages.csv").read_bytes()).hexdigest()
    assert ("messages.csv", digest) in contents.files


def test_a_quote_never_closed_is_found_across_blocks(tmp_path):
    from adviser_analytics.export import read_message_batches

    text = _messages_csv(100) + 'x,,Jane,,Ann,,2024-11-02 09:00:00 UTC,,"never closed\n' + \
        "more\n" * 200
    export = folder_export(tmp_path / "export", **{"messages.csv": text})
    with pytest.raises(BadExportError, match="quote character is missing") as caught:
        list(read_message_batches(export, block_bytes=500))
    assert caught.value.line == 2 + 100 + 15 + 2  # after 100 rows, 15 multi-line, 2 blanks
