"""The SQL of a snapshot merge: what ``ingest`` writes, merged by natural keys.

Ingest (``adviser_analytics/ingest.py``) decides *what* to store (owner, direction,
exclusions, erasures); these functions store it, inside the caller's transaction. Every
merge keeps the export dates on which a row was first and last seen, so a re-ingest adds
nothing and an older export adds only what was missing. ``rows`` arguments are iterables
of tuples in the order each docstring names.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator

import pandas as pd

from adviser_analytics.store.schema import MESSAGE_KEY_COLUMNS, MESSAGE_KEY_INDEX
from adviser_analytics.store.workspace import Workspace, refresh_participants, utc_now

#: The message columns ingest supplies, in this order, followed by two ``seen_on`` dates
#: (first and last seen).
MESSAGE_COLUMNS = ["conversation_id", "conversation_title", "sent_at", "sender_key",
                   "sender_name", "sender_url", "to_names", "recipient_urls", "subject",
                   "content", "folder", "direction", "counterpart_key", "exclusion",
                   "occurrence", "message_key"]
_INSERT_MESSAGE = (f"INSERT INTO messages({', '.join(MESSAGE_COLUMNS)}, first_seen_on, last_seen_on) "
                   f"VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))}, ?, ?)")


def known_export_date(ws: Workspace, fingerprint: str) -> str | None:
    """The export date of the snapshot with this fingerprint, or ``None`` if not ingested."""
    row = ws.db.execute(
        "SELECT export_date FROM snapshots WHERE fingerprint = ?", (fingerprint,)
    ).fetchone()
    return row[0] if row else None


def add_snapshot(ws: Workspace, fingerprint: str, source: str, export_date: str,
                 layouts: dict) -> int:
    """Record one export; returns its ``snapshot_id``."""
    cursor = ws.db.execute(
        "INSERT INTO snapshots(fingerprint, source, export_date, ingested_at, layouts) "
        "VALUES (?, ?, ?, ?, ?)",
        (fingerprint, source, export_date, utc_now(), json.dumps(layouts)),
    )
    return cursor.lastrowid


def set_snapshot_counts(ws: Workspace, snapshot_id: int, counts: dict) -> None:
    """The counts ``status`` shows for one export (read, added, skipped)."""
    ws.db.execute("UPDATE snapshots SET counts = ? WHERE snapshot_id = ?",
                  (json.dumps(counts), snapshot_id))


def add_blank_connections(ws: Workspace, snapshot_id: int, rows: Iterable[tuple]) -> None:
    """Connections rows without a person, as counts: ``(connected_on, rows)``."""
    ws.db.executemany(
        "INSERT INTO blank_connections(snapshot_id, connected_on, rows) VALUES (?, ?, ?)",
        [(snapshot_id, d, int(n)) for d, n in rows],
    )


def merge_connected_people(ws: Workspace, rows: Iterable[tuple]) -> None:
    """People from Connections: ``(person_key, name, profile_url, company, position, email,
    seen_on)``; the details of the newest export win, a known name, URL or email is kept."""
    ws.db.executemany(
        "INSERT INTO people(person_key, name, profile_url, company, position, email, updated_on) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(person_key) DO UPDATE SET "
        "name = COALESCE(excluded.name, name), profile_url = COALESCE(excluded.profile_url, profile_url), "
        "company = excluded.company, position = excluded.position, "
        "email = COALESCE(excluded.email, email), updated_on = excluded.updated_on "
        "WHERE excluded.updated_on >= COALESCE(people.updated_on, '')",
        rows,
    )


def merge_connections(ws: Workspace, rows: Iterable[tuple]) -> None:
    """Connections: ``(person_key, connected_on, seen_on, seen_on)``."""
    ws.db.executemany(
        "INSERT INTO connections(person_key, connected_on, first_seen_on, last_seen_on) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(person_key) DO UPDATE SET "
        "connected_on = CASE WHEN excluded.last_seen_on >= last_seen_on "
        "THEN COALESCE(excluded.connected_on, connected_on) ELSE connected_on END, "
        "first_seen_on = MIN(first_seen_on, excluded.first_seen_on), "
        "last_seen_on = MAX(last_seen_on, excluded.last_seen_on)",
        rows,
    )


def add_people(ws: Workspace, rows: Iterable[tuple]) -> None:
    """People met in messages or invitations: ``(person_key, name, profile_url)``; a name or
    URL already known is kept."""
    ws.db.executemany(
        "INSERT INTO people(person_key, name, profile_url) VALUES (?, ?, ?) "
        "ON CONFLICT(person_key) DO UPDATE SET name = COALESCE(people.name, excluded.name), "
        "profile_url = COALESCE(people.profile_url, excluded.profile_url)",
        rows,
    )


def has_messages(ws: Workspace) -> bool:
    """Whether any message is stored yet."""
    return bool(ws.db.execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()[0])


@contextlib.contextmanager
def first_load(ws: Workspace) -> Iterator[None]:
    """A first load into an empty messages table (:func:`insert_messages`, batch by batch):
    plain inserts, and the key index built once after them, are much faster than upserts.
    The caller makes sure no two rows share a ``message_key`` (within one export every
    natural key is distinct). On an error the caller's transaction brings the index back."""
    ws.db.execute("DROP INDEX messages_key")
    yield
    ws.db.execute(MESSAGE_KEY_INDEX)


def insert_messages(ws: Workspace, rows: Iterable[tuple]) -> None:
    """Messages inside :func:`first_load` (rows as :func:`merge_messages` takes them)."""
    ws.db.executemany(_INSERT_MESSAGE, rows)


def merge_messages(ws: Workspace, rows: Iterable[tuple]) -> int:
    """Merge messages on ``message_key`` (``MESSAGE_COLUMNS`` and two ``seen_on`` dates);
    returns how many rows were inserted or merged. A key already stored is the same message
    only when its natural key agrees; if not (two messages hashing alike) the row is left
    out, and the count is short by one: the caller refuses the ingest."""
    same_message = " AND ".join(f"messages.{c} IS excluded.{c}" for c in MESSAGE_KEY_COLUMNS)
    return ws.db.executemany(
        f"{_INSERT_MESSAGE} ON CONFLICT(message_key) DO UPDATE SET "
        "first_seen_on = MIN(first_seen_on, excluded.first_seen_on), "
        "last_seen_on = MAX(last_seen_on, excluded.last_seen_on) "
        f"WHERE {same_message}",
        rows,
    ).rowcount


def merge_participants(ws: Workspace, rows: Iterable[tuple]) -> None:
    """``(conversation_id, participants)`` of the messages an ingest wrote, counted as
    :func:`refresh_participants` counts them; a conversation already held keeps the larger
    count (its stored messages keep their recipients, so the widest stays the widest)."""
    ws.db.executemany("INSERT INTO conversations(conversation_id, participants) VALUES (?, ?) "
                      "ON CONFLICT(conversation_id) DO UPDATE SET participants = "
                      "max(participants, excluded.participants)", rows)


__all__ = ["refresh_participants"]  # (with the functions above and below: ingest's SQL)


def merge_invitations(ws: Workspace, rows: Iterable[tuple]) -> None:
    """Invitations: ``(direction, name_key, sent_at, person_key, name, profile_url, message,
    seen_on, seen_on)``, merged on direction, name and time; a profile URL, once seen, wins."""
    ws.db.executemany(
        "INSERT INTO invitations(direction, name_key, sent_at, person_key, name, profile_url, "
        "message, first_seen_on, last_seen_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(direction, name_key, sent_at) DO UPDATE SET "
        "person_key = CASE WHEN excluded.profile_url IS NOT NULL THEN excluded.person_key "
        "ELSE person_key END, profile_url = COALESCE(excluded.profile_url, profile_url), "
        "first_seen_on = MIN(first_seen_on, excluded.first_seen_on), "
        "last_seen_on = MAX(last_seen_on, excluded.last_seen_on)",
        rows,
    )


def record_sightings(ws: Workspace, snapshot_id: int, rows: Iterable[tuple]) -> None:
    """The invitations this snapshot shows: ``(direction, name_key, sent_at)``."""
    ws.db.executemany(
        "INSERT OR IGNORE INTO invitation_sightings(invitation_id, snapshot_id) "
        "SELECT invitation_id, ? FROM invitations WHERE direction = ? AND name_key = ? AND sent_at = ?",
        [(snapshot_id, d, n, s) for d, n, s in rows],
    )


# ---------------------------------------------------------------- read by label inference
def last_export_date(ws: Workspace) -> pd.Timestamp | None:
    """The date of the newest export ingested (UTC midnight), or ``None``."""
    row = ws.db.execute("SELECT MAX(export_date) FROM snapshots").fetchone()
    return pd.Timestamp(row[0], tz="UTC") if row and row[0] else None


def invitation_sightings(ws: Workspace) -> pd.DataFrame:
    """Which export showed which invitation: ``invitation_id, snapshot_id, export_date,
    sent_at`` (both times tz-aware UTC)."""
    sightings = pd.DataFrame(ws.db.execute(
        "SELECT x.invitation_id, x.snapshot_id, s.export_date, i.sent_at "
        "FROM invitation_sightings x JOIN snapshots s USING (snapshot_id) "
        "JOIN invitations i USING (invitation_id)").fetchall(),
        columns=["invitation_id", "snapshot_id", "export_date", "sent_at"])
    for column in ("export_date", "sent_at"):
        sightings[column] = pd.to_datetime(sightings[column], utc=True,
                                           format="ISO8601").dt.as_unit("ns")
    return sightings


def last_message_at(ws: Workspace, *, person_to_person: bool = True) -> str | None:
    """The time of the newest message stored (workspace text, ``YYYY-MM-DDTHH:MM:SSZ``), by
    default among person-to-person messages only; ``None`` when there is none."""
    where = " WHERE exclusion IS NULL" if person_to_person else ""
    return ws.db.execute(f"SELECT MAX(sent_at) FROM messages{where}").fetchone()[0]
