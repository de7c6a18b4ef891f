"""The store: the one room that writes (and reads) SQL. The workspace is one SQLite file.

- :mod:`.workspace`: :class:`Workspace` (open, create, migrate, transactions, the frames every
  other module reads), :class:`Owner`, where a workspace lives.
- :mod:`.schema`: the tables, :data:`MIGRATIONS`, the stable message key.
- :mod:`.snapshots`: the snapshot merge ``ingest`` runs.
- :mod:`.labels`: the ``labels``, ``label_history`` and ``introductions`` tables.
- :mod:`.erasure`: ``forget --person`` and ``forget --content-before``, and what ingest must
  respect of them.
- :mod:`.pseudonyms`: the supervision codes, kept once given.

No module outside this package calls ``execute``; a test (``tests/test_store_only_sql.py``)
fails if one does.
"""

from adviser_analytics.store.schema import (
    LABEL_KINDS,
    LABEL_SOURCES,
    MESSAGE_KEY_COLUMNS,
    MESSAGE_KEY_INDEX,
    MIGRATIONS,
    SCHEMA_VERSION,
    message_keys,
    natural_key_hashes,
)
from adviser_analytics.store.workspace import (
    DB_NAME,
    ENV_VAR,
    SECRET_NAME,
    Owner,
    Workspace,
    default_path,
    utc_now,
    worded_error,
    workspace_lock,
)

__all__ = [
    "DB_NAME", "ENV_VAR", "SECRET_NAME", "LABEL_KINDS", "LABEL_SOURCES", "MESSAGE_KEY_COLUMNS",
    "MESSAGE_KEY_INDEX", "MIGRATIONS", "SCHEMA_VERSION", "Owner", "Workspace", "default_path",
    "message_keys", "natural_key_hashes", "utc_now", "worded_error", "workspace_lock",
]
