"""The ``forget`` command: erasure (``--person URL``) and retention (``--content-before DATE``).

The work itself is a workspace operation (:mod:`adviser_analytics.store.erasure`); the names
below are re-exported from there for existing callers.
"""

from __future__ import annotations

from pathlib import Path

from adviser_analytics.store import Workspace
from adviser_analytics.store.erasure import (  # noqa: F401  (re-exported)
    RETENTION_KEY,
    forget_content_before,
    forget_person,
    key_digest,
)


def cmd_forget(args, workspace_path: Path, emit) -> int:
    with Workspace.open(workspace_path) as ws:
        if args.person:
            removed = forget_person(ws, args.person)
            text = "Removed everywhere: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in removed.items()) + \
                   ". Re-ingesting old exports will not bring this person back."
        else:
            from adviser_analytics.errors import UsageError
            from adviser_analytics.periods import parse_date

            try:
                date = parse_date(args.content_before, what="--content-before").isoformat()
            except ValueError as error:
                raise UsageError(str(error)) from None
            removed = forget_content_before(ws, date)
            text = (f"Dropped the text of {removed['messages_text_dropped']} messages sent before {date}; "
                    "dates, directions and conversations are kept for the reports. Later ingests "
                    "will not bring the text back.")
    emit(args, {"removed": removed}, text)
    return 0
