"""The report's sections, and their registry.

Each section is a function of a :class:`~.report.ReflectionReport` (its model, the data, and
its audience view) returning a :class:`~.render.Block` for one notebook cell, registered with
:func:`section` under its name and the stage of the reflective cycle it serves. The registry
(:data:`SECTIONS`, in notebook order) gives ``ReflectionReport`` its methods
(``section.load_summary()``), and a test checks it against the cells of
``notebooks/reflection_report.ipynb``: every registered section is called there, and every
``section.<name>()`` call there is registered.

A new section is one function here (and its cell in the notebook); its numbers come from the
model, their display from the view, its prompts from :mod:`.prompts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from .. import __version__
from ..policy import RELATIONSHIPS
from . import prompts
from .model import add_months, period_title, previous_periods
from .render import (
    Block,
    FigureBlock,
    bullets,
    frame_table,
    paragraph,
    plural,
    render,
    section,
    table,
)

__all__ = ["Section", "SECTIONS", "STAGES", "section_names"]

RELATIONSHIP_ORDER = RELATIONSHIPS  # the order tables show them in
STAGES = ("heading", "description", "evaluation", "analysis", "prompts", "about")


@dataclass(frozen=True)
class Section:
    name: str        # the method the notebook calls: report.<name>()
    stage: str       # the stage of the reflective cycle (STAGES)
    build: Callable[..., Block]
    term_only: bool = False  # shown only in a term review (empty in every other report)

    @property
    def doc(self) -> str:
        return (self.build.__doc__ or "").strip()


SECTIONS: dict[str, Section] = {}


def register(stage: str) -> Callable[[Callable[..., Block]], Callable[..., Block]]:
    """Register a section function under its own name, in the order of definition."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")

    def add(build: Callable[..., Block]) -> Callable[..., Block]:
        if build.__name__ in SECTIONS:
            raise ValueError(f"section {build.__name__} registered twice")
        SECTIONS[build.__name__] = Section(build.__name__, stage, build)
        return build

    return add


def section_names() -> list[str]:
    return list(SECTIONS)


# ------------------------------------------------------------------------------------------
# heading


@register("heading")
def heading(r) -> Block:
    """Title, audience, the policy version(s) in force and how far the data reach."""
    p, d, v = r.period, r.data, r.view
    status = d.status
    last_export = None
    if len(d.snapshots) and d.snapshots["export_date"].notna().any():
        last_export = pd.Timestamp(d.snapshots["export_date"].max()).date()
    coverage = (f"Based on {status['snapshots']} {plural(status['snapshots'], 'export')} "
                f"ingested" + (f", the latest dated {last_export.isoformat()}" if last_export
                               else "")
                + (f"; data from {status['first_date']} to {status['last_date']}."
                   if status.get("first_date") else "."))
    return Block(render(
        "heading.html", title=("Term review" if r.term_review else "Reflection report")
        + f": {period_title(p)}",
        start=p.start.isoformat(), end=p.end.isoformat(), audience=v.audience,
        owner_name=d.owner_name if v.names_people else None,
        versions=r.model.versions_in(p), coverage=coverage,
        coverage_note=prompts.coverage_note(r.model.coverage)))


@register("heading")
def key_numbers(r) -> Block:
    """The period's headline figures (the same numbers as ``metrics``)."""
    m, s, v = r.metrics, r.shown, r.view
    load, pol = m["load"], m["policy"]
    if not r.model.covered:
        note = prompts.coverage_note(r.model.coverage)
        return Block(render("key_numbers.html", note=note), note)
    target = r.model.version_value("reply_within_days")
    rows = [
        ("Requests for help that started", v.total(load["requests"])),
        ("in conversations they opened", v.total(load["requests_opened_by_them"])),
        ("in conversations you opened", v.total(load["requests_in_your_threads"])),
        ("Answered (at any time since)", v.total(load["answered_requests"])),
        ("Reply rate", v.total_pct(load["answered_requests"], load["requests"])),
        ("Median time to first reply",
         v.total_hours(load["first_reply_hours_median"])),
    ]
    if target is not None and load.get("due_requests") is not None:
        rows += [(f"Due for a reply by your {target:g}-day aim", v.total(load["due_requests"])),
                 ("Answered within your aim",
                  v.total_pct(load.get("within_target"), load["due_requests"]))]
    rows.append(("Conversations waiting at the end", v.total(load["waiting"])))
    if target is not None and load.get("overdue") is not None:
        rows.append(("of them past your aim", v.total(load["overdue"])))
    rows += [
        ("Older threads lapsed (not counted as waiting)", v.total(load["lapsed"])),
        ("Messages in group conversations (context)", v.total(load["group_messages"])),
        # (as shown: in supervision a secondary suppression may hide it)
        ("Introduction requests", v.total(s["introductions"]["requests"])),
        ("Decisions the policy speaks to", v.total(pol["decisions"])),
        ("Following the policy in force", v.total_pct(pol["conforming"], pol["decisions"])),
    ]
    heading = "In this period" + (f" (so far, to {r.model.coverage['as_of']})"
                                  if r.model.cut_short else "")
    text = "\n".join(f"{k}: {val}" for k, val in rows)
    return Block(render("key_numbers.html", table=table([heading, ""], rows,
                                                           metric="section.key_numbers")),
                 text)


# ------------------------------------------------------------------------------------------
# description


@register("description")
def load_summary(r) -> Block:
    """Requests, replies, reply times, what is waiting (and lapsed) and the time it took."""
    v, model = r.view, r.model
    load = r.metrics["load"]
    title = "Requests for help and replies"
    if not model.covered:
        return Block("", "")  # the key numbers say why there are no figures
    if model.cut_short:
        title += f" (so far, to {model.coverage['as_of']})"
    req, ans = load["requests"], load["answered_requests"]
    group = load.get("group_messages") or 0
    items = [f"{v.total_counted(load['inbound_messages'], 'inbound message')} from people"
             + (f", {v.total(group)} of them in group conversations (context: they are not "
                "counted as requests unless you label them)" if group else "") + ";",
             f"{v.total_counted(req, 'request')} for help started in one-to-one conversations "
             "(a request is a run of messages from one person before you reply): "
             f"{v.total(load['requests_opened_by_them'])} in conversations they opened, "
             f"{v.total(load['requests_in_your_threads'])} in conversations you opened;",
             f"{v.part(ans, req)} of them answered so far (reply rate "
             f"{v.total_pct(ans, req)});"]
    if ans:
        items.append(f"time to first reply: median "
                     f"{v.total_hours(load['first_reply_hours_median'])}, "
                     f"90th percentile {v.total_hours(load['first_reply_hours_p90'])} "
                     "(calendar clock)"
                     + (f"; counting only your working hours: median "
                        f"{v.total_hours(load.get('first_reply_working_hours_median'))}"
                        if load.get("first_reply_working_hours_median") is not None else "")
                     + ";")
    target = model.version_value("reply_within_days")
    due = load.get("due_requests")
    if target is not None and due:
        items.append(f"{v.total_counted(due, 'request')} due for a reply by your {target:g}-day aim "
                     f"(those whose {target:g} days had passed by the end of the data), "
                     f"{v.total_pct(load.get('within_target'), due)} of them answered "
                     "within it;")
    items.append("waiting for you at the end: " + prompts.waiting_text(load, target, v)[:-1]
                 + (f", the oldest waiting {load['waiting_oldest_days']:.0f} days"
                    if load.get("waiting") and load.get("waiting_oldest_days") is not None
                    and v.detail else "") + ".")
    spent, budget = load.get("minutes_spent_estimate"), load.get("minutes_budget")
    parts = [bullets(items)]
    if spent is not None:
        parts.append(paragraph(f"Estimated time spent replying: about {spent:.0f} minutes"
                               + (f", against the {budget:.0f} minutes your policy plans for "
                                  f"these {r.period.days} days" if budget else "")
                               + " (your messages times the minutes per reply in the policy)."))
    if load.get("lapsed"):
        parts.append(paragraph(
            "Lapsed threads are requests left without a reply for longer than your waiting "
            f"window ({model.waiting_window()} days): they are counted, not listed, and no "
            "longer count as waiting.", "aa-note"))
    return section(title, *parts)


@register("description")
def load_figure(r) -> Block:
    """Requests per week (answered or not) and how many were waiting at each week's end."""
    from .. import figures
    from ..metrics.load import load_series

    model, v = r.model, r.view
    if not model.covered:
        return Block("", "")
    start = model.context_start()
    series = load_series(r.data.messages, start, r.period.end, model.policy, "week",
                         episodes=model.episodes, labels=r.data.labels,
                         data_to=r.data.data_to)
    series = series.loc[series["as_of"].notna()].reset_index(drop=True)
    if series["requests"].sum() == 0 and series["waiting"].sum() == 0:
        return section("Requests per week", paragraph(
            "No requests in this period or the weeks before it, and none waiting."))
    caption = ("Weeks overlapping the period"
               + (" (with earlier weeks for context)" if start < r.period.start else "")
               + ("; the last week is cut short by your newest export" if
                  not bool(series["complete"].iloc[-1]) else "") + ".")
    values = list(series["requests"]) + list(series["answered_requests"]) \
        + list(series["requests"] - series["answered_requests"]) + list(series["waiting"])
    if v.figure_ok(values):
        return FigureBlock(figures.load_figure(series, model.policy), caption,
                           metric="section.load_figure")
    weekly = pd.DataFrame({"week": series["period"], "answered": series["answered_requests"],
                           "no reply yet": series["requests"] - series["answered_requests"],
                           "requests": series["requests"]})
    shown = v.count_table(weekly, ["answered", "no reply yet"], total_column="requests")
    shown["waiting at week end"] = [v.n(x) for x in series["waiting"]] + [""]
    return section("Requests per week", paragraph(
        "The chart is replaced by this table in the supervision version because some weekly "
        "counts are under 5.", "aa-note"), frame_table(shown, caption, metric="section.load_table"))


@register("description")
def reply_times(r) -> Block:
    """How long first replies took (a histogram; in words where the counts are small)."""
    from .. import figures
    from ..metrics.load import reply_hours

    v = r.view
    if not r.model.covered:
        return Block("", "")
    hours = reply_hours(r.model.requests_only, r.period)
    if len(hours) == 0:
        return section("Time to first reply", paragraph(
            "No request of this period has had a reply yet."
            if r.metrics["load"]["requests"] else "No requests in this period."))
    if v.detail:
        return FigureBlock(figures.reply_time_figure(hours),
                           "Requests of this period that have had a reply.",
                           metric="section.reply_times")
    n = len(hours)
    if not v.statistic_ok(n):
        return section("Time to first reply", paragraph(
            "The distribution of reply times is withheld in the supervision version: "
            "fewer than 10 requests of this period were answered."))
    import numpy as np

    q = np.percentile(hours, [25, 50, 75, 90])
    return section("Time to first reply", paragraph(
        f"Over {v.part(n, r.metrics['load']['requests'])} answered requests: "
        "a quarter were answered within "
        f"{v.hours(q[0], n)}, half within {v.hours(q[1], n)}, three quarters "
        f"within {v.hours(q[2], n)}, nine in ten within {v.hours(q[3], n)}."))


@register("description")
def arrival_pattern(r) -> Block:
    """When messages arrive (weekday by hour), in the policy's time zone."""
    from .. import figures
    from ..metrics.load import weekday_hour_counts

    if not r.view.detail:
        return section("When messages arrive", paragraph(
            "The weekday-by-hour pattern is left out of the supervision version: its cells "
            "are small counts.", "aa-note"))
    tz = "UTC"
    policy = r.model.policy
    if policy is not None:
        wh = policy.capacity_version(r.period.end).working_hours
        if wh is not None:
            tz = wh.timezone
    counts = weekday_hour_counts(r.data.messages, r.period, tz)
    if counts.to_numpy().sum() == 0:
        return section("When messages arrive", paragraph("No messages arrived in this period."))
    return FigureBlock(figures.heatmap_figure(counts, tz),
                       "Inbound messages of the period by weekday and hour.",
                       metric="section.arrival_pattern")


@register("description")
def who_asks(r) -> Block:
    """Requests by relationship, and who asked most often."""
    model, v = r.model, r.view
    if not model.covered:
        return Block("", "")
    reqs = model.period_requests(requests_only=True).copy()
    if len(reqs) == 0:
        return section("Who asked", paragraph("No requests started in this period."))
    reqs["relationship"] = model.relationships_of(reqs["counterpart_key"])
    reqs["answered"] = reqs["replied_at"].notna()
    by_rel = (reqs.groupby("relationship").agg(requests=("request_key", "size"),
                                                answered=("answered", "sum"))
              .reindex([x for x in RELATIONSHIP_ORDER if x in set(reqs["relationship"])])
              .reset_index())
    by_rel["answered"] = by_rel["answered"].astype(int)
    by_rel["no reply yet"] = by_rel["requests"] - by_rel["answered"]
    by_rel = by_rel[["relationship", "answered", "no reply yet", "requests"]]
    shown = v.count_table(by_rel, ["answered", "no reply yet"], total_column="requests")
    parts = [frame_table(shown, "Requests that started in the period, by relationship "
                                "(from your labels; 'unknown' when not labelled).",
                       metric="section.who_asks.relationships")]
    top = (reqs.groupby("counterpart_key").agg(requests=("request_key", "size"),
                                                answered=("answered", "sum"))
           .sort_values(["requests", "answered"], ascending=False))
    top = top.loc[top["requests"] >= 2].head(8)
    if len(top):
        # per person, the answered count beside a small number of requests would be exact
        rows = [(v.person(k), v.relationship_of(k), v.n(int(x.requests)),
                 *([int(x.answered)] if v.detail else []))
                for k, x in top.iterrows()]
        headers = ["person", "relationship", "requests",
                   *(["answered"] if v.detail else [])]
        parts.append(table(headers, rows, "People with more than one request in the period.",
                           numeric_from=2, metric="section.who_asks.people"))
    return section("Who asked", *parts)


@register("description")
def waiting(r) -> Block:
    """Requests still waiting for a reply at the period's end (within the waiting window),
    oldest first; lapsed threads as a count, never a list."""
    model, v = r.model, r.view
    if not model.covered:
        return Block("", "")
    load = r.metrics["load"]
    title = "Waiting at the end of the period" + (
        f" (as of {model.coverage['as_of']})" if model.cut_short else "")
    target = model.version_value("reply_within_days")
    summary = prompts.waiting_text(load, target, v)
    waiting = model.waiting_requests()
    if len(waiting) == 0:
        return section(title, paragraph(
            "No request was waiting for a reply at the end of the period"
            + (f"; {v.counted(load['lapsed'], 'older thread')} lapsed." if load.get("lapsed")
               else ".")))
    if not prompts.lists_people(len(waiting), v):  # a list would give the hidden count away
        return section(title, paragraph(summary[0].upper() + summary[1:]))
    rows = [(v.person(x.counterpart_key), v.relationship_of(x.counterpart_key),
             v.waiting_days(x.days)) for x in waiting.head(10).itertuples()]
    caption = ("The longest-waiting requests" + (" (the first 10)" if len(waiting) > 10 else "")
               + f", all within your {model.waiting_window()}-day waiting window.")
    return section(title, paragraph(summary[0].upper() + summary[1:]),
                   table(["person", "relationship", "waiting (days)" if v.detail else "waiting"],
                         rows, caption, numeric_from=2, metric="section.waiting.people"))


@register("description")
def introductions_summary(r) -> Block:
    """Introduction requests of the period, their outcomes, and contacts asked of often."""
    from ..metrics.introductions import time_to_resolution

    v = r.view
    m, s = r.metrics["introductions"], r.shown["introductions"]
    parts = []
    if not m["requests"]:
        parts.append(paragraph("No introduction requests were made in this period."))
    else:
        outcomes = s["outcomes"]
        rows = [(k.replace("_", " "), outcomes[k]) for k in outcomes if m["outcomes"].get(k)]
        parts.append(paragraph(f"{v.counted(s['requests'], 'introduction request')} made in "
                               "the period."))
        parts.append(table(["outcome", "requests"], rows,
                           "Outcomes ('unreviewed': suggested by the rules, not yet "
                           "confirmed by you).", metric="section.introductions.outcomes"))
        res = time_to_resolution(r.data.introductions, r.period)
        if res["resolved"] and res["median_days"] is not None and v.statistic_ok(res["resolved"]):
            parts.append(paragraph(f"Median time to an outcome: {res['median_days']:.0f} days "
                                   f"(over {v.n(res['resolved'])} resolved)."))
    often = r.model.asked_often
    if len(often) and not prompts.lists_people(len(often), v):
        parts.append(paragraph(f"{prompts.asked_often_words(often, v)} asked for more than 3 "
                               "introductions in the 90 days to the end of the period (not "
                               "listed in this version: there are fewer than 5)."))
    elif len(often):
        rows = [(v.target(x), v.n(int(x.requests)), v.n(int(x.requesters)))
                for x in often.itertuples()]
        parts.append(table(["contact", "requests in 90 days", "people asking"], rows,
                           "Contacts asked for more than 3 introductions in the 90 days "
                           "to the end of the period.",
                           metric="section.introductions.asked_often"))
    return section("Introductions", *parts)


@register("description")
def introductions_figure(r) -> Block:
    """Introduction outcomes month by month over the six months to the period's end."""
    from .. import figures
    from ..metrics.introductions import OUTCOME_KEYS, monthly_series

    v = r.view
    start = add_months(r.period.end.replace(day=1), -5)
    series = monthly_series(r.data.introductions, r.data.labels, start, r.period.end)
    if series["requests"].sum() == 0:
        return section("Introduction requests by month", paragraph(
            "No introduction requests in the six months to the end of this period."))
    values = [x for k in OUTCOME_KEYS for x in series[k]] + list(series["requests"])
    if v.figure_ok(values):
        return FigureBlock(figures.introductions_figure(series, r.model.policy),
                           "Introduction requests by the month they were made.",
                           metric="section.introductions_figure")
    cols = [k for k in OUTCOME_KEYS if series[k].sum()]
    shown = v.count_table(series[["period", *cols]].rename(columns={"period": "month"}),
                          cols, total_column="requests")
    return section("Introduction requests by month", paragraph(
        "The chart is replaced by this table in the supervision version because some counts "
        "are under 5.", "aa-note"), frame_table(shown, metric="section.introductions_table"))


@register("description")
def decisions_summary(r) -> Block:
    """What you decided: invitation decisions and how requests were handled, by
    relationship."""
    model, v, d = r.model, r.view, r.data
    decided = model.decisions_in_period()
    incoming = d.invitations.loc[(d.invitations["direction"] == "incoming").to_numpy()
                                 & model.in_period(d.invitations["sent_at"]).to_numpy()]
    # The same count of requests as the key numbers; the handlings table also holds the runs
    # that are not requests (thanks needing no reply, group conversations): said so.
    requests = len(model.period_requests(requests_only=True))
    others = len(model.period_requests()) - requests
    parts = [paragraph(f"{v.counted(len(incoming), 'incoming invitation')} "
                       f"and {v.counted(requests, 'request')} for help in the period"
                       + (f" (and {v.counted(others, 'other run')} of messages: thanks that "
                          "needed no reply, or messages in group conversations)" if others
                          else "")
                       + f"; {v.counted(len(decided), 'decision')} recorded "
                       "(labels inferred from the data, suggested by the rules, or confirmed "
                       "by you).")]
    for kind, title in (("invitation", "Invitations: your decisions"),
                        ("request", "Requests: how you handled them" if not others else
                         "Requests and other messages: how you handled them")):
        crossed = model.decisions_by_relationship(kind)
        if len(crossed) == 0:
            continue
        # the adviser's words, not the stored codes ("no reply needed", not no_reply_needed)
        crossed = crossed.rename(columns=lambda c: c.replace("_", " "))
        values = [c for c in crossed.columns if c != "relationship"]
        parts.append(frame_table(v.count_table(crossed, values, total_column="total"), title,
                                 metric=f"section.decisions.{kind}"))
    suggested = int((decided["source"] == "suggested").sum()) if len(decided) else 0
    if suggested:
        parts.append(paragraph(f"{v.n(suggested)} of these rest on suggestions you have not "
                               "reviewed yet; confirming or correcting them makes the numbers "
                               "yours.", "aa-note"))
    return section("Decisions", *parts)


# ------------------------------------------------------------------------------------------
# evaluation


@register("evaluation")
def policy_in_force(r) -> Block:
    """What the policy version(s) in force during the period expect."""
    versions = r.model.versions_in(r.period)
    if not versions:
        return section("The policy in force", paragraph(
            "No policy version was in force during this period."))
    parts = []
    for version in versions:
        rows = []
        for rel in RELATIONSHIP_ORDER:
            inv = version.invitations.get(rel)
            req = version.requests.get(rel)
            rows.append((rel, ", ".join(sorted(inv)) if inv else "no expectation",
                         ", ".join(sorted(req)) if req else "no expectation"))
        caption = f"{version.name}, in force from {version.effective_from.isoformat()}"
        parts.append(table(["relationship", "invitations: you meant to", "requests: you "
                            "meant to"], rows, caption, numeric_from=99,
                           metric="section.policy_in_force"))
        extra = []
        if version.introductions:
            extra.append("introductions: " + ", ".join(sorted(version.introductions)))
        if version.minutes_per_week:
            extra.append(f"{version.minutes_per_week:g} minutes a week for replies")
        if version.reply_within_days:
            extra.append(f"reply within {version.reply_within_days:g} days")
        if extra:
            parts.append(paragraph("; ".join(extra) + "."))
    return section("The policy in force", *parts)


@register("evaluation")
def conformance(r) -> Block:
    """How often decisions matched the policy version in force, with a 95 % interval."""
    v = r.view
    pol = r.metrics["policy"]
    n = pol["decisions"]
    if r.model.policy is None:
        return section("Practice and policy", paragraph("No policy stored: nothing to compare."))
    if not n:
        return section("Practice and policy", paragraph(
            "No labelled decisions in this period that the policy had an expectation for. "
            "Worth discussing: is this a period to label, or is the policy silent on the "
            "relationships you met?"))
    parts = [paragraph(prompts.conformance_text(pol, r.shown["policy"].get("conformance_ci95"),
                                                v))]
    decided = r.model.decided
    counts = (decided.groupby(["kind", "relationship"])
              .agg(decisions=("subject", "size"), matched=("conforming", "sum"))
              .reset_index())
    counts["matched"] = counts["matched"].astype(int)
    counts["differed"] = counts["decisions"] - counts["matched"]
    counts["kind"] = counts["kind"].map({"invitation": "invitations", "request": "requests"})
    shown = v.count_table(counts[["kind", "relationship", "matched", "differed", "decisions"]],
                          ["matched", "differed"], total_column="decisions")
    parts.append(frame_table(shown, "Decisions by kind and relationship.", numeric_from=2,
                             metric="section.conformance.relationships"))
    differed = decided.loc[~decided["conforming"].astype(bool)]
    if len(differed) and v.names_people:
        rows = [(x.dated_at.date().isoformat(), v.person(x.person_key), x.relationship,
                 x.kind, x.value, " or ".join(x.expected), x.source)
                for x in differed.head(12).itertuples()]
        parts.append(table(["date", "person", "relationship", "kind", "you", "policy",
                            "label"], rows, "Where practice and policy differed "
                            "(the first 12).", numeric_from=99,
                           metric="section.conformance.differed"))
    return section("Practice and policy", *parts)


# ------------------------------------------------------------------------------------------
# analysis


@register("analysis")
def compare_earlier(r) -> Block:
    """This period beside the periods before it (same length)."""
    from ..metrics.drift import conformance as conformance_of

    model, v = r.model, r.view
    periods = [*previous_periods(r.period, r.EARLIER), r.period]
    rows = []
    for p in periods:
        lm = model.load_in(p)
        c = conformance_of(model.decided_in(p))
        label = p.name or (period_title(p) if p != r.period else "this period")
        if lm["coverage"]["as_of"] is not None and not lm["coverage"]["complete"]:
            label += " (so far)"
        if p == r.period:
            label += " (this period)" if "this period" not in label else ""
        rows.append((label, v.total(lm["requests"]),
                     v.total_pct(lm["answered_requests"], lm["requests"]),
                     v.total_hours(lm["first_reply_hours_median"]),
                     v.total(lm["waiting"]), v.total(c["decisions"]),
                     v.total_pct(c["conforming"], c["decisions"])))
    headers = ["period", "requests", "reply rate", "median first reply", "waiting at end",
               "decisions", "following policy"]
    note = paragraph("Small numbers move a lot from one period to the next by chance alone; "
                     "read differences as questions, not trends.", "aa-note")
    return section("Against earlier periods",
                   table(headers, rows, metric="section.compare_earlier"), note)


@register("analysis")
def p_chart(r) -> Block:
    """Conformance over the last twelve months (or weeks) with exact binomial limits."""
    from .. import figures

    if r.model.policy is None:
        return section("Conformance over time", paragraph("No policy stored: nothing to chart."))
    if r.model.conformance_chart is None:
        return section("Conformance over time", paragraph(
            "No labelled decisions with a policy expectation in these periods."))
    chart = r.view.chart(r.model.conformance_chart)
    fig = figures.p_chart_figure(chart, r.model.policy)
    return Block(render("figure_with_text.html", figure=Markup(FigureBlock(fig, metric="section.p_chart").html),
                        text=prompts.p_chart_text(chart, r.view)))


@register("analysis")
def decision_mix(r) -> Block:
    """The mix of decisions in this period against the three periods before it, with the
    noise floor for this sample size."""
    model, v = r.model, r.view
    if model.policy is None:
        return section("The mix of decisions", paragraph("No policy stored: nothing to compare."))
    base = model.baseline
    parts = [paragraph(f"Baseline: {base.start.isoformat()} to {base.end.isoformat()} (the "
                       "three periods before this one).")]
    changed = [x.name for x in model.policy.versions
               if base.start < x.effective_from <= r.period.end]
    if changed:
        parts.append(paragraph("A new policy version came into force between the baseline and "
                               f"the end of this period ({', '.join(changed)}): a change in "
                               "the mix may be the policy working.", "aa-note"))
    shown_any = False
    for kind, title in (("invitation", "invitation decisions"),
                        ("request", "request handlings")):
        if kind not in model.decision_mix_shifts:
            continue
        result = model.decision_mix_shifts[kind]
        cats = result["categories"]
        mix = pd.DataFrame({"decision": cats,
                            "this period": [result["current"][k] for k in cats],
                            "baseline": [result["baseline"][k] for k in cats]})
        parts.append(frame_table(v.count_table(mix, ["this period", "baseline"]),
                                 title.capitalize(), metric="section.decision_mix.mix"))
        comp = result["composition"]
        who = pd.DataFrame({"relationship": list(comp["current"]),
                            "this period": list(comp["current"].values()),
                            "baseline": [comp["baseline"][k] for k in comp["current"]]})
        parts.append(frame_table(v.count_table(who, ["this period", "baseline"]),
                                 f"Who the {title} concerned, by relationship "
                                 f"({result['strata_compared']} compared: those with "
                                 "decisions in both windows).",
                                 metric="section.decision_mix.relationships"))
        if result["p_value"] is None:
            words = "Not enough decisions in one of the two windows to compare their mix."
        else:
            words = prompts.prompt_for(result, quote_counts=v.quotes_counts)
        parts.append(paragraph(words))
        shown_any = True
    if not shown_any:
        parts.append(paragraph("No labelled decisions in this period or its baseline."))
    parts.append(paragraph(prompts.STRATIFIED + " " + prompts.NOISE_FLOOR, "aa-note"))
    return section("The mix of decisions against a baseline", *parts)


# ------------------------------------------------------------------------------------------
# prompts and colophon


@register("prompts")
def worth_discussing(r) -> Block:
    """Prompts drawn from this period's data for reflection and supervision."""
    items = prompts.worth_discussing(r.model, r.view) or [prompts.NOTHING_STANDS_OUT]
    return Block(render("prompts.html", items=items), "\n".join(f"- {i}" for i in items))


@register("about")
def about(r) -> Block:
    """How the numbers were made (definitions, versions, when)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Block(render("about.html", items=prompts.about_items(r.view), now=now,
                        version=__version__))


# ------------------------------------------------------------------------------------------
# sections kept in their own modules, placed in the notebook's order


def _register_after(anchor: str, stage: str, build: Callable[..., Block],
                    term_only: bool = False) -> None:
    """Put ``build`` into the registry just after ``anchor``."""
    if build.__name__ in SECTIONS:
        raise ValueError(f"section {build.__name__} registered twice")
    items = list(SECTIONS.items())
    items.insert(list(SECTIONS).index(anchor) + 1,
                 (build.__name__, Section(build.__name__, stage, build, term_only)))
    SECTIONS.clear()
    SECTIONS.update(items)


from .practice import promises_against_practice, values  # noqa: E402

_register_after("decisions_summary", "description", promises_against_practice)
_register_after("promises_against_practice", "description", values)

from .term import term_plans, term_policy_lived, term_prompts, term_trends  # noqa: E402

_register_after("decision_mix", "analysis", term_trends, term_only=True)
_register_after("term_trends", "analysis", term_policy_lived, term_only=True)
_register_after("term_policy_lived", "analysis", term_plans, term_only=True)
_register_after("worth_discussing", "prompts", term_prompts, term_only=True)
