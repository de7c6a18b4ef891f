"""The reflective prompts: every sentence of a report that reads the data back to the adviser
("Worth discussing: ..."), never a verdict or a rating.

:func:`prompt_for` words a result of ``metrics/`` (conformance, a p-chart, a decision-mix
shift, the load and introduction figures); it was ``metrics.drift.prompt_for``. The functions
below it write the report's own prompts through an audience view (:mod:`.views`), so that the
same sentence serves both audiences with each one's counts, percentages and people.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["prompt_for", "NOISE_FLOOR", "conformance_text", "p_chart_text", "worth_discussing",
           "NOTHING_STANDS_OUT", "about_items", "waiting_text", "coverage_note",
           "provisional_text", "STRATIFIED", "lists_people", "asked_often_words",
           "term_prompts"]

#: what the noise floor of the decision mix is (domain.md, Policy drift)
NOISE_FLOOR = ("The Jensen-Shannon distance is shown beside its noise floor: the 95th "
               "percentile of the distances chance alone produces at this sample size, so "
               "chance exceeds it only 5 times in 100. Fixed thresholds are not used: at a few "
               "dozen decisions they would raise false alarms.")

#: how the decision mix is compared (domain.md, Policy drift, revised)
STRATIFIED = ("The mix is compared within each relationship (clients with clients, "
              "colleagues with colleagues), so that a period with more people of one kind "
              "is not read as a change in how you decide.")

NOTHING_STANDS_OUT = ("Nothing in the data stands out this period. Worth discussing: what does "
                      "the data not show about how the work felt and what it achieved?")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def prompt_for(result, *, quote_counts: bool = True) -> str:
    """A reflective prompt for a result of metrics/: "Worth discussing: ..." or a
    neutral description; never a verdict or a rating. ``quote_counts=False`` leaves the
    numbers of decisions out (for the supervision audience)."""
    if isinstance(result, pd.DataFrame) and "signal" in result:
        judged = result.loc[~result["too_small"]]
        small = int(result["too_small"].sum())
        parts = []
        for row in result.loc[result["signal"]].itertuples(index=False):
            side = "below" if row.p < row.p_bar else "above"
            if quote_counts:
                parts.append(f"{row.period} ({_pct(row.p)} of {int(row.decisions)} decisions, "
                             f"{side} the usual range)")
            else:
                parts.append(f"{row.period} ({side} the usual range)")
        tail = (f" {small} period{'s were' if small != 1 else ' was'} too small to judge "
                f"and {'are' if small != 1 else 'is'} not read either way.") if small else ""
        if parts:
            return ("Worth discussing: in " + "; ".join(parts) + " practice and the policy in "
                    "force were further apart or closer than chance alone would usually "
                    "explain. What was different then?" + tail)
        if len(judged) == 0:
            return ("No period had enough decisions to judge on its own; the series is "
                    "shown for description only." + tail)
        return ("Conformance moved within the range chance alone would produce in every "
                "period large enough to judge." + tail)
    if not isinstance(result, Mapping):
        raise TypeError(f"no prompt for {type(result).__name__}")
    if "conformance_rate" in result:
        n, k, rate = result["decisions"], result["conforming"], result["conformance_rate"]
        if not n:
            return ("No labelled decisions in this period that the policy had an expectation "
                    "for. Worth discussing: is this period one to label, or is the policy "
                    "silent on the relationships met?")
        lo, hi = result["conformance_ci95"]
        text = (f"{k} of {n} decisions ({_pct(rate)}) matched what the policy in force "
                f"expected; with this many decisions the rate could plausibly be anywhere from "
                f"{_pct(lo)} to {_pct(hi)}.")
        if result.get("suggested"):
            text += (f" {result['suggested']} of them rest on suggested labels not yet "
                     "reviewed.")
        if k < n:
            text += (" Worth discussing: in the cases that differed, was the policy or the "
                     "situation the better guide?")
        return text
    if "js_distance" in result:
        if result["p_value"] is None:
            return "Not enough decisions in one of the two windows to compare their mix."
        js, floor, p = result["js_distance"], result["js_noise_floor"], result["p_value"]
        p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        size = f" for {result['n_current']} decisions" if quote_counts else ""
        if p < 0.05 and js > floor:
            return (f"Worth discussing: the mix of decisions differs from the baseline more "
                    f"than chance at this size would usually produce ({p_text}; "
                    f"Jensen-Shannon distance {js:.2f} against a noise floor of {floor:.2f}"
                    f"{size}). What changed in the requests, or in how you meet them?")
        return (f"The mix of decisions is within what chance would produce at this size "
                f"({p_text}; Jensen-Shannon distance {js:.2f}, noise floor {floor:.2f}"
                f"{size}). Worth discussing only if it matches something you noticed yourself.")
    if "reply_rate" in result:
        if not result["requests"]:
            return "No requests started in this period."
        text = (f"{result['answered_requests']} of {result['requests']} requests had a reply "
                f"({_pct(result['reply_rate'])}).")
        if result.get("waiting") or result.get("lapsed"):
            text += " Waiting at the end: " + waiting_text(result)
        spent, budget = result.get("minutes_spent_estimate"), result.get("minutes_budget")
        if spent is not None and budget:
            text += (f" Estimated time replying: {spent:.0f} minutes against {budget:.0f} "
                     f"planned.")
        return text + (" Worth discussing: which requests could be met by referring to an "
                       "existing service, and which needed you?")
    if "outcomes" in result:
        if not result["requests"]:
            return "No introduction requests in this period."
        unrev = result["outcomes"].get("unreviewed", 0)
        text = f"{result['requests']} introduction request{'s' if result['requests'] != 1 else ''}."
        if unrev:
            text += f" {unrev} not yet reviewed."
        return text + (" Worth discussing: which contacts do you want to protect, and which "
                       "introductions were worth making?")
    raise TypeError("no prompt for this result")


def waiting_text(load: Mapping, target_days: float | None = None, view=None) -> str:
    """"7 waiting, 2 past your 5-day aim; 135 older threads lapsed." (the adviser's own totals
    over everyone, shown to both audiences; the aim only when a reply target is known; lapsed
    threads as a count, never a list)."""
    def n(value) -> str:
        return view.total(value) if view is not None else str(int(value or 0))

    text = f"{n(load.get('waiting'))} waiting"
    if load.get("overdue") is not None and target_days:
        text += f", {n(load['overdue'])} past your {target_days:g}-day aim"
    lapsed = load.get("lapsed")
    if lapsed:
        text += (f"; {n(lapsed)} older thread{'' if n(lapsed) == '1' else 's'} lapsed")
    return text + "."


def coverage_note(coverage: Mapping) -> str | None:
    """What the data cover of the period, in words (None when they cover all of it)."""
    data_to, as_of = coverage.get("data_to"), coverage.get("as_of")
    if data_to is None:
        return "Nothing is ingested yet, so there are no figures for this period."
    if as_of is None:
        return (f"This period starts after your newest export (dated {data_to}), so there are "
                "no figures for it yet: ingest a newer export to see it.")
    if not coverage.get("complete"):
        return (f"Your newest export is dated {data_to}: the figures for this period are so "
                f"far, up to that day. Days after it are not in the data yet.")
    return None


def provisional_text(chart: pd.DataFrame, days: int = 21) -> str | None:
    """Words for the periods of a p-chart that are provisional (None when none is)."""
    if "provisional" not in chart or not chart["provisional"].any():
        return None
    names = [str(x) for x in chart.loc[chart["provisional"].astype(bool), "period"]]
    many = len(names) > 1
    listed = names[0] if not many else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"{listed} {'are' if many else 'is'} provisional: some of "
            f"{'their' if many else 'its'} decisions are younger than {days} days, so labels "
            "the data will prove later (such as a request left without a reply) are not in "
            f"yet. {'They are' if many else 'It is'} shown but not judged.")


# ---------------------------------------------------------------------------------------
# the report's prompts, through an audience view


def conformance_text(pol: Mapping, ci, view) -> str:
    """How often decisions matched the policy in force, with its Wilson interval (``ci``: as
    this audience may see it, or None)."""
    n, k = pol["decisions"], pol["conforming"]
    # the share following the policy is one of the adviser's own totals over everyone: both
    # audiences see it (as the table "Against earlier periods" does)
    if not n:
        return "No decisions in this period that the policy speaks to."
    text = (f"{view.total(k)} of {view.total(n)} decisions ({view.total_pct(k, n)}) matched "
            "what the policy in force expected")
    if ci:
        text += (f"; with this many decisions the rate could plausibly be anywhere from "
                 f"{100 * ci[0]:.0f}% to {100 * ci[1]:.0f}% (Wilson 95 % interval).")
    else:
        text += "."
    if pol.get("suggested"):
        text += f" {view.n(pol['suggested'])} of them rest on suggested labels not yet reviewed."
    if k < n:
        text += (" Worth discussing: in the cases that differed, was the policy or the "
                 "situation the better guide?")
    return text


def p_chart_text(chart: pd.DataFrame, view) -> str:
    """The words under the p-chart (``chart`` as this audience may see it)."""
    text = prompt_for(chart, quote_counts=view.quotes_counts)
    if not view.names_people:
        text += " Periods with fewer than 10 decisions are not plotted in this version."
    provisional = provisional_text(chart)
    if provisional:
        text += " " + provisional
    pooled = int((chart["pooled"] > 1).sum()) if "pooled" in chart else 0
    if pooled:
        text += (f" {pooled} {'point pools' if pooled == 1 else 'points pool'} neighbouring "
                 "periods that were too small on their own.")
    return text


def worth_discussing(model, view) -> list[str]:
    """Prompts drawn from this period's data for reflection and supervision."""
    from .model import previous_periods

    m = model.metrics
    load, pol, intro = m["load"], m["policy"], m["introductions"]
    out = []
    if not model.covered:
        return [coverage_note(model.coverage)]
    target = model.version_value("reply_within_days")
    said_waiting = bool(load.get("overdue") or (load.get("waiting") and not target))
    if said_waiting:
        out.append("Worth discussing: " + waiting_text(load, target, view)[:-1]
                   + ". Is there an honest reply or a referral to a service that would "
                   "close them, or are they waiting for a reason?")
    if load.get("lapsed") and not said_waiting:
        out.append(f"{view.counted(load['lapsed'], 'older thread')} went without a reply for "
                   "longer than your waiting window and are counted as lapsed, not as "
                   "waiting. Worth discussing only if one of them still matters to you.")
    if model.cut_short:
        out.append(coverage_note(model.coverage)
                   + " Requests near the end may still be answered.")
    spent, budget = load.get("minutes_spent_estimate"), load.get("minutes_budget")
    if spent is not None and budget and spent > budget:
        out.append(f"Worth discussing: the estimated time replying ({spent:.0f} minutes) "
                   f"went beyond the {budget:.0f} minutes you planned. What would being "
                   "available without being overwhelmed look like next period?")
    before = [model.load_in(p)["requests"] for p in previous_periods(model.period, 3)]
    typical = float(np.median(before)) if before and not model.cut_short else 0
    if load["requests"] >= 10 and typical >= 5 and load["requests"] >= 1.5 * typical:
        out.append(f"Worth discussing: more requests than usual ({view.n(load['requests'])}, "
                   f"against about {view.n(int(round(typical)))} in each of the three "
                   "periods before). What brought them: a time of year, an event, new "
                   "connections?")
    elif typical >= 10 and load["requests"] <= 0.5 * typical:
        out.append("Worth discussing: fewer requests than in the three periods before. "
                   "Did something change in how people reach you?")
    if intro["outcomes"].get("unreviewed"):
        unreviewed = intro["outcomes"]["unreviewed"]
        out.append(f"{view.counted(unreviewed, 'introduction request')} of the period "
                   f"{'is' if view.n(unreviewed) == '1' else 'are'} not reviewed yet; "
                   "recording their outcome shows what being a connector led to.")
    often = model.asked_often
    if len(often):
        out.append(f"Worth discussing: {asked_often_words(often, view)} asked for more than "
                   "3 introductions in 90 days. How do you stay a connector while protecting "
                   "your contacts' goodwill?")
    n, k = pol["decisions"], pol["conforming"]
    if n and k < n:
        out.append(f"Worth discussing: {view.part(n - k, n)} of {view.n(n)} decisions differed "
                   "from the policy in force. In those cases, was the policy or the "
                   "situation the better guide, and does the policy say what you now "
                   "believe?")
    if pol.get("suggested"):
        out.append(f"{view.n(pol['suggested'])} of the period's decisions rest on suggested "
                   "labels not yet reviewed.")
    if model.policy is not None:
        chart = model.conformance_chart
        if chart is not None:
            last = chart.iloc[-1]
            if bool(last.get("provisional", False)):
                out.append("The latest period of the conformance chart is provisional (its "
                           "decisions are recent, some labels are still to come): read it "
                           "next time.")
            elif bool(last["signal"]) and view.statistic_ok(last["decisions"]):
                side = "lower" if last["p"] < last["p_bar"] else "higher"
                out.append(f"Worth discussing: conformance in the latest period was {side} "
                           "than chance alone would usually explain against the months "
                           "before. What was different?")
        for kind, word in (("invitation", "invitations"), ("request", "requests")):
            r = model.decision_mix_shifts.get(kind)
            if r is not None and sum(r["current"].values()) and sum(r["baseline"].values()):
                if r["p_value"] is not None and r["p_value"] < 0.05 \
                        and r["js_distance"] > r["js_noise_floor"]:
                    out.append(f"Worth discussing: how you met {word} shifted against the "
                               "three periods before, within the same relationships and "
                               "beyond the noise floor for this sample size. Is that a "
                               "change you chose?")
    return out


def lists_people(count: int, view) -> bool:
    """Whether this audience may list ``count`` people by name or pseudonym: not when the
    count itself is withheld (a list of three beside "<5" gives the hidden count back)."""
    return view.n(count) == str(count)


def asked_often_words(often: pd.DataFrame, view) -> str:
    """"2 contacts (Ann Lee, Bo Chan) were": the contacts asked of often, named (the first
    three) only when their number may be shown."""
    count = len(often)
    names = (" (" + ", ".join(view.target(r) for r in often.head(3).itertuples()) + ")"
             if lists_people(count, view) else "")
    return (f"{view.counted(count, 'contact')}{names} "
            f"{'was' if view.n(count) == '1' else 'were'}")


def about_items(view) -> list[str]:
    """How the numbers were made, in the report's words."""
    items = [
        "A request is a run of consecutive messages from one person in a conversation; it "
        "is answered by your next message there. Only person-to-person messages count: "
        "drafts, sponsored mail, system notices and the spam folder are left out.",
        "Decisions are your labels on incoming invitations and requests (inferred from the "
        "data, suggested by rules, or confirmed by you), compared with the policy version "
        "in force on their date.",
        "Intervals are Wilson 95 % intervals; the p-chart uses exact binomial limits and "
        "never flags a period too small to judge.",
    ]
    if not view.names_people:
        items.append("Supervision version: pseudonyms are stable codes kept in your "
                     "workspace; counts of 1-4 show as <5 (and ≥5 where a second cell is "
                     "hidden so the first cannot be worked out).")
    return items


# ---------------------------------------------------------------------------------------
# the term review


def _moved(rows: list[dict], rate: str, ci: str, words: str) -> str | None:
    """A prompt on how a share moved from the term's first month to its last (each as the
    view shows it: ``rows`` from the suppression registry's ``month`` section), judged by
    whether their 95 % intervals overlap."""
    shown = [x for x in rows if x.get(rate) is not None and x.get(ci)]
    if len(shown) < 2:
        return None
    first, last = shown[0], shown[-1]
    a, b = first[ci], last[ci]
    before, after = f"{100 * first[rate]:.0f}%", f"{100 * last[rate]:.0f}%"
    if before == after:
        return None  # nothing moved: nothing to say
    change = (f"{words} went from {before} in {first['month']} to {after} in "
              f"{last['month']}")
    if a[1] < b[0] or b[1] < a[0]:
        return (f"Worth discussing: {change}, further apart than chance alone would usually "
                "make them (their intervals do not overlap). What changed between them?")
    return (f"{change[0].upper()}{change[1:]}; their intervals overlap, so the difference may "
            "be chance. Worth discussing only if it matches something you noticed.")


def term_prompts(rows: list[dict], model, view, plans: int) -> list[str]:
    """Prompts for a term review: ``rows`` the term's months as the view shows them,
    ``plans`` how many of its months have an action plan kept (that the view may show)."""
    out = []
    for rate, ci, words in (("reply_rate", "reply_rate_ci95", "Your reply rate"),
                            ("conformance_rate", "conformance_ci95",
                             "The share of decisions following your policy")):
        said = _moved(rows, rate, ci, words)
        if said:
            out.append(said)
    changed = [(version.name, stretch.start) for version, stretch in model.version_stretches()
               if stretch.start > model.period.start]
    for name, since in changed:
        out.append(f"Worth discussing: {name} came into force on {since.isoformat()}, during "
                   "the term. Did practice follow it, and does it say what you now believe?")
    waiting = [x for x in rows if x.get("waiting") is not None]
    if len(waiting) >= 2 and waiting[-1]["waiting"] > waiting[0]["waiting"] > 0:
        out.append(f"Worth discussing: more conversations were waiting at the end of "
                   f"{waiting[-1]['month']} ({view.total(waiting[-1]['waiting'])}) than at "
                   f"the end of {waiting[0]['month']} ({view.total(waiting[0]['waiting'])}). "
                   "Is the backlog growing, or was the last month unusual?")
    months = len(model.months)
    if plans:
        out.append(f"You kept an action plan for {plans} of the {months} months. Worth "
                   "discussing: which plan made a difference, and which was hard to keep?")
    else:
        out.append("No monthly action plan is kept for this term"
                   + (" (or none was marked to share)" if view.shared_writing_only else "")
                   + ". Worth discussing: would a small plan each month help, or does "
                   "something else carry your intentions from month to month?")
    return out
