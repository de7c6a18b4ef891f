"""``adviser-analytics contacts export FILE.vcf|FILE.csv``: every connection as a contact card.

So that LinkedIn is never the only place the adviser's contacts live. The vCard (3.0) is
written with the ``vobject`` library: name, e-mail where the person shared it, company (ORG),
position (TITLE), LinkedIn profile (URL), the day of connecting (NOTE and
``X-LINKEDIN-CONNECTED-ON``) and the relationship as CATEGORIES. The CSV uses the column
names of Google Contacts' import ("First Name", "Last Name", "E-mail 1 - Value",
"Organization 1 - Name", "Organization 1 - Title", "Website 1 - Value", "Notes", "Labels"),
which Google Contacts, Apple Contacts (via Google) and Outlook.com all read; its text cells
are safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from adviser_analytics.textsafety import spreadsheet_safe_frame

__all__ = ["GOOGLE_COLUMNS", "contact_rows", "to_vcard", "to_google_csv", "split_name"]

GOOGLE_COLUMNS = ["First Name", "Last Name", "E-mail 1 - Value", "Organization 1 - Name",
                  "Organization 1 - Title", "Website 1 - Value", "Notes", "Labels"]
RELATIONSHIP_WORDS = {"client": "Client", "colleague": "Colleague",
                      "professional": "Professional contact", "personal": "Personal",
                      "unknown": "Unknown", "spam": "Spam"}


def _text(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) \
        else str(value).strip()


def split_name(name: str) -> tuple[str, str]:
    """``(first, last)``: LinkedIn's first name is the first word here (the workspace keeps
    the full name only); the rest is the last name."""
    parts = _text(name).split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0] if parts else "", "")


def contact_rows(ws) -> pd.DataFrame:
    """Every connection with its relationship: ``name, first_name, last_name, email, company,
    position, profile_url, connected_on (date), relationship``, ordered by name."""
    from adviser_analytics.metrics.drift import relationships

    frame = ws.connections()
    rel = relationships(ws.labels("relationship"))
    frame = frame.assign(relationship=frame["person_key"].map(rel))
    frame = frame[frame["name"].notna() | frame["profile_url"].notna()].copy()
    names = frame["name"].map(_text)
    split = names.map(split_name)
    frame["first_name"] = split.str[0]
    frame["last_name"] = split.str[1]
    frame["connected_on"] = frame["connected_on"].dt.date
    return frame.sort_values("name", key=lambda s: s.str.casefold()).reset_index(drop=True)[
        ["person_key", "name", "first_name", "last_name", "email", "company", "position",
         "profile_url", "connected_on", "relationship"]]


def _note(row) -> str:
    parts = []
    if row.connected_on is not None and row.connected_on == row.connected_on:
        parts.append(f"Connected on LinkedIn on {row.connected_on.isoformat()}.")
    if _text(row.relationship):
        parts.append(f"Relationship: {RELATIONSHIP_WORDS.get(row.relationship, row.relationship)}.")
    return " ".join(parts)


def vcard_vobject(rows: pd.DataFrame) -> str:
    """All cards as one vCard 3.0 text, each built and serialised by ``vobject`` (the
    reference :func:`to_vcard` is checked against; about 1 ms a card)."""
    import vobject

    cards = []
    for row in rows.itertuples(index=False):
        card = vobject.vCard()
        card.add("n").value = vobject.vcard.Name(family=row.last_name, given=row.first_name)
        card.add("fn").value = _text(row.name) or _text(row.profile_url)
        if _text(row.email):
            email = card.add("email")
            email.value = _text(row.email)
            email.type_param = "INTERNET"
        if _text(row.company):
            card.add("org").value = [_text(row.company)]
        if _text(row.position):
            card.add("title").value = _text(row.position)
        if _text(row.profile_url):
            card.add("url").value = _text(row.profile_url)
        if row.connected_on is not None and row.connected_on == row.connected_on:
            card.add("x-linkedin-connected-on").value = row.connected_on.isoformat()
        note = _note(row)
        if note:
            card.add("note").value = note
        if _text(row.relationship):
            card.add("categories").value = [
                RELATIONSHIP_WORDS.get(row.relationship, row.relationship)]
        cards.append(card.serialize(validate=False))  # N and FN are always there
    return "".join(cards)


def _escape(values: pd.Series) -> pd.Series:
    """vCard text escaping (RFC 2426, as ``vobject`` writes it), for a whole column."""
    return (values.str.replace("\\", "\\\\", regex=False).str.replace(";", "\\;", regex=False)
            .str.replace(",", "\\,", regex=False).str.replace("\r\n", "\\n", regex=False)
            .str.replace("\n", "\\n", regex=False).str.replace("\r", "\\n", regex=False))


def _fold(line: str) -> str:
    """One content line folded as ``vobject`` folds it: lines of 75 characters or more are
    cut before 75 octets (never inside a character), continued after a space."""
    if len(line) < 75:
        return line + "\r\n"
    out, octets = [], 0
    for char in line:
        size = len(char.encode("utf-8"))
        if octets + size > 75:
            out.append("\r\n ")
            octets = 1
        out.append(char)
        octets += size
    return "".join(out) + "\r\n"


def to_vcard(rows: pd.DataFrame) -> str:
    """All cards as one vCard 3.0 text (CRLF line ends, as the standard asks): the same
    bytes :func:`vcard_vobject` writes (a test holds them equal), made column by column
    instead of one ``vobject`` object per card, which took over a minute at 30,000
    connections. Properties in ``vobject``'s order (VERSION, then by name)."""
    text = {c: rows[c].map(_text) for c in ("name", "email", "company", "position",
                                            "profile_url")}
    connected = rows["connected_on"].map(
        lambda d: d.isoformat() if d is not None and d == d else "")
    relationship = rows["relationship"].map(
        lambda r: RELATIONSHIP_WORDS.get(r, r) if _text(r) else "")
    note = pd.Series([_note(r) for r in rows.itertuples(index=False)], index=rows.index,
                     dtype=object)
    fn = text["name"].where(text["name"] != "", text["profile_url"])
    lines = [  # (property prefix, value, whether the card has it)
        ("CATEGORIES:", _escape(relationship), relationship != ""),
        ("EMAIL;TYPE=INTERNET:", _escape(text["email"]), text["email"] != ""),
        ("FN:", _escape(fn), pd.Series(True, index=rows.index)),
        ("N:", _escape(rows["last_name"].astype(str)) + ";"
         + _escape(rows["first_name"].astype(str)) + ";;;", pd.Series(True, index=rows.index)),
        ("NOTE:", _escape(note), note != ""),
        ("ORG:", _escape(text["company"]), text["company"] != ""),
        ("TITLE:", _escape(text["position"]), text["position"] != ""),
        ("URL:", _escape(text["profile_url"]), text["profile_url"] != ""),
        ("X-LINKEDIN-CONNECTED-ON:", _escape(connected), connected != ""),
    ]
    columns = [[prefix + v if p else None for v, p in zip(values, present, strict=True)]
               for prefix, values, present in lines]
    out = []
    for card in zip(*columns, strict=True):
        out.append("BEGIN:VCARD\r\nVERSION:3.0\r\n")
        out.extend(_fold(line) for line in card if line is not None)
        out.append("END:VCARD\r\n")
    return "".join(out)


def to_google_csv(rows: pd.DataFrame) -> str:
    """The Google Contacts CSV (formula-safe text cells)."""
    relationship = rows["relationship"].map(
        lambda r: RELATIONSHIP_WORDS.get(r, r) if _text(r) else "")
    frame = pd.DataFrame({
        "First Name": rows["first_name"], "Last Name": rows["last_name"],
        "E-mail 1 - Value": rows["email"].map(_text), "Organization 1 - Name": rows["company"].map(_text),
        "Organization 1 - Title": rows["position"].map(_text),
        "Website 1 - Value": rows["profile_url"].map(_text),
        "Notes": [_note(r) for r in rows.itertuples(index=False)],
        "Labels": ["LinkedIn" + (f" ::: {r}" if r else "") for r in relationship],
    }, columns=GOOGLE_COLUMNS)
    buffer = io.StringIO()
    spreadsheet_safe_frame(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL,
                                         lineterminator="\r\n")
    return buffer.getvalue()


# ---------------------------------------------------------------------- command
