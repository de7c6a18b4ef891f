"""``adviser-analytics status``: what the workspace holds."""

from __future__ import annotations

from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.store import Workspace


def add_parser(commands, common) -> None:
    p = commands.add_parser("status", parents=[common], help="what the workspace holds")
    p.set_defaults(handler=run)


def run(args) -> int:
    with Workspace.open(workspace_path(args)) as ws:
        status = ws.status()
        snapshots = ws.snapshot_counts()
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
    ]
    emit(args, status, "\n".join(lines))
    return 0
