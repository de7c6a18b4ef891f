"""The command line's frame: one module per command, and what escapes a command becomes an
exit code with a worded message (1 bad input, 2 misuse, 3 a fault of ours), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adviser_analytics import cli
from adviser_analytics.cli import status
from adviser_analytics.errors import BadPolicyError, UsageError

ROOT = Path(__file__).resolve().parent.parent


def _failing_status(monkeypatch, error: BaseException) -> None:
    def run(args):
        raise error

    monkeypatch.setattr(status, "run", run)


def test_bad_input_is_exit_1_with_file_line_and_remedy(monkeypatch, capsys):
    _failing_status(monkeypatch, BadPolicyError("'often' is not a decision", file="policy.yaml",
                                                line=7, what_to_do="use accept, ask or ignore"))
    assert cli.main(["status"]) == 1
    assert capsys.readouterr().err == (
        "adviser-analytics: policy.yaml, line 7: 'often' is not a decision. "
        "Use accept, ask or ignore.\n")


def test_misuse_is_exit_2(monkeypatch, capsys):
    _failing_status(monkeypatch, UsageError("--to is before --from"))
    assert cli.main(["status"]) == 2
    assert capsys.readouterr().err == "adviser-analytics: --to is before --from\n"


def test_a_fault_of_ours_is_exit_3_worded_without_a_traceback(monkeypatch, capsys):
    monkeypatch.delenv("ADVISER_ANALYTICS_DEBUG", raising=False)
    _failing_status(monkeypatch, KeyError("owner"))
    assert cli.main(["status"]) == 3
    err = capsys.readouterr().err
    assert "fault in adviser-analytics, not in your data" in err and "KeyError" in err
    assert "Traceback" not in err
    assert cli.main(["status", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_an_interrupt_is_130(monkeypatch, capsys):
    _failing_status(monkeypatch, KeyboardInterrupt())
    assert cli.main(["status"]) == 130
    assert "as it was before" in capsys.readouterr().err


def test_every_command_module_registers_its_command_and_handler():
    parser = cli.build_parser()
    names = {"ingest": ["x.zip"], "status": [], "labels": ["suggest"], "policy": ["show"],
             "metrics": ["--from", "2026-01-01", "--to", "2026-01-31"],
             "report": ["--from", "2026-01-01", "--to", "2026-01-31"], "journal": [],
             "forget": ["--person", "https://www.linkedin.com/in/x"], "demo": [],
             "advice": [], "handover": [], "contacts": ["export", "x.vcf"], "browse": [],
             "lab": [],
             "export_person": ["https://www.linkedin.com/in/x", "--out", "x"]}
    assert [m.__name__.rsplit(".", 1)[-1] for m in cli.COMMANDS] == list(names)
    for module in cli.COMMANDS:
        name = module.__name__.rsplit(".", 1)[-1]
        command = name.replace("_", "-")  # export_person.py is `export-person`
        args = parser.parse_args([command, *names[name]])
        assert args.command == command and args.handler is module.run


def test_usage_errors_from_argparse_are_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["metrics", "--from", "2026-01-01"])
    assert stop.value.code == 2
    assert "--to" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "adviser_analytics", "status", "--workspace",
                           str(tmp_path / "none")], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "there is no workspace at" in done.stderr and "Traceback" not in done.stderr
