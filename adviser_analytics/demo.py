"""``demo``: the sample workspace from ``data_samples/``, end to end.

Ingests the synthetic monthly exports in date order, stores the sample policy, runs the
label suggestions and writes both audiences' reports for every sample month (the month
before each export's date) with an index, and says which page to open.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from adviser_analytics.ingest import ingest
from adviser_analytics.labels import suggest
from adviser_analytics.store import Workspace

#: The synthetic sample exports beside the package in a source checkout (an installed
#: package has none there: ``run_demo`` then generates them).
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data_samples"
DEMO_WORKSPACE = Path("workspace") / "demo"

_EXPORT_NAME = re.compile(r"LinkedInDataExport_(\d{2})-(\d{2})-(\d{4})", re.IGNORECASE)


def sample_exports(folder: Path) -> list[Path]:
    """The exports in a samples folder, oldest first (by the date in their names)."""
    found = [p for p in folder.iterdir() if _EXPORT_NAME.search(p.name)]

    def date_of(path: Path) -> tuple:
        month, day, year = _EXPORT_NAME.search(path.name).groups()
        return (year, month, day, path.name)

    return sorted(found, key=date_of)


DEMO_REPORTS = Path("reports") / "demo"


def sample_months(export_dates: list[str]) -> tuple[str, str] | None:
    """The first and last day of the sample months: each monthly export covers the month
    before its date."""
    import datetime as dt

    days = sorted(dt.date.fromisoformat(d) for d in export_dates if d)
    if not days:
        return None
    first = (days[0].replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last = days[-1] - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def run_demo(workspace: Path, out: Path | None, samples: Path,
             say: Callable[[str], None] = print, reports: bool = True,
             jobs: int | None = None) -> dict:
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
        # Inference and the default rules, so the reports have decisions to set beside the policy.
        say("Suggesting labels (inference and the default rules) ...")
        labels = suggest(ws)
        status = ws.status()
        export_dates = [s["export_date"] for s in ws.snapshot_counts()]
    summary = {"workspace": str(workspace), "ingest": result.to_dict(), "status": status,
               "labels": labels}
    message = [
        f"Sample workspace ready at {workspace}: {status['snapshots']} exports, "
        f"{status['connections']} connections, {status['messages']} person-to-person messages, "
        f"{status['invitations']} invitations, from {status['first_date']} to {status['last_date']}.",
        f"See what it holds: adviser-analytics status --workspace {workspace}",
    ]
    if temporary:
        temporary.cleanup()
    months = sample_months(export_dates) if reports else None
    if months:
        message += _demo_reports(workspace, out or DEMO_REPORTS, months, say, jobs, summary)
    summary["message"] = "\n".join(message)
    return summary


def _demo_reports(workspace: Path, out: Path, months: tuple[str, str],
                  say: Callable[[str], None], jobs: int | None, summary: dict) -> list[str]:
    """Both audiences' monthly reports for the sample months, and the index."""
    import os

    from adviser_analytics.errors import ReportError
    from adviser_analytics.reports import describe_failure, run_reports

    jobs = jobs or max(1, min(4, os.cpu_count() or 1))
    runs = {}
    for audience in ("self", "supervision"):
        say(f"Writing the {audience} reports for every sample month, {months[0]} to "
            f"{months[1]} ...")
        runs[audience] = run_reports(workspace, months[0], months[1], every="month",
                                     audience=audience, out=out, jobs=jobs)
    summary["reports"] = {audience: run.to_dict() for audience, run in runs.items()}
    failed = [f"{a}: {describe_failure(r)}" for a, run in runs.items() for r in run.failed]
    failed += [p for run in runs.values() for p in run.problems]
    for notice in (n for run in runs.values() for n in run.notices):
        say(f"Note: {notice}")
    if failed:
        raise ReportError("some sample reports could not be written:\n" + "\n".join(failed),
                          what_to_do=f"the others are in {out} (open "
                                     f"{(out / 'index.html').resolve()}); once the cause above "
                                     "is fixed, run make demo again")
    index = runs["supervision"].index or runs["self"].index
    written = sum(len(run.results) for run in runs.values())
    summary["index"] = str(index)
    return [f"{written} reflection reports written (your own and the supervision version of "
            f"each month) in {out}.",
            f"Open {index.resolve()} in your browser to read them."]
