"""Erasure and retention (UK GDPR) as workspace operations: the SQL behind ``forget``.

- Erasing a person removes them everywhere: their profile, connection, invitations, the
  conversations held with them alone (both sides), their messages in group conversations,
  their name and link in other messages' recipients, labels about them or those
  conversations, introductions they asked for or were the target of, and their pseudonym.
  A digest of their key is kept so that re-ingesting an old export does not bring them back
  (:func:`erased_digests`, read by ingest).
- Retention drops message text (content and subject) sent before a date, keeping what the
  metrics need (who, when, which conversation, direction). Later ingests keep it dropped
  (:func:`retained_from`).
"""

from __future__ import annotations

import hashlib
import re

from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.people import name_key, normalise_url
from adviser_analytics.store.search import rebuild_if_present
from adviser_analytics.store.workspace import Workspace, utc_now

RETENTION_KEY = "content_retained_from"


def key_digest(person_key: str) -> str:
    """The digest kept for an erased person (SHA-256 of the person key)."""
    return hashlib.sha256(person_key.encode("utf-8")).hexdigest()


def forget_person(ws: Workspace, url_or_key: str) -> dict:
    """Remove one person everywhere; return what was removed, table by table."""
    key = normalise_url(url_or_key) or (url_or_key if url_or_key.startswith("name:") else None)
    if key is None:
        raise AdviserAnalyticsError(
            f"'{url_or_key}' is not a LinkedIn profile link",
            what_to_do="give the person's profile link, e.g. https://www.linkedin.com/in/their-name",
        )
    db = ws.db
    row = db.execute("SELECT name FROM people WHERE person_key = ?", (key,)).fetchone()
    name = row[0] if row else None
    removed: dict[str, int] = {}
    with ws.transaction():
        conversations = [r[0] for r in db.execute(
            "SELECT DISTINCT conversation_id FROM messages WHERE counterpart_key = ? "
            "AND conversation_id NOT IN (SELECT conversation_id FROM messages "
            "WHERE sender_key NOT IN (?, ?) AND direction = 'inbound')",
            (key, key, ""),
        )]
        db.execute("CREATE TEMP TABLE IF NOT EXISTS erased_conversations(conversation_id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM erased_conversations")
        db.executemany("INSERT INTO erased_conversations VALUES (?)", [(c,) for c in conversations])

        removed["labels"] = db.execute(
            "DELETE FROM labels WHERE (kind = 'relationship' AND subject = ?) "
            "OR (kind IN ('handling', 'referral') AND substr(subject, 1, instr(subject, '|') - 1) "
            "IN (SELECT conversation_id FROM erased_conversations)) "
            "OR (kind = 'decision' AND subject IN (SELECT CAST(invitation_id AS TEXT) "
            "FROM invitations WHERE person_key = ? OR name_key = ?)) "
            "OR (kind = 'outcome' AND subject IN (SELECT CAST(introduction_id AS TEXT) "
            "FROM introductions WHERE requester_key = ? OR target_key = ?))",
            (key, key, name_key(name) or "", key, key),
        ).rowcount
        db.execute(
            "DELETE FROM label_history WHERE subject = ? OR substr(subject, 1, instr(subject, '|') - 1) "
            "IN (SELECT conversation_id FROM erased_conversations)", (key,),
        )
        removed["introductions"] = db.execute(
            "DELETE FROM introductions WHERE requester_key = ? OR target_key = ?", (key, key)
        ).rowcount
        sightings = "DELETE FROM invitation_sightings WHERE invitation_id IN " \
                    "(SELECT invitation_id FROM invitations WHERE person_key = ? OR name_key = ?)"
        db.execute(sightings, (key, name_key(name) or ""))
        removed["invitations"] = db.execute(
            "DELETE FROM invitations WHERE person_key = ? OR name_key = ?", (key, name_key(name) or "")
        ).rowcount
        removed["messages"] = db.execute(
            "DELETE FROM messages WHERE sender_key = ? OR conversation_id IN "
            "(SELECT conversation_id FROM erased_conversations)", (key,),
        ).rowcount
        db.execute("UPDATE messages SET counterpart_key = NULL WHERE counterpart_key = ?", (key,))
        removed["mentions_scrubbed"] = _scrub_mentions(ws, key, name)
        removed["connections"] = db.execute("DELETE FROM connections WHERE person_key = ?", (key,)).rowcount
        removed["people"] = db.execute("DELETE FROM people WHERE person_key = ?", (key,)).rowcount
        removed["pseudonyms"] = db.execute("DELETE FROM pseudonyms WHERE person_key = ?", (key,)).rowcount
        db.execute("INSERT OR IGNORE INTO erasures(key_digest, erased_at) VALUES (?, ?)",
                   (key_digest(key), utc_now()))
        if name:
            db.execute("INSERT OR IGNORE INTO erasures(key_digest, erased_at) VALUES (?, ?)",
                       (key_digest("name:" + name_key(name)), utc_now()))
        rebuild_if_present(db)  # no erased word stays in the message search index
    return removed


def _scrub_mentions(ws: Workspace, key: str, name: str | None) -> int:
    """Remove the person's link and name from the recipients of messages that remain."""
    slug = key.rsplit("/", 1)[-1]
    rows = ws.db.execute(
        "SELECT message_id, recipient_urls, to_names FROM messages "
        "WHERE lower(recipient_urls) LIKE ? OR (? IS NOT NULL AND to_names LIKE ?)",
        (f"%{slug}%", name, f"%{name}%"),
    ).fetchall()
    updates = []
    for message_id, urls, names in rows:
        if urls:
            kept = [u for u in re.split(r"\s*[,;]\s*", urls) if normalise_url(u) != key]
            urls = ", ".join(kept) or None
        if names and name:
            names = names.replace(name, "(erased)")
        updates.append((urls, names, message_id))
    ws.db.executemany("UPDATE messages SET recipient_urls = ?, to_names = ? WHERE message_id = ?", updates)
    return len(updates)


def forget_content_before(ws: Workspace, date: str) -> dict:
    """Drop message text sent before ``date`` (``YYYY-MM-DD``); keep the rows for the metrics."""
    with ws.transaction():
        dropped = ws.db.execute(
            "UPDATE messages SET content = NULL, subject = NULL "
            "WHERE sent_at < ? AND (content IS NOT NULL OR subject IS NOT NULL)", (date,),
        ).rowcount
        current = ws.meta(RETENTION_KEY)
        if current is None or date > current:
            ws.set_meta(RETENTION_KEY, date)
        rebuild_if_present(ws.db)  # dropped text leaves the message search index too
    return {"messages_text_dropped": dropped, "content_kept_from": max(date, current or date)}


def erased_digests(ws: Workspace) -> set[str]:
    """The digests (:func:`key_digest`) of every person erased from this workspace."""
    return {row[0] for row in ws.db.execute("SELECT key_digest FROM erasures")}


def retained_from(ws: Workspace) -> str | None:
    """The date (``YYYY-MM-DD``) before which message text is not kept, or ``None``."""
    return ws.meta(RETENTION_KEY)
