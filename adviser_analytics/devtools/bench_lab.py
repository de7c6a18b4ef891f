"""Bench of ``adviser-analytics lab``: start to a usable triage, and click to saved.

``python -m adviser_analytics.devtools.bench_lab`` builds the sample workspace (every export in
``data_samples/``, its policy, ``labels suggest``) in a temporary folder, starts
``adviser-analytics lab -- --no-browser --port=P --IdentityProvider.token=T`` and drives it
with headless Chromium (Playwright, Debian's ``/usr/bin/chromium``):

- **start to usable triage**: from starting the command to the first answer button of
  ``triage.ipynb`` on screen (server start, page load, kernel start, Run All Cells, the queue
  built, the widgets drawn). Target: under 15 s on 2 cores.
- **click to saved**: from a click on an answer to the label being in the workspace as
  ``confirmed`` (read through another connection), over several clicks. Target: under 0.3 s.

The driver (:class:`LabServer`, :func:`open_notebook`, :func:`run_all_cells`, ...) is shared
with ``tests/test_lab_browser.py``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
START_TARGET_S = 15.0
CLICK_TARGET_S = 0.3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``adviser-analytics lab`` on a free port with a random token, in a private Jupyter
    configuration (so nothing of the user's own JupyterLab state is read or changed)."""

    def __init__(self, workspace: Path, reports: Path | None = None,
                 state: Path | None = None):
        self.workspace = Path(workspace)
        self.reports = reports
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self._own_state = state is None
        self.state = Path(state or tempfile.mkdtemp(prefix="aa-lab-"))
        self.state.mkdir(parents=True, exist_ok=True)
        self.log_path = self.state / "lab.log"
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "adviser_analytics", "lab", "--workspace",
               str(self.workspace)]
        if self.reports is not None:
            cmd += ["--reports", str(self.reports)]
        cmd += ["--", "--no-browser", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI run as root
        return cmd

    def environment(self) -> dict:
        env = dict(os.environ)
        env.pop("ADVISER_ANALYTICS_WORKSPACE", None)  # `lab` must pass it on itself
        for name, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                             ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                             ("JUPYTERLAB_SETTINGS_DIR", "settings")):
            (self.state / folder).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.state / folder)
        news = (self.state / "settings" / "@jupyterlab" / "apputils-extension"
                / "notification.jupyterlab-settings")
        news.parent.mkdir(parents=True, exist_ok=True)
        news.write_text('{"fetchNews": "false"}', encoding="utf-8")  # no pop-up over the page
        root = str(ROOT)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.setdefault("MPLBACKEND", "Agg")
        return env

    def start(self) -> LabServer:
        self.started_at = time.perf_counter()
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        env=self.environment(), cwd=self.state,
                                        start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds from start until the server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"adviser-analytics lab stopped (exit {self.process.returncode}):"
                                   f"\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=2) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s:\n{self.log()[-3000:]}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and the kernels it started (its own process group)."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)
        if getattr(self, "_log", None):
            self._log.close()
        if self._own_state:
            shutil.rmtree(self.state, ignore_errors=True)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------- page helpers
def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--disable-gpu", "--disable-dev-shm-usage"])


def open_notebook(page, server: LabServer, name: str, timeout: float = 60_000) -> None:
    page.goto(server.url(f"/lab/tree/{name}"), timeout=timeout)
    page.locator(".jp-Notebook:visible .jp-Cell").first.wait_for(timeout=timeout)
    # the kernel is ready when the status bar says so ("Python 3 (ipykernel) | Idle")
    page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\(ipykernel\) \| Idle")) \
        .first.wait_for(timeout=timeout)


def run_all_cells(page) -> None:
    """Run → Run All Cells, as an adviser would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def triage_widget(page):
    return page.locator(".aa-triage")


def answer_button(page, words: str):
    return triage_widget(page).get_by_role("button", name=words, exact=True)


def wait_for_item(page, heading_part: str, timeout: float = 30_000) -> None:
    triage_widget(page).locator("h4", has_text=heading_part).first.wait_for(timeout=timeout)


def wait_for_label(workspace: Path, kind: str, subject: str, value: str | None,
                   timeout: float = 10.0, source: str | None = "confirmed") -> float:
    """Seconds until the workspace holds ``value`` (None: no label) for the subject."""
    from adviser_analytics.store import Workspace

    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    with Workspace.open(workspace) as ws:
        while True:
            labels = ws.labels(kind)
            row = labels[labels["subject"] == subject]
            now = None if row.empty else (row["value"].iloc[0], row["source"].iloc[0])
            want = None if value is None else (value, source)
            if now == want or (value is not None and source is None and now and now[0] == value):
                return time.perf_counter() - started
            if time.monotonic() > deadline:
                raise AssertionError(f"{kind} of {subject}: {now}, expected {want}")
            time.sleep(0.005)


# ---------------------------------------------------------------------- the bench
def build_sample_workspace(folder: Path) -> Path:
    """The sample workspace: every export in data_samples/, the policy, labels suggest."""
    from adviser_analytics.demo import sample_exports
    from adviser_analytics.ingest import ingest
    from adviser_analytics.labels import suggest
    from adviser_analytics.store import Workspace

    samples = ROOT / "data_samples"
    workspace = Path(folder) / "workspace"
    with Workspace.create(workspace) as ws:
        ingest(ws, sample_exports(samples))
        ws.set_policy_text((samples / "policy.yaml").read_text(encoding="utf-8"))
        with ws.transaction():
            suggest(ws)
    return workspace


def _label_kind(item) -> str:
    return "handling" if item.kind == "request" else item.kind


def _handling(value: str) -> str:
    return value.partition(":")[0].strip()


def measure(workspace: Path, clicks: int = 6, say=print) -> dict:
    from playwright.sync_api import sync_playwright

    from adviser_analytics.store import Workspace
    from adviser_analytics.triage import TriageQueue

    with Workspace.open(workspace) as ws:
        items = TriageQueue(ws).items
    figures: dict = {"items": len(items)}
    with LabServer(workspace) as server, sync_playwright() as p:
        browser = launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            figures["server_ready_s"] = server.wait_ready()
            open_notebook(page, server, "triage.ipynb")
            run_all_cells(page)
            first = items[0]
            answer_button(page, first.words(first.values[0])).wait_for(timeout=60_000)
            figures["start_to_usable_triage_s"] = time.perf_counter() - server.started_at
            times = []
            for n in range(min(clicks, len(items))):
                item = items[n]
                value = item.values[n % len(item.values)]
                button = answer_button(page, item.words(value))
                button.wait_for()
                started = time.perf_counter()
                button.click()
                wait_for_label(workspace, _label_kind(item), item.subject,
                               _handling(value) if item.kind == "request" else value)
                times.append(time.perf_counter() - started)
                if n + 1 < len(items):
                    nxt = items[n + 1]
                    answer_button(page, nxt.words(nxt.values[(n + 1) % len(nxt.values)])) \
                        .wait_for(timeout=30_000)
            figures["click_to_saved_s"] = times
        finally:
            browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    import shutil as _shutil

    if not Path(CHROMIUM).exists():
        print(f"bench_lab: skipped, no Chromium at {CHROMIUM}")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="aa-bench-lab-"))
    try:
        started = time.perf_counter()
        workspace = build_sample_workspace(folder)
        print(f"sample workspace built (ingest + labels suggest): {time.perf_counter() - started:.1f} s")
        figures = measure(workspace)
    finally:
        _shutil.rmtree(folder, ignore_errors=True)
    start = figures["start_to_usable_triage_s"]
    clicks = figures["click_to_saved_s"]
    print(f"lab: {figures['items']} items to review in the sample workspace")
    print(f"lab: server answering after {figures['server_ready_s']:.1f} s")
    print(f"lab: start to a usable triage {start:.1f} s (target under {START_TARGET_S:.0f} s: "
          f"{'met' if start < START_TARGET_S else 'NOT met'})")
    print(f"lab: click to saved, {len(clicks)} clicks: median {statistics.median(clicks):.3f} s, "
          f"max {max(clicks):.3f} s (target under {CLICK_TARGET_S} s: "
          f"{'met' if max(clicks) < CLICK_TARGET_S else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
