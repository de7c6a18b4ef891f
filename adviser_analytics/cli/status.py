"""``adviser-analytics status``: what the workspace holds."""

from __future__ import annotations

from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.store import Workspace
from adviser_analytics.store.erasure import retention_status


def add_parser(commands, common) -> None:
    p = commands.add_parser("status", parents=[common], help="what the workspace holds")
    p.set_defaults(handler=run)


def run(args) -> int:
    with Workspace.open(workspace_path(args)) as ws:
        status = ws.status()
        snapshots = ws.snapshot_counts()
        status["retention"] = retention_status(ws)
    owner = status["owner"]
    labels = status["labels"]
    lines = [
        f"Workspace: {workspace_path(args)}",
        f"Owner: {owner['name'] or 'unknown'}" + (f" ({owner['profile_url']})" if owner["profile_url"] else ""),
        f"Exports ingested: {status['snapshots']}"
        + (f", from {snapshots[0]['export_date']} to {snapshots[-1]['export_date']}" if snapshots else ""),
        f"Connections (people ever connected): {status['connections']}",
        f"Person-to-person messages: {status['messages']}",
        f"Invitations: {status['invitations']}",
        f"Data from {status['first_date'] or '-'} to {status['last_date'] or '-'}",
        f"Labels: {labels['confirmed']} confirmed by you, {labels['suggested']} suggested "
        f"(to review), {labels['inferred']} inferred from the data",
        retention_words(status["retention"]),
    ]
    emit(args, status, "\n".join(lines))
    return 0


def retention_words(retention: dict) -> str:
    """The retention setting in a sentence (also announced at the first ingest)."""
    if retention["months"]:
        return (f"Message text kept: the last {retention['months']} months (older text is "
                f"dropped at every ingest; kept from {retention['content_kept_from']})")
    kept = (f"; text before {retention['content_kept_from']} was dropped"
            if retention["content_kept_from"] else "")
    return ("Message text kept: without a time limit (the default" + kept + "); to keep only "
            "the last N months run: adviser-analytics forget --keep-content-months N")
