"""Introduction requests: inbound messages in which someone asks the adviser to introduce
them to a named person (an ``introduction`` rule), the name read after the rule's words and
matched to a person the workspace knows when exactly one has that name.

A request that names no contact but an organisation ("could you put me in touch with someone
at Northwind") is recorded too, with the target to identify: ``target_name`` "someone at
Northwind" and no ``target_key`` (:data:`TO_IDENTIFY` is how it is shown).
"""

from __future__ import annotations

import re

import pandas as pd

from adviser_analytics.labels.inference import WorkspaceData
from adviser_analytics.labels.rules import Rules, first_rule
from adviser_analytics.labels.store import iso_day
from adviser_analytics.people import name_keys
from adviser_analytics.store import Workspace, erasure
from adviser_analytics.store import labels as sql

_PARTICLES = frozenset({"de", "del", "della", "der", "den", "di", "du", "da", "dos", "van",
                        "von", "le", "la", "bin", "ibn", "al", "el", "y", "ter", "ten"})
_EDGE = "\"“”‘’'()[]<>*_"
TO_IDENTIFY = "someone to identify"
# "someone at Northwind", "anyone from Acme Bank", "a contact at People": the organisation is
# the capitalised words after at/from/in
_SOMEONE = re.compile(
    r"(?<!\w)(?i:someone|somebody|anyone|anybody|a contact|a person|people|a recruiter|"
    r"an alumn\w*|a graduate|someone who works)\s+(?i:at|from|in|with)\s+"
    r"(?P<org>[A-Z][\w&'’-]*(?:[ \t]+(?:&[ \t]+)?[A-Z][\w&'’-]*){0,4})")


def _name_after(tail: object) -> str | None:
    """The capitalised name at the start of ``tail`` ("Zoë Brontë-Ngata? I'd love ..." ->
    "Zoë Brontë-Ngata"), or ``None`` when the phrase is not followed by a name."""
    if not isinstance(tail, str):
        return None
    out: list[str] = []
    for raw in tail.split()[:6]:
        word = raw.strip(_EDGE)
        initial = re.fullmatch(r"[A-ZÀ-Þ]\.", word) is not None  # "Verity J. Hale"
        stop = (bool(re.search(r"[,.;:!?]$", word)) and not initial) \
            or raw.endswith(tuple(_EDGE[1:]))
        word = word if initial else word.rstrip(",.;:!?").strip(_EDGE)
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


def introductions_by_rules(d: WorkspaceData, rules: Rules) -> tuple[pd.DataFrame, dict]:
    """Introduction requests in inbound messages: one record per message and named target."""
    columns = ["requester_key", "target_key", "target_name", "requested_on", "conversation_id",
               "message_id", "rule", "words"]
    stats = {"found": 0, "without_name": 0, "target_matched": 0, "to_identify": 0}
    inbound = d.messages[d.messages["direction"].eq("inbound") & d.messages["content"].notna()]
    family = rules.family("introduction")
    if len(inbound) == 0 or not family:
        return pd.DataFrame(columns=columns), stats
    hits = first_rule(inbound["content"], family)
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
    # no contact named: the organisation they asked about, the person to identify
    unnamed = found["target_name"].isna()
    if unnamed.any():
        org = found.loc[unnamed, "content"].astype(str).str.extract(_SOMEONE)["org"]
        org = org.str.rstrip(".’'")
        found.loc[unnamed, "target_name"] = ("someone at " + org).where(org.notna())
    stats["found"] = int(len(found))
    stats["without_name"] = int(unnamed.sum())
    stats["to_identify"] = int(found.loc[unnamed, "target_name"].notna().sum())
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
    # (a target to identify is never matched to a person: "someone at ..." names nobody)
    words = found["target_name"].where(~found["target_name"].str.startswith("someone at "),
                                       "").str.split()
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
    found["requested_on"] = iso_day(found["sent_at"])
    found = found.drop_duplicates(["requester_key", "target_name", "requested_on"])
    return found[columns].reset_index(drop=True), stats


def _tail_after(regex: re.Pattern | None, text: str) -> str | None:
    if regex is None or not isinstance(text, str):
        return None
    match = regex.search(text)
    return text[match.end():match.end() + 120] if match else None


def sync_introductions(ws: Workspace, found: pd.DataFrame) -> dict:
    """Record the introduction requests the rules found; drop rule-made records the rules no
    longer find, unless the adviser has labelled them."""
    counts = {"added": 0, "removed": 0}
    if len(found):  # nobody erased is named again, whoever's message asks for them
        found = found[~(erasure.erased_names(ws, found["target_name"])
                        | erasure.erased_keys(ws, found["target_key"]))]
    before = sql.count_introductions(ws)
    sql.merge_introductions(ws, found)
    counts["added"] = sql.count_introductions(ws) - before
    existing = sql.unlabelled_rule_introductions(ws)
    if len(existing):
        keep = found[["requester_key", "target_name", "requested_on"]].astype(object)
        stale = existing.merge(keep, how="left", indicator=True)
        stale = stale[stale["_merge"] == "left_only"]
        if len(stale):
            sql.delete_introductions(ws, stale["introduction_id"])
            counts["removed"] = len(stale)
    return counts
