"""The ``journal`` command: ``journal [--from DATE] [--to DATE] [--out FILE]
[--audience self|supervision]``.

The adviser's writing across periods, in order: Markdown on stdout without ``--out``; with
``--out`` HTML when FILE ends in ``.html`` (or ``.htm``), else Markdown. ``--audience
supervision``: only the writing marked to share, after the leak check (a hit: exit 1,
nothing written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from adviser_analytics.cli.common import counted, emit, workspace_path
from adviser_analytics.errors import UsageError


def add_parser(commands, common) -> None:
    p = commands.add_parser("journal", parents=[common],
                            help="your written reflections and action plans across periods")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--out", metavar="FILE")
    p.add_argument("--audience", choices=["self", "supervision"], default="self")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics import journal
    from adviser_analytics.files import write_atomic
    from adviser_analytics.periods import parse_date
    from adviser_analytics.store import Workspace

    try:
        start = parse_date(args.date_from, what="--from").isoformat() if args.date_from else None
        end = parse_date(args.date_to, what="--to").isoformat() if args.date_to else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    if start and end and end < start:
        raise UsageError(f"--to ({end}) is before --from ({start})")
    out = Path(args.out) if args.out else None
    where = workspace_path(args)
    with Workspace.open(where) as ws:
        book = journal.build_journal(ws, start, end, args.audience)
        text = journal.render(book, out)
        if args.audience == "supervision":
            journal.check_for_supervision(ws, where, str(out or "the journal"), text)
    payload = {"audience": args.audience, "from": start, "to": end,
               "periods": len(book.periods), "entries": book.entries(),
               "out": str(out) if out else None}
    if out is None:
        if args.json:
            emit(args, dict(payload, text=text), "")
        else:
            sys.stdout.write(text)
        return 0
    write_atomic(out, text)
    emit(args, payload,
         f"The journal of {counted(len(book.periods), 'period')} "
         f"({counted(book.entries(), 'piece')} of writing) is in {out}." if book.entries() else
         f"Nothing written yet: {out} says how to start.")
    return 0
