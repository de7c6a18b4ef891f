"""``adviser-analytics policy set FILE | show``: store or show the contact policy."""

from __future__ import annotations

from pathlib import Path

from adviser_analytics.cli.common import counted, emit, workspace_path
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.store import Workspace


def add_parser(commands, common) -> None:
    p = commands.add_parser("policy", parents=[common], help="store or show your contact policy")
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    q = sub.add_parser("set", parents=[common], help="store a policy YAML file")
    q.add_argument("file", metavar="FILE")
    sub.add_parser("show", parents=[common], help="show the stored policy")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.policy import load_policy

    if args.policy_command == "set":
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise AdviserAnalyticsError(
                "cannot read the policy file (" + (
                    error.strerror.lower() if isinstance(error, OSError) and error.strerror
                    else "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError)
                    else str(error)) + ")", file=str(path),
                what_to_do="Give the path of a UTF-8 YAML file written as in the README's policy example",
            ) from None
        policy = load_policy(text, file=str(path))
        with Workspace.create(workspace_path(args)) as ws:
            ws.set_policy_text(text)
        emit(args, {"policy": policy.to_dict()},
             f"Policy stored: {counted(len(policy.versions), 'version')}.\n{policy.summary()}")
        return 0
    with Workspace.open(workspace_path(args)) as ws:
        text = ws.policy_text()
    if text is None:
        emit(args, {"policy": None},
             "No policy yet. Write one (see the README) and store it with: adviser-analytics policy set policy.yaml")
        return 0
    policy = load_policy(text, file="stored policy")
    emit(args, {"policy": policy.to_dict()}, policy.summary())
    return 0
