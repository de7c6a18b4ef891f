"""Figures: each returns a Figure with alt text, renders headless, and copes with no data."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from adviser_analytics import figures
from adviser_analytics.metrics.drift import p_chart
from adviser_analytics.metrics.introductions import monthly_series
from adviser_analytics.metrics.load import load_series, weekday_hour_counts
from adviser_analytics.periods import Period
from adviser_analytics.policy import load_policy

POLICY = load_policy("""\
versions:
  - name: cautious-avoidance
    effective_from: 2025-01-01
    minutes_per_reply: 6
    minutes_per_week: 90
  - name: genuine-connection
    effective_from: 2025-02-10
    minutes_per_reply: 6
    minutes_per_week: 90
""")


def _messages(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    conv = rng.integers(0, 40, n)
    start = pd.Timestamp("2025-01-01", tz="UTC").value
    end = pd.Timestamp("2025-03-31", tz="UTC").value
    return pd.DataFrame({
        "message_id": np.arange(n),
        "conversation_id": [f"c{c}" for c in conv],
        "sent_at": pd.to_datetime(rng.integers(start, end, n), utc=True),
        "direction": np.where(rng.random(n) < 0.6, "inbound", "outbound"),
        "sender_key": [f"p{c}" for c in conv],
        "counterpart_key": [f"p{c}" for c in conv],
    })


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))]


def _check(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert isinstance(fig.alt_text, str) and fig.alt_text.endswith(".")
    assert len(fig.alt_text) > 20
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = [ax for ax in fig.axes if ax.axison]
    for ax in axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_ylabel(), "every axis has a label"
    assert any(ax.get_title() for ax in fig.axes)


def test_load_figure_with_version_lines():
    m = _messages()
    series = load_series(m, "2025-01-01", "2025-03-31", POLICY)
    fig = figures.load_figure(series, POLICY)
    _check(fig)
    assert "genuine-connection" in " ".join(_texts(fig))
    assert "genuine-connection" in fig.alt_text
    assert "(count)" in fig.axes[0].get_ylabel()


def _legend(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_reply_time_figure_speaks_one_unit():
    # p90 of these = 70 + 0.4 * 130 = 122 hours (over two days): the figure speaks days
    hours = np.array([0.5, 2, 3, 8, 30, 70, 200])
    fig = figures.reply_time_figure(hours, working_hours=hours / 3)
    _check(fig)
    assert "(days, log scale)" in fig.axes[0].get_xlabel()
    assert "median 0.3 days" in _legend(fig)  # 8 h / 24
    assert "90th percentile 5.1 days" in _legend(fig)  # 122 h / 24 = 5.08
    assert "median 0.3 days" in fig.alt_text
    assert not any(re.search(r"\d (h|hours)\b", t) for t in _legend(fig))
    # p90 under two days: hours throughout
    quick = figures.reply_time_figure(np.array([0.5, 1, 2, 4, 10]))
    assert "(hours, log scale)" in quick.axes[0].get_xlabel()
    assert "median 2.0 hours" in _legend(quick)
    assert not any(re.search(r"\d (d|days)\b", t) for t in _legend(quick))
    _check(figures.reply_time_figure([5.0]))  # a single value


def _overlapping_labels(fig: Figure, ax) -> list[tuple[str, str]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    return [(a, b) for i, (a, x) in enumerate(boxes) for b, y in boxes[i + 1:]
            if x.overlaps(y)]


def test_weekly_chart_date_labels_do_not_overlap():
    m = _messages(2000)
    # a month's report: its weeks (24 Feb to 31 Mar 2025: six ISO weeks, Mondays 24 Feb,
    # 3, 10, 17, 24 and 31 Mar); matplotlib's default labels ("2025-02-25" every 4 days)
    # overlapped here
    series = load_series(m, "2025-02-24", "2025-03-31", POLICY)
    fig = figures.load_figure(series, POLICY)
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels() if t.get_text()]
    assert labels == ["24 Feb", "3 Mar", "10 Mar", "17 Mar", "24 Mar", "31 Mar"]
    assert _overlapping_labels(fig, fig.axes[1]) == []
    assert "waiting" in fig.axes[1].get_ylabel()
    # a longer span: the concise formatter, month names, still no overlap
    series = load_series(m, "2025-01-01", "2025-03-31", POLICY)  # 14 ISO weeks
    fig = figures.load_figure(series, POLICY)
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels() if t.get_text()]
    assert "Feb" in labels and "Mar" in labels and len(labels) <= 9, labels
    assert _overlapping_labels(fig, fig.axes[1]) == []


def test_heatmap_figure():
    counts = weekday_hour_counts(_messages(), Period.parse("2025-01-01", "2025-03-31"),
                                 "Europe/London")
    fig = figures.heatmap_figure(counts, "Europe/London")
    _check(fig)
    assert "Europe/London" in fig.axes[0].get_xlabel()


def test_introductions_figure():
    intro = pd.DataFrame({
        "introduction_id": [1, 2, 3],
        "requester_key": ["a", "b", "c"], "target_key": ["t", "t", "u"],
        "target_name": ["T", "T", "U"],
        "requested_on": pd.to_datetime(["2025-01-10", "2025-02-12", "2025-03-03"], utc=True),
        "resolved_on": pd.to_datetime([None, None, None], utc=True),
    })
    labels = pd.DataFrame({"kind": ["outcome"], "subject": ["1"], "value": ["made"],
                           "source": ["confirmed"]})
    series = monthly_series(intro, labels, "2025-01-01", "2025-03-31")
    fig = figures.introductions_figure(series, POLICY)
    _check(fig)
    assert "1 made" in fig.alt_text and "2 unreviewed" in fig.alt_text


def test_p_chart_figure_marks_small_periods_and_versions():
    weeks = pd.date_range("2025-01-06", periods=6, freq="7D")
    chart = p_chart(pd.DataFrame({
        "period": [f"W{i}" for i in range(6)], "start": weeks.date,
        "end": (weeks + pd.Timedelta(days=6)).date,
        "decisions": [20, 20, 20, 3, 20, 0], "conforming": [18, 19, 10, 0, 17, 0],
        "version": ["cautious-avoidance"] * 5 + ["genuine-connection"],
        "new_version": [None] * 5 + ["genuine-connection"],
    }))
    fig = figures.p_chart_figure(chart, POLICY)
    _check(fig)
    texts = " ".join(_texts(fig))
    assert "too few decisions to judge" in texts
    assert "outside the limits" in texts
    assert "genuine-connection" in texts
    assert "1 judged period outside" in fig.alt_text
    assert "2 too small to judge" in fig.alt_text
    assert _overlapping_labels(fig, fig.axes[0]) == []


def test_p_chart_figure_marks_the_provisional_period():
    months = pd.date_range("2025-01-01", periods=4, freq="MS")
    chart = p_chart(pd.DataFrame({
        "period": [f"M{i}" for i in range(4)], "start": months.date,
        "end": (months + pd.offsets.MonthEnd(0)).date,
        "decisions": [20, 20, 20, 20], "conforming": [18, 17, 18, 5]}),
        as_of=pd.Timestamp("2025-04-25").date())  # only April ends after 25 Apr - 21 days
    assert list(chart["provisional"]) == [False, False, False, True]
    fig = figures.p_chart_figure(chart)
    assert "provisional (labels still coming)" in " ".join(_texts(fig))
    assert "outside the limits" not in " ".join(_texts(fig))  # 5 of 20 is not judged
    assert "1 provisional, not judged" in fig.alt_text


@pytest.mark.parametrize("make", [
    lambda: figures.load_figure(pd.DataFrame(columns=["start", "end", "requests",
                                                      "answered_requests", "waiting"])),
    lambda: figures.load_figure(load_series(_messages().iloc[:0], "2025-01-01", "2025-01-31")),
    lambda: figures.reply_time_figure([]),
    lambda: figures.heatmap_figure(weekday_hour_counts(_messages().iloc[:0],
                                                       Period.parse("2025-01-01", "2025-01-31"))),
    lambda: figures.introductions_figure(monthly_series(None, None, "2025-01-01", "2025-02-28")),
    lambda: figures.p_chart_figure(p_chart(pd.DataFrame(
        {"period": ["W1"], "start": [pd.Timestamp("2025-01-06").date()],
         "end": [pd.Timestamp("2025-01-12").date()], "decisions": [0], "conforming": [0]}))),
    lambda: figures.p_chart_figure(None),
])
def test_empty_data_says_so(make):
    fig = make()
    _check_empty(fig)


def _check_empty(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert "No data in this period" in _texts(fig)
    assert fig.alt_text.endswith("no data in this period.")
    fig.savefig(io.BytesIO(), format="png")
