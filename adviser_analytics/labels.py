"""Labels: the adviser's judgements about people, invitations, requests and introductions.

A label is one value of a kind's vocabulary (``domain.md``) attached to a subject:

============  =================================  ===========================================
kind          subject                            values
============  =================================  ===========================================
relationship  person key                         client colleague professional personal
                                                 unknown spam
decision      ``str(invitation_id)``             accept ask ignore report redirect pending
handling      request key ``conv|start``         answer refer explain none
referral      request key                        appointment mentor event resource reception
                                                 other
outcome       ``str(introduction_id)``           made explained redirected target_declined
                                                 no_response met pending
============  =================================  ===========================================

Every label has a **source**, and the sources rank ``confirmed`` > ``inferred`` >
``suggested``:

- ``confirmed`` (the adviser said so) is never overwritten by inference or rules; only the
  adviser changes it (triage, ``labels import``).
- ``inferred`` (the data say it, e.g. the inviter appears in Connections) overwrites a
  suggestion, and is not overwritten by one: when the data say what happened, a rule's guess
  gives way. The one exception is made where the two are derived, not by precedence: a reply
  to a request is ``answer`` (inferred) *unless* a rule reads it as a referral or an honest
  decline, which then stands as ``suggested`` (the data say that you replied, the rule says
  how).
- ``suggested`` (a rule matched) waits for review.

Every change of value or source writes ``label_history`` (old and new value and source,
when); a refreshed rule name or reason alone is not a change. Functions here never open a
transaction when the caller has one (the commands use ``ws.transaction()``); called outside
one, each call is one transaction of its own.

:func:`suggest` derives the labels the data and the current rules support and brings every
label that is not confirmed in line with them: it adds and updates, and withdraws a
suggestion or inference the data and rules no longer support (history keeps it). Running it
twice changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from adviser_analytics.errors import AdviserAnalyticsError, BadLabelsError
from adviser_analytics.files import write_atomic
from adviser_analytics.metrics.episodes import request_key
from adviser_analytics.metrics.episodes import requests as find_requests
from adviser_analytics.people import name_key, name_keys, normalise_url
from adviser_analytics.policy import DECISIONS, HANDLINGS, OUTCOMES, RELATIONSHIPS
from adviser_analytics.textsafety import spreadsheet_safe_frame, spreadsheet_unprotect
from adviser_analytics.workspace import LABEL_KINDS, Workspace, utc_now

__all__ = [
    "REFERRALS", "VOCABULARY", "SOURCE_RANK", "UNANSWERED_DAYS", "LABEL_FILES",
    "check_value", "set_label", "set_labels", "remove_label",
    "Rule", "Rules", "load_rules", "rules_for", "default_rules_path", "workspace_rules_path",
    "copy_default_rules",
    "derive", "infer", "suggest", "reply_runs",
    "export_labels", "import_labels",
]

REFERRALS = ("appointment", "mentor", "event", "resource", "reception", "other")
VOCABULARY: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIPS,
    "decision": DECISIONS,
    "handling": HANDLINGS,
    "referral": REFERRALS,
    "outcome": OUTCOMES,
}
SOURCE_RANK = {"suggested": 1, "inferred": 2, "confirmed": 3}
SOURCES = ("inferred", "suggested", "confirmed")
UNANSWERED_DAYS = 21      # an invitation or request older than this, still unanswered
ASK_WINDOW_DAYS = 30      # an owner message this soon after an invitation answers it
REPLY_RUN_HOURS = 24      # owner messages this soon after the first reply are read with it
RULES_FILE = "rules.yaml"
DERIVED_KINDS = ("relationship", "decision", "handling", "referral")
_LABEL_COLUMNS = ["kind", "subject", "value", "source", "rule", "reason"]


# ====================================================================== storage
@contextlib.contextmanager
def _unit(ws: Workspace) -> Iterator[None]:
    """The caller's transaction if there is one, else a transaction of our own."""
    if ws.db.in_transaction:
        yield
    else:
        with ws.transaction():
            yield


def _allowed(kind: str) -> str:
    return ", ".join(VOCABULARY[kind])


def check_value(kind: str, value: object) -> str:
    """``value`` folded (trimmed, lower-case) if it is in ``kind``'s vocabulary, else
    :class:`BadLabelsError` naming the allowed values."""
    if kind not in VOCABULARY:
        raise BadLabelsError(f"there is no label kind {kind!r}",
                             what_to_do=f"use one of: {', '.join(LABEL_KINDS)}")
    folded = str(value).strip().lower() if value is not None else ""
    if folded not in VOCABULARY[kind]:
        raise BadLabelsError(f"{value!r} is not a {kind}",
                             what_to_do=f"use one of: {_allowed(kind)}")
    return folded


def _text_or_none(series: pd.Series) -> list:
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def _stored(ws: Workspace, kinds: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """The labels table (optionally some kinds) as a frame of text columns."""
    sql = "SELECT kind, subject, value, source, rule, reason FROM labels"
    params: tuple = ()
    if kinds is not None:
        kinds = list(kinds)
        sql += f" WHERE kind IN ({', '.join('?' * len(kinds))})"
        params = tuple(kinds)
    rows = ws.db.execute(sql, params).fetchall()
    return pd.DataFrame(rows, columns=_LABEL_COLUMNS, dtype=object)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.astype(object).where(a.notna(), "").astype(str) == \
        b.astype(object).where(b.notna(), "").astype(str)


def _write(ws: Workspace, new: pd.DataFrame, *, protect: str) -> dict:
    """Upsert ``new`` (``_LABEL_COLUMNS``). ``protect``: ``"rank"`` keeps any stored label of a
    higher source; ``"confirmed"`` keeps only confirmed ones. Returns counts."""
    counts = {"added": 0, "changed": 0, "unchanged": 0, "kept": 0, "kept_confirmed": 0,
              "kept_inferred": 0}
    if new is None or len(new) == 0:
        return counts
    new = new.reindex(columns=_LABEL_COLUMNS).astype(object)
    new = new.drop_duplicates(["kind", "subject"], keep="last").reset_index(drop=True)
    old = _stored(ws, tuple(pd.unique(new["kind"])))
    merged = new.merge(old, on=["kind", "subject"], how="left", suffixes=("", "_old"))
    exists = merged["value_old"].notna()
    rank_new = merged["source"].map(SOURCE_RANK).astype(float)
    rank_old = merged["source_old"].map(SOURCE_RANK).astype(float)
    if protect == "rank":
        blocked = exists & (rank_old > rank_new)
    elif protect == "nothing":  # undo: put back exactly what was there
        blocked = pd.Series(False, index=merged.index)
    else:
        blocked = exists & (merged["source_old"] == "confirmed") & (merged["source"] != "confirmed")
    same_vs = exists & _same(merged["value"], merged["value_old"]) \
        & _same(merged["source"], merged["source_old"])
    same_all = same_vs & _same(merged["rule"], merged["rule_old"]) \
        & _same(merged["reason"], merged["reason_old"])
    write = ~blocked & ~same_all
    history = write & ~same_vs
    now = utc_now()
    rows = merged[write]
    if len(rows):
        ws.db.executemany(
            "INSERT INTO labels(kind, subject, value, source, rule, reason, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(kind, subject) DO UPDATE SET "
            "value = excluded.value, source = excluded.source, rule = excluded.rule, "
            "reason = excluded.reason, updated_at = excluded.updated_at",
            list(zip(*(_text_or_none(rows[c]) for c in _LABEL_COLUMNS), [now] * len(rows),
                     strict=True)),
        )
    rows = merged[history]
    if len(rows):
        ws.db.executemany(
            "INSERT INTO label_history(kind, subject, old_value, old_source, new_value, "
            "new_source, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            list(zip(*(_text_or_none(rows[c]) for c in
                       ("kind", "subject", "value_old", "source_old", "value", "source")),
                     [now] * len(rows), strict=True)),
        )
    counts["added"] = int((history & ~exists).sum())
    counts["changed"] = int((history & exists).sum())
    counts["unchanged"] = int((~blocked & same_vs).sum())
    counts["kept"] = int(blocked.sum())
    counts["kept_confirmed"] = int((blocked & (merged["source_old"] == "confirmed")).sum())
    counts["kept_inferred"] = int((blocked & (merged["source_old"] == "inferred")).sum())
    return counts


def _remove(ws: Workspace, keys: pd.DataFrame) -> int:
    """Delete labels (``kind``, ``subject``), writing history (new value NULL)."""
    if keys is None or len(keys) == 0:
        return 0
    old = _stored(ws, tuple(pd.unique(keys["kind"])))
    gone = old.merge(keys[["kind", "subject"]].drop_duplicates(), on=["kind", "subject"])
    if len(gone) == 0:
        return 0
    now = utc_now()
    ws.db.executemany("DELETE FROM labels WHERE kind = ? AND subject = ?",
                      list(zip(gone["kind"], gone["subject"], strict=True)))
    ws.db.executemany(
        "INSERT INTO label_history(kind, subject, old_value, old_source, new_value, "
        "new_source, changed_at) VALUES (?, ?, ?, ?, NULL, NULL, ?)",
        [(k, s, v, src, now) for k, s, v, src in
         gone[["kind", "subject", "value", "source"]].itertuples(index=False)],
    )
    return len(gone)


def set_labels(ws: Workspace, frame: pd.DataFrame, source: str) -> dict:
    """Store many labels of one source (columns ``kind, subject, value`` and optionally
    ``rule, reason``), vectorised. A stored label of a higher source is kept (confirmed >
    inferred > suggested); same-source labels are replaced. Values are checked against the
    vocabulary (:class:`BadLabelsError` names the allowed values). Returns counts:
    ``added, changed, unchanged, kept`` (``kept``: left alone for a stronger label)."""
    if source not in SOURCE_RANK:
        raise BadLabelsError(f"{source!r} is not a label source",
                             what_to_do=f"use one of: {', '.join(SOURCES)}")
    frame = frame.copy()
    for column in ("rule", "reason"):
        if column not in frame:
            frame[column] = None
    frame["subject"] = frame["subject"].map(_subject_text)
    frame["value"] = frame["value"].astype(object).map(
        lambda v: str(v).strip().lower() if v is not None and v == v else "")
    for kind, values in frame.groupby("kind", sort=False)["value"]:
        if kind not in VOCABULARY:
            raise BadLabelsError(f"there is no label kind {kind!r}",
                                 what_to_do=f"use one of: {', '.join(LABEL_KINDS)}")
        bad = values[~values.isin(VOCABULARY[kind])]
        if len(bad):
            raise BadLabelsError(f"{bad.iloc[0]!r} is not a {kind}",
                                 what_to_do=f"use one of: {_allowed(kind)}")
    frame["source"] = source
    with _unit(ws):
        return _write(ws, frame[_LABEL_COLUMNS], protect="rank")


def _subject_text(subject: object) -> str:
    if isinstance(subject, (int, np.integer)):
        return str(int(subject))
    if isinstance(subject, float) and subject.is_integer():
        return str(int(subject))
    return str(subject)


def set_label(ws: Workspace, kind: str, subject: object, value: str, source: str,
              rule: str | None = None, reason: str | None = None) -> str:
    """Store one label (see :func:`set_labels`); returns ``added``, ``changed``,
    ``unchanged`` or ``kept`` (a stronger label is stored)."""
    check_value(kind, value)
    counts = set_labels(ws, pd.DataFrame([{"kind": kind, "subject": _subject_text(subject),
                                           "value": value, "rule": rule, "reason": reason}]),
                        source)
    for outcome in ("added", "changed", "kept"):
        if counts[outcome]:
            return outcome
    return "unchanged"


def remove_label(ws: Workspace, kind: str, subject: object) -> bool:
    """Delete one label (history records it). True if there was one."""
    with _unit(ws):
        return _remove(ws, pd.DataFrame([{"kind": kind, "subject": _subject_text(subject)}])) > 0


# ====================================================================== rules
_FAMILIES = ("relationship", "referral", "explain", "introduction")
_RULE_KEYS = {
    "relationship": {"name", "value", "fields", "words", "patterns", "unless", "also",
                     "requires", "owner_institution", "case_sensitive", "notes"},
    "referral": {"name", "value", "words", "patterns", "unless", "also", "case_sensitive",
                 "notes"},
    "explain": {"name", "value", "words", "patterns", "unless", "also", "case_sensitive",
                "notes"},
    "introduction": {"name", "words", "patterns", "unless", "also", "case_sensitive", "notes"},
}
_FIELDS = ("position", "company", "invitation", "messages")
_REQUIRABLE = ("position", "company")
_FIELD_WORDS = {"position": "title", "company": "company", "invitation": "invitation note",
                "messages": "their message"}


def _phrase_regex(phrase: str, boundaries: bool = True) -> str:
    """A literal phrase as a regex: whole words, any run of spaces, ' also matching ’.
    Without ``boundaries`` (the RE2 prefilter) the phrase may sit inside a word."""
    words = phrase.split()
    space = r"\s+" if boundaries else r"(?:\s|\pZ)+"
    body = space.join(re.sub("['’‘]", "['’‘]", re.escape(w)) for w in words)
    if boundaries and re.match(r"\w", phrase.strip()):
        body = r"(?<!\w)" + body
    if boundaries and re.search(r"\w$", phrase.strip()):
        body += r"(?!\w)"
    return body


def _re2_prefilter(words: tuple[str, ...], patterns: tuple[str, ...]) -> str | None:
    """A pattern RE2 (pyarrow) can run that matches at least wherever the rule's regex does,
    or ``None`` when the rule's own patterns are beyond RE2 (look-arounds and the like)."""
    parts = [_phrase_regex(w, boundaries=False) for w in words] + [f"(?:{p})" for p in patterns]
    if not parts:
        return None
    pattern = "(?:" + "|".join(parts) + ")"
    try:
        pc.match_substring_regex(pa.array([""], type=pa.large_string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pattern


def _alternation(words: tuple[str, ...], patterns: tuple[str, ...], flags: int,
                 group: bool = True) -> re.Pattern | None:
    """One regex for phrases and patterns; with ``group`` the match is the named group ``m``."""
    parts = [_phrase_regex(w) for w in sorted(words, key=len, reverse=True)]
    parts += [f"(?:{p})" for p in patterns]
    if not parts:
        return None
    return re.compile(("(?P<m>" if group else "(?:") + "|".join(parts) + ")", flags)


@dataclass(frozen=True)
class Rule:
    """One rule of ``rules.yaml`` (see the comments there)."""

    family: str
    name: str
    value: str | None
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    owner_institution: bool = False
    case_sensitive: bool = False
    line: int | None = None

    @property
    def flags(self) -> int:
        return 0 if self.case_sensitive else re.IGNORECASE

    def _words(self, institution: str | None) -> tuple[str, ...] | None:
        if self.owner_institution:
            return (*self.words, institution) if institution else None
        return self.words

    def regex(self, institution: str | None = None) -> re.Pattern | None:
        """The rule's one regex (group ``m``: the matched words); ``None`` when an
        ``owner_institution`` rule has no institution to look for."""
        words = self._words(institution)
        return None if words is None else _alternation(words, self.patterns, self.flags)

    def prefilter(self, institution: str | None = None) -> str | None:
        """A fast RE2 pattern matching a superset of :meth:`regex` (``None``: none)."""
        words = self._words(institution)
        return None if words is None else _re2_prefilter(words, self.patterns)

    @property
    def unless_regex(self) -> re.Pattern | None:
        return _alternation(self.unless, (), self.flags, group=False)

    @property
    def also_regex(self) -> re.Pattern | None:
        return _alternation(self.also, (), self.flags, group=False)


@dataclass
class Rules:
    """The rules of one file, by family, in file order."""

    rules: tuple[Rule, ...]
    file: str

    def family(self, name: str) -> list[Rule]:
        return [r for r in self.rules if r.family == name]


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping (key ``__line__``)."""


def _mapping_with_line(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def default_rules_path() -> Path:
    """The rules shipped with the package."""
    return Path(str(resources.files("adviser_analytics") / RULES_FILE))


def workspace_rules_path(workspace: Workspace | str | Path) -> Path:
    """Where the adviser's own copy of the rules lives: ``<workspace>/rules.yaml``."""
    folder = workspace.path if isinstance(workspace, Workspace) else Path(workspace)
    return folder / RULES_FILE


def copy_default_rules(workspace: Workspace | str | Path) -> tuple[Path, bool]:
    """Copy the shipped rules into the workspace for editing (never over an existing copy).
    Returns the path and whether it was created now."""
    target = workspace_rules_path(workspace)
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(default_rules_path(), target)
    return target, True


def rules_for(ws: Workspace) -> Rules:
    """The workspace's own ``rules.yaml`` if the adviser put one there, else the default."""
    own = workspace_rules_path(ws)
    return load_rules(own if own.is_file() else None)


def _str_list(value, what: str, fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        fail(f"{what} must be a list of phrases")
    return tuple(str(v) for v in value if str(v).strip())


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rules file (default: the one shipped). :class:`BadLabelsError`
    names the file, the line and what to do."""
    path = Path(path) if path is not None else default_rules_path()
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BadLabelsError(f"cannot read the rules ({error})", file=file,
                             what_to_do="check the path, or remove the file to use the default rules") from None
    try:
        data = yaml.load(text, Loader=_LineLoader) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise BadLabelsError(f"the rules are not valid YAML ({getattr(error, 'problem', error)})",
                             file=file, line=mark.line + 1 if mark else None,
                             what_to_do="fix the indentation or quoting there (see the comments at the top of the default rules)") from None
    if not isinstance(data, dict):
        raise BadLabelsError("the rules must be a mapping of families to lists of rules",
                             file=file, line=1, what_to_do=f"start with one of: {', '.join(_FAMILIES)}")
    rules: list[Rule] = []
    names: set[tuple[str, str]] = set()
    for family, entries in data.items():
        if family == "__line__":
            continue
        if family not in _FAMILIES:
            raise BadLabelsError(f"unknown rule family {family!r}", file=file,
                                 line=data.get("__line__"),
                                 what_to_do=f"use one of: {', '.join(_FAMILIES)}")
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise BadLabelsError(f"{family} must be a list of rules", file=file,
                                 line=data.get("__line__"), what_to_do="start each rule with '- name: ...'")
        for entry in entries:
            line = entry.get("__line__") if isinstance(entry, dict) else None

            def fail(message: str, what_to_do: str | None = None, *, line=line, family=family):
                raise BadLabelsError(f"{family} rule: {message}", file=file, line=line,
                                     what_to_do=what_to_do or "see the comments at the top of the default rules")

            if not isinstance(entry, dict):
                fail("each rule must be a mapping with at least name and words")
            unknown = set(entry) - _RULE_KEYS[family] - {"__line__"}
            if unknown:
                fail(f"unknown key {sorted(unknown)[0]!r}",
                     f"use only: {', '.join(sorted(_RULE_KEYS[family] - {'notes'}))}")
            name = str(entry.get("name") or "").strip()
            if not name:
                fail("a rule needs a name")
            if (family, name) in names:
                fail(f"two rules are named {name!r}", "give each rule its own name")
            names.add((family, name))
            value = entry.get("value")
            if family in ("relationship", "referral"):
                vocabulary = VOCABULARY[family]
                if value is None or str(value).strip().lower() not in vocabulary:
                    fail(f"{name}: value {value!r} is not a {family}",
                         f"use one of: {', '.join(vocabulary)}")
                value = str(value).strip().lower()
            elif family == "explain":
                if value is not None and str(value).strip().lower() != "explain":
                    fail(f"{name}: explain rules suggest the handling 'explain' only")
                value = "explain"
            else:
                value = None
            fields = _str_list(entry.get("fields"), "fields", fail) or (
                ("position",) if family == "relationship" else ())
            requires = _str_list(entry.get("requires"), "requires", fail)
            for f in fields:
                if f not in _FIELDS:
                    fail(f"{name}: unknown field {f!r}", f"use one of: {', '.join(_FIELDS)}")
            for f in requires:  # what a person's Connections row must hold
                if f not in _REQUIRABLE:
                    fail(f"{name}: 'requires' cannot be {f!r}",
                         f"use one of: {', '.join(_REQUIRABLE)}")
            rule = Rule(
                family=family, name=name, value=value,
                words=_str_list(entry.get("words"), "words", fail),
                patterns=_str_list(entry.get("patterns"), "patterns", fail),
                unless=_str_list(entry.get("unless"), "unless", fail),
                also=_str_list(entry.get("also"), "also", fail),
                fields=fields, requires=requires,
                owner_institution=bool(entry.get("owner_institution", False)),
                case_sensitive=bool(entry.get("case_sensitive", False)), line=line,
            )
            if not (rule.words or rule.patterns or rule.owner_institution):
                fail(f"{name}: the rule has no words or patterns to look for")
            for pattern in rule.patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    fail(f"{name}: the pattern {pattern!r} is not a valid regular expression ({error})",
                         "fix the pattern, or write it as words instead")
            rules.append(rule)
    return Rules(tuple(rules), file)


# ====================================================================== the data
@dataclass
class _Data:
    """Everything derivation reads from the workspace, read once."""

    messages: pd.DataFrame
    threads: pd.DataFrame
    episodes: pd.DataFrame
    people: pd.DataFrame
    connections: pd.DataFrame
    invitations: pd.DataFrame
    owner_key: str | None
    institution: str | None
    last_export: pd.Timestamp | None
    sightings: pd.DataFrame  # invitation_id, snapshot_id, export_date, sent_at


def _load(ws: Workspace) -> _Data:
    messages = ws.messages()
    policy = None
    with contextlib.suppress(AdviserAnalyticsError):  # a stored policy that no longer reads
        policy = ws.policy()
    row = ws.db.execute("SELECT MAX(export_date) FROM snapshots").fetchone()
    last_export = pd.Timestamp(row[0], tz="UTC") if row and row[0] else None
    sightings = pd.DataFrame(ws.db.execute(
        "SELECT x.invitation_id, x.snapshot_id, s.export_date, i.sent_at "
        "FROM invitation_sightings x JOIN snapshots s USING (snapshot_id) "
        "JOIN invitations i USING (invitation_id)").fetchall(),
        columns=["invitation_id", "snapshot_id", "export_date", "sent_at"])
    for column in ("export_date", "sent_at"):
        sightings[column] = pd.to_datetime(sightings[column], utc=True,
                                           format="ISO8601").dt.as_unit("ns")
    return _Data(
        messages=messages,
        threads=reply_runs(messages),
        episodes=find_requests(messages),
        people=ws.people(),
        connections=ws.connections(),
        invitations=ws.invitations(),
        owner_key=ws.owner.key,
        institution=policy.owner_institution if policy is not None else None,
        last_export=last_export,
        sightings=sightings,
    )


def reply_runs(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages in conversation order, each with ``request_key``: for an inbound message the
    request (inbound episode) it belongs to, for an owner message the request it answers
    (``<NA>`` before the conversation's first inbound message). ``reply_rank`` numbers the
    owner's messages after a request (0 = the reply itself) and ``after_reply`` is the time
    since that reply. Vectorised; the same episodes as :func:`metrics.episodes.requests`."""
    if messages is None or len(messages) == 0:
        return pd.DataFrame(columns=[*(messages.columns if messages is not None else []),
                                     "request_key", "reply_rank", "after_reply"])
    m = messages.sort_values(["conversation_id", "sent_at", "message_id"],
                             kind="mergesort").reset_index(drop=True)
    conversation = m["conversation_id"].astype(object)
    inbound = m["direction"].eq("inbound").to_numpy(dtype=bool)
    same_previous = (conversation == conversation.shift()).to_numpy(dtype=bool)
    previous_inbound = np.r_[False, inbound[:-1]]
    start = inbound & ~(same_previous & previous_inbound)
    started_at = m["sent_at"].where(start).groupby(conversation, sort=False).ffill()
    m["request_key"] = request_key(conversation, started_at).where(started_at.notna())
    outbound_after = ~inbound & m["request_key"].notna().to_numpy(dtype=bool)
    m["reply_rank"] = pd.Series(np.where(outbound_after, 0, -1), index=m.index)
    ranks = m[outbound_after].groupby("request_key", sort=False).cumcount()
    m.loc[ranks.index, "reply_rank"] = ranks
    first_reply = m["sent_at"].where(m["reply_rank"] == 0).groupby(
        m["request_key"].astype(object), sort=False).transform("first")
    m["after_reply"] = (m["sent_at"] - first_reply).where(outbound_after)
    return m


# ---------------------------------------------------------------------- matching
def _matches(texts: pd.Series, rule: Rule, institution: str | None = None) -> pd.Series:
    """The words ``rule`` matched in each text (``<NA>`` where it did not), honouring
    ``unless`` and ``also``. Vectorised: a fast RE2 pass (pyarrow) finds the candidates,
    then the rule's own regex (Python, whole words) runs on those only."""
    none = pd.Series(pd.NA, index=texts.index, dtype=object)
    regex = rule.regex(institution)
    if regex is None or len(texts) == 0:
        return none
    texts = texts.astype(object).where(texts.notna(), None)
    prefilter = rule.prefilter(institution)
    if prefilter is not None:
        hits = pc.match_substring_regex(pa.array(texts, type=pa.large_string(), from_pandas=True),
                                        prefilter, ignore_case=not rule.case_sensitive)
        texts = texts[np.asarray(hits.fill_null(False), dtype=bool)]
    texts = texts.dropna().astype(str)
    if len(texts) == 0:
        return none
    found = texts.str.extract(regex, expand=True)["m"].astype(object)
    found = found[found.notna()]
    unless, also = rule.unless_regex, rule.also_regex
    if len(found) and unless is not None:
        found = found[~texts[found.index].str.contains(unless)]
    if len(found) and also is not None:
        found = found[texts[found.index].str.contains(also)]
    return none.where(~none.index.isin(found.index), found.reindex(none.index))


def _clip(words: object, limit: int = 60) -> str:
    text = " ".join(str(words).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_rule(texts: pd.Series, rules: list[Rule], institution: str | None = None
                ) -> pd.DataFrame:
    """For each text, the first rule (file order) that matches: columns ``rule``, ``value``,
    ``words``, ``order`` (``<NA>`` where none matched)."""
    out = pd.DataFrame({"rule": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "value": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "words": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "order": pd.Series(np.nan, index=texts.index)})
    for order, rule in enumerate(rules):
        todo = out["rule"].isna()
        if not todo.any():
            break
        found = _matches(texts[todo], rule, institution)
        hit = found.notna()
        index = found.index[hit]
        out.loc[index, "rule"] = rule.name
        out.loc[index, "value"] = rule.value
        out.loc[index, "words"] = found[hit]
        out.loc[index, "order"] = order
    return out


# ---------------------------------------------------------------------- inference
def _empty_labels() -> pd.DataFrame:
    return pd.DataFrame(columns=_LABEL_COLUMNS, dtype=object)


def _day(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d")


def _infer_decisions(d: _Data, rules: Rules) -> tuple[pd.DataFrame, dict]:
    """Decisions on incoming invitations, from the snapshots (see ``domain.md``)."""
    stats = {"withdrawn": 0, "unanswered_recent": 0}
    inv = d.invitations[d.invitations["direction"].eq("incoming")].copy()
    if len(inv) == 0:
        return _empty_labels(), stats
    inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
    inv["nk"] = name_keys(inv["name"])
    inv["person_key"] = inv["person_key"].astype(object)
    inv["sent_day"] = inv["sent_at"].dt.floor("D")
    by_name_ok = inv["person_key"].fillna("name:").str.startswith("name:")

    # accepted: the inviter appears in Connections, connected on or after the invitation
    conn = d.connections[["person_key", "name", "connected_on"]].copy()
    conn["person_key"] = conn["person_key"].astype(object)
    conn["nk"] = name_keys(conn["name"])
    by_key = inv[["subject", "person_key", "sent_at", "sent_day"]].merge(
        conn[["person_key", "connected_on"]], on="person_key")
    by_key["conn_key"] = by_key["person_key"]
    by_key["how"] = 0
    # (a missing name matches nothing: pandas would pair missing with missing)
    by_name = inv[["subject", "person_key", "nk", "sent_at", "sent_day"]].assign(
        inv_named=by_name_ok).dropna(subset=["nk"]).merge(
        conn[["person_key", "nk", "connected_on"]].rename(columns={"person_key": "conn_key"})
        .dropna(subset=["nk"]), on="nk")
    by_name = by_name[by_name["inv_named"] | by_name["conn_key"].str.startswith("name:")]
    by_name["how"] = 1
    accepted = pd.concat([by_key, by_name[by_key.columns]], ignore_index=True)
    accepted = accepted[accepted["connected_on"] >= accepted["sent_day"]]
    # a connection accepts one invitation: the inviter's latest one sent before it
    accepted = accepted.sort_values(["how", "sent_at"], ascending=[True, False])
    accepted = accepted.drop_duplicates("conn_key").drop_duplicates("subject")
    rows = [pd.DataFrame({
        "kind": "decision", "subject": accepted["subject"], "value": "accept",
        "source": "inferred", "rule": "connected",
        "reason": "connected on " + _day(accepted["connected_on"])
        + np.where(accepted["how"] == 1, " (matched by name)", ""),
    })]
    open_ = inv[~inv["subject"].isin(accepted["subject"])]

    # withdrawn: gone from a later snapshot whose Invitations window still covers it
    windows = _invitation_windows(d)
    withdrawn = set()
    if len(open_) and len(windows):
        cross = open_[["subject", "invitation_id", "sent_at", "first_seen_on"]].merge(
            windows, how="cross")
        cross = cross[(cross["export_date"] > cross["first_seen_on"])
                      & (cross["sent_at"] >= cross["window_start"])]
        seen = _sightings(d)
        cross = cross.merge(seen, on=["invitation_id", "snapshot_id"], how="left",
                            indicator=True)
        withdrawn = set(cross.loc[cross["_merge"] == "left_only", "subject"])
    stats["withdrawn"] = len(withdrawn)
    open_ = open_[~open_["subject"].isin(withdrawn)]

    # unanswered in a snapshot taken 21 days or more after it was sent
    age = open_["last_seen_on"] - open_["sent_day"]
    old = open_[age >= pd.Timedelta(days=UNANSWERED_DAYS)].copy()
    stats["unanswered_recent"] = int(len(open_) - len(old))
    if len(old):
        old["age_days"] = (old["last_seen_on"] - old["sent_day"]).dt.days
        old["seen"] = _day(old["last_seen_on"])
        answers = _owner_answers(d, old, rules)
        old = old.merge(answers, on="subject", how="left")
        redirect = old["answer"].eq("redirect").to_numpy(dtype=bool)
        messaged = old["answer"].eq("ask").to_numpy(dtype=bool)
        base = ("still unanswered in the export of " + old["seen"] + ", "
                + old["age_days"].astype(str) + " days after it was sent")
        message_day = pd.to_datetime(old["message_at"], utc=True).dt.strftime("%Y-%m-%d") \
            .astype(object).fillna("")
        words = old["words"].astype(object).where(old["words"].notna(), "").map(_clip)
        rows.append(pd.DataFrame({
            "kind": "decision", "subject": old["subject"],
            "value": np.where(redirect, "redirect", np.where(messaged, "ask", "ignore")),
            "source": np.where(redirect, "suggested", "inferred"),
            "rule": np.where(redirect, old["rule"].astype(object).where(old["rule"].notna(), ""),
                             np.where(messaged, "messaged", "unanswered")),
            "reason": np.where(
                redirect,
                "not connected; on " + message_day + " you wrote \"" + words + "\"",
                np.where(messaged, base + "; you wrote to them on " + message_day, base)),
        }))
    return pd.concat(rows, ignore_index=True), stats


def _invitation_windows(d: _Data) -> pd.DataFrame:
    """Per snapshot with invitations: its date and the oldest invitation it lists."""
    sightings = _sightings(d, with_dates=True)
    if len(sightings) == 0:
        return pd.DataFrame(columns=["snapshot_id", "export_date", "window_start"])
    return (sightings.groupby(["snapshot_id", "export_date"], as_index=False)["sent_at"].min()
            .rename(columns={"sent_at": "window_start"}))


def _sightings(d: _Data, with_dates: bool = False) -> pd.DataFrame:
    if with_dates:
        return d.sightings
    return d.sightings[["invitation_id", "snapshot_id"]]


def _owner_answers(d: _Data, inv: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """How the owner answered each invitation without accepting it, from their messages to
    the inviter within ``ASK_WINDOW_DAYS`` after it: ``redirect`` when one of them names a
    service (a referral rule matches), else ``ask`` when one of them is not merely the reply
    to a request of the inviter's (replying to someone's question is not asking who they
    are). Columns ``subject, answer, message_at, rule, words``."""
    out_cols = ["subject", "answer", "message_at", "rule", "words"]
    t = d.threads
    if len(t) == 0:
        return pd.DataFrame(columns=out_cols)
    om = t[t["direction"].eq("outbound") & t["counterpart_key"].notna()]
    om = om[["counterpart_key", "sent_at", "content", "message_id", "reply_rank"]].copy()
    om["counterpart_key"] = om["counterpart_key"].astype(object)
    names = d.people.set_index("person_key")["name"]
    om["nk"] = name_keys(om["counterpart_key"].map(names))
    columns = ["subject", "sent_at", "message_at", "content", "message_id", "reply_rank"]
    a = inv[["subject", "person_key", "sent_at"]].merge(
        om.rename(columns={"counterpart_key": "person_key", "sent_at": "message_at"}),
        on="person_key")
    named = inv[["subject", "person_key", "nk", "sent_at"]].dropna(subset=["nk"]).merge(
        om.rename(columns={"counterpart_key": "other_key", "sent_at": "message_at"})
        .dropna(subset=["nk"]), on="nk")
    named = named[named["person_key"].fillna("name:").str.startswith("name:")
                  | named["other_key"].str.startswith("name:")]
    both = pd.concat([a[columns], named[columns]], ignore_index=True)
    both = both[(both["message_at"] >= both["sent_at"])
                & (both["message_at"] <= both["sent_at"] + pd.Timedelta(days=ASK_WINDOW_DAYS))]
    both = both.sort_values(["subject", "message_at", "message_id"]).reset_index(drop=True)
    if len(both) == 0:
        return pd.DataFrame(columns=out_cols)
    referral = _first_rule(both["content"], rules.family("referral"))
    both["rule"], both["words"] = referral["rule"], referral["words"]
    redirect = both[both["rule"].notna()].drop_duplicates("subject").assign(answer="redirect")
    ask = both[(both["reply_rank"] != 0) & ~both["subject"].isin(redirect["subject"])]
    ask = ask.drop_duplicates("subject").assign(answer="ask", rule=pd.NA, words=pd.NA)
    return pd.concat([redirect, ask], ignore_index=True)[out_cols]


def _requests_by_rules(d: _Data, rules: Rules) -> pd.DataFrame:
    """Referral and honest-decline rules on the owner's reply to each request (the reply and
    the owner's messages within ``REPLY_RUN_HOURS`` of it): one row per request a rule read,
    ``request_key, handling, referral, rule, words``."""
    columns = ["request_key", "handling", "referral", "rule", "words"]
    t = d.threads
    if len(t) == 0:
        return pd.DataFrame(columns=columns)
    replies = t[(t["reply_rank"] >= 0)
                & (t["after_reply"] <= pd.Timedelta(hours=REPLY_RUN_HOURS))]
    if len(replies) == 0:
        return pd.DataFrame(columns=columns)
    found = []
    for family, handling in (("referral", "refer"), ("explain", "explain")):
        hits = _first_rule(replies["content"], rules.family(family))
        hit = hits["rule"].notna()
        hits = hits[hit].copy()
        hits["request_key"] = replies.loc[hit, "request_key"].to_numpy(dtype=object)
        hits["sent_at"] = replies.loc[hit, "sent_at"].to_numpy()
        hits["handling"] = handling
        found.append(hits)
    hits = pd.concat(found, ignore_index=True)
    if len(hits) == 0:
        return pd.DataFrame(columns=columns)
    # a referral wins over a decline in the same reply (the decline is the courtesy);
    # within a family the first rule of the file wins, then the earliest message
    hits["family_order"] = np.where(hits["handling"] == "refer", 0, 1)
    hits = hits.sort_values(["request_key", "family_order", "order", "sent_at"])
    hits = hits.drop_duplicates("request_key")
    hits["referral"] = hits["value"].where(hits["handling"] == "refer")
    return hits[columns].reset_index(drop=True)


def _infer_handling(d: _Data, by_rules: pd.DataFrame) -> pd.DataFrame:
    """Handling of requests: ``answer`` (inferred) when replied, unless a rule read the reply
    as a referral or decline (``suggested``, with the referral); ``none`` (inferred) when
    unanswered and older than ``UNANSWERED_DAYS`` at the last export."""
    e = d.episodes
    if len(e) == 0:
        return _empty_labels()
    replied = e["replied_at"].notna()
    ruled = e["request_key"].isin(by_rules["request_key"])
    rows = []
    answered = e[replied & ~ruled]
    rows.append(pd.DataFrame({
        "kind": "handling", "subject": answered["request_key"].astype(object), "value": "answer",
        "source": "inferred", "rule": "replied",
        "reason": "you replied on " + _day(answered["replied_at"]),
    }))
    if len(by_rules):
        reasons = "your reply says \"" + by_rules["words"].map(_clip) + "\""
        rows.append(pd.DataFrame({
            "kind": "handling", "subject": by_rules["request_key"].astype(object),
            "value": by_rules["handling"], "source": "suggested", "rule": by_rules["rule"],
            "reason": reasons}))
        refer = by_rules[by_rules["handling"] == "refer"]
        rows.append(pd.DataFrame({
            "kind": "referral", "subject": refer["request_key"].astype(object),
            "value": refer["referral"], "source": "suggested", "rule": refer["rule"],
            "reason": reasons[refer.index]}))
    if d.last_export is not None:
        age = d.last_export - e["started_at"]
        waiting = e[~replied & (age >= pd.Timedelta(days=UNANSWERED_DAYS))]
        days = (d.last_export - waiting["started_at"]).dt.days.astype(str)
        rows.append(pd.DataFrame({
            "kind": "handling", "subject": waiting["request_key"].astype(object), "value": "none",
            "source": "inferred", "rule": "no-reply",
            "reason": "no reply by the export of " + d.last_export.strftime("%Y-%m-%d") + ", "
            + days + " days after the request",
        }))
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------- relationships
def _relationships_by_rules(d: _Data, rules: Rules) -> tuple[pd.DataFrame, list[str]]:
    """Relationship suggestions for people (not the owner): the first rule that matches."""
    skipped: list[str] = []
    people = d.people[["person_key", "name", "company", "position"]].copy()
    people["person_key"] = people["person_key"].astype(object)
    if d.owner_key:
        people = people[people["person_key"] != d.owner_key]
    people = people.set_index("person_key")
    if len(people) == 0:
        return _empty_labels(), skipped
    inbound = d.messages[d.messages["direction"].eq("inbound")]
    invitations = d.invitations[d.invitations["direction"].eq("incoming")
                                & d.invitations["message"].notna()]
    texts = {
        "position": people["position"],
        "company": people["company"],
        "messages": (inbound["sender_key"].astype(object), inbound["content"]),
        "invitation": (invitations["person_key"].astype(object), invitations["message"]),
    }
    chosen = pd.DataFrame({"rule": pd.Series(pd.NA, index=people.index, dtype=object),
                           "value": pd.Series(pd.NA, index=people.index, dtype=object),
                           "reason": pd.Series(pd.NA, index=people.index, dtype=object)})
    for rule in rules.family("relationship"):
        if rule.owner_institution and not d.institution:
            skipped.append(f"{rule.name} (the stored policy has no owner_institution)")
            continue
        todo = chosen["rule"].isna()
        if not todo.any():
            break
        found = pd.Series(pd.NA, index=people.index, dtype=object)
        for f in rule.fields:
            if f in ("position", "company"):
                words = _matches(texts[f][todo], rule, d.institution)
            else:
                keys, values = texts[f]
                keys_todo = keys.isin(people.index[todo])
                hits = _matches(values[keys_todo], rule, d.institution)
                hits = pd.DataFrame({"k": keys[keys_todo], "w": hits}).dropna()
                words = hits.drop_duplicates("k").set_index("k")["w"]
            words = (_FIELD_WORDS[f] + ": \"" + words.dropna().map(_clip) + "\"")
            found = found.fillna(words.reindex(found.index))
        for f in rule.requires:
            present = texts[f].fillna("").astype(str).str.strip().ne("")
            found = found.where(present, pd.NA)
        hit = todo & found.notna()
        chosen.loc[hit, "rule"] = rule.name
        chosen.loc[hit, "value"] = rule.value
        chosen.loc[hit, "reason"] = found[hit]
    chosen = chosen[chosen["rule"].notna()]
    return pd.DataFrame({
        "kind": "relationship", "subject": chosen.index.astype(object), "value": chosen["value"].values,
        "source": "suggested", "rule": chosen["rule"].values, "reason": chosen["reason"].values,
    }), skipped


# ---------------------------------------------------------------------- introductions
_PARTICLES = frozenset({"de", "del", "della", "der", "den", "di", "du", "da", "dos", "van",
                        "von", "le", "la", "bin", "ibn", "al", "el", "y", "ter", "ten"})
_EDGE = "\"“”‘’'()[]<>*_"


def _name_after(tail: object) -> str | None:
    """The capitalised name at the start of ``tail`` ("Zoë Brontë-Ngata? I'd love ..." ->
    "Zoë Brontë-Ngata"), or ``None`` when the phrase is not followed by a name."""
    if not isinstance(tail, str):
        return None
    out: list[str] = []
    for raw in tail.split()[:6]:
        word = raw.strip(_EDGE)
        stop = bool(re.search(r"[,.;:!?]$", word)) or raw.endswith(tuple(_EDGE[1:]))
        word = word.rstrip(",.;:!?").strip(_EDGE)
        possessive = re.search(r"['’]s$", word)
        if possessive:
            word, stop = word[: possessive.start()], True
        if not word:
            break
        if word[0].isupper() or (out and word.casefold() in _PARTICLES):
            out.append(word)
        else:
            break
        if stop:
            break
    while out and out[-1].casefold() in _PARTICLES:
        out.pop()
    return " ".join(out) or None


def _introductions_by_rules(d: _Data, rules: Rules) -> tuple[pd.DataFrame, dict]:
    """Introduction requests in inbound messages: one record per message and named target."""
    columns = ["requester_key", "target_key", "target_name", "requested_on", "conversation_id",
               "message_id", "rule", "words"]
    stats = {"found": 0, "without_name": 0, "target_matched": 0}
    inbound = d.messages[d.messages["direction"].eq("inbound") & d.messages["content"].notna()]
    family = rules.family("introduction")
    if len(inbound) == 0 or not family:
        return pd.DataFrame(columns=columns), stats
    hits = _first_rule(inbound["content"], family)
    hit = hits["rule"].notna()
    if not hit.any():
        return pd.DataFrame(columns=columns), stats
    found = inbound[hit].assign(rule=hits.loc[hit, "rule"], words=hits.loc[hit, "words"])
    # the text after the matched words, then the name at its start
    regexes = {r.name: r.regex() for r in family}
    tails = pd.Series(
        [_tail_after(regexes[rule], text) for rule, text in
         zip(found["rule"], found["content"], strict=True)], index=found.index, dtype=object)
    found["target_name"] = tails.map(_name_after)
    stats["found"] = int(len(found))
    stats["without_name"] = int(found["target_name"].isna().sum())
    found = found[found["target_name"].notna()]
    if len(found) == 0:
        return pd.DataFrame(columns=columns), stats
    # the target: a person whose name is the captured name (or its longest leading words)
    people = d.people[["person_key", "name", "is_connection"]].copy()
    people["nk"] = name_keys(people["name"])
    people = people.dropna(subset=["nk"]).sort_values(["nk", "is_connection"],
                                                      ascending=[True, False])
    counts = people.groupby(["nk", "is_connection"]).size()
    ambiguous = {nk for (nk, connected), n in counts.items() if n > 1}
    best = people.drop_duplicates("nk").set_index("nk")
    target_key = pd.Series(pd.NA, index=found.index, dtype=object)
    target_name = found["target_name"].copy()
    words = found["target_name"].str.split()
    for n in range(6, 0, -1):
        todo = target_key.isna() & (words.str.len() >= n)
        if not todo.any():
            continue
        candidate = words[todo].str[:n].str.join(" ")
        nk = name_keys(candidate)
        ok = nk.isin(best.index) & ~nk.isin(ambiguous)
        index = ok[ok].index
        target_key.loc[index] = nk[ok].map(best["person_key"]).values
        target_name.loc[index] = nk[ok].map(best["name"]).values
    found["target_key"] = target_key
    found["target_name"] = target_name
    stats["target_matched"] = int(target_key.notna().sum())
    found["requester_key"] = found["sender_key"].astype(object)
    found["requested_on"] = _day(found["sent_at"])
    found = found.drop_duplicates(["requester_key", "target_name", "requested_on"])
    return found[columns].reset_index(drop=True), stats


def _tail_after(regex: re.Pattern | None, text: str) -> str | None:
    if regex is None or not isinstance(text, str):
        return None
    match = regex.search(text)
    return text[match.end():match.end() + 120] if match else None


def _sync_introductions(ws: Workspace, found: pd.DataFrame) -> dict:
    """Record the introduction requests the rules found; drop rule-made records the rules no
    longer find, unless the adviser has labelled them."""
    counts = {"added": 0, "removed": 0}
    before = ws.db.execute("SELECT COUNT(*) FROM introductions").fetchone()[0]
    if len(found):
        ws.db.executemany(
            "INSERT INTO introductions(requester_key, target_key, target_name, requested_on, "
            "conversation_id, message_id, rule) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(requester_key, target_name, requested_on) DO UPDATE SET "
            "target_key = COALESCE(excluded.target_key, target_key), "
            "conversation_id = excluded.conversation_id, message_id = excluded.message_id, "
            "rule = excluded.rule",
            list(zip(*(_text_or_none(found[c].astype(object)) for c in
                       ("requester_key", "target_key", "target_name", "requested_on",
                        "conversation_id")),
                     [int(m) for m in found["message_id"]], _text_or_none(found["rule"]),
                     strict=True)),
        )
    counts["added"] = ws.db.execute("SELECT COUNT(*) FROM introductions").fetchone()[0] - before
    existing = pd.DataFrame(ws.db.execute(
        "SELECT introduction_id, requester_key, target_name, requested_on FROM introductions "
        "WHERE rule IS NOT NULL AND CAST(introduction_id AS TEXT) NOT IN "
        "(SELECT subject FROM labels WHERE kind = 'outcome')").fetchall(),
        columns=["introduction_id", "requester_key", "target_name", "requested_on"])
    if len(existing):
        keep = found[["requester_key", "target_name", "requested_on"]].astype(object)
        stale = existing.merge(keep, how="left", indicator=True)
        stale = stale[stale["_merge"] == "left_only"]
        if len(stale):
            ws.db.executemany("DELETE FROM introductions WHERE introduction_id = ?",
                              [(int(i),) for i in stale["introduction_id"]])
            counts["removed"] = len(stale)
    return counts


# ---------------------------------------------------------------------- derive, suggest
@dataclass
class Derivation:
    """What the data and the rules say: labels (``_LABEL_COLUMNS``), introduction requests,
    and counts for the summary."""

    labels: pd.DataFrame
    introductions: pd.DataFrame
    stats: dict = field(default_factory=dict)
    rules_file: str = ""
    skipped_rules: list = field(default_factory=list)


def derive(ws: Workspace, rules: Rules | None = None) -> Derivation:
    """Inference and rules over the whole workspace (reads only)."""
    rules = rules or rules_for(ws)
    d = _load(ws)
    decisions, decision_stats = _infer_decisions(d, rules)
    by_rules = _requests_by_rules(d, rules)
    handling = _infer_handling(d, by_rules)
    relationships, skipped = _relationships_by_rules(d, rules)
    introductions, intro_stats = _introductions_by_rules(d, rules)
    labels = pd.concat([x for x in (relationships, decisions, handling) if len(x)],
                       ignore_index=True) if any(len(x) for x in
                                                 (relationships, decisions, handling)) \
        else _empty_labels()
    labels = labels.astype(object)
    if len(labels):
        labels["rank"] = labels["source"].map(SOURCE_RANK)
        labels = (labels.sort_values("rank", ascending=False, kind="mergesort")
                  .drop_duplicates(["kind", "subject"]).drop(columns="rank")
                  .reset_index(drop=True))
    stats = {"decisions": decision_stats, "introductions": intro_stats,
             "requests": int(len(d.episodes))}
    return Derivation(labels, introductions, stats, rules.file, skipped)


def _mix(labels: pd.DataFrame, source: str) -> dict:
    part = labels[labels["source"] == source]
    return {kind: {str(v): int(n) for v, n in group["value"].value_counts().sort_index().items()}
            for kind, group in part.groupby("kind")}


def infer(ws: Workspace, rules: Rules | None = None) -> dict:
    """Store the labels the data allow (``inferred``), never over a confirmed label. (A
    reply a rule reads as a referral or decline is left to :func:`suggest`.)"""
    derivation = derive(ws, rules)
    inferred = derivation.labels[derivation.labels["source"] == "inferred"]
    with _unit(ws):
        written = _write(ws, inferred, protect="rank")
    return {"inferred": _mix(inferred, "inferred"),
            "withdrawn_invitations": derivation.stats["decisions"]["withdrawn"],
            "labels": written}


def suggest(ws: Workspace, rules: Rules | None = None) -> dict:
    """Inference, then the rules: brings every label that is not confirmed in line with what
    the data and the current rules say (see the module docstring); records introduction
    requests. Idempotent. Returns a summary."""
    rules = rules or rules_for(ws)
    derivation = derive(ws, rules)
    labels = derivation.labels
    with _unit(ws):
        stored = _stored(ws)
        confirmed = stored[stored["source"] == "confirmed"]
        # no referral suggestion for a request the adviser says was not referred
        not_referred = confirmed[(confirmed["kind"] == "handling") & (confirmed["value"] != "refer")]
        labels = labels[~((labels["kind"] == "referral")
                          & labels["subject"].isin(not_referred["subject"]))]
        written = _write(ws, labels, protect="confirmed")
        derived_keys = labels[["kind", "subject"]].assign(_derived=True)
        stale = stored[(stored["source"] != "confirmed") & stored["kind"].isin(DERIVED_KINDS)]
        stale = stale.merge(derived_keys, on=["kind", "subject"], how="left")
        stale = stale[stale["_derived"].isna()]
        removed = _remove(ws, stale)
        introductions = _sync_introductions(ws, derivation.introductions)
    intro_stats = derivation.stats["introductions"]
    return {
        "rules_file": derivation.rules_file,
        "rules_skipped": derivation.skipped_rules,
        "inferred": _mix(labels, "inferred"),
        "suggested": _mix(labels, "suggested"),
        "withdrawn_invitations": derivation.stats["decisions"]["withdrawn"],
        "introductions": {"requests_found": intro_stats["found"],
                          "recorded": int(len(derivation.introductions)),
                          "target_matched": intro_stats["target_matched"],
                          "without_name": intro_stats["without_name"],
                          "added": introductions["added"], "removed": introductions["removed"]},
        "labels": {"added": written["added"], "changed": written["changed"],
                   "unchanged": written["unchanged"], "removed": removed,
                   "kept_confirmed": written["kept_confirmed"]},
    }


# ====================================================================== label files
LABEL_FILES: dict[str, dict] = {
    "people.csv": {"columns": ["profile_url", "name", "relationship", "source"],
                   "values": ("relationship",)},
    "invitations.csv": {"columns": ["direction", "name", "profile_url", "sent_at", "decision",
                                    "source"], "values": ("decision",)},
    "requests.csv": {"columns": ["conversation_id", "started_at", "handling", "referral",
                                 "source"], "values": ("handling", "referral")},
    "introductions.csv": {"columns": ["requester_url", "requester_name", "target_url",
                                      "target_name", "requested_on", "outcome", "resolved_on",
                                      "source"], "values": ("outcome",)},
}
# extra columns after the contract's, to help the adviser decide (ignored on import)
_EXTRA = {
    "people.csv": ["company", "position", "rule", "reason"],
    "invitations.csv": ["message", "rule", "reason"],
    "requests.csv": ["counterpart", "replied_at", "rule", "reason"],
    "introductions.csv": ["rule", "reason"],
}
_SOURCE_ORDER = {"suggested": 0, "": 1, "inferred": 2, "confirmed": 3}


def _iso_seconds(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _label_map(stored: pd.DataFrame, kind: str) -> pd.DataFrame:
    part = stored[stored["kind"] == kind].set_index("subject")
    return part[["value", "source", "rule", "reason"]]


def _weakest(*sources: pd.Series) -> pd.Series:
    """Per row, the lowest-ranked non-empty source (so an unedited row re-imports as it was)."""
    ranks = pd.concat([s.map(SOURCE_RANK) for s in sources], axis=1).min(axis=1)
    back = {v: k for k, v in SOURCE_RANK.items()}
    return ranks.map(back).astype(object)


def _join_text(first: pd.Series, second: pd.Series) -> pd.Series:
    """``first; second`` per row, leaving out empty parts and a repeat (vectorised)."""
    a = first.astype(object).where(first.notna(), "").astype(str)
    b = second.astype(object).where(second.notna(), "").astype(str)
    joined = a.where(b.eq("") | a.eq(b), a + "; " + b)
    return joined.where(a.ne(""), b).astype(object)


def _export_frames(ws: Workspace) -> dict[str, pd.DataFrame]:
    stored = _stored(ws)
    owner_key = ws.owner.key
    frames: dict[str, pd.DataFrame] = {}

    # people: everyone (they may all need a relationship), plus labels on people not stored
    everyone = ws.people().set_index("person_key", drop=False)
    people = everyone[["person_key", "name", "profile_url", "company", "position"]] \
        .reset_index(drop=True)
    people = people.astype(object)
    if owner_key:
        people = people[people["person_key"] != owner_key]
    rel = _label_map(stored, "relationship")
    orphans = rel.index.difference(people["person_key"])
    if len(orphans):
        extra = pd.DataFrame({"person_key": list(orphans)})
        extra["profile_url"] = extra["person_key"].where(~extra["person_key"].str.startswith("name:"))
        extra["name"] = extra["person_key"].str.removeprefix("name:").where(
            extra["person_key"].str.startswith("name:"))
        people = pd.concat([people, extra], ignore_index=True)
    labels = rel.reindex(people["person_key"])
    out = pd.DataFrame({
        "profile_url": people["profile_url"].values, "name": people["name"].values,
        "relationship": labels["value"].values, "source": labels["source"].values,
        "company": people["company"].values, "position": people["position"].values,
        "rule": labels["rule"].values, "reason": labels["reason"].values,
    })
    frames["people.csv"] = _order(out, "name")

    # invitations: incoming ones (outgoing only where a decision is stored)
    inv = ws.invitations()
    dec = _label_map(stored, "decision")
    inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
    inv = inv[inv["direction"].eq("incoming") | inv["subject"].isin(dec.index)]
    labels = dec.reindex(inv["subject"])
    out = pd.DataFrame({
        "direction": inv["direction"].values, "name": inv["name"].values,
        "profile_url": inv["profile_url"].values, "sent_at": _iso_seconds(inv["sent_at"]).values,
        "decision": labels["value"].values, "source": labels["source"].values,
        "message": inv["message"].values, "rule": labels["rule"].values,
        "reason": labels["reason"].values,
    })
    frames["invitations.csv"] = _order(out, "sent_at", descending=True)

    # requests: every inbound episode, plus labels on request keys no episode has
    messages = ws.messages(content=False)
    episodes = find_requests(messages)
    names = everyone["name"]
    keys = episodes["request_key"].astype(object)
    hand, ref = _label_map(stored, "handling"), _label_map(stored, "referral")
    orphans = hand.index.union(ref.index).difference(keys)
    conv = episodes["conversation_id"].astype(object).tolist()
    started = _iso_seconds(episodes["started_at"]).tolist()
    counterpart = episodes["counterpart_key"].astype(object).map(names).tolist()
    replied = _iso_seconds(episodes["replied_at"]).tolist()
    keys = keys.tolist()
    for key in orphans:
        c, _, s = key.rpartition("|")
        conv.append(c)
        started.append(s)
        counterpart.append(None)
        replied.append(None)
        keys.append(key)
    h, r = hand.reindex(keys), ref.reindex(keys)
    out = pd.DataFrame({
        "conversation_id": conv, "started_at": started,
        "handling": h["value"].values, "referral": r["value"].values,
        "source": _weakest(h["source"].reset_index(drop=True),
                           r["source"].reset_index(drop=True)).values,
        "counterpart": counterpart, "replied_at": replied,
        "rule": _join_text(h["rule"], r["rule"]).values,
        "reason": _join_text(h["reason"], r["reason"]).values,
    })
    frames["requests.csv"] = _order(out, "started_at", descending=True)

    # introductions
    intro = ws.introductions()
    urls = everyone["profile_url"]
    outcome = _label_map(stored, "outcome")
    subjects = intro["introduction_id"].astype("int64").astype(str)
    labels = outcome.reindex(subjects)
    out = pd.DataFrame({
        "requester_url": intro["requester_key"].map(urls).values,
        "requester_name": intro["requester_name"].values,
        "target_url": intro["target_key"].map(urls).values,
        "target_name": intro["target_name"].values,
        "requested_on": _day(intro["requested_on"]).values,
        "outcome": labels["value"].values,
        "resolved_on": _day(intro["resolved_on"]).values,
        "source": labels["source"].values,
        "rule": labels["rule"].fillna(pd.Series(intro["rule"].values, index=labels.index)).values,
        "reason": labels["reason"].values,
    })
    frames["introductions.csv"] = _order(out, "requested_on", descending=True)
    return frames


def _order(frame: pd.DataFrame, by: str, descending: bool = False) -> pd.DataFrame:
    """Rows to review first (suggested), then those to fill in, then the settled ones."""
    frame = frame.astype(object)
    rank = frame["source"].fillna("").map(_SOURCE_ORDER)
    key = frame[by].fillna("").astype(str)
    order = pd.DataFrame({"rank": rank, "key": key}).sort_values(
        ["rank", "key"], ascending=[True, not descending], kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def export_labels(ws: Workspace, folder: str | Path) -> dict:
    """Write the four label CSVs into ``folder`` (UTF-8 with BOM, spreadsheet-safe cells):
    every label the workspace holds and every row still waiting for one (empty value).
    The files name clients, so they are owner-only, and each is written whole or not at all.
    Returns a summary per file."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    summary: dict = {"dir": str(folder), "files": {}}
    for name, frame in _export_frames(ws).items():
        spec = LABEL_FILES[name]
        frame = frame[spec["columns"] + _EXTRA[name]]
        labelled = frame[list(spec["values"])].notna().any(axis=1)
        safe = spreadsheet_safe_frame(frame.astype(object).where(frame.notna(), None))
        write_atomic(folder / name, "\ufeff" + safe.to_csv(index=False, lineterminator="\r\n"))
        summary["files"][name] = {
            "rows": int(len(frame)), "labelled": int(labelled.sum()),
            "to_fill": int((~labelled).sum()),
            "suggested": int((frame["source"] == "suggested").sum()),
        }
    return summary


# ---------------------------------------------------------------------- reading CSVs
def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_rows(path: Path, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header (folded names) and ``(line, row)`` pairs of a label CSV; any of ``, ; tab``
    as delimiter, BOM or not, cells trimmed and spreadsheet protection removed."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BadLabelsError(f"cannot read the file ({error.strerror})", file=name,
                             what_to_do="check the path") from None
    text = _decode(raw, name)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BadLabelsError("the file is empty", file=name, line=1,
                             what_to_do="export the labels again with 'adviser-analytics labels export DIR'") from None
    header = [re.sub(r"[\s-]+", "_", h.replace("\ufeff", "").strip().lower()) for h in header]
    rows: list[tuple[int, dict]] = []
    previous = reader.line_num
    try:
        for cells in reader:
            line = previous + 1
            previous = reader.line_num
            cells = [spreadsheet_unprotect(c.strip()) for c in cells]
            if not any(cells):
                continue
            rows.append((line, dict(zip(header, cells, strict=False))))
    except csv.Error as error:
        raise BadLabelsError(f"the file is not a readable CSV ({error})", file=name,
                             line=previous + 1,
                             what_to_do="save it again as CSV (UTF-8) from your spreadsheet") from None
    return header, rows


def _kind_of_file(header: list[str], path: Path) -> str | None:
    for name, spec in LABEL_FILES.items():
        if all(v in header for v in spec["values"]):
            return name
    stem = path.name.lower()
    return stem if stem in LABEL_FILES else None


_NEEDS = {
    "people.csv": [("relationship",), ("profile_url", "name")],
    "invitations.csv": [("decision",), ("direction",), ("sent_at",), ("profile_url", "name")],
    "requests.csv": [("handling",), ("referral",), ("conversation_id",), ("started_at",)],
    "introductions.csv": [("outcome",), ("requested_on",), ("requester_url", "requester_name"),
                          ("target_url", "target_name")],
}


_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%b-%y", "%d %b %Y", "%Y/%m/%d %H:%M:%S",
                 "%Y/%m/%d")


def _parse_when(text: str) -> dt.datetime | None:
    """An ISO 8601 date or time (or a date a spreadsheet rewrote) in UTC; None if not one."""
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        when = None
        for fmt in _DATE_FORMATS:
            try:
                when = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if when is None:
            return None
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


@dataclass
class _Cell:
    kind: str
    subject: str
    value: str
    source: str | None
    file: str
    line: int


@dataclass
class _FileResult:
    rows: int = 0
    cells: list = field(default_factory=list)
    empty: int = 0
    unmatched: list = field(default_factory=list)
    resolved: list = field(default_factory=list)  # (introduction_id, date)


class _Index:
    """Keys of the workspace's subjects, for matching rows of the label files."""

    def __init__(self, ws: Workspace, stored: pd.DataFrame):
        people = ws.people()
        owner = ws.owner.key
        self.person_by_url: dict[str, str] = {}
        self.person_by_name: dict[str, list[str]] = {}
        url_of: dict[str, str] = {}
        for key, name, url in people[["person_key", "name", "profile_url"]].astype(object) \
                .itertuples(index=False):
            if key == owner:
                continue
            if isinstance(url, str):
                self.person_by_url[url] = key
                url_of[key] = url
            if key.startswith("https://"):
                self.person_by_url[key] = key
            if isinstance(name, str) and name_key(name):
                self.person_by_name.setdefault(name_key(name), []).append(key)
        for key in stored.loc[stored["kind"] == "relationship", "subject"]:
            if key.startswith("name:"):
                self.person_by_name.setdefault(key[5:], [])
                if key not in self.person_by_name[key[5:]]:
                    self.person_by_name[key[5:]].append(key)
            elif key.startswith("https://"):
                self.person_by_url.setdefault(key, key)
        # invitations: (direction, ("u", url) | ("n", name key), day) -> ids
        self.invitations: dict[tuple, list[str]] = {}
        inv = ws.invitations()
        for iid, direction, url, name, sent in zip(
                inv["invitation_id"], inv["direction"], inv["profile_url"].astype(object),
                inv["name"].astype(object), inv["sent_at"].dt.strftime("%Y-%m-%d"), strict=True):
            if isinstance(url, str):
                self.invitations.setdefault((direction, ("u", url), sent), []).append(str(iid))
            if isinstance(name, str):
                self.invitations.setdefault((direction, ("n", name_key(name)), sent),
                                            []).append(str(iid))
        # requests: episode keys and request keys that carry labels
        self.requests = set(find_requests(ws.messages(content=False))["request_key"].astype(str))
        self.requests |= set(stored.loc[stored["kind"].isin(["handling", "referral"]), "subject"])
        # introductions: (requester ref, target ref, day) -> ids; refs by URL and by name
        self.introductions: dict[tuple, list[tuple[str, object]]] = {}
        intro = ws.introductions()
        for iid, rkey, rname, tkey, tname, day, resolved in zip(
                intro["introduction_id"], intro["requester_key"].astype(object),
                intro["requester_name"].astype(object), intro["target_key"].astype(object),
                intro["target_name"].astype(object), _day(intro["requested_on"]),
                _day(intro["resolved_on"]).astype(object), strict=True):
            rrefs = self._refs(rkey, rname, url_of)
            trefs = self._refs(tkey, tname, url_of)
            for r in rrefs:
                for t in trefs:
                    self.introductions.setdefault((r, t, day), []).append(
                        (str(iid), resolved if isinstance(resolved, str) else None))

    @staticmethod
    def _refs(key, name, url_of) -> list[tuple[str, str]]:
        refs = []
        if isinstance(key, str):
            url = url_of.get(key) or (key if key.startswith("https://") else None)
            if url:
                refs.append(("u", url))
            if key.startswith("name:"):
                refs.append(("n", key[5:]))
        if isinstance(name, str) and name_key(name):
            refs.append(("n", name_key(name)))
        return list(dict.fromkeys(refs))

    def person(self, url: str, name: str) -> tuple[str | None, str]:
        if url:
            key = self.person_by_url.get(normalise_url(url) or "")
            return key, "" if key else "no person with this profile URL"
        keys = self.person_by_name.get(name_key(name) or "", [])
        if len(keys) == 1:
            return keys[0], ""
        preferred = [k for k in keys if k == f"name:{name_key(name)}"]
        if len(preferred) == 1:
            return preferred[0], ""
        if keys:
            return None, f"{len(keys)} people have this name: add the profile URL"
        return None, "no person with this name" if name else "no profile URL or name"

    @staticmethod
    def ref(url: str, name: str) -> tuple[str, str] | None:
        if url:
            normalised = normalise_url(url)
            return ("u", normalised) if normalised else None
        folded = name_key(name)
        return ("n", folded) if folded else None


def _value_cell(kind: str, raw: str, name: str, line: int, column: str) -> str | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value not in VOCABULARY[kind]:
        raise BadLabelsError(
            f"{raw!r} in column {column} is not a {kind}", file=name, line=line,
            what_to_do=f"use one of: {_allowed(kind)} (or leave the cell empty); nothing was imported")
    return value


def _source_cell(row: dict, name: str, line: int) -> str | None:
    source = (row.get("source") or "").strip().lower()
    if source and source not in SOURCE_RANK:
        raise BadLabelsError(
            f"{row.get('source')!r} in column source is not a label source", file=name,
            line=line, what_to_do=f"use one of: {', '.join(SOURCES)} (or leave it empty, which "
            "means confirmed); nothing was imported")
    return source or None


def _date_cell(row: dict, column: str, name: str, line: int, required: bool = True):
    text = row.get(column) or ""
    if not text.strip():
        if required:
            raise BadLabelsError(f"the {column} cell is empty", file=name, line=line,
                                 what_to_do=f"keep {column} as it was exported (ISO 8601, e.g. "
                                 "2026-02-03T10:15:00Z); nothing was imported")
        return None
    stamp = _parse_when(text)
    if stamp is None:
        raise BadLabelsError(f"{text!r} in column {column} is not a date", file=name, line=line,
                             what_to_do="write dates as ISO 8601 (e.g. 2026-02-03 or "
                             "2026-02-03T10:15:00Z), as exported; nothing was imported")
    return stamp


def _describe(row: dict, columns: list[str]) -> str:
    return ", ".join(f"{c}={row.get(c, '')}" for c in columns if row.get(c))[:160]


def _parse_file(path: Path, index: _Index, display: str) -> tuple[str, _FileResult]:
    header, rows = _read_rows(path, display)
    kind_file = _kind_of_file(header, path)
    if kind_file is None:
        raise BadLabelsError(
            "this is not one of the label files (no relationship, decision, handling/referral "
            "or outcome column)", file=display, line=1,
            what_to_do="import people.csv, invitations.csv, requests.csv or introductions.csv as "
            "written by 'adviser-analytics labels export'")
    for need in _NEEDS[kind_file]:
        if not any(c in header for c in need):
            raise BadLabelsError(
                f"the header has no {' or '.join(need)} column", file=display, line=1,
                what_to_do=f"keep the exported columns: {', '.join(LABEL_FILES[kind_file]['columns'])}")
    result = _FileResult(rows=len(rows))
    columns = LABEL_FILES[kind_file]["columns"]
    for line, row in rows:
        source = _source_cell(row, display, line)
        if kind_file == "people.csv":
            value = _value_cell("relationship", row.get("relationship", ""), display, line,
                                "relationship")
            if value is None:
                result.empty += 1
                continue
            key, why = index.person(row.get("profile_url", ""), row.get("name", ""))
            if key is None:
                result.unmatched.append({"line": line, "row": _describe(row, columns), "why": why})
                continue
            result.cells.append(_Cell("relationship", key, value, source, display, line))
        elif kind_file == "invitations.csv":
            value = _value_cell("decision", row.get("decision", ""), display, line, "decision")
            if value is None:
                result.empty += 1
                continue
            sent = _date_cell(row, "sent_at", display, line)
            direction = (row.get("direction") or "").strip().lower()
            ref = index.ref(row.get("profile_url", ""), row.get("name", ""))
            ids = index.invitations.get((direction, ref, sent.strftime("%Y-%m-%d"))) if ref else None
            if not ids:
                result.unmatched.append({"line": line, "row": _describe(row, columns),
                                         "why": "no invitation of this person on this day"})
                continue
            for iid in dict.fromkeys(ids):
                result.cells.append(_Cell("decision", iid, value, source, display, line))
        elif kind_file == "requests.csv":
            values = [(k, _value_cell(k, row.get(k, ""), display, line, k))
                      for k in ("handling", "referral")]
            values = [(k, v) for k, v in values if v is not None]
            if not values:
                result.empty += 1
                continue
            started = _date_cell(row, "started_at", display, line)
            key = f"{(row.get('conversation_id') or '').strip()}|{started:%Y-%m-%dT%H:%M:%SZ}"
            if key not in index.requests:
                result.unmatched.append({"line": line, "row": _describe(row, columns),
                                         "why": "no request in this conversation starting at "
                                                "this second"})
                continue
            for k, v in values:
                result.cells.append(_Cell(k, key, v, source, display, line))
        else:
            value = _value_cell("outcome", row.get("outcome", ""), display, line, "outcome")
            resolved = _date_cell(row, "resolved_on", display, line, required=False)
            if value is None and resolved is None:
                result.empty += 1
                continue
            day = _date_cell(row, "requested_on", display, line).strftime("%Y-%m-%d")
            requester = index.ref(row.get("requester_url", ""), row.get("requester_name", ""))
            target = index.ref(row.get("target_url", ""), row.get("target_name", ""))
            found = index.introductions.get((requester, target, day)) if requester and target else None
            if not found:
                result.unmatched.append({"line": line, "row": _describe(row, columns),
                                         "why": "no introduction request of this requester for "
                                                "this target on this day"})
                continue
            for iid, stored_resolved in dict.fromkeys(found):
                if value is not None:
                    result.cells.append(_Cell("outcome", iid, value, source, display, line))
                if resolved is not None and resolved.strftime("%Y-%m-%d") != stored_resolved:
                    result.resolved.append((iid, resolved.strftime("%Y-%m-%d")))
    return kind_file, result


def _label_files(path: Path) -> list[Path]:
    if path.is_dir():
        found = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
        files = [found[name] for name in LABEL_FILES if name in found]
        if not files:
            raise BadLabelsError("the folder holds none of the label files", file=str(path),
                                 what_to_do=f"put {', '.join(LABEL_FILES)} there (as written by "
                                 "'adviser-analytics labels export'), or give one file")
        return files
    if not path.is_file():
        raise BadLabelsError("no such file or folder", file=str(path),
                             what_to_do="give a label CSV, or the folder you exported them to")
    return [path]


def import_labels(ws: Workspace, path: str | Path) -> dict:
    """Read label CSVs (one file, or a folder holding the four) and confirm what the adviser
    wrote: a value that differs from the stored one, or whose ``source`` is ``confirmed`` or
    empty, becomes ``confirmed``; an identical row changes nothing; an empty cell says
    nothing. All or nothing: any bad value refuses the whole import (file, line, allowed
    values). Rows that match nothing are reported."""
    path = Path(path)
    files = _label_files(path)
    stored = _stored(ws)
    index = _Index(ws, stored)
    parsed: list[tuple[str, _FileResult]] = []
    seen: dict[tuple[str, str], _Cell] = {}
    for file in files:
        kind_file, result = _parse_file(file, index, file.name if path.is_dir() else str(file))
        for cell in result.cells:
            earlier = seen.get((cell.kind, cell.subject))
            if earlier and earlier.value != cell.value:
                raise BadLabelsError(
                    f"this row gives {cell.kind} {cell.value!r}, but line {earlier.line}"
                    f"{'' if earlier.file == cell.file else ' of ' + earlier.file} gives "
                    f"{earlier.value!r} for the same {cell.kind}", file=cell.file, line=cell.line,
                    what_to_do="keep one of the two rows; nothing was imported")
            seen[(cell.kind, cell.subject)] = cell
        parsed.append((kind_file, result))

    current = {(k, s): (v, src) for k, s, v, src in
               stored[["kind", "subject", "value", "source"]].itertuples(index=False)}
    summary: dict = {"files": {}, "confirmed": 0, "unchanged": 0, "unmatched": 0}
    writes = []
    resolved_updates = []
    for kind_file, result in parsed:
        confirmed = unchanged = 0
        counted_lines: set[int] = set()
        for cell in result.cells:
            key = (cell.kind, cell.subject)
            old_value, old_source = current.get(key, (None, None))
            if old_value == cell.value and (old_source == "confirmed"
                                            or cell.source in ("inferred", "suggested")):
                unchanged += cell.line not in counted_lines
            else:
                writes.append({"kind": cell.kind, "subject": cell.subject, "value": cell.value,
                               "rule": None, "reason": f"you, in {Path(cell.file).name}"})
                confirmed += 1
            counted_lines.add(cell.line)
        resolved_updates += result.resolved
        summary["files"][kind_file] = {
            "rows": result.rows, "confirmed": confirmed, "unchanged": unchanged,
            "empty": result.empty, "unmatched": len(result.unmatched),
            "unmatched_lines": result.unmatched[:5],
            "resolved_on_updated": len(dict.fromkeys(result.resolved)),
        }
        summary["confirmed"] += confirmed
        summary["unchanged"] += unchanged
        summary["unmatched"] += len(result.unmatched)
    with _unit(ws):
        if writes:
            frame = pd.DataFrame(writes)
            frame["source"] = "confirmed"
            _write(ws, frame[_LABEL_COLUMNS], protect="rank")
        if resolved_updates:
            ws.db.executemany("UPDATE introductions SET resolved_on = ? WHERE introduction_id = ?",
                              [(day, int(iid)) for iid, day in dict.fromkeys(resolved_updates)])
    return summary
