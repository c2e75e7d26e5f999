"""SymPy forms of the functions SymPy lacks (sigmoid, relu, the unit step).

Shared by the op table's lowerings and the string parser, so a typed ``sigmoid(z)``
is the same SymPy expression as ``dc.sigmoid(z)`` lowered. These are forward
definitions only; SymPy derives their derivatives itself.
"""

from __future__ import annotations

import sympy as sp


def sigmoid(x: sp.Expr) -> sp.Expr:
    """The logistic function 1 / (1 + exp(-x))."""
    return 1 / (1 + sp.exp(-x))


def relu(x: sp.Expr) -> sp.Expr:
    """max(x, 0). As ``Max`` rather than a Piecewise: SymPy differentiates it to a
    Heaviside step (0 / 1 away from the kink), and nested relus stay cheap and
    lambdify cleanly (a Piecewise inside a Piecewise condition does neither)."""
    return sp.Max(x, 0)


def step(x: sp.Expr) -> sp.Expr:
    """The unit step, 0 for x < 0 and 1 otherwise (relu's derivative away from 0)."""
    return sp.Piecewise((0, x < 0), (1, True))


def sign(x: sp.Expr) -> sp.Expr:
    """-1, 0 or 1 as NumPy's ``sign``. As a Piecewise rather than ``sp.sign``: SymPy
    differentiates it to 0 (``sp.sign`` gives a DiracDelta, which does not lambdify)."""
    return sp.Piecewise((-1, x < 0), (1, x > 0), (0, True))


def leaky_relu(x: sp.Expr, slope: float) -> sp.Expr:
    """x for x > 0 and ``slope * x`` otherwise, from two relus (``Max``, as ``relu``)."""
    return relu(x) - slope * relu(-x)


def softplus(x: sp.Expr) -> sp.Expr:
    """log(1 + exp(x)) as ``relu(x) + log(1 + exp(-|x|))``: the same function, but ``exp``
    never sees a large argument, so neither it nor its derivative ``step(x) - sign(x)
    exp(-|x|)/(1 + exp(-|x|))`` overflows for large ``|x|`` (``exp(x)/(exp(x) + 1)`` is
    inf/inf from x ≈ 710), and the step is exactly 0 for x < 0, so the slope keeps its
    relative precision there (4.2e-18 at x = -40)."""
    return relu(x) + sp.log(1 + sp.exp(-sp.Abs(x)))


def logaddexp(x: sp.Expr, y: sp.Expr) -> sp.Expr:
    """log(exp(x) + exp(y)) as ``max(x, y) + log(1 + exp(-|x - y|))``, as :func:`softplus`."""
    return sp.Max(x, y) + sp.log(1 + sp.exp(-sp.Abs(x - y)))
