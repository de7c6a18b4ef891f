"""The adviser's writing in a report notebook: harvested before a report is made again, put
back into the new one, never lost.

The report notebook's writing cells carry ``metadata["adviser_analytics"]["writing"]``
(``feelings``, ``conclusion``, ``action_plan``; ``term_outcomes`` in a term review); the cells a report run generates are marked
``metadata["adviser_analytics"]["generated"]`` (notebooks made before that mark: papermill's
own cell metadata). Any other cell with text is one the adviser added: it is kept as
``added:<cell id>``, after the cell it followed. A cell tagged ``share`` may go to
supervision (after the leak check); nothing else the adviser wrote does.

(A module of its own rather than in ``reflection/``: the report command imports it without
the report's plotting and metrics.)

The table is :mod:`adviser_analytics.store.writing`; :mod:`adviser_analytics.reports` calls
:func:`harvest_file` before it runs a period and :func:`restore` on the executed notebook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from pathlib import Path

__all__ = ["INSTRUCTIONS", "WRITING_CELLS", "SHARE_TAG", "KEY", "NotebookUnreadable", "harvest", "harvest_file",
           "restore", "keep_aside", "is_writing_cell", "is_shared", "cell_name"]

#: The writing cells of the report, in order, with the words a journal gives them.
WRITING_CELLS = {"feelings": "Feelings", "conclusion": "Conclusion",
                 "action_plan": "Action plan",
                 # the term review's (``report --every term``) only
                 "term_outcomes": "What came of the plans"}
SHARE_TAG = "share"
KEY = "adviser_analytics"
#: The headings that preceded each writing cell in notebooks made before the cells were
#: marked (their writing is still found).
_LEGACY_HEADINGS = {"feelings": "## 2. Feelings", "conclusion": "## 6. Conclusion",
                    "action_plan": "## 7. Action plan"}
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: How to write in a writing cell, in the heading cell above it (for JupyterLab only: the
#: HTML documents leave it out, ``reports.clean_notebook``).
INSTRUCTIONS = (
    "*Write in the empty cell below: click it once and type, then save (Ctrl+S). What you "
    "write is kept in your workspace and comes back each time the report is made again. It "
    "is private to you: to share it with your supervisor, click the cell, open the gear icon "
    "on the right-hand side bar (Property Inspector) and add the tag* `share` *under Cell "
    "Tags.*")
#: The instructions the writing cells held in reports made before they moved into the
#: heading above (the cells are empty now, so that a click and typing edit them): never the
#: adviser's writing.
_OLD_INSTRUCTIONS = (
    "*Write here: double-click this box, type, then press Shift+Enter and save (Ctrl+S). What "
    "you write is kept in your workspace and comes back each time the report is made again. "
    "It is private to you: to share it with your supervisor, click the box, open the gear "
    "icon on the right-hand side bar (Property Inspector) and add the tag* `share` *under "
    "Cell Tags.*",
)


class NotebookUnreadable(Exception):
    """A report notebook whose writing cannot be harvested (the reason in words)."""


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def _mark(cell) -> dict:
    mark = cell.get("metadata", {}).get(KEY)
    return mark if isinstance(mark, dict) else {}


def cell_name(cell) -> str | None:
    """The writing cell's name (``feelings`` ...), or ``None``."""
    name = _mark(cell).get("writing")
    return name if name in WRITING_CELLS else None


def is_writing_cell(cell) -> bool:
    """A writing cell of the template, or a cell the adviser added and a report put back."""
    return cell_name(cell) is not None or bool(_mark(cell).get("added"))


def is_shared(cell) -> bool:
    return SHARE_TAG in _tags(cell)


def _is_generated(cell) -> bool:
    return (bool(_mark(cell).get("generated")) or "papermill" in cell.get("metadata", {})
            or bool(_tags(cell) & {"parameters", "injected-parameters"}))


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _placeholders(template) -> dict[str, str]:
    """What each writing cell says before the adviser writes (the template's text)."""
    found = {}
    for cell in (template or {}).get("cells", []):
        name = cell_name(cell)
        if name:
            found[name] = _source(cell).strip()
    return found


def _own_text(text: str, placeholder: str | None) -> str:
    """The adviser's text: the cell without the template's instructions (today's, and those
    of reports made before the writing cells were left empty)."""
    for instructions in (placeholder, *_OLD_INSTRUCTIONS):
        if instructions:
            text = text.replace(instructions, "")
    return text.strip()


def _added_id(cell, position: int, text: str) -> str:
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and _ID.match(cell_id):
        return cell_id
    return "c" + hashlib.sha1(f"{position}\0{text}".encode()).hexdigest()[:12]


def harvest(nb, template=None) -> list[dict]:
    """The writing in a report notebook (a dict as ``json`` reads it, or an ``nbformat``
    node): dicts with ``cell``, ``cell_type``, ``position``, ``after_cell``, ``text`` and
    ``share``; blank cells included (the store never lets them replace text).

    Raises :class:`NotebookUnreadable` when no writing cell can be recognised."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotebookUnreadable("it has no cells")
    placeholders = _placeholders(template)
    legacy = not any(cell_name(c) for c in cells if isinstance(c, dict))
    rows, seen, previous = [], set(), None
    for position, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotebookUnreadable(f"cell {position + 1} is not a notebook cell")
        text = _source(cell)
        name = cell_name(cell)
        if legacy and name is None and cell.get("cell_type") == "markdown" and position:
            before = _source(cells[position - 1]).lstrip()
            name = next((n for n, h in _LEGACY_HEADINGS.items() if before.startswith(h)), None)
        if name is not None and name not in seen:
            seen.add(name)
            rows.append({"cell": name, "cell_type": "markdown", "position": position,
                         "after_cell": None, "text": _own_text(text, placeholders.get(name)),
                         "share": is_shared(cell)})
            previous = name
            continue
        if _is_generated(cell) and name is None and not _mark(cell).get("added"):
            previous = cell.get("id") or previous
            continue
        if cell.get("cell_type") not in ("markdown", "code", "raw") or not text.strip():
            continue
        identity = "added:" + _added_id(cell, position, text)
        if identity in seen:
            identity += f"-{position}"
        seen.add(identity)
        rows.append({"cell": identity, "cell_type": cell.get("cell_type"),
                     "position": position, "after_cell": previous, "text": text.strip(),
                     "share": is_shared(cell)})
        previous = identity
    if not any(row["cell"] in WRITING_CELLS for row in rows):
        raise NotebookUnreadable("none of its Feelings, Conclusion or Action plan cells can be "
                                 "found (it may have been edited beyond recognition)")
    return rows


def harvest_file(path: Path, template=None) -> list[dict]:
    """:func:`harvest` of a notebook file; :class:`NotebookUnreadable` if it is not one."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NotebookUnreadable("it is not text") from None
    except json.JSONDecodeError as error:
        raise NotebookUnreadable(f"it is damaged (line {error.lineno}: {error.msg})") from None
    return harvest(nb, template)


def keep_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Rename an unreadable notebook to ``<name>.kept-<timestamp>.ipynb`` beside it (never
    deleted, never overwritten) and return the new path."""
    path = Path(path)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.kept-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.kept-{stamp}-{n}{path.suffix}")
    path.rename(target)
    return target


def _quote(text: str) -> str:
    """Text as a markdown quotation, its HTML shown as typed (escaped), not interpreted."""
    text = html.escape(text, quote=False)
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def last_plan_markdown(plan: dict, title: str) -> str:
    """The cell that opens the evaluation: the previous period's action plan, quoted."""
    return (f"**Last time you planned** ({title}):\n\n{_quote(plan['text'])}\n\n"
            "*What came of it?* Keep it in mind as you read the comparison with your policy "
            "below; write about it in your Conclusion.")


def restore(nb, rows: list[dict], last_plan: str | None = None):
    """Put stored writing back into an executed report notebook (an ``nbformat`` node,
    changed in place and returned): the writing cells get their text (and the ``share`` tag
    if marked), the adviser's added cells come back after the cell they followed, and
    ``last_plan`` (markdown) opens the evaluation. Every other cell is marked generated."""
    import nbformat

    for cell in nb.cells:
        if cell_name(cell) is None:
            cell.metadata.setdefault(KEY, {})["generated"] = True
    by_name = {cell_name(c): c for c in nb.cells if cell_name(c)}
    ids = {c.get("id") for c in nb.cells}
    anchors = {c.get("id"): c for c in nb.cells if c.get("id")}
    anchors.update(by_name)
    for row in sorted(rows, key=lambda r: (int(r.get("position") or 0), r["cell"])):
        text = row.get("text") or ""
        if not text.strip():
            continue
        if row["cell"] in by_name:
            cell = by_name[row["cell"]]
            cell.source = text
            cell.metadata[KEY]["written"] = True
        else:
            maker = {"code": nbformat.v4.new_code_cell,
                     "raw": nbformat.v4.new_raw_cell}.get(row.get("cell_type"),
                                                          nbformat.v4.new_markdown_cell)
            cell = maker(text)
            wanted = row["cell"].removeprefix("added:")
            if _ID.match(wanted) and wanted not in ids:
                cell.id = wanted
            ids.add(cell.get("id"))
            cell.metadata[KEY] = {"added": True}
            after = anchors.get(row.get("after_cell"))
            where = nb.cells.index(after) + 1 if after is not None else len(nb.cells)
            nb.cells.insert(where, cell)
            anchors[row["cell"]] = cell
        if row.get("share"):
            tags = list(cell.metadata.get("tags", []))
            if SHARE_TAG not in tags:
                cell.metadata["tags"] = [*tags, SHARE_TAG]
    if last_plan:
        cell = nbformat.v4.new_markdown_cell(last_plan)
        cell.metadata[KEY] = {"generated": "last-plan"}
        opening = next((i for i, c in enumerate(nb.cells) if _mark(c).get("anchor") == "evaluation"),
                       None)
        if opening is None:
            opening = next((i for i, c in enumerate(nb.cells)
                            if c.cell_type == "markdown" and "Evaluation" in _source(c)), None)
        nb.cells.insert(len(nb.cells) if opening is None else opening + 1, cell)
    return nb


def drop_unshared(nb):
    """The cells of a notebook a supervision version may show: writing only when tagged
    ``share`` (the leak check still reads it); changed in place and returned."""
    nb.cells = [c for c in nb.cells if not is_writing_cell(c) or is_shared(c)]
    return nb
