"""``dc.closed_form(y, x)``: the derivative in matrix notation, derived without expanding elements.

    >>> import diffcheck as dc
    >>> W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
    >>> print(dc.closed_form(W @ x, x))
    W

The form is derived by reverse mode over whole arrays (``derive``) from each op record's
``matrix_rule``, printed in the notation people write (``printing``) and evaluated with
NumPy (``evaluate``), so its cost does not grow with the arrays' sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from diffcheck.ir import Expr, Var, known_variables, resolve_point
from diffcheck.matrix_forms import printing
from diffcheck.matrix_forms.derive import NoMatrixRule, derive
from diffcheck.matrix_forms.evaluate import evaluate as _evaluate
from diffcheck.matrix_forms.tree import Node

__all__ = ["ClosedForm", "NoMatrixRule", "closed_form"]


class ClosedForm:
    """∂y/∂x in matrix notation: ``str()``, ``.latex``, ``.sympy`` and ``.evaluate(at)``.

    For scalar ``y`` it is the gradient, shaped like ``x``; for vectors ``y`` and ``x``
    the Jacobian ``len(y) × len(x)`` (numerator layout).
    """

    def __init__(self, y: Expr, x: Var, form: Node):
        self.y, self.x, self.form = y, x, form

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the derivative: ``y.shape + x.shape``."""
        return self.y.shape + self.x.shape

    def __str__(self) -> str:
        return printing.text(self.form)

    def __repr__(self) -> str:
        return f"<closed form ∂/∂{self.x.name}: {self} shape={self.shape}>"

    @property
    def latex(self) -> str:
        """The closed form as LaTeX."""
        return printing.latex(self.form)

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex}$"

    @property
    def sympy(self) -> Any:
        """The closed form as a SymPy matrix expression over ``MatrixSymbol``s named like
        the variables (vectors as columns); nothing is expanded into elements."""
        from diffcheck.matrix_forms.to_sympy import to_sympy

        return to_sympy(self.form)

    def evaluate(self, at: Mapping[Any, Any]) -> np.ndarray:
        """The derivative at ``at`` (every variable of ``y``, by name or ``Var``), as an
        array of ``self.shape``; one NumPy operation per node of the form."""
        point = resolve_point(self.y, at)
        value = _evaluate(self.form, point)
        return np.array(np.broadcast_to(value, self.shape) if value.ndim == 0 else value.reshape(self.shape))


def closed_form(y: Expr, x: Var | str) -> ClosedForm:
    """The derivative ∂y/∂x in matrix notation, derived without element-wise expansion.

    Args:
        y: a scalar expression (gives the gradient, shaped like ``x``) or a vector one
            (with a vector ``x``: the Jacobian).
        x: a variable of ``y``, or its name.

    Returns:
        A :class:`ClosedForm`; ``print()`` it, or use ``.latex``, ``.sympy``, ``.evaluate(at)``.

    Raises:
        ValueError: ``x`` is not a variable of ``y`` (the message lists them), or an op on
            the way from ``x`` to ``y`` has no matrix-level rule (``NoMatrixRule``, naming
            the op; ``dc.check`` uses its per-node route instead).
    """
    if not isinstance(y, Expr):
        raise TypeError(f"closed_form: y must be a diffcheck expression, got {type(y).__name__}")
    declared = known_variables(y)
    name = x.name if isinstance(x, Var) else x
    known = isinstance(name, str) and name in declared
    if not known or (isinstance(x, Var) and declared[name].shape != x.shape):
        listing = ", ".join(sorted(declared)) or "(none)"
        raise ValueError(f"closed_form: {x!r} is not a variable of y; y's variables are: {listing}")
    var = declared[name]
    return ClosedForm(y, var, derive(y, var))
