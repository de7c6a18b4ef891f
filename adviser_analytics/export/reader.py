"""``read_export``: one LinkedIn export (zip or folder) -> the canonical frames."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import csvparse
from .dates import parse_dates_ns
from .fingerprint import check_is_export, fingerprint_of
from .layouts import (
    COACH_KINDS,
    CONNECTION_COLUMNS,
    INVITATION_COLUMNS,
    MAIN_KINDS,
    MESSAGE_COLUMNS,
    SPECS,
    era,
)
from .limits import DEFAULT_LIMITS, ReadLimits
from .sources import Source, choose_files, export_date_from, open_source


@dataclass(eq=False)
class ExportContents:
    """What one export holds, in the shapes of docs/architecture.md (compared by identity:
    its fields are DataFrames)."""

    source: str
    export_date: dt.date | None
    owner_name: str | None
    connections: pd.DataFrame
    messages: pd.DataFrame
    invitations: pd.DataFrame
    coach_rows: int = 0
    layouts: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)
    fingerprint: str = ""


def find_export_files(path, limits: ReadLimits | None = None) -> dict[str, str]:
    """The export files found under ``path`` (zip or folder): kind -> relative name.

    Kinds: ``connections``, ``messages``, ``invitations``, ``profile`` and the AI-coach files
    ``coach_messages``, ``learning_coach_messages``, ``learning_role_play_messages``. An
    empty dict means "not an export"; a missing path or a broken zip raises
    :class:`BadExportError`.
    """
    with open_source(path, limits or DEFAULT_LIMITS) as source:
        return choose_files(source.names)


def read_export(path, *, limits: ReadLimits | None = None, messages: bool = True
                ) -> ExportContents:
    """Read the export at ``path`` (a ``.zip`` or a folder, files at any depth).

    ``messages=False`` leaves messages.csv to :func:`read_message_batches`: only its header
    is read (for ``layouts``), ``contents.messages`` is empty and ``contents.fingerprint``
    is ``""`` (:func:`export_fingerprint` gives it without parsing).

    Raises :class:`BadExportError` (and nothing else) for anything wrong with the input:
    a missing path, a damaged zip, no export files, an unknown header, undecodable bytes,
    a bad date, or a safety limit (``limits``, default :class:`ReadLimits`) exceeded.
    """
    with open_source(path, limits or DEFAULT_LIMITS) as source:
        chosen = choose_files(source.names)
        check_is_export(source, chosen)
        return _read(source, chosen, with_messages=messages)


#: Bytes of messages.csv read to find its header when its rows are left for later.
_HEAD_BYTES = 1 << 16


class _NoDigest:
    """For reads whose fingerprint is not wanted (the export's was taken already): the
    pieces are not hashed again on every pass."""

    def update(self, _chunk: bytes) -> None:
        pass


def _read(source: Source, chosen: dict[str, str], with_messages: bool = True) -> ExportContents:
    files: list[tuple[str, str]] = []
    layouts: dict[str, str] = {}
    digests: list[tuple[str, str]] = []
    parsed: dict[str, tuple[csvparse.Parsed, str]] = {}
    coach_rows = 0
    messages = None
    for kind in (*MAIN_KINDS, *COACH_KINDS):
        name = chosen.get(kind)
        if name is None:
            continue
        where = source.where(name)
        if kind == "messages" and not with_messages:  # the header only: its layout
            blocks = _message_blocks(source, name, _NoDigest(), _HEAD_BYTES)
            try:
                header = next(blocks)[0].header
            finally:
                blocks.close()
            layouts[name] = _message_layout(header)
            continue
        if kind == "messages":  # the one large file: read in blocks, never held whole
            sha = hashlib.sha256()
            blocks = list(_message_blocks(source, name, sha))
            layouts[name] = _message_layout(blocks[0][0].header)
            messages = _concat([frame for _, frame in blocks])
            del blocks
            files.append((name, sha.hexdigest()))
            digests.append((kind, sha.hexdigest()))
            continue
        data, digest = source.read(name)
        if kind in COACH_KINDS:
            rows, layouts[name] = _coach_rows(data, where, source.limits)
            coach_rows += rows
        else:
            result = csvparse.parse(data, SPECS[kind], where, source.limits)
            if result.header is None:
                layouts[name] = f"{kind}-empty"
            else:
                layouts[name] = era(kind, result.header.columns, result.header.cells,
                                    result.header.preamble)
            parsed[kind] = (result, where)
        del data
        files.append((name, digest.hexdigest()))
        digests.append((kind, digest.hexdigest()))

    directories = [str(PurePosixPath(chosen[k]).parent) for k in (*MAIN_KINDS, *COACH_KINDS)
                   if k in chosen]
    export_date = export_date_from(source.display, *sorted(directories, key=len))
    fingerprint = fingerprint_of(digests) if with_messages or "messages" not in chosen else ""

    return ExportContents(
        source=source.display,
        export_date=export_date,
        owner_name=_owner_name(parsed.get("profile")),
        connections=_connections(parsed.get("connections")),
        messages=messages if messages is not None else _messages(None, None),
        invitations=_invitations(parsed.get("invitations")),
        coach_rows=coach_rows,
        layouts=layouts,
        files=files,
        fingerprint=fingerprint,
    )


#: The size of messages.csv's blocks (one frame each) unless a caller asks otherwise.
MESSAGE_BATCH_BYTES = csvparse.STREAM_BLOCK_BYTES


def read_message_batches(path, *, limits: ReadLimits | None = None,
                         block_bytes: int = MESSAGE_BATCH_BYTES
                         ) -> Iterator[pd.DataFrame]:
    """The export's messages as frames of ``ExportContents.messages``' shape, one per block of
    about ``block_bytes`` of messages.csv (whole rows, the file's own line numbers), so a
    caller can prepare and write them batch by batch; the file is never held whole. Raises
    :class:`BadExportError` as :func:`read_export` would, when it reaches the fault."""
    with open_source(path, limits or DEFAULT_LIMITS) as source:
        chosen = choose_files(source.names)
        check_is_export(source, chosen)
        name = chosen.get("messages")
        if name is None:
            return
        for _, frame in _message_blocks(source, name, _NoDigest(), block_bytes):
            yield frame


def _message_blocks(source: Source, name: str, sha,
                    block_bytes: int = csvparse.STREAM_BLOCK_BYTES):
    where = source.where(name)
    for parsed in csvparse.parse_stream(source.stream(name, sha), SPECS["messages"], where,
                                        source.limits, block_bytes):
        yield parsed, _messages((parsed, where), name)


def _message_layout(header: csvparse.Header | None) -> str:
    return "messages-empty" if header is None else \
        era("messages", header.columns, header.cells, header.preamble)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Blocks' frames as one (text columns are joined as Arrow chunks, not copied)."""
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True, copy=False)


def _coach_rows(data, where: str, limits: ReadLimits) -> tuple[int, str]:
    """Rows of an AI-coach file: counted, never read as messages. A layout change there must
    not stop an ingest, so an unknown header is only counted under."""
    try:
        result = csvparse.parse(data, SPECS["coach_messages"], where, limits)
    except csvparse.UnknownHeaderError:
        return csvparse.count_rows(data, where, limits), "coach-unknown"
    return result.rows, "coach" if result.header is not None else "coach-empty"


# ---------------------------------------------------------------------------------------------
# Frames


def _text(parsed: csvparse.Parsed | None, column: str, n: int) -> pd.Series:
    """A canonical text column (all-NA when the layout lacks it)."""
    if parsed is not None and column in parsed.columns:
        return _string_series(parsed.columns[column])
    return _string_series(pa.nulls(n, pa.string()))


def _string_series(values) -> pd.Series:
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values], type=pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(values), copy=False)


def _dates(parsed: csvparse.Parsed | None, column: str, n: int, kind: str, where: str | None,
           *, midnight: bool = False) -> pd.Series:
    if parsed is None or column not in parsed.columns:
        values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    else:
        header = parsed.header
        label = header.cells[header.columns[column]] if header else column
        values = parse_dates_ns(parsed.columns[column], file=where, lines=parsed.lines,
                                column=label, stripped=True)
        if midnight:
            values = values.astype("datetime64[D]").astype("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC"), copy=False)


def _upper(series: pd.Series) -> pd.Series:
    return series.str.upper()


def _lines(parsed: csvparse.Parsed | None) -> pd.Series:
    if parsed is None:
        return pd.Series(np.zeros(0, dtype=np.int64))
    return pd.Series(parsed.lines.astype(np.int64), copy=False)


def _frame(columns: dict[str, pd.Series], order: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns[name].reset_index(drop=True) for name in order})
    return frame


def _connections(item) -> pd.DataFrame:
    parsed, where = item if item else (None, None)
    n = parsed.rows if parsed else 0
    cols = {c: _text(parsed, c, n) for c in CONNECTION_COLUMNS if c not in ("connected_on", "line")}
    cols["connected_on"] = _dates(parsed, "connected_on", n, "connections", where, midnight=True)
    cols["line"] = _lines(parsed)
    return _frame(cols, CONNECTION_COLUMNS)


def _messages(item, name: str | None) -> pd.DataFrame:
    parsed, where = item if item else (None, None)
    n = parsed.rows if parsed else 0
    text_columns = ("conversation_id", "conversation_title", "sender_name", "sender_url",
                    "to_names", "recipient_urls", "subject", "content", "folder")
    cols = {c: _text(parsed, c, n) for c in text_columns}
    cols["sent_at"] = _dates(parsed, "sent_at", n, "messages", where)
    cols["direction_raw"] = _upper(_text(parsed, "direction_raw", n))
    if parsed is not None and "is_draft" in parsed.columns:
        draft = pc.equal(pc.utf8_lower(parsed.columns["is_draft"]), "yes")
        is_draft = pc.fill_null(draft, False).to_numpy(zero_copy_only=False).astype(bool)
    else:
        is_draft = np.zeros(n, dtype=bool)
    cols["is_draft"] = pd.Series(is_draft, dtype=bool)
    cols["line"] = _lines(parsed)
    cols["file"] = _string_series(pa.repeat(pa.scalar(name, pa.string()), n))
    return _frame(cols, MESSAGE_COLUMNS)


def _invitations(item) -> pd.DataFrame:
    parsed, where = item if item else (None, None)
    n = parsed.rows if parsed else 0
    cols = {c: _text(parsed, c, n) for c in ("from_name", "to_name", "message")}
    cols["sent_at"] = _dates(parsed, "sent_at", n, "invitations", where)
    cols["direction"] = _upper(_text(parsed, "direction", n))
    for column in ("inviter_url", "invitee_url"):
        series = _text(parsed, column, n)
        # URNs (urn:li:member:123) cannot be joined to profile URLs.
        cols[column] = series.mask(series.str.lower().str.startswith("urn:").fillna(False))
    cols["line"] = _lines(parsed)
    return _frame(cols, INVITATION_COLUMNS)


def _owner_name(item) -> str | None:
    if not item:
        return None
    parsed, _ = item
    if not parsed.rows:
        return None
    parts = []
    for column in ("first_name", "last_name"):
        values = parsed.columns.get(column)
        value = values[0].as_py() if values is not None and len(values) else None
        if value:
            parts.append(value.strip())
    name = " ".join(p for p in parts if p)
    return name or None


def empty_contents(source: str = "") -> ExportContents:
    """An export with nothing in it (for tests and callers that need the shapes)."""
    return ExportContents(source=source, export_date=None, owner_name=None,
                          connections=_connections(None), messages=_messages(None, None),
                          invitations=_invitations(None))

