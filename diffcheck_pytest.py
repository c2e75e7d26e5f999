"""diffcheck's pytest plugin: the ``gradcheck`` fixture, ``--diffcheck-*`` options and a marker.

Installed with diffcheck through the ``pytest11`` entry point named ``diffcheck``, so it
is loaded in every pytest session of an environment where diffcheck is installed; turn
it off with ``-p no:diffcheck``. It is a top-level module, not ``diffcheck.pytest_plugin``
(which is this same module under its documented name), because importing anything inside
the ``diffcheck`` package runs ``diffcheck/__init__.py``, which loads NumPy and the whole
checker. Here only the standard library and pytest are imported; diffcheck is imported
by the fixture, on first use, so a session that uses no diffcheck fixture pays nothing.

Each setting (``rtol``, ``atol``, ``seed``) of a ``gradcheck`` call comes from, in
order of precedence: the call's keyword arguments, ``@pytest.mark.diffcheck(...)``,
the command line (``--diffcheck-rtol``), the ini file (``diffcheck_rtol``), and the
built-in default: diffcheck's per-method tolerance table for ``rtol``/``atol``
(``None``), seed 0.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from diffcheck.testing import GradCheck

ENTRY_POINT = "diffcheck"
DOCUMENTED_NAME = "diffcheck.pytest_plugin"  # the same module, for ``-p`` and the API docs
MARKER = "diffcheck"
DEFAULTS: dict[str, Any] = {"rtol": None, "atol": None, "seed": 0}
HELP = {
    "rtol": "relative tolerance of every comparison (default: diffcheck's per-method table)",
    "atol": "absolute tolerance of every comparison (default: diffcheck's per-method table)",
    "seed": "seed of the random points of checks given no at= (default: 0)",
}
MARKER_HELP = (
    "diffcheck(rtol=None, atol=None, seed=None): tolerances and seed of the gradcheck "
    "fixture in this test, overriding --diffcheck-rtol/--diffcheck-atol/--diffcheck-seed"
)
_SETTINGS = pytest.StashKey[dict[str, Any]]()


# ----- settings -----
def coerce(name: str, value: Any) -> float | int | None:
    """``value`` as setting ``name``: rtol/atol a finite float >= 0 or None, seed an int >= 0.

    Text (from the command line or an ini file) is parsed; a ValueError says what is wrong.
    """
    if isinstance(value, str):
        value = _parse(name, value.strip())
    if name == "seed":
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"seed must be an int >= 0, got {value!r}")
        return int(value)
    if value is None:
        return None
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0 (or None for the per-method table), got {value!r}"
        )
    return float(value)


def _parse(name: str, text: str) -> float | int:
    try:
        return int(text) if name == "seed" else float(text)
    except ValueError:
        kind = "an int" if name == "seed" else "a number"
        raise ValueError(f"{name} must be {kind}, got {text!r}") from None


def _from_config(config: pytest.Config) -> dict[str, Any]:
    """Command line over ini over built-in defaults; a bad value is a usage error."""
    settings = dict(DEFAULTS)
    for name in DEFAULTS:
        # default=None: the options are missing when the plugin was registered after parsing.
        for source, raw in (
            (f"--diffcheck-{name}", config.getoption(f"diffcheck_{name}", default=None)),
            (f"ini option diffcheck_{name}", _ini(config, f"diffcheck_{name}")),
        ):
            if raw is None or raw == "":
                continue
            try:
                settings[name] = coerce(name, raw)
            except ValueError as error:
                raise pytest.UsageError(f"{source}: {error}") from None
            break
    return settings


def _ini(config: pytest.Config, name: str) -> str:
    try:
        return str(config.getini(name))
    except ValueError:  # not registered
        return ""


def _from_markers(node: pytest.Item) -> dict[str, Any]:
    """The ``diffcheck`` markers' settings, closest last (a test's marker beats its module's)."""
    settings: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers(MARKER))):
        if mark.args:
            raise ValueError(f"takes keyword arguments only (rtol=, atol=, seed=), got {mark.args!r}")
        unknown = sorted(set(mark.kwargs) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown argument(s) {', '.join(unknown)}; use rtol=, atol=, seed=")
        settings.update({k: coerce(k, v) for k, v in mark.kwargs.items()})
    return settings


def describe(settings: dict[str, Any]) -> str:
    """``rtol=per-method table, atol=1e-08, seed=0``."""
    return ", ".join(
        f"{k}={'per-method table' if settings[k] is None else f'{settings[k]:g}'}" for k in DEFAULTS
    )


# ----- hooks -----
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("diffcheck", "diffcheck: derivative checks (gradcheck fixture)")
    for name, text in HELP.items():
        group.addoption(
            f"--diffcheck-{name}", dest=f"diffcheck_{name}", default=None, metavar=name.upper(), help=text
        )
        parser.addini(f"diffcheck_{name}", text, default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[_SETTINGS] = _from_config(config)


def pytest_report_header(config: pytest.Config) -> str:
    return f"diffcheck: {describe(config.stash.get(_SETTINGS, DEFAULTS))}"


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Make loading this module twice harmless (the entry point plus ``-p``).

    pytest registers a module once per name, and refuses the same module under a
    second name. The entry point registers it as ``diffcheck``, ``-p`` as
    ``diffcheck.pytest_plugin`` or ``diffcheck_pytest``: once one name is in use,
    the others are blocked, so a second request is skipped instead of failing.
    """
    if getattr(plugin, "__name__", None) != __name__:
        return
    name = manager.get_name(plugin)
    for alias in (ENTRY_POINT, DOCUMENTED_NAME, __name__):
        if alias != name and manager.get_plugin(alias) is None and not manager.is_blocked(alias):
            manager.set_blocked(alias)


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradCheck:
    """Check derivatives in a test; a disagreement fails the test with diffcheck's report.

    ``gradcheck(y, wrt, claimed=None, at=None, **opts)`` runs ``dc.check_gradient``
    (``dc.check`` when ``claimed`` is None), returns the report when every element
    agrees, and otherwise fails the test with the report: the wrong elements named
    as ``∂y[1]/∂W[1,2]`` with each method's value, hints, the points, the seed and a
    line that reruns the check. ``rtol``, ``atol`` and ``seed`` come from the call,
    else ``@pytest.mark.diffcheck``, else ``--diffcheck-*``, else the ini file.
    ``gradcheck.vjp(forward, backward, at, **opts)`` checks a plain NumPy forward's
    hand-written backward with ``dc.check_vjp`` and fails the test the same way.
    In ``@given`` tests use ``diffcheck.testing.assert_gradient`` (or ``assert_vjp``)
    instead (Hypothesis rejects function-scoped fixtures there).

    Example::

        import numpy as np
        import pytest
        import diffcheck as dc

        W, x, b = dc.matrix("W", 2, 3), dc.vector("x", 3), dc.vector("b", 2)

        def test_layer(gradcheck):
            gradcheck(W @ x + b, b, lambda W, x, b: np.eye(2))   # my ∂y/∂b
            gradcheck(dc.tanh(W @ x), [W, x])                   # sympy = tape = numeric

        def test_my_backward(gradcheck):
            forward = lambda W, x: np.tanh(W @ x)
            def backward(g, W, x):
                d = g * (1 - np.tanh(W @ x) ** 2)
                return {"W": np.outer(d, x), "x": W.T @ d}
            gradcheck.vjp(forward, backward, {"W": np.ones((2, 3)), "x": np.arange(3.0)})

        @pytest.mark.diffcheck(rtol=1e-4, seed=3)
        def test_approximate_claim(gradcheck):
            ...
    """
    from diffcheck.testing import GradCheck

    settings = dict(request.config.stash.get(_SETTINGS, DEFAULTS))
    try:
        settings.update(_from_markers(request.node))
    except ValueError as error:
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)
    return GradCheck(settings)
