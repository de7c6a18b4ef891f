"""The workspace: one SQLite file that accumulates snapshots, labels and policy.

SQLite (standard library) because the workspace must be transactional, durable and open to
inspection with any SQLite browser. Timestamps are ISO 8601 UTC text
(``YYYY-MM-DDTHH:MM:SSZ``), dates ``YYYY-MM-DD``; both sort as text.

Nothing ingested is ever dropped: rows are merged by natural keys, and each keeps the export
dates on which it was first and last seen. Only ``forget`` removes data, on the adviser's
explicit request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adviser_analytics.errors import AdviserAnalyticsError, WorkspaceError
from adviser_analytics.store.schema import (
    LABEL_SOURCES,
    MESSAGE_KEY_CANARY,
    MESSAGE_KEY_COLUMNS,
    MESSAGE_KEY_INDEX,
    MIGRATIONS,
    SCHEMA_VERSION,
    _message_key_canary,
    message_keys,
    split_sql,
)

DB_NAME = "adviser.sqlite"
SECRET_NAME = "pseudonym.key"
LOCK_NAME = "ingest.lock"
LOCK_WAIT_SECONDS = 60.0
ENV_VAR = "ADVISER_ANALYTICS_WORKSPACE"


def utc_now() -> str:
    """Now, as workspace timestamp text."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_path() -> Path:
    """``$ADVISER_ANALYTICS_WORKSPACE``, else ``./workspace``."""
    return Path(os.environ.get(ENV_VAR) or "workspace")


@dataclass(frozen=True)
class Owner:
    """The account holder: the adviser whose exports these are."""

    name: str | None
    profile_url: str | None

    @property
    def key(self) -> str | None:
        from adviser_analytics.people import person_key

        return person_key(self.profile_url, self.name)


class Workspace:
    """An open workspace. Use :meth:`open` or :meth:`create`; close with :meth:`close`."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self.db = connection
        self._at_end: list[Callable[[bool], None]] = []

    # ---------------------------------------------------------------- opening
    @classmethod
    def create(cls, path: str | os.PathLike) -> Workspace:
        """Open the workspace at ``path``, creating it (owner-only permissions) if absent."""
        path = Path(path)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            db_file = path / DB_NAME
            if not db_file.exists():
                fd = os.open(db_file, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        except OSError as error:
            raise WorkspaceError(
                f"cannot create the workspace folder {path} ({error.strerror})",
                what_to_do="choose a folder you can write to with --workspace",
            ) from None
        return cls._connect(path)

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> Workspace:
        """Open an existing workspace; :class:`WorkspaceError` if there is none."""
        path = Path(path) if path is not None else default_path()
        if not (path / DB_NAME).is_file():
            raise WorkspaceError(
                f"there is no workspace at {path}",
                what_to_do=(
                    "ingest an export first (adviser-analytics ingest EXPORT.zip), or point "
                    f"--workspace or {ENV_VAR} at the folder that holds your workspace"
                ),
            )
        return cls._connect(path)

    read_only = False
    """Opened read-only (the folder or the file cannot be written): reading works,
    :meth:`transaction` refuses with a worded error."""

    @classmethod
    def _connect(cls, path: Path) -> Workspace:
        db_file = path / DB_NAME
        read_only = not _writable(path) or not _writable(db_file)
        try:
            if read_only:
                connection = _connect_read_only(db_file)
            else:
                connection = sqlite3.connect(db_file, timeout=30, isolation_level=None)
            connection.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA cache_size = -65536")
            workspace = cls(path, connection)
            workspace.read_only = read_only
            workspace._migrate()
        except sqlite3.DatabaseError as error:
            worded = worded_error(error, path)
            if worded is not None:
                raise worded from None
            raise WorkspaceError(
                f"{db_file} is not a workspace this program can read ({error})",
                what_to_do="check the --workspace folder; restore it from your backup if the file was damaged",
            ) from None
        if not read_only:
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IRWXU)
        return workspace

    def _read_only_error(self, needs: str = "this command needs write access") -> WorkspaceError:
        return WorkspaceError(
            f"the workspace at {self.path} is read-only (its folder or its file cannot be "
            f"written); reading commands (status, metrics, report) work, but {needs}",
            what_to_do="run the command on a copy you can write to, or ask whoever owns the "
                       "folder to make it writable for you")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the workspace at {self.path} was written by a newer version of adviser-analytics",
                what_to_do="upgrade adviser-analytics (make demo reinstalls it) before using this workspace",
            )
        if self.read_only and version < SCHEMA_VERSION:
            raise self._read_only_error("it was written by an older version of "
                                        "adviser-analytics and needs write access once to be "
                                        "brought up to date")
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in split_sql(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                if number == 0:
                    self.db.execute(
                        "INSERT INTO meta(key, value) VALUES ('created_at', ?)", (utc_now(),)
                    )
                if number == 2:
                    self._rekey_messages()
                if number == 4:
                    refresh_participants(self)

    def check_message_keys(self) -> None:
        """Record the key canary at first use; recompute every key if the hash has changed
        (inside the caller's transaction)."""
        stored = self.meta(MESSAGE_KEY_CANARY)
        if stored is None:
            self.set_meta(MESSAGE_KEY_CANARY, _message_key_canary())
        elif stored != _message_key_canary():
            self._rekey_messages()

    def _rekey_messages(self) -> None:
        """(Re)compute ``message_key`` for every stored message; (re)build its unique index."""
        self.db.execute("DROP INDEX IF EXISTS messages_key")
        rows = pd.read_sql_query(
            f"SELECT message_id, {', '.join(MESSAGE_KEY_COLUMNS)} FROM messages", self.db
        )
        if len(rows):
            self.db.executemany(
                "UPDATE messages SET message_key = ? WHERE message_id = ?",
                zip(message_keys(rows).tolist(), rows["message_id"].tolist(), strict=True),
            )
        self.db.execute(MESSAGE_KEY_INDEX)
        self.set_meta(MESSAGE_KEY_CANARY, _message_key_canary())

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing unit of work (``BEGIN IMMEDIATE`` ... ``COMMIT``).

        A full disk or a file that cannot be written, inside or at the commit, rolls back and
        raises a worded :class:`WorkspaceError`: the workspace stays as it was."""
        if self.read_only:
            raise self._read_only_error()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            worded = worded_error(error, self.path)
            if worded is not None:
                raise worded from None
            raise WorkspaceError(
                f"the workspace at {self.path} is busy ({error})",
                what_to_do="wait for the other adviser-analytics command to finish, then try again",
            ) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as error:
            if self.db.in_transaction:  # (SQLite may have rolled back already: disk full)
                self.db.execute("ROLLBACK")
            self._transaction_ended(committed=False)
            worded = worded_error(error, self.path) if isinstance(error, Exception) else None
            if worded is not None:
                raise worded from None
            raise
        self._transaction_ended(committed=True)

    def at_transaction_end(self, action: Callable[[bool], None]) -> None:
        """Run ``action(committed)`` once the current transaction has committed or rolled
        back (e.g. to set a connection setting back, or to checkpoint after a commit); the
        last registered runs first, so settings changed twice are set back in order."""
        self._at_end.append(action)

    def _transaction_ended(self, committed: bool) -> None:
        actions, self._at_end = self._at_end, []
        for action in reversed(actions):
            action(committed)

    # ---------------------------------------------------------------- meta
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def owner(self) -> Owner:
        return Owner(self.meta("owner_name"), self.meta("owner_url"))

    @property
    def secret_path(self) -> Path:
        return self.path / SECRET_NAME

    # ---------------------------------------------------------------- frames
    def _frame(self, sql: str, params: tuple = (), *, times=(), dates=()) -> pd.DataFrame:
        frame = pd.read_sql_query(sql, self.db, params=params)
        for column in times:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").dt.as_unit("ns")
        for column in dates:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="%Y-%m-%d").dt.as_unit("ns")
        return frame

    #: What the metrics need of a message (who, when, which conversation, which way), and
    #: ``participants``: how many people its conversation is between (``conversations``).
    METRIC_COLUMNS = ("message_id", "conversation_id", "sent_at", "sender_key", "direction",
                      "counterpart_key", "exclusion", "participants")

    def messages(self, include_excluded: bool = False, content: bool = True,
                 columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Messages with ``direction`` and ``exclusion``; by default person-to-person only.
        ``content=False`` leaves out the text; ``columns`` picks columns (e.g.
        :attr:`METRIC_COLUMNS`)."""
        columns = list(columns) if columns else [
            "message_id", "conversation_id", "conversation_title", "sent_at", "sender_key",
            "sender_name", "sender_url", "to_names", "recipient_urls", "subject", "content",
            "folder", "direction", "counterpart_key", "exclusion", "first_seen_on", "last_seen_on",
            "participants",
        ]
        if not content:
            columns = [c for c in columns if c not in ("content", "subject")]
        where = "" if include_excluded else "WHERE m.exclusion IS NULL"
        selected = ", ".join("COALESCE(c.participants, 2) AS participants" if column ==
                             "participants" else f"m.{column}" for column in columns)
        joined = " LEFT JOIN conversations c USING (conversation_id)" \
            if "participants" in columns else ""
        return self._frame(
            f"SELECT {selected} FROM messages m{joined} {where} ORDER BY m.sent_at, m.message_id",
            times=("sent_at",),
            dates=tuple(c for c in ("first_seen_on", "last_seen_on") if c in columns),
        )

    def connections(self) -> pd.DataFrame:
        """Everyone ever connected, with the person's latest known details."""
        return self._frame(
            "SELECT c.person_key, p.name, p.profile_url, p.email, p.company, p.position, "
            "c.connected_on, c.first_seen_on, c.last_seen_on "
            "FROM connections c JOIN people p USING (person_key) ORDER BY c.connected_on DESC",
            dates=("connected_on", "first_seen_on", "last_seen_on"),
        )

    def people(self) -> pd.DataFrame:
        """Every person seen, with ``is_connection`` and the relationship label (if any)."""
        return self._frame(
            "SELECT p.person_key, p.name, p.profile_url, p.company, p.position, p.email, "
            "c.person_key IS NOT NULL AS is_connection, "
            "l.value AS relationship, l.source AS relationship_source "
            "FROM people p LEFT JOIN connections c USING (person_key) "
            "LEFT JOIN labels l ON l.kind = 'relationship' AND l.subject = p.person_key "
            "ORDER BY p.name",
        ).assign(is_connection=lambda f: f["is_connection"].astype(bool))

    def invitations(self) -> pd.DataFrame:
        """Every invitation ever seen, with the snapshots it appeared in."""
        return self._frame(
            "SELECT i.invitation_id, i.direction, i.person_key, i.name, i.profile_url, "
            "i.sent_at, i.message, i.first_seen_on, i.last_seen_on, "
            "COUNT(s.snapshot_id) AS snapshots "
            "FROM invitations i LEFT JOIN invitation_sightings s USING (invitation_id) "
            "GROUP BY i.invitation_id ORDER BY i.sent_at",
            times=("sent_at",), dates=("first_seen_on", "last_seen_on"),
        )

    def snapshots(self) -> pd.DataFrame:
        """One row per ingested export."""
        return self._frame(
            "SELECT snapshot_id, source, export_date, ingested_at, layouts, counts "
            "FROM snapshots ORDER BY export_date, snapshot_id",
            times=("ingested_at",), dates=("export_date",),
        )

    def labels(self, kind: str | None = None) -> pd.DataFrame:
        """Labels with their source and the rule or reason behind them."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        return self._frame(
            f"SELECT kind, subject, value, source, rule, reason, updated_at FROM labels {where} "
            "ORDER BY kind, subject",
            params, times=("updated_at",),
        )

    def introductions(self) -> pd.DataFrame:
        """Introduction requests with their outcome label (``unreviewed`` if none)."""
        frame = self._frame(
            "SELECT i.introduction_id, i.requester_key, r.name AS requester_name, i.target_key, "
            "i.target_name, i.requested_on, i.conversation_id, i.message_id, i.rule, "
            "i.resolved_on, l.value AS outcome, l.source AS outcome_source "
            "FROM introductions i LEFT JOIN people r ON r.person_key = i.requester_key "
            "LEFT JOIN labels l ON l.kind = 'outcome' "
            "AND l.subject = CAST(i.introduction_id AS TEXT) ORDER BY i.requested_on",
            dates=("requested_on", "resolved_on"),
        )
        frame["outcome"] = frame["outcome"].fillna("unreviewed")
        return frame

    def policy_text(self) -> str | None:
        """The YAML of the policy most recently set, or ``None``."""
        row = self.db.execute(
            "SELECT yaml FROM policies ORDER BY policy_id DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def policy(self):
        """The stored policy as a :class:`~adviser_analytics.policy.Policy`, or ``None``."""
        from adviser_analytics.policy import load_policy

        text = self.policy_text()
        return load_policy(text, file="the stored policy") if text else None

    def set_policy_text(self, text: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO policies(yaml, set_at) VALUES (?, ?)", (text, utc_now()))

    # ---------------------------------------------------------------- summary
    def totals(self) -> dict:
        """How many connections, person-to-person messages and invitations the workspace holds."""
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "connections": one("SELECT COUNT(*) FROM connections"),
            "messages": one("SELECT COUNT(*) FROM messages WHERE exclusion IS NULL"),
            "invitations": one("SELECT COUNT(*) FROM invitations"),
        }

    def status(self) -> dict:
        """What the workspace holds, in the contract's ``status --json`` shape."""
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        dates = [
            d for d in (
                one("SELECT MIN(sent_at) FROM messages WHERE exclusion IS NULL"),
                one("SELECT MAX(sent_at) FROM messages WHERE exclusion IS NULL"),
                one("SELECT MIN(connected_on) FROM connections"),
                one("SELECT MAX(connected_on) FROM connections"),
                one("SELECT MIN(sent_at) FROM invitations"),
                one("SELECT MAX(sent_at) FROM invitations"),
            ) if d
        ]
        label_counts = dict.fromkeys(LABEL_SOURCES, 0)
        for source, count in self.db.execute("SELECT source, COUNT(*) FROM labels GROUP BY source"):
            label_counts[source] = count
        owner = self.owner
        return {
            "owner": {"name": owner.name, "profile_url": owner.profile_url},
            "snapshots": one("SELECT COUNT(*) FROM snapshots"),
            **self.totals(),
            "first_date": min(dates)[:10] if dates else None,
            "last_date": max(dates)[:10] if dates else None,
            "labels": label_counts,
        }

    def snapshot_counts(self) -> list[dict]:
        """The per-export counts recorded at ingest (for ``status``)."""
        rows = self.db.execute(
            "SELECT source, export_date, ingested_at, counts FROM snapshots "
            "ORDER BY export_date, snapshot_id"
        ).fetchall()
        return [
            {"source": s, "export_date": d, "ingested_at": i, **json.loads(c or "{}")}
            for s, d, i, c in rows
        ]


# ---------------------------------------------------------------- conversations
def refresh_participants(ws: Workspace) -> None:
    """Recount ``conversations.participants`` from the stored person-to-person messages
    (inside the caller's transaction): the sender plus the recipients named by the
    conversation's widest message, at least 2. Only messages naming several recipients
    are read back."""
    from adviser_analytics.people import participants_per_conversation

    db = ws.db
    db.execute("DELETE FROM conversations")
    db.execute("INSERT INTO conversations(conversation_id, participants) "
               "SELECT DISTINCT conversation_id, 2 FROM messages WHERE exclusion IS NULL")
    lists = pd.read_sql_query(
        "SELECT DISTINCT conversation_id, recipient_urls FROM messages WHERE exclusion IS NULL "
        "AND (instr(recipient_urls, ',') > 0 OR instr(recipient_urls, ';') > 0)", db)
    if len(lists):
        widest = participants_per_conversation(lists["conversation_id"],
                                               lists["recipient_urls"])
        widest = widest[widest > 2]
        db.executemany("UPDATE conversations SET participants = ? WHERE conversation_id = ?",
                       zip(widest.tolist(), widest.index.tolist(), strict=True))


# ---------------------------------------------------------------- read-only, full, locked
def _writable(path: Path) -> bool:
    """Whether ``path`` may be written: permissions allow it, it is not on a read-only file
    system, and (for the superuser, whom permissions do not stop) someone may write it."""
    try:
        info = os.stat(path)
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    if not os.access(path, os.W_OK):
        return False
    return os.geteuid() != 0 or bool(info.st_mode & 0o222)


def _connect_read_only(db_file: Path) -> sqlite3.Connection:
    """A connection that writes nothing, not even SQLite's side files: ``immutable`` when the
    write-ahead log is empty (everything is in the main file), else ``mode=ro``."""
    uri = "file:" + urllib.parse.quote(str(db_file.absolute()))
    wal = Path(f"{db_file}-wal")
    immutable = not wal.exists() or wal.stat().st_size == 0
    uri += "?mode=ro&immutable=1" if immutable else "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)


_FULL = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_IOERR = 13, 8, 10


def worded_error(error: BaseException, where: os.PathLike | str | None = None
                 ) -> AdviserAnalyticsError | None:
    """The worded error for a full disk or a workspace that cannot be written, else ``None``
    (``where``: the workspace or output folder concerned)."""
    if isinstance(error, AdviserAnalyticsError):
        return None
    full = readonly = False
    target = where
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(error).lower()
        full = code == _SQLITE_FULL or "disk is full" in text
        readonly = code == _SQLITE_READONLY or "readonly database" in text
    elif isinstance(error, OSError):
        full = error.errno in _FULL
        readonly = error.errno == errno.EROFS
        target = error.filename or where
    place = f" ({target})" if target else ""
    if full:
        return WorkspaceError(
            f"the disk is full{place}: there was no room to finish, so nothing was changed; "
            "the workspace is as it was before this command",
            what_to_do="free some space on that disk (or choose a folder on another disk), then "
                       "run the command again")
    if readonly:
        return WorkspaceError(
            f"this cannot be written{place}: the folder or the disk is read-only, so nothing "
            "was changed",
            what_to_do="run the command on a copy you can write to, or choose another folder")
    return None


@contextlib.contextmanager
def workspace_lock(folder: str | os.PathLike, *, wait: float | None = None,
                   on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the workspace's exclusive lock (``fcntl.flock`` on :data:`LOCK_NAME` in
    ``folder``, made if absent) for a whole ingest, so two ingests never run at once and a
    failed first ingest cannot clean up another's data. Waits up to ``wait`` seconds
    (default :data:`LOCK_WAIT_SECONDS`; ``on_wait`` is called once when it has to), then
    raises :class:`WorkspaceError` (busy)."""
    folder = Path(folder)
    lock_file = folder / LOCK_NAME
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    told = False
    while True:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(lock_file, os.O_RDONLY | os.O_CREAT, 0o600)
        except FileNotFoundError:
            continue  # the folder was just removed by a failed first ingest: make it again
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and folder.is_dir():
                raise WorkspaceError(
                    f"the workspace at {folder} is read-only (its folder or its file cannot be "
                    "written); reading commands (status, metrics, report) work, but adding an "
                    "export needs write access",
                    what_to_do="run the command on a copy you can write to, or ask whoever owns "
                               "the folder to make it writable for you") from None
            raise worded_error(error, folder) or WorkspaceError(
                f"cannot create the workspace folder {folder} ({error.strerror})",
                what_to_do="choose a folder you can write to with --workspace") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise WorkspaceError(
                    f"the workspace at {folder} is busy: another adviser-analytics command is "
                    "adding an export to it",
                    what_to_do="wait for the other command to finish, then try again") from None
            if on_wait and not told:
                on_wait()
                told = True
            time.sleep(0.1)
            continue
        try:  # the holder before may have removed the folder: lock the file that is there now
            same = os.fstat(fd).st_ino == os.stat(lock_file).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)

