"""Write the real output under every ``>>>`` example and ``$ diffcheck`` command of docs pages.

    python docs/_scripts/fill_outputs.py docs/tutorial/01-logic-gates.md [...]
    python docs/_scripts/fill_outputs.py README.md

Runs each page's blocks exactly as ``tests/test_docs.py`` does (one namespace and one
temporary working directory per page; the README's console lines as ``tests/test_readme.py``
runs them, with bash) and rewrites the expected output of every example with what it
printed. Output already shown that still matches (with
``...`` ellipses and whitespace normalised, as the test compares) is kept as
written, so hand-placed ``...`` survive a rerun. Output is never typed by hand.
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import os
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
sys.path.insert(0, str(ROOT))  # tests/test_readme.py imports tests.test_docs


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


docs_test = _load("test_docs")
readme_test = _load("test_readme")

CHECKER = doctest.OutputChecker()


def run_example(example: doctest.Example, namespace: dict, name: str) -> str:
    """What ``doctest`` would see for one example: printed output or the exception."""
    buffer, stdout = io.StringIO(), sys.stdout
    sys.stdout = buffer
    try:
        exec(compile(example.source, name, "single"), namespace)  # noqa: S102 - our own docs
        error = None
    except Exception as exc:  # noqa: BLE001 - shown as the example's output
        error = exc
    finally:
        sys.stdout = stdout
    got = buffer.getvalue()
    if error is not None:
        last = "".join(traceback.format_exception_only(type(error), error))
        got += "Traceback (most recent call last):\n  ...\n" + last
    return got


def keep_or_replace(want: str, got: str) -> str:
    if want and CHECKER.check_output(want, got, docs_test.FLAGS):
        return want
    if "Traceback (most recent call last):" in got and want.startswith("Traceback"):
        exc_msg = got.split("\n  ...\n", 1)[1]
        if CHECKER.check_output(want.split("\n  ...\n", 1)[-1], exc_msg, docs_test.FLAGS):
            return want
    return got


def render(example: doctest.Example, want: str) -> str:
    pad = " " * example.indent
    source = example.source.rstrip("\n").split("\n")
    lines = [pad + ">>> " + source[0]] + [pad + "... " + s for s in source[1:]]
    for line in want.rstrip("\n").split("\n") if want else []:
        lines.append(pad + (line if line.strip() else "<BLANKLINE>"))
    return "\n".join(lines) + "\n"


def fill_doctest(block, namespace: dict) -> str:
    pieces = doctest.DocTestParser().parse(block.text, block.where)
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        got = run_example(piece, namespace, block.where)
        out.append(render(piece, keep_or_replace(piece.want, got)))
    return "".join(out)


def fill_console(block) -> str:
    readme = block.path == README
    out = []
    for command, expected in docs_test.console_commands(block):
        out.append(f"$ {command}\n")
        result = (readme_test.run_command if readme else docs_test.run_command)(command)
        if result is None:
            out.append(expected if expected.strip() else "")
            continue
        if readme:
            got = readme_test.printed(result)
        else:
            got = (result.stdout + result.stderr).strip("\n")
            got = got + "\n" if got else ""
        out.append(keep_or_replace(expected, got) if expected.strip() else got)
    return "".join(out)


def fill(path: Path) -> None:
    namespace: dict = {"__name__": f"docs.{path.stem}"}
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    replacements = []
    for block in docs_test.code_blocks(path):
        if block.file_name:
            Path(block.file_name).write_text(block.text, encoding="utf-8")
            continue
        if block.lang in docs_test.PYTHON and block.has_prompts:
            new = fill_doctest(block, namespace)
        elif block.lang in docs_test.PYTHON:
            docs_test.run_exec(block, namespace)
            continue
        elif block.lang == "console":
            new = fill_console(block)
        else:
            continue
        old_lines = block.text.rstrip("\n").split("\n") if block.text.strip() else []
        replacements.append((block.line - 1, len(old_lines), new.rstrip("\n").split("\n")))
    for start, count, new_lines in reversed(replacements):
        lines[start : start + count] = new_lines
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str]) -> None:
    paths = [Path(a).resolve() for a in argv]
    here = os.getcwd()
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            sys.path.insert(0, tmp)
            try:
                fill(path)
            finally:
                sys.path.remove(tmp)
                os.chdir(here)
        print("filled", path.relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
