"""Print matrix expressions as people write them: text (``Xᵀ``, ``⊙``, ``relu′(…)``) and LaTeX.

Notation (documented in ``docs/reference/derivatives.md``):

- juxtaposition is the matrix product (``X W₁``; no space before a parenthesis: ``Xᵀ(…)``),
- ``ᵀ`` transposes, ``⊙`` is the elementwise (Hadamard) product, ``/`` elementwise division,
  ``X^∘2`` an elementwise power,
- ``f(…)`` applies f elementwise and ``f′(…)`` its derivative (``relu′`` is the step 1[z > 0]),
- ``1`` is a vector or matrix of ones (``1ᵀx`` sums a vector), ``I`` the identity,
  ``diag(v)`` a diagonal matrix, ``sum(X)`` the sum of all elements,
- ``c·X`` a scalar multiple; trailing digits of names print as subscripts (``W1`` → ``W₁``).

Operands of ``⊙`` and ``/`` are parenthesised unless they are single factors, as in the
lecture's ``relu′(XW₁) ⊙ ((ŷ − y)W₂ᵀ)``.
"""

from __future__ import annotations

import re
from fractions import Fraction

from diffcheck.matrix_forms.tree import Node, num

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
ATOM, POSTFIX, PRODUCT, ELEMENTWISE, SUM = 5, 4, 3, 2, 1


class Style:
    """The symbols of one output format."""

    def __init__(self, latex: bool):
        self.latex = latex
        self.T = "^{\\top}" if latex else "ᵀ"
        self.odot = " \\odot " if latex else " ⊙ "
        self.minus = " - " if latex else " − "
        self.ones = "\\mathbf{1}" if latex else "1"

    def name(self, name: str) -> str:
        base, digits = re.fullmatch(r"(.*?)(\d*)", name).groups()
        if not base or not digits:
            return name.replace("_", "\\_") if self.latex else name
        return f"{base}_{{{digits}}}" if self.latex else base + digits.translate(SUBSCRIPTS)

    def paren(self, s: str) -> str:
        return f"\\left({s}\\right)" if self.latex else f"({s})"

    def call(self, label: str, latex: str, inner: str, prime: bool = False) -> str:
        escaped = latex.replace("_", "\\_")
        head = (latex if latex.startswith("\\") else f"\\operatorname{{{escaped}}}") if self.latex else label
        return f"{head}{chr(39) if self.latex and prime else ('′' if prime else '')}{self.paren(inner)}"


def number(value: float, latex: bool = False) -> str:
    """A number as a person writes it: ``2``, ``0.5``, ``1/640``."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    frac = Fraction(value).limit_denominator(10**6)
    if frac.numerator != 0 and abs(float(frac) - value) <= 1e-15 * abs(value) and abs(frac.numerator) < 1000:
        top, bottom = frac.numerator, frac.denominator
        return f"\\frac{{{top}}}{{{bottom}}}" if latex else f"{top}/{bottom}"
    return f"{value:.6g}"


def text(node: Node) -> str:
    """The expression as text."""
    return _show(node, Style(False))[0]


def latex(node: Node) -> str:
    """The expression as LaTeX."""
    return _show(node, Style(True))[0]


def _at(node: Node, level: int, style: Style) -> str:
    s, own = _show(node, style)
    return s if own >= level else style.paren(s)


def _show(node: Node, style: Style) -> tuple[str, int]:
    """The printed node and its precedence level."""
    kind, args = node.kind, node.args
    if kind == "var":
        return style.name(node.data), ATOM
    if kind == "const":
        return style.name(node.data[0]), ATOM
    if kind == "opaque":
        label = node.data[0]  # the sub-expression as diffcheck prints it
        shown = "\\mathtt{" + re.sub(r"([_{}#%&$])", r"\\\1", label) + "}" if style.latex else label
        return shown, SUM if " " in label else ATOM
    if kind == "num":
        s = number(node.data, style.latex)
        return s, ATOM if node.data >= 0 and "/" not in s and "frac" not in s else PRODUCT
    if kind == "ones":
        return style.ones, ATOM
    if kind == "eye":
        return "I", ATOM
    if kind == "transpose":
        return _at(args[0], ATOM, style) + style.T, POSTFIX
    if kind == "diag":
        return style.call("diag", "diag", _show(args[0], style)[0]), ATOM
    if kind in ("fn", "deriv"):
        label, tex, params = node.data[0], node.data[1], node.data[4]
        params = params.replace("_", "\\_") if style.latex else params
        return style.call(label, tex, _show(args[0], style)[0] + params, prime=kind == "deriv"), ATOM
    if kind == "sum":
        (x,) = args
        if x.shape == (1, 1):  # the one element of a 1-vector is its sum
            return _show(x, style)
        if x.shape[1:] == (1,):
            return style.ones + style.T + _at(x, POSTFIX, style), PRODUCT
        return style.call("sum", "sum", _show(x, style)[0]), ATOM
    if kind == "power":
        p, ring = number(node.data, style.latex), ("\\circ " if style.latex else "∘") if node.shape else ""
        return _at(args[0], ATOM, style) + (f"^{{{ring}{p}}}" if style.latex else f"^{ring}{p}"), POSTFIX
    if kind == "matmul":
        left, right = _at(args[0], PRODUCT, style), _at(args[1], POSTFIX, style)
        glue = "" if right.startswith(("(", "\\left(")) else (" " if not style.latex else " \\, ")
        return left + glue + right, PRODUCT
    if kind == "scale":
        return _scale(args[0], args[1], style)
    if kind == "hadamard":
        return _at(args[0], POSTFIX, style) + style.odot + _at(args[1], POSTFIX, style), ELEMENTWISE
    if kind == "div":
        if style.latex:
            return f"\\frac{{{_show(args[0], style)[0]}}}{{{_show(args[1], style)[0]}}}", ATOM
        return _at(args[0], POSTFIX, style) + " / " + _at(args[1], POSTFIX, style), ELEMENTWISE
    if kind == "add":
        return _sum(args[0], args[1], style), SUM
    if kind == "index":
        return _index(args[0], args[1], style), PRODUCT
    raise ValueError(f"closed form: no printing for a {kind!r} node")


def _sub(node: Node, indices: str, style: Style) -> str:
    """x_k, or (…)_k: an element of a matrix expression by index names."""
    base = _at(node, ATOM, style)
    return f"{base}_{{{indices}}}" if style.latex else f"{base}_{indices}"


def _index(factor: Node, b: Node, style: Style) -> str:
    """The index form factor_ji b_k, with δ_ij for I and δ_ij d_i for diag(d)."""
    c, factor = (factor.args[0], factor.args[1]) if factor.kind == "scale" else (None, factor)
    delta = "\\delta_{ij}" if style.latex else "δ_ij"
    if factor.kind == "eye":
        head = delta
    elif factor.kind == "diag":
        head = f"{delta} {_sub(factor.args[0], 'i', style)}"
    else:
        head = _sub(factor, "ji", style)
    scalar = "" if c is None else _at(c, PRODUCT, style) + (" \\cdot " if style.latex else "·")
    return f"{scalar}{head} {_sub(b, 'k', style)}"


def _scale(c: Node, x: Node, style: Style) -> tuple[str, int]:
    if c.kind == "num" and c.data == -1.0:
        return "-" + _at(x, PRODUCT, style) if style.latex else "−" + _at(x, PRODUCT, style), SUM
    if c.kind == "num" and c.data < 0:
        return ("-" if style.latex else "−") + _scale_text(num(-c.data), x, style), SUM
    return _scale_text(c, x, style), PRODUCT


def _scale_text(c: Node, x: Node, style: Style) -> str:
    dot = " \\cdot " if style.latex else "·"
    return _at(c, PRODUCT, style) + dot + _at(x, PRODUCT, style)


def _sum(a: Node, b: Node, style: Style) -> str:
    left = _show(a, style)[0]
    if b.kind == "scale" and b.args[0].kind == "num" and b.args[0].data < 0:
        c, x = b.args
        rest = x if c.data == -1.0 else Node("scale", (num(-c.data), x), x.shape, x.dshape)
        return left + style.minus + _at(rest, PRODUCT, style)
    if b.kind == "num" and b.data < 0:
        return left + style.minus + number(-b.data, style.latex)
    return left + " + " + _at(b, ELEMENTWISE if b.kind != "add" else SUM + 1, style)
