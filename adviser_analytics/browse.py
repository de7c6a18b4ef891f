"""``adviser-analytics browse``: the workspace in Datasette, read-only, with ready-made queries.

Datasette is an optional extra (``pip install 'adviser-analytics[browse]'``). The workspace
file is opened read-only (Datasette's ``mode=ro``; not ``--immutable``, which would assume
the file never changes while an ingest may be running), on this computer only
(127.0.0.1). Ready-made ("canned") queries: who is waiting for a reply, introductions by
contact and by employer; the messages table gets a search box over the full-text index.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

__all__ = ["DATABASE", "waiting_sql", "INTRODUCTIONS_BY_CONTACT_SQL",
           "INTRODUCTIONS_BY_EMPLOYER_SQL", "metadata", "datasette_command", "datasette_installed"]

DATABASE = "adviser"  # Datasette names a database after its file: adviser.sqlite
HIDDEN = ("meta", "label_history", "invitation_sightings", "blank_connections", "erasures",
          "pseudonyms", "message_search_state")


def waiting_sql(window_days: int = 30) -> str:
    """Requests waiting for a reply at the newest export's date: one-to-one conversations whose
    last messages are theirs, the run starting within ``window_days`` (older ones are
    "lapsed"), leaving out runs labelled no_reply_needed. A quick look: the reports' figure,
    which also follows the policy in force on each date, is the reference."""
    window = int(window_days)
    return f"""
WITH p2p AS (
  SELECT message_id, conversation_id, sent_at, direction, sender_key, sender_name
  FROM messages WHERE exclusion IS NULL AND direction IN ('inbound', 'outbound')
),
one_to_one AS (
  SELECT conversation_id FROM p2p WHERE direction = 'inbound'
  GROUP BY conversation_id HAVING COUNT(DISTINCT sender_key) = 1
),
last_reply AS (
  SELECT conversation_id, MAX(sent_at) AS replied_at FROM p2p WHERE direction = 'outbound'
  GROUP BY conversation_id
),
unanswered AS (
  SELECT p.conversation_id, MIN(p.sent_at) AS started_at, COUNT(*) AS messages,
         MAX(p.sender_name) AS person, MAX(p.sender_key) AS person_key
  FROM p2p p LEFT JOIN last_reply r USING (conversation_id)
  WHERE p.direction = 'inbound' AND (r.replied_at IS NULL OR p.sent_at > r.replied_at)
    AND p.conversation_id IN (SELECT conversation_id FROM one_to_one)
  GROUP BY p.conversation_id
),
data_end AS (SELECT MAX(export_date) AS data_to FROM snapshots)
SELECT u.person, rel.value AS relationship, u.started_at,
       CAST(julianday(d.data_to) - julianday(u.started_at) AS INTEGER) AS days_waiting,
       u.messages, u.conversation_id
FROM unanswered u CROSS JOIN data_end d
LEFT JOIN labels rel ON rel.kind = 'relationship' AND rel.subject = u.person_key
WHERE u.started_at >= date(d.data_to, '-{window} days')
  AND NOT EXISTS (SELECT 1 FROM labels h WHERE h.kind = 'handling'
                  AND h.value = 'no_reply_needed'
                  AND h.subject = u.conversation_id || '|' || u.started_at)
ORDER BY u.started_at
""".strip()


INTRODUCTIONS_BY_CONTACT_SQL = """
SELECT COALESCE(p.name, i.target_name) AS contact, p.company AS company,
       COUNT(*) AS asked,
       SUM(COALESCE(o.value, 'unreviewed') IN ('made', 'met')) AS made,
       SUM(COALESCE(o.value, 'unreviewed') = 'unreviewed') AS unreviewed,
       MIN(i.requested_on) AS first_asked, MAX(i.requested_on) AS last_asked
FROM introductions i
LEFT JOIN people p ON p.person_key = i.target_key
LEFT JOIN labels o ON o.kind = 'outcome' AND o.subject = CAST(i.introduction_id AS TEXT)
GROUP BY COALESCE(i.target_key, 'name:' || i.target_name)
ORDER BY asked DESC, contact
""".strip()

INTRODUCTIONS_BY_EMPLOYER_SQL = """
SELECT COALESCE(p.company, '(employer not known)') AS employer, COUNT(*) AS asked,
       COUNT(DISTINCT COALESCE(i.target_key, i.target_name)) AS contacts,
       SUM(COALESCE(o.value, 'unreviewed') IN ('made', 'met')) AS made,
       ROUND(100.0 * COUNT(*) / (SELECT COUNT(*) FROM introductions), 1) AS percent_of_all
FROM introductions i
LEFT JOIN people p ON p.person_key = i.target_key
LEFT JOIN labels o ON o.kind = 'outcome' AND o.subject = CAST(i.introduction_id AS TEXT)
GROUP BY employer
ORDER BY asked DESC, employer
""".strip()


def metadata(window_days: int = 30) -> dict:
    """Datasette metadata: titles, the canned queries, the search box, hidden tables."""
    return {
        "title": "Your adviser-analytics workspace (read-only)",
        "description": "Your own LinkedIn data: clients' personal data, shown on this computer "
                       "only. Nothing here can be changed.",
        "databases": {DATABASE: {
            "queries": {
                "who_is_waiting": {
                    "title": "Who is waiting for a reply",
                    "description": f"Requests with no reply yet that started within "
                                   f"{int(window_days)} days of your newest export (one-to-one "
                                   "conversations; acknowledgements you marked as needing no "
                                   "reply are left out). Oldest first.",
                    "sql": waiting_sql(window_days)},
                "introductions_by_contact": {
                    "title": "Introductions by contact",
                    "description": "How often clients asked to be introduced to each contact, "
                                   "and how many introductions were made (made or met).",
                    "sql": INTRODUCTIONS_BY_CONTACT_SQL},
                "introductions_by_employer": {
                    "title": "Introductions by employer",
                    "description": "Introductions asked for, by the contact's employer: a few "
                                   "employers with most of them is worth reflecting on "
                                   "(impartiality).",
                    "sql": INTRODUCTIONS_BY_EMPLOYER_SQL},
            },
            "tables": {
                "messages": {"fts_table": "message_search", "fts_pk": "message_id",
                             "sort_desc": "sent_at"},
                **{name: {"hidden": True} for name in HIDDEN},
            },
        }},
    }


def datasette_command(db_file: Path, metadata_file: Path, port: int = 8001,
                      open_browser: bool = False) -> list[str]:
    """The Datasette command line: read-only (not immutable), local only, no download of the
    whole file."""
    command = [sys.executable, "-m", "datasette", "serve", str(db_file),
               "--metadata", str(metadata_file), "--host", "127.0.0.1", "--port", str(port),
               "--setting", "allow_download", "off", "--setting", "sql_time_limit_ms", "5000"]
    if open_browser:
        command.append("--open")
    return command


def datasette_installed() -> bool:
    return importlib.util.find_spec("datasette") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------- command
