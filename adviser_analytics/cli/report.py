"""The ``report`` command: ``report --from --to [--every week|month|term]
[--audience self|supervision] [--out DIR] [--jobs N] [--only-missing]``.

Exit 0 when every period's report was written (or skipped with ``--only-missing``); 1 when
any period failed or was withheld by the leak check (the others are still written, and a
failed period keeps its previous report); 2 for usage errors.
"""

from __future__ import annotations

import os
from pathlib import Path

from adviser_analytics.cli.common import add_period_arguments, emit, workspace_path
from adviser_analytics.cli.common import error as say_error
from adviser_analytics.errors import UsageError
from adviser_analytics.periods import parse_date


def add_parser(commands, common) -> None:
    p = commands.add_parser("report", parents=[common], help="reflection reports for periods")
    add_period_arguments(p)
    p.add_argument("--every", choices=["week", "month", "term"])
    p.add_argument("--audience", choices=["self", "supervision"], default="self")
    p.add_argument("--out", metavar="DIR")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.add_argument("--only-missing", action="store_true")
    p.set_defaults(handler=run)


def _usage(message: str) -> Exception:
    return UsageError(message)


def run(args) -> int:
    from adviser_analytics.reports import describe_failure, run_reports

    try:
        start = parse_date(args.date_from, what="--from")
        end = parse_date(args.date_to, what="--to")
    except ValueError as error:
        raise _usage(str(error)) from None
    if end < start:
        raise _usage(f"--to ({end}) is before --from ({start})")
    if args.jobs < 1:
        raise _usage("--jobs must be 1 or more")
    jobs = min(args.jobs, max(os.cpu_count() or 1, 1) * 2)
    out = Path(args.out) if args.out else Path("reports")
    audience = args.audience
    run = run_reports(workspace_path(args), start, end, every=args.every,
                      audience=audience, out=out, jobs=jobs, only_missing=args.only_missing,
                      progress=None if not args.json else False)
    written = [r for r in run.results if r.status == "written"]
    skipped = [r for r in run.results if r.status == "skipped"]
    lines = [f"{len(written)} {audience} report{'s' if len(written) != 1 else ''} written to "
             f"{run.folder}" + (f", {len(skipped)} already there (skipped)" if skipped else "")
             + f" in {run.seconds:.1f} s."]
    if run.index:
        lines.append(f"Open {run.index} to see every report.")
    if run.writing.get("added") or run.writing.get("changed"):
        kept = run.writing["added"] + run.writing["changed"]
        lines.append(f"Your writing in {kept} cell{'s' if kept != 1 else ''} of the earlier "
                     "reports was kept in the workspace and put back into the new ones.")
    emit(args, run.to_dict(), "\n".join(lines))
    for notice in run.notices:
        say_error(f"note: {notice}")
    if not (run.failed or run.problems):
        return 0
    trouble = []
    if run.failed:
        trouble.append(f"{len(run.failed)} period{'s' if len(run.failed) != 1 else ''} "
                       "could not be reported (an earlier report of it, if any, is kept):")
        trouble += [f"  - {describe_failure(r)}" for r in run.failed]
    trouble += [f"  - {problem}" for problem in run.problems]
    say_error("\n".join(trouble))
    return 1
