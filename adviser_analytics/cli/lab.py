"""``adviser-analytics lab [--reports DIR] [-- JUPYTER_ARGS...]``: JupyterLab with the notebooks and reports."""

from __future__ import annotations

from adviser_analytics.lab import run_lab


def add_parser(commands, common) -> None:
    p = commands.add_parser(
        "lab", parents=[common],
        help="open JupyterLab with your notebooks and reports",
        description="Open JupyterLab in a folder of your workspace holding the triage and "
                    "explore notebooks and your reports; every notebook finds the workspace. "
                    "Arguments after -- go to jupyter lab as they are (--no-browser, --port=...).")
    p.add_argument("--reports", metavar="DIR",
                   help="the folder your reports are in (default: ./reports)")
    p.add_argument("jupyter_args", nargs="*", metavar="JUPYTER_ARGS",
                   help="after --: arguments for jupyter lab")
    p.set_defaults(handler=run)


def run(args) -> int:
    return run_lab(getattr(args, "workspace", None), list(args.jupyter_args or ()),
                   reports=args.reports)
