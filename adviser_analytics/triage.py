"""Triage: review suggestions and unlabelled items one at a time, a click per decision.

``TriageQueue(ws)`` lists, in this order:

1. items with a **suggestion** to confirm or correct (source ``suggested``): requests (the
   handling, with the referral), then invitations, then people; newest first;
2. **introduction requests** nobody has reviewed (no outcome yet), newest first;
3. **requests** and then **invitations** with no label at all, newest first.

Each :class:`TriageItem` carries a plain-text excerpt (the message, or the person's title
and company), the suggestion with its rule and reason, and the values allowed. A request is
one item whose values combine handling and referral (``refer: appointment``).

:meth:`TriageQueue.decide` stores the adviser's value as ``confirmed`` at once (one
transaction per click), :meth:`~TriageQueue.skip` moves on without saving, and
:meth:`~TriageQueue.undo` takes back the last click: a decision's labels are restored to
what ``label_history`` says they were before it (the rule and reason come back with them).
The notebook ``notebooks/triage.ipynb`` is only wiring around this class and
:func:`item_html`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adviser_analytics import labels as L
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.metrics.episodes import requests as find_requests
from adviser_analytics.textsafety import (
    html_text as safe_text,  # entities decoded once, then escaped
)
from adviser_analytics.workspace import DB_NAME, Workspace, default_path

EXCERPT_CHARS = 300
REQUEST_VALUES = ("answer", *(f"refer: {r}" for r in L.REFERRALS), "explain", "none",
                  "no_reply_needed")
# suggestions said in words (the value is still what a click stores)
_VALUE_WORDS = {"no_reply_needed": "no reply needed (an acknowledgement, not a request)"}
KIND_VALUES = {
    "relationship": L.VOCABULARY["relationship"],
    "decision": L.VOCABULARY["decision"],
    "request": REQUEST_VALUES,
    "outcome": L.VOCABULARY["outcome"],
}
_KIND_WORDS = {"relationship": "Who is this?", "decision": "Invitation",
               "request": "Request for help", "outcome": "Introduction request"}


@dataclass
class TriageItem:
    """One thing to decide. ``kind``: relationship, decision, request or outcome."""

    kind: str
    subject: str
    title: str
    excerpt: str
    suggestion: str | None = None
    source: str | None = None
    rule: str | None = None
    reason: str | None = None
    values: tuple[str, ...] = ()
    reply: str | None = None
    when: pd.Timestamp | None = None
    decided: str | None = None

    @property
    def heading(self) -> str:
        return _KIND_WORDS[self.kind]


@dataclass
class _Action:
    kind: str                       # "decide" or "skip"
    position: int
    # [(label kind, subject, the row before | None, the value written | None)]
    changed: list = field(default_factory=list)


def _clip(text: object, limit: int = EXCERPT_CHARS) -> str:
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _value(row) -> str | None:
    return row if isinstance(row, str) and row else None


class TriageQueue:
    """The items to review in a workspace (see the module docstring)."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.items: list[TriageItem] = []
        self.position = 0
        self.decided = 0
        self.skipped = 0
        self._actions: list[_Action] = []
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        ws = self.ws
        stored = L._stored(ws)
        by: dict[str, dict[str, dict]] = {kind: {} for kind in L.VOCABULARY}
        for row in stored.to_dict("records"):
            by[row["kind"]][row["subject"]] = row
        people_frame = ws.people().astype(object)
        names = dict(zip(people_frame["person_key"], people_frame["name"], strict=True))
        lines = {key: " — ".join(x for x in (_value(p), _value(c)) if x) for key, p, c in zip(
            people_frame["person_key"], people_frame["position"], people_frame["company"],
            strict=True)}
        messages = ws.messages()
        threads = L.reply_runs(messages)
        episodes = find_requests(messages)
        invitations = ws.invitations()
        invitations = invitations[invitations["direction"] == "incoming"].copy()
        invitations["subject"] = invitations["invitation_id"].astype("int64").astype(str)

        def person_line(key) -> str:
            return lines.get(key, "")

        # requests: the first inbound message with text, and the reply, of each episode
        inbound = threads[(threads["direction"] == "inbound") & threads["content"].notna()]
        inbound = inbound.drop_duplicates("request_key")
        asked = dict(zip(inbound["request_key"], inbound["content"], strict=True))
        first = threads[threads["reply_rank"] == 0]
        replies = dict(zip(first["request_key"], first["content"], strict=True))

        def request_item(row) -> TriageItem:
            key = row.request_key
            h = by["handling"].get(key)
            r = by["referral"].get(key)
            suggestion = None
            if h is not None:
                suggestion = h["value"]
                if h["value"] == "refer" and r is not None:
                    suggestion = f"refer: {r['value']}"
            sources = [x["source"] for x in (h, r) if x is not None]
            source = min(sources, key=L.SOURCE_RANK.get) if sources else None
            rules = [x["rule"] for x in (h, r) if x is not None and _value(x["rule"])]
            reasons = [x["reason"] for x in (h, r) if x is not None and _value(x["reason"])]
            who = _value(names.get(row.counterpart_key)) or "someone"
            return TriageItem(
                kind="request", subject=key,
                title=f"{who}, {row.started_at:%Y-%m-%d %H:%M}"
                      + ("" if pd.isna(row.replied_at) else f" (you replied {row.replied_at:%Y-%m-%d})"),
                excerpt=_clip(asked.get(key, "")) or "(no text: an attachment or a shared post)",
                reply=_clip(replies.get(key)) or None,
                suggestion=suggestion, source=source,
                rule="; ".join(dict.fromkeys(rules)) or None,
                reason="; ".join(dict.fromkeys(reasons)) or None,
                values=REQUEST_VALUES, when=row.started_at)

        def invitation_item(row) -> TriageItem:
            d = by["decision"].get(row.subject)
            about = person_line(row.person_key)
            excerpt = _clip(row.message) if _value(row.message) else about
            return TriageItem(
                kind="decision", subject=row.subject,
                title=f"{row.name or 'someone'} invited you on {row.sent_at:%Y-%m-%d}",
                excerpt=excerpt or "(no note, no title or company known)",
                reply=about if _value(row.message) and about else None,
                suggestion=None if d is None else d["value"],
                source=None if d is None else d["source"],
                rule=None if d is None else _value(d["rule"]),
                reason=None if d is None else _value(d["reason"]),
                values=KIND_VALUES["decision"], when=row.sent_at)

        suggested = stored[stored["source"] == "suggested"]
        subjects = {k: set(suggested.loc[suggested["kind"] == k, "subject"]) for k in L.VOCABULARY}
        request_keys = subjects["handling"] | subjects["referral"]
        first: list[TriageItem] = []
        ep = episodes[episodes["request_key"].isin(request_keys)]
        first += sorted((request_item(r) for r in ep.itertuples()), key=_newest)
        inv = invitations[invitations["subject"].isin(subjects["decision"])]
        first += sorted((invitation_item(r) for r in inv.itertuples()), key=_newest)
        rel = {k: row for k, row in by["relationship"].items() if row["source"] == "suggested"}
        for key, row in sorted(rel.items()):
            first.append(TriageItem(
                kind="relationship", subject=key,
                title=_value(names.get(key)) or key.removeprefix("name:"),
                excerpt=person_line(key) or "(no title or company known)",
                suggestion=row["value"], source=row["source"], rule=_value(row["rule"]),
                reason=_value(row["reason"]), values=KIND_VALUES["relationship"]))
        for key in sorted(subjects["outcome"]):
            row = by["outcome"][key]
            first.append(TriageItem(kind="outcome", subject=key, title=f"Introduction {key}",
                                    excerpt="", suggestion=row["value"], source="suggested",
                                    rule=_value(row["rule"]), reason=_value(row["reason"]),
                                    values=KIND_VALUES["outcome"]))

        intros = ws.introductions()
        intros = intros[intros["outcome"] == "unreviewed"]
        wanted = messages[messages["message_id"].isin(intros["message_id"].dropna())]
        texts = dict(zip(wanted["message_id"], wanted["content"], strict=True))
        second = []
        for row in intros.itertuples():
            text = texts.get(row.message_id) if pd.notna(row.message_id) else None
            second.append(TriageItem(
                kind="outcome", subject=str(row.introduction_id),
                title=f"{row.requester_name or 'someone'} asked to meet {row.target_name}"
                      f"{'' if _value(row.target_key) else f' ({L.TO_IDENTIFY})'} "
                      f"on {row.requested_on:%Y-%m-%d}",
                excerpt=_clip(text) or f"introduction to {row.target_name}",
                rule=_value(row.rule), reason="an introduction request nobody has reviewed yet",
                values=KIND_VALUES["outcome"], when=row.requested_on))
        second.sort(key=_newest)

        labelled = set(by["handling"])
        third = sorted((request_item(r) for r in
                        episodes[~episodes["request_key"].isin(labelled)].itertuples()),
                       key=_newest)
        undecided = invitations[~invitations["subject"].isin(list(by["decision"]))]
        third += sorted((invitation_item(r) for r in undecided.itertuples()), key=_newest)
        self.items = first + second + third

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    @property
    def current(self) -> TriageItem | None:
        return self.items[self.position] if self.position < len(self.items) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)

    def progress(self) -> dict:
        return {"position": min(self.position, len(self.items)), "total": len(self.items),
                "decided": self.decided, "skipped": self.skipped,
                "remaining": max(0, len(self.items) - self.position)}

    # ------------------------------------------------------------------ acting
    def decide(self, value: str) -> TriageItem | None:
        """Save ``value`` for the current item as confirmed (at once) and move on."""
        item = self.current
        if item is None:
            raise IndexError("nothing left to decide")
        value = value.strip().lower()
        if item.kind == "request":
            handling, _, referral = (part.strip() for part in value.partition(":"))
            L.check_value("handling", handling)
            if referral:
                if handling != "refer":
                    raise L.BadLabelsError(f"{value!r}: only 'refer' takes a referral",
                                           what_to_do=f"use one of: {', '.join(REQUEST_VALUES)}")
                L.check_value("referral", referral)
            writes = [("handling", handling)] + ([("referral", referral)] if referral else [])
        else:
            writes = [(item.kind, L.check_value(item.kind, value))]
        action = _Action("decide", self.position)
        with L._unit(self.ws):
            keys = [k for k, _ in writes]
            if item.kind == "request" and not any(k == "referral" for k in keys):
                keys.append("referral")
            before = L._stored(self.ws, keys)
            before = before[before["subject"] == item.subject].set_index("kind")
            written = dict(writes)
            for kind in keys:
                row = before.loc[kind].to_dict() if kind in before.index else None
                action.changed.append((kind, item.subject, row, written.get(kind)))
            frame = pd.DataFrame([{"kind": k, "subject": item.subject, "value": v, "rule": None,
                                   "reason": "you, in triage"} for k, v in writes])
            L.set_labels(self.ws, frame, "confirmed")
            if item.kind == "request" and handling != "refer" and "referral" in before.index:
                L.remove_label(self.ws, "referral", item.subject)  # not referred after all
        item.decided = value
        self._actions.append(action)
        self.decided += 1
        self.position += 1
        return self.current

    def skip(self) -> TriageItem | None:
        """Move on without saving anything."""
        if self.current is None:
            raise IndexError("nothing left to skip")
        self._actions.append(_Action("skip", self.position))
        self.skipped += 1
        self.position += 1
        return self.current

    def undo(self) -> TriageItem | None:
        """Take back the last decision or skip; returns the item it concerned (now current)."""
        if not self._actions:
            return None
        action = self._actions.pop()
        self.position = action.position
        item = self.items[action.position]
        if action.kind == "skip":
            self.skipped -= 1
            return item
        with L._unit(self.ws):
            for kind, subject, before, written in action.changed:
                self._restore(kind, subject, before, written)
        item.decided = None
        self.decided -= 1
        return item

    def _restore(self, kind: str, subject: str, before: dict | None, written: str | None) -> None:
        """Put back the label as ``label_history`` says it was before the decision being
        undone (with the rule and reason it had); a label changed since is left alone."""
        db = self.ws.db
        current = db.execute("SELECT value, source FROM labels WHERE kind = ? AND subject = ?",
                             (kind, subject)).fetchone()
        current = tuple(current) if current else None
        was = (before["value"], before["source"]) if before else None
        now = (written, "confirmed") if written else None
        if current != now or current == was:
            return  # changed since, or the decision changed nothing here
        last = db.execute(
            "SELECT old_value, old_source, new_value, new_source FROM label_history "
            "WHERE kind = ? AND subject = ? ORDER BY history_id DESC LIMIT 1",
            (kind, subject)).fetchone()
        if last is None or (last[2], last[3]) != (now or (None, None)):
            return
        value, source = last[0], last[1]
        if value is None:
            L.remove_label(self.ws, kind, subject)
            return
        same = was == (value, source)
        L._write(self.ws, pd.DataFrame([{
            "kind": kind, "subject": subject, "value": value, "source": source,
            "rule": before.get("rule") if same else None,
            "reason": before.get("reason") if same else None}]), protect="nothing")


def _newest(item: TriageItem):
    when = item.when
    return -(when.value if isinstance(when, pd.Timestamp) and not pd.isna(when) else 0)


def item_html(item: TriageItem | None, progress: dict | None = None) -> str:
    """The item as a small HTML block (every piece of export text escaped)."""
    if item is None:
        return "<p><b>Nothing left to review.</b></p>"
    parts = [f"<h4>{safe_text(item.heading)}: {safe_text(item.title)}</h4>"]
    if progress:
        parts.append(f"<p><small>{progress['position'] + 1} of {progress['total']} · "
                     f"{progress['decided']} decided, {progress['skipped']} skipped</small></p>")
    parts.append(f"<blockquote>{safe_text(item.excerpt)}</blockquote>")
    if item.reply:
        label = "Your reply" if item.kind == "request" else "About them"
        parts.append(f"<p><b>{label}:</b> {safe_text(item.reply)}</p>")
    if item.suggestion:
        why = " — ".join(x for x in (item.rule, item.reason) if x)
        said = _VALUE_WORDS.get(item.suggestion, item.suggestion)
        parts.append(f"<p><b>Suggested:</b> {safe_text(said)} "
                     f"<small>({safe_text(item.source or '')}"
                     f"{': ' + safe_text(why) if why else ''})</small></p>")
    elif item.reason:
        parts.append(f"<p><small>{safe_text(item.reason)}</small></p>")
    return "\n".join(parts)


def open_workspace(workspace: str | Path | None) -> tuple[Workspace | None, str]:
    """Open the workspace a notebook was given (``""``/``None``: ``$ADVISER_ANALYTICS_WORKSPACE``,
    else ``./workspace``; a relative path is also tried from the parent folder, since
    notebooks run in ``notebooks/``). Returns the workspace, or ``None`` and what to do."""
    path = Path(workspace) if workspace else default_path()
    candidates = [path] if path.is_absolute() else [path, Path("..") / path]
    for candidate in candidates:
        if not (candidate / DB_NAME).is_file():
            continue
        try:
            return Workspace.open(candidate), f"workspace: {candidate}"
        except AdviserAnalyticsError as error:  # there, but busy, newer or not readable
            return None, str(error)
    return None, (f"There is no workspace at {path}. Set the 'workspace' parameter to the folder "
                  "of your workspace (or run 'adviser-analytics ingest' first), then run the "
                  "notebook again.")


__all__ = ["TriageQueue", "TriageItem", "REQUEST_VALUES", "KIND_VALUES", "item_html",
           "safe_text", "open_workspace"]
