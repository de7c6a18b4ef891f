"""``adviser-analytics contacts``: the command; the work is in ``adviser_analytics.contacts``."""

from __future__ import annotations

from pathlib import Path

from adviser_analytics.cli.common import emit, workspace_path
from adviser_analytics.contacts import _text, contact_rows, to_google_csv, to_vcard
from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.files import write_atomic


def add_parser(commands, common) -> None:
    p = commands.add_parser("contacts", parents=[common],
                            help="your connections as contact cards outside LinkedIn")
    sub = p.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)
    q = sub.add_parser(
        "export", parents=[common], help="write every connection to a .vcf or .csv file",
        description="Writes every connection as a contact card, so LinkedIn is not the only "
                    "place your contacts live. FILE.vcf: vCard 3.0 (most address books). "
                    "FILE.csv: Google Contacts' import columns (also read by Outlook.com). "
                    "The file holds personal data: it is readable by you only.")
    q.add_argument("file", metavar="FILE", help="where to write: a name ending .vcf or .csv")
    p.set_defaults(handler=run)


def run(args) -> int:

    from adviser_analytics.errors import UsageError
    from adviser_analytics.store import Workspace

    out = Path(args.file)
    suffix = out.suffix.lower()
    if suffix not in (".vcf", ".csv"):
        raise UsageError(f"{out}: give a file name ending .vcf (contact cards) or .csv "
                         "(Google Contacts' columns)")
    with Workspace.open(workspace_path(args)) as ws:
        rows = contact_rows(ws)
    if not len(rows):
        raise AdviserAnalyticsError(
            "the workspace holds no connections yet", file=str(workspace_path(args)),
            what_to_do="Ingest a LinkedIn export first: adviser-analytics ingest EXPORT.zip")
    write_atomic(out, to_vcard(rows) if suffix == ".vcf" else to_google_csv(rows))
    with_email = int(rows["email"].map(_text).astype(bool).sum())
    emit(args, {"out": str(out), "contacts": len(rows), "with_email": with_email},
          f"{len(rows)} contacts written to {out} ({with_email} with an e-mail address). "
          "It holds personal data: keep it private.")
    return 0
