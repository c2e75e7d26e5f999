"""Every default tolerance ``(rtol, atol)`` of the package, in one table.

A value agrees with a reference when ``|value - ref| <= atol + rtol * |ref|`` (NumPy's
``allclose`` rule). ``TOLERANCES`` holds the defaults of a check, keyed by how a value
was obtained (``"tape"``, ``"complex-step"``, ``"central"``, ``"claimed"``) and by the
dtype of the point; the named rows below are the other comparisons of the package.
Modules that compare numbers read them here and never write a tolerance of their own.
Why these numbers: ``docs/design/tolerances.md``.
"""

from __future__ import annotations

import numpy as np

Pair = tuple[float, float]  # (rtol, atol)

DTYPES = ("float64", "float32", "float16")

# (rtol, atol) by method kind and dtype; measured agreement is far tighter (see docs).
# float16 has eps ≈ 1e-3: exact methods keep about ten of it, central differences at
# best eps^(2/3) ≈ 1e-2. (A check widens float16 points to float64, with a note, so
# its own comparisons read the float64 row; the row is for float16 values themselves.)
TOLERANCES: dict[tuple[str, str], Pair] = {
    ("tape", "float64"): (1e-7, 1e-10),
    ("complex-step", "float64"): (1e-7, 1e-10),
    ("central", "float64"): (1e-5, 1e-7),
    ("claimed", "float64"): (1e-6, 1e-9),
    ("tape", "float32"): (1e-4, 1e-5),
    ("complex-step", "float32"): (1e-4, 1e-5),
    ("central", "float32"): (2e-2, 1e-3),
    ("claimed", "float32"): (1e-4, 1e-5),
    ("tape", "float16"): (1e-2, 1e-3),
    ("complex-step", "float16"): (1e-2, 1e-3),
    ("central", "float16"): (1e-1, 1e-2),
    ("claimed", "float16"): (1e-2, 1e-3),
}

# ----- named rows: the package's other comparisons (float64 values) -----
# A hint about a claim (transpose, sign, factor, ...) holds as tightly as a claim is checked.
HINTS: Pair = TOLERANCES[("claimed", "float64")]
# Localisation: a node's tape VJP against SymPy's local derivative of that node.
LOCALISATION: Pair = (1e-6, 1e-9)
# Exercise grading: an answer (or its transpose) against the solution, both exact formulas.
EXERCISE_GRADING: Pair = (1e-6, 1e-9)
# Exercise answers typed as decimals from a calculator: four significant digits.
EXERCISE_DECIMALS: Pair = (1e-3, 1e-6)
# The demo's lecture formulas agree with the reference like the tape does.
LECTURE_FORMULA: Pair = TOLERANCES[("tape", "float64")]
# A 30-digit re-evaluation "moved" a float64 closed-form value beyond the tape's band.
HIGH_PRECISION_MOVED: Pair = TOLERANCES[("tape", "float64")]
# Two exact formulas for the same value (a key's lecture form against SymPy's derivative).
SAME_FORMULA: Pair = (1e-9, 1e-12)
# A black-box forward: one-sided differences further apart than this are looked at again.
BLACK_BOX_SUSPECT_RTOL = 1e-3
# The function value itself is ill-conditioned when its float64 relative error exceeds this.
FUNCTION_VALUE_RTOL = 1e-10


def dtype_key(dtype: np.dtype | type) -> str:
    """The table's dtype column for ``dtype``: float16, float32, else float64."""
    name = np.dtype(dtype).name
    return name if name in DTYPES else "float64"


def tolerance(
    kind: str, dtype: np.dtype | type, rtol: float | None = None, atol: float | None = None
) -> Pair:
    """The (rtol, atol) for one method kind at one dtype; explicit values override the table."""
    default_r, default_a = TOLERANCES[(kind, dtype_key(dtype))]
    return (default_r if rtol is None else rtol), (default_a if atol is None else atol)
