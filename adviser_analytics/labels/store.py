"""Label access: the vocabulary of each kind, the precedence of sources, and every read and
write of labels, through the store (:mod:`adviser_analytics.store.labels` holds the SQL).

Every change of value or source writes ``label_history`` (old and new value and source,
when); a refreshed rule name or reason alone is not a change. Functions here never open a
transaction when the caller has one (the commands use ``ws.transaction()``); called outside
one, each call is one transaction of its own (:func:`unit`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.policy import (
    DECISIONS,
    HANDLINGS,
    OUTCOMES,
    REFERRAL_KINDS,
    RELATIONSHIPS,
)
from adviser_analytics.store import LABEL_KINDS, Workspace, utc_now
from adviser_analytics.store import labels as sql
from adviser_analytics.store.labels import LABEL_COLUMNS, unit

#: the policy's referral kinds, and "other" (a referral with no service link)
REFERRALS = (*REFERRAL_KINDS, "other")
VOCABULARY: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIPS,
    "decision": DECISIONS,
    "handling": HANDLINGS,  # no_reply_needed among them: an acknowledgement, not a request
    "referral": REFERRALS,
    "outcome": OUTCOMES,
}
SOURCE_RANK = {"suggested": 1, "inferred": 2, "confirmed": 3}
SOURCES = ("inferred", "suggested", "confirmed")


def allowed_values(kind: str) -> str:
    return ", ".join(VOCABULARY[kind])


def check_value(kind: str, value: object) -> str:
    """``value`` folded (trimmed, lower-case) if it is in ``kind``'s vocabulary, else
    :class:`BadLabelsError` naming the allowed values."""
    if kind not in VOCABULARY:
        raise BadLabelsError(f"there is no label kind {kind!r}",
                             what_to_do=f"use one of: {', '.join(LABEL_KINDS)}")
    folded = str(value).strip().lower() if value is not None else ""
    if folded not in VOCABULARY[kind]:
        raise BadLabelsError(f"{value!r} is not a {kind}",
                             what_to_do=f"use one of: {allowed_values(kind)}")
    return folded


def stored_labels(ws: Workspace, kinds: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """The labels table (optionally some kinds) as a frame of text columns."""
    return sql.stored(ws, kinds)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.astype(object).where(a.notna(), "").astype(str) == \
        b.astype(object).where(b.notna(), "").astype(str)


def write_labels(ws: Workspace, new: pd.DataFrame, *, protect: str) -> dict:
    """Upsert ``new`` (``LABEL_COLUMNS``). ``protect``: ``"rank"`` keeps any stored label of a
    higher source; ``"confirmed"`` keeps only confirmed ones. Returns counts."""
    counts = {"added": 0, "changed": 0, "unchanged": 0, "kept": 0, "kept_confirmed": 0,
              "kept_inferred": 0}
    if new is None or len(new) == 0:
        return counts
    new = new.reindex(columns=LABEL_COLUMNS).astype(object)
    new = new.drop_duplicates(["kind", "subject"], keep="last").reset_index(drop=True)
    old = stored_labels(ws, tuple(pd.unique(new["kind"])))
    merged = new.merge(old, on=["kind", "subject"], how="left", suffixes=("", "_old"))
    exists = merged["value_old"].notna()
    rank_new = merged["source"].map(SOURCE_RANK).astype(float)
    rank_old = merged["source_old"].map(SOURCE_RANK).astype(float)
    if protect == "rank":
        blocked = exists & (rank_old > rank_new)
    elif protect == "nothing":  # undo: put back exactly what was there
        blocked = pd.Series(False, index=merged.index)
    else:
        blocked = exists & (merged["source_old"] == "confirmed") & (merged["source"] != "confirmed")
    same_vs = exists & _same(merged["value"], merged["value_old"]) \
        & _same(merged["source"], merged["source_old"])
    same_all = same_vs & _same(merged["rule"], merged["rule_old"]) \
        & _same(merged["reason"], merged["reason_old"])
    write = ~blocked & ~same_all
    history = write & ~same_vs
    now = utc_now()
    sql.upsert(ws, merged[write], now)
    sql.add_history(ws, merged[history].rename(columns={
        "value_old": "old_value", "source_old": "old_source", "value": "new_value",
        "source": "new_source"}), now)
    counts["added"] = int((history & ~exists).sum())
    counts["changed"] = int((history & exists).sum())
    counts["unchanged"] = int((~blocked & same_vs).sum())
    counts["kept"] = int(blocked.sum())
    counts["kept_confirmed"] = int((blocked & (merged["source_old"] == "confirmed")).sum())
    counts["kept_inferred"] = int((blocked & (merged["source_old"] == "inferred")).sum())
    return counts


def remove_labels(ws: Workspace, keys: pd.DataFrame) -> int:
    """Delete labels (``kind``, ``subject``), writing history (new value NULL)."""
    if keys is None or len(keys) == 0:
        return 0
    old = stored_labels(ws, tuple(pd.unique(keys["kind"])))
    gone = old.merge(keys[["kind", "subject"]].drop_duplicates(), on=["kind", "subject"])
    if len(gone) == 0:
        return 0
    sql.delete(ws, gone, utc_now())
    return len(gone)


def set_labels(ws: Workspace, frame: pd.DataFrame, source: str) -> dict:
    """Store many labels of one source (columns ``kind, subject, value`` and optionally
    ``rule, reason``), vectorised. A stored label of a higher source is kept (confirmed >
    inferred > suggested); same-source labels are replaced. Values are checked against the
    vocabulary (:class:`BadLabelsError` names the allowed values). Returns counts:
    ``added, changed, unchanged, kept`` (``kept``: left alone for a stronger label)."""
    if source not in SOURCE_RANK:
        raise BadLabelsError(f"{source!r} is not a label source",
                             what_to_do=f"use one of: {', '.join(SOURCES)}")
    frame = frame.copy()
    for column in ("rule", "reason"):
        if column not in frame:
            frame[column] = None
    frame["subject"] = frame["subject"].map(_subject_text)
    frame["value"] = frame["value"].astype(object).map(
        lambda v: str(v).strip().lower() if v is not None and v == v else "")
    for kind, values in frame.groupby("kind", sort=False)["value"]:
        if kind not in VOCABULARY:
            raise BadLabelsError(f"there is no label kind {kind!r}",
                                 what_to_do=f"use one of: {', '.join(LABEL_KINDS)}")
        bad = values[~values.isin(VOCABULARY[kind])]
        if len(bad):
            raise BadLabelsError(f"{bad.iloc[0]!r} is not a {kind}",
                                 what_to_do=f"use one of: {allowed_values(kind)}")
    frame["source"] = source
    with unit(ws):
        return write_labels(ws, frame[LABEL_COLUMNS], protect="rank")


def _subject_text(subject: object) -> str:
    if isinstance(subject, (int, np.integer)):
        return str(int(subject))
    if isinstance(subject, float) and subject.is_integer():
        return str(int(subject))
    return str(subject)


def set_label(ws: Workspace, kind: str, subject: object, value: str, source: str,
              rule: str | None = None, reason: str | None = None) -> str:
    """Store one label (see :func:`set_labels`); returns ``added``, ``changed``,
    ``unchanged`` or ``kept`` (a stronger label is stored)."""
    check_value(kind, value)
    counts = set_labels(ws, pd.DataFrame([{"kind": kind, "subject": _subject_text(subject),
                                           "value": value, "rule": rule, "reason": reason}]),
                        source)
    for outcome in ("added", "changed", "kept"):
        if counts[outcome]:
            return outcome
    return "unchanged"


def remove_label(ws: Workspace, kind: str, subject: object) -> bool:
    """Delete one label (history records it). True if there was one."""
    with unit(ws):
        return remove_labels(ws, pd.DataFrame([{"kind": kind, "subject": _subject_text(subject)}])) > 0


def current_label(ws: Workspace, kind: str, subject: object) -> tuple[str, str] | None:
    """The stored ``(value, source)`` of one label, or ``None``."""
    return sql.current(ws, kind, _subject_text(subject))


def last_change(ws: Workspace, kind: str, subject: object) -> tuple | None:
    """The newest history entry of one label: ``(old_value, old_source, new_value,
    new_source)``, or ``None`` if it never changed."""
    return sql.last_change(ws, kind, _subject_text(subject))


def empty_labels() -> pd.DataFrame:
    """No labels, with the label columns."""
    return pd.DataFrame(columns=LABEL_COLUMNS, dtype=object)


def iso_day(ts: pd.Series) -> pd.Series:
    """Times as ``YYYY-MM-DD`` text."""
    return ts.dt.strftime("%Y-%m-%d")
