"""Shared fixtures: exports made by the package's own generator, and workspaces built from them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from adviser_analytics import samples
from adviser_analytics.ingest import ingest
from adviser_analytics.store import Workspace

ROOT = Path(__file__).resolve().parent.parent
DATA_SAMPLES = ROOT / "data_samples"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def sample_series(tmp_path_factory) -> tuple[Path, samples.SeriesTruth]:
    """The generator's sample series, freshly written (the same seed as data_samples/)."""
    folder = tmp_path_factory.mktemp("series")
    truth = samples.write_series(folder)
    return folder, truth


@pytest.fixture(scope="session")
def sample_exports(sample_series) -> list[Path]:
    from adviser_analytics.demo import sample_exports as find

    return find(sample_series[0])


@pytest.fixture(scope="session")
def sample_workspace_template(tmp_path_factory, sample_series, sample_exports) -> Path:
    """A workspace holding the whole sample series and its policy (built once; copy to change)."""
    folder = tmp_path_factory.mktemp("ws-template") / "workspace"
    with Workspace.create(folder) as ws:
        ingest(ws, sample_exports)
        ws.set_policy_text((sample_series[0] / "policy.yaml").read_text(encoding="utf-8"))
    return folder


@pytest.fixture
def sample_workspace(sample_workspace_template, tmp_path) -> Path:
    """A private copy of the sample workspace that a test may change."""
    folder = tmp_path / "workspace"
    shutil.copytree(sample_workspace_template, folder)
    return folder


@pytest.fixture(scope="session")
def labelled_workspace(sample_workspace_template, tmp_path_factory) -> Path:
    """The sample workspace after ``labels suggest`` (built once; reports read it, adding
    only pseudonym codes)."""
    from adviser_analytics import labels

    folder = tmp_path_factory.mktemp("labelled") / "workspace"
    shutil.copytree(sample_workspace_template, folder)
    with Workspace.open(folder) as ws:
        labels.suggest(ws)
    return folder


def load_truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))
