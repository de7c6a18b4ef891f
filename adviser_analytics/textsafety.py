"""Text made safe where it goes: HTML (escaped once), spreadsheets (no formula runs), plain text.

Neutral: used by ingest (LinkedIn's HTML message bodies), labels (CSV files), triage and the
reports. Nothing here knows about people, the workspace or privacy rules.

``html_text`` for any export text that reaches HTML, ``spreadsheet_safe`` /
``spreadsheet_safe_frame`` for any text written to a CSV meant for a spreadsheet,
``strip_html`` to turn LinkedIn's HTML message bodies into plain text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd

__all__ = ["DANGEROUS_PREFIXES", "html_text", "spreadsheet_safe", "spreadsheet_unprotect",
           "spreadsheet_safe_frame", "strip_html"]

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def html_text(value: object) -> str:
    """Export text made safe for HTML: entities decoded once, then escaped once.

    ``&rsquo;`` shows as ’; ``<script>`` is shown as text. None/NA give ``""``.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return html.escape(html.unescape(str(value)), quote=True)


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run: one ``'`` before ``= + - @``, tab or CR.

    Non-text values (numbers, None, NA) are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def spreadsheet_unprotect(value: Any) -> Any:
    """Undo :func:`spreadsheet_safe` (for reading back exported CSVs)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(
            DANGEROUS_PREFIXES):
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
            flags = series.map(lambda v: isinstance(v, str) and v.startswith(DANGEROUS_PREFIXES))
        elif pd.api.types.is_string_dtype(series):
            flags = series.str.startswith(DANGEROUS_PREFIXES)
        else:
            continue
        flags = flags.fillna(False).astype(bool)
        if flags.any():
            fixed = series.copy()
            fixed[flags] = "'" + series[flags]
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
