"""The label files: four CSVs the adviser reviews in a spreadsheet (``labels export``) and
hands back (``labels import``).

Export writes every label the workspace holds and every row still waiting for one, rows to
review first; UTF-8 with BOM, spreadsheet-safe cells, owner-only, each file whole or not at
all. Import reads what the adviser wrote (any of ``, ; tab``, BOM or not, dates a
spreadsheet rewrote) and confirms it: all or nothing, a bad cell named by file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adviser_analytics.errors import BadLabelsError
from adviser_analytics.files import write_atomic
from adviser_analytics.labels.store import (
    LABEL_COLUMNS,
    SOURCE_RANK,
    SOURCES,
    VOCABULARY,
    allowed_values,
    iso_day,
    stored_labels,
    unit,
    write_labels,
)
from adviser_analytics.metrics.episodes import requests as find_requests
from adviser_analytics.people import name_key, normalise_url
from adviser_analytics.store import Workspace
from adviser_analytics.store import labels as sql
from adviser_analytics.textsafety import spreadsheet_safe_frame, spreadsheet_unprotect

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
    stored = stored_labels(ws)
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
        "requested_on": iso_day(intro["requested_on"]).values,
        "outcome": labels["value"].values,
        "resolved_on": iso_day(intro["resolved_on"]).values,
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
    by_hand: list = field(default_factory=list)  # introductions the adviser records by hand


class _Index:
    """Keys of the workspace's subjects, for matching rows of the label files."""

    def __init__(self, ws: Workspace, stored: pd.DataFrame):
        people = ws.people()
        owner = ws.owner.key
        self.person_by_url: dict[str, str] = {}
        self.person_by_name: dict[str, list[str]] = {}
        self.name_of: dict[str, str] = {}
        url_of: dict[str, str] = {}
        for key, name, url in people[["person_key", "name", "profile_url"]].astype(object) \
                .itertuples(index=False):
            if key == owner:
                continue
            if isinstance(name, str):
                self.name_of[key] = name
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
                intro["target_name"].astype(object), iso_day(intro["requested_on"]),
                iso_day(intro["resolved_on"]).astype(object), strict=True):
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
            what_to_do=f"use one of: {allowed_values(kind)} (or leave the cell empty); nothing was imported")
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
            day = _date_cell(row, "requested_on", display, line).strftime("%Y-%m-%d")
            requester = index.ref(row.get("requester_url", ""), row.get("requester_name", ""))
            target = index.ref(row.get("target_url", ""), row.get("target_name", ""))
            found = index.introductions.get((requester, target, day)) if requester and target else None
            if not found:
                # a request the adviser records by hand (asked in person, by e-mail, or missed
                # by the rules): the requester must be a known person; the target may be a
                # known person or just a name (contract.md, Label files)
                hand, why = _by_hand(row, index, day, value, resolved, line)
                if hand is None:
                    result.unmatched.append({"line": line, "row": _describe(row, columns),
                                             "why": why})
                else:
                    result.by_hand.append(hand)
                continue
            if value is None and resolved is None:
                result.empty += 1
                continue
            for iid, stored_resolved in dict.fromkeys(found):
                if value is not None:
                    result.cells.append(_Cell("outcome", iid, value, source, display, line))
                if resolved is not None and resolved.strftime("%Y-%m-%d") != stored_resolved:
                    result.resolved.append((iid, resolved.strftime("%Y-%m-%d")))
    return kind_file, result


def _by_hand(row: dict, index: _Index, day: str, value: str | None, resolved, line: int
             ) -> tuple[dict | None, str]:
    """An introductions.csv row that matches no stored introduction, as one to record by
    hand (``None`` and why not when its requester is not a known person or no target)."""
    requester, why = index.person((row.get("requester_url") or "").strip(),
                                  (row.get("requester_name") or "").strip())
    if requester is None:
        return None, ("no introduction request of this requester for this target on this day, "
                      f"and the requester is not someone you know ({why}): check the "
                      "requester's profile URL or name")
    target_url = (row.get("target_url") or "").strip()
    target_name = " ".join((row.get("target_name") or "").split())
    target = None
    if target_url:
        target, why = index.person(target_url, "")
        if target is None and not target_name:
            return None, f"the target is not someone you know ({why}): add the target's name"
    elif target_name:
        target, _ = index.person("", target_name)  # a name only: a person if exactly one
    if not target_name:
        target_name = index.name_of.get(target or "", "")
    if not target_name:
        return None, "no target: give the target's name or profile URL"
    return {"requester_key": requester, "target_key": target, "target_name": target_name,
            "requested_on": day, "outcome": value,
            "resolved_on": resolved.strftime("%Y-%m-%d") if resolved is not None else None,
            "line": line}, ""


def _record_by_hand(ws: Workspace, rows: list[dict], file: str) -> int:
    """Record introductions written by hand in introductions.csv (no rule, no message) and
    their outcome as ``confirmed``. Returns how many were new."""
    if not rows:
        return 0
    frame = pd.DataFrame(rows).drop_duplicates(["requester_key", "target_name", "requested_on"],
                                               keep="last")
    before = sql.count_introductions(ws)
    sql.merge_introductions(ws, frame.assign(conversation_id=None, message_id=None, rule=None))
    added = sql.count_introductions(ws) - before
    stored = ws.introductions()
    stored["day"] = stored["requested_on"].dt.strftime("%Y-%m-%d")
    ids = frame.merge(stored[["introduction_id", "requester_key", "target_name", "day"]]
                      .astype({"requester_key": object}),
                      left_on=["requester_key", "target_name", "requested_on"],
                      right_on=["requester_key", "target_name", "day"])
    outcomes = ids[ids["outcome"].notna()]
    if len(outcomes):
        write_labels(ws, pd.DataFrame({
            "kind": "outcome", "subject": outcomes["introduction_id"].astype("int64").astype(str),
            "value": outcomes["outcome"], "source": "confirmed", "rule": None,
            "reason": f"you, in {Path(file).name} (recorded by hand)"})[LABEL_COLUMNS],
            protect="rank")
    resolved = ids[ids["resolved_on"].notna()]
    if len(resolved):
        sql.set_resolved_on(ws, zip(resolved["introduction_id"].astype(str),
                                    resolved["resolved_on"], strict=True))
    return added


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
    stored = stored_labels(ws)
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
    by_hand: list = []
    for file_result in parsed:
        kind_file, result = file_result
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
        hand = [(row, kind_file) for row in result.by_hand]
        by_hand += hand
        summary["files"][kind_file] = {
            "rows": result.rows, "confirmed": confirmed, "unchanged": unchanged,
            "recorded_by_hand": len(hand),
            "empty": result.empty, "unmatched": len(result.unmatched),
            "unmatched_lines": result.unmatched[:5],
            "resolved_on_updated": len(dict.fromkeys(result.resolved)),
        }
        summary["confirmed"] += confirmed
        summary["unchanged"] += unchanged
        summary["unmatched"] += len(result.unmatched)
    with unit(ws):
        if writes:
            frame = pd.DataFrame(writes)
            frame["source"] = "confirmed"
            write_labels(ws, frame[LABEL_COLUMNS], protect="rank")
        if resolved_updates:
            sql.set_resolved_on(ws, dict.fromkeys(resolved_updates))
        summary["recorded_by_hand"] = 0
        for file in dict.fromkeys(f for _, f in by_hand):
            summary["recorded_by_hand"] += _record_by_hand(
                ws, [row for row, f in by_hand if f == file], file)
    return summary
