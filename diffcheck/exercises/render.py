"""Exercise text as a few JSON-friendly blocks, rendered to Markdown or LaTeX.

A block is a pair ``(kind, text)``:

- ``("p", text)``: a paragraph; inline maths in ``$...$``, code in backticks, ``**bold**``;
- ``("math", latex)``: displayed maths;
- ``("code", text)``: a verbatim block (e.g. the route listing of ``dc.explain``);
- ``("items", text)``: a bullet list, one item per line (inline markup as in ``"p"``).

Markdown keeps the markup as is (Jupyter/MathJax renders it); LaTeX converts it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from diffcheck.exercises.latex import ascii_tex, code_block, split_display

Block = tuple[str, str]
KINDS = ("p", "math", "code", "items")
FORMATS = ("md", "tex")

_INLINE = re.compile(r"(\$[^$]+\$|`[^`]*`|\*\*[^*]+\*\*)")
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_UNICODE_TEX = {"∂": r"$\partial$", "σ": r"$\sigma$", "·": r"$\cdot$", "×": r"$\times$",
                "→": r"$\to$", "−": "-", "ŷ": r"$\hat{y}$", "…": r"\ldots{}", "≈": r"$\approx$",
                "̄": ""}


def tex_escape(text: str) -> str:
    """Plain text made safe for LaTeX (special characters and a few symbols)."""
    out = "".join(_TEX_SPECIAL.get(c, c) for c in text)
    return "".join(_UNICODE_TEX.get(c, c) for c in out)


def _inline_tex(text: str) -> str:
    parts = []
    for piece in _INLINE.split(text):
        if piece.startswith("$") and piece.endswith("$") and len(piece) > 1:
            parts.append(piece)
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            parts.append(r"\texttt{" + tex_escape(piece[1:-1]) + "}")
        elif piece.startswith("**") and piece.endswith("**") and len(piece) > 3:
            parts.append(r"\textbf{" + tex_escape(piece[2:-2]) + "}")
        else:
            parts.append(tex_escape(piece))
    return "".join(parts)


def to_markdown(blocks: Sequence[Block]) -> str:
    """Markdown with ``$``/``$$`` maths (MathJax/KaTeX in Jupyter and most renderers)."""
    out = []
    for kind, text in blocks:
        if kind == "math":
            out.append(f"$$\n{text}\n$$")
        elif kind == "code":
            out.append(f"```text\n{text}\n```")
        elif kind == "items":
            out.append("\n".join(f"- {line}" for line in text.splitlines()))
        else:
            out.append(text)
    return "\n\n".join(out) + "\n"


def to_tex(blocks: Sequence[Block]) -> str:
    """A LaTeX fragment (needs ``amsmath``; see :func:`tex_document`)."""
    out = []
    for kind, text in blocks:
        if kind == "math":
            out.append(split_display(text))
        elif kind == "code":
            out.append(code_block(text))
        elif kind == "items":
            items = "\n".join(f"  \\item {_inline_tex(line)}" for line in text.splitlines())
            out.append(f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}")
        else:
            out.append(_inline_tex(text))
    return ascii_tex("\n\n".join(out) + "\n")


def render(blocks: Sequence[Block], fmt: str) -> str:
    """Blocks in ``fmt``, ``"md"`` or ``"tex"``."""
    if fmt == "md":
        return to_markdown(blocks)
    if fmt == "tex":
        return to_tex(blocks)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def tex_document(body: str, title: str = "", course: str = "") -> str:
    """A complete LaTeX document (ASCII, for plain ``pdflatex``) around rendered exercises."""
    from diffcheck.exercises.latex import document

    return document(body, title, course)


def echo(text: str, limit: int = 80) -> str:
    """Untrusted text made safe to show in Markdown/HTML feedback: escaped, one line, short."""
    flat = "".join(c if c.isprintable() else "?" for c in text)
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return html.escape(flat, quote=False).replace("`", "&#96;").replace("$", "&#36;")
