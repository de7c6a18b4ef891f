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

import contextlib
import html
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from adviser_analytics.errors import WorkspaceError
from adviser_analytics.export import (
    MESSAGE_BATCH_BYTES,
    ExportContents,
    empty_contents,
    read_export,
    read_message_batches,
)
from adviser_analytics.export.fingerprint import export_fingerprint
from adviser_analytics.people import (
    name_key,
    name_keys,
    normalise_url,
    normalise_urls,
    participants_per_conversation,
    person_keys,
)
from adviser_analytics.store import Owner, Workspace, message_keys, natural_key_hashes, utc_now
from adviser_analytics.store import snapshots as store
from adviser_analytics.store.erasure import RegisterAtIngest
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


#: What :func:`sender_summary` keeps of each message: enough to find the owner and who
#: opened each conversation, without the text.
SENDER_COLUMNS = ["conversation_id", "sender_name", "sender_url", "direction_raw"]


def sender_summary(messages: pd.DataFrame) -> pd.DataFrame:
    """The distinct ``SENDER_COLUMNS`` of messages, in the order they first appear, with how
    many ``rows`` and how many ``dated`` rows (with a time) each has. Summaries of
    consecutive batches combine (:func:`combine_summaries`) into the summary of the whole
    file, which is all :func:`find_owner` and :func:`message_context` need."""
    return _summarise(messages[SENDER_COLUMNS].assign(rows=1, dated=messages["sent_at"].notna()))


def combine_summaries(summaries: list[pd.DataFrame]) -> pd.DataFrame:
    """The summary of consecutive batches from theirs (first appearances kept in order)."""
    if len(summaries) == 1:
        return summaries[0]
    return _summarise(pd.concat(summaries, ignore_index=True))


def _summarise(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(SENDER_COLUMNS, sort=False, dropna=False, observed=True
                         )[["rows", "dated"]].sum().reset_index()


def _mode(values: pd.Series, weights: pd.Series):
    """The most frequent value (``weights``: how many times each row counts), the first in
    sorted order among equals, as ``Series.mode`` gives it; ``None`` when all are missing."""
    present = values.notna().to_numpy(dtype=bool)
    if not present.any():
        return None
    counts = weights[present].groupby(values[present].astype(object), sort=False).sum()
    return min(counts.index[counts.to_numpy() == counts.max()])


def find_owner(contents: ExportContents, known: Owner | None = None,
               senders: pd.DataFrame | None = None) -> Owner:
    """The account holder of an export (see the module docstring); ``senders``: the
    :func:`sender_summary` of its messages when they are not in ``contents``."""
    summary = sender_summary(contents.messages) if senders is None else senders
    weights = summary["rows"]
    name = contents.owner_name or (known.name if known else None)
    url = None
    if len(summary) and summary["sender_url"].notna().any():
        with_url = summary.loc[summary["sender_url"].notna(),
                               ["conversation_id", "sender_url", "sender_name", "rows"]]
        if name:
            same = (name_keys(with_url["sender_name"]) == name_key(name)).fillna(False)
            same = same.to_numpy(dtype=bool)
            if same.any():
                url = normalise_url(_mode(with_url["sender_url"][same], with_url["rows"][same]))
        if url is None:
            per_conversation = (
                with_url[["conversation_id", "sender_url"]].dropna().drop_duplicates()
                ["sender_url"].value_counts()
            )
            if len(per_conversation):
                raw = per_conversation.index[0]
                url = normalise_url(raw)
                if not name:
                    his = (with_url["sender_url"] == raw).to_numpy(dtype=bool)
                    name = _mode(with_url["sender_name"][his], with_url["rows"][his])
    if not name and len(summary):
        if summary["direction_raw"].notna().any():
            outgoing = (summary["direction_raw"] == "OUTGOING").fillna(False).to_numpy(dtype=bool)
            name = _mode(summary["sender_name"][outgoing], weights[outgoing])
        if not name:
            name = _mode(summary["sender_name"], weights)
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


@dataclass
class MessageContext:
    """What preparing one batch of messages needs to know of the whole messages.csv."""

    has_direction: bool
    """the export has a direction column (older exports): it decides who sent what"""
    has_urls: bool
    """some sender has a profile URL (2021 on): a sender without one is a company"""
    first_other: pd.Series
    """conversation -> the key of its first sender other than the owner"""


def _who_and_where(m: pd.DataFrame, owner: Owner, has_direction: bool):
    """Per message: sender name, normalised URL, key, whether the owner sent it, conversation."""
    sender_name = _text(m["sender_name"])
    sender_url = normalise_urls(m["sender_url"])
    sender_key = person_keys(m["sender_url"], sender_name, normalised=sender_url)
    sender_is_owner_by_name = (name_keys(sender_name) == name_key(owner.name)).fillna(False)
    if has_direction:
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
        to_names = _text(m["to_names"]) if "to_names" in m else pd.Series(pd.NA, index=m.index,
                                                                          dtype="string")
        other = sender_name.where(~outbound, to_names)
        conversation = conversation.mask(legacy, "legacy:" + name_keys(other).fillna("unknown"))
    conversation = conversation.fillna("(no conversation)")
    return sender_name, sender_url, sender_key, outbound, conversation


def message_context(senders: pd.DataFrame, owner: Owner) -> MessageContext:
    """The :class:`MessageContext` of a messages.csv from its :func:`sender_summary`."""
    has_direction = bool(senders["direction_raw"].notna().any())
    _, _, sender_key, outbound, conversation = _who_and_where(senders, owner, has_direction)
    first_other = (
        pd.DataFrame({"c": conversation, "k": sender_key})[~outbound & sender_key.notna()]
        .drop_duplicates("c").set_index("c")["k"]
    )
    return MessageContext(has_direction, bool(senders["sender_url"].notna().any()), first_other)


def _counterpart(sender_key, outbound, conversation, context: MessageContext) -> pd.Series:
    """The sender of inbound messages; for the owner's, the conversation's first other sender."""
    return sender_key.where(~outbound, conversation.map(context.first_other))


def message_senders(senders: pd.DataFrame, owner: Owner, context: MessageContext) -> pd.DataFrame:
    """``sender_key, sender_name, counterpart_key`` of the dated messages of a
    :func:`sender_summary` (what the register of erased people is applied to). The owner's
    messages in a conversation where nobody else wrote have no counterpart here (their first
    recipient is not in the summary)."""
    dated = senders[senders["dated"].to_numpy() > 0]
    name, _, key, outbound, conversation = _who_and_where(dated, owner, context.has_direction)
    counterpart = _counterpart(key, outbound, conversation, context)
    if owner.key:
        counterpart = counterpart.mask(counterpart == owner.key)
    return pd.DataFrame({"sender_key": key.fillna(""), "sender_name": name,
                         "counterpart_key": counterpart})


class SeenKeys:
    """The natural-key hashes and message keys of the batches of one export prepared so far,
    8 bytes each, in a few sorted blocks (each at most half the size of the one before, so
    there are no more than about log2 of the rows): a natural key met again in a later
    batch (two messages of one second) continues its ``occurrence`` count, and a message key
    met again can only be two different messages hashing alike."""

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._repeats: dict[int, int] = {}  # hash -> rows so far, for hashes met twice or more
        self._keys: list[np.ndarray] = []

    @staticmethod
    def _found(blocks: list[np.ndarray], values: np.ndarray) -> np.ndarray:
        found = np.zeros(len(values), dtype=bool)
        for block in blocks:
            at = np.searchsorted(block, values).clip(max=len(block) - 1)
            found |= block[at] == values
        return found

    @staticmethod
    def _append(blocks: list[np.ndarray], distinct: np.ndarray) -> None:
        blocks.append(distinct)
        while len(blocks) > 1 and len(blocks[-1]) * 2 > len(blocks[-2]):
            last = blocks.pop()
            blocks[-1] = np.union1d(blocks[-1], last)

    def earlier(self, hashes: np.ndarray) -> np.ndarray:
        """How many rows of earlier batches had each of these natural-key hashes."""
        counts = self._found(self._hashes, hashes).astype("int64")
        if self._repeats and counts.any():
            counts[counts > 0] = [self._repeats.get(int(h), 1) for h in hashes[counts > 0]]
        return counts

    def add_hashes(self, hashes: np.ndarray, earlier: np.ndarray) -> None:
        distinct, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        total = earlier[first] + counts
        for h, n in zip(distinct[total > 1].tolist(), total[total > 1].tolist(), strict=True):
            self._repeats[h] = n
        new = distinct[earlier[first] == 0]
        if len(new):
            self._append(self._hashes, new)

    def add_keys(self, keys: np.ndarray) -> bool:
        """Record these message keys; ``False`` if one was already recorded or repeats."""
        distinct = np.unique(keys)
        if len(distinct) < len(keys) or self._found(self._keys, distinct).any():
            return False
        if len(distinct):
            self._append(self._keys, distinct)
        return True


def prepare_messages(messages: pd.DataFrame, owner: Owner, export_date: str,
                     context: MessageContext | None = None,
                     seen: SeenKeys | None = None) -> pd.DataFrame:
    """Messages with sender key, direction, conversation, counterpart and exclusion reason.

    ``messages`` may be one batch of a messages.csv read in blocks: ``context`` then says what
    the whole file shows (:func:`message_context`, else the batch is the whole file) and
    ``seen`` carries the natural keys of the batches before (for ``occurrence``)."""
    m = messages
    if context is None:
        context = message_context(sender_summary(m), owner)
    sender_name, sender_url, sender_key, outbound, conversation = _who_and_where(
        m, owner, context.has_direction)
    owner_key = owner.key
    has_urls = context.has_urls

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
    counterpart = _counterpart(sender_key, outbound, conversation, context)
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
    if seen is not None:
        earlier = seen.earlier(hashes)
        if earlier.any():  # the same key at the end of the batch before: counted on
            frame["occurrence"] += earlier
        seen.add_hashes(hashes, earlier)
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


def _export_date(contents: ExportContents, latest_message: pd.Timestamp | None) -> str:
    if contents.export_date:
        return contents.export_date.isoformat()
    latest = [
        frame[column].max()
        for frame, column in (
            (contents.connections, "connected_on"),
            (contents.invitations, "sent_at"),
        )
        if len(frame) and frame[column].notna().any()
    ] + ([latest_message] if latest_message is not None else [])
    return max(latest).strftime("%Y-%m-%d") if latest else utc_now()[:10]


def _key_collision(source: str) -> WorkspaceError:
    return WorkspaceError(
        "two different messages in this export were given the same internal key (a fault in "
        "adviser-analytics, not in your export, expected about once in a billion accounts), so "
        "nothing was ingested rather than lose one of them", file=source,
        what_to_do="please report this; your workspace is exactly as it was")


Batches = Callable[[], Iterable[pd.DataFrame]]
"""Gives messages.csv's frames, one per block, each time it is called."""


def _timed(batches: Iterable[pd.DataFrame], seconds: Counter, part: str) -> Iterator[pd.DataFrame]:
    """``batches``, adding the time spent reading each to ``seconds[part]``."""
    batches = iter(batches)
    while True:
        clock = time.perf_counter()
        batch = next(batches, None)
        seconds[part] += time.perf_counter() - clock
        if batch is None:
            return
        yield batch


#: Frames of messages.csv (in memory, not on disk) the first pass keeps for the second
#: rather than read them again: the whole file of most accounts, a fraction of a heavy one's.
KEEP_FRAME_BYTES = 256 * 2**20


def _scan_messages(batches: Iterable[pd.DataFrame]
                   ) -> tuple[pd.DataFrame, pd.Timestamp | None, list[pd.DataFrame] | None]:
    """The first pass over messages.csv: its :func:`sender_summary`, its latest time, and
    its frames when they fit in :data:`KEEP_FRAME_BYTES` (else ``None``: read them again)."""
    summaries: list[pd.DataFrame] = []
    latest = None
    kept: list[pd.DataFrame] | None = []
    kept_bytes = 0
    for batch in batches:
        summaries.append(sender_summary(batch))
        if len(summaries) >= 16:  # (a bounded list: fold as we go)
            summaries = [combine_summaries(summaries)]
        if batch["sent_at"].notna().any():
            top = batch["sent_at"].max()
            latest = top if latest is None else max(latest, top)
        if kept is not None:
            kept_bytes += int(batch.memory_usage(deep=True).sum())
            if kept_bytes <= KEEP_FRAME_BYTES:
                kept.append(batch)
            else:
                kept = None  # too big to keep: read again for the second pass
    if not summaries:
        summaries = [sender_summary(empty_contents().messages)]
    return combine_summaries(summaries), latest, kept


def _drain(frames: list[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The frames in order, each let go of by the list as it is handed out."""
    frames.reverse()
    while frames:
        yield frames.pop()


def _participants(messages: pd.DataFrame, found: dict[str, int]) -> None:
    """Add one batch's person-to-person messages to ``found`` (conversation -> participants,
    as :func:`~adviser_analytics.store.snapshots.refresh_participants` counts them)."""
    p2p = messages[messages["exclusion"].isna()]
    counted = participants_per_conversation(p2p["conversation_id"], p2p["recipient_urls"])
    for conversation, n in counted.items():
        found[conversation] = max(found.get(conversation, 2), int(n))


def ingest_contents(ws: Workspace, contents: ExportContents, fingerprint: str,
                    before: dict, batches: Batches | None = None) -> dict:
    """Write one read export into the workspace (inside the caller's transaction); ``before``:
    :meth:`Workspace.totals` as they stand. ``batches``: messages.csv's frames when they are
    not in ``contents`` (:func:`~adviser_analytics.export.read_message_batches`), gone over
    twice: first for the owner and who opened each conversation, then prepared and written
    batch by batch, so memory follows one batch, not the file (the frames of the first pass
    are kept for the second when they fit in :data:`KEEP_FRAME_BYTES`, else read again)."""
    if batches is None:
        batches = lambda: (contents.messages,)  # noqa: E731
    seconds: Counter = Counter()
    clock = time.perf_counter()
    senders, latest, kept = _scan_messages(batches())
    seconds["scan"] += time.perf_counter() - clock

    known = ws.owner
    found = find_owner(contents, known, senders)
    check_same_owner(found, known, contents.source)
    owner = Owner(known.name or found.name, known.profile_url or found.profile_url)
    if owner != known:
        ws.set_meta("owner_name", owner.name)
        ws.set_meta("owner_url", owner.profile_url)

    seen_on = _export_date(contents, latest)
    snapshot_id = store.add_snapshot(ws, fingerprint, contents.source, seen_on, contents.layouts)
    skipped: Counter = Counter()

    # Connections and the people they name.
    clock = time.perf_counter()
    people, blanks = prepare_connections(contents.connections, seen_on)
    invitations, unkeyed = prepare_invitations(contents.invitations, seen_on)
    context = message_context(senders, owner)
    register = RegisterAtIngest(ws, people, invitations,
                                lambda: message_senders(senders, owner, context))
    people, invitations = register.people, register.invitations
    seconds["prepare"] += time.perf_counter() - clock
    clock = time.perf_counter()
    skipped["blank_person"] += int(blanks["rows"].sum())
    skipped.update(unkeyed)
    store.add_blank_connections(ws, snapshot_id, blanks.itertuples(index=False))
    store.merge_connected_people(
        ws, _rows(people, ["person_key", "name", "profile_url", "company", "position", "email", "seen_on"]))
    store.merge_connections(ws, _rows(people, ["person_key", "connected_on", "seen_on", "seen_on"]))
    seconds["write"] += time.perf_counter() - clock

    # Messages, excluded rows included (they carry information), each with its reason,
    # batch by batch.
    skipped["coach"] += int(contents.coach_rows)
    ws.check_message_keys()
    first_load = not store.has_messages(ws)
    seen = SeenKeys()
    people_met: set[str] = set()
    read_messages = 0
    participants: dict[str, int] = {}
    with store.first_load(ws) if first_load else contextlib.nullcontext():
        for batch in _timed(_drain(kept) if kept is not None else batches(), seconds, "read"):
            clock = time.perf_counter()
            messages = register.messages(prepare_messages(batch, owner, seen_on, context, seen))
            del batch
            skipped.update(messages["exclusion"].dropna().value_counts().to_dict())
            read_messages += int(messages["exclusion"].isna().sum())
            written = time.perf_counter()
            seconds["prepare"] += written - clock
            message_rows = _rows(messages, [*store.MESSAGE_COLUMNS, "seen_on", "seen_on"])
            if first_load:
                # Plain inserts, the key index built after the last batch. Within one export
                # every natural key is distinct, so a repeated key can only be two different
                # messages hashing alike.
                if not seen.add_keys(messages["message_key"].to_numpy()):
                    raise _key_collision(contents.source)
                store.insert_messages(ws, message_rows)
            elif store.merge_messages(ws, message_rows) != len(messages):
                # a stored key whose natural key differs was left out: refuse rather than lose it
                raise _key_collision(contents.source)
            _participants(messages, participants)
            # The people who wrote, each once per export (their first row names them).
            writers = messages.loc[messages["exclusion"].isna()
                                   & (messages["direction"] == "inbound")
                                   & ~messages["sender_key"].isin(people_met),
                                   ["sender_key", "sender_name", "sender_url"]]
            writers = writers.drop_duplicates("sender_key")
            people_met.update(writers["sender_key"].tolist())
            store.add_people(ws, _rows(writers, ["sender_key", "sender_name", "sender_url"]))
            seconds["write"] += time.perf_counter() - written
    clock = time.perf_counter()
    # counted batch by batch (not recounted over the whole workspace at each ingest)
    store.merge_participants(ws, participants.items())

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
            "messages": read_messages,
            "invitations": len(invitations),
        },
        "added": {kind: after[kind] - before[kind] for kind in after},
        "skipped": {reason: int(skipped[reason]) for reason in SKIP_REASONS if skipped[reason]},
    }
    store.set_snapshot_counts(ws, snapshot_id, counts)
    seconds["write"] += time.perf_counter() - clock
    return {"export_date": seen_on, "totals": after, "seconds": seconds, **counts}


def ingest(ws: Workspace, exports: list[str | Path], *, limits=None, progress=None,
           batch_bytes: int = MESSAGE_BATCH_BYTES) -> IngestResult:
    """Read each export and merge it into the workspace: one transaction for the whole call.

    An export already ingested (same fingerprint of its files) is recognised before its CSVs
    are parsed and adds nothing. Any error leaves the workspace exactly as it was.
    messages.csv is read in blocks of about ``batch_bytes`` (the results do not depend on it;
    memory does).
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
            contents = read_export(export, limits=limits, messages=False)
            result.seconds["read"] += time.perf_counter() - clock
            done = ingest_contents(
                ws, contents, fingerprint, totals,
                lambda export=export: read_message_batches(export, limits=limits,
                                                           block_bytes=batch_bytes))
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
