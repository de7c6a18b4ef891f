"""Response load: requests, replies, reply times, waiting and lapsed requests, time spent.

Definitions (``shared/domain.md``, "Metric definitions", revised), for a :class:`Period`:

- **Coverage**. ``data_to`` is the newest export's date (the data reach the end of that
  day); when the caller does not know it, the day of the newest message given is used.
  ``as_of`` is the earlier of the period's last day and ``data_to``; every instant "at
  as_of" below is the end of that day. A period that starts after ``data_to`` has no
  figures: every key is None (never 0). ``complete`` is False when ``data_to`` cuts the
  period short.
- ``inbound_messages``: inbound messages of the period (group conversations included).
- **Requests**: inbound episodes (:mod:`.episodes`) that start in the period, in one-to-one
  conversations, except runs labelled ``no_reply_needed`` (a label of any source: rules
  suggest it, the adviser confirms or corrects it). A run in a group conversation counts
  as a request only when the adviser has labelled it (a *confirmed* ``handling`` label
  other than ``no_reply_needed``): inferred handlings are derived for every run and are not
  the adviser's word. ``requests_opened_by_them`` (the conversation's first message is
  theirs) + ``requests_in_your_threads`` (the owner opened it) = ``requests``.
- ``group_messages``: inbound messages of the period in group conversations (context).
- ``answered_requests``: requests with an owner reply anywhere in the data (up to
  ``data_to``, so for a recent period "so far"); ``reply_rate`` = answered / requests (None
  when there are no requests); ``first_reply_hours_median``/``_p90``: reply minus start, in
  calendar hours, over the answered requests (p90 by numpy's linear interpolation).
- ``due_requests``: requests whose deadline (start + ``reply_within_days`` of the version in
  force on the start date) falls on or before the end of ``data_to``;
  ``within_target_rate``: those answered by their deadline / ``due_requests`` (unanswered
  ones are misses). None without a reply target (no policy, or no version gives one).
  Requests started before the first version, or under a version without a target, have no
  deadline and are not due.
- **Waiting** at ``as_of``, over the unanswered requests of any start date (no reply before
  the end of ``as_of``; requests as defined above): age = end of ``as_of`` minus start, in
  days. ``waiting``: age at most ``waiting_window_days`` (of the version in force on
  ``as_of``; 30 without a policy); ``waiting_oldest_days``: the largest such age (None when
  nothing waits); ``overdue``: waiting ones older than their ``reply_within_days`` (None
  without a reply target); ``lapsed``: older than the window (a count, never a list).
- ``minutes_spent_estimate``: owner messages of the period, each times the
  ``minutes_per_reply`` of the version in force on its day; ``minutes_budget``:
  ``minutes_per_week`` / 7 per covered day (to ``as_of``), per version in force. Capacity
  figures for days before the first version come from the first version. None without a
  policy or when a version lacks the number.
- ``first_reply_working_hours_median``/``_p90``: the same reply times counting only the
  policy's working hours (its days, start-end, in its time zone, DST-aware), using the
  working hours of the version in force when the request started; None when the policy
  gives none.

:func:`load` returns the contract's keys (``LOAD_KEYS``) and the documented extras
(``LOAD_EXTRAS``), plus, for the reflection report, ``within_target`` (the due requests
answered by their deadline: the count ``within_target_rate`` is the share of) and
``answered_within_target``
(answered requests answered by their deadline, due or not);
:func:`adviser_analytics.metrics.to_contract` leaves those out of the ``metrics --json``
object.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import Period, split
from ..policy import DEFAULT_WAITING_WINDOW_DAYS, NO_REPLY_NEEDED, Policy, WorkingHours
from .episodes import requests as build_requests
from .episodes import utc_ns

__all__ = [
    "load",
    "load_series",
    "coverage",
    "data_end",
    "request_mask",
    "LOAD_KEYS",
    "LOAD_EXTRAS",
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


def _minutes_spent(arrays: _Arrays, start: int, end: int, policy: Policy | None
                   ) -> float | None:
    if policy is None:
        return None
    in_period = (arrays.sent >= start) & (arrays.sent < end)
    sent = arrays.sent[arrays.outbound & in_period].view("datetime64[ns]")
    rates = np.array([np.nan if v.minutes_per_reply is None else v.minutes_per_reply
                      for v in policy.versions])
    if len(sent) == 0:
        first_day = pd.Timestamp(start, tz="UTC")
        return 0.0 if policy.capacity_version(first_day).minutes_per_reply is not None \
            else None
    idx = policy.version_index(sent)
    idx[idx < 0] = 0
    per_message = rates[idx]
    if np.isnan(per_message).any():
        return None
    return float(per_message.sum())


def _minutes_budget(first: object, last: object, policy: Policy | None) -> float | None:
    if policy is None:
        return None
    days = pd.Series(pd.date_range(first, last, freq="D", tz="UTC"))
    weekly = np.array([np.nan if v.minutes_per_week is None else v.minutes_per_week
                       for v in policy.versions])
    idx = policy.version_index(days)
    idx[idx < 0] = 0
    per_day = weekly[idx] / 7.0
    if np.isnan(per_day).any():
        return None
    return float(per_day.sum())


def _targets_ns(starts: np.ndarray, policy: Policy | None) -> np.ndarray | None:
    """Per request start (int64 ns): its reply target in ns (NaN = no target: before the
    first version or a version without ``reply_within_days``); None when the policy has no
    target at all."""
    if policy is None:
        return None
    targets = np.array([np.nan if v.reply_within_days is None else v.reply_within_days
                        for v in policy.versions], dtype=float)
    if np.isnan(targets).all():
        return None
    if len(starts) == 0:
        return np.zeros(0, dtype=float)
    idx = policy.version_index(starts.view("datetime64[ns]"))
    out = np.where(idx >= 0, targets[np.maximum(idx, 0)], np.nan)
    return out * _DAY


# ---------------------------------------------------------------------------------------
# the load of a period

#: The contract's keys of ``metrics --json`` "load", in its order.
LOAD_KEYS = ("inbound_messages", "requests", "requests_opened_by_them",
             "requests_in_your_threads", "group_messages", "answered_requests", "reply_rate",
             "first_reply_hours_median", "first_reply_hours_p90", "due_requests",
             "within_target_rate", "waiting", "waiting_oldest_days", "overdue", "lapsed",
             "minutes_spent_estimate")
#: Documented additions (the domain asks for them beside the contract's figures).
LOAD_EXTRAS = ("minutes_budget", "first_reply_working_hours_median",
               "first_reply_working_hours_p90")
#: Kept for the reflection report of this round; not in ``metrics --json``.
LOAD_INTERNAL = ("answered_within_target", "within_target")
_NAT = np.iinfo("int64").min


@dataclass(frozen=True)
class _Arrays:
    """Columns of the messages and requests as numpy arrays, prepared once per series."""

    sent: np.ndarray      # int64 ns UTC
    inbound: np.ndarray   # bool
    outbound: np.ndarray  # bool
    in_group: np.ndarray  # bool: the message's conversation is a group conversation
    requests: pd.DataFrame  # the episodes that are requests (any start date)
    ep_start: np.ndarray  # int64 ns UTC, of ``requests``
    ep_reply: np.ndarray  # int64 ns UTC, NaT = int64 min
    ep_mine: np.ndarray   # bool: in a conversation the owner opened
    data_to: object       # datetime.date | None


def _handling_labels(labels: pd.DataFrame | None) -> pd.DataFrame:
    if labels is None or len(labels) == 0:
        return pd.DataFrame({"subject": pd.Series(dtype=str), "value": pd.Series(dtype=str),
                             "source": pd.Series(dtype=str)})
    lab = labels.loc[labels["kind"].astype("string").eq("handling").fillna(False),
                     ["subject", "value", "source"]]
    return lab.astype({"subject": str, "value": str, "source": str})


def request_mask(episodes: pd.DataFrame, labels: pd.DataFrame | None) -> np.ndarray:
    """Which episodes are requests: one-to-one and not labelled ``no_reply_needed``, or in a
    group conversation with a confirmed handling (see the module docstring)."""
    if len(episodes) == 0:
        return np.zeros(0, dtype=bool)
    group = episodes["group"].to_numpy(dtype=bool) if "group" in episodes \
        else np.zeros(len(episodes), dtype=bool)
    lab = _handling_labels(labels)
    keys = episodes["request_key"].astype(str)
    if len(lab) == 0:
        return ~group
    ack = keys.isin(set(lab.loc[lab["value"] == NO_REPLY_NEEDED, "subject"])).to_numpy()
    adviser = keys.isin(set(lab.loc[(lab["source"] == "confirmed")
                                    & (lab["value"] != NO_REPLY_NEEDED), "subject"])).to_numpy()
    return ~ack & (~group | adviser)


def data_end(messages: pd.DataFrame, data_to: object = None):
    """``data_to`` as a date: the one given, else the day of the newest message (None when
    there is none)."""
    if data_to is not None and data_to is not pd.NaT:
        if isinstance(data_to, datetime.datetime | pd.Timestamp):
            return pd.Timestamp(data_to).date()
        if isinstance(data_to, datetime.date):
            return data_to
        return pd.Timestamp(str(data_to)).date()
    if messages is None or len(messages) == 0:
        return None
    newest = utc_ns(messages["sent_at"]).max()
    return None if pd.isna(newest) else newest.date()


def coverage(period: Period, data_to: object) -> dict:
    """``{"data_to", "as_of", "complete"}`` (dates, or None) for a period."""
    if data_to is None:
        return {"data_to": None, "as_of": None, "complete": False}
    if period.start > data_to:
        return {"data_to": data_to, "as_of": None, "complete": False}
    as_of = min(period.end, data_to)
    return {"data_to": data_to, "as_of": as_of, "complete": period.end <= data_to}


def _prepare(messages: pd.DataFrame, episodes: pd.DataFrame, labels: pd.DataFrame | None,
             data_to: object) -> _Arrays:
    if len(messages):
        direction = messages["direction"].astype("string")
        inbound = direction.eq("inbound").fillna(False).to_numpy(bool)
        outbound = direction.eq("outbound").fillna(False).to_numpy(bool)
        sent = _ns(messages["sent_at"])
        if "group" in episodes and episodes["group"].any():
            groups = set(episodes.loc[episodes["group"].to_numpy(dtype=bool),
                                      "conversation_id"].astype(str))
            in_group = messages["conversation_id"].astype(str).isin(groups).to_numpy(bool)
        else:
            in_group = np.zeros(len(messages), dtype=bool)
    else:
        inbound = outbound = in_group = np.zeros(0, dtype=bool)
        sent = np.zeros(0, dtype="int64")
    reqs = episodes.loc[request_mask(episodes, labels)]
    mine = ~reqs["opened_by_them"].to_numpy(dtype=bool) if "opened_by_them" in reqs \
        else np.zeros(len(reqs), dtype=bool)
    return _Arrays(sent, inbound, outbound, in_group, reqs, _ns(reqs["started_at"]),
                   _ns(reqs["replied_at"]), mine, data_end(messages, data_to))


def _day_end_ns(day) -> int:
    return (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize("UTC").as_unit("ns").value


def load(messages: pd.DataFrame, period: Period, policy: Policy | None = None, *,
         episodes: pd.DataFrame | None = None, labels: pd.DataFrame | None = None,
         data_to: object = None, _arrays: _Arrays | None = None) -> dict:
    """Response-load metrics for one period (see the module docstring), with
    ``"coverage"`` (``data_to``, ``as_of``, ``complete``; dates or None) among the keys.

    ``episodes``: ``episodes.requests(messages)`` when already built (saves rebuilding them
    for every period of a series); ``labels``: the workspace's labels (``handling`` ones
    decide group runs and acknowledgements); ``data_to``: the newest export's date.
    """
    if episodes is None:
        episodes = build_requests(messages)
    arrays = _arrays if _arrays is not None else _prepare(messages, episodes, labels, data_to)
    cover = coverage(period, arrays.data_to)
    out: dict = {k: None for k in (*LOAD_KEYS, *LOAD_EXTRAS, *LOAD_INTERNAL)}
    out["coverage"] = cover
    if cover["as_of"] is None:
        return out
    start, end = period.start_ts.value, _day_end_ns(cover["as_of"])
    data_end_ns = _day_end_ns(arrays.data_to)
    in_period = (arrays.sent >= start) & (arrays.sent < end)
    out["inbound_messages"] = int(np.sum(arrays.inbound & in_period))
    out["group_messages"] = int(np.sum(arrays.inbound & in_period & arrays.in_group))

    ep_start, ep_reply = arrays.ep_start, arrays.ep_reply
    this = (ep_start >= start) & (ep_start < end)
    answered = this & (ep_reply != _NAT)
    n_req, n_ans = int(this.sum()), int(answered.sum())
    out["requests"] = n_req
    out["requests_in_your_threads"] = int(np.sum(this & arrays.ep_mine))
    out["requests_opened_by_them"] = n_req - out["requests_in_your_threads"]
    out["answered_requests"] = n_ans
    out["reply_rate"] = (n_ans / n_req) if n_req else None
    hours = (ep_reply[answered] - ep_start[answered]) / _HOUR
    out["first_reply_hours_median"], out["first_reply_hours_p90"] = _quantiles(hours)
    answered_frame = arrays.requests.loc[answered]
    (out["first_reply_working_hours_median"],
     out["first_reply_working_hours_p90"]) = _quantiles(
        _working_reply_hours(answered_frame, policy))

    # reply targets: of the version in force on each request's start
    targets = _targets_ns(ep_start, policy)
    if targets is not None:
        has = ~np.isnan(targets)
        deadline = ep_start + np.nan_to_num(targets, nan=0).astype("int64")
        due = this & has & (deadline < data_end_ns)
        met = due & (ep_reply != _NAT) & (ep_reply <= deadline)
        out["due_requests"] = int(due.sum())
        out["within_target_rate"] = (int(met.sum()) / int(due.sum())) if due.any() else None
        out["within_target"] = int(met.sum())
        out["answered_within_target"] = int(np.sum(answered & has & (ep_reply <= deadline)))

    # waiting at as_of: unanswered at the end of as_of, any start date
    open_at = (ep_start < end) & ((ep_reply == _NAT) | (ep_reply >= end))
    age = (end - ep_start) / _DAY
    window = policy.waiting_window_on(cover["as_of"]) if policy is not None \
        else DEFAULT_WAITING_WINDOW_DAYS
    waiting = open_at & (age <= window)
    out["waiting"] = int(waiting.sum())
    out["waiting_oldest_days"] = float(age[waiting].max()) if waiting.any() else None
    out["lapsed"] = int(np.sum(open_at & (age > window)))
    if targets is not None:
        out["overdue"] = int(np.sum(waiting & ~np.isnan(targets)
                                    & ((end - ep_start) > np.nan_to_num(targets, nan=np.inf))))

    out["minutes_spent_estimate"] = _minutes_spent(arrays, start, end, policy)
    out["minutes_budget"] = _minutes_budget(period.start, cover["as_of"], policy)
    return out


def load_series(messages: pd.DataFrame, start: object, end: object,
                policy: Policy | None = None, every: str = "week", *,
                episodes: pd.DataFrame | None = None, labels: pd.DataFrame | None = None,
                data_to: object = None) -> pd.DataFrame:
    """One row of :func:`load` per ISO week (or month/term) of ``start``..``end``.

    Columns: ``period`` (label), ``start``, ``end`` (dates), ``as_of``, ``complete``, then
    the keys of :func:`load`.
    """
    if episodes is None:
        episodes = build_requests(messages)
    arrays = _prepare(messages, episodes, labels, data_to)
    rows = []
    for p in split(start, end, every):
        row = {"period": p.label, "start": p.start, "end": p.end}
        result = load(messages, p, policy, episodes=episodes, _arrays=arrays)
        cover = result.pop("coverage")
        row.update(as_of=cover["as_of"], complete=cover["complete"])
        row.update(result)
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
