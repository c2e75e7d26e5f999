"""Answer keys in the lecture's forms: ``σ(z)(1 − σ(z))``, ``(ŷ − y)·∂z/∂w``, matrices that fit.

SymPy's derivative of the sigmoid is ``e^{-z}/(1 + e^{-z})²``; a teacher writes
``σ(z)(1 − σ(z))``. :func:`element_latex` rewrites an element of a solution (already
using the exercise's intermediates, ``z[0]``) with ``s = σ(u)`` for each sigmoid
argument ``u`` (``e^{-u} = (1 − s)/s``), factors the result and prints the pairs
``s(1 − s)`` as ``σ(u)(1 − σ(u))``, and ``σ(z)`` as ``ŷ`` where the exercise names it
so. Each rewritten element is checked numerically against the solution; if the check
fails (or nothing matches) the plain SymPy form is shown. This is display only: the
stored solution text, which grading uses, is untouched.

:func:`solution_blocks` lays each part out as a matrix when it fits the page and as a
list of its non-zero elements otherwise (the 3-D tensors, long chain-rule entries).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from diffcheck.checking.tolerances import SAME_FORMULA
from diffcheck.exercises.latex import MATH_LIMIT, math_width
from diffcheck.exercises.model import flat
from diffcheck.exercises.numeric import evaluate
from diffcheck.exercises.symtext import tex_name, to_latex

if TYPE_CHECKING:
    from diffcheck.exercises.model import Exercise, Part

MAX_REWRITE_NODES = 400  # larger elements are shown as SymPy prints them
LABEL = re.compile(r"∂([A-Za-z][A-Za-z0-9]*(?:\[[\d,]+\])?)/∂([A-Za-z][A-Za-z0-9]*(?:\[[\d,]+\])?)")


def label_latex(label: str) -> str:
    """``∂y[1]/∂x[2]`` → ``\\frac{\\partial y_{1}}{\\partial x_{2}}`` (other text escaped)."""
    match = LABEL.fullmatch(label)
    if not match:
        return r"\text{" + re.sub(r"[^A-Za-z0-9 ,\[\]/]", "", label) + "}"
    return rf"\frac{{\partial {tex_name(match[1])}}}{{\partial {tex_name(match[2])}}}"


# ----- one element -----
def _sigmoid_args(expr: sp.Expr) -> list[sp.Expr]:
    """Arguments ``u`` of every ``1 + e^{-u}`` in ``expr`` (a sigmoid's denominator)."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Add) and len(node.args) == 2 and sp.S.One in node.args:
            other = next(a for a in node.args if a != sp.S.One)
            if isinstance(other, sp.exp) and other.args[0].could_extract_minus_sign():
                u = -other.args[0]
                if u not in found:
                    found.append(u)
    return found


def element_latex(expr: sp.Expr, hat: dict[sp.Expr, str] | None = None) -> str:
    """LaTeX of one solution element in the lecture's form (see the module docstring).

    Cached per process: the students of a roster share most elements' forms.
    """
    return _element_latex(expr, tuple(sorted((hat or {}).items(), key=str)))


@lru_cache(maxsize=4096)
def _element_latex(expr: sp.Expr, hat_items: tuple[tuple[sp.Expr, str], ...]) -> str:
    hat = dict(hat_items)
    plain = to_latex(expr)
    if sp.count_ops(expr) > MAX_REWRITE_NODES:
        return plain
    args = _sigmoid_args(expr)
    if not args:
        return plain
    s = {u: sp.Dummy(f"s{k}") for k, u in enumerate(args)}
    names = {s[u]: (hat or {}).get(u) or rf"\sigma\left({to_latex(u)}\right)" for u in args}
    substituted = expr
    for u in args:
        substituted = substituted.subs(sp.exp(-u), (1 - s[u]) / s[u])
    if substituted.has(sp.exp):
        return plain
    # tanh' = 1 - tanh^2 stays one factor (factoring would split it into (1 - t)(1 + t)).
    opaque = {node: sp.Dummy(f"t{k}") for k, node in enumerate(_tanh_slopes(substituted))}
    extra = {d: rf"\left({to_latex(node)}\right)" for node, d in opaque.items()}
    symbols = set(names)
    try:
        tidy = _tidy(substituted.xreplace(opaque), symbols)
        latex, value = _render(tidy, s, names, extra)
    except (sp.PolynomialError, ValueError, TypeError):
        return plain
    back = {s[u]: 1 / (1 + sp.exp(-u)) for u in args}
    back.update({d: node for node, d in opaque.items()})
    return latex if _same(value.xreplace(back), expr) else plain


def _tanh_slopes(expr: sp.Expr) -> list[sp.Expr]:
    """Every ``1 - tanh(u)**2`` in ``expr``."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Add) and len(node.args) == 2:
            for t in node.atoms(sp.tanh):
                if node == 1 - t ** 2 and node not in found:
                    found.append(node)
    return found


def _tex(expr: sp.Expr, extra: dict[sp.Dummy, str]) -> str:
    """``to_latex`` that prints the placeholders of kept factors as those factors."""
    names = {sym: tex_name(sym.name) for sym in expr.free_symbols if sym not in extra}
    names.update({d: t for d, t in extra.items() if d in expr.free_symbols})
    return sp.latex(expr, symbol_names=names)


def _genuine(expr: sp.Expr, symbols: set[sp.Dummy]) -> bool:
    """A sum mixing sigmoids and other symbols (a chain-rule sum), kept as a sum."""
    free = expr.free_symbols
    return isinstance(expr, sp.Add) and bool(free & symbols) and bool(free - symbols)


def _tidy(expr: sp.Expr, symbols: set[sp.Dummy]) -> sp.Expr:
    """Cancel and factor each product, keeping chain-rule sums (and their terms) apart."""
    if _genuine(expr, symbols):
        return sp.Add(*(_tidy(t, symbols) for t in expr.args), evaluate=False)
    if isinstance(expr, sp.Mul):
        sums = [f for f in expr.args if _genuine(f, symbols)]
        if sums:
            rest = sp.factor(sp.cancel(sp.Mul(*(f for f in expr.args if f not in sums))))
            return sp.Mul(rest, *(_tidy(f, symbols) for f in sums), evaluate=False)
    return sp.factor(sp.cancel(expr))


def _factors(expr: sp.Expr) -> list[sp.Expr]:
    if isinstance(expr, sp.Mul):
        return [f for arg in expr.args for f in _factors(arg)]
    return [expr]


def _render(expr: sp.Expr, s: dict[sp.Expr, sp.Dummy], names: dict[sp.Dummy, str],
            extra: dict[sp.Dummy, str]) -> tuple[str, sp.Expr]:
    """LaTeX of a factored expression in the ``s`` symbols, and the value it shows."""
    if isinstance(expr, sp.Add):
        pieces = [_render(term, s, names, extra) for term in expr.args]
        pieces.sort(key=lambda piece: piece[0].startswith("-"))  # ŷ - 1, not -1 + ŷ
        text = pieces[0][0]
        for latex, _ in pieces[1:]:
            text += f" - {latex[1:].lstrip()}" if latex.startswith("-") else f" + {latex}"
        return text, sp.Add(*(v for _, v in pieces))
    power = {sym: 0 for sym in names}
    minus_one = {sym: 0 for sym in names}
    rest, nested = [], []
    for factor in _factors(expr):
        base, exp = factor.as_base_exp() if isinstance(factor, sp.Pow) else (factor, sp.S.One)
        if _genuine(factor, set(names)):
            nested.append(_render(factor, s, names, extra))
        elif base in power and exp.is_Integer and exp > 0:
            power[base] += int(exp)
        elif (isinstance(base, sp.Add) and exp.is_Integer and exp > 0
              and base.free_symbols <= set(names) and len(base.free_symbols) == 1):
            sym = next(iter(base.free_symbols))
            if base == sym - 1:
                minus_one[sym] += int(exp)
            elif base == 1 - sym:
                minus_one[sym] += int(exp)
                rest.append((-1) ** int(exp))
            else:
                rest.append(factor)
        else:
            rest.append(factor)
    head, value, sign = [], sp.S.One, 1
    for sym, name in names.items():
        pairs = min(power[sym], minus_one[sym])
        if pairs:
            head.append(rf"{name}\left(1 - {name}\right)" + (f"^{{{pairs}}}" if pairs > 1 else ""))
            value *= (sym * (1 - sym)) ** pairs
            sign *= (-1) ** pairs  # (s - 1) = -(1 - s)
        if power[sym] > pairs:
            head.append(name + (f"^{{{power[sym] - pairs}}}" if power[sym] - pairs > 1 else ""))
            value *= sym ** (power[sym] - pairs)
        if minus_one[sym] > pairs:
            surplus = minus_one[sym] - pairs
            head.append(rf"\left({name} - 1\right)" + (f"^{{{surplus}}}" if surplus > 1 else ""))
            value *= (sym - 1) ** surplus
    other = sign * sp.Mul(*rest)
    value *= other
    if any(sym in other.free_symbols for sym in names):
        raise ValueError("a sigmoid left in the remaining factor")
    for latex, part in nested:
        head.append(rf"\Big({latex}\Big)")  # \Big, not \left: the sum may be broken
        value *= part
    if not head:
        return _tex(other, extra), value
    text = " ".join(head)
    if other == 1:
        return text, value
    if other == -1:
        return f"-{text}", value
    if isinstance(other, sp.Add) or other.could_extract_minus_sign() or not nested and all(
            "left(1 -" not in h for h in head):
        return rf"{text} \cdot \left({_tex(other, extra)}\right)", value
    return rf"{_tex(other, extra)}\, {text}", value


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two expressions agree at a few seeded random points (all symbols free)."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = np.random.default_rng(0)
    values = {sym: rng.uniform(0.3, 1.4, 4) * rng.choice([-1.0, 1.0], 4) for sym in symbols}
    got = evaluate([a, b], values, 4)
    rtol, atol = SAME_FORMULA
    return bool(np.all(np.isfinite(got)) and np.allclose(got[0], got[1], rtol=rtol, atol=atol))


# ----- a whole part -----
def hats(exercise: Exercise) -> dict[sp.Expr, str]:
    """Sigmoid arguments the exercise names: ``z`` → ``\\hat{y}`` when ``yhat = σ(z)``."""
    names = {name for name, shape, _ in exercise.intermediates if shape == ()}
    if {"yhat", "z"} <= names:
        return {_symbol("z"): r"\hat{y}"}
    return {}


def _symbol(name: str) -> sp.Symbol:
    from diffcheck.symbols import element_symbol

    return element_symbol(name, ())


def part_latex(exercise: Exercise, part: Part) -> list[tuple[str, str]]:
    """The blocks showing one part's solution: a matrix if it fits, else its elements."""
    value = exercise.part_solutions[part.key]
    items = flat(value)
    hat = hats(exercise)
    texts = [element_latex(e, hat) for e in items]
    whole = _matrix(texts, part.shape)
    if whole is not None and math_width(f"{part.tex} = {whole}") <= MATH_LIMIT:
        return [("math", f"{part.tex} = {whole}")]
    lines = [f"{label_latex(label)} &= " + " \\\\\n&\\qquad ".join(break_terms(text))
             for label, text, item in zip(part.labels, texts, items, strict=True) if item != 0]
    blocks = [("p", f"{part.title}, element by element"
               + (" (every other element is 0):" if len(lines) < len(items) else ":"))]
    if not lines:
        return [("p", f"{part.title}: every element is 0.")]
    for start in range(0, len(lines), 12):
        blocks.append(("math", "\\begin{aligned}\n" + " \\\\\n".join(lines[start:start + 12])
                       + "\n\\end{aligned}"))
    return blocks


def break_terms(text: str, limit: float = MATH_LIMIT - 12) -> list[str]:
    """An element's LaTeX cut before top-level ``+``/``-`` signs into lines that fit."""
    if math_width(text) <= limit:
        return [text]
    cuts, depth, k = [], 0, 0
    while k < len(text):
        if text.startswith(r"\left", k):
            depth, k = depth + 1, k + 5
            continue
        if text.startswith(r"\right", k):
            depth, k = depth - 1, k + 6
            continue
        char = text[k]
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and text.startswith((" + ", " - "), k) and k > 0:
            cuts.append(k)
        k += 1
    lines, start, current = [], 0, ""
    for cut in [*cuts, len(text)]:
        piece = text[start:cut]
        if current and math_width(current + piece) > limit:
            lines.append(current)
            current = piece.lstrip()
        else:
            current += piece
        start = cut
    lines.append(current)
    return lines


def _matrix(texts: list[str], shape: tuple[int, ...]) -> str | None:
    """Element LaTeX as a scalar, a bracketed row/matrix, or None for three or more axes."""
    if not shape:
        return texts[0]
    if len(shape) == 1:
        return r"\left[\begin{matrix}" + " & ".join(texts) + r"\end{matrix}\right]"
    if len(shape) == 2:
        rows = [" & ".join(texts[r * shape[1]:(r + 1) * shape[1]]) for r in range(shape[0])]
        return r"\left[\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}\right]"
    return None


def solution_blocks(exercise: Exercise) -> list[tuple[str, str]]:
    """The key's solution: ``**Solution.**`` and each part in the lecture's form."""
    blocks: list[tuple[str, str]] = [("p", "**Solution.**")]
    for part in exercise.parts:
        if len(exercise.parts) > 1:
            blocks.append(("p", f"`{part.key}`:"))
        blocks += part_latex(exercise, part)
    return blocks


def solution_latex(exercise: Exercise) -> Any:
    """All parts as one LaTeX string (Markdown and the ``solution_latex`` attribute)."""
    return "\n".join(text for kind, text in solution_blocks(exercise) if kind == "math")
