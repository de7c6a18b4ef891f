"""``adviser-analytics labels suggest | import PATH | export DIR | rules``: label the data.

Each action prints a short account for people, or with ``--json`` one summary object:

- ``suggest``: ``{"rules_file", "rules_skipped", "inferred": {KIND: {VALUE: n}},
  "suggested": {KIND: {VALUE: n}}, "withdrawn_invitations", "introductions": {...},
  "labels": {"added", "changed", "unchanged", "removed", "kept_confirmed"}}``
- ``import``: ``{"files": {FILE: {"rows", "confirmed", "unchanged", "empty", "unmatched",
  "unmatched_lines": [{"line", "row", "why"}], "resolved_on_updated"}}, "confirmed",
  "unchanged", "unmatched"}``
- ``export``: ``{"dir", "files": {FILE: {"rows", "labelled", "to_fill", "suggested"}}}``
- ``rules``: ``{"rules_file", "created", "default_rules"}``
"""

from __future__ import annotations

from adviser_analytics import labels as L
from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.store import Workspace


def add_parser(commands, common) -> None:
    p = commands.add_parser("labels", parents=[common], help="suggest, export and import labels")
    sub = p.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    q = sub.add_parser("import", parents=[common], help="read edited label CSVs")
    q.add_argument("path", metavar="PATH", help="a label CSV, or a folder of them")
    q = sub.add_parser("export", parents=[common], help="write the label CSVs")
    q.add_argument("dir", metavar="DIR")
    sub.add_parser("suggest", parents=[common], help="infer labels and run the rules")
    sub.add_parser("rules", parents=[common],
                   help="copy the default label rules into the workspace for editing")
    p.set_defaults(handler=run)


def _counts(mix: dict) -> str:
    parts = []
    for kind, values in mix.items():
        parts.append(f"{kind} " + ", ".join(f"{str(v).replace('_', ' ')} {n}"
                                            for v, n in values.items()))
    return "; ".join(parts) or "nothing"


def _suggest_text(s: dict) -> str:
    intro = s["introductions"]
    lines = [
        f"Rules: {s['rules_file']}",
        f"Inferred from the data: {_counts(s['inferred'])}.",
        f"Suggested by the rules (to review): {_counts(s['suggested'])}.",
        f"Introduction requests found: {intro['recorded']} "
        f"({intro['added']} new, {intro['target_matched']} with the contact identified"
        + (f"; {intro['without_name']} more did not name the contact" if intro["without_name"] else "")
        + ").",
        f"Labels: {s['labels']['added']} added, {s['labels']['changed']} changed, "
        f"{s['labels']['unchanged']} unchanged, {s['labels']['removed']} withdrawn "
        f"(no longer supported); {s['labels']['kept_confirmed']} left as you confirmed them.",
    ]
    if s["withdrawn_invitations"]:
        lines.append(f"Invitations withdrawn by their sender (no decision): "
                     f"{s['withdrawn_invitations']}.")
    for skipped in s["rules_skipped"]:
        lines.append(f"Rule not used: {skipped}.")
    lines.append("Review the suggestions in notebooks/triage.ipynb, or with "
                 "'adviser-analytics labels export DIR', a spreadsheet and 'labels import DIR'.")
    return "\n".join(lines)


def _import_text(s: dict) -> str:
    lines = []
    for name, f in s["files"].items():
        lines.append(f"{name}: {f['rows']} rows; {f['confirmed']} labels confirmed, "
                     f"{f['unchanged']} rows unchanged, {f['empty']} rows without a value"
                     + (f", {f['resolved_on_updated']} resolution dates updated"
                        if f.get("resolved_on_updated") else "")
                     + (f"; {f['unmatched']} rows match nothing in the workspace" if f["unmatched"] else "")
                     + ".")
        for row in f["unmatched_lines"]:
            lines.append(f"  line {row['line']}: {row['why']} ({row['row']})")
        if f["unmatched"] > len(f["unmatched_lines"]):
            lines.append(f"  ... and {f['unmatched'] - len(f['unmatched_lines'])} more")
    if s["unmatched"]:
        lines.append("Rows that match nothing were not imported: check their profile URL, name "
                     "and dates against a fresh 'labels export'.")
    return "\n".join(lines)


def _export_text(s: dict) -> str:
    lines = [f"Label files written to {s['dir']} (UTF-8, safe to open in a spreadsheet):"]
    for name, f in s["files"].items():
        lines.append(f"  {name}: {f['rows']} rows, {f['labelled']} labelled "
                     f"({f['suggested']} suggested, to review), {f['to_fill']} to fill in")
    lines.append("Edit the value columns (leave 'source' as it is, or write 'confirmed'), save as "
                 f"CSV, then: adviser-analytics labels import {s['dir']}")
    return "\n".join(lines)


def run(args) -> int:
    action = args.labels_command
    with Workspace.open(workspace_path(args)) as ws:
        if action == "rules":
            path, created = L.copy_default_rules(ws)
            L.load_rules(path)  # say now if an edited copy is broken
            payload = {"rules_file": str(path), "created": created,
                       "default_rules": str(L.default_rules_path())}
            human = (f"{'Copied the default rules to' if created else 'Your rules are at'} "
                     f"{path}{'' if created else ' (kept as they are)'}.\nEdit that file, then "
                     "run: adviser-analytics labels suggest")
        elif action == "suggest":
            with ws.transaction():
                payload = L.suggest(ws)
            human = _suggest_text(payload)
        elif action == "import":
            with ws.transaction():
                payload = L.import_labels(ws, args.path)
            human = _import_text(payload)
        elif action == "export":
            payload = L.export_labels(ws, args.dir)
            human = _export_text(payload)
        else:  # pragma: no cover - argparse restricts the actions
            raise ValueError(action)
    emit(args, payload, human)
    return 0
