"""``adviser-analytics metrics --from DATE --to DATE``: one period's metrics."""

from __future__ import annotations

from adviser_analytics.cli.common import add_period_arguments, emit, period, workspace_path
from adviser_analytics.periods import hours_or_days
from adviser_analytics.store import Workspace


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
    cover = metrics.get("coverage") or {}

    def duration(hours):  # as the reports say it: hours, or days from 48 hours
        if hours is None:
            return "-"
        return hours_or_days(hours)

    def show(value, unit=""):
        if value is None:
            return "-"
        return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"

    outcomes = ", ".join(f"{outcome.replace('_', ' ')}: {count}"
                         for outcome, count in intros["outcomes"].items() if count)
    conformance = "-" if policy["conformance_rate"] is None else f"{policy['conformance_rate']:.0%}"
    head = [f"Period {metrics['period']['from']} to {metrics['period']['to']}"]
    if cover.get("as_of") is None:
        newest = cover.get("data_to")
        head.append("No figures for requests and replies: this period starts after your newest "
                    f"export ({newest})." if newest else
                    "No figures for requests and replies: no export has been read yet.")
        lines = head
    else:
        if not cover.get("complete"):
            head.append(f"Your newest export is from {cover['data_to']}: figures so far, "
                        f"as of {cover['as_of']}.")
        rate = "-" if load["reply_rate"] is None else f"{load['reply_rate']:.0%}"
        target = ("" if load["within_target_rate"] is None else
                  f"; answered within your aim: {load['within_target_rate']:.0%} of "
                  f"{load['due_requests']} due")
        lines = head + [
            f"Inbound messages: {load['inbound_messages']} ({load['group_messages']} in group "
            f"conversations); requests for help: {load['requests']} "
            f"({load['requests_opened_by_them']} in conversations they started, "
            f"{load['requests_in_your_threads']} in "
            f"conversations you started), answered: {load['answered_requests']} ({rate})",
            f"First reply: median {duration(load['first_reply_hours_median'])}, "
            f"90th percentile {duration(load['first_reply_hours_p90'])}{target}",
            f"Waiting on {cover['as_of']}: {load['waiting']} request"
            f"{'' if load['waiting'] == 1 else 's'}"
            + (f", the oldest {show(load['waiting_oldest_days'], ' days')}"
               if load["waiting"] else "")
            + (f", {load['overdue']} past your reply aim" if load["overdue"] else "")
            + (f"; {load['lapsed']} older unanswered request"
               f"{'' if load['lapsed'] == 1 else 's'} let go" if load["lapsed"] else ""),
            f"Time spent replying (estimate): {show(load['minutes_spent_estimate'], ' min')}",
        ]
    return "\n".join(lines + [
        f"Introduction requests: {intros['requests']}" + (f" ({outcomes})" if outcomes else ""),
        f"Decisions the policy speaks to: {policy['decisions']}, following it: "
        f"{policy['conforming']} ({conformance})",
    ])
