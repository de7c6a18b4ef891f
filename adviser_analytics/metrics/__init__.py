"""Metrics: pure functions from DataFrames to numbers (``shared/domain.md``, "Metric
definitions", revised). :func:`compute_metrics` builds the metrics of a period (the fuller
object the reports read, with the report's internal counts); :func:`to_contract` trims it
to the ``metrics --json`` object of ``contract.md``; :func:`compute` does both from a
workspace, with ``data_to`` from its newest export (:func:`data_to_of`).
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

__all__ = ["compute_metrics", "compute", "to_contract", "data_to_of", "requests", "episodes",
           "load", "introductions", "drift", "to_json_value", "MESSAGE_COLUMNS"]

#: The message columns the metrics read (``participants`` tells group conversations).
MESSAGE_COLUMNS = ("message_id", "conversation_id", "sent_at", "sender_key", "direction",
                   "counterpart_key", "participants")

# decimals per key (anything else: 4)
_DECIMALS = {
    "reply_rate": 4, "conformance_rate": 4, "conformance_ci95": 4,
    "first_reply_hours_median": 2, "first_reply_hours_p90": 2,
    "first_reply_working_hours_median": 2, "first_reply_working_hours_p90": 2,
    "waiting_oldest_days": 2, "minutes_spent_estimate": 1, "minutes_budget": 1,
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
                    episodes: pd.DataFrame | None = None, *, data_to: object = None) -> dict:
    """The metrics of one period, JSON-serialisable: ``period``, ``coverage``, ``load``,
    ``introductions``, ``policy``.

    This is the fuller object the reports read: ``load`` also holds ``within_target`` and
    ``answered_within_target`` (``load.LOAD_INTERNAL``) for the reflection report. :func:`to_contract`
    makes the ``metrics --json`` object of it. ``episodes``: ``requests(messages)`` if the
    caller already has them; ``data_to``: the newest export's date (default: the day of the
    newest message given)."""
    reqs = requests(messages) if episodes is None else episodes
    load_part = load_metrics(messages, period, policy, episodes=reqs, labels=labels,
                             data_to=data_to)
    cover = load_part.pop("coverage")
    intro_part = outcome_mix(introductions, labels, period)
    decided = decisions(invitations, labels, reqs, policy, period)
    policy_part = conformance(decided)
    result = {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "coverage": cover,
        "load": load_part,
        "introductions": intro_part,
        "policy": policy_part,
    }
    return to_json_value(result)


def to_contract(result: dict) -> dict:
    """The ``metrics --json`` object (``contract.md``) of a :func:`compute_metrics` result:
    the contract's keys in its order, the documented extras (``LOAD_EXTRAS``, the policy's
    ``suggested``), and none of the internal aliases."""
    out = {k: result[k] for k in ("period", "coverage")}
    out["load"] = {k: result["load"][k] for k in (*load.LOAD_KEYS, *load.LOAD_EXTRAS)}
    out["introductions"] = result["introductions"]
    out["policy"] = result["policy"]
    return out


def data_to_of(ws, messages: pd.DataFrame | None = None) -> object:
    """The newest export's date of a workspace (``ws.snapshots()``); when an export's date
    is unknown, the day of the newest of ``messages`` stands in. None when nothing is
    ingested."""
    dates = []
    getter = getattr(ws, "snapshots", None)
    snaps = getter() if callable(getter) else None
    if snaps is not None and len(snaps):
        known = pd.to_datetime(snaps["export_date"], utc=True).dropna()
        if len(known):
            dates.append(known.max().date())
        if len(known) < len(snaps) and messages is not None:
            newest = load.data_end(messages)
            if newest is not None:
                dates.append(newest)
    return max(dates) if dates else None


def compute(ws, period: Period, policy: Policy | None = None) -> dict:
    """The ``metrics --json`` object of a workspace (``ws.messages()``, ``ws.invitations()``,
    ``ws.labels()``, ``ws.introductions()``, ``ws.snapshots()`` for ``data_to``). The policy
    is the one passed, else the workspace's (``ws.policy()`` returning a :class:`Policy` or
    its YAML text, if the workspace offers it), else none."""
    if policy is None:
        getter = getattr(ws, "policy", None)
        stored = getter() if callable(getter) else getter
        if isinstance(stored, Policy):
            policy = stored
        elif isinstance(stored, str) and stored.strip():
            policy = load_policy(stored, file="stored policy")
    messages = ws.messages(columns=MESSAGE_COLUMNS)  # person-to-person rows only
    return to_contract(compute_metrics(
        messages, ws.invitations(), ws.labels(), ws.introductions(), policy, period,
        data_to=data_to_of(ws, messages)))
