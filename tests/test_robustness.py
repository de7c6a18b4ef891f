"""Faults found by adversarial testing (issue 13, item 5), input side: links out of a folder
export, NUL bytes, escape codes reaching the terminal, read-only and full workspaces, two
first ingests at once, folder and file modes."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
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
    from adviser_analytics.export.sources import open_source
    from adviser_analytics.export.limits import DEFAULT_LIMITS

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
