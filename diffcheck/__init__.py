"""diffcheck: verify derivatives three ways and compare them element by element.

An expression is built once in a shared IR; its derivative is obtained from SymPy's
closed form, from a reverse-mode tape over NumPy, and from numeric differences, and
the three are compared entry by entry.
"""

from diffcheck.checking.compare import check
from diffcheck.checking.report import Kink, Mismatch, Report
from diffcheck.checking.verify import check_chain, check_gradient
from diffcheck.checking.vjp import check_vjp
from diffcheck.derivatives import evaluate, grad, jacobian, symbolic_jacobian, to_sympy
from diffcheck.diagnosis.explain import explain, to_dot
from diffcheck.errors import ParseError, ShapeError
from diffcheck.ir import Const, Expr, Var, const, matrix, scalar, vector
from diffcheck.matrix_forms import closed_form
from diffcheck.ops import REGISTRY as _REGISTRY
from diffcheck.second_order import hessian, hvp


def _export_builders() -> list[str]:
    """Bind each public op's builder in this module (``dc.exp``, ``dc.sum``); return their names."""
    names = []
    for record in _REGISTRY.values():
        if record.public:
            globals()[record.public_name] = record.builder()
            names.append(record.public_name)
    return names


# The public builders come from the op table: one record, one function.
_BUILDERS = _export_builders()

__version__ = "0.1.0"

# Built on the names above, so imported after them.
from diffcheck import linalg, nn  # noqa: E402


def __getattr__(name: str):
    """``dc.exercises`` is imported on first use: it needs SymPy, and ``import diffcheck``
    (which pytest does for the plugin) should not."""
    if name == "exercises":
        import importlib

        return importlib.import_module("diffcheck.exercises")
    raise AttributeError(f"module 'diffcheck' has no attribute {name!r}")

__all__ = [
    "Const", "Expr", "Kink", "Mismatch", "ParseError", "Report", "ShapeError", "Var",
    "check", "check_chain", "check_gradient", "check_vjp", "closed_form", "const", "evaluate", "exercises",
    "explain", "grad", "hessian", "hvp", "jacobian", "linalg", "matrix", "nn", "scalar",
    "symbolic_jacobian", "to_dot", "to_sympy", "vector",
]
__all__ += _BUILDERS  # exp, log, ..., sum, mean: every public record of the op table
