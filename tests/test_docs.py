"""The specification in ``docs/`` keeps up with the code: every command, subcommand and flag
the parser defines, and every JSON key that ``ingest``, ``status`` and ``metrics`` print,
appears in ``docs/contract.md``. Commands the contract lists that are not built yet are fine
(the check goes from the code to the documentation)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from adviser_analytics.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"
SAMPLES = ROOT / "data_samples"
#: JSON objects whose keys are names from the vocabulary (reasons, outcomes), not fields.
MAPS = {"skipped", "outcomes"}


def code_spans(text: str) -> list[str]:
    """The text inside fenced blocks and inside `backticks` (a span may cross lines)."""
    fenced = re.findall(r"```.*?\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    return fenced + re.findall(r"`([^`]+)`", rest)


def command_rows(text: str) -> dict[str, str]:
    """The first cell of each row of the command-line table, by the command it documents."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split(" | ")[0]
        for span in re.findall(r"`([^`]+)`", cell):
            words = []
            for word in span.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            for n in range(1, len(words) + 1):
                rows.setdefault(" ".join(words[:n]), "")
                rows[" ".join(words[:n])] += " " + cell
    return rows


def json_section(text: str, command: str) -> list[str]:
    """The code spans of the section ``### `COMMAND --json``` (up to the next heading)."""
    match = re.search(rf"^### `{re.escape(command)} --json`\n(.*?)(?=^#)", text, flags=re.S | re.M)
    assert match, f"docs/contract.md has no section '### `{command} --json`'"
    return code_spans(match.group(1))


def parser_tree(parser: argparse.ArgumentParser, path: str = "") -> dict[str, set[str]]:
    """Every command path (``""`` the program itself, ``"labels import"``, ...) and the
    option flags it defines (help and hidden options left out)."""
    tree = {path: set()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                tree.update(parser_tree(sub, f"{path} {name}".strip()))
        elif action.option_strings and action.help != argparse.SUPPRESS \
                and not isinstance(action, argparse._HelpAction):
            tree[path] |= {o for o in action.option_strings if o.startswith("--")}
    return tree


def json_keys(value, inside: str = "") -> set[str]:
    keys = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if inside not in MAPS:
                keys.add(key)
            keys |= json_keys(item, key)
    elif isinstance(value, list):
        for item in value:
            keys |= json_keys(item, inside)
    return keys


def undocumented_keys(keys: set[str], spans: list[str]) -> list[str]:
    return sorted(k for k in keys if not any(re.search(rf"\b{re.escape(k)}\b", s) for s in spans))


def test_every_command_and_flag_is_in_the_contract():
    text = CONTRACT.read_text(encoding="utf-8")
    rows = command_rows(text)
    everywhere = " ".join(code_spans(text))
    tree = parser_tree(build_parser())
    common = tree.pop("")  # --workspace, --json, --version: described once for every command
    missing = []
    for flag in sorted(common):
        if not re.search(rf"{re.escape(flag)}\b", everywhere):
            missing.append(f"the option {flag}")
    for command, flags in sorted(tree.items()):
        if command not in rows:
            missing.append(f"the command '{command}' (no row in the command-line table)")
            continue
        for flag in sorted(flags - common):
            if not re.search(rf"{re.escape(flag)}\b", rows[command]):
                missing.append(f"the option {flag} of '{command}' (not in its row)")
    assert not missing, "docs/contract.md does not document " + "; ".join(missing)


def test_the_checks_notice_what_is_missing():
    text = "| `status` | what |\n| `policy set FILE` / `policy show` | x |\n"
    assert set(command_rows(text)) >= {"status", "policy", "policy set", "policy show"}
    assert "labels rules" not in command_rows(text)
    assert undocumented_keys({"total", "exports"}, ['{"total": int}']) == ["exports"]
    assert json_keys({"a": {"skipped": {"draft": 1}}, "b": [{"c": 1}]}) == {"a", "skipped", "b", "c"}
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers().add_parser("go")
    sub.add_argument("--fast", action="store_true")
    sub.add_argument("--secret", help=argparse.SUPPRESS)
    assert parser_tree(parser) == {"": set(), "go": {"--fast"}}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, dict]:
    """What ``ingest --json``, ``status --json`` and ``metrics --json`` print for a small
    workspace of one sample export."""
    workspace = tmp_path_factory.mktemp("docs") / "ws"
    export = SAMPLES / "Complete_LinkedInDataExport_02-01-2026.zip"
    payloads = {}
    for argv in (["ingest", str(export)], ["status"],
                 ["metrics", "--from", "2026-01-01", "--to", "2026-01-31"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*argv, "--json", "--workspace", str(workspace)]) == 0
        payloads[argv[0]] = json.loads(out.getvalue())
    return payloads


@pytest.mark.parametrize("command", ["ingest", "status", "metrics"])
def test_every_json_key_is_in_the_contract(printed, command):
    spans = json_section(CONTRACT.read_text(encoding="utf-8"), command)
    missing = undocumented_keys(json_keys(printed[command]), spans)
    assert not missing, (f"'{command} --json' prints keys that docs/contract.md does not "
                         f"document in its section: {', '.join(missing)}")
