"""What may leave the adviser's machine: pseudonyms, suppression and the leak check.

- :mod:`.pseudonyms`: the workspace's secret, HMAC codes, ``client-3f9a``;
- :mod:`.suppression`: every rule that decides what a supervisor sees, driven by the registry
  of metrics (:data:`METRICS`); anything not registered is withheld;
- :mod:`.leaks`: the terms a supervision artefact must not contain, the scan, and the allow
  list (:data:`ALLOW`).

Pure functions: nothing here opens the workspace (the pseudonym table is the store's). Text
safety (HTML escaping, spreadsheet-safe cells) lives in the neutral ``textsafety`` module.
``from adviser_analytics import privacy; privacy.X`` works for every public name below.
"""

from __future__ import annotations

from .leaks import (
    ALLOW,
    DATA_ATTR,
    STOPWORDS,
    Leak,
    Term,
    TermIndex,
    check_artefacts,
    describe_leaks,
    find_leaks,
    mask,
    own_phrases,
    report_index,
    scan_artefact,
    sensitive_terms,
)
from .pseudonyms import (
    MIN_CODE_LENGTH,
    RELATIONSHIPS,
    SECRET_BYTES,
    assign_pseudonyms,
    load_or_create_secret,
    person_hmac,
    pseudonym,
    pseudonyms,
)
from .suppression import (
    BREAKDOWN,
    METRICS,
    MIN_BASE,
    OWN_TOTAL,
    SECONDARY,
    SELF_ONLY,
    SMALL,
    WITHHELD,
    Metric,
    counts_drawable,
    metric,
    safe_percent,
    statistic_shown,
    supervision_percent,
    suppress_count,
    suppress_metrics,
    suppress_part,
    suppress_table,
    waiting_band,
    withheld_reason,
)

__all__ = [
    "SECRET_BYTES", "MIN_CODE_LENGTH", "RELATIONSHIPS", "SMALL", "SECONDARY", "MIN_BASE",
    "load_or_create_secret", "person_hmac", "assign_pseudonyms", "pseudonym", "pseudonyms",
    "Metric", "METRICS", "OWN_TOTAL", "BREAKDOWN", "metric",
    "suppress_count", "safe_percent", "supervision_percent", "suppress_part",
    "statistic_shown", "withheld_reason", "counts_drawable", "suppress_table",
    "suppress_metrics", "WITHHELD", "waiting_band", "SELF_ONLY",
    "ALLOW", "STOPWORDS", "Term", "Leak", "TermIndex", "sensitive_terms", "find_leaks",
    "check_artefacts", "mask", "report_index", "scan_artefact", "describe_leaks",
    "own_phrases", "DATA_ATTR",
]
