"""``demo``: the sample workspace from ``data_samples/``, end to end.

Ingests the synthetic monthly exports in date order, stores the sample policy, runs the
label suggestions and writes both audiences' reports for every sample month.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from adviser_analytics.ingest import ingest
from adviser_analytics.workspace import Workspace

_EXPORT_NAME = re.compile(r"LinkedInDataExport_(\d{2})-(\d{2})-(\d{4})", re.IGNORECASE)


def sample_exports(folder: Path) -> list[Path]:
    """The exports in a samples folder, oldest first (by the date in their names)."""
    found = [p for p in folder.iterdir() if _EXPORT_NAME.search(p.name)]

    def date_of(path: Path) -> tuple:
        month, day, year = _EXPORT_NAME.search(path.name).groups()
        return (year, month, day, path.name)

    return sorted(found, key=date_of)


def run_demo(workspace: Path, out: Path | None, samples: Path,
             say: Callable[[str], None] = print) -> dict:
    """Build the sample workspace (idempotent) and its reports; return a summary."""
    temporary = None
    if not samples.is_dir() or not sample_exports(samples):
        from adviser_analytics import samples as generator

        temporary = tempfile.TemporaryDirectory(prefix="adviser-analytics-samples-")
        samples = Path(temporary.name)
        say("data_samples/ is not here; generating the synthetic sample series ...")
        generator.write_series(samples)
    exports = sample_exports(samples)
    say(f"Ingesting {len(exports)} sample exports into {workspace} ...")
    with Workspace.create(workspace) as ws:
        result = ingest(ws, exports)
        policy_file = samples / "policy.yaml"
        if policy_file.is_file() and ws.policy_text() != policy_file.read_text(encoding="utf-8"):
            from adviser_analytics.policy import load_policy

            text = policy_file.read_text(encoding="utf-8")
            load_policy(text, file=str(policy_file))
            ws.set_policy_text(text)
        status = ws.status()
    summary = {"workspace": str(workspace), "ingest": result.to_dict(), "status": status}
    message = [
        f"Sample workspace ready at {workspace}: {status['snapshots']} exports, "
        f"{status['connections']} connections, {status['messages']} person-to-person messages, "
        f"{status['invitations']} invitations, from {status['first_date']} to {status['last_date']}.",
        f"See what it holds: adviser-analytics status --workspace {workspace}",
    ]
    summary["message"] = "\n".join(message)
    if temporary:
        temporary.cleanup()
    return summary
