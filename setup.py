"""The one build step pyproject.toml cannot express: ship the notebooks inside the package.

``notebooks/`` (top level, opened in JupyterLab) is the only copy anyone edits; building a
wheel copies its notebooks into ``adviser_analytics/notebooks/`` of the build, where
:mod:`adviser_analytics.resources` finds them with ``importlib.resources``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithNotebooks(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads notebooks/ where it is
            return
        target = Path(self.build_lib) / "adviser_analytics" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
        if not any(source.name == "reflection_report.ipynb" for source in sources):
            raise SystemExit("notebooks/reflection_report.ipynb is missing: the package needs it")
        for source in sources:
            self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildWithNotebooks})
