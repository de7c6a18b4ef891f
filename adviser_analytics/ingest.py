"""Ingest: turn a read export into workspace rows, merging with what is already there.

Definitions implemented here (see ``domain.md`` and ``linkedin-export-format.md``):

- The **owner** is the person named in Profile.csv; their profile URL is the sender URL
  most often written beside that name. Without Profile.csv, the owner is the participant
  present in the most conversations.
- A message is **outbound** when the owner sent it (the ``Direction`` column where the export
  has one, else the sender's URL, else the sender's name).
- Exports before 2021 have no conversation id: a conversation is rebuilt as the owner plus one
  counterpart (``legacy:<counterpart>``).
- A row is **person-to-person** unless it is one of (first match wins): ``redacted`` (all empty
  but the date), ``draft``, ``spam_folder``, ``sponsored`` (sponsored title, ``%FIRSTNAME%``
  placeholders, company mail without a profile), ``hidden_member`` (``LinkedIn Member`` without
  a URL), ``system`` (``Message request accepted`` and the like). AI-coach files are counted as
  ``coach`` and not stored. Connections rows without a person are ``blank_person``.
- Rows are merged by natural keys; each keeps the export dates on which it was first and last
  seen, so a re-ingest adds nothing and an older export adds only what was missing.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from adviser_analytics.errors import WorkspaceError
from adviser_analytics.export import ExportContents, read_export
from adviser_analytics.export.fingerprint import export_fingerprint
from adviser_analytics.people import name_key, name_keys, normalise_url, normalise_urls, person_keys
from adviser_analytics.store import Owner, Workspace, message_keys, natural_key_hashes, utc_now
from adviser_analytics.store import snapshots as store
from adviser_analytics.store.erasure import respect_register
from adviser_analytics.textsafety import strip_html

HIDDEN_MEMBER = "linkedin member"
SPONSORED_TITLE = "sponsored conversation"
_PLACEHOLDER = r"%[A-Z][A-Z_]*%"
_SYSTEM = (
    r"(?:Message request accepted\.?"
    r"|.{1,100} left the conversation\.?"
    r"|.{1,100} added .{1,300} to the conversation\.?"
    r"|.{1,100} removed .{1,300} from the conversation\.?"
    r"|.{1,100} changed the conversation title to .{0,300})"
)
_HTML_START = r"^\s*<(?:p|div|span|br|a|ul|ol|li|strong|em|b|i|h[1-6])\b"
SKIP_REASONS = (
    "blank_person", "redacted", "draft", "spam_folder", "sponsored", "hidden_member", "system",
    "coach", "undated",
)


@dataclass
class IngestResult:
    """What one ``ingest`` command did, in the contract's ``ingest --json`` shape."""

    snapshots_added: int = 0
    added: Counter = field(default_factory=Counter)
    totals: dict = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    exports: list = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)
    """Where the time went: ``fingerprint``, ``read``, ``prepare``, ``write``, ``commit`` (for
    the bench)."""

    def to_dict(self) -> dict:
        return {
            "snapshots_added": self.snapshots_added,
            **{
                kind: {"added": self.added[kind], "total": self.totals.get(kind, 0)}
                for kind in ("connections", "messages", "invitations")
            },
            "skipped": {reason: self.skipped[reason] for reason in SKIP_REASONS
                        if self.skipped[reason]},
            "exports": self.exports,
        }


# ---------------------------------------------------------------------- pure preparation
def _text(series: pd.Series) -> pd.Series:
    return series.astype("string")


def _iso_seconds(times: pd.Series) -> pd.Series:
    """UTC timestamps as ``YYYY-MM-DDTHH:MM:SSZ`` text (vectorised, in NumPy; floored to the second)."""
    seconds = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    text = np.datetime_as_string(seconds, unit="s", timezone="UTC")  # floors, ends in Z
    return pd.Series(pd.array(pa.array(text, type=pa.string()), dtype="string"),
                     index=times.index).where(times.notna())


def _iso_dates(times: pd.Series) -> pd.Series:
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    return pd.Series(np.datetime_as_string(values, unit="D"), index=times.index,
                     dtype="string").where(times.notna())


def find_owner(contents: ExportContents, known: Owner | None = None) -> Owner:
    """The account holder of an export (see the module docstring)."""
    messages = contents.messages
    name = contents.owner_name or (known.name if known else None)
    url = None
    if len(messages) and messages["sender_url"].notna().any():
        with_url = messages.loc[messages["sender_url"].notna(),
                                ["conversation_id", "sender_url", "sender_name"]]
        if name:
            same_name = with_url["sender_url"][name_keys(with_url["sender_name"]) == name_key(name)]
            if len(same_name):
                url = normalise_url(same_name.mode().iloc[0])
        if url is None:
            per_conversation = (
                with_url[["conversation_id", "sender_url"]].dropna().drop_duplicates()
                ["sender_url"].value_counts()
            )
            if len(per_conversation):
                raw = per_conversation.index[0]
                url = normalise_url(raw)
                if not name:
                    names = with_url.loc[with_url["sender_url"] == raw, "sender_name"].dropna()
                    name = names.mode().iloc[0] if len(names) else None
    if not name and len(messages):
        if messages["direction_raw"].notna().any():
            outgoing = messages.loc[messages["direction_raw"] == "OUTGOING", "sender_name"].dropna()
            name = outgoing.mode().iloc[0] if len(outgoing) else None
        if not name:
            senders = messages["sender_name"].dropna()
            name = senders.mode().iloc[0] if len(senders) else None
    if url is None and known and known.profile_url and name and known.name and \
            name_key(name) == name_key(known.name):
        url = known.profile_url
    return Owner(name, url)


def check_same_owner(found: Owner, known: Owner, source: str) -> None:
    """Refuse an export that belongs to another account than the workspace's."""
    if not (known.name or known.profile_url):
        return
    if found.profile_url and known.profile_url:
        same = found.profile_url == known.profile_url
    elif found.name and known.name:
        same = name_key(found.name) == name_key(known.name)
    else:
        same = True
    if not same:
        raise WorkspaceError(
            f"this export belongs to {found.name or found.profile_url}, but the workspace "
            f"holds the exports of {known.name or known.profile_url}",
            file=source,
            what_to_do="use a separate --workspace for each LinkedIn account",
        )


def prepare_connections(connections: pd.DataFrame, export_date: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People rows from Connections.csv, and the blank-person rows counted by date."""
    first = _text(connections["first_name"]).fillna("")
    last = _text(connections["last_name"]).fillna("")
    name = (first + " " + last).str.strip().replace("", pd.NA)
    blank = name.isna() & connections["profile_url"].isna()
    profile_url = normalise_urls(connections["profile_url"])
    keys = person_keys(connections["profile_url"], name, normalised=profile_url)
    people = pd.DataFrame({
        "person_key": keys,
        "name": name,
        "profile_url": profile_url,
        "company": _text(connections["company"]),
        "position": _text(connections["position"]),
        "email": _text(connections["email"]),
        "connected_on": _iso_dates(connections["connected_on"]),
        "seen_on": export_date,
    })[~blank].drop_duplicates("person_key", keep="first")
    blanks = (
        pd.DataFrame({"connected_on": _iso_dates(connections["connected_on"])[blank]})
        .fillna({"connected_on": ""})
        .groupby("connected_on").size().rename("rows").reset_index()
    )
    return people, blanks


def prepare_messages(messages: pd.DataFrame, owner: Owner, export_date: str) -> pd.DataFrame:
    """Messages with sender key, direction, conversation, counterpart and exclusion reason."""
    m = messages
    sender_name = _text(m["sender_name"])
    sender_url = normalise_urls(m["sender_url"])
    sender_key = person_keys(m["sender_url"], sender_name, normalised=sender_url)
    owner_name_key = name_key(owner.name)
    sender_is_owner_by_name = (name_keys(sender_name) == owner_name_key).fillna(False)
    owner_key = owner.key
    has_urls = bool(m["sender_url"].notna().any())

    if m["direction_raw"].notna().any():
        outbound = (m["direction_raw"] == "OUTGOING").fillna(False)
        outbound |= m["direction_raw"].isna() & sender_is_owner_by_name
    elif owner.profile_url:
        outbound = (sender_key == owner.profile_url).fillna(False)
        outbound |= m["sender_url"].isna() & sender_is_owner_by_name
    else:
        outbound = sender_is_owner_by_name
    outbound = outbound.astype(bool)

    # Conversations: LinkedIn's id, else (pre-2021) the owner plus one counterpart.
    conversation = _text(m["conversation_id"])
    legacy = conversation.isna() & m["direction_raw"].notna()
    if legacy.any():
        other = sender_name.where(~outbound, _text(m["to_names"]))
        conversation = conversation.mask(legacy, "legacy:" + name_keys(other).fillna("unknown"))
    conversation = conversation.fillna("(no conversation)")

    # Exclusion reasons, first match wins.
    title = _text(m["conversation_title"]).str.casefold()
    folder = _text(m["folder"]).str.upper()
    content_raw = _text(m["content"])
    text_columns = ["conversation_id", "conversation_title", "sender_name", "sender_url",
                    "to_names", "recipient_urls", "subject", "content", "folder"]
    redacted = m[text_columns].isna().all(axis=1)
    draft = m["is_draft"].fillna(False).astype(bool) | folder.isna()
    spam = (folder == "SPAM").fillna(False)
    hidden = (sender_name.str.casefold() == HIDDEN_MEMBER).fillna(False) & m["sender_url"].isna()
    company_mail = (
        has_urls & m["sender_url"].isna() & sender_name.notna() & ~hidden & ~outbound
    )
    sponsored = (
        (title == SPONSORED_TITLE).fillna(False)
        | content_raw.str.contains(_PLACEHOLDER, regex=True).fillna(False)
        | company_mail
    )
    candidates = (
        content_raw.str.contains("conversation", regex=False, case=False)
        | content_raw.str.contains("request accepted", regex=False, case=False)
    ).fillna(False) & (content_raw.str.len().fillna(0) < 500)
    system = pd.Series(False, index=m.index)
    system[candidates] = content_raw[candidates].str.strip().str.fullmatch(_SYSTEM, case=False).fillna(False)
    exclusion = pd.Series(
        np.select(
            [redacted, draft, spam, sponsored, hidden, system],
            ["redacted", "draft", "spam_folder", "sponsored", "hidden_member", "system"],
            default="",
        ),
        index=m.index, dtype="string",
    ).replace("", pd.NA)

    content = _clean_content(content_raw)
    sent_at = _iso_seconds(m["sent_at"])
    sender = sender_key.fillna("")

    # The counterpart: the sender of inbound messages; for the owner's messages, the
    # conversation's first other sender, else its first recipient.
    first_other = (
        pd.DataFrame({"c": conversation, "k": sender_key})[~outbound & sender_key.notna()]
        .drop_duplicates("c").set_index("c")["k"]
    )
    counterpart = sender_key.where(~outbound, conversation.map(first_other))
    needs_recipient = outbound & counterpart.isna()
    if needs_recipient.any():
        recipients = _text(m["recipient_urls"])[needs_recipient].str.split(
            r"\s*[,;]\s*", n=1, regex=True).str[0]
        counterpart[needs_recipient] = person_keys(recipients, _text(m["to_names"])[needs_recipient])
    if owner_key:
        counterpart = counterpart.mask(counterpart == owner_key)

    frame = pd.DataFrame({
        "conversation_id": conversation,
        "conversation_title": _text(m["conversation_title"]),
        "sent_at": sent_at,
        "sender_key": sender,
        "sender_name": sender_name,
        "sender_url": sender_url,
        "to_names": _text(m["to_names"]),
        "recipient_urls": _text(m["recipient_urls"]),
        "subject": _text(m["subject"]),
        "content": content,
        "folder": _text(m["folder"]),
        "direction": np.where(outbound, "outbound", "inbound"),
        "counterpart_key": counterpart.astype("string"),
        "exclusion": exclusion,
        "seen_on": export_date,
    })
    frame = frame[frame["sent_at"].notna()]
    natural_key = ["conversation_id", "sent_at", "sender_key"]
    hashes = natural_key_hashes(frame)
    # Equal hashes: the candidates for repetition (exactly grouped by their text below).
    repeated = pd.Series(hashes, index=frame.index).duplicated(keep=False)
    frame["occurrence"] = 0
    if repeated.any():
        frame.loc[repeated, "occurrence"] = (
            frame[repeated].groupby(natural_key, sort=False).cumcount())
    frame["message_key"] = message_keys(frame, hashes)
    return frame


def _clean_content(content: pd.Series) -> pd.Series:
    """HTML bodies to plain text and entities decoded, once (distinct values only)."""
    needs = content.str.contains("[&<]", regex=True).fillna(False)
    if not needs.any():
        return content
    marked = content[needs]
    is_html = marked.str.contains(_HTML_START, regex=True, case=False).fillna(False)
    html_values = set(pd.unique(marked[is_html]))
    mapping = {
        value: strip_html(value) if value in html_values else html.unescape(value)
        for value in pd.unique(marked)
    }
    cleaned = content.copy()
    cleaned[needs] = marked.map(mapping)
    return cleaned


def prepare_invitations(invitations: pd.DataFrame, export_date: str) -> tuple[pd.DataFrame, Counter]:
    """Invitations keyed by direction, counterpart name and time sent; and the rows that
    cannot be keyed, counted by reason (``blank_person``: no name, ``undated``: no time)."""
    i = invitations
    incoming = (_text(i["direction"]).str.upper() == "INCOMING").fillna(False)
    name = _text(i["from_name"]).where(incoming, _text(i["to_name"]))
    url = _text(i["inviter_url"]).where(incoming, _text(i["invitee_url"]))
    frame = pd.DataFrame({
        "direction": np.where(incoming, "incoming", "outgoing"),
        "name_key": name_keys(name),
        "sent_at": _iso_seconds(i["sent_at"]),
        "person_key": person_keys(url, name),
        "name": name,
        "profile_url": normalise_urls(url),
        "message": _text(i["message"]),
        "seen_on": export_date,
    })
    unkeyed = Counter(blank_person=int(frame["name_key"].isna().sum()),
                      undated=int((frame["name_key"].notna() & frame["sent_at"].isna()).sum()))
    keyed = frame[frame["name_key"].notna() & frame["sent_at"].notna()]
    return keyed.drop_duplicates(["direction", "name_key", "sent_at"]), unkeyed


# ---------------------------------------------------------------------- writing
def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple]:
    """DataFrame rows as tuples with ``None`` for missing values (what sqlite3 binds), made
    one at a time as ``executemany`` consumes them (no list of every row in memory)."""
    values = []
    for column in columns:
        series = frame[column]
        if series.dtype.kind in "iub":
            values.append(series.tolist())
        else:
            values.append(series.to_numpy(dtype=object, na_value=None))
    return zip(*values, strict=True)


def _export_date(contents: ExportContents) -> str:
    if contents.export_date:
        return contents.export_date.isoformat()
    latest = [
        frame[column].max()
        for frame, column in (
            (contents.messages, "sent_at"),
            (contents.connections, "connected_on"),
            (contents.invitations, "sent_at"),
        )
        if len(frame) and frame[column].notna().any()
    ]
    return max(latest).strftime("%Y-%m-%d") if latest else utc_now()[:10]


def _respect_erasures(ws: Workspace, people, messages, invitations):
    """Leave out people the adviser has erased (and redact them in what others wrote), and
    message text past the retention date: ``store.erasure.respect_register``."""
    return respect_register(ws, people, messages, invitations)


def _key_collision(source: str) -> WorkspaceError:
    return WorkspaceError(
        "two different messages in this export were given the same internal key (a fault in "
        "adviser-analytics, not in your export, expected about once in a billion accounts), so "
        "nothing was ingested rather than lose one of them", file=source,
        what_to_do="please report this; your workspace is exactly as it was")


def ingest_contents(ws: Workspace, contents: ExportContents, fingerprint: str,
                    before: dict) -> dict:
    """Write one read export into the workspace (inside the caller's transaction); ``before``:
    :meth:`Workspace.totals` as they stand."""
    known = ws.owner
    found = find_owner(contents, known)
    check_same_owner(found, known, contents.source)
    owner = Owner(known.name or found.name, known.profile_url or found.profile_url)
    if owner != known:
        ws.set_meta("owner_name", owner.name)
        ws.set_meta("owner_url", owner.profile_url)

    seen_on = _export_date(contents)
    snapshot_id = store.add_snapshot(ws, fingerprint, contents.source, seen_on, contents.layouts)
    skipped: Counter = Counter()

    # Connections and the people they name.
    started = time.perf_counter()
    people, blanks = prepare_connections(contents.connections, seen_on)
    messages = prepare_messages(contents.messages, owner, seen_on)
    invitations, unkeyed = prepare_invitations(contents.invitations, seen_on)
    people, messages, invitations = _respect_erasures(ws, people, messages, invitations)
    prepared = time.perf_counter()
    skipped["blank_person"] += int(blanks["rows"].sum())
    skipped.update(unkeyed)
    store.add_blank_connections(ws, snapshot_id, blanks.itertuples(index=False))
    store.merge_connected_people(
        ws, _rows(people, ["person_key", "name", "profile_url", "company", "position", "email", "seen_on"]))
    store.merge_connections(ws, _rows(people, ["person_key", "connected_on", "seen_on", "seen_on"]))

    # Messages, excluded rows included (they carry information), each with its reason.
    skipped.update(messages["exclusion"].dropna().value_counts().to_dict())
    skipped["coach"] += int(contents.coach_rows)
    ws.check_message_keys()
    message_rows = _rows(messages, [*store.MESSAGE_COLUMNS, "seen_on", "seen_on"])
    if not store.has_messages(ws):
        # A first load (plain inserts, the key index built after them). Within one export
        # every natural key is distinct, so a repeated key can only be two different
        # messages hashing alike.
        if messages["message_key"].duplicated().any():
            raise _key_collision(contents.source)
        store.load_messages(ws, message_rows)
    elif store.merge_messages(ws, message_rows) != len(messages):
        # a stored key whose natural key differs was left out: refuse rather than lose it
        raise _key_collision(contents.source)
    senders = messages.loc[messages["exclusion"].isna() & (messages["direction"] == "inbound"),
                           ["sender_key", "sender_name", "sender_url"]]
    senders = senders.drop_duplicates("sender_key")
    store.add_people(ws, _rows(senders, ["sender_key", "sender_name", "sender_url"]))

    # Invitations, with the snapshots they appear in.
    invitation_columns = ["direction", "name_key", "sent_at", "person_key", "name",
                          "profile_url", "message", "seen_on", "seen_on"]
    store.merge_invitations(ws, _rows(invitations, invitation_columns))
    store.record_sightings(ws, snapshot_id, invitations[["direction", "name_key", "sent_at"]]
                           .itertuples(index=False))
    store.add_people(ws, _rows(invitations.drop_duplicates("person_key"),
                               ["person_key", "name", "profile_url"]))

    after = ws.totals()
    counts = {
        "read": {
            "connections": len(people),
            "messages": int(messages["exclusion"].isna().sum()),
            "invitations": len(invitations),
        },
        "added": {kind: after[kind] - before[kind] for kind in after},
        "skipped": {reason: int(n) for reason, n in skipped.items() if n},
    }
    store.set_snapshot_counts(ws, snapshot_id, counts)
    seconds = {"prepare": prepared - started, "write": time.perf_counter() - prepared}
    return {"export_date": seen_on, "totals": after, "seconds": seconds, **counts}


def ingest(ws: Workspace, exports: list[str | Path], *, limits=None, progress=None) -> IngestResult:
    """Read each export and merge it into the workspace: one transaction for the whole call.

    An export already ingested (same fingerprint of its files) is recognised before its CSVs
    are parsed and adds nothing. Any error leaves the workspace exactly as it was.
    """
    result = IngestResult()
    with ws.transaction():
        totals = ws.totals()
        for export in exports:
            clock = time.perf_counter()
            fingerprint = export_fingerprint(export, limits=limits)
            result.seconds["fingerprint"] += time.perf_counter() - clock
            known = store.known_export_date(ws, fingerprint)
            if known:
                result.exports.append({"source": Path(export).name, "export_date": known,
                                       "status": "already ingested"})
                continue
            clock = time.perf_counter()
            contents = read_export(export, limits=limits) if limits else read_export(export)
            result.seconds["read"] += time.perf_counter() - clock
            done = ingest_contents(ws, contents, contents.fingerprint or fingerprint, totals)
            totals = done["totals"]
            result.seconds.update(done.pop("seconds"))
            result.snapshots_added += 1
            result.added.update(done["added"])
            result.skipped.update(done["skipped"])
            result.exports.append({"source": contents.source, "export_date": done["export_date"],
                                   "status": "added", **done["added"]})
            if progress:
                progress(contents.source, done)
        committing = time.perf_counter()
    # Committing includes SQLite's checkpoint: the new pages copied from its log into the file.
    result.seconds["commit"] += time.perf_counter() - committing
    result.totals = totals
    return result
