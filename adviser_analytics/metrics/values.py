"""The values the policy serves, measured: pure functions, DataFrames in, dicts out.

- person-centredness / experiential learning: how many incoming invitations carry a personal
  message, and how those with and without one were decided (:func:`personal_invitations`);
- the restorative side of supervision: replies written outside working hours and at weekends
  (:func:`out_of_hours_replies`), weekly minutes against the budget (:func:`weekly_minutes`);
- connectivity and impartiality: introductions asked of (and made through) each contact and
  each employer, with concentration on few employers flagged (:func:`introductions_spread`);
- keeping in touch: professional contacts not spoken to for a number of months
  (:func:`keep_in_touch`).

Shares at small numbers come with a Wilson 95 % interval (``*_ci95``), the same interval as
the conformance rate. Nothing here opens the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from adviser_analytics.metrics.drift import relationships, wilson_interval
from adviser_analytics.metrics.episodes import utc_ns

__all__ = ["personal_invitations", "out_of_hours_replies", "weekly_minutes",
           "introductions_spread", "keep_in_touch", "CONCENTRATION_HHI", "CONCENTRATION_MIN_N"]

#: Herfindahl index from which introductions count as concentrated on few employers (the
#: competition authorities' "highly concentrated" line: 0.25 = as if four employers shared all).
CONCENTRATION_HHI = 0.25
#: Fewer introductions than this are too few to call concentrated.
CONCENTRATION_MIN_N = 5
BROKERED = ("made", "met")


def _share(k: int, n: int) -> tuple[float | None, list[float] | None]:
    if n <= 0:
        return None, None
    low, high = wilson_interval(k, n)
    return k / n, [float(low), float(high)]


def _in_window(times: pd.Series, start, end) -> pd.Series:
    """Inclusive dates ``start``..``end`` (either may be None) on UTC timestamps."""
    keep = pd.Series(True, index=times.index)
    if start is not None:
        keep &= times >= pd.Timestamp(start).tz_localize("UTC")
    if end is not None:
        keep &= times < pd.Timestamp(end).tz_localize("UTC") + pd.Timedelta(days=1)
    return keep.fillna(False)


def _has_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().fillna("").str.len() > 0


# ---------------------------------------------------------------------- invitations
def personal_invitations(invitations: pd.DataFrame, labels: pd.DataFrame | None,
                         start=None, end=None) -> dict:
    """Incoming invitations sent ``start``..``end`` (dates, inclusive): how many carry a
    personal message, and how those with and without one were decided.

    ``decided`` counts invitations with a decision other than ``pending``; ``accepted`` among
    them. Labels of every source count (the ``suggested`` ones are also counted in
    ``unreviewed``). Returns ``incoming, with_message, share_with_message,
    share_with_message_ci95, unreviewed`` and ``with_message_decisions`` /
    ``without_message_decisions``: ``{decided, accepted, accepted_rate, accepted_rate_ci95,
    decisions: {decision: n}}``.
    """
    inv = invitations[invitations["direction"].astype("string") == "incoming"]
    inv = inv[_in_window(utc_ns(inv["sent_at"]), start, end)]
    has_message = _has_text(inv["message"]) if len(inv) else pd.Series(dtype=bool)
    decision = pd.Series(pd.NA, index=inv.index, dtype="string")
    unreviewed = 0
    if labels is not None and len(labels) and len(inv):
        d = labels[labels["kind"] == "decision"].drop_duplicates("subject", keep="last")
        by_subject = d.set_index(d["subject"].astype(str))
        subjects = inv["invitation_id"].astype(str)
        decision = subjects.map(by_subject["value"]).astype("string")
        source = subjects.map(by_subject["source"])
        unreviewed = int((source == "suggested").sum())
    n, k = len(inv), int(has_message.sum())
    share, ci = _share(k, n)
    out = {"incoming": n, "with_message": k, "share_with_message": share,
           "share_with_message_ci95": ci, "unreviewed": unreviewed}
    for name, mask in (("with_message", has_message), ("without_message", ~has_message)):
        values = decision[mask].dropna()
        values = values[values != "pending"]
        accepted = int((values == "accept").sum())
        rate, rate_ci = _share(accepted, len(values))
        out[f"{name}_decisions"] = {
            "decided": int(len(values)), "accepted": accepted, "accepted_rate": rate,
            "accepted_rate_ci95": rate_ci,
            "decisions": {str(key): int(v) for key, v in values.value_counts().sort_index().items()},
        }
    return out


# ---------------------------------------------------------------------- working hours
def out_of_hours_replies(messages: pd.DataFrame, working_hours, start=None, end=None) -> dict:
    """The owner's messages sent ``start``..``end`` outside working hours and at weekends.

    ``working_hours`` is a :class:`~adviser_analytics.policy.WorkingHours` (days 0 = Monday,
    local start/end, time zone): a message counts as outside when its local weekday is not a
    working day, or its local time is before the start or at/after the end. ``weekend`` =
    local Saturday or Sunday. Returns ``replies, outside_hours, outside_share,
    outside_share_ci95, weekend, weekend_share, weekend_share_ci95, timezone``.
    """
    sent = messages[messages["direction"].astype("string") == "outbound"]
    sent_at = utc_ns(sent["sent_at"])
    sent_at = sent_at[_in_window(sent_at, start, end)]
    local = sent_at.dt.tz_convert(working_hours.tz)
    weekday = local.dt.day_of_week
    minutes = local.dt.hour * 60 + local.dt.minute
    start_min = working_hours.start.hour * 60 + working_hours.start.minute
    end_min = working_hours.end.hour * 60 + working_hours.end.minute
    on_day = weekday.isin(list(working_hours.days))
    outside = ~on_day | (minutes < start_min) | (minutes >= end_min)
    weekend = weekday >= 5
    n, k, w = len(local), int(outside.sum()), int(weekend.sum())
    share, ci = _share(k, n)
    wshare, wci = _share(w, n)
    return {"replies": n, "outside_hours": k, "outside_share": share, "outside_share_ci95": ci,
            "weekend": w, "weekend_share": wshare, "weekend_share_ci95": wci,
            "timezone": working_hours.timezone}


def weekly_minutes(messages: pd.DataFrame, policy, start, end) -> dict:
    """Estimated minutes of replying per week (Monday to Sunday, UTC) against the weekly
    budget, for the weeks that meet ``start``..``end``.

    Each owner message costs the ``minutes_per_reply`` of the policy version in force when it
    was sent; a week's budget is the ``minutes_per_week`` of the version in force on its
    Monday (the first version's for earlier weeks). Returns ``weeks: [{week_start, replies,
    minutes, budget, over_budget}]``, ``weeks_over_budget``, ``weeks_with_budget``,
    ``median_minutes``, ``max_minutes``.
    """
    start_day = pd.Timestamp(start).normalize()
    first_monday = start_day - pd.Timedelta(days=start_day.weekday())
    weeks = pd.date_range(first_monday, pd.Timestamp(end), freq="7D", tz="UTC")
    sent = messages[messages["direction"].astype("string") == "outbound"]
    sent_at = utc_ns(sent["sent_at"])
    sent_at = sent_at[_in_window(sent_at, first_monday.date(), weeks[-1].date()
                                 + pd.Timedelta(days=6))] if len(weeks) else sent_at.iloc[:0]
    rows = []
    if len(weeks):
        per_reply = np.array([np.nan if v.minutes_per_reply is None else v.minutes_per_reply
                              for v in policy.versions])
        budgets = np.array([np.nan if v.minutes_per_week is None else v.minutes_per_week
                            for v in policy.versions])
        idx = policy.version_index(sent_at)
        cost = np.where(idx >= 0, per_reply[np.maximum(idx, 0)], per_reply[0])
        week_of = sent_at.dt.tz_localize(None).dt.normalize() - pd.to_timedelta(
            sent_at.dt.day_of_week, unit="D")
        by_week = pd.DataFrame({"week": week_of.to_numpy(), "cost": cost}).groupby("week")
        replies = by_week.size()
        minutes = by_week["cost"].sum(min_count=1)
        week_index = policy.version_index(pd.Series(weeks))
        week_budget = np.where(week_index >= 0, budgets[np.maximum(week_index, 0)], budgets[0])
        for week, budget in zip(weeks.tz_localize(None), week_budget, strict=True):
            n = int(replies.get(week, 0))
            spent = float(minutes.get(week, 0.0)) if n else 0.0
            rows.append({"week_start": week.date().isoformat(), "replies": n,
                         "minutes": None if np.isnan(spent) else spent,
                         "budget": None if np.isnan(budget) else float(budget),
                         "over_budget": bool(not np.isnan(budget) and spent > budget)})
    spent = [r["minutes"] for r in rows if r["minutes"] is not None]
    return {"weeks": rows,
            "weeks_over_budget": sum(r["over_budget"] for r in rows),
            "weeks_with_budget": sum(r["budget"] is not None for r in rows),
            "median_minutes": float(np.median(spent)) if spent else None,
            "max_minutes": float(max(spent)) if spent else None}


# ---------------------------------------------------------------------- introductions
def introductions_spread(introductions: pd.DataFrame, people: pd.DataFrame, start=None,
                         end=None, hhi_threshold: float = CONCENTRATION_HHI,
                         min_n: int = CONCENTRATION_MIN_N) -> dict:
    """Introductions asked for ``start``..``end`` (by ``requested_on``), per target contact and
    per the target's employer (company), with concentration on few employers.

    ``asked`` counts every request, ``brokered`` those whose outcome is ``made`` or ``met``,
    ``unreviewed`` those with no outcome recorded yet (neither made nor not made).
    Concentration is over requests whose target's employer is known: ``top_employer_share``
    (with its Wilson interval) and the Herfindahl index ``hhi`` (sum of squared employer
    shares: 1 = all with one employer, 1/k = spread evenly over k). ``concentrated`` when at
    least ``min_n`` requests and ``hhi >= hhi_threshold``: a prompt for reflection on
    impartiality, not a verdict.
    """
    intro = introductions[_in_window(utc_ns(introductions["requested_on"]), start, end)]
    company = people.drop_duplicates("person_key").set_index("person_key")["company"]
    target_company = intro["target_key"].map(company).astype("string").str.strip()
    target_company = target_company.mask(target_company == "")
    outcome = intro["outcome"].astype("string")
    brokered = outcome.isin(BROKERED).fillna(False)
    unreviewed = (outcome.isna() | outcome.eq("unreviewed")).fillna(True)
    frame = pd.DataFrame({"target_key": intro["target_key"], "target_name": intro["target_name"],
                          "company": target_company, "brokered": brokered.astype(int),
                          "unreviewed": unreviewed.astype(int)})
    per_contact = (frame.groupby(["target_key", "target_name"], dropna=False, sort=False)
                   .agg(asked=("brokered", "size"), brokered=("brokered", "sum"),
                        company=("company", "first"))
                   .reset_index().sort_values(["asked", "target_name"], ascending=[False, True]))
    known = frame[frame["company"].notna()]
    per_employer = (known.groupby("company").agg(asked=("brokered", "size"),
                                                 brokered=("brokered", "sum"),
                                                 unreviewed=("unreviewed", "sum"))
                    .reset_index().sort_values(["asked", "company"], ascending=[False, True]))
    n_known = int(len(known))
    shares = per_employer["asked"] / n_known if n_known else per_employer["asked"] * 0.0
    hhi = float((shares ** 2).sum()) if n_known else None
    top = per_employer.iloc[0] if len(per_employer) else None
    top_share, top_ci = _share(int(top["asked"]), n_known) if top is not None else (None, None)
    return {
        "asked": int(len(frame)), "brokered": int(frame["brokered"].sum()),
        "unreviewed": int(frame["unreviewed"].sum()),
        "employer_known": n_known, "employer_unknown": int(len(frame) - n_known),
        "per_contact": [{"target_key": r.target_key, "target_name": r.target_name,
                         "company": None if pd.isna(r.company) else r.company,
                         "asked": int(r.asked), "brokered": int(r.brokered)}
                        for r in per_contact.itertuples(index=False)],
        "per_employer": [{"company": r.company, "asked": int(r.asked), "brokered": int(r.brokered),
                          "unreviewed": int(r.unreviewed)}
                         for r in per_employer.itertuples(index=False)],
        "employers": int(len(per_employer)),
        "top_employer": None if top is None else top["company"],
        "top_employer_share": top_share, "top_employer_share_ci95": top_ci,
        "hhi": hhi,
        "concentrated": bool(hhi is not None and n_known >= min_n and hhi >= hhi_threshold),
    }


# ---------------------------------------------------------------------- keep in touch
def keep_in_touch(people: pd.DataFrame, messages: pd.DataFrame, labels: pd.DataFrame | None,
                  as_of, months: int = 6,
                  relationships_kept: Iterable[str] = ("professional",)) -> dict:
    """Contacts of the given relationships (default: professional) with no message either
    way in the ``months`` before ``as_of`` (a date): the keep-in-touch list, longest silence
    first (never spoken to at all: last). Only connections are listed.

    Returns ``months, as_of, since, count, people: [{person_key, name, company, position,
    last_spoken (date or None), days_silent (int or None)}]``.
    """
    as_of_ts = pd.Timestamp(as_of).tz_localize("UTC") + pd.Timedelta(days=1)
    since = as_of_ts - pd.DateOffset(months=months)
    rel = relationships(labels)
    chosen = people[people["is_connection"].astype(bool)].copy()
    chosen["relationship"] = chosen["person_key"].map(rel)
    chosen = chosen[chosen["relationship"].isin(list(relationships_kept))]
    sent_at = utc_ns(messages["sent_at"])
    seen = pd.DataFrame({"person_key": messages["counterpart_key"], "sent_at": sent_at})
    seen = seen[seen["sent_at"] < as_of_ts]
    last = seen.dropna(subset=["person_key"]).groupby("person_key")["sent_at"].max()
    # reindex, not map: with no message before as_of (a period before the data) map fails
    # to cast an empty datetime series
    chosen["last_spoken"] = last.reindex(chosen["person_key"]).set_axis(chosen.index)
    quiet = chosen[chosen["last_spoken"].isna() | (chosen["last_spoken"] < since)].copy()
    quiet["days_silent"] = (as_of_ts - quiet["last_spoken"]).dt.days
    quiet = quiet.sort_values(["last_spoken", "name"], na_position="last")
    rows = [{"person_key": r.person_key, "name": r.name,
             "company": None if pd.isna(r.company) else r.company,
             "position": None if pd.isna(r.position) else r.position,
             "last_spoken": None if pd.isna(r.last_spoken) else r.last_spoken.date().isoformat(),
             "days_silent": None if pd.isna(r.days_silent) else int(r.days_silent)}
            for r in quiet.itertuples(index=False)]
    return {"months": months, "as_of": pd.Timestamp(as_of).date().isoformat(),
            "since": since.date().isoformat(), "count": len(rows), "people": rows}
