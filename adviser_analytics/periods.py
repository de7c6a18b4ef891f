"""Reporting periods: a window of whole days, ``start`` to ``end`` inclusive, in UTC.

A :class:`Period` is what every metric takes. :func:`split` cuts a date range into ISO
weeks (Monday-Sunday), calendar months or terms, each clipped to the range.

Terms come from configuration: by default a UK academic calendar (Autumn 1 Sep-31 Dec,
Spring 1 Jan-31 Mar, Summer 1 Apr-31 Aug, repeating every year). A custom calendar is a
list of ``(name, start, end)``; ``start``/``end`` are either ``MM-DD`` (the term repeats every
year, and its label gets the year it starts in, e.g. ``Autumn 2025``) or full dates
(``YYYY-MM-DD`` or :class:`datetime.date`: a one-off term, labelled with ``name`` as given).
Days inside the range that no term covers (a gap in a custom calendar) become their own
periods labelled ``Between terms``, so no day of the range is silently left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

__all__ = [
    "Period",
    "parse_date",
    "split",
    "cut_short",
    "hours_or_days",
    "DEFAULT_TERMS",
    "EVERY",
]

EVERY = ("week", "month", "term")

#: The default UK academic calendar: (name, start MM-DD, end MM-DD), repeating every year.
DEFAULT_TERMS: tuple[tuple[str, str, str], ...] = (
    ("Spring", "01-01", "03-31"),
    ("Summer", "04-01", "08-31"),
    ("Autumn", "09-01", "12-31"),
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def parse_date(text: object, *, what: str = "date") -> date:
    """A ``YYYY-MM-DD`` string (or a ``date``) as a :class:`datetime.date`.

    Raises ``ValueError`` with a message fit to show the user (e.g. from an argparse ``type=``
    hook, or wrapped by the command line).
    """
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    raw = "" if text is None else str(text).strip()
    if not _ISO_DATE.match(raw):
        raise ValueError(
            f"{what} {raw!r} is not a date written as YYYY-MM-DD (for example 2025-09-01)"
        )
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{what} {raw!r} is not a calendar date (check the month and the day)"
        ) from None


@dataclass(frozen=True, order=True)
class Period:
    """A reporting window of whole UTC days, ``start``..``end`` inclusive."""

    start: date
    end: date
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        start, end = parse_date(self.start, what="start"), parse_date(self.end, what="end")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")

    @classmethod
    def parse(cls, start: object, end: object, name: str | None = None) -> Period:
        """A period from two ``YYYY-MM-DD`` strings (``--from``/``--to``)."""
        return cls(parse_date(start, what="--from"), parse_date(end, what="--to"), name)

    @property
    def start_ts(self) -> pd.Timestamp:
        """The first instant of the period: ``start`` at 00:00 UTC."""
        return pd.Timestamp(self.start).tz_localize("UTC").as_unit("ns")

    @property
    def end_exclusive_ts(self) -> pd.Timestamp:
        """The instant just after the period: the day after ``end`` at 00:00 UTC."""
        return (pd.Timestamp(self.end) + pd.Timedelta(days=1)).tz_localize("UTC").as_unit("ns")

    # The architecture page calls it ``end_exclusive``.
    end_exclusive = end_exclusive_ts

    @property
    def days(self) -> int:
        """Number of days in the period (inclusive)."""
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> float:
        """Length in weeks (``days / 7``), for weekly budgets."""
        return self.days / 7.0

    @property
    def label(self) -> str:
        """Display label: the name given by :func:`split`, else ``start to end``."""
        if self.name:
            return self.name
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def slug(self) -> str:
        """A file-name-safe form of the label."""
        if not self.name:
            return f"{self.start.isoformat()}_{self.end.isoformat()}"
        text = re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()
        return text or f"{self.start.isoformat()}_{self.end.isoformat()}"

    def contains(self, when: object) -> bool:
        """Whether a date or UTC timestamp falls in the period."""
        if isinstance(when, pd.Timestamp | datetime):
            ts = pd.Timestamp(when)
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            return bool(self.start_ts <= ts < self.end_exclusive_ts)
        d = parse_date(when)
        return self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------------------------------
# Splitting


def _weeks(start: date, end: date) -> list[Period]:
    out = []
    cursor = start
    while cursor <= end:
        monday = cursor - timedelta(days=cursor.weekday())
        sunday = monday + timedelta(days=6)
        year, week, _ = monday.isocalendar()
        out.append(Period(cursor, min(sunday, end), f"{year}-W{week:02d}"))
        cursor = sunday + timedelta(days=1)
    return out


def _months(start: date, end: date) -> list[Period]:
    out = []
    cursor = start
    while cursor <= end:
        first = cursor.replace(day=1)
        nxt = (first.replace(year=first.year + 1, month=1) if first.month == 12
               else first.replace(month=first.month + 1))
        last = nxt - timedelta(days=1)
        out.append(Period(cursor, min(last, end), f"{first.year}-{first.month:02d}"))
        cursor = nxt
    return out


def _term_point(value: object, name: str) -> tuple[str, object]:
    """('md', (month, day)) for a recurring ``MM-DD``, ('date', date) for a full date."""
    if isinstance(value, date):
        return "date", parse_date(value)
    text = str(value).strip()
    m = _MONTH_DAY.match(text)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        try:
            date(2000, month, day)  # a leap year accepts 02-29
        except ValueError:
            raise ValueError(f"term {name!r}: {text!r} is not a month and day (MM-DD)") from None
        return "md", (month, day)
    return "date", parse_date(text, what=f"term {name!r} date")


def _md_date(year: int, md: tuple[int, int]) -> date:
    month, day = md
    if month == 2 and day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


def _term_intervals(terms: Iterable[Sequence[object]], start: date, end: date
                    ) -> list[tuple[date, date, str]]:
    intervals: list[tuple[date, date, str]] = []
    for term in terms:
        if len(term) != 3:
            raise ValueError(f"a term is (name, start, end), not {term!r}")
        name, raw_start, raw_end = str(term[0]).strip(), term[1], term[2]
        if not name:
            raise ValueError("every term needs a name")
        kind_s, s = _term_point(raw_start, name)
        kind_e, e = _term_point(raw_end, name)
        if kind_s != kind_e:
            raise ValueError(
                f"term {name!r}: give both ends as MM-DD (every year) or both as YYYY-MM-DD"
            )
        if kind_s == "date":
            if e < s:
                raise ValueError(f"term {name!r} ends ({e}) before it starts ({s})")
            intervals.append((s, e, name))
            continue
        wraps = (e[0], e[1]) < (s[0], s[1])  # e.g. 09-01 .. 01-15 ends the next year
        for year in range(start.year - 1, end.year + 1):
            ts = _md_date(year, s)
            te = _md_date(year + 1 if wraps else year, e)
            intervals.append((ts, te, f"{name} {year}"))
    intervals.sort()
    for (_s1, e1, n1), (s2, _e2, n2) in zip(intervals, intervals[1:], strict=False):
        if s2 <= e1:
            raise ValueError(f"terms {n1!r} and {n2!r} overlap (from {s2})")
    return intervals


def _terms(start: date, end: date, terms: Iterable[Sequence[object]] | None) -> list[Period]:
    intervals = _term_intervals(DEFAULT_TERMS if terms is None else terms, start, end)
    out: list[Period] = []
    cursor = start
    for s, e, name in intervals:
        if e < cursor:
            continue
        if s > end:
            break
        if s > cursor:  # a gap no term covers
            out.append(Period(cursor, min(s - timedelta(days=1), end), "Between terms"))
        out.append(Period(max(s, cursor), min(e, end), name))
        cursor = e + timedelta(days=1)
        if cursor > end:
            break
    if cursor <= end:
        out.append(Period(cursor, end, "Between terms"))
    return out


def split(start: object, end: object, every: str | None = None,
          terms: Iterable[Sequence[object]] | None = None) -> list[Period]:
    """The periods of ``start``..``end`` (inclusive): one per ISO week, month or term.

    ``every=None`` gives the whole range as one period. The first and last periods are
    clipped to the range (a range starting on a Wednesday starts with a 5-day week).
    ``terms`` overrides :data:`DEFAULT_TERMS` for ``every="term"``.
    """
    first, last = parse_date(start, what="start"), parse_date(end, what="end")
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if every is None:
        return [Period(first, last)]
    if every == "week":
        return _weeks(first, last)
    if every == "month":
        return _months(first, last)
    if every == "term":
        return _terms(first, last, terms)
    raise ValueError(f"unknown period length {every!r}: use one of {', '.join(EVERY)}")


def cut_short(periods: Sequence[Period], every: str | None,
              terms: Iterable[Sequence[object]] | None = None) -> list[tuple[Period, Period]]:
    """``(period, whole)`` for the first and last of ``periods`` (from :func:`split`) when the
    range cut them short of their whole week, month or term: a term review of April alone
    is not a review of the summer term, and the adviser should be told."""
    if every is None or not periods:
        return []
    out = []
    for period in dict.fromkeys((periods[0], periods[-1])):
        wider = split(period.start - timedelta(days=400), period.end + timedelta(days=400),
                      every, terms=terms)
        whole = next((w for w in wider if w.start <= period.start <= w.end), None)
        if whole is not None and (whole.start, whole.end) != (period.start, period.end):
            out.append((period, whole))
    return out


def hours_or_days(hours: float) -> str:
    """A duration as the reports and commands say it: "46.0 hours", or days from 48 hours
    ("4.9 days")."""
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
