"""``adviser-analytics demo [--out DIR]``: the sample workspace and its reports (``make demo``)."""

from __future__ import annotations

from pathlib import Path

from adviser_analytics.cli.common import emit, say


def add_parser(commands, common) -> None:
    p = commands.add_parser("demo", parents=[common], help="build the sample workspace and its reports")
    p.add_argument("--out", metavar="DIR")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.demo import DEMO_WORKSPACE, SAMPLES_DIR, run_demo

    workspace = Path(args.workspace) if args.workspace else DEMO_WORKSPACE
    summary = run_demo(workspace, out=Path(args.out) if args.out else None,
                       samples=SAMPLES_DIR, say=lambda text: say(args, text))
    emit(args, summary, summary.get("message", ""))
    return 0
