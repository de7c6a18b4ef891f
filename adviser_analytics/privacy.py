"""What may leave the adviser's machine: pseudonyms, small-count suppression, leak check, escaping.

Pure functions: nothing here opens the workspace. The workspace (or the report code) passes in
DataFrames, the secret and the artefact paths.

Pseudonyms
    ``load_or_create_secret`` keeps 32 random bytes in an owner-only file. A person's code is
    the shortest prefix (at least 4 hex digits) of ``HMAC-SHA256(secret, person_key)`` that no
    other person holds; codes once given are never changed (the caller stores them). A person
    is shown as ``<relationship>-<code>``, e.g. ``client-3f9a``.

Suppression (supervision audience)
    Counts of 1-4 are shown as ``"<5"`` (0 stays 0). When a total is shown and exactly one of
    its parts is hidden, a second part is hidden as well (secondary suppression) so the first
    cannot be recovered by subtraction. A cell hidden only for that reason is shown as
    ``"≥5"``: it is never 1-4, and showing it as ``"<5"`` would misstate it. Rates, medians and
    percentiles are withheld (``None``) when their base is under 10, and a rate is also withheld
    when its numerator is shown as ``"<5"`` (rate x base would give the hidden count back).

Leak check
    ``sensitive_terms`` lists what must not appear in a supervision artefact (names, profile
    slugs, e-mail addresses, client companies, conversation ids, message snippets);
    ``find_leaks`` / ``check_artefacts`` look for them. Matching works on words: text and terms
    are NFKC-normalised, case-folded and split into runs of letters/digits, so punctuation,
    white space, line breaks and case do not matter ("O'Brien", "O&#x27;Brien" and "o’brien"
    are the same term). Each artefact is checked as written, after decoding HTML entities and
    JSON escapes, and with HTML tags removed (a name split across table cells is still found).

Escaping
    ``html_text`` for any export text that reaches HTML, ``spreadsheet_safe`` /
    ``spreadsheet_safe_frame`` for any text written to a CSV meant for a spreadsheet,
    ``strip_html`` to turn LinkedIn's HTML message bodies into plain text.
"""

from __future__ import annotations

import bisect
import copy
import hmac
import html
import logging
import os
import re
import secrets
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd

from .errors import PrivacyError

log = logging.getLogger(__name__)

__all__ = [
    "SECRET_BYTES", "MIN_CODE_LENGTH", "RELATIONSHIPS", "SMALL", "SECONDARY", "MIN_BASE",
    "load_or_create_secret", "person_hmac", "assign_pseudonyms", "pseudonym", "pseudonyms",
    "suppress_count", "safe_percent", "suppress_table", "suppress_metrics",
    "Term", "Leak", "TermIndex", "sensitive_terms", "find_leaks", "check_artefacts", "mask",
    "html_text", "spreadsheet_safe", "spreadsheet_safe_frame", "spreadsheet_unprotect",
    "strip_html",
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


# --------------------------------------------------------------------------------------------
# Suppression
# --------------------------------------------------------------------------------------------

SMALL = "<5"        # a count of 1-4
SECONDARY = "≥5"    # a count hidden so that a "<5" cannot be derived by subtraction
MIN_BASE = 10       # rates and other statistics need at least this many items
_SMALL_MAX = 4


def _as_count(n: object) -> int | None:
    """An int for int-like values (ints, integral floats, numpy ints); None otherwise."""
    if n is None or n is pd.NA or isinstance(n, bool):
        return None
    try:
        if pd.isna(n):
            return None
    except (TypeError, ValueError):
        return None
    try:
        value = float(n)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def _is_small(n: object) -> bool:
    value = _as_count(n)
    return value is not None and 1 <= value <= _SMALL_MAX


def suppress_count(n: Any) -> str | int | None:
    """0 stays 0, 1-4 becomes ``"<5"``, larger counts are returned as ints; None/NA -> None."""
    value = _as_count(n)
    if value is None:
        if n is None or n is pd.NA or (isinstance(n, float) and n != n):
            return None
        raise TypeError(f"not a count: {type(n).__name__}")
    return SMALL if 1 <= value <= _SMALL_MAX else value


def safe_percent(numerator: Any, base: Any, *, decimals: int = 0,
                 withheld: str | None = None) -> str | None:
    """``"42%"``, or ``withheld`` (None; pass ``"—"`` for tables) when it may not be shown.

    Withheld when the base is missing or under 10, and when the numerator is 1-4 (it is shown
    as ``"<5"``, and the percentage of a shown base would give it back).
    """
    num, den = _as_count(numerator), _as_count(base)
    if num is None or den is None or den < MIN_BASE or 1 <= num <= _SMALL_MAX:
        return withheld
    return f"{100.0 * num / den:.{decimals}f}%"


def _secondary(values: dict[Any, int], relations: list[tuple[Any, list[Any]]],
               hidden: set[Any]) -> set[Any]:
    """Cells to hide as well so that no relation ``total = sum(parts)`` has one hidden member.

    ``values`` maps cell id -> count; ``relations`` lists (total id, part ids); ``hidden``
    holds the cells already hidden (1-4). Returns the extra cells, chosen as the smallest
    non-zero visible part (the total itself if no part qualifies). Repeats until stable,
    since hiding a cell can leave another relation with a single hidden member.
    """
    hidden = set(hidden)
    extra: set[Any] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            members = [total, *parts]
            if sum(1 for m in members if m in hidden) != 1:
                continue
            candidates = [p for p in parts if p not in hidden and values[p] > 0]
            if candidates:
                pick = min(candidates, key=lambda p: values[p])  # first among equals
            elif total not in hidden:
                pick = total
            else:
                continue  # the hidden total has no non-zero part: nothing to derive
            hidden.add(pick)
            extra.add(pick)
            changed = True
    return extra


def _display(value: int | None, cell: Any, hidden: set[Any], extra: set[Any]) -> str:
    if value is None:
        return ""
    if cell in extra:
        return SECONDARY
    if cell in hidden:
        return SMALL
    return str(value)


def suppress_table(df: pd.DataFrame, count_columns: Iterable[str], total_column: str | None = None,
                   row_total: bool = True, total_label: str = "Total") -> pd.DataFrame:
    """Display strings for a table of counts, with primary and secondary suppression.

    ``count_columns`` are the cells. ``total_column`` names each row's total: taken from ``df``
    when it has that column, else computed as the row sum (and shown under that name). With
    ``row_total`` a row of column totals (labelled ``total_label``) is appended. Missing counts
    are shown as ``""`` and count as 0. Other columns are kept as they are.
    """
    cols = list(count_columns)
    rows = list(range(len(df)))
    values: dict[Any, int] = {}
    present: dict[Any, bool] = {}
    for c in cols:
        series = df[c]
        for r, v in zip(rows, series.tolist(), strict=True):
            count = _as_count(v)
            if count is None and not pd.isna(v):
                raise TypeError(f"column {c!r} holds a non-count value")
            values[(r, c)] = count or 0
            present[(r, c)] = count is not None
    relations: list[tuple[Any, list[Any]]] = []
    if total_column is not None:
        given = total_column in df.columns and total_column not in cols
        for r in rows:
            if given:
                count = _as_count(df[total_column].iloc[r])
                values[(r, "__total__")] = count or 0
                present[(r, "__total__")] = count is not None
            else:
                values[(r, "__total__")] = sum(values[(r, c)] for c in cols)
                present[(r, "__total__")] = True
            relations.append(((r, "__total__"), [(r, c) for c in cols]))
    if row_total:
        for c in cols:
            values[("__total__", c)] = sum(values[(r, c)] for r in rows)
            present[("__total__", c)] = True
            relations.append((("__total__", c), [(r, c) for r in rows]))
        if total_column is not None:
            grand = ("__total__", "__total__")
            values[grand] = sum(values[("__total__", c)] for c in cols)
            present[grand] = True
            relations.append((grand, [(r, "__total__") for r in rows]))
            relations.append((grand, [("__total__", c) for c in cols]))
    hidden = {cell for cell, v in values.items() if 1 <= v <= _SMALL_MAX}
    extra = _secondary(values, relations, hidden)
    hidden |= extra

    def shown(cell: Any) -> str:
        return _display(values[cell] if present[cell] else None, cell, hidden, extra)

    out = df.copy()
    for c in cols:
        out[c] = pd.Series([shown((r, c)) for r in rows], index=df.index, dtype="object")
    if total_column is not None:
        out[total_column] = pd.Series([shown((r, "__total__")) for r in rows], index=df.index,
                                      dtype="object")
    if row_total:
        other = [c for c in out.columns if c not in cols and c != total_column]
        last: dict[str, Any] = {c: "" for c in other}
        if other:
            last[other[0]] = total_label
        for c in cols:
            last[c] = shown(("__total__", c))
        if total_column is not None:
            last[total_column] = shown(("__total__", "__total__"))
        out = out.astype({c: "object" for c in other})
        total_row = pd.DataFrame([last], index=[total_label], columns=out.columns, dtype="object")
        out = pd.concat([out.astype("object"), total_row])
    return out


# The metrics JSON (contract.md, `metrics --json`). Which count each statistic rests on.
_RATE_BASES = {  # section -> rate key -> (base key, numerator key)
    "load": {"reply_rate": ("requests", "answered_requests")},
    "policy": {"conformance_rate": ("decisions", "conforming"),
               "conformance_ci95": ("decisions", "conforming")},
}
_STAT_BASES = {  # section -> key prefix -> base key (medians, percentiles over a few items)
    "load": {"first_reply_hours": "answered_requests"},
}
_KEEP = {  # floats about the adviser's own time, not a statistic over clients
    "load": {"backlog_oldest_days", "minutes_spent_estimate"},
}


def suppress_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The ``metrics --json`` object as it may be shown to a supervisor (a new dict).

    Counts of 1-4 become ``"<5"``; ``reply_rate`` and ``conformance_rate`` (with its interval)
    become None when their base is under 10 or their numerator is 1-4; reply-time medians and
    percentiles become None when fewer than 10 requests were answered; the introduction
    outcomes get secondary suppression against ``introductions.requests`` (the relation is taken
    over all outcomes, or over all but ``unreviewed`` when that is the one that adds up).
    Unknown keys: integer counts are suppressed, keys ending ``_rate`` are withheld on the
    section's first base, other values pass unchanged (names must already be pseudonyms).
    """
    out = copy.deepcopy(dict(metrics))
    for section, value in list(out.items()):
        if section == "period" or not isinstance(value, dict):
            continue
        if section == "introductions":
            out[section] = _suppress_introductions(value)
        else:
            out[section] = _suppress_section(section, value)
    return out


def _suppress_section(section: str, data: dict[str, Any]) -> dict[str, Any]:
    rates = _RATE_BASES.get(section, {})
    stats = _STAT_BASES.get(section, {})
    keep = _KEEP.get(section, set())
    default_base = next(iter(rates.values()), (None, None))
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key in rates or (key.endswith("_rate") and default_base[0]):
            base_key, num_key = rates.get(key, (default_base[0], None))
            base = _as_count(data.get(base_key))
            num = data.get(num_key) if num_key else None
            ok = base is not None and base >= MIN_BASE and not _is_small(num)
            result[key] = value if ok else None
        elif any(key.startswith(prefix) for prefix in stats):
            base_key = next(b for p, b in stats.items() if key.startswith(p))
            base = _as_count(data.get(base_key))
            result[key] = value if base is not None and base >= MIN_BASE else None
        elif key in keep:
            result[key] = value
        else:
            result[key] = _suppress_any(value)
    return result


def _suppress_any(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _suppress_any(v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return suppress_count(value)


def _suppress_introductions(data: dict[str, Any]) -> dict[str, Any]:
    result = {k: _suppress_any(v) for k, v in data.items() if k != "outcomes"}
    outcomes = data.get("outcomes")
    if not isinstance(outcomes, dict):
        if "outcomes" in data:
            result["outcomes"] = outcomes
        return result
    counts = {k: _as_count(v) or 0 for k, v in outcomes.items()}
    total = _as_count(data.get("requests"))
    values: dict[Any, int] = dict(counts)
    relations: list[tuple[Any, list[Any]]] = []
    if total is not None:
        values["__total__"] = total
        candidates = [list(counts), [k for k in counts if k != "unreviewed"]]
        parts = next((c for c in candidates if sum(counts[k] for k in c) == total), candidates[0])
        relations.append(("__total__", parts))
    hidden = {k for k, v in values.items() if 1 <= v <= _SMALL_MAX}
    extra = _secondary(values, relations, hidden)
    hidden |= extra
    shown: dict[str, Any] = {}
    for k, v in outcomes.items():
        if _as_count(v) is None:
            shown[k] = v
        elif k in extra:
            shown[k] = SECONDARY
        else:
            shown[k] = suppress_count(v)
    if "__total__" in extra:
        result["requests"] = SECONDARY
    result["outcomes"] = shown
    # keep the original key order
    return {k: result[k] for k in data if k in result} | {
        k: v for k, v in result.items() if k not in data}


# --------------------------------------------------------------------------------------------
# Leak check
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Escaping: kept in the neutral module ``textsafety`` (ingest, labels and triage need it too)
# --------------------------------------------------------------------------------------------

from .textsafety import (  # noqa: E402,F401  (re-exported for existing callers)
    DANGEROUS_PREFIXES,
    html_text,
    spreadsheet_safe,
    spreadsheet_safe_frame,
    spreadsheet_unprotect,
    strip_html,
)
