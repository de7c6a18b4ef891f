"""The adviser's written contact policy: parse, validate, and answer "what was expected?".

The YAML layout is fixed by ``shared/contract.md`` ("Policy file"). A policy is a list of
versions; each is in force from its ``effective_from`` (00:00 UTC) until the next one's.

Choices made where the contract is silent (documented for the adviser in ``policy show``):

- Versions must be written in date order with strictly increasing ``effective_from``; an
  out-of-order or repeated date is an error (it is usually a typo), not silently sorted.
- Nothing is inherited from an earlier version: each version says what it expects. A
  relationship missing from ``invitations``/``requests`` means "no expectation"; a missing
  number (``minutes_per_reply`` ...) means that estimate is not made.
- Unknown keys are refused (with a "did you mean" hint), so a typo cannot silently switch an
  expectation off. ``notes`` (free text) is allowed at the top and in each version.
- Times of day are read from the YAML text as written, so an unquoted ``9:00`` (which YAML
  1.1 reads as the number 540) still means 09:00.
- ``waiting_window_days`` (per version, default 30) is a positive number of days; it is
  always set on a parsed version (30 when the file leaves it out) and written back only when
  it differs from the default.
- ``public_terms`` (top level) is a list of non-empty texts; repeated terms are kept once.
- ``service`` (top level) has optional ``name`` and ``reception`` texts and ``links``, a map
  from a referral kind (appointment, mentor, event, resource, reception) to one web address
  or a list of them. An address is one word (no spaces) starting ``http://``/``https://`` or
  a host name with a dot (``careers.example.ac.uk/book``).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import yaml

from .errors import BadPolicyError

__all__ = [
    "RELATIONSHIPS",
    "DECISIONS",
    "HANDLINGS",
    "OUTCOMES",
    "DAYS",
    "WorkingHours",
    "PolicyVersion",
    "Policy",
    "Service",
    "REFERRAL_KINDS",
    "DEFAULT_WAITING_WINDOW_DAYS",
    "load_policy",
]

RELATIONSHIPS = ("client", "colleague", "professional", "personal", "unknown", "spam")
DECISIONS = ("accept", "ask", "ignore", "report", "redirect", "pending")
HANDLINGS = ("answer", "refer", "explain", "none")
OUTCOMES = ("made", "explained", "redirected", "target_declined", "no_response", "met",
            "pending")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# the referral kinds a service link can be given for (labels' "other" has no link)
REFERRAL_KINDS = ("appointment", "mentor", "event", "resource", "reception")
DEFAULT_WAITING_WINDOW_DAYS = 30.0

_TOP_KEYS = ("owner_institution", "versions", "public_terms", "service", "notes")
_VERSION_KEYS = ("name", "effective_from", "invitations", "requests", "introductions",
                 "minutes_per_reply", "minutes_per_week", "reply_within_days",
                 "waiting_window_days", "working_hours", "notes")
_SERVICE_KEYS = ("name", "reception", "links")
_URL = re.compile(r"^(https?://\S+|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?)$")
_WORKING_KEYS = ("days", "start", "end", "timezone")
_NUMBERS = ("minutes_per_reply", "minutes_per_week", "reply_within_days")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

# kind aliases accepted by Policy.expected
_KINDS = {
    "invitation": "invitations", "invitations": "invitations", "decision": "invitations",
    "request": "requests", "requests": "requests", "handling": "requests",
    "introduction": "introductions", "introductions": "introductions", "outcome": "introductions",
}


@dataclass(frozen=True)
class WorkingHours:
    """When the adviser works: weekdays (0 = Monday), local start/end, IANA time zone."""

    days: tuple[int, ...]
    start: time
    end: time
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours_per_day(self) -> float:
        return (self.end.hour * 60 + self.end.minute - self.start.hour * 60
                - self.start.minute) / 60.0

    def describe(self) -> str:
        names = [DAYS[d].capitalize() for d in self.days]
        if len(self.days) > 2 and list(self.days) == list(range(self.days[0], self.days[-1] + 1)):
            day_text = f"{names[0]}-{names[-1]}"
        else:
            day_text = ", ".join(names)
        return f"{day_text} {self.start:%H:%M}-{self.end:%H:%M} ({self.timezone})"

    def to_dict(self) -> dict:
        return {"days": [DAYS[d] for d in self.days], "start": f"{self.start:%H:%M}",
                "end": f"{self.end:%H:%M}", "timezone": self.timezone}


@dataclass(frozen=True)
class PolicyVersion:
    """One version of the policy, in force from ``effective_from``."""

    name: str
    effective_from: date
    invitations: dict[str, frozenset[str]] = field(default_factory=dict)
    requests: dict[str, frozenset[str]] = field(default_factory=dict)
    introductions: frozenset[str] | None = None
    minutes_per_reply: float | None = None
    minutes_per_week: float | None = None
    reply_within_days: float | None = None
    working_hours: WorkingHours | None = None
    notes: str | None = None
    line: int | None = field(default=None, compare=False)
    waiting_window_days: float = DEFAULT_WAITING_WINDOW_DAYS

    def expected(self, kind: str, relationship: str | None = None) -> frozenset[str] | None:
        """Allowed values for ``kind`` (invitation/request/introduction); None = no expectation."""
        section = _kind(kind)
        if section == "introductions":
            return self.introductions
        mapping = self.invitations if section == "invitations" else self.requests
        if relationship is None or relationship is pd.NA:
            relationship = "unknown"
        return mapping.get(str(relationship))

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "effective_from": self.effective_from}
        if self.invitations:
            out["invitations"] = {r: _ordered(v, DECISIONS) for r, v in self.invitations.items()}
        if self.requests:
            out["requests"] = {r: _ordered(v, HANDLINGS) for r, v in self.requests.items()}
        if self.introductions is not None:
            out["introductions"] = _ordered(self.introductions, OUTCOMES)
        for key in _NUMBERS:
            value = getattr(self, key)
            if value is not None:
                out[key] = int(value) if float(value).is_integer() else value
        if self.waiting_window_days != DEFAULT_WAITING_WINDOW_DAYS:
            w = self.waiting_window_days
            out["waiting_window_days"] = int(w) if float(w).is_integer() else w
        if self.working_hours is not None:
            out["working_hours"] = self.working_hours.to_dict()
        if self.notes:
            out["notes"] = self.notes
        return out


def _ordered(values: Iterable[str], vocabulary: Sequence[str]) -> list[str]:
    return [v for v in vocabulary if v in set(values)]


def _kind(kind: str) -> str:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown kind {kind!r}: use invitation, request or introduction"
        ) from None


@dataclass(frozen=True)
class Service:
    """The adviser's service: its name, where its reception is, and its links by referral
    kind (``links["appointment"]`` is a tuple of web addresses, in the file's order)."""

    name: str | None = None
    reception: str | None = None
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def all_links(self) -> tuple[str, ...]:
        """Every link, in referral-kind order then file order."""
        return tuple(u for kind in REFERRAL_KINDS for u in self.links.get(kind, ()))

    def to_dict(self) -> dict:
        out: dict = {}
        if self.name is not None:
            out["name"] = self.name
        if self.reception is not None:
            out["reception"] = self.reception
        if self.links:
            out["links"] = {k: (list(self.links[k]) if len(self.links[k]) > 1
                                else self.links[k][0])
                            for k in REFERRAL_KINDS if k in self.links}
        return out


@dataclass(frozen=True)
class Policy:
    """All versions of the policy, in date order."""

    versions: tuple[PolicyVersion, ...]
    owner_institution: str | None = None
    notes: str | None = None
    public_terms: tuple[str, ...] = ()
    service: Service | None = None
    text: str | None = field(default=None, repr=False, compare=False)
    file: str | None = field(default=None, compare=False)

    # -- versions in force ---------------------------------------------------------------

    @property
    def boundaries(self) -> list[date]:
        """The dates on which a version comes into force (the first version's start too)."""
        return [v.effective_from for v in self.versions]

    @property
    def boundary_labels(self) -> list[tuple[date, str]]:
        """``(effective_from, name)`` for every version, for version lines on charts."""
        return [(v.effective_from, v.name) for v in self.versions]

    def version_on(self, when: object) -> PolicyVersion | None:
        """The version in force on a date (or at a UTC timestamp); None before the first."""
        d = _as_date(when)
        i = bisect.bisect_right(self.boundaries, d) - 1
        return self.versions[i] if i >= 0 else None

    def version_index(self, when: pd.Series | Sequence | np.ndarray) -> np.ndarray:
        """Vectorised :meth:`version_on`: index into ``versions`` per element (-1 before the
        first version; -1 for missing timestamps too). Timestamps are taken in UTC."""
        days = _utc_days(when)
        starts = np.array([np.datetime64(v.effective_from, "D") for v in self.versions],
                          dtype="datetime64[D]")
        idx = np.searchsorted(starts, days, side="right") - 1
        idx[np.isnat(days)] = -1
        return idx.astype(np.int64)

    def expected(self, kind: str, relationship: str | None, when: object
                 ) -> frozenset[str] | None:
        """What the version in force on ``when`` expects for a relationship.

        None means no expectation: before the first version, or the relationship is missing
        from that version's map (for introductions the relationship is ignored).
        """
        version = self.version_on(when)
        if version is None:
            return None
        return version.expected(kind, relationship)

    def capacity_version(self, when: object) -> PolicyVersion:
        """The version whose capacity figures (minutes, working hours) apply on ``when``:
        the one in force, or the first version for dates before it."""
        return self.version_on(when) or self.versions[0]

    @property
    def has_working_hours(self) -> bool:
        return any(v.working_hours is not None for v in self.versions)

    # -- text ----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        out: dict = {}
        if self.owner_institution:
            out["owner_institution"] = self.owner_institution
        if self.notes:
            out["notes"] = self.notes
        if self.public_terms:
            out["public_terms"] = list(self.public_terms)
        if self.service is not None:
            out["service"] = self.service.to_dict()
        out["versions"] = [v.to_dict() for v in self.versions]
        return out

    def waiting_window_on(self, when: object) -> float:
        """``waiting_window_days`` of the version in force on ``when`` (the first version's
        before it)."""
        return self.capacity_version(when).waiting_window_days

    def to_json_dict(self) -> dict:
        """:meth:`to_dict` with dates as ISO strings."""
        out = self.to_dict()
        for v in out["versions"]:
            v["effective_from"] = v["effective_from"].isoformat()
        return out

    def to_yaml(self) -> str:
        """The policy as normalised YAML (vocabulary order, no comments)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True,
                              default_flow_style=None, width=100)

    def summary(self) -> str:
        """A readable account of every version, for ``policy show``."""
        lines = [f"Policy with {len(self.versions)} version"
                 f"{'' if len(self.versions) == 1 else 's'}"
                 + (f" (owner institution: {self.owner_institution})"
                    if self.owner_institution else "")]
        if self.public_terms:
            lines.append("Words allowed in supervision reports: " + ", ".join(self.public_terms))
        if self.service is not None:
            s = self.service
            if s.name:
                lines.append(f"Service: {s.name}")
            if s.reception:
                lines.append(f"Reception: {s.reception}")
            for kind in REFERRAL_KINDS:
                for url in s.links.get(kind, ()):
                    lines.append(f"  {kind} link: {url}")
        for i, v in enumerate(self.versions):
            nxt = self.versions[i + 1].effective_from if i + 1 < len(self.versions) else None
            until = (f"to {(pd.Timestamp(nxt) - pd.Timedelta(days=1)).date()}" if nxt
                     else "onwards")
            lines.append("")
            lines.append(f"{v.name}: in force from {v.effective_from} {until}")
            for title, mapping, vocab in (("invitations", v.invitations, DECISIONS),
                                          ("requests", v.requests, HANDLINGS)):
                if mapping:
                    parts = [f"{rel} -> {' or '.join(_ordered(mapping[rel], vocab))}"
                             for rel in RELATIONSHIPS if rel in mapping]
                    lines.append(f"  {title}: " + "; ".join(parts))
                    missing = [r for r in RELATIONSHIPS if r not in mapping]
                    if missing:
                        lines.append(f"    (no expectation for: {', '.join(missing)})")
                else:
                    lines.append(f"  {title}: no expectations")
            if v.introductions is not None:
                lines.append("  introductions: "
                             + ", ".join(_ordered(v.introductions, OUTCOMES)))
            cap = []
            if v.minutes_per_reply is not None:
                cap.append(f"{v.minutes_per_reply:g} min per reply")
            if v.minutes_per_week is not None:
                cap.append(f"{v.minutes_per_week:g} min per week")
            if v.reply_within_days is not None:
                cap.append(f"reply within {v.reply_within_days:g} days")
            cap.append(f"requests unanswered after {v.waiting_window_days:g} days count as "
                       f"lapsed")
            if cap:
                lines.append("  capacity: " + ", ".join(cap))
            if v.working_hours is not None:
                lines.append("  working hours: " + v.working_hours.describe())
            if v.notes:
                lines.append(f"  notes: {v.notes}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------------------
# helpers for dates


def _as_date(when: object) -> date:
    if isinstance(when, pd.Timestamp | datetime):
        ts = pd.Timestamp(when)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC")
        return ts.date()
    if isinstance(when, date):
        return when
    if isinstance(when, np.datetime64):
        return pd.Timestamp(when).date()
    if isinstance(when, str):
        ts = pd.Timestamp(when)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC")
        return ts.date()
    raise TypeError(f"not a date: {when!r}")


def _utc_days(when: pd.Series | Sequence | np.ndarray) -> np.ndarray:
    s = pd.Series(when) if not isinstance(when, pd.Series) else when
    if not isinstance(s.dtype, pd.DatetimeTZDtype) and not np.issubdtype(s.dtype, np.datetime64):
        s = pd.to_datetime(s, utc=True)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


# ---------------------------------------------------------------------------------------
# parsing


class _Doc:
    """The composed YAML document: finds the line of a key path for error messages."""

    def __init__(self, root: yaml.Node | None, file: str):
        self.root = root
        self.file = file

    def line(self, path: Sequence[str | int]) -> int | None:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == step:
                        line = key.start_mark.line + 1
                        node = value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    return line
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def node(self, path: Sequence[str | int]) -> yaml.Node | None:
        node = self.root
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                node = next((v for k, v in node.value
                             if isinstance(k, yaml.ScalarNode) and k.value == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if step < len(node.value) else None
            else:
                return None
        return node

    def fail(self, message: str, path: Sequence[str | int] = (), what_to_do: str | None = None):
        raise BadPolicyError(message, file=self.file, line=self.line(path),
                             what_to_do=what_to_do or _WHAT_TO_DO)


_WHAT_TO_DO = ("Correct the policy file (see the \"Policy file\" section of the documentation "
               "for the layout) and run `policy set` again")


def _where(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out.replace("versions[", "version [")


def _check_duplicates(doc: _Doc, node: yaml.Node | None) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise BadPolicyError(
                        f"the key {key.value!r} appears twice in the same block",
                        file=doc.file, line=key.start_mark.line + 1,
                        what_to_do="Keep one of them and delete the other")
                seen.add(key.value)
            _check_duplicates(doc, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(doc, item)
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
        try:
            yaml.SafeLoader("").construct_yaml_timestamp(node)
        except ValueError:
            raise BadPolicyError(f"{node.value!r} is not a calendar date", file=doc.file,
                                 line=node.start_mark.line + 1,
                                 what_to_do="Check the month and the day") from None


def _unknown_keys(doc: _Doc, mapping: dict, allowed: Sequence[str], path: list) -> None:
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            doc.fail(f"unknown key {key!r} in {_where(path) or 'the policy'}{hint}",
                     [*path, str(key)],
                     what_to_do=f"Use only these keys there: {', '.join(allowed)}")


def _value_list(doc: _Doc, value: object, allowed: Sequence[str], what: str, path: list
                ) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        doc.fail(f"{_where(path)} must be a non-empty list of {what}s, e.g. "
                 f"[{allowed[0]}, {allowed[1]}]", path,
                 what_to_do=f"Allowed {what}s: {', '.join(allowed)}; leave the key out "
                            f"altogether for 'no expectation'")
    out = set()
    for i, item in enumerate(items):
        text = str(item).strip().lower() if isinstance(item, str) else None
        if text not in allowed:
            close = difflib.get_close_matches(str(item), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            doc.fail(f"{item!r} is not a known {what}{hint}",
                     path if isinstance(value, str) else [*path, i],
                     what_to_do=f"Allowed {what}s: {', '.join(allowed)}")
        out.add(text)
    return frozenset(out)


def _relationship_map(doc: _Doc, value: object, allowed: Sequence[str], what: str,
                      path: list) -> dict[str, frozenset[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        doc.fail(f"{_where(path)} must map a relationship to the allowed {what}s, e.g. "
                 f"'client: [{allowed[0]}]'", path)
    out: dict[str, frozenset[str]] = {}
    for rel, values in value.items():
        if not isinstance(rel, str) or rel.strip().lower() not in RELATIONSHIPS:
            close = difflib.get_close_matches(str(rel), RELATIONSHIPS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            doc.fail(f"{rel!r} is not a known relationship{hint}", [*path, str(rel)],
                     what_to_do=f"Relationships: {', '.join(RELATIONSHIPS)}")
        out[rel.strip().lower()] = _value_list(doc, values, allowed, what, [*path, rel])
    return out


def _positive(doc: _Doc, value: object, path: list) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or value != value or value == float("inf"):
        doc.fail(f"{_where(path)} must be a positive number, not {value!r}", path)
    return float(value)


def _time_of_day(doc: _Doc, value: object, path: list) -> time:
    node = doc.node(path)
    raw = node.value if isinstance(node, yaml.ScalarNode) else value
    text = str(raw).strip()
    m = _HHMM.match(text)
    if not m:
        doc.fail(f"{_where(path)} must be a time of day written HH:MM (e.g. \"09:00\"), "
                 f"not {text!r}", path)
    return time(int(m.group(1)), int(m.group(2)))


def _working_hours(doc: _Doc, value: object, path: list) -> WorkingHours:
    if not isinstance(value, dict):
        doc.fail(f"{_where(path)} must be a mapping with days, start, end and timezone", path)
    _unknown_keys(doc, value, _WORKING_KEYS, path)
    for key in _WORKING_KEYS:
        if key not in value:
            doc.fail(f"{_where(path)} has no {key!r}", path,
                     what_to_do='Give days, start, end and timezone, e.g. {days: [mon, tue, '
                                'wed, thu, fri], start: "09:00", end: "17:00", '
                                'timezone: Europe/London}')
    days = _value_list(doc, value["days"], DAYS, "day", [*path, "days"])
    start = _time_of_day(doc, value["start"], [*path, "start"])
    end = _time_of_day(doc, value["end"], [*path, "end"])
    if not start < end:
        doc.fail(f"working hours end ({end:%H:%M}) must be after they start ({start:%H:%M})",
                 [*path, "end"])
    tz = value["timezone"]
    try:
        if not isinstance(tz, str) or not tz.strip():
            raise ValueError
        ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        doc.fail(f"{tz!r} is not a time zone this computer knows", [*path, "timezone"],
                 what_to_do="Use an IANA time zone name such as Europe/London")
    return WorkingHours(tuple(sorted(DAYS.index(d) for d in days)), start, end, tz.strip())


def _effective_from(doc: _Doc, value: object, path: list) -> date:
    if isinstance(value, datetime):
        doc.fail(f"{_where(path)} must be a date (YYYY-MM-DD), not a date and time", path)
    if isinstance(value, date):
        return value
    text = str(value).strip() if value is not None else ""
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    doc.fail(f"{_where(path)} must be a date written YYYY-MM-DD, not {text!r}", path)


def _version(doc: _Doc, raw: object, path: list) -> PolicyVersion:
    if not isinstance(raw, dict):
        doc.fail(f"{_where(path)} must be a mapping (name, effective_from, ...)", path)
    _unknown_keys(doc, raw, _VERSION_KEYS, path)
    for key in ("name", "effective_from"):
        if raw.get(key) is None:
            doc.fail(f"{_where(path)} has no {key!r}", path,
                     what_to_do="Every version needs a name and an effective_from date")
    name = str(raw["name"]).strip()
    if not name:
        doc.fail(f"{_where(path)} has an empty name", [*path, "name"])
    effective = _effective_from(doc, raw["effective_from"], [*path, "effective_from"])
    invitations = _relationship_map(doc, raw.get("invitations"), DECISIONS, "decision",
                                    [*path, "invitations"])
    requests = _relationship_map(doc, raw.get("requests"), HANDLINGS, "handling",
                                 [*path, "requests"])
    introductions = None
    if raw.get("introductions") is not None:
        introductions = _value_list(doc, raw["introductions"], OUTCOMES, "introduction outcome",
                                    [*path, "introductions"])
    numbers = {k: (_positive(doc, raw[k], [*path, k]) if raw.get(k) is not None else None)
               for k in _NUMBERS}
    if raw.get("waiting_window_days") is not None:
        numbers["waiting_window_days"] = _positive(doc, raw["waiting_window_days"],
                                                   [*path, "waiting_window_days"])
    working = (_working_hours(doc, raw["working_hours"], [*path, "working_hours"])
               if raw.get("working_hours") is not None else None)
    notes = str(raw["notes"]) if raw.get("notes") is not None else None
    return PolicyVersion(name=name, effective_from=effective, invitations=invitations,
                         requests=requests, introductions=introductions, working_hours=working,
                         notes=notes, line=doc.line(path), **numbers)


def _text(doc: _Doc, value: object, path: list, example: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) \
            or not str(value).strip():
        doc.fail(f"{_where(path)} must be a non-empty text, e.g. {example}", path)
    return str(value).strip()


def _public_terms(doc: _Doc, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    path: list = ["public_terms"]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        doc.fail("public_terms must be a list of words or names, e.g. "
                 "[Example University, Jo Bloggs]", path)
    out: list[str] = []
    for i, item in enumerate(items):
        term = _text(doc, item, path if isinstance(value, str) else [*path, i],
                     "Example University")
        if term not in out:
            out.append(term)
    return tuple(out)


def _service(doc: _Doc, value: object) -> Service | None:
    if value is None:
        return None
    path: list = ["service"]
    if not isinstance(value, dict):
        doc.fail("service must be a mapping with name, reception and links", path,
                 what_to_do=f"Use only these keys there: {', '.join(_SERVICE_KEYS)}")
    _unknown_keys(doc, value, _SERVICE_KEYS, path)
    name = (_text(doc, value["name"], [*path, "name"], "Example University Careers Service")
            if value.get("name") is not None else None)
    reception = (_text(doc, value["reception"], [*path, "reception"],
                       "Careers Centre, Library building, ground floor")
                 if value.get("reception") is not None else None)
    links: dict[str, tuple[str, ...]] = {}
    raw_links = value.get("links")
    lpath = [*path, "links"]
    if raw_links is not None:
        if not isinstance(raw_links, dict):
            doc.fail("service.links must map a referral kind to the service's web address, "
                     "e.g. 'appointment: https://careers.example.ac.uk/book'", lpath,
                     what_to_do=f"Referral kinds: {', '.join(REFERRAL_KINDS)}")
        for kind, urls in raw_links.items():
            key = kind.strip().lower() if isinstance(kind, str) else None
            if key not in REFERRAL_KINDS:
                close = difflib.get_close_matches(str(kind), REFERRAL_KINDS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                doc.fail(f"{kind!r} is not a referral kind{hint}", [*lpath, str(kind)],
                         what_to_do=f"Referral kinds: {', '.join(REFERRAL_KINDS)}")
            kpath = [*lpath, kind]
            items = [urls] if isinstance(urls, str) else urls
            if not isinstance(items, list) or not items:
                doc.fail(f"{_where(kpath)} must be a web address or a list of them", kpath,
                         what_to_do="Write the address, e.g. https://careers.example.ac.uk/book")
            found: list[str] = []
            for i, url in enumerate(items):
                ipath = kpath if isinstance(urls, str) else [*kpath, i]
                text = url.strip() if isinstance(url, str) else ""
                if not _URL.match(text):
                    doc.fail(f"{url!r} is not a web address", ipath,
                             what_to_do="Write the address as in the browser, e.g. "
                                        "https://careers.example.ac.uk/book")
                if text not in found:
                    found.append(text)
            links[key] = tuple(found)
    return Service(name=name, reception=reception, links=links)


def load_policy(text: str, file: str | None = "policy") -> Policy:
    """Parse and validate policy YAML; :class:`BadPolicyError` names the file and line."""
    file = file or "policy"
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BadPolicyError(
            f"this is not valid YAML ({exc.problem or exc.context})", file=file,
            line=mark.line + 1 if mark else None,
            what_to_do="Check the indentation and the punctuation at that line") from None
    except yaml.YAMLError as exc:
        raise BadPolicyError(f"this is not valid YAML ({exc})", file=file,
                             what_to_do="Check the file is the policy YAML") from None
    doc = _Doc(root, file)
    if root is None:
        doc.fail("the policy file is empty", what_to_do=_WHAT_TO_DO)
    _check_duplicates(doc, root)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BadPolicyError(f"a value cannot be read ({exc.problem})", file=file,
                             line=mark.line + 1 if mark else None,
                             what_to_do=_WHAT_TO_DO) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        doc.fail("the policy must be a mapping with a 'versions:' list")
    _unknown_keys(doc, data, _TOP_KEYS, [])
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        doc.fail("the policy has no versions: give a 'versions:' list with at least one "
                 "version", ["versions"])
    versions = [_version(doc, raw, ["versions", i]) for i, raw in enumerate(raw_versions)]
    names: dict[str, int] = {}
    for i, v in enumerate(versions):
        if v.name in names:
            doc.fail(f"two versions are named {v.name!r}", ["versions", i, "name"],
                     what_to_do="Give every version its own name")
        names[v.name] = i
        if i and v.effective_from <= versions[i - 1].effective_from:
            doc.fail(f"version {v.name!r} takes effect on {v.effective_from}, not after the "
                     f"version before it ({versions[i - 1].name!r}, "
                     f"{versions[i - 1].effective_from})",
                     ["versions", i, "effective_from"],
                     what_to_do="List versions oldest first, each with a later effective_from")
    institution = data.get("owner_institution")
    if institution is not None and not isinstance(institution, str | int | float):
        doc.fail("owner_institution must be text", ["owner_institution"])
    return Policy(versions=tuple(versions),
                  owner_institution=str(institution).strip() if institution is not None
                  else None,
                  notes=str(data["notes"]) if data.get("notes") is not None else None,
                  public_terms=_public_terms(doc, data.get("public_terms")),
                  service=_service(doc, data.get("service")),
                  text=text, file=file)
