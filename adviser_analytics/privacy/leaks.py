"""Leak check: what must not appear in a supervision artefact, and looking for it.

``sensitive_terms`` lists what must not appear in a supervision artefact (names, profile
slugs, e-mail addresses, client companies, conversation ids, message snippets);
``find_leaks`` / ``check_artefacts`` look for them. Matching works on words: text and terms
are NFKC-normalised, case-folded and split into runs of letters/digits, so punctuation,
white space, line breaks and case do not matter ("O'Brien", "O&#x27;Brien" and "o’brien"
are the same term). Each artefact is checked as written, after decoding HTML entities and
JSON escapes, and with HTML tags removed (a name split across table cells is still found).

:data:`ALLOW` is the one allow list of the reports: text of our own that a supervision
report prints on purpose. :func:`report_index` builds the index the reports are checked with.
"""

from __future__ import annotations

import bisect
import copy
import html
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd

from ..errors import PrivacyError

__all__ = [
    "ALLOW", "STOPWORDS", "Term", "Leak", "TermIndex", "sensitive_terms", "find_leaks",
    "check_artefacts", "mask", "report_index",
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
_SNIPPET_WIDTH = 24
_KIND_ORDER = ("name", "email", "slug", "company", "conversation", "snippet", "extra")
_KIND_WORDS = {"name": ("name", "names"), "email": ("e-mail address", "e-mail addresses"),
               "slug": ("profile URL", "profile URLs"), "company": ("company", "companies"),
               "conversation": ("conversation id", "conversation ids"),
               "snippet": ("piece of message text", "pieces of message text"),
               "extra": ("listed term", "listed terms"), "term": ("term", "terms")}

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
    """A term shown without revealing it: its first two characters and its length."""
    text = " ".join(str(term).split())
    if len(text) <= 4:
        return f"… ({len(text)} chars)"
    return f"{text[:2]}… ({len(text)} chars)"


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
    view: str = "raw"   # raw | decoded (HTML entities, JSON escapes) | text (tags removed)
    masked: str = ""

    def __post_init__(self) -> None:
        if not self.masked:
            object.__setattr__(self, "masked", mask(self.term))

    def __str__(self) -> str:
        return f"{self.source}, line {self.line}: {self.kind} {self.masked}"


class TermIndex:
    """Terms prepared for scanning: build once, scan many texts (see :func:`find_leaks`)."""

    def __init__(self, terms: Iterable[str], allow: Iterable[str] = ()):
        self.allow_sequences = [t for t in (_tokens(a) for a in allow if a) if t]
        allowed_whole = set(self.allow_sequences)
        self.single: dict[str, Term] = {}
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
            if len(seq) == 1:
                self.single[seq[0]] = term
            else:
                self.multi.setdefault(seq[:2], []).append((seq, term))
        for candidates in self.multi.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self.first = set(self.single) | {key[0] for key in self.multi}
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

    def scan_tokens(self, tokens: list[str]) -> list[tuple[int, int, Term]]:
        """(first token, token count, term) for each leftmost-longest, non-overlapping match."""
        hits: list[tuple[int, int, Term]] = []
        if not self.first.intersection(tokens):
            return hits
        first, single, multi = self.first, self.single, self.multi
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

    def scan(self, text: str, source: str) -> list[Leak]:
        """Leaks in one text, looked for in its raw, decoded and tag-free forms."""
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
            hits = self.scan_tokens(tokens)
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


def find_leaks(paths_or_texts: Iterable[Any], terms: Iterable[str] | TermIndex,
               allow: Iterable[str] = ()) -> list[Leak]:
    """Every place a term occurs, case-insensitively, in the given files or texts.

    Items: a path (``Path``, or a ``str`` naming an existing file or folder, searched
    recursively), a ``(label, text)`` pair, or any other string as text. ``terms`` are strings
    (:class:`Term` carries the kind; others count as ``extra``) or a prebuilt :class:`TermIndex`.
    Matches lying wholly inside an occurrence of an ``allow`` term are ignored. One leak is
    reported per term and line.
    """
    if isinstance(terms, TermIndex):
        index = terms.with_allow(allow)
    else:
        index = TermIndex(terms, allow)
    leaks: list[Leak] = []
    for source, text in _read_sources(paths_or_texts):
        leaks.extend(index.scan(text, source))
    return leaks


def check_artefacts(paths: Iterable[Any], terms: Iterable[str] | TermIndex,
                    allow: Iterable[str] = (), *, remove: bool = False) -> None:
    """Raise :class:`PrivacyError` if any artefact contains a sensitive term.

    The message names each file, what kind of thing leaked and how often, with one masked
    example, so that the message itself reveals nothing. With ``remove`` the offending files
    are deleted before raising; otherwise the caller must not publish them.
    """
    paths = list(paths)
    leaks = find_leaks(paths, terms, allow)
    if not leaks:
        return
    by_source: dict[str, list[Leak]] = {}
    for leak in leaks:
        by_source.setdefault(leak.source, []).append(leak)
    parts = []
    for source, found in by_source.items():
        kinds: dict[str, list[Leak]] = {}
        for leak in found:
            kinds.setdefault(leak.kind, []).append(leak)
        described = []
        for kind in sorted(kinds, key=lambda k: _KIND_ORDER.index(k) if k in _KIND_ORDER else 99):
            items = kinds[kind]
            one, many = _KIND_WORDS.get(kind, (kind, kind))
            word = one if len(items) == 1 else many
            described.append(f"{len(items)} {word} (e.g. {items[0].masked} at line "
                             f"{items[0].line})")
        parts.append(f"{Path(source).name}: " + ", ".join(described))
    removed = []
    if remove:
        for source in by_source:
            try:
                os.unlink(source)
                removed.append(source)
            except OSError:
                pass
    fate = "was deleted and withheld" if removed else "was withheld and must not be shared"
    raise PrivacyError(
        f"A supervision artefact would have revealed personal data, so it {fate}: "
        + "; ".join(parts),
        what_to_do=("Check how that text reached the supervision version (it should appear "
                    "only as a pseudonym or not at all); if a term is deliberately public "
                    "(your own name, your institution), add it to the allow list"))



def report_index(people: pd.DataFrame | None, messages: pd.DataFrame | None,
                 extra: Iterable[str] = ()) -> TermIndex:
    """The index a supervision report is checked with: :func:`sensitive_terms` of these
    people and messages (and ``extra``), allowing :data:`ALLOW`."""
    return TermIndex(sensitive_terms(people, messages, extra=extra), ALLOW)
