"""How good are the inference and the label rules? Precision and recall on the sample series,
and false suggestions in a realistic, messy inbox.

    python -m adviser_analytics.devtools.evaluate_labels --samples data_samples [--rules FILE] [--json]
        [--realistic-contacts 3000] [--no-realistic]

Builds a temporary workspace from the synthetic monthly exports (ingested one by one in date
order, as an adviser would), stores ``policy.yaml``, runs :func:`labels.suggest` and compares
every label it produced with ``truth.json`` (written by ``adviser_analytics.samples``):

- relationship suggestions, per class, over the people the workspace knows;
- referrals (a request handled ``refer`` with the right kind), per kind;
- honest declines (handling ``explain``), per request and per owner message;
- introduction requests (requester, target and day);
- decisions inferred from the snapshots (``accept``, ``ask``, ``ignore``) and the
  ``redirect`` suggestions; ``ignore`` counts as right for a truth of ``ignore`` or ``report``
  (the data cannot tell a reported invitation from an ignored one);
- the inferred handlings ``answer`` and ``none``, and the suggested ``no_reply_needed``
  (a run the truth marks as an acknowledgement counts as ``no_reply_needed``, whatever the
  reply, and leaves the other handlings and the referrals).

Precision = right / labelled; recall = right / truth (of what the workspace holds).

Then the realistic inbox (:func:`adviser_analytics.samples_realistic.realistic_account`, with
its policy's ``service.links``): referral, introduction and acknowledgement suggestions
against its truth, and the **false referral or introduction suggestions per 1,000 ordinary
messages** (target: at most 5), with the trap messages ("in the event of", "grateful for
your reception", "guide") any rule read.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from adviser_analytics.labels import Rules, first_rule, load_rules, rules_for, suggest
from adviser_analytics.store import Workspace

# what the data and rules cannot reach, said next to the figures
LIMITS = [
    "relationship personal and unknown: nothing in a title, company or message says so; "
    "only the adviser can tell (no rule suggests them).",
    "relationship of people known only from a message or an invitation (no Connections row): "
    "no title or company to read; only what they wrote can suggest a class.",
    "decision report: LinkedIn's export does not say an invitation was reported; the data "
    "show only that it was never accepted (inferred as ignore).",
    "decision redirect is suggested only when your message to the inviter names a service "
    "(a referral rule matched); a redirect in other words is inferred as ask.",
    "decisions and handlings younger than 21 days at the last export stay unlabelled (pending).",
    "a reply that refers in words no rule knows is inferred as answer.",
    "an acknowledgement in words the acknowledgement rules do not list, or with more than "
    "thanks in it (\"thanks, I'll look at the weekend\"), stays a request.",
    "an introduction request that names neither a person nor an organisation (\"could you "
    "put me in touch with them\") is not recorded; the adviser can add it in "
    "introductions.csv.",
]
FALSE_PER_1000_TARGET = 5.0


def _ingest_series(samples: Path, workspace: Path) -> None:
    from adviser_analytics.demo import sample_exports
    from adviser_analytics.ingest import ingest

    exports = sample_exports(samples)
    with Workspace.create(workspace) as ws:
        for export in exports:
            ingest(ws, [export])
        policy = samples / "policy.yaml"
        if policy.is_file():
            ws.set_policy_text(policy.read_text(encoding="utf-8"))


def _score(predicted: Iterable, truth: Iterable) -> dict:
    predicted, truth = set(predicted), set(truth)
    right = len(predicted & truth)
    return {
        "labelled": len(predicted), "right": right, "truth": len(truth),
        "precision": round(right / len(predicted), 3) if predicted else None,
        "recall": round(right / len(truth), 3) if truth else None,
    }


def compare(ws: Workspace, truth: dict, rules: Rules | None = None) -> dict:
    """Scores of the workspace's labels against the sample truth (see the module docstring);
    ``rules``: the rules the suggestions were made with (default: the workspace's)."""
    labels = ws.labels()
    labels["subject"] = labels["subject"].astype(str)
    owner = ws.owner.key
    result: dict = {}

    # relationships, over the people the workspace knows
    people = set(ws.people()["person_key"].astype(str)) - {owner}
    true_rel = {k: v for k, v in truth["people"].items() if k in people}
    rel = labels[labels["kind"] == "relationship"]
    result["relationship"] = {
        cls: _score(rel.loc[rel["value"] == cls, "subject"],
                    [k for k, v in true_rel.items() if v == cls])
        for cls in ("client", "colleague", "professional", "spam", "personal", "unknown")
    }
    ruled = ("client", "colleague", "professional", "spam")
    result["relationship"]["all four ruled classes"] = _score(
        [(k, v) for k, v in zip(rel["subject"], rel["value"], strict=True)],
        [(k, v) for k, v in true_rel.items() if v in ruled])

    # requests: handling and referral
    def key(conversation, started):
        return f"{conversation}|{started}"

    # a run of thanks only is an acknowledgement (no_reply_needed), whatever the reply
    true_req = {key(r["conversation_id"], r["started_at"]):
                ({**r, "handling": "no_reply_needed", "referral": None}
                 if r.get("acknowledgement") else r) for r in truth["requests"]}
    handling = labels[labels["kind"] == "handling"].set_index("subject")
    referral = labels[labels["kind"] == "referral"].set_index("subject")
    result["referral"] = {}
    refer = handling[handling["value"] == "refer"]
    for kind in ("appointment", "mentor", "event", "resource", "reception", "other"):
        predicted = [s for s in refer.index if referral["value"].get(s) == kind]
        actual = [k for k, r in true_req.items() if r["handling"] == "refer"
                  and r["referral"] == kind]
        result["referral"][kind] = _score(predicted, actual)
    result["referral"]["refer (any kind)"] = _score(
        refer.index, [k for k, r in true_req.items() if r["handling"] == "refer"])
    result["referral"]["refer + kind"] = _score(
        [(s, referral["value"].get(s)) for s in refer.index],
        [(k, r["referral"]) for k, r in true_req.items() if r["handling"] == "refer"])

    explain = handling[handling["value"] == "explain"]
    result["explain"] = {"requests": _score(
        explain.index, [k for k, r in true_req.items() if r["handling"] == "explain"])}
    # per owner message: the decline rules on every owner message
    messages = ws.messages()
    owner_messages = messages[messages["direction"] == "outbound"]
    hits = first_rule(owner_messages["content"], (rules or rules_for(ws)).family("explain"))
    matched = owner_messages[hits["rule"].notna()]
    stamp = matched["sent_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    result["explain"]["messages"] = _score(
        zip(matched["conversation_id"].astype(str), stamp, strict=True),
        [(d["conversation_id"], d["sent_at"]) for d in truth["declines"]])

    # introductions
    intro = ws.introductions()
    predicted = set(zip(intro["requester_key"].astype(str), intro["target_key"].astype(str),
                        intro["requested_on"].dt.strftime("%Y-%m-%d"), strict=True))
    result["introduction"] = {"requests": _score(
        predicted, [(i["requester_url"], i["target_url"], i["requested_on"])
                    for i in truth["introductions"]])}

    # decisions on incoming invitations
    inv = ws.invitations()
    inv = inv[inv["direction"] == "incoming"].copy()
    inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
    inv["stamp"] = inv["sent_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    by_key = {(p, s): i for i, p, s in zip(inv["subject"], inv["person_key"].astype(str),
                                           inv["stamp"], strict=True)}
    true_dec = {}
    for i in truth["invitations"]:
        if i["direction"] != "incoming":
            continue
        subject = by_key.get((i["profile_url"], i["sent_at"]))
        if subject is not None:
            true_dec[subject] = i["decision"]
    dec = labels[labels["kind"] == "decision"]
    result["decision"] = {}
    for value, accepted in (("accept", {"accept"}), ("ask", {"ask"}),
                            ("ignore", {"ignore", "report"}), ("redirect", {"redirect"})):
        result["decision"][value + (" (truth ignore or report)" if value == "ignore" else "")] = \
            _score(dec.loc[dec["value"] == value, "subject"],
                   [s for s, v in true_dec.items() if v in accepted])
    result["decision"]["report"] = _score(dec.loc[dec["value"] == "report", "subject"],
                                          [s for s, v in true_dec.items() if v == "report"])

    # inferred handlings
    result["handling"] = {
        value: _score(handling.index[handling["value"] == value],
                      [k for k, r in true_req.items() if r["handling"] == value])
        for value in ("answer", "none", "no_reply_needed")
    }
    return result


def realistic_policy(truth) -> str:
    """The story's policy for the realistic adviser, with the service's links
    (``service.links``) the generator's referral replies carry."""
    import yaml

    from adviser_analytics import samples as generator

    text = generator.POLICY_YAML.format(start=generator.STORY_START.isoformat(),
                                        change=generator.POLICY_CHANGE.isoformat())
    links = dict(zip(("appointment", "mentor", "event", "resource"), truth.owner["links"],
                     strict=True))
    return text + yaml.safe_dump({"service": {"name": generator.SERVICE, "links": links}},
                                 sort_keys=False)


def compare_realistic(ws: Workspace, truth, rules: Rules | None = None,
                      links: dict | None = None) -> dict:
    """Scores of the suggestions in the realistic inbox against its truth
    (:class:`~adviser_analytics.samples_realistic.RealisticTruth`)."""
    from adviser_analytics.labels.rules import first_rule

    rules = rules or rules_for(ws)
    labels = ws.labels()
    labels["subject"] = labels["subject"].astype(str)
    runs = {f"{r['conversation_id']}|{r['start']}": r for r in truth.runs}
    handling = labels[labels["kind"] == "handling"].set_index("subject")["value"]
    referral = labels[labels["kind"] == "referral"].set_index("subject")["value"]
    result: dict = {}

    # referrals: a request whose reply refers (with or without the service's link)
    refer = [s for s, v in handling.items() if v == "refer"]
    true_refer = [k for k, r in runs.items() if r["expected_handling"] == "refer"]
    linked = {(x["conversation_id"], x["sent_at"]): x["with_link"] for x in truth.referrals}
    kinds = {(x["conversation_id"], x["sent_at"]): x["referral"] for x in truth.referrals}

    def reply_of(k):
        r = runs[k]
        return (r["conversation_id"], r["answered_at"])

    result["referral"] = {
        "refer (any kind)": _score(refer, true_refer),
        "refer + kind": _score([(s, referral.get(s)) for s in refer],
                               [(k, kinds.get(reply_of(k))) for k in true_refer]),
        "with the service's link": _score(
            [s for s in refer if s in runs and linked.get(reply_of(s)) is True],
            [k for k in true_refer if linked.get(reply_of(k)) is True]),
        "in words only": _score(
            [s for s in refer if s in runs and linked.get(reply_of(s)) is False],
            [k for k in true_refer if linked.get(reply_of(k)) is False]),
    }
    false_referrals = [s for s in refer if s not in set(true_refer)]

    # introductions: requester, day and the target (a person, or the organisation to identify)
    intro = ws.introductions()
    predicted = set(zip(intro["requester_key"].astype(str),
                        intro["requested_on"].dt.strftime("%Y-%m-%d"),
                        [k if isinstance(k, str) else f"{n}" for k, n in
                         zip(intro["target_key"].astype(object), intro["target_name"],
                             strict=True)], strict=True))
    actual = {(i["requester_url"], i["requested_on"],
               i["target_url"] or f"someone at {i['target_company']}")
              for i in truth.introductions}
    result["introduction"] = {
        "requests": _score(predicted, actual),
        "named contact": _score({p for p in predicted if p[2].startswith("http")},
                                {a for a in actual if a[2].startswith("http")}),
        "someone to identify": _score({p for p in predicted if not p[2].startswith("http")},
                                      {a for a in actual if not a[2].startswith("http")}),
    }
    false_intros = predicted - actual

    # acknowledgements (one-to-one runs of thanks, emoji, congratulations only)
    acks = [s for s, v in handling.items() if v == "no_reply_needed"]
    result["acknowledgement"] = {"no_reply_needed": _score(
        acks, [k for k, r in runs.items() if r["acknowledgement"] and r["one_to_one"]])}

    # the trap messages: ordinary chat holding "event", "reception", "guide" ...
    import pandas as pd

    traps = pd.Series([t["content"] for t in truth.traps], dtype=object)
    read = first_rule(traps, rules.family("referral"), links=links)["rule"].notna() | \
        first_rule(traps, rules.family("introduction"))["rule"].notna()
    ordinary = max(1, int(truth.ordinary_messages))
    false = len(false_referrals) + len(false_intros)
    result["false suggestions"] = {
        "ordinary_messages": int(truth.ordinary_messages),
        "false_referrals": len(false_referrals), "false_introductions": len(false_intros),
        "per_1000_ordinary_messages": round(1000 * false / ordinary, 2),
        "target_per_1000": FALSE_PER_1000_TARGET,
        "trap_messages": int(len(traps)), "trap_messages_read_by_a_rule": int(read.sum()),
    }
    return result


def evaluate_realistic(contacts: int = 3000, seed: int = 1, rules: str | Path | None = None,
                       months: int = 12) -> dict:
    """Generate the realistic inbox into a temporary folder, ingest it with its policy,
    run ``suggest`` and score it against its truth."""
    from adviser_analytics.ingest import ingest
    from adviser_analytics.samples_realistic import realistic_account

    with tempfile.TemporaryDirectory(prefix="adviser-analytics-eval-realistic-") as tmp:
        truth = realistic_account(Path(tmp) / "exports", contacts=contacts, seed=seed,
                                  months=months)
        with Workspace.create(Path(tmp) / "workspace") as ws:
            for export in truth.exports:
                ingest(ws, [Path(export)])
            ws.set_policy_text(realistic_policy(truth))
            used = load_rules(rules) if rules else None
            with ws.transaction():
                summary = suggest(ws, used)
            links = ws.policy().service.links
            scores = compare_realistic(ws, truth, used, links)
    return {"contacts": contacts, "seed": seed, "messages": truth.messages,
            "suggest": summary, "scores": scores}


def evaluate(samples: str | Path, rules: str | Path | None = None,
             realistic_contacts: int | None = 3000) -> dict:
    """Build a temporary workspace from ``samples``, run ``suggest`` and score it; then the
    realistic inbox of ``realistic_contacts`` contacts (``None``: skip it)."""
    samples = Path(samples)
    with tempfile.TemporaryDirectory(prefix="adviser-analytics-eval-") as tmp:
        from adviser_analytics.demo import sample_exports

        if not samples.is_dir() or not sample_exports(samples):
            from adviser_analytics import samples as generator

            print(f"{samples} holds no sample exports; generating the sample series ...",
                  file=sys.stderr)
            samples = Path(tmp) / "samples"
            generator.write_series(samples)
        truth = json.loads((samples / "truth.json").read_text(encoding="utf-8"))
        workspace = Path(tmp) / "workspace"
        _ingest_series(samples, workspace)
        with Workspace.open(workspace) as ws:
            with ws.transaction():
                used = load_rules(rules) if rules else None
                summary = suggest(ws, used)
            scores = compare(ws, truth, used)
    realistic = (evaluate_realistic(realistic_contacts, rules=rules)
                 if realistic_contacts else None)
    return {"samples": str(samples), "suggest": summary, "scores": scores,
            "realistic": realistic, "limits": LIMITS}


def format_report(result: dict) -> str:
    lines = [f"Label rules and inference on the sample series ({result['samples']})", ""]
    header = f"{'family':<16}{'label':<34}{'labelled':>9}{'right':>7}{'truth':>7}" \
             f"{'precision':>11}{'recall':>8}"
    lines += [header, "-" * len(header)]

    def show(x):
        return "-" if x is None else f"{x:.2f}"

    for family, rows in result["scores"].items():
        for label, s in rows.items():
            lines.append(f"{family:<16}{label:<34}{s['labelled']:>9}{s['right']:>7}"
                         f"{s['truth']:>7}{show(s['precision']):>11}{show(s['recall']):>8}")
    realistic = result.get("realistic")
    if realistic:
        lines += ["", f"Realistic inbox ({realistic['contacts']} contacts, "
                      f"{realistic['messages']} messages between people):", "", header,
                  "-" * len(header)]
        for family, rows in realistic["scores"].items():
            if family == "false suggestions":
                continue
            for label, s in rows.items():
                lines.append(f"{family:<16}{label:<34}{s['labelled']:>9}{s['right']:>7}"
                             f"{s['truth']:>7}{show(s['precision']):>11}{show(s['recall']):>8}")
        f = realistic["scores"]["false suggestions"]
        lines += ["", f"False referral or introduction suggestions: "
                      f"{f['per_1000_ordinary_messages']:.2f} per 1,000 ordinary messages "
                      f"(target at most {f['target_per_1000']:g}): {f['false_referrals']} "
                      f"referrals and {f['false_introductions']} introductions among "
                      f"{f['ordinary_messages']} ordinary messages.",
                  f"Trap messages (ordinary chat with \"event\", \"reception\", \"guide\", "
                  f"\"resources\" ...) read by a rule: {f['trap_messages_read_by_a_rule']} of "
                  f"{f['trap_messages']}."]
    lines += ["", "Where rules and inference cannot reach:"]
    lines += [f"- {text}" for text in result["limits"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adviser_analytics.devtools.evaluate_labels",
        description="Precision and recall of label inference and rules on the sample series.")
    parser.add_argument("--samples", default="data_samples", help="the sample series folder")
    parser.add_argument("--rules", help="a rules.yaml to try (default: the shipped rules)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--realistic-contacts", type=int, default=3000,
                        help="contacts of the realistic inbox (default 3000)")
    parser.add_argument("--no-realistic", action="store_true",
                        help="only the sample story, not the realistic inbox")
    args = parser.parse_args(argv)
    result = evaluate(args.samples, args.rules,
                      None if args.no_realistic else args.realistic_contacts)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        print(format_report(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


