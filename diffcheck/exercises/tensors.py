"""Derivatives with more than two axes: ``tensor`` (∂y/∂W) and ``batch`` (Y = XW blocks).

Modelled on the lecture's "Dealing with more than two dimensions": most entries of
``∂y/∂W`` are zero (``y_i`` only contains row ``i`` of ``W``), so the non-trivial part
fits in a compact 2-D matrix; and for a batch ``Y = XW`` the block
``∂Y[i,:]/∂X[i,:]`` is ``W`` (denominator layout) while other blocks vanish.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.exercises.common import (
    Draft,
    DraftPart,
    answer_help,
    as_array,
    as_sympy,
    display,
    element_subs,
    jacobian_labels,
    substitute_names,
    tape_reference,
)
from diffcheck.exercises.linear import ACTIVATIONS, OTHER, activation_note, pick, wrap
from diffcheck.exercises.symtext import to_latex


def make_tensor(rng: np.random.Generator, level: int) -> Draft:
    """``y = Wx`` (level 1), ``f(Wx)`` (2), ``f(Wx + b)`` (3): give ``∂y/∂W`` and its compact form."""
    m, n = pick(rng, [2, 3]), pick(rng, [2, 3])
    W, x = dc.matrix("W", m, n), dc.vector("x", n)
    act = pick(rng, ["sigmoid", "tanh"]) if level >= 2 else None
    bias = level >= 3
    variables = {"W": (m, n), "x": (n,)}
    z = W @ x
    if bias:
        z, variables["b"] = z + dc.vector("b", m), (m,)
    y = ACTIVATIONS[act][0](z) if act else z
    subs = element_subs("z", z) if act else []
    full = substitute_names(as_array(dc.symbolic_jacobian(y, W)), subs)
    compact = np.array([[full[i, i, j] for j in range(n)] for i in range(m)], dtype=object)
    parts = [
        DraftPart(
            key="full", title="∂y/∂W", tex=r"\frac{\partial \mathbf{y}}{\partial W}",
            solution=as_sympy(full), labels=jacobian_labels("y", "W", (m,), (m, n)),
            layout="numerator", transpose_note="the axes are in the wrong order",
            claim=("y", "W", 1), reference=tape_reference(y, "W")),
        DraftPart(
            key="compact", title="compact form C", tex="C", solution=as_sympy(compact),
            labels=tuple(f"∂y[{i}]/∂W[{i},{j}]" for i in range(m) for j in range(n)),
            transpose_note=f"row i of C must hold ∂y[i]/∂W[i,:], so C is {m}×{n}",
            reference=tape_reference(y, "W", lambda j: np.array(
                [[j[i, i, k] for k in range(n)] for i in range(m)]))),
    ]
    inner = r"W\mathbf{x}" + (r" + \mathbf{b}" if bias else "")
    blocks = [
        ("p", rf"Let $W \in \mathbb{{R}}^{{{m} \times {n}}}$ and $\mathbf{{x}} \in "
              rf"\mathbb{{R}}^{{{n}}}$" + (rf", $\mathbf{{b}} \in \mathbb{{R}}^{{{m}}}$" if bias
                                           else "") + ", and"),
        ("math", rf"\mathbf{{y}} = {wrap(act, inner)}"),
        *activation_note(act),
        ("p", rf"**(full)** Give the derivative $\frac{{\partial \mathbf{{y}}}}{{\partial W}}$, "
              rf"a {m}×{m}×{n} tensor in **numerator layout**: entry `[i, k, j]` is "
              r"$\partial y_i / \partial W_{k,j}$, i.e. block `i` is the "
              rf"{m}×{n} matrix $\partial y_i / \partial W$."),
        ("p", rf"**(compact)** Most entries are zero. Give the compact {m}×{n} matrix $C$ "
              r"whose row $i$ is $\partial y_i / \partial W_{i,:}$, i.e. "
              r"$C_{i,j} = \partial y_i / \partial W_{i,j}$."),
        *answer_help(parts, variables, [("z", "$z = " + inner + "$")] if act else []),
    ]
    i = int(rng.integers(m))
    k, j = (i + 1) % m, int(rng.integers(n))
    y_i = dc.to_sympy(y)[i]
    zero_elsewhere = all(full[a, b, c] == 0 for a in range(m) for b in range(m)
                         for c in range(n) if a != b)
    worked = [
        ("p", "Write out one element of y; it only contains row i of W:"),
        ("math", f"y_{{{i}}} = {to_latex(y_i)}"),
        ("math", rf"\frac{{\partial y_{{{i}}}}}{{\partial W_{{{k},{j}}}}} = "
                 rf"{to_latex(full[i, k, j])}, \qquad \frac{{\partial y_{{{i}}}}}"
                 rf"{{\partial W_{{{i},{j}}}}} = {to_latex(full[i, i, j])}"),
    ]
    if zero_elsewhere:
        worked.append(("p", r"So $\partial y_i / \partial W_{k,j} = 0$ whenever $k \ne i$: only "
                            "the blocks' row i is non-zero, and the compact matrix keeps it:"))
    worked.append(display("C", as_sympy(compact)))
    if not act and all(compact[a, c] == dc.to_sympy(x)[c] for a in range(m) for c in range(n)):
        worked.append(("p", r"Every row of $C$ is $\mathbf{x}^T$: "
                            r"$\partial y_i / \partial W_{i,:} = \mathbf{x}$."))
    return Draft(title=f"Tensor derivative ∂y/∂W (level {level})", blocks=blocks,
                 worked=worked, variables=variables, parts=parts,
                 intermediates=[("z", z)] if act else [])


def make_batch(rng: np.random.Generator, level: int) -> Draft:
    """``Y = XW`` (level 1), ``f(XW)``/``XW + b`` (2), ``f(XW + b)`` (3): two row blocks."""
    rows, n, m = pick(rng, [2, 3]), pick(rng, [2, 3]), pick(rng, [2, 3])
    X, W = dc.matrix("X", rows, n), dc.matrix("W", n, m)
    layout = pick(rng, ["denominator", "numerator"])
    act, bias = None, False
    if level == 2:
        act, bias = pick(rng, [("sigmoid", False), ("tanh", False), (None, True)])
    elif level >= 3:
        act, bias = pick(rng, ["sigmoid", "tanh"]), True
    variables = {"W": (n, m), "X": (rows, n)}
    Z = X @ W
    if bias:
        Z, variables["b"] = Z + dc.vector("b", m), (m,)
    Y = ACTIVATIONS[act][0](Z) if act else Z
    subs = element_subs("Z", Z) if act else []
    full = substitute_names(as_array(dc.symbolic_jacobian(Y, X)), subs)
    i = int(rng.integers(rows))
    j = (i + 1 + int(rng.integers(rows - 1))) % rows
    other = OTHER[layout]

    def block(a: int, b: int) -> np.ndarray:
        piece = full[a, :, b, :]
        return piece if layout == "numerator" else piece.T

    def labels(a: int, b: int) -> tuple[str, ...]:
        base = jacobian_labels("y", "x", (m,), (n,), layout)
        return tuple(s.replace("y[", f"Y[{a},").replace("x[", f"X[{b},") for s in base)

    def reference(a: int, b: int):
        return tape_reference(Y, "X", lambda t: t[a, :, b, :] if layout == "numerator"
                              else t[a, :, b, :].T)

    note = f"you used {other} layout; this exercise asks for {layout} layout"
    parts = [
        DraftPart("same", f"∂Y[{i},:]/∂X[{i},:]", rf"\frac{{\partial Y_{{{i},:}}}}"
                  rf"{{\partial X_{{{i},:}}}}", as_sympy(block(i, i)), labels(i, i), layout,
                  note, reference=reference(i, i)),
        DraftPart("other", f"∂Y[{i},:]/∂X[{j},:]", rf"\frac{{\partial Y_{{{i},:}}}}"
                  rf"{{\partial X_{{{j},:}}}}", as_sympy(block(i, j)), labels(i, j), layout,
                  note, reference=reference(i, j)),
    ]
    inner = "XW" + (r" + \mathbf{1}\mathbf{b}^T" if bias else "")
    first = "Y" if layout == "numerator" else "X"
    shape = (m, n) if layout == "numerator" else (n, m)
    blocks = [
        ("p", rf"A batch of {rows} samples is stacked as the rows of the design matrix "
              rf"$X \in \mathbb{{R}}^{{{rows} \times {n}}}$; with $W \in \mathbb{{R}}^{{{n} "
              rf"\times {m}}}$" + (rf" and a bias row $\mathbf{{b}} \in \mathbb{{R}}^{{{m}}}$ "
                                   "added to every row" if bias else "") + ","),
        ("math", rf"Y = {wrap(act, inner)} \in \mathbb{{R}}^{{{rows} \times {m}}}"),
        *activation_note(act),
        ("p", rf"Give the two blocks $\frac{{\partial Y_{{{i},:}}}}{{\partial X_{{{i},:}}}}$ "
              rf"(`same`) and $\frac{{\partial Y_{{{i},:}}}}{{\partial X_{{{j},:}}}}$ (`other`): "
              rf"how row {i} of $Y$ depends on rows {i} and {j} of $X$. Use **{layout} layout**: "
              rf"the axis of ${first}$'s row comes first, so each block is {shape[0]}×{shape[1]}."),
        *answer_help(parts, variables, [("Z", "$Z = " + inner + "$")] if act else []),
    ]
    Y_i = dc.to_sympy(Y)[i, 0]
    W_sym = dc.to_sympy(W)
    same = sp.ImmutableMatrix(block(i, i).tolist())
    worked = [
        ("p", f"Row {i} of Y only involves row {i} of X; for example"),
        ("math", f"Y_{{{i},0}} = {to_latex(Y_i)}"),
        display(rf"\frac{{\partial Y_{{{i},:}}}}{{\partial X_{{{i},:}}}}", same),
    ]
    if same == W_sym or same == W_sym.T:
        worked.append(("p", rf"In {layout} layout this block is ${'W' if same == W_sym else 'W^T'}$."))
    worked.append(("p", rf"Row {i} of $Y$ does not contain row {j} of $X$, so that block is zero."))
    return Draft(title=f"Batch Y = XW: row blocks, {layout} layout (level {level})",
                 blocks=blocks, worked=worked, variables=variables, parts=parts,
                 intermediates=[("Z", Z)] if act else [])
