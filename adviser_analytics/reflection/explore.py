"""The adviser's own exploration of a workspace (``notebooks/explore.ipynb``): names shown,
escaped; every method returns a :class:`~.render.Block`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..periods import Period, parse_date
from .model import load_data, resolve_workspace
from .render import Block, missing, paragraph, table

__all__ = ["Explorer", "explore"]


def explore(workspace: str | Path) -> Explorer:
    """Open a workspace for interactive exploration (``notebooks/explore.ipynb``)."""
    return Explorer(workspace)


class Explorer:
    """The workspace for the adviser's own exploration; every method returns a Block."""

    def __init__(self, workspace: str | Path):
        from ..metrics.drift import relationships

        self.path = resolve_workspace(workspace)
        self.data = load_data(self.path, pseudonyms=False)
        self.relationship = relationships(self.data.labels)
        self._reports: dict = {}

    def summary(self) -> Block:
        """What the workspace holds (as ``status``)."""
        s = self.data.status
        rows = [("exports ingested", s["snapshots"]), ("people ever connected", s["connections"]),
                ("person-to-person messages", s["messages"]), ("invitations", s["invitations"]),
                ("first date", s["first_date"] or "–"), ("last date", s["last_date"] or "–"),
                ("labels confirmed by you", s["labels"]["confirmed"]),
                ("labels suggested (to review)", s["labels"]["suggested"]),
                ("labels inferred", s["labels"]["inferred"])]
        text = "\n".join(f"{k}: {v}" for k, v in rows)
        return Block(table(["workspace", ""], rows), text)

    def people(self, relationship: str | None = None, limit: int = 20) -> Block:
        """People with the most conversations (optionally of one relationship)."""
        d = self.data
        msgs = d.messages
        counts = (msgs.groupby("counterpart_key").agg(
            messages=("message_id", "size"),
            conversations=("conversation_id", "nunique"),
            last=("sent_at", "max")) if len(msgs) else pd.DataFrame(
                columns=["messages", "conversations", "last"]))
        people = d.people.set_index("person_key")
        people = people.loc[[k for k in people.index if k != d.owner_key]]
        people = people.join(counts, how="left")
        people["relationship"] = [self.relationship.get(str(k), "unknown") for k in people.index]
        if relationship:
            people = people.loc[people["relationship"] == relationship]
        people = people.sort_values(["conversations", "messages"], ascending=False,
                                    na_position="last").head(limit)
        rows = [(r.name if not missing(r.name) else "", r.relationship,
                 "yes" if r.is_connection else "no",
                 r.company if not missing(r.company) else "",
                 0 if missing(r.conversations) else int(r.conversations),
                 0 if missing(r.messages) else int(r.messages),
                 "" if missing(r.last) else r.last.date().isoformat())
                for r in people.itertuples()]
        return Block(table(["name", "relationship", "connected", "company", "conversations",
                            "messages", "last message"], rows,
                           f"People{' (' + relationship + ')' if relationship else ''}, "
                           f"most conversations first (up to {limit}).", numeric_from=4))

    def conversations(self, limit: int = 20) -> Block:
        """The most recent conversations: who, how many messages, whether one is waiting."""
        d = self.data
        msgs = d.messages
        if len(msgs) == 0:
            return Block(paragraph("No person-to-person messages."))
        last = msgs.sort_values(["sent_at", "message_id"]).groupby("conversation_id").tail(1)
        agg = msgs.groupby("conversation_id").agg(messages=("message_id", "size"),
                                                  first=("sent_at", "min"))
        last = last.set_index("conversation_id").join(agg).sort_values("sent_at",
                                                                       ascending=False)
        names = self.data.people.set_index("person_key")["name"]
        rows = []
        for _conversation, r in last.head(limit).iterrows():
            who = names.get(r.counterpart_key) if not missing(r.counterpart_key) else None
            rows.append((r.conversation_title if not missing(r.conversation_title) else "",
                         who or "", self.relationship.get(str(r.counterpart_key), "unknown"),
                         int(r.messages), r["first"].date().isoformat(),
                         r.sent_at.date().isoformat(),
                         "waiting for you" if r.direction == "inbound" else "replied"))
        return Block(table(["conversation", "with", "relationship", "messages", "first", "last",
                            "state"], rows, f"The {limit} most recent conversations.",
                           numeric_from=3))

    def metrics(self, period_from: str, period_to: str) -> Block:
        """A period's metrics (the ``metrics --json`` object) as a table."""
        from ..metrics import compute_metrics

        d = self.data
        period = Period(parse_date(period_from, what="period_from"),
                        parse_date(period_to, what="period_to"))
        m = compute_metrics(d.messages, d.invitations, d.labels, d.introductions, d.policy,
                            period)
        rows = []
        for section in ("load", "introductions", "policy"):
            for key, value in m[section].items():
                if isinstance(value, dict):
                    for k, v in value.items():
                        rows.append((section, f"{key}.{k}", v))
                else:
                    rows.append((section, key, "–" if value is None else value))
        text = "\n".join(f"{s}.{k}: {v}" for s, k, v in rows)
        return Block(table(["section", "metric", "value"], rows,
                           f"Metrics for {period.start} to {period.end}", numeric_from=2), text)

    def search(self, words: str, limit: int = 50):
        """Messages that contain these words (full-text search: plain words, ``word*`` for
        a prefix, "quoted phrases"), newest first."""
        from ..store.search import search_messages

        return search_messages(self.path, words).head(limit)

    def figure(self, which: str, period_from: str, period_to: str) -> Block:
        """One of the report's figures for a period: ``load``, ``reply_times``, ``arrivals``,
        ``introductions`` or ``p_chart``."""
        from .report import ReflectionReport

        key = (str(period_from), str(period_to))
        report = self._reports.get(key)
        if report is None:
            report = self._reports[key] = ReflectionReport(self.path, period_from, period_to,
                                                           "self")
        methods = {"load": report.load_figure, "reply_times": report.reply_times,
                   "arrivals": report.arrival_pattern,
                   "introductions": report.introductions_figure, "p_chart": report.p_chart}
        if which not in methods:
            raise ValueError(f"unknown figure {which!r}: use one of {', '.join(methods)}")
        return methods[which]()
