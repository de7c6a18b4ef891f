"""``adviser-analytics metrics --from DATE --to DATE``: one period's metrics."""

from __future__ import annotations

from adviser_analytics.cli.common import add_period_arguments, emit, period, workspace_path
from adviser_analytics.workspace import Workspace


def add_parser(commands, common) -> None:
    p = commands.add_parser("metrics", parents=[common], help="one period's metrics")
    add_period_arguments(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.metrics import compute

    chosen = period(args)
    with Workspace.open(workspace_path(args)) as ws:
        metrics = compute(ws, chosen)
    emit(args, metrics, metrics_text(metrics))
    return 0


def metrics_text(metrics: dict) -> str:
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
