"""Benchmark: ``report`` for 6 monthly periods beside the plain loop a user would write.

The plain loop, one period after another::

    papermill notebooks/reflection_report.ipynb out.ipynb -p workspace WS \\
        -p period_from FROM -p period_to TO -p audience self
    jupyter nbconvert --to html --no-input out.ipynb

Ours: :func:`adviser_analytics.reports.run_reports` with one job per core (papermill and
nbconvert in-process, in worker processes). Target: ours at most 0.5x the plain loop.

``python -m adviser_analytics.devtools.bench_reports [--workspace WS] [--jobs N]`` prints the
figures; without ``--workspace`` the sample workspace is built in a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from adviser_analytics.devtools.measure import timed
from adviser_analytics.periods import Period, split

TARGET = 0.5


def _bin(name: str) -> str:
    """A console script of this Python's environment (papermill, jupyter)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def plain_loop(workspace: Path, periods: list[Period], out: Path,
               notebook: Path | None = None) -> float:
    """Seconds for the papermill CLI then ``jupyter nbconvert --to html --no-input``, per
    period, one after another."""
    from adviser_analytics.reports import child_environment, notebook_path

    notebook = notebook or notebook_path()
    out.mkdir(parents=True, exist_ok=True)
    env = child_environment()  # what our own runs give their kernels: a like-for-like loop
    with timed() as took:
        for p in periods:
            _plain_period(notebook, workspace, p, out, env)
    return took["seconds"]


def _plain_period(notebook: Path, workspace: Path, p: Period, out: Path, env: dict) -> None:
    """One period the plain way: the papermill CLI, then nbconvert's."""
    executed = out / f"{p.slug}.ipynb"
    subprocess.run([_bin("papermill"), str(notebook), str(executed),
                    "-p", "workspace", str(workspace.resolve()),
                    "-p", "period_from", p.start.isoformat(),
                    "-p", "period_to", p.end.isoformat(), "-p", "audience", "self",
                    "--cwd", str(notebook.parent)],
                   check=True, env=env, capture_output=True)
    subprocess.run([_bin("jupyter"), "nbconvert", "--to", "html", "--no-input",
                    str(executed)], check=True, env=env, capture_output=True)


def ours(workspace: Path, periods: list[Period], out: Path, jobs: int) -> float:
    """Seconds for ``report`` (self audience) over the same periods, run as the command
    would be (a fresh process)."""
    with timed() as took:
        subprocess.run([sys.executable, "-m", "adviser_analytics", "report",
                        "--workspace", str(workspace), "--from", periods[0].start.isoformat(),
                        "--to", periods[-1].end.isoformat(), "--every", "month",
                        "--out", str(out), "--jobs", str(jobs)],
                       check=True, capture_output=True)
    return took["seconds"]


def bench_reports(workspace: str | os.PathLike, periods: list[Period] | None = None,
                  jobs: int | None = None) -> dict:
    """Time ``report`` and the plain loop in one run, on the same periods (default: the last
    6 whole months with messages in the workspace)."""
    workspace = Path(workspace)
    if periods is None:
        periods = _last_months(workspace, 6)
    jobs = jobs or max(1, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="aa-bench-reports-") as tmp:
        tmp = Path(tmp)
        # warm the file cache and Python's bytecode for both ways, untimed
        plain_loop(workspace, periods[:1], tmp / "warm")
        ours_seconds = ours(workspace, periods, tmp / "ours", jobs)
        plain_seconds = plain_loop(workspace, periods, tmp / "plain")
    ratio = ours_seconds / plain_seconds
    return {"periods": [p.label for p in periods], "jobs": jobs, "cpus": os.cpu_count(),
            "ours_seconds": round(ours_seconds, 2), "plain_seconds": round(plain_seconds, 2),
            "ratio": round(ratio, 3), "target": TARGET, "met": ratio <= TARGET}


def _last_months(workspace: Path, count: int) -> list[Period]:
    from adviser_analytics.store import Workspace
    from adviser_analytics.store.snapshots import last_message_at

    with Workspace.open(workspace) as ws:
        last = last_message_at(ws)
    if not last:
        raise SystemExit("the workspace holds no messages to report on")
    end = dt.date.fromisoformat(last[:8] + "01") - dt.timedelta(days=1)
    first_month = end.replace(day=1)
    for _ in range(count - 1):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    return split(first_month, end, "month")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", help="a workspace (default: the sample workspace, "
                        "built in a temporary folder)")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = None
    if args.workspace:
        workspace = Path(args.workspace)
    else:
        from adviser_analytics.demo import SAMPLES_DIR, run_demo

        tmp = tempfile.mkdtemp(prefix="aa-bench-ws-")
        workspace = Path(tmp) / "workspace"
        run_demo(workspace, out=None, samples=SAMPLES_DIR, say=lambda _t: None, reports=False)
    try:
        result = bench_reports(workspace, jobs=args.jobs)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"report for {len(result['periods'])} monthly periods "
              f"({result['periods'][0]} to {result['periods'][-1]}), {result['jobs']} jobs on "
              f"{result['cpus']} CPUs:")
        print(f"  ours (report --jobs {result['jobs']}):            {result['ours_seconds']:7.2f} s")
        print(f"  plain loop (papermill CLI + nbconvert CLI): {result['plain_seconds']:7.2f} s")
        print(f"  ratio {result['ratio']:.2f} (target <= {TARGET}): "
              f"{'met' if result['met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
