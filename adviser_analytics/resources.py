"""Files that ship with the package: the notebooks.

``notebooks/`` at the top of the project is the one copy anyone edits (advisers open it in
JupyterLab). Building a wheel copies it into the package as ``adviser_analytics/notebooks/``
(the ``build_py`` step in ``setup.py``), so an installed package carries its notebooks;
in a source checkout there is no such copy and the project's folder is used.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The canonical notebooks folder of a source checkout.
SOURCE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_file(name: str) -> Path:
    """The path of a shipped notebook: the package's copy when installed, else the source
    tree's ``notebooks/NAME``. The path may not exist (the caller says what to do then)."""
    packaged = resources.files("adviser_analytics").joinpath("notebooks", name)
    if packaged.is_file():
        # An installed package is a folder on disk (wheels are unpacked), so this is a path.
        return Path(str(packaged))
    return SOURCE_NOTEBOOKS / name
