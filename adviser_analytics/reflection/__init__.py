"""The reflection report and the exploration notebook, in rooms:

- :mod:`.model`: the data of a report, read once and computed once from ``metrics/``;
- :mod:`.views`: the audience views, one implementation each (self, supervision) of counts,
  parts, percentages, statistics, people, times, tables and figures;
- :mod:`.prompts`: every reflective sentence ("Worth discussing: ...");
- :mod:`.render` and ``templates/``: the HTML, through Jinja2 templates;
- :mod:`.sections`: the registry of report sections (checked against the notebook);
- :mod:`.report`: :func:`open_report` / :class:`ReflectionReport`, the notebook's entry;
- :mod:`.explore`: the adviser's own exploration.

``notebooks/reflection_report.ipynb`` and ``notebooks/explore.ipynb`` hold no logic: each code
cell is one call into this package, and every call returns a :class:`Block` of HTML (with a
plain-text form) or a :class:`FigureBlock` (a PNG with its ``alt`` text).

- ``self``: the adviser's own version; names are shown (escaped), still only on this computer.
- ``supervision``: people appear as pseudonyms (``client-3f9a``), counts of 1-4 as ``<5``, no
  percentage (or median) on a base under 10, no names, profile URLs, e-mail addresses,
  companies, message text, conversation ids or paths. A figure whose bars or cells would show
  a count of 1-4 is replaced by a suppressed table.

The report walks the stages of Gibbs' reflective cycle: the data give *description*,
*evaluation* (against the policy version in force) and *analysis* (against earlier periods,
drift); the adviser writes *feelings*, *conclusion* and *action plan* in the notebook itself.
"""

from __future__ import annotations

from .explore import Explorer, explore
from .model import (
    all_person_keys,
    ensure_pseudonyms,
    period_title,
    previous_periods,
    resolve_workspace,
)
from .render import Block, FigureBlock
from .report import ReflectionReport, open_report
from .sections import SECTIONS
from .views import AUDIENCES, view_for

__all__ = [
    "AUDIENCES", "Block", "FigureBlock", "ReflectionReport", "Explorer", "open_report",
    "explore", "resolve_workspace", "ensure_pseudonyms", "previous_periods", "period_title",
    "all_person_keys", "headline", "SECTIONS",
]


def headline(metrics: dict, supervision: bool, policy=None) -> dict:
    """Headline figures of a metrics object for the reports index: requests, reply rate,
    what was waiting ("7 waiting, 2 past your 5-day aim; 135 older threads lapsed") and
    conformance, as display strings (suppressed for supervision). ``policy``: for the reply
    aim of the version in force at the period's end."""
    import datetime as dt

    from .prompts import waiting_text

    view = view_for("supervision" if supervision else "self")
    load, pol = metrics["load"], metrics["policy"]

    cover = metrics.get("coverage") or {}
    if cover.get("data_to") is not None and cover.get("as_of") is None:
        waiting = "no data yet"
    elif load.get("waiting") is None:
        waiting = view.n(None)
    else:
        target = None
        if policy is not None:
            version = policy.capacity_version(dt.date.fromisoformat(metrics["period"]["to"]))
            target = getattr(version, "reply_within_days", None)
        waiting = waiting_text(load, target, view).rstrip(".")
        if cover.get("as_of") is not None and not cover.get("complete"):
            waiting += f" (so far, to {cover['as_of']})"
    return {"requests": view.total(load["requests"]),
            "reply_rate": view.total_pct(load["answered_requests"], load["requests"]),
            "waiting": waiting,
            "conformance": view.total_pct(pol["conforming"], pol["decisions"]),
            "decisions": view.total(pol["decisions"])}
