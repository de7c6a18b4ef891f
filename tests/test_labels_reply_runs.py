"""Reply runs (labels) and request episodes (metrics) agree on the label fixture workspace."""

from __future__ import annotations

import pandas as pd
from helpers import build

from adviser_analytics.labels import reply_runs
from adviser_analytics.metrics.episodes import requests


def test_reply_runs_find_the_same_requests_as_the_metrics(tmp_path):
    ws = build(tmp_path / "ws")
    messages = ws.messages()
    runs = reply_runs(messages)
    starts = runs[(runs["direction"] == "inbound")]["request_key"].dropna().unique()
    assert set(starts) == set(requests(messages)["request_key"])
    replies = runs[runs["reply_rank"] == 0].set_index("request_key")["sent_at"]
    episodes = requests(messages).set_index("request_key")["replied_at"].dropna()
    assert (replies.reindex(episodes.index) == episodes).all()
    assert pd.isna(runs.loc[runs["sent_at"] == pd.Timestamp("2025-12-12T09:00:00Z"),
                            "request_key"]).all()  # an owner message before any inbound one
