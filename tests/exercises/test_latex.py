"""LaTeX for paper: ASCII source with known macros everywhere; compiled where pdflatex exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from diffcheck import exercises
from diffcheck.exercises import sheets
from diffcheck.exercises.kinds import TABLE
from diffcheck.exercises.latex import (
    ascii_tex,
    code_block,
    math_width,
    split_display,
    unknown_macros,
    wrap_code_line,
)

SEEDS = (0, 1)
OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)")


def every_kind_and_level() -> tuple[exercises.Exercise, ...]:
    return tuple(exercises.generate(kind, seed, level) for kind in exercises.KINDS
                 for level in range(1, TABLE[kind].levels + 1) for seed in SEEDS)


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    """The sheet and the key of every kind and level, as one document each."""
    sheet = sheets.Sheet("", every_kind_and_level())
    return {"sheet": sheets.tex([sheet], False, "Homework 3: matrix calculus", "ML 101 (2026)"),
            "key": sheets.tex([sheet], True, "Homework 3", "ML 101")}


@pytest.mark.parametrize("which", ["sheet", "key"])
def test_source_is_ascii_and_uses_only_known_macros(documents, which) -> None:
    source = documents[which]
    bad = sorted({c for c in source if not c.isascii()})
    assert not bad, bad
    assert unknown_macros(source) == set()
    assert "verbatim" not in source and "inputenc" not in source
    if which == "sheet":
        assert "How to answer" not in source and "Functions:" not in source  # screens only
        assert "Solution" not in source and "Name:" in source and "ML 101 (2026)" in source


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("which", ["sheet", "key"])
def test_pdflatex_compiles_without_wide_lines(documents, which, tmp_path: Path) -> None:
    (tmp_path / "doc.tex").write_text(documents[which], encoding="ascii")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert result.returncode == 0, re.findall(r"^!.*", log, re.M)[:3]
    assert (tmp_path / "doc.pdf").exists()
    widths = [float(w) for w in OVERFULL.findall(log)]
    assert all(w <= 10 for w in widths), widths


def test_unicode_becomes_macros() -> None:
    assert ascii_tex("∂y/∂x = σ(z)·ŷ") == (r"\ensuremath{\partial}y/\ensuremath{\partial}x = "
                                           r"\ensuremath{\sigma}(z)\ensuremath{\cdot}"
                                           r"\ensuremath{\hat{y}}")
    assert ascii_tex("∂ē/∂d") == r"\ensuremath{\partial}\ensuremath{\bar{e}}/\ensuremath{\partial}d"
    assert ascii_tex("a − b → c") == r"a - b \ensuremath{\to} c"
    assert ascii_tex("中").isascii()


def test_listings_are_escaped_and_wrapped() -> None:
    line = "∂e/∂a = " + " + ".join(["∂ē/∂d·∂d̄/∂c·∂c̄/∂a"] * 8)
    pieces = wrap_code_line(line, 60)
    assert len(pieces) > 1 and all(len(p) <= 60 for p in pieces)
    assert "".join(p.strip() for p in pieces).replace(" ", "") == line.replace(" ", "")
    block = code_block("{a}\\b\n" + line)
    assert block.isascii() and r"\{a\}\textbackslash{}b" in block and "alltt" in block


def test_wide_displays_are_split_and_fitted() -> None:
    narrow = r"a = b"
    assert split_display(narrow) == "\\[\n\\fitdisplay{a = b}\n\\]"
    wide = r",\quad ".join([rf"\frac{{\partial z}}{{\partial w_{k}}} = 2 w_{{{k}}} + 1"
                            for k in range(9)])
    assert math_width(wide) > 62
    split = split_display(wide)
    assert split.startswith("\\begin{gather*}") and split.count("\\fitdisplay") >= 2
