"""The package's shape: small modules, lint-clean, and no op looked up by name outside ``ops/``."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import diffcheck as dc
from diffcheck.ops import REGISTRY

PACKAGE = Path(dc.__file__).parent
ROOT = PACKAGE.parent
MAX_LINES = 400
# Attributes and names through which code reaches an IR node's op (``node.op.name``).
OP_HANDLES = {"op", "op_name"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_the_size_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def mentions_an_op(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr in OP_HANDLES
        or isinstance(n, ast.Name) and n.id in OP_HANDLES
        for n in ast.walk(node)
    )


def op_name_dispatch(source: str) -> list[int]:
    """Lines that compare an op (``node.op.name``, ``op``) with a registered op's name."""
    names, lines = set(REGISTRY), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            literals = [e for side in sides for e in [side, *getattr(side, "elts", [])]
                        if isinstance(e, ast.Constant) and e.value in names]
            if literals and any(mentions_an_op(s) for s in sides if not isinstance(s, ast.Constant)):
                lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and isinstance(node.value, ast.Constant):
            if node.value.value in names:
                lines.append(node.lineno)
    return lines


def test_the_dispatch_detector_sees_what_it_forbids():
    assert op_name_dispatch("if node.op.name == 'matmul':\n    pass\n") == [1]
    assert op_name_dispatch("if op in ('sum', 'mean'):\n    pass\n") == [1]
    assert op_name_dispatch("match op:\n    case 'relu':\n        pass\n") == [2]
    assert op_name_dispatch("if mode == 'fast':\n    pass\n") == []


def test_no_op_is_dispatched_on_by_name_outside_the_op_table():
    offenders = {
        str(p.relative_to(PACKAGE)): lines for p in modules()
        if "ops" not in p.relative_to(PACKAGE).parts
        and (lines := op_name_dispatch(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
