"""The lecture's worked examples as expressions: the graph, ``Wx``, ``xW``, ``XW``, ``VWx``.

Shared by ``diffcheck demo`` and the scripts in ``examples/``, so both check the very
expressions the lecture writes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import diffcheck as dc


class Graph(NamedTuple):
    """The lecture's graph ``c = a + b``, ``d = a·c`` at ``a = 4``, ``b = 3``."""

    a: dc.Var
    b: dc.Var
    c: dc.Expr
    d: dc.Expr
    at: dict[str, float]


def graph_abcd() -> Graph:
    """The graph of "Calculating derivatives of composite functions", with its values."""
    a, b = dc.scalar("a"), dc.scalar("b")
    c = a + b
    return Graph(a, b, c, a * c, {"a": 4.0, "b": 3.0})


def wx(n_out: int = 4, n_in: int = 3) -> tuple[dc.Var, dc.Var, dc.Expr]:
    """``W (n_out×n_in)``, ``x (n_in)`` and ``y = Wx``: the lecture's ``f: R³ → R⁴``."""
    W, x = dc.matrix("W", n_out, n_in), dc.vector("x", n_in)
    return W, x, W @ x


def xw(n_in: int = 3, n_out: int = 4) -> tuple[dc.Var, dc.Var, dc.Expr]:
    """A row vector ``x (1×n_in)``, ``W (n_in×n_out)`` and ``y = xW``."""
    x, W = dc.vector("x", n_in), dc.matrix("W", n_in, n_out)
    return x, W, x @ W


def batch_xw(m: int = 5, n_in: int = 3, n_out: int = 4) -> tuple[dc.Var, dc.Var, dc.Expr]:
    """A design matrix ``X (m×n_in)`` of row samples, ``W`` and ``Y = XW``."""
    X, W = dc.matrix("X", m, n_in), dc.matrix("W", n_in, n_out)
    return X, W, X @ W


class Chain(NamedTuple):
    """``z = Wx``, ``y = Vz``: ``y`` built whole, and ``y_of_z`` over a variable ``z``."""

    V: dc.Var
    W: dc.Var
    x: dc.Var
    y: dc.Expr
    z: dc.Expr
    y_of_z: dc.Expr


def chain_vwx(n_y: int = 2, n_z: int = 4, n_x: int = 3) -> Chain:
    """``y = VWx`` with ``V (n_y×n_z)``, ``W (n_z×n_x)``, ``x (n_x)``, and its two pieces."""
    V, W, x = dc.matrix("V", n_y, n_z), dc.matrix("W", n_z, n_x), dc.vector("x", n_x)
    return Chain(V, W, x, V @ (W @ x), W @ x, V @ dc.vector("z", n_z))


def chain_product(chain: Chain, at: dict[str, np.ndarray]) -> np.ndarray:
    """``(∂y/∂z)(∂z/∂x)`` from the two pieces separately (tape), at ``z = Wx``."""
    z = dc.evaluate(chain.z, {"W": at["W"], "x": at["x"]})
    dy_dz = dc.jacobian(chain.y_of_z, "z", {"V": at["V"], "z": z})
    dz_dx = dc.jacobian(chain.z, "x", {"W": at["W"], "x": at["x"]})
    return dy_dz @ dz_dx


def written(expr: Any) -> str:
    """A SymPy result as the lecture writes it: ``2*a + b`` becomes ``2a + b``."""
    text = str(expr)
    return text if "**" in text else text.replace("*", "")


def tensor_compact(T: np.ndarray) -> np.ndarray:
    """The non-zero part of ``∂y/∂W`` for ``y = Wx``: row ``i`` is ``∂y_i/∂W[i,:]``."""
    return np.stack([T[i, i, :] for i in range(T.shape[0])])
