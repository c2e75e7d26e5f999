"""``dc.linalg``: matrix functions of one square matrix, spelled as in ``numpy.linalg``.

``det``, ``slogdet``, ``inv``, ``solve``, ``cholesky`` and ``norm`` (also ``dc.norm``)
build nodes of the op records in
``diffcheck/ops/matrix_functions.py`` (their domains, lowerings and derivative rules are
documented there). ``slogdet(A)`` returns the pair ``(sign, logabsdet)`` of expressions,
like NumPy's; ``cholesky(A)`` reads only the lower triangle of ``A``, as NumPy does.
"""

from __future__ import annotations

from typing import Any

from diffcheck.ir import Expr
from diffcheck.ops import REGISTRY

det = REGISTRY["det"].builder()
inv = REGISTRY["inv"].builder()
solve = REGISTRY["solve"].builder()
cholesky = REGISTRY["cholesky"].builder()
norm = REGISTRY["norm"].builder()  # also dc.norm
_sign = REGISTRY["slogdet_sign"].builder()
_logabs = REGISTRY["slogdet_logabs"].builder()


def slogdet(A: Any) -> tuple[Expr, Expr]:
    """slogdet(A) = (sign, logabsdet): det(A) = sign * exp(logabsdet), as ``np.linalg.slogdet``.

    ``sign`` is ±1 (0 at a singular matrix) and its derivative is 0; ``logabsdet`` is
    ``log|det A|``, whose derivative is ``A⁻ᵀ``.
    """
    return _sign(A), _logabs(A)


__all__ = ["cholesky", "det", "inv", "norm", "slogdet", "solve"]
