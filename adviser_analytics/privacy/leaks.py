"""Leak check: what must not appear in a supervision artefact, and looking for it.

``sensitive_terms`` lists what must not appear in a supervision artefact (names, profile
slugs, e-mail addresses, client companies, conversation ids, message snippets);
``find_leaks`` / ``check_artefacts`` look for them. Matching works on words: text and terms
are NFKC-normalised, case-folded and split into runs of letters/digits, so punctuation,
white space, line breaks and case do not matter ("O'Brien", "O&#x27;Brien" and "o’brien"
are the same term). Each artefact is checked as written, after decoding HTML entities and
JSON escapes, and with HTML tags removed (a name split across table cells is still found).

Precision (issue 13): full names, profile slugs, e-mail addresses, conversation ids, message
snippets and listed terms are looked for everywhere; single-word names and one-word employers
(a contact called Floor, an employer called People) only where data are rendered: elements
marked ``data-aa="data"`` by the report's templates and, in output the templates did not make,
table cells, printed output and SVG text (:func:`scan_artefact`). The report's own words (its
template text, CSS, JSON keys, ``<html lang>``, the CSP header) therefore never count. A
failure says what kind of data was found and where, never any part of it, and nothing is
deleted.

:data:`ALLOW` is the one allow list of the reports: text of our own that a supervision
report prints on purpose. :func:`report_index` builds the index the reports are checked with.
"""

from __future__ import annotations

import ast
import bisect
import copy
import functools
import html
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd

from ..errors import PrivacyError

__all__ = [
    "ALLOW", "STOPWORDS", "Term", "Leak", "TermIndex", "sensitive_terms", "find_leaks",
    "check_artefacts", "mask", "report_index", "scan_artefact", "describe_leaks",
    "own_phrases", "DATA_ATTR",
]

# Text of our own that a supervision report prints on purpose; a person sharing a word with
# it (a Mr Wilson, a Ms Shannon) must not make the leak check withhold the report.
ALLOW = ("Wilson 95 % interval", "Wilson interval", "Jensen-Shannon distance",
         "Jensen-Shannon", "Gibbs", "adviser-analytics")

_TOKEN = re.compile(r"\w+")
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[nrtbf\"\\/])")
# JSON line breaks become spaces so that line numbers still match the file's lines.
_JSON_SIMPLE = {"n": " ", "r": " ", "t": " ", "b": " ", "f": " ", '"': '"', "\\": "\\", "/": "/"}
_ESCAPABLE = re.compile(r"[&<>\"']")
_SNIPPET_MIN_CONTENT = 20
# single words of these kinds are looked for only where data are rendered
_DATA_ONLY_KINDS = frozenset({"name", "company"})
_SNIPPET_WIDTH = 24

# Words of 4+ letters that are names as well as ordinary English (or words of this project's
# reports): alone they would match ordinary text, so single first/last names and one-word
# companies equal to them are not searched for. Full names are always searched for.
STOPWORDS = frozenset("""
about above account admin advice adviser after again against april august autumn baker banks
bell best bill black bloom booking brand bright brook brooks brown bush butler call career
careers carter case cash chance chapel charity chase cherry church city clark clay client
clients close colleague college contact cook cooper crane cross dale dash date dawn days dean
december decision decisions drake duke early east english fall faith february field fields fish
fisher ford forest fox free friday from frost gates gift glass gold good grace grand grant gray
green grey guest hall happy hart have head heart help hill holiday holly hood hope hours house
hunt hunter iris ivy jack january joy july june just king knight lake lamb lane
last learning leave lily link linkedin little long love lucky major march mark marsh mason
master matt member mentor message messages middle miles mill miller mills monday month moon
moore more morning much murray nash new news next night noble none north note october only
open page paris park parker patience penny period person personal pike policy pool porter
power pratt price pride professional rain read reading reception reed referral reply report
request requests rich river rivers robin rock rose ruby rush sage sale sand sandy saturday
says september service shaw sharp shepherd short sky slade small snow some south spam spring
star stern stone story storey street strong student students summer sunday support swan
taylor team term than thank thanks that their them then there these they this thursday time
today tuesday turner university unknown very wall walker ward warren waters week wednesday
well west what when white wilde will winter wise with wood woods would wren year young your
""".split())
_GENERIC_COMPANIES = frozenset({
    "self employed", "self-employed", "freelance", "freelancer", "retired", "student",
    "students", "unemployed", "none", "n a", "na", "various", "confidential", "stealth",
    "stealth startup", "stealth mode", "independent", "consultant", "open to work",
    "looking for opportunities", "career break", "linkedin", "private", "home",
})
_HONORIFICS = frozenset("""
dr mr mrs ms mx miss prof professor sir dame rev revd lord lady phd mba msc ma ba bsc beng meng
llb llm pgce pgdip fhea sfhea mcipd cipd acca aca aca cima cfa frsa jr sr ii iii iv cdp rcdp
""".split())


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(_norm(text)))


def mask(term: str) -> str:
    """A term shown without revealing anything of it (not its first letters, not its
    length)."""
    return "[hidden]"


class Term(str):
    """A string to look for, with its kind (``name``, ``email``, ``slug``, ``company``,
    ``conversation``, ``snippet``, ``extra``). Its repr is masked."""

    kind: str

    def __new__(cls, text: str, kind: str = "term") -> Term:
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj

    def __repr__(self) -> str:
        return f"Term({self.kind}, {mask(self)!r})"


@dataclass(frozen=True)
class Leak:
    """One place where a sensitive term occurs in an artefact. ``str()`` and ``repr()`` show
    the term masked; ``term`` holds it in full for the caller's own use."""

    kind: str
    term: str = field(repr=False)
    source: str
    line: int
    offset: int
    view: str = "raw"   # raw | decoded | text (tags removed) | data (a data-bearing element)
    masked: str = ""
    where: str = ""     # "in the table 'Who asked', row 3" (no part of the term)

    def __post_init__(self) -> None:
        if not self.masked:
            object.__setattr__(self, "masked", mask(self.term))

    def __str__(self) -> str:
        where = f" {self.where}" if self.where else ""
        return f"{self.source}, line {self.line}: {_KIND_PHRASE.get(self.kind, self.kind)}{where}"


class TermIndex:
    """Terms prepared for scanning: build once, scan many texts (see :func:`find_leaks`)."""

    def __init__(self, terms: Iterable[str], allow: Iterable[str] = ()):
        self.allow_sequences = [t for t in (_tokens(a) for a in allow if a) if t]
        allowed_whole = set(self.allow_sequences)
        self.single: dict[str, Term] = {}   # single words looked for only in data
        self.always: dict[str, Term] = {}   # single-token terms looked for everywhere
        self.multi: dict[tuple[str, str], list[tuple[tuple[str, ...], Term]]] = {}
        self.allow_first: dict[str, list[tuple[str, ...]]] = {}
        for seq in self.allow_sequences:
            self.allow_first.setdefault(seq[0], []).append(seq)
        seen: set[tuple[str, ...]] = set()
        for term in terms:
            if not term:
                continue
            if not isinstance(term, Term):
                term = Term(str(term), "extra")
            seq = term.__dict__.get("_seq") or _tokens(term)
            if not seq or seq in seen or seq in allowed_whole:
                continue
            seen.add(seq)
            if len(seq) == 1 and term.kind in _DATA_ONLY_KINDS:
                self.single[seq[0]] = term
            elif len(seq) == 1:
                self.always[seq[0]] = term
            else:
                self.multi.setdefault(seq[:2], []).append((seq, term))
        for candidates in self.multi.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self.first = set(self.single) | set(self.always) | {key[0] for key in self.multi}
        self.size = len(seen)

    def with_allow(self, allow: Iterable[str]) -> TermIndex:
        """This index with more allowed text (matches inside it are ignored)."""
        extra = [t for t in (_tokens(a) for a in allow if a) if t]
        if not extra:
            return self
        clone = copy.copy(self)
        clone.allow_sequences = self.allow_sequences + extra
        clone.allow_first = {k: list(v) for k, v in self.allow_first.items()}
        for seq in extra:
            clone.allow_first.setdefault(seq[0], []).append(seq)
        return clone

    def _allowed_mask(self, tokens: list[str]) -> list[bool] | None:
        if not self.allow_first:
            return None
        covered = [False] * len(tokens)
        any_covered = False
        for i, tok in enumerate(tokens):
            for seq in self.allow_first.get(tok, ()):
                if tuple(tokens[i:i + len(seq)]) == seq:
                    for j in range(i, i + len(seq)):
                        covered[j] = True
                    any_covered = True
        return covered if any_covered else None

    def scan_tokens(self, tokens: list[str], single: bool = True,
                    multi: bool = True) -> list[tuple[int, int, Term]]:
        """(first token, token count, term) for each leftmost-longest, non-overlapping match;
        ``single``: with the single words looked for only in data; ``multi``: with the terms
        looked for everywhere."""
        hits: list[tuple[int, int, Term]] = []
        if not self.first.intersection(tokens):
            return hits
        first = self.first
        words = {**(self.always if multi else {}), **(self.single if single else {})}
        multi = self.multi if multi else {}
        single = words
        n = len(tokens)
        i = 0
        while i < n:
            tok = tokens[i]
            if tok in first:
                found: tuple[int, Term] | None = None
                if i + 1 < n:
                    for seq, term in multi.get((tok, tokens[i + 1]), ()):
                        k = len(seq)
                        if tuple(tokens[i:i + k]) == seq:
                            found = (k, term)
                            break
                if found is None and tok in single:
                    found = (1, single[tok])
                if found is not None:
                    hits.append((i, found[0], found[1]))
                    i += found[0]
                    continue
            i += 1
        return hits

    def scan(self, text: str, source: str, single: bool = True,
             multi: bool = True) -> list[Leak]:
        """Leaks in one text, looked for in its raw, decoded and tag-free forms (``single``
        and ``multi`` as :meth:`scan_tokens`)."""
        views = [("raw", text)]
        decoded = text
        if "\\" in decoded:
            decoded = _JSON_ESCAPE.sub(_json_unescape, decoded)
        if "&" in decoded:
            decoded = html.unescape(decoded)
        if decoded != text:
            views.append(("decoded", decoded))
        if "<" in text:
            views.append(("text", _TAG.sub(_blank_tag, decoded)))
        leaks: list[Leak] = []
        seen: set[tuple[tuple[str, ...], int]] = set()
        for view, body in views:
            body = _norm(body)
            tokens = _TOKEN.findall(body)
            hits = self.scan_tokens(tokens, single, multi)
            if not hits:
                continue
            covered = self._allowed_mask(tokens)
            starts: list[int] | None = None
            newlines: list[int] | None = None
            for i, k, term in hits:
                if covered is not None and all(covered[i:i + k]):
                    continue
                if starts is None:
                    starts = [m.start() for m in _TOKEN.finditer(body)]
                    newlines = [m.start() for m in re.finditer("\n", body)]
                offset = starts[i]
                line = bisect.bisect_right(newlines, offset) + 1
                key = (_tokens(term), line)
                if key in seen:
                    continue
                seen.add(key)
                leaks.append(Leak(term.kind, str(term), source, line, offset, view))
        return leaks


def _blank_tag(match: re.Match[str]) -> str:
    return "\n" * match.group().count("\n") or " "


def _json_unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] == "u":
        return chr(int(code[1:], 16))
    return _JSON_SIMPLE[code]


def _cell_text(value: object) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    return text or None


def _name_words(name: str) -> list[str]:
    """The words of a display name, without honorifics, post-nominals and anything after a
    comma, bracket or bar ("Dr Jane Smith, PhD (she/her)" -> Jane, Smith)."""
    name = re.split(r"[,(|]", name, maxsplit=1)[0]
    return [w for w in name.split() if _tokens(w) and "".join(_tokens(w)) not in _HONORIFICS]


def _single_word_ok(seq: tuple[str, ...]) -> bool:
    letters = "".join(seq)
    return len(letters) >= 4 and not letters.isdigit() and letters not in STOPWORDS


def _slug_forms(url: str) -> list[str]:
    match = re.search(r"/in/([^/?#\s]+)", url, re.IGNORECASE)
    if not match:
        return []
    raw = match.group(1)
    decoded = unquote(raw)
    forms = {raw, decoded, quote(decoded, safe="-_.~")}
    return [f for f in forms if len(f) >= 4]


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        pos -= 1
    return pos


def _word_end(text: str, pos: int) -> int:
    while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
        pos += 1
    return pos


def _snippets(content: str) -> list[str]:
    """Up to three windows (start, middle, end) of 24+ characters of a message's plain text,
    widened to whole words."""
    plain = content
    if "<" in plain:
        plain = _TAG.sub(" ", plain)
    if "&" in plain:
        plain = html.unescape(plain)
    plain = " ".join(plain.split())
    size = len(plain)
    if size < _SNIPPET_MIN_CONTENT:
        return []
    out = []
    for start in sorted({0, (size - _SNIPPET_WIDTH) // 2, size - _SNIPPET_WIDTH}):
        begin = _word_start(plain, max(start, 0))
        text = plain[begin:_word_end(plain, begin + _SNIPPET_WIDTH)].strip()
        words = [t for t in _TOKEN.findall(text) if len(t) >= 3 and not t.isdigit()]
        if len(words) >= 2 and text not in out:
            out.append(text)
    return out


def sensitive_terms(people: pd.DataFrame | None, messages: pd.DataFrame | None,
                    extra: Iterable[str] = (), allow: Iterable[str] = ()) -> list[Term]:
    """Everything a supervision artefact must not contain, as :class:`Term` strings.

    From ``people`` (columns used when present: ``name``, ``profile_url``, ``email``,
    ``company``, ``person_key``): full names; first and last names of 4+ letters that are not
    ordinary words (:data:`STOPWORDS`); profile slugs, raw and percent-encoded; e-mail
    addresses; companies (except generic ones such as "Self-employed"). From ``messages``
    (``content``, ``subject``, ``sender_name``, ``sender_url``, ``conversation_id``,
    ``conversation_title``): sender names and slugs, conversation ids, and for each text of 20+
    characters three windows of 24+ characters (start, middle, end), HTML-decoded and also
    HTML-escaped. ``extra`` adds terms as they are.

    ``allow`` lists deliberately public text (the owner's name, the institution): terms equal to
    it, or made of words that all occur in it in order (the owner's first name), are left out,
    and :func:`find_leaks` ignores matches inside it.
    """
    allow_seqs = [s for s in (_tokens(a) for a in allow if a) if s]
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()

    def allowed(seq: tuple[str, ...]) -> bool:
        for a in allow_seqs:
            n = len(seq)
            if any(a[i:i + n] == seq for i in range(len(a) - n + 1)):
                return True
        return False

    def add(text: str | None, kind: str, single_ok: bool = False) -> None:
        if not text:
            return
        seq = _tokens(text)
        if not seq or seq in seen:
            return
        if len(seq) == 1 and not single_ok and not _single_word_ok(seq):
            return
        if allow_seqs and allowed(seq):
            return
        seen.add(seq)
        term = Term(text, kind)
        term._seq = seq
        terms.append(term)

    def add_name(name: str | None) -> None:
        if not name or _norm(name) == "linkedin member":
            return
        add(name, "name")
        words = _name_words(name)
        if len(words) >= 2:
            add(" ".join(words), "name")
            add(words[0], "name")
            add(words[-1], "name")

    def add_url(url: str | None) -> None:
        if url:
            for form in _slug_forms(url):
                add(form, "slug")

    def column(frame: pd.DataFrame | None, name: str) -> list[str]:
        if frame is None or name not in frame.columns:
            return []
        return [t for t in (_cell_text(v) for v in pd.unique(frame[name].dropna())) if t]

    for name in column(people, "name"):
        add_name(name)
    for name in column(messages, "sender_name"):
        add_name(name)
    for key in column(people, "person_key"):
        if key.startswith("name:"):
            add_name(key[5:])
        else:
            add_url(key)
    for url in column(people, "profile_url") + column(messages, "sender_url"):
        add_url(url)
    for email in column(people, "email"):
        add(email, "email")
    for company in column(people, "company"):
        if " ".join(_tokens(company)) not in _GENERIC_COMPANIES:
            add(company, "company")
    for conversation in column(messages, "conversation_id"):
        if len(conversation) >= 8:
            add(conversation, "conversation", single_ok=True)
    for col in ("content", "subject", "conversation_title"):
        for text in column(messages, col):
            for window in _snippets(text):
                add(window, "snippet")
                if _ESCAPABLE.search(window):
                    add(html.escape(window), "snippet")
    for text in extra:
        if text:
            seq = _tokens(text)
            if seq and seq not in seen:
                seen.add(seq)
                terms.append(Term(text, "extra"))
    return terms


def _read_sources(paths_or_texts: Iterable[Any]) -> Iterable[tuple[str, str]]:
    for n, item in enumerate(paths_or_texts, start=1):
        if isinstance(item, tuple):
            label, text = item
            yield str(label), str(text)
        elif isinstance(item, os.PathLike) or (
                isinstance(item, str) and "\n" not in item and len(item) < 4096
                and os.path.exists(item)):
            path = Path(item)
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                yield str(file), file.read_bytes().decode("utf-8", errors="replace")
        else:
            yield f"<text {n}>", str(item)


# --------------------------------------------------------------------------------------------
# Where data are rendered
#
# A single word (a contact called Floor, a one-word employer "People") is looked for only where
# data are rendered: elements marked ``data-aa="data"`` (the report's table cells and figure
# text), and, in output the report's templates did not make (a notebook of your own), table
# cells, preformatted output and SVG text. Everything else (headings, prose, CSS, JSON keys,
# the page's markup) is the report's own text: there only full names, profile slugs, e-mail
# addresses, conversation ids, message snippets and listed terms are looked for.

#: the attribute that marks an element as data-bearing (``data``) or as the report's own
#: container (``report``: cells inside it are data only when marked)
DATA_ATTR = "data-aa"
_DATA_UNITS = frozenset({"td", "th", "li", "pre", "text", "tspan", "caption", "figcaption"})
_DEFAULT_DATA = frozenset({"td", "th", "pre", "text", "tspan"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
_SKIP_CONTENT = frozenset({"style", "script"})
_KIND_PHRASE = {"name": "a contact's name", "company": "an employer's name",
                "email": "an e-mail address", "slug": "a profile link",
                "conversation": "a conversation id", "snippet": "a piece of message text",
                "extra": "a listed term (your name or the workspace's folder)",
                "term": "a listed term"}


@dataclass
class _Unit:
    """The text of one data-bearing element and where it is (a text, or the parser's state
    to word it from: (tag, table caption, section, row, tables open))."""

    text: str
    line: int
    place: Any

    @property
    def where(self) -> str:
        return self.place if isinstance(self.place, str) else _where(*self.place)


def _where(tag: str, table: str, section: str, row: int, tables: int) -> str:
    if tables and tag in ("td", "th"):
        name = table or section
        name = f"the table '{name}'" if name else "a table"
        return f"in {name}, row {row}" if row else f"in the heading of {name}"
    in_section = f" in the section '{section}'" if section else ""
    if tag in ("text", "tspan", "figure"):
        return "in a figure's text" + in_section
    if tag == "li":
        return "in a list" + in_section
    if tag == "pre":
        return "in printed output" + in_section
    return "in the text" + in_section


_MARKUP = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][\w:.-]*)([^>]*)>", re.DOTALL)
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# the elements whose start and end change what the parser tracks
_RELEVANT = frozenset({*_HEADINGS, "table", "caption", "thead", "tr", "style", "script",
                       "td", "th", "li", "pre", "text", "tspan", "figcaption", "svg", "img",
                       "figure"})


class _Units:
    """Data-bearing units of an HTML page (:data:`_DATA_UNITS` inside data, text directly in
    a data element, ``alt``/``title``/``aria-label`` of data elements), each with its offset
    (in ``line``) and where it is. A light tokenizer (tags by one regular expression), because a report of
    a heavy account runs to megabytes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.units: list[_Unit] = []
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, data, report container)
        self.buffers: list[list] = []  # open units: [tag, parts, offset, data, where]
        self.heading: list[str] | None = None
        self.section = ""
        self.caption: list[str] | None = None
        self.table = ""
        self.tables = 0
        self.row = 0
        self.thead = False
        self.data_depth = 0
        self.report_depth = 0
        self.open_marked: dict[str, int] = {}
        self.figures = 0
        self._parse()

    def _where(self, tag: str) -> tuple:
        if self.figures and tag not in ("td", "th"):
            tag = "figure"  # a list or caption of a figure: the figure's text
        return (tag, self.table, self.section, self.row, self.tables)

    def _parse(self) -> None:
        text, pos = self.text, 0
        relevant = _RELEVANT
        lower = None
        for match in _MARKUP.finditer(text):
            start = match.start()
            if start > pos and (self.buffers or self.data_depth or self.heading is not None
                                or self.caption is not None):
                self._data(text[pos:start], pos)
            pos = match.end()
            slash, tag, attrs = match.groups()
            if tag is None:  # a comment
                continue
            tag = tag.lower()
            if tag not in relevant and tag not in self.open_marked and DATA_ATTR not in attrs \
                    and not (self.data_depth and attrs and not slash):
                continue  # an element that changes nothing tracked (a <span>, a <div>)
            if slash:
                self._end(tag)
                continue
            self._start(tag, attrs, start, attrs.endswith("/"))
            if tag in _SKIP_CONTENT:  # skip a style sheet's or script's content
                if lower is None:
                    lower = text.lower()
                close = lower.find(f"</{tag}", pos)
                pos = len(text) if close < 0 else close
        if pos < len(text):
            self._data(text[pos:], pos)
        for buffer in reversed(self.buffers):  # units left open at the end
            self._close_unit(buffer)
        self.buffers = []

    def _start(self, tag: str, raw: str, offset: int, closed: bool) -> None:
        attrs = {}
        if "=" in raw and (DATA_ATTR in raw or "alt" in raw or "title" in raw or "label" in raw):
            attrs = {k.lower(): html.unescape(v.strip("\"'")) for k, v in _ATTR.findall(raw)}
        mark = attrs.get(DATA_ATTR)
        data = mark == "data" or (tag in _DEFAULT_DATA and not self.report_depth
                                  and mark != "report")
        if tag not in _VOID and not closed:
            self.stack.append((tag, data, mark == "report"))
            self.data_depth += data
            self.report_depth += mark == "report"
            if mark:
                self.open_marked[tag] = self.open_marked.get(tag, 0) + 1
        if tag in _HEADINGS:
            self.heading = []
        elif tag == "table":
            self.tables += 1
            self.table, self.row, self.thead = "", 0, False
        elif tag == "caption":
            self.caption = []
        elif tag == "thead":
            self.thead = True
        elif tag == "figure" and not closed:
            self.figures += 1
        elif tag == "tr" and not self.thead:
            self.row += 1
        if tag in _DATA_UNITS and tag not in _VOID and not closed:
            self.buffers.append([tag, [], offset, bool(self.data_depth), self._where(tag)])
        if self.data_depth or data:
            for name in ("alt", "aria-label", "title"):
                if attrs.get(name):
                    self.units.append(_Unit(attrs[name], offset, self._where("figure")))

    def _close_unit(self, buffer: list) -> None:
        _tag, parts, offset, data, where = buffer
        if data:
            self.units.append(_Unit("".join(parts), offset, where))

    def _end(self, tag: str) -> None:
        if tag in _HEADINGS and self.heading is not None:
            self.section = " ".join(html.unescape("".join(self.heading)).split())
            self.heading = None
        elif tag == "caption" and self.caption is not None:
            self.table = " ".join(html.unescape("".join(self.caption)).split())
            self.caption = None
        elif tag == "table" and self.tables:
            self.tables -= 1
            self.table = ""
        elif tag == "thead":
            self.thead = False
        elif tag == "figure" and self.figures:
            self.figures -= 1
        if tag in _DATA_UNITS:
            for i in range(len(self.buffers) - 1, -1, -1):
                if self.buffers[i][0] == tag:
                    self._close_unit(self.buffers.pop(i))
                    break
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for t, data, report in self.stack[i:]:
                    self.data_depth -= data
                    self.report_depth -= report
                    if t in self.open_marked:
                        self.open_marked[t] -= 1
                        if not self.open_marked[t]:
                            del self.open_marked[t]
                del self.stack[i:]
                break

    def _data(self, data: str, offset: int) -> None:
        if "&" in data:
            data = html.unescape(data)
        if self.heading is not None:
            self.heading.append(data)
        if self.caption is not None:
            self.caption.append(data)
        if self.buffers:
            self.buffers[-1][1].append(data)
        elif self.data_depth and data.strip():
            self.units.append(_Unit(data, offset, self._where("p")))


def _json_units(text: str) -> list[_Unit] | None:
    """The string values of a JSON document (or of JSON lines), keys left out; None if it is
    not JSON."""
    docs = []
    try:
        docs.append(json.loads(text))
    except ValueError:
        try:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            return None
    units: list[_Unit] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str):
            units.append(_Unit(value, 0, f"in the value of '{path}'"))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, path)

    for n, doc in enumerate(docs, start=1):
        before = len(units)
        walk(doc, "")
        for unit in units[before:]:
            unit.line = n
    return units


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(t for t in _tokens(text) if not t.isdigit())


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# modules whose lower-case words are the report's vocabulary (relationships, decisions,
# outcomes), written into cells as they are
_VOCABULARY_FILES = frozenset({"store.py", "introductions.py", "pseudonyms.py"})


@functools.cache
def own_phrases() -> frozenset[tuple[str, ...]]:
    """Every phrase the report writes into a data cell of its own accord (row labels such as
    "Conversations waiting at the end", "Total", outcome and relationship words): the text
    constants of the modules that build the report, numbers left out. A data cell whose whole
    text is one of them is the report's own word, not a person's name."""
    root = Path(__file__).resolve().parent.parent
    files = [*sorted(f for f in (root / "reflection").glob("*.py") if f.name != "explore.py"),
             root / "figures.py",
             root / "privacy" / "suppression.py", root / "privacy" / "pseudonyms.py",
             root / "labels" / "store.py", root / "metrics" / "introductions.py",
             root / "periods.py", root / "reports.py"]
    phrases: set[tuple[str, ...]] = set()
    for file in files:
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = " ".join(v.value for v in node.values
                                if isinstance(v, ast.Constant) and isinstance(v.value, str))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if len(text) > 200:
                continue
            if _IDENTIFIER.fullmatch(text) and file.name not in _VOCABULARY_FILES:
                continue  # a key or a name in the code ("people"), not words it writes
            for piece in _TAG.split(text):  # HTML written in code: each cell's words
                key = _phrase_key(html.unescape(piece).replace("_", " "))
                if key:
                    phrases.add(key)
    for template in sorted((root / "reflection" / "templates").glob("*.html")):
        body = re.sub(r"\{[{%#].*?[}%#]\}", "\n", template.read_text(encoding="utf-8"))
        for piece in _TAG.split(body):
            key = _phrase_key(html.unescape(piece))
            if key:
                phrases.add(key)
    return frozenset(phrases)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]\s*>", re.DOTALL | re.IGNORECASE)


def _sections(text: str, line_of: Callable[[int], int]) -> list[tuple[int, str]]:
    """(line, heading text) of every heading of a page, in order."""
    out = []
    for match in _HEADING.finditer(text):
        title = " ".join(html.unescape(_TAG.sub(" ", match.group(1))).split())
        if title:
            out.append((line_of(match.end()), title))
    return out


def _place(places: list[tuple[int, str]], line: int, index: TermIndex) -> str:
    """The section a line of the page lies in ("in the section 'Who asked'"); a heading that
    itself holds a term (a notebook of your own) is not quoted."""
    i = bisect.bisect_right([p[0] for p in places], line) - 1
    if i < 0:
        return "in the text"
    title = places[i][1]
    if index.scan_tokens(_TOKEN.findall(_norm(title))):
        return "in the text"
    return f"in the section '{title}'"


@functools.cache
def _own_words() -> frozenset[str]:
    """Every word of the report's own phrases."""
    return frozenset(word for phrase in own_phrases() for word in phrase)


def _own_sentence(text: str) -> bool:
    """A cell the report composed from its own words and figures ("7 waiting, 2 past your
    5-day aim; 135 older threads lapsed"): at least one number, and every word one the report
    writes itself (a plural of one too). A name never comes with a figure in its cell, and a
    cell of words alone is still checked. Still needed for ``manifest.json``, which keeps each
    report's headline (the waiting sentence) as a JSON string, where every value is data; the
    index page itself leaves that cell unmarked (``templates/reports_index.html.j2``)."""
    tokens = _tokens(text)
    if not any(t.isdigit() for t in tokens):
        return False
    own = _own_words()
    return all(t.isdigit() or t in own or (t.endswith("s") and t[:-1] in own) for t in tokens)


def scan_artefact(text: str, source: str, index: TermIndex) -> list[Leak]:
    """Leaks in one artefact: terms that are always looked for (full names, slugs, e-mails,
    conversation ids, snippets, listed terms) anywhere in its raw, decoded and tag-free
    forms; single-word names and employers only inside the units where data are rendered
    (see :class:`_Units`), unless the unit's whole text is the report's own phrase
    (:func:`own_phrases`). Each leak says where it is (:attr:`Leak.where`)."""
    leaks = index.scan(text, source, single=False)
    is_html = "<" in text and bool(_TAG.search(text))
    newlines: list[int] | None = None

    def line_of(offset: int) -> int:
        nonlocal newlines
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", text)]
        return bisect.bisect_right(newlines, offset) + 1

    places = _sections(text, line_of) if is_html else []
    for leak in leaks:
        object.__setattr__(leak, "where", _place(places, leak.line, index) if places
                           else "in the text")
    if not index.single or index.single.keys().isdisjoint(_TOKEN.findall(_norm(text))):
        return leaks  # no single word of the index anywhere: no need to find the data
    units: list[_Unit] | None = None
    if not is_html:
        units = _json_units(text)
    if units is None and is_html:
        units = _Units(text).units
        for unit in units:
            unit.line = line_of(unit.line)
    if units is None:  # plain text: every word is checked
        units = [_Unit(text, 1, "in the text")]
    own = own_phrases()
    seen: set[tuple[str, str]] = set()
    candidates = index.single.keys() & set(_TOKEN.findall(_norm(text)))
    near = re.compile("|".join(sorted(map(re.escape, candidates), key=len, reverse=True)))
    for unit in units:
        if not near.search(_norm(unit.text)):
            continue
        if index.single.keys().isdisjoint(_TOKEN.findall(_norm(unit.text))):
            continue
        if _phrase_key(unit.text) in own or _own_sentence(unit.text):
            continue
        for leak in index.scan(unit.text, source, multi=False):
            key = (leak.term, unit.where)
            if key in seen:
                continue
            seen.add(key)
            leaks.append(Leak(leak.kind, leak.term, source, unit.line or leak.line,
                              leak.offset, "data", where=unit.where))
    return leaks


def find_leaks(paths_or_texts: Iterable[Any], terms: Iterable[str] | TermIndex,
               allow: Iterable[str] = ()) -> list[Leak]:
    """Every place a term occurs, case-insensitively, in the given files or texts.

    Items: a path (``Path``, or a ``str`` naming an existing file or folder, searched
    recursively), a ``(label, text)`` pair, or any other string as text. ``terms`` are strings
    (:class:`Term` carries the kind; others count as ``extra``) or a prebuilt :class:`TermIndex`.
    Matches lying wholly inside an occurrence of an ``allow`` term are ignored. Single-word
    names and employers count only where data are rendered (:func:`scan_artefact`).
    """
    if isinstance(terms, TermIndex):
        index = terms.with_allow(allow)
    else:
        index = TermIndex(terms, allow)
    leaks: list[Leak] = []
    for source, text in _read_sources(paths_or_texts):
        leaks.extend(scan_artefact(text, source, index))
    return leaks


def describe_leaks(leaks: Iterable[Leak]) -> list[str]:
    """What leaked where, in words, without any part of it: "a contact's name in the table
    'Who asked', row 3 (who-asked.html, line 40)"."""
    out: list[str] = []
    for leak in leaks:
        where = leak.where or f"at line {leak.line}"
        text = f"{_KIND_PHRASE.get(leak.kind, 'a listed term')} {where} " \
               f"({Path(leak.source).name}, line {leak.line})"
        if text not in out:
            out.append(text)
    return out


def check_artefacts(paths: Iterable[Any], terms: Iterable[str] | TermIndex,
                    allow: Iterable[str] = ()) -> None:
    """Raise :class:`PrivacyError` if any artefact contains a sensitive term.

    The message says what kind of data was found and where (section, table and row), never
    any part of it. Nothing is deleted: the caller does not publish what failed.
    """
    paths = list(paths)
    leaks = find_leaks(paths, terms, allow)
    if not leaks:
        return
    described = describe_leaks(leaks)
    shown = described[:8]
    if len(described) > 8:
        shown.append(f"and {len(described) - 8} more")
    raise PrivacyError(
        "A supervision artefact would have revealed personal data, so it was not written "
        "(the previous version, if any, is kept): " + "; ".join(shown),
        what_to_do=("Check how that text reached the supervision version (people should "
                    "appear only as pseudonyms). If the word is deliberately public, such as "
                    "your own name or your institution, add it to public_terms in your policy "
                    "file (adviser-analytics policy set) and run the report again"))


def report_index(people: pd.DataFrame | None, messages: pd.DataFrame | None,
                 extra: Iterable[str] = (), public_terms: Iterable[str] = ()) -> TermIndex:
    """The index a supervision report is checked with: :func:`sensitive_terms` of these
    people and messages (and ``extra``), allowing :data:`ALLOW` and the policy's
    ``public_terms``."""
    public = [t for t in public_terms if t]
    return TermIndex(sensitive_terms(people, messages, extra=extra, allow=public),
                     (*ALLOW, *public))
