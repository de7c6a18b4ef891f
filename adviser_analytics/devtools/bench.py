"""``make bench``: speed and memory figures on a maximal account, printed, never asserted.

The maximal account (30,000 connections, 300,000 messages, 3,000 invitations) is generated
once into ``bench-data/`` (ignored by git). Each measured step runs in its own process so
that its peak memory is its own. Targets (from the issues):

- ingest at most 3x a bare ``pandas.read_csv(engine="pyarrow")`` of the same CSVs;
- an unchanged re-ingest at most 1x that bare read;
- peak memory of ingest under 1.5 GiB;
- one month's metrics at most 3x the bare read;
- ``report`` for 6 monthly periods at most 0.5x the plain papermill + nbconvert loop.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from adviser_analytics.devtools.measure import run_stage, stage_main, timed

BENCH_DIR = Path("bench-data")
FILES = ("Connections.csv", "messages.csv", "Invitations.csv")


def _header_line(path: Path) -> int:
    """Lines before the header (the Connections Notes block): what a user would pass as skiprows."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle):
            if line.count(",") >= 3:
                return number
    return 0


def stage_bare_read(export: Path) -> dict:
    import pandas as pd

    rows = 0
    with timed() as took:
        for name in FILES:
            path = next(export.rglob(name))
            rows += len(pd.read_csv(path, engine="pyarrow", skiprows=_header_line(path)))
    return {**took, "rows": rows}


def stage_ingest(export: Path, workspace: Path) -> dict:
    from adviser_analytics.ingest import ingest
    from adviser_analytics.store import Workspace

    with timed() as took, Workspace.create(workspace) as ws:
        done = ingest(ws, [export])
    return {**took, "result": done.to_dict(), "parts": dict(done.seconds)}


def stage_metrics(workspace: Path, month: str) -> dict:
    import pandas as pd

    from adviser_analytics.metrics import compute
    from adviser_analytics.periods import Period
    from adviser_analytics.store import Workspace

    first = pd.Timestamp(month + "-01").date()
    last = (pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)).date()
    with timed() as took, Workspace.open(workspace) as ws:
        metrics = compute(ws, Period(first, last))
    return {**took, "requests": metrics["load"]["requests"]}


def stage_contacts(workspace: Path) -> dict:
    """``contacts export x.vcf``'s work: every connection as a vCard."""
    from adviser_analytics.contacts import contact_rows, to_vcard
    from adviser_analytics.store import Workspace

    with timed() as took, Workspace.open(workspace) as ws:
        rows = contact_rows(ws)
        cards = to_vcard(rows)
    return {**took, "cards": len(rows), "mib": len(cards.encode("utf-8")) / 2**20}


STAGES = {"bare_read": stage_bare_read, "ingest": stage_ingest, "metrics": stage_metrics,
          "contacts": stage_contacts}


def _run_stage(name: str, *args: str) -> dict:
    """Run one stage in a child process; return its figures, its peak memory included."""
    return run_stage("adviser_analytics.devtools.bench", name, *args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--dir", default=str(BENCH_DIR))
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args(argv)
    if args.stage:
        return stage_main(STAGES, args.stage, [Path(a) if "/" in a else a for a in args.rest])

    root = Path(args.dir)
    export = root / "maximal"
    if not export.exists():
        from adviser_analytics import samples

        print(f"Generating the maximal account into {export} (once) ...", flush=True)
        start = time.perf_counter()
        samples.write_maximal(export)
        print(f"  generated in {time.perf_counter() - start:.1f} s")
    export_dir = next(p.parent for p in export.rglob("messages.csv"))
    sizes = {name: next(export.rglob(name)).stat().st_size / 2**20 for name in FILES}
    print("Maximal account: " + ", ".join(f"{n} {s:.1f} MiB" for n, s in sizes.items()))

    workspace = root / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    bare = _run_stage("bare_read", str(export_dir))
    first = _run_stage("ingest", str(export_dir), str(workspace))
    again = _run_stage("ingest", str(export_dir), str(workspace))
    print()
    print(f"{'step':<34}{'seconds':>9}{'x bare read':>13}   target")
    print(f"{'bare pandas.read_csv(pyarrow)':<34}{bare['seconds']:>9.2f}{1:>13.2f}")
    print(f"{'ingest (new workspace)':<34}{first['seconds']:>9.2f}"
          f"{first['seconds'] / bare['seconds']:>13.2f}   <= 3x")
    print("  of which: " + ", ".join(f"{part} {seconds:.2f} s" for part, seconds in first["parts"].items()))
    print(f"{'re-ingest (unchanged export)':<34}{again['seconds']:>9.2f}"
          f"{again['seconds'] / bare['seconds']:>13.2f}   <= 1x")
    print(f"peak memory of ingest: {first['peak_mib']:.0f} MiB (target < 1536 MiB)")
    result = first["result"]
    print(f"ingested: {result['connections']['total']} connections, "
          f"{result['messages']['total']} person-to-person messages, "
          f"{result['invitations']['total']} invitations; skipped {result['skipped']}")

    from adviser_analytics.store import Workspace
    from adviser_analytics.store.snapshots import last_message_at

    with Workspace.open(workspace) as ws:
        last = last_message_at(ws, person_to_person=False)
    month = last[:7]
    metrics = _run_stage("metrics", str(workspace), month)
    print(f"{'one month of metrics (' + month + ')':<34}{metrics['seconds']:>9.2f}"
          f"{metrics['seconds'] / bare['seconds']:>13.2f}   <= 3x")
    contacts = _run_stage("contacts", str(workspace))
    print(f"{'contacts export x.vcf':<34}{contacts['seconds']:>9.2f}"
          f"{contacts['seconds'] / bare['seconds']:>13.2f}   ({contacts['cards']} cards, "
          f"{contacts['mib']:.1f} MiB; vobject card by card took about 77 s)")

    from adviser_analytics.devtools.evaluate_labels import evaluate, format_report

    print("\nLabel suggestions against the generator's truth (data_samples/):")
    print(format_report(evaluate(Path("data_samples"))))

    from adviser_analytics.devtools import bench_reports

    print("\nReports for 6 monthly periods (sample workspace):")
    bench_reports.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
