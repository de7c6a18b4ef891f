"""The command line of ``contract.md``: ``adviser-analytics COMMAND ...``.

Exit codes: 0 success, 1 bad input (a one-paragraph message on stderr), 2 usage errors.
``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import traceback
from pathlib import Path

from adviser_analytics import __version__
from adviser_analytics.errors import AdviserAnalyticsError, UsageError
from adviser_analytics.textsafety import terminal_text
from adviser_analytics.workspace import (
    DB_NAME,
    ENV_VAR,
    Workspace,
    default_path,
    worded_error,
    workspace_lock,
)

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data_samples"
DEMO_WORKSPACE = Path("workspace") / "demo"




# ---------------------------------------------------------------------- output helpers
def _emit(args, payload: dict, human: str) -> None:
    """The one place results reach stdout: JSON (every control character escaped), or text
    for people with escape codes shown, never obeyed (:func:`terminal_text`)."""
    if args.json:
        text = json.dumps(payload, ensure_ascii=False, default=str)
        # json escapes C0 controls itself; DEL, C1 and the direction overrides are escaped too.
        sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    else:
        print(terminal_text(human))


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _say(args, text: str) -> None:
    """Progress for people: on stderr when --json keeps stdout for the JSON object."""
    print(terminal_text(text), file=sys.stderr if args.json else sys.stdout)


def _error(text: str) -> None:
    """An error for people, on stderr, escape codes shown, never obeyed."""
    print(terminal_text(f"adviser-analytics: {text}"), file=sys.stderr)


def _workspace_path(args) -> Path:
    return Path(args.workspace) if args.workspace else default_path()


# ---------------------------------------------------------------------- commands
def cmd_ingest(args) -> int:
    from adviser_analytics.ingest import ingest

    for export in args.exports:
        if not Path(export).exists():
            raise AdviserAnalyticsError(
                "there is no such file or folder", file=export,
                what_to_do="Give the path of the LinkedIn export .zip you downloaded, or of the folder you unzipped it into",
            )
    path = _workspace_path(args)
    folder_existed = path.exists()
    # The lock is held for the whole ingest: a second ingest waits, so a failed first ingest
    # cannot clean up another's data.
    with workspace_lock(path, on_wait=lambda: _say(
            args, "Another adviser-analytics command is adding an export to this workspace; "
                  "waiting for it to finish ...")):
        db_existed = (path / DB_NAME).exists()
        try:
            with Workspace.create(path) as ws:
                result = ingest(ws, args.exports)
        except BaseException:
            if not db_existed:  # leave no empty workspace behind a failed first ingest
                for leftover in path.glob(DB_NAME + "*"):
                    leftover.unlink()
                if not folder_existed:
                    shutil.rmtree(path, ignore_errors=True)
            raise
    payload = result.to_dict()
    lines = []
    for export in result.exports:
        if export["status"] == "added":
            lines.append(
                f"{export['source']} (export of {export['export_date']}): "
                f"{export['connections']} new connections, {export['messages']} new messages, "
                f"{export['invitations']} new invitations."
            )
        else:
            lines.append(f"{export['source']}: already in the workspace (export of "
                         f"{export['export_date']}); nothing added.")
    totals = payload
    lines.append(
        f"The workspace now holds {totals['connections']['total']} connections, "
        f"{totals['messages']['total']} person-to-person messages and "
        f"{totals['invitations']['total']} invitations."
    )
    if payload["skipped"]:
        lines.append("Not counted as person-to-person (kept where useful): " + ", ".join(
            f"{n} {_SKIP_WORDS.get(reason, reason)}" for reason, n in payload["skipped"].items()
        ) + ".")
    _emit(args, payload, "\n".join(lines))
    return 0


_SKIP_WORDS = {
    "blank_person": "connection or invitation rows with no person (deleted or hidden members)",
    "redacted": "deleted or redacted messages",
    "draft": "unsent drafts",
    "spam_folder": "messages in the spam folder",
    "sponsored": "sponsored or company messages",
    "hidden_member": "messages from hidden 'LinkedIn Member' senders",
    "system": "system notices",
    "coach": "AI-coach chat rows",
    "undated": "invitation rows with no date",
}


def cmd_status(args) -> int:
    with Workspace.open(_workspace_path(args)) as ws:
        status = ws.status()
        snapshots = ws.snapshot_counts()
    owner = status["owner"]
    labels = status["labels"]
    lines = [
        f"Workspace: {_workspace_path(args)}",
        f"Owner: {owner['name'] or 'unknown'}" + (f" ({owner['profile_url']})" if owner["profile_url"] else ""),
        f"Exports ingested: {status['snapshots']}"
        + (f", from {snapshots[0]['export_date']} to {snapshots[-1]['export_date']}" if snapshots else ""),
        f"Connections (people ever connected): {status['connections']}",
        f"Person-to-person messages: {status['messages']}",
        f"Invitations: {status['invitations']}",
        f"Data from {status['first_date'] or '-'} to {status['last_date'] or '-'}",
        f"Labels: {labels['confirmed']} confirmed by you, {labels['suggested']} suggested "
        f"(to review), {labels['inferred']} inferred from the data",
    ]
    _emit(args, status, "\n".join(lines))
    return 0


def cmd_policy(args) -> int:
    from adviser_analytics.policy import load_policy

    if args.policy_command == "set":
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise AdviserAnalyticsError(
                f"cannot read the policy file ({error})", file=str(path),
                what_to_do="Give the path of a UTF-8 YAML file written as in the README's policy example",
            ) from None
        policy = load_policy(text, file=str(path))
        with Workspace.create(_workspace_path(args)) as ws:
            ws.set_policy_text(text)
        _emit(args, {"policy": policy.to_dict()},
              f"Policy stored: {len(policy.versions)} version(s).\n{policy.summary()}")
        return 0
    with Workspace.open(_workspace_path(args)) as ws:
        text = ws.policy_text()
    if text is None:
        _emit(args, {"policy": None},
              "No policy yet. Write one (see the README) and store it with: adviser-analytics policy set policy.yaml")
        return 0
    policy = load_policy(text, file="stored policy")
    _emit(args, {"policy": policy.to_dict()}, policy.summary())
    return 0


def cmd_metrics(args) -> int:
    from adviser_analytics.metrics import compute

    period = _period(args)
    with Workspace.open(_workspace_path(args)) as ws:
        metrics = compute(ws, period)
    _emit(args, metrics, _metrics_text(metrics))
    return 0


def _period(args):
    """The period of ``--from``/``--to``; a malformed date is a usage error (exit 2)."""
    from adviser_analytics.periods import Period, parse_date

    try:
        return Period(parse_date(args.date_from, what="--from"), parse_date(args.date_to, what="--to"))
    except ValueError as error:
        raise UsageError(str(error)) from None


def _metrics_text(metrics: dict) -> str:
    load, intros, policy = metrics["load"], metrics["introductions"], metrics["policy"]

    def show(value, unit=""):
        if value is None:
            return "-"
        return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"

    rate = "-" if load["reply_rate"] is None else f"{load['reply_rate']:.0%}"
    outcomes = ", ".join(f"{outcome.replace('_', ' ')}: {count}"
                         for outcome, count in intros["outcomes"].items() if count)
    conformance = "-" if policy["conformance_rate"] is None else f"{policy['conformance_rate']:.0%}"
    return "\n".join([
        f"Period {metrics['period']['from']} to {metrics['period']['to']}",
        f"Inbound messages: {load['inbound_messages']}; requests for help: {load['requests']}, "
        f"answered: {load['answered_requests']} ({rate})",
        f"First reply: median {show(load['first_reply_hours_median'], ' h')}, "
        f"90th percentile {show(load['first_reply_hours_p90'], ' h')}",
        f"Waiting at the end of the period: {load['backlog']} conversations"
        + (f", oldest {show(load['backlog_oldest_days'], ' days')}" if load["backlog"] else ""),
        f"Time spent replying (estimate): {show(load['minutes_spent_estimate'], ' min')}",
        f"Introduction requests: {intros['requests']}" + (f" ({outcomes})" if outcomes else ""),
        f"Decisions the policy speaks to: {policy['decisions']}, following it: "
        f"{policy['conforming']} ({conformance})",
    ])


def cmd_demo(args) -> int:
    from adviser_analytics.demo import run_demo

    workspace = Path(args.workspace) if args.workspace else DEMO_WORKSPACE
    summary = run_demo(workspace, out=Path(args.out) if args.out else None,
                       samples=SAMPLES_DIR, say=lambda text: _say(args, text))
    _emit(args, summary, summary.get("message", ""))
    return 0


# ---------------------------------------------------------------------- parser
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

    p = commands.add_parser("ingest", parents=[common], help="read LinkedIn exports into the workspace")
    p.add_argument("exports", nargs="+", metavar="EXPORT", help="a .zip or a folder")
    p.set_defaults(handler=cmd_ingest)

    p = commands.add_parser("status", parents=[common], help="what the workspace holds")
    p.set_defaults(handler=cmd_status)

    p = commands.add_parser("labels", parents=[common], help="suggest, export and import labels")
    sub = p.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    q = sub.add_parser("import", parents=[common], help="read edited label CSVs")
    q.add_argument("path", metavar="PATH", help="a label CSV, or a folder of them")
    q = sub.add_parser("export", parents=[common], help="write the label CSVs")
    q.add_argument("dir", metavar="DIR")
    sub.add_parser("suggest", parents=[common], help="infer labels and run the rules")
    sub.add_parser("rules", parents=[common],
                   help="copy the default label rules into the workspace for editing")
    p.set_defaults(handler=_labels_handler)

    p = commands.add_parser("policy", parents=[common], help="store or show your contact policy")
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    q = sub.add_parser("set", parents=[common], help="store a policy YAML file")
    q.add_argument("file", metavar="FILE")
    sub.add_parser("show", parents=[common], help="show the stored policy")
    p.set_defaults(handler=cmd_policy)

    p = commands.add_parser("metrics", parents=[common], help="one period's metrics")
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE")
    p.set_defaults(handler=cmd_metrics)

    p = commands.add_parser("report", parents=[common], help="reflection reports for periods")
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE")
    p.add_argument("--every", choices=["week", "month", "term"])
    p.add_argument("--audience", choices=["self", "supervision"], default="self")
    p.add_argument("--out", metavar="DIR")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.add_argument("--only-missing", action="store_true")
    p.set_defaults(handler=_report_handler)

    p = commands.add_parser("forget", parents=[common], help="erase a person, or old message text")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--person", metavar="URL")
    group.add_argument("--content-before", metavar="DATE")
    p.set_defaults(handler=_forget_handler)

    p = commands.add_parser("demo", parents=[common], help="build the sample workspace and its reports")
    p.add_argument("--out", metavar="DIR")
    p.set_defaults(handler=cmd_demo)
    return parser


def _labels_handler(args) -> int:
    from adviser_analytics.labels_cli import cmd_labels

    return cmd_labels(args, _workspace_path(args), _emit)


def _report_handler(args) -> int:
    from adviser_analytics.reports_cli import cmd_report

    return cmd_report(args, _workspace_path(args), _emit)


def _forget_handler(args) -> int:
    from adviser_analytics.forget import cmd_forget

    return cmd_forget(args, _workspace_path(args), _emit)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("workspace", None), ("json", False), ("debug", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    try:
        return args.handler(args)
    except AdviserAnalyticsError as error:
        _error(str(error))
        return error.exit_code
    except UsageError as error:
        _error(str(error))
        return 2
    except KeyboardInterrupt:
        _error("interrupted; the workspace is as it was before this command.")
        return 130
    except Exception as error:  # a bug: say so plainly, keep the details out of the way
        worded = worded_error(error)
        if worded is not None:
            _error(str(worded))
            return worded.exit_code
        if args.debug or os.environ.get("ADVISER_ANALYTICS_DEBUG"):
            traceback.print_exc()
        _error(
            "something unexpected went wrong "
            f"({type(error).__name__}: {error}). This is a fault in adviser-analytics, not in "
            "your data; the workspace is as it was before this command. Please report it with "
            "the command you ran (run again with --debug for details)."
        )
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
