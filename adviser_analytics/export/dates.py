"""Dates as LinkedIn writes them (and as spreadsheets re-write them), all read as UTC.

:func:`parse_dates` tries the formats of the format document in their order, each only on
the values still unparsed, with the exact semantics of
``pd.to_datetime(values, format=fmt, errors="coerce")``. For speed, a value written in the
format's canonical rendering (zero-padded, English names, single spaces: what LinkedIn
writes) is parsed by pyarrow, checked not to have rolled over (31 Feb); everything else that
could match the format (a cheap regular expression, a superset of what Python's ``strptime``
accepts) goes through pandas. The formats' shapes are pairwise disjoint (different
separators, digit counts or leading letters), so no value could be taken by two formats and
trying the bulk's format first changes nothing but the speed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adviser_analytics.errors import BadExportError

DATE_FORMATS: tuple[str, ...] = (
    "%d %b %Y",
    "%m/%d/%y, %I:%M %p",
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S UTC",
    "%d-%b-%y",
    "%d.%m.%Y",
    "%a %b %d %H:%M:%S UTC %Y",
    "%b %Y",
    "%Y",
)

# Whatever Python's ``\s`` and ``\d`` (Unicode) match, in RE2 syntax.
_WS = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\pZ]"
_D = r"\p{Nd}"
_DIRECTIVES = {
    "d": rf"{_WS}?{_D}{{1,2}}", "I": rf"{_WS}?{_D}{{1,2}}",
    "m": rf"{_D}{{1,2}}", "H": rf"{_D}{{1,2}}", "M": rf"{_D}{{1,2}}", "S": rf"{_D}{{1,2}}",
    "y": rf"{_D}{{2}}", "Y": rf"{_D}{{4}}",
    "a": r"[^\s\p{Nd}]+", "b": r"[^\s\p{Nd}]+", "p": r"[^\s\p{Nd}]+",
}
# Years a datetime64[ns] can hold.
_MIN_YEAR, _MAX_YEAR = 1678, 2261
_NAT = np.iinfo(np.int64).min


def _shape(fmt: str) -> str:
    """A regular expression (RE2) matching a superset of what ``strptime(fmt)`` accepts."""
    out, i = ["(?i)^"], 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            out.append(_DIRECTIVES[fmt[i + 1]])
            i += 2
        elif char.isspace():
            while i < len(fmt) and fmt[i].isspace():
                i += 1
            out.append(_WS + "+")
        else:
            out.append(re.escape(char))
            i += 1
    out.append("$")
    return "".join(out)


_SHAPES = {fmt: _shape(fmt) for fmt in DATE_FORMATS}


# The canonical (zero-padded, English, single-spaced) rendering of each format: values
# that match it and that pyarrow parses to the same day of month are taken from pyarrow.
_STRICT = {
    "d": r"(?:0[1-9]|[12]\d|3[01])", "m": r"(?:0[1-9]|1[0-2])", "H": r"(?:[01]\d|2[0-3])",
    "I": r"(?:0[1-9]|1[0-2])", "M": r"[0-5]\d", "S": r"[0-5]\d", "y": r"\d\d", "Y": r"\d{4}",
    "b": "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
    "a": "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)", "p": "(?:AM|PM)",
}
_WIDTH = {"b": 3, "a": 3, "Y": 4}


def _strict(fmt: str) -> tuple[str, int | None]:
    """(regex of the canonical rendering, offset of the day of month in it or None)."""
    out, i, offset, day = ["^"], 0, 0, None
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            directive = fmt[i + 1]
            if directive == "d":
                day = offset
            out.append(_STRICT[directive])
            offset += _WIDTH.get(directive, 2)
            i += 2
        else:
            out.append(re.escape(char))
            offset += 1
            i += 1
    out.append("$")
    return "".join(out), day


_STRICTS = {fmt: _strict(fmt) for fmt in DATE_FORMATS}


def _as_arrow(values) -> pa.Array:
    """Any Series/array of strings (with NA) as one pyarrow string array."""
    if isinstance(values, pa.ChunkedArray):
        arr = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    elif isinstance(values, pa.Array):
        arr = values
    else:
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
            arr = pa.array(series.array)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
        else:
            obj = series.astype(object)
            arr = pa.array([None if pd.isna(v) else str(v) for v in obj], type=pa.string())
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def parse_dates_ns(values, *, file: str | None = None, lines: Sequence[int] | None = None,
                   column: str | None = None, stripped: bool = False) -> np.ndarray:
    """Like :func:`parse_dates` but returns ``datetime64[ns]`` values (naive, meaning UTC).

    ``stripped``: the values are already stripped (the readers' columns are).
    """
    arr = _as_arrow(values)
    if not stripped:
        arr = pc.utf8_trim_whitespace(arr)
    out = np.full(len(arr), _NAT, dtype=np.int64)
    present = pc.and_(pc.is_valid(arr), pc.greater(pc.binary_length(arr), 0))
    present = pc.fill_null(present, False).to_numpy(zero_copy_only=False)
    if present.any():
        _parse_into(arr, present, out, file=file, lines=lines, column=column)
    return out.view("datetime64[ns]")


def _mask(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.bool_())


def _keep(arr, flags: np.ndarray):
    """``arr`` filtered by a numpy mask, without a copy when the mask keeps everything."""
    return arr if flags.all() else arr.filter(_mask(flags))


def _flags(result) -> np.ndarray:
    return pc.fill_null(result, False).to_numpy(zero_copy_only=False).astype(bool)


def _parse_into(arr: pa.Array, present: np.ndarray, out: np.ndarray, *, file, lines, column):
    pending = np.flatnonzero(present)
    todo = _keep(arr, present)
    first = todo[0].as_py()
    # The format of the first value first: formats are disjoint, so the order only matters
    # for speed (the bulk of a file is in one format).
    formats = sorted(DATE_FORMATS, key=lambda f: 0 if _PY_SHAPES[f].match(first) else 1)
    for fmt in formats:
        if not len(pending):
            break
        accepted = np.zeros(len(pending), dtype=bool)
        # 1. The canonical rendering, parsed by pyarrow (which must not roll 31 Feb over).
        strict_re, day_at = _STRICTS[fmt]
        strict = _flags(pc.match_substring_regex(todo, strict_re))
        if strict.any():
            chosen = _keep(todo, strict)
            parsed = pc.strptime(chosen, format=fmt, unit="s", error_is_null=True)
            ok = pc.is_valid(parsed)
            if day_at is not None:
                day = pc.cast(pc.utf8_slice_codeunits(chosen, day_at, day_at + 2), pa.int64())
                ok = pc.and_(ok, pc.equal(pc.day(parsed), day))
            ok = _flags(ok)
            if ok.any():
                where = np.flatnonzero(strict)[ok]
                secs = _keep(parsed, ok).cast(pa.int64()).to_numpy(zero_copy_only=False)
                _store(out, pending[where], secs, arr, file, lines, column)
                accepted[where] = True
        # 2. Everything else of the format's shape: Python's strptime rules, through pandas.
        rest = ~accepted
        if rest.any():
            shaped = _flags(pc.match_substring_regex(_keep(todo, rest), _SHAPES[fmt]))
            if shaped.any():
                where = np.flatnonzero(rest)[shaped]
                pick = np.zeros(len(pending), dtype=bool)
                pick[where] = True
                texts = _keep(todo, pick).to_pylist()
                slow = pd.to_datetime(pd.Series(texts, dtype=object), format=fmt,
                                      errors="coerce")
                ok = slow.notna().to_numpy()
                if ok.any():
                    secs = slow[ok].to_numpy().astype("datetime64[s]").astype(np.int64)
                    _store(out, pending[where[ok]], secs, arr, file, lines, column)
                    accepted[where[ok]] = True
        if accepted.any():
            keep = ~accepted
            pending = pending[keep]
            todo = _keep(todo, keep) if len(pending) else todo[:0]
    if len(pending):
        position = int(pending[0])
        raise _bad_date(arr[position].as_py(), position, file, lines, column,
                        "is not written in any of the ways LinkedIn writes dates")


_PY_SHAPES = {fmt: re.compile(shape.replace(_WS, r"\s").replace(r"\p{Nd}", r"\d"))
              for fmt, shape in _SHAPES.items()}
_LOW_S = int(np.datetime64(f"{_MIN_YEAR}-01-01T00:00:00", "s").astype(np.int64))
_HIGH_S = int(np.datetime64(f"{_MAX_YEAR + 1}-01-01T00:00:00", "s").astype(np.int64))


def _store(out, positions, secs, arr, file, lines, column):
    """Write seconds since the epoch as nanoseconds, refusing years a datetime64[ns] lacks."""
    secs = np.asarray(secs, dtype=np.int64)
    bad = (secs < _LOW_S) | (secs >= _HIGH_S)
    if bad.any():
        position = int(positions[np.flatnonzero(bad)[0]])
        raise _bad_date(arr[position].as_py(), position, file, lines, column,
                        f"is outside the years {_MIN_YEAR}-{_MAX_YEAR}")
    out[positions] = secs * 1_000_000_000


def _bad_date(value, position, file, lines, column, problem) -> BadExportError:
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    line = None
    if lines is not None:
        try:
            line = int(lines.iloc[position] if hasattr(lines, "iloc") else lines[position])
        except (IndexError, KeyError, TypeError, ValueError):
            line = None
    where_col = f" in column {column}" if column else ""
    row = "" if line else f" (value number {position + 1})"
    return BadExportError(
        f"the date {text!r}{where_col}{row} {problem}",
        file=file, line=line,
        what_to_do=("If the file was opened and saved in a spreadsheet, use the original file "
                    "from the LinkedIn zip instead; otherwise download the export again from "
                    "LinkedIn (Settings, Data privacy, Get a copy of your data)"),
    )


def parse_dates(values, *, file: str | None = None, lines: Sequence[int] | None = None,
                column: str | None = None) -> pd.Series:
    """Dates/times in any format LinkedIn has written, as ``datetime64[ns, UTC]``.

    Empty cells become ``NaT``. A non-empty cell that matches none of
    :data:`DATE_FORMATS` (or lies outside 1678-2261) raises :class:`BadExportError` naming
    ``file``, the cell's line (``lines[i]`` for the i-th value) and the value.
    """
    index = values.index if isinstance(values, pd.Series) else None
    ns = parse_dates_ns(values, file=file, lines=lines, column=column)
    return pd.Series(ns, index=index, copy=False).dt.tz_localize("UTC")
