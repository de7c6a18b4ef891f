"""``adviser-analytics advice``: the command; the work is in ``adviser_analytics.advice``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adviser_analytics.advice import (
    TEMPLATE_NAME,
    as_html,
    as_markdown,
    as_text,
    build_advice,
    read_policy,
)
from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.errors import AdviserAnalyticsError, UsageError
from adviser_analytics.files import write_atomic
from adviser_analytics.resources import PACKAGE_TEMPLATES, WORKSPACE_TEMPLATES


def add_parser(commands, common) -> None:
    p = commands.add_parser(
        "advice", parents=[common],
        help='the "Advice for contacting" text for your profile, from your policy',
        description='Writes the "Advice for contacting" text for your LinkedIn profile from the '
                    'policy in force, in first-person words. The words come from a template you '
                    f'can edit: copy {PACKAGE_TEMPLATES / TEMPLATE_NAME} to '
                    f'WORKSPACE/{WORKSPACE_TEMPLATES}/{TEMPLATE_NAME} (inside your workspace '
                    'folder) and your copy is used instead.')
    p.add_argument("--out", metavar="FILE",
                   help="write to FILE: .md for Markdown, .html for a web page, else plain text "
                        "(default: print the plain text)")
    p.add_argument("--on", metavar="DATE",
                   help="the policy in force on DATE (YYYY-MM-DD; default: today)")
    p.add_argument("--compare", action="store_true",
                   help="show the previous version's text beside the current one")
    p.add_argument("--recent-days", type=int, default=60, metavar="N",
                   help="compare automatically when the version started within N days (default 60)")
    p.set_defaults(handler=run)


def run(args) -> int:

    from adviser_analytics.periods import parse_date
    from adviser_analytics.store import Workspace

    try:
        on = parse_date(args.on, what="--on") if args.on else datetime.now(UTC).date()
    except ValueError as error:
        raise UsageError(str(error)) from None
    path = workspace_path(args)
    with Workspace.open(path) as ws:
        parts = read_policy(ws.policy_text())
    if parts is None:
        raise AdviserAnalyticsError(
            "there is no policy in the workspace yet, so there is nothing to write the advice from",
            file=str(path), what_to_do="Store your policy first with: adviser-analytics policy set policy.yaml")
    advice = build_advice(parts, on, path, compare=args.compare, recent_days=args.recent_days)
    if args.out:
        out = Path(args.out)
        suffix = out.suffix.lower()
        body = (as_html(advice) if suffix in (".html", ".htm")
                else as_markdown(advice) if suffix in (".md", ".markdown") else as_text(advice))
        write_atomic(out, body)
        emit(args, {"out": str(out), **advice.to_dict()}, f"Advice for contacting written to {out}.")
    else:
        emit(args, advice.to_dict(), as_text(advice).rstrip("\n"))
    return 0
