"""Reverse mode over whole arrays: the IR graph becomes matrix expressions, then adjoints.

Each node's record gives its ``matrix_rule`` (``diffcheck.ops.base``): its value as a
matrix expression and one adjoint rule per input. The adjoint of a scalar ``y`` starts at
``1``; a vector ``y`` starts at a symbolic seed ``u``, and the Jacobian is read off the
result, which is linear in ``u`` (``Jᵀu``). The work is one rule per graph node, so the
derivation takes the same time at any array size.
"""

from __future__ import annotations

from typing import Any

from diffcheck.ir import Const, Expr, Var, depends_on, known_variables, toposort
from diffcheck.matrix_forms import tree as m
from diffcheck.matrix_forms.tree import Node, Unsupported


class NoMatrixRule(ValueError):
    """An op on the path from the variable to ``y`` has no matrix-level rule."""


def _message(node: Expr, why: str) -> str:
    return (f"closed_form: op {node.op!r} (shapes {[x.shape for x in node.inputs]}) {why}; "
            f"dc.check uses the per-node SymPy route for it")


def _opaque(node: Expr) -> Node:
    """A sub-expression free of x without a matrix rule: kept whole, printed as written."""
    from diffcheck.derivatives import evaluate
    from diffcheck.printing import expr_str

    names = sorted(known_variables(node))
    return m.opaque(expr_str(node), lambda env: evaluate(node, {n: env[n] for n in names}), node.shape)


def values(y: Expr, live: set[int]) -> tuple[dict[int, Node], dict[int, Any]]:
    """Every node of ``y`` as a matrix expression, and the rules of the live nodes."""
    from diffcheck.ops import REGISTRY

    trees: dict[int, Node] = {}
    rules: dict[int, Any] = {}
    constants = 0
    for node in toposort(y):
        key = id(node)
        if isinstance(node, Var):
            trees[key] = m.var(node.name, node.shape)
            continue
        if isinstance(node, Const):
            trees[key] = m.const(f"C{constants}", node.value)
            constants += node.ndim > 0
            continue
        record = REGISTRY[node.op]
        try:
            if record.matrix_rule is None:
                raise NoMatrixRule(_message(node, "has no matrix-level rule (its record's "
                                                  "matrix_rule is None)"))
            rule = record.matrix_rule(m, *(trees[id(x)] for x in node.inputs), **node.kwargs)
        except (NoMatrixRule, Unsupported) as error:
            if key in live:
                if isinstance(error, NoMatrixRule):
                    raise
                raise NoMatrixRule(_message(node, f"is not covered at the matrix level: {error}")) from None
            trees[key] = _opaque(node)
            continue
        trees[key], rules[key] = rule.value, rule
    return trees, rules


def adjoint(y: Expr, x: Var, seed: Node) -> Node:
    """∂⟨seed, y⟩/∂x as a matrix expression (``None`` entries never reach here)."""
    live = depends_on(y, [x.name])
    _, rules = values(y, live)
    adjoints: dict[int, Node] = {id(y): seed}
    result: Node | None = None
    for node in reversed(toposort(y)):
        g = adjoints.pop(id(node), None)
        if g is None:
            continue
        if isinstance(node, Var):
            result = g if result is None else m.add(result, g)
            continue
        rule = rules[id(node)]
        for k, child in enumerate(node.inputs):
            if id(child) not in live:
                continue
            try:
                part = _fit(rule.vjps[k](g), child.shape)
            except Unsupported as error:
                raise NoMatrixRule(_message(node, f"is not covered at the matrix level: {error}")) from None
            seen = adjoints.get(id(child))
            adjoints[id(child)] = part if seen is None else m.add(seen, part)
    if result is None:
        return m.num(0.0)
    if len(x.shape) == 1 and result.shape[:1] == (1,) and result.shape != (1, 1):
        result = m.T(result)  # a gradient of a vector is a column
    return result


def _fit(part: Node, shape: tuple[int, ...]) -> Node:
    """An input's adjoint as standing for the input's shape (a (1, n) or (n, 1) kept
    dimension, a vector's row turned into its column)."""
    if m.is_scalar(part) or part.dshape == shape:
        return part
    want = m.math_shape(shape)
    if part.shape != want and len(shape) == 1 and part.shape == want[::-1]:
        part = m.T(part)
    return m.as_dshape(part, shape) if part.shape == want else part


def _depends(e: Node, seed: Node, memo: dict[int, bool]) -> bool:
    if id(e) not in memo:
        memo[id(e)] = e is seed or any(_depends(a, seed, memo) for a in e.args)
    return memo[id(e)]


def coefficient(e: Node, seed: Node, memo: dict[int, bool]) -> Node:
    """M with ``e = M u`` for an expression ``e`` linear in the seed column ``u``."""
    if e is seed:
        return m.eye(seed.shape[0])
    kind, args = e.kind, e.args
    if kind == "matmul" and not _depends(args[0], seed, memo):
        return m.matmul(args[0], coefficient(args[1], seed, memo))
    if kind == "scale" and not _depends(args[0], seed, memo):
        return m.scale(args[0], coefficient(args[1], seed, memo))
    if kind == "scale" and not _depends(args[1], seed, memo):  # x·(c(u)) = x c
        c = coefficient(args[0], seed, memo)
        return m.scale(args[1], c) if m.is_scalar(args[1]) else m.matmul(args[1], c)
    if kind == "sum":  # 1ᵀ(M u)
        return m.matmul(m.T(m.ones((args[0].shape[0], 1))), coefficient(args[0], seed, memo))
    if kind == "hadamard" and e.shape[1:] == (1,):
        a, b = args if _depends(args[1], seed, memo) else args[::-1]
        if not _depends(a, seed, memo):
            return m.matmul(m.diag(a), coefficient(b, seed, memo))
    if kind == "div" and e.shape[1:] == (1,) and not _depends(args[1], seed, memo):
        inverse = m.power(args[1], -1.0)
        factor = m.diag(inverse) if args[1].shape else inverse
        return m.matmul(factor, coefficient(args[0], seed, memo))
    if kind == "add":
        parts = [coefficient(a, seed, memo) for a in args]
        return m.add(*parts)
    raise Unsupported(f"the Jacobian's form {kind!r} is not linear in the seed in a way "
                      f"written as a matrix product")


def jacobian(y: Expr, x: Var) -> Node:
    """∂y/∂x for vectors y and x: the numerator-layout Jacobian (len(y) × len(x))."""
    seed = Node("var", (), (y.shape[0], 1), y.shape, "u")
    transposed = adjoint(y, x, seed)
    if m.is_num(transposed, 0.0):
        return transposed
    try:
        return m.transposed_product(coefficient(transposed, seed, {}))
    except Unsupported as error:
        raise NoMatrixRule(f"closed_form: the Jacobian ∂y/∂{x.name} has no matrix form "
                           f"here: {error}") from None


def by_matrix(y: Expr, x: Var) -> Node:
    """∂y_i/∂x_jk for a vector y and a matrix x, when ⟨u, y⟩ has the gradient (M u) bᵀ:
    the index form ``M_ji b_k`` (``δ_ij x_k`` for y = W x)."""
    seed = Node("var", (), (y.shape[0], 1), y.shape, "u")
    form = adjoint(y, x, seed)
    if m.is_num(form, 0.0):
        return form
    memo: dict[int, bool] = {}
    c = m.num(1.0)
    if form.kind == "scale" and not _depends(form.args[0], seed, memo):
        c, form = form.args
    if form.kind == "matmul" and form.args[1].shape[:1] == (1,) and not _depends(form.args[1], seed, memo):
        try:
            factor = coefficient(form.args[0], seed, memo)
        except Unsupported:
            factor = None
        if factor is not None:
            return m.index_form(m.scale(c, factor), m.T(form.args[1]))
    raise NoMatrixRule(
        f"closed_form: ∂y/∂{x.name} for y of shape {y.shape} and {x.name} of shape {x.shape} is a "
        f"tensor; its index form is written only when ⟨u, y⟩ has the gradient (M u) bᵀ (as for "
        f"y = W x: δ_ij x_k), which is not the case here")


def derive(y: Expr, x: Var) -> Node:
    """The closed form of ∂y/∂x: a gradient for scalar y, a Jacobian for vectors, an
    index form for a vector by a matrix."""
    if y.shape == ():
        return adjoint(y, x, m.num(1.0))
    if len(y.shape) == 1 and len(x.shape) == 1:
        return jacobian(y, x)
    if len(y.shape) == 1 and len(x.shape) == 2:
        return by_matrix(y, x)
    raise NoMatrixRule(
        f"closed_form: ∂y/∂{x.name} for y of shape {y.shape} and {x.name} of shape {x.shape} is a "
        f"tensor (index form); closed forms cover gradients of scalars, Jacobians of vectors by "
        f"vectors and vectors by matrices")
