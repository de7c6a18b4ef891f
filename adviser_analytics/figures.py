"""Figures for the reflection report (matplotlib, headless).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (so it works
under any backend, including Agg in papermill, and leaves no global state) and sets
``fig.alt_text``: one sentence describing the figure, for the HTML ``alt`` attribute. Empty
data give a small figure saying so rather than an exception (the report's sections say it in a
sentence instead, see ``reflection/sections.py``); dates on the x axis use matplotlib's concise
date formatter, and each figure speaks one unit (reply times: hours or days, never both). Colours are
the Okabe-Ito palette (safe for colour-blind readers); the heatmap uses ``cividis``.
Policy version changes are drawn as dashed vertical lines labelled with the version name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .metrics.introductions import OUTCOME_KEYS
from .metrics.load import WEEKDAY_NAMES
from .policy import Policy

__all__ = [
    "OKABE_ITO",
    "load_figure",
    "reply_time_figure",
    "heatmap_figure",
    "introductions_figure",
    "p_chart_figure",
    "term_trends_figure",
    "empty_figure",
]

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
OUTCOME_COLOURS = {
    "made": OKABE_ITO["green"], "met": OKABE_ITO["blue"], "explained": OKABE_ITO["sky_blue"],
    "redirected": OKABE_ITO["purple"], "target_declined": OKABE_ITO["orange"],
    "no_response": OKABE_ITO["vermillion"], "pending": OKABE_ITO["yellow"],
    "unreviewed": "#BBBBBB",
}
WIDTH, HEIGHT = 8.0, 4.0  # inches: readable at report width (about 800 px at 100 dpi)


def _figure(height: float = HEIGHT, nrows: int = 1, sharex: bool = False):
    fig = Figure(figsize=(WIDTH, height), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, 1, sharex=sharex)
    return fig, axes


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=9)


def empty_figure(title: str, message: str = "No data in this period") -> Figure:
    """A figure that only says there is nothing to show."""
    fig, ax = _figure(height=2.0)
    ax.set_axis_off()
    ax.set_title(title, fontsize=12)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#555555",
            transform=ax.transAxes)
    fig.alt_text = f"{title}: {message.lower()}."
    return fig


def _as_date(value) -> date:
    return pd.Timestamp(value).date()


def _version_lines(axes: Sequence, policy: Policy | None, first: date, last: date,
                   label: bool = True) -> list[str]:
    """Dashed vertical lines at version changes inside ``first``..``last``; labels on the
    first axes. Returns the names drawn."""
    if policy is None:
        return []
    drawn = []
    for when, name in policy.boundary_labels:
        if not first <= when <= last:
            continue
        drawn.append(name)
        for i, ax in enumerate(axes):
            ax.axvline(when, color=OKABE_ITO["black"], linestyle="--", linewidth=1, alpha=0.7)
            if label and i == 0:
                ax.text(when, 0.98, f" {name}", transform=ax.get_xaxis_transform(),
                        rotation=90, va="top", ha="left", fontsize=8, color="#333333")
    return drawn


def _version_note(drawn: list[str]) -> str:
    if not drawn:
        return ""
    return (" Dashed lines mark the policy version" + ("s " if len(drawn) > 1 else " ")
            + ", ".join(drawn) + " coming into force.")


# ---------------------------------------------------------------------------------------


def _date_axis(ax, weeks: int | None = None) -> None:
    """Dates on the x axis that never overlap: matplotlib's concise formatter (month names
    once, then days) on a locator with a bounded number of ticks (Mondays for a chart of
    ``weeks`` ISO weeks, so that a tick marks where a week's bar starts)."""
    import matplotlib.dates as mdates

    if weeks is not None and weeks <= 10:
        # a tick on each Monday, labelled "2 Mar" (day and month: a week never reads as
        # a bare number)
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
        return
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def load_figure(series: pd.DataFrame, policy: Policy | None = None) -> Figure:
    """Weekly requests (answered and not yet answered) and the requests waiting at each
    week's end (within the waiting window), from
    :func:`adviser_analytics.metrics.load.load_series`. Weeks after the newest export are
    left out; a week the export cuts short is drawn hatched ("so far")."""
    title = "Requests per week, and how many were waiting"
    if series is not None and "as_of" in series:  # weeks after the newest export: no figures
        series = series.loc[series["as_of"].notna()]
    if series is None or len(series) == 0 or (series["requests"].sum() == 0
                                              and series["waiting"].sum() == 0):
        return empty_figure(title)
    fig, (top, bottom) = _figure(height=5.0, nrows=2, sharex=True)
    starts = pd.to_datetime(series["start"])
    widths = (pd.to_datetime(series["end"]) - starts + pd.Timedelta(days=1)).dt.days * 0.8
    answered = series["answered_requests"].to_numpy()
    unanswered = series["requests"].to_numpy() - answered
    partial = ~series["complete"].fillna(True).to_numpy(dtype=bool) if "complete" in series \
        else np.zeros(len(series), dtype=bool)
    hatch = ["//" if p else None for p in partial]
    x = starts + pd.to_timedelta(widths / 0.8 / 2, unit="D")
    top.bar(x, answered, width=widths, color=OKABE_ITO["blue"], label="answered",
            hatch=hatch, edgecolor="white")
    top.bar(x, unanswered, width=widths, bottom=answered, color=OKABE_ITO["orange"],
            label="no reply yet", hatch=hatch, edgecolor="white")
    top.set_ylabel("requests started\n(count)")
    top.set_title(title, fontsize=12)
    handles, labels = top.get_legend_handles_labels()
    if partial.any():
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="//"))
        labels.append("week so far (the data end)")
    top.legend(handles, labels, frameon=False, fontsize=8, loc="upper left",
               bbox_to_anchor=(1.0, 1.0))
    ends = pd.to_datetime(series["as_of"] if "as_of" in series else series["end"])
    bottom.plot(ends + pd.Timedelta(days=1), series["waiting"],
                color=OKABE_ITO["vermillion"], marker="o", markersize=3)
    bottom.set_ylabel("waiting at week end\n(requests)")
    bottom.set_xlabel("week starting")
    bottom.set_ylim(bottom=0)
    for ax in (top, bottom):
        _style(ax)
    _date_axis(bottom, weeks=len(series))
    top.yaxis.get_major_locator().set_params(integer=True)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    first, last = _as_date(series["start"].iloc[0]), _as_date(series["end"].iloc[-1])
    drawn = _version_lines([top, bottom], policy, first, last)
    total, ans = int(series["requests"].sum()), int(series["answered_requests"].sum())
    fig.alt_text = (f"Bar chart of requests started per week from {first} to {last} "
                    f"({total} in all, {ans} answered) above a line of the requests waiting "
                    f"for a reply at each week's end (last value "
                    f"{int(series['waiting'].iloc[-1])})." + _version_note(drawn))
    return fig


def reply_time_figure(hours: Sequence[float] | np.ndarray,
                      working_hours: Sequence[float] | np.ndarray | None = None) -> Figure:
    """Distribution of first-reply times (log scale), with median and p90, in one unit for
    axis and legend: hours, or days when nine in ten replies take two days or more; the
    working-hours clock, when given, as a second outline histogram."""
    title = "Time to first reply"
    hours = np.asarray(hours, dtype=float)
    hours = hours[~np.isnan(hours)]
    if len(hours) == 0:
        return empty_figure(title)
    median_h, p90_h = float(np.median(hours)), float(np.percentile(hours, 90))
    unit, per = ("days", 24.0) if p90_h >= 48 else ("hours", 1.0)
    fig, ax = _figure()
    floor = 1 / 60 / per  # one minute
    data = [np.maximum(hours / per, floor)]
    if working_hours is not None and len(working_hours):
        wh = np.asarray(working_hours, dtype=float)
        data.append(np.maximum(wh[~np.isnan(wh)] / per, floor))
    lo = min(d.min() for d in data)
    hi = max(d.max() for d in data)
    bins = np.geomspace(lo, hi * 1.0001, 25) if hi > lo * 1.5 else np.linspace(lo * 0.9,
                                                                               hi * 1.1, 10)
    ax.hist(data[0], bins=bins, color=OKABE_ITO["blue"], alpha=0.85, label="calendar clock")
    if len(data) > 1:
        ax.hist(data[1], bins=bins, histtype="step", linewidth=2, color=OKABE_ITO["orange"],
                label="working hours only")
    median, p90 = median_h / per, p90_h / per
    ax.axvline(max(median, floor), color=OKABE_ITO["black"], linewidth=1.5,
               label=f"median {median:.1f} {unit}")
    ax.axvline(max(p90, floor), color=OKABE_ITO["black"], linestyle=":", linewidth=1.5,
               label=f"90th percentile {p90:.1f} {unit}")
    if hi > lo * 1.5:
        ax.set_xscale("log")
        candidates = ((1 / 24, 0.25, 0.5, 1, 2, 3, 7, 14, 30, 90) if unit == "days"
                      else (1 / 60, 0.25, 1, 2, 4, 8, 12, 24, 36, 48))
        ticks = [t for t in candidates if lo / 2 <= t <= hi * 2]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" if t >= 0.25 else f"{t:.2f}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel(f"time from request to first reply ({unit}, log scale)")
    else:
        ax.set_xlabel(f"time from request to first reply ({unit})")
    ax.set_ylabel("answered requests (count)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=12)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax)
    fig.alt_text = (f"Histogram of the time to first reply for {len(hours)} answered requests: "
                    f"median {median:.1f} {unit}, 90th percentile {p90:.1f} {unit}.")
    return fig


def _hours_label(h: float) -> str:
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 24 or h % 24:
        return f"{h:g} h"
    return f"{h / 24:g} d"


def heatmap_figure(counts: pd.DataFrame, timezone: str = "UTC") -> Figure:
    """Inbound messages by weekday and hour (from ``weekday_hour_counts``)."""
    title = "When messages arrive"
    if counts is None or counts.to_numpy().sum() == 0:
        return empty_figure(title)
    fig, ax = _figure(height=3.4)
    values = counts.to_numpy()
    image = ax.imshow(values, aspect="auto", cmap="cividis", interpolation="nearest")
    ax.set_yticks(range(7))
    ax.set_yticklabels(list(counts.index) if len(counts.index) == 7 else WEEKDAY_NAMES)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xticklabels([f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(f"hour of day ({timezone})")
    ax.set_ylabel("weekday")
    ax.set_title(title, fontsize=12)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    from matplotlib.ticker import MaxNLocator

    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    bar.set_label("inbound messages (count)")
    ax.tick_params(labelsize=9)
    day, hour = np.unravel_index(int(values.argmax()), values.shape)
    day_name = (list(counts.index) if len(counts.index) == 7 else WEEKDAY_NAMES)[day]
    fig.alt_text = (f"Heatmap of {int(values.sum())} inbound messages by weekday and hour "
                    f"({timezone}); the busiest hour is {day_name} {hour:02d}:00 with "
                    f"{int(values.max())}.")
    return fig


def introductions_figure(series: pd.DataFrame, policy: Policy | None = None) -> Figure:
    """Stacked bars of introduction outcomes per month (from ``monthly_series``)."""
    title = "Introduction requests by outcome"
    if series is None or len(series) == 0 or series["requests"].sum() == 0:
        return empty_figure(title)
    fig, ax = _figure()
    starts = pd.to_datetime(series["start"])
    lengths = (pd.to_datetime(series["end"]) - starts).dt.days + 1
    x = starts + pd.to_timedelta(lengths / 2, unit="D")
    width = lengths * 0.8
    bottom = np.zeros(len(series))
    for outcome in OUTCOME_KEYS:
        if outcome not in series:
            continue
        values = series[outcome].to_numpy(dtype=float)
        if values.sum() == 0:
            continue
        ax.bar(x, values, width=width, bottom=bottom, color=OUTCOME_COLOURS[outcome],
               label=outcome.replace("_", " "), edgecolor="white", linewidth=0.5,
               hatch="//" if outcome == "unreviewed" else None)
        bottom += values
    ax.set_ylabel("introduction requests (count)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("month requested")
    ax.set_title(title, fontsize=12)
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _style(ax)
    _date_axis(ax)
    first, last = _as_date(series["start"].iloc[0]), _as_date(series["end"].iloc[-1])
    drawn = _version_lines([ax], policy, first, last)
    totals = {o: int(series[o].sum()) for o in OUTCOME_KEYS if o in series
              and series[o].sum()}
    mix = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items())
    fig.alt_text = (f"Stacked bar chart of {int(series['requests'].sum())} introduction "
                    f"requests per month from {first} to {last} by outcome ({mix})."
                    + _version_note(drawn))
    return fig


def p_chart_figure(chart: pd.DataFrame, policy: Policy | None = None) -> Figure:
    """Conformance per period with exact binomial limits (from ``drift.p_chart``): judged
    periods as filled dots, periods too small to judge as hollow grey circles (never
    flagged), periods outside the limits as diamonds, version changes as dashed lines."""
    title = "Conformance with the policy in force"
    if chart is None or len(chart) == 0 or chart["decisions"].sum() == 0:
        return empty_figure(title)
    fig, ax = _figure()
    starts = pd.to_datetime(chart["start"])
    ends = pd.to_datetime(chart["end"]) + pd.Timedelta(days=1)
    mid = starts + (ends - starts) / 2
    segments = chart["segment"] if "segment" in chart else pd.Series(0, index=chart.index)
    for j, (_, seg) in enumerate(chart.groupby(segments, sort=True)):
        value = float(seg["p_bar"].iloc[0])
        if np.isnan(value):
            continue
        ax.hlines(value, starts.loc[seg.index].min(), ends.loc[seg.index].max(),
                  colors=OKABE_ITO["black"], linewidth=1,
                  label="centre line per policy version" if j == 0 else None)
    p_bar = float(chart["p_bar"].dropna().iloc[-1]) if chart["p_bar"].notna().any() else 0.0
    provisional = chart["provisional"].to_numpy(dtype=bool) if "provisional" in chart \
        else np.zeros(len(chart), dtype=bool)
    judged = ~chart["too_small"].to_numpy(dtype=bool) & ~provisional
    signal = chart["signal"].to_numpy(dtype=bool)
    for i in np.flatnonzero(judged):
        ax.hlines([chart["lower"].iloc[i], chart["upper"].iloc[i]], starts.iloc[i],
                  ends.iloc[i], colors=OKABE_ITO["sky_blue"], linewidth=1.5,
                  label="95 % limits (exact binomial)" if i == np.flatnonzero(judged)[0]
                  else None)
    p = chart["p"].to_numpy(dtype=float)
    ok = judged & ~signal
    if ok.any():
        ax.plot(mid[ok], p[ok], "o", color=OKABE_ITO["blue"], label="period")
    if signal.any():
        ax.plot(mid[signal], p[signal], "D", color=OKABE_ITO["vermillion"], markersize=7,
                label="outside the limits")
    small = ~judged & ~provisional & ~np.isnan(p)
    if small.any():
        ax.plot(mid[small], p[small], "o", markerfacecolor="none",
                markeredgecolor=OKABE_ITO["grey"], label="too few decisions to judge")
    early = provisional & ~np.isnan(p)
    if early.any():
        ax.plot(mid[early], p[early], "s", markerfacecolor="none",
                markeredgecolor=OKABE_ITO["orange"], label="provisional (labels still coming)")
    ax.set_ylim(-0.02, 1.05)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_ylabel("conforming decisions (% of decisions)")
    ax.set_xlabel("period")
    ax.set_title(title, fontsize=12)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax)
    _date_axis(ax)
    first = _as_date(chart["start"].iloc[0])
    last = _as_date(chart["end"].iloc[-1])
    drawn = _version_lines([ax], policy, first, last + timedelta(days=1))
    n_small = int(small.sum() + (~judged & ~provisional & np.isnan(p)).sum())
    n_signal = int(signal.sum())
    fig.alt_text = (f"P-chart of the share of decisions matching the policy in force over "
                    f"{len(chart)} periods (centre line {p_bar:.0%} for the latest policy version); "
                    f"{n_signal} judged "
                    f"period{'s' if n_signal != 1 else ''} outside the exact binomial limits "
                    f"and {n_small} too small to judge"
                    + (f"; {int(early.sum())} provisional, not judged" if early.any() else "")
                    + "." + _version_note(drawn))
    return fig


#: the shares the term review draws: (rate key, interval key, legend, colour, marker)
TERM_SERIES = (
    ("reply_rate", "reply_rate_ci95", "reply rate", OKABE_ITO["blue"], "o"),
    ("conformance_rate", "conformance_ci95", "following the policy", OKABE_ITO["orange"], "s"),
)


def term_trends_figure(rows: Sequence[dict], policy: Policy | None = None) -> Figure:
    """The term month by month (the rows of ``ReportModel.measures_in``, as the audience may
    see them): the reply rate and the share following the policy, each with its 95 %
    interval; a share that is withheld or has no base is not drawn."""
    title = "The term month by month"
    if not rows:
        return empty_figure(title)
    fig, ax = _figure(height=3.2)
    x = np.arange(len(rows))
    described = []
    for i, (rate, ci, label, colour, marker) in enumerate(TERM_SERIES):
        points = [(j, r[rate], r.get(ci)) for j, r in enumerate(rows)
                  if r.get(rate) is not None]
        if not points:
            continue
        xs = np.array([j for j, _, _ in points]) + (i - 0.5) * 0.12
        ys = np.array([100 * float(v) for _, v, _ in points])
        low = np.array([ys[k] - 100 * c[0] if c else 0 for k, (_, _, c) in enumerate(points)])
        high = np.array([100 * c[1] - ys[k] if c else 0 for k, (_, _, c) in enumerate(points)])
        # (the rate and its interval are rounded apart: never a negative arm)
        ax.errorbar(xs, ys, yerr=[np.clip(low, 0, None), np.clip(high, 0, None)], color=colour, marker=marker, capsize=3,
                    linewidth=1.5, label=label)
        described.append(f"{label} from {ys[0]:.0f}% to {ys[-1]:.0f}%")
    ax.set_xticks(x, [str(r["month"]) for r in rows])
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("share of the month (%)")
    ax.legend(frameon=False, fontsize=9, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _style(ax)
    changes = [name for when, name in (policy.boundary_labels if policy else [])
               if _as_date(rows[0]["from"]) < when <= _as_date(rows[-1]["to"])]
    fig.alt_text = (f"Points with 95 % intervals for {len(rows)} months from {rows[0]['month']} "
                    f"to {rows[-1]['month']}: " + "; ".join(described) + "."
                    + (" A new policy version came into force during the term ("
                       + ", ".join(changes) + ")." if changes else ""))
    return fig
