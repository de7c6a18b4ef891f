"""Bytes of one CSV file -> raw string columns with the physical line each row starts on.

Steps: normalise the encoding to UTF-8 (UTF-16 with BOM is transcoded, a UTF-8 BOM skipped),
find the header among the first lines (the Connections Notes block), detect the delimiter
from it, then parse the body with pyarrow's CSV reader (fast, multi-threaded). The body's
line numbers come from a count of ``\\n``: when every newline ends a row they are simply
consecutive; when some sit inside quoted cells the newlines in each row's cells are counted;
when neither adds up (blank lines, stray carriage returns, ragged rows, anything pyarrow
refuses) the body is parsed again by Python's ``csv`` module, which tracks lines exactly.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from adviser_analytics.errors import BadExportError

from .layouts import FileSpec
from .limits import ReadLimits, human_size

HEADER_SCAN_LINES = 20
HEADER_MAX_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
_BLOCK_SIZE = 4 * 1024 * 1024

REDOWNLOAD = ("Download the export again from LinkedIn (Settings, Data privacy, Get a copy of "
              "your data) and give this tool the new zip as it is, without opening and saving "
              "its files in a spreadsheet")


class UnknownHeaderError(BadExportError):
    """No known header in the first lines of a file."""


@dataclass
class Header:
    line: int            # 1-based line of the header
    delimiter: str
    cells: list[str]     # header cells as written (stripped)
    columns: dict[str, int]   # canonical column -> index
    body_start: int      # byte offset where the first data line starts
    preamble: bool       # non-empty lines came before the header (the Notes block)


@dataclass
class Parsed:
    header: Header | None          # None: the file holds no text at all
    columns: dict[str, pa.ChunkedArray]   # canonical column -> stripped strings, "" -> null
    lines: np.ndarray              # int64, 1-based line where each row starts
    encoding: str

    @property
    def rows(self) -> int:
        return len(self.lines)


def undecodable(where: str, line: int, encoding: str) -> BadExportError:
    return BadExportError(
        f"this file holds bytes that are not valid {encoding} text, from this line on "
        "(the file is damaged, or was re-saved in another encoding)",
        file=where, line=line, what_to_do=REDOWNLOAD)


def to_utf8(raw, where: str) -> tuple[bytes | bytearray, int, str]:
    """``(data, start, encoding)``: UTF-8 bytes and the offset of the first character.

    UTF-16 (BOM ``FF FE`` or ``FE FF``) is transcoded; other bytes are returned as they are
    and validated later (in the parse), so a 100 MB file is not copied for nothing.
    """
    head = bytes(raw[:3])
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16-le" if head[:2] == codecs.BOM_UTF16_LE else "utf-16-be"
        body = memoryview(raw)[2:]
        try:
            text = codecs.decode(body, encoding)
        except UnicodeDecodeError as exc:
            prefix = codecs.decode(bytes(body[: exc.start - exc.start % 2]), encoding, "replace")
            raise undecodable(where, prefix.count("\n") + 1, "UTF-16") from None
        return text.encode("utf-8", "surrogatepass"), 0, "UTF-16"
    if head == codecs.BOM_UTF8:
        return raw, 3, "UTF-8"
    if len(raw) >= 4 and raw[0] and not raw[1] and raw[2] and not raw[3]:
        # UTF-16LE without its BOM (ASCII text with a NUL after every character).
        try:
            text = codecs.decode(memoryview(raw), "utf-16-le")
        except UnicodeDecodeError:
            return raw, 0, "UTF-8"
        return text.encode("utf-8"), 0, "UTF-16"
    return raw, 0, "UTF-8"


def locate_bad_utf8(data, start: int, end: int) -> int | None:
    """1-based line of the first byte in ``data[start:end]`` that is not UTF-8, if any."""
    view = memoryview(data)
    chunk = 1 << 20
    pos = start
    while pos < end:
        stop = min(pos + chunk, end)
        final = stop >= end
        try:
            _, consumed = codecs.utf_8_decode(view[pos:stop], "strict", final)
        except UnicodeDecodeError as exc:
            return data.count(b"\n", 0, pos + exc.start) + 1
        if consumed == 0:  # an incomplete character at a chunk's end: read past it
            chunk *= 2
            continue
        pos += consumed
    return None


def _split_cells(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False), [])
    except csv.Error:
        return []


def find_header(data, start: int, spec: FileSpec, where: str) -> Header | None:
    """The known header among the first lines, or ``None`` when the file holds no text."""
    pos, end_of_data = start, len(data)
    preamble, any_text, wide_line = False, False, None
    for line in range(1, HEADER_SCAN_LINES + 1):
        if pos >= end_of_data:
            break
        newline = data.find(b"\n", pos, pos + HEADER_MAX_BYTES + 1)
        if newline < 0:
            newline = data.find(b"\n", pos)
            line_end = end_of_data if newline < 0 else newline
        else:
            line_end = newline
        next_pos = end_of_data if newline < 0 else newline + 1
        too_long = line_end - pos > HEADER_MAX_BYTES
        raw_line = bytes(data[pos:min(line_end, pos + HEADER_MAX_BYTES)])
        try:
            text, _ = codecs.utf_8_decode(raw_line, "strict", not too_long)
        except UnicodeDecodeError:
            raise undecodable(where, line, "UTF-8") from None
        text = text.rstrip("\r")
        if text.strip():
            any_text = True
            if not too_long:
                best: tuple[int, str, list[str], dict[str, int]] | None = None
                for delimiter in DELIMITERS:
                    cells = _split_cells(text, delimiter)
                    if len(cells) >= 3 and wide_line is None:
                        wide_line = line
                    columns = spec.match(cells) if cells else None
                    if columns and (best is None or len(columns) > best[0]):
                        best = (len(columns), delimiter, cells, columns)
                if best:
                    _, delimiter, cells, columns = best
                    return Header(line=line, delimiter=delimiter,
                                  cells=[c.replace("\ufeff", "").strip() for c in cells],
                                  columns=columns, body_start=next_pos, preamble=preamble)
            preamble = True
        pos = next_pos
    if not any_text and pos >= end_of_data:
        return None
    raise UnknownHeaderError(
        f"no header this tool knows for this file was found in its first {HEADER_SCAN_LINES} "
        f"lines (a header such as {spec.example!r} was expected)",
        file=where, line=wide_line or 1,
        what_to_do=(REDOWNLOAD + "; if the file comes straight from LinkedIn, LinkedIn has "
                    "changed its layout: please report it with the file's first line, which "
                    "holds no personal data"))


def _trimmed_end(data, start: int) -> int:
    end = len(data)
    while end > start and data[end - 1] in (10, 13):
        end -= 1
    return end


def parse(raw, spec: FileSpec, where: str, limits: ReadLimits) -> Parsed:
    """Parse one file's bytes (see the module docstring)."""
    data, start, encoding = to_utf8(raw, where)
    header = find_header(data, start, spec, where)
    if header is None:
        return Parsed(None, {}, np.zeros(0, dtype=np.int64), encoding)
    first_line = header.line + 1
    body_start, body_end = header.body_start, _trimmed_end(data, header.body_start)
    wanted = {column: index for column, index in header.columns.items()
              if column in spec.aliases}
    if body_start >= body_end:
        columns = {c: pa.chunked_array([], type=pa.string()) for c in wanted}
        return Parsed(header, columns, np.zeros(0, dtype=np.int64), encoding)
    result = _parse_fast(data, body_start, body_end, header, wanted, first_line, where, limits,
                         encoding)
    if result is None:
        result = _parse_exact(data, body_start, body_end, header, wanted, first_line, where,
                              limits, encoding)
    columns, lines = result
    nul = data.find(b"\x00", body_start, body_end) >= 0
    columns, lines = _clean(columns, lines, nul=nul)
    return Parsed(header, columns, lines, encoding)


STREAM_BLOCK_BYTES = 64 * 1024 * 1024


def parse_stream(chunks, spec: FileSpec, where: str, limits: ReadLimits,
                 block_bytes: int = STREAM_BLOCK_BYTES):
    """:func:`parse` over a file given as pieces of bytes (``chunks``), yielding one
    :class:`Parsed` per block of about ``block_bytes`` whole rows: the file is never held
    whole, so memory follows the block, not the file. Blocks are cut after a newline that
    ends a row (an even number of quote characters before it), so each block is parsed, and
    checked, exactly as a file of its own would be, and its lines are the file's lines.
    A UTF-16 file (rare: only ever re-saved by hand) is gathered and parsed whole."""
    chunks = iter(chunks)
    buffer = bytearray()
    header = None
    for chunk in chunks:
        buffer += chunk
        if bytes(buffer[:2]) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or (
                len(buffer) >= 4 and buffer[0] and not buffer[1] and buffer[2]
                and not buffer[3]):
            for rest in chunks:
                buffer += rest
            yield parse(buffer, spec, where, limits)
            return
        start = 3 if bytes(buffer[:3]) == codecs.BOM_UTF8 else 0
        if buffer.count(b"\n") > HEADER_SCAN_LINES or len(buffer) > 2 * HEADER_MAX_BYTES * \
                HEADER_SCAN_LINES:
            header = find_header(buffer, start, spec, where)
            break
    else:
        yield parse(buffer, spec, where, limits)  # the whole file is in the buffer
        return
    if header is None:
        yield Parsed(None, {}, np.zeros(0, dtype=np.int64), "UTF-8")
        return
    del buffer[:header.body_start]
    first_line = header.line + 1
    wanted = {column: index for column, index in header.columns.items()
              if column in spec.aliases}
    finished = False
    while not finished:
        wanted_bytes = block_bytes
        while True:
            while len(buffer) < wanted_bytes:
                chunk = next(chunks, None)
                if chunk is None:
                    finished = True
                    break
                buffer += chunk
            cut = len(buffer) if finished and len(buffer) <= wanted_bytes else \
                _row_boundary(buffer, wanted_bytes)
            if cut is not None:
                finished = finished and not buffer[cut:]
                break
            if finished or len(buffer) > block_bytes + 4 * limits.max_field_bytes:
                cut = len(buffer)  # no row ends: let the parser say which cell never does
                break
            wanted_bytes = len(buffer) + 1  # one row longer than the block: read on
        block = bytes(buffer[:cut])
        del buffer[:cut]
        parsed = _parse_block(block, header, wanted, first_line, where, limits)
        first_line += block.count(b"\n")
        if parsed.rows or finished:
            yield parsed


def _row_boundary(buffer, end: int) -> int | None:
    """The offset just after the last newline in ``buffer[:end]`` that ends a row (an even
    number of quotes before it), or ``None``."""
    newline = buffer.rfind(b"\n", 0, end)
    if newline < 0:
        return None
    quotes = buffer.count(b'"', 0, newline)
    while quotes % 2:
        previous = buffer.rfind(b"\n", 0, newline)
        if previous < 0:
            return None
        quotes -= buffer.count(b'"', previous, newline)
        newline = previous
    return newline + 1


def _parse_block(data: bytes, header: Header, wanted, first_line, where, limits) -> Parsed:
    body_end = _trimmed_end(data, 0)
    if body_end == 0:
        columns = {c: pa.chunked_array([], type=pa.string()) for c in wanted}
        return Parsed(header, columns, np.zeros(0, dtype=np.int64), "UTF-8")
    result = _parse_fast(data, 0, body_end, header, wanted, first_line, where, limits, "UTF-8")
    if result is None:
        result = _parse_exact(data, 0, body_end, header, wanted, first_line, where, limits,
                              "UTF-8")
    columns, lines = result
    columns, lines = _clean(columns, lines, nul=data.find(b"\x00", 0, body_end) >= 0)
    return Parsed(header, columns, lines, "UTF-8")


def _read_arrow(body, header, names, include, newlines_in_values: bool) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_SIZE,
                                       use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=header.delimiter, quote_char='"',
                                         double_quote=True, escape_char=False,
                                         newlines_in_values=newlines_in_values,
                                         ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in include}, include_columns=include,
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            check_utf8=True),
    )


def _parse_fast(data, body_start, body_end, header, wanted, first_line, where, limits,
                encoding):
    """pyarrow; ``None`` when the exact parser must decide.

    The first attempt splits blocks at every newline (fastest). It is kept only when every
    newline turned out to end a row; otherwise quoted cells hold newlines, and the body is
    read again with quote-aware block splitting, then the newlines inside cells are counted.
    """
    ncols = len(header.cells)
    names = [f"c{i}" for i in range(ncols)]
    used = sorted(set(wanted.values()))
    include = [names[i] for i in used]
    body = pa.py_buffer(data).slice(body_start, body_end - body_start)
    # bytes.count: a fast search, and no 100 MB temporary arrays.
    if data.find(b"\r", body_start, body_end) >= 0 and (
            data.count(b"\r", body_start, body_end) != data.count(b"\r\n", body_start, body_end)):
        return None  # a lone carriage return: pyarrow ends rows there, lines would drift
    newlines = data.count(b"\n", body_start, body_end)
    table = None
    modes = (True,) if _sample_has_multiline_cells(data, body_start, body_end, header) else \
        (False, True)
    for newlines_in_values in modes:
        try:
            table = _read_arrow(body, header, names, include, newlines_in_values)
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower():
                line = locate_bad_utf8(data, body_start, body_end)
                if line is not None:
                    raise undecodable(where, line, encoding) from None
            table = None
        except pa.ArrowException:
            table = None
        if table is not None and table.num_rows - 1 == newlines:
            break  # every newline ends a row: no cell holds one
    if table is None or _ends_inside_quote(data, body_start, body_end, header.delimiter):
        return None  # (pyarrow accepts a file that ends inside a quoted cell)
    rows = table.num_rows
    raw = {name: table.column(name) for name in include}
    offsets = np.arange(rows, dtype=np.int64)
    if newlines != rows - 1:
        # Some newlines are inside quoted cells (or are blank lines, or a quote is missing).
        if data.count(b'"', body_start, body_end) % 2:
            return None  # an odd number of quotes: maybe a quoted cell that never ends
        inside = np.zeros(rows, dtype=np.int64)
        for column in raw.values():
            inside += _newlines_per_row(column)
        if newlines != rows - 1 + int(inside.sum()):
            return None
        offsets += np.cumsum(inside) - inside
    lines = first_line + offsets
    for name, column in raw.items():
        if rows and (pc.max(pc.binary_length(column)).as_py() or 0) > limits.max_field_bytes:
            too_long = pc.greater(pc.binary_length(column), limits.max_field_bytes)
            position = pc.index(too_long, True).as_py()
            raise _giant_field(where, int(lines[position]), header.cells[int(name[1:])], limits)
    columns = {c: raw[names[i]] for c, i in wanted.items()}
    return columns, lines


def _sample_has_multiline_cells(data, body_start, body_end, header, size=1 << 18) -> bool:
    """Whether the first rows already show a quoted cell holding a newline (then the
    newline-splitting attempt would be wasted)."""
    stop = data.rfind(b"\n", body_start, min(body_end, body_start + size))
    if stop <= body_start:
        return False
    sample = bytes(data[body_start:stop]).decode("utf-8", "replace")
    try:
        rows = list(csv.reader(io.StringIO(sample, newline="\n"), delimiter=header.delimiter,
                               strict=False))
    except csv.Error:
        return False
    return any("\n" in cell for row in rows[:-1] for cell in row)


def _newlines_per_row(column: pa.ChunkedArray) -> np.ndarray:
    """How many ``\\n`` each cell holds: the newline positions in the values buffer, binned by
    the offsets (one pass over the bytes, no per-row work)."""
    out = np.zeros(len(column), dtype=np.int64)
    base = 0
    for chunk in column.chunks:
        n = len(chunk)
        _, offsets_buffer, values_buffer = chunk.buffers()
        if n and values_buffer is not None:
            offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=n + 1,
                                    offset=chunk.offset * 4)
            values = np.frombuffer(values_buffer, dtype=np.uint8)
            low, high = int(offsets[0]), int(offsets[-1])
            step = 1 << 22  # small temporaries, reused by the allocator
            positions = np.concatenate([
                np.flatnonzero(values[at:min(at + step, high)] == 10) + at
                for at in range(low, high, step)] or [np.zeros(0, dtype=np.int64)])
            if len(positions):
                owners = np.searchsorted(offsets, positions, side="right") - 1
                out[base:base + n] += np.bincount(owners, minlength=n)[:n]
        base += n
    return out


def _parse_exact(data, body_start, body_end, header, wanted, first_line, where, limits,
                 encoding):
    """Python's csv module, line by line: slower, exact about lines and odd rows."""
    try:
        text = bytes(data[body_start:body_end]).decode("utf-8")
    except UnicodeDecodeError:
        line = locate_bad_utf8(data, body_start, body_end) or first_line
        raise undecodable(where, line, encoding) from None
    ncols = len(header.cells)
    used = sorted(set(wanted.values()))
    values: dict[int, list[str]] = {i: [] for i in used}
    lines: list[int] = []
    previous = csv.field_size_limit()
    csv.field_size_limit(max(1, limits.max_field_bytes))
    try:
        reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=header.delimiter,
                            quotechar='"', doublequote=True, strict=False)
        consumed = span = 0
        while True:
            start_line = first_line + consumed
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise _csv_problem(exc, where, start_line, header, limits) from None
            span = reader.line_num - consumed
            consumed = reader.line_num
            if not row:
                continue
            if len(row) != ncols:
                if len(row) < ncols and span > 1 and "\n" in row[-1]:
                    raise BadExportError(
                        "a quoted cell that starts on this line does not seem to end where it "
                        "should (a quote character is missing), so the rest of the file cannot "
                        "be read", file=where, line=start_line, what_to_do=REDOWNLOAD)
                if len(row) > ncols and any(cell.strip() for cell in row[ncols:]):
                    raise BadExportError(
                        f"this line has {len(row)} cells where the header has {ncols} (a "
                        "quote or a delimiter is out of place), so its columns cannot be told "
                        "apart", file=where, line=start_line, what_to_do=REDOWNLOAD)
                # Short rows (a cut-off last line, trailing empty cells left out) are padded.
                row = (row + [""] * ncols)[:ncols]
            for i in used:
                values[i].append(row[i])
            lines.append(start_line)
    finally:
        csv.field_size_limit(previous)
    if lines and text.count('"') % 2 and (
            span > 1 or _ends_inside_quote(data, body_start, body_end, header.delimiter)):
        raise BadExportError(
            "a quoted cell that starts on or after this line is never closed (a quote character "
            "is missing, or the file was cut short), so the rows after it cannot be told apart",
            file=where, line=lines[-1], what_to_do=REDOWNLOAD)
    columns = {c: pa.chunked_array([pa.array(values[i], type=pa.string())])
               for c, i in wanted.items()}
    return columns, np.asarray(lines, dtype=np.int64)


def _ends_inside_quote(data, start: int, end: int, delimiter: str) -> bool:
    """Whether the last non-empty line of ``data[start:end]``, read on its own, opens a quoted
    cell that never closes: a file cut short mid-row (a lone quote inside an unquoted cell,
    ``5" screen``, is text)."""
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    line = bytes(data[data.rfind(b"\n", start, end) + 1:end]).decode("utf-8", "replace")
    try:
        list(csv.reader([line], delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def count_rows(raw, where: str, limits: ReadLimits) -> int:
    """Data rows of a CSV whose header is unknown: non-blank rows after the first line."""
    data, start, encoding = to_utf8(raw, where)
    try:
        text = bytes(data[start:]).decode("utf-8")
    except UnicodeDecodeError:
        line = locate_bad_utf8(data, start, len(data)) or 1
        raise undecodable(where, line, encoding) from None
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=lambda d: len(_split_cells(first, d)))
    previous = csv.field_size_limit()
    csv.field_size_limit(max(1, limits.max_field_bytes))
    rows = -1
    try:
        reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=False)
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise _csv_problem(exc, where, line, None, limits) from None
            if any(cell.strip() for cell in row):
                rows += 1
    finally:
        csv.field_size_limit(previous)
    return max(rows, 0)


def _csv_problem(exc: csv.Error, where, line, header, limits) -> BadExportError:
    message = str(exc)
    if "field larger than field limit" in message:
        return _giant_field(where, line, None, limits)
    if "new-line character" in message:
        return BadExportError(
            "this line holds a stray carriage return (CR) character outside quotes, so its "
            "cells cannot be told apart", file=where, line=line, what_to_do=REDOWNLOAD)
    return BadExportError(f"this line cannot be read as CSV ({message})", file=where, line=line,
                          what_to_do=REDOWNLOAD)


def _giant_field(where, line, column, limits) -> BadExportError:
    col = f" (column {column})" if column else ""
    return BadExportError(
        f"a cell starting on this line{col} is longer than {human_size(limits.max_field_bytes)}"
        ", far longer than anything LinkedIn writes (often a quote character that is never "
        "closed)", file=where, line=line, what_to_do=REDOWNLOAD)


def _clean(columns: dict[str, pa.ChunkedArray], lines: np.ndarray, *, nul: bool = False):
    """Remove NUL characters (``nul``: the body holds one; nothing stores them), strip every
    cell, turn empty cells into nulls, drop rows left with nothing at all."""
    empty = pa.scalar(None, type=pa.string())
    cleaned: dict[str, pa.ChunkedArray] = {}
    for name, column in columns.items():
        if column.type != pa.string():
            column = column.cast(pa.string())
        if nul:
            column = pc.replace_substring(column, "\x00", "")
        column = pc.utf8_trim_whitespace(column)
        if len(column) and column.null_count < len(column) and \
                pc.min(pc.binary_length(column)).as_py() == 0:
            column = pc.if_else(pc.equal(pc.binary_length(column), 0), empty, column)
        cleaned[name] = column
    if len(lines) and cleaned and all(c.null_count for c in cleaned.values()):
        anything = None
        for column in cleaned.values():
            valid = pc.is_valid(column)
            anything = valid if anything is None else pc.or_(anything, valid)
        if not pc.all(anything).as_py():
            cleaned = {name: pc.filter(column, anything) for name, column in cleaned.items()}
            lines = lines[anything.to_numpy(zero_copy_only=False)]
    return cleaned, lines
