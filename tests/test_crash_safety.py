"""An ingest killed with SIGKILL part-way leaves a consistent workspace; the next one completes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adviser_analytics import samples
from adviser_analytics.store import DB_NAME, Workspace


@pytest.fixture(scope="module")
def medium_export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("medium")
    truth = samples.write_maximal(folder / "export", connections=4000, messages=60000,
                                  invitations=500, seed=11)
    return Path(truth.path)


def _ingest_process(workspace: Path, export: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "adviser_analytics", "ingest", "--workspace", str(workspace),
         "--json", str(export)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _counts(workspace: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(workspace / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return tuple(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                     for t in ("snapshots", "connections", "messages", "invitations"))


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_nothing_half_written(medium_export, tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run(
        [sys.executable, "-m", "adviser_analytics", "ingest", "--workspace", str(reference),
         str(medium_export)], capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    complete = _counts(reference)
    assert complete[0] == 1 and complete[2] > 0

    with Workspace.create(tmp_path / "ws"):
        pass
    killed_mid_way = 0
    for delay in (0.5, 1.0, 1.6, 2.4):
        workspace = tmp_path / f"ws-{delay}"
        with Workspace.create(workspace):
            pass
        process = _ingest_process(workspace, medium_export)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_mid_way += 1
        process.wait()
        after_kill = _counts(workspace)
        assert after_kill in {(0, 0, 0, 0), complete}, f"half-written workspace after {delay} s"
        rerun = subprocess.run(
            [sys.executable, "-m", "adviser_analytics", "ingest", "--workspace", str(workspace),
             str(medium_export)], capture_output=True, text=True,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert _counts(workspace) == complete
    assert killed_mid_way >= 1, "the ingest finished before any kill: use a larger export"
