"""Metrics: pure functions from DataFrames to numbers (``shared/domain.md``, "Metric
definitions"). :func:`compute_metrics` builds the ``metrics --json`` object; :func:`compute`
does the same from a workspace.
"""

from __future__ import annotations

import math

import pandas as pd

from ..periods import Period
from ..policy import Policy, load_policy
from . import drift, episodes, introductions, load
from .drift import conformance, decisions
from .episodes import requests
from .introductions import outcome_mix
from .load import load as load_metrics

__all__ = ["compute_metrics", "compute", "requests", "episodes", "load", "introductions",
           "drift", "to_json_value"]

# decimals per key (anything else: 4)
_DECIMALS = {
    "reply_rate": 4, "conformance_rate": 4, "conformance_ci95": 4,
    "first_reply_hours_median": 2, "first_reply_hours_p90": 2,
    "first_reply_working_hours_median": 2, "first_reply_working_hours_p90": 2,
    "backlog_oldest_days": 2, "minutes_spent_estimate": 1, "minutes_budget": 1,
    "median_days": 2,
}


def to_json_value(value, decimals: int = 4):
    """A value made JSON-safe: numpy scalars to Python, NaN/NaT/NA to None, floats rounded."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {str(k): to_json_value(v, _DECIMALS.get(str(k), decimals))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v, decimals) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, decimals)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def compute_metrics(messages: pd.DataFrame, invitations: pd.DataFrame | None,
                    labels: pd.DataFrame | None, introductions: pd.DataFrame | None,
                    policy: Policy | None, period: Period,
                    episodes: pd.DataFrame | None = None) -> dict:
    """The ``metrics --json`` object for one period: ``period``, ``load``, ``introductions``,
    ``policy`` (the contract's keys, plus a few documented extras), JSON-serialisable.
    ``episodes``: ``requests(messages)`` if the caller already has them."""
    reqs = requests(messages) if episodes is None else episodes
    load_part = load_metrics(messages, period, policy, episodes=reqs)
    intro_part = outcome_mix(introductions, labels, period)
    decided = decisions(invitations, labels, reqs, policy, period)
    policy_part = conformance(decided)
    result = {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "load": load_part,
        "introductions": intro_part,
        "policy": policy_part,
    }
    return to_json_value(result)


def compute(ws, period: Period, policy: Policy | None = None) -> dict:
    """:func:`compute_metrics` on a workspace (``ws.messages()``, ``ws.invitations()``,
    ``ws.labels()``, ``ws.introductions()``). The policy is the one passed, else the
    workspace's (``ws.policy()`` returning a :class:`Policy` or its YAML text, if the
    workspace offers it), else none."""
    if policy is None:
        getter = getattr(ws, "policy", None)
        stored = getter() if callable(getter) else getter
        if isinstance(stored, Policy):
            policy = stored
        elif isinstance(stored, str) and stored.strip():
            policy = load_policy(stored, file="stored policy")
    return compute_metrics(ws.messages(columns=ws.METRIC_COLUMNS), ws.invitations(), ws.labels(), ws.introductions(),
                           policy, period)
