"""The data of a report: read once from the workspace, computed once from ``metrics/``.

:class:`ReportModel` holds one period's frames and everything the sections share (the
metrics object, request episodes, decisions, the p-chart, the decision-mix shifts, load of
earlier periods), each computed once per report. It knows no audience: the audience views
(:mod:`.views`) decide what of it may be shown.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..metrics.values import BROKERED  # outcomes in which the adviser brokered it
from ..periods import Period, parse_date, split
from ..store.pseudonyms import ensure_pseudonyms
from .render import missing

__all__ = ["ReportModel", "Data", "load_data", "resolve_workspace", "ensure_pseudonyms",
           "all_person_keys", "target_key", "previous_periods", "period_title", "add_months"]


NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"
#: how many earlier periods the comparison shows
EARLIER = 5
#: how many periods the p-chart spans (months, or weeks for periods of a week or less)
SERIES = 12


# ------------------------------------------------------------------------------------------
# workspace access


def resolve_workspace(workspace: str | Path) -> Path:
    """The workspace folder: as given (relative to the current folder), else relative to the
    project's ``notebooks/`` folder (the notebooks' defaults are written relative to it)."""
    from ..store import DB_NAME

    path = Path(workspace).expanduser()
    if (path / DB_NAME).is_file() or path.is_absolute():
        return path
    beside = NOTEBOOKS / path
    if (beside / DB_NAME).is_file():
        return beside.resolve()
    return path


def all_person_keys(people: pd.DataFrame, introductions: pd.DataFrame,
                    messages: pd.DataFrame | None = None) -> set[str]:
    """Everybody a report may mention: people, introduction targets (by key or name)."""
    keys = set(people["person_key"].dropna().astype(str)) if len(people) else set()
    if introductions is not None and len(introductions):
        keys |= {target_key(k, n) for k, n in zip(introductions["target_key"],
                                                 introductions["target_name"], strict=True)}
    if messages is not None and len(messages) and "counterpart_key" in messages:
        keys |= set(messages["counterpart_key"].dropna().astype(str))
    keys.discard("")
    return keys


def target_key(key: object, name: object) -> str:
    """An introduction target's person key (``name:...`` when matched to nobody)."""
    from ..people import name_key

    if isinstance(key, str) and key:
        return key
    return "name:" + (name_key(name) or "?")


@dataclass
class Data:
    messages: pd.DataFrame
    invitations: pd.DataFrame
    labels: pd.DataFrame
    introductions: pd.DataFrame
    people: pd.DataFrame
    policy: object
    owner_key: str | None
    owner_name: str | None
    status: dict
    snapshots: pd.DataFrame
    codes: dict[str, str]
    #: the newest export's date (``metrics.data_to_of``): the data reach the end of that day
    data_to: dt.date | None = None


def load_data(path: Path, pseudonyms: bool) -> Data:
    """Everything a report or the explorer reads from the workspace, in one go."""
    from ..metrics import data_to_of
    from ..store import Workspace

    with Workspace.open(path) as ws:
        # who, when, which conversation, which way; no names, addresses or text
        # (participants tells group conversations, which the metrics treat apart)
        messages = ws.messages(columns=(*ws.METRIC_COLUMNS, "conversation_title"))
        introductions = ws.introductions()
        people = ws.people()
        codes = ensure_pseudonyms(ws, all_person_keys(people, introductions, messages)) \
            if pseudonyms else {}
        return Data(messages=messages, invitations=ws.invitations(), labels=ws.labels(),
                    introductions=introductions, people=people, policy=ws.policy(),
                    owner_key=ws.owner.key, owner_name=ws.owner.name, status=ws.status(),
                    snapshots=ws.snapshots(), codes=codes,
                    data_to=data_to_of(ws, messages))


# ------------------------------------------------------------------------------------------
# periods


def previous_periods(period: Period, count: int) -> list[Period]:
    """The ``count`` periods before ``period`` with its shape, oldest first: whole calendar
    months step back by months, anything else by its length in days."""
    start, end = period.start, period.end
    months = _whole_months(start, end)
    out = []
    for i in range(1, count + 1):
        if months:
            first = add_months(start, -months * i)
            last = add_months(start, -months * (i - 1)) - dt.timedelta(days=1)
            name = first.strftime("%Y-%m") if months == 1 else None
        else:
            first = start - dt.timedelta(days=period.days * i)
            last = end - dt.timedelta(days=period.days * i)
            name = None
        out.append(Period(first, last, name))
    return out[::-1]


def _whole_months(start: dt.date, end: dt.date) -> int:
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_title(period: Period) -> str:
    """"October 2025" for a calendar month, else "1 Oct 2025 to 12 Nov 2025"."""
    months = _whole_months(period.start, period.end)
    if months == 1:
        return period.start.strftime("%B %Y")

    def fmt(day: dt.date) -> str:
        return f"{day.day} {day.strftime('%b %Y')}"

    if period.start == period.end:
        return fmt(period.start)
    return f"{fmt(period.start)} to {fmt(period.end)}"


# ------------------------------------------------------------------------------------------
# the model of one report


class ReportModel:
    """One period of a workspace: the frames and everything computed from them, once."""

    def __init__(self, data: Data, period: Period, episodes: pd.DataFrame | None = None):
        from ..metrics import compute_metrics
        from ..metrics.drift import relationships
        from ..metrics.episodes import requests

        self.data = data
        self.period = period
        self.policy = data.policy
        self.episodes = requests(data.messages) if episodes is None else episodes
        self.metrics = compute_metrics(data.messages, data.invitations, data.labels,
                                       data.introductions, self.policy, period,
                                       episodes=self.episodes, data_to=data.data_to)
        self.relationship = relationships(data.labels)
        names = data.people.set_index("person_key")["name"] if len(data.people) else pd.Series(
            dtype="string")
        self.names = {str(k): (None if missing(v) else str(v)) for k, v in names.items()}
        self._loads: dict[Period, dict] = {}
        self._measures: dict[Period, dict] = {}

    @property
    def coverage(self) -> dict:
        """``data_to``, ``as_of``, ``complete`` of this period (ISO dates or None)."""
        return self.metrics["coverage"]

    @property
    def covered(self) -> bool:
        """Whether the data reach into the period at all (else: no figures, a note)."""
        return self.coverage.get("as_of") is not None

    @property
    def cut_short(self) -> bool:
        """Whether the newest export ends inside the period (its figures are "so far")."""
        return self.covered and not self.coverage.get("complete")

    def in_period(self, values: pd.Series, period: Period | None = None) -> pd.Series:
        """Whether each timestamp lies in ``period`` (this report's by default)."""
        from ..metrics.episodes import utc_ns

        period = period or self.period
        ts = utc_ns(values)
        return (ts >= period.start_ts) & (ts < period.end_exclusive_ts)

    @functools.cached_property
    def decided_all(self) -> pd.DataFrame:
        """Every labelled decision the policy speaks to (all dates)."""
        from ..metrics.drift import decisions

        d = self.data
        return decisions(d.invitations, d.labels, self.episodes, self.policy)

    @functools.cached_property
    def decided(self) -> pd.DataFrame:
        """The decisions of :attr:`decided_all` dated in this period."""
        return self.decided_in(self.period)

    def decided_in(self, period: Period) -> pd.DataFrame:
        """The decisions of :attr:`decided_all` dated in ``period``."""
        decided = self.decided_all
        return decided.loc[self.in_period(decided["dated_at"], period).to_numpy()]

    def load_in(self, period: Period) -> dict:
        """The response-load metrics of ``period`` (this one or an earlier one)."""
        from ..metrics.load import load

        if period not in self._loads:
            self._loads[period] = load(self.data.messages, period, self.policy,
                                       episodes=self.episodes, labels=self.data.labels,
                                       data_to=self.data.data_to)
        return self._loads[period]

    def part(self, period: Period) -> ReportModel:
        """The model of ``period`` (a part of this one, such as the stretch of a term one
        policy version was in force), sharing this model's data and request episodes."""
        return ReportModel(self.data, period, episodes=self.episodes)

    @functools.cached_property
    def months(self) -> list[Period]:
        """The calendar months of the period (the first and last clipped to it)."""
        return split(self.period.start, self.period.end, "month")

    def measures_in(self, period: Period) -> dict:
        """One month's measures for the term review, each from ``metrics/``: the response
        load (:meth:`load_in`), the reply rate with its Wilson 95 % interval, introductions
        asked and their outcome (made or met: brokered; anything else: other), conformance to
        the policy in force (``drift.conformance``). The keys are those of the ``month``
        section of the suppression registry (``privacy.suppression.METRICS``)."""
        if period not in self._measures:  # the trends, the plans and the prompts ask again
            self._measures[period] = self._measures_of(period)
        return self._measures[period]

    def _measures_of(self, period: Period) -> dict:
        from ..metrics.drift import conformance, wilson_interval
        from ..metrics.introductions import outcome_mix

        lm = self.load_in(period)
        cover = lm["coverage"]
        pol = conformance(self.decided_in(period))
        intro = outcome_mix(self.data.introductions, self.data.labels, period)
        made = sum(int(intro["outcomes"].get(k, 0)) for k in BROKERED)
        req, ans = lm["requests"], lm["answered_requests"]
        ci = wilson_interval(ans, req) if req else None
        covered = cover["as_of"] is not None
        return {
            "month": period_title(period), "from": period.start.isoformat(),
            "to": period.end.isoformat(), "covered": covered,
            "complete": bool(cover["complete"]) if covered else False,
            "requests": req, "answered_requests": ans,
            "reply_rate": lm["reply_rate"], "reply_rate_ci95": list(ci) if ci else None,
            "due_requests": lm["due_requests"], "within_target": lm["within_target"],
            "within_target_rate": lm["within_target_rate"], "waiting": lm["waiting"],
            "introductions_asked": intro["requests"] if covered else None,
            "introductions": ({"made": made, "other": intro["requests"] - made}
                              if covered else None),
            "decisions": pol["decisions"] if covered else None,
            "conforming": pol["conforming"] if covered else None,
            "conformance_rate": pol["conformance_rate"] if covered else None,
            "conformance_ci95": pol["conformance_ci95"] if covered else None,
        }

    @functools.cached_property
    def month_by_month(self) -> list[dict]:
        """:meth:`measures_in` of each of :attr:`months`."""
        return [self.measures_in(m) for m in self.months]

    def version_stretches(self) -> list[tuple[object, Period]]:
        """Each policy version in force during the period, with the part of the period it
        was in force (oldest first)."""
        out = []
        versions = self.versions_in(self.period)
        for i, version in enumerate(versions):
            start = max(version.effective_from, self.period.start)
            end = (versions[i + 1].effective_from - dt.timedelta(days=1)
                   if i + 1 < len(versions) else self.period.end)
            out.append((version, Period(start, end)))
        return out

    @functools.cached_property
    def asked_often(self) -> pd.DataFrame:
        """Contacts asked for more than 3 introductions in the 90 days to the period's end."""
        from ..metrics.introductions import asked_often

        return asked_often(self.data.introductions, self.period.end)

    @functools.cached_property
    def conformance_chart(self) -> pd.DataFrame | None:
        """The p-chart of the series periods (``None`` without a policy or decisions)."""
        from ..metrics.drift import conformance_series, p_chart

        if self.policy is None:
            return None
        d = self.data
        series = conformance_series(d.invitations, d.labels, self.episodes, self.policy,
                                    self.series_periods())
        if not series["decisions"].sum():
            return None
        # decisions younger than the inference window make the latest periods provisional
        return p_chart(series, pool=True, as_of=self.data.data_to or self.period.end)

    @functools.cached_property
    def baseline(self) -> Period:
        """The three periods before this one, as one window."""
        base_periods = previous_periods(self.period, 3)
        return Period(base_periods[0].start, base_periods[-1].end)

    @functools.cached_property
    def decision_mix_shifts(self) -> dict[str, dict]:
        """Per kind (``invitation``, ``request``) with decisions in this period or the
        baseline: this period's mix against the baseline's, compared within each
        relationship (``drift.decision_mix_by_relationship``), with the totals over all
        relationships as ``current`` and ``baseline`` (value -> count)."""
        from ..metrics.drift import decision_mix_by_relationship

        cur = self.decided
        old = self.decided_in(self.baseline)
        seed = int(self.period.start.strftime("%Y%m%d"))
        shifts = {}
        for kind in ("invitation", "request"):
            c = cur.loc[cur["kind"] == kind]
            b = old.loc[old["kind"] == kind]
            if len(c) == 0 and len(b) == 0:
                continue
            result = decision_mix_by_relationship(c, b, n_resamples=4999, seed=seed)
            for window in ("current", "baseline"):
                result[window] = {k: sum(s[window][k] for s in result["strata"].values())
                                  for k in result["categories"]}
            shifts[kind] = result
        return shifts

    @functools.cached_property
    def requests_only(self) -> pd.DataFrame:
        """The episodes that count as requests (``metrics.load.request_mask``: one-to-one,
        not labelled as needing no reply; group runs only when you labelled them)."""
        from ..metrics.load import request_mask

        return self.episodes.loc[request_mask(self.episodes, self.data.labels)]

    def period_requests(self, requests_only: bool = False) -> pd.DataFrame:
        """The episodes that started in the period (only the requests with
        ``requests_only``)."""
        eps = self.requests_only if requests_only else self.episodes
        return eps.loc[self.in_period(eps["started_at"]).to_numpy()]

    def waiting_window(self) -> int:
        """The waiting window (days) of the version in force at ``as_of``."""
        from ..policy import DEFAULT_WAITING_WINDOW_DAYS

        as_of = self.coverage.get("as_of")
        if self.policy is None or as_of is None:
            return DEFAULT_WAITING_WINDOW_DAYS
        window = self.policy.waiting_window_on(parse_date(str(as_of)))
        return int(window) if float(window).is_integer() else window

    def waiting_requests(self) -> pd.DataFrame:
        """The requests waiting at the end of ``as_of`` within the waiting window (the
        ``waiting`` of the metrics), oldest first, with their age in ``days``; lapsed ones
        are left out (they are counted, never listed)."""
        as_of = self.coverage.get("as_of")
        eps = self.requests_only
        if as_of is None or len(eps) == 0:
            return eps.iloc[:0].assign(days=pd.Series(dtype=float))
        end = pd.Timestamp(str(as_of), tz="UTC") + pd.Timedelta(days=1)
        from ..metrics.episodes import utc_ns

        started, replied = utc_ns(eps["started_at"]), utc_ns(eps["replied_at"])
        open_ = (started < end) & (replied.isna() | (replied >= end))
        out = eps.loc[open_.to_numpy()].copy()
        out["days"] = ((end - started[open_]) / pd.Timedelta(days=1)).to_numpy()
        out = out.loc[out["days"] <= self.waiting_window()]
        return out.sort_values("days", ascending=False)

    def relationships_of(self, keys: pd.Series) -> list[str]:
        return [("unknown" if missing(k) else self.relationship.get(str(k), "unknown"))
                for k in keys]

    def decisions_in_period(self) -> pd.DataFrame:
        """Every labelled decision dated in the period: invitation decisions (incoming
        invitations, by ``sent_at``) and request handlings (by the episode's start)."""
        d = self.data
        labels = d.labels
        rows = []
        if len(labels):
            lab = labels.loc[labels["kind"] == "decision", ["subject", "value", "source"]]
            inv = d.invitations.loc[d.invitations["direction"] == "incoming",
                                    ["invitation_id", "person_key", "sent_at"]].copy()
            inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
            joined = lab.merge(inv, on="subject")
            joined = joined.loc[self.in_period(joined["sent_at"]).to_numpy()]
            rows.append(pd.DataFrame({"kind": "invitation", "person_key": joined["person_key"],
                                      "value": joined["value"], "source": joined["source"]}))
            lab = labels.loc[labels["kind"] == "handling", ["subject", "value", "source"]]
            eps = self.period_requests()[["request_key", "counterpart_key"]].rename(
                columns={"request_key": "subject", "counterpart_key": "person_key"})
            joined = lab.merge(eps.astype({"subject": str}), on="subject")
            rows.append(pd.DataFrame({"kind": "request", "person_key": joined["person_key"],
                                      "value": joined["value"], "source": joined["source"]}))
        rows = [r for r in rows if len(r)]
        if not rows:
            return pd.DataFrame(columns=["kind", "person_key", "value", "source", "relationship"])
        out = pd.concat(rows, ignore_index=True)
        out["relationship"] = self.relationships_of(out["person_key"])
        return out

    def decisions_by_relationship(self, kind: str) -> pd.DataFrame:
        """The decisions of :meth:`decisions_in_period` of one ``kind`` (``invitation``,
        ``request``): a row per relationship (in the policy's order) and a column per
        decision, counts (no row when there is none)."""
        from ..policy import RELATIONSHIPS

        decided = self.decisions_in_period()
        part = decided.loc[decided["kind"] == kind]
        if len(part) == 0:
            return pd.DataFrame(columns=["relationship"])
        crossed = pd.crosstab(part["relationship"], part["value"])
        crossed = crossed.reindex([x for x in RELATIONSHIPS if x in crossed.index])
        crossed.columns.name = None
        return crossed.reset_index()

    def versions_in(self, period: Period) -> list:
        """The policy versions in force at some time in ``period``."""
        if self.policy is None:
            return []
        out = []
        first = self.policy.version_on(period.start)
        if first is not None:
            out.append(first)
        out += [v for v in self.policy.versions
                if period.start < v.effective_from <= period.end]
        return out

    def version_value(self, name: str):
        """A capacity setting of the version in force at the period's end (or None)."""
        if self.policy is None:
            return None
        version = self.policy.capacity_version(self.period.end)
        return getattr(version, name, None)

    def context_start(self, weeks: int = 4) -> dt.date:
        start = self.period.start
        earliest = self.period.end - dt.timedelta(days=7 * weeks - 1)
        return min(start, earliest)

    def series_periods(self) -> list[Period]:
        every = "week" if self.period.days <= 7 else "month"
        if every == "week":
            start = self.period.end - dt.timedelta(weeks=SERIES) + dt.timedelta(days=1)
        else:
            start = add_months(self.period.end.replace(day=1), -(SERIES - 1))
        first = self.data.status.get("first_date")
        if first:
            start = max(start, parse_date(first))
            start = start.replace(day=1) if every == "month" else start
        if start > self.period.end:  # a period before the data: its own slot only
            start = self.period.end.replace(day=1) if every == "month" else self.period.start
        return split(start, self.period.end, every)
