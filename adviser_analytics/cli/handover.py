"""``adviser-analytics handover``: the command; the work is in ``adviser_analytics.handover``."""

from __future__ import annotations

from pathlib import Path

from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.handover import RELATIONSHIP_WORDS, write_handover
from adviser_analytics.resources import PACKAGE_TEMPLATES, WORKSPACE_TEMPLATES


def add_parser(commands, common) -> None:
    p = commands.add_parser(
        "handover", parents=[common], help="a handover pack for your successor",
        description="Writes handover.html and handover.csv for a successor: your colleagues, "
                    "employers and professional contacts worth an introduction, with the "
                    "relationship, last interaction, introductions asked of them and a notes "
                    "column, and a checklist. Clients are left out unless you ask. The page can "
                    f"be edited: copy {PACKAGE_TEMPLATES / 'handover.html.j2'} to "
                    f"WORKSPACE/{WORKSPACE_TEMPLATES}/handover.html.j2 (inside your workspace "
                    "folder).")
    p.add_argument("--out", metavar="DIR", help="the folder to write into (default: WORKSPACE/handover)")
    p.add_argument("--include-clients", action="store_true",
                   help="list clients too (they are personal data: share only under your "
                        "service's data-protection rules)")
    p.set_defaults(handler=run)


def run(args) -> int:

    from adviser_analytics.store import Workspace

    path = workspace_path(args)
    with Workspace.open(path) as ws:
        summary = write_handover(ws, Path(args.out) if args.out else path / "handover",
                                 include_clients=args.include_clients)
    counts = summary["by_relationship"]
    listed = ", ".join(f"{n} {RELATIONSHIP_WORDS[k]}{'s' if n != 1 else ''}"
                       for k, n in counts.items())
    emit(args, summary,
          f"Handover pack written: {summary['html']} and {summary['csv']} ({listed}). "
          "They name people: keep them private and give them only to your successor.")
    return 0
