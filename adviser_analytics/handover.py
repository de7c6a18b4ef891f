"""``adviser-analytics handover``: a pack for a successor.

The colleagues, employers and professional contacts worth an introduction, each with the
relationship, company, position, last interaction, introductions asked of (and made through)
them and an empty notes column, as ``handover.csv`` (formula-safe) and ``handover.html``
(escaped, from the Jinja2 template ``templates/handover.html.j2``); clients only with
``--include-clients``. A checklist drawn from the policy's ingredients ends the page. Both
files are readable by the owner only: they name people.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from adviser_analytics.advice import read_policy
from adviser_analytics.files import write_atomic
from adviser_analytics.resources import template_environment
from adviser_analytics.textsafety import spreadsheet_safe_frame

__all__ = ["HANDOVER_RELATIONSHIPS", "CSV_COLUMNS", "handover_rows", "checklist",
           "handover_csv", "handover_html", "write_handover"]

HANDOVER_RELATIONSHIPS = ("colleague", "professional")
CSV_COLUMNS = ["name", "relationship", "company", "position", "profile_url",
               "last_interaction", "introductions_asked", "introductions_made", "notes"]
RELATIONSHIP_WORDS = {"colleague": "colleague", "professional": "employer or professional contact",
                      "client": "client"}
ORDER = {"colleague": 0, "professional": 1, "client": 2}


def handover_rows(people: pd.DataFrame, labels: pd.DataFrame, messages: pd.DataFrame,
                  introductions: pd.DataFrame, include_clients: bool = False) -> pd.DataFrame:
    """One row per person worth handing over (connections and other people seen), with
    ``CSV_COLUMNS``. Ordered by relationship (colleagues first), then by introductions asked
    of them, then by the most recent interaction."""
    from adviser_analytics.metrics.drift import relationships
    from adviser_analytics.metrics.episodes import utc_ns

    wanted = HANDOVER_RELATIONSHIPS + (("client",) if include_clients else ())
    rel = people["person_key"].map(relationships(labels))
    chosen = people.assign(relationship=rel)
    chosen = chosen[chosen["relationship"].isin(list(wanted))].copy()
    last = (pd.DataFrame({"key": messages["counterpart_key"], "at": utc_ns(messages["sent_at"])})
            .dropna(subset=["key"]).groupby("key")["at"].max())
    chosen["last_interaction"] = chosen["person_key"].map(last)
    asked = introductions.groupby("target_key").size()
    made = (introductions[introductions["outcome"].isin(["made", "met"])]
            .groupby("target_key").size())
    chosen["introductions_asked"] = chosen["person_key"].map(asked).fillna(0).astype(int)
    chosen["introductions_made"] = chosen["person_key"].map(made).fillna(0).astype(int)
    chosen["order"] = chosen["relationship"].map(ORDER)
    chosen = chosen.sort_values(["order", "introductions_asked", "last_interaction", "name"],
                                ascending=[True, False, False, True], na_position="last")
    chosen["last_interaction"] = chosen["last_interaction"].dt.strftime("%Y-%m-%d")
    chosen["notes"] = ""
    return chosen[CSV_COLUMNS].reset_index(drop=True)


def checklist(parts) -> list[dict]:
    """The handover checklist from the policy's ingredients (``parts``: PolicyParts or None)."""
    service = parts.service if parts else {}
    links = [url for urls in (service.get("links") or {}).values() for url in urls]
    return [
        {"task": "Introduce your successor to the contacts in this pack",
         "detail": "A short message to each (or a group note to colleagues) saying who is taking "
                   "over, so the relationships and introductions carry on."},
        {"task": "Keep contact details outside LinkedIn",
         "detail": "LinkedIn should never be the only place contact details live: run "
                   "'adviser-analytics contacts export contacts.vcf' and add the cards to the "
                   "service's address book."},
        {"task": "No shared accounts",
         "detail": "Your successor uses their own LinkedIn account; don't hand over your "
                   "password or let the account be shared."},
        {"task": "Point clients to the service, not to a person",
         "detail": ("Update your 'Advice for contacting' so clients go to "
                    + ", ".join(links) + ".") if links else
                   "Update your 'Advice for contacting' (adviser-analytics advice) so clients "
                   "know where to go once you have left."},
        {"task": "Agree what happens to this workspace",
         "detail": "It holds clients' personal data: erase it, or pass on only what the "
                   "service's data-protection rules allow."},
    ]


def handover_csv(rows: pd.DataFrame) -> str:
    buffer = io.StringIO()
    spreadsheet_safe_frame(rows.astype({"last_interaction": "string"})).to_csv(
        buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue()


def handover_html(rows: pd.DataFrame, parts, owner_name: str | None, include_clients: bool,
                  workspace: Path | None = None) -> str:
    env = template_environment(workspace=workspace)
    groups = []
    for relationship in (*HANDOVER_RELATIONSHIPS, "client"):
        part = rows[rows["relationship"] == relationship]
        if len(part):
            groups.append({"title": RELATIONSHIP_WORDS[relationship], "count": len(part),
                           "rows": part.fillna("").to_dict("records")})
    return env.get_template("handover.html.j2").render(
        owner=owner_name, groups=groups, checklist=checklist(parts),
        include_clients=include_clients,
        written_on=datetime.now(UTC).date().isoformat())


def write_handover(ws, out: Path, include_clients: bool = False) -> dict:
    """Write ``handover.csv`` and ``handover.html`` into ``out``; returns what was written."""
    rows = handover_rows(ws.people(), ws.labels("relationship"),
                         ws.messages(content=False, columns=("sent_at", "counterpart_key")),
                         ws.introductions(), include_clients=include_clients)
    parts = read_policy(ws.policy_text())
    out = Path(out)
    csv_path, html_path = out / "handover.csv", out / "handover.html"
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(csv_path, handover_csv(rows))
        write_atomic(html_path, handover_html(rows, parts, ws.owner.name, include_clients,
                                              workspace=ws.path))
    except OSError as error:  # a folder that cannot be made or written: words, exit 1
        from adviser_analytics.errors import AdviserAnalyticsError

        raise AdviserAnalyticsError(
            f"cannot write the handover pack into {out} ({error.strerror or error})",
            file=str(out), what_to_do="choose a folder you can write to with --out") from None
    counts = rows["relationship"].value_counts()
    return {"csv": str(csv_path), "html": str(html_path), "people": int(len(rows)),
            "by_relationship": {k: int(counts.get(k, 0)) for k in
                                (*HANDOVER_RELATIONSHIPS, *(("client",) if include_clients else ()))}}


# ---------------------------------------------------------------------- command
