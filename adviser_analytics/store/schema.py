"""The workspace's schema: every table, the migrations between versions, the message key.

``PRAGMA user_version`` records which entry of :data:`MIGRATIONS` a file has reached;
:meth:`~adviser_analytics.store.workspace.Workspace.open` applies the rest. The tables are
described in ``docs/architecture.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL_KINDS = ("relationship", "decision", "handling", "referral", "outcome")
LABEL_SOURCES = ("inferred", "suggested", "confirmed")

# The messages table's columns as schema v1 created them; v3 rebuilds the table with these
# columns plus ``message_key`` (and without the four-column text index), so both are written
# from this one list.
_MESSAGE_COLUMNS = """\
        message_id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        conversation_title TEXT,
        sent_at TEXT NOT NULL,
        sender_key TEXT NOT NULL,
        sender_name TEXT,
        sender_url TEXT,
        to_names TEXT,
        recipient_urls TEXT,
        subject TEXT,
        content TEXT,
        folder TEXT,
        direction TEXT NOT NULL CHECK(direction IN ('inbound', 'outbound')),
        counterpart_key TEXT,
        exclusion TEXT,
        occurrence INTEGER NOT NULL DEFAULT 0,
        first_seen_on TEXT,
        last_seen_on TEXT,
"""
_MESSAGE_COLUMN_NAMES = ", ".join(
    line.split()[0] for line in _MESSAGE_COLUMNS.splitlines() if line.strip()
)

# Each entry upgrades the schema by one version; PRAGMA user_version records where a file is.
MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE snapshots(
        snapshot_id INTEGER PRIMARY KEY AUTOINCREMENT,
        fingerprint TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        export_date TEXT,
        ingested_at TEXT NOT NULL,
        layouts TEXT,
        counts TEXT
    );
    CREATE TABLE people(
        person_key TEXT PRIMARY KEY,
        name TEXT, profile_url TEXT, company TEXT, position TEXT, email TEXT,
        updated_on TEXT
    );
    CREATE TABLE connections(
        person_key TEXT PRIMARY KEY,
        connected_on TEXT,
        first_seen_on TEXT,
        last_seen_on TEXT
    );
    CREATE TABLE blank_connections(
        snapshot_id INTEGER NOT NULL,
        connected_on TEXT,
        rows INTEGER NOT NULL,
        PRIMARY KEY(snapshot_id, connected_on)
    );
    CREATE TABLE messages(
{_MESSAGE_COLUMNS}        UNIQUE(conversation_id, sent_at, sender_key, occurrence)
    );
    CREATE INDEX messages_sent_at ON messages(sent_at);
    CREATE TABLE invitations(
        invitation_id INTEGER PRIMARY KEY,
        direction TEXT NOT NULL CHECK(direction IN ('incoming', 'outgoing')),
        name_key TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        person_key TEXT,
        name TEXT,
        profile_url TEXT,
        message TEXT,
        first_seen_on TEXT,
        last_seen_on TEXT,
        UNIQUE(direction, name_key, sent_at)
    );
    CREATE TABLE invitation_sightings(
        invitation_id INTEGER NOT NULL,
        snapshot_id INTEGER NOT NULL,
        PRIMARY KEY(invitation_id, snapshot_id)
    );
    CREATE TABLE labels(
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        value TEXT NOT NULL,
        source TEXT NOT NULL CHECK(source IN ('inferred', 'suggested', 'confirmed')),
        rule TEXT,
        reason TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY(kind, subject)
    );
    CREATE TABLE label_history(
        history_id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        old_value TEXT, old_source TEXT,
        new_value TEXT, new_source TEXT,
        changed_at TEXT NOT NULL
    );
    CREATE TABLE introductions(
        introduction_id INTEGER PRIMARY KEY,
        requester_key TEXT NOT NULL,
        target_key TEXT,
        target_name TEXT NOT NULL,
        requested_on TEXT NOT NULL,
        conversation_id TEXT,
        message_id INTEGER,
        rule TEXT,
        resolved_on TEXT,
        UNIQUE(requester_key, target_name, requested_on)
    );
    CREATE TABLE policies(
        policy_id INTEGER PRIMARY KEY,
        yaml TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    CREATE TABLE pseudonyms(
        person_key TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE
    );
    """,
    # v2: erasure requests are remembered (as digests, not names) so that re-ingesting an
    # old export does not bring an erased person back.
    """
    CREATE TABLE erasures(
        key_digest TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL
    );
    """,
    # v3: messages are merged on one compact integer ``message_key`` (a stable 64-bit hash of
    # the natural key, see :func:`message_keys`) instead of a four-column text index, and the
    # ``sent_at`` index goes (readers load all messages anyway): ingest writes far less.
    # Message ids are kept; the keys are computed after this script (``Workspace._migrate``).
    f"""
    CREATE TABLE messages_v3(
{_MESSAGE_COLUMNS}        message_key INTEGER
    );
    INSERT INTO messages_v3({_MESSAGE_COLUMN_NAMES})
    SELECT {_MESSAGE_COLUMN_NAMES} FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v3 RENAME TO messages;
    """,
    # v4: the adviser's writing in the reports (store/writing.py), kept across regenerations
    """
    CREATE TABLE writing(
        period_from TEXT NOT NULL,
        period_to TEXT NOT NULL,
        cell TEXT NOT NULL,
        cell_type TEXT NOT NULL DEFAULT 'markdown',
        position INTEGER NOT NULL DEFAULT 0,
        after_cell TEXT,
        text TEXT NOT NULL,
        share INTEGER NOT NULL DEFAULT 0,
        harvested_at TEXT NOT NULL,
        PRIMARY KEY(period_from, period_to, cell)
    );
    """,
    # v5: how many people each conversation is between (the sender and the recipients of its
    # widest person-to-person message, at least 2), kept at every ingest and forget, so that
    # metrics and rules tell group conversations without reading every recipient list
    # (filled after this script: ``Workspace._migrate``, ``refresh_participants``)
    """
    CREATE TABLE conversations(
        conversation_id TEXT PRIMARY KEY,
        participants INTEGER NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

MESSAGE_KEY_INDEX = "CREATE UNIQUE INDEX messages_key ON messages(message_key)"
MESSAGE_KEY_COLUMNS = ("conversation_id", "sent_at", "sender_key", "occurrence")
MESSAGE_KEY_CANARY = "message_key_canary"
#: Fixed natural keys whose hashes, stored in ``meta`` at first use, reveal a change of the
#: hash function (e.g. a pandas upgrade): the stored keys are then recomputed.
_CANARY_ROWS = {
    "conversation_id": ["2-canary==", "legacy:ada lovelace", "(no conversation)"],
    "sent_at": ["2021-03-04T05:06:07Z", "2015-12-31T23:59:59Z", "2024-02-29T00:00:00Z"],
    "sender_key": ["https://www.linkedin.com/in/ada", "name:ada lovelace", ""],
    "occurrence": [0, 1, 2],
}


def natural_key_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A stable 64-bit hash (``uint64``) of each message's conversation, time and sender."""
    text = frame[list(MESSAGE_KEY_COLUMNS[:3])]
    return pd.util.hash_pandas_object(text, index=False, categorize=False).to_numpy(dtype="uint64")


def message_keys(frame: pd.DataFrame, hashes: np.ndarray | None = None) -> np.ndarray:
    """A stable 64-bit integer (``int64``) per message natural key (``MESSAGE_KEY_COLUMNS``);
    ``hashes``: the :func:`natural_key_hashes` of ``frame`` if already computed.

    The same text and occurrence give the same key in every process; a change in the hash
    itself is caught by the canary (:meth:`Workspace.check_message_keys`)."""
    if hashes is None:
        hashes = natural_key_hashes(frame)
    occurrence = pd.util.hash_array(frame["occurrence"].to_numpy(dtype="int64"))
    return (hashes ^ occurrence).view("int64")


def _message_key_canary() -> str:
    return ",".join(str(k) for k in message_keys(pd.DataFrame(_CANARY_ROWS)))


def split_sql(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL strings)."""
    return [part.strip() for part in script.split(";") if part.strip()]

