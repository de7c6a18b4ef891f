"""Pseudonyms: the workspace's secret, HMAC codes and the words people are shown as.

``load_or_create_secret`` keeps 32 random bytes in an owner-only file. A person's code is the
shortest prefix (at least 4 hex digits) of ``HMAC-SHA256(secret, person_key)`` that no other
person holds; codes once given are never changed (the caller stores them: the workspace's
``pseudonyms`` table). A person is shown as ``<relationship>-<code>``, e.g. ``client-3f9a``.

Pure functions: nothing here opens the workspace.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import PrivacyError

log = logging.getLogger("adviser_analytics.privacy")

__all__ = [
    "SECRET_BYTES", "MIN_CODE_LENGTH", "RELATIONSHIPS",
    "load_or_create_secret", "person_hmac", "assign_pseudonyms", "pseudonym", "pseudonyms",
]

# --------------------------------------------------------------------------------------------
# Secret
# --------------------------------------------------------------------------------------------

SECRET_BYTES = 32


def load_or_create_secret(path: str | os.PathLike[str]) -> bytes:
    """The workspace's pseudonym secret: read it, or create it with 32 random bytes.

    The file is created owner-only (0o600) and appears complete or not at all: the bytes are
    written to a private temporary file (``O_CREAT | O_EXCL``, 0o600) which is then hard-linked
    into place, so two processes starting at once agree on one secret and neither reads a
    half-written file. Where hard links are not supported the file is created directly with
    ``os.open(O_CREAT | O_EXCL, 0o600)``.

    An existing file readable by group or others is not refused: its mode is set back to 0o600
    (with a warning in the log) and it is used, because replacing it would change every future
    pseudonym. Only if the mode cannot be fixed is :class:`PrivacyError` raised. A file that is
    not 32 bytes long is refused (:class:`PrivacyError`): a silently new secret would break the
    stability of pseudonyms.
    """
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        _create_secret(path)
    return _read_secret(path)


def _create_secret(path: Path) -> None:
    data = secrets.token_bytes(SECRET_BYTES)
    fd, tmp = tempfile.mkstemp(prefix=".secret-", dir=path.parent)  # O_EXCL, mode 0o600
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # another process won the race; use its secret
        except OSError:
            _create_secret_direct(path, data)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _create_secret_direct(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_secret(path: Path) -> bytes:
    if not path.is_file():
        raise PrivacyError("the pseudonym secret is not a regular file", file=str(path),
                           what_to_do="Move it away and run the command again")
    _fix_mode(path)
    data = path.read_bytes()
    for _attempt in range(20):  # a direct (non-linked) creation may not have written yet
        if data:
            break
        time.sleep(0.05)
        data = path.read_bytes()
    if len(data) != SECRET_BYTES:
        raise PrivacyError(
            f"the pseudonym secret is damaged ({len(data)} bytes, expected {SECRET_BYTES})",
            file=str(path),
            what_to_do=("Restore it from a backup of the workspace; deleting it starts a new "
                        "secret, and people not yet pseudonymised will then get codes that "
                        "do not follow the old ones"))
    return data


def _fix_mode(path: Path) -> None:
    if os.name == "nt":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as error:
            raise PrivacyError(
                f"the pseudonym secret can be read by other users (mode {mode:o}) and its mode "
                f"could not be changed ({error.strerror})", file=str(path),
                what_to_do="Run: chmod 600 on the file, as its owner") from error
        log.warning("%s was readable by other users (mode %o); set to 600", path, mode)


# --------------------------------------------------------------------------------------------
# Pseudonyms
# --------------------------------------------------------------------------------------------

MIN_CODE_LENGTH = 4
RELATIONSHIPS = ("client", "colleague", "professional", "personal", "unknown", "spam")
_NO_RELATIONSHIP = "person"


def person_hmac(secret: bytes, person_key: str) -> str:
    """The 64 hex digits of HMAC-SHA256 of the person key (UTF-8) under the secret."""
    return hmac.digest(secret, person_key.encode("utf-8"), "sha256").hex()


def assign_pseudonyms(secret: bytes, person_keys: Iterable[str],
                      existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """A hex code for every person in ``person_keys`` (keys may repeat; missing ones skipped).

    A person in ``existing`` keeps that code. Everybody else, in sorted key order, gets the
    shortest prefix (at least 4 digits) of their HMAC not already held by another person. The
    result depends only on the secret, the set of keys and ``existing``. Only the keys given
    are returned (with the codes from ``existing`` where they had one); the caller stores the
    new ones.
    """
    if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
        raise ValueError("the pseudonym secret must be at least 16 bytes")
    existing = dict(existing or {})
    taken = set(existing.values())
    if len(taken) != len(existing):
        raise ValueError("the stored pseudonym codes are not unique")
    wanted = {k for k in person_keys if isinstance(k, str) and k}
    result = {k: existing[k] for k in wanted if k in existing}
    key = bytes(secret)
    for person in sorted(wanted - result.keys()):
        digest = hmac.digest(key, person.encode("utf-8"), "sha256").hex()
        for length in range(MIN_CODE_LENGTH, len(digest) + 1):
            code = digest[:length]
            if code not in taken:
                break
        else:  # every prefix up to the full HMAC is held by somebody else: impossible in practice
            raise ValueError(f"no free pseudonym code for a person ({len(taken)} codes held)")
        taken.add(code)
        result[person] = code
    return result


def _relationship_word(relationship: object) -> str:
    if relationship is None or relationship is pd.NA:
        return _NO_RELATIONSHIP
    if isinstance(relationship, float) and relationship != relationship:
        return _NO_RELATIONSHIP
    word = str(relationship).strip().lower()
    # Anything outside the vocabulary could be free text (even a name): never print it.
    return word if word in RELATIONSHIPS else _NO_RELATIONSHIP


def pseudonym(relationship: object, code: str) -> str:
    """``client-3f9a``: the relationship (``person`` when missing or not in the vocabulary)."""
    return f"{_relationship_word(relationship)}-{code}"


def pseudonyms(relationships: pd.Series, codes: pd.Series) -> pd.Series:
    """Vectorised :func:`pseudonym` over two aligned Series."""
    words = relationships.astype("object").map(_relationship_word)
    return (words + "-" + codes.astype("string")).astype("string")

