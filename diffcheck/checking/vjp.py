"""``check_vjp``: a NumPy forward and its hand-written backward, checked as written.

``forward(**at)`` is plain NumPy and ``backward(g, **at)`` returns the gradient of
``⟨g, forward(**at)⟩`` for each input. diffcheck traces ``forward`` on variables
(NumPy's protocols build the expression) and compares what ``backward`` returns, element
by element, with the three derivations of ``check_gradient`` (SymPy, tape, numeric):

- when the output has at most ``FULL_JACOBIAN_OUTPUTS`` elements, the whole claimed
  Jacobian is rebuilt from unit cotangents, so a wrong element is named as a person
  writes it, ``∂y[1]/∂W[1,2]``; seeded cotangents then check that ``backward`` is
  linear in ``g``;
- for a larger output, ``n_cotangents`` seeded cotangents ``g`` are the points of a
  check of the scalar ``⟨g, y⟩`` (wrong elements named ``∂⟨g,y⟩/∂W[1,2]``, the point
  says which ``g``).

A forward that cannot be traced is checked as a black box, against central differences
of the real function (``diffcheck.checking.black_box``); the report's first note says
why the closed form and the tape are missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from diffcheck.checking import black_box
from diffcheck.checking.backward_calls import Backward, linearity_errors
from diffcheck.checking.check_inputs import METHODS, validate_methods
from diffcheck.checking.compare import NUMERIC_COLUMNS
from diffcheck.checking.method_tensors import SeededSample
from diffcheck.checking.report import Report
from diffcheck.checking.tracing import Inputs, real_value, split_inputs, trace
from diffcheck.checking.vjp_traced import FULL_JACOBIAN_OUTPUTS, fresh_name, traced_report
from diffcheck.ir import Expr, Var

TITLE = "check_vjp"


def check_vjp(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    at: Mapping[str, Any],
    *,
    n_cotangents: int = 3,
    methods: Sequence[str] = METHODS,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int | None = None,
    name: str = "y",
) -> Report:
    """Check a hand-written backward (vector-Jacobian product) of a plain NumPy forward.

    Args:
        forward: ``forward(**at)`` returns one array; written for NumPy arrays.
        backward: ``backward(g, **at)`` returns the gradient of ``⟨g, forward(**at)⟩``
            for each input: a dict by name, a tuple in the order of ``at``, or an array
            when there is one floating-point input.
        at: input name -> example array; the shapes define the variables. Integer and
            boolean arrays (labels, masks) are constants and need no gradient.
        n_cotangents: seeded cotangents ``g`` (standard normal, from ``seed``).
        methods, rtol, atol: as for ``dc.check``; SymPy is the reference when it runs.
        seed: seed of the cotangents (0 when None) and of any sampled elements.
        name: how the output is called in the report.

    Returns:
        A Report; the claimed values are under ``"claimed"``. An input the backward
        does not return, or returns in the wrong shape, is an error of the report.

    Raises:
        TypeError, ValueError: ``at``, ``forward``'s output or ``backward``'s result is
            not of the form above (saying what was wrong), or ``forward`` is not a
            function of its inputs (fresh random numbers).
    """
    if not callable(forward):
        raise TypeError(f"forward must be a function forward(**at), got {type(forward).__name__}")
    if isinstance(n_cotangents, bool) or not isinstance(n_cotangents, int) or n_cotangents < 1:
        raise ValueError(f"n_cotangents must be an int >= 1, got {n_cotangents!r}")
    methods = validate_methods(methods)
    inputs = split_inputs(at)
    value = real_value(forward, inputs)
    claims = Backward(backward, inputs, value.shape)
    rng = np.random.default_rng([0 if seed is None else seed, 0x76A])
    cotangents = [rng.standard_normal(value.shape).astype(value.dtype) for _ in range(n_cotangents)]
    traced = trace(forward, inputs, value)
    opts = {"methods": methods, "rtol": rtol, "atol": atol, "seed": seed}
    if isinstance(traced, Expr):
        report = traced_report(traced, inputs, claims, cotangents, name, opts)
    else:
        report = _black_box(forward, traced, inputs, value, claims, cotangents, name, opts)
    report.errors[:0] = [claims.problems[n] for n in inputs.differentiable if n in claims.problems]
    report.title = TITLE if isinstance(traced, Expr) else f"{TITLE} (black box)"
    return report


def _black_box(
    forward: Callable[..., Any], reason: str, inputs: Inputs, value: np.ndarray, claims: Backward,
    cotangents: list, name: str, opts: dict,
) -> Report:
    """The backward's claims against central differences of the real forward."""
    small = value.size <= FULL_JACOBIAN_OUTPUTS
    g = fresh_name(inputs)
    points = [dict(inputs.arrays)] if small else [{**inputs.arrays, g: c} for c in cotangents]
    output = name if small else f"⟨{g},{name}⟩"
    dropped = [m for m in opts["methods"] if m != "numeric"]
    report = Report(output, inputs.differentiable, ("numeric",), "numeric", {}, points, opts["seed"])
    report.notes.append(
        f"black box: forward could not be traced ({reason}), so there is no closed form (sympy) "
        f"and no tape{' (asked for: ' + ', '.join(dropped) + ')' if dropped else ''}; backward is "
        "compared with central differences of the real forward only"
    )
    if not np.all(np.isfinite(value)):
        report.errors.append(f"{name} is not finite at the given inputs: no derivative can be checked")
        return report
    jacobians = claims.unit_jacobian() if small else {}
    dtype = inputs.dtype
    sample = SeededSample(opts["seed"], NUMERIC_COLUMNS)
    for n in inputs.differentiable:
        x0 = inputs.arrays[n]
        columns = sample(0, Var(n, x0.shape))
        if columns is not None:
            report.notes.append(f"numeric: a seeded sample of {len(columns)} of the {x0.size} "
                                f"elements of {n} is perturbed; the rest are not checked")
        run = black_box.function_of(forward, inputs.arrays, n)
        numeric = black_box.central_columns(run, x0, value, columns)
        if small and n in jacobians:
            black_box.compare_into(report, n, 0, jacobians[n], numeric, value.ndim,
                                   opts["rtol"], opts["atol"], dtype)
        for k, c in enumerate(cotangents if not small else ()):
            claim = claims(c)
            if n in claim:
                black_box.compare_into(report, n, k, claim[n], numeric.project(c), 0,
                                       opts["rtol"], opts["atol"], dtype)
    if small:
        report.errors += linearity_errors(claims, jacobians, cotangents, dtype, name)
    return report

