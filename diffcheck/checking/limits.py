"""What is too large to compute: estimated up front and refused before any heavy work.

A dense Jacobian holds ``y.size · x.size`` numbers. SymPy's element-wise closed form
grows with the lowered expression (the products summed by ``@`` dominate). Numeric
differences re-run the forward pass once (complex step) or twice (central) per
perturbed element. Requests beyond the bounds below would run for minutes and end in a
raw ``MemoryError``; they get a ValueError that says what would work instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from diffcheck.backends import numeric, sympy_per_node
from diffcheck.backends.program import compile_program
from diffcheck.checking import cost as sympy_cost
from diffcheck.ir import Expr, Var

JACOBIAN_ELEMENTS = 5 * 10**7  # a dense float64 Jacobian of 400 MB
CHECK_ELEMENTS = 10**7  # per variable: a check keeps every method's tensor in the report
SYMPY_ELEMENTWISE_TERMS = 50_000  # beyond this, the element-wise closed form takes minutes
WORK = 10**10  # passes × operations each: 5 s to a minute, with the memory traffic
PASS_COST = 10_000  # what one pass costs in Python overhead, counted in operations


def sympy_route(y: Expr, var: Var) -> sympy_cost.SympyRoute:
    """The SymPy reference ``dc.jacobian(method='sympy')`` takes for ``∂y/∂var`` (by cost)."""
    return sympy_cost.choose(y, var, SYMPY_ELEMENTWISE_TERMS)


def forward_cost(y: Expr, var: Var) -> int:
    """Scalar operations of one pass over the nodes that depend on ``var`` (products of
    ``@`` dominate), and at least the per-pass overhead."""
    program = compile_program(y)
    live = program.live((var.name,))
    total = 0
    for node, record, is_live in zip(program.nodes, program.records, live, strict=True):
        if record is not None and is_live:
            shapes = (x.shape for x in node.inputs)
            total += record.lowered_terms(node.shape, *shapes, **node.kwargs)
    return max(total, PASS_COST)


def numeric_passes(y: Expr, var: Var, columns: int) -> int:
    """Forward passes numeric differences make for ``columns`` elements of ``var``."""
    return columns if numeric.is_analytic_path(compile_program(y), var) else 2 * columns


def refuse_jacobian(y: Expr, var: Var, method: str) -> None:
    """Raise ValueError when ``method`` cannot build ``∂y/∂var`` in memory or in reasonable time."""
    _refuse_dense(
        y, var, JACOBIAN_ELEMENTS, "y", "for a scalar reduction such as dc.sum(y * r) with a "
        "fixed array r, dc.grad gives rᵀJ at any size; or build a smaller instance"
    )
    if method == "sympy":
        _refuse_elementwise(
            y, f"method='sympy' would expand ∂y/∂{var.name}", "for its values at a point use "
            "dc.jacobian(y, x, at, method='tape'), or dc.check(y, x, at), whose SymPy reference "
            "composes per-node SymPy derivatives at this size"
        )
    if method == "sympy" and not sympy_route(y, var).elementwise:
        cost = forward_cost(y, var)
        if y.size * cost > WORK:
            raise ValueError(
                f"method='sympy' would compose per-node SymPy derivatives for ∂y/∂{var.name} "
                f"once for each of the {y.size:,} outputs, a pass of about {cost:.2g} operations "
                "each; use method='tape', or differentiate a scalar reduction"
            )
    if method == "numeric":
        _refuse_numeric(
            y, var, var.size, "method='numeric'", "use method='tape', or dc.check(y, x, at), "
            "which perturbs a seeded sample of the elements"
        )


def refuse_check(
    y: Expr,
    wrt: Sequence[Var],
    methods: Sequence[str],
    *,
    sympy_terms: int,
    numeric_columns: int,
    fast: bool = False,
    name: str = "y",
) -> None:
    """Raise ValueError when a check of ``wrt`` by ``methods`` is too large to finish.

    ``sympy_terms`` is the size above which the check's SymPy reference is always the
    per-node route (one accumulation per output); below it ``checking.cost`` chooses by
    predicted cost. ``numeric_columns`` is how many elements numeric perturbs.
    Fast mode projects SymPy's element-wise closed form, and falls back to the full
    comparison where projections disagree, so the same bounds hold for it.
    """
    terms = sympy_per_node.lowered_terms(y)
    if fast and "sympy" in methods:
        _refuse_elementwise(
            y, "fast mode projects SymPy's element-wise closed form, which would expand it",
            "pass methods=('tape', 'numeric'), or mode='full', whose SymPy reference composes "
            "per-node derivatives at this size", sympy_terms,
        )
    for var in wrt:
        _refuse_dense(
            y, var, CHECK_ELEMENTS, name, f"check a scalar reduction such as dc.sum({name} * r) "
            "with a fixed array r, or a smaller instance of the same layer"
        )
        cost = forward_cost(y, var)
        if "sympy" in methods and y.size * cost > WORK and not (
                terms <= sympy_terms and sympy_cost.choose(y, var, sympy_terms, wrt).elementwise):
            raise ValueError(
                f"the SymPy reference for ∂{name}/∂{var.name} would compose per-node "
                f"derivatives once for each of the {y.size:,} outputs, a pass of about "
                f"{cost:.2g} operations each; pass methods=('tape', 'numeric'), or check a "
                "scalar reduction"
            )
        analytic = numeric.is_analytic_path(compile_program(y), var)
        if "numeric" in methods or not analytic:
            _refuse_numeric(
                y, var, min(var.size, numeric_columns), f"numeric differences for ∂{name}/∂{var.name}",
                "pass methods=('sympy', 'tape')" if analytic else "check a smaller instance (the "
                "path has kinks, so numeric differences are needed to locate them)",
            )


def refuse_factor(expr: Expr, var: Var, methods: Sequence[str], name: str = "y") -> None:
    """Refuse a Jacobian that every method builds in full for a check, such as a chain factor."""
    what = f"the factor ∂{name}/∂{var.name}"
    _refuse_dense(expr, var, CHECK_ELEMENTS, name, "check the chain rule on a smaller instance")
    if "sympy" in methods:
        _refuse_elementwise(
            expr, f"SymPy would expand {what}", "pass methods=('tape', 'numeric'), or check a "
            "smaller instance"
        )
    if "numeric" in methods:
        _refuse_numeric(
            expr, var, var.size, f"numeric differences for {what}", "pass methods=('sympy', "
            "'tape'), or check a smaller instance"
        )


def _refuse_dense(y: Expr, var: Var, limit: int, name: str, remedy: str) -> None:
    elements = y.size * var.size
    if elements > limit:
        raise ValueError(
            f"∂{name}/∂{var.name} would be a dense tensor of {elements:.3g} elements "
            f"({y.size:,} outputs × {var.size:,} elements of {var.name}), more than the "
            f"{limit:.3g} it is built for (memory would run out); {remedy}"
        )


def _refuse_elementwise(
    y: Expr, what: str, remedy: str, limit: int = SYMPY_ELEMENTWISE_TERMS
) -> None:
    terms = sympy_per_node.lowered_terms(y)
    if terms > limit:
        raise ValueError(
            f"{what} element by element over about {terms:.2g} terms (the limit is "
            f"{limit:,}), which takes minutes; {remedy}"
        )


def _refuse_numeric(y: Expr, var: Var, columns: int, what: str, remedy: str) -> None:
    passes, cost = numeric_passes(y, var, columns), forward_cost(y, var)
    if passes * cost > WORK:
        raise ValueError(
            f"{what} would re-run a forward pass of about {cost:.2g} operations {passes:,} "
            f"times (perturbing {columns:,} elements of {var.name}); {remedy}"
        )
