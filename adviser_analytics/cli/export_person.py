"""``adviser-analytics export-person URL --out DIR``: everything held on one person (a subject
access request), as one JSON file and one CSV per kind of record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from adviser_analytics.cli.common import counted, emit, workspace_path
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.files import write_atomic
from adviser_analytics.store import Workspace
from adviser_analytics.store.erasure import person_record
from adviser_analytics.textsafety import spreadsheet_safe_frame

_README = """What adviser-analytics holds on {name} ({url}), written {today}.

person.json holds everything; each CSV file holds one kind of record:
  person.csv         their name, profile link, employer, position and e-mail as exported
  connections.csv    when you connected, and the exports in which the connection was seen
  messages.csv       messages they sent, and every message of your one-to-one conversations
  invitations.csv    invitations between you, with their notes
  labels.csv         your labels about them and about those conversations and invitations
  introductions.csv  introductions they asked you for, or in which they were the person asked for

Text cells that a spreadsheet could take for a formula start with an apostrophe.
These files are personal data: keep them only as long as the request needs them.
"""


def add_parser(commands, common) -> None:
    p = commands.add_parser("export-person", parents=[common],
                            help="everything held on one person (subject access), as JSON and CSV")
    p.add_argument("url", metavar="URL", help="the person's LinkedIn profile link")
    p.add_argument("--out", metavar="DIR", required=True, help="the folder to write into")
    p.set_defaults(handler=run)


def run(args) -> int:
    from adviser_analytics.store.workspace import utc_now

    with Workspace.open(workspace_path(args)) as ws:
        record = person_record(ws, args.url)
    out = Path(args.out)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(out, 0o700)
    except OSError as error:
        raise AdviserAnalyticsError(f"cannot write into {out} ({error.strerror})", file=str(out),
                                    what_to_do="choose a folder you can write to with --out") from None
    person = record["person"].iloc[0]
    counts = {kind: len(frame) for kind, frame in record.items()}
    payload = {kind: json.loads(frame.to_json(orient="records", force_ascii=False))
               for kind, frame in record.items()}
    written = []
    try:
        write_atomic(out / "person.json", json.dumps(payload, ensure_ascii=False, indent=2))
        written.append("person.json")
        for kind, frame in record.items():
            write_atomic(out / f"{kind}.csv", spreadsheet_safe_frame(frame).to_csv(index=False))
            written.append(f"{kind}.csv")
        write_atomic(out / "README.txt", _README.format(name=person["name"],
                                                        url=person["person_key"],
                                                        today=utc_now()[:10]))
        written.append("README.txt")
    except OSError as error:
        raise AdviserAnalyticsError(f"cannot write into {out} ({error.strerror})", file=str(out),
                                    what_to_do="free some space or choose another folder with --out") from None
    text = (f"Wrote everything held on this person to {out} ({', '.join(written)}): "
            + ", ".join(counted(n, kind.removesuffix("s"), kind)
                        for kind, n in counts.items() if kind != "person")
            + ". The files are personal data, readable only by you.")
    emit(args, {"out": str(out), "files": written, "counts": counts}, text)
    return 0
