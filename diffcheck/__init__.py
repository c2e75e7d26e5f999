"""diffcheck: verify derivatives three ways and compare them element by element.

An expression is built once in a shared IR; its derivative is obtained from SymPy's
closed form, from a reverse-mode tape over NumPy, and from numeric differences, and
the three are compared entry by entry.
"""

from diffcheck.compare import check
from diffcheck.derivatives import evaluate, grad, jacobian, symbolic_jacobian, to_sympy
from diffcheck.errors import ParseError, ShapeError
from diffcheck.explain import explain, to_dot
from diffcheck.ir import Const, Expr, Var, const, matrix, scalar, vector
from diffcheck.ops import REGISTRY as _REGISTRY
from diffcheck.report import Kink, Mismatch, Report
from diffcheck.verify import check_chain, check_gradient

# The public builders come from the op table: one record, one function.
exp = _REGISTRY["exp"].builder()
log = _REGISTRY["log"].builder()
sqrt = _REGISTRY["sqrt"].builder()
sin = _REGISTRY["sin"].builder()
cos = _REGISTRY["cos"].builder()
tanh = _REGISTRY["tanh"].builder()
sigmoid = _REGISTRY["sigmoid"].builder()
relu = _REGISTRY["relu"].builder()
abs = _REGISTRY["abs"].builder()  # noqa: A001 - NumPy's name
sum = _REGISTRY["sum"].builder()  # noqa: A001 - NumPy's name
mean = _REGISTRY["mean"].builder()

__version__ = "0.1.0"

# Built on the names above, so imported after them.
from diffcheck import nn  # noqa: E402


def __getattr__(name: str):
    """``dc.exercises`` is imported on first use: it needs SymPy, and ``import diffcheck``
    (which pytest does for the plugin) should not."""
    if name == "exercises":
        import importlib

        return importlib.import_module("diffcheck.exercises")
    raise AttributeError(f"module 'diffcheck' has no attribute {name!r}")

__all__ = [
    "Const", "Expr", "Kink", "Mismatch", "ParseError", "Report", "ShapeError", "Var",
    "abs", "check", "check_chain", "check_gradient", "const", "cos", "evaluate", "exercises",
    "exp", "explain", "grad", "jacobian", "log", "matrix", "mean", "nn", "relu", "scalar",
    "sigmoid", "sin", "sqrt", "sum", "symbolic_jacobian", "tanh", "to_dot", "to_sympy", "vector",
]
