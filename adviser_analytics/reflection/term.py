"""The term review (issue 14, item 6): the sections a report adds when it covers a term
(``report --every term``; the notebook's ``kind`` parameter is ``"term"``).

- :func:`term_trends`: the term month by month (requests, answered within the reply aim,
  the reply rate with its interval, waiting at each month's end, introductions asked and
  made, conformance), a small figure and a table;
- :func:`term_policy_lived`: each policy version in force during the term, its dates, its
  conformance (drift per version) and its promises measured over its own stretch of the term;
- :func:`term_plans`: each month's action plan (the one the next month's report opens with,
  "Last time you planned") beside the next month's measures; the adviser writes what came
  of them in the writing cell that follows;
- :func:`term_prompts`: prompts for the term.

Every number comes from the model (:meth:`.model.ReportModel.measures_in`, itself calling
``metrics/``) and is shown through the audience view: the supervision view passes each month
and version through the suppression registry (``month.*``, ``version.*`` in
``privacy.suppression.METRICS``). The sections are registered at the end of
:mod:`.sections` as term-only (after ``decision_mix``; ``term_prompts`` after
``worth_discussing``): any other report shows them empty, and the report command leaves
their cells out.
"""

from __future__ import annotations

import datetime as dt
import numbers
from types import SimpleNamespace

from markupsafe import Markup

from ..periods import Period
from . import prompts
from .model import add_months, period_title
from .render import Block, FigureBlock, paragraph, render, section, table
from .views import WITHHELD_WORDS

__all__ = ["term_trends", "term_policy_lived", "term_plans", "term_prompts", "month_rows",
           "INTERVAL_MEANS"]

#: what an interval means, in one sentence (the trends and the policy sections say it)
INTERVAL_MEANS = ("The range in brackets is a 95 % interval: with this many requests or "
                  "decisions, the underlying rate could plausibly lie anywhere in it, so two "
                  "months whose ranges overlap may not really differ.")


def month_rows(r) -> list[dict]:
    """The term's months as this audience may see them (the registry's ``month`` section);
    worked out once per report (the trends and the prompts both show them)."""
    if "_term_month_rows" not in r.__dict__:
        r.__dict__["_term_month_rows"] = [r.view.metrics({"month": row})["month"]
                                          for row in r.model.month_by_month]
    return r.__dict__["_term_month_rows"]


def _rate(v, shown: dict, rate: str, ci: str) -> str:
    """"62% (48–74%)": a shown rate with its interval; "–" or why it is withheld."""
    value = shown.get(rate)
    if value is None:
        base = {"reply_rate": "requests", "within_target_rate": "due_requests",
                "conformance_rate": "decisions"}[rate]
        n = shown.get(base)
        return "–" if n in (None, 0) else v.pct_missing(n)
    text = f"{100 * float(value):.0f}%"
    interval = shown.get(ci) if ci else None
    if interval:
        text += f" ({100 * interval[0]:.0f}–{100 * interval[1]:.0f}%)"
    return text


def _made_by_month(rows: list[dict]) -> list[object]:
    """Introductions made, month by month, as the audience may see them: the months add up
    to the term's figure shown elsewhere in the report, so one month hidden ("<5") beside
    months shown exactly would give it back; then the whole column is withheld."""
    made = [(x["introductions"] or {}).get("made") for x in rows]
    hidden = any(not isinstance(m, numbers.Integral) for m, x in zip(made, rows, strict=True)
                 if x.get("introductions_asked"))
    if hidden:
        return [WITHHELD_WORDS if x.get("introductions_asked") else "–" for x in rows]
    return ["–" if m is None else str(m) for m in made]


def _month_label(row: dict) -> str:
    return row["month"] + ("" if row["complete"] else " (so far)")


def term_trends(r) -> Block:
    """The term month by month: requests, answered within your aim, reply rate (with its
    95 % interval), waiting at each month's end, introductions asked and made, following the
    policy (with its interval); a small figure and the table."""
    from .. import figures

    v = r.view
    rows = [x for x in month_rows(r) if x["covered"]]
    title = "The term month by month"
    if not rows:
        return section(title, paragraph(prompts.coverage_note(r.model.coverage) or
                                        "No month of the term is in the data yet."))
    aims = {version.reply_within_days for version, _ in r.model.version_stretches()
            if version.reply_within_days}
    target = r.model.version_value("reply_within_days")
    aim = (f"answered within your {target:g}-day aim" if target and len(aims) <= 1
           else "answered within your aim at the time")
    made_by_month = _made_by_month(rows)
    body = []
    for x, made in zip(rows, made_by_month, strict=True):
        body.append((_month_label(x), v.total(x["requests"]),
                     _rate(v, x, "reply_rate", "reply_rate_ci95"),
                     f"{v.total(x['within_target'])} of {v.total(x['due_requests'])}"
                     if x.get("due_requests") is not None else "–",
                     v.total(x["waiting"]), v.total(x["introductions_asked"]),
                     made,
                     _rate(v, x, "conformance_rate", "conformance_ci95")))
    headers = ["month", "requests", "reply rate", aim, "waiting at month end",
               "introductions asked", "introductions made", "following the policy"]
    parts = []
    plotted = [x for x in rows if x.get("reply_rate") is not None
               or x.get("conformance_rate") is not None]
    if plotted:
        fig = figures.term_trends_figure(plotted, r.model.policy)
        parts.append(Markup(FigureBlock(fig, "Each month's share with its 95 % interval "
                                             "(the vertical bar).",
                                        metric="section.term_trends_figure").html))
    parts.append(table(headers, body, "Months of the term ('so far': the newest export ends "
                       "inside the month). Introductions made: made or met, by your labels.",
                       metric="section.term_trends"))
    parts.append(paragraph(INTERVAL_MEANS, "aa-note"))
    return section(title, *parts)


def term_policy_lived(r) -> Block:
    """Each policy version in force during the term: its dates in the term, how often
    decisions followed it (drift per version, with the interval) and the promises of its
    advice text measured over the days it was in force."""
    from ..metrics.drift import conformance
    from .practice import measured_promises

    v, model = r.view, r.model
    title = "The policy as lived"
    stretches = model.version_stretches()
    if not stretches:
        return section(title, paragraph("No policy version was in force during the term: "
                                        "nothing to compare practice with."))
    # in the supervision version, per-version counts beside the term's could give back one
    # under 5: each version's promises are kept to the adviser's own version
    per_version_withheld = len(stretches) > 1 and not v.detail
    rows, promised = [], []
    for version, stretch in stretches:
        mine = model.decided_in(stretch)
        mine = mine.loc[mine["version"] == version.name]
        pol = conformance(mine)
        shown = v.metrics({"version": {
            "name": version.name, "from": stretch.start.isoformat(),
            "to": stretch.end.isoformat(), "decisions": pol["decisions"],
            "conforming": pol["conforming"], "conformance_rate": pol["conformance_rate"],
            "conformance_ci95": pol["conformance_ci95"]}})["version"]
        rows.append((shown["name"], f"{period_title(stretch)} ({stretch.days} days)",
                     v.total(shown["decisions"]),
                     _rate(v, shown, "conformance_rate", "conformance_ci95")))
        part = model.part(stretch)
        if not part.covered or per_version_withheld:
            # in the supervision version the versions' counts would add up to the term's,
            # shown in "Promises against practice": one hidden beside another shown would
            # give it back
            continue
        sub = SimpleNamespace(view=v, metrics=part.metrics, shown=v.metrics(part.metrics),
                              model=part, period=stretch, data=r.data)
        measured = measured_promises(sub, version)
        if measured:
            promised.append((version.name, period_title(stretch), measured))
    parts = [table(["version", "in force during the term", "decisions", "following it"],
                   rows, "Decisions are compared with the version in force on their date.",
                   metric="section.term_policy")]
    if len(stretches) > 1:
        parts.append(paragraph(
            "A new version came into force during the term: a change between the versions "
            "may be the policy working, or the policy catching up with practice.", "aa-note"))
    parts.append(paragraph("As above, the range in brackets is a 95 % interval: two versions "
                           "whose ranges overlap may not really differ.", "aa-note"))
    if per_version_withheld:
        parts.append(paragraph("Each version's promises, measured over its own days, are in "
                               "your own version of this review (here they could give back "
                               "counts under 5 from the term's).", "aa-note"))
    return Block(render("term_policy.html", title=title, parts=parts, promised=promised))


def next_month(month: Period) -> Period:
    """The calendar month after the one ``month`` lies in."""
    first = add_months(month.start.replace(day=1), 1)
    return Period(first, add_months(first, 1) - dt.timedelta(days=1))


def monthly_plans(r) -> dict[str, dict]:
    """Per month of the term (its first day, ISO): the action plan the next month's report
    opens with ("Last time you planned": ``store.writing.previous_plan`` on the next month's
    first day), when it was written in a report of this month (one that started before the
    month is an earlier month's, or the term's own). The supervision view sees only the plans marked to share."""
    from ..store import Workspace
    from ..store.writing import previous_plan

    if "_term_plans" in r.__dict__:  # the plans section and the prompts both ask
        return r.__dict__["_term_plans"]
    out = {}
    with Workspace.open(r.path) as ws:
        for month in r.model.months:
            plan = previous_plan(ws, next_month(month).start.isoformat(),
                                 shared_only=r.view.shared_writing_only)
            if plan is None or plan["period_from"] < month.start.isoformat():
                continue  # written before the month (or over the whole term): not its plan
            made_in = Period(dt.date.fromisoformat(plan["period_from"]),
                             dt.date.fromisoformat(plan["period_to"]))
            out[month.start.isoformat()] = {"text": plan["text"],
                                            "title": period_title(made_in)}
    r.__dict__["_term_plans"] = out
    return out


def term_plans(r) -> Block:
    """Each month's action plan (the one the next month's report opens with) and the next
    month's measures beside it; what came of it is for you to write, in the cell below."""
    v, model = r.view, r.model
    title = "Each month's action plan, and what came of it"
    plans = monthly_plans(r)
    months = []
    for month in model.months:
        following = next_month(month)
        plan = plans.get(month.start.isoformat())
        after = v.metrics({"month": model.measures_in(following)})["month"]
        if after["covered"]:
            measures = [f"{v.total(after['requests'])} requests, reply rate "
                        f"{_rate(v, after, 'reply_rate', 'reply_rate_ci95')}",
                        f"answered within your aim: {v.total(after['within_target'])} of "
                        f"{v.total(after['due_requests'])}" if after.get("due_requests")
                        is not None else None,
                        f"waiting at its end: {v.total(after['waiting'])}",
                        f"following the policy: "
                        f"{_rate(v, after, 'conformance_rate', 'conformance_ci95')}"]
            measures = [m for m in measures if m]
            if not after["complete"]:
                measures.append("so far: the newest export ends inside it")
        else:
            measures = []
        months.append({"month": period_title(month), "next": period_title(following),
                       "plan": plan["text"] if plan else None,
                       "plan_from": plan["title"] if plan else None, "measures": measures})
    written = sum(1 for m in months if m["plan"])
    note = ("The plan of each month is the one you wrote in that month's report (its "
            "'Action plan'); the next month's report opened with it as 'Last time you "
            "planned'. Beside it, how the next month went.")
    if not written:
        note += (" No plan of these months is in your workspace yet"
                 + (" (or none was marked to share with supervision)" if
                    v.shared_writing_only else "")
                 + ": plans are kept when you write them in the monthly reports.")
    elif v.shared_writing_only:
        note += " Only the plans you marked to share are shown."
    return Block(render("term_plans.html", title=title, note=note, months=months))


def term_prompts(r) -> Block:
    """Prompts for the term, drawn from its months, its policy versions and its plans."""
    rows = [x for x in month_rows(r) if x["covered"]]
    plans = monthly_plans(r)
    items = prompts.term_prompts(rows, r.model, r.view, len(plans)) \
        or [prompts.NOTHING_STANDS_OUT]
    return Block(render("prompts.html", items=items, title="Worth discussing about the term"),
                 "\n".join(f"- {i}" for i in items))
