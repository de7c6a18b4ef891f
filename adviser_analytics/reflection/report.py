"""The public entry of the reflection notebook: :func:`open_report` and
:class:`ReflectionReport`, whose methods are the registered sections (:mod:`.sections`)."""

from __future__ import annotations

from pathlib import Path

from ..periods import Period, parse_date
from . import model as _model
from .model import ReportModel, load_data, resolve_workspace
from .render import Block
from .sections import SECTIONS
from .views import AUDIENCES, view_for

__all__ = ["ReflectionReport", "open_report", "KINDS"]


#: what a report can be: a report of its period, or the review of a term (``report --every
#: term``), which adds the term sections (:mod:`.term`)
KINDS = ("period", "term")


def open_report(workspace: str | Path, period_from: str, period_to: str,
                audience: str = "self", kind: str = "period") -> ReflectionReport:
    """Read the workspace for one period and audience (the notebook's first call);
    ``kind="term"`` makes it the term review."""
    return ReflectionReport(workspace, period_from, period_to, audience, kind)


class ReflectionReport:
    """One period of a workspace, shown for one audience. Every section (``heading()``,
    ``key_numbers()``, ... : see :data:`SECTIONS`) returns a :class:`Block` (or
    :class:`FigureBlock`) for one notebook cell."""

    #: how many earlier periods the comparison shows
    EARLIER = _model.EARLIER
    #: how many periods the p-chart spans (months, or weeks for periods of a week or less)
    SERIES = _model.SERIES

    def __init__(self, workspace: str | Path, period_from: str, period_to: str,
                 audience: str = "self", kind: str = "period"):
        if audience not in AUDIENCES:
            raise ValueError(f"audience {audience!r} is not one of: {', '.join(AUDIENCES)}")
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
        self.audience = audience
        self.kind = kind
        #: the term review: the term sections are shown (elsewhere they are empty)
        self.term_review = kind == "term"
        self.supervision = audience == "supervision"
        self.period = Period(parse_date(period_from, what="period_from"),
                             parse_date(period_to, what="period_to"))
        self.path = resolve_workspace(workspace)
        self.data = load_data(self.path, pseudonyms=self.supervision)
        self.model = ReportModel(self.data, self.period)
        self.view = view_for(audience, self.model.relationship, self.model.names,
                             self.data.codes)
        self.metrics = self.model.metrics
        self.shown = self.view.metrics(self.metrics)
        self.policy = self.model.policy

    def sections(self) -> list[str]:
        """The names of the sections, in the notebook's order."""
        return list(SECTIONS)

    def __getattr__(self, name: str):
        # what the model computes (episodes, decided_all, load_in, ...) and how the view shows
        # it (n, pct, person, ...), for notebooks of your own
        if name.startswith("__") or name in ("model", "view"):
            raise AttributeError(name)
        for owner in (self.model, self.view):
            if hasattr(owner, name):
                return getattr(owner, name)
        raise AttributeError(f"{type(self).__name__!s} has no {name!r}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(SECTIONS))


#: stages whose sections show nothing for a period that starts after the newest export
SILENT_WITHOUT_DATA = ("description", "evaluation", "analysis")
#: sections shown even so (what the policy in force expects is not data)
SHOWN_WITHOUT_DATA = ("policy_in_force",)


def _method(name: str):
    entry = SECTIONS[name]

    def call(self: ReflectionReport) -> Block:
        if entry.term_only and not self.term_review:
            return Block("", "")  # (month reports are run without these cells anyway)
        if not self.model.covered and entry.stage in SILENT_WITHOUT_DATA \
                and name not in SHOWN_WITHOUT_DATA:
            return Block("", "")  # no figures for a period after the data (key numbers say so)
        # tables and figures not in the privacy registry are withheld from supervision
        return self.view.guard(entry.build(self))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = entry.build.__doc__
    return call


for _name in SECTIONS:
    setattr(ReflectionReport, _name, _method(_name))
del _name
