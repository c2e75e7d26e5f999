"""Safe parsing of untrusted math text (claimed derivatives, student answers) into SymPy.

Text never reaches ``eval``, ``sympify`` or ``parse_expr``. It passes a text gate
(length, glyph map, NFKC, ASCII only; see ``diffcheck.parsing.gate``), then
``ast.parse(mode="eval")``, then two iterative walks over the tree: the first checks
every node against an allowlist and counts nodes, the second builds SymPy objects
directly, bottom-up, with an explicit stack (a long sum cannot hit the recursion
limit). Every rejection is a ``ParseError`` naming the reason and the position.

The result is built *unevaluated* (``evaluate=False``), as typed: SymPy's automatic
evaluation queries its assumption system, which can run for minutes on small hostile
input. Only numbers are folded (``0.5*x[0]`` is ``x[0]/2``, ``exp(0)`` is ``1``), so
``a + a`` stays ``a + a``; compare results with ``simplify(p - q) == 0`` or numerically.

>>> parse("2*W[1,2] + 0.5*x[0]", {"W": (2, 3), "x": (3,)})
2*W[1,2] + x[0]/2

Whole variables are arrays, and matrix notation (``@``, ``W.T``, ``inv``, ``outer``, ...;
``diffcheck.parsing.matrix``) is expanded to elements as it is built:

>>> parse("W.T @ (W @ x - t)", {"W": (2, 3), "x": (3,), "t": (2,)}).shape
(3,)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from diffcheck.errors import ParseError
from diffcheck.parsing.gate import (
    DEFAULT_LIMITS,
    Limits,
    ast_parse,
    check_brackets,
    check_numbers,
    check_variables,
    to_ascii,
)
from diffcheck.parsing.grammar import Checker

if TYPE_CHECKING:
    import sympy as sp

__all__ = ["CONSTANTS", "DEFAULT_LIMITS", "FUNCTIONS", "Limits", "parse"]


def parse(
    text: str, variables: Mapping[str, tuple[int, ...]], *, limits: Limits = DEFAULT_LIMITS
) -> sp.Expr | sp.Array:
    """Parse ``text`` over declared variables (name -> shape) without evaluating code.

    Returns a SymPy scalar expression, or an immutable ``sympy.Array`` when the text is
    a (nested) list literal or involves a bare non-scalar variable. Element references
    (``x[2]``, ``W[1,2]``, ``W[1][2]``) become ``element_symbol`` symbols.

    Raises:
        ParseError: for anything outside the grammar or over a limit; ``.position`` is
            the index into ``text`` (when meaningful).
        TypeError / ValueError: when ``text`` is not a string or ``variables`` is malformed.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() expects a string, got {type(text).__name__}")
    shapes = check_variables(variables)
    source, origin = to_ascii(text, limits)
    check_brackets(source, origin, text, limits)
    check_numbers(source, origin, text)
    tree = ast_parse(source, origin, text)
    Checker(source, origin, text, limits).check(tree)
    from diffcheck.parsing.builder import Builder, to_sympy  # SymPy: loaded on first parse

    try:
        value = Builder(shapes, source, origin, text, limits).build(tree)
    except ParseError:
        raise
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        # Raised from inside SymPy on odd numeric input; the contract is ParseError only.
        raise ParseError(f"expression could not be built ({type(exc).__name__}: {exc})",
                         None, text) from None
    return to_sympy(value, text, limits)


def __getattr__(name: str) -> object:
    """``FUNCTIONS`` and ``CONSTANTS`` hold SymPy objects, so they load on first use."""
    if name in ("FUNCTIONS", "CONSTANTS"):
        from diffcheck.parsing import functions

        return getattr(functions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
