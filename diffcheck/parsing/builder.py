"""The builder of the safe parser: a checked AST to SymPy, bottom-up, never evaluating.

An explicit stack (a long sum cannot hit the recursion limit) builds SymPy objects
*unevaluated*, as typed; only numbers are folded. Element references (``x[2]``,
``W[1,2]``) become ``element_symbol`` symbols.
"""

from __future__ import annotations

import ast
import difflib
import math
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from diffcheck.errors import ParseError
from diffcheck.parsing.gate import Limits, position
from diffcheck.parsing.grammar import SUM_OPS, chain, describe, operands
from diffcheck.symbols import element_name, element_symbol, indices
from diffcheck.sympy_functions import relu, sigmoid, step

# name -> (arity, SymPy builder). Frozen: the grammar cannot grow at run time.
FUNCTIONS: Mapping[str, tuple[int, Callable[..., sp.Expr]]] = MappingProxyType({
    "exp": (1, sp.exp), "log": (1, sp.log), "ln": (1, sp.log), "sqrt": (1, sp.sqrt),
    "sin": (1, sp.sin), "cos": (1, sp.cos), "tan": (1, sp.tan),
    "sinh": (1, sp.sinh), "cosh": (1, sp.cosh), "tanh": (1, sp.tanh),
    "sigmoid": (1, sigmoid), "relu": (1, relu), "step": (1, step), "heaviside": (1, step),
    "abs": (1, sp.Abs), "sign": (1, sp.sign), "max": (2, sp.Max), "min": (2, sp.Min),
})
# The forms of sqrt, sigmoid, relu and step (plain functions, not SymPy classes), over
# dummies; `_instantiate` fills in arguments without triggering evaluation.
_DUMMIES = (sp.Dummy("u"), sp.Dummy("v"))
_TEMPLATES: Mapping[str, sp.Expr] = MappingProxyType({
    name: fn(*_DUMMIES[:arity]) for name, (arity, fn) in FUNCTIONS.items()
    if not isinstance(fn, type)
})
# Euler's number is ``e`` or ``E`` (SymPy prints it as E); a declared variable of the
# same name wins, as names are looked up among the variables first.
CONSTANTS: Mapping[str, sp.Expr] = MappingProxyType({"pi": sp.pi, "e": sp.E, "E": sp.E})
CALCULUS = frozenset({
    "diff", "Derivative", "derivative", "integrate", "Integral", "integral", "solve",
    "nsolve", "dsolve", "Subs", "subs", "limit", "Limit", "series", "simplify", "expand",
    "factor", "grad", "gradient", "jacobian", "Jacobian", "hessian", "lambdify", "sympify",
})
_FOLD_BITS = 64  # numbers up to this size are folded by SymPy (roots, function values)
_CALL_COST = 4  # a function builds several SymPy nodes per element; arithmetic builds one
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)


class _Tensor(NamedTuple):
    """An array value while building: its shape and its elements in C order."""

    shape: tuple[int, ...]
    items: tuple[sp.Expr, ...]


_Value = sp.Expr | _Tensor


class Builder:
    """Pass 2: builds SymPy objects bottom-up from a checked tree, with an explicit stack."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], origin: list[int], text: str,
                 limits: Limits):
        self.shapes, self.origin, self.text, self.limits = shapes, origin, text, limits
        self.elements = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def error(self, reason: str, node: ast.AST | None) -> ParseError:
        return ParseError(reason, None if node is None else position(node, self.origin), self.text)

    def build(self, tree: ast.Expression) -> _Value:
        values: dict[ast.AST, _Value] = {}
        stack: list[tuple[ast.AST, list[ast.AST] | None]] = [(tree.body, None)]
        while stack:
            node, kids = stack.pop()
            if kids is None:  # first visit: check a call's function before its arguments
                if isinstance(node, ast.Call):
                    self.check_function(node)
                kids = operands(node)
                stack.append((node, kids))
                stack.extend((kid, None) for kid in reversed(kids))
                continue
            if time.monotonic() > self.deadline:
                raise self.error("expression is too expensive to build", node)
            values[node] = self.build_node(node, [values.pop(kid) for kid in kids])
        return values[tree.body]

    def build_node(self, node: ast.AST, args: list[_Value]) -> _Value:
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Subscript):
            return self.element(node)
        if isinstance(node, ast.List):
            return self.stack_list(node, args)
        if isinstance(node, ast.UnaryOp):
            return self.apply(_negate if isinstance(node.op, ast.USub) else _same, args, node)
        if isinstance(node, ast.Call):
            return self.call(node, args)
        if isinstance(node.op, ast.Pow):
            return self.apply(lambda b, p: self.power(b, p, node), args, node)
        ops = [op for op, _ in chain(node)]
        if isinstance(node.op, SUM_OPS):
            return self.apply(lambda *t: _sum(t, ops), args, node)
        return self.apply(lambda *f: _product([self.divide(a, node) if isinstance(op, ast.Div)
                                               else a for a, op in zip(f, ops)]), args, node)

    # ----- leaves -----
    def name(self, node: ast.Name) -> _Value:
        name = node.id
        if name in self.shapes:
            return self.whole(name, (), self.shapes[name])
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.error(f"function '{name}' must be called, e.g. {name}(x)", node)
        raise self.unknown(name, node)

    def unknown(self, name: str, node: ast.AST) -> ParseError:
        """The rejection of a name that is no variable, function or constant."""
        shown = name if len(name) <= 40 else name[:37] + "..."
        if name.startswith("_"):
            return self.error(f"names starting with '_' are not allowed ('{shown}')", node)
        if name in CALCULUS:
            return self.error(
                f"calculus operators are not allowed: write the derivative yourself ('{name}')",
                node)
        error = self.error(f"unknown name '{shown}'", node)
        known = [*self.shapes, *FUNCTIONS, *CONSTANTS]
        close = difflib.get_close_matches(name, known, n=1) or difflib.get_close_matches(
            name.lower(), known, n=1)
        if close:
            error.args = (f"{error.args[0]}; did you mean '{close[0]}'?",)
        return error

    def whole(self, name: str, prefix: tuple[int, ...], shape: tuple[int, ...]) -> _Value:
        """The symbols of ``name[prefix]``: one symbol, or an array of the remaining shape."""
        rest = shape[len(prefix):]
        if not rest:
            return element_symbol(name, prefix)
        self.spend(math.prod(rest))
        return _Tensor(rest, tuple(element_symbol(name, prefix + idx) for idx in indices(rest)))

    def element(self, node: ast.Subscript) -> _Value:
        """``x[2]``, ``W[1,2]`` or ``W[1][2]``: integer literals inside the declared shape."""
        index: list[int] = []
        while isinstance(node.value, ast.Subscript):
            index[:0] = self.index_literals(node)
            node = node.value
        index[:0] = self.index_literals(node)
        base = node.value
        if not isinstance(base, ast.Name):
            raise self.error("only declared variables can be indexed", node)
        if base.id not in self.shapes:
            raise self.unknown(base.id, base)
        shape, idx = self.shapes[base.id], tuple(index)
        if not shape:
            raise self.error(f"'{base.id}' is a scalar (shape ()) and cannot be indexed", node)
        if len(idx) > len(shape) or any(i >= n for i, n in zip(idx, shape)):
            raise self.error(f"index {element_name(base.id, idx)} is out of range: "
                             f"'{base.id}' has shape {shape}", node)
        return self.whole(base.id, idx, shape)

    def index_literals(self, node: ast.Subscript) -> list[int]:
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        out = []
        for part in parts:
            if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub):
                raise self.error("negative indices are not allowed", part)
            if not (isinstance(part, ast.Constant) and type(part.value) is int):
                raise self.error("indices must be non-negative integer literals", part)
            out.append(part.value)
        return out

    # ----- compound -----
    def stack_list(self, node: ast.List, items: list[_Value]) -> _Tensor:
        """A rectangular list literal: every element has the same shape."""
        if not items:
            raise self.error("empty lists are not allowed", node)
        shapes = {_shape(item) for item in items}
        if len(shapes) > 1:
            raise self.error(f"ragged list: elements have shapes {sorted(shapes)}", node)
        inner = shapes.pop()
        flat = [e for item in items for e in (item.items if isinstance(item, _Tensor) else (item,))]
        self.spend(len(flat))
        return _Tensor((len(items), *inner), tuple(flat))

    def check_function(self, node: ast.Call) -> None:
        """The callee is a table function given the right number of arguments."""
        name = node.func.id
        if name not in FUNCTIONS:
            if name in self.shapes:
                raise self.error(f"variable '{name}' cannot be called (write '*' to multiply)",
                                 node)
            raise self.unknown(name, node.func)
        arity = FUNCTIONS[name][0]
        if len(node.args) != arity:
            raise self.error(f"function '{name}' takes {arity} argument{'s' * (arity > 1)}, "
                             f"got {len(node.args)}", node)

    def call(self, node: ast.Call, args: list[_Value]) -> _Value:
        name = node.func.id
        fn = FUNCTIONS[name][1]
        return self.apply(lambda *a: self.call_one(name, fn, a, node), args, node,
                          cost=_CALL_COST)

    def call_one(self, name: str, fn: Callable[..., sp.Expr], args: tuple[sp.Expr, ...],
                 node: ast.AST) -> sp.Expr:
        """One application: folded by SymPy for small rational arguments, else unevaluated."""
        if all(_foldable(a) for a in args):
            return self.real(fn(*args), node)
        return _unevaluated_call(name, fn, args)

    def apply(self, fn: Callable[..., sp.Expr], args: list[_Value], node: ast.AST,
              cost: int = 1) -> _Value:
        """Apply ``fn`` to scalars, or elementwise with scalars broadcast over one shape."""
        shapes = {a.shape for a in args if isinstance(a, _Tensor)}
        if len(shapes) > 1:
            listed = " and ".join(str(s) for s in sorted(shapes))
            raise self.error(f"shapes {listed} do not match for {describe(node)}", node)
        if not shapes:
            return self.checked(fn(*args), node)
        shape = shapes.pop()
        size = math.prod(shape)
        self.spend(size * cost)
        columns = [a.items if isinstance(a, _Tensor) else (a,) * size for a in args]
        return _Tensor(shape, tuple(self.checked(fn(*row), node) for row in zip(*columns)))

    def power(self, base: sp.Expr, exponent: sp.Expr, node: ast.BinOp) -> sp.Expr:
        """``base**exponent``, folded only when both are numbers and the result stays small."""
        if exponent.is_Rational and abs(exponent) > self.limits.max_exponent:
            raise self.error(f"exponent {exponent} is larger than {self.limits.max_exponent} "
                             "in absolute value", node.right)
        if not (base.is_Rational and exponent.is_Rational):
            return sp.Pow(base, exponent, evaluate=False)
        if base == 0 and exponent < 0:
            raise self.error("division by zero (0 to a negative power)", node)
        if exponent.is_Integer or _foldable(base):
            return self.real(base**exponent, node)
        return sp.Pow(base, exponent, evaluate=False)

    def divide(self, divisor: sp.Expr, node: ast.AST) -> sp.Expr:
        if divisor == 0:
            raise self.error("division by zero", node)
        return 1 / divisor if divisor.is_Rational else sp.Pow(divisor, -1, evaluate=False)

    def checked(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        """Reject undefined values (``log(0)``) and huge numbers as soon as they are folded."""
        if value.is_Atom and value in _UNDEFINED:
            raise self.error(f"the value is undefined ({value}), e.g. division by zero", node)
        if value.is_Rational and _bits(value) > self.limits.max_number_bits:
            raise self.error(f"a number is larger than {self.limits.max_number_bits} bits", node)
        return value

    def real(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        """A folded number must be defined and real: ``sqrt(-1)``, ``log(-1)`` are rejected."""
        if self.checked(value, node).has(sp.I) or value.is_extended_real is False:
            raise self.error(f"the value {value} is not real", node)
        return value

    def spend(self, elements: int) -> None:
        self.elements += elements
        if self.elements > self.limits.max_elements:
            raise self.error(
                f"array expression is too large (over {self.limits.max_elements} elements)", None)


def _number(value: int | float) -> sp.Rational:
    """An exact SymPy number: ``0.5`` is ``Rational(1, 2)``, via the float's shortest repr."""
    if type(value) is int:
        return sp.Integer(value)
    fraction = Fraction(repr(value))
    return sp.Rational(fraction.numerator, fraction.denominator)


def _bits(number: sp.Rational) -> int:
    return number.p.bit_length() + number.q.bit_length()


def _same(value: sp.Expr) -> sp.Expr:
    return value


def _negate(value: sp.Expr) -> sp.Expr:
    """``-value`` without evaluation; ``-(-x)`` unwraps so unary chains stay shallow."""
    if value.is_Rational:
        return -value
    if value.is_Mul and len(value.args) == 2 and value.args[0] == -1:
        return value.args[1]
    return sp.Mul(sp.S.NegativeOne, value, evaluate=False)


def _sum(terms: tuple[sp.Expr, ...], ops: list[ast.operator | None]) -> sp.Expr:
    """An n-ary sum: numbers folded into one leading constant, the rest kept as typed."""
    signed = [_negate(t) if isinstance(op, ast.Sub) else t for t, op in zip(terms, ops)]
    constant = sum((t for t in signed if t.is_Rational), sp.S.Zero)
    rest = [t for t in signed if not t.is_Rational]
    if not rest:
        return constant
    parts = rest if constant == 0 else [constant, *rest]
    return parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)


def _product(factors: list[sp.Expr]) -> sp.Expr:
    """An n-ary product: numbers folded into one leading coefficient, the rest as typed."""
    coefficient = math.prod((f for f in factors if f.is_Rational), start=sp.S.One)
    rest = [f for f in factors if not f.is_Rational]
    if not rest or coefficient == 0:
        return coefficient
    if coefficient == -1 and len(rest) == 1:
        return _negate(rest[0])
    parts = rest if coefficient == 1 else [coefficient, *rest]
    return parts[0] if len(parts) == 1 else sp.Mul(*parts, evaluate=False)


def _foldable(value: sp.Expr) -> bool:
    """Small rationals, pi and e are safe to hand to SymPy's evaluation: its function
    values and comparisons of these are exact and quick (``sin(pi)`` is 0)."""
    return (value.is_Rational and _bits(value) <= _FOLD_BITS) or value in (sp.pi, sp.E)


def _unevaluated_call(name: str, fn: Callable[..., sp.Expr], args: tuple[sp.Expr, ...]
                      ) -> sp.Expr:
    """Apply a table function to symbolic arguments without SymPy evaluation.

    Evaluating functions of symbolic arguments runs SymPy's assumption system, which
    can take minutes on nested input (``relu(sigmoid(log(...)))``). A Piecewise inside
    a Piecewise condition makes SymPy rewrite it as sets (slow, and it can raise), so
    relu/step of an argument that already contains one is written with the equivalent
    ``Max(x, 0)`` / ``Min(1 + sign(x), 1)`` (0 for x < 0, else 1), no Piecewise needed.
    """
    (x, *_) = args
    if name in ("relu", "step", "heaviside") and x.has(sp.Piecewise):
        if name == "relu":
            return sp.Max(x, sp.S.Zero, evaluate=False)
        one_plus_sign = sp.Add(sp.S.One, sp.sign(x, evaluate=False), evaluate=False)
        return sp.Min(one_plus_sign, sp.S.One, evaluate=False)
    if isinstance(fn, type):
        return fn(*args, evaluate=False)
    return _instantiate(_TEMPLATES[name], dict(zip(_DUMMIES, args)))


def _instantiate(template: sp.Basic, mapping: dict[sp.Dummy, sp.Expr]) -> sp.Basic:
    """Rebuild a small template with its dummies replaced, without evaluation.

    (``xreplace`` would re-evaluate each rebuilt node.) Recursion is over the
    template only, a handful of nodes deep.
    """
    if template in mapping:
        return mapping[template]
    if not template.args:
        return template
    args = [_instantiate(arg, mapping) for arg in template.args]
    if isinstance(template, ExprCondPair):
        return ExprCondPair(*args)
    return template.func(*args, evaluate=False)


def _shape(value: _Value) -> tuple[int, ...]:
    return value.shape if isinstance(value, _Tensor) else ()


def to_sympy(value: _Value, text: str) -> sp.Expr | sp.Array:
    """The public result; a last whole-tree check for undefined values (zoo, nan, oo)."""
    items = value.items if isinstance(value, _Tensor) else (value,)
    for item in items:
        if item.has(*_UNDEFINED):
            raise ParseError("the value is undefined (division by zero or log(0))", None, text)
    if isinstance(value, _Tensor):
        return sp.ImmutableDenseNDimArray(list(value.items), value.shape)
    return value
