"""The command line: the demo, python -m, and exit codes."""

import os
import subprocess
import sys

import diffcheck
from diffcheck import cli


def test_demo_checks_every_example_and_exits_0(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    for title in ("d = a·c", "y = Wx", "y = xW", "Y = XW", "y = VWx", "4×4×3"):
        assert title in out
    assert "DISAGREE" not in out
    assert "checks agree across sympy, tape and numeric" in out


def test_demo_exits_1_when_a_check_fails(plant_matmul_bug, capsys):
    plant_matmul_bug()
    assert cli.main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREE" in out and "Mismatched elements" in out


def test_bad_usage_exits_2_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "diffcheck", "no-such-command"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "invalid choice" in result.stderr


def test_python_m_diffcheck_runs_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "diffcheck", "demo"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree" in result.stdout


def test_version_prints_the_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"diffcheck {diffcheck.__version__}\n"


def test_a_reader_that_stops_early_ends_in_one_line_and_exit_2():
    """``diffcheck ... | head``: the pipe closes before the output is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write fails with EPIPE, deterministically
    try:
        result = subprocess.run(
            [sys.executable, "-m", "diffcheck", "exercises", "--kind", "graph"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "broken pipe" in result.stderr, result.stderr
