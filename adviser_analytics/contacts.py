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


def to_vcard(rows: pd.DataFrame) -> str:
    """All cards as one vCard 3.0 text (CRLF line ends, as the standard asks)."""
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
