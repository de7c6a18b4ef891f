"""Text made safe where it goes: HTML (escaped once), spreadsheets (no formula runs), plain text.

Neutral: used by ingest (LinkedIn's HTML message bodies), labels (CSV files), triage and the
reports. Nothing here knows about people, the workspace or privacy rules.

``html_text`` for any export text that reaches HTML, ``spreadsheet_safe`` /
``spreadsheet_safe_frame`` for any text written to a CSV meant for a spreadsheet,
``strip_html`` to turn LinkedIn's HTML message bodies into plain text, ``terminal_text`` for
anything printed for people on a terminal, ``without_nul`` for text as it is read.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd

__all__ = ["DANGEROUS_PREFIXES", "html_text", "spreadsheet_safe", "spreadsheet_unprotect",
           "spreadsheet_safe_frame", "strip_html", "terminal_text", "without_nul"]

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Control characters no spreadsheet cell needs (C0 but tab, newline and CR; DEL; C1). They are
# removed: a NUL or an escape before "=" would otherwise hide the formula from the check below.
_CELL_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A cell a spreadsheet may run: "=", "+", "-" or "@" after any leading spaces or invisible
# characters (a spreadsheet may trim them), or a cell starting with a tab or CR.
_RUNNABLE = re.compile(r"^(?:[\s\u200b-\u200f\u2060\ufeff]*[=+\-@]|[\t\r])")

# What a terminal could obey instead of showing: C0 controls but newline and tab (ESC starts
# colour codes, window titles (OSC), cursor moves; BEL, backspace, CR rewrite the line), DEL,
# C1 controls (U+009B is a one-character ESC [), and the bidirectional overrides that reorder
# what is shown.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                              "\u2066-\u2069]")
_NUL = "\x00"


def html_text(value: object) -> str:
    """Export text made safe for HTML: entities decoded once, then escaped once.

    ``&rsquo;`` shows as ’; ``<script>`` is shown as text. None/NA give ``""``.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return html.escape(html.unescape(str(value)), quote=True)


def terminal_text(value: object) -> str:
    """Text safe to print on a terminal: every control character a terminal would obey
    (escape codes, BEL, backspace, CR, C1 controls, bidirectional overrides) is shown as a
    visible escape such as ``\\x1b`` instead. Newlines and tabs are kept."""
    text = "" if value is None else str(value)
    if not _TERMINAL_UNSAFE.search(text):
        return text
    return _TERMINAL_UNSAFE.sub(_visible_escape, text)


def _visible_escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def without_nul(value: Any) -> Any:
    """Text with its NUL characters removed (nothing the adviser reads holds one); other values
    unchanged."""
    if isinstance(value, str) and _NUL in value:
        return value.replace(_NUL, "")
    return value


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run.

    Control characters other than tab, newline and CR are removed; then a cell that starts
    with ``= + - @`` (also after leading spaces or invisible characters, e.g.
    ``"\\x00=HYPERLINK(...)"``), a tab or a CR gets one ``'`` in front. Non-text values
    (numbers, None, NA) are returned unchanged.
    """
    if not isinstance(value, str):
        return value
    if _CELL_CONTROLS.search(value):
        value = _CELL_CONTROLS.sub("", value)
    if _RUNNABLE.match(value):
        return "'" + value
    return value


def spreadsheet_unprotect(value: Any) -> Any:
    """Undo :func:`spreadsheet_safe` (for reading back exported CSVs; removed control
    characters stay removed)."""
    if isinstance(value, str) and value.startswith("'") and _RUNNABLE.match(value[1:]):
        return value[1:]
    return value


def spreadsheet_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`spreadsheet_safe` on every text cell of every object, string or category column."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            if pd.api.types.is_object_dtype(cats) or pd.api.types.is_string_dtype(cats):
                out[col] = series.cat.rename_categories([spreadsheet_safe(c) for c in cats])
            continue
        if pd.api.types.is_object_dtype(series):
            text = series.map(lambda v: isinstance(v, str))
            if not text.any():
                continue
            strings = series[text].astype("string")
        elif pd.api.types.is_string_dtype(series):
            strings = series
        else:
            continue
        controls = strings.str.contains(_CELL_CONTROLS.pattern, regex=True).fillna(False)
        if controls.any():
            strings = strings.str.replace(_CELL_CONTROLS.pattern, "", regex=True)
        flags = strings.str.match(_RUNNABLE.pattern).fillna(False).astype(bool)
        if controls.any() or flags.any():
            strings = strings.where(~flags, "'" + strings)
            fixed = series.copy()
            if pd.api.types.is_object_dtype(series):
                fixed[strings.index] = strings.astype(object)
            else:
                fixed = strings
            out[col] = fixed
    return out


_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3",
                         "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article"})
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


_HSPACE = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\n{3,}")


def strip_html(text: Any) -> Any:
    """Plain text of an HTML message body (``<p class=...>`` paragraphs become lines).

    Uses the standard library's HTML parser, so plain text such as ``a < b`` is kept. Entities
    are decoded. Runs of spaces become one space, each line is trimmed, and more than one blank
    line becomes one. None/NA are returned unchanged.
    """
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return text
    text = str(text)
    if "<" in text or "&" in text:
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_HSPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
