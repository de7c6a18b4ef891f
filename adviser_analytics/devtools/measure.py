"""How the benchmarks measure: seconds of a step, and a step's peak memory in a process of its
own (``ru_maxrss`` is a high-water mark for the whole process, so one process per step).

A benchmark module lists its steps in a ``STAGES`` dict and calls :func:`stage_main` when run
with ``--stage NAME ARGS``; :func:`run_stage` runs such a step in a child process and returns
its figures, ``peak_mib`` included.
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def timed() -> Iterator[dict]:
    """``with timed() as took: ...``; afterwards ``took["seconds"]`` is the wall-clock time."""
    took: dict = {}
    start = time.perf_counter()
    try:
        yield took
    finally:
        took["seconds"] = time.perf_counter() - start


def peak_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_main(stages: dict[str, Callable[..., dict]], name: str, args: list) -> int:
    """Run one step in this process and print its figures, with its peak memory, as the last
    line of JSON (what :func:`run_stage` reads)."""
    result = stages[name](*args)
    result["peak_mib"] = peak_mib()
    print(json.dumps(result, default=str))
    return 0


def run_stage(module: str, name: str, *args: object) -> dict:
    """``python -m MODULE --stage NAME ARGS`` in a child process; its figures."""
    done = subprocess.run([sys.executable, "-m", module, "--stage", name, *map(str, args)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench stage {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
