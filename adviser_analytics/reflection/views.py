"""The audience views: how counts, parts, percentages, statistics, people, times, tables and
figures are shown to each audience. One implementation each for ``self`` (:class:`SelfView`)
and one for ``supervision`` (:class:`SupervisionView`); the sections call the view and hold
no audience branch of their own. The supervision view holds no rule either: it applies those
of :mod:`adviser_analytics.privacy.suppression`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import privacy
from ..periods import hours_or_days
from .render import missing, paragraph

#: what a registered number reads as when a rule keeps it from this audience
WITHHELD_WORDS = "withheld"
_TABLE_OR_FIGURE = re.compile(
    r'(?P<open><(?P<tag>table|figure) class="aa-(?:table|figure)(?: [^"]*)?"[^>]*>).*?'
    r'</(?P=tag)>',
    re.DOTALL)

__all__ = ["AUDIENCES", "View", "SelfView", "SupervisionView", "view_for"]

AUDIENCES = ("self", "supervision")


class View:
    """What both audiences share; subclasses give each rule its one implementation."""

    audience = ""
    #: the version shows people's names, the adviser's name and per-person decisions
    names_people = True
    #: the version shows small-cell detail: distributions, the weekday-by-hour pattern,
    #: per-person answered counts
    detail = True
    #: numbers of decisions are quoted in the drift prompts
    quotes_counts = True
    #: what a percentage that cannot be given reads as in the reports index
    no_percent = "–"
    #: said after a count when the share it is part of may not be given to this audience
    share_not_given = ""
    #: only the writing the adviser marked to share is shown (their action plans included)
    shared_writing_only = False

    def __init__(self, relationship: Mapping[str, str] | None = None,
                 names: Mapping[str, str | None] | None = None,
                 codes: Mapping[str, str] | None = None):
        self.relationship = dict(relationship or {})
        self.names = dict(names or {})
        self.codes = dict(codes or {})

    # ---------------------------------------------------------------- shared wording
    def counted(self, value: object, one: str, many: str | None = None) -> str:
        """``3 requests``, ``1 request``: a count as :meth:`n` shows it, with its noun (plural
        when the count is withheld: ``<5 requests``)."""
        shown = self.n(value)
        return f"{shown} {one if shown == '1' else (many or one + 's')}"

    def pct_text(self, numerator: object, base: object) -> str:
        """A percentage, or why it is not given."""
        shown = self.pct(numerator, base)
        return shown if shown is not None else self.pct_missing(base)

    def hours(self, value: object, base: object) -> str:
        """A time in hours (or days from 48 hours), a statistic over ``base`` answered
        requests."""
        if missing(value):
            return "–"
        if not self.statistic_ok(base):
            return "withheld (fewer than 10 answered)"
        return self.total_hours(value)

    # ---------------------------------------------------------------- the adviser's own totals
    # Totals over everyone (requests, answered, reply rate and times, waiting, conformance)
    # describe the adviser, not a person: both audiences see them as they are (domain.md,
    # "suppresses by disclosure risk"). Breakdowns and per-person rows use n/part/pct.
    def total(self, value: object) -> str:
        """One of the adviser's own totals over everyone."""
        if missing(value):
            return "–"
        return str(int(value)) if not isinstance(value, str) else value  # type: ignore[call-overload]

    def total_counted(self, value: object, one: str, many: str | None = None) -> str:
        shown = self.total(value)
        return f"{shown} {one if shown == '1' else (many or one + 's')}"

    def total_pct(self, numerator: object, base: object) -> str:
        """A share of the adviser's own totals (reply rate, conformance)."""
        if missing(numerator) or missing(base) or _is_text(numerator, base) or not base:
            return "–"
        return f"{100.0 * float(numerator) / float(base):.0f}%"  # type: ignore[arg-type]

    def total_hours(self, value: object) -> str:
        """The adviser's own reply time (hours, or days from 48 hours)."""
        if missing(value):
            return "–"
        return hours_or_days(float(value))  # type: ignore[arg-type]

    def waiting_days(self, days: object) -> str:
        """How long one person's conversation has waited (a per-person age)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- registered numbers
    # The sections of practice.py state their numbers by their key in the privacy registry
    # (privacy.METRICS): own totals are shown as they are, breakdowns by the rules, and a
    # key that is not registered is withheld from supervision (deny by default).
    def shown(self, key: str, value: object, of: object = None) -> str:
        """The registered number ``key`` (a count; ``of``: the total it is a part of)."""
        raise NotImplementedError

    def share(self, key: str, numerator: object, base: object) -> str:
        """The registered share ``key`` as a percentage, or why it is not given."""
        raise NotImplementedError

    def interval(self, key: str, ci: object, numerator: object, base: object) -> str:
        """``; 95 % interval a–b %`` of the registered interval ``key`` ("" when not
        shown)."""
        if ci is None or missing(base) or not base:
            return ""
        low, high = ci  # type: ignore[misc]
        return f"; 95 % interval {100 * low:.0f}–{100 * high:.0f}%"

    def sum_shown(self, key: str, value: object, parts: Iterable[object]) -> str:
        """A registered sum of cells another table shows (``parts``, as shown there)."""
        raise NotImplementedError

    def guard(self, block):
        """The block as this audience may see it (tables and figures checked)."""
        return block

    def employer(self, name: str, rank: int) -> str:
        """An employer (the ``rank``-th of a table, from 0) as this audience may see it."""
        raise NotImplementedError

    def relationship_of(self, key: object) -> str:
        return self.relationship.get(str(key), "unknown")

    def target(self, row) -> str:
        """An introduction target (a row of ``asked_often``) as this audience may see them."""
        from .model import target_key

        return self.person(target_key(row.target_key, row.target_name))

    # ---------------------------------------------------------------- per audience
    def n(self, value: object) -> str:
        raise NotImplementedError

    def part(self, part: object, total: object) -> str:
        raise NotImplementedError

    def pct(self, numerator: object, base: object) -> str | None:
        raise NotImplementedError

    def pct_missing(self, base: object) -> str:
        raise NotImplementedError

    def statistic_ok(self, base: object) -> bool:
        raise NotImplementedError

    def person(self, key: object) -> str:
        raise NotImplementedError

    def metrics(self, metrics: Mapping[str, Any]) -> dict:
        raise NotImplementedError

    def count_table(self, frame: pd.DataFrame, counts: list[str],
                    total_column: str | None = None, row_total: bool = True) -> pd.DataFrame:
        raise NotImplementedError

    def figure_ok(self, values: Iterable[object]) -> bool:
        raise NotImplementedError

    def chart(self, chart: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError


def _is_text(*values: object) -> bool:
    return any(isinstance(v, str) for v in values)


class SelfView(View):
    """The adviser's own version: every number, names shown (escaped), on this computer."""

    audience = "self"

    def n(self, value: object) -> str:
        if missing(value):
            return "–"
        return str(int(value)) if not isinstance(value, str) else value  # type: ignore[call-overload]

    def part(self, part: object, total: object) -> str:
        return self.n(part)

    def pct(self, numerator: object, base: object) -> str | None:
        if missing(numerator) or missing(base) or _is_text(numerator, base) or not base:
            return None
        return f"{100.0 * float(numerator) / float(base):.0f}%"  # type: ignore[arg-type]

    def pct_missing(self, base: object) -> str:
        return "–"

    def statistic_ok(self, base: object) -> bool:
        return True

    def person(self, key: object) -> str:
        key = "" if missing(key) else str(key)
        name = self.names.get(key)
        if name:
            return name
        if key.startswith("name:"):
            return key[5:]
        return "someone without a name in the data"

    def target(self, row) -> str:
        # a target matched to nobody shows the name as it was written
        from .model import target_key

        key = target_key(row.target_key, row.target_name)
        if key.startswith("name:") and not self.names.get(key) \
                and isinstance(row.target_name, str):
            return row.target_name
        return self.person(key)

    def metrics(self, metrics: Mapping[str, Any]) -> dict:
        return dict(metrics)

    def waiting_days(self, days: object) -> str:
        return "–" if missing(days) else f"{float(days):.0f}"  # type: ignore[arg-type]

    def count_table(self, frame: pd.DataFrame, counts: list[str],
                    total_column: str | None = None, row_total: bool = True,
                    total_label: str = "Total") -> pd.DataFrame:
        """The table with its totals (a total column, a row of column totals), as ints."""
        out = frame.copy()
        for c in counts:
            out[c] = out[c].fillna(0).astype(int)
        if total_column is not None and total_column not in counts:
            if total_column in out.columns:
                total = out.pop(total_column)
                out[total_column] = total.astype(int)
            else:
                out[total_column] = out[counts].sum(axis=1).astype(int)
        if row_total:
            other = [c for c in out.columns if c not in counts and c != total_column]
            last: dict[str, Any] = {c: "" for c in other}
            if other:
                last[other[0]] = total_label
            for c in [*counts, *([total_column] if total_column else [])]:
                last[c] = int(out[c].sum())
            out = pd.concat([out, pd.DataFrame([last], columns=out.columns)], ignore_index=True)
        return out

    def figure_ok(self, values: Iterable[object]) -> bool:
        return True

    def shown(self, key: str, value: object, of: object = None) -> str:
        return self.n(value)

    def employer(self, name: str, rank: int) -> str:
        return name

    def share(self, key: str, numerator: object, base: object) -> str:
        return self.pct_text(numerator, base)

    def sum_shown(self, key: str, value: object, parts: Iterable[object]) -> str:
        return self.n(value)

    def chart(self, chart: pd.DataFrame) -> pd.DataFrame:
        return chart.copy()


class SupervisionView(View):
    """The supervision version: pseudonyms, the suppression rules of ``privacy``."""

    audience = "supervision"
    names_people = False
    detail = False
    quotes_counts = False
    no_percent = "withheld"
    share_not_given = " (too few to give a share in the supervision version)"
    shared_writing_only = True

    def n(self, value: object) -> str:
        if missing(value):
            return "–"
        return str(privacy.suppress_count(value) if not isinstance(value, str) else value)

    def part(self, part: object, total: object) -> str:
        if missing(part) or missing(total) or _is_text(part, total):
            return self.n(part)
        return str(privacy.suppress_part(part, total))

    def pct(self, numerator: object, base: object) -> str | None:
        if missing(numerator) or missing(base) or _is_text(numerator, base) or not base:
            return None
        return privacy.supervision_percent(numerator, base)

    def pct_missing(self, base: object) -> str:
        if not missing(base) and not isinstance(base, str) and base:
            return privacy.withheld_reason(base)
        return "–"

    def statistic_ok(self, base: object) -> bool:
        return privacy.statistic_shown(base)

    def person(self, key: object) -> str:
        key = "" if missing(key) else str(key)
        code = self.codes.get(key)
        if code is None:
            return "a person"
        return privacy.pseudonym(self.relationship.get(key), code)

    def metrics(self, metrics: Mapping[str, Any]) -> dict:
        return privacy.suppress_metrics(metrics)

    def waiting_days(self, days: object) -> str:
        """A band ("1-2 weeks"): an exact age could be matched with what the reader knows."""
        return privacy.waiting_band(None if missing(days) else days)

    def count_table(self, frame: pd.DataFrame, counts: list[str],
                    total_column: str | None = None, row_total: bool = True) -> pd.DataFrame:
        return privacy.suppress_table(frame, counts, total_column=total_column,
                                      row_total=row_total)

    def employer(self, name: str, rank: int) -> str:
        """``employer A``, ``employer B``, ... in the order of the table: an employer's name
        is data (a client's employer may not reach supervision)."""
        letters = ""
        rank += 1
        while rank:
            rank, rest = divmod(rank - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return f"employer {letters}"

    def shown(self, key: str, value: object, of: object = None) -> str:
        entry = privacy.metric(key)
        if entry is None or entry.kind not in ("count", "time", "label"):
            return WITHHELD_WORDS
        if entry.scope == privacy.OWN_TOTAL or entry.kind != "count":
            return self.total(value) if entry.kind == "count" else str(value)
        return self.n(value) if of is None else self.part(value, of)

    def share(self, key: str, numerator: object, base: object) -> str:
        entry = privacy.metric(key)
        if entry is None or entry.kind != "rate":
            return WITHHELD_WORDS
        if entry.scope == privacy.OWN_TOTAL:
            return self.total_pct(numerator, base)
        return self.pct_text(numerator, base)

    def interval(self, key: str, ci: object, numerator: object, base: object) -> str:
        entry = privacy.metric(key)
        if entry is None or entry.kind != "interval":
            return ""
        if entry.scope != privacy.OWN_TOTAL and (not self.statistic_ok(base)
                                                 or self.pct(numerator, base) is None):
            return ""
        return super().interval(key, ci, numerator, base)

    def sum_shown(self, key: str, value: object, parts: Iterable[object]) -> str:
        """Shown only when it is the sum of parts shown exactly elsewhere (then it tells
        nothing new); else withheld, since a sum beside hidden parts could give them back."""
        if privacy.metric(key) is None:
            return WITHHELD_WORDS
        if missing(value):
            return "–"
        parts = [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]
        if not value or (all(isinstance(p, int | np.integer) for p in parts)
                         and sum(parts) == value):
            return str(int(value))  # type: ignore[call-overload]
        return WITHHELD_WORDS

    def guard(self, block):
        """Every table and figure whose key is not registered (or has none) is replaced by
        a note: deny by default."""
        from .render import Block

        def check(match: re.Match) -> str:
            key = re.search(r'data-metric="([^"]*)"', match.group("open"))
            entry = privacy.metric(key.group(1)) if key else None
            if entry is not None and entry.kind in ("table", "figure"):
                return match.group(0)
            return str(paragraph(f"A {match.group('tag').replace('figure', 'chart')} is left "
                                 "out of the supervision version.", "aa-note"))

        html = _TABLE_OR_FIGURE.sub(check, block.html)
        return block if html == block.html else Block(html)

    def figure_ok(self, values: Iterable[object]) -> bool:
        return privacy.counts_drawable(values)

    def chart(self, chart: pd.DataFrame) -> pd.DataFrame:
        """The p-chart without the periods too small to show a rate for."""
        chart = chart.copy()
        small = ~chart["decisions"].map(privacy.statistic_shown).astype(bool)
        chart.loc[small, "p"] = np.nan
        chart.loc[small, "too_small"] = True
        chart.loc[small, "signal"] = False
        return chart


def view_for(audience: str, relationship: Mapping[str, str] | None = None,
             names: Mapping[str, str | None] | None = None,
             codes: Mapping[str, str] | None = None) -> View:
    """The view of ``audience`` (``self`` or ``supervision``)."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience {audience!r} is not one of: {', '.join(AUDIENCES)}")
    cls = SelfView if audience == "self" else SupervisionView
    return cls(relationship, names, codes)
