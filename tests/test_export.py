"""adviser_analytics.export: every era and quirk of shared/linkedin-export-format.md.

Fixtures are tiny exports written byte for byte as LinkedIn (or a spreadsheet) writes them.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adviser_analytics.errors import BadExportError
from adviser_analytics.export import (
    DATE_FORMATS,
    ExportContents,
    ReadLimits,
    csvparse,
    find_export_files,
    parse_dates,
    read_export,
)
from adviser_analytics.export.layouts import CONNECTIONS, MESSAGES

EXPORT = "Basic_LinkedInDataExport_03-14-2025"

NOTES = (
    b"Notes:\n"
    b'"When exporting your connection data, you may notice that some of the email addresses are'
    b" missing. You will only see email addresses for connections who have allowed their"
    b" connections to see or download their email address using this setting"
    b" https://www.linkedin.com/psettings/privacy/email. You can learn more here"
    b' https://www.linkedin.com/help/linkedin/answer/261"\n'
    b"\n"
)

CONNECTIONS_2023 = NOTES + (
    b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    b" Jane ,Doe ,https://www.linkedin.com/in/jane-doe,,Acme Ltd, Careers Adviser ,04 Jul 2023\n"
    b",,,,,,14 Sep 2024\n"
    b"Zo\xc3\xab,M\xc3\xbcller,https://www.linkedin.com/in/zo%C3%AB-m%C3%BCller,zoe@example.org,"
    b"Example University,Student,01 Jan 2022"  # no final newline
)

MESSAGES_2024 = (
    b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    b"SUBJECT,CONTENT,FOLDER,ATTACHMENTS,IS MESSAGE DRAFT,IS CONVERSATION DRAFT\n"
    b"2-abc==,,Jane Doe,https://www.linkedin.com/in/jane-doe,Ann Owner,"
    b"https://www.linkedin.com/in/ann-owner,2024-11-02 09:15:00 UTC,,"
    b"Could you introduce me to someone at Acme?,INBOX,,No,No\n"
    b"2-abc==,,Ann Owner,https://www.linkedin.com/in/ann-owner,Jane Doe,"
    b"https://www.linkedin.com/in/jane-doe,2024-11-03 10:00:00 UTC,,"
    b"<p class=\"x\">I&rsquo;ll ask&nbsp;them</p>,INBOX,,No,No\n"
    b",,Ann Owner,https://www.linkedin.com/in/ann-owner,,,2024-11-04 08:00:00 UTC,,"
    b"Draft reply,,,Yes,No\n"
    b",,,,,,2024-11-05 08:00:00 UTC,,,,,,\n"
)

INVITATIONS_2024 = (
    b"From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl\n"
    b'Jane Doe,Ann Owner,"11/1/24, 9:05 AM",,INCOMING,https://www.linkedin.com/in/jane-doe,'
    b"https://www.linkedin.com/in/ann-owner\n"
    b'Ann Owner,Sam Roe,"10/30/24, 4:41 PM",Hello Sam,OUTGOING,'
    b"https://www.linkedin.com/in/ann-owner,https://www.linkedin.com/in/sam-roe\n"
)

PROFILE = (
    b"First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,Zip Code,"
    b"Geo Location,Twitter Handles,Websites,Instant Messengers\n"
    b' Ann , Owner ,,,,Careers Adviser,"Helping students\nfind their way",Higher Education,,'
    b"London,,,\n"
)


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def read_files(tmp_path: Path, files: dict[str, bytes], **kwargs) -> ExportContents:
    return read_export(write_folder(tmp_path / EXPORT, files), **kwargs)


def texts(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def error_of(call) -> BadExportError:
    with pytest.raises(BadExportError) as caught:
        call()
    assert "Traceback" not in str(caught.value)
    return caught.value


# ---------------------------------------------------------------------------------------------
# The complete current export


@pytest.fixture
def current(tmp_path) -> ExportContents:
    return read_files(tmp_path, {
        "Connections.csv": CONNECTIONS_2023,
        "messages.csv": MESSAGES_2024,
        "Invitations.csv": INVITATIONS_2024,
        "Profile.csv": PROFILE,
        "Jobs/Job Applications.csv": b"Application Date,Company Name\n",
    })


def test_contents_of_a_current_export(current):
    assert current.source == EXPORT
    assert current.export_date == dt.date(2025, 3, 14)
    assert current.owner_name == "Ann Owner"
    assert current.coach_rows == 0
    assert current.layouts == {
        "Connections.csv": "connections-2023", "messages.csv": "messages-2024",
        "Invitations.csv": "invitations-2024", "Profile.csv": "profile",
    }
    assert [name for name, _ in current.files] == [
        "Connections.csv", "messages.csv", "Invitations.csv", "Profile.csv"]
    assert all(len(digest) == 64 for _, digest in current.files)
    assert len(current.fingerprint) == 64


def test_frames_have_exactly_the_architecture_columns_and_dtypes(current):
    assert list(current.connections.columns) == [
        "first_name", "last_name", "profile_url", "email", "company", "position",
        "connected_on", "line"]
    assert list(current.messages.columns) == [
        "conversation_id", "conversation_title", "sender_name", "sender_url", "to_names",
        "recipient_urls", "sent_at", "subject", "content", "folder", "direction_raw",
        "is_draft", "line", "file"]
    assert list(current.invitations.columns) == [
        "from_name", "to_name", "sent_at", "message", "direction", "inviter_url",
        "invitee_url", "line"]
    for frame in (current.connections, current.messages, current.invitations):
        for name, dtype in frame.dtypes.items():
            if name in ("connected_on", "sent_at"):
                assert dtype == pd.DatetimeTZDtype("ns", "UTC"), name
            elif name == "line":
                assert dtype == np.int64
            elif name == "is_draft":
                assert dtype == np.dtype(bool)
            else:
                assert dtype == "string" and dtype.na_value is pd.NA, name


def test_connections_2023_notes_block_blank_person_spaces_no_final_newline(current):
    c = current.connections
    assert texts(c.first_name) == ["Jane", None, "Zoë"]
    assert texts(c.last_name) == ["Doe", None, "Müller"]
    assert texts(c.position) == ["Careers Adviser", None, "Student"]
    # Percent-encoded slugs stay raw here (people.normalise_url decodes them).
    assert texts(c.profile_url)[2] == "https://www.linkedin.com/in/zo%C3%AB-m%C3%BCller"
    assert texts(c.email) == [None, None, "zoe@example.org"]
    assert list(c.connected_on) == [utc("2023-07-04"), utc("2024-09-14"), utc("2022-01-01")]
    assert list(c.line) == [5, 6, 7]


def test_messages_2024_drafts_empty_rows_and_raw_content(current):
    m = current.messages
    assert len(m) == 4  # the row with nothing but DATE is kept
    assert list(m.is_draft) == [False, False, True, False]
    draft = m.iloc[2]
    assert pd.isna(draft.conversation_id) and pd.isna(draft.to_names) and pd.isna(draft.folder)
    assert draft.content == "Draft reply"
    assert m.content[1] == '<p class="x">I&rsquo;ll ask&nbsp;them</p>'  # entities stay raw
    assert texts(m.direction_raw) == [None] * 4
    assert m.sent_at[0] == utc("2024-11-02 09:15:00")
    empty = m.iloc[3]
    assert empty.sent_at == utc("2024-11-05 08:00:00") and pd.isna(empty.sender_name)
    assert list(m.line) == [2, 3, 4, 5]
    assert set(m.file) == {"messages.csv"}


def test_invitations_2024_keep_profile_urls(current):
    i = current.invitations
    assert texts(i.from_name) == ["Jane Doe", "Ann Owner"]
    assert texts(i.direction) == ["INCOMING", "OUTGOING"]
    assert texts(i.message) == [None, "Hello Sam"]
    assert list(i.sent_at) == [utc("2024-11-01 09:05"), utc("2024-10-30 16:41")]
    assert texts(i.inviter_url) == ["https://www.linkedin.com/in/jane-doe",
                                    "https://www.linkedin.com/in/ann-owner"]
    assert list(i.line) == [2, 3]


# ---------------------------------------------------------------------------------------------
# Older eras


def test_connections_2018_no_preamble_us_dates_at_midnight(tmp_path):
    got = read_files(tmp_path, {"Connections.csv": (
        b"First Name,Last Name,Email Address,Company,Position,Connected On\n"
        b'Jane,Doe,,Acme,Engineer,"1/8/18, 6:14 PM"\n'
        b'John,Smith,john@example.com,Beta,Manager,"12/31/17, 11:59 AM"\n')})
    assert got.layouts == {"Connections.csv": "connections-2018"}
    c = got.connections
    assert list(c.connected_on) == [utc("2018-01-08"), utc("2017-12-31")]
    assert texts(c.profile_url) == [None, None]  # no URL column: all NA, still present
    assert texts(c.email) == [None, "john@example.com"]
    assert list(c.line) == [2, 3]


def test_connections_2021_notes_block_without_url(tmp_path):
    got = read_files(tmp_path, {"Connections.csv": NOTES + (
        b"First Name,Last Name,Email Address,Company,Position,Connected On\n"
        b"Jane,Doe,,Acme,Engineer,12 Mar 2021\n")})
    assert got.layouts == {"Connections.csv": "connections-2021"}
    assert list(got.connections.line) == [5]
    assert got.connections.connected_on[0] == utc("2021-03-12")
    assert pd.isna(got.connections.profile_url[0])


def test_messages_2018_title_case_with_direction(tmp_path):
    got = read_files(tmp_path, {"messages.csv": (
        b"From,To,Date,Subject,Content,Direction,Folder\n"
        b'Jane Doe,Ann Owner,"10/16/18, 8:36 AM",Hello,Could we talk?,INCOMING,INBOX\n'
        b'Ann Owner,Jane Doe,"10/16/18, 9:02 PM",RE: Hello,Of course,OUTGOING,SENT\n')})
    assert got.layouts == {"messages.csv": "messages-2018"}
    m = got.messages
    assert texts(m.direction_raw) == ["INCOMING", "OUTGOING"]
    assert texts(m.folder) == ["INBOX", "SENT"]
    assert texts(m.conversation_id) == [None, None]
    assert list(m.sent_at) == [utc("2018-10-16 08:36"), utc("2018-10-16 21:02")]
    assert list(m.is_draft) == [False, False]


def test_messages_2020_upper_case_iso_dates(tmp_path):
    got = read_files(tmp_path, {"messages.csv": (
        b"FROM,TO,DATE,SUBJECT,CONTENT,DIRECTION,FOLDER\n"
        b"Jane Doe,Ann Owner,2019-11-06T02:08:20,,Hi Ann,incoming,INBOX\n")})
    assert got.layouts == {"messages.csv": "messages-2020"}
    assert got.messages.sent_at[0] == utc("2019-11-06 02:08:20")
    assert got.messages.direction_raw[0] == "INCOMING"


def test_messages_2021_conversation_ids_no_direction(tmp_path):
    got = read_files(tmp_path, {"messages.csv": (
        b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,"
        b"FOLDER\n"
        b"2-x==,,Jane Doe,https://www.linkedin.com/in/jane-doe,Ann Owner,"
        b"2022-09-08 18:08:14 UTC,,Thanks!,INBOX\n"
        b"2-y==,Sponsored Conversation,LinkedIn Member,,Ann Owner,2022-09-07 10:00:00 UTC,"
        b"Offer,Hi %FIRSTNAME%,INBOX\n")})
    assert got.layouts == {"messages.csv": "messages-2021"}
    m = got.messages
    assert texts(m.conversation_id) == ["2-x==", "2-y=="]
    assert texts(m.recipient_urls) == [None, None]
    assert texts(m.direction_raw) == [None, None]
    assert texts(m.sender_url) == ["https://www.linkedin.com/in/jane-doe", None]


def test_messages_2023_group_recipients_in_one_field(tmp_path):
    got = read_files(tmp_path, {"messages.csv": (
        b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
        b"DATE,SUBJECT,CONTENT,FOLDER\n"
        b'2-g==,Careers fair,Jane Doe,https://www.linkedin.com/in/jane-doe,"Ann Owner, Jo Bloggs",'
        b'"https://www.linkedin.com/in/ann-owner,https://www.linkedin.com/in/jo-bloggs",'
        b"2023-05-01 12:00:00 UTC,,See you there,ARCHIVE\n")})
    assert got.layouts == {"messages.csv": "messages-2023"}
    m = got.messages
    assert m.recipient_urls[0] == ("https://www.linkedin.com/in/ann-owner,"
                                   "https://www.linkedin.com/in/jo-bloggs")
    assert m.to_names[0] == "Ann Owner, Jo Bloggs"
    assert m.folder[0] == "ARCHIVE"


@pytest.mark.parametrize("extra_header, extra_cells, draft", [
    (b",IS MESSAGE DRAFT", b",yes", True),                       # only one optional column
    (b",ATTACHMENTS", b",https://files/1", False),
    (b",IS MESSAGE DRAFT,IS CONVERSATION DRAFT", b",No,Yes", False),
    (b",IS MESSAGE DRAFT,SOMETHING NEW", b",YES,whatever", True),  # unknown trailing column
])
def test_messages_optional_trailing_columns(tmp_path, extra_header, extra_cells, draft):
    got = read_files(tmp_path, {"messages.csv": (
        b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
        b"DATE,SUBJECT,CONTENT,FOLDER" + extra_header + b"\n"
        b"2-a==,,Jane Doe,https://www.linkedin.com/in/jane-doe,Ann Owner,"
        b"https://www.linkedin.com/in/ann-owner,2025-01-02 03:04:05 UTC,,Hello,INBOX"
        + extra_cells + b"\n")})
    assert got.layouts == {"messages.csv": "messages-2024"}
    assert list(got.messages.is_draft) == [draft]
    assert got.messages.content[0] == "Hello"


def test_columns_are_mapped_by_name_not_position(tmp_path):
    got = read_files(tmp_path, {"messages.csv": (
        b"Content,Date,From,Folder,To\n"
        b"Hello,2025-01-02 03:04:05 UTC,Jane Doe,INBOX,Ann Owner\n")})
    m = got.messages
    assert (m.sender_name[0], m.to_names[0], m.content[0]) == ("Jane Doe", "Ann Owner", "Hello")


def test_invitations_2018(tmp_path):
    got = read_files(tmp_path, {"Invitations.csv": (
        b"From,To,Sent At,Message,Direction\n"
        b'Jane Doe,Ann Owner,"3/5/19, 12:07 PM",Hi Ann - we met at the fair,INCOMING\n')})
    assert got.layouts == {"Invitations.csv": "invitations-2018"}
    i = got.invitations
    assert i.sent_at[0] == utc("2019-03-05 12:07")
    assert texts(i.inviter_url) == [None] and texts(i.invitee_url) == [None]


def test_invitations_2023_urns_cannot_be_joined(tmp_path):
    got = read_files(tmp_path, {"Invitations.csv": (
        b"From,To,Sent At,Message,Direction,inviterProfileUrn,inviteeProfileUrn\n"
        b'Jane Doe,Ann Owner,"6/1/23, 9:00 AM",,INCOMING,urn:li:member:123456,'
        b"urn:li:member:654321\n")})
    assert got.layouts == {"Invitations.csv": "invitations-2023"}
    assert texts(got.invitations.inviter_url) == [None]
    assert texts(got.invitations.invitee_url) == [None]


def test_profile_gives_owner_name_and_missing_files_give_empty_frames(tmp_path):
    got = read_files(tmp_path, {"Profile.csv": PROFILE})
    assert got.owner_name == "Ann Owner"
    for frame in (got.connections, got.messages, got.invitations):
        assert len(frame) == 0
    assert got.messages.dtypes["sent_at"] == pd.DatetimeTZDtype("ns", "UTC")
    assert got.messages.dtypes["content"] == "string"


def test_coach_files_are_counted_not_read_as_messages(tmp_path):
    header = (b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,"
              b"RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER\n")
    row = b"c,,Coach,,Ann Owner,,2024-01-01 00:00:00 UTC,,\"Tip one\nTip two\",INBOX\n"
    got = read_files(tmp_path, {
        "messages.csv": MESSAGES_2024,
        "coach_messages.csv": header + row * 2,
        "Learning Coach Messages.csv": header + row,
        "learning_role_play_messages.csv": header + row * 3,
    })
    assert got.coach_rows == 6
    assert len(got.messages) == 4
    assert "Coach" not in set(texts(got.messages.sender_name))
    assert got.layouts["coach_messages.csv"] == "coach"
    # Coach files change nothing about the snapshot's identity.
    alone = read_files(tmp_path / "b", {"messages.csv": MESSAGES_2024})
    assert alone.fingerprint == got.fingerprint


# ---------------------------------------------------------------------------------------------
# Encodings, delimiters, spreadsheets


def test_utf16le_bom_tab_separated_fully_quoted(tmp_path):
    text = ('"From"\t"To"\t"Date"\t"Subject"\t"Content"\t"Direction"\t"Folder"\r\n'
            '"Zoë Müller"\t"Ann Owner"\t"10/16/18, 8:36 AM"\t""\t"Merci, à bientôt"\t'
            '"INCOMING"\t"INBOX"\r\n'
            '"Ann Owner"\t"Zoë Müller"\t"10/17/18, 1:00 PM"\t""\t"Line one\r\nline two"\t'
            '"OUTGOING"\t"SENT"\r\n'
            '"Zoë Müller"\t"Ann Owner"\t"10/18/18, 7:15 AM"\t""\t"Thanks"\t"INCOMING"\t"INBOX"\r\n')
    got = read_files(tmp_path, {"messages.csv": b"\xff\xfe" + text.encode("utf-16-le")})
    m = got.messages
    assert got.layouts == {"messages.csv": "messages-2018"}
    assert texts(m.sender_name) == ["Zoë Müller", "Ann Owner", "Zoë Müller"]
    assert m.content[0] == "Merci, à bientôt"
    assert m.content[1] == "Line one\r\nline two"
    assert texts(m.subject) == [None, None, None]
    assert list(m.line) == [2, 3, 5]
    assert m.sent_at[2] == utc("2018-10-18 07:15")


def test_spreadsheet_copy_bom_crlf_semicolons_and_its_dates(tmp_path):
    got = read_files(tmp_path, {
        "Connections.csv": b"\xef\xbb\xbf" + NOTES.replace(b"\n", b"\r\n") + (
            b"First Name;Last Name;URL;Email Address;Company;Position;Connected On\r\n"
            b"Jane;Doe;https://www.linkedin.com/in/jane-doe;;Acme, Inc.;Engineer;29-Nov-21\r\n"
            b'"Jo";"Bloggs";;;"Uni; Careers";Adviser;16.09.2021\r\n'),
        "Invitations.csv": b"\xef\xbb\xbf" + (
            b"From;To;Sent At;Message;Direction\r\n"
            b"Jane Doe;Ann Owner;16.09.2021;;INCOMING\r\n"),
    })
    c = got.connections
    assert texts(c.first_name) == ["Jane", "Jo"]
    assert texts(c.company) == ["Acme, Inc.", "Uni; Careers"]
    assert list(c.connected_on) == [utc("2021-11-29"), utc("2021-09-16")]
    assert list(c.line) == [5, 6]
    assert got.invitations.sent_at[0] == utc("2021-09-16")
    assert got.layouts["Connections.csv"] == "connections-2023"


def test_multiline_quoted_field_line_numbers_after_it(tmp_path):
    data = (b"From,To,Date,Subject,Content,Direction,Folder\n"
            b'A,B,"10/16/18, 8:36 AM",,"first\nsecond\nthird",INCOMING,INBOX\n'
            b'B,A,"10/16/18, 8:40 AM",,plain,OUTGOING,SENT\n'
            b'A,B,"10/16/18, 8:45 AM",,"x\r\ny",INCOMING,INBOX\n'
            b'B,A,"10/16/18, 8:50 AM",,last,OUTGOING,SENT\n')
    got = read_files(tmp_path, {"messages.csv": data})
    assert list(got.messages.line) == [2, 5, 6, 8]
    assert got.messages.content[0] == "first\nsecond\nthird"
    # A blank line (which the fast reader skips silently) is still counted.
    blank = data.replace(b"plain,OUTGOING,SENT\n", b"plain,OUTGOING,SENT\n\n")
    again = read_files(tmp_path / "b", {"messages.csv": blank})
    assert list(again.messages.line) == [2, 5, 7, 9]
    assert texts(again.messages.content) == texts(got.messages.content)


def test_fast_and_exact_parsers_agree(tmp_path):
    data = (b"\xef\xbb\xbfFrom,To,Date,Subject,Content,Direction,Folder\r\n"
            b'A,B,"10/16/18, 8:36 AM",,"first\r\nsecond",INCOMING,INBOX\r\n'
            b'" B ",A,"10/16/18, 8:40 AM",,"say ""hi""",OUTGOING,SENT\r\n'
            b",,,,,,\r\n"
            b"C,A,2019-01-01T00:00:00,,,INCOMING,INBOX")
    header = csvparse.find_header(data, 3, MESSAGES, "f")
    wanted = {k: v for k, v in header.columns.items() if k in MESSAGES.aliases}
    end = csvparse._trimmed_end(data, header.body_start)
    args = (data, header.body_start, end, header, wanted, header.line + 1, "f", ReadLimits(),
            "UTF-8")
    fast = csvparse._parse_fast(*args)
    fast = fast and csvparse._clean(*fast)
    exact = csvparse._clean(*csvparse._parse_exact(*args))
    assert fast is not None
    assert list(fast[1]) == list(exact[1]) == [2, 4, 6]  # the all-empty row is dropped
    for column in wanted:
        assert fast[0][column].to_pylist() == exact[0][column].to_pylist(), column


def test_header_search_stops_after_twenty_lines(tmp_path):
    data = b"junk\n" * 25 + b"First Name,Last Name,Connected On\n"
    error = error_of(lambda: csvparse.parse(data, CONNECTIONS, "Connections.csv", ReadLimits()))
    assert "Connections.csv, line 1" in str(error)


# ---------------------------------------------------------------------------------------------
# Finding files: nesting, renaming, case, zip vs folder


def test_nested_renamed_folders_with_case_and_space_variants(tmp_path):
    root = tmp_path / "Downloads"
    write_folder(root, {
        f"{EXPORT} (1)/{EXPORT}/CONNECTIONS.csv": CONNECTIONS_2023,
        f"{EXPORT} (1)/{EXPORT}/Messages.CSV": MESSAGES_2024,
        f"{EXPORT} (1)/{EXPORT}/Learning Coach Messages.csv":
            b"FROM,TO,DATE,CONTENT\nCoach,Ann,2024-01-01 00:00:00 UTC,hi\n",
        f"{EXPORT} (1)/{EXPORT}/Jobs/Saved Jobs.csv": b"Saved Date,Job Url\n",
        # A nested copy: later in sorted path order, so ignored.
        f"{EXPORT} (1)/{EXPORT}/old copy/messages.csv": b"not,a,messages,file\n",
        "zz/profile.csv": PROFILE,
    })
    got = read_export(root)
    assert got.source == "Downloads"
    assert got.export_date == dt.date(2025, 3, 14)  # from a folder on the way
    assert len(got.connections) == 3 and len(got.messages) == 4
    assert got.owner_name == "Ann Owner"
    assert got.coach_rows == 1
    assert set(got.messages.file) == {f"{EXPORT} (1)/{EXPORT}/Messages.CSV"}
    assert find_export_files(root) == {
        "connections": f"{EXPORT} (1)/{EXPORT}/CONNECTIONS.csv",
        "messages": f"{EXPORT} (1)/{EXPORT}/Messages.CSV",
        "learning_coach_messages": f"{EXPORT} (1)/{EXPORT}/Learning Coach Messages.csv",
        "profile": "zz/profile.csv",
    }


def test_zip_and_folder_give_the_same_contents_and_fingerprint(tmp_path):
    files = {"Connections.csv": CONNECTIONS_2023, "messages.csv": MESSAGES_2024,
             "Invitations.csv": INVITATIONS_2024, "Profile.csv": PROFILE}
    folder = read_export(write_folder(tmp_path / "unzipped", files))
    zipped = read_export(write_zip(tmp_path / f"{EXPORT}.zip", files))
    nested = read_export(write_zip(tmp_path / "renamed.zip",
                                   {f"{EXPORT}/{k.lower()}": v for k, v in files.items()}))
    assert zipped.source == f"{EXPORT}.zip"
    assert zipped.export_date == dt.date(2025, 3, 14)
    assert folder.export_date is None
    assert nested.export_date == dt.date(2025, 3, 14)
    assert folder.fingerprint == zipped.fingerprint == nested.fingerprint
    for a, b in ((folder, zipped), (folder, nested)):
        for name in ("connections", "invitations"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        pd.testing.assert_frame_equal(a.messages.drop(columns="file"),
                                      b.messages.drop(columns="file"))
        assert sorted(a.layouts.values()) == sorted(b.layouts.values())
    changed = read_export(write_folder(tmp_path / "other", {
        **files, "Profile.csv": PROFILE.replace(b"Owner", b"Owen")}))
    assert changed.fingerprint != folder.fingerprint


# ---------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize("text, expected", [
    ("04 Jul 2023", "2023-07-04 00:00"),
    ("1/8/18, 6:14 PM", "2018-01-08 18:14"),
    ("10/16/18, 12:05 AM", "2018-10-16 00:05"),
    ("2022-09-08 18:08:14 UTC", "2022-09-08 18:08:14"),
    ("2019-11-06T02:08:20", "2019-11-06 02:08:20"),
    ("2019/11/06 02:08:20 UTC", "2019-11-06 02:08:20"),
    ("29-Nov-21", "2021-11-29 00:00"),
    ("16.09.2021", "2021-09-16 00:00"),
    ("Thu Sep 08 18:08:14 UTC 2022", "2022-09-08 18:08:14"),
    ("Jul 2023", "2023-07-01 00:00"),
    ("2023", "2023-01-01 00:00"),
    ("  4 jul 2023 ", "2023-07-04 00:00"),
    ("2022-9-8 8:08:14 UTC", "2022-09-08 08:08:14"),
])
def test_each_date_format(text, expected):
    got = parse_dates(pd.Series([text]))
    assert got.dtype == pd.DatetimeTZDtype("ns", "UTC")
    assert got[0] == utc(expected)


def test_parse_dates_mixed_empty_and_index_kept():
    values = pd.Series(["", None, "04 Jul 2023", "2022-09-08 18:08:14 UTC", "Jul 2023"],
                       index=[10, 11, 12, 13, 14], dtype="string")
    got = parse_dates(values)
    assert list(got.index) == [10, 11, 12, 13, 14]
    assert got.isna().tolist() == [True, True, False, False, False]
    assert len(DATE_FORMATS) == 10


def test_parse_dates_agrees_with_pandas_format_by_format():
    values = ["04 Jul 2023", "4 July 2023", "31 Feb 2023", "29 Feb 2024", "1/8/18, 6:14 PM",
              "01/08/18, 06:14 PM", "13/08/18, 06:14 PM", "2022-09-08 18:08:60 UTC",
              "2022-02-30 10:00:00 UTC", "Mon Sep 08 18:08:14 UTC 2022", "0023"]
    for value in values:
        expected = pd.NaT
        for fmt in DATE_FORMATS:
            candidate = pd.to_datetime(pd.Series([value]), format=fmt, errors="coerce")[0]
            if candidate is not pd.NaT:
                expected = candidate
                break
        if expected is pd.NaT or not (1678 <= expected.year <= 2261):
            with pytest.raises(BadExportError):
                parse_dates(pd.Series([value]))
        else:
            assert parse_dates(pd.Series([value]))[0] == expected.tz_localize("UTC"), value


# ---------------------------------------------------------------------------------------------
# Bad input: every message names the file, the line, what is wrong and what to do


def test_missing_path(tmp_path):
    error = error_of(lambda: read_export(tmp_path / "nowhere.zip"))
    assert "nowhere.zip" in str(error) and "no file or folder" in str(error)


def test_not_an_export(tmp_path):
    root = write_folder(tmp_path / "Holiday photos", {"notes.csv": b"a,b\n1,2\n"})
    error = error_of(lambda: read_export(root))
    assert "Holiday photos" in str(error) and "not a LinkedIn data export" in str(error)
    assert "Connections.csv" in str(error)
    assert find_export_files(root) == {}


def test_a_single_csv_is_not_an_export(tmp_path):
    path = write_folder(tmp_path, {"Connections.csv": CONNECTIONS_2023}) / "Connections.csv"
    assert "folder that holds it" in str(error_of(lambda: read_export(path)))


def test_truncated_zip(tmp_path):
    whole = write_zip(tmp_path / f"{EXPORT}.zip", {"Connections.csv": CONNECTIONS_2023 * 50,
                                                   "messages.csv": MESSAGES_2024 * 50})
    cut = tmp_path / "cut" / f"{EXPORT}.zip"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    error = error_of(lambda: read_export(cut))
    assert f"{EXPORT}.zip" in str(error) and "download" in str(error).lower()


def test_unknown_header(tmp_path):
    error = error_of(lambda: read_files(tmp_path, {
        "Connections.csv": b"Vorname,Nachname,Firma\nJane,Doe,Acme\n"}))
    assert error.file.startswith("Connections.csv in ") and error.line == 1
    assert "Connections.csv" in str(error) and "line 1" in str(error)
    assert "header" in str(error) and "Connected On" in str(error)


def test_unknown_header_after_notes_points_at_the_header_line(tmp_path):
    error = error_of(lambda: read_files(tmp_path, {
        "Connections.csv": NOTES + b"Vorname,Nachname,Firma,Position\nJane,Doe,Acme,CEO\n"}))
    assert error.line == 4


def test_undecodable_bytes_name_the_line(tmp_path):
    data = MESSAGES_2024.replace(b"Draft reply", b"Draft r\xe9ply")  # Latin-1 in UTF-8
    error = error_of(lambda: read_files(tmp_path, {"messages.csv": data}))
    assert error.line == 4 and "messages.csv" in str(error) and "line 4" in str(error)
    assert "download the export again" in str(error).lower()


def test_undecodable_utf16(tmp_path):
    text = '"From"\t"To"\t"Date"\t"Content"\r\n"A"\t"B"\t"2019"\t"x"\r\n'.encode("utf-16-le")
    data = b"\xff\xfe" + text + b"\x00\xd8"  # a lone surrogate on line 3
    error = error_of(lambda: read_files(tmp_path, {"messages.csv": data}))
    assert error.line == 3


def test_bad_date_names_file_line_and_value(tmp_path):
    data = CONNECTIONS_2023.replace(b"01 Jan 2022", b"the first of January")
    error = error_of(lambda: read_files(tmp_path, {"Connections.csv": data}))
    assert error.line == 7
    assert "'the first of January'" in str(error) and "Connected On" in str(error)
    assert str(error).startswith(f"Connections.csv in {EXPORT}, line 7:")


def test_bad_date_after_a_multiline_field(tmp_path):
    data = (b"From,To,Date,Subject,Content,Direction,Folder\n"
            b'A,B,"10/16/18, 8:36 AM",,"a\nb\nc",INCOMING,INBOX\n'
            b"B,A,yesterday,,x,OUTGOING,SENT\n")
    assert error_of(lambda: read_files(tmp_path, {"messages.csv": data})).line == 5


def test_export_fingerprint_without_parsing_matches_read_export(tmp_path):
    from adviser_analytics.export.fingerprint import export_fingerprint

    files = {"Connections.csv": CONNECTIONS_2023, "messages.csv": MESSAGES_2024,
             "Profile.csv": PROFILE, "coach_messages.csv": b"FROM,DATE,CONTENT\n"}
    folder = write_folder(tmp_path / "folder", files)
    zipped = write_zip(tmp_path / f"{EXPORT}.zip",
                       {f"inner/{k.upper()}": v for k, v in files.items()})
    expected = read_export(folder).fingerprint
    assert export_fingerprint(folder) == export_fingerprint(zipped) == expected
    assert read_export(zipped).fingerprint == expected
    with pytest.raises(BadExportError):
        export_fingerprint(write_folder(tmp_path / "empty", {"x.csv": b"a\n"}))


def test_multiline_cells_across_pyarrow_blocks(monkeypatch):
    rows = []
    for i in range(300):
        content = f'"note {i}\nsecond line"' if i % 7 == 3 else f"note {i}"
        rows.append(f"P{i},2024-01-01 00:00:00 UTC,{content}\n")
    data = ("FROM,DATE,CONTENT\n" + "".join(rows)).encode()
    monkeypatch.setattr(csvparse, "_BLOCK_SIZE", 256)
    header = csvparse.find_header(data, 0, MESSAGES, "f")
    wanted = {k: v for k, v in header.columns.items() if k in MESSAGES.aliases}
    args = (data, header.body_start, csvparse._trimmed_end(data, header.body_start), header,
            wanted, 2, "f", ReadLimits(), "UTF-8")
    fast = csvparse._parse_fast(*args)
    assert fast is not None
    exact = csvparse._parse_exact(*args)
    assert list(fast[1]) == list(exact[1])
    assert fast[0]["content"].to_pylist() == exact[0]["content"].to_pylist()
    assert fast[0]["content"].to_pylist()[3] == "note 3\nsecond line"
    assert fast[1][4] == 7  # row 5 starts after row 4's two lines


def test_coach_file_with_an_unknown_header_is_still_only_counted(tmp_path):
    got = read_files(tmp_path, {
        "Profile.csv": PROFILE,
        "learning_role_play_messages.csv": b"SCENARIO,TURN,TEXT\nInterview,1,\"Hi\nthere\"\n"
                                           b"Interview,2,Bye\n\n",
    })
    assert got.coach_rows == 2
    assert got.layouts["learning_role_play_messages.csv"] == "coach-unknown"


def test_utf16le_without_bom(tmp_path):
    text = "From,To,Sent At,Message,Direction\r\nZoë,Ann,\"1/2/24, 3:04 PM\",,INCOMING\r\n"
    got = read_files(tmp_path, {"Invitations.csv": text.encode("utf-16-le")})
    assert got.invitations.from_name[0] == "Zoë"


def test_short_rows_are_padded_long_rows_refused(tmp_path):
    short = read_files(tmp_path, {"Invitations.csv": (
        b"From,To,Sent At,Message,Direction\n"
        b'Jane Doe,Ann Owner,"11/1/24, 9:05 AM"\n'
        b'Jo Bloggs,Ann Owner,"11/2/24, 9:05 AM",,INCOMING,,\n')})
    assert texts(short.invitations.direction) == [None, "INCOMING"]
    assert list(short.invitations.line) == [2, 3]
    error = error_of(lambda: read_files(tmp_path / "b", {"Invitations.csv": (
        b"From,To,Sent At,Message,Direction\n"
        b'Jane Doe,Ann Owner,"11/1/24, 9:05 AM",Hello, Ann,INCOMING\n')}))
    assert error.line == 2 and "6 cells" in str(error)
