"""The leak check on realistic accounts (issue 13): people named with ordinary words and the
report's own words (Floor Lang, Grace Wilson, Will Jensen, Hope Security, one-word employers
People, First, Next) no longer block supervision reports, and a name planted where data are
rendered (a table cell, a figure's text) is still caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from adviser_analytics import privacy, reports
from adviser_analytics.cli import main
from adviser_analytics.errors import PrivacyError
from adviser_analytics.samples_realistic import ONE_WORD_EMPLOYERS, realistic_account
from adviser_analytics.store import Workspace

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ("2026-03-01", "2026-05-31")


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    """A 3,000-contact account ingested, with the sample policy and suggested labels, and its
    supervision reports for three months."""
    base = tmp_path_factory.mktemp("realistic-leaks")
    truth = realistic_account(base / "exports", contacts=3000, seed=21, months=6)
    ws = base / "ws"
    assert main(["ingest", "--workspace", str(ws), *map(str, truth.exports)]) == 0
    assert main(["policy", "set", "--workspace", str(ws),
                 str(ROOT / "data_samples" / "policy.yaml")]) == 0
    assert main(["labels", "suggest", "--workspace", str(ws)]) == 0
    out = base / "reports"
    run = reports.run_reports(ws, *MONTHS, every="month", audience="supervision", out=out,
                              jobs=2, progress=False)
    return truth, ws, out, run


def _index(ws: Path) -> privacy.TermIndex:
    with Workspace.open(ws) as opened:
        return reports.leak_index(opened, ws)


@pytest.mark.slow
def test_the_account_has_names_made_of_the_reports_own_words(account):
    truth, ws, _out, _run = account
    names = {p["name"] for p in truth.people.values()}
    words = {w for n in names for w in n.split()}
    assert {"Floor", "Lang", "Wilson", "Jensen", "Security", "Waiting", "Median"} <= words
    companies = {p.get("company") for p in truth.people.values()}
    assert set(ONE_WORD_EMPLOYERS) & companies
    index = _index(ws)
    # looked for as single words where data are rendered
    assert {"floor", "lang", "jensen", "security", "median"} <= set(index.single)


@pytest.mark.slow
def test_every_supervision_report_is_written(account):
    _truth, _ws, out, run = account
    assert [r.status for r in run.results] == ["written"] * 3, [r.error for r in run.results]
    assert not run.problems, run.problems
    folder = out / "supervision"
    assert sorted(p.name for p in folder.glob("*.html")) == [
        "2026-03.html", "2026-04.html", "2026-05.html", "index.html"]


@pytest.mark.slow
def test_the_reports_show_the_advisers_own_totals_and_bands(account):
    _truth, ws, out, _run = account
    page = (out / "supervision" / "2026-05.html").read_text(encoding="utf-8")
    with Workspace.open(ws) as opened:
        from adviser_analytics.metrics import compute
        from adviser_analytics.periods import Period

        load = compute(opened, Period.parse("2026-05-01", "2026-05-31"))["load"]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]
    at = cells.index("Requests for help that started")
    assert cells[at + 1] == str(load["requests"])
    assert "waiting (days)" not in page
    if "The longest-waiting conversations." in page:
        # per-person waiting days only as bands
        table = page[page.index("The longest-waiting conversations."):]
        table = table[:table.index("</table>")]
        ages = re.findall(r'<td data-aa="data" style="text-align:right;white-space:nowrap">(.*?)</td>', table)
        assert ages and set(ages) <= {label for _, label in privacy.suppression.WAITING_BANDS}


def _plant(page: str, word: str) -> str:
    """The page with the first pseudonym of a data cell replaced by ``word``."""
    planted, n = re.subn(r'(<td data-aa="data"[^>]*>)((?:client|colleague|employer|recruiter|'
                         r'person|contact|unknown)[^<]*)(</td>)', rf"\g<1>{word}\g<3>", page,
                         count=1)
    assert n == 1, "the report has a table of people"
    return planted


@pytest.mark.slow
@pytest.mark.parametrize("word", ["Floor", "Jensen", "Security", "Floor Lang"])
def test_a_name_planted_in_a_data_cell_is_caught(account, word):
    _truth, ws, out, _run = account
    index = _index(ws)
    page = next(p for p in sorted((out / "supervision").glob("2026-*.html"))
                if re.search(r'<td data-aa="data"[^>]*>(client|colleague|recruiter|employer|'
                             r'unknown)', p.read_text(encoding="utf-8")))
    text = page.read_text(encoding="utf-8")
    assert privacy.find_leaks([(page.name, reports._scan_text(text))], index) == []
    planted = _plant(text, word)
    with pytest.raises(PrivacyError) as error:
        reports.check_text(index, page.name, planted)
    message = str(error.value)
    assert "a contact's name in the table" in message and ", row " in message
    assert word not in message and word[:2] + "…" not in message


@pytest.mark.slow
def test_a_name_in_a_figure_label_is_caught(account, tmp_path):
    _truth, ws, out, _run = account
    # a notebook of your own draws a figure with the report's figure block: its labels are
    # checked: a label of ordinary words passes, the name "Floor" does not
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    params = nbformat.v4.new_code_cell(
        'workspace = ""\nperiod_from = "2026-05-01"\nperiod_to = "2026-05-31"\n'
        'audience = "supervision"')
    params.metadata["tags"] = ["parameters"]

    def figure(label: str) -> str:
        return ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                "from adviser_analytics.reflection.render import FigureBlock\n"
                "fig, ax = plt.subplots()\nax.bar(['a', 'b'], [6, 7])\n"
                f"ax.set_xlabel({label!r})\nFigureBlock(fig)")

    nb.cells = [params, nbformat.v4.new_code_cell(figure("Requests per week"))]
    good = tmp_path / "good.ipynb"
    nbformat.write(nb, good)
    nb.cells = [params, nbformat.v4.new_code_cell(figure("Floor"))]
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    folder = tmp_path / "reports"
    run = reports.run_reports(ws, "2026-05-01", "2026-05-31", every="month",
                              audience="supervision", out=folder, notebook=good,
                              progress=False)
    assert [r.status for r in run.results] == ["written"], run.results[0].error
    page = (folder / "supervision" / "2026-05.html").read_text(encoding="utf-8")
    assert "aa-figure-text" in page  # the figure's text is kept where the check reads it
    run = reports.run_reports(ws, "2026-05-01", "2026-05-31", every="month",
                              audience="supervision", out=folder, notebook=bad,
                              progress=False)
    assert [r.status for r in run.results] == ["withheld"]
    assert "a contact's name in a figure's text" in run.results[0].error
    assert (folder / "supervision" / "2026-05.html").read_text(encoding="utf-8") == page


@pytest.mark.slow
def test_pictures_made_outside_the_figure_block_are_left_out(account, tmp_path):
    _truth, ws, _out, _run = account
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    params = nbformat.v4.new_code_cell('workspace = ""\naudience = "supervision"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import io\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from IPython.display import Image\nfig, ax = plt.subplots()\nax.set_title('Floor')\n"
        "buf = io.BytesIO()\nfig.savefig(buf, format='png')\nImage(buf.getvalue())")]
    path = tmp_path / "picture.ipynb"
    nbformat.write(nb, path)
    folder = tmp_path / "reports"
    run = reports.run_reports(ws, "2026-05-01", "2026-05-31", every="month",
                              audience="supervision", out=folder, notebook=path,
                              progress=False)
    assert [r.status for r in run.results] == ["written"]
    page = (folder / "supervision" / "2026-05.html").read_text(encoding="utf-8")
    assert not re.search(r"<img[^>]*data:image/png", page) and "A picture was left out" in page
