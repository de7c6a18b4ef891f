"""The data behind the reflection and exploration notebooks.

``notebooks/reflection_report.ipynb`` and ``notebooks/explore.ipynb`` hold no logic: each code
cell is one call into this module, and every call returns something Jupyter (and nbconvert)
can display: a :class:`Block` of HTML (with a plain-text form) or a :class:`FigureBlock`
(a PNG embedded in HTML with its ``alt`` text).

:func:`open_report` reads one period of a workspace for an audience:

- ``self``: the adviser's own version; names are shown (escaped), still only on this computer.
- ``supervision``: people appear as pseudonyms (``client-3f9a``), counts of 1-4 as ``<5``, no
  percentage (or median) on a base under 10, no names, profile URLs, e-mail addresses,
  companies, message text, conversation ids or paths. A figure whose bars or cells would show
  a count of 1-4 is replaced by a suppressed table.

The report walks the stages of Gibbs' reflective cycle: the data give *description*,
*evaluation* (against the policy version in force) and *analysis* (against earlier periods,
drift); the adviser writes *feelings*, *conclusion* and *action plan* in the notebook itself.
Words are prompts for reflection ("Worth discussing: ..."), never ratings.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import functools
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, privacy
from .textsafety import html_text
from .periods import Period, parse_date, split
from .policy import RELATIONSHIPS

__all__ = [
    "AUDIENCES", "Block", "FigureBlock", "ReflectionReport", "Explorer", "open_report",
    "explore", "resolve_workspace", "ensure_pseudonyms", "previous_periods",
]

AUDIENCES = ("self", "supervision")
RELATIONSHIP_ORDER = RELATIONSHIPS  # the order tables show them in
_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_MIN_BASE = privacy.MIN_BASE


# ------------------------------------------------------------------------------------------
# displayable results


class Block:
    """HTML to display (``_repr_html_``) with a plain-text form (``repr``)."""

    def __init__(self, html_text: str, text: str | None = None):
        self.html = html_text
        self.text = text if text is not None else _plain(html_text)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


class FigureBlock(Block):
    """A matplotlib figure as an embedded PNG with its ``alt`` text (``fig.alt_text``)."""

    def __init__(self, fig, caption: str | None = None, dpi: int = 100):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        alt = getattr(fig, "alt_text", "") or "Figure"
        self.alt_text = alt
        parts = [f'<figure class="aa-figure"><img src="data:image/png;base64,{data}" '
                 f'alt="{html.escape(alt, quote=True)}" style="max-width:100%;height:auto"/>']
        if caption:
            parts.append(f"<figcaption>{html.escape(caption)}</figcaption>")
        parts.append("</figure>")
        super().__init__("".join(parts), f"[figure] {alt}" + (f" {caption}" if caption else ""))


def _plain(markup: str) -> str:
    text = re.sub(r"<(br|/p|/li|/tr|/h\d|/div|/table)[^>]*>", "\n", markup)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _esc(value: object) -> str:
    """Text for HTML: export text escaped once (privacy.html_text), numbers as they are."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return html_text(value)


def _p(text: str, cls: str | None = None) -> str:
    return f'<p{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{text}</p>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str | None = None,
           numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            align = ' style="text-align:right"' if i >= numeric_from else ""
            cells.append(f"<td{align}>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    return (f'<table class="aa-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _frame_table(frame: pd.DataFrame, caption: str | None = None, numeric_from: int = 1) -> str:
    return _table([str(c) for c in frame.columns],
                  [["" if _missing(v) else v for v in row] for row in frame.itertuples(index=False)],
                  caption, numeric_from)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _t(text: str, cls: str | None = None) -> str:
    """A paragraph of plain text (escaped: counts such as <5 included)."""
    return _p(html.escape(text, quote=False), cls)


def _ul(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _section(title: str | None, *parts: str, cls: str = "aa-block") -> Block:
    head = f"<h4>{html.escape(title)}</h4>" if title else ""
    return Block(f'<div class="{cls}">{head}{"".join(parts)}</div>')


def _plural(n: object, one: str, many: str | None = None) -> str:
    many = many or one + "s"
    return one if n == 1 else many


# ------------------------------------------------------------------------------------------
# workspace access


def resolve_workspace(workspace: str | Path) -> Path:
    """The workspace folder: as given (relative to the current folder), else relative to the
    project's ``notebooks/`` folder (the notebooks' defaults are written relative to it)."""
    from .workspace import DB_NAME

    path = Path(workspace).expanduser()
    if (path / DB_NAME).is_file() or path.is_absolute():
        return path
    beside = _NOTEBOOKS / path
    if (beside / DB_NAME).is_file():
        return beside.resolve()
    return path


def ensure_pseudonyms(ws, person_keys: Iterable[str]) -> dict[str, str]:
    """Pseudonym codes for these people (and every code already stored): codes once given are
    kept in the workspace's ``pseudonyms`` table and never change."""
    keys = {k for k in person_keys if isinstance(k, str) and k}
    existing = dict(ws.db.execute("SELECT person_key, code FROM pseudonyms").fetchall())
    if keys - existing.keys():
        secret = privacy.load_or_create_secret(ws.secret_path)
        with ws.transaction() as db:
            existing = dict(db.execute("SELECT person_key, code FROM pseudonyms").fetchall())
            missing = keys - existing.keys()
            if missing:
                new = privacy.assign_pseudonyms(secret, missing, existing)
                db.executemany("INSERT OR IGNORE INTO pseudonyms(person_key, code) VALUES (?, ?)",
                               [(k, new[k]) for k in sorted(missing)])
                existing.update({k: new[k] for k in missing})
    return existing


def all_person_keys(people: pd.DataFrame, introductions: pd.DataFrame,
                    messages: pd.DataFrame | None = None) -> set[str]:
    """Everybody a report may mention: people, introduction targets (by key or name)."""
    keys = set(people["person_key"].dropna().astype(str)) if len(people) else set()
    if introductions is not None and len(introductions):
        keys |= {_target_key(k, n) for k, n in zip(introductions["target_key"],
                                                  introductions["target_name"], strict=True)}
    if messages is not None and len(messages) and "counterpart_key" in messages:
        keys |= set(messages["counterpart_key"].dropna().astype(str))
    keys.discard("")
    return keys


def _target_key(key: object, name: object) -> str:
    from .people import name_key

    if isinstance(key, str) and key:
        return key
    return "name:" + (name_key(name) or "?")


def previous_periods(period: Period, count: int) -> list[Period]:
    """The ``count`` periods before ``period`` with its shape, oldest first: whole calendar
    months step back by months, anything else by its length in days."""
    start, end = period.start, period.end
    months = _whole_months(start, end)
    out = []
    for i in range(1, count + 1):
        if months:
            first = _add_months(start, -months * i)
            last = _add_months(start, -months * (i - 1)) - dt.timedelta(days=1)
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


def _add_months(day: dt.date, months: int) -> dt.date:
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


@dataclass
class _Data:
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


def _load(path: Path, pseudonyms: bool) -> _Data:
    from .workspace import Workspace

    with Workspace.open(path) as ws:
        # who, when, which conversation, which way; no names, addresses or text
        messages = ws.messages(columns=(*ws.METRIC_COLUMNS, "conversation_title"))
        introductions = ws.introductions()
        people = ws.people()
        codes = ensure_pseudonyms(ws, all_person_keys(people, introductions, messages)) \
            if pseudonyms else {}
        return _Data(messages=messages, invitations=ws.invitations(), labels=ws.labels(),
                     introductions=introductions, people=people, policy=ws.policy(),
                     owner_key=ws.owner.key, owner_name=ws.owner.name, status=ws.status(),
                     snapshots=ws.snapshots(), codes=codes)


# ------------------------------------------------------------------------------------------
# the reflection report


def open_report(workspace: str | Path, period_from: str, period_to: str,
                audience: str = "self") -> ReflectionReport:
    """Read the workspace for one period and audience (the notebook's first call)."""
    return ReflectionReport(workspace, period_from, period_to, audience)


class ReflectionReport:
    """One period of a workspace, shown for one audience. Every public method returns a
    :class:`Block` (or :class:`FigureBlock`) for one notebook cell."""

    #: how many earlier periods the comparison shows
    EARLIER = 5
    #: how many periods the p-chart spans (months, or weeks for periods of a week or less)
    SERIES = 12

    def __init__(self, workspace: str | Path, period_from: str, period_to: str,
                 audience: str = "self"):
        if audience not in AUDIENCES:
            raise ValueError(f"audience {audience!r} is not one of: {', '.join(AUDIENCES)}")
        self.audience = audience
        self.supervision = audience == "supervision"
        self.period = Period(parse_date(period_from, what="period_from"),
                             parse_date(period_to, what="period_to"))
        self.path = resolve_workspace(workspace)
        self.data = _load(self.path, pseudonyms=self.supervision)
        self._prepare()

    # -------------------------------------------------------------- computing
    def _prepare(self) -> None:
        from .metrics import compute_metrics
        from .metrics.drift import relationships
        from .metrics.episodes import requests

        d = self.data
        self.policy = d.policy
        self.episodes = requests(d.messages)
        self.metrics = compute_metrics(d.messages, d.invitations, d.labels, d.introductions,
                                       self.policy, self.period, episodes=self.episodes)
        self.shown = privacy.suppress_metrics(self.metrics) if self.supervision else self.metrics
        self.relationship = relationships(d.labels)
        names = d.people.set_index("person_key")["name"] if len(d.people) else pd.Series(
            dtype="string")
        self.names = {str(k): (None if _missing(v) else str(v)) for k, v in names.items()}
        self._loads: dict[Period, dict] = {}

    # Computed once per report, shared by the sections and the prompts.
    @functools.cached_property
    def decided_all(self) -> pd.DataFrame:
        """Every labelled decision the policy speaks to (all dates)."""
        from .metrics.drift import decisions

        d = self.data
        return decisions(d.invitations, d.labels, self.episodes, self.policy)

    def load_in(self, period: Period) -> dict:
        """The response-load metrics of ``period`` (this one or an earlier one)."""
        from .metrics.load import load

        if period not in self._loads:
            self._loads[period] = load(self.data.messages, period, self.policy,
                                       episodes=self.episodes)
        return self._loads[period]

    @functools.cached_property
    def asked_often(self) -> pd.DataFrame:
        """Contacts asked for more than 3 introductions in the 90 days to the period's end."""
        from .metrics.introductions import asked_often

        return asked_often(self.data.introductions, self.period.end)

    @functools.cached_property
    def conformance_chart(self) -> pd.DataFrame | None:
        """The p-chart of the series periods (``None`` without a policy or decisions)."""
        from .metrics.drift import conformance_series, p_chart

        if self.policy is None:
            return None
        d = self.data
        series = conformance_series(d.invitations, d.labels, self.episodes, self.policy,
                                    self._series_periods())
        return p_chart(series, pool=True) if series["decisions"].sum() else None

    @functools.cached_property
    def baseline(self) -> Period:
        """The three periods before this one, as one window."""
        base_periods = previous_periods(self.period, 3)
        return Period(base_periods[0].start, base_periods[-1].end)

    @functools.cached_property
    def decision_mix_shifts(self) -> dict[str, dict]:
        """Per kind (``invitation``, ``request``) with decisions in this period or the
        baseline: this period's mix against the baseline's (``drift.decision_mix_shift``)."""
        from .metrics.drift import decision_mix_shift

        decided = self.decided_all
        cur = decided.loc[self._in(decided["dated_at"]).to_numpy()]
        old = decided.loc[self._in(decided["dated_at"], self.baseline).to_numpy()]
        seed = int(self.period.start.strftime("%Y%m%d"))
        shifts = {}
        for kind in ("invitation", "request"):
            c = cur.loc[cur["kind"] == kind, "value"].astype(str)
            b = old.loc[old["kind"] == kind, "value"].astype(str)
            if len(c) == 0 and len(b) == 0:
                continue
            method = "homogeneity" if len(b) < 5 * max(len(c), 1) else "baseline"
            shifts[kind] = decision_mix_shift(list(c), list(b), n_resamples=4999, seed=seed,
                                              method=method)
        return shifts

    def _in(self, values: pd.Series, period: Period | None = None) -> pd.Series:
        period = period or self.period
        from .metrics.episodes import utc_ns

        ts = utc_ns(values)
        return (ts >= period.start_ts) & (ts < period.end_exclusive_ts)

    # -------------------------------------------------------------- formatting
    def n(self, value: object) -> str:
        """A count as this audience may see it."""
        if _missing(value):
            return "–"
        if self.supervision:
            shown = privacy.suppress_count(value) if not isinstance(value, str) else value
            return str(shown)
        return str(int(value)) if not isinstance(value, str) else value

    def pct(self, numerator: object, base: object) -> str | None:
        """A percentage, or None when this audience may not see it."""
        if _missing(numerator) or _missing(base) or isinstance(numerator, str) \
                or isinstance(base, str) or not base:
            return None
        if self.supervision:
            return supervision_percent(numerator, base)
        return f"{100.0 * float(numerator) / float(base):.0f}%"

    def counted(self, value: object, one: str, many: str | None = None) -> str:
        """``3 requests``, ``1 request``: a count as :meth:`n` shows it, with its noun (plural
        when the count is withheld: ``<5 requests``)."""
        shown = self.n(value)
        return f"{shown} {one if shown == '1' else (many or one + 's')}"

    def part(self, part: object, total: object) -> str:
        """A count that is part of a shown total: as :meth:`n`, and for supervision also
        hidden (``≥5``) when the rest of the total is 1-4, which subtraction would reveal."""
        if self.supervision and not _missing(part) and not _missing(total) \
                and not isinstance(part, str) and not isinstance(total, str) \
                and 1 <= int(total) - int(part) <= 4 and int(part) > 4:
            return privacy.SECONDARY
        return self.n(part)

    def _pct_text(self, numerator: object, base: object) -> str:
        shown = self.pct(numerator, base)
        if shown is not None:
            return shown
        if self.supervision and not _missing(base) and not isinstance(base, str) and base:
            return "withheld (fewer than 10)" if base < _MIN_BASE else "withheld (small count)"
        return "–"

    def person(self, key: object) -> str:
        """A person as this audience may see them: the name (self) or a pseudonym."""
        key = "" if _missing(key) else str(key)
        if self.supervision:
            code = self.data.codes.get(key)
            if code is None:
                return "a person"
            return privacy.pseudonym(self.relationship.get(key), code)
        name = self.names.get(key)
        if name:
            return name
        if key.startswith("name:"):
            return key[5:]
        return "someone without a name in the data"

    def target(self, row) -> str:
        """An introduction target (a row of ``asked_often``) as this audience may see them; in
        your own version a target matched to nobody shows the name as it was written."""
        key = _target_key(row.target_key, row.target_name)
        if not self.supervision and key.startswith("name:") and not self.names.get(key) \
                and isinstance(row.target_name, str):
            return row.target_name
        return self.person(key)

    def _relationships(self, keys: pd.Series) -> list[str]:
        return [("unknown" if _missing(k) else self.relationship.get(str(k), "unknown"))
                for k in keys]

    def _hours(self, value: object, base: int) -> str:
        if _missing(value):
            return "–"
        if self.supervision and base < _MIN_BASE:
            return "withheld (fewer than 10 answered)"
        value = float(value)
        if value < 48:
            return f"{value:.1f} hours"
        return f"{value / 24:.1f} days"

    def _figure_counts_ok(self, values: Iterable[object]) -> bool:
        if not self.supervision:
            return True
        return all(_missing(v) or int(v) == 0 or int(v) >= 5 for v in values)

    # -------------------------------------------------------------- header
    def heading(self) -> Block:
        """Title, audience, the policy version(s) in force and how far the data reach."""
        p = self.period
        d = self.data
        title = f"Reflection report: {period_title(p)}"
        parts = [f"<h2>{html.escape(title)}</h2>",
                 _p(f"Period: {p.start.isoformat()} to {p.end.isoformat()} (dates inclusive, UTC)."
                    + ("" if self.supervision or not d.owner_name
                       else f" Prepared for {_esc(d.owner_name)}."))]
        if self.supervision:
            parts.append(_p(
                "<strong>Supervision version.</strong> People appear only as stable pseudonyms "
                "such as <code>client-3f9a</code>; counts of 1 to 4 are shown as &lt;5; no "
                "percentage or median is given on fewer than 10. No names, profile links, "
                "e-mail addresses, employers of clients or message text.", "aa-note"))
        else:
            parts.append(_p(
                "<strong>Your own version.</strong> It names people: keep it on your computer. "
                "Take the supervision version to supervision.", "aa-note"))
        versions = self._versions_in(p)
        if versions:
            parts.append(_p("Policy in force: " + "; ".join(
                f"<em>{_esc(v.name)}</em> (from {v.effective_from.isoformat()})" for v in versions)
                + "."))
        else:
            parts.append(_p("No policy is stored for this period, so there is nothing to compare "
                            "practice with: <code>adviser-analytics policy set</code> adds one."))
        status = d.status
        last_export = None
        if len(d.snapshots) and d.snapshots["export_date"].notna().any():
            last_export = pd.Timestamp(d.snapshots["export_date"].max()).date()
        coverage = (f"Based on {status['snapshots']} {_plural(status['snapshots'], 'export')} "
                    f"ingested" + (f", the latest dated {last_export.isoformat()}" if last_export
                                   else "")
                    + (f"; data from {status['first_date']} to {status['last_date']}."
                       if status.get("first_date") else "."))
        parts.append(_p(coverage))
        if last_export and p.end > last_export:
            parts.append(_p(f"The period runs past your latest export ({last_export.isoformat()}): "
                            "days after it are not in the data yet, so counts for them are "
                            "incomplete.", "aa-warning"))
        parts.append(_p(
            "This report describes; it does not rate. The numbers are material for your own "
            "reflection, in the spirit of learning from experience: where they surprise you, "
            "that is worth a closer look, not a verdict."))
        return Block('<div class="aa-heading">' + "".join(parts) + "</div>")

    def _versions_in(self, period: Period) -> list:
        if self.policy is None:
            return []
        out = []
        first = self.policy.version_on(period.start)
        if first is not None:
            out.append(first)
        out += [v for v in self.policy.versions
                if period.start < v.effective_from <= period.end]
        return out

    def key_numbers(self) -> Block:
        """The period's headline figures (the same numbers as ``metrics``)."""
        m, s = self.metrics, self.shown
        load, pol = m["load"], m["policy"]
        rows = [
            ("Requests for help that started", self.n(load["requests"])),
            ("Answered (at any time since)", self.part(load["answered_requests"],
                                                       load["requests"])),
            ("Reply rate", self._pct_text(load["answered_requests"], load["requests"])),
            ("Median time to first reply",
             self._hours(load["first_reply_hours_median"], load["answered_requests"])),
            ("Conversations waiting at the end", self.n(load["backlog"])),
            # (as shown: in supervision a secondary suppression may hide it)
            ("Introduction requests", self.n(s["introductions"]["requests"])),
            ("Decisions the policy speaks to", self.n(pol["decisions"])),
            ("Following the policy in force", self._pct_text(pol["conforming"], pol["decisions"])),
        ]
        text = "\n".join(f"{k}: {v}" for k, v in rows)
        return Block('<div class="aa-key-numbers">' + _table(["In this period", ""], rows)
                     + "</div>", text)

    # -------------------------------------------------------------- description
    def load_summary(self) -> Block:
        """Requests, replies, reply times, the backlog and the time it took."""
        load = self.metrics["load"]
        req, ans = load["requests"], load["answered_requests"]
        items = [f"{self.counted(load['inbound_messages'], 'inbound message')} from people;",
                 f"{self.counted(req, 'request')} for help started (a request is a run "
                 "of messages from one person before you reply);",
                 f"{self.part(ans, req)} of them answered so far (reply rate "
                 f"{self._pct_text(ans, req)});"]
        if ans:
            items.append(f"time to first reply: median {self._hours(load['first_reply_hours_median'], ans)}, "
                         f"90th percentile {self._hours(load['first_reply_hours_p90'], ans)} "
                         "(calendar clock)"
                         + (f"; counting only your working hours: median "
                            f"{self._hours(load.get('first_reply_working_hours_median'), ans)}"
                            if load.get("first_reply_working_hours_median") is not None else "")
                         + ";")
        target = self._version_value("reply_within_days")
        within = load.get("answered_within_target")
        if target is not None and within is not None and ans:
            answered = self.part(ans, req)  # withheld if it would reveal the unanswered few
            items.append(f"answered within your {target:g}-day aim: {self.part(within, ans)} of "
                         + ("those answered;" if answered == privacy.SECONDARY else f"{answered};"))
        items.append(f"{self.counted(load['backlog'], 'conversation')} "
                     "waiting for you at the end of the period"
                     + (f", the oldest for {load['backlog_oldest_days']:.0f} days"
                        if load["backlog"] and load.get("backlog_oldest_days") is not None
                        else "") + ".")
        spent, budget = load.get("minutes_spent_estimate"), load.get("minutes_budget")
        extra = ""
        if spent is not None:
            extra = _t(f"Estimated time spent replying: about {spent:.0f} minutes"
                       + (f", against the {budget:.0f} minutes your policy plans for these "
                          f"{self.period.days} days" if budget else "")
                       + " (your messages times the minutes per reply in the policy).")
        return _section("Requests for help and replies", _ul(html.escape(i) for i in items),
                        extra)

    def _version_value(self, name: str):
        if self.policy is None:
            return None
        version = self.policy.capacity_version(self.period.end)
        return getattr(version, name, None)

    def _context_start(self, weeks: int = 4) -> dt.date:
        start = self.period.start
        earliest = self.period.end - dt.timedelta(days=7 * weeks - 1)
        return min(start, earliest)

    def load_figure(self) -> Block:
        """Requests per week (answered or not) and the backlog at each week's end."""
        from . import figures
        from .metrics.load import load_series

        series = load_series(self.data.messages, self._context_start(), self.period.end,
                             self.policy, "week", episodes=self.episodes)
        caption = ("Weeks overlapping the period"
                   + (" (with earlier weeks for context)" if self._context_start() < self.period.start
                      else "") + ".")
        values = list(series["requests"]) + list(series["answered_requests"]) \
            + list(series["requests"] - series["answered_requests"]) + list(series["backlog"])
        if self._figure_counts_ok(values):
            return FigureBlock(figures.load_figure(series, self.policy), caption)
        weekly = pd.DataFrame({"week": series["period"], "answered": series["answered_requests"],
                               "no reply yet": series["requests"] - series["answered_requests"],
                               "requests": series["requests"]})
        table = privacy.suppress_table(weekly, ["answered", "no reply yet"],
                                       total_column="requests", row_total=True)
        table["waiting at week end"] = [self.n(v) for v in series["backlog"]] + [""]
        return _section("Requests per week", _p(
            "The chart is replaced by this table in the supervision version because some weekly "
            "counts are under 5.", "aa-note"), _frame_table(table, caption))

    def reply_times(self) -> Block:
        """How long first replies took (a histogram for you; a sentence for supervision)."""
        from . import figures
        from .metrics.load import reply_hours

        hours = reply_hours(self.episodes, self.period)
        if self.supervision:
            n = len(hours)
            if n < _MIN_BASE:
                return _section("Time to first reply", _p(
                    "The distribution of reply times is withheld in the supervision version: "
                    "fewer than 10 requests of this period were answered."))
            q = np.percentile(hours, [25, 50, 75, 90])
            return _section("Time to first reply", _p(
                f"Over {self.part(n, self.metrics['load']['requests'])} answered requests: "
                "a quarter were answered within "
                f"{self._hours(q[0], n)}, half within {self._hours(q[1], n)}, three quarters "
                f"within {self._hours(q[2], n)}, nine in ten within {self._hours(q[3], n)}."))
        return FigureBlock(figures.reply_time_figure(hours),
                           "Requests of this period that have had a reply.")

    def arrival_pattern(self) -> Block:
        """When messages arrive (weekday by hour), in the policy's time zone."""
        from . import figures
        from .metrics.load import weekday_hour_counts

        if self.supervision:
            return _section("When messages arrive", _p(
                "The weekday-by-hour pattern is left out of the supervision version: its cells "
                "are small counts.", "aa-note"))
        tz = "UTC"
        if self.policy is not None:
            wh = self.policy.capacity_version(self.period.end).working_hours
            if wh is not None:
                tz = wh.timezone
        counts = weekday_hour_counts(self.data.messages, self.period, tz)
        return FigureBlock(figures.heatmap_figure(counts, tz),
                           "Inbound messages of the period by weekday and hour.")

    def _period_requests(self) -> pd.DataFrame:
        eps = self.episodes
        return eps.loc[self._in(eps["started_at"]).to_numpy()]

    def who_asks(self) -> Block:
        """Requests by relationship, and who asked most often."""
        reqs = self._period_requests().copy()
        if len(reqs) == 0:
            return _section("Who asked", _p("No requests started in this period."))
        reqs["relationship"] = self._relationships(reqs["counterpart_key"])
        reqs["answered"] = reqs["replied_at"].notna()
        by_rel = (reqs.groupby("relationship").agg(requests=("request_key", "size"),
                                                    answered=("answered", "sum"))
                  .reindex([r for r in RELATIONSHIP_ORDER if r in set(reqs["relationship"])])
                  .reset_index())
        by_rel["answered"] = by_rel["answered"].astype(int)
        by_rel["no reply yet"] = by_rel["requests"] - by_rel["answered"]
        by_rel = by_rel[["relationship", "answered", "no reply yet", "requests"]]
        if self.supervision:
            table = privacy.suppress_table(by_rel, ["answered", "no reply yet"],
                                           total_column="requests", row_total=True)
        else:
            total = {"relationship": "Total", **{c: int(by_rel[c].sum())
                                                  for c in ("answered", "no reply yet",
                                                            "requests")}}
            table = pd.concat([by_rel, pd.DataFrame([total])], ignore_index=True)
        parts = [_frame_table(table, "Requests that started in the period, by relationship "
                                     "(from your labels; 'unknown' when not labelled).")]
        top = (reqs.groupby("counterpart_key").agg(requests=("request_key", "size"),
                                                    answered=("answered", "sum"))
               .sort_values(["requests", "answered"], ascending=False))
        top = top.loc[top["requests"] >= 2].head(8)
        if len(top):
            if self.supervision:
                rows = [(self.person(k), self.relationship.get(str(k), "unknown"),
                         self.n(int(r.requests))) for k, r in top.iterrows()]
                headers = ["person", "relationship", "requests"]
            else:
                rows = [(self.person(k), self.relationship.get(str(k), "unknown"),
                         int(r.requests), int(r.answered)) for k, r in top.iterrows()]
                headers = ["person", "relationship", "requests", "answered"]
            parts.append(_table(headers, rows, "People with more than one request in the "
                                "period.", numeric_from=2))
        return _section("Who asked", *parts)

    def waiting(self) -> Block:
        """Conversations still waiting for a reply at the period's end, oldest first."""
        eps = self.episodes
        end = self.period.end_exclusive_ts
        open_ = eps.loc[(eps["started_at"] < end)
                        & (eps["replied_at"].isna() | (eps["replied_at"] >= end))].copy()
        if len(open_) == 0:
            return _section("Waiting at the end of the period", _p(
                "No conversation was waiting for a reply at the end of the period."))
        open_["days"] = (end - open_["started_at"]) / pd.Timedelta(days=1)
        open_ = open_.sort_values("days", ascending=False)
        target = self._version_value("reply_within_days")
        rows = [(self.person(r.counterpart_key), self.relationship.get(str(r.counterpart_key),
                                                                        "unknown"),
                 f"{r.days:.0f}") for r in open_.head(10).itertuples()]
        parts = [_t(f"{self.counted(len(open_), 'conversation')} waiting"
                    + (f"; {self.part(int((open_['days'] > target).sum()), len(open_))} of them "
                       "longer than your "
                       f"{target:g}-day aim" if target else "") + "."),
                 _table(["person", "relationship", "waiting (days)"], rows,
                        "The longest-waiting conversations.", numeric_from=2)]
        return _section("Waiting at the end of the period", *parts)

    def introductions_summary(self) -> Block:
        """Introduction requests of the period, their outcomes, and contacts asked of often."""
        from .metrics.introductions import time_to_resolution

        m, s = self.metrics["introductions"], self.shown["introductions"]
        parts = []
        if not m["requests"]:
            parts.append(_p("No introduction requests were made in this period."))
        else:
            outcomes = s["outcomes"]
            rows = [(k.replace("_", " "), outcomes[k]) for k in outcomes if m["outcomes"].get(k)]
            parts.append(_t(f"{self.counted(s['requests'], 'introduction request')} made in "
                            "the period."))
            parts.append(_table(["outcome", "requests"], rows,
                                "Outcomes ('unreviewed': suggested by the rules, not yet "
                                "confirmed by you)."))
            res = time_to_resolution(self.data.introductions, self.period)
            if res["resolved"] and res["median_days"] is not None and (
                    not self.supervision or res["resolved"] >= _MIN_BASE):
                parts.append(_t(f"Median time to an outcome: {res['median_days']:.0f} days "
                                f"(over {self.n(res['resolved'])} resolved)."))
        often = self.asked_often
        if len(often):
            rows = [(self.target(r),
                     self.n(int(r.requests)), self.n(int(r.requesters)))
                    for r in often.itertuples()]
            parts.append(_table(["contact", "requests in 90 days", "people asking"], rows,
                                "Contacts asked for more than 3 introductions in the 90 days "
                                "to the end of the period."))
        return _section("Introductions", *parts)

    def introductions_figure(self) -> Block:
        """Introduction outcomes month by month over the six months to the period's end."""
        from . import figures
        from .metrics.introductions import OUTCOME_KEYS, monthly_series

        start = _add_months(self.period.end.replace(day=1), -5)
        series = monthly_series(self.data.introductions, self.data.labels, start,
                                self.period.end)
        values = [v for k in OUTCOME_KEYS for v in series[k]] + list(series["requests"])
        if self._figure_counts_ok(values):
            return FigureBlock(figures.introductions_figure(series, self.policy),
                               "Introduction requests by the month they were made.")
        cols = [k for k in OUTCOME_KEYS if series[k].sum()]
        table = privacy.suppress_table(series[["period", *cols]].rename(columns={"period": "month"}),
                                       cols, total_column="requests", row_total=True)
        return _section("Introduction requests by month", _p(
            "The chart is replaced by this table in the supervision version because some counts "
            "are under 5.", "aa-note"), _frame_table(table))

    def _decisions_in_period(self) -> pd.DataFrame:
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
            joined = joined.loc[self._in(joined["sent_at"]).to_numpy()]
            rows.append(pd.DataFrame({"kind": "invitation", "person_key": joined["person_key"],
                                      "value": joined["value"], "source": joined["source"]}))
            lab = labels.loc[labels["kind"] == "handling", ["subject", "value", "source"]]
            eps = self._period_requests()[["request_key", "counterpart_key"]].rename(
                columns={"request_key": "subject", "counterpart_key": "person_key"})
            joined = lab.merge(eps.astype({"subject": str}), on="subject")
            rows.append(pd.DataFrame({"kind": "request", "person_key": joined["person_key"],
                                      "value": joined["value"], "source": joined["source"]}))
        rows = [r for r in rows if len(r)]
        if not rows:
            return pd.DataFrame(columns=["kind", "person_key", "value", "source", "relationship"])
        out = pd.concat(rows, ignore_index=True)
        out["relationship"] = self._relationships(out["person_key"])
        return out

    def decisions_summary(self) -> Block:
        """What you decided: invitation decisions and how requests were handled, by
        relationship."""
        decided = self._decisions_in_period()
        d = self.data
        incoming = d.invitations.loc[(d.invitations["direction"] == "incoming").to_numpy()
                                     & self._in(d.invitations["sent_at"]).to_numpy()]
        parts = [_t(f"{self.counted(len(incoming), 'incoming invitation')} "
                    f"and {self.counted(len(self._period_requests()), 'request')} in the period; "
                    f"{self.counted(len(decided), 'decision')} recorded "
                    "(labels inferred from the data, suggested by the rules, or confirmed by "
                    "you).")]
        for kind, title in (("invitation", "Invitations: your decisions"),
                            ("request", "Requests: how you handled them")):
            part = decided.loc[decided["kind"] == kind]
            if len(part) == 0:
                continue
            table = pd.crosstab(part["relationship"], part["value"])
            table = table.reindex([r for r in RELATIONSHIP_ORDER if r in table.index])
            table = table.reset_index()
            values = [c for c in table.columns if c != "relationship"]
            if self.supervision:
                shown = privacy.suppress_table(table, values, total_column="total",
                                               row_total=True)
            else:
                shown = table.copy()
                shown["total"] = table[values].sum(axis=1)
                total = {"relationship": "Total", **{c: int(table[c].sum()) for c in values},
                         "total": int(table[values].sum().sum())}
                shown = pd.concat([shown, pd.DataFrame([total])], ignore_index=True)
            parts.append(_frame_table(shown, title))
        suggested = int((decided["source"] == "suggested").sum()) if len(decided) else 0
        if suggested:
            parts.append(_t(f"{self.n(suggested)} of these rest on suggestions you have not "
                            "reviewed yet; confirming or correcting them makes the numbers "
                            "yours.", "aa-note"))
        return _section("Decisions", *parts)

    # -------------------------------------------------------------- evaluation
    def policy_in_force(self) -> Block:
        """What the policy version(s) in force during the period expect."""
        versions = self._versions_in(self.period)
        if not versions:
            return _section("The policy in force", _p(
                "No policy version was in force during this period."))
        parts = []
        for v in versions:
            rows = []
            for rel in RELATIONSHIP_ORDER:
                inv = v.invitations.get(rel)
                req = v.requests.get(rel)
                rows.append((rel, ", ".join(sorted(inv)) if inv else "no expectation",
                             ", ".join(sorted(req)) if req else "no expectation"))
            caption = f"{v.name}, in force from {v.effective_from.isoformat()}"
            parts.append(_table(["relationship", "invitations: you meant to", "requests: you "
                                 "meant to"], rows, caption, numeric_from=99))
            extra = []
            if v.introductions:
                extra.append("introductions: " + ", ".join(sorted(v.introductions)))
            if v.minutes_per_week:
                extra.append(f"{v.minutes_per_week:g} minutes a week for replies")
            if v.reply_within_days:
                extra.append(f"reply within {v.reply_within_days:g} days")
            if extra:
                parts.append(_t("; ".join(extra) + "."))
        return _section("The policy in force", *parts)

    def conformance(self) -> Block:
        """How often decisions matched the policy version in force, with a 95 % interval."""
        from .metrics.drift import prompt_for

        pol = self.metrics["policy"]
        n, k = pol["decisions"], pol["conforming"]
        if self.policy is None:
            return _section("Practice and policy", _p("No policy stored: nothing to compare."))
        if not n:
            return _section("Practice and policy", _p(
                "No labelled decisions in this period that the policy had an expectation for. "
                "Worth discussing: is this a period to label, or is the policy silent on the "
                "relationships you met?"))
        parts = []
        if not self.supervision:
            parts.append(_p(html.escape(prompt_for(pol))))
        else:
            rate = self.pct(k, n)
            ci = self.shown["policy"].get("conformance_ci95")
            if rate and ci:
                parts.append(_t(f"{self.part(k, n)} of {self.n(n)} decisions ({rate}) matched what the "
                                f"policy in force expected; with this many decisions the rate "
                                f"could plausibly be anywhere from {100 * ci[0]:.0f}% to "
                                f"{100 * ci[1]:.0f}% (Wilson 95 % interval)."))
            else:
                parts.append(_t(f"{self.n(n)} decisions the policy speaks to; the share "
                                "following it is withheld at this size in the supervision "
                                "version."))
        decided = self.decided_all
        decided = decided.loc[self._in(decided["dated_at"]).to_numpy()]
        table = (decided.assign(differed=~decided["conforming"].astype(bool))
                 .groupby(["kind", "relationship"])
                 .agg(decisions=("subject", "size"), matched=("conforming", "sum"))
                 .reset_index())
        table["matched"] = table["matched"].astype(int)
        table["differed"] = table["decisions"] - table["matched"]
        table["kind"] = table["kind"].map({"invitation": "invitations", "request": "requests"})
        if self.supervision:
            shown = privacy.suppress_table(table[["kind", "relationship", "matched", "differed"]],
                                           ["matched", "differed"], total_column="decisions",
                                           row_total=True)
        else:
            shown = table[["kind", "relationship", "decisions", "matched", "differed"]]
        parts.append(_frame_table(shown, "Decisions by kind and relationship.", numeric_from=2))
        differed = decided.loc[~decided["conforming"].astype(bool)]
        if len(differed) and not self.supervision:
            rows = [(r.dated_at.date().isoformat(), self.person(r.person_key), r.relationship,
                     r.kind, r.value, " or ".join(r.expected), r.source)
                    for r in differed.head(12).itertuples()]
            parts.append(_table(["date", "person", "relationship", "kind", "you", "policy",
                                 "label"], rows, "Where practice and policy differed "
                                 "(the first 12).", numeric_from=99))
        return _section("Practice and policy", *parts)

    # -------------------------------------------------------------- analysis
    def compare_earlier(self) -> Block:
        """This period beside the periods before it (same length)."""
        from .metrics.drift import conformance

        periods = [*previous_periods(self.period, self.EARLIER), self.period]
        rows = []
        for p in periods:
            lm = self.load_in(p)
            dec = self.decided_all.loc[self._in(self.decided_all["dated_at"], p).to_numpy()]
            c = conformance(dec)
            label = p.name or (period_title(p) if p != self.period else "this period")
            if p == self.period:
                label += " (this period)" if "this period" not in label else ""
            rows.append((label, self.n(lm["requests"]),
                         self._pct_text(lm["answered_requests"], lm["requests"]),
                         self._hours(lm["first_reply_hours_median"], lm["answered_requests"]),
                         self.n(lm["backlog"]), self.n(c["decisions"]),
                         self._pct_text(c["conforming"], c["decisions"])))
        headers = ["period", "requests", "reply rate", "median first reply", "waiting at end",
                   "decisions", "following policy"]
        note = _p("Small numbers move a lot from one period to the next by chance alone; read "
                  "differences as questions, not trends.", "aa-note")
        return _section("Against earlier periods", _table(headers, rows), note)

    def _series_periods(self) -> list[Period]:
        every = "week" if self.period.days <= 7 else "month"
        if every == "week":
            start = self.period.end - dt.timedelta(weeks=self.SERIES) + dt.timedelta(days=1)
        else:
            start = _add_months(self.period.end.replace(day=1), -(self.SERIES - 1))
        first = self.data.status.get("first_date")
        if first:
            start = max(start, parse_date(first))
            start = start.replace(day=1) if every == "month" else start
        return split(start, self.period.end, every)

    def p_chart(self) -> Block:
        """Conformance over the last twelve months (or weeks) with exact binomial limits."""
        from . import figures
        from .metrics.drift import prompt_for

        if self.policy is None:
            return _section("Conformance over time", _p("No policy stored: nothing to chart."))
        if self.conformance_chart is None:
            return _section("Conformance over time", _p(
                "No labelled decisions with a policy expectation in these periods."))
        chart = self.conformance_chart.copy()
        if self.supervision:
            small = chart["decisions"] < _MIN_BASE
            chart.loc[small, "p"] = np.nan
            chart.loc[small, "too_small"] = True
            chart.loc[small, "signal"] = False
        fig = figures.p_chart_figure(chart, self.policy)
        if self.supervision:
            judged = chart.loc[~chart["too_small"]]
            signals = chart.loc[chart["signal"]]
            if len(signals):
                sides = [f"{row.period} ({'further from' if row.p < row.p_bar else 'closer to'}"
                         " the policy than usual)" for row in signals.itertuples()]
                text = ("Worth discussing: in " + "; ".join(sides) + " practice and the policy "
                        "in force differed from the usual range by more than chance alone would "
                        "usually explain. What was different then?")
            elif len(judged):
                text = ("Conformance moved within the range chance alone would produce in every "
                        "period large enough to judge.")
            else:
                text = ("No period had enough decisions to judge on its own; the chart is for "
                        "description only.")
            text += " Periods with fewer than 10 decisions are not plotted in this version."
        else:
            text = prompt_for(chart)
        pooled = int((chart["pooled"] > 1).sum()) if "pooled" in chart else 0
        note = (f" {pooled} {'point pools' if pooled == 1 else 'points pool'} neighbouring "
                "periods that were too small on their own." if pooled else "")
        return Block(FigureBlock(fig).html + _p(html.escape(text + note)))

    def decision_mix(self) -> Block:
        """The mix of decisions in this period against the three periods before it, with the
        noise floor for this sample size."""
        from .metrics.drift import prompt_for

        if self.policy is None:
            return _section("The mix of decisions", _p("No policy stored: nothing to compare."))
        base = self.baseline
        parts = [_p(f"Baseline: {base.start.isoformat()} to {base.end.isoformat()} (the three "
                    "periods before this one).")]
        changed = [v.name for v in (self.policy.versions if self.policy else [])
                   if base.start < v.effective_from <= self.period.end]
        if changed:
            parts.append(_p("A new policy version came into force between the baseline and "
                            f"the end of this period ({_esc(', '.join(changed))}): a change in "
                            "the mix may be the policy working.", "aa-note"))
        rows = []
        for kind, title in (("invitation", "invitation decisions"),
                            ("request", "request handlings")):
            if kind not in self.decision_mix_shifts:
                continue
            result = self.decision_mix_shifts[kind]
            cats = result["categories"]
            table = pd.DataFrame({"decision": cats,
                                  "this period": [result["current"][k] for k in cats],
                                  "baseline": [result["baseline"][k] for k in cats]})
            if self.supervision:
                table = privacy.suppress_table(table, ["this period", "baseline"], row_total=True)
            parts.append(_frame_table(table, title.capitalize()))
            if result["p_value"] is None:
                words = "Not enough decisions in one of the two windows to compare their mix."
            elif self.supervision:
                words = prompt_for(result, quote_counts=False)
            else:
                words = prompt_for(result)
            rows.append(words)
            parts.append(_p(html.escape(words)))
        if not rows:
            parts.append(_p("No labelled decisions in this period or its baseline."))
        parts.append(_p("The Jensen-Shannon distance is shown beside its noise floor: the "
                        "distance chance alone reaches 95 times in 100 at this sample size. "
                        "Fixed thresholds are not used: at a few dozen decisions they would "
                        "raise false alarms.", "aa-note"))
        return _section("The mix of decisions against a baseline", *parts)

    def worth_discussing(self) -> Block:
        """Prompts drawn from this period's data for reflection and supervision."""
        items = self._prompts()
        if not items:
            items = ["Nothing in the data stands out this period. Worth discussing: what does "
                     "the data not show about how the work felt and what it achieved?"]
        return Block('<div class="aa-prompts">' + _ul(html.escape(i) for i in items) + "</div>",
                     "\n".join(f"- {i}" for i in items))

    def _prompts(self) -> list[str]:
        m = self.metrics
        load, pol, intro = m["load"], m["policy"], m["introductions"]
        out = []
        if load["backlog"]:
            out.append(f"Worth discussing: {self.counted(load['backlog'], 'conversation')} "
                       "ended the period waiting"
                       + (f", the oldest for {load['backlog_oldest_days']:.0f} days"
                          if load.get("backlog_oldest_days") is not None else "")
                       + ". Is there an honest reply or a referral to a service that would "
                       "close them, or are they waiting for a reason?")
        spent, budget = load.get("minutes_spent_estimate"), load.get("minutes_budget")
        if spent is not None and budget and spent > budget:
            out.append(f"Worth discussing: the estimated time replying ({spent:.0f} minutes) "
                       f"went beyond the {budget:.0f} minutes you planned. What would being "
                       "available without being overwhelmed look like next period?")
        before = [self.load_in(p)["requests"] for p in previous_periods(self.period, 3)]
        typical = float(np.median(before)) if before else 0
        if load["requests"] >= 10 and typical >= 5 and load["requests"] >= 1.5 * typical:
            out.append(f"Worth discussing: more requests than usual ({self.n(load['requests'])}, "
                       f"against about {self.n(int(round(typical)))} in each of the three "
                       "periods before). What brought them: a time of year, an event, new "
                       "connections?")
        elif typical >= 10 and load["requests"] <= 0.5 * typical:
            out.append("Worth discussing: fewer requests than in the three periods before. "
                       "Did something change in how people reach you?")
        if intro["outcomes"].get("unreviewed"):
            unreviewed = intro["outcomes"]["unreviewed"]
            out.append(f"{self.counted(unreviewed, 'introduction request')} of the period "
                       f"{'is' if self.n(unreviewed) == '1' else 'are'} not reviewed yet; "
                       "recording their outcome shows what being a connector led to.")
        often = self.asked_often
        if len(often):
            names = ", ".join(self.target(r)
                              for r in often.head(3).itertuples())
            out.append(f"Worth discussing: {self.counted(len(often), 'contact')} ({names}) "
                       f"{'was' if self.n(len(often)) == '1' else 'were'} asked for more than 3 "
                       "introductions in 90 days. How do you stay a connector while protecting "
                       "your contacts' goodwill?")
        n, k = pol["decisions"], pol["conforming"]
        if n and k < n:
            out.append(f"Worth discussing: {self.part(n - k, n)} of {self.n(n)} decisions differed "
                       "from the policy in force. In those cases, was the policy or the "
                       "situation the better guide, and does the policy say what you now "
                       "believe?")
        if pol.get("suggested"):
            out.append(f"{self.n(pol['suggested'])} of the period's decisions rest on suggested "
                       "labels not yet reviewed.")
        if self.policy is not None:
            chart = self.conformance_chart
            if chart is not None:
                last = chart.iloc[-1]
                if bool(last["signal"]) and (not self.supervision or last["decisions"] >= _MIN_BASE):
                    side = "lower" if last["p"] < last["p_bar"] else "higher"
                    out.append(f"Worth discussing: conformance in the latest period was {side} "
                               "than chance alone would usually explain against the months "
                               "before. What was different?")
            for kind, word in (("invitation", "invitations"), ("request", "requests")):
                r = self.decision_mix_shifts.get(kind)
                if r is not None and sum(r["current"].values()) and sum(r["baseline"].values()):
                    if r["p_value"] is not None and r["p_value"] < 0.05 \
                            and r["js_distance"] > r["js_noise_floor"]:
                        out.append(f"Worth discussing: how you met {word} shifted against the "
                                   "three periods before, beyond the noise floor for this "
                                   "sample size. Is that a change you chose?")
        return out

    def about(self) -> Block:
        """How the numbers were made (definitions, versions, when)."""
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
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
        if self.supervision:
            items.append("Supervision version: pseudonyms are stable codes kept in your "
                         "workspace; counts of 1-4 show as <5 (and ≥5 where a second cell is "
                         "hidden so the first cannot be worked out).")
        return Block('<div class="aa-about"><h4>About these numbers</h4>'
                     + _ul(html.escape(i) for i in items)
                     + _p(f"Generated {now} by adviser-analytics {__version__}.", "aa-small")
                     + "</div>")


def supervision_percent(numerator: object, base: object) -> str | None:
    """:func:`privacy.safe_percent`, also withheld when the rest of the base is 1-4 (a
    percentage of a shown base gives the rest back)."""
    shown = privacy.safe_percent(numerator, base)
    if shown is None:
        return None
    rest = int(base) - int(numerator)
    return None if 1 <= rest <= 4 else shown


# ------------------------------------------------------------------------------------------
# exploration (the adviser's own view: names shown, escaped)


def explore(workspace: str | Path) -> Explorer:
    """Open a workspace for interactive exploration (``notebooks/explore.ipynb``)."""
    return Explorer(workspace)


class Explorer:
    """The workspace for the adviser's own exploration; every method returns a Block."""

    def __init__(self, workspace: str | Path):
        self.path = resolve_workspace(workspace)
        self.data = _load(self.path, pseudonyms=False)
        from .metrics.drift import relationships

        self.relationship = relationships(self.data.labels)
        self._reports: dict[tuple[str, str], ReflectionReport] = {}

    def summary(self) -> Block:
        """What the workspace holds (as ``status``)."""
        s = self.data.status
        rows = [("exports ingested", s["snapshots"]), ("people ever connected", s["connections"]),
                ("person-to-person messages", s["messages"]), ("invitations", s["invitations"]),
                ("first date", s["first_date"] or "–"), ("last date", s["last_date"] or "–"),
                ("labels confirmed by you", s["labels"]["confirmed"]),
                ("labels suggested (to review)", s["labels"]["suggested"]),
                ("labels inferred", s["labels"]["inferred"])]
        text = "\n".join(f"{k}: {v}" for k, v in rows)
        return Block(_table(["workspace", ""], rows), text)

    def people(self, relationship: str | None = None, limit: int = 20) -> Block:
        """People with the most conversations (optionally of one relationship)."""
        d = self.data
        msgs = d.messages
        counts = (msgs.groupby("counterpart_key").agg(
            messages=("message_id", "size"),
            conversations=("conversation_id", "nunique"),
            last=("sent_at", "max")) if len(msgs) else pd.DataFrame(
                columns=["messages", "conversations", "last"]))
        people = d.people.set_index("person_key")
        people = people.loc[[k for k in people.index if k != d.owner_key]]
        people = people.join(counts, how="left")
        people["relationship"] = [self.relationship.get(str(k), "unknown") for k in people.index]
        if relationship:
            people = people.loc[people["relationship"] == relationship]
        people = people.sort_values(["conversations", "messages"], ascending=False,
                                    na_position="last").head(limit)
        rows = [(r.name if not _missing(r.name) else "", r.relationship,
                 "yes" if r.is_connection else "no",
                 r.company if not _missing(r.company) else "",
                 0 if _missing(r.conversations) else int(r.conversations),
                 0 if _missing(r.messages) else int(r.messages),
                 "" if _missing(r.last) else r.last.date().isoformat())
                for r in people.itertuples()]
        return Block(_table(["name", "relationship", "connected", "company", "conversations",
                             "messages", "last message"], rows,
                            f"People{' (' + relationship + ')' if relationship else ''}, "
                            f"most conversations first (up to {limit}).", numeric_from=4))

    def conversations(self, limit: int = 20) -> Block:
        """The most recent conversations: who, how many messages, whether one is waiting."""
        d = self.data
        msgs = d.messages
        if len(msgs) == 0:
            return Block(_p("No person-to-person messages."))
        last = msgs.sort_values(["sent_at", "message_id"]).groupby("conversation_id").tail(1)
        agg = msgs.groupby("conversation_id").agg(messages=("message_id", "size"),
                                                  first=("sent_at", "min"))
        last = last.set_index("conversation_id").join(agg).sort_values("sent_at",
                                                                       ascending=False)
        names = self.data.people.set_index("person_key")["name"]
        rows = []
        for _conversation, r in last.head(limit).iterrows():
            who = names.get(r.counterpart_key) if not _missing(r.counterpart_key) else None
            rows.append((r.conversation_title if not _missing(r.conversation_title) else "",
                         who or "", self.relationship.get(str(r.counterpart_key), "unknown"),
                         int(r.messages), r["first"].date().isoformat(),
                         r.sent_at.date().isoformat(),
                         "waiting for you" if r.direction == "inbound" else "replied"))
        return Block(_table(["conversation", "with", "relationship", "messages", "first", "last",
                             "state"], rows, f"The {limit} most recent conversations.",
                            numeric_from=3))

    def metrics(self, period_from: str, period_to: str) -> Block:
        """A period's metrics (the ``metrics --json`` object) as a table."""
        from .metrics import compute_metrics

        d = self.data
        period = Period(parse_date(period_from, what="period_from"),
                        parse_date(period_to, what="period_to"))
        m = compute_metrics(d.messages, d.invitations, d.labels, d.introductions, d.policy,
                            period)
        rows = []
        for section in ("load", "introductions", "policy"):
            for key, value in m[section].items():
                if isinstance(value, dict):
                    for k, v in value.items():
                        rows.append((section, f"{key}.{k}", v))
                else:
                    rows.append((section, key, "–" if value is None else value))
        text = "\n".join(f"{s}.{k}: {v}" for s, k, v in rows)
        return Block(_table(["section", "metric", "value"], rows,
                            f"Metrics for {period.start} to {period.end}", numeric_from=2), text)

    def figure(self, which: str, period_from: str, period_to: str) -> Block:
        """One of the report's figures for a period: ``load``, ``reply_times``, ``arrivals``,
        ``introductions`` or ``p_chart``."""
        key = (str(period_from), str(period_to))
        report = self._reports.get(key)
        if report is None:
            report = self._reports[key] = ReflectionReport(self.path, period_from, period_to,
                                                           "self")
        methods = {"load": report.load_figure, "reply_times": report.reply_times,
                   "arrivals": report.arrival_pattern,
                   "introductions": report.introductions_figure, "p_chart": report.p_chart}
        if which not in methods:
            raise ValueError(f"unknown figure {which!r}: use one of {', '.join(methods)}")
        return methods[which]()


def headline(metrics: dict, supervision: bool) -> dict:
    """Headline figures of a metrics object for the reports index: requests, reply rate and
    conformance, as display strings (suppressed for supervision)."""
    load, pol = metrics["load"], metrics["policy"]

    def pct(num, base):
        if supervision:
            return supervision_percent(num, base) or "withheld"
        return f"{100 * num / base:.0f}%" if base else "–"

    requests = privacy.suppress_count(load["requests"]) if supervision else load["requests"]
    return {"requests": str(requests),
            "reply_rate": pct(load["answered_requests"], load["requests"]),
            "conformance": pct(pol["conforming"], pol["decisions"]),
            "decisions": str(privacy.suppress_count(pol["decisions"]) if supervision
                             else pol["decisions"])}
