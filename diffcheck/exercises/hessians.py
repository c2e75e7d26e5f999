"""Second derivatives: the ``hessian`` kind (quadratic forms, least squares, logistic regression).

Every solution is SymPy's second derivative of the closed form
(``backends.symbolic_hessian``), never typed; the tests' reference is the tape's
complex-stepped reverse sweep (``dc.hessian``), an independent derivation.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.backends.symbolic_hessian import closed_form_hessian
from diffcheck.checking.hessian_report import second_name
from diffcheck.exercises.common import Draft, DraftPart, answer_help, display
from diffcheck.exercises.symtext import to_latex
from diffcheck.symbols import indices


def _integers(rng: np.random.Generator, shape: tuple[int, ...], low: int = -3, high: int = 4) -> np.ndarray:
    """Small non-zero integers, so the solution reads as exact numbers."""
    values = rng.integers(low, high, size=shape).astype(float)
    return np.where(values == 0, 1.0, values)


def _shown(matrix_tex: str, matrix: np.ndarray, vector_tex: str, vector: np.ndarray) -> list:
    """The fixed data as displayed equations of integers."""
    return [display(matrix_tex, sp.Matrix(matrix.astype(int).tolist())),
            display(vector_tex, sp.Matrix(vector.astype(int)))]


def _part(y: dc.Expr, w: dc.Var) -> DraftPart:
    solution = sp.ImmutableMatrix(closed_form_hessian(y, w, w).tolist())
    n = w.shape[0]
    return DraftPart(
        key="hessian", title=f"∇²f (by {w.name})",
        tex=rf"\frac{{\partial^2 f}}{{\partial \mathbf{{{w.name}}}\, \partial \mathbf{{{w.name}}}^\top}}",
        solution=solution,
        labels=tuple(second_name("f", w.name, w.name, ix, 1) for ix in indices((n, n))),
        transpose_note="", reference=lambda point: dc.hessian(y, w, {w.name: point[w.name]}),
    )


def _quadratic(rng: np.random.Generator) -> tuple[dc.Expr, dc.Var, list, list]:
    n = int(rng.integers(2, 4))
    A, b = _integers(rng, (n, n)), _integers(rng, (n,))
    x = dc.vector("x", n)
    y = x @ (dc.const(A) @ x) + dc.const(b) @ x
    blocks = [("p", f"Let $A$ and $\\mathbf{{b}}$ be fixed ($\\mathbf{{x}} \\in \\mathbb{{R}}^{n}$, "
                    "variable `x`):"),
              *_shown("A", A, r"\mathbf{b}", b),
              ("math", r"f(\mathbf{x}) = \mathbf{x}^\top A \mathbf{x} + \mathbf{b}^\top \mathbf{x}")]
    worked = [("p", r"$\frac{\partial f}{\partial x_i} = \sum_j (A_{ij} + A_{ji}) x_j + b_i$, so "
                    r"$\frac{\partial^2 f}{\partial x_i \partial x_j} = A_{ij} + A_{ji}$: the Hessian "
                    r"is $A + A^\top$ (symmetric even when $A$ is not; $\mathbf{b}$ drops out).")]
    return y, x, blocks, worked


def _least_squares(rng: np.random.Generator) -> tuple[dc.Expr, dc.Var, list, list]:
    m, n = int(rng.integers(3, 5)), int(rng.integers(2, 4))
    X, t = _integers(rng, (m, n)), _integers(rng, (m,))
    w = dc.vector("w", n)
    y = 0.5 * dc.sum((dc.const(X) @ w - dc.const(t)) ** 2)
    blocks = [("p", f"Least squares with data $X \\in \\mathbb{{R}}^{{{m} \\times {n}}}$ and targets "
                    f"$\\mathbf{{t}}$ (variable `w`, {n} entries):"),
              *_shown("X", X, r"\mathbf{t}", t),
              ("math", r"f(\mathbf{w}) = \tfrac12 \lVert X\mathbf{w} - \mathbf{t} \rVert^2")]
    worked = [("p", r"$\nabla f = X^\top (X\mathbf{w} - \mathbf{t})$ is linear in $\mathbf{w}$, so "
                    r"$\nabla^2 f = X^\top X$, the same at every $\mathbf{w}$.")]
    return y, w, blocks, worked


def _logistic(rng: np.random.Generator) -> tuple[dc.Expr, dc.Var, list, list]:
    m, n = int(rng.integers(2, 4)), 2
    X = _integers(rng, (m, n), -2, 3)
    t = rng.integers(0, 2, size=m).astype(float)
    w = dc.vector("w", n)
    z = dc.const(X) @ w
    y = dc.sum(dc.log(1.0 + dc.exp(z)) - dc.const(t) * z)
    blocks = [("p", f"Logistic regression on {m} samples $X$ (rows $\\mathbf{{x}}_k$) with labels "
                    "$t_k \\in \\{0, 1\\}$ (variable `w`, 2 entries); the loss is"),
              *_shown("X", X, r"\mathbf{t}", t),
              ("math", r"f(\mathbf{w}) = \sum_k \log\left(1 + e^{\mathbf{x}_k^\top \mathbf{w}}\right)"
                       r" - t_k\, \mathbf{x}_k^\top \mathbf{w}")]
    worked = [("p", r"With $\sigma_k = \sigma(\mathbf{x}_k^\top \mathbf{w})$: $\nabla f = "
                    r"\sum_k (\sigma_k - t_k)\mathbf{x}_k$ and $\sigma' = \sigma(1 - \sigma)$, so "
                    r"$\nabla^2 f = \sum_k \sigma_k (1 - \sigma_k) \mathbf{x}_k \mathbf{x}_k^\top = "
                    r"X^\top \operatorname{diag}(\sigma(1-\sigma)) X$ (the labels drop out).")]
    return y, w, blocks, worked


FAMILIES = {1: _quadratic, 2: _least_squares, 3: _logistic}
TITLES = {1: "quadratic form", 2: "least squares", 3: "logistic regression"}


def make_hessian(rng: np.random.Generator, level: int) -> Draft:
    """The Hessian of a quadratic form (level 1), least squares (2), logistic regression (3)."""
    y, w, blocks, worked = FAMILIES[level](rng)
    part = _part(y, w)
    n = w.shape[0]
    blocks = [*blocks, ("p", rf"Give the Hessian $\nabla^2 f$, the {n}×{n} matrix of "
                             rf"$\partial^2 f / \partial {w.name}_i \partial {w.name}_j$.")]
    blocks += answer_help([part], {w.name: w.shape}, [])
    worked = [*worked, ("math", rf"\nabla^2 f = {to_latex(part.solution)}")]
    return Draft(title=f"Hessian of {TITLES[level]} (level {level})", blocks=blocks, worked=worked,
                 variables={w.name: w.shape}, parts=[part])
