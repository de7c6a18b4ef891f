"""Labels: the adviser's judgements about people, invitations, requests and introductions.

A label is one value of a kind's vocabulary (``domain.md``) attached to a subject:

============  =================================  ===========================================
kind          subject                            values
============  =================================  ===========================================
relationship  person key                         client colleague professional personal
                                                 unknown spam
decision      ``str(invitation_id)``             accept ask ignore report redirect pending
handling      request key ``conv|start``         answer refer explain none
referral      request key                        appointment mentor event resource reception
                                                 other
outcome       ``str(introduction_id)``           made explained redirected target_declined
                                                 no_response met pending
============  =================================  ===========================================

Every label has a **source**, and the sources rank ``confirmed`` > ``inferred`` >
``suggested``:

- ``confirmed`` (the adviser said so) is never overwritten by inference or rules; only the
  adviser changes it (triage, ``labels import``).
- ``inferred`` (the data say it, e.g. the inviter appears in Connections) overwrites a
  suggestion, and is not overwritten by one: when the data say what happened, a rule's guess
  gives way. The one exception is made where the two are derived, not by precedence: a reply
  to a request is ``answer`` (inferred) *unless* a rule reads it as a referral or an honest
  decline, which then stands as ``suggested`` (the data say that you replied, the rule says
  how).
- ``suggested`` (a rule matched) waits for review.

The rooms: :mod:`.store` (vocabulary, precedence, every read and write of labels, through
:mod:`adviser_analytics.store.labels`), :mod:`.rules` (the rules language),
:mod:`.inference` (what the data say), :mod:`.introductions` (introduction requests),
:mod:`.suggest` (derive, infer, suggest) and :mod:`.files` (the label CSVs). The names
below are the public API; import them from ``adviser_analytics.labels``.
"""

from __future__ import annotations

from adviser_analytics.errors import BadLabelsError  # noqa: F401  (callers reach it here)
from adviser_analytics.labels.files import LABEL_FILES, export_labels, import_labels
from adviser_analytics.labels.inference import (
    ASK_WINDOW_DAYS,
    REPLY_RUN_HOURS,
    UNANSWERED_DAYS,
    WorkspaceData,
    acknowledgement_runs,
    group_conversations,
    load_data,
    reply_runs,
)
from adviser_analytics.labels.introductions import (
    TO_IDENTIFY,
    introductions_by_rules,
    sync_introductions,
)
from adviser_analytics.labels.rules import (
    RULES_FILE,
    Rule,
    Rules,
    acknowledgements,
    clip,
    copy_default_rules,
    default_rules_path,
    first_rule,
    link_regex,
    load_rules,
    matches,
    rules_for,
    workspace_rules_path,
)
from adviser_analytics.labels.store import (
    LABEL_COLUMNS,
    REFERRALS,
    SOURCE_RANK,
    SOURCES,
    VOCABULARY,
    check_value,
    current_label,
    last_change,
    remove_label,
    remove_labels,
    set_label,
    set_labels,
    stored_labels,
    unit,
    write_labels,
)
from adviser_analytics.labels.suggest import DERIVED_KINDS, Derivation, derive, infer, suggest

__all__ = [
    "REFERRALS", "VOCABULARY", "SOURCE_RANK", "SOURCES", "UNANSWERED_DAYS", "LABEL_FILES",
    "LABEL_COLUMNS", "check_value", "set_label", "set_labels", "remove_label",
    "current_label", "last_change",
    "Rule", "Rules", "load_rules", "rules_for", "default_rules_path", "workspace_rules_path",
    "copy_default_rules", "first_rule", "matches",
    "derive", "infer", "suggest", "reply_runs",
    "export_labels", "import_labels", "ASK_WINDOW_DAYS", "REPLY_RUN_HOURS", "WorkspaceData",
    "load_data", "introductions_by_rules", "sync_introductions", "RULES_FILE", "clip",
    "DERIVED_KINDS", "Derivation", "remove_labels", "stored_labels", "unit", "write_labels",
    "acknowledgements", "acknowledgement_runs", "group_conversations", "link_regex",
    "TO_IDENTIFY",
]
