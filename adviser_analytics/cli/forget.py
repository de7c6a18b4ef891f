"""``adviser-analytics forget --person URL | --content-before DATE``: erasure and retention."""

from __future__ import annotations

from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.errors import UsageError
from adviser_analytics.store import Workspace
from adviser_analytics.store.erasure import forget_content_before, forget_person


def add_parser(commands, common) -> None:
    p = commands.add_parser("forget", parents=[common], help="erase a person, or old message text")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--person", metavar="URL")
    group.add_argument("--content-before", metavar="DATE")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.periods import parse_date

    with Workspace.open(workspace_path(args)) as ws:
        if args.person:
            removed = forget_person(ws, args.person)
            text = ("Removed everywhere: "
                    + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in removed.items())
                    + ". Re-ingesting old exports will not bring this person back.")
        else:
            try:
                date = parse_date(args.content_before, what="--content-before").isoformat()
            except ValueError as error:
                raise UsageError(str(error)) from None
            removed = forget_content_before(ws, date)
            text = (f"Dropped the text of {removed['messages_text_dropped']} messages sent before {date}; "
                    "dates, directions and conversations are kept for the reports. Later ingests "
                    "will not bring the text back.")
    emit(args, {"removed": removed}, text)
    return 0
