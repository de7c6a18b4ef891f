"""``report``: the reflection notebook run for many periods, exported to HTML, with an index.

For each period of ``periods.split(start, end, every)`` the notebook
``notebooks/reflection_report.ipynb`` is executed with papermill (in-process, one fresh kernel
per period; ``jobs`` worker processes in parallel) and exported with nbconvert's
``HTMLExporter`` (in-process; no code, no prompts, images embedded, nothing fetched from the
network). The layout under ``out`` (default ``./reports``)::

    reports/index.html                     every report of both audiences (for you)
    reports/<audience>/index.html          that audience's reports
    reports/<audience>/<period-label>.html one report per period
    reports/self/<period-label>.ipynb      the executed notebook (self only), to write into
    reports/<audience>/manifest.json       what the indexes list (headline figures)
    reports/<audience>/run-log.jsonl       one JSON line per run

Safety:

- Every file is written to a temporary file in its folder, then ``os.replace``-d: a reader
  never sees half a report, and a period that fails keeps its previous report.
- A period whose kernel dies or fails to start is retried once (kernels talk over IPC
  sockets in a private folder on POSIX, so parallel kernels cannot clash over TCP ports).
- Supervision: the injected-parameters cell and every code cell's source are stripped,
  and everything written for the audience (reports, manifest, index, log) is checked with
  :func:`privacy.check_artefacts` against every name, slug, e-mail, company, conversation id
  and message snippet of the workspace, and its path (single-word names only where data are
  rendered; the policy's ``public_terms`` allowed). A hit withholds the artefact: it is not
  written, the previous report and index stay, and the command exits 1 saying what kind of
  data was found where (never any part of it). The tool never deletes a file: a notes file
  left in ``reports/supervision`` is not touched.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import datetime as dt
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, privacy, writing
from .errors import AdviserAnalyticsError, PrivacyError, ReportError
from .files import append_line as _append_line
from .files import private_folder, write_atomic
from .periods import Period, cut_short, split
from .resources import template_environment

__all__ = [
    "NOTEBOOK", "NOTEBOOK_ENV", "AUDIENCES", "PeriodResult", "ReportRun", "run_reports",
    "load_terms", "notebook_to_html", "execute_period", "write_atomic", "leak_index",
    "build_index",
]

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = PACKAGE_ROOT / "notebooks" / "reflection_report.ipynb"
NOTEBOOK_ENV = "ADVISER_ANALYTICS_NOTEBOOK"
AUDIENCES = ("self", "supervision")
KERNEL_NAME = "python3"
START_TIMEOUT = 60
EXECUTION_TIMEOUT = 600
TERMS_FILE = "terms.yaml"



# ------------------------------------------------------------------------------------------
# configuration


def notebook_path() -> Path:
    """The reflection notebook: ``$ADVISER_ANALYTICS_NOTEBOOK`` (your own adapted copy), else
    the one shipped with the package (the project's ``notebooks/reflection_report.ipynb`` in a
    source checkout; see :mod:`adviser_analytics.resources`)."""
    from .resources import notebook_file

    override = os.environ.get(NOTEBOOK_ENV)
    path = Path(override) if override else notebook_file("reflection_report.ipynb")
    if not path.is_file():
        raise ReportError(
            f"the reflection notebook is not at {path}",
            what_to_do=(f"unset {NOTEBOOK_ENV} or point it at a copy of "
                        "notebooks/reflection_report.ipynb" if override else
                        "reinstall adviser-analytics (pip install --force-reinstall "
                        "adviser-analytics), or run it from its project folder"))
    return path


def load_terms(workspace: Path, cwd: Path | None = None) -> list[tuple[str, str, str]] | None:
    """Term dates for ``--every term``: ``terms.yaml`` in the workspace, else in the current
    folder; None (the UK academic default of :mod:`periods`) when there is neither.

    The file holds a list (optionally under a ``terms:`` key) of ``{name, start, end}``
    mappings or ``[name, start, end]`` triples; dates are ``MM-DD`` (every year) or
    ``YYYY-MM-DD`` (one-off)."""
    import yaml

    for folder in (Path(workspace), Path(cwd) if cwd else Path.cwd()):
        file = folder / TERMS_FILE
        if not file.is_file():
            continue
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise AdviserAnalyticsError(
                f"cannot read the term dates ({error})", file=str(file),
                what_to_do="write terms as a YAML list of {name, start, end} (see docs/reports.md)",
            ) from None
        if isinstance(data, dict):
            data = data.get("terms")
        if not isinstance(data, list) or not data:
            raise AdviserAnalyticsError(
                "no list of terms found", file=str(file),
                what_to_do="write terms: followed by a list of {name, start, end} entries")
        terms = []
        for number, item in enumerate(data, start=1):
            if isinstance(item, dict) and {"name", "start", "end"} <= set(item):
                terms.append((str(item["name"]), _term_date(item["start"]),
                              _term_date(item["end"])))
            elif isinstance(item, list | tuple) and len(item) == 3:
                terms.append((str(item[0]), _term_date(item[1]), _term_date(item[2])))
            else:
                raise AdviserAnalyticsError(
                    f"term {number} is not a name with a start and an end", file=str(file),
                    what_to_do="write each term as {name: Autumn, start: 09-22, end: 12-12}")
        try:
            split("2000-01-01", "2000-01-02", "term", terms=terms)
        except ValueError as error:
            raise AdviserAnalyticsError(str(error), file=str(file),
                                        what_to_do="correct the term dates") from None
        return terms
    return None


def _term_date(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def versions() -> dict[str, str]:
    """Versions of the software that made a report (for the run log)."""
    out = {"adviser_analytics": __version__, "python": platform.python_version()}
    for name in ("papermill", "nbconvert", "nbclient", "nbformat", "ipykernel", "jupyter_client",
                 "pandas", "numpy", "scipy", "matplotlib"):
        try:
            from importlib.metadata import version

            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing distribution is simply not listed
            pass
    return out


# ------------------------------------------------------------------------------------------
# HTML export (in-process nbconvert)

_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="adviser-analytics">
<style type="text/css">
.aa-table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.95em; }
.aa-table th, .aa-table td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; }
.aa-table caption { caption-side: top; text-align: left; color: #444; padding-bottom: 0.3em; }
.aa-note { color: #444; font-size: 0.95em; }
.aa-warning { color: #8a4b00; }
.aa-small { color: #666; font-size: 0.85em; }
.aa-figure { margin: 0.5em 0 1em 0; }
.aa-figure figcaption { color: #555; font-size: 0.9em; }
.aa-prompts li { margin-bottom: 0.4em; }
.aa-plan { white-space: pre-wrap; border-left: 3px solid #bbb; margin: 0.3em 0 0.6em 0; padding: 0.1em 0 0.1em 0.8em; }
.aa-term-month { margin-bottom: 1em; }
</style>
{% endblock extra_css %}
"""

_EXPORTER = None


def _exporter():
    global _EXPORTER
    if _EXPORTER is None:
        import jinja2
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="lab")
        exporter.extra_loaders = [jinja2.DictLoader({"aa_report.html.j2": _TEMPLATE})]
        exporter.template_file = "aa_report.html.j2"
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.embed_images = True
        exporter.exclude_anchor_links = True
        _EXPORTER = exporter
    return _EXPORTER


def clean_notebook(nb, audience: str, title: str):
    """A copy of an executed notebook fit to export: no parameters cells (papermill's
    injected one carries the workspace path), no cells tagged ``notebook-only`` (how to run
    the notebook), no instructions for the writing cells, no code (sources blanked), no code
    cells without output, no stderr, no error outputs, no papermill or widget metadata."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters", "notebook-only"}:
            continue
        if writing.is_writing_cell(cell):
            mark = cell.metadata.get(writing.KEY, {})
            if not (mark.get("written") or mark.get("added")):
                continue  # a writing cell nobody wrote in: its instructions are for JupyterLab
            if audience != "self" and not writing.is_shared(cell):
                continue  # writing the adviser did not mark to share
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.source = ""
            cell.outputs = [o for o in cell.outputs
                            if o.get("output_type") in ("display_data", "execute_result")
                            or (o.get("output_type") == "stream" and o.get("name") == "stdout"
                                and audience == "self")]
            if audience == "supervision":
                for output in cell.outputs:
                    _without_pictures(output)
            if not cell.outputs:
                continue
        elif cell.cell_type == "raw":
            continue
        elif writing.INSTRUCTIONS in cell.source:
            # how to write in JupyterLab: a document has no cell to click
            cell.source = cell.source.replace(writing.INSTRUCTIONS, "").rstrip()
        cells.append(cell)
    nb.cells = cells
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    nb.metadata["title"] = title
    return nb


#: nbval's markers: comments in a cell's source or tags in its metadata (nbval reads both)
_NBVAL_COMMENT = re.compile(r"^[ \t]*#[ \t]*(NBVAL_\w+|PYTEST_VALIDATE_IGNORE_OUTPUT)[ \t]*\n?",
                            re.MULTILINE)
CHECK_TAG = "nbval-check-output"


def document_notebook(nb):
    """A copy of an executed report notebook that reads like a document in JupyterLab: every
    code cell's source hidden with JupyterLab's own cell metadata (``"jupyter":
    {"source_hidden": true}``: the input collapses, the output stays; a click on the bar
    beside it shows the code again; the source starts with an empty line, since the collapsed
    input previews the first one), no test markers (nbval's ``# NBVAL_...`` comments and
    ``nbval-...`` tags), no cells tagged ``notebook-only`` (how to run the notebook for
    another period: the ``report`` command does that), and the default parameters cell left
    out when papermill's injected one (the values used) is there. Markdown cells are left as they are
    (the adviser writes in them)."""
    nb = copy.deepcopy(nb)
    injected = any("injected-parameters" in c.get("metadata", {}).get("tags", [])
                   for c in nb.cells)
    cells = []
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        if "notebook-only" in tags or ("parameters" in tags and injected):
            continue  # (papermill's injected cell holds the values that were used)
        kept = [t for t in tags if not t.startswith("nbval-")]
        if kept != tags:
            cell.metadata["tags"] = kept
            if not kept:
                del cell.metadata["tags"]
        if cell.cell_type == "code":
            # JupyterLab's collapsed input shows the source's first line as a preview: an
            # empty first line leaves only the expander bar
            cell.source = "\n" + _NBVAL_COMMENT.sub("", cell.source).lstrip("\n")
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        cells.append(cell)
    nb.cells = cells
    return nb


PICTURE_LEFT_OUT = ("A picture was left out of the supervision version: the text drawn in it "
                    "cannot be checked for names. Figures drawn with the report's own figure "
                    "block (adviser_analytics.reflection.render.FigureBlock) keep their text "
                    "where the check reads it.")
_PICTURES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp",
             "application/pdf")


def _without_pictures(output) -> None:
    """A supervision output without pictures made outside the report's figure block (their
    drawn text, or glyph outlines in an SVG, cannot be checked); a note says so."""
    data = output.get("data") or {}
    if any(kind in data for kind in _PICTURES):
        for kind in [k for k in data if k in _PICTURES or k == "text/plain"]:
            del data[kind]
        if "text/html" not in data:
            data["text/plain"] = PICTURE_LEFT_OUT


def notebook_to_html(nb, audience: str, title: str) -> str:
    """The report's HTML: no code, no prompts, images embedded, nothing fetched."""
    clean = clean_notebook(nb, audience, title)
    body, _resources = _exporter().from_notebook_node(
        clean, resources={"metadata": {"name": title}})
    return body


# ------------------------------------------------------------------------------------------
# running one period (in a worker process)


@dataclass
class PeriodResult:
    label: str
    start: str
    end: str
    status: str = "pending"      # written | skipped | failed | withheld
    seconds: float = 0.0
    attempts: int = 0
    error: str | None = None
    html_file: str | None = None
    headline: dict = field(default_factory=dict)

    def to_log(self, supervision: bool) -> dict:
        out = {"period": self.label, "from": self.start, "to": self.end, "status": self.status,
               "seconds": round(self.seconds, 3), "attempts": self.attempts}
        if self.error:
            out["error"] = _error_kind(self.error) if supervision else self.error
        return out


def _error_kind(error: str) -> str:
    """The first words of an error, without anything that could name a person or a path."""
    match = re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit)\b", error)
    return match.group(0) if match else "error"


def _kernel_manager_class(socket_dir: str | None, log_file):
    """A kernel manager that starts its kernel quietly, in the notebook's folder, over IPC
    sockets in a private folder when the platform has them (no TCP ports to clash)."""
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if socket_dir:
                self.transport = "ipc"
                self.ip = os.path.join(socket_dir, "k")

        async def start_kernel(self, **kw):  # type: ignore[override]
            kw.setdefault("stdout", log_file)
            kw.setdefault("stderr", log_file)
            kw["extra_arguments"] = [*(kw.get("extra_arguments") or []), *KERNEL_ARGUMENTS]
            return await super().start_kernel(**kw)

    return ReportKernelManager


class _KernelTrouble(Exception):
    """The kernel died or did not start: worth one more try."""


def execute_period(task: dict) -> dict:
    """Run the notebook for one period and export it (runs in a worker process).

    ``task``: ``notebook``, ``workspace``, ``from``, ``to``, ``audience``, ``label``, ``title``,
    ``keep_ipynb``, ``timeout``. Returns ``ok``, ``html``, ``ipynb`` (or ``error``),
    ``seconds``, ``attempts``. A failing cell is not retried; a dead or unstartable kernel is
    retried once."""
    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        try:
            nb = _execute(task)
            break
        except _KernelTrouble as trouble:
            if attempts >= 2:
                return {"ok": False, "error": f"the notebook's kernel failed twice ({trouble})",
                        "seconds": time.perf_counter() - started, "attempts": attempts}
        except Exception as error:  # noqa: BLE001 - reported per period, the run goes on
            return {"ok": False, "error": _describe(error),
                    "seconds": time.perf_counter() - started, "attempts": attempts}
    writing.restore(nb, task.get("writing") or [], task.get("last_plan"))
    if task["audience"] != "self":
        writing.drop_unshared(nb)
    try:
        page = notebook_to_html(nb, task["audience"], task["title"])
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": f"HTML export failed: {_describe(error)}",
                "seconds": time.perf_counter() - started, "attempts": attempts}
    result = {"ok": True, "html": page, "seconds": time.perf_counter() - started,
              "attempts": attempts}
    if task.get("keep_ipynb"):
        import nbformat

        result["ipynb"] = nbformat.writes(document_notebook(nb))
    return result


#: the tag of the notebook's cells that belong to the term review only
TERM_TAG = "term-review"


def _without_term_cells(nb):
    """A notebook without the term review's cells (``TERM_TAG``), in place: a report that is
    not a term review is run without them and reads as it did before the term review."""
    nb.cells = [c for c in nb.cells
                if TERM_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def period_kind(every: str | None, period: Period) -> str:
    """``"term"`` for the periods of ``--every term`` that are terms (a stretch between
    terms is reported as an ordinary period), else ``"period"``."""
    return "term" if every == "term" and period.name != "Between terms" else "period"


def _describe(error: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        return (f"{error.ename}: {error.evalue} (in cell {error.exec_count} of the notebook)"
                .replace("\n", " "))
    if isinstance(error, AdviserAnalyticsError):
        return str(error)
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text[:500]


# A kernel kept between the periods one worker runs (the project's own notebook only). Before
# each notebook it gets a new session: the user namespace, history and execution count are
# reset and adviser_analytics is imported afresh; only third-party modules stay loaded, which
# saves starting Python and importing pandas, scipy and matplotlib for every period.
_RESET_TAG = "adviser-analytics-reset"
_RESET_CODE = (
    "import sys as _aa_sys\n"
    "for _aa_name in [n for n in _aa_sys.modules\n"
    "                 if n == 'adviser_analytics' or n.startswith('adviser_analytics.')]:\n"
    "    del _aa_sys.modules[_aa_name]\n"
    "get_ipython().reset(new_session=True)\n"
    "get_ipython().execution_count = 1\n"
)
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]   # no code history in ~/.ipython


class _Kernel:
    """A started kernel, its private socket folder and its log."""

    def __init__(self, cwd: str):
        from jupyter_core.utils import run_sync

        self.cwd = cwd
        self.runs = 0
        self.socket_dir = tempfile.mkdtemp(prefix="aa-k-") if os.name == "posix" else None
        self.log_file = tempfile.TemporaryFile()
        manager = _kernel_manager_class(self.socket_dir, self.log_file)
        self.km = manager(kernel_name=KERNEL_NAME)
        try:
            run_sync(self.km.start_kernel)(cwd=cwd)
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        with contextlib.suppress(Exception):
            self.log_file.close()
        if self.socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)


_WARM: _Kernel | None = None
atexit.register(lambda: _discard_kernel())


def _warm_kernel(cwd: str) -> _Kernel:
    global _WARM
    if _WARM is not None and (_WARM.cwd != cwd or not _WARM.alive()):
        _discard_kernel()
    if _WARM is None:
        _WARM = _Kernel(cwd)
    return _WARM


def _discard_kernel() -> None:
    global _WARM
    if _WARM is not None:
        kernel, _WARM = _WARM, None
        kernel.close()


def _engine_name() -> str:
    """A papermill engine that runs on a kernel it is given and leaves it running."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    name = "adviser-analytics"
    if name in papermill_engines._engines:
        return name

    class KeptKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            import logging

            kwargs = remove_args(["input_path"], **kwargs)
            safe = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe, timeout=execution_timeout or kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name,
                                 log=logging.getLogger("papermill"), log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final)
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    with contextlib.suppress(Exception):
                        client.kc.stop_channels()

    papermill_engines.register(name, KeptKernelEngine)
    return name


def _execute(task: dict):
    import logging

    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError

    logging.getLogger("papermill").setLevel(logging.WARNING)
    notebook = Path(task["notebook"])
    _kernel_environment()
    parameters = {"workspace": task["workspace"], "period_from": task["from"],
                  "period_to": task["to"], "audience": task["audience"],
                  "kind": task.get("kind", "period")}
    common = {"kernel_name": KERNEL_NAME, "progress_bar": False, "log_output": False,
              "start_timeout": task.get("start_timeout", START_TIMEOUT),
              "execution_timeout": task.get("timeout", EXECUTION_TIMEOUT)}
    socket_dir = log_file = None
    previous = os.getcwd()
    try:
        with _quiet_stderr():
            source = nbformat.read(notebook, as_version=4)
            if task.get("kind", "period") != "term":
                _without_term_cells(source)  # (not even run: the report reads as before)
            if task.get("reuse_kernel"):
                kernel = _warm_kernel(str(notebook.parent))
                if kernel.runs:
                    reset = nbformat.v4.new_code_cell(_RESET_CODE)
                    reset.metadata["tags"] = [_RESET_TAG]
                    source.cells.insert(0, reset)
                try:
                    nb = papermill.execute_notebook(
                        source, None, parameters=parameters, engine_name=_engine_name(),
                        km=kernel.km, **common)
                except BaseException:
                    _discard_kernel()
                    raise
                kernel.runs += 1
                nb.cells = [c for c in nb.cells
                            if _RESET_TAG not in c.get("metadata", {}).get("tags", [])]
                nb.metadata.setdefault("papermill", {})["input_path"] = str(notebook)
            else:
                socket_dir = tempfile.mkdtemp(prefix="aa-k-") if os.name == "posix" else None
                log_file = tempfile.TemporaryFile()
                nb = papermill.execute_notebook(
                    source, None, parameters=parameters, cwd=str(notebook.parent),
                    kernel_manager_class=_kernel_manager_class(socket_dir, log_file),
                    # the notebook has finished: nothing in the kernel is worth waiting for
                    shutdown_kernel="immediate", **common)
                nb.metadata.setdefault("papermill", {})["input_path"] = str(notebook)
    except DeadKernelError as error:
        raise _KernelTrouble(f"the kernel died: {error}") from error
    except (RuntimeError, TimeoutError, OSError) as error:
        message = str(error)
        if any(word in message.lower() for word in ("kernel", "address", "timeout", "zmq",
                                                     "port", "respond")):
            raise _KernelTrouble(message.replace("\n", " ")[:300]) from error
        raise
    except Exception as error:
        if type(error).__module__.startswith(("zmq", "jupyter_client")):
            raise _KernelTrouble(f"{type(error).__name__}: {error}") from error
        raise
    finally:
        os.chdir(previous)
        if log_file is not None:
            log_file.close()
        if socket_dir:
            shutil.rmtree(socket_dir, ignore_errors=True)
    return nb


@contextlib.contextmanager
def _quiet_stderr():
    """nbclient/jupyter_client log to stderr; keep the progress bar readable."""
    import logging

    loggers = [logging.getLogger(n) for n in ("traitlets", "nbclient", "jupyter_client",
                                              "papermill", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


_ENV_READY = False


def child_environment() -> dict[str, str]:
    """This process's environment as a kernel or a report worker needs it: the package
    importable (also when run from its source folder without being installed), headless
    matplotlib, quiet Jupyter paths."""
    env = dict(os.environ)
    root = str(PACKAGE_ROOT)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def _kernel_environment() -> None:
    """:func:`child_environment` for the kernels this process starts (they inherit it)."""
    global _ENV_READY
    if not _ENV_READY:
        os.environ.update(child_environment())
        _ENV_READY = True


def _warm_worker() -> None:
    """Worker initializer: import what every period needs once per process."""
    _kernel_environment()
    import papermill  # noqa: F401

    _exporter()


# ------------------------------------------------------------------------------------------
# leak check


_DATA_URI = re.compile(r"(data:[\w/+.-]+;base64,)[A-Za-z0-9+/=\s]+")
_STYLE = re.compile(r"(<style[^>]*>).*?(</style>)", re.DOTALL | re.IGNORECASE)


def _scan_text(text: str) -> str:
    """What the leak check reads: the artefact with embedded images (base64 noise, which
    would match short names by chance) and static style sheets left out. Images carry no
    text: they are drawn from counts, and matplotlib's metadata is removed."""
    text = _DATA_URI.sub(r"\1…", text)
    return _STYLE.sub(r"\1\2", text)


def leak_index(ws, workspace_path: Path) -> privacy.TermIndex:
    """Every name, slug, e-mail, company, conversation id and message snippet of the
    workspace (people, all messages, invitations, introduction targets), and its path."""
    import pandas as pd

    people = ws.people()
    targets = ws.introductions()
    if len(targets):
        people = pd.concat([people, pd.DataFrame({"name": targets["target_name"]})],
                           ignore_index=True)
    messages = ws.messages(include_excluded=True)
    invitations = ws.invitations()
    if len(invitations):
        messages = pd.concat([messages, pd.DataFrame({
            "sender_name": invitations["name"], "sender_url": invitations["profile_url"],
            "content": invitations["message"]})], ignore_index=True)
    owner = ws.owner
    extra = [str(Path(workspace_path).resolve()), str(workspace_path)]
    extra = [e for e in extra if len(re.findall(r"\w+", e)) >= 2]
    if owner.name:
        extra.append(owner.name)
    policy = ws.policy()
    public = tuple(getattr(policy, "public_terms", ()) or ())
    return privacy.report_index(people, messages, extra=extra, public_terms=public)


def check_text(index: privacy.TermIndex, label: str, text: str) -> None:
    """Raise :class:`PrivacyError` (masked) if ``text`` holds a sensitive term."""
    privacy.check_artefacts([(label, _scan_text(text))], index)


# ------------------------------------------------------------------------------------------
# index pages


def _manifest_path(folder: Path) -> Path:
    return folder / "manifest.json"


def read_manifest(folder: Path) -> dict:
    try:
        data = json.loads(_manifest_path(folder).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("reports"), dict) \
            else {"reports": {}}
    except (OSError, ValueError):
        return {"reports": {}}


INDEX_TEMPLATE = "reports_index.html.j2"
_INDEX_FIGURES = ("requests", "reply_rate", "waiting", "conformance")


def build_index(entries_by_audience: dict[str, list[dict]], prefix_by_audience: dict[str, str],
                title: str) -> str:
    """An index page (``templates/reports_index.html.j2``): one table per audience, newest
    period first; a figure a report has no headline for shows as a dash."""
    groups = []
    for audience in AUDIENCES:
        entries = entries_by_audience.get(audience)
        if not entries:
            continue
        rows = []
        for e in sorted(entries, key=lambda e: (e["from"], e["to"]), reverse=True):
            figures = e.get("headline", {})
            rows.append({**{k: e[k] for k in ("file", "label", "from", "to", "audience",
                                              "generated_at")},
                         **{k: str(figures.get(k, "–")) for k in _INDEX_FIGURES}})
        groups.append({"audience": audience, "prefix": prefix_by_audience.get(audience, ""),
                       "entries": rows})
    env = template_environment(trim_blocks=True, keep_trailing_newline=True)
    return env.get_template(INDEX_TEMPLATE).render(title=title, groups=groups)


# ------------------------------------------------------------------------------------------
# the run


@dataclass
class ReportRun:
    """What one ``report`` command did."""

    audience: str
    out: Path
    folder: Path
    results: list[PeriodResult] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    #: what the adviser must know though nothing failed (a notebook kept aside)
    notices: list[str] = field(default_factory=list)
    #: writing harvested from the self notebooks before they were made again
    writing: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[PeriodResult]:
        return [r for r in self.results if r.status in ("failed", "withheld")]

    def to_dict(self) -> dict:
        """For ``--json`` (on this computer: errors in full)."""
        return {"audience": self.audience, "folder": str(self.folder),
                "index": str(self.index) if self.index else None,
                "written": sum(r.status == "written" for r in self.results),
                "skipped": sum(r.status == "skipped" for r in self.results),
                "failed": len(self.failed),
                "seconds": round(self.seconds, 2),
                "periods": [dict(r.to_log(False), file=r.html_file) for r in self.results],
                "problems": self.problems, "notices": self.notices,
                "writing": self.writing}


def run_reports(workspace: str | os.PathLike, start: object, end: object,
                every: str | None = None, audience: str = "self",
                out: str | os.PathLike = "reports", jobs: int = 1, only_missing: bool = False,
                progress: bool | None = None, notebook: str | os.PathLike | None = None,
                terms: Sequence | None = None, timeout: int = EXECUTION_TIMEOUT,
                fresh_kernels: bool = False) -> ReportRun:
    """Write the reflection reports of every period of ``start``..``end`` (see the module
    docstring); never raises for a failing period (see :attr:`ReportRun.failed`).

    ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal).
    ``notebook``: default :func:`notebook_path`. ``terms``: for ``every="term"``, default
    :func:`load_terms` of the workspace. ``fresh_kernels``: start a new kernel for every
    period even for the project's notebook (by default a worker keeps its kernel and gives
    each period a new session in it)."""
    from tqdm import tqdm

    from .metrics import compute_metrics, data_to_of
    from .reflection import all_person_keys, ensure_pseudonyms, headline, period_title
    from .store import Workspace

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    began = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    workspace = Path(workspace)
    supervision = audience == "supervision"
    notebook = Path(notebook) if notebook else notebook_path()
    # A kernel is kept between periods only for the project's own notebook (a notebook of
    # your own could change module state that a later period would then see).
    reuse = not fresh_kernels and notebook.resolve() == NOTEBOOK.resolve()
    if terms is None and every == "term":
        terms = load_terms(workspace)
    periods = split(start, end, every, terms=terms)
    out = Path(out)
    labels_seen: dict[str, int] = {}
    labelled = [(_file_label(period, labels_seen), period) for period in periods]
    with Workspace.open(workspace) as ws:
        harvested, notices = _harvest_writing(ws, out / "self", labelled, notebook)
        writing_by_period, plans = _writing_for_tasks(ws, labelled, supervision)
        messages = ws.messages(columns=ws.METRIC_COLUMNS)
        frames = (messages, ws.invitations(), ws.labels(), ws.introductions(), ws.policy())
        data_to = data_to_of(ws, messages)
        if supervision:
            ensure_pseudonyms(ws, all_person_keys(ws.people(), frames[3], messages))
            index = leak_index(ws, workspace)
        else:
            index = None
    folder = out / audience  # (made once the workspace has opened: a mistyped one leaves nothing)
    private_folder(folder)  # reports/ and reports/<audience>/ owner-only (0700)
    notices += [f"{period.label} is cut short by the dates you gave: its report covers "
                f"{period.start} to {period.end}, the whole {every} runs {whole.start} to "
                f"{whole.end} (give --from {whole.start} --to {whole.end} for all of it)."
                for period, whole in cut_short(periods, every, terms)]
    run = ReportRun(audience=audience, out=out, folder=folder, notices=notices,
                    writing=harvested)

    manifest = read_manifest(folder)
    manifest["audience"] = audience

    def list_in_index(key: str, result: PeriodResult, generated: dt.datetime) -> None:
        manifest["reports"][key] = {
            "label": result.label, "from": result.start, "to": result.end,
            "audience": audience, "file": result.html_file,
            "generated_at": generated.strftime("%Y-%m-%d %H:%M UTC"),
            "headline": result.headline}

    tasks, results = [], {}
    for label, period in labelled:
        result = PeriodResult(label=period.label, start=period.start.isoformat(),
                              end=period.end.isoformat(), html_file=f"{label}.html")
        results[label] = result
        run.results.append(result)
        if only_missing and (folder / f"{label}.html").is_file():
            result.status = "skipped"
            if label not in manifest["reports"]:  # written by a run stopped before its index
                result.headline = headline(compute_metrics(*frames, period, data_to=data_to),
                                           supervision, frames[4])
                written = (folder / f"{label}.html").stat().st_mtime
                list_in_index(label, result, dt.datetime.fromtimestamp(written, dt.UTC))
            continue
        kind = period_kind(every, period)
        tasks.append({
            "key": label, "notebook": str(notebook), "workspace": str(workspace.resolve()),
            "from": period.start.isoformat(), "to": period.end.isoformat(),
            "audience": audience, "label": period.label, "timeout": timeout,
            "title": ("Term review" if kind == "term" else "Reflection report")
                     + f" {period_title(period)}" + (" (supervision)" if supervision else ""),
            "kind": kind,
            "keep_ipynb": not supervision, "reuse_kernel": reuse,
            "writing": writing_by_period.get(label, []), "last_plan": plans.get(label),
        })
        result.headline = headline(compute_metrics(*frames, period, data_to=data_to),
                                   supervision, frames[4])

    bar = tqdm(total=len(tasks), desc=f"{audience} reports", unit="report", file=sys.stderr,
               disable=None if progress is None else not progress, leave=False)

    def finish(task: dict, outcome: dict) -> None:
        result = results[task["key"]]
        result.seconds = outcome.get("seconds", 0.0)
        result.attempts = outcome.get("attempts", 1)
        if not outcome.get("ok"):
            result.status, result.error = "failed", outcome.get("error", "unknown error")
        else:
            try:
                _write_report(folder, task, outcome, index)
                result.status = "written"
                list_in_index(task["key"], result, dt.datetime.now(dt.UTC))
            except PrivacyError as error:
                result.status, result.error = "withheld", str(error)
            except OSError as error:
                result.status, result.error = "failed", f"cannot write the report ({error})"
        bar.update(1)

    try:
        if jobs <= 1 or len(tasks) <= 1:
            try:
                for task in tasks:
                    finish(task, execute_period(task))
            finally:
                _discard_kernel()
        else:
            _run_parallel(tasks, jobs, finish)
    finally:
        bar.close()

    # manifest, indexes, log
    for key in list(manifest["reports"]):
        if not (folder / manifest["reports"][key]["file"]).is_file():
            del manifest["reports"][key]
    manifest_text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True)
    page = build_index({audience: list(manifest["reports"].values())}, {audience: ""},
                       "Reflection reports" + (" (supervision)" if supervision else ""))
    run.seconds = time.perf_counter() - began
    log = {"started_at": started_at, "command": "report",
           "parameters": {"from": str(start), "to": str(end), "every": every,
                          "audience": audience, "jobs": jobs, "only_missing": only_missing},
           "seconds": round(run.seconds, 2), "versions": versions(),
           "periods": [r.to_log(supervision) for r in run.results]}
    if not supervision:
        log["parameters"].update(workspace=str(workspace.resolve()), out=str(out.resolve()),
                                 notebook=str(notebook))
    log_text = json.dumps(log, ensure_ascii=False, sort_keys=True)
    for name, text in (("manifest.json", manifest_text), ("index.html", page),
                       ("run-log.jsonl", log_text)):
        try:
            if index is not None:
                check_text(index, str(folder / name), text)
            if name == "run-log.jsonl":
                _append_line(folder / name, text)
            else:
                write_atomic(folder / name, text)
        except PrivacyError as error:
            run.problems.append(str(error))
    if index is not None:
        run.problems += _sweep(folder, index)
    run.index = _write_top_index(out)
    return run


def _harvest_writing(ws, self_folder: Path, labelled: list[tuple[str, Period]],
                     notebook: Path) -> tuple[dict, list[str]]:
    """Keep in the workspace what the adviser wrote in the self notebooks of these periods,
    before anything makes them again. A notebook whose writing cannot be read is renamed
    aside (never deleted); the notices say where, in words."""
    from .store import writing as stored_writing

    try:
        template = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        template = None
    counts = {"added": 0, "changed": 0, "unchanged": 0, "blank": 0}
    notices = []
    for label, period in labelled:
        path = self_folder / f"{label}.ipynb"
        if not path.is_file():
            continue
        try:
            rows = writing.harvest_file(path, template)
        except (writing.NotebookUnreadable, OSError) as error:
            kept = writing.keep_aside(path)
            notices.append(
                f"the report notebook {path} could not be read for your writing ({error}); "
                f"it is kept, unchanged, as {kept}: copy anything you wrote there into the "
                "new report")
            continue
        for row in rows:
            row.update(period_from=period.start.isoformat(), period_to=period.end.isoformat())
        for key, n in stored_writing.keep(ws, rows).items():
            counts[key] += n
    return counts, notices


def _writing_for_tasks(ws, labelled: list[tuple[str, Period]],
                       supervision: bool) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Per period label: the stored writing to put back (for supervision only what is
    marked to share) and the previous period's action plan that opens the evaluation."""
    from .reflection import period_title
    from .store import writing as stored_writing

    if not labelled:
        return {}, {}
    first = min(p.start for _, p in labelled).isoformat()
    last = max(p.end for _, p in labelled).isoformat()
    frame = stored_writing.stored(ws, first, last, shared_only=supervision)
    by_period: dict[str, list[dict]] = {}
    plans: dict[str, str] = {}
    for label, period in labelled:
        start, end = period.start.isoformat(), period.end.isoformat()
        mine = frame[(frame["period_from"] == start) & (frame["period_to"] == end)]
        by_period[label] = [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in mine[["cell", "cell_type", "position", "after_cell", "text",
                             "share"]].to_dict("records")]
        plan = stored_writing.previous_plan(ws, start, shared_only=supervision)
        if plan is not None:
            before = Period(plan["period_from"], plan["period_to"])
            plans[label] = writing.last_plan_markdown(plan, period_title(before))
    return by_period, plans


def _file_label(period: Period, seen: dict[str, int]) -> str:
    label = period.slug
    if period.name == "Between terms" or label in seen:
        label = f"{label}-{period.start.isoformat()}"
    seen[label] = seen.get(label, 0) + 1
    return label


def _write_report(folder: Path, task: dict, outcome: dict,
                  index: privacy.TermIndex | None) -> None:
    target = folder / f"{task['key']}.html"
    if index is not None:
        check_text(index, str(target), outcome["html"])
    write_atomic(target, outcome["html"])
    if outcome.get("ipynb"):
        write_atomic(folder / f"{task['key']}.ipynb", outcome["ipynb"])


_OWN_FILES = ("manifest.json", "index.html", "run-log.jsonl")


def _sweep(folder: Path, index: privacy.TermIndex) -> list[str]:
    """Check the files of a supervision folder that the tool wrote (the reports its manifest
    lists, the manifest, the index and the log; earlier runs included) and say which would
    now reveal something. Nothing is deleted: a file the adviser put there is not the tool's
    to touch, and an earlier report stays where it is (the message says not to share it)."""
    listed = [entry.get("file") for entry in read_manifest(folder)["reports"].values()]
    problems = []
    for name in sorted({*(f for f in listed if isinstance(f, str)), *_OWN_FILES}):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            privacy.check_artefacts([(str(path), _scan_text(text))], index)
        except PrivacyError as error:
            problems.append(f"An earlier file, {name}, was left as it was but must not be "
                            f"shared: {error}")
    return problems


def _write_top_index(out: Path) -> Path:
    entries, prefixes = {}, {}
    for audience in AUDIENCES:
        folder = out / audience
        if (folder / "manifest.json").is_file():
            entries[audience] = list(read_manifest(folder)["reports"].values())
            prefixes[audience] = f"{audience}/"
    path = out / "index.html"
    write_atomic(path, build_index(entries, prefixes, "Reflection reports"))
    return path


def _run_parallel(tasks: list[dict], jobs: int, finish: Callable[[dict, dict], None]) -> None:
    """Run tasks in ``jobs`` worker processes (``python -m adviser_analytics.reports
    --worker``: one JSON task per line in, one JSON result per line out). Plain subprocesses
    rather than multiprocessing: nothing depends on how the caller's ``__main__`` can be
    re-imported, and a crashed worker is replaced. ``finish`` runs in this thread only."""
    import queue
    import subprocess
    import threading

    pending: queue.Queue = queue.Queue()
    for task in tasks:
        pending.put(task)
    done: queue.Queue = queue.Queue()
    env = child_environment()

    def start(errors) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "adviser_analytics.reports", "--worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
            env=env, text=True, encoding="utf-8", bufsize=1)

    def stopped(worker, errors) -> str:
        """Why a worker stopped: its exit code and the last line it wrote to stderr."""
        try:
            code = worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        errors.seek(0)
        said = [x for x in errors.read().decode("utf-8", "replace").splitlines() if x.strip()]
        errors.close()
        return (f"the report worker stopped (exit code {code})"
                + (f": {said[-1].strip()}" if said else ""))

    def drive() -> None:
        worker = errors = None
        try:
            while True:
                try:
                    task = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    if worker is None or worker.poll() is not None:
                        worker = None
                        errors = tempfile.TemporaryFile()
                        worker = start(errors)
                    worker.stdin.write(json.dumps(task) + "\n")
                    worker.stdin.flush()
                    line = worker.stdout.readline()
                    outcome = json.loads(line) if line else None
                except (OSError, ValueError) as error:
                    outcome = None if worker is not None else {
                        "ok": False, "seconds": 0.0, "attempts": 1,
                        "error": f"a report worker could not be started ({error})"}
                if outcome is None:
                    outcome = {"ok": False, "seconds": 0.0, "attempts": 1,
                               "error": stopped(worker, errors)}
                    worker = None
                done.put((task, outcome))
        finally:
            if worker is not None and worker.poll() is None:
                with contextlib.suppress(OSError):
                    worker.stdin.close()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

    threads = [threading.Thread(target=drive, daemon=True)
               for _ in range(min(jobs, len(tasks)))]
    for thread in threads:
        thread.start()
    for _ in tasks:
        task, outcome = done.get()
        finish(task, outcome)
    for thread in threads:
        thread.join()


def _worker_main() -> int:
    """``--worker``: read JSON tasks from stdin, one per line; answer each with one JSON line
    on stdout (everything else printed goes to stderr)."""
    out = sys.stdout
    sys.stdout = sys.stderr
    with contextlib.suppress(Exception):  # only a head start: a real problem shows per period
        _warm_worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = execute_period(json.loads(line))
        except Exception as error:  # noqa: BLE001 - the parent reports it for the period
            result = {"ok": False, "error": _describe(error), "seconds": 0.0, "attempts": 1}
        out.write(json.dumps(result) + "\n")
        out.flush()
    _discard_kernel()
    return 0


def describe_failure(result: PeriodResult) -> str:
    return f"{result.label} ({result.start} to {result.end}): {result.error}"


# ------------------------------------------------------------------------------------------
# keeping the notebooks' checked outputs current (for nbval)

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def refresh_checked_outputs(workspace: str | os.PathLike,
                            notebooks: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Run each notebook at its default period on ``workspace`` (the demo workspace) and
    store the outputs of the cells tagged ``nbval-check-output`` (nbval's tag; the older
    ``# NBVAL_CHECK_OUTPUT`` comment still counts) in it; every other cell
    is left without output. The tests compare these outputs (nbval) with a fresh run on the
    sample workspace, so refresh them when the sample data or the metrics change."""
    import nbformat
    import papermill

    _kernel_environment()
    notebooks = [Path(n) for n in (notebooks or [NOTEBOOK, NOTEBOOK.parent / "explore.ipynb"])]
    for path in notebooks:
        original = nbformat.read(path, as_version=4)
        socket_dir = tempfile.mkdtemp(prefix="aa-k-") if os.name == "posix" else None
        try:
            with _quiet_stderr(), tempfile.TemporaryFile() as log_file:
                executed = papermill.execute_notebook(
                    str(path), None, parameters={"workspace": str(Path(workspace).resolve())},
                    kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(path.parent),
                    kernel_manager_class=_kernel_manager_class(socket_dir, log_file))
        finally:
            if socket_dir:
                shutil.rmtree(socket_dir, ignore_errors=True)
        by_id = {c.get("id"): c for c in executed.cells}
        count = 0
        for cell in original.cells:
            if cell.cell_type != "code":
                continue
            count += 1
            cell.execution_count = None
            cell.outputs = []
            if CHECK_TAG in cell.metadata.get("tags", []) \
                    or cell.source.lstrip().startswith(CHECK_MARK):
                done = by_id[cell.get("id")]
                cell.outputs = copy.deepcopy(done.outputs)
                cell.execution_count = count
                for output in cell.outputs:
                    if "execution_count" in output:
                        output["execution_count"] = count
        nbformat.write(original, path)
    return notebooks


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="reports maintenance")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--refresh-notebooks", metavar="WORKSPACE",
                       help="store the checked outputs of the notebooks from WORKSPACE")
    group.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker_main()
    for path in refresh_checked_outputs(args.refresh_notebooks):
        print(f"refreshed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
