"""``adviser-analytics browse``: the command; the work is in ``adviser_analytics.browse``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from adviser_analytics.browse import datasette_command, datasette_installed, metadata
from adviser_analytics.cli.common import say, workspace_path
from adviser_analytics.errors import AdviserAnalyticsError


def add_parser(commands, common) -> None:
    p = commands.add_parser(
        "browse", parents=[common], help="look through the workspace in Datasette (read-only)",
        description="Opens the workspace in Datasette in your web browser, read-only and on this "
                    "computer only, with ready-made queries (who is waiting, introductions by "
                    "contact and by employer) and a search box over messages. Needs the optional "
                    "extra: pip install 'adviser-analytics[browse]'. Stop it with Ctrl+C.")
    p.add_argument("--port", type=int, default=8001, metavar="N",
                   help="the local port (default 8001)")
    p.add_argument("--no-browser", action="store_true", help="don't open a browser window")
    p.set_defaults(handler=run)


def start(command: list[str]):
    """Run Datasette in the foreground until Ctrl+C (tests replace this)."""
    return subprocess.run(command, check=False)


def run(args) -> int:

    from adviser_analytics.store import DB_NAME, Workspace
    from adviser_analytics.store.search import refresh_search_index

    if not datasette_installed():
        raise AdviserAnalyticsError(
            "browsing needs Datasette, which is not installed",
            what_to_do="Install the optional extra with: pip install 'adviser-analytics[browse]' "
                       "(inside the project's environment: .venv/bin/pip install datasette), "
                       "then run adviser-analytics browse again")
    path = workspace_path(args)
    with Workspace.open(path) as ws:
        refresh_search_index(ws)  # the only write, before Datasette opens the file read-only
        policy = ws.policy()
    window = 30
    if policy is not None and hasattr(policy, "waiting_window_on"):
        window = int(policy.waiting_window_on(datetime.now(UTC).date()))
    with tempfile.TemporaryDirectory(prefix="adviser-browse-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(window), indent=1), encoding="utf-8")
        command = datasette_command(path / DB_NAME, meta, args.port,
                                    open_browser=not args.no_browser)
        say(args, f"Opening your workspace read-only at http://127.0.0.1:{args.port}/ "
                   "(stop with Ctrl+C).")
        try:
            result = start(command)
        except KeyboardInterrupt:
            return 0
    code = getattr(result, "returncode", 0)
    if code not in (0, None, -2, 130):
        raise AdviserAnalyticsError(
            f"Datasette stopped with an error (exit code {code})",
            what_to_do=f"Look at its message above; if the port is in use, try another with "
                       f"--port, e.g. --port {args.port + 1}")
    return 0
