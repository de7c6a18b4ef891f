"""Triage: review suggestions and unlabelled items one at a time, a click per decision.

``TriageQueue(ws)`` lists what only the adviser can say, **in the order that matters for the
next report**: the items of the latest month with data first (the month the next report is
about), then the month before, and so on; items without a date last. Within a month:
requests for help (those with a suggestion first), then invitations (suggested first), then
introduction requests nobody has reviewed, then people whose relationship a rule suggested
(dated by their latest message or invitation); newest first within each.

Each :class:`TriageItem` carries a plain-text excerpt (the message, or the person's title
and company), the suggestion with its rule and reason, and the values allowed. A request is
one item whose values combine handling and referral (``refer: appointment``). Values are
shown to the adviser in words (:func:`answer_words`), never as codes.

:meth:`TriageQueue.decide` stores the adviser's value as ``confirmed`` at once (one
transaction per click), :meth:`~TriageQueue.skip` moves on without saving, and
:meth:`~TriageQueue.undo` takes back the last click: a decision's labels are restored to
what ``label_history`` says they were before it (the rule and reason come back with them).

**Threads.** JupyterLab 4.4+ sends widget messages to a kernel *subshell* (one per comm
target), which ipykernel 7 runs on a thread of its own, one message at a time; a cell runs on
the main thread. An SQLite connection may only be used on the thread that made it, so the
queue keeps no connection: every decide and undo opens the workspace, writes one
transaction and closes it, all on the thread of the click (a few milliseconds). A lock
serialises the queue's actions whichever thread they come from.

**The notebook** (``notebooks/triage.ipynb``) is one call: :func:`start` finds the workspace
(:func:`adviser_analytics.lab.find_workspace`) and returns a :class:`TriageApp`, whose
buttons are drawn for one item each: a click on a button drawn for an item no longer shown,
or a second click while the first is being saved, is ignored, so a double click confirms one
item once; buttons are disabled while saving; a failure to save is shown in words.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from adviser_analytics import labels as L
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.metrics.episodes import requests as find_requests
from adviser_analytics.resources import template_environment
from adviser_analytics.store import Workspace
from adviser_analytics.textsafety import (
    html_text as safe_text,  # entities decoded once, then escaped
)

EXCERPT_CHARS = 300
REQUEST_VALUES = tuple(v for h in L.VOCABULARY["handling"]
                       for v in ([f"refer: {r}" for r in L.REFERRALS] if h == "refer" else [h]))
KIND_VALUES = {
    "relationship": L.VOCABULARY["relationship"],
    "decision": L.VOCABULARY["decision"],
    "request": REQUEST_VALUES,
    "outcome": L.VOCABULARY["outcome"],
}
_KIND_WORDS = {"relationship": "Who is this?", "decision": "Invitation",
               "request": "Request for help", "outcome": "Introduction request"}

# The answers as the adviser would say them (the codes stay inside the workspace).
WORDS: dict[str, dict[str, str]] = {
    "relationship": {"client": "A client", "colleague": "A colleague",
                     "professional": "A professional contact",
                     "personal": "Personal (friend or family)",
                     "unknown": "I don't know them", "spam": "Spam"},
    "decision": {"accept": "Accepted", "ask": "Replied to ask who they are",
                 "ignore": "Ignored", "report": "Reported as spam",
                 "redirect": "Declined and pointed to a service",
                 "pending": "Not decided yet"},
    "request": {"answer": "I answered", "explain": "I explained I can't help",
                "none": "No reply", "no_reply_needed": "No reply needed (just thanks)",
                **{f"refer: {r}": w for r, w in (
                    ("appointment", "Referred to an appointment"),
                    ("mentor", "Referred to an alumni mentor"),
                    ("event", "Referred to an event"),
                    ("resource", "Referred to a resource"),
                    ("reception", "Referred to reception"),
                    ("other", "Referred elsewhere"))}},
    "outcome": {"made": "I made the introduction", "explained": "I declined, honestly",
                "redirected": "I pointed them elsewhere",
                "target_declined": "My contact declined",
                "no_response": "My contact never answered", "met": "They met",
                "pending": "Still open"},
}
SOURCE_WORDS = {"suggested": "suggested by a rule", "inferred": "read from your data",
                "confirmed": "you confirmed it"}

# the order within a month (see the module docstring)
_REQUEST_SUGGESTED, _REQUEST, _INVITATION_SUGGESTED, _INVITATION, _INTRODUCTION, _PERSON = range(6)


def answer_words(kind: str, value: str | None) -> str:
    """``value`` of an item of ``kind`` in the adviser's words (``target_declined`` ->
    "My contact declined")."""
    if not value:
        return ""
    return WORDS.get(kind, {}).get(value) or value.replace("_", " ").capitalize()


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
    group: int = 0

    @property
    def heading(self) -> str:
        return _KIND_WORDS[self.kind]

    def words(self, value: str | None) -> str:
        return answer_words(self.kind, value)


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


def _order(item: TriageItem) -> tuple:
    """Newest month first; within a month by group, then newest first; undated last."""
    when = item.when
    if not isinstance(when, pd.Timestamp) or pd.isna(when):
        return (1, 0, item.group, 0)
    return (0, -(when.year * 12 + when.month), item.group, -when.value)


class TriageQueue:
    """The items to review in a workspace (see the module docstring). The queue holds no
    database connection: each action opens the workspace on the thread it runs on."""

    def __init__(self, ws: Workspace):
        self.path = Path(ws.path)
        self.items: list[TriageItem] = []
        self.position = 0
        self.decided = 0
        self.skipped = 0
        self._actions: list[_Action] = []
        self._lock = threading.RLock()
        self._build(ws)

    @contextlib.contextmanager
    def _workspace(self):
        """The workspace opened for one action on this thread, in one transaction."""
        with Workspace.open(self.path) as ws, L.unit(ws):
            yield ws

    # ------------------------------------------------------------------ building
    def _build(self, ws: Workspace) -> None:
        stored = L.stored_labels(ws)
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

        def request_item(row, group: int) -> TriageItem:
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
                values=REQUEST_VALUES, when=row.started_at, group=group)

        def invitation_item(row, group: int) -> TriageItem:
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
                values=KIND_VALUES["decision"], when=row.sent_at, group=group)

        suggested = stored[stored["source"] == "suggested"]
        subjects = {k: set(suggested.loc[suggested["kind"] == k, "subject"]) for k in L.VOCABULARY}
        items: list[TriageItem] = []
        # requests: suggested, then those with no label at all
        request_keys = subjects["handling"] | subjects["referral"]
        items += [request_item(r, _REQUEST_SUGGESTED)
                  for r in episodes[episodes["request_key"].isin(request_keys)].itertuples()]
        items += [request_item(r, _REQUEST) for r in
                  episodes[~episodes["request_key"].isin(list(by["handling"]))].itertuples()]
        # invitations: suggested, then undecided
        items += [invitation_item(r, _INVITATION_SUGGESTED) for r in
                  invitations[invitations["subject"].isin(subjects["decision"])].itertuples()]
        items += [invitation_item(r, _INVITATION) for r in
                  invitations[~invitations["subject"].isin(list(by["decision"]))].itertuples()]
        # introduction requests nobody has reviewed, or with a suggested outcome
        intros = ws.introductions()
        intros = intros[(intros["outcome"] == "unreviewed")
                        | (intros["outcome_source"] == "suggested")]
        wanted = messages[messages["message_id"].isin(intros["message_id"].dropna())]
        texts = dict(zip(wanted["message_id"], wanted["content"], strict=True))
        for row in intros.itertuples():
            text = texts.get(row.message_id) if pd.notna(row.message_id) else None
            label = by["outcome"].get(str(row.introduction_id))
            items.append(TriageItem(
                kind="outcome", subject=str(row.introduction_id),
                title=f"{row.requester_name or 'someone'} asked to meet {row.target_name}"
                      f"{'' if _value(row.target_key) else f' ({L.TO_IDENTIFY})'} "
                      f"on {row.requested_on:%Y-%m-%d}",
                excerpt=_clip(text) or f"introduction to {row.target_name}",
                suggestion=None if label is None else label["value"],
                source=None if label is None else label["source"],
                rule=_value(row.rule) if label is None else _value(label["rule"]),
                reason=("an introduction request nobody has reviewed yet" if label is None
                        else _value(label["reason"])),
                values=KIND_VALUES["outcome"], when=row.requested_on, group=_INTRODUCTION))
        # people a rule placed: dated by their latest message to you or invitation
        rel = {k: row for k, row in by["relationship"].items() if row["source"] == "suggested"}
        latest = pd.concat([
            messages.loc[messages["direction"] == "inbound", ["counterpart_key", "sent_at"]]
            .set_axis(["person_key", "when"], axis=1),
            invitations[["person_key", "sent_at"]].set_axis(["person_key", "when"], axis=1)])
        latest = latest.dropna().groupby("person_key")["when"].max().to_dict()
        for key, row in rel.items():
            items.append(TriageItem(
                kind="relationship", subject=key,
                title=_value(names.get(key)) or key.removeprefix("name:"),
                excerpt=person_line(key) or "(no title or company known)",
                suggestion=row["value"], source=row["source"], rule=_value(row["rule"]),
                reason=_value(row["reason"]), values=KIND_VALUES["relationship"],
                when=latest.get(key), group=_PERSON))
        items.sort(key=lambda item: (*_order(item), item.subject))
        self.items = items

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

    @property
    def can_undo(self) -> bool:
        return bool(self._actions)

    def progress(self) -> dict:
        return {"position": min(self.position, len(self.items)), "total": len(self.items),
                "decided": self.decided, "skipped": self.skipped,
                "remaining": max(0, len(self.items) - self.position)}

    # ------------------------------------------------------------------ acting
    def decide(self, value: str) -> TriageItem | None:
        """Save ``value`` for the current item as confirmed (at once) and move on."""
        with self._lock:
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
            with self._workspace() as ws:
                keys = [k for k, _ in writes]
                if item.kind == "request" and not any(k == "referral" for k in keys):
                    keys.append("referral")
                before = L.stored_labels(ws, keys)
                before = before[before["subject"] == item.subject].set_index("kind")
                written = dict(writes)
                for kind in keys:
                    row = before.loc[kind].to_dict() if kind in before.index else None
                    action.changed.append((kind, item.subject, row, written.get(kind)))
                frame = pd.DataFrame([{"kind": k, "subject": item.subject, "value": v,
                                       "rule": None, "reason": "you, in triage"}
                                      for k, v in writes])
                L.set_labels(ws, frame, "confirmed")
                if item.kind == "request" and handling != "refer" and "referral" in before.index:
                    L.remove_label(ws, "referral", item.subject)  # not referred after all
            item.decided = value
            self._actions.append(action)
            self.decided += 1
            self.position += 1
            return self.current

    def skip(self) -> TriageItem | None:
        """Move on without saving anything."""
        with self._lock:
            if self.current is None:
                raise IndexError("nothing left to skip")
            self._actions.append(_Action("skip", self.position))
            self.skipped += 1
            self.position += 1
            return self.current

    def undo(self) -> TriageItem | None:
        """Take back the last decision or skip; returns the item it concerned (now current)."""
        with self._lock:
            if not self._actions:
                return None
            action = self._actions[-1]
            item = self.items[action.position]
            if action.kind == "decide":
                with self._workspace() as ws:
                    for kind, subject, before, written in action.changed:
                        self._restore(ws, kind, subject, before, written)
                item.decided = None
                self.decided -= 1
            else:
                self.skipped -= 1
            self._actions.pop()  # only once the workspace has taken it back
            self.position = action.position
            return item

    @staticmethod
    def _restore(ws: Workspace, kind: str, subject: str, before: dict | None,
                 written: str | None) -> None:
        """Put back the label as ``label_history`` says it was before the decision being
        undone (with the rule and reason it had); a label changed since is left alone."""
        current = L.current_label(ws, kind, subject)
        was = (before["value"], before["source"]) if before else None
        now = (written, "confirmed") if written else None
        if current != now or current == was:
            return  # changed since, or the decision changed nothing here
        last = L.last_change(ws, kind, subject)
        if last is None or (last[2], last[3]) != (now or (None, None)):
            return
        value, source = last[0], last[1]
        if value is None:
            L.remove_label(ws, kind, subject)
            return
        same = was == (value, source)
        L.write_labels(ws, pd.DataFrame([{
            "kind": kind, "subject": subject, "value": value, "source": source,
            "rule": before.get("rule") if same else None,
            "reason": before.get("reason") if same else None}]), protect="nothing")


# ---------------------------------------------------------------------- HTML
def _export_text(value: object) -> Markup:
    return Markup(safe_text(value))


_ENV = template_environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                           lstrip_blocks=True)
_ENV.filters["text"] = _export_text
_ITEM = _ENV.from_string("""\
{% if item is none %}
<p><b>Nothing left to review.</b>{% if progress %} {{ progress.decided }} decided, \
{{ progress.skipped }} skipped. Run <code>adviser-analytics report</code> to see them in your \
reports.{% endif %}</p>
{% else %}
{% if progress %}
<p class="aa-progress"><small>Item {{ progress.position + 1 }} of {{ progress.total }} · \
<b>{{ progress.decided }} decided</b> · {{ progress.skipped }} skipped · \
{{ progress.total - progress.position - 1 }} after this one</small></p>
{% endif %}
<h4>{{ item.heading }}: {{ item.title|text }}</h4>
<blockquote>{{ item.excerpt|text }}</blockquote>
{% if item.reply %}
<p><b>{{ "Your reply" if item.kind == "request" else "About them" }}:</b> {{ item.reply|text }}</p>
{% endif %}
{% if item.suggestion %}
<p><b>Suggested:</b> {{ item.words(item.suggestion) }} <small>({{ source }}\
{% if why %}: {{ why|text }}{% endif %})</small></p>
{% elif item.reason %}
<p><small>{{ item.reason|text }}</small></p>
{% endif %}
{% endif %}
""")


def item_html(item: TriageItem | None, progress: dict | None = None, *,
              show_rules: bool = False) -> str:
    """The item as a small HTML block (every piece of export text escaped); the rule's name
    only when ``show_rules``."""
    why = None
    source = ""
    if item is not None:
        why = " — ".join(x for x in ((item.rule if show_rules else None), item.reason) if x)
        source = SOURCE_WORDS.get(item.source or "", item.source or "")
    return _ITEM.render(item=item, progress=progress, why=why, source=source).strip()


_STATUS = _ENV.from_string("""\
{% if kind == "saved" %}<p class="aa-saved">Saved: <b>{{ words }}</b> for {{ title|text }}.</p>\
{% elif kind == "undone" %}<p class="aa-saved">Taken back: {{ title|text }} is as it was.</p>\
{% elif kind == "skipped" %}<p class="aa-saved">Skipped (nothing saved).</p>\
{% elif kind == "error" %}<p class="aa-error" role="alert" style="color:#a00">\
<b>Not saved.</b> {{ message }}</p>{% endif %}""")


def status_html(kind: str, *, words: str = "", title: str = "", message: str = "") -> str:
    return _STATUS.render(kind=kind, words=words, title=title, message=message)


def failure_words(error: BaseException) -> str:
    """Why a click could not be saved, in words, and what to do."""
    if isinstance(error, AdviserAnalyticsError):
        return f"{error} Your answer is not recorded: click it again once this is put right."
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error).lower():
        return ("The workspace is busy: another command (ingest, labels suggest, report) is "
                "writing to it. Wait until it has finished, then click your answer again.")
    if isinstance(error, (sqlite3.Error, OSError)):
        return (f"The workspace could not be written ({error}). Check that the disk is not full "
                "and the workspace folder is still there, then click your answer again.")
    return (f"Something unexpected went wrong ({type(error).__name__}: {error}); nothing was "
            "changed. Click your answer again; if it happens again, please report it.")


# ---------------------------------------------------------------------- the notebook's app
class TriageApp:
    """The widgets of the triage notebook around a :class:`TriageQueue`.

    Every render draws new buttons for the item shown, each bound to that render's token. A
    click is acted on only if it carries the current token and no other click is being saved
    (a non-blocking lock), so stale clicks and double clicks are ignored."""

    def __init__(self, queue: TriageQueue, where: str = ""):
        import ipywidgets as widgets

        self._w = widgets
        self.queue = queue
        self.where = where
        self._token = 0
        self._busy = threading.Lock()
        self._buttons: list = []
        self.ignored = 0     # clicks ignored (stale or during a save): for tests and bench
        self.header = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=max(1, len(queue)), value=0,
                                       description="Reviewed",
                                       layout=widgets.Layout(width="60%"))
        self.item = widgets.HTML()
        self.answers = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.controls = widgets.HBox()
        self.show_rules = widgets.Checkbox(value=False, indent=False,
                                           description="Show the rule behind each suggestion")
        self.show_rules.observe(lambda _: self._guarded(self._token, None), names="value")
        self.status = widgets.HTML()
        self.box = widgets.VBox([self.header, self.bar, self.item, self.answers,
                                 self.controls, self.show_rules, self.status],
                                layout=widgets.Layout(max_width="900px"))
        self.box.add_class("aa-triage")
        self._render()

    # ---------------------------------------------------------------- drawing
    def _button(self, description: str, token: int, step, *args, style: str = "",
                tooltip: str = ""):
        button = self._w.Button(description=description, button_style=style, tooltip=tooltip,
                                layout=self._w.Layout(width="auto"))
        button.on_click(lambda _b: self._guarded(token, step, *args))
        return button

    def _render(self) -> None:
        queue, token = self.queue, self._token
        item = queue.current
        progress = queue.progress()
        self.header.value = (f"<p><small>{safe_text(self.where)} · {progress['total']} items "
                             f"to review</small></p>")
        self.bar.value = progress["position"]
        self.item.value = item_html(item, progress, show_rules=self.show_rules.value)
        old = self._buttons
        answers = [] if item is None else [
            self._button(item.words(value), token, self._decide, value,
                         style="info" if value == item.suggestion else "",
                         tooltip="the suggestion" if value == item.suggestion else "")
            for value in item.values]
        controls = []
        if item is not None:
            controls.append(self._button("Skip", token, self._skip,
                                         tooltip="move on without saving"))
        undo = self._button("Undo", token, self._undo, tooltip="take back the last click")
        undo.disabled = not queue.can_undo
        controls.append(undo)
        self._buttons = answers + controls
        self.answers.children = answers
        self.controls.children = controls
        for button in old:
            button.close()

    # ---------------------------------------------------------------- acting
    def _guarded(self, token: int, step, *args) -> None:
        """Act on a click only if it belongs to the item shown and nothing is being saved."""
        if not self._busy.acquire(blocking=False):
            self.ignored += 1
            return
        try:
            if token != self._token:
                self.ignored += 1
                return
            if step is None:  # a redraw (the rules checkbox)
                self._token += 1
                self._render()
                return
            for button in self._buttons:
                button.disabled = True
            try:
                self.status.value = step(*args)
            except Exception as error:  # shown in the notebook, in words, never only in a log
                self.status.value = status_html("error", message=failure_words(error))
            self._token += 1
            self._render()
        finally:
            self._busy.release()

    def _decide(self, value: str) -> str:
        item = self.queue.current
        self.queue.decide(value)
        return status_html("saved", words=item.words(value), title=item.title)

    def _skip(self) -> str:
        self.queue.skip()
        return status_html("skipped")

    def _undo(self) -> str:
        item = self.queue.undo()
        return "" if item is None else status_html("undone", title=item.title)

    # ---------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        text = f"{len(self.queue)} items to review"
        if isinstance(bundle, tuple):
            data, meta = bundle
            data = {**data, "text/plain": text}
            return data, meta
        return {**(bundle or {}), "text/plain": text}


class Notice:
    """A message for a notebook cell, in words (HTML, and plain text for papermill)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return f"<p><b>{safe_text(self.text)}</b></p>"

    def __repr__(self) -> str:
        return self.text


def open_workspace(workspace: str | Path | None) -> tuple[Workspace | None, str]:
    """Open the workspace a notebook was given (``""``/``None``: found as the command line
    finds it, see :func:`adviser_analytics.lab.find_workspace`). Returns the workspace, or
    ``None`` and what to do."""
    from adviser_analytics.lab import find_workspace

    path, message = find_workspace(workspace)
    if path is None:
        return None, message
    try:
        return Workspace.open(path), message
    except AdviserAnalyticsError as error:  # there, but busy, newer or not readable
        return None, str(error)


def start(workspace: str | Path | None = "") -> TriageApp | Notice:
    """The triage notebook in one call: the app, or what to do when there is no workspace."""
    ws, where = open_workspace(workspace)
    if ws is None:
        return Notice(where)
    try:
        queue = TriageQueue(ws)
    finally:
        ws.close()  # the queue opens the workspace for each click, on the click's thread
    return TriageApp(queue, where)


__all__ = ["TriageQueue", "TriageItem", "TriageApp", "Notice", "REQUEST_VALUES", "KIND_VALUES",
           "WORDS", "answer_words", "item_html", "status_html", "failure_words", "safe_text",
           "open_workspace", "start"]
