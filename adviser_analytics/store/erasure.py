"""Erasure, subject access and retention (UK GDPR) as workspace operations: the SQL behind
``forget`` and ``export-person``.

- Erasing a person removes them everywhere: their profile, connection, invitations, the
  conversations held with them alone (both sides), their messages in group conversations,
  labels about them or those conversations, introductions they asked for or were the target
  of, and their pseudonym. Their name and profile link are replaced by :data:`REDACTED` in
  what other people wrote (message text, subjects, conversation titles, recipients,
  invitation notes).
- The **register of erased people** (table ``erasures``) holds, per erased person, keyed
  digests (HMAC-SHA256 with the workspace's secret, the file beside the database) of their
  normalised profile link, of their name key and of each part of their name - never the
  name, never an unsalted hash. Ingest (:class:`RegisterAtIngest`), ``labels suggest`` and
  introductions (:func:`erased_names`) consult it, so nobody erased comes back. Digests
  written before the register was keyed (plain SHA-256 of the person key) cannot be reversed:
  they are still honoured, and replaced by the keyed form when that person is met again (at
  a ``forget`` or an ingest).
- ``forget`` ends with secure deletion: ``PRAGMA secure_delete`` for the erasing transaction,
  then ``VACUUM`` and a WAL checkpoint (TRUNCATE), so no workspace file keeps the erased
  bytes. While another process holds the workspace open (a triage notebook's kernel, a
  JupyterLab session, a second command) that cannot be guaranteed, so ``forget`` refuses
  before changing anything (:func:`other_holders`).
- Retention drops message text (content, subject, conversation titles) and invitation notes
  sent before a date, keeping what the metrics need (who, when, which conversation,
  direction). ``retention_months`` in the workspace meta keeps only the last N months of
  text at every ingest. Later ingests keep dropped text dropped (:func:`retained_from`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adviser_analytics.errors import AdviserAnalyticsError, WorkspaceError
from adviser_analytics.people import name_key, normalise_url
from adviser_analytics.store.search import rebuild_if_present
from adviser_analytics.store.workspace import DB_NAME, Workspace, refresh_participants, utc_now

RETENTION_KEY = "content_retained_from"
RETENTION_MONTHS_KEY = "retention_months"
#: What an erased person's name or link becomes in what other people wrote.
REDACTED = "[someone you erased]"
_KEYED = "k1-"  # prefix of keyed register entries: k1-url:..., k1-name:..., k1-part:...

_URL = re.compile(r"(?:https?://)?(?:[A-Za-z]{2,3}\.)?linkedin\.com/in/[^\s,;<>\"'()\[\]]+",
                  re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_](?:\w|[-'’.](?=\w))*")
_POSSESSIVE = re.compile(r"['’]s$")
_NAME_SPLIT = re.compile(r"[\s\-‐–]+")
_GAP = re.compile(r"\.?[ \u00a0]+")  # between two words of one name ("N. Dunmore")


def _is_initial(word: str) -> bool:
    """A middle initial or short particle of a name: "N", "J", "de" is not (lower case)."""
    return len(word) <= 2 and word[:1].isupper()


# ------------------------------------------------------------------------- the register
def key_digest(person_key: str) -> str:
    """The old, unsalted digest (SHA-256 of the person key): still honoured, never written."""
    return hashlib.sha256(person_key.encode("utf-8")).hexdigest()


def name_parts(name: object) -> set[str]:
    """The folded parts of a name that can stand alone in a text: each word and each piece of
    a hyphenated word, three letters or more ("Zoë Brontë-Ngata" -> zoë, brontë-ngata,
    brontë, ngata)."""
    key = name_key(name)
    if not key:
        return set()
    words = [w.strip(".,'’\"()") for w in key.split()]
    parts = set(words) | {p for w in words for p in _NAME_SPLIT.split(w)}
    return {p for p in parts if sum(c.isalpha() for c in p) >= 3}


@dataclass
class Register:
    """The erased people of one workspace, as digests; answers "is this person erased?"."""

    secret: bytes | None
    digests: frozenset[str]
    _cache: dict = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.digests)

    def mac(self, kind: str, text: str) -> str:
        """The keyed register entry for ``text`` (a normalised URL, a name key, a name part)."""
        found = self._cache.get((kind, text))
        if found is None:
            digest = hmac.new(self.secret or b"", f"{kind}\0{text}".encode(), hashlib.sha256)
            found = self._cache[(kind, text)] = f"{_KEYED}{kind}:{digest.hexdigest()}"
        return found

    def url_erased(self, url: str | None) -> bool:
        return bool(url) and (self.mac("url", url) in self.digests
                              or key_digest(url) in self.digests)

    def name_erased(self, key: str | None) -> bool:
        return bool(key) and (self.mac("name", key) in self.digests
                              or key_digest("name:" + key) in self.digests)

    def part_erased(self, part: str) -> bool:
        return self.mac("part", part) in self.digests

    def key_erased(self, person_key: object) -> bool:
        if not isinstance(person_key, str) or not person_key:
            return False
        if person_key.startswith("name:"):
            return self.name_erased(person_key[5:])
        return self.url_erased(person_key)

    def keys_erased(self, keys: pd.Series) -> pd.Series:
        """Vectorised :meth:`key_erased` (once per distinct key)."""
        if not self or len(keys) == 0:
            return pd.Series(False, index=keys.index, dtype=bool)
        distinct = pd.unique(keys.dropna())
        return keys.map({k: self.key_erased(k) for k in distinct}).fillna(False).astype(bool)

    def names_erased(self, names: pd.Series) -> pd.Series:
        """Whether each name (or its first words: "Zoë Brontë-Ngata Thanks") is an erased name."""
        if not self or len(names) == 0:
            return pd.Series(False, index=names.index, dtype=bool)

        def erased(name: object) -> bool:
            words = (name_key(name) or "").split()
            return any(self.name_erased(" ".join(words[:n])) for n in range(len(words), 1, -1))

        distinct = pd.unique(names.dropna())
        return names.map({n: erased(n) for n in distinct}).fillna(False).astype(bool)

    def unlinked_erased(self, people: pd.DataFrame) -> pd.Series:
        """People known only by name (no link) whose name is erased."""
        by_name = people["person_key"].astype("string").str.startswith("name:").fillna(False)
        return by_name.astype(bool) & self.names_erased(people["name"])

    def entries_for(self, url: str | None, name: str | None) -> list[str]:
        """Every register entry that stands for this person."""
        entries = [self.mac("url", url)] if url else []
        if name_key(name):
            entries.append(self.mac("name", name_key(name)))
            entries += [self.mac("part", p) for p in sorted(name_parts(name))]
        return entries


def _secret(ws: Workspace) -> bytes:
    from adviser_analytics.privacy.pseudonyms import load_or_create_secret

    return load_or_create_secret(ws.secret_path)


def load_register(ws: Workspace) -> Register:
    """The workspace's register (the secret is read only when someone was erased)."""
    digests = frozenset(row[0] for row in ws.db.execute("SELECT key_digest FROM erasures"))
    return Register(_secret(ws) if digests else None, digests)


def erased_digests(ws: Workspace) -> set[str]:
    """Every entry of the register (keyed entries and old unsalted digests)."""
    return set(load_register(ws).digests)


def _register(ws: Workspace, register: Register, url: str | None, name: str | None) -> None:
    """Write the keyed entries for this person; drop their old unsalted digests."""
    now = utc_now()
    ws.db.executemany("INSERT OR IGNORE INTO erasures(key_digest, erased_at) VALUES (?, ?)",
                      [(e, now) for e in register.entries_for(url, name)])
    legacy = [key_digest(url)] if url else []
    if name_key(name):
        legacy.append(key_digest("name:" + name_key(name)))
    ws.db.executemany("DELETE FROM erasures WHERE key_digest = ?", [(d,) for d in legacy])


def upgrade_legacy(ws: Workspace, register: Register, people: pd.DataFrame) -> None:
    """People met again whose register entry is an old unsalted digest: add the keyed form
    (inside the caller's transaction). ``people``: ``person_key`` and ``name``."""
    legacy = {d for d in register.digests if not d.startswith(_KEYED)}
    if not legacy or len(people) == 0:
        return
    for key, name in people[["person_key", "name"]].drop_duplicates("person_key").itertuples(index=False):
        if not isinstance(key, str):
            continue
        nk = name_key(name)
        if key_digest(key) in legacy or (nk and key_digest("name:" + nk) in legacy):
            _register(ws, register, None if key.startswith("name:") else key, name)


# ------------------------------------------------------------------------- redaction
class Redactor:
    """Replaces erased people's names and profile links in free text by :data:`REDACTED`.

    A full name is replaced wherever it stands; a single part of a name ("Zoë") only when no
    person still in the workspace bears that part (``kept_names``), so other people's
    first names are left alone.
    """

    def __init__(self, register: Register, kept_names=()):
        self.register = register
        self.protected: set[str] = set()
        for name in kept_names:
            self.protected |= name_parts(name)
        self._hits: dict[str, bool] = {}

    def _hit(self, token: str) -> bool:
        found = self._hits.get(token)
        if found is None:
            base = _POSSESSIVE.sub("", token).casefold()
            found = self._hits[token] = bool(token[:1].isupper()) and self.register.part_erased(base)
        return found

    def text(self, text: object) -> object:
        if not isinstance(text, str) or not text:
            return text
        text = _URL.sub(lambda m: REDACTED if self.register.url_erased(normalise_url(m.group()))
                        else m.group(), text)
        # Runs of capitalised words that are parts of an erased name, with initials ("N.")
        # between them; a full name is looked for in each run, then single parts.
        runs: list[list[re.Match]] = []
        for match in _WORD.finditer(text):
            word = match.group()
            hit, initial = self._hit(word), _is_initial(word)
            if not (hit or initial):
                runs.append([])
                continue
            last = runs[-1][-1] if runs and runs[-1] else None
            if last is not None and _GAP.fullmatch(text[last.end():match.start()]) \
                    and not _POSSESSIVE.search(last.group()):
                runs[-1].append(match)
            else:
                runs.append([match])
        spans: list[tuple[int, int]] = []
        for run in runs:
            i = 0
            while i < len(run):
                if not self._hit(run[i].group()):
                    i += 1
                    continue
                for j in range(len(run), i + 1, -1):
                    end = run[j - 1].start() + len(_POSSESSIVE.sub("", run[j - 1].group()))
                    if self._hit(run[j - 1].group()) and \
                            self.register.name_erased(name_key(text[run[i].start():end])):
                        spans.append((run[i].start(), end))
                        i = j
                        break
                else:
                    word = _POSSESSIVE.sub("", run[i].group())
                    if word.casefold() not in self.protected:
                        spans.append((run[i].start(), run[i].start() + len(word)))
                    i += 1
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
        return text

    def series(self, texts: pd.Series) -> pd.Series:
        """:meth:`text` over a column, touching only the rows that hold a hit."""
        if not self.register or len(texts) == 0:
            return texts
        present = texts.dropna()
        present = present[present.astype(str).str.len() > 0]
        if len(present) == 0:
            return texts
        words = pd.unique(present.astype(str).str.findall(_WORD).explode().dropna())
        hits = [w for w in words if self._hit(w)]
        has_link = present.astype(str).str.contains("linkedin.com/in/", case=False, regex=False)
        candidates = has_link
        if hits:
            pattern = "|".join(re.escape(w) for w in sorted(hits, key=len, reverse=True))
            candidates = candidates | present.astype(str).str.contains(pattern, regex=True)
        if not candidates.any():
            return texts
        out = texts.copy()
        for index, value in present[candidates].items():
            new = self.text(value)
            if new != value:
                out.loc[index] = new
        return out


class RegisterAtIngest:
    """What ingest must do with what it prepares of one export: leave out erased people (as
    people, senders, one-to-one counterparts, invitation counterparts), redact them in what
    others wrote, and drop message text older than the retention date.

    Built once per export, before anything of it is written, from its people, its invitations
    and its message ``senders`` (a function giving ``sender_key, sender_name,
    counterpart_key``, one row per distinct combination being enough; called only when
    someone was erased), so that every batch of its messages (:meth:`messages`) is treated
    alike: the names that protect a first name from redaction are those of the whole export,
    not of one batch. ``people`` and ``invitations`` are what is left to write.
    """

    def __init__(self, ws: Workspace, people: pd.DataFrame, invitations: pd.DataFrame,
                 senders: Callable[[], pd.DataFrame]):
        register = load_register(ws)
        self.redactor: Redactor | None = None
        if register:
            senders = senders()
            upgrade_legacy(ws, register, pd.concat([
                people[["person_key", "name"]],
                senders[["sender_key", "sender_name"]].set_axis(["person_key", "name"], axis=1),
                invitations[["person_key", "name"]]]))
            register = load_register(ws)
            people = people[~(register.keys_erased(people["person_key"])
                              | register.unlinked_erased(people))]
            senders = senders[~self._erased(register, senders)]
            invitations = invitations[~(register.keys_erased(invitations["person_key"])
                                        | register.names_erased(invitations["name"]))]
            kept = pd.concat([people["name"], _stored_names(ws), senders["sender_name"],
                              invitations["name"]]).dropna().unique()
            self.redactor = Redactor(register, kept)
            invitations = invitations.assign(message=self.redactor.series(invitations["message"]))
        self.register = register
        self.kept_from = retained_from(ws)
        if self.kept_from:
            if retention_months(ws):  # the window moves on: stored text now too old goes too
                _secure_until_committed(ws)
                if any(_drop_text_before(ws, self.kept_from).values()):
                    _rebuild_search_index(ws)
            invitations = invitations.assign(
                message=invitations["message"].mask(invitations["sent_at"] < self.kept_from))
        self.people, self.invitations = people, invitations

    @staticmethod
    def _erased(register: Register, messages: pd.DataFrame) -> pd.Series:
        return register.keys_erased(messages["sender_key"]) | \
            register.keys_erased(messages["counterpart_key"])

    def messages(self, messages: pd.DataFrame) -> pd.DataFrame:
        """One batch of prepared messages as it may be written."""
        if self.redactor is not None:
            messages = messages[~self._erased(self.register, messages)]
            messages = messages.assign(**{c: self.redactor.series(messages[c])
                                          for c in _MESSAGE_TEXT if c in messages})
        if self.kept_from:
            old = messages["sent_at"] < self.kept_from
            messages = messages.assign(**{c: messages[c].mask(old) for c in (
                "content", "subject", "conversation_title")})
        return messages


_MESSAGE_TEXT = ("content", "subject", "conversation_title", "to_names", "recipient_urls")


def _stored_names(ws: Workspace) -> pd.Series:
    return pd.Series([r[0] for r in ws.db.execute("SELECT name FROM people")], dtype=object)


def erased_names(ws: Workspace, names: pd.Series) -> pd.Series:
    """Whether each name (an introduction's target, say) belongs to someone erased."""
    return load_register(ws).names_erased(names)


def erased_keys(ws: Workspace, keys: pd.Series) -> pd.Series:
    """Whether each person key belongs to someone erased."""
    return load_register(ws).keys_erased(keys)


# ------------------------------------------------------------------------- who else holds it
def other_holders(ws: Workspace) -> list[str]:
    """Other processes that hold this workspace open (as ``"process 1234 (python3)"``).

    Every SQLite connection in WAL mode keeps a shared lock on one byte of the ``-shm`` file
    for as long as it is open; asking the kernel who would block an exclusive lock on that
    byte (``F_GETLK``, which takes no lock) names another process, never this one.
    """
    holders: list[str] = []
    for suffix, offset, length in (("-shm", 128, 1), ("", 0x40000002, 510)):
        path = ws.path / (DB_NAME + suffix)
        try:
            import fcntl

            fd = os.open(path, os.O_RDONLY)
        except (ImportError, OSError):
            continue
        try:
            query = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, length, 0)
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
            kind, _, _, _, pid = struct.unpack("hhqqi4x", answer)
        except OSError:
            continue
        finally:
            os.close(fd)
        if kind != fcntl.F_UNLCK and pid and pid != os.getpid():
            holders.append(_describe(pid))
    return sorted(set(holders))


def _describe(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            "utf-8", "replace").strip()
    except OSError:
        command = ""
    if "ipykernel" in command or "jupyter" in command:
        what = "a Jupyter notebook kernel (the triage or explore notebook, or JupyterLab)"
    elif "adviser_analytics" in command or "adviser-analytics" in command:
        what = "another adviser-analytics command"
    else:
        what = Path(command.split(" ")[0]).name if command else "a program"
    return f"process {pid}: {what}"


def _refuse_if_held(ws: Workspace, doing: str) -> None:
    holders = other_holders(ws)
    if holders:
        raise WorkspaceError(
            f"cannot {doing} while another program has the workspace at {ws.path} open ("
            + "; ".join(holders) + "): its copy could keep the erased data on disk. "
            "Nothing was changed",
            what_to_do="close it (in JupyterLab: Kernel > Shut Down Kernel, or close the "
                       "notebook; or wait for the other command to finish), then run forget again")


def _secure_finish(ws: Workspace) -> None:
    """Rewrite the file without free pages and empty the write-ahead log."""
    db = ws.db
    db.execute("VACUUM")
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise WorkspaceError(
            f"the erasure is done, but another program opened the workspace at {ws.path} "
            "meanwhile, so old copies may still be in its log file",
            what_to_do="close every notebook and other adviser-analytics command using this "
                       "workspace, then run the same forget command again to finish")


def _secure_delete_on(ws: Workspace) -> Callable[[], None]:
    """Turn SQLite's secure deletion on (freed space and pages overwritten with zeros);
    returns what sets it back as it was."""
    before = int(ws.db.execute("PRAGMA secure_delete").fetchone()[0])
    ws.db.execute("PRAGMA secure_delete = ON")
    return lambda: ws.db.execute(f"PRAGMA secure_delete = {before}")


@contextlib.contextmanager
def _secure_delete(ws: Workspace):
    set_back = _secure_delete_on(ws)
    try:
        yield
    finally:
        set_back()


def _secure_until_committed(ws: Workspace) -> None:
    """Secure deletion for the rest of the caller's transaction (an ingest moving the
    retention window), set back when it ends; once committed, the write-ahead log is copied
    into the file and emptied, so neither the file's old pages nor the log keep dropped text.
    (No ``VACUUM``: freed pages are already zeroed. A notebook reading the workspace may
    delay emptying the log until the next checkpoint.)"""
    set_back = _secure_delete_on(ws)

    def end(committed: bool) -> None:
        set_back()
        if committed:
            ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    ws.at_transaction_end(end)


def _rebuild_search_index(ws: Workspace) -> None:
    """The full-text index over messages, where the workspace has one, rebuilt so no erased
    word stays searchable."""
    rebuild_if_present(ws.db)


# ------------------------------------------------------------------------- forget --person
#: The conversations in which nobody but one person wrote back (parameters: their key,
#: twice): what a subject access export gives them (the adviser's messages to them included).
_ONLY_THEY_ANSWERED = ("SELECT DISTINCT conversation_id FROM messages "
                       "WHERE counterpart_key = ? AND conversation_id NOT IN (SELECT conversation_id FROM messages "
                       "WHERE sender_key != ? AND direction = 'inbound')")
#: Of those, the conversations held with them alone, which forget removes whole: a group
#: where only they answered is not theirs alone (what the adviser wrote to the others stays,
#: with them redacted).
_ONE_TO_ONE = (_ONLY_THEY_ANSWERED + " AND conversation_id NOT IN (SELECT conversation_id "
               "FROM conversations WHERE participants >= 3)")

def person_key_from(url_or_key: str) -> str:
    key = normalise_url(url_or_key) or (url_or_key if url_or_key.startswith("name:") else None)
    if key is None or (not key.startswith("name:") and "linkedin.com/in/" not in key):
        raise AdviserAnalyticsError(
            f"'{url_or_key}' is not a LinkedIn profile link",
            what_to_do="give the person's profile link, e.g. https://www.linkedin.com/in/their-name",
        )
    return key


def forget_person(ws: Workspace, url_or_key: str) -> dict:
    """Remove one person everywhere, redact them in what others wrote, register them, and
    securely delete; return what was removed, table by table."""
    key = person_key_from(url_or_key)
    _refuse_if_held(ws, "erase securely")
    db = ws.db
    row = db.execute("SELECT name FROM people WHERE person_key = ?", (key,)).fetchone()
    name = row[0] if row else (key[5:] if key.startswith("name:") else None)
    nk = name_key(name) or ""
    removed: dict[str, int] = {}
    with _secure_delete(ws):
        with ws.transaction():
            register = Register(_secret(ws), frozenset())
            conversations = [r[0] for r in db.execute(_ONE_TO_ONE, (key, key))]
            db.execute("CREATE TEMP TABLE IF NOT EXISTS erased_conversations("
                       "conversation_id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM erased_conversations")
            db.executemany("INSERT INTO erased_conversations VALUES (?)", [(c,) for c in conversations])

            removed["labels"] = db.execute(
                "DELETE FROM labels WHERE (kind = 'relationship' AND subject = ?) "
                "OR (kind IN ('handling', 'referral') AND substr(subject, 1, instr(subject, '|') - 1) "
                "IN (SELECT conversation_id FROM erased_conversations)) "
                "OR (kind = 'decision' AND subject IN (SELECT CAST(invitation_id AS TEXT) "
                "FROM invitations WHERE person_key = ? OR name_key = ?)) "
                "OR (kind = 'outcome' AND subject IN (SELECT CAST(introduction_id AS TEXT) "
                "FROM introductions WHERE requester_key = ? OR target_key = ? "
                "OR lower(target_name) = lower(?)))",
                (key, key, nk, key, key, name or ""),
            ).rowcount
            db.execute(
                "DELETE FROM label_history WHERE subject = ? OR substr(subject, 1, "
                "instr(subject, '|') - 1) IN (SELECT conversation_id FROM erased_conversations)",
                (key,),
            )
            removed["introductions"] = db.execute(
                "DELETE FROM introductions WHERE requester_key = ? OR target_key = ? "
                "OR lower(target_name) = lower(?)", (key, key, name or ""),
            ).rowcount
            db.execute("DELETE FROM invitation_sightings WHERE invitation_id IN (SELECT "
                       "invitation_id FROM invitations WHERE person_key = ? OR name_key = ?)",
                       (key, nk))
            removed["invitations"] = db.execute(
                "DELETE FROM invitations WHERE person_key = ? OR name_key = ?", (key, nk)
            ).rowcount
            removed["messages"] = db.execute(
                "DELETE FROM messages WHERE sender_key = ? OR conversation_id IN "
                "(SELECT conversation_id FROM erased_conversations)", (key,),
            ).rowcount
            db.execute("UPDATE messages SET counterpart_key = NULL WHERE counterpart_key = ?", (key,))
            removed["connections"] = db.execute(
                "DELETE FROM connections WHERE person_key = ?", (key,)).rowcount
            removed["people"] = db.execute("DELETE FROM people WHERE person_key = ?", (key,)).rowcount
            removed["pseudonyms"] = db.execute(
                "DELETE FROM pseudonyms WHERE person_key = ?", (key,)).rowcount
            db.execute("DROP TABLE erased_conversations")
            _register(ws, register, None if key.startswith("name:") else key, name)
            register = load_register(ws)
            removed["mentions_redacted"] = _redact_stored(ws, register, key, name)
            refresh_participants(ws)  # (their messages in group conversations are gone)
            _rebuild_search_index(ws)
        _secure_finish(ws)
    return removed


def _redact_stored(ws: Workspace, register: Register, key: str, name: str | None) -> int:
    """Redact the person in other people's stored messages and invitation notes."""
    needles = sorted({p for p in (name_parts(name) if name else set())}
                     | ({key.rsplit("/", 1)[-1]} if not key.startswith("name:") else set()))
    if not needles:
        return 0
    redactor = Redactor(register, _stored_names(ws).dropna().unique())
    changed = 0
    for table, id_column, columns in (("messages", "message_id", _MESSAGE_TEXT),
                                      ("invitations", "invitation_id", ("message",))):
        # A prefilter in SQL (LIKE is case-blind for ASCII), then the exact redaction here.
        where = " OR ".join(f"{c} LIKE ?" for c in columns for _ in needles)
        params = [f"%{n}%" for _ in columns for n in needles]
        frame = pd.read_sql_query(f"SELECT {id_column}, {', '.join(columns)} FROM {table} "
                                  f"WHERE {where}", ws.db, params=params)
        if len(frame) == 0:
            continue
        updates = []
        for row in frame.itertuples(index=False):
            values = [redactor.text(v) for v in row[1:]]
            if values != list(row[1:]):
                updates.append((*values, row[0]))
        ws.db.executemany(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} "
                          f"WHERE {id_column} = ?", updates)
        changed += len(updates)
    return changed


# ------------------------------------------------------------------------- retention
def _months_before(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(today.day, last))


def retention_months(ws: Workspace) -> int | None:
    """The number of months of message text kept, or ``None`` (no limit: the default)."""
    value = ws.meta(RETENTION_MONTHS_KEY)
    return int(value) if value else None


def retained_from(ws: Workspace, today: dt.date | None = None) -> str | None:
    """The date (``YYYY-MM-DD``) before which message text is not kept, or ``None``: the
    later of ``forget --content-before`` and today less ``retention_months``."""
    dates = [d for d in (ws.meta(RETENTION_KEY),) if d]
    months = retention_months(ws)
    if months:
        dates.append(_months_before(today or dt.datetime.now(dt.UTC).date(), months).isoformat())
    return max(dates) if dates else None


def _drop_text_before(ws: Workspace, date: str) -> dict:
    db = ws.db
    dropped = db.execute(
        "UPDATE messages SET content = NULL, subject = NULL WHERE sent_at < ? "
        "AND (content IS NOT NULL OR subject IS NOT NULL)", (date,)).rowcount
    # A conversation's title goes once none of its messages is newer than the date.
    titles = db.execute(
        "UPDATE messages SET conversation_title = NULL WHERE conversation_title IS NOT NULL "
        "AND conversation_id NOT IN (SELECT conversation_id FROM messages WHERE sent_at >= ?)",
        (date,)).rowcount
    notes = db.execute("UPDATE invitations SET message = NULL WHERE sent_at < ? "
                       "AND message IS NOT NULL", (date,)).rowcount
    return {"messages_text_dropped": dropped, "conversation_titles_dropped": titles,
            "invitation_notes_dropped": notes}


def forget_content_before(ws: Workspace, date: str) -> dict:
    """Drop message text, conversation titles and invitation notes from before ``date``
    (``YYYY-MM-DD``); keep the rows for the metrics. Securely, like :func:`forget_person`."""
    _refuse_if_held(ws, "drop old text securely")
    with _secure_delete(ws):
        with ws.transaction():
            done = _drop_text_before(ws, date)
            current = ws.meta(RETENTION_KEY)
            if current is None or date > current:
                ws.set_meta(RETENTION_KEY, date)
            _rebuild_search_index(ws)
        _secure_finish(ws)
    return {**done, "content_kept_from": max(date, current or date)}


def set_retention_months(ws: Workspace, months: int, today: dt.date | None = None) -> dict:
    """Keep only the last ``months`` months of message text, now and at every later ingest."""
    _refuse_if_held(ws, "drop old text securely")
    with ws.transaction():
        ws.set_meta(RETENTION_MONTHS_KEY, str(int(months)))
    date = retained_from(ws, today)
    with _secure_delete(ws):
        with ws.transaction():
            done = _drop_text_before(ws, date)
            _rebuild_search_index(ws)
        _secure_finish(ws)
    return {**done, "content_kept_from": date, "retention_months": int(months)}


def retention_status(ws: Workspace) -> dict:
    """For ``status``: the retention setting and the date text is kept from."""
    return {"months": retention_months(ws), "content_kept_from": retained_from(ws)}


# ------------------------------------------------------------------------- subject access
def person_record(ws: Workspace, url_or_key: str) -> dict[str, pd.DataFrame]:
    """Everything the workspace holds on one person, table by table (for ``export-person``)."""
    key = person_key_from(url_or_key)
    db = ws.db
    row = db.execute("SELECT name FROM people WHERE person_key = ?", (key,)).fetchone()
    if row is None:
        raise AdviserAnalyticsError(
            f"the workspace holds nobody with the profile link {key}",
            what_to_do="check the link (copy it from their LinkedIn profile); if they were "
                       "erased with forget, nothing is held on them")
    nk = name_key(row[0]) or ""
    read = lambda sql, params: pd.read_sql_query(sql, db, params=params)  # noqa: E731
    one_to_one = _ONLY_THEY_ANSWERED
    return {
        "person": read("SELECT person_key, name, profile_url, company, position, email "
                       "FROM people WHERE person_key = ?", (key,)),
        "connections": read("SELECT person_key, connected_on, first_seen_on, last_seen_on "
                            "FROM connections WHERE person_key = ?", (key,)),
        "messages": read(
            "SELECT message_id, conversation_id, conversation_title, sent_at, sender_name, "
            "sender_url, to_names, recipient_urls, subject, content, direction, exclusion "
            f"FROM messages WHERE sender_key = ? OR conversation_id IN ({one_to_one}) "
            "ORDER BY sent_at, message_id", (key, key, key)),
        "invitations": read("SELECT invitation_id, direction, name, profile_url, sent_at, "
                             "message FROM invitations WHERE person_key = ? OR name_key = ? "
                             "ORDER BY sent_at", (key, nk)),
        "labels": read(
            "SELECT kind, subject, value, source, rule, reason, updated_at FROM labels "
            "WHERE (kind = 'relationship' AND subject = ?) "
            "OR (kind = 'decision' AND subject IN (SELECT CAST(invitation_id AS TEXT) "
            "FROM invitations WHERE person_key = ? OR name_key = ?)) "
            "OR (kind IN ('handling', 'referral') AND substr(subject, 1, instr(subject, '|') - 1) "
            f"IN ({one_to_one})) "
            "OR (kind = 'outcome' AND subject IN (SELECT CAST(introduction_id AS TEXT) "
            "FROM introductions WHERE requester_key = ? OR target_key = ?)) "
            "ORDER BY kind, subject", (key, key, nk, key, key, key, key)),
        "introductions": read(
            "SELECT introduction_id, CASE WHEN requester_key = ? THEN 'requester' "
            "ELSE 'target' END AS role, "
            # who asked for an introduction to them is someone else's data: not disclosed
            "CASE WHEN requester_key = ? THEN requester_key END AS requester_key, target_key, "
            "target_name, requested_on, CASE WHEN requester_key = ? THEN conversation_id END "
            "AS conversation_id, rule, resolved_on FROM introductions "
            "WHERE requester_key = ? OR target_key = ? ORDER BY requested_on",
            (key, key, key, key, key)),
    }


__all__ = ["REDACTED", "RETENTION_KEY", "RETENTION_MONTHS_KEY", "Register", "RegisterAtIngest",
           "Redactor",
           "erased_digests", "erased_keys", "erased_names", "forget_content_before",
           "forget_person", "key_digest", "load_register", "name_parts", "other_holders",
           "person_key_from", "person_record", "retained_from",
           "retention_months", "retention_status", "set_retention_months", "upgrade_legacy"]

