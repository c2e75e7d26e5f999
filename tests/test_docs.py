"""The documentation's code runs, and prints what the documentation says it prints.

Every Markdown file under ``docs/`` is one test. Its fenced code blocks run in order,
in one fresh namespace and a temporary working directory per file:

- ``python``/``py``/``pycon`` blocks with ``>>>`` prompts run through ``doctest``
  (``NORMALIZE_WHITESPACE | ELLIPSIS``), so the output shown is the output produced;
- ``python`` blocks without prompts run with ``exec``;
- a block whose first line is ``# file: NAME`` (any language) is written to ``NAME``
  instead, for the commands that follow (a test module, a ``pytest.ini``);
- ``console`` blocks run each ``$ diffcheck ...`` and ``$ pytest ...`` line (as
  ``python -m diffcheck``/``python -m pytest``) and compare what it prints with the
  lines that follow, the same way.

Blocks in other languages (``text``, ``ini``, ``toml``, ``dot``) are shown, not run.
When Sphinx and MyST are installed, the site is also built with warnings as errors.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PYTHON = {"python", "py", "pycon", "python3"}
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
FILE = re.compile(r"^# file: (?P<name>[\w./-]+)\n")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?:\{code-block\}\s*)?(?P<lang>[\w+-]*)")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, its text and the line its text starts on."""

    path: Path
    lang: str
    text: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def file_name(self) -> str | None:
        match = FILE.match(self.text)
        return match["name"] if match else None

    @property
    def has_prompts(self) -> bool:
        return any(line.lstrip().startswith(">>>") for line in self.text.splitlines())


def markdown_files() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def code_blocks(path: Path) -> list[Block]:
    """The top-level fenced blocks of a Markdown file (fences inside fences are text)."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, lang = match["fence"], match["lang"].lower()
        start = i + 1
        i += 1
        while i < len(lines) and not (
            lines[i].startswith(fence[0] * len(fence)) and not lines[i].strip(fence[0]).strip()
        ):
            i += 1
        blocks.append(Block(path, lang, "\n".join(lines[start:i]) + "\n", start + 1))
        i += 1
    return blocks


# ----- running blocks -----
def run_doctest(block: Block, namespace: dict) -> str:
    """Run a ``>>>`` block; return the failure report ('' when every example passes)."""
    test = doctest.DocTestParser().get_doctest(
        block.text, namespace, block.where, str(block.path), block.line - 1
    )
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test, out=out.write, clear_globs=False)
    namespace.update(test.globs)
    return out.getvalue() if runner.failures else ""


def run_exec(block: Block, namespace: dict) -> None:
    exec(compile(block.text, block.where, "exec"), namespace)  # noqa: S102 - our own docs


def console_commands(block: Block) -> list[tuple[str, str]]:
    """``(command, expected output)`` for each ``$ diffcheck ...`` line of a console block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found:
            found[-1][1].append(line)
    return [(cmd, "\n".join(out).strip("\n") + "\n") for cmd, out in found]


def run_command(command: str) -> subprocess.CompletedProcess | None:
    """Run ``diffcheck ARGS [> FILE]`` or ``pytest ARGS``; None for other commands.

    pytest gets ``-p diffcheck.pytest_plugin`` so the page works in a checkout where
    the plugin's entry point is not installed (loading it twice is harmless).
    """
    words = shlex.split(command)
    if not words or words[0] not in ("diffcheck", "pytest"):
        return None
    target = None
    if len(words) > 2 and words[-2] == ">":
        words, target = words[:-2], words[-1]
    argv = [sys.executable, "-m", words[0], *words[1:]]
    if words[0] == "pytest":
        argv[3:3] = ["-p", "diffcheck.pytest_plugin", "-p", "no:cacheprovider"]
    env = {**os.environ, "COLUMNS": "80"}  # argparse wraps help text to the terminal width
    for name in [k for k in env if k.startswith(("PYTEST_", "HYPOTHESIS_"))]:
        del env[name]  # the inner pytest is not a worker of this one
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)  # noqa: S603
    if target is not None:
        Path(target).write_text(result.stdout, encoding="utf-8")
        result.stdout = ""
    return result


def run_console(block: Block) -> str:
    """Run each ``$ diffcheck`` command of the block; return what differs ('' if nothing)."""
    problems = []
    checker = doctest.OutputChecker()
    for command, expected in console_commands(block):
        result = run_command(command)
        if result is None:
            continue
        got = (result.stdout + result.stderr).strip("\n") + "\n"
        if expected.strip() and not checker.check_output(expected, got, FLAGS):
            problems.append(f"{block.where}: $ {command}\n--- expected\n{expected}--- got\n{got}")
        elif not expected.strip() and result.returncode != 0:
            problems.append(f"{block.where}: $ {command} exited {result.returncode}\n{got}")
    return "\n".join(problems)


def run_file(path: Path) -> list[str]:
    """Run every code block of one Markdown file; return the failures."""
    namespace: dict = {"__name__": f"docs.{path.stem}"}
    failures = []
    for block in code_blocks(path):
        if block.file_name:
            Path(block.file_name).write_text(block.text, encoding="utf-8")
        elif block.lang in PYTHON:
            if block.has_prompts:
                failure = run_doctest(block, namespace)
                if failure:
                    failures.append(failure)
            else:
                run_exec(block, namespace)
        elif block.lang == "console":
            failure = run_console(block)
            if failure:
                failures.append(failure)
    return failures


# ----- tests -----
def test_the_parser_reads_fences_inside_fences_as_text(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n````markdown\n```python\nnot run\n```\n````\n\n```python\n>>> 1 + 1\n2\n```\n"
        "~~~console\n$ diffcheck demo\n~~~\n",
        encoding="utf-8",
    )
    blocks = code_blocks(page)
    assert [(b.lang, b.line) for b in blocks] == [("markdown", 3), ("python", 9), ("console", 13)]
    assert blocks[1].has_prompts and blocks[1].text == ">>> 1 + 1\n2\n"
    assert console_commands(blocks[2]) == [("diffcheck demo", "\n")]


def test_there_is_documentation_to_test():
    pages = {p.relative_to(DOCS).parts[0] for p in markdown_files()}
    assert {"tutorial", "howto", "reference", "design", "index.md"} <= pages


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_run_and_print_what_the_page_shows(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (exercise sheets, answers)
    monkeypatch.syspath_prepend(str(tmp_path))
    failures = run_file(path)
    assert not failures, "\n\n".join(failures)


def test_the_committed_graph_figure_is_what_to_dot_draws():
    """docs/_static/graph-abcd.dot is the DOT source ``dc.to_dot`` writes for the lecture graph."""
    import diffcheck as dc

    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    d = a * c
    committed = (DOCS / "_static" / "graph-abcd.dot").read_text(encoding="utf-8")
    assert committed == dc.to_dot(d, names={"c": c, "d": d})


def test_the_site_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="sphinx is not installed (pip install sphinx myst-parser)")
    pytest.importorskip("myst_parser", reason="myst-parser is not installed (pip install myst-parser)")
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html"),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "html" / "index.html").exists()
    assert (tmp_path / "html" / "tutorial" / "index.html").exists()


if __name__ == "__main__":  # pragma: no cover - ``python tests/test_docs.py docs/x.md`` to debug
    import tempfile

    here = Path.cwd()
    for name in sys.argv[1:] or map(str, markdown_files()):
        page = (here / name).resolve()
        with tempfile.TemporaryDirectory() as scratch:  # pages write files: never into the checkout
            os.chdir(scratch)
            sys.path.insert(0, scratch)
            try:
                print(name, "\n\n".join(run_file(page)) or "ok")
            finally:
                sys.path.remove(scratch)
                os.chdir(here)
