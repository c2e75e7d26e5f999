"""Matrix functions of ``dc.linalg``: det, slogdet (sign and log|det|), inv, solve, cholesky.

Each takes one square matrix ``A`` (no stacks of matrices). At random points, det, inv,
solve and slogdet want ``A`` invertible with ``cond(A) <= COND_LIMIT``, cholesky a
symmetric positive definite matrix as well conditioned; ``into_domain`` moves a variable
there. At a matrix singular to working precision (``cond(A) >= 1/eps``) inv and solve give
NaN, log|det| -inf and sign 0 (as NumPy's slogdet does at an exactly singular matrix), and
cholesky gives NaN where S is not positive definite, so a check there fails ("y is not
finite", or no SymPy reference for the sign) rather than compare rounding noise. det is
a polynomial: its derivative, the cofactor matrix (from the SVD), exists there too.

``cholesky`` reads only the lower triangle, as ``np.linalg.cholesky`` does: it is the
factor of ``S = tril(A) + tril(A, -1).T``. All three methods differentiate that one
function, so ``∂/∂A[i, j]`` is 0 above the diagonal and, below it, counts both ``S[i, j]``
and ``S[j, i]`` (PyTorch instead symmetrises the gradient of a function of ``(A + Aᵀ)/2``).

SymPy lowers each op by exact formulas: Laplace expansion for det, the adjugate over det
for inv and solve (no pivots chosen by symbols), ``Matrix.cholesky(hermitian=False)``.
Per node, inv and solve use SymPy's matrix calculus (``d tr(Gᵀ A⁻¹) / dA = -A⁻ᵀ G A⁻ᵀ``);
SymPy 1.14 has no derivative of ``Determinant`` (unevaluated, or 0 inside a product), nor
a matrix-level Cholesky, so det, slogdet and cholesky are lowered at their real shapes,
refused above ``sympy_local.MAX_TERMS`` terms of work (from 7×7 on: det of 6×6 takes 5 s).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from diffcheck._lazy import sympy as sp
from diffcheck.errors import ShapeError
from diffcheck.ops.arrays import as_objects
from diffcheck.ops.base import MatrixView, Op, op
from diffcheck.ops.drawing import Draw, Sample
from diffcheck.ops.notation import Call

COND_LIMIT = 100.0  # the largest condition number random points give a matrix input
# Lowered sizes grow like n!; past every SymPy limit they are capped, so that the forward's
# cost estimate (``checking.limits.forward_cost``) does not mistake n! for NumPy's n³.
LOWERED_CAP = 10**6


# ----- helpers -----
def square_size(name: str, a: tuple[int, ...], what: str = "A") -> int:
    """``n`` for a square matrix shape ``(n, n)``; a ShapeError naming the op otherwise."""
    if len(a) != 2 or a[0] != a[1] or a[0] == 0:
        raise ShapeError(f"{name}: {what} must be a square matrix (n, n), got shape {a}"
                         + (" (stacks of matrices are not supported)" if len(a) > 2 else ""))
    return a[0]


def det_terms(n: int) -> int:
    """SymPy operations of a Laplace-expanded n×n determinant: about e·n! (measured)."""
    return 1 if n < 2 else round(math.e * math.factorial(min(n, 13)))


def work(size: int, n: int) -> int:
    """SymPy's work on a lowering of ``size`` operations over an n×n matrix: its derivatives
    by the n² elements grow like n·size (measured: det of 7×7 takes 40 s), capped."""
    return min(size * n, LOWERED_CAP)


def singular(a: np.ndarray) -> bool:
    """True when ``a`` is singular to working precision (or not finite)."""
    if not np.all(np.isfinite(a)):
        return True
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(np.real(a))
    return not cond < 1 / np.finfo(np.result_type(a, np.float64)).eps


def well_conditioned(a: np.ndarray) -> bool:
    """``a`` finite with a condition number at most ``COND_LIMIT``."""
    with np.errstate(all="ignore"):
        return bool(np.all(np.isfinite(a)) and np.linalg.cond(a) <= COND_LIMIT)


def inverse(a: np.ndarray) -> np.ndarray:
    """``A⁻¹``, or NaN where ``A`` is singular to working precision."""
    return np.full(np.shape(a), np.nan) if singular(a) else np.linalg.inv(a)


def dominant(x: np.ndarray) -> np.ndarray:
    """``x + cI`` with ``c`` past every row and column sum of ``|x|``: strictly diagonally
    dominant by at least 1 both ways, so its smallest singular value is at least 1."""
    x = np.asarray(x, dtype=np.float64)
    size = np.abs(x)
    c = 1.0 + max(size.sum(axis=0).max(), size.sum(axis=1).max())
    return x + c * np.eye(len(x))


def cofactors(a: np.ndarray) -> np.ndarray:
    """``det(A)·A⁻ᵀ`` from the SVD ``A = U Σ Vᵀ``: ``det(U) det(V) U diag(Π_{j≠i} σ_j) Vᵀ``,
    exact at a singular matrix too."""
    if np.iscomplexobj(a):  # NOTE: the SVD conjugates; minors keep a complex step analytic
        return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                          for j in range(len(a))] for i in range(len(a))], dtype=a.dtype)
    u, s, vt = np.linalg.svd(a)
    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])
    return np.linalg.det(u) * np.linalg.det(vt) * (u * others) @ vt


# NOTE: SymPy's Matrix.det and .cholesky simplify entries as they go (``dotprodsimp``), a
# minute for a 3×3 of rational functions; so each formula is derived once over plain
# symbols and the entries are substituted into it.
@functools.cache
def formulas(kind: str, n: int) -> tuple:
    """``(P, entries)``: placeholder symbols ``P`` (n×n) and the formula's entries over them:
    ``"det"`` its Laplace expansion (Bareiss, SymPy's default, takes minutes at 6×6),
    ``"adj"`` the adjugate, ``"cholesky"`` the lower factor of a symmetric P."""
    if kind == "cholesky":  # over a symmetric P
        p = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"_p{max(i, j)}_{min(i, j)}"))
        return p, tuple(p.cholesky(hermitian=False))
    p = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"_p{i}_{j}"))
    return p, tuple(p.adjugate(method="laplace")) if kind == "adj" else (p.det(method="laplace"),)


def substituted(kind: str, x: np.ndarray) -> list:
    """The entries of formula ``kind`` at the matrix of SymPy expressions ``x``."""
    p, entries = formulas(kind, len(x))
    values = dict(zip(p, x.ravel(), strict=True))
    return [e.xreplace(values) for e in entries]


def objects(entries: list, shape: tuple[int, ...]) -> np.ndarray:
    """SymPy entries (C order) as an object array of ``shape``."""
    out = np.empty(len(entries), dtype=object)
    out[:] = entries
    return as_objects(out.reshape(shape))


def laplace_det(x: np.ndarray):
    return substituted("det", x)[0]


def adjugate_inverse(x: np.ndarray) -> np.ndarray:
    """``adj(A) / det(A)`` as an n×n object array."""
    return objects(substituted("adj", x), x.shape) / laplace_det(x)


class MatrixFunction(Op):
    """A function of one square matrix, exported from ``dc.linalg``."""

    arity = 1
    printing, draw = Call(), Draw(square=True)
    samples = (Sample(((2, 2),)), Sample(((3, 3),)))
    label = ""  # the name shape errors give, when not ``name`` (slogdet)

    def shape(self, a):
        square_size(self.label or self.name, a)
        return ()

    def domain(self, a, *rest):
        return well_conditioned(a) and all(np.all(np.isfinite(r)) for r in rest)

    def into_domain(self, k, x):
        return dominant(x) if k == 0 else x

    def lowered_terms(self, out_shape, a, *rest):  # a determinant's; the others override it
        return work(det_terms(a[0]), a[0])

    @property
    def vjps(self):
        return (self.vjp,)

    def usage(self):
        inputs = "A, b" if self.arity == 2 else "A"
        return f"dc.linalg.{self.name}({inputs})"

    def bind(self, operands, params):
        try:
            return super().bind(operands, params)
        except TypeError as error:
            raise TypeError(str(error).replace(f"dc.{self.name}()", f"dc.linalg.{self.name}()")) from None


# ----- determinants -----
@op
class Det(MatrixFunction):
    """det(A): the determinant of a square matrix."""

    name = "det"
    numpy_names = ("linalg.det",)
    reads = ((0,),)
    sympy_route = "lower"  # SymPy 1.14 cannot differentiate Determinant(X) by X

    forward = staticmethod(np.linalg.det)

    def lower(self, a):
        return as_objects(laplace_det(a))

    @staticmethod
    def vjp(g, out, a):  # Jacobi's formula: ∂det/∂A = det(A) A⁻ᵀ, the cofactor matrix
        return np.asarray(g)[..., None, None] * cofactors(a)


@op
class SlogdetSign(MatrixFunction):
    """slogdet_sign(A): the sign of det(A), ±1 (0 when singular); piecewise constant."""

    name, label = "slogdet_sign", "slogdet"
    reads = ((),)
    sympy_route = "lower"

    def forward(self, a):
        if singular(a):
            return np.zeros((), dtype=np.result_type(a, np.float64))
        # NOTE: for a complex step the sign of the real part is kept: constant nearby, so
        # analytic there (NumPy's complex "sign" would be the phase det/|det|).
        return np.asarray(np.sign(np.real(np.linalg.det(a))), dtype=np.result_type(a, np.float64))

    def lower(self, a):
        d = laplace_det(a)
        return as_objects(d / sp.Abs(d))  # sign(d) would differentiate to a DiracDelta

    @staticmethod
    def vjp(g, out, a):  # a may be a shape-only stand-in
        return np.zeros(np.shape(g) + tuple(a.shape))


@op
class SlogdetLogabs(MatrixFunction):
    """slogdet_logabs(A): log|det(A)| (-inf when singular)."""

    name, label = "slogdet_logabs", "slogdet"
    numpy_names = ("linalg.slogdet",)
    reads = ((0,),)
    sympy_route = "lower"

    def usage(self):
        return "dc.linalg.slogdet(A)"

    def forward(self, a):
        if singular(a):
            return np.full((), -np.inf)
        if not np.iscomplexobj(a):
            return np.linalg.slogdet(a)[1]
        d = np.linalg.det(a)  # NOTE: log(±det), the holomorphic branch, for the complex step
        return np.log(np.sign(np.real(d)) * d)

    def lower(self, a):
        return as_objects(sp.log(sp.Abs(laplace_det(a))))

    @staticmethod
    def vjp(g, out, a):  # ∂ log|det A| / ∂A = A⁻ᵀ
        return np.asarray(g)[..., None, None] * inverse(a).T


# ----- inverse and solve -----
@op
class Inv(MatrixFunction):
    """inv(A): the inverse of a square matrix."""

    name = "inv"
    numpy_names = ("linalg.inv",)
    reads = (("out",),)
    sympy_route = "linear"  # d tr(Gᵀ A⁻¹) / dA = -A⁻ᵀ G A⁻ᵀ, by SymPy's matrix calculus

    def shape(self, a):
        return (square_size(self.name, a),) * 2

    forward = staticmethod(inverse)

    def lower(self, a):
        return as_objects(adjugate_inverse(a))

    def lowered_terms(self, out_shape, a):
        n = a[0]
        return work(n * n * (det_terms(n - 1) + det_terms(n)), n)

    def matrix_views(self, a):
        return (MatrixView((0, 1), a),)

    def matrix_form(self, m):
        return m.inverse()

    @staticmethod
    def vjp(g, out, a):
        return -out.T @ g @ out.T


@op
class Solve(MatrixFunction):
    """solve(A, b): x with A x = b, for a vector b or a matrix b of columns."""

    name, arity = "solve", 2
    draw = Draw(fit="contract", square=True)
    samples = (Sample(((2, 2), (2,))), Sample(((3, 3), (3, 2))))
    numpy_names = ("linalg.solve",)
    reads = (("out", 0), (0,))
    sympy_route = "linear"  # A⁻¹ b by SymPy's matrix calculus: -A⁻ᵀ G xᵀ and A⁻ᵀ G

    def shape(self, a, b):
        n = square_size(self.name, a)
        if not 1 <= len(b) <= 2 or b[0] != n:
            raise ShapeError(f"solve: b must be a vector of length {n} or a matrix with {n} rows "
                             f"(NumPy's rule) for A of shape {a}, got shape {b}")
        return b

    def forward(self, a, b):
        return np.full(np.shape(b), np.nan) if singular(a) else np.linalg.solve(a, b)

    def lower(self, a, b):
        adj, columns = objects(substituted("adj", a), a.shape), b.reshape(len(b), -1)
        product = [sp.Add(*(adj[i] * columns[:, k])) for i in range(len(a)) for k in range(columns.shape[1])]
        return objects(product, b.shape) / laplace_det(a)

    def lowered_terms(self, out_shape, a, b):
        n = a[0]
        return work(math.prod(b) * (n * det_terms(n - 1) + det_terms(n)), n)

    def matrix_views(self, a, b):
        return (MatrixView((0, 1), a), MatrixView(tuple(range(len(b))), (b[0], math.prod(b[1:]))))

    def matrix_form(self, m, v):
        return m.inverse() * v

    @property
    def vjps(self):
        return (self.vjp_a, self.vjp_b)

    @staticmethod
    def vjp_b(g, out, a, b):  # A⁻ᵀ g, for each batch row of g
        ainv = inverse(a)
        return g @ ainv if b.ndim == 1 else ainv.T @ g

    @staticmethod
    def vjp_a(g, out, a, b):  # -(A⁻ᵀ g) xᵀ
        gb = Solve.vjp_b(g, out, a, out)
        return -gb[..., :, None] * out if out.ndim == 1 else -gb @ out.T


# ----- cholesky -----
def lower_symmetric(a: np.ndarray) -> np.ndarray:
    """``tril(A) + tril(A, -1).T``: the symmetric matrix that ``cholesky(A)`` factors."""
    return np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)


def complex_cholesky(s: np.ndarray) -> np.ndarray:
    """The Cholesky factor of a complex symmetric (not Hermitian) matrix: no conjugates,
    so it is the analytic extension the complex step needs."""
    n = len(s)
    L = np.zeros_like(s)
    for j in range(n):
        L[j, j] = np.sqrt(s[j, j] - L[j, :j] @ L[j, :j])
        L[j + 1:, j] = (s[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L


@op
class Cholesky(MatrixFunction):
    """cholesky(A): lower L with L Lᵀ = S, S = tril(A) + tril(A, -1).T positive definite."""

    name = "cholesky"
    numpy_names = ("linalg.cholesky",)
    reads = (("out",),)
    sympy_route = "lower"  # SymPy has no matrix-level Cholesky to differentiate

    def shape(self, a):
        return (square_size(self.name, a),) * 2

    def domain(self, a):
        if not np.all(np.isfinite(a)):
            return False
        eigenvalues = np.linalg.eigvalsh(lower_symmetric(a))
        return bool(eigenvalues[0] > 0 and eigenvalues[-1] <= COND_LIMIT * eigenvalues[0])

    def into_domain(self, k, x):
        """``x xᵀ / (n·s) + I`` (``s`` scales entries beyond 1 back): eigenvalues in [1, n + 1]."""
        x = np.asarray(x, dtype=np.float64)
        s = max(1.0, float(np.max(np.abs(x))) ** 2)
        return x @ x.T / (len(x) * s) + np.eye(len(x))

    def forward(self, a):
        s = lower_symmetric(np.asarray(a))
        if np.iscomplexobj(s):
            return complex_cholesky(s)
        try:
            return np.linalg.cholesky(s)
        except np.linalg.LinAlgError:  # not positive definite: NaN, as sqrt of a negative
            return np.full(np.shape(s), np.nan)

    def lower(self, a):
        return objects(substituted("cholesky", lower_symmetric(a)), a.shape)

    def lowered_terms(self, out_shape, a):
        return work(math.ceil(0.85 * 3.5 ** min(a[0], 20)), a[0])  # measured: ×3.5 per size

    @staticmethod
    def vjp(g, out, a):
        # dL = L Φ(L⁻¹ dS L⁻ᵀ), Φ = strict lower part plus half the diagonal; so
        # ⟨g, dL⟩ = ⟨M, dS⟩ with M = L⁻ᵀ Φ(Lᵀ g) L⁻¹, and dS reads A's lower triangle twice.
        eye = np.eye(len(out))
        p = out.T @ g
        phi = np.tril(p, -1) + 0.5 * p * eye
        linv = inverse(out)
        m = linv.T @ phi @ linv
        return np.tril(m + np.swapaxes(m, -1, -2), -1) + m * eye
