"""The SQL of the ``writing`` table: what the adviser wrote in a report, kept by period.

One row per period (``period_from``, ``period_to``, ISO dates) and cell (``feelings``,
``conclusion``, ``action_plan``, or ``added:<cell id>`` for a cell the adviser added, kept in
order after the cell ``after_cell`` it followed, ``position`` its order in the notebook),
with the ``text``, whether the adviser marked it to ``share`` with supervision and when it
was ``harvested``. Harvesting and restoring notebooks is :mod:`adviser_analytics.writing`.

The rule this module keeps: **an empty text never replaces a stored one** (:func:`keep`).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from adviser_analytics.store.workspace import Workspace, utc_now

#: The columns of a piece of writing as the other rooms handle it.
WRITING_COLUMNS = ["period_from", "period_to", "cell", "cell_type", "position", "after_cell", "text", "share",
                   "harvested_at"]


def keep(ws: Workspace, rows: Iterable[dict]) -> dict[str, int]:
    """Store harvested writing (dicts with ``period_from``, ``period_to``, ``cell``, ``text``,
    optional ``cell_type``, ``position``, ``after_cell``, ``share``), in one transaction.

    A blank text is never stored and never replaces a stored one. ``harvested_at`` changes
    only when the text, its place or its share mark changed. Returns counts: ``added``,
    ``changed``, ``unchanged``, ``blank``."""
    counts = {"added": 0, "changed": 0, "unchanged": 0, "blank": 0}
    now = utc_now()
    with ws.transaction() as db:
        for row in rows:
            text = row.get("text") or ""
            if not text.strip():
                counts["blank"] += 1
                continue
            key = (row["period_from"], row["period_to"], row["cell"])
            values = (row.get("cell_type") or "markdown", int(row.get("position") or 0),
                      row.get("after_cell"), text, 1 if row.get("share") else 0)
            old = db.execute(
                "SELECT cell_type, position, after_cell, text, share FROM writing "
                "WHERE period_from = ? AND period_to = ? AND cell = ?", key).fetchone()
            if old is not None and tuple(old) == values:
                counts["unchanged"] += 1
                continue
            counts["changed" if old is not None else "added"] += 1
            db.execute(
                "INSERT INTO writing(period_from, period_to, cell, cell_type, position, "
                "after_cell, text, share, harvested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(period_from, period_to, cell) DO UPDATE SET "
                "cell_type = excluded.cell_type, position = excluded.position, after_cell = excluded.after_cell, "
                "text = excluded.text, share = excluded.share, "
                "harvested_at = excluded.harvested_at",
                (*key, *values, now))
    return counts


def stored(ws: Workspace, start: str | None = None, end: str | None = None,
           shared_only: bool = False) -> pd.DataFrame:
    """The stored writing (:data:`WRITING_COLUMNS`) of the periods that overlap
    ``start``..``end`` (ISO dates, inclusive; ``None``: open), in order of period, then of
    place in the notebook. ``shared_only``: only what the adviser marked to share."""
    sql = f"SELECT {', '.join(WRITING_COLUMNS)} FROM writing WHERE 1 = 1"
    params: list = []
    if start is not None:
        sql += " AND period_to >= ?"
        params.append(start)
    if end is not None:
        sql += " AND period_from <= ?"
        params.append(end)
    if shared_only:
        sql += " AND share = 1"
    sql += " ORDER BY period_from, period_to, position, cell"
    rows = ws.db.execute(sql, tuple(params)).fetchall()
    frame = pd.DataFrame(rows, columns=WRITING_COLUMNS, dtype=object)
    frame["share"] = frame["share"].astype(bool)
    frame["position"] = frame["position"].astype(int)
    return frame


def previous_plan(ws: Workspace, before: str, shared_only: bool = False) -> dict | None:
    """The action plan of the latest period that ended before ``before`` (ISO date), as a
    dict (``period_from``, ``period_to``, ``text``, ``share``), or ``None`` when none was
    written."""
    sql = ("SELECT period_from, period_to, text, share FROM writing "
           "WHERE cell = 'action_plan' AND period_to < ? AND trim(text) != ''")
    if shared_only:
        sql += " AND share = 1"
    row = ws.db.execute(sql + " ORDER BY period_to DESC, period_from DESC LIMIT 1",
                        (before,)).fetchone()
    if row is None:
        return None
    return {"period_from": row[0], "period_to": row[1], "text": row[2], "share": bool(row[3])}
