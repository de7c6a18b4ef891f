"""The ``pseudonyms`` table: the supervision codes given to people, kept so they never change.

How a code is made (an HMAC with the workspace's secret, collisions resolved) is the privacy
room's business (``privacy.assign_pseudonyms``); this module only reads and stores codes.
"""

from __future__ import annotations

from collections.abc import Iterable

from adviser_analytics import privacy
from adviser_analytics.store.workspace import Workspace


def stored_pseudonyms(ws: Workspace) -> dict[str, str]:
    """Every code given so far: person key -> code."""
    return dict(ws.db.execute("SELECT person_key, code FROM pseudonyms").fetchall())


def ensure_pseudonyms(ws: Workspace, person_keys: Iterable[str]) -> dict[str, str]:
    """Pseudonym codes for these people (and every code already stored): codes once given are
    kept in the workspace's ``pseudonyms`` table and never change."""
    keys = {k for k in person_keys if isinstance(k, str) and k}
    existing = stored_pseudonyms(ws)
    if keys - existing.keys():
        secret = privacy.load_or_create_secret(ws.secret_path)
        with ws.transaction() as db:
            existing = stored_pseudonyms(ws)
            missing = keys - existing.keys()
            if missing:
                new = privacy.assign_pseudonyms(secret, missing, existing)
                db.executemany("INSERT OR IGNORE INTO pseudonyms(person_key, code) VALUES (?, ?)",
                               [(k, new[k]) for k in sorted(missing)])
                existing.update({k: new[k] for k in missing})
    return existing
