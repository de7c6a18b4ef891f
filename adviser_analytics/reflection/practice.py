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
from .render import Block, bullets, frame_table, paragraph, render, section, table
from .views import WITHHELD_WORDS

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


def _weeks_that_fall(n: int) -> str:
    return "week that falls" if n == 1 else "weeks that fall"


def _brokered(r, value: int, key: str) -> str:
    """Introductions made or met (a sum of two outcome cells), as the view may show it
    beside the outcomes table."""
    outcomes = r.shown["introductions"]["outcomes"] or {}
    return r.view.sum_shown(key, value, [outcomes.get(k, 0) for k in BROKERED])


def _measure(r, promise: Promise) -> str:
    """What happened in the period, in the words of the report, for one promise. Every
    number is stated by its key in the privacy registry (``privacy.METRICS``)."""
    v, m, model, period = r.view, r.metrics, r.model, r.period
    if promise.kind == "reply_within":
        load = m["load"]
        due, within = load.get("due_requests"), load.get("answered_within_target")
        if not load["requests"]:
            return "no request for help started in this period."
        if within is None or not due:
            return ("no request of this period has reached its reply aim yet (the exports "
                    "end too soon after it).")
        return (f"{v.shown('load.answered_within_target', within, of=due)} of "
                f"{v.shown('load.due_requests', due)} requests that started in this period "
                f"were answered within {promise.value:g} days"
                + (" (requests whose aim had not yet passed at the end of the exports are "
                   "left out)" if due < load["requests"] else "") + ".")
    if promise.kind == "connect_with":
        crossed = model.decisions_by_relationship("invitation")
        n = int(crossed["accept"].sum()) if "accept" in crossed else 0
        if not n:
            return "you accepted no labelled invitation in this period."
        promised = crossed["relationship"].isin(promise.relationships).to_numpy()
        k = int(crossed.loc[promised, "accept"].sum())
        # a sum of cells of the Decisions table: shown only where that table shows them all
        shown = v.count_table(crossed, [c for c in crossed.columns if c != "relationship"],
                              total_column="total")
        cells = shown["accept"].iloc[:len(crossed)].loc[promised]
        from_them = v.sum_shown('promises.accepted_from_promised', k, cells)
        accepted = v.shown('promises.invitations_accepted', n)
        if from_them == WITHHELD_WORDS:
            return (f"you accepted {accepted} invitations in this period; how many came from "
                    "them is not given in the supervision version, because some of the counts "
                    "behind it are under 5.")
        return (f"{from_them} of {accepted} invitations you accepted in this period were "
                "from them (by your labels).")
    if promise.kind in ("introductions_not_made", "introductions_made"):
        intro = m["introductions"]
        req = intro["requests"]
        if not req:
            return "nobody asked you for an introduction in this period."
        made = sum(int(intro["outcomes"].get(k, 0)) for k in BROKERED)
        unreviewed = int(intro["outcomes"].get("unreviewed", 0))
        return (f"of {v.shown('promises.introductions_asked', req)} introduction requests in "
                f"this period, you made {_brokered(r, made, 'promises.introductions_brokered')}"
                " (made or met; by your labels)"
                + (f"; {v.shown('promises.introductions_unreviewed', unreviewed, of=req)} "
                   "not reviewed yet, so their outcome is not known" if unreviewed else "")
                + ".")
    if promise.kind == "minutes_per_week":
        from ..metrics.values import weekly_minutes

        weeks = weekly_minutes(r.data.messages, model.policy, period.start, period.end)
        rows = weeks["weeks"]
        if not rows:
            return "no week of this period to measure."
        within = sum(1 for w in rows if w["budget"] is not None and not w["over_budget"])
        budgeted = weeks["weeks_with_budget"]
        median = weeks["median_minutes"]
        return (f"{v.shown('promises.weeks_within_budget', within, of=budgeted)} of "
                f"{v.shown('promises.weeks_with_budget', budgeted)} "
                f"{_weeks_that_fall(budgeted)} at least partly in this period stayed within "
                "the weekly time your policy plans"
                + (f" (a typical week took about {median:.0f} minutes, estimated from your "
                   "replies)" if median is not None else "") + ".")
    raise ValueError(f"unknown promise {promise.kind!r}")


def measured_promises(r, version) -> list[tuple[str, str]]:
    """``(what the advice says, what happened)`` for each measurable promise of the advice
    text written from ``version``, over ``r``'s period."""
    from ..advice import advice_context

    return [(p.words, _measure(r, p)) for p in promises(advice_context(version, {}))]


def promises_against_practice(r) -> Block:
    """Each promise the advice text makes, measured for the period."""

    policy = r.model.policy
    title = "Promises against practice"
    if policy is None:
        return Block(render("promises.html", title=title, rows=[],
                            note="No policy stored: the advice makes no promises to measure."))
    version = policy.version_on(r.period.end) or policy.versions[0]
    rows = measured_promises(r, version)
    note = (f"The promises of your \"Advice for contacting\" text, written from {version.name} "
            "(in force at the end of the period), each set beside what happened.")
    if not rows:
        note = "Your advice text makes no promise that can be measured from the exports."
    text = "\n".join(f"Your advice says {w}: {m}" for w, m in rows)
    return Block(render("promises.html", title=title, rows=rows, note=note), text)


#: how many employers the table of introductions names (the rest are one row)
EMPLOYER_ROWS = 8


def _employers_table(v, spread: dict) -> str:
    """Introductions asked by the employer of the person introduced to: the first
    :data:`EMPLOYER_ROWS` employers, the others and the unknown as one row each, so that the
    row of totals is every introduction asked (the adviser's own total). Employers are
    pseudonymised by the view; the split into made, not made and not reviewed yet is
    detail."""
    import pandas as pd

    per = spread["per_employer"]
    rows = [(v.employer(e["company"], i), e["asked"], e["brokered"], e["unreviewed"])
            for i, e in enumerate(per[:EMPLOYER_ROWS])]
    rest = per[EMPLOYER_ROWS:]
    if rest:
        rows.append(("other employers", *(sum(e[k] for e in rest)
                                           for k in ("asked", "brokered", "unreviewed"))))
    unknown = spread["asked"] - spread["employer_known"]
    if unknown:
        rows.append(("employer not known", unknown,
                     *(spread[k] - sum(e[k] for e in per) for k in ("brokered", "unreviewed"))))
    frame = pd.DataFrame(rows, columns=["employer", "asked", "made", "not reviewed yet"])
    frame["not made"] = frame["asked"] - frame["made"] - frame["not reviewed yet"]
    if v.detail:
        columns = ["made", "not made"] + (["not reviewed yet"] if spread["unreviewed"] else [])
        shown = v.count_table(frame[["employer", *columns, "asked"]], columns,
                              total_column="asked")
    else:
        shown = v.count_table(frame[["employer", "asked"]], ["asked"])
    return frame_table(shown, "Introductions asked by the employer of the person introduced "
                              "to.", metric="section.values.employers")


def _share(v, key: str, numerator: int, base: int, ci) -> str:
    """`` (42%; 95 % interval 30–55 %)`` for a registered share, or a word on why it is
    not given (the view says when it may be shown)."""
    shown = v.share(key, numerator, base)
    if not shown.endswith("%"):
        return v.share_not_given
    return f" ({shown}{v.interval(key + '_ci95', ci, numerator, base)})"


def values(r) -> Block:
    """The values the policy serves, measured: personal invitations, replies outside working
    hours, weekly time against the budget, the spread of introductions, keeping in touch.
    Every number is stated by its key in the privacy registry (``privacy.METRICS``)."""
    from ..metrics import values as V

    v, model, period, d = r.view, r.model, r.period, r.data
    start, end = period.start, period.end
    parts = []
    inv = V.personal_invitations(d.invitations, d.labels, start, end)
    n, k = inv["incoming"], inv["with_message"]
    items = [f"{v.shown('values.with_message', k, of=n)} of "
             f"{v.shown('values.invitations_incoming', n)} invitations you received carried a "
             "personal message"
             + _share(v, "values.share_with_message", k, n, inv["share_with_message_ci95"])
             + "."]
    for name, words in (("with_message", "with a message"),
                        ("without_message", "without one")):
        dec = inv[f"{name}_decisions"]
        decided, accepted = dec["decided"], dec["accepted"]
        if decided:
            key = f"values.{name}"
            decided_words = v.shown(key + "_decided", decided)
            if decided_words.startswith("<"):
                items.append(f"Of those {words}, you decided fewer than 5: how many you "
                             "accepted is not given in the supervision version.")
                continue
            items.append(f"Of those {words} that you decided, you accepted "
                         f"{v.shown(key + '_accepted', accepted, of=decided)} of "
                         f"{decided_words}"
                         + _share(v, key + "_accepted_rate", accepted, decided,
                                  dec["accepted_rate_ci95"]) + ".")
    parts.append(paragraph("Person-centred contact: invitations with a personal message."))
    parts.append(bullets(items))
    policy = model.policy
    if policy is not None:
        wh = policy.capacity_version(end).working_hours
        if wh is not None:
            out = V.out_of_hours_replies(d.messages, wh, start, end)
            m = out["replies"]
            parts.append(paragraph(
                f"Looking after yourself: of {v.shown('values.replies', m)} messages you sent, "
                f"{v.shown('values.outside_hours', out['outside_hours'], of=m)} were outside "
                f"your working hours and {v.shown('values.weekend', out['weekend'], of=m)} at "
                f"weekends ({wh.timezone} time)."))
        weeks = V.weekly_minutes(d.messages, policy, start, end)
        budgeted = weeks["weeks_with_budget"]
        if budgeted:
            parts.append(paragraph(
                f"{v.shown('values.weeks_over_budget', weeks['weeks_over_budget'], of=budgeted)}"
                f" of {v.shown('values.weeks_with_budget', budgeted)} "
                f"{_weeks_that_fall(budgeted)} at least partly in this period went over the "
                "weekly time your policy plans for replies (estimated from your messages)."))
    spread = V.introductions_spread(d.introductions, d.people, start, end)
    if spread["asked"]:
        words = (f"Impartiality: {v.shown('values.introductions_asked', spread['asked'])} "
                 "introductions were asked of you, "
                 f"{_brokered(r, spread['brokered'], 'values.introductions_brokered')} made")
        if spread["unreviewed"]:
            unreviewed = v.shown("values.introductions_unreviewed", spread["unreviewed"],
                                 of=spread["asked"])
            words += f" ({unreviewed} not reviewed yet: their outcome is not recorded)"
        if spread["employers"]:
            words += (f"; those to people whose employer is known went to "
                      f"{v.shown('values.employers', spread['employers'])} employers")
        words += "."
        if spread["concentrated"]:
            words += (" Most of them went to few employers (a concentration worth reflecting "
                      "on: does every client get the same chance of an introduction?).")
        parts.append(paragraph(words))
        parts.append(_employers_table(v, spread))
    else:
        parts.append(paragraph("Impartiality: no introduction was asked of you in this period."))
    kept = V.keep_in_touch(d.people, d.messages, d.labels, end)
    parts.append(paragraph(
        f"Keeping in touch: {v.shown('values.keep_in_touch', kept['count'])} professional "
        f"contacts you have not exchanged a message with in the {kept['months']} months up to "
        f"{kept['as_of']}."))
    if v.names_people and kept["people"]:
        rows = [(p["name"], p["company"] or "", p["last_spoken"] or "never")
                for p in kept["people"][:15]]
        parts.append(table(["contact", "employer", "last message"], rows,
                           "The keep-in-touch list (the longest silences first; 15 at most).",
                           numeric_from=99, metric="section.values.keep_in_touch"))
    return section("Values, measured", *parts)
