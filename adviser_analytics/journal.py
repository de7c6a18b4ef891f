"""``journal``: the adviser's writing across periods, in order, as Markdown or HTML.

What the reports keep (:mod:`adviser_analytics.store.writing`, harvested by ``report``):
per period, the Feelings, Conclusion and Action plan cells and any cell the adviser added,
in the order they stand in the report. ``audience="supervision"`` keeps only what the
adviser marked to share (the tag ``share``), and checks the result with the same leak check
as a supervision report: a hit stops the journal (:class:`PrivacyError`), nothing is written.

HTML comes from the Jinja2 template ``templates/journal.html`` (autoescaped: the writing is
shown as typed, never run as HTML).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .periods import Period
from .resources import template_environment
from .writing import WRITING_CELLS

__all__ = ["Journal", "build_journal", "to_markdown", "to_html"]

_ADDED = "Your own note"


@dataclass
class Journal:
    audience: str
    start: str | None
    end: str | None
    periods: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "Reflective journal" + (" (shared with supervision)"
                                       if self.audience == "supervision" else "")

    @property
    def intro(self) -> str:
        span = ""
        if self.start or self.end:
            span = f" from {self.start or 'the first report'} to {self.end or 'the last'}"
        what = ("only what you marked to share (the tag share on a writing cell)"
                if self.audience == "supervision" else
                "your feelings, conclusions, action plans and your own notes")
        return (f"What you wrote in your reflection reports{span}, period by period: {what}. "
                f"Made on {dt.date.today().isoformat()}.")

    @property
    def empty(self) -> str:
        if self.audience == "supervision":
            return ("Nothing marked to share yet. In a report in JupyterLab, add the tag share "
                    "to a writing cell, save, and make the report again.")
        return ("Nothing written yet. Write in a report's Feelings, Conclusion or Action plan "
                "cells in JupyterLab, save, and make the report again: your writing is kept "
                "then.")

    def entries(self) -> int:
        return sum(len(p["entries"]) for p in self.periods)


def build_journal(ws, start: str | None = None, end: str | None = None,
                  audience: str = "self") -> Journal:
    """The journal of the periods overlapping ``start``..``end`` (ISO dates; ``None``:
    open)."""
    from .reflection import period_title
    from .store import writing as stored_writing

    frame = stored_writing.stored(ws, start, end, shared_only=audience == "supervision")
    journal = Journal(audience, start, end)
    for (first, last), rows in frame.groupby(["period_from", "period_to"], sort=True):
        entries = [{"heading": WRITING_CELLS.get(row.cell, _ADDED), "text": row.text,
                    "shared": bool(row.share), "cell_type": row.cell_type}
                   for row in rows.sort_values(["position", "cell"]).itertuples()]
        journal.periods.append({"from": first, "to": last,
                                "title": period_title(Period(first, last)),
                                "entries": entries})
    return journal


def to_markdown(journal: Journal) -> str:
    lines = [f"# {journal.title}", "", f"*{journal.intro}*", ""]
    if not journal.periods:
        lines += [journal.empty, ""]
    for period in journal.periods:
        lines += [f"## {period['title']}", ""]
        for entry in period["entries"]:
            shared = " (shared with supervision)" if (
                entry["shared"] and journal.audience == "self") else ""
            lines += [f"### {entry['heading']}{shared}", ""]
            if entry["cell_type"] == "code":
                lines += ["```", entry["text"], "```", ""]
            else:
                lines += [entry["text"], ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def to_html(journal: Journal) -> str:
    return template_environment().get_template("journal.html").render(
        title=journal.title, intro=journal.intro, empty=journal.empty,
        periods=journal.periods, audience=journal.audience)


def render(journal: Journal, out: Path | None) -> str:
    """HTML when ``out`` ends in ``.html``/``.htm``, else Markdown."""
    if out is not None and out.suffix.lower() in (".html", ".htm"):
        return to_html(journal)
    return to_markdown(journal)


def check_for_supervision(ws, workspace_path: Path, label: str, text: str) -> None:
    """The supervision report's leak check on the journal (raises ``PrivacyError``)."""
    from .reports import check_text, leak_index

    check_text(leak_index(ws, workspace_path), label, text)
