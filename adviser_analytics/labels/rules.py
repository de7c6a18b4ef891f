"""The rules language: ``rules.yaml`` read and checked, and rules run over texts.

A rule names words or patterns to look for (whole words, any case unless ``case_sensitive``),
with ``unless`` and ``also`` phrases that veto or require; families are ``relationship``,
``referral``, ``explain``, ``introduction`` and ``acknowledgement`` (see the comments at the top of the shipped
``rules.yaml``). The shipped rules can be copied into the workspace for the adviser to edit
(:func:`copy_default_rules`); :func:`rules_for` prefers that copy.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.labels.store import VOCABULARY
from adviser_analytics.policy import NO_REPLY_NEEDED
from adviser_analytics.store import Workspace

__all__ = [
    "RULES_FILE", "Rule", "Rules", "load_rules", "rules_for", "default_rules_path",
    "workspace_rules_path", "copy_default_rules", "matches", "first_rule", "clip",
    "acknowledgements", "link_regex",
]

RULES_FILE = "rules.yaml"

_FAMILIES = ("relationship", "referral", "explain", "introduction", "acknowledgement")
_RULE_KEYS = {
    "relationship": {"name", "value", "fields", "words", "patterns", "unless", "also",
                     "requires", "owner_institution", "case_sensitive", "notes"},
    "referral": {"name", "value", "words", "patterns", "unless", "also", "case_sensitive",
                 "service_links", "notes"},
    "explain": {"name", "value", "words", "patterns", "unless", "also", "case_sensitive",
                "notes"},
    "introduction": {"name", "words", "patterns", "unless", "also", "case_sensitive", "notes"},
    "acknowledgement": {"name", "value", "words", "patterns", "filler", "unless",
                        "case_sensitive", "notes"},
}
ACK_MAX_CHARS = 200  # a longer message is never only an acknowledgement
_FIELDS = ("position", "company", "invitation", "messages")
_REQUIRABLE = ("position", "company")


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
    filler: tuple[str, ...] = ()
    service_links: bool = False

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
            if family == "referral" and entry.get("service_links") and value is None:
                value = None  # each link gives its own kind (service.links)
            elif family in ("relationship", "referral"):
                vocabulary = VOCABULARY[family]
                if value is None or str(value).strip().lower() not in vocabulary:
                    fail(f"{name}: value {value!r} is not a {family}",
                         f"use one of: {', '.join(vocabulary)}")
                value = str(value).strip().lower()
            elif family == "explain":
                if value is not None and str(value).strip().lower() != "explain":
                    fail(f"{name}: explain rules suggest the handling 'explain' only")
                value = "explain"
            elif family == "acknowledgement":
                if value is not None and str(value).strip().lower() != NO_REPLY_NEEDED:
                    fail(f"{name}: acknowledgement rules suggest the handling "
                         f"'{NO_REPLY_NEEDED}' only")
                value = NO_REPLY_NEEDED
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
                filler=_str_list(entry.get("filler"), "filler", fail),
                service_links=bool(entry.get("service_links", False)),
            )
            if not (rule.words or rule.patterns or rule.owner_institution
                    or rule.service_links):
                fail(f"{name}: the rule has no words or patterns to look for")
            for pattern in rule.patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    fail(f"{name}: the pattern {pattern!r} is not a valid regular expression ({error})",
                         "fix the pattern, or write it as words instead")
            rules.append(rule)
    return Rules(tuple(rules), file)


def matches(texts: pd.Series, rule: Rule, institution: str | None = None) -> pd.Series:
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


def clip(words: object, limit: int = 60) -> str:
    text = " ".join(str(words).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_regex(url: str) -> str:
    """A regex for one of the service's web addresses, written with or without ``https://``
    and ``www.``, followed by anything but more of the path ("/events" does not match
    "/events-archive"; "/events?week=3" and "/events/" do)."""
    bare = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE)
    bare = re.sub(r"^www\.", "", bare, flags=re.IGNORECASE).rstrip("/")
    return r"(?<![\w./-])(?:https?://)?(?:www\.)?" + re.escape(bare) + r"(?![\w-])(?!\.\w)"


def _expanded(rules: list[Rule], links: dict | None) -> list[Rule]:
    """``service_links`` rules become one rule per referral kind of the policy's links
    (``service.links``); with no links they look for nothing."""
    out: list[Rule] = []
    for rule in rules:
        if not rule.service_links:
            out.append(rule)
            continue
        for kind, urls in (links or {}).items():
            urls = tuple(u for u in (urls if not isinstance(urls, str) else (urls,)) if u)
            if urls:
                out.append(Rule(family=rule.family, name=rule.name, value=kind,
                                patterns=tuple(link_regex(u) for u in urls),
                                unless=rule.unless, also=rule.also, line=rule.line))
    return out


def first_rule(texts: pd.Series, rules: list[Rule], institution: str | None = None,
               links: dict | None = None) -> pd.DataFrame:
    """For each text, the first rule (file order) that matches: columns ``rule``, ``value``,
    ``words``, ``order`` (``<NA>`` where none matched). ``links``: the service's web
    addresses by referral kind (policy ``service.links``), for ``service_links`` rules."""
    out = pd.DataFrame({"rule": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "value": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "words": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "order": pd.Series(np.nan, index=texts.index)})
    for order, rule in enumerate(_expanded(rules, links)):
        todo = out["rule"].isna()
        if not todo.any():
            break
        found = matches(texts[todo], rule, institution)
        hit = found.notna()
        index = found.index[hit]
        out.loc[index, "rule"] = rule.name
        out.loc[index, "value"] = rule.value
        out.loc[index, "words"] = found[hit]
        out.loc[index, "order"] = order
    return out


_EMOJI = ("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF"
          "\u3030\u303D\u3297\u3299\uFE0F\u200D\U000E0020-\U000E007F]")


def acknowledgements(texts: pd.Series, rules: list[Rule], filler: tuple[str, ...] = ()
                     ) -> pd.DataFrame:
    """For each text, the first ``acknowledgement`` rule for which the *whole* text is an
    acknowledgement: nothing is left once the rule's words and patterns, its ``filler``
    (and ``filler`` given here, such as the adviser's first name), emoji and punctuation are
    taken out, and the rule's words, patterns or an emoji were there. ``unless`` phrases (a
    question mark, "could you") stop it. Columns as :func:`first_rule` (``words``: the text,
    shortened). Vectorised; texts over ``ACK_MAX_CHARS`` characters never match."""
    out = pd.DataFrame({"rule": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "value": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "words": pd.Series(pd.NA, index=texts.index, dtype=object),
                        "order": pd.Series(np.nan, index=texts.index)})
    if len(texts) == 0:
        return out
    text = texts.astype(object).where(texts.notna(), None)
    short = text.dropna().astype(str)
    short = short[short.str.len().le(ACK_MAX_CHARS) & short.str.strip().ne("")]
    for order, rule in enumerate(rules):
        todo = short[out.loc[short.index, "rule"].isna()]
        if len(todo) == 0:
            break
        # patterns first: "congratulations on the new role" before "congratulations"
        parts = [f"(?:{p})" for p in rule.patterns]
        parts += [_phrase_regex(w) for w in sorted(rule.words, key=len, reverse=True)]
        core = re.compile("(?:" + "|".join(parts) + ")", rule.flags) if parts else None
        extra = tuple(f for f in (*rule.filler, *filler) if f)
        fill = _alternation(extra, (), rule.flags, group=False)
        emoji = re.compile(_EMOJI)
        if core is None:
            continue
        unless = rule.unless_regex
        if unless is not None:
            todo = todo[~todo.str.contains(unless)]
        has = todo.str.contains(core)
        rest = todo.str.replace(core, " ", regex=True)
        if fill is not None:
            rest = rest.str.replace(fill, " ", regex=True)
        rest = rest.str.replace(emoji, " ", regex=True)
        only = has & ~rest.str.contains(r"\w", regex=True)
        index = only[only].index
        out.loc[index, "rule"] = rule.name
        out.loc[index, "value"] = rule.value
        out.loc[index, "words"] = todo[index].map(clip)
        out.loc[index, "order"] = order
    return out
