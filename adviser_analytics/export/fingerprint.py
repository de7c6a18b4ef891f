"""The identity of an export: the same files give the same fingerprint, however they were
zipped, unzipped, renamed or nested.

It is the SHA-256 of the sorted ``(canonical file name, SHA-256 of the file's bytes)`` pairs
of the files that matter (Connections, messages, Invitations, Profile); AI-coach files and
everything else in the export are left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from adviser_analytics.errors import BadExportError

from .layouts import CANONICAL_NAMES, MAIN_KINDS
from .limits import DEFAULT_LIMITS, ReadLimits
from .sources import GIVE_EXPORT, Source, choose_files, describe_missing, open_source


def fingerprint_of(digests: Iterable[tuple[str, str]]) -> str:
    """Fingerprint from ``(kind, sha256 hex)`` pairs of the files that matter."""
    pairs = sorted((CANONICAL_NAMES[kind].casefold(), digest) for kind, digest in digests
                   if kind in MAIN_KINDS)
    return hashlib.sha256("\n".join(f"{n}\t{d}" for n, d in pairs).encode()).hexdigest()


def check_is_export(source: Source, chosen: dict[str, str]) -> None:
    if not any(kind in chosen for kind in MAIN_KINDS):
        raise BadExportError(f"this is not a LinkedIn data export: {describe_missing()}",
                             file=source.display, what_to_do=GIVE_EXPORT)


def export_fingerprint(path, *, limits: ReadLimits | None = None) -> str:
    """The fingerprint ``read_export(path).fingerprint`` would give, without parsing any CSV.

    Hashes the files that matter as a stream (nothing is kept in memory) under the same
    safety limits. Raises :class:`BadExportError` as :func:`read_export` would for a missing
    path, a broken zip or a folder that is not an export.
    """
    with open_source(path, limits or DEFAULT_LIMITS) as source:
        chosen = choose_files(source.names)
        check_is_export(source, chosen)
        return fingerprint_of((kind, source.read(chosen[kind], keep=False)[1].hexdigest())
                              for kind in MAIN_KINDS if kind in chosen)
