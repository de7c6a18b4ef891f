"""The command line of ``docs/contract.md``: ``adviser-analytics COMMAND ...``.

One module per command (``ingest``, ``status``, ``labels``, ``policy``, ``metrics``,
``report``, ``journal``, ``forget``, ``demo``); each registers its subparser with ``add_parser`` and
handles it with ``run``. This module assembles the parser and turns errors into exit codes:

- 0 success;
- 1 bad input (an :class:`~adviser_analytics.errors.AdviserAnalyticsError`: a one-paragraph
  message on stderr naming the file, the line and what to do);
- 2 wrong use of the command line (:class:`~adviser_analytics.errors.UsageError`, or argparse);
- 3 a fault in adviser-analytics itself (worded, without a traceback unless ``--debug``);
- 130 interrupted.

``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import os
import traceback

from adviser_analytics import __version__
from adviser_analytics.cli import (
    advice,
    browse,
    contacts,
    demo,
    export_person,
    forget,
    handover,
    ingest,
    journal,
    lab,
    labels,
    metrics,
    policy,
    report,
    status,
)
from adviser_analytics.cli.common import error as say_error
from adviser_analytics.errors import AdviserAnalyticsError, UsageError
from adviser_analytics.store import ENV_VAR
from adviser_analytics.store.workspace import worded_error

#: The command modules, in the order ``--help`` lists them.
COMMANDS = (ingest, status, labels, policy, metrics, report, journal, forget, demo, advice,
            handover, contacts, browse, lab, export_person)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS,
                        help=f"the workspace folder (default: ${ENV_VAR}, else ./workspace)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON object on stdout and nothing else there")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="adviser-analytics", parents=[common],
        description="Honest numbers about a careers adviser's use of LinkedIn, for reflection and supervision.",
    )
    parser.add_argument("--version", action="version", version=f"adviser-analytics {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("workspace", None), ("json", False), ("debug", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    try:
        return args.handler(args)
    except AdviserAnalyticsError as error:
        say_error(str(error))
        return error.exit_code
    except UsageError as error:
        say_error(str(error))
        return 2
    except KeyboardInterrupt:
        say_error("interrupted; the workspace is as it was before this command.")
        return 130
    except Exception as error:  # a bug: say so plainly, keep the details out of the way
        worded = worded_error(error)  # a full disk or a read-only workspace is not a bug
        if worded is not None:
            say_error(str(worded))
            return worded.exit_code
        if args.debug or os.environ.get("ADVISER_ANALYTICS_DEBUG"):
            traceback.print_exc()
        say_error(
            "something unexpected went wrong "
            f"({type(error).__name__}: {error}). This is a fault in adviser-analytics, not in "
            "your data; the workspace is as it was before this command. Please report it with "
            "the command you ran (run again with --debug for details).")
        return 3


__all__ = ["main", "build_parser", "COMMANDS"]

if __name__ == "__main__":
    raise SystemExit(main())
