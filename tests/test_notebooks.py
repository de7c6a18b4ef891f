"""The notebooks: nbval on the sample workspace, their shape, and the plain papermill route.

nbval runs each notebook as it is (default parameters: ``../workspace/demo``) from a copy in
``<base>/notebooks/`` beside the session's sample workspace ``<base>/workspace/demo``, with
``--nbval-lax``: every cell must run, and the cells tagged ``nbval-check-output`` (the key
numbers) must reproduce the outputs stored in the notebook. Those outputs come from the demo
workspace: refresh them with ``python -m adviser_analytics.reports --refresh-notebooks
workspace/demo`` when the sample data or the metrics change.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import build_reports_workspace

from adviser_analytics.metrics import compute
from adviser_analytics.periods import Period
from adviser_analytics.store import Workspace

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REPORT = NOTEBOOKS / "reflection_report.ipynb"
EXPLORE = NOTEBOOKS / "explore.ipynb"
SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


@pytest.fixture(scope="session")
def notebook_copies(tmp_path_factory, request) -> Path:
    workspace = build_reports_workspace(tmp_path_factory, request)
    folder = workspace.parent.parent / "notebooks"
    for notebook in (REPORT, EXPLORE):
        shutil.copy(notebook, folder / notebook.name)
    return folder


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    env.pop("PYTEST_ADDOPTS", None)
    return env


@pytest.mark.slow
def test_nbval_on_the_sample_workspace(notebook_copies):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-sanitize-with", str(SANITIZE), "--nbval-kernel-name", "python3",
         "--rootdir", str(notebook_copies), "-o", "addopts=",
         str(notebook_copies / REPORT.name), str(notebook_copies / EXPLORE.name)],
        capture_output=True, text=True, cwd=notebook_copies, env=_env(), timeout=600)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout)


@pytest.mark.slow
def test_checked_outputs_are_the_metrics(notebook_copies):
    """The stored key numbers (what nbval compares) are the ``metrics`` of the default
    period of the sample workspace."""
    nb = nbformat.read(REPORT, as_version=4)
    params = _parameters(nb)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "key_numbers" in c.source)
    assert "nbval-check-output" in cell.metadata.get("tags", [])
    assert "NBVAL" not in cell.source  # a tag, not a comment anyone reading would see
    shown = dict(line.split(": ", 1)
                 for line in cell.outputs[0]["data"]["text/plain"].splitlines())
    workspace = notebook_copies / params["workspace"]
    with Workspace.open(workspace) as ws:
        m = compute(ws, Period.parse(params["period_from"], params["period_to"]))
    assert shown["Requests for help that started"] == str(m["load"]["requests"])
    assert shown["Answered (at any time since)"] == str(m["load"]["answered_requests"])
    assert shown["Decisions the policy speaks to"] == str(m["policy"]["decisions"])


def _parameters(nb) -> dict:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign), "the parameters cell only assigns values"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


@pytest.mark.parametrize("path", [REPORT, EXPLORE], ids=lambda p: p.name)
def test_each_code_cell_is_one_call_into_the_package(path):
    nb = nbformat.read(path, as_version=4)
    params = _parameters(nb)
    if path == REPORT:
        assert set(params) == {"workspace", "period_from", "period_to", "audience", "kind"}
        assert params["audience"] in ("self", "supervision")
        assert params["kind"] == "period"  # the report command passes "term" for a term
    # explore finds the workspace as the command line does (adviser-analytics lab tells it)
    assert params["workspace"] == ("../workspace/demo" if path == REPORT else "")
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code"
               and "nbval-check-output" not in c.metadata.get("tags", [])), "no stray outputs"
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        body = ast.parse(cell.source).body
        assert len(body) == 1, cell.source
        node = body[0]
        if isinstance(node, ast.ImportFrom):
            assert node.module == "adviser_analytics"
            continue
        value = node.value if isinstance(node, ast.Assign | ast.Expr) else None
        assert isinstance(value, ast.Call), cell.source
        assert not any(isinstance(n, ast.Call) for n in ast.walk(value) if n is not value), \
            f"one call per cell: {cell.source}"


def test_the_report_walks_a_reflective_cycle():
    nb = nbformat.read(REPORT, as_version=4)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    stages = ["Description", "Feelings", "Evaluation", "Analysis", "Worth discussing",
              "Conclusion", "Action plan"]
    found = [next((i for i, h in enumerate(headings) if s in h), None) for s in stages]
    assert None not in found and found == sorted(found), headings
    for stage in ("Feelings", "Conclusion", "Action plan"):
        i = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                 and c.source and stage in c.source.splitlines()[0])
        following = nb.cells[i + 1]
        name = stage.lower().replace(" ", "_")
        assert following.cell_type == "markdown" and \
            following.metadata.get("adviser_analytics", {}).get("writing") == name, \
            f"a writing cell (nothing but instructions) for the adviser's {stage.lower()}"
    words = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for value in ("genuine", "person-centred", "experience", "connector"):
        assert value in words
    for league in ("ranking", "score", "top performer", "kpi", "grade"):
        assert league not in words


@pytest.mark.slow
def test_plain_papermill_and_nbconvert(notebook_copies, tmp_path):
    """The documented route without ``report``: papermill CLI, then nbconvert --no-input."""
    bindir = Path(sys.executable).parent
    papermill = str(bindir / "papermill") if (bindir / "papermill").exists() else "papermill"
    jupyter = str(bindir / "jupyter") if (bindir / "jupyter").exists() else "jupyter"
    workspace = notebook_copies.parent / "workspace" / "demo"
    out = tmp_path / "out.ipynb"
    done = subprocess.run(
        [papermill, str(REPORT), str(out), "-p", "workspace", str(workspace),
         "-p", "period_from", "2026-01-01", "-p", "period_to", "2026-01-31",
         "-p", "audience", "supervision", "--cwd", str(NOTEBOOKS)],
        capture_output=True, text=True, env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run([jupyter, "nbconvert", "--to", "html", "--no-input", str(out)],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "Supervision version" in page and "January 2026" in page
    assert str(workspace) not in page
    executed = json.loads(out.read_text(encoding="utf-8"))
    assert executed["metadata"]["papermill"]["parameters"]["audience"] == "supervision"
