"""``adviser-analytics lab``: one JupyterLab for the notebooks and the reports.

The lab's root is a folder ``lab/`` **inside the workspace** (private, owner-only, never in
git), holding:

- copies of the interactive notebooks (``triage.ipynb``, ``explore.ipynb``). Copies, not
  links: what JupyterLab saves in them (outputs with clients' names) stays in the private
  workspace, never in the project's ``notebooks/`` folder or an installed package. A copy the
  adviser has edited (its cells' text differs from what ``lab`` last put there) is never
  replaced; an unedited copy is brought up to date;
- ``reports``: a link to the folder the reports are written to (``--reports``, default
  ``./reports``, where ``adviser-analytics report`` writes unless told otherwise; ``make demo``
  writes into ``reports/demo``, reached as ``reports/demo``).

JupyterLab is started with ``ADVISER_ANALYTICS_WORKSPACE`` set to the workspace, so the server
and every kernel it starts (they inherit its environment) find the workspace without a path
being edited. :func:`find_workspace` is how a notebook finds it, the way the command line does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from adviser_analytics.errors import AdviserAnalyticsError, WorkspaceError
from adviser_analytics.store import DB_NAME, ENV_VAR, Workspace, default_path

__all__ = ["LAB_FOLDER", "LAB_NOTEBOOKS", "LabFolder",
           "find_workspace", "jupyter_command", "lab_environment", "notebooks_folder",
           "prepare_lab", "run_lab"]

LAB_FOLDER = "lab"
LAB_NOTEBOOKS = ("triage.ipynb", "explore.ipynb")
REPORTS_LINK = "reports"
_RECORD = ".copied.json"   # what lab last copied: notebook -> digest of its cells' text


# ---------------------------------------------------------------------- finding the workspace
def _candidates(given: str | Path | None) -> list[Path]:
    if given:
        path = Path(given).expanduser()
        return [path] if path.is_absolute() else [path, Path("..") / path]
    if os.environ.get(ENV_VAR):
        return [default_path()]
    # ./workspace as the command line; from the project's notebooks/ folder, ../workspace;
    # the sample workspace of `make demo`; a lab/ folder inside a workspace: its parent.
    return [Path("workspace"), Path("..") / "workspace", Path("workspace") / "demo",
            Path("..") / "workspace" / "demo", Path("..")]


def find_workspace(given: str | Path | None = None) -> tuple[Path | None, str]:
    """The workspace folder a notebook should use, found as the command line finds it:
    ``given`` if any (relative paths also from the parent folder), else
    ``$ADVISER_ANALYTICS_WORKSPACE``, else ``./workspace`` (with the places a notebook runs
    from: ``notebooks/`` beside it, the demo workspace, a ``lab/`` folder inside one).
    Returns the folder, or ``None`` and what to do, in words."""
    candidates = _candidates(given)
    for candidate in candidates:
        if (candidate / DB_NAME).is_file():
            return candidate.resolve(), f"Workspace: {candidate.resolve()}"
    looked = ", ".join(str(c.resolve()) for c in candidates)
    if given:
        how = f"Check the folder name given ({given})."
    elif os.environ.get(ENV_VAR):
        how = (f"JupyterLab was told to use {default_path()} ({ENV_VAR}), but there is no "
               "workspace there.")
    else:
        how = ("Start JupyterLab with 'adviser-analytics lab' (add --workspace FOLDER if your "
               f"workspace is elsewhere): it tells every notebook where the workspace is. Or set "
               f"{ENV_VAR} to your workspace folder before starting JupyterLab.")
    return None, (f"There is no workspace here (looked in: {looked}). {how} No workspace yet? "
                  "Ingest your LinkedIn export first ('adviser-analytics ingest EXPORT.zip', then "
                  "'adviser-analytics labels suggest'), then run this notebook again.")


class WorkspaceNotFound(Exception):
    """Raised by :func:`notebook_workspace` after it has shown its message: stops "Run all"
    without a traceback (IPython calls ``_render_traceback_``)."""

    def _render_traceback_(self):
        return []


def notebook_workspace(given: str | Path | None = None) -> Path:
    """For a notebook cell: the workspace folder; if there is none, the message in words is
    shown as the cell's output and the notebook stops there (no traceback)."""
    path, message = find_workspace(given)
    if path is not None:
        return path
    from IPython.display import HTML, display

    from adviser_analytics.textsafety import html_text

    display(HTML(f"<p><b>{html_text(message)}</b></p>"))
    raise WorkspaceNotFound(message)


# ---------------------------------------------------------------------- the lab folder
def notebooks_folder() -> Path:
    """The shipped notebooks: the package's copy when installed, else the source tree's."""
    try:
        packaged = Path(str(resources.files("adviser_analytics") / "notebooks"))
        if (packaged / LAB_NOTEBOOKS[0]).is_file():
            return packaged
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        pass
    return Path(__file__).resolve().parent.parent / "notebooks"


def _cells_digest(path: Path) -> str | None:
    """A digest of the notebook's cells' text (outputs and counts left out), or None."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [(c.get("cell_type"), "".join(c.get("source", ""))) for c in nb.get("cells", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return hashlib.sha256(json.dumps(cells).encode("utf-8")).hexdigest()


@dataclass
class LabFolder:
    root: Path
    workspace: Path
    reports: Path
    notes: list[str] = field(default_factory=list)


def prepare_lab(workspace: Path, reports: Path | None = None) -> LabFolder:
    """Make (or bring up to date) ``WORKSPACE/lab``: the notebooks copied, the reports linked.
    Nothing the adviser edited is replaced."""
    workspace = Path(workspace).resolve()
    reports = Path(reports if reports is not None else "reports").resolve()
    root = workspace / LAB_FOLDER
    lab = LabFolder(root=root, workspace=workspace, reports=reports)
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        reports.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise WorkspaceError(f"cannot make the folder {error.filename} ({error.strerror})",
                             what_to_do="check that you can write to the workspace folder "
                                        "and the reports folder") from None
    record_file = root / _RECORD
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    source = notebooks_folder()
    for name in LAB_NOTEBOOKS:
        shipped = source / name
        if not shipped.is_file():
            continue
        target = root / name
        new = _cells_digest(shipped)
        if target.exists():
            have = _cells_digest(target)
            if have == new:
                continue  # up to date (its outputs are kept)
            if have != record.get(name):  # the adviser changed it: keep it
                if new == record.get(name):
                    continue  # and nothing newer ships: nothing to say
                lab.notes.append(f"{name} in {root} has your changes: it is kept as it is "
                                 f"(the current version is {shipped}).")
                continue
        shutil.copyfile(shipped, target)
        os.chmod(target, 0o600)
        record[name] = new
    record_file.write_text(json.dumps(record, indent=1), encoding="utf-8")
    link = root / REPORTS_LINK
    if link.is_symlink():
        if Path(os.readlink(link)) != reports:
            link.unlink()
    elif link.exists():
        lab.notes.append(f"{link} is a folder of yours, not a link to the reports: it is left "
                         f"alone; the reports are in {reports}.")
    if not link.exists() and not link.is_symlink():
        try:
            link.symlink_to(reports, target_is_directory=True)
        except OSError:
            lab.notes.append(f"The reports could not be linked into the lab; they are in {reports}.")
    return lab


def lab_environment(workspace: Path, base: dict | None = None) -> dict:
    """The environment for JupyterLab and its kernels: the workspace named in it."""
    env = dict(os.environ if base is None else base)
    env[ENV_VAR] = str(Path(workspace).resolve())
    return env


def jupyter_command(root: Path, jupyter_args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """``jupyter lab`` rooted at ``root``; the adviser's arguments come last and win."""
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
            *jupyter_args]


def run_lab(workspace: str | Path | None, jupyter_args: list[str] | tuple[str, ...] = (),
            reports: str | Path | None = None, say=print) -> int:
    """Prepare the lab folder and run JupyterLab there until it stops; its exit code."""
    path = Path(workspace) if workspace else default_path()
    Workspace.open(path).close()  # the words of WorkspaceError if there is none / it is foreign
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        raise AdviserAnalyticsError(
            "JupyterLab is not installed in this environment",
            what_to_do="install adviser-analytics with its dependencies (make demo does), or "
                       "pip install jupyterlab ipywidgets") from None
    lab = prepare_lab(path, Path(reports) if reports else None)
    for note in lab.notes:
        say(note)
    say(f"JupyterLab opens in {lab.root}: triage.ipynb and explore.ipynb, and your reports "
        f"under reports/ ({lab.reports}). Every notebook uses the workspace {lab.workspace}. "
        "Stop JupyterLab with Ctrl+C.")
    process = subprocess.Popen(jupyter_command(lab.root, jupyter_args),
                               env=lab_environment(lab.workspace))
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # JupyterLab got the same Ctrl+C: it asks, then stops its kernels and exits.
            # Killing it here would leave its kernels running.
            continue


# ---------------------------------------------------------------------- command line
