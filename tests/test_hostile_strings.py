"""Hostile strings from an export stay harmless on the way out: HTML escaped once, CSV cells
formula-safe. The sample series carries a message with a <script> tag and a person whose
display name starts with '='."""

from __future__ import annotations

import csv
import re

from adviser_analytics.labels import export_labels, suggest
from adviser_analytics.store import Workspace


def test_label_csvs_are_formula_safe_and_keep_accents(sample_workspace, tmp_path):
    with Workspace.open(sample_workspace) as ws:
        with ws.transaction():
            suggest(ws)
        export_labels(ws, tmp_path / "labels")
    people = (tmp_path / "labels" / "people.csv").read_bytes()
    assert people.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to show accents"
    text = people.decode("utf-8-sig")
    assert "José García" in text or "Zoë" in text or "Siobhán" in text
    for path in (tmp_path / "labels").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, cell)
    assert "'=HYPERLINK" in text


def test_script_in_a_message_is_text_in_the_workspace_not_markup(sample_workspace):
    with Workspace.open(sample_workspace) as ws:
        messages = ws.messages()
    hostile = messages[messages["content"].str.contains("<script>", regex=False, na=False)]
    assert len(hostile) >= 1  # kept as the person wrote it, to be escaped on output
    assert not re.search(r"&lt;script", " ".join(hostile["content"]))  # decoded once, not twice


def test_triage_shows_hostile_text_as_text(sample_workspace):
    from adviser_analytics.triage import TriageItem, item_html

    with Workspace.open(sample_workspace) as ws:
        messages = ws.messages()
    hostile = messages.loc[messages["content"].str.contains("<script>", regex=False, na=False),
                           "content"].iloc[0]
    page = item_html(TriageItem(kind="request", subject="x", title="=HYPERLINK Jones",
                                excerpt=hostile, suggestion="answer", reason="Caf&eacute; &amp; co"))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Café &amp; co" in page  # entities decoded once, then escaped once
