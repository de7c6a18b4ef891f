"""``adviser-analytics lab`` without a browser: the lab folder, finding the workspace, errors.

The browser half (JupyterLab driven by Chromium) is ``test_lab_browser.py``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from adviser_analytics import lab
from adviser_analytics.store import ENV_VAR, Workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path) -> Path:
    Workspace.create(tmp_path / "ws").close()
    return tmp_path / "ws"


def _cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells]


def test_the_lab_folder_holds_the_notebooks_and_links_the_reports(workspace, tmp_path):
    reports = tmp_path / "reports"
    folder = lab.prepare_lab(workspace, reports)
    assert folder.root == workspace.resolve() / "lab"
    for name in ("triage.ipynb", "explore.ipynb"):
        copy = folder.root / name
        assert _cells(copy) == _cells(ROOT / "notebooks" / name)
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # clients' names may be saved in it
    assert (folder.root / "reports").resolve() == reports.resolve() and reports.is_dir()
    (reports / "self").mkdir()
    (reports / "self" / "2026-03.html").write_text("report", encoding="utf-8")
    assert (folder.root / "reports" / "self" / "2026-03.html").read_text() == "report"
    assert stat.S_IMODE(folder.root.stat().st_mode) == 0o700
    assert folder.notes == []


def test_what_the_adviser_changed_in_a_copy_is_never_replaced(workspace, tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in lab.LAB_NOTEBOOKS:
        (shipped / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    monkeypatch.setattr(lab, "notebooks_folder", lambda: shipped)
    root = lab.prepare_lab(workspace, tmp_path / "reports").root
    # triage: the adviser ran it (outputs saved): still the shipped cells -> may be updated
    nb = nbformat.read(root / "triage.ipynb", as_version=4)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="13 items to review")]
    nbformat.write(nb, root / "triage.ipynb")
    # explore: the adviser wrote in it
    nb = nbformat.read(root / "explore.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My own notes on March"))
    nbformat.write(nb, root / "explore.ipynb")
    again = lab.prepare_lab(workspace, tmp_path / "reports")  # nothing shipped changed
    assert again.notes == []
    assert nbformat.read(root / "triage.ipynb", as_version=4).cells[-1].outputs  # outputs kept
    assert _cells(root / "explore.ipynb")[-1] == "My own notes on March"
    # a new version ships: the unedited triage copy follows it, the edited explore is kept
    for name in lab.LAB_NOTEBOOKS:
        nb = nbformat.read(shipped / name, as_version=4)
        nb.cells[0].source += "\n\nA new sentence."
        nbformat.write(nb, shipped / name)
    newer = lab.prepare_lab(workspace, tmp_path / "reports")
    assert _cells(root / "triage.ipynb")[0].endswith("A new sentence.")
    assert _cells(root / "explore.ipynb")[-1] == "My own notes on March"
    assert len(newer.notes) == 1 and "explore.ipynb" in newer.notes[0]
    assert "kept as it is" in newer.notes[0]


def test_notebooks_find_the_workspace_as_the_command_line_does(workspace, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert lab.find_workspace("ws")[0] == workspace.resolve()
    assert lab.find_workspace("")[0] is None  # no ./workspace here
    monkeypatch.setenv(ENV_VAR, str(workspace))  # what `lab` gives the server and kernels
    assert lab.find_workspace("")[0] == workspace.resolve()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    path, message = lab.find_workspace(None)
    assert path is None and ENV_VAR in message and "nowhere" in message
    monkeypatch.delenv(ENV_VAR)
    root = lab.prepare_lab(workspace, tmp_path / "reports").root
    monkeypatch.chdir(root)  # a lab folder opened by plain `jupyter lab`: its parent
    assert lab.find_workspace("")[0] == workspace.resolve()
    path, message = lab.find_workspace("elsewhere")
    assert path is None and "Check the folder name given (elsewhere)" in message


def test_the_server_and_its_kernels_are_told_the_workspace(workspace, tmp_path):
    env = lab.lab_environment(workspace, base={"PATH": "/bin", ENV_VAR: "/old"})
    assert env == {"PATH": "/bin", ENV_VAR: str(workspace.resolve())}
    command = lab.jupyter_command(tmp_path / "root", ["--no-browser", "--port=9999"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert command[3] == f"--ServerApp.root_dir={tmp_path / 'root'}"
    assert command[4:] == ["--no-browser", "--port=9999"]  # as given, after ours


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(ENV_VAR, None)
    return subprocess.run([sys.executable, "-m", "adviser_analytics", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)


def test_lab_without_a_workspace_says_what_to_do_and_changes_nothing(tmp_path):
    done = _cli("lab", "--workspace", str(tmp_path / "none"), "--", "--no-browser", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "there is no workspace at" in done.stderr and "ingest" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder made, no reports/


def test_lab_with_an_unknown_jupyter_option_before_the_double_dash_is_a_usage_error(tmp_path):
    done = _cli("lab", "--no-browser", cwd=tmp_path)
    assert done.returncode == 2 and "unrecognized arguments: --no-browser" in done.stderr


def test_the_shipped_notebooks_are_found():
    folder = lab.notebooks_folder()
    assert all((folder / name).is_file() for name in lab.LAB_NOTEBOOKS)
    assert json.loads((folder / "triage.ipynb").read_text(encoding="utf-8"))["cells"]
