"""What every command shares: where the workspace is, and how results are printed.

Every command module imports from here (never from the package ``cli``), so that the
command modules and the parser that assembles them do not import each other.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from adviser_analytics.errors import UsageError
from adviser_analytics.store import default_path
from adviser_analytics.textsafety import terminal_text

#: JSON escapes C0 controls itself; DEL, C1 and the text-direction overrides are escaped too.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def emit(args: argparse.Namespace, payload: dict, human: str) -> None:
    """The one place results reach stdout: one JSON object with ``--json`` (every control
    character escaped), else the text for people with escape codes shown, never obeyed."""
    if args.json:
        text = json.dumps(payload, ensure_ascii=False, default=str)
        sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    else:
        print(terminal_text(human))


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun in the right number: "1 new connection", "3 new connections"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def say(args: argparse.Namespace, text: str) -> None:
    """Progress for people: on stderr when --json keeps stdout for the JSON object."""
    print(terminal_text(text), file=sys.stderr if args.json else sys.stdout)


def error(text: str) -> None:
    """An error for people, on stderr, escape codes shown, never obeyed."""
    print(terminal_text(f"adviser-analytics: {text}"), file=sys.stderr)


def workspace_path(args: argparse.Namespace) -> Path:
    """``--workspace``, else ``$ADVISER_ANALYTICS_WORKSPACE``, else ``./workspace``."""
    return Path(args.workspace) if args.workspace else default_path()


def period(args: argparse.Namespace):
    """The period of ``--from``/``--to``; a malformed date is a usage error (exit 2)."""
    from adviser_analytics.periods import Period, parse_date

    try:
        return Period(parse_date(args.date_from, what="--from"),
                      parse_date(args.date_to, what="--to"))
    except ValueError as error:
        raise UsageError(str(error)) from None


def add_period_arguments(parser: argparse.ArgumentParser) -> None:
    """``--from DATE --to DATE`` (both required)."""
    parser.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    parser.add_argument("--to", dest="date_to", required=True, metavar="DATE")
