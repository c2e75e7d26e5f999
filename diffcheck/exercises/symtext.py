"""SymPy objects as the text the safe parser reads, and the allowlist that makes them safe.

Exercises store every solution element as text in the parser's syntax (``W[1,2]``,
``sigmoid``, ``exp``, ``**``) and rebuild it only with :func:`diffcheck.parsing.parse`;
the symbolic grader sends the same text to its worker process. So text is the one
serialised form, and nothing is ever rebuilt with ``eval``/``sympify``/``srepr``.

:func:`check_allowed` is the gate for SymPy objects that do not come from the parser
(answers handed in from Python): every node must be one of the types the parser can
produce, every symbol a declared element. Those objects are then safe to evaluate
(:mod:`diffcheck.exercises.numeric`) and to print (:func:`to_text`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.printing.str import StrPrinter

from diffcheck.parsing import Limits

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\[\d+(,\d+)*\])?")
# Text we produced ourselves (solutions, worker payloads) may be longer than a typed answer.
TEXT_LIMITS = Limits(max_length=50_000, max_nodes=50_000, max_digits=40, max_seconds=2.0,
                     max_number_bits=8192)
# Typed answers: a whole tensor on one line may exceed the parser's default 2000 characters.
ANSWER_LIMITS = Limits(max_length=8_000, max_nodes=8_000)
MAX_NODES = 20_000

FUNCTIONS: tuple[type, ...] = (
    sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.Abs, sp.sign,
)
NON_SMOOTH: tuple[type, ...] = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Piecewise)
_RELATIONS = (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)
_STRUCTURE = (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Min, sp.Piecewise, ExprCondPair,
              *_RELATIONS, *FUNCTIONS)


class Unprintable(ValueError):
    """A SymPy object outside the parser's language (so it cannot be sent as text)."""


def check_allowed(expr: sp.Basic, declared: Mapping[str, sp.Symbol]) -> sp.Expr:
    """``expr`` with its symbols bound to the declared element symbols; rejects the rest.

    Floats become exact rationals (their shortest decimal), as the parser does.
    Raises ``Unprintable`` naming the first disallowed node or unknown symbol.
    """
    if not isinstance(expr, sp.Basic):
        raise Unprintable(f"{type(expr).__name__} is not a SymPy expression")
    replace: dict[sp.Basic, sp.Basic] = {}
    stack, count = [expr], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise Unprintable(f"the expression has more than {MAX_NODES} nodes")
        if isinstance(node, sp.Symbol):
            if type(node) is not sp.Symbol or node.name not in declared:
                raise Unprintable(f"unknown symbol {node.name[:40]!r}")
            replace[node] = declared[node.name]
        elif isinstance(node, sp.Float):
            if not node.is_finite:
                raise Unprintable("the value is not finite")
            replace[node] = sp.Rational(repr(float(node)))
        elif node.is_Rational or node in (sp.pi, sp.E, sp.true):
            continue
        elif isinstance(node, _STRUCTURE):
            stack.extend(node.args)
        else:
            raise Unprintable(f"{type(node).__name__} is not allowed in an answer")
    return expr.xreplace(replace) if replace else expr


def is_non_smooth(expr: sp.Basic) -> bool:
    """Whether ``expr`` uses abs, sign, max, min or a piecewise (relu, step)."""
    return expr.has(*NON_SMOOTH)


class _Printer(StrPrinter):
    """``str()`` in the parser's dialect: ``e``, ``abs``, ``max``, ``relu``/``step``."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if not NAME.fullmatch(expr.name):
            raise Unprintable(f"symbol name {expr.name[:40]!r} is not an element name")
        return expr.name

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _nested(self, name: str, args: tuple) -> str:
        text = self._print(args[-1])
        for arg in reversed(args[:-1]):
            text = f"{name}({self._print(arg)}, {text})"
        return text

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nested("max", expr.args)

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nested("min", expr.args)

    def _print_Float(self, expr: sp.Float) -> str:
        return self._print(sp.Rational(repr(float(expr))))

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """Only ``(a, t < 0), (b, True)``: the parser's relu/step and ``a + step(t)*(b - a)``."""
        if len(expr.args) != 2 or expr.args[1].cond != sp.true:
            raise Unprintable("only two-branch piecewise expressions (relu, step) can be printed")
        (low, cond), (high, _) = expr.args
        if isinstance(cond, sp.StrictGreaterThan):
            cond = sp.StrictLessThan(cond.rhs, cond.lhs, evaluate=False)
        if not isinstance(cond, sp.StrictLessThan):
            raise Unprintable("only strict '<' conditions can be printed")
        t = cond.lhs - cond.rhs
        if low == 0 and high == t:
            return f"relu({self._print(t)})"
        step = f"step({self._print(t)})"
        if low == 0:
            return step if high == 1 else f"{step}*({self._print(high)})"
        return f"{self._print(low)} + {step}*({self._print(high - low)})"

    def _unprintable(self, expr: sp.Basic) -> str:
        raise Unprintable(f"{type(expr).__name__} has no text form")

    _print_ImaginaryUnit = _print_Infinity = _print_NegativeInfinity = _unprintable
    _print_NaN = _print_ComplexInfinity = _print_Derivative = _print_Integral = _unprintable


def to_text(expr: sp.Basic) -> str:
    """``expr`` as text :func:`diffcheck.parsing.parse` reads back to an equal value.

    Terms are printed in SymPy's canonical argument order (``Basic.compare``, never hash
    order), so the text is the same on every machine.
    """
    try:
        return _Printer({"order": "none"}).doprint(expr)
    except RecursionError:
        raise Unprintable("the expression is nested too deeply to print") from None


def tex_name(name: str) -> str:
    """LaTeX for an element name: ``W[1,2]`` → ``W_{1,2}``, ``w0`` → ``w_{0}``, ``yhat`` → ``\\hat{y}``.

    A trailing layer number of a non-scalar (``W1[0,1]``) becomes the lecture's ``W^{[1]}_{0,1}``.
    """
    match = re.fullmatch(r"([A-Za-z]+?)(hat)?(\d*)(?:\[([\d,]+)\])?", name)
    if not match:
        return r"\mathrm{" + re.sub(r"[^A-Za-z0-9]", "", name) + "}"
    base, hat, digits, index = match.groups()
    text = rf"\hat{{{base}}}" if hat else base
    if digits and index is not None:
        return f"{text}^{{[{digits}]}}_{{{index}}}"
    if digits:
        return f"{text}_{{{digits}}}"
    return f"{text}_{{{index}}}" if index is not None else text


def to_latex(expr: sp.Basic) -> str:
    """LaTeX of a scalar, matrix or array with element names as subscripts."""
    names = {s: tex_name(s.name) for s in getattr(expr, "free_symbols", ())}
    return sp.latex(expr, symbol_names=names)
