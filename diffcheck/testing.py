"""Assertions for test suites: ``assert_gradient``, ``assert_vjp`` and the ``gradcheck`` fixture's object.

A failed check raises :class:`GradientCheckError` (an ``AssertionError``) whose
message is the report — the wrong elements named as a person writes them
(``∂y[1]/∂W[1,2]``) with each method's value, the hints, the seed and the points —
followed by the expression and one line that reruns the check in a Python shell.
The full report is on the exception: ``err.report``.

Example::

    import diffcheck as dc
    from diffcheck.testing import assert_gradient

    def test_square():
        a = dc.scalar("a")
        assert_gradient(a * a, a, lambda a: 2 * a)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import diffcheck as dc
from diffcheck.checking.report import Report
from diffcheck.ir import Expr, Var, variables
from diffcheck.printing import expr_str

MAX_LINES = 60  # of the report in a failure message; the table is capped by Report itself
KEEP_TAIL = 12  # lines kept from the end (points, seed) when the middle is cut
EXPR_CHARS = 160
SHOWN_VARIABLES = 8

__all__ = ["GradCheck", "GradientCheckError", "assert_gradient", "assert_vjp", "failure_message"]


class GradientCheckError(AssertionError):
    """A derivative check failed; ``.report`` is the full :class:`diffcheck.Report`."""

    def __init__(self, message: str, report: Report):
        super().__init__(message)
        self.report = report


def assert_gradient(
    y: Expr,
    wrt: Var | str | Sequence[Var | str],
    claimed: Any = None,
    at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
    **opts: Any,
) -> Report:
    """Run ``dc.check_gradient`` (``dc.check`` when ``claimed`` is None) and fail if it disagrees.

    Args:
        y: the expression.
        wrt: the variable(s), as ``Var`` objects or names.
        claimed: a hand-derived derivative (callable, SymPy object, string or array;
            see ``dc.check_gradient``), or None to compare the three methods only.
        at: a point or a list of points; None for seeded random points.
        **opts: passed on unchanged (``rtol``, ``atol``, ``seed``, ``n_points``,
            ``methods``, ``layout``, ...). Unset tolerances use diffcheck's
            per-method table.

    Returns:
        The report, when every element agrees.

    Raises:
        GradientCheckError: an ``AssertionError`` carrying ``.report``; its message is
            the report, the expression and a line that reruns the check.

    Example::

        W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)
        assert_gradient(dc.sum(W @ x), x, lambda W, x: W.sum(axis=0))
    """
    __tracebackhide__ = True
    if claimed is None:
        report = dc.check(y, wrt, at, **opts)
    else:
        report = dc.check_gradient(y, wrt, claimed, at, **opts)
    if not report.ok:
        raise GradientCheckError(failure_message(report, y, claimed, at, opts), report)
    return report


def assert_vjp(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    at: Mapping[str, Any],
    **opts: Any,
) -> Report:
    """Run ``dc.check_vjp(forward, backward, at, **opts)`` and fail if the backward is wrong.

    Args:
        forward: a plain NumPy function ``forward(**at)``.
        backward: ``backward(g, **at)``, the gradient of ``⟨g, forward(**at)⟩`` per input.
        at: input name -> example array (integer arrays are constants).
        **opts: passed on unchanged (``n_cotangents``, ``rtol``, ``atol``, ``seed``,
            ``methods``).

    Returns:
        The report, when every element agrees.

    Raises:
        GradientCheckError: an ``AssertionError`` carrying ``.report``; its message is
            the report and a line that reruns the check.

    Example::

        def forward(W, x):
            return np.tanh(W @ x)

        def backward(g, W, x):
            d = g * (1 - np.tanh(W @ x) ** 2)
            return {"W": np.outer(d, x), "x": W.T @ d}

        assert_vjp(forward, backward, {"W": np.ones((2, 3)), "x": np.arange(3.0)})
    """
    __tracebackhide__ = True
    report = dc.check_vjp(forward, backward, at, **opts)
    if not report.ok:
        shown = ", ".join(f"{k}={v!r}" if _literal(v) else f"{k}={k}" for k, v in opts.items()
                          if v is not None)
        lines = _capped(str(report).splitlines())
        lines.append(f"Rerun in Python: dc.check_vjp(forward, backward, at{', ' + shown if shown else ''})"
                     "   (import diffcheck as dc; forward, backward, at: as in this test)")
        raise GradientCheckError("\n".join(lines), report)
    return report


class GradCheck:
    """What the ``gradcheck`` fixture returns: :func:`assert_gradient` with the test's settings.

    ``settings`` holds ``rtol``, ``atol`` and ``seed`` resolved from the test's
    ``@pytest.mark.diffcheck``, the command line and the ini file; keyword arguments
    of a call override them.
    """

    def __init__(self, settings: Mapping[str, Any] | None = None):
        self.settings: dict[str, Any] = dict(settings or {})

    def __call__(
        self,
        y: Expr,
        wrt: Var | str | Sequence[Var | str],
        claimed: Any = None,
        at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
        **opts: Any,
    ) -> Report:
        """Check ``∂y/∂wrt`` (against ``claimed`` if given); fail the test when it disagrees."""
        __tracebackhide__ = True
        return assert_gradient(y, wrt, claimed, at, **{**self.settings, **opts})

    def vjp(
        self, forward: Callable[..., Any], backward: Callable[..., Any], at: Mapping[str, Any],
        **opts: Any,
    ) -> Report:
        """Check a NumPy forward's hand-written backward (``dc.check_vjp``); fail the test when
        it is wrong. The test's ``rtol``, ``atol`` and ``seed`` apply; keywords override them."""
        __tracebackhide__ = True
        return assert_vjp(forward, backward, at, **{**self.settings, **opts})

    def __repr__(self) -> str:
        return f"<gradcheck {', '.join(f'{k}={v!r}' for k, v in self.settings.items())}>"


# ----- the failure message -----
def failure_message(
    report: Report, y: Expr, claimed: Any = None, at: Any = None, opts: Mapping[str, Any] | None = None
) -> str:
    """The report (at most ``MAX_LINES`` lines), the expression, and a line that reruns the check."""
    lines = _capped(str(report).splitlines())
    lines.append(f"Expression: {report.output} = {_expression(y)}")
    lines.append(rerun_line(report, claimed, at, opts or {}))
    return "\n".join(lines)


def _capped(lines: list[str], limit: int = MAX_LINES, tail: int = KEEP_TAIL) -> list[str]:
    """``lines`` with the middle cut when there are more than ``limit``; says how many were cut."""
    if len(lines) <= limit:
        return lines
    cut = len(lines) - limit + 1
    head = lines[: limit - 1 - tail]
    note = f"... {cut} more lines of the report left out (print(err.report) shows all)"
    return head + [note] + lines[-tail:]


def _expression(y: Expr) -> str:
    if not isinstance(y, Expr):  # a NumPy function, traced or checked as a black box
        return f"{getattr(y, '__qualname__', type(y).__name__)}(**at), a NumPy function"
    text = expr_str(y)
    if len(text) > EXPR_CHARS:
        text = text[: EXPR_CHARS - 3] + "..."
    found = sorted(variables(y).items())
    shapes = ", ".join(f"{name} {var.shape}" for name, var in found[:SHOWN_VARIABLES])
    more = f", and {len(found) - SHOWN_VARIABLES} more" if len(found) > SHOWN_VARIABLES else ""
    return f"{text}   [variables: {shapes or 'none'}{more}]"


def _literal(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    return isinstance(value, (tuple, list)) and all(_literal(v) for v in value)


def rerun_line(report: Report, claimed: Any, at: Any, opts: Mapping[str, Any]) -> str:
    """``Rerun in Python: dc.check_gradient(y, 'W', claimed, seed=0)`` and what the user supplies."""
    wrt = repr(report.wrt[0]) if len(report.wrt) == 1 else repr(list(report.wrt))
    args = ["y", wrt]
    supplied = ["y"]
    if claimed is not None:
        args.append("claimed")
        supplied.append("claimed")
    if at is not None:
        args.append("at")
        supplied.append("at")
    keywords = dict(opts)
    if at is None:
        keywords["seed"] = report.seed
    else:
        keywords.pop("seed", None)  # ignored when points are given
    for key, value in keywords.items():
        if value is None and key in ("rtol", "atol"):
            continue
        args.append(f"{key}={value!r}" if _literal(value) else f"{key}={key}")
        if not _literal(value):
            supplied.append(key)
    function = "check_gradient" if claimed is not None else "check"
    return (
        f"Rerun in Python: dc.{function}({', '.join(args)})"
        f"   (import diffcheck as dc; {', '.join(supplied)}: as built in this test)"
    )
