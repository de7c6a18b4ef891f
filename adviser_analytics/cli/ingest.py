"""``adviser-analytics ingest EXPORT...``: read LinkedIn exports into the workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

from adviser_analytics.cli.common import counted, emit, say, workspace_path
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.store import DB_NAME, Workspace
from adviser_analytics.store.workspace import workspace_lock

# what was set aside, one and many
SKIP_WORDS = {
    "blank_person": ("connection or invitation row with no person (a deleted or hidden member)",
                     "connection or invitation rows with no person (deleted or hidden members)"),
    "redacted": ("deleted or redacted message", "deleted or redacted messages"),
    "draft": ("unsent draft", "unsent drafts"),
    "spam_folder": ("message in the spam folder", "messages in the spam folder"),
    "sponsored": ("sponsored or company message", "sponsored or company messages"),
    "hidden_member": ("message from a hidden 'LinkedIn Member' sender",
                      "messages from hidden 'LinkedIn Member' senders"),
    "system": ("system notice", "system notices"),
    "coach": ("AI-coach chat row", "AI-coach chat rows"),
    "undated": ("invitation row with no date", "invitation rows with no date"),
}


def add_parser(commands, common) -> None:
    p = commands.add_parser("ingest", parents=[common], help="read LinkedIn exports into the workspace")
    p.add_argument("exports", nargs="+", metavar="EXPORT", help="a .zip or a folder")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.ingest import ingest

    for export in args.exports:
        if not Path(export).exists():
            raise AdviserAnalyticsError(
                "there is no such file or folder", file=export,
                what_to_do="Give the path of the LinkedIn export .zip you downloaded, or of the folder you unzipped it into",
            )
    path = workspace_path(args)
    folder_existed = path.exists()
    # The lock is held for the whole ingest: a second ingest waits, so a failed first ingest
    # cannot clean up another's data.
    with workspace_lock(path, on_wait=lambda: say(
            args, "Another adviser-analytics command is adding an export to this workspace; "
                  "waiting for it to finish ...")):
        db_existed = (path / DB_NAME).exists()
        try:
            with Workspace.create(path) as ws:
                result = ingest(ws, args.exports)
        except BaseException:
            if not db_existed:  # leave no empty workspace behind a failed first ingest
                for leftover in path.glob(DB_NAME + "*"):
                    leftover.unlink()
                if not folder_existed:
                    shutil.rmtree(path, ignore_errors=True)
            raise
    payload = result.to_dict()
    emit(args, payload, _text(result.exports, payload))
    if not db_existed:  # the retention default, announced once, where the workspace begins
        from adviser_analytics.cli.status import retention_words
        from adviser_analytics.store.erasure import retention_status

        with Workspace.open(path) as ws:
            say(args, retention_words(retention_status(ws)) + ".")
    return 0


def _text(exports: list[dict], payload: dict) -> str:
    lines = []
    for export in exports:
        if export["status"] == "added":
            lines.append(
                f"{export['source']} (export of {export['export_date']}): "
                f"{counted(export['connections'], 'new connection')}, "
                f"{counted(export['messages'], 'new message')}, "
                f"{counted(export['invitations'], 'new invitation')}."
            )
        else:
            lines.append(f"{export['source']}: already in the workspace (export of "
                         f"{export['export_date']}); nothing added.")
    lines.append(
        f"The workspace now holds {counted(payload['connections']['total'], 'connection')}, "
        f"{counted(payload['messages']['total'], 'person-to-person message')} and "
        f"{counted(payload['invitations']['total'], 'invitation')}."
    )
    if payload["skipped"]:
        lines.append("Not counted as person-to-person (kept where useful): " + ", ".join(
            counted(n, *SKIP_WORDS.get(reason, (reason.replace("_", " "),) * 2))
            for reason, n in payload["skipped"].items()
        ) + ".")
    return "\n".join(lines)
