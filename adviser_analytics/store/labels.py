"""The SQL of the ``labels``, ``label_history`` and ``introductions`` tables.

What a label may say, and which source wins over which, is the labels room's business
(:mod:`adviser_analytics.labels.store`); these functions read and write rows as told, inside
the caller's transaction (:func:`unit` gives one when there is none).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import pandas as pd

from adviser_analytics.store.workspace import Workspace

#: The columns of a label as the labels room handles it (the table adds ``updated_at``).
LABEL_COLUMNS = ["kind", "subject", "value", "source", "rule", "reason"]


@contextlib.contextmanager
def unit(ws: Workspace) -> Iterator[None]:
    """The caller's transaction if there is one, else a transaction of our own."""
    if ws.db.in_transaction:
        yield
    else:
        with ws.transaction():
            yield


def text_or_none(series: pd.Series) -> list:
    """A column as SQL parameters: missing values become ``None`` (NULL)."""
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


# ---------------------------------------------------------------- labels
def stored(ws: Workspace, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The labels table (optionally some kinds) as a frame of text columns
    (:data:`LABEL_COLUMNS`)."""
    sql = "SELECT kind, subject, value, source, rule, reason FROM labels"
    params: tuple = ()
    if kinds is not None:
        kinds = list(kinds)
        sql += f" WHERE kind IN ({', '.join('?' * len(kinds))})"
        params = tuple(kinds)
    rows = ws.db.execute(sql, params).fetchall()
    return pd.DataFrame(rows, columns=LABEL_COLUMNS, dtype=object)


def current(ws: Workspace, kind: str, subject: str) -> tuple[str, str] | None:
    """The stored ``(value, source)`` of one label, or ``None`` when there is none."""
    row = ws.db.execute("SELECT value, source FROM labels WHERE kind = ? AND subject = ?",
                        (kind, subject)).fetchone()
    return tuple(row) if row else None


def last_change(ws: Workspace, kind: str, subject: str) -> tuple | None:
    """The newest ``label_history`` entry of one label as ``(old_value, old_source,
    new_value, new_source)`` (``None`` values where there was no label), or ``None``."""
    row = ws.db.execute(
        "SELECT old_value, old_source, new_value, new_source FROM label_history "
        "WHERE kind = ? AND subject = ? ORDER BY history_id DESC LIMIT 1",
        (kind, subject)).fetchone()
    return tuple(row) if row else None


def upsert(ws: Workspace, rows: pd.DataFrame, now: str) -> None:
    """Insert or replace labels (:data:`LABEL_COLUMNS`), each stamped ``updated_at = now``."""
    if len(rows) == 0:
        return
    ws.db.executemany(
        "INSERT INTO labels(kind, subject, value, source, rule, reason, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, subject) DO UPDATE SET "
        "value = excluded.value, source = excluded.source, rule = excluded.rule, "
        "reason = excluded.reason, updated_at = excluded.updated_at",
        list(zip(*(text_or_none(rows[c]) for c in LABEL_COLUMNS), [now] * len(rows),
                 strict=True)),
    )


def add_history(ws: Workspace, rows: pd.DataFrame, now: str) -> None:
    """One ``label_history`` entry per row: columns ``kind, subject, old_value, old_source,
    new_value, new_source`` (missing = no label on that side)."""
    if len(rows) == 0:
        return
    ws.db.executemany(
        "INSERT INTO label_history(kind, subject, old_value, old_source, new_value, "
        "new_source, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        list(zip(*(text_or_none(rows[c]) for c in
                   ("kind", "subject", "old_value", "old_source", "new_value", "new_source")),
                 [now] * len(rows), strict=True)),
    )


def delete(ws: Workspace, gone: pd.DataFrame, now: str) -> None:
    """Delete stored labels (columns ``kind, subject, value, source``: the labels as they
    were), writing their history (new value and source NULL)."""
    if len(gone) == 0:
        return
    ws.db.executemany("DELETE FROM labels WHERE kind = ? AND subject = ?",
                      list(zip(gone["kind"], gone["subject"], strict=True)))
    ws.db.executemany(
        "INSERT INTO label_history(kind, subject, old_value, old_source, new_value, "
        "new_source, changed_at) VALUES (?, ?, ?, ?, NULL, NULL, ?)",
        [(k, s, v, src, now) for k, s, v, src in
         gone[["kind", "subject", "value", "source"]].itertuples(index=False)],
    )


# ---------------------------------------------------------------- introductions
def count_introductions(ws: Workspace) -> int:
    return ws.db.execute("SELECT COUNT(*) FROM introductions").fetchone()[0]


def merge_introductions(ws: Workspace, found: pd.DataFrame) -> None:
    """Record introduction requests (columns ``requester_key, target_key, target_name,
    requested_on, conversation_id, message_id, rule``), merged on requester, target name and
    day; a target once matched to a person stays matched."""
    if len(found) == 0:
        return
    ws.db.executemany(
        "INSERT INTO introductions(requester_key, target_key, target_name, requested_on, "
        "conversation_id, message_id, rule) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(requester_key, target_name, requested_on) DO UPDATE SET "
        "target_key = COALESCE(excluded.target_key, target_key), "
        "conversation_id = excluded.conversation_id, message_id = excluded.message_id, "
        "rule = excluded.rule",
        list(zip(*(text_or_none(found[c].astype(object)) for c in
                   ("requester_key", "target_key", "target_name", "requested_on",
                    "conversation_id")),
                 [None if pd.isna(m) else int(m) for m in found["message_id"]],
                 text_or_none(found["rule"]),
                 strict=True)),
    )


def unlabelled_rule_introductions(ws: Workspace) -> pd.DataFrame:
    """Introduction records a rule made that carry no outcome label: ``introduction_id,
    requester_key, target_name, requested_on``."""
    return pd.DataFrame(ws.db.execute(
        "SELECT introduction_id, requester_key, target_name, requested_on FROM introductions "
        "WHERE rule IS NOT NULL AND CAST(introduction_id AS TEXT) NOT IN "
        "(SELECT subject FROM labels WHERE kind = 'outcome')").fetchall(),
        columns=["introduction_id", "requester_key", "target_name", "requested_on"])


def delete_introductions(ws: Workspace, ids: Iterable) -> None:
    ws.db.executemany("DELETE FROM introductions WHERE introduction_id = ?",
                      [(int(i),) for i in ids])


def set_resolved_on(ws: Workspace, updates: Iterable[tuple[str, str]]) -> None:
    """``(introduction_id, day)`` pairs: the day each introduction was resolved."""
    ws.db.executemany("UPDATE introductions SET resolved_on = ? WHERE introduction_id = ?",
                      [(day, int(iid)) for iid, day in updates])
