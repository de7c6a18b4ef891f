"""Full-text search over messages (SQLite FTS5). SQL lives here; the integrator moves this
module into ``store/`` (the only code that writes SQL).

The index ``message_search`` is an FTS5 table with *external content*: it holds the search
index only, the text stays in ``messages``. It is built on first use and rebuilt whenever
``messages`` has changed (a signature of row count, ids and text lengths is kept in
``message_search_state``), so an ingest, ``forget --person`` or ``forget --content-before``
is reflected at the next search; ``forget`` also rebuilds it at once
(:func:`rebuild_if_present`), so no word of erased text stays in the index.
"""

from __future__ import annotations

import re
import sqlite3

import pandas as pd

from adviser_analytics.errors import AdviserAnalyticsError

__all__ = ["SEARCH_TABLE", "refresh_search_index", "rebuild_if_present", "search_messages",
           "fts_query"]

SEARCH_TABLE = "message_search"
STATE_TABLE = "message_search_state"

_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
    "subject, content, sender_name, content='messages', content_rowid='message_id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE}(signature TEXT NOT NULL)",
)
_SIGNATURE = ("SELECT COUNT(*) || ':' || TOTAL(message_id) || ':' || TOTAL(LENGTH(content)) "
              "|| ':' || TOTAL(LENGTH(subject)) || ':' || TOTAL(LENGTH(sender_name)) FROM messages")


def _signature(db: sqlite3.Connection) -> str:
    return db.execute(_SIGNATURE).fetchone()[0]


def _exists(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (SEARCH_TABLE,)
                      ).fetchone() is not None


def _rebuild(db: sqlite3.Connection) -> None:
    for statement in _CREATE:
        db.execute(statement)
    db.execute(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')")
    db.execute(f"DELETE FROM {STATE_TABLE}")
    db.execute(f"INSERT INTO {STATE_TABLE}(signature) VALUES (?)", (_signature(db),))


def rebuild_if_present(db: sqlite3.Connection) -> bool:
    """Inside the caller's transaction: rebuild the index if the workspace has one (after an
    erasure, so no erased word stays searchable). Returns whether it was rebuilt."""
    if not _exists(db):
        return False
    _rebuild(db)
    return True


def refresh_search_index(ws, force: bool = False) -> bool:
    """Create or rebuild the index when ``messages`` changed since it was built (or when
    ``force``). Returns whether it was (re)built."""
    db = ws.db
    if not force and _exists(db):
        row = db.execute(f"SELECT signature FROM {STATE_TABLE}").fetchone()
        if row is not None and row[0] == _signature(db):
            return False
    with ws.transaction():
        _rebuild(db)
    return True


_WORD = re.compile(r'"[^"]*"|\S+')


def fts_query(text: str) -> str:
    """An adviser's words as an FTS5 query: every word must occur (in any order), a word
    ending in ``*`` matches as a prefix, ``"a phrase"`` matches as a phrase; no other
    character is special."""
    terms = []
    for token in _WORD.findall(text or ""):
        prefix = token.endswith("*") and not token.startswith('"')
        word = token.strip('"').rstrip("*") if not token.startswith('"') else token[1:-1]
        word = word.replace('"', "")
        if word.strip():
            terms.append('"' + word + '"' + ("*" if prefix else ""))
    return " ".join(terms)


def search_messages(ws, query: str, limit: int | None = 200,
                    include_excluded: bool = False) -> pd.DataFrame:
    """Messages matching ``query`` (all words, any order; ``word*`` for a prefix; ``"a
    phrase"``), best match first: ``message_id, sent_at (UTC), conversation_id,
    conversation_title, sender_name, direction, subject, snippet`` (the matching words in
    ``[...]``). Person-to-person messages only unless ``include_excluded``. ``ws`` is an open
    :class:`~adviser_analytics.store.Workspace` or a workspace folder."""
    if not hasattr(ws, "db"):
        from adviser_analytics.store import Workspace

        with Workspace.open(ws) as opened:
            return search_messages(opened, query, limit, include_excluded)
    match = fts_query(query)
    columns = ["message_id", "sent_at", "conversation_id", "conversation_title", "sender_name",
               "direction", "subject", "snippet"]
    if not match:
        return pd.DataFrame(columns=columns)
    refresh_search_index(ws)
    where = "" if include_excluded else "AND m.exclusion IS NULL"
    sql = (f"SELECT m.message_id, m.sent_at, m.conversation_id, m.conversation_title, "
           f"m.sender_name, m.direction, m.subject, "
           f"snippet({SEARCH_TABLE}, 1, '[', ']', ' ... ', 12) AS snippet "
           f"FROM {SEARCH_TABLE} JOIN messages m ON m.message_id = {SEARCH_TABLE}.rowid "
           f"WHERE {SEARCH_TABLE} MATCH ? {where} ORDER BY rank, m.sent_at"
           + (" LIMIT ?" if limit else ""))
    try:
        frame = pd.read_sql_query(sql, ws.db, params=(match, limit) if limit else (match,))
    except (sqlite3.OperationalError, pd.errors.DatabaseError) as error:
        raise AdviserAnalyticsError(
            f"the search '{query}' could not be run ({error})",
            what_to_do="search for plain words, a word ending in * for a prefix, or a phrase in "
                       "double quotes") from None
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True, format="ISO8601")
    return frame[columns]
