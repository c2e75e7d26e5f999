"""The README runs exactly as printed: every block is executed and its output compared.

The README follows the conventions of ``tests/test_docs.py``, whose helpers run it (one
namespace and one temporary working directory for the whole file):

- ``python`` blocks with ``>>>`` prompts run through ``doctest``; without prompts, ``exec``;
- a block whose first line is ``# file: NAME`` is written to ``NAME`` (a test module);
- ``console`` blocks run each ``$ `` line with bash, ``diffcheck`` and ``pytest`` being this
  checkout's ``python -m diffcheck`` and ``python -m pytest``, and compare what the command
  prints with the lines below it (doctest's whitespace normalisation; ``...`` only where
  the output varies, such as pytest's timing).

The Quickstart's ``bash`` block installs packages: it is compared with ``.ci/run``, not run.
The outputs are never typed by hand; after a change of wording, regenerate them with
``python docs/_scripts/fill_outputs.py README.md``.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_docs import FLAGS, PYTHON, Block, code_blocks, console_commands, run_doctest, run_exec

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# The README's commands as a user types them, run on this checkout.
SHELL_FUNCTIONS = (
    'diffcheck() { "$PYTHON" -m diffcheck "$@"; }\n'
    'pytest() { "$PYTHON" -m pytest -p diffcheck.pytest_plugin -p no:cacheprovider "$@"; }\n'
)


def run_command(command: str) -> subprocess.CompletedProcess:
    """Run one ``$ `` line of a console block with bash in the current directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env.update(PYTHON=sys.executable, PYTHONPATH=str(ROOT), COLUMNS="80")
    return subprocess.run(["bash", "-c", SHELL_FUNCTIONS + command], capture_output=True, text=True,  # noqa: S603
                          timeout=300, env=env, check=False)


# The one volatile part of the README's output: how long pytest took ("1 passed in 3.20s").
TIMING = re.compile(r"(\d+ (?:passed|failed|skipped|errors?) in )\d+(?:\.\d+)?s(?: \(\d+:\d\d:\d\d\))?")


def printed(result: subprocess.CompletedProcess) -> str:
    """What a terminal shows for a command (stdout then stderr), pytest's timing as ``...``."""
    text = TIMING.sub(r"\1...", (result.stdout + result.stderr).strip("\n"))
    return text + "\n" if text else ""


def run_console(block: Block) -> list[str]:
    """Run every command of a console block; the differences from what the block shows."""
    checker = doctest.OutputChecker()
    problems = []
    for command, expected in console_commands(block):
        result = run_command(command)
        got = printed(result)
        if expected.strip():
            if not checker.check_output(expected, got, FLAGS):
                problems.append(f"{block.where}: $ {command}\n--- README\n{expected}--- printed\n{got}")
        elif result.returncode != 0 or got:
            problems.append(f"{block.where}: $ {command} printed (exit {result.returncode}):\n{got}")
    return problems


def quickstart() -> Block:
    return next(b for b in code_blocks(README) if b.lang == "bash")


def run_readme() -> list[str]:
    """Run every block of the README in order; the failures."""
    namespace: dict = {"__name__": "readme"}
    failures: list[str] = []
    for block in code_blocks(README):
        if block.file_name:
            Path(block.file_name).write_text(block.text, encoding="utf-8")
        elif block.lang in PYTHON and block.has_prompts:
            failures += [f for f in [run_doctest(block, namespace)] if f]
        elif block.lang in PYTHON:
            run_exec(block, namespace)
        elif block.lang == "console":
            failures += run_console(block)
    return failures


# ----- tests -----
def test_every_block_is_run_or_is_the_quickstart():
    """Output shown in a ``text`` block, or commands in a ``bash`` block, would go unchecked."""
    blocks = code_blocks(README)
    assert {b.lang for b in blocks} <= {"python", "console", "bash"}
    assert [b for b in blocks if b.lang == "bash"] == [quickstart()]
    assert sum(b.lang == "console" for b in blocks) >= 2 and any(b.has_prompts for b in blocks)


def test_the_readme_runs_and_prints_what_it_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write files: a test module, a sheet, answers
    monkeypatch.syspath_prepend(str(tmp_path))
    failures = run_readme()
    assert not failures, "\n\n".join(failures)


def test_the_exercises_block_creates_every_file_it_reads():
    """``diffcheck grade sheet.json answers.json`` only after both files were written."""
    commands = [c for b in code_blocks(README) if b.lang == "console" for c, _ in console_commands(b)]
    grade = next(k for k, c in enumerate(commands) if c.startswith("diffcheck grade"))
    written = {m for c in commands[:grade] for m in re.findall(r">\s*(\S+)$", c)}
    assert set(commands[grade].split()[2:4]) <= written


def test_quickstart_is_two_commands_and_ci_runs_the_second():
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = quickstart().text.strip().splitlines()
    assert quickstart().text in section
    assert commands == ["pip install . && diffcheck demo",
                        "pip install '.[test]' && python -m pytest -n auto"]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
