"""``adviser-analytics forget --person URL | --content-before DATE | --keep-content-months N``:
erasure and retention."""

from __future__ import annotations

from adviser_analytics.cli.common import counted, emit, workspace_path
from adviser_analytics.errors import UsageError
from adviser_analytics.store import Workspace
from adviser_analytics.store.erasure import (
    REDACTED,
    forget_content_before,
    forget_person,
    set_retention_months,
)

# what was removed, one and many
_WORDS = {"labels": ("label", "labels"), "introductions": ("introduction", "introductions"),
          "invitations": ("invitation", "invitations"), "messages": ("message", "messages"),
          "connections": ("connection", "connections"), "people": ("person", "people"),
          "pseudonyms": ("pseudonym", "pseudonyms"),
          "mentions_redacted": ("mention in other people's messages replaced by " + REDACTED,
                                "mentions in other people's messages replaced by " + REDACTED)}


def add_parser(commands, common) -> None:
    p = commands.add_parser("forget", parents=[common],
                            help="erase a person, or old message text; set how long text is kept")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--person", metavar="URL", help="erase this person everywhere, for good")
    group.add_argument("--content-before", metavar="DATE",
                       help="drop message text, conversation titles and invitation notes before DATE")
    group.add_argument("--keep-content-months", metavar="N", type=int,
                       help="keep only the last N months of message text, now and at every ingest")
    p.set_defaults(handler=run)


def _dropped(removed: dict) -> str:
    return (f"the text of {counted(removed['messages_text_dropped'], 'message')}, "
            f"{counted(removed['conversation_titles_dropped'], 'conversation title')} and "
            f"{counted(removed['invitation_notes_dropped'], 'invitation note')}")


def run(args) -> int:
    from adviser_analytics.periods import parse_date

    if args.keep_content_months is not None and args.keep_content_months < 1:
        raise UsageError("--keep-content-months needs a whole number of months, 1 or more")
    with Workspace.open(workspace_path(args)) as ws:
        if args.person:
            removed = forget_person(ws, args.person)
            text = ("Removed everywhere: "
                    + ", ".join(counted(n, *_WORDS.get(what, (what.replace('_', ' '),) * 2))
                                for what, n in removed.items())
                    + ". The workspace file was rewritten so the removed data cannot be "
                    "recovered from it. Re-ingesting old exports, labels suggest and reports will "
                    "not bring this person back. Reports made before today may still name them: "
                    "delete or remake those.")
        elif args.keep_content_months is not None:
            removed = set_retention_months(ws, args.keep_content_months)
            text = (f"Message text is now kept for {args.keep_content_months} months: dropped "
                    f"{_dropped(removed)} from before {removed['content_kept_from']}. Every later "
                    "ingest drops text older than that; dates, directions and conversations are "
                    "kept for the reports.")
        else:
            try:
                date = parse_date(args.content_before, what="--content-before").isoformat()
            except ValueError as error:
                raise UsageError(str(error)) from None
            removed = forget_content_before(ws, date)
            text = (f"Dropped {_dropped(removed)} from before {date}; dates, directions and "
                    "conversations are kept for the reports. Later ingests will not bring the "
                    "text back.")
    emit(args, {"removed": removed}, text)
    return 0
