"""``make bench-memory``: peak memory of reading and ingesting a large messages.csv, printed,
never asserted (target: ingest of a 1 GiB messages.csv under 1.5 GiB).

A folder export with a messages.csv of ``--gib`` GiB (default 1) is generated once into
``bench-data/memory-<gib>/`` (ignored by git; never in the repository). Each step runs in its
own process so that its peak resident memory (``ru_maxrss``) is its own.

Measured on 2026-12-01 (2 shared cores), 1 GiB, 2,480,000 messages: ``read_export`` peaked at
3,975 MiB before messages.csv was read in blocks, 1,939 MiB after; the whole ingest peaked at
5,484 MiB before and 5,453 MiB after, because ingest still gathered every block into one
frame, then prepared and wrote it at once.

Measured on 2026-12-07 (2 shared cores, other work running), the same file, after ingest
went batch by batch: the whole ingest peaked at 972 MiB (target met) in 89 s (189 s in a
first run beside a test suite); ``read_export``, which still returns every message in one
frame by design, 1,965 MiB. Ingest now reads messages.csv twice
(``read_message_batches``): a first pass keeps only, per distinct sender name, sender URL,
conversation id and direction, how many rows (to find the owner and each conversation's
first other sender), then each 64 MiB block is prepared, checked against the erasure
register, written (plain inserts on a first load, the ``message_key`` index built after the
last block, repeats caught by sets of 8-byte keys; ``ON CONFLICT`` merges otherwise) and
let go, all in the one transaction. What the peak holds (estimated, not measured part by
part): one block's frames, its prepared copy and the rows handed to SQLite, SQLite's 64 MiB
page cache, the libraries (about 150 MiB) and the 8-byte keys (about 40 MiB). Files whose
frames fit in 256 MiB (``ingest.KEEP_FRAME_BYTES``: most accounts) are parsed once, the
frames kept between the passes; a larger file is parsed twice.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
from pathlib import Path

from adviser_analytics.devtools.measure import run_stage, stage_main, timed

BENCH_DIR = Path("bench-data")
TARGET_MIB = 1536


def generate(folder: Path, gib: float) -> int:
    """A folder export (Profile, Connections, messages.csv of about ``gib`` GiB); the number of
    messages written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    words = ("thanks for the introduction could we meet next week about the role in data "
             "analysis careers advice graduate scheme interview preparation cv review network "
             "alumni mentoring placement opportunity").split()
    people = [(f"Person{i} Surname{i % 977}", f"https://www.linkedin.com/in/person-{i}")
              for i in range(20000)]
    owner = ("Ann Owner", "https://www.linkedin.com/in/ann-owner")
    (folder / "Profile.csv").write_text("First Name,Last Name,Headline\nAnn,Owner,Adviser\n",
                                        encoding="utf-8")
    with (folder / "Connections.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company",
                         "Position", "Connected On"])
        for name, url in people:
            first, last = name.split()
            writer.writerow([first, last, url, "", "Acme", "Analyst", "04 Jul 2023"])
    target = int(gib * 2**30)
    start = dt.datetime(2019, 1, 1)
    count = 0
    with (folder / "messages.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL",
                         "TO", "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER"])
        while handle.tell() < target:
            rows = []
            for _ in range(10000):
                index = rng.randrange(len(people))
                person = people[index]
                sender, to = (person, owner) if rng.random() < 0.5 else (owner, person)
                when = start + dt.timedelta(seconds=count * 53)
                rows.append([f"2-{index:08d}==", "", sender[0], sender[1], to[0], to[1],
                             when.strftime("%Y-%m-%d %H:%M:%S UTC"), "",
                             " ".join(rng.choices(words, k=rng.randint(20, 60))), "INBOX"])
                count += 1
            writer.writerows(rows)
    return count


def stage_read(export: Path) -> dict:
    from adviser_analytics.export import read_export

    with timed() as took:
        contents = read_export(export)
    return {**took, "messages": len(contents.messages)}


def stage_ingest(export: Path, workspace: Path) -> dict:
    from adviser_analytics.ingest import ingest
    from adviser_analytics.store import Workspace

    with timed() as took, Workspace.create(workspace) as ws:
        done = ingest(ws, [export])
    return {**took, "messages": done.totals.get("messages")}


STAGES = {"read": stage_read, "ingest": stage_ingest}


def _run_stage(name: str, *args: Path) -> dict:
    return run_stage("adviser_analytics.devtools.bench_memory", name, *args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--gib", type=float, default=1.0, help="size of messages.csv")
    parser.add_argument("--dir", default=str(BENCH_DIR))
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args(argv)
    if args.stage:
        return stage_main(STAGES, args.stage, [Path(a) for a in args.rest])
    folder = Path(args.dir) / f"memory-{args.gib:g}"
    export = folder / "export"
    if not (export / "messages.csv").is_file():
        print(f"Generating a {args.gib:g} GiB messages.csv into {export} (once) ...", flush=True)
        print(f"  {generate(export, args.gib)} messages")
    size = (export / "messages.csv").stat().st_size / 2**20
    read = _run_stage("read", export)
    workspace = folder / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    ingested = _run_stage("ingest", export, workspace)
    shutil.rmtree(workspace, ignore_errors=True)
    print(f"messages.csv: {size:.0f} MiB, {read['messages']} messages")
    print(f"read_export: {read['seconds']:.1f} s, peak memory {read['peak_mib']:.0f} MiB")
    print(f"ingest:      {ingested['seconds']:.1f} s, peak memory {ingested['peak_mib']:.0f} MiB "
          f"(target < {TARGET_MIB} MiB: {'met' if ingested['peak_mib'] < TARGET_MIB else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
