"""``report``: papermill per period, HTML for self and supervision, index, leak check.

The sample workspace is built once per session (from ``data_samples/`` when it holds the
exports, else from the generator's series, exactly as ``demo`` builds it) at
``<tmp>/workspace/demo``, beside a ``<tmp>/notebooks/`` folder, so the notebooks' default
``../workspace/demo`` points at it. Three months of reports of both audiences are written
once and shared by the tests that only read them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import build_reports_workspace

from adviser_analytics import privacy, reports, textsafety
from adviser_analytics.cli import main
from adviser_analytics.metrics import compute
from adviser_analytics.periods import Period
from adviser_analytics.privacy import supervision_percent
from adviser_analytics.reflection import headline
from adviser_analytics.store import Workspace

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ("2025-11-01", "2026-01-31")          # before and after a policy change
LABELS = ("2025-11", "2025-12", "2026-01")


@pytest.fixture(scope="session")
def report_workspace(tmp_path_factory, request) -> Path:
    return build_reports_workspace(tmp_path_factory, request)


@pytest.fixture(scope="session")
def monthly_reports(report_workspace, tmp_path_factory) -> Path:
    """Three months of reports, both audiences, two jobs (read-only for the tests)."""
    out = tmp_path_factory.mktemp("reports-out") / "reports"
    for audience in ("self", "supervision"):
        run = reports.run_reports(report_workspace, *MONTHS, every="month", audience=audience,
                                  out=out, jobs=2, progress=False)
        assert not run.failed, [r.error for r in run.failed]
        assert not run.problems, run.problems
    return out


def _key_numbers_from_notebook(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "key_numbers" in c.source)
    text = cell.outputs[0]["data"]["text/plain"]
    return dict(line.split(": ", 1) for line in text.splitlines())


def _key_numbers_from_html(page: str) -> dict[str, str]:
    block = page[page.index("aa-key-numbers"):]
    block = block[:block.index("</table>")]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", block)
    return {html.unescape(k): html.unescape(v)
            for k, v in zip(cells[::2], cells[1::2], strict=True)}


def _metrics(workspace: Path, label: str) -> dict:
    start = f"{label}-01"
    end = {"2025-11": "2025-11-30", "2025-12": "2025-12-31", "2026-01": "2026-01-31",
           "2026-02": "2026-02-28"}[label]
    with Workspace.open(workspace) as ws:
        return compute(ws, Period.parse(start, end))


def _pct(num, base):
    return f"{100 * num / base:.0f}%"


# ------------------------------------------------------------------------------------------
# layout and numbers


@pytest.mark.slow
def test_layout_both_audiences(monthly_reports):
    for label in LABELS:
        assert (monthly_reports / "self" / f"{label}.html").is_file()
        assert (monthly_reports / "self" / f"{label}.ipynb").is_file()
        assert (monthly_reports / "supervision" / f"{label}.html").is_file()
        assert not (monthly_reports / "supervision" / f"{label}.ipynb").exists()
    for audience in ("self", "supervision"):
        folder = monthly_reports / audience
        assert {p.name for p in folder.iterdir() if p.name.startswith(".")} == set(), \
            "no temporary files are left behind"
        log = [json.loads(line) for line in (folder / "run-log.jsonl").read_text().splitlines()]
        assert log[-1]["parameters"]["audience"] == audience
        assert log[-1]["versions"]["papermill"] and log[-1]["versions"]["adviser_analytics"]
        assert [p["status"] for p in log[-1]["periods"]] == ["written"] * 3
        assert all(p["seconds"] > 0 for p in log[-1]["periods"])
    self_log = (monthly_reports / "self" / "run-log.jsonl").read_text()
    sup_log = (monthly_reports / "supervision" / "run-log.jsonl").read_text()
    assert '"workspace"' in self_log
    assert '"workspace"' not in sup_log and "/" not in json.loads(
        sup_log.splitlines()[-1])["parameters"].get("out", "")


@pytest.mark.slow
@pytest.mark.parametrize("label", LABELS)
def test_self_key_numbers_match_metrics(monthly_reports, report_workspace, label):
    shown = _key_numbers_from_notebook(monthly_reports / "self" / f"{label}.ipynb")
    m = _metrics(report_workspace, label)
    load, pol = m["load"], m["policy"]
    assert shown["Requests for help that started"] == str(load["requests"])
    assert shown["Answered (at any time since)"] == str(load["answered_requests"])
    assert shown["Reply rate"] == (_pct(load["answered_requests"], load["requests"])
                                   if load["requests"] else "–")
    assert shown["Conversations waiting at the end"] == str(load["waiting"])  # was backlog
    assert shown["Decisions the policy speaks to"] == str(pol["decisions"])
    assert shown["Following the policy in force"] == (
        _pct(pol["conforming"], pol["decisions"]) if pol["decisions"] else "–")
    page = (monthly_reports / "self" / f"{label}.html").read_text(encoding="utf-8")
    assert _key_numbers_from_html(page) == shown


@pytest.mark.slow
@pytest.mark.parametrize("label", LABELS)
def test_supervision_key_numbers_are_the_advisers_own_totals(monthly_reports, label):
    # totals over everyone describe the adviser and are shown as they are (domain.md,
    # "suppresses by disclosure risk"): the same figures as the self version's
    page = (monthly_reports / "supervision" / f"{label}.html").read_text(encoding="utf-8")
    own = (monthly_reports / "self" / f"{label}.html").read_text(encoding="utf-8")
    shown = _key_numbers_from_html(page)
    assert shown["Requests for help that started"].isdigit()
    assert "withheld" not in shown["Reply rate"]
    assert shown == _key_numbers_from_html(own)


@pytest.mark.slow
def test_html_has_no_code_prompts_or_parameters(monthly_reports, report_workspace):
    for audience in ("self", "supervision"):
        page = (monthly_reports / audience / "2025-12.html").read_text(encoding="utf-8")
        for element in ("jp-InputPrompt", "jp-OutputPrompt", "hl-ipython3", "jp-CodeMirrorEditor"):
            assert not re.search(rf'class="[^"]*\b{element}\b', page), element
        assert not re.search(r">\s*(In|Out)(&nbsp;|\s)*\[\d*\]", page), "no prompts"
        for code in ("open_report", "report.", "period_from", "injected-parameters",
                     "import ", "papermill"):
            assert code not in page, code
        assert str(report_workspace) not in page
        assert "<script src=" not in page, "nothing is fetched from the network"
        assert 'http-equiv="Content-Security-Policy"' in page
        assert page.count('src="data:image/png;base64,') >= 1
        assert "<h2>Reflection report: December 2025</h2>" in page
        body = page[page.index("<body"):]
        assert not re.search(r"<(?![a-zA-Z/!])", body), "text is escaped (<5 as &lt;5)"
        for stage in ("Description", "Feelings", "Evaluation", "Analysis", "Worth discussing",
                      "Conclusion", "Action plan"):
            assert stage in page
        # how to write in a cell is for JupyterLab: a document has no cell to click
        assert "click it once" not in page and "Ctrl+S" not in page


@pytest.mark.slow
def test_supervision_output_passes_the_leak_check(monthly_reports, report_workspace):
    with Workspace.open(report_workspace) as ws:
        people = ws.people()
        messages = ws.messages(include_excluded=True)
        owner = ws.owner
    terms = privacy.sensitive_terms(people, messages,
                                    extra=[str(report_workspace), owner.name or ""])
    assert len(terms) > 100
    texts = [(str(p), reports._scan_text(p.read_text(encoding="utf-8")))
             for p in sorted((monthly_reports / "supervision").iterdir())]
    leaks = privacy.find_leaks(texts, terms, allow=privacy.ALLOW)
    assert leaks == [], [str(leak) for leak in leaks[:5]]
    whole = "\n".join(t for _, t in texts)
    assert "linkedin.com/in/" not in whole
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", whole), "no e-mail addresses"
    names = [n for n in people["name"].dropna() if len(n) > 6]
    assert names and not [n for n in names if n in whole]
    assert re.search(r"\b(client|colleague|professional|personal|unknown|person)-[0-9a-f]{4,}\b",
                     whole), "people appear as pseudonyms"
    # ... while the self version does name people
    own = (monthly_reports / "self" / "2026-01.html").read_text(encoding="utf-8")
    assert any(textsafety.html_text(n) in own for n in names)


@pytest.mark.slow
def test_index_pages(monthly_reports, report_workspace):
    top = (monthly_reports / "index.html").read_text(encoding="utf-8")
    for audience in ("self", "supervision"):
        for label in LABELS:
            assert f'href="{audience}/{label}.html"' in top
    assert top.count("<tr>") == 2 + 6
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", top), "generation date shown"
    sup = (monthly_reports / "supervision" / "index.html").read_text(encoding="utf-8")
    assert 'href="2025-11.html"' in sup and "self/" not in sup and "Your own version" not in sup
    with Workspace.open(report_workspace) as ws:
        policy = ws.policy()
    for audience in ("self", "supervision"):
        manifest = json.loads((monthly_reports / audience / "manifest.json").read_text())
        for label in LABELS:
            expected = headline(_metrics(report_workspace, label), audience == "supervision",
                                policy)
            assert "waiting" in expected["waiting"], expected
            assert manifest["reports"][label]["headline"] == expected, (audience, label)
            shown = (expected["requests"], expected["reply_rate"], expected["waiting"],
                     expected["conformance"])
            page = (monthly_reports / audience / "index.html").read_text(encoding="utf-8")
            row = re.search(rf'<tr><td[^>]*><a href="{label}.html">.*?</tr>', page).group(0)
            assert all(html.escape(v) in row for v in shown), row


def test_every_metric_of_the_sample_is_registered_for_supervision(report_workspace):
    # deny by default must not hide a real figure: each key compute() gives is registered,
    # and a registered rate or statistic names a base the same section holds
    for label in ("2025-11", "2026-01"):
        metrics = _metrics(report_workspace, label)
        for section, values in metrics.items():
            for key in values:
                entry = privacy.metric(f"{section}.{key}")
                assert entry is not None, f"{section}.{key} is not registered"
                if entry.base:
                    assert entry.base in values, entry.key


def test_a_part_of_a_shown_total_hides_a_small_rest():
    assert supervision_percent(37, 39) is None          # 2 unanswered would follow
    assert supervision_percent(30, 39) == "77%"
    assert supervision_percent(3, 39) is None and supervision_percent(8, 9) is None


def test_headline_suppression():
    metrics = {"load": {"requests": 8, "answered_requests": 7},
               "policy": {"decisions": 12, "conforming": 3}}
    # the adviser's own totals: the same for both audiences, small or not
    assert headline(metrics, False) == {"requests": "8", "reply_rate": "88%", "waiting": "–",
                                        "conformance": "25%", "decisions": "12"}
    assert headline(metrics, False) == headline(metrics, True)
    metrics["load"]["requests"] = 3
    assert headline(metrics, True)["requests"] == "3"


@pytest.mark.slow
def test_a_kept_kernel_gives_the_same_report_as_a_fresh_one(monthly_reports, report_workspace,
                                                            tmp_path):
    """Workers keep their kernel between periods (a new session each time): a period run on
    a fresh kernel gives the same page."""
    run = reports.run_reports(report_workspace, "2026-01-01", "2026-01-31", every="month",
                              audience="self", out=tmp_path, fresh_kernels=True,
                              progress=False)
    assert [r.status for r in run.results] == ["written"]

    def page(path):
        return re.sub(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "Generated",
                      path.read_text(encoding="utf-8"))

    assert page(tmp_path / "self" / "2026-01.html") == page(monthly_reports / "self"
                                                            / "2026-01.html")
    nb = nbformat.read(monthly_reports / "self" / "2026-01.ipynb", as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    # a new session: counts from 1 (the default parameters cell, 1, is left out of the
    # document: papermill's injected cell, 2, holds the values used)
    assert counts == list(range(2, len(counts) + 2))
    assert not any("adviser-analytics-reset" in c.metadata.get("tags", []) for c in nb.cells)


# ------------------------------------------------------------------------------------------
# the command: --only-missing, failures, leaks, usage


@pytest.mark.slow
def test_only_missing(monthly_reports, report_workspace, tmp_path, capsys):
    out = tmp_path / "reports"
    shutil.copytree(monthly_reports, out)
    def reports_in(folder):
        return {p.name: p.stat().st_mtime_ns for p in folder.glob("20*.html")}

    before = reports_in(out / "self")
    code = main(["report", "--workspace", str(report_workspace), "--from", "2025-11-01",
                 "--to", "2026-02-28", "--every", "month", "--out", str(out),
                 "--only-missing", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["written"], payload["skipped"], payload["failed"]) == (1, 3, 0)
    after = reports_in(out / "self")
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"2026-02.html"}
    manifest = json.loads((out / "self" / "manifest.json").read_text())
    assert set(manifest["reports"]) == {*LABELS, "2026-02"}
    assert 'href="self/2026-02.html"' in (out / "index.html").read_text()


@pytest.mark.slow
def test_only_missing_lists_reports_a_stopped_run_left_out_of_the_index(
        monthly_reports, report_workspace, tmp_path, capsys):
    """A run stopped after writing a report but before its index (Ctrl-C, a scheduler's
    timeout): the next --only-missing run keeps the report and lists it again."""
    out = tmp_path / "reports"
    shutil.copytree(monthly_reports, out)
    manifest_path = out / "self" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    lost = manifest["reports"].pop(LABELS[0])
    manifest_path.write_text(json.dumps(manifest))
    code = main(["report", "--workspace", str(report_workspace), "--from", "2025-11-01",
                 "--to", "2026-01-31", "--every", "month", "--out", str(out),
                 "--only-missing", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["written"], payload["skipped"]) == (0, 3)
    listed = json.loads(manifest_path.read_text())["reports"]
    assert set(listed) == set(LABELS)
    assert listed[LABELS[0]]["headline"] == lost["headline"]
    assert f'href="self/{LABELS[0]}.html"' in (out / "index.html").read_text()


def _notebook(tmp_path: Path, extra_cells: list[str], name: str = "custom.ipynb") -> Path:
    """A small notebook with the report's parameters and the given code cells."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    params = nbformat.v4.new_code_cell(
        'workspace = "../workspace/demo"\nperiod_from = "2026-03-01"\n'
        'period_to = "2026-03-31"\naudience = "self"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A small report"), params,
                *[nbformat.v4.new_code_cell(c) for c in extra_cells]]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_failing_period_keeps_its_previous_report(report_workspace, tmp_path, monkeypatch,
                                                    capsys):
    notebook = _notebook(tmp_path, [
        'if period_from == "2026-02-01":\n    raise ValueError("this period fails on purpose")',
        'from IPython.display import HTML\nHTML(f"<p>Report {period_from}</p>")'])
    monkeypatch.setenv(reports.NOTEBOOK_ENV, str(notebook))
    out = tmp_path / "reports"
    (out / "self").mkdir(parents=True)
    (out / "self" / "2026-02.html").write_text("PREVIOUS REPORT", encoding="utf-8")
    code = main(["report", "--workspace", str(report_workspace), "--from", "2026-01-01",
                 "--to", "2026-03-31", "--every", "month", "--out", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert "2026-02" in captured.err and "this period fails on purpose" in captured.err
    assert "2026-01" not in captured.err
    assert (out / "self" / "2026-02.html").read_text(encoding="utf-8") == "PREVIOUS REPORT"
    assert "Report 2026-01-01" in (out / "self" / "2026-01.html").read_text(encoding="utf-8")
    assert "Report 2026-03-01" in (out / "self" / "2026-03.html").read_text(encoding="utf-8")
    log = json.loads((out / "self" / "run-log.jsonl").read_text().splitlines()[-1])
    status = {p["period"]: p["status"] for p in log["periods"]}
    assert status == {"2026-01": "written", "2026-02": "failed", "2026-03": "written"}
    assert "index.html" in os.listdir(out)
    assert not [p for p in (out / "self").iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_leaking_supervision_report_is_withheld(report_workspace, tmp_path):
    with Workspace.open(report_workspace) as ws:
        people = ws.people()
    name = next(n for n in people["name"].dropna() if len(n.split()) == 2 and len(n) > 10)
    notebook = _notebook(tmp_path, [
        f'from IPython.display import HTML\nHTML("<p>A note about {name}</p>")'])
    out = tmp_path / "reports"
    run = reports.run_reports(report_workspace, "2026-03-01", "2026-03-31", every="month",
                              audience="supervision", out=out, notebook=notebook,
                              progress=False)
    assert [r.status for r in run.results] == ["withheld"]
    error = run.results[0].error
    assert "2026-03.html" in error and "a contact's name" in error
    assert name not in error, "the message itself does not reveal the name"
    for part in (name[:2] + "…", "chars"):
        assert part not in error, "nor its first letters or length"
    assert not (out / "supervision" / "2026-03.html").exists()


def test_the_sweep_reads_only_the_tools_files_and_deletes_nothing(report_workspace, tmp_path):
    with Workspace.open(report_workspace) as ws:
        index = reports.leak_index(ws, report_workspace)
        email = next(e for e in ws.people()["email"].dropna())
    folder = tmp_path / "supervision"
    folder.mkdir()
    (folder / "old.html").write_text(f"<p>{email}</p>", encoding="utf-8")
    (folder / "fine.html").write_text("<p>client-3f9a asked twice</p>", encoding="utf-8")
    notes = folder / "my notes.txt"  # the adviser's own file, naming someone
    notes.write_text(f"ask about {email}", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"reports": {
        "old": {"file": "old.html"}, "fine": {"file": "fine.html"}}}), encoding="utf-8")
    problems = reports._sweep(folder, index)
    assert len(problems) == 1 and "old.html" in problems[0]
    assert "an e-mail address" in problems[0] and email not in problems[0]
    assert (folder / "old.html").exists() and (folder / "fine.html").exists()
    assert notes.read_text(encoding="utf-8") == f"ask about {email}"


@pytest.mark.slow
def test_a_failed_check_destroys_nothing(report_workspace, tmp_path):
    with Workspace.open(report_workspace) as ws:
        people = ws.people()
    name = next(n for n in people["name"].dropna() if len(n.split()) == 2 and len(n) > 10)
    good = _notebook(tmp_path, ['from IPython.display import HTML\n'
                                'HTML("<p>A good report</p>")'], "good.ipynb")
    out = tmp_path / "reports"
    run = reports.run_reports(report_workspace, "2026-02-01", "2026-03-31", every="month",
                              audience="supervision", out=out, notebook=good, progress=False)
    assert [r.status for r in run.results] == ["written", "written"] and not run.problems
    folder = out / "supervision"
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".html"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    notes = folder / "notes for supervision.md"
    notes.write_text(f"Talk about {name}", encoding="utf-8")
    leaking = _notebook(tmp_path, [f'from IPython.display import HTML\n'
                                   f'HTML("<p>A note about {name}</p>")'], "leaking.ipynb")
    run = reports.run_reports(report_workspace, "2026-02-01", "2026-03-31", every="month",
                              audience="supervision", out=out, notebook=leaking,
                              progress=False)
    assert [r.status for r in run.results] == ["withheld", "withheld"]
    assert "a contact's name" in run.results[0].error and name not in run.results[0].error
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".html"}
    assert after == before  # both reports and the index, byte for byte
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert notes.read_text(encoding="utf-8") == f"Talk about {name}"
    # and --only-missing the next time changes nothing either
    run = reports.run_reports(report_workspace, "2026-02-01", "2026-03-31", every="month",
                              audience="supervision", out=out, notebook=leaking,
                              only_missing=True, progress=False)
    assert [r.status for r in run.results] == ["skipped", "skipped"] and not run.problems
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".html"} == before
    assert notes.exists()


def test_base64_images_cannot_cause_false_alarms():
    text = '<img src="data:image/png;base64,iVBOR+Anna/xyz=="> <style>.x{color:Anna}</style>'
    assert "Anna" not in reports._scan_text(text)
    assert "Anna" in reports._scan_text("<p>Anna</p>")


@pytest.mark.parametrize("argv", [
    ["--from", "2026-13-01", "--to", "2026-03-31"],
    ["--from", "2026-03-31", "--to", "2026-03-01"],
    ["--from", "2026-03-01", "--to", "2026-03-31", "--jobs", "0"],
])
def test_usage_errors(report_workspace, tmp_path, argv):
    assert main(["report", "--workspace", str(report_workspace), "--out",
                 str(tmp_path), *argv]) == 2


def test_missing_workspace_is_exit_1(tmp_path, capsys):
    assert main(["report", "--workspace", str(tmp_path / "none"), "--from", "2026-03-01",
                 "--to", "2026-03-31", "--out", str(tmp_path / "r")]) == 1
    assert "no workspace" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # nothing made for a mistyped workspace


# ------------------------------------------------------------------------------------------
# pieces


def test_terms_from_the_workspace(tmp_path):
    (tmp_path / "terms.yaml").write_text(
        "terms:\n  - {name: Michaelmas, start: '10-01', end: '12-15'}\n"
        "  - [Lent, '01-10', '03-20']\n", encoding="utf-8")
    terms = reports.load_terms(tmp_path, cwd=tmp_path / "elsewhere")
    assert terms == [("Michaelmas", "10-01", "12-15"), ("Lent", "01-10", "03-20")]
    periods = reports.split("2025-10-01", "2026-03-20", "term", terms=terms)
    assert [p.label for p in periods] == ["Michaelmas 2025", "Between terms", "Lent 2026"]
    assert reports.load_terms(tmp_path / "nothing", cwd=tmp_path / "nothing") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "terms.yaml").write_text("terms: [[Lent, '13-10', '03-20']]")
    with pytest.raises(reports.AdviserAnalyticsError, match="terms.yaml"):
        reports.load_terms(tmp_path / "bad")


def test_write_atomic_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    reports.write_atomic(target, "old")

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(reports.os, "replace", broken)
    with pytest.raises(OSError):
        reports.write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_a_dead_kernel_is_retried_once(monkeypatch):
    calls = []
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# fine")])

    def flaky(task):
        calls.append(task)
        if len(calls) == 1:
            raise reports._KernelTrouble("the kernel died")
        return nb

    monkeypatch.setattr(reports, "_execute", flaky)
    task = {"audience": "self", "title": "t", "keep_ipynb": False}
    result = reports.execute_period(task)
    assert result["ok"] and result["attempts"] == 2 and "fine" in result["html"]

    calls.clear()

    def dead(task):
        calls.append(task)
        raise reports._KernelTrouble("address already in use")

    monkeypatch.setattr(reports, "_execute", dead)
    result = reports.execute_period(task)
    assert not result["ok"] and result["attempts"] == 2 and "failed twice" in result["error"]


def test_cleaning_strips_parameters_code_and_metadata():
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"parameters": {"workspace": "/secret"}}})
    injected = nbformat.v4.new_code_cell('workspace = "/secret/path"')
    injected.metadata["tags"] = ["injected-parameters"]
    shown = nbformat.v4.new_code_cell("report.heading()", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<p>hello</p>"}),
        nbformat.v4.new_output("stream", name="stderr", text="/secret warning")])
    nb.cells = [injected, shown, nbformat.v4.new_code_cell("x = 1")]
    clean = reports.clean_notebook(nb, "supervision", "Title")
    assert len(clean.cells) == 1 and clean.cells[0].source == ""
    assert [o["output_type"] for o in clean.cells[0].outputs] == ["display_data"]
    assert "papermill" not in clean.metadata
    page = reports.notebook_to_html(nb, "supervision", "Title")
    assert "secret" not in page and "hello" in page and "<title>Title</title>" in page


# ------------------------------------------------------------------------------------------
# the browser


@pytest.mark.slow
def test_reports_render_in_headless_chromium(monthly_reports, tmp_path):
    from browser import dump_dom, screenshot

    index = dump_dom(monthly_reports / "index.html")
    assert "Reflection reports" in index
    assert len(re.findall(r'<a href="(self|supervision)/[^"]+\.html"', index)) == 6
    page = monthly_reports / "self" / "2026-01.html"
    dom = dump_dom(page)
    images = re.findall(r'<img[^>]+src="data:image/png;base64,[^"]+"[^>]*>', dom)
    assert len(images) >= 3, "the figures are embedded"
    assert all('alt="' in img for img in images)
    assert "Reflection report: January 2026" in dom
    shot = screenshot(page, tmp_path / "report.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    sup = dump_dom(monthly_reports / "supervision" / "2026-01.html")
    assert "Supervision version" in sup


def test_a_worker_that_dies_is_reported_with_its_last_words(tmp_path, monkeypatch):
    """A report worker that cannot run (here: a broken install) fails its periods with the
    reason it gave, and one that cannot start is named too; nothing waits for ever."""
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'nbconvert'\" >&2\n"
                      "exit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    outcomes = []
    reports._run_parallel([{"period": 1}, {"period": 2}], 2, lambda task, outcome: outcomes.append(outcome))
    assert [o["ok"] for o in outcomes] == [False, False]
    assert all("exit code 3" in o["error"] and "No module named 'nbconvert'" in o["error"]
               for o in outcomes)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "missing"))
    outcomes.clear()
    reports._run_parallel([{"period": 1}], 1, lambda task, outcome: outcomes.append(outcome))
    assert "could not be started" in outcomes[0]["error"]


@pytest.mark.slow
def test_report_sections_follow_coverage_and_never_list_lapsed(report_workspace):
    """A period after the newest export: a note, no figures; one it cuts short: "so far";
    the waiting section lists only requests within the waiting window (lapsed: a count)."""
    from adviser_analytics import reflection
    from adviser_analytics.metrics import data_to_of

    with Workspace.open(report_workspace) as ws:
        data_to = data_to_of(ws, ws.messages(columns=ws.METRIC_COLUMNS))
    after = data_to + dt.timedelta(days=40)
    late = reflection.open_report(report_workspace, after.replace(day=1).isoformat(),
                                  after.isoformat(), "self")
    assert late.metrics["coverage"]["as_of"] is None
    note = str(late.key_numbers())
    assert note.startswith("This period starts after your newest export")
    assert "0" not in note.replace(str(data_to), "")  # no zeros, as if observed
    for name in ("load_summary", "load_figure", "reply_times", "who_asks", "waiting",
                 "conformance", "compare_earlier", "p_chart", "decision_mix"):
        assert str(getattr(late, name)()) == "", name
    assert str(late.worth_discussing()).startswith("- This period starts after")

    last = data_to.replace(day=calendar.monthrange(data_to.year, data_to.month)[1])
    assert last > data_to, "the sample's newest export falls inside a month"
    cut = reflection.open_report(report_workspace, data_to.replace(day=1).isoformat(),
                                 last.isoformat(), "self")
    assert cut.metrics["coverage"]["complete"] is False
    assert f"In this period (so far, to {data_to.isoformat()})" in cut.key_numbers().html
    assert "(so far" in str(cut.load_summary()).splitlines()[0]

    month = reflection.open_report(report_workspace, "2026-03-01", "2026-03-31", "self")
    load = month.metrics["load"]
    waiting = month.model.waiting_requests()
    assert len(waiting) == load["waiting"]
    assert (waiting["days"] <= month.model.waiting_window()).all()
    block = month.waiting()
    assert f"{load['waiting']} waiting" in str(block)
    assert load["lapsed"] and f"{load['lapsed']} older threads lapsed" in str(block)
    rows = block.html.count("<tr") - 1  # the header row
    assert rows == min(10, load["waiting"])  # the waiting ones, never the lapsed
