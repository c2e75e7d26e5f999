"""LaTeX that plain ``pdflatex`` compiles: ASCII source, Unicode mapped to macros, no wide lines.

Exercise text is written with Unicode (``∂y/∂x``, ``σ``, ``ŷ``, the ``ē`` of
``dc.explain``); :func:`ascii_tex` maps every such character to a macro wrapped in
``\\ensuremath`` (valid in text, in maths and inside ``alltt``), so the source is
pure ASCII and needs no ``inputenc`` setup. Verbatim listings become ``alltt``
blocks (macros allowed) with lines wrapped before they overflow, and displayed
maths wider than the page is split at its top-level separators (``\\quad``, ``,``)
into a ``gather*``. :data:`MACROS` is every control sequence the output may use; a
test checks generated documents against it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Unicode → LaTeX (maths); every value is used as \ensuremath{value}.
UNICODE_MATH = {
    "∂": r"\partial", "σ": r"\sigma", "δ": r"\delta", "∇": r"\nabla", "·": r"\cdot",
    "×": r"\times", "→": r"\to", "≈": r"\approx", "≠": r"\ne", "≤": r"\le", "≥": r"\ge",
    "⊙": r"\odot", "ŷ": r"\hat{y}", "ᵀ": r"^{T}", "…": r"\ldots", "′": r"'", "½": r"\tfrac{1}{2}",
    "Σ": r"\Sigma", "λ": r"\lambda", "η": r"\eta", "ε": r"\varepsilon", "²": r"^{2}",
    "⁻": r"^{-}", "¹": r"^{1}", "₀": r"_{0}", "₁": r"_{1}", "₂": r"_{2}", "₃": r"_{3}",
}
PLAIN = {"−": "-", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~"}
COMBINING = {"\u0304": r"\bar", "\u0302": r"\hat", "\u0303": r"\tilde", "\u0307": r"\dot"}

# Every control sequence a generated document may contain (checked by the tests).
MACROS = frozenset({
    "documentclass", "usepackage", "begin", "end", "section", "subsection", "par", "noindent",
    "textbf", "texttt", "textit", "emph", "item", "bigskip", "medskip", "smallskip", "hrule",
    "clearpage", "newpage", "vspace", "hspace", "hfill", "rule", "linewidth", "small",
    "footnotesize", "large", "Large", "centerline", "textbackslash", "textasciitilde",
    "textasciicircum", "ldots", "allowdisplaybreaks", "pagestyle", "thispagestyle", "raggedright",
    "sloppy", "setlength", "parindent", "parskip", "emergencystretch", "ensuremath", "quad",
    "qquad", "hat", "bar", "tilde", "dot", "frac", "tfrac", "dfrac", "left", "right", "partial",
    "sigma", "delta", "nabla", "cdot", "times", "to", "approx", "ne", "le", "ge", "odot", "Sigma",
    "lambda", "eta", "varepsilon", "mathbf", "mathbb", "mathrm", "operatorname", "sum", "log",
    "exp", "tanh", "sin", "cos", "tan", "sinh", "cosh", "sqrt", "max", "min", "text", "cdots",
    "vdots", "ddots", "infty", "pi", "neq", "leq", "geq", "limits",
    "boldsymbol", "top", "mid", "vert", "lvert", "rvert", "lbrace", "rbrace", "displaystyle",
    "textstyle", "label", "nonumber", "notag", "mathit", "in", "cup", "cap",
    "wedge", "vee", "neg", "pm", "mp", "prime", "Big", "newsavebox", "newcommand", "sbox", "ifdim",
    "wd", "resizebox", "usebox", "else", "fi", "fitdisplay", "dcbox", "lVert", "rVert", "Vert",
})
ALLOWED_ENVIRONMENTS = frozenset({
    "document", "itemize", "enumerate", "alltt", "gather*", "align*", "aligned", "matrix",
    "bmatrix", "pmatrix", "cases", "array", "center", "small", "footnotesize",
})
PACKAGES = ("amsmath", "amssymb", "alltt", "graphicx")
# \fitdisplay{math}: the display as it is, or shrunk to the line width when wider.
PREAMBLE = (
    "\\newsavebox{\\dcbox}\n"
    "\\newcommand{\\fitdisplay}[1]{\\sbox{\\dcbox}{$\\displaystyle #1$}%\n"
    "  \\ifdim\\wd\\dcbox>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox{\\dcbox}}%\n"
    "  \\else\\usebox{\\dcbox}\\fi}\n"
)
TEXT_WIDTH_PT = 483.0  # a4 paper, 2 cm margins
CODE_COLUMNS = 92  # \small typewriter: about 5.2 pt a character
MATH_LIMIT = 62  # estimated display width (in "x" characters) that fits one line

_CONTROL = re.compile(r"\\([A-Za-z]+)")
_ENVIRONMENT = re.compile(r"\\begin\{([^}]*)\}")


def ascii_tex(text: str) -> str:
    """``text`` with every non-ASCII character replaced by an ASCII LaTeX equivalent.

    Combining accents apply to the character before them (``ē`` → ``\\ensuremath{\\bar{e}}``);
    characters without a mapping fall back to their decomposition, then to ``?``.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(char)
        elif char in COMBINING and out:
            base = out.pop()
            out.append(rf"\ensuremath{{{COMBINING[char]}{{{base}}}}}")
        elif char in UNICODE_MATH:
            out.append(rf"\ensuremath{{{UNICODE_MATH[char]}}}")
        elif char in PLAIN:
            out.append(PLAIN[char])
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in decomposed if c.isascii())
            accent = next((COMBINING[c] for c in decomposed if c in COMBINING), None)
            if base and accent:
                out.append(rf"\ensuremath{{{accent}{{{base}}}}}")
            else:
                out.append(base or "?")
    return "".join(out)


def code_block(text: str, columns: int = CODE_COLUMNS) -> str:
    """A listing as an ``alltt`` block: special characters escaped, long lines wrapped."""
    lines = []
    for line in text.splitlines():
        lines.extend(wrap_code_line(line, columns))
    escaped = "\n".join(_escape_code(line) for line in lines)
    return "{\\small\n\\begin{alltt}\n" + escaped + "\n\\end{alltt}\n}"


def _escape_code(line: str) -> str:
    line = line.replace("\\", "\x00").replace("{", r"\{").replace("}", r"\}")
    return ascii_tex(line.replace("\x00", r"\textbackslash{}"))


def wrap_code_line(line: str, columns: int) -> list[str]:
    """``line`` cut into pieces of at most ``columns`` characters, continued with an indent.

    Cuts prefer a space, then ``·``, ``*``, ``+`` or ``,``; a piece without any is cut hard.
    """
    indent = len(line) - len(line.lstrip(" ")) + 6
    pieces, rest = [], line
    while len(rest) > columns:
        window = rest[:columns]
        cut = max(window.rfind(" "), window.rfind("·") + 1, window.rfind("*") + 1,
                  window.rfind("+") + 1, window.rfind(",") + 1)
        if cut <= indent:
            cut = columns
        pieces.append(rest[:cut].rstrip())
        rest = " " * indent + rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


# ----- displayed maths -----
def math_width(latex: str) -> float:
    """A rough width of displayed LaTeX, in characters of ordinary maths.

    Matrices count their widest row; fractions their wider line; macros one character.
    It errs on the wide side, so a display it accepts fits the page.
    """
    text = re.sub(r"\\(left|right|mathbf|mathrm|operatorname|displaystyle|limits)\b", "", latex)
    text = re.sub(r"\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}", "", text)
    width, depth = 0.0, 0
    rows = re.split(r"\\\\", text)
    if len(rows) > 1:
        return max(math_width(row) for row in rows)
    text = re.sub(r"\\(?:t|d)?frac\{((?:[^{}]|\{[^{}]*\})*)\}\{((?:[^{}]|\{[^{}]*\})*)\}",
                  lambda m: "x" * int(max(math_width(m[1]), math_width(m[2]))), text)
    for token in re.findall(r"\\[A-Za-z]+|\\.|[_^]\{[^{}]*\}|[_^].|.", text):
        if token.startswith(("_", "^")):
            width += 0.7 * max(1, len(re.sub(r"[{}\\ ]", "", token[1:])))
        elif token in ("{", "}"):
            depth += 1 if token == "{" else -1
        elif token in ("&",):
            width += 1.5
        elif token in (r"\quad",):
            width += 2
        elif token in (r"\qquad",):
            width += 4
        elif token == " ":
            continue
        else:
            width += 1
    return width


def split_display(latex: str, limit: float = MATH_LIMIT) -> str:
    """A display, split into a ``gather*`` at top-level separators when it is too wide.

    Every line is set with ``\\fitdisplay`` (see :data:`PREAMBLE`), which shrinks a line
    that is still wider than the page: nothing ever runs into the margin.
    """
    if math_width(latex) <= limit or "\\begin{aligned}" in latex:
        return f"\\[\n\\fitdisplay{{{latex}}}\n\\]"
    pieces = _top_level_split(latex)
    if len(pieces) < 2:
        return f"\\[\n\\fitdisplay{{{latex}}}\n\\]"
    lines, current = [], ""
    for piece in pieces:
        joined = f"{current},\\quad {piece}" if current else piece
        if current and math_width(joined) > limit:
            lines.append(current)
            current = piece
        else:
            current = joined
    lines.append(current)
    return ("\\begin{gather*}\n" + " \\\\\n".join(f"\\fitdisplay{{{line}}}" for line in lines)
            + "\n\\end{gather*}")


def _top_level_split(latex: str) -> list[str]:
    """Pieces of ``latex`` between top-level ``,\\quad``/``,\\ ``/``\\qquad`` separators."""
    pieces, depth, start, k = [], 0, 0, 0
    separators = (r",\qquad", r",\quad", r",\ ", r"\qquad", r", \quad", r", \qquad")
    while k < len(latex):
        char = latex[k]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and latex.startswith(r"\left", k):
            depth += 1
            k += 5
            continue
        elif depth > 0 and latex.startswith(r"\right", k):
            depth -= 1
            k += 6
            continue
        if depth == 0:
            sep = next((s for s in separators if latex.startswith(s, k)
                        and not latex[k + len(s):k + len(s) + 1].isalpha()), None)
            if sep:
                pieces.append(latex[start:k].strip())
                k += len(sep)
                start = k
                continue
        k += 1
    pieces.append(latex[start:].strip())
    return [p for p in pieces if p]


# ----- documents -----
def document(body: str, title: str = "", course: str = "", header: str = "") -> str:
    """A complete, ASCII, ``pdflatex``-ready document around rendered exercises."""
    from diffcheck.exercises.render import tex_escape

    head = []
    if course:
        head.append(f"{{\\large {tex_escape(course)}}}\\par\\smallskip")
    if title:
        head.append(f"{{\\Large\\textbf{{{tex_escape(title)}}}}}\\par")
    if header:
        head.append(header)
    top = ("\\noindent " + "\n".join(head) + "\n\\medskip\\hrule\\bigskip\n\n") if head else ""
    return ascii_tex(
        "\\documentclass[a4paper,11pt]{article}\n"
        f"\\usepackage{{{','.join(PACKAGES)}}}\n"
        "\\usepackage[margin=2cm]{geometry}\n\\allowdisplaybreaks\n\\pagestyle{plain}\n"
        "\\setlength{\\parindent}{0pt}\n\\setlength{\\parskip}{0.6em}\n"
        "\\setlength{\\emergencystretch}{3em}\n" + PREAMBLE +
        f"\\begin{{document}}\n{top}{body}\n\\end{{document}}\n"
    )


def macros_used(source: str) -> set[str]:
    """The control-sequence names in ``source`` (``\\frac`` → ``frac``)."""
    return set(_CONTROL.findall(source.replace("\\\\", " ")))  # a row break \\ is no macro


def unknown_macros(source: str) -> set[str]:
    """Macros or environments in ``source`` that are not in the known sets."""
    unknown = {m for m in macros_used(source) if m not in MACROS}
    unknown |= {f"env:{e}" for e in _ENVIRONMENT.findall(source) if e not in ALLOWED_ENVIRONMENTS}
    return unknown


def join_exercises(parts: Sequence[str]) -> str:
    return "\n\\bigskip\\hrule\\bigskip\n\n".join(parts)
