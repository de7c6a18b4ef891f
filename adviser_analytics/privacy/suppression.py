"""Suppression: every rule that decides what a supervisor may see, in one place.

Rules (the supervision audience)
    Counts of 1-4 are shown as ``"<5"`` (0 stays 0). When a total is shown and exactly one of
    its parts is hidden, a second part is hidden as well (secondary suppression) so the first
    cannot be recovered by subtraction. A cell hidden only for that reason is shown as
    ``"≥5"``: it is never 1-4, and showing it as ``"<5"`` would misstate it. Rates, medians and
    percentiles are withheld (``None``) when their base is under 10, and a rate is also withheld
    when its numerator is shown as ``"<5"`` (rate x base would give the hidden count back) or
    when the rest of its base is 1-4. A figure is drawn only if none of its counts is 1-4.

The registry (:data:`METRICS`)
    Every figure of the ``metrics --json`` object that may reach a supervisor is registered
    with its key, kind, decimals, base, label and :attr:`Metric.scope` (``"own total"``: about
    the adviser, over everyone; ``"breakdown"``: split by a person's attributes or per person).
    So is every number the report's sections "Promises against practice" (``promises.*``) and
    "Values, measured" (``values.*``) state, and every table and figure the report's sections
    may show a supervisor (``section.*``). :func:`suppress_metrics` and the supervision view
    (``reflection.views``) are driven by it, and anything not registered is **withheld**
    (deny by default): a new metric, table or figure reaches supervision only once it is
    registered here. Tables and figures made only for the adviser are listed in
    :data:`SELF_ONLY` (never registered).

The report's audience views (``reflection.views``) call the functions of this module for every
count, part, percentage, statistic, table and figure they show; they hold no rule of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "SMALL", "SECONDARY", "MIN_BASE", "Metric", "METRICS", "OWN_TOTAL", "BREAKDOWN",
    "metric", "suppress_count", "safe_percent", "supervision_percent", "suppress_part",
    "statistic_shown", "withheld_reason", "counts_drawable", "suppress_table",
    "suppress_metrics", "WITHHELD", "waiting_band", "SELF_ONLY",
]


SMALL = "<5"        # a count of 1-4
SECONDARY = "≥5"    # a count hidden so that a "<5" cannot be derived by subtraction
MIN_BASE = 10       # rates and other statistics need at least this many items
_SMALL_MAX = 4


def _as_count(n: object) -> int | None:
    """An int for int-like values (ints, integral floats, numpy ints); None otherwise."""
    if n is None or n is pd.NA or isinstance(n, bool):
        return None
    try:
        if pd.isna(n):
            return None
    except (TypeError, ValueError):
        return None
    try:
        value = float(n)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def _is_small(n: object) -> bool:
    value = _as_count(n)
    return value is not None and 1 <= value <= _SMALL_MAX


def suppress_count(n: Any) -> str | int | None:
    """0 stays 0, 1-4 becomes ``"<5"``, larger counts are returned as ints; None/NA -> None."""
    value = _as_count(n)
    if value is None:
        if n is None or n is pd.NA or (isinstance(n, float) and n != n):
            return None
        raise TypeError(f"not a count: {type(n).__name__}")
    return SMALL if 1 <= value <= _SMALL_MAX else value


def safe_percent(numerator: Any, base: Any, *, decimals: int = 0,
                 withheld: str | None = None) -> str | None:
    """``"42%"``, or ``withheld`` (None; pass ``"—"`` for tables) when it may not be shown.

    Withheld when the base is missing or under 10, and when the numerator is 1-4 (it is shown
    as ``"<5"``, and the percentage of a shown base would give it back).
    """
    num, den = _as_count(numerator), _as_count(base)
    if num is None or den is None or den < MIN_BASE or 1 <= num <= _SMALL_MAX:
        return withheld
    return f"{100.0 * num / den:.{decimals}f}%"


def _secondary(values: dict[Any, int], relations: list[tuple[Any, list[Any]]],
               hidden: set[Any], fixed: set[Any] | frozenset[Any] = frozenset()) -> set[Any]:
    """Cells to hide as well so that no relation ``total = sum(parts)`` has one hidden member.

    ``values`` maps cell id -> count; ``relations`` lists (total id, part ids); ``hidden``
    holds the cells already hidden (1-4); ``fixed`` the cells always shown (totals over
    everyone: the adviser's own). Returns the extra cells, chosen as the smallest non-zero
    shown part that is not fixed (the total itself if no part qualifies and it is not fixed;
    a relation with neither is left to the check of pinned cells, :func:`_pinned`). Repeats
    until stable, since hiding a cell can leave another relation with a single hidden member.
    """
    hidden = set(hidden)
    extra: set[Any] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            if sum(1 for m in (total, *parts) if m in hidden) != 1:
                continue
            candidates = [p for p in parts
                          if p not in hidden and p not in fixed and values[p] > 0]
            if candidates:
                pick = min(candidates, key=lambda p: (values[p], repr(p)))
            elif total not in hidden and total not in fixed:
                pick = total
            else:
                continue  # nothing left to hide here: left to the check of pinned cells
            hidden.add(pick)
            extra.add(pick)
            changed = True
    return extra


def _display(value: int | None, cell: Any, hidden: set[Any], extra: set[Any]) -> str:
    if value is None:
        return ""
    if cell in extra:
        return SECONDARY
    if cell in hidden:
        return SMALL
    return str(value)


WITHHELD = "withheld"  # a breakdown cell that no rule could protect otherwise


def _pinned(values: dict[Any, int], relations: list[tuple[Any, list[Any]]],
            hidden: set[Any]) -> list[Any]:
    """Hidden cells whose value follows from what is shown: for each, the least and greatest
    value the shown totals allow (a linear programme over the hidden cells, ``"<5"`` in 1-4,
    ``"≥5"`` at least 5); a cell is pinned when only one whole number fits."""
    import numpy as np
    from scipy.optimize import linprog

    cells = sorted(hidden, key=repr)
    if not cells:
        return []
    col = {c: i for i, c in enumerate(cells)}
    rows, rhs = [], []
    for total, parts in relations:
        members = [(total, -1.0), *((p, 1.0) for p in parts)]
        if not any(m in hidden for m, _ in members):
            continue
        row = np.zeros(len(cells))
        constant = 0.0
        for m, sign in members:
            if m in hidden:
                row[col[m]] += sign
            else:
                constant += sign * values[m]
        rows.append(row)
        rhs.append(-constant)
    bounds = [(1, _SMALL_MAX) if 1 <= values[c] <= _SMALL_MAX else (_SMALL_MAX + 1, None)
              for c in cells]
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    pinned = []
    for c in cells:
        objective = np.zeros(len(cells))
        objective[col[c]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status != 0 or high.status == 0 and np.ceil(low.fun - 1e-6) >= np.floor(
                -high.fun + 1e-6):
            pinned.append(c)
    return pinned


def suppress_table(df: pd.DataFrame, count_columns: Iterable[str], total_column: str | None = None,
                   row_total: bool = True, total_label: str = "Total",
                   own_totals: bool = True) -> pd.DataFrame:
    """Display strings for a table of counts, with primary and secondary suppression.

    ``count_columns`` are the cells. ``total_column`` names each row's total: taken from ``df``
    when it has that column, else computed as the row sum (and shown under that name). With
    ``row_total`` a row of column totals (labelled ``total_label``) is appended. Missing counts
    are shown as ``""`` and count as 0. Other columns are kept as they are.

    Disclosure by risk: the row of column totals is a total over everyone (the adviser's own)
    and with ``own_totals`` is shown in full; the cells and each row's total (a breakdown by a
    person's attribute) follow the rules. After primary and secondary suppression every
    hidden cell is checked against all the row and column totals shown (:func:`_pinned`);
    while one could be worked out, the smallest shown cell beside it is hidden too, and a
    breakdown that cannot be protected so is withheld as a whole.
    """
    cols = list(count_columns)
    rows = list(range(len(df)))
    values: dict[Any, int] = {}
    present: dict[Any, bool] = {}
    for c in cols:
        series = df[c]
        for r, v in zip(rows, series.tolist(), strict=True):
            count = _as_count(v)
            if count is None and not pd.isna(v):
                raise TypeError(f"column {c!r} holds a non-count value")
            values[(r, c)] = count or 0
            present[(r, c)] = count is not None
    relations: list[tuple[Any, list[Any]]] = []
    if total_column is not None:
        given = total_column in df.columns and total_column not in cols
        for r in rows:
            if given:
                count = _as_count(df[total_column].iloc[r])
                values[(r, "__total__")] = count or 0
                present[(r, "__total__")] = count is not None
            else:
                values[(r, "__total__")] = sum(values[(r, c)] for c in cols)
                present[(r, "__total__")] = True
            relations.append(((r, "__total__"), [(r, c) for c in cols]))
    if row_total:
        for c in cols:
            values[("__total__", c)] = sum(values[(r, c)] for r in rows)
            present[("__total__", c)] = True
            relations.append((("__total__", c), [(r, c) for r in rows]))
        if total_column is not None:
            grand = ("__total__", "__total__")
            values[grand] = sum(values[("__total__", c)] for c in cols)
            present[grand] = True
            relations.append((grand, [(r, "__total__") for r in rows]))
            relations.append((grand, [("__total__", c) for c in cols]))
    fixed = {cell for cell in values if cell[0] == "__total__"} if own_totals and row_total \
        else set()
    hideable = [cell for cell in values if cell not in fixed]
    hidden = {cell for cell in hideable if 1 <= values[cell] <= _SMALL_MAX}
    extra = _secondary(values, relations, hidden, fixed)
    hidden |= extra
    withheld = False
    for _ in range(len(values) + 1):
        pinned = _pinned(values, relations, hidden)
        if not pinned:
            break
        neighbours = []
        for cell in pinned:  # the smallest shown cell sharing a row or column with one
            neighbours = [p for t, parts in relations if cell in parts or cell == t
                          for p in [t, *parts]
                          if p not in hidden and p not in fixed and values[p] > 0]
            if neighbours:
                break
        if not neighbours:
            withheld = True
            break
        pick = min(neighbours, key=lambda p: (values[p], repr(p)))
        hidden.add(pick)
        extra.add(pick)
    else:
        withheld = True

    def shown(cell: Any) -> str:
        if withheld and cell not in fixed and present[cell]:
            return WITHHELD
        return _display(values[cell] if present[cell] else None, cell, hidden, extra)

    out = df.copy()
    for c in cols:
        out[c] = pd.Series([shown((r, c)) for r in rows], index=df.index, dtype="object")
    if total_column is not None:
        out[total_column] = pd.Series([shown((r, "__total__")) for r in rows], index=df.index,
                                      dtype="object")
    if row_total:
        other = [c for c in out.columns if c not in cols and c != total_column]
        last: dict[str, Any] = {c: "" for c in other}
        if other:
            last[other[0]] = total_label
        for c in cols:
            last[c] = shown(("__total__", c))
        if total_column is not None:
            last[total_column] = shown(("__total__", "__total__"))
        out = out.astype({c: "object" for c in other})
        total_row = pd.DataFrame([last], index=[total_label], columns=out.columns, dtype="object")
        out = pd.concat([out.astype("object"), total_row])
    return out


def supervision_percent(numerator: object, base: object) -> str | None:
    """:func:`safe_percent`, also withheld when the rest of the base is 1-4 (a percentage of a
    shown base gives the rest back)."""
    shown = safe_percent(numerator, base)
    if shown is None:
        return None
    rest = int(base) - int(numerator)  # type: ignore[call-overload]
    return None if 1 <= rest <= _SMALL_MAX else shown


def suppress_part(part: object, total: object) -> str | int | None:
    """A count shown beside the total it is part of: as :func:`suppress_count`, and hidden
    (``"≥5"``) when the rest of the total is 1-4, which subtraction would reveal."""
    p, t = _as_count(part), _as_count(total)
    if p is not None and t is not None and 1 <= t - p <= _SMALL_MAX and p > _SMALL_MAX:
        return SECONDARY
    return suppress_count(part)


#: the bands a person's waiting time (days) is shown in for supervision
WAITING_BANDS = ((7, "up to a week"), (14, "1-2 weeks"), (28, "2-4 weeks"),
                 (91, "1-3 months"), (None, "over 3 months"))


def waiting_band(days: object) -> str:
    """A person's exact waiting time as a band ("1-2 weeks"): exact ages of one person's
    conversation could be matched with what the supervisor knows of them."""
    if days is None or (isinstance(days, float) and days != days):
        return "–"
    value = float(days)  # type: ignore[arg-type]
    for upper, label in WAITING_BANDS:
        if upper is None or value <= upper:
            return label
    return WAITING_BANDS[-1][1]


def statistic_shown(base: object) -> bool:
    """Whether a rate, median or percentile over ``base`` items may be shown."""
    value = _as_count(base)
    return value is not None and value >= MIN_BASE


def withheld_reason(base: object) -> str:
    """Why a percentage over a shown base is withheld, in the report's words."""
    return "withheld (fewer than 10)" if not statistic_shown(base) else "withheld (small count)"


def counts_drawable(values: Iterable[object]) -> bool:
    """Whether a figure of these counts may be drawn: none of them is 1-4."""
    return not any(_is_small(v) for v in values)


# --------------------------------------------------------------------------------------------
# The registry of metrics (the ``metrics --json`` object, contract.md)
# --------------------------------------------------------------------------------------------

OWN_TOTAL = "own total"    # about the adviser: a total over everyone
BREAKDOWN = "breakdown"    # split by a person's attributes (relationship, outcome) or per person

KINDS = ("count", "rate", "interval", "statistic", "time", "outcomes", "label", "table",
         "figure")


@dataclass(frozen=True)
class Metric:
    """One registered figure. ``kind`` says which rule applies:

    - ``count``: 1-4 shown as ``"<5"``;
    - ``rate`` / ``interval``: withheld when ``base`` is under 10 or ``numerator`` is 1-4;
    - ``statistic``: a median or percentile, withheld when ``base`` is under 10;
    - ``time``: the adviser's own time or age of the oldest wait, shown;
    - ``outcomes``: a dict of counts that add up to ``base``, with secondary suppression;
    - ``label``: not a figure (dates of the period, coverage flags), shown;
    - ``table`` / ``figure``: a table or picture of the report (``section.<name>[.<part>]``):
      its counts go through :func:`suppress_table` (breakdowns, with the row of totals over
      everyone shown) or :func:`counts_drawable`; one not registered is withheld.
    """

    key: str                       # "section.name"
    kind: str
    label: str                     # in the domain's words
    decimals: int = 0
    base: str | None = None        # the count (same section) a rate or statistic rests on
    numerator: str | None = None   # for a rate: the count it is the share of
    scope: str = OWN_TOTAL

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.key}")
        if self.scope not in (OWN_TOTAL, BREAKDOWN):
            raise ValueError(f"unknown scope {self.scope!r} for {self.key}")


def _registry(*metrics: Metric) -> dict[str, Metric]:
    return {m.key: m for m in metrics}


def _conformance(section: str) -> tuple[Metric, ...]:
    """Conformance to the policy in force, as ``section`` gives it (a period, one month of
    a term, one policy version): decisions, conforming, the rate and its interval."""
    return (
        Metric(f"{section}.decisions", "count", "decisions the policy speaks to"),
        Metric(f"{section}.conforming", "count", "decisions following the policy"),
        Metric(f"{section}.conformance_rate", "rate", "share following the policy", 4,
               base="decisions", numerator="conforming"),
        Metric(f"{section}.conformance_ci95", "interval", "Wilson 95 % interval of that share",
               4, base="decisions", numerator="conforming"),
    )


def _replies(section: str) -> tuple[Metric, ...]:
    """Requests for help and the reply rate, as ``section`` gives them (a period, one month
    of a term)."""
    return (
        Metric(f"{section}.requests", "count", "requests for help that started"),
        Metric(f"{section}.answered_requests", "count", "requests answered"),
        Metric(f"{section}.reply_rate", "rate", "reply rate", 4, base="requests",
               numerator="answered_requests"),
    )


M = Metric
METRICS: dict[str, Metric] = _registry(
    M("period.from", "label", "first day of the period"),
    M("period.to", "label", "last day of the period"),
    M("coverage.data_to", "label", "the data reach this day"),
    M("coverage.as_of", "label", "the newest export is dated"),
    M("coverage.complete", "label", "the period is covered by the exports"),
    # response load
    M("load.inbound_messages", "count", "inbound messages from people"),
    *_replies("load"),
    M("load.requests_opened_by_them", "count", "requests in conversations they opened"),
    M("load.requests_in_your_threads", "count", "requests in conversations you opened"),
    M("load.group_messages", "count", "messages in group conversations"),
    M("load.first_reply_hours_median", "statistic", "median time to first reply (hours)", 2,
      base="answered_requests"),
    M("load.first_reply_hours_p90", "statistic", "90th percentile of time to first reply "
      "(hours)", 2, base="answered_requests"),
    M("load.first_reply_working_hours_median", "statistic", "median time to first reply in "
      "working hours", 2, base="answered_requests"),
    M("load.first_reply_working_hours_p90", "statistic", "90th percentile of time to first "
      "reply in working hours", 2, base="answered_requests"),
    M("load.answered_within_target", "count", "answered within your aim"),
    M("load.due_requests", "count", "requests due for a reply"),
    M("load.within_target", "count", "due requests answered within your aim"),
    M("load.within_target_rate", "rate", "share answered within your aim", 4,
      base="due_requests", numerator="within_target"),
    M("load.waiting", "count", "conversations waiting at the end"),
    M("load.waiting_oldest_days", "time", "the oldest waiting (days)", 2),
    M("load.overdue", "count", "waiting longer than your aim"),
    M("load.lapsed", "count", "waiting so long they lapsed"),
    M("load.minutes_spent_estimate", "time", "estimated minutes spent replying", 1),
    M("load.minutes_budget", "time", "minutes your policy plans", 1),
    # introductions
    M("introductions.requests", "count", "introduction requests"),
    M("introductions.outcomes", "outcomes", "introduction outcomes", base="requests",
      scope=BREAKDOWN),
    # policy drift
    *_conformance("policy"),
    M("policy.suggested", "count", "decisions resting on suggested labels"),
    # "Promises against practice" (reflection/practice.py)
    M("promises.invitations_accepted", "count", "invitations you accepted"),
    M("promises.accepted_from_promised", "count", "of them from the people the advice "
      "promises to connect with", scope=BREAKDOWN),
    M("promises.introductions_asked", "count", "introductions asked of you"),
    # a sum of outcome cells: shown only where the outcomes table shows each of its parts
    M("promises.introductions_brokered", "count", "introductions you made (made or met)",
      scope=BREAKDOWN),
    M("promises.introductions_unreviewed", "count", "introductions asked whose outcome is "
      "not reviewed yet", scope=BREAKDOWN),
    M("promises.weeks_with_budget", "count", "weeks with a weekly time in the policy"),
    M("promises.weeks_within_budget", "count", "weeks within the weekly time"),
    # "Values, measured" (reflection/practice.py, metrics/values.py)
    M("values.invitations_incoming", "count", "invitations you received"),
    M("values.with_message", "count", "invitations carrying a personal message",
      scope=BREAKDOWN),
    M("values.share_with_message", "rate", "share carrying a personal message", 4,
      base="invitations_incoming", numerator="with_message", scope=BREAKDOWN),
    M("values.share_with_message_ci95", "interval", "Wilson 95 % interval of that share", 4,
      base="invitations_incoming", numerator="with_message", scope=BREAKDOWN),
    *(m for name, words in (("with_message", "with a message"),
                            ("without_message", "without a message"))
      for m in (
          M(f"values.{name}_decided", "count", f"invitations {words} you decided",
            scope=BREAKDOWN),
          M(f"values.{name}_accepted", "count", f"invitations {words} you accepted",
            scope=BREAKDOWN),
          M(f"values.{name}_accepted_rate", "rate", f"share accepted of those {words}", 4,
            base=f"{name}_decided", numerator=f"{name}_accepted", scope=BREAKDOWN),
          M(f"values.{name}_accepted_rate_ci95", "interval", "Wilson 95 % interval of that "
            "share", 4, base=f"{name}_decided", numerator=f"{name}_accepted",
            scope=BREAKDOWN))),
    M("values.replies", "count", "messages you sent"),
    M("values.outside_hours", "count", "messages you sent outside your working hours"),
    M("values.weekend", "count", "messages you sent at weekends"),
    M("values.weeks_with_budget", "count", "weeks with a weekly time in the policy"),
    M("values.weeks_over_budget", "count", "weeks over the weekly time"),
    M("values.introductions_asked", "count", "introductions asked of you"),
    M("values.introductions_unreviewed", "count", "introductions asked whose outcome is not "
      "reviewed yet", scope=BREAKDOWN),
    M("values.introductions_brokered", "count", "introductions you made (made or met)",
      scope=BREAKDOWN),
    # the rows of the employers' table (each employer pseudonymised) show it anyway
    M("values.employers", "count", "employers the introductions went to"),
    M("values.concentrated", "label", "introductions concentrated on few employers"),
    M("values.keep_in_touch", "count", "professional contacts not spoken to for months",
      scope=BREAKDOWN),
    # the report's tables and figures (reflection/sections.py, reflection/practice.py)
    M("section.key_numbers", "table", "the period's headline figures (own totals)"),
    M("section.load_figure", "figure", "requests per week, answered or not, and waiting",
      scope=BREAKDOWN),
    M("section.load_table", "table", "requests per week (the chart as a table)",
      scope=BREAKDOWN),
    M("section.who_asks.relationships", "table", "requests by relationship", scope=BREAKDOWN),
    M("section.who_asks.people", "table", "people with more than one request",
      scope=BREAKDOWN),
    M("section.waiting.people", "table", "the longest-waiting requests (waiting in bands)",
      scope=BREAKDOWN),
    M("section.introductions.outcomes", "table", "introduction outcomes", scope=BREAKDOWN),
    M("section.introductions.asked_often", "table", "contacts asked for many introductions",
      scope=BREAKDOWN),
    M("section.introductions_figure", "figure", "introduction requests by month",
      scope=BREAKDOWN),
    M("section.introductions_table", "table", "introduction requests by month (the chart as "
      "a table)", scope=BREAKDOWN),
    M("section.decisions.invitation", "table", "invitation decisions by relationship",
      scope=BREAKDOWN),
    M("section.decisions.request", "table", "request handlings by relationship",
      scope=BREAKDOWN),
    M("section.policy_in_force", "table", "what the policy in force expects (no counts)"),
    M("section.conformance.relationships", "table", "decisions by kind and relationship",
      scope=BREAKDOWN),
    M("section.compare_earlier", "table", "this period beside earlier ones (own totals)"),
    M("section.p_chart", "figure", "conformance over time (periods under 10 decisions left "
      "out)"),
    M("section.decision_mix.mix", "table", "the mix of decisions against a baseline",
      scope=BREAKDOWN),
    M("section.decision_mix.relationships", "table", "whom the decisions concerned",
      scope=BREAKDOWN),
    # the term review (reflection/term.py): its months and versions go through month.* and
    # version.* above; the plans are the adviser's own writing, shown only when shared
    M("section.term_trends", "table", "the term month by month (own totals; introductions "
      "made as a breakdown)"),
    M("section.term_trends_figure", "figure", "the term's shares month by month with their "
      "intervals (own totals)"),
    M("section.term_policy", "table", "each policy version in force during the term"),
    M("section.term_plans", "table", "each month's action plan beside the month after "
      "(plans only as shared)"),
    M("section.values.employers", "table", "introductions by the employer of the person "
      "introduced to (employers pseudonymised)", scope=BREAKDOWN),
    # the term review: one month of the term (reflection.model.ReportModel.measures_in)
    M("month.month", "label", "the month"),
    M("month.from", "label", "first day of the month"),
    M("month.to", "label", "last day of the month"),
    M("month.covered", "label", "the exports reach into the month"),
    M("month.complete", "label", "the exports cover the whole month"),
    *_replies("month"),
    M("month.reply_rate_ci95", "interval", "Wilson 95 % interval of the reply rate", 4,
      base="requests", numerator="answered_requests"),
    M("month.due_requests", "count", "requests due for a reply"),
    M("month.within_target", "count", "due requests answered within your aim"),
    M("month.within_target_rate", "rate", "share answered within your aim", 4,
      base="due_requests", numerator="within_target"),
    M("month.waiting", "count", "conversations waiting at the month's end"),
    M("month.introductions_asked", "count", "introduction requests"),
    M("month.introductions", "outcomes", "introductions made (or met) and the others",
      base="introductions_asked", scope=BREAKDOWN),
    *_conformance("month"),
    # the term review: one policy version over the part of the term it was in force
    M("version.name", "label", "the policy version"),
    M("version.from", "label", "first day in force in the term"),
    M("version.to", "label", "last day in force in the term"),
    *_conformance("version"),
)
del M

#: Tables and figures of the report made for the adviser only: never registered, so that a
#: supervision version withholds them even if a section forgot to leave them out.
SELF_ONLY = ("section.reply_times", "section.arrival_pattern", "section.conformance.differed",
             "section.values.keep_in_touch")


def metric(key: str) -> Metric | None:
    """The registered metric ``section.name``, or None (then it is withheld from supervision)."""
    return METRICS.get(key)


def suppress_metrics(metrics: Mapping[str, Any],
                     registry: Mapping[str, Metric] | None = None) -> dict[str, Any]:
    """The ``metrics --json`` object as it may be shown to a supervisor (a new dict).

    Every value is treated as its :data:`METRICS` entry says: counts of 1-4 become ``"<5"``;
    ``reply_rate`` and ``conformance_rate`` (with its interval) become None when their base is
    under 10 or their numerator is 1-4; reply-time medians and percentiles become None when
    fewer than 10 requests were answered; the introduction outcomes get secondary suppression
    against ``introductions.requests`` (the relation is taken over all outcomes, or over all
    but ``unreviewed`` when that is the one that adds up). A key that is not registered is
    withheld (None): deny by default.
    """
    registry = METRICS if registry is None else registry
    out: dict[str, Any] = {}
    for section, value in metrics.items():
        if not isinstance(value, Mapping):
            out[section] = None  # no registered metric is a bare value
            continue
        data = copy.deepcopy(dict(value))
        out[section] = {key: _shown_value(registry.get(f"{section}.{key}"), key, data)
                        for key in data}
        if section == "introductions" or any(
                m.kind == "outcomes" for k, m in registry.items() if k.startswith(section + ".")):
            _secondary_outcomes(section, data, out[section], registry)
    return out


def _shown_value(entry: Metric | None, key: str, data: dict[str, Any]) -> Any:
    value = data[key]
    if entry is None:
        return None
    if entry.kind == "label" or entry.kind == "time":
        return value
    if entry.scope == OWN_TOTAL and entry.kind in ("count", "rate", "interval", "statistic"):
        # the adviser's own total over everyone: about the adviser, shown (domain.md)
        return value if value is None or _as_count(value) is not None \
            or isinstance(value, float | list | tuple) else None
    if entry.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int):
            return None if _as_count(value) is None else suppress_count(value)
        return suppress_count(value)
    if entry.kind in ("rate", "interval"):
        base = _as_count(data.get(entry.base)) if entry.base else None
        num = data.get(entry.numerator) if entry.numerator else None
        ok = base is not None and base >= MIN_BASE and not _is_small(num)
        return value if ok else None
    if entry.kind == "statistic":
        return value if statistic_shown(data.get(entry.base)) else None
    if entry.kind == "outcomes":
        if not isinstance(value, Mapping):
            return value if value is None else None
        return {k: suppress_count(v) if _as_count(v) is not None else None
                for k, v in value.items()}
    return None


def _secondary_outcomes(section: str, data: dict[str, Any], shown_section: dict[str, Any],
                        registry: Mapping[str, Metric]) -> None:
    """Secondary suppression of an ``outcomes`` breakdown against its total (in place)."""
    for key, value in data.items():
        entry = registry.get(f"{section}.{key}")
        if entry is None or entry.kind != "outcomes" or not isinstance(value, Mapping):
            continue
        counts = {k: _as_count(v) or 0 for k, v in value.items()}
        total = _as_count(data.get(entry.base)) if entry.base else None
        values: dict[Any, int] = dict(counts)
        relations: list[tuple[Any, list[Any]]] = []
        if total is not None:
            values["__total__"] = total
            candidates = [list(counts), [k for k in counts if k != "unreviewed"]]
            parts = next((c for c in candidates if sum(counts[k] for k in c) == total),
                         candidates[0])
            relations.append(("__total__", parts))
        base_entry = registry.get(f"{section}.{entry.base}") if entry.base else None
        fixed = {"__total__"} if total is not None and base_entry is not None \
            and base_entry.scope == OWN_TOTAL else set()
        hidden = {k for k, v in values.items() if 1 <= v <= _SMALL_MAX and k not in fixed}
        extra = _secondary(values, relations, hidden, fixed)
        hidden |= extra
        shown = shown_section[key]
        for k in value:
            if k in extra:
                shown[k] = SECONDARY
        if _pinned(values, relations, hidden):
            for k in value:  # the total gives the one hidden outcome back: withhold them all
                shown[k] = WITHHELD if counts.get(k) else shown[k]
        if "__total__" in extra and entry.base in shown_section:
            shown_section[entry.base] = SECONDARY
