"""Response load: requests, replies, reply times, backlog, time spent.

Definitions (``shared/domain.md``, "Metric definitions"), for a :class:`Period`:

- ``inbound_messages``: inbound messages sent in the period.
- ``requests``: inbound episodes that start in the period; ``answered_requests``: those with
  an owner reply at any time in the data (also after the period's end).
- ``reply_rate``: answered / requests, null when there are no requests.
- ``first_reply_hours_median``/``_p90``: reply minus episode start, calendar hours, over the
  period's answered requests (numpy's default linear interpolation); null when none.
- ``backlog``: at the period's end (the instant after its last day), conversations whose last
  message up to then is inbound, i.e. that hold an episode started before the end and not
  replied to before it; ``backlog_oldest_days``: the age then, in days, of the oldest such
  episode (from the start of its inbound run); null when the backlog is 0.
- ``minutes_spent_estimate``: owner messages in the period, each times the
  ``minutes_per_reply`` of the policy version in force on its day; ``minutes_budget``:
  ``minutes_per_week`` / 7 per day of the period, per version in force. Capacity figures
  for days before the first version come from the first version (they are an estimate of
  effort, not an expectation). Null without a policy or when a version lacks the number.
- ``first_reply_working_hours_median``/``_p90``: the same reply times counting only the
  policy's working hours (its days, start-end, in its time zone, DST-aware), using the
  working hours of the version in force when the episode started; null when the policy
  gives none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import Period, split
from ..policy import Policy, WorkingHours
from .episodes import requests as build_requests
from .episodes import utc_ns

__all__ = [
    "load",
    "load_series",
    "reply_hours",
    "working_hours_between",
    "weekday_hour_counts",
    "WEEKDAY_NAMES",
]

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOUR = 3_600_000_000_000  # ns
_DAY = 24 * _HOUR


def _ns(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds (NaT = int64 min)."""
    return utc_ns(values).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view("int64")


def _in_period(values: pd.Series, period: Period) -> np.ndarray:
    ns = _ns(values)
    return (ns >= period.start_ts.value) & (ns < period.end_exclusive_ts.value)


def _quantiles(values: np.ndarray) -> tuple[float | None, float | None]:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return None, None
    return float(np.median(values)), float(np.percentile(values, 90))


def _period_requests(episodes: pd.DataFrame, period: Period) -> pd.DataFrame:
    return episodes.loc[_in_period(episodes["started_at"], period)]


def reply_hours(episodes: pd.DataFrame, period: Period | None = None) -> np.ndarray:
    """Calendar hours from episode start to reply, for answered requests (of the period)."""
    if period is not None:
        episodes = _period_requests(episodes, period)
    start, reply = _ns(episodes["started_at"]), _ns(episodes["replied_at"])
    answered = reply != np.iinfo("int64").min
    return (reply[answered] - start[answered]) / _HOUR


# ---------------------------------------------------------------------------------------
# working-hours clock


def _local_day_table(wh: WorkingHours, first: pd.Timestamp, last: pd.Timestamp):
    """Per local date from ``first`` to ``last``: window open/close (UTC ns) and worked ns
    before that day."""
    days = pd.date_range(first, last, freq="D")  # naive local dates
    is_work = np.isin(days.day_of_week, list(wh.days))
    opens = days + pd.Timedelta(hours=wh.start.hour, minutes=wh.start.minute)
    closes = days + pd.Timedelta(hours=wh.end.hour, minutes=wh.end.minute)
    n = len(days)
    # An ambiguous local time (the repeated hour when clocks go back) is taken as the
    # earlier instant for the opening and the later one for the closing; a non-existent
    # one (clocks going forward) is moved forward.
    open_ns = opens.tz_localize(wh.tz, ambiguous=np.ones(n, dtype=bool),
                                nonexistent="shift_forward").tz_convert("UTC").as_unit("ns")
    close_ns = closes.tz_localize(wh.tz, ambiguous=np.zeros(n, dtype=bool),
                                  nonexistent="shift_forward").tz_convert("UTC").as_unit("ns")
    open_i = open_ns.asi8
    length = np.where(is_work, np.maximum(close_ns.asi8 - open_i, 0), 0)
    before = np.concatenate([[0], np.cumsum(length)[:-1]])
    return days, open_i, length, before


def _worked_until(ts: pd.Series, wh: WorkingHours, table) -> np.ndarray:
    days, open_i, length, before = table
    local_day = utc_ns(ts).dt.tz_convert(wh.tz).dt.tz_localize(None).dt.normalize()
    idx = ((local_day.to_numpy(dtype="datetime64[ns]") - days[0].to_datetime64())
           // np.timedelta64(1, "D")).astype("int64")
    t = _ns(ts)
    within = np.clip(t - open_i[idx], 0, length[idx])
    return before[idx] + within


def working_hours_between(start: pd.Series, end: pd.Series, wh: WorkingHours) -> np.ndarray:
    """Hours between ``start`` and ``end`` (UTC timestamps) that fall inside the working
    hours ``wh``: its weekdays, from its start to its end time, in its time zone (so a
    clock change is honoured). NaN where ``end`` is missing."""
    start, end = utc_ns(pd.Series(start).reset_index(drop=True)), \
        utc_ns(pd.Series(end).reset_index(drop=True))
    out = np.full(len(start), np.nan)
    ok = (start.notna() & end.notna()).to_numpy()
    if not ok.any():
        return out
    s, e = start[ok], end[ok]
    local = pd.concat([s, e]).dt.tz_convert(wh.tz).dt.tz_localize(None).dt.normalize()
    first = local.min() - pd.Timedelta(days=1)
    last = local.max() + pd.Timedelta(days=1)
    table = _local_day_table(wh, first, last)
    worked = _worked_until(e, wh, table) - _worked_until(s, wh, table)
    out[ok] = np.maximum(worked, 0) / _HOUR
    return out


def _working_reply_hours(answered: pd.DataFrame, policy: Policy | None) -> np.ndarray:
    if policy is None or not policy.has_working_hours or len(answered) == 0:
        return np.array([], dtype=float)
    idx = policy.version_index(answered["started_at"])
    idx[idx < 0] = 0  # before the first version: the first version's clock
    out = np.full(len(answered), np.nan)
    for i in np.unique(idx):
        wh = policy.versions[i].working_hours
        if wh is None:
            continue
        mask = idx == i
        out[mask] = working_hours_between(answered["started_at"][mask],
                                          answered["replied_at"][mask], wh)
    return out[~np.isnan(out)]


# ---------------------------------------------------------------------------------------
# capacity


def _minutes_spent(arrays: _Arrays, period: Period, policy: Policy | None) -> float | None:
    if policy is None:
        return None
    in_period = (arrays.sent >= period.start_ts.value) & (arrays.sent < period.end_exclusive_ts.value)
    sent = arrays.sent[arrays.outbound & in_period].view("datetime64[ns]")
    rates = np.array([np.nan if v.minutes_per_reply is None else v.minutes_per_reply
                      for v in policy.versions])
    if len(sent) == 0:
        return 0.0 if policy.capacity_version(period.start).minutes_per_reply is not None \
            else None
    idx = policy.version_index(sent)
    idx[idx < 0] = 0
    per_message = rates[idx]
    if np.isnan(per_message).any():
        return None
    return float(per_message.sum())


def _minutes_budget(period: Period, policy: Policy | None) -> float | None:
    if policy is None:
        return None
    days = pd.Series(pd.date_range(period.start, period.end, freq="D", tz="UTC"))
    weekly = np.array([np.nan if v.minutes_per_week is None else v.minutes_per_week
                       for v in policy.versions])
    idx = policy.version_index(days)
    idx[idx < 0] = 0
    per_day = weekly[idx] / 7.0
    if np.isnan(per_day).any():
        return None
    return float(per_day.sum())


def _within_target(answered: pd.DataFrame, policy: Policy | None) -> int | None:
    if policy is None:
        return None
    targets = np.array([np.nan if v.reply_within_days is None else v.reply_within_days
                        for v in policy.versions])
    if np.isnan(targets).all():
        return None
    if len(answered) == 0:
        return 0
    idx = policy.version_index(answered["started_at"])
    idx[idx < 0] = 0
    days = (_ns(answered["replied_at"]) - _ns(answered["started_at"])) / _DAY
    target = targets[idx]
    return int(np.sum(~np.isnan(target) & (days <= np.nan_to_num(target, nan=-1))))


# ---------------------------------------------------------------------------------------
# the load of a period


@dataclass(frozen=True)
class _Arrays:
    """Columns of the messages and episodes as numpy arrays, prepared once per series."""

    sent: np.ndarray      # int64 ns UTC
    inbound: np.ndarray   # bool
    outbound: np.ndarray  # bool
    ep_start: np.ndarray  # int64 ns UTC
    ep_reply: np.ndarray  # int64 ns UTC, NaT = int64 min


def _prepare(messages: pd.DataFrame, episodes: pd.DataFrame) -> _Arrays:
    if len(messages):
        direction = messages["direction"].astype("string")
        inbound = direction.eq("inbound").fillna(False).to_numpy(bool)
        outbound = direction.eq("outbound").fillna(False).to_numpy(bool)
        sent = _ns(messages["sent_at"])
    else:
        inbound = outbound = np.zeros(0, dtype=bool)
        sent = np.zeros(0, dtype="int64")
    return _Arrays(sent, inbound, outbound, _ns(episodes["started_at"]),
                   _ns(episodes["replied_at"]))


def load(messages: pd.DataFrame, period: Period, policy: Policy | None = None, *,
         episodes: pd.DataFrame | None = None, _arrays: _Arrays | None = None) -> dict:
    """Response-load metrics for one period (see the module docstring).

    ``episodes`` may be passed when already built (``episodes.requests(messages)``) to save
    rebuilding them for every period of a series.
    """
    if episodes is None:
        episodes = build_requests(messages)
    arrays = _arrays if _arrays is not None else _prepare(messages, episodes)
    start, end = period.start_ts.value, period.end_exclusive_ts.value
    inbound_in_period = int(np.sum(arrays.inbound & (arrays.sent >= start)
                                   & (arrays.sent < end)))

    reqs = episodes.loc[(arrays.ep_start >= start) & (arrays.ep_start < end)]
    answered = reqs.loc[reqs["replied_at"].notna()]
    n_req, n_ans = len(reqs), len(answered)
    median, p90 = _quantiles(reply_hours(answered))
    w_median, w_p90 = _quantiles(_working_reply_hours(answered, policy))

    nat = np.iinfo("int64").min
    open_at_end = (arrays.ep_start < end) & ((arrays.ep_reply == nat) | (arrays.ep_reply >= end))
    backlog = int(open_at_end.sum())
    oldest = float((end - arrays.ep_start[open_at_end].min()) / _DAY) if backlog else None

    return {
        "inbound_messages": inbound_in_period,
        "requests": n_req,
        "answered_requests": n_ans,
        "reply_rate": (n_ans / n_req) if n_req else None,
        "first_reply_hours_median": median,
        "first_reply_hours_p90": p90,
        "backlog": backlog,
        "backlog_oldest_days": oldest,
        "minutes_spent_estimate": _minutes_spent(arrays, period, policy),
        "minutes_budget": _minutes_budget(period, policy),
        "first_reply_working_hours_median": w_median,
        "first_reply_working_hours_p90": w_p90,
        "answered_within_target": _within_target(answered, policy),
    }


def load_series(messages: pd.DataFrame, start: object, end: object,
                policy: Policy | None = None, every: str = "week", *,
                episodes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row of :func:`load` per ISO week (or month/term) of ``start``..``end``.

    Columns: ``period`` (label), ``start``, ``end`` (dates), then the keys of :func:`load`.
    """
    if episodes is None:
        episodes = build_requests(messages)
    arrays = _prepare(messages, episodes)
    rows = []
    for p in split(start, end, every):
        row = {"period": p.label, "start": p.start, "end": p.end}
        row.update(load(messages, p, policy, episodes=episodes, _arrays=arrays))
        rows.append(row)
    return pd.DataFrame(rows)


def weekday_hour_counts(messages: pd.DataFrame, period: Period,
                        timezone: str | None = None) -> pd.DataFrame:
    """Inbound messages of the period by weekday (rows Mon..Sun) and hour (columns 0..23),
    in ``timezone`` (default UTC; pass the policy's working-hours zone for local time)."""
    counts = np.zeros((7, 24), dtype="int64")
    if len(messages):
        inbound = messages["direction"].astype("string").eq("inbound").fillna(False) \
            .to_numpy(bool)
        sent = utc_ns(messages["sent_at"][inbound & _in_period(messages["sent_at"], period)])
        if timezone:
            sent = sent.dt.tz_convert(timezone)
        np.add.at(counts, (sent.dt.day_of_week.to_numpy(), sent.dt.hour.to_numpy()), 1)
    return pd.DataFrame(counts, index=pd.Index(WEEKDAY_NAMES, name="weekday"),
                        columns=pd.Index(range(24), name="hour"))
