"""Vector-by-vector Jacobians: ``jacobian`` (y = f(Wx)), ``row-jacobian`` (y = xW), ``chain``.

Modelled on the lecture's "Derivatives with respect to a vector": write out one output
element, differentiate it by one input element (``∂y₂/∂x₃ = w₂₃``), then fill the
Jacobian. Every derivative shown comes from ``dc.symbolic_jacobian``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.exercises.common import (
    Draft,
    DraftPart,
    answer_help,
    as_array,
    display,
    element_subs,
    jacobian_labels,
    layout_sentence,
    substitute_names,
    tape_reference,
)
from diffcheck.exercises.symtext import to_latex

# Looked up at call time, so importing this module during ``import diffcheck`` is safe.
ACTIVATIONS = {"sigmoid": (lambda z: dc.sigmoid(z), r"\sigma"),
               "tanh": (lambda z: dc.tanh(z), r"\tanh"), "exp": (lambda z: dc.exp(z), r"\exp")}
SIGMOID_NOTE = r"where $\sigma(t) = 1/(1 + e^{-t})$ is the logistic sigmoid, applied elementwise."
OTHER = {"numerator": "denominator", "denominator": "numerator"}


def pick(rng: np.random.Generator, options: list[Any]) -> Any:
    """One of ``options``, drawn from the problem stream."""
    return options[int(rng.integers(len(options)))]


def activation_note(name: str | None) -> list[tuple[str, str]]:
    if name == "sigmoid":
        return [("p", SIGMOID_NOTE)]
    if name is not None:
        return [("p", f"where ${ACTIVATIONS[name][1]}$ is applied elementwise.")]
    return []


def wrap(name: str | None, inner: str) -> str:
    return inner if name is None else f"{ACTIVATIONS[name][1]}\\left({inner}\\right)"


def _pretty(matrix: Any, subs: list) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(substitute_names(as_array(matrix), subs).tolist())


def _element_steps(y: dc.Expr, j_matrix: Any, i: int, j: int, out: str, wrt: str,
                   numerator: bool = True) -> list[tuple[str, str]]:
    """The lecture's element-wise derivation of one Jacobian entry."""
    y_i = dc.to_sympy(y)[i]
    entry = j_matrix[i, j] if numerator else j_matrix[j, i]
    return [
        ("p", f"Write out one element of ${out}$ and differentiate it by one element of "
              f"${wrt}$; only the terms containing ${wrt}_{{{j}}}$ survive:"),
        ("math", f"{out}_{{{i}}} = {to_latex(y_i)}"),
        ("math", rf"\frac{{\partial {out}_{{{i}}}}}{{\partial {wrt}_{{{j}}}}} = {to_latex(entry)}"),
    ]


def make_jacobian(rng: np.random.Generator, level: int) -> Draft:
    """``y = Wx`` (level 1), ``f(Wx)`` or ``Wx + b`` (2), ``f(Wx + b)`` (3): give ``∂y/∂x``."""
    m, n = pick(rng, [2, 3, 4]), pick(rng, [2, 3])
    W, x = dc.matrix("W", m, n), dc.vector("x", n)
    act, bias = None, False
    if level == 2:
        act, bias = pick(rng, [("sigmoid", False), ("tanh", False), (None, True)])
    elif level >= 3:
        act, bias = pick(rng, ["sigmoid", "tanh", "exp"]), True
    variables = {"W": (m, n), "x": (n,)}
    z = W @ x
    if bias:
        b = dc.vector("b", m)
        z, variables["b"] = z + b, (m,)
    y = ACTIVATIONS[act][0](z) if act else z
    intermediates = [("z", z)] if act else []
    subs = element_subs("z", z) if act else []
    jac = _pretty(dc.symbolic_jacobian(y, x), subs)
    inner = r"W\mathbf{x}" + (r" + \mathbf{b}" if bias else "")
    shapes = rf"$W \in \mathbb{{R}}^{{{m} \times {n}}}$, $\mathbf{{x}} \in \mathbb{{R}}^{{{n}}}$"
    shapes += rf", $\mathbf{{b}} \in \mathbb{{R}}^{{{m}}}$" if bias else ""
    part = DraftPart(
        key="dy_dx", title="∂y/∂x", tex=r"\frac{\partial \mathbf{y}}{\partial \mathbf{x}}",
        solution=jac, labels=jacobian_labels("y", "x", (m,), (n,)), layout="numerator",
        transpose_note="you used denominator layout (x's axes first); this exercise asks for "
                       "numerator layout (one row per element of y)",
        claim=("y", "x", 1), reference=tape_reference(y, "x"),
    )
    blocks = [("p", f"Let {shapes} (variables " + ", ".join(f"`{v}`" for v in variables)
               + "), and"), ("math", rf"\mathbf{{y}} = {wrap(act, inner)}")]
    blocks += activation_note(act)
    blocks += [("p", r"Give the Jacobian $\frac{\partial \mathbf{y}}{\partial \mathbf{x}}$. "
                + layout_sentence("numerator", r"\mathbf{y}", r"\mathbf{x}", (m,), (n,)))]
    blocks += answer_help([part], variables, [("z", "$z = " + inner + "$")] if act else [])
    i, j = int(rng.integers(m)), int(rng.integers(n))
    worked = _element_steps(y, jac, i, j, "y", "x")
    W_sym = dc.to_sympy(W)
    if jac == W_sym:
        worked.append(("p", r"The same holds for every entry, $\partial y_i / \partial x_j = "
                            r"W_{i,j}$, so $\frac{\partial \mathbf{y}}{\partial "
                            r"\mathbf{x}} = W$ in numerator layout."))
    else:
        worked.append(("p", "Every entry the same way: row $i$ holds the derivatives of "
                            "$y_i$, column $j$ those by $x_j$ (the matrix above)."))
    return Draft(title=f"Jacobian of y = {'f(Wx)' if act else 'Wx'}"
                       f"{' with bias' if bias else ''} (level {level})",
                 blocks=blocks, worked=worked, variables=variables, parts=[part],
                 intermediates=intermediates)


def make_row_jacobian(rng: np.random.Generator, level: int) -> Draft:
    """Row notation ``y = xW`` (``f(xW)``, ``xW + b``) in a stated layout: give ``∂y/∂x``."""
    n, m = pick(rng, [2, 3]), pick(rng, [2, 3, 4])
    x, W = dc.vector("x", n), dc.matrix("W", n, m)
    layout = pick(rng, ["denominator", "numerator"]) if level > 1 else "denominator"
    act = pick(rng, [None, "sigmoid", "tanh"]) if level > 1 else None
    bias = level >= 3
    variables = {"W": (n, m), "x": (n,)}
    z = x @ W
    if bias:
        z, variables["b"] = z + dc.vector("b", m), (m,)
    y = ACTIVATIONS[act][0](z) if act else z
    subs = element_subs("z", z) if act else []
    jac = _pretty(dc.symbolic_jacobian(y, x, layout=layout), subs)
    inner = r"\mathbf{x}W" + (r" + \mathbf{b}" if bias else "")
    other = OTHER[layout]
    select = (lambda j: j) if layout == "numerator" else (lambda j: j.T)
    part = DraftPart(
        key="dy_dx", title="∂y/∂x", tex=r"\frac{\partial \mathbf{y}}{\partial \mathbf{x}}",
        solution=jac, labels=jacobian_labels("y", "x", (m,), (n,), layout), layout=layout,
        transpose_note=f"you used {other} layout; this exercise asks for {layout} layout",
        claim=("y", "x", 1) if layout == "numerator" else None,
        reference=tape_reference(y, "x", select),
    )
    blocks = [
        ("p", rf"In row notation, let $\mathbf{{x}} \in \mathbb{{R}}^{{1 \times {n}}}$ be a row "
              rf"vector (variable `x`, shape {n}) and $W \in \mathbb{{R}}^{{{n} \times {m}}}$ "
              rf"(variable `W`)" + (rf", $\mathbf{{b}} \in \mathbb{{R}}^{{1 \times {m}}}$ "
                                    "(variable `b`)" if bias else "") + ", and"),
        ("math", rf"\mathbf{{y}} = {wrap(act, inner)} \in \mathbb{{R}}^{{1 \times {m}}}"),
        *activation_note(act),
        ("p", r"Give $\frac{\partial \mathbf{y}}{\partial \mathbf{x}}$. "
              + layout_sentence(layout, r"\mathbf{y}", r"\mathbf{x}", (m,), (n,))),
        *answer_help([part], variables, [("z", "$z = " + inner + "$")] if act else []),
    ]
    i, j = int(rng.integers(m)), int(rng.integers(n))
    worked = _element_steps(y, jac, i, j, "y", "x", numerator=layout == "numerator")
    W_sym = dc.to_sympy(W)
    if jac == W_sym or jac == W_sym.T:
        name = "W" if jac == W_sym else "W^T"
        worked.append(("p", rf"So $\partial y_j / \partial x_i = W_{{i,j}}$ for every entry, and "
                            rf"in {layout} layout $\frac{{\partial \mathbf{{y}}}}{{\partial "
                            rf"\mathbf{{x}}}} = {name}$."))
    worked.append(("p", f"In {other} layout the answer would be the transpose."))
    return Draft(title=f"Row-vector Jacobian y = xW, {layout} layout (level {level})",
                 blocks=blocks, worked=worked, variables=variables, parts=[part],
                 intermediates=[("z", z)] if act else [])


def make_chain(rng: np.random.Generator, level: int) -> Draft:
    """``z = Wx, y = Vz`` (level 1), ``z = f(Wx)`` (2), ``y = g(Vz)`` (3): the chain rule."""
    sizes = [2, 3] if level < 3 else [2]
    n, m, p = pick(rng, sizes), pick(rng, sizes), pick(rng, sizes)
    x, W, V = dc.vector("x", n), dc.matrix("W", m, n), dc.matrix("V", p, m)
    f = pick(rng, ["sigmoid", "tanh"]) if level >= 2 else None
    g = pick(rng, ["sigmoid", "tanh"]) if level >= 3 else None
    h = W @ x
    z = ACTIVATIONS[f][0](h) if f else h
    z_var = dc.vector("z", m)
    outer = ACTIVATIONS[g][0](V @ z_var) if g else V @ z_var
    y = ACTIVATIONS[g][0](V @ z) if g else V @ z
    intermediates = [("z", z)] + ([("h", h)] if f else []) + ([("u", V @ z)] if g else [])
    subs_x = (element_subs("u", V @ z) if g else []) + (element_subs("h", h) if f else [])
    subs_z = [(d, s) for d, s in element_subs("u", V @ z_var)] if g else []
    dz_dx = _pretty(dc.symbolic_jacobian(z, x), element_subs("h", h) if f else [])
    dy_dz = _pretty(dc.symbolic_jacobian(outer, z_var), subs_z)
    dy_dx = _pretty(dc.symbolic_jacobian(y, x), subs_x)
    note = "you used denominator layout (x's axes first); the chain rule product needs numerator layout"
    parts = [
        DraftPart("dz_dx", "∂z/∂x", r"\frac{\partial \mathbf{z}}{\partial \mathbf{x}}", dz_dx,
                  jacobian_labels("z", "x", (m,), (n,)), "numerator", note, ("z", "x", 1),
                  reference=tape_reference(z, "x")),
        DraftPart("dy_dz", "∂y/∂z", r"\frac{\partial \mathbf{y}}{\partial \mathbf{z}}", dy_dz,
                  jacobian_labels("y", "z", (p,), (m,)), "numerator", note, ("y", "z", 1)),
        DraftPart("dy_dx", "∂y/∂x", r"\frac{\partial \mathbf{y}}{\partial \mathbf{x}}", dy_dx,
                  jacobian_labels("y", "x", (p,), (n,)), "numerator", note, ("y", "x", 1),
                  reference=tape_reference(y, "x")),
    ]
    z_tex = wrap(f, r"W\mathbf{x}")
    y_tex = wrap(g, r"V\mathbf{z}")
    variables = {"V": (p, m), "W": (m, n), "x": (n,)}
    help_names = [("z", f"$\\mathbf{{z}} = {z_tex}$")]
    help_names += [("h", r"$\mathbf{h} = W\mathbf{x}$")] if f else []
    help_names += [("u", r"$\mathbf{u} = V\mathbf{z}$")] if g else []
    blocks = [
        ("p", rf"Let $\mathbf{{x}} \in \mathbb{{R}}^{{{n}}}$, $W \in \mathbb{{R}}^{{{m} \times {n}}}$"
              rf" and $V \in \mathbb{{R}}^{{{p} \times {m}}}$ (variables `x`, `W`, `V`), and"),
        ("math", rf"\mathbf{{z}} = {z_tex}, \qquad \mathbf{{y}} = {y_tex}"),
        *activation_note(f or g),
        ("p", r"Give $\frac{\partial \mathbf{z}}{\partial \mathbf{x}}$, "
              r"$\frac{\partial \mathbf{y}}{\partial \mathbf{z}}$ and, by the chain rule as the "
              r"product of the two, $\frac{\partial \mathbf{y}}{\partial \mathbf{x}}$. Use "
              r"**numerator layout** throughout (entry `[i, j]` is the derivative of output "
              r"element $i$ by input element $j$), so that the product is "
              r"$\frac{\partial \mathbf{y}}{\partial \mathbf{z}}\,\frac{\partial \mathbf{z}}"
              r"{\partial \mathbf{x}}$."),
        *answer_help(parts, variables, help_names),
    ]
    product = sp.ImmutableMatrix(dy_dz) * sp.ImmutableMatrix(dz_dx)
    worked = [
        ("p", "Each factor is a Jacobian of one step of the chain:"),
        display(r"\frac{\partial \mathbf{z}}{\partial \mathbf{x}}", dz_dx),
        display(r"\frac{\partial \mathbf{y}}{\partial \mathbf{z}}", dy_dz),
        ("p", "The chain rule multiplies them (summing over the elements of z):"),
        ("math", r"\frac{\partial \mathbf{y}}{\partial \mathbf{x}} = \frac{\partial \mathbf{y}}"
                 r"{\partial \mathbf{z}}\,\frac{\partial \mathbf{z}}{\partial \mathbf{x}} = "
                 + to_latex(product)),
    ]
    if f is None and g is None and dy_dx == dc.to_sympy(V) * dc.to_sympy(W):
        worked.append(("p", r"For linear maps this is the product $VW$, as in the lecture."))
    return Draft(title=f"Chain rule through z (level {level})", blocks=blocks, worked=worked,
                 variables=variables, parts=parts, intermediates=intermediates)

