"""The built wheel works on its own: notebooks inside it, ``ingest`` and ``report`` from an
unrelated folder, with no source checkout on the path.

The wheel is built from this checkout and installed into a fresh virtual environment. The
dependencies are not downloaded again (minutes, and a network): the fresh environment sees
the site-packages of the environment running the tests through a ``.pth`` line, placed after
its own, and their data files (``share/jupyter``) through a link. That environment must not
hold adviser-analytics itself, which the test checks, so only the wheel can provide it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"


def _run(command: list, cwd: Path, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv with the wheel installed; its bin folder and a clean environment."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "ADVISER_ANALYTICS_WORKSPACE", "ADVISER_ANALYTICS_NOTEBOOK",
                        "PYTHONHOME", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT],
         cwd=base, env=env)
    wheel = next((base / "dist").glob("adviser_analytics-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"adviser_analytics/notebooks/{notebook.name}" in names
    assert not any(name.startswith("notebooks/") for name in names)

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    python = venv / "bin" / "python"
    own = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=base, env=env).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    # The dependencies of this test environment, without the project itself (``make test``
    # installs it in editable mode there): a folder of links to everything else.
    deps = base / "dependencies"
    deps.mkdir()
    for entry in ours.iterdir():
        if not entry.name.startswith(("adviser_analytics", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    (own / "zz_test_dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    # The dependencies' data files (nbconvert's HTML templates, kernel specs) as pip would
    # have installed them into the new environment.
    (venv / "share").mkdir(exist_ok=True)
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    # --no-index: the dependencies the wheel declares must already be there, nothing fetched.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "-q", wheel],
         cwd=base, env=env)
    where = _run([python, "-c", "import adviser_analytics; print(adviser_analytics.__file__)"],
                 cwd=base, env=env).stdout.strip()
    assert Path(where).is_relative_to(own), where
    return venv / "bin", env


@pytest.mark.slow
def test_the_installed_wheel_ingests_and_reports_from_another_folder(installed, tmp_path):
    bin_dir, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exports = [SAMPLES / "Complete_LinkedInDataExport_01-01-2026.zip",
               SAMPLES / "Complete_LinkedInDataExport_02-01-2026.zip"]
    command = bin_dir / "adviser-analytics"
    _run([command, "ingest", *exports, "--workspace", "ws"], cwd=elsewhere, env=env)
    assert (elsewhere / "ws").is_dir()
    _run([command, "report", "--from", "2026-01-01", "--to", "2026-01-31",
          "--workspace", "ws", "--out", "out"], cwd=elsewhere, env=env)
    pages = [p for p in (elsewhere / "out" / "self").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 1, sorted(p.name for p in (elsewhere / "out").rglob("*"))
    assert "January 2026" in pages[0].read_text(encoding="utf-8") or "2026-01" in pages[0].name


@pytest.mark.slow
def test_the_installed_package_finds_its_own_notebook(installed, tmp_path):
    bin_dir, env = installed
    done = _run([bin_dir / "python", "-c",
                 "from adviser_analytics.reports import notebook_path; print(notebook_path())"],
                cwd=tmp_path, env=env)
    path = Path(done.stdout.strip())
    assert path.name == "reflection_report.ipynb"
    assert path.parent.parent.name == "adviser_analytics" and "site-packages" in path.parts
