"""Introductions: what happened to clients' requests to be introduced to a contact.

- An introduction counts in the period in which it was requested (``requested_on``).
- Its outcome is its ``outcome`` label. With no label, or a ``suggested`` one, it is
  ``unreviewed`` (a rule's guess is not an outcome); ``inferred`` and ``confirmed`` labels
  count as their value.
- A target is "asked often" when MORE than ``threshold`` introductions to them were requested
  in the trailing window of ``days`` days ending on (and including) the given end date, i.e.
  ``requested_on`` in ``end - (days - 1)`` .. ``end``. Every recorded introduction counts,
  whatever its outcome.
- Time to resolution: ``resolved_on - requested_on`` in days, over introductions of the
  period that have a ``resolved_on``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..people import name_keys
from ..periods import Period, parse_date, split
from ..policy import OUTCOMES
from .episodes import utc_ns

__all__ = [
    "OUTCOME_KEYS",
    "outcomes",
    "outcome_mix",
    "asked_often",
    "time_to_resolution",
    "monthly_series",
]

#: Every key of ``outcomes``: the vocabulary, then ``unreviewed``.
OUTCOME_KEYS = (*OUTCOMES, "unreviewed")


def _requested_on(introductions: pd.DataFrame) -> pd.Series:
    return utc_ns(introductions["requested_on"])


def _in_period(values: pd.Series, period: Period) -> pd.Series:
    ts = utc_ns(values)
    return (ts >= period.start_ts) & (ts < period.end_exclusive_ts)


def outcomes(introductions: pd.DataFrame, labels: pd.DataFrame | None) -> pd.Series:
    """The outcome of every introduction (aligned with its rows), ``unreviewed`` when it has
    no label or only a suggested one."""
    ids = introductions["introduction_id"].astype("int64").astype(str) \
        if len(introductions) else pd.Series([], dtype=str)
    result = pd.Series("unreviewed", index=introductions.index, dtype="string")
    if labels is None or len(labels) == 0 or len(introductions) == 0:
        return result
    lab = labels.loc[labels["kind"].astype("string").eq("outcome").fillna(False)
                     & labels["source"].astype("string").isin(["inferred", "confirmed"])
                     .fillna(False)]
    mapping = dict(zip(lab["subject"].astype(str), lab["value"].astype(str), strict=False))
    mapped = ids.map(mapping)
    return result.where(mapped.isna(), mapped.astype("string"))


def outcome_mix(introductions: pd.DataFrame, labels: pd.DataFrame | None, period: Period
                ) -> dict:
    """``{"requests": n, "outcomes": {OUTCOME: count, ..., "unreviewed": count}}`` for the
    introductions requested in the period (every outcome key present, 0 when none)."""
    counts = dict.fromkeys(OUTCOME_KEYS, 0)
    if introductions is None or len(introductions) == 0:
        return {"requests": 0, "outcomes": counts}
    mask = _in_period(introductions["requested_on"], period)
    values = outcomes(introductions, labels)[mask]
    for value, count in values.value_counts().items():
        counts[str(value)] = counts.get(str(value), 0) + int(count)
    return {"requests": int(mask.sum()), "outcomes": counts}


def asked_often(introductions: pd.DataFrame, end: object, threshold: int = 3,
                days: int = 90) -> pd.DataFrame:
    """Targets with more than ``threshold`` introduction requests in the ``days`` days up to
    and including ``end``: columns ``target_key, target_name, requests, requesters,
    first_requested, last_requested``, most asked first."""
    columns = ["target_key", "target_name", "requests", "requesters", "first_requested",
               "last_requested"]
    if introductions is None or len(introductions) == 0:
        return pd.DataFrame(columns=columns)
    end_day = parse_date(end, what="end")
    window = Period(pd.Timestamp(end_day) - pd.Timedelta(days=days - 1), end_day)
    intro = introductions.loc[_in_period(introductions["requested_on"], window)].copy()
    if len(intro) == 0:
        return pd.DataFrame(columns=columns)
    intro["_on"] = _requested_on(intro)
    # a target matched to nobody: keyed by name as people.person_key would key them
    intro["_target"] = intro["target_key"].astype("string").fillna(
        "name:" + name_keys(intro["target_name"]).fillna("?"))
    grouped = intro.groupby("_target", sort=False).agg(
        target_name=("target_name", "last"),
        requests=("introduction_id", "size"),
        requesters=("requester_key", "nunique"),
        first_requested=("_on", "min"),
        last_requested=("_on", "max"),
    )
    grouped = grouped.loc[grouped["requests"] > threshold]
    out = grouped.reset_index().rename(columns={"_target": "target_key"})
    return out.sort_values(["requests", "last_requested"], ascending=[False, False]) \
        .reset_index(drop=True)[columns]


def time_to_resolution(introductions: pd.DataFrame, period: Period) -> dict:
    """``{"resolved": n, "median_days": float|None}`` over introductions requested in the
    period that have a ``resolved_on``."""
    if introductions is None or len(introductions) == 0:
        return {"resolved": 0, "median_days": None}
    intro = introductions.loc[_in_period(introductions["requested_on"], period)]
    resolved = utc_ns(intro["resolved_on"])
    ok = resolved.notna()
    if not ok.any():
        return {"resolved": 0, "median_days": None}
    days = (resolved[ok] - _requested_on(intro)[ok]) / pd.Timedelta(days=1)
    return {"resolved": int(ok.sum()), "median_days": float(np.median(days.to_numpy()))}


def monthly_series(introductions: pd.DataFrame, labels: pd.DataFrame | None, start: object,
                   end: object, every: str = "month") -> pd.DataFrame:
    """Outcome counts per month (or week/term): columns ``period, start, end, requests`` and
    one column per key of :data:`OUTCOME_KEYS`."""
    rows = []
    for p in split(start, end, every):
        mix = outcome_mix(introductions, labels, p)
        rows.append({"period": p.label, "start": p.start, "end": p.end,
                     "requests": mix["requests"], **mix["outcomes"]})
    return pd.DataFrame(rows, columns=["period", "start", "end", "requests", *OUTCOME_KEYS])
