"""Rendering: the HTML of every report block comes from the Jinja2 templates in
``reflection/templates/`` (autoescaped); this module holds the displayable results and the
few helpers the sections call.

:class:`Block` is HTML for Jupyter (``_repr_html_``) with a plain-text form (``repr``);
:class:`FigureBlock` embeds a matplotlib figure as a PNG with its ``alt`` text.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from ..resources import REFLECTION_TEMPLATES, template_environment
from ..textsafety import html_text

__all__ = ["Block", "FigureBlock", "render", "table", "frame_table", "paragraph", "bullets",
           "section", "cell_text", "missing", "plain", "figure_texts"]


def missing(value: object) -> bool:
    """None, NA, NaT or NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def cell_text(value: object) -> Markup:
    """A value for HTML: export text escaped once (``textsafety.html_text``), numbers as they
    are, booleans as yes/no, markup (a rendered block) as it is."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    if isinstance(value, int | np.integer):
        return Markup(str(int(value)))
    return Markup(html_text(value))


@functools.cache
def _environment() -> Environment:
    env = template_environment(REFLECTION_TEMPLATES, trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = cell_text
    return env


def render(template: str, **values: object) -> Markup:
    """One template of ``reflection/templates/`` rendered (safe HTML)."""
    return Markup(_environment().get_template(template).render(**values).strip())


def plain(markup: str) -> str:
    """The text of a piece of HTML, a line per paragraph, list item or table row."""
    text = re.sub(r"<(br|/p|/li|/tr|/h\d|/div|/table)[^>]*>", "\n", markup)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


class Block:
    """HTML to display (``_repr_html_``) with a plain-text form (``repr``)."""

    def __init__(self, html_text: str, text: str | None = None):
        self.html = str(html_text)
        self.text = text if text is not None else plain(self.html)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


class FigureBlock(Block):
    """A matplotlib figure as an embedded PNG with its ``alt`` text (``fig.alt_text``)."""

    def __init__(self, fig, caption: str | None = None, dpi: int = 100,
                 metric: str | None = None):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        alt = getattr(fig, "alt_text", "") or "Figure"
        self.alt_text = alt
        self.texts = figure_texts(fig)
        super().__init__(render("figure.html", data=data, alt=alt, caption=caption,
                                texts=self.texts, metric=metric),
                         f"[figure] {alt}" + (f" {caption}" if caption else ""))


def figure_texts(fig) -> list[str]:
    """Every piece of text drawn in a figure (titles, axis and tick labels, legends,
    annotations), in drawing order and once each. The figure template keeps them, hidden, in
    an element marked as data, so that the leak check reads the text of the picture."""
    from matplotlib.text import Text

    out: list[str] = []
    for artist in fig.findobj(Text):
        text = artist.get_text().strip() if artist.get_visible() else ""
        if text and text not in out:
            out.append(text)
    return out


def table(headers: Sequence[object], rows: Iterable[Sequence[object]],
          caption: str | None = None, numeric_from: int = 1,
          metric: str | None = None) -> Markup:
    """An ``aa-table``: cells right-aligned from column ``numeric_from`` on. ``metric`` is its
    key in the privacy registry (``section.<name>[.<part>]``, ``privacy.METRICS``): the
    supervision version withholds a table whose key is not registered."""
    return render("table.html", headers=list(headers), rows=[list(r) for r in rows],
                  caption=caption, numeric_from=numeric_from, metric=metric)


def frame_table(frame: pd.DataFrame, caption: str | None = None,
                numeric_from: int = 1, metric: str | None = None) -> Markup:
    """:func:`table` of a DataFrame (missing values as empty cells)."""
    return table([str(c) for c in frame.columns],
                 [["" if missing(v) else v for v in row] for row in frame.itertuples(index=False)],
                 caption, numeric_from, metric)


def paragraph(text: str, cls: str | None = None) -> Markup:
    """A paragraph: plain text is escaped (counts such as <5 included); Markup kept."""
    return render("paragraph.html", text=text, cls=cls)


def bullets(items: Iterable[str]) -> Markup:
    return render("list.html", items=list(items))


def section(title: str | None, *parts: str, cls: str = "aa-block") -> Block:
    """A titled block of parts (each already rendered)."""
    return Block(render("section.html", title=title, parts=[Markup(p) for p in parts], cls=cls))


def plural(n: object, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")
