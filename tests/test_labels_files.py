"""Label CSVs: export, edit in a spreadsheet, import; refusals; the ``labels`` command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import URL, copy_of, history_count, labels_of

from adviser_analytics.cli import main
from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels import LABEL_FILES, export_labels, import_labels, suggest


@pytest.fixture
def ws(tmp_path):
    workspace = copy_of(tmp_path / "ws")
    yield workspace
    workspace.close()


def read(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows accents
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def write(path, rows, delimiter=",", bom=True, crlf=False):
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter,
                            lineterminator="\r\n" if crlf else "\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


def snapshot(ws):
    return {(r.kind, r.subject): (r.value, r.source) for r in ws.labels().itertuples()}


def test_export_writes_every_label_and_every_row_to_fill(ws, tmp_path):
    summary = export_labels(ws, tmp_path / "out")
    for name, spec in LABEL_FILES.items():
        rows = read(tmp_path / "out" / name)
        assert list(rows[0])[: len(spec["columns"])] == spec["columns"]
        assert summary["files"][name]["rows"] == len(rows)
    people = {r["profile_url"]: r for r in read(tmp_path / "out" / "people.csv")}
    assert people[URL + "stu"]["relationship"] == "client"
    assert people[URL + "stu"]["source"] == "suggested"
    assert people[URL + "stu"]["rule"] == "student-or-graduate"
    assert people[URL + "arch"]["relationship"] == ""  # still to fill in
    assert people[URL + "zoe"]["name"] == "Zoë Brontë-Ngata"  # accents intact
    requests = {(r["conversation_id"], r["started_at"]): r
                for r in read(tmp_path / "out" / "requests.csv")}
    row = requests[tuple(ws.fixture["refer"].split("|"))]
    assert (row["handling"], row["referral"], row["source"]) == ("refer", "appointment", "suggested")
    assert requests[tuple(ws.fixture["pending"].split("|"))]["handling"] == ""
    invitations = read(tmp_path / "out" / "invitations.csv")
    assert {r["direction"] for r in invitations} == {"incoming"}
    assert any(r["decision"] == "" for r in invitations)  # the recent one
    intro = read(tmp_path / "out" / "introductions.csv")
    assert [(r["requester_url"], r["target_name"], r["requested_on"], r["outcome"])
            for r in intro] == [(URL + "stu", "Zoë Brontë-Ngata", "2026-01-25", "")]
    # suggestions to review come first
    assert read(tmp_path / "out" / "people.csv")[0]["source"] == "suggested"


def test_exported_files_are_for_the_adviser_only(ws, tmp_path):
    """The CSVs name clients: owner-only files, and no temporary files left beside them."""
    export_labels(ws, tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(LABEL_FILES)
    assert all((tmp_path / "out" / name).stat().st_mode & 0o077 == 0 for name in written)


def test_exported_cells_are_safe_in_a_spreadsheet(ws, tmp_path):
    export_labels(ws, tmp_path / "out")
    text = (tmp_path / "out" / "people.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    evil = next(r for r in rows if r["profile_url"] == URL + "=evil")
    assert evil["name"] == "'=HYPERLINK(\"http://x\",\"click\")"
    assert evil["company"] == "'+44 Ltd" and evil["position"] == "'-minus"
    at = next(r for r in rows if r["profile_url"] == URL + "at")
    assert at["name"] == "'@mention" and at["company"] == "'\tTabbed"
    assert at["position"] == "'\rCarriage"
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r"


def test_round_trip_changes_exactly_what_was_edited(ws, tmp_path):
    export_labels(ws, tmp_path / "out")
    before, history = snapshot(ws), history_count(ws)
    # an unedited round trip changes nothing
    summary = import_labels(ws, tmp_path / "out")
    assert summary["confirmed"] == 0 and summary["unmatched"] == 0
    assert snapshot(ws) == before and history_count(ws) == history
    # edit three cells, as an adviser would in a spreadsheet
    people = read(tmp_path / "out" / "people.csv")
    for row in people:
        if row["profile_url"] == URL + "stu":
            row["relationship"] = "personal"         # correct a suggestion
        if row["profile_url"] == URL + "arch":
            row["relationship"] = "Professional"     # fill in an empty row
        if row["profile_url"] == URL + "=evil":
            row["relationship"] = "unknown"          # a protected cell, read back
    write(tmp_path / "out" / "people.csv", people)
    requests = read(tmp_path / "out" / "requests.csv")
    for row in requests:
        if f"{row['conversation_id']}|{row['started_at']}" == ws.fixture["explain"]:
            row["source"] = "confirmed"              # accept a suggestion as it is
    write(tmp_path / "out" / "requests.csv", requests, delimiter=";", crlf=True)
    with ws.transaction():
        summary = import_labels(ws, tmp_path / "out")
    after = snapshot(ws)
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {("relationship", URL + "stu"), ("relationship", URL + "arch"),
                       ("relationship", URL + "=evil"), ("handling", ws.fixture["explain"])}
    assert after[("relationship", URL + "stu")] == ("personal", "confirmed")
    assert after[("relationship", URL + "arch")] == ("professional", "confirmed")
    assert after[("relationship", URL + "=evil")] == ("unknown", "confirmed")
    assert after[("handling", ws.fixture["explain"])] == ("explain", "confirmed")
    assert summary["confirmed"] == 4
    assert summary["files"]["people.csv"]["confirmed"] == 3
    assert history_count(ws) == history + 4
    # and a later suggest leaves the adviser's word alone
    with ws.transaction():
        suggest(ws)
    assert snapshot(ws)[("relationship", URL + "stu")] == ("personal", "confirmed")


def test_a_row_without_source_is_confirmed(ws, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,relationship\nPat Partner,professional\n", encoding="utf-8")
    summary = import_labels(ws, path)
    assert summary["confirmed"] == 1
    assert labels_of(ws, "relationship")[URL + "pat"] == ("professional", "confirmed")


def test_values_outside_the_vocabulary_refuse_the_whole_import(ws, tmp_path):
    export_labels(ws, tmp_path / "out")
    people = read(tmp_path / "out" / "people.csv")
    people[0]["relationship"] = "client" if people[0]["relationship"] != "client" else "spam"
    write(tmp_path / "out" / "people.csv", people)
    invitations = read(tmp_path / "out" / "invitations.csv")
    invitations[2]["decision"] = "maybe later"
    write(tmp_path / "out" / "invitations.csv", invitations)
    before, history = snapshot(ws), history_count(ws)
    with pytest.raises(BadLabelsError) as error:
        with ws.transaction():
            import_labels(ws, tmp_path / "out")
    message = str(error.value)
    assert "invitations.csv, line 4" in message
    assert "'maybe later'" in message
    assert "accept, ask, ignore, report, redirect, pending" in message
    assert snapshot(ws) == before and history_count(ws) == history  # nothing imported


def test_a_bad_source_or_date_is_refused_too(ws, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("profile_url,name,relationship,source\n"
                    f"{URL}pat,Pat Partner,professional,probably\n", encoding="utf-8")
    with pytest.raises(BadLabelsError, match=r"people.csv, line 2.*inferred, suggested, confirmed"):
        import_labels(ws, path)
    path = tmp_path / "requests.csv"
    path.write_text("conversation_id,started_at,handling,referral,source\n"
                    "conv-3,last tuesday,answer,,\n", encoding="utf-8")
    with pytest.raises(BadLabelsError, match=r"requests.csv, line 2.*not a date"):
        import_labels(ws, path)


def test_rows_that_match_nothing_are_reported(ws, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "profile_url,name,relationship,source\n"
        f"{URL}nobody-here,Nobody,client,\n"
        f"{URL}pat,Pat Partner,professional,\n"
        ",Someone Unknown,client,\n", encoding="utf-8")
    summary = import_labels(ws, path)
    report = summary["files"]["people.csv"]
    assert report["unmatched"] == 2 and summary["unmatched"] == 2
    assert [row["line"] for row in report["unmatched_lines"]] == [2, 4]
    assert "profile URL" in report["unmatched_lines"][0]["why"]
    assert report["confirmed"] == 1


def test_a_spreadsheet_resave_is_read(ws, tmp_path):
    export_labels(ws, tmp_path / "out")
    people = read(tmp_path / "out" / "people.csv")
    for row in people:
        if row["profile_url"] == URL + "zoe":
            row["relationship"] = "colleague"
    write(tmp_path / "people.csv", people, delimiter=";", bom=True, crlf=True)
    summary = import_labels(ws, tmp_path / "people.csv")
    assert summary["confirmed"] == 1 and summary["unmatched"] == 0
    assert labels_of(ws, "relationship")[URL + "zoe"] == ("colleague", "confirmed")


def test_introduction_outcomes_and_resolution_dates_are_imported(ws, tmp_path):
    export_labels(ws, tmp_path / "out")
    rows = read(tmp_path / "out" / "introductions.csv")
    rows[0]["outcome"], rows[0]["resolved_on"] = "made", "2026-02-01"
    write(tmp_path / "out" / "introductions.csv", rows)
    summary = import_labels(ws, tmp_path / "out" / "introductions.csv")
    assert summary["files"]["introductions.csv"]["resolved_on_updated"] == 1
    intro = ws.introductions().iloc[0]
    assert intro["outcome"] == "made" and intro["outcome_source"] == "confirmed"
    assert intro["resolved_on"].strftime("%Y-%m-%d") == "2026-02-01"


def test_the_labels_command(ws, tmp_path, capsys):
    workspace = str(ws.path)

    def run(*args):
        code = main(["labels", *args, "--workspace", workspace, "--json"])
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if captured.out.strip() else None, captured.err

    code, out, _ = run("suggest")
    assert code == 0 and out["labels"]["added"] == 0 and "suggested" in out
    code, out, _ = run("export", str(tmp_path / "csv"))
    assert code == 0 and set(out["files"]) == set(LABEL_FILES)
    code, out, _ = run("import", str(tmp_path / "csv"))
    assert code == 0 and out["confirmed"] == 0 and out["unchanged"] > 0
    code, out, _ = run("rules")
    assert code == 0 and out["created"] and (ws.path / "rules.yaml").is_file()
    code, out, _ = run("rules")
    assert code == 0 and not out["created"]
    (tmp_path / "csv" / "people.csv").write_text("name,relationship\nPat Partner,boss\n",
                                                 encoding="utf-8")
    code, out, err = run("import", str(tmp_path / "csv" / "people.csv"))
    assert code == 1 and out is None
    assert "people.csv, line 2" in err and "client, colleague, professional" in err
    code = main(["labels", "suggest", "--workspace", workspace])
    assert code == 0 and "Suggested by the rules" in capsys.readouterr().out
