"""Files that ship with the package: the notebooks and the templates.

``notebooks/`` at the top of the project is the one copy anyone edits (advisers open it in
JupyterLab). Building a wheel copies it into the package as ``adviser_analytics/notebooks/``
(the ``build_py`` step in ``setup.py``), so an installed package carries its notebooks;
in a source checkout there is no such copy and the project's folder is used.

The templates (``templates/`` and ``reflection/templates/``) are read through
:func:`template_environment`, the one place that sets up Jinja2: HTML templates are escaped,
text templates are not, and an adviser's own copy in the workspace wins over the package's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

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


#: The package's templates (advice, handover, journal, the index of reports).
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The templates of the report sections (``reflection/render.py``).
REFLECTION_TEMPLATES = Path(__file__).resolve().parent / "reflection" / "templates"
#: The folder inside a workspace where the adviser keeps edited copies of templates.
WORKSPACE_TEMPLATES = "templates"

_HTML_SUFFIXES = (".html", ".htm", ".xml")


def is_html_template(name: str | None) -> bool:
    """Whether a template writes HTML (and so escapes what it prints): ``x.html``,
    ``x.html.j2``; a template made from a string in the code (no name) is HTML too."""
    if name is None:
        return True
    return name.removesuffix(".j2").lower().endswith(_HTML_SUFFIXES)


def template_environment(*folders: Path, workspace: Path | None = None,
                         **options) -> jinja2.Environment:
    """The Jinja2 environment for templates in ``folders`` (default: the package's
    ``templates/``), with the adviser's copies in ``WORKSPACE/templates`` first when
    ``workspace`` is given. HTML templates are escaped (:func:`is_html_template`);
    ``options`` go to :class:`jinja2.Environment` (e.g. ``undefined``, ``trim_blocks``)."""
    import jinja2

    search = [Path(workspace) / WORKSPACE_TEMPLATES] if workspace is not None else []
    search += list(folders) or [PACKAGE_TEMPLATES]
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in search]),
                              autoescape=is_html_template, **options)
