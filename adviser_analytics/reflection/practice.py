"""The report's "Promises against practice" section (issue 14, item 2).

The promises are read from :func:`adviser_analytics.advice.advice_context`, the same facts
the "Advice for contacting" text is written from, so the advice and the report share one
list of promises: :func:`promises` turns that context into the promises that can be
measured, and :func:`promises_against_practice` measures each for the report's period.

Both sections here (and :func:`values`) are registered at the end of :mod:`.sections`, just
after ``decisions_summary`` (the description of what was done): their notebook cells stand
just before "Feelings".
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import BROKERED
from .render import Block, bullets, paragraph, render, section, table

__all__ = ["Promise", "promises", "promises_against_practice", "values"]


@dataclass(frozen=True)
class Promise:
    """One measurable promise of the advice text: ``kind`` names the measure, ``words`` is
    what the advice says, ``relationships`` the relationships it speaks of (for
    ``connect_with``) and ``value`` the figure it names (days, minutes)."""

    kind: str
    words: str
    relationships: tuple[str, ...] = ()
    value: float | None = None


def promises(context: dict) -> list[Promise]:
    """The measurable promises in an advice context (:func:`advice.advice_context`)."""
    from ..advice import PLURALS, _days, _join_words

    relationship_of = {words: rel for rel, words in PLURALS.items()}
    out = []
    if context.get("reply_within_days"):
        days = context["reply_within_days"]
        out.append(Promise("reply_within", f"you reply within {_days(days)}", value=float(days)))
    if context.get("connect_with"):
        rels = tuple(relationship_of[w] for w in context["connect_with"])
        # the advice speaks in the first person; the report speaks to the adviser
        whom = [w.replace(" I advise", " you advise") for w in context["connect_with"]]
        out.append(Promise("connect_with", f"you connect with {_join_words(whom)}",
                           relationships=rels))
    stance = context.get("introductions")
    if stance == "not_made":
        out.append(Promise("introductions_not_made", "you don't make introductions"))
    elif stance in ("welcome", "case_by_case"):
        out.append(Promise("introductions_made", "you make introductions"
                           + (" case by case" if stance == "case_by_case" else "")))
    if context.get("minutes_per_week"):
        minutes = float(context["minutes_per_week"])
        out.append(Promise("minutes_per_week",
                           f"you give about {minutes:g} minutes a week to replies",
                           value=minutes))
    return out


def _measure(r, promise: Promise) -> str:
    """What happened in the period, in the words of the report, for one promise."""
    v, m, model, period = r.view, r.metrics, r.model, r.period
    if promise.kind == "reply_within":
        load = m["load"]
        due, within = load.get("due_requests"), load.get("answered_within_target")
        if not load["requests"]:
            return "no request for help started in this period."
        if within is None or not due:
            return ("no request of this period has reached its reply aim yet (the exports "
                    "end too soon after it).")
        return (f"{v.part(within, due)} of {v.n(due)} requests that started in this period "
                f"were answered within {promise.value:g} days"
                + (" (requests whose aim had not yet passed at the end of the exports are "
                   "left out)" if due < load["requests"] else "") + ".")
    if promise.kind == "connect_with":
        decisions = model.decisions_in_period()
        accepted = decisions.loc[(decisions["kind"] == "invitation")
                                 & (decisions["value"] == "accept")]
        n = len(accepted)
        if not n:
            return "you accepted no labelled invitation in this period."
        k = int(accepted["relationship"].isin(promise.relationships).sum())
        return (f"{v.part(k, n)} of {v.n(n)} invitations you accepted in this period were "
                "from them (by your labels).")
    if promise.kind in ("introductions_not_made", "introductions_made"):
        intro = m["introductions"]
        req = intro["requests"]
        if not req:
            return "nobody asked you for an introduction in this period."
        made = sum(int(intro["outcomes"].get(k, 0)) for k in BROKERED)
        return (f"of {v.n(req)} introduction requests in this period, you made "
                f"{v.part(made, req)} (made or met; by your labels).")
    if promise.kind == "minutes_per_week":
        from ..metrics.values import weekly_minutes

        weeks = weekly_minutes(r.data.messages, model.policy, period.start, period.end)
        rows = weeks["weeks"]
        if not rows:
            return "no week of this period to measure."
        within = sum(1 for w in rows if w["budget"] is not None and not w["over_budget"])
        budgeted = weeks["weeks_with_budget"]
        median = weeks["median_minutes"]
        return (f"{v.part(within, budgeted)} of {v.n(budgeted)} weeks meeting this period "
                "stayed within the weekly time your policy plans"
                + (f" (a typical week took about {median:.0f} minutes, estimated from your "
                   "replies)" if median is not None else "") + ".")
    raise ValueError(f"unknown promise {promise.kind!r}")


def promises_against_practice(r) -> Block:
    """Each promise the advice text makes, measured for the period."""
    from ..advice import advice_context

    policy = r.model.policy
    title = "Promises against practice"
    if policy is None:
        return Block(render("promises.html", title=title, rows=[],
                            note="No policy stored: the advice makes no promises to measure."))
    version = policy.version_on(r.period.end) or policy.versions[0]
    context = advice_context(version, {})
    rows = [(p.words, _measure(r, p)) for p in promises(context)]
    note = (f"The promises of your \"Advice for contacting\" text, written from {version.name} "
            "(in force at the end of the period), each set beside what happened.")
    if not rows:
        note = "Your advice text makes no promise that can be measured from the exports."
    text = "\n".join(f"Your advice says {w}: {m}" for w, m in rows)
    return Block(render("promises.html", title=title, rows=rows, note=note), text)


def _interval(v, share_ci, k, n) -> str:
    """``; 95 % interval a–b %`` when the view shows statistics for this base."""
    if share_ci is None or not v.statistic_ok(n) or v.pct(k, n) is None:
        return ""
    low, high = share_ci
    return f"; 95 % interval {100 * low:.0f}–{100 * high:.0f} %"


def values(r) -> Block:
    """The values the policy serves, measured: personal invitations, replies outside working
    hours, weekly time against the budget, the spread of introductions, keeping in touch."""
    from ..metrics import values as V

    v, model, period, d = r.view, r.model, r.period, r.data
    start, end = period.start, period.end
    parts = []
    inv = V.personal_invitations(d.invitations, d.labels, start, end)
    n, k = inv["incoming"], inv["with_message"]
    items = [f"{v.part(k, n)} of {v.n(n)} invitations you received carried a personal message "
             f"({v.pct_text(k, n)}{_interval(v, inv['share_with_message_ci95'], k, n)})."]
    for name, words in (("with_message", "with a message"),
                        ("without_message", "without one")):
        dec = inv[f"{name}_decisions"]
        if dec["decided"]:
            items.append(f"Of those {words} that you decided, you accepted "
                         f"{v.part(dec['accepted'], dec['decided'])} of {v.n(dec['decided'])} "
                         f"({v.pct_text(dec['accepted'], dec['decided'])}"
                         f"{_interval(v, dec['accepted_rate_ci95'], dec['accepted'], dec['decided'])}).")
    parts.append(paragraph("Person-centred contact: invitations with a personal message."))
    parts.append(bullets(items))
    policy = model.policy
    if policy is not None:
        wh = policy.capacity_version(end).working_hours
        if wh is not None:
            out = V.out_of_hours_replies(d.messages, wh, start, end)
            m = out["replies"]
            parts.append(paragraph(
                f"Looking after yourself: of {v.n(m)} messages you sent, "
                f"{v.part(out['outside_hours'], m)} were outside your working hours and "
                f"{v.part(out['weekend'], m)} at weekends ({wh.timezone} time)."))
        weeks = V.weekly_minutes(d.messages, policy, start, end)
        if weeks["weeks_with_budget"]:
            parts.append(paragraph(
                f"{v.part(weeks['weeks_over_budget'], weeks['weeks_with_budget'])} of "
                f"{v.n(weeks['weeks_with_budget'])} weeks meeting this period went over the "
                "weekly time your policy plans for replies (estimated from your messages)."))
    spread = V.introductions_spread(d.introductions, d.people, start, end)
    if spread["asked"]:
        words = (f"Impartiality: {v.n(spread['asked'])} introductions were asked of you, "
                 f"{v.part(spread['brokered'], spread['asked'])} made; "
                 f"{v.n(spread['employer_known'])} to people whose employer is known, at "
                 f"{v.n(spread['employers'])} employers.")
        if spread["concentrated"]:
            words += (" Most of them went to few employers (a concentration worth reflecting "
                      "on: does every client get the same chance of an introduction?).")
        parts.append(paragraph(words))
        if v.names_people and spread["per_employer"]:
            rows = [(e["company"], e["asked"], e["brokered"])
                    for e in spread["per_employer"][:8]]
            parts.append(table(["employer", "asked", "made"], rows,
                               "Introductions by the employer of the person introduced to.",
                               numeric_from=1))
    else:
        parts.append(paragraph("Impartiality: no introduction was asked of you in this period."))
    kept = V.keep_in_touch(d.people, d.messages, d.labels, end)
    parts.append(paragraph(
        f"Keeping in touch: {v.n(kept['count'])} professional contacts you have not exchanged "
        f"a message with in the {kept['months']} months up to {kept['as_of']}."))
    if v.names_people and kept["people"]:
        rows = [(p["name"], p["company"] or "", p["last_spoken"] or "never")
                for p in kept["people"][:15]]
        parts.append(table(["contact", "employer", "last message"], rows,
                           "The keep-in-touch list (the longest silences first; 15 at most).",
                           numeric_from=99))
    return section("Values, measured", *parts)
