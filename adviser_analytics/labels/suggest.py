"""Derivation and suggestion: inference and the rules over the whole workspace, and the
labels brought in line with them.

:func:`suggest` derives the labels the data and the current rules support and brings every
label that is not confirmed in line with them: it adds and updates, and withdraws a
suggestion or inference the data and rules no longer support (history keeps it). Running it
twice changes nothing the second time. :func:`infer` stores only what the data say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from adviser_analytics.labels.inference import (
    acknowledgement_runs,
    infer_decisions,
    infer_handling,
    load_data,
    relationships_by_rules,
    requests_by_rules,
)
from adviser_analytics.labels.introductions import introductions_by_rules, sync_introductions
from adviser_analytics.labels.rules import Rules, rules_for
from adviser_analytics.labels.store import (
    SOURCE_RANK,
    empty_labels,
    remove_labels,
    stored_labels,
    unit,
    write_labels,
)
from adviser_analytics.store import Workspace

DERIVED_KINDS = ("relationship", "decision", "handling", "referral")


@dataclass
class Derivation:
    """What the data and the rules say: labels (``LABEL_COLUMNS``), introduction requests,
    and counts for the summary."""

    labels: pd.DataFrame
    introductions: pd.DataFrame
    stats: dict = field(default_factory=dict)
    rules_file: str = ""
    skipped_rules: list = field(default_factory=list)


def derive(ws: Workspace, rules: Rules | None = None) -> Derivation:
    """Inference and rules over the whole workspace (reads only)."""
    rules = rules or rules_for(ws)
    d = load_data(ws)
    decisions, decision_stats = infer_decisions(d, rules)
    by_rules = requests_by_rules(d, rules)
    acks = acknowledgement_runs(d, rules)
    handling = infer_handling(d, by_rules, acks)
    relationships, skipped = relationships_by_rules(d, rules)
    introductions, intro_stats = introductions_by_rules(d, rules)
    labels = pd.concat([x for x in (relationships, decisions, handling) if len(x)],
                       ignore_index=True) if any(len(x) for x in
                                                 (relationships, decisions, handling)) \
        else empty_labels()
    labels = labels.astype(object)
    if len(labels):
        labels["rank"] = labels["source"].map(SOURCE_RANK)
        labels = (labels.sort_values("rank", ascending=False, kind="mergesort")
                  .drop_duplicates(["kind", "subject"]).drop(columns="rank")
                  .reset_index(drop=True))
    stats = {"decisions": decision_stats, "introductions": intro_stats,
             "requests": int(len(d.episodes)), "acknowledgements": int(len(acks))}
    return Derivation(labels, introductions, stats, rules.file, skipped)


def _mix(labels: pd.DataFrame, source: str) -> dict:
    part = labels[labels["source"] == source]
    return {kind: {str(v): int(n) for v, n in group["value"].value_counts().sort_index().items()}
            for kind, group in part.groupby("kind")}


def infer(ws: Workspace, rules: Rules | None = None) -> dict:
    """Store the labels the data allow (``inferred``), never over a confirmed label. (A
    reply a rule reads as a referral or decline is left to :func:`suggest`.)"""
    derivation = derive(ws, rules)
    inferred = derivation.labels[derivation.labels["source"] == "inferred"]
    with unit(ws):
        written = write_labels(ws, inferred, protect="rank")
    return {"inferred": _mix(inferred, "inferred"),
            "withdrawn_invitations": derivation.stats["decisions"]["withdrawn"],
            "labels": written}


def suggest(ws: Workspace, rules: Rules | None = None) -> dict:
    """Inference, then the rules: brings every label that is not confirmed in line with what
    the data and the current rules say (see ``adviser_analytics.labels``); records introduction
    requests. Idempotent. Returns a summary."""
    rules = rules or rules_for(ws)
    derivation = derive(ws, rules)
    labels = derivation.labels
    with unit(ws):
        stored = stored_labels(ws)
        confirmed = stored[stored["source"] == "confirmed"]
        # no referral suggestion for a request the adviser says was not referred
        not_referred = confirmed[(confirmed["kind"] == "handling") & (confirmed["value"] != "refer")]
        labels = labels[~((labels["kind"] == "referral")
                          & labels["subject"].isin(not_referred["subject"]))]
        written = write_labels(ws, labels, protect="confirmed")
        derived_keys = labels[["kind", "subject"]].assign(_derived=True)
        stale = stored[(stored["source"] != "confirmed") & stored["kind"].isin(DERIVED_KINDS)]
        stale = stale.merge(derived_keys, on=["kind", "subject"], how="left")
        stale = stale[stale["_derived"].isna()]
        removed = remove_labels(ws, stale)
        introductions = sync_introductions(ws, derivation.introductions)
    intro_stats = derivation.stats["introductions"]
    return {
        "rules_file": derivation.rules_file,
        "rules_skipped": derivation.skipped_rules,
        "inferred": _mix(labels, "inferred"),
        "suggested": _mix(labels, "suggested"),
        "withdrawn_invitations": derivation.stats["decisions"]["withdrawn"],
        "introductions": {"requests_found": intro_stats["found"],
                          "recorded": int(len(derivation.introductions)),
                          "target_matched": intro_stats["target_matched"],
                          "without_name": intro_stats["without_name"],
                          "to_identify": intro_stats.get("to_identify", 0),
                          "added": introductions["added"], "removed": introductions["removed"]},
        "labels": {"added": written["added"], "changed": written["changed"],
                   "unchanged": written["unchanged"], "removed": removed,
                   "kept_confirmed": written["kept_confirmed"]},
    }
