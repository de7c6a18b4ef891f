"""The synthetic export generator: layouts, quirks, determinism and the truth it claims.

The files are read back with the csv module and classified here, independently of the
generator's own bookkeeping, so a truth count that disagrees with the rows fails.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from adviser_analytics import samples
from adviser_analytics.policy import load_policy

REPO = Path(__file__).resolve().parent.parent
DATA_SAMPLES = REPO / "data_samples"

# byte-identical to shared/linkedin-export-format.md
NOTES = (
    'Notes:\n"When exporting your connection data, you may notice that some of the email '
    "addresses are missing. You will only see email addresses for connections who have allowed "
    "their connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n\n'
)
CONNECTIONS_OLD = "First Name,Last Name,Email Address,Company,Position,Connected On"
CONNECTIONS_URL = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
MESSAGES = {
    "2018": "From,To,Date,Subject,Content,Direction,Folder",
    "2020": "FROM,TO,DATE,SUBJECT,CONTENT,DIRECTION,FOLDER",
    "2021": "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER",
    "2023": "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER",
}
MESSAGES["2024"] = MESSAGES["2023"]
MESSAGES["2025"] = MESSAGES["2023"]
TRAILING = ("ATTACHMENTS", "IS MESSAGE DRAFT", "IS CONVERSATION DRAFT")
INVITATIONS = {
    "2018": "From,To,Sent At,Message,Direction",
    "2020": "From,To,Sent At,Message,Direction",
    "2021": "From,To,Sent At,Message,Direction",
    "2023": "From,To,Sent At,Message,Direction,inviterProfileUrn,inviteeProfileUrn",
    "2024": "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl",
    "2025": "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl",
}
PROFILE = ("First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,"
           "Zip Code,Geo Location,Twitter Handles,Websites,Instant Messengers")
SYSTEM = re.compile(r"^(Message request accepted|A LinkedIn member left the conversation\.|"
                    r".+ added .+ to the conversation\.|.+ changed the conversation title to .+)$")
EXPORT_NAME = re.compile(r"^(Complete|Basic)_LinkedInDataExport_(\d\d)-(\d\d)-(\d{4})( \(1\))?(\.zip)?$")


# ---------------------------------------------------------------------------------------------
# an independent reader
# ---------------------------------------------------------------------------------------------

def export_files(path: Path) -> dict[str, bytes]:
    """Member files by normalised name (lower case, space = underscore), from a zip or folder."""
    def norm(name: str) -> str:
        return name.rsplit("/", 1)[-1].lower().replace(" ", "_")
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            return {norm(n): zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    return {norm(p.name): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-bom"
    return data.decode("utf-8"), "utf-8"


def table(data: bytes) -> list[dict]:
    text, _ = decode(data)
    lines = text.splitlines()
    for line in lines[:10]:
        first = line.split("\t")[0].split(";")[0].split(",")[0].strip('"')
        if first in ("First Name", "CONVERSATION ID", "From", "FROM"):
            delim = "\t" if "\t" in line else (";" if ";" in line and "," not in line else ",")
            break
    else:
        raise AssertionError(f"no header in {lines[:4]}")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    for j, row in enumerate(rows):
        if row and row[0] == first:
            header = row
            return [dict(zip(header, r, strict=True)) for r in rows[j + 1:] if r]
    raise AssertionError("header not found by csv")


def norm_url(url: str) -> str | None:
    url = unquote(url.strip()).lower()
    if not url:
        return None
    url = re.sub(r"^https?://", "https://", url).rstrip("/")
    return url


def name_key(name: str) -> str:
    return "name:" + " ".join(name.split()).casefold()


def parse_date(text: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%S", "%m/%d/%y, %I:%M %p"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise ValueError(text)


def classify(row: dict, owner: str, era: str) -> list[str]:
    """Every quirk a message row carries (an empty list: person-to-person)."""
    g = {k.upper(): (v or "").strip() for k, v in row.items()}
    if all(not v for k, v in g.items() if k != "DATE"):
        return ["redacted"]  # (its FOLDER is empty too: redacted comes first)
    found = []
    if g.get("IS MESSAGE DRAFT") == "Yes" or not g.get("FOLDER"):
        found.append("draft")
    if g.get("FOLDER") == "SPAM":
        found.append("spam_folder")
    has_urls = era >= "2021"
    sender, url = g.get("FROM", ""), g.get("SENDER PROFILE URL", "")
    if (g.get("CONVERSATION TITLE") == "Sponsored Conversation" or "%FIRSTNAME%" in g["CONTENT"]
            or (has_urls and not url and sender not in (owner, "LinkedIn Member"))):
        found.append("sponsored")
    if sender == "LinkedIn Member" and not url:
        found.append("hidden_member")
    if SYSTEM.match(g["CONTENT"]):
        found.append("system")
    return found


def read_back(path: Path, era: str, owner: str = "Morwenna Achterberg") -> dict:
    """Counts an ingest must find, computed from the files alone (cached per export)."""
    return _read_back(str(path), era, owner)


@functools.lru_cache(maxsize=64)
def _read_back(path: str, era: str, owner: str) -> dict:
    path = Path(path)
    files = export_files(path)
    conns = table(files["connections.csv"])
    blank = [r for r in conns if not (r["First Name"].strip() or r["Last Name"].strip())]
    people = [r for r in conns if r not in blank]
    if era >= "2023":
        keys = {norm_url(r["URL"]) for r in people}
    else:
        keys = {name_key(f"{r['First Name'].strip()} {r['Last Name'].strip()}") for r in people}
    skipped = Counter({r: 0 for r in samples.REASONS})
    skipped["blank_person"] = len(blank)
    for name in ("coach_messages.csv", "learning_coach_messages.csv"):
        if name in files:
            skipped["coach"] += len(table(files[name]))
    msgs = table(files["messages.csv"])
    p2p = []
    for row in msgs:
        quirks = classify(row, owner, era)
        assert len(set(quirks)) <= 1, (quirks, row)  # exactly one quirk per excluded row
        if quirks:
            skipped[quirks[0]] += 1
        else:
            p2p.append({k.upper(): v for k, v in row.items()})
    # episodes: runs of inbound messages per conversation
    owner_url = None
    if era >= "2021":
        owner_url = Counter(norm_url(m["SENDER PROFILE URL"]) for m in p2p
                            if m["FROM"] == owner).most_common(1)[0][0]
    convs: dict[str, list] = {}
    for m in p2p:
        if era >= "2021":
            out = norm_url(m["SENDER PROFILE URL"]) == owner_url
            key = m["CONVERSATION ID"]
        else:
            out = m["DIRECTION"] == "OUTGOING"
            key = name_key(m["TO"] if out else m["FROM"])
        m["_out"] = out
        convs.setdefault(key, []).append(m)
    requests = 0
    for rows in convs.values():
        rows.sort(key=lambda m: parse_date(m["DATE"]))
        previous_inbound = False
        for m in rows:
            if not m["_out"] and not previous_inbound:
                requests += 1
            previous_inbound = not m["_out"]
    invs = table(files["invitations.csv"])
    inv_keys = {(r["Direction"], name_key(r["From"] if r["Direction"] == "INCOMING" else r["To"]),
                 r["Sent At"]) for r in invs}
    return {"connections": len(keys), "blank_person": len(blank), "messages": len(p2p),
            "skipped": dict(skipped), "invitations": len(inv_keys), "requests": requests,
            "p2p": p2p, "connection_keys": keys, "invitation_keys": inv_keys, "owner_url": owner_url,
            "files": files, "invitation_rows": invs, "message_rows": msgs, "connection_rows": conns}


def assert_truth(truth: samples.ExportTruth, got: dict) -> None:
    for field in ("connections", "blank_person", "messages", "invitations", "requests"):
        assert getattr(truth, field) == got[field], (truth.path, field)
    assert truth.skipped == got["skipped"], truth.path


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict:
    """One folder export per era (seed 0: all trailing columns in 2025)."""
    root = tmp_path_factory.mktemp("eras")
    return {era: samples.write_fixture(root / era, era, zipped=False) for era in samples.ERAS}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    out = tmp_path_factory.mktemp("series")
    return samples.write_series(out, seed=7, months=15), out


# ---------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("era", samples.ERAS)
def test_headers_are_the_format_documents(fixtures, era):
    files = export_files(Path(fixtures[era].path))
    conn = files["connections.csv"].decode()
    if era >= "2021":
        assert conn.startswith(NOTES)
        header = conn[len(NOTES):].split("\n", 1)[0]
    else:
        header = conn.split("\n", 1)[0]
    assert header == (CONNECTIONS_URL if era >= "2023" else CONNECTIONS_OLD)
    expected = MESSAGES[era] + ("," + ",".join(TRAILING) if era == "2025" else "")
    assert files["messages.csv"].decode().split("\n", 1)[0] == expected
    assert files["invitations.csv"].decode().split("\n", 1)[0] == INVITATIONS[era]
    assert files["profile.csv"].decode().split("\n", 1)[0] == PROFILE
    for coach in ("coach_messages.csv", "learning_coach_messages.csv"):
        assert files[coach].decode().split("\n", 1)[0] == expected
    assert "ad_targeting.csv" in files and "job_applications.csv" in files


@pytest.mark.parametrize("era", samples.ERAS)
def test_truth_counts_match_the_rows(fixtures, era):
    truth = fixtures[era]
    got = read_back(Path(truth.path), era)
    assert_truth(truth, got)
    assert truth.owner_name == "Morwenna Achterberg"
    if era >= "2021":
        assert truth.owner_url == got["owner_url"]
    else:
        assert truth.owner_url is None
    assert truth.messages >= 150 and truth.connections >= 25


def test_dates_of_each_era(fixtures):
    f18 = read_back(Path(fixtures["2018"].path), "2018")
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M", f18["message_rows"][0]["Date"])
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M",
                        f18["connection_rows"][0]["Connected On"])
    f20 = read_back(Path(fixtures["2020"].path), "2020")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", f20["message_rows"][0]["DATE"])
    assert {r["DIRECTION"] for r in f20["message_rows"]} >= {"INCOMING", "OUTGOING"}
    assert {r["Folder"] for r in f18["message_rows"]} >= {"INBOX", "SENT"}
    for era in ("2021", "2025"):
        got = read_back(Path(fixtures[era].path), era)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", r["DATE"])
                   for r in got["message_rows"])
        assert all(re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}", r["Connected On"])
                   for r in got["connection_rows"])
    for era in samples.ERAS:
        invs = read_back(Path(fixtures[era].path), era)["invitation_rows"]
        assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M", r["Sent At"]) for r in invs)
    urns = read_back(Path(fixtures["2023"].path), "2023")["invitation_rows"]
    assert all(re.fullmatch(r"urn:li:member:\d+", r["inviterProfileUrn"]) for r in urns)


def test_connections_quirks(fixtures):
    got = read_back(Path(fixtures["2025"].path), "2025")
    raw = got["files"]["connections.csv"]
    assert not raw.endswith(b"\n")
    rows = got["connection_rows"]
    assert 10 <= got["blank_person"] < 100
    blank_line = re.compile(rb"\n,,,,,,\d\d [A-Z][a-z]{2} \d{4}(\n|$)")
    assert blank_line.search(raw)
    dates = [datetime.strptime(r["Connected On"], "%d %b %Y") for r in rows]
    assert dates == sorted(dates, reverse=True)  # newest first
    people = [r for r in rows if r["First Name"] or r["Last Name"]]
    emails = [r for r in people if r["Email Address"]]
    assert 1 <= len(emails) <= max(1, 0.1 * len(people))
    assert any(v != v.strip() for r in people for v in r.values())  # stray spaces
    # percent-encoded slugs in Connections, raw Unicode in messages, same person
    encoded = [r["URL"] for r in people if "%" in r["URL"]]
    assert encoded and all(unquote(u) != u for u in encoded)
    raw_in_messages = {norm_url(m["SENDER PROFILE URL"]) for m in got["p2p"]}
    assert any(norm_url(u) in raw_in_messages for u in encoded)
    text = got["files"]["messages.csv"].decode()
    assert "linkedin.com/in/josé-garcía" in text.lower() or "linkedin.com/in/zoë" in text.lower()
    assert any(r["First Name"].startswith("=") for r in people)  # formula-injection test name


def test_message_quirks_2025(fixtures):
    got = read_back(Path(fixtures["2025"].path), "2025")
    rows = got["message_rows"]
    drafts = [r for r in rows if r["IS MESSAGE DRAFT"] == "Yes"]
    assert drafts and any(not r["CONVERSATION ID"] and not r["TO"] and not r["FOLDER"] for r in drafts)
    assert any(r["FOLDER"] == "SPAM" for r in rows)
    assert any(r["CONVERSATION TITLE"] == "Sponsored Conversation" for r in rows)
    assert any(r["FROM"] == "LinkedIn Member" and not r["SENDER PROFILE URL"] for r in rows)
    assert any(r["FROM"] in samples.INMAIL_COMPANIES and not r["SENDER PROFILE URL"] for r in rows)
    assert any("%FIRSTNAME%" in r["CONTENT"] for r in rows)
    contents = [r["CONTENT"] for r in rows]
    assert "Message request accepted" in contents
    assert "A LinkedIn member left the conversation." in contents
    assert any(c.endswith(" to the conversation.") and " added " in c for c in contents)
    assert any(" changed the conversation title to " in c for c in contents)
    groups = [r for r in rows if r["RECIPIENT PROFILE URLS"].count("linkedin.com") >= 2]
    assert any(";" in r["RECIPIENT PROFILE URLS"] for r in groups)
    assert any("," in r["RECIPIENT PROFILE URLS"] for r in groups)
    assert any(", PhD" in r["TO"] for r in rows)
    assert any(c.startswith("<p class=") for c in contents)
    assert any("&rsquo;" in c or "&nbsp;" in c for c in contents)
    assert any("<script>alert(1)</script>" in c for c in contents)
    assert any(not c and r["FOLDER"] and r["FROM"] for c, r in zip(contents, rows, strict=True))  # empty CONTENT
    assert any(all(not v for k, v in r.items() if k != "DATE") for r in rows)  # redacted
    urls = [r["SENDER PROFILE URL"] for r in rows]
    assert any(u.startswith("http://") for u in urls) and any(u.endswith("/") for u in urls)
    assert any(re.search(r"/in/[^/]*[A-ZÀ-Þ]", u) for u in urls)  # mixed case
    assert any(r["FROM"].startswith("=") for r in rows)
    # grouped by conversation, newest first within it
    seen, last = [], None
    for r in rows:
        cid = r["CONVERSATION ID"]
        if cid and cid != last:
            assert cid not in seen, "conversation split"
            seen.append(cid)
        last = cid
    for cid in seen:
        dates = [parse_date(r["DATE"]) for r in rows if r["CONVERSATION ID"] == cid]
        assert dates == sorted(dates, reverse=True)
    # a quoted multi-line field (an invitation note)
    assert any("\n" in r["Message"] for r in got["invitation_rows"])


@pytest.mark.parametrize("era", ("2021", "2023", "2024"))
def test_drafts_without_the_column_have_an_empty_folder(fixtures, era):
    rows = read_back(Path(fixtures[era].path), era)["message_rows"]
    drafts = [r for r in rows if not r["FOLDER"] and r["FROM"]]
    assert len(drafts) == fixtures[era].skipped["draft"] == 3


def test_utf16_legacy_variant(tmp_path):
    truth = samples.write_fixture(tmp_path, "2020", encoding="utf-16", zipped=False)
    files = export_files(Path(truth.path))
    for name in ("connections.csv", "messages.csv"):
        data = files[name]
        assert data.startswith(b"\xff\xfe")
        text = data[2:].decode("utf-16-le")
        header = text.split("\n", 1)[0]
        assert header.startswith('"') and "\t" in header
        assert all(cell.startswith('"') and cell.endswith('"') for cell in header.split("\t"))
    assert files["invitations.csv"].startswith(b"From,To")  # other files stay UTF-8
    assert_truth(truth, read_back(Path(truth.path), "2020"))
    notes = samples.write_fixture(tmp_path / "b", "2023", encoding="utf-16", zipped=False)
    text = export_files(Path(notes.path))["connections.csv"][2:].decode("utf-16-le")
    assert text.startswith('"Notes:"\n') and not text.endswith("\n")
    assert_truth(notes, read_back(Path(notes.path), "2023"))


@pytest.mark.parametrize("seed,pattern", [(0, r"\d\d-[A-Z][a-z]{2}-\d\d"), (1, r"\d\d\.\d\d\.\d{4}")])
def test_spreadsheet_resave(tmp_path, seed, pattern):
    truth = samples.write_fixture(tmp_path, "2024", resaved=True, seed=seed)
    files = export_files(Path(truth.path))
    data = files["connections.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    assert "First Name;Last Name;URL;Email Address;Company;Position;Connected On" in data.decode("utf-8-sig")
    rows = table(data)
    assert all(re.fullmatch(pattern, r["Connected On"]) for r in rows)
    invs = table(files["invitations.csv"])  # keeps its US dates
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M", r["Sent At"]) for r in invs)
    assert_truth(truth, read_back(Path(truth.path), "2024"))


def test_nested_folder_and_names(tmp_path):
    truth = samples.write_fixture(tmp_path, "2025", zipped=False, nested=True)
    outer = Path(truth.path)
    assert outer.name == "Complete_LinkedInDataExport_06-18-2025 (1)"
    inner = outer / "Complete_LinkedInDataExport_06-18-2025"
    names = {p.name for p in inner.iterdir()}
    assert {"Messages.csv", "Ad Targeting.csv", "Connections.csv", "Invitations.csv"} <= names
    assert "messages.csv" not in names and (inner / "Jobs" / "Job Applications.csv").is_file()
    assert_truth(truth, read_back(outer, "2025"))
    zipped = samples.write_fixture(tmp_path / "z", "2025", nested=True)
    with zipfile.ZipFile(zipped.path) as zf:
        assert all(n.startswith("Complete_LinkedInDataExport_06-18-2025/") for n in zf.namelist())


def test_zip_names_and_trailing_columns(tmp_path):
    for seed in range(6):
        truth = samples.write_fixture(tmp_path / str(seed), "2025", seed=seed, n_people=15,
                                      n_messages=60)
        assert EXPORT_NAME.match(Path(truth.path).name) and truth.path.endswith(".zip")
        header = export_files(Path(truth.path))["messages.csv"].decode().split("\n", 1)[0]
        extra = header.split(",")[10:]
        assert extra == [c for c in TRAILING if c in extra]
        assert extra == truth.layout["message_columns"][10:]
        assert_truth(truth, read_back(Path(truth.path), "2025"))
    basic = samples.write_fixture(tmp_path / "basic", "2025", kind="Basic", n_people=15, n_messages=60)
    assert Path(basic.path).name == "Basic_LinkedInDataExport_06-18-2025.zip"


def test_invitation_window_of_fixtures(fixtures):
    for era, truth in fixtures.items():
        export = date.fromisoformat(truth.export_date)
        rows = read_back(Path(truth.path), era)["invitation_rows"]
        sent = [datetime.strptime(r["Sent At"], "%m/%d/%y, %I:%M %p").date() for r in rows]
        assert min(sent) >= export - timedelta(days=250) and max(sent) < export


def test_determinism(tmp_path):
    a = samples.write_fixture(tmp_path / "a", "2021", seed=3)
    b = samples.write_fixture(tmp_path / "b", "2021", seed=3)
    c = samples.write_fixture(tmp_path / "c", "2021", seed=4)
    assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
    assert Path(a.path).read_bytes() != Path(c.path).read_bytes()
    samples.write_series(tmp_path / "s1", seed=5, months=4)
    samples.write_series(tmp_path / "s2", seed=5, months=4)
    one = {p.relative_to(tmp_path / "s1"): p.read_bytes() for p in (tmp_path / "s1").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "s2"): p.read_bytes() for p in (tmp_path / "s2").rglob("*") if p.is_file()}
    assert one == two and len(one) > 10


def test_another_owner(tmp_path):
    truth = samples.write_fixture(tmp_path, "2025", owner="Tamsin Quillfeather-Oyelaran",
                                  n_people=15, n_messages=80)
    assert truth.owner_name == "Tamsin Quillfeather-Oyelaran"
    assert truth.owner_url.startswith("https://www.linkedin.com/in/tamsin-quillfeather-oyelaran-")
    got = read_back(Path(truth.path), "2025", owner="Tamsin Quillfeather-Oyelaran")
    assert_truth(truth, got)
    assert got["owner_url"] == truth.owner_url
    text = got["files"]["messages.csv"].decode()
    assert "Morwenna" not in text and "Hi Tamsin" in text
    assert table(got["files"]["profile.csv"])[0]["First Name"] == "Tamsin"


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        samples.write_fixture(tmp_path, "2019")
    with pytest.raises(ValueError):
        samples.write_fixture(tmp_path, "2025", encoding="latin-1")
    with pytest.raises(ValueError):
        samples.write_fixture(tmp_path, "2025", n_messages=10)


# ---------------------------------------------------------------------------------------------
# the series
# ---------------------------------------------------------------------------------------------

def test_series_snapshots_match_their_files(series):
    truth, out = series
    assert len(truth.snapshots) == 15
    ever_conn, ever_msg, ever_inv = set(), set(), set()
    for snap, cum in zip(truth.snapshots, truth.cumulative, strict=True):
        assert snap.era == "2025"
        got = read_back(Path(snap.path), "2025")
        assert_truth(snap, got)
        ever_conn |= got["connection_keys"]
        ever_msg |= {(m["CONVERSATION ID"], m["DATE"], norm_url(m["SENDER PROFILE URL"]))
                     for m in got["p2p"]}
        ever_inv |= got["invitation_keys"]
        assert cum == {"export_date": snap.export_date, "connections": len(ever_conn),
                       "messages": len(ever_msg), "invitations": len(ever_inv)}
    last = truth.snapshots[-1]
    # what vanished from later exports stays in the workspace
    assert truth.cumulative[-1]["connections"] > last.connections
    assert truth.cumulative[-1]["messages"] > last.messages


def test_series_layout_variations(series):
    truth, out = series
    nested = [s for s in truth.snapshots if s.layout["nested"]]
    assert len(nested) == 1 and not nested[0].layout["zipped"] and Path(nested[0].path).is_dir()
    assert Path(nested[0].path).name.endswith(" (1)")
    resaved = [s for s in truth.snapshots if s.layout["resaved"]]
    assert len(resaved) == 1
    data = export_files(Path(resaved[0].path))["connections.csv"]
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data.split(b"\r\n")[3]
    columns = {tuple(s.layout["message_columns"]) for s in truth.snapshots}
    assert len(columns) >= 4  # trailing columns come and go
    for s in truth.snapshots:
        assert EXPORT_NAME.match(Path(s.path).name)


def test_series_invitation_window(series):
    truth, out = series
    for snap in truth.snapshots:
        export = date.fromisoformat(snap.export_date)
        rows = read_back(Path(snap.path), "2025")["invitation_rows"]
        sent = [datetime.strptime(r["Sent At"], "%m/%d/%y, %I:%M %p").date() for r in rows]
        assert export - timedelta(days=250) <= min(sent) <= export - timedelta(days=180)
        assert max(sent) < export


def test_series_sizes_and_shape(series):
    truth, out = series
    last = truth.snapshots[-1]
    assert 150 <= len(truth.people) <= 260
    assert 1500 <= last.messages <= 2500
    assert 150 <= len(truth.invitations) <= 300
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total < 3 * 2**20
    per_month = Counter(r["started_at"][:7] for r in truth.requests)
    before = [per_month[m] for m in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05",
                                     "2025-06", "2025-07", "2025-08", "2025-09", "2025-10",
                                     "2025-11", "2025-12")]
    after = [per_month[m] for m in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08")]
    assert 6 <= sum(before) / len(before) <= 20
    assert sum(after) / len(after) >= 2.5 * sum(before) / len(before)
    assert 30 <= sum(after) / len(after) <= 60


def test_series_story_labels(series):
    truth, out = series
    change = date(2026, 1, 5)
    assert [v["name"] for v in truth.policy_versions] == ["cautious-avoidance", "genuine-connection"]
    assert truth.policy_versions[1]["effective_from"] == change.isoformat()
    assert set(truth.people.values()) == {"client", "colleague", "professional", "personal",
                                          "unknown", "spam"}
    incoming = [i for i in truth.invitations if i["direction"] == "incoming"]
    decisions = Counter(i["decision"] for i in incoming)
    assert set(decisions) >= {"accept", "ask", "ignore", "report", "redirect"}
    client_before = Counter(i["decision"] for i in incoming if i["relationship"] == "client"
                            and i["sent_at"] < change.isoformat())
    client_after = Counter(i["decision"] for i in incoming if i["relationship"] == "client"
                           and i["sent_at"] >= change.isoformat())
    assert client_before["redirect"] > client_before["accept"]
    assert client_after["accept"] > client_after["redirect"] and client_after["ignore"] >= 1
    for i in truth.invitations:
        assert (i["accepted_on"] is not None) == (i["decision"] == "accept") or i["direction"] == "outgoing"
    handlings = Counter(r["handling"] for r in truth.requests)
    assert set(handlings) == {"answer", "refer", "explain", "none"}
    assert {r["referral"] for r in truth.requests if r["handling"] == "refer"} >= {
        "appointment", "mentor", "event", "resource", "reception"}
    # drift in busy weeks: more requests left unanswered than in quiet weeks after the change
    busy = [(date.fromisoformat(b["from"]), date.fromisoformat(b["to"])) for b in truth.busy_weeks]
    def in_busy(r):
        d = date.fromisoformat(r["started_at"][:10])
        return any(a <= d <= b for a, b in busy)
    after = [r for r in truth.requests if r["started_at"] >= change.isoformat()
             and r["relationship"] == "client" and r["started_at"] < "2026-08-15"]
    none_busy = [r["handling"] == "none" for r in after if in_busy(r)]
    none_quiet = [r["handling"] == "none" for r in after if not in_busy(r)]
    assert sum(none_busy) / len(none_busy) > 2 * sum(none_quiet) / len(none_quiet)
    # introductions: targets are connections, some asked 4+ times within 90 days
    assert len(truth.introductions) >= 20
    outcomes = Counter(i["outcome"] for i in truth.introductions)
    assert set(outcomes) >= {"made", "explained", "redirected", "no_response", "met"}
    connected = set()
    for snap in truth.snapshots:
        connected |= read_back(Path(snap.path), "2025")["connection_keys"]
    asked = {}
    for i in truth.introductions:
        assert i["target_url"] in connected
        asked.setdefault(i["target_url"], []).append(date.fromisoformat(i["requested_on"]))
    assert any(sum(1 for e in days if d <= e < d + timedelta(days=90)) >= 4
               for days in asked.values() for d in days)
    assert all(d["content"].replace("&rsquo;", "'").find("I'm afraid I can't") >= 0
               for d in truth.declines) and truth.declines


def test_series_story_for_advice_and_connector_measures(series):
    """Issue 14's story: personalised invitations accepted more after the change; one employer
    receives many introductions. Checked against the written files, not only the truth."""
    truth, out = series
    change = truth.policy_versions[1]["effective_from"]
    notes = {}
    connected_rows = {}
    for snap in truth.snapshots:
        got = read_back(Path(snap.path), "2025")
        for r in got["invitation_rows"]:
            if r["Direction"] == "INCOMING":
                notes[(norm_url(r["inviterProfileUrl"]), r["Sent At"])] = bool(r["Message"])
        for r in got["connection_rows"]:
            if r["URL"]:
                connected_rows[norm_url(r["URL"])] = r
    incoming = [i for i in truth.invitations if i["direction"] == "incoming"
                and i["relationship"] != "spam" and i["sent_at"] >= truth.policy_versions[0]["effective_from"]]
    for i in incoming:
        when = datetime.fromisoformat(i["sent_at"].replace("Z", "+00:00"))
        cell = f"{when.month}/{when.day}/{when.year % 100:02d}, {when.hour % 12 or 12}:{when.minute:02d} " \
               f"{'AM' if when.hour < 12 else 'PM'}"
        assert notes[(i["profile_url"], cell)] == i["personalised"], i
        if i["decision"] == "accept":
            assert i["profile_url"] in connected_rows

    def share(rows):
        personal = [r for r in rows if r["personalised"]]
        return len(personal), sum(r["decision"] == "accept" for r in personal)

    n_before, acc_before = share([i for i in incoming if i["sent_at"] < change])
    n_after, acc_after = share([i for i in incoming if i["sent_at"] >= change])
    assert n_after > n_before >= 5
    assert acc_after / n_after > acc_before / n_before + 0.3
    assert truth.story["personalised_invitations"]["genuine-connection"] == {
        "received": n_after, "accepted": acc_after}
    # the concentrated employer: from the Company column of the targets' connection rows
    employers = Counter(connected_rows[i["target_url"]]["Company"].strip() for i in truth.introductions)
    (top, n_top), (_, n_next) = employers.most_common(2)
    assert top == truth.story["concentrated_employer"] == samples.CONCENTRATED_EMPLOYER
    assert n_top >= 0.4 * len(truth.introductions) and n_top >= 2 * n_next
    assert all(i["requested_on"] >= change for i in truth.introductions)  # more after the change


def test_series_waiting_is_believable(series):
    """Most one-to-one requests are answered within days; a handful waiting, a handful lapsed."""
    truth, out = series
    end = datetime.fromisoformat(truth.snapshots[-1].export_date).replace(tzinfo=UTC)
    real = [r for r in truth.requests if r["one_to_one"] and not r["acknowledgement"]]
    assert len(real) >= 0.7 * len(truth.requests)

    def at(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    unanswered = [end - at(r["started_at"]) for r in real if r["replied_at"] is None]
    waiting = [age for age in unanswered if age <= timedelta(days=30)]
    lapsed = [age for age in unanswered if age > timedelta(days=30)]
    assert 1 <= len(waiting) <= 10 and 1 <= len(lapsed) <= 12, (len(waiting), len(lapsed))
    assert sum(age > timedelta(days=365) for age in lapsed) <= 3
    days = sorted((at(r["replied_at"]) - at(r["started_at"])).total_seconds() / 86400
                  for r in real if r["replied_at"] is not None)
    assert days[len(days) // 2] <= 3
    # the new raw facts agree with the rows: a group run has more than one other person in TO
    rows = read_back(Path(truth.snapshots[-1].path), "2025")["p2p"]
    to_count = {}
    for m in rows:
        if m["FROM"] != samples.OWNER_NAME:
            urls = [u for u in re.split("[,;]", m["RECIPIENT PROFILE URLS"]) if u.strip()]
            to_count.setdefault(m["CONVERSATION ID"], set()).add(len(urls))
    for r in truth.requests:
        if r["conversation_id"] in to_count:
            assert (to_count[r["conversation_id"]] == {1}) == r["one_to_one"], r
    acks = [r for r in truth.requests if r["acknowledgement"]]
    assert acks and all(r["messages"] == 1 for r in acks)
    assert {r["opened_by"] for r in truth.requests} == {"them", "owner"}


def test_series_relationships_are_inferable(series):
    truth, out = series
    rows = read_back(Path(truth.snapshots[-1].path), "2025")["connection_rows"]
    by_key = {norm_url(r["URL"]): r for r in rows if r["URL"]}
    client_words = re.compile(r"student|graduate|alumn", re.IGNORECASE)
    for key, row in by_key.items():
        rel = truth.people[key]
        if rel == "colleague":
            assert row["Company"].strip() == "Northbridge University"
        if rel == "client":
            assert client_words.search(row["Position"]) and row["Company"].strip() != "Northbridge University"
        if rel in ("professional", "personal", "unknown"):
            assert not client_words.search(row["Position"])
            assert row["Company"].strip() != "Northbridge University"


def test_series_policy_and_readme(series):
    truth, out = series
    policy = yaml.safe_load((out / "policy.yaml").read_text())
    assert policy["owner_institution"] == "Northbridge University"
    assert [(v["name"], str(v["effective_from"])) for v in policy["versions"]] == [
        (v["name"], v["effective_from"]) for v in truth.policy_versions]
    assert policy["versions"][0]["invitations"]["client"] == ["redirect"]
    assert policy["versions"][1]["invitations"]["client"] == ["accept"]
    assert policy["versions"][0]["working_hours"]["timezone"] == "Europe/London"
    load_policy((out / "policy.yaml").read_text())  # valid: raises BadPolicyError if not
    readme = (out / "README.md").read_text()
    assert "python -m adviser_analytics.samples --out data_samples" in readme
    data = json.loads((out / "truth.json").read_text())
    assert data["snapshots"][0]["path"] == Path(truth.snapshots[0].path).name
    assert set(data) >= {"snapshots", "cumulative", "people", "invitations", "requests",
                         "introductions", "declines", "policy_versions"}


def test_committed_samples_are_current(tmp_path):
    truth_file = DATA_SAMPLES / "truth.json"
    if not truth_file.is_file():
        pytest.skip("data_samples/ not generated")
    seed = json.loads(truth_file.read_text())["seed"]
    samples.write_series(tmp_path, seed=seed)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for rel, data in fresh.items():
        assert (DATA_SAMPLES / rel).read_bytes() == data, f"data_samples/{rel} is stale: remake it"


# ---------------------------------------------------------------------------------------------
# the maximal account (small numbers) and the command line
# ---------------------------------------------------------------------------------------------

def test_write_maximal_small(tmp_path):
    truth = samples.write_maximal(tmp_path, connections=300, messages=4000, invitations=60, seed=2)
    folder = Path(truth.path)
    assert folder.is_dir() and EXPORT_NAME.match(folder.name)
    got = read_back(folder, "2025")
    assert_truth(truth, got)
    assert truth.connections == 300 and len(got["message_rows"]) == 4000
    assert len(got["invitation_rows"]) == 60
    size = (folder / "messages.csv").stat().st_size / 4000
    assert 250 <= size <= 450
    assert (folder / "Connections.csv").read_bytes().startswith(NOTES.encode())
    again = samples.write_maximal(tmp_path / "again", connections=300, messages=4000,
                                  invitations=60, seed=2)
    assert (Path(again.path) / "messages.csv").read_bytes() == (folder / "messages.csv").read_bytes()


def test_command_line(tmp_path, capsys):
    assert samples.main(["--out", str(tmp_path / "s"), "--months", "2"]) == 0
    assert (tmp_path / "s" / "truth.json").is_file() and (tmp_path / "s" / "policy.yaml").is_file()
    assert samples.main(["--fixture", "2018", "--out", str(tmp_path / "f")]) == 0
    assert samples.main(["--maximal", "--out", str(tmp_path / "m"), "--connections", "50",
                         "--messages", "500", "--invitations", "10"]) == 0
    out = capsys.readouterr().out
    assert '"era": "2025"' in out
