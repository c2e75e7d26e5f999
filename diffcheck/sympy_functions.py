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
