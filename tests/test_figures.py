"""Figures: each returns a Figure with alt text, renders headless, and copes with no data."""

from __future__ import annotations

import io

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


def test_reply_time_figure():
    hours = np.array([0.5, 2, 3, 8, 30, 70, 200])
    fig = figures.reply_time_figure(hours, working_hours=hours / 3)
    _check(fig)
    assert "hours" in fig.axes[0].get_xlabel()
    assert "median 8.0 hours" in fig.alt_text
    _check(figures.reply_time_figure([5.0]))  # a single value


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


@pytest.mark.parametrize("make", [
    lambda: figures.load_figure(pd.DataFrame(columns=["start", "end", "requests",
                                                      "answered_requests", "backlog"])),
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
