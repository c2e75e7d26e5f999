"""Hints: one-line diagnoses of a wrong claimed derivative, stated only when exact.

Each hint is a hypothesis about the claim (it is the transpose, the negative, a
multiple, zero where it should not be, ...) that is tested against the reference at
every checked point; a hint is given only when it explains the claim completely.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from diffcheck.checking.report import partial_name
from diffcheck.checking.tolerances import HINTS

RTOL, ATOL = HINTS
FEW = 3  # "only a few elements wrong" means at most this many distinct elements


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= ATOL + RTOL * np.abs(b)))


def _allclose(pairs, transform) -> bool:
    return all(close(claim, transform(ref)) for claim, ref in pairs)


def _nontrivial(pairs) -> bool:
    return any(np.max(np.abs(ref), initial=0.0) > ATOL for _, ref in pairs)


def _fraction(k: float) -> str | None:
    """``k`` as a short fraction (2, 1/2, -3/4) when it is one, else None."""
    f = Fraction(k).limit_denominator(64)
    if abs(float(f) - k) > 1e-9 * max(1.0, abs(k)):
        return None
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def permutation_hint(pairs, out_ndim: int) -> str | None:
    """The claim is the reference with its axes permuted (the transpose, a layout mix-up)."""
    ndim = pairs[0][1].ndim
    if ndim < 2 or not _nontrivial(pairs):
        return None
    identity = tuple(range(ndim))
    denominator = tuple(range(out_ndim, ndim)) + tuple(range(out_ndim))
    for perm in itertools.permutations(identity):
        if perm == identity:
            continue
        if not all(claim.shape == ref.transpose(perm).shape for claim, ref in pairs):
            continue
        if _close_everywhere(pairs, perm):
            if perm == denominator:
                return (
                    "layout: the claim is the transpose of the derivative — it is in denominator "
                    "layout (x's axes first); numerator layout puts y's axes first"
                )
            return f"layout: the claim is the derivative with its axes in the order {perm}"
    return None


def _close_everywhere(pairs, perm) -> bool:
    if all(close(claim, ref) for claim, ref in pairs):
        return False  # symmetric: the permutation explains nothing
    return _allclose(pairs, lambda ref: ref.transpose(perm))


def sign_hint(pairs) -> str | None:
    if _nontrivial(pairs) and _allclose(pairs, lambda ref: -ref):
        return "sign: the claim is the negative of the derivative (a sign error)"
    return None


def _evidence(refs: np.ndarray) -> bool:
    """At least two different non-zero reference values: one number is a multiple of any
    other, so a factor read from a single value (a scalar at one point) explains nothing."""
    values = np.unique(np.round(refs[np.abs(refs) > ATOL], 12))
    return values.size >= 2


def factor_hint(pairs, batch_sizes: set[int], mean_sizes: set[int] = frozenset()) -> str | None:
    """The claim is a constant multiple k of the reference (k != 1, 0, -1).

    ``batch_sizes``: rows a variable is broadcast over (k = 1/m: averaged, not summed);
    ``mean_sizes``: element counts reduced on the way to y (k = N: a missing 1/N).
    """
    if not _nontrivial(pairs):
        return None
    claims = np.concatenate([c.ravel() for c, _ in pairs])
    refs = np.concatenate([r.ravel() for _, r in pairs])
    if not _evidence(refs) or not np.all(np.isfinite(claims)):
        return None  # a non-finite claim is said by the report, not read as a factor
    k = float(claims @ refs / (refs @ refs))
    if not np.isfinite(k) or abs(k) < 1e-12 or _fraction(k) in ("1", "-1"):
        return None
    if not close(claims, k * refs):
        return None
    for m in sorted(batch_sizes, reverse=True):
        if m > 1 and abs(k * m - 1) < 1e-9:
            return (
                f"batch: the claim is 1/{m} of the derivative — it must be summed over the "
                f"{m} rows of the batch, not averaged (or taken for one row)"
            )
    for n in sorted(mean_sizes, reverse=True):
        if n > 1 and abs(k - n) < 1e-9 * n:
            return (
                f"mean: the claim is {n} times the derivative — a missing 1/{n}: a mean over "
                f"{n} elements divides by {n} (the derivative of a sum where a mean was asked?)"
            )
    text = _fraction(k) or f"{k:.6g}"
    missing = _fraction(1 / k)
    why = f" (a missing factor {missing}?)" if missing and abs(k) < 1 else ""
    return f"factor: the claim is {text} times the derivative{why}"


def zero_hint(pairs, names) -> str | None:
    """The claim is 0 exactly where the reference is not, and right everywhere else."""
    wrong_zero, other_wrong = set(), False
    for (claim, ref), point_names in zip(pairs, names, strict=True):
        bad = np.abs(claim - ref) > ATOL + RTOL * np.abs(ref)
        zero = bad & (claim == 0)
        other_wrong |= bool(np.any(bad & ~zero))
        wrong_zero |= {point_names(ix) for ix in np.argwhere(zero)}
    if wrong_zero and not other_wrong:
        listed = ", ".join(sorted(wrong_zero)[:5]) + (" ..." if len(wrong_zero) > 5 else "")
        return (
            f"zero: the claim is 0 at {len(wrong_zero)} element(s) where the derivative is not "
            f"({listed}): a missing term or a forgotten route?"
        )
    return None


def few_hint(pairs, names) -> str | None:
    wrong = set()
    total = pairs[0][1].size
    for (claim, ref), point_names in zip(pairs, names, strict=True):
        bad = np.abs(claim - ref) > ATOL + RTOL * np.abs(ref)
        wrong |= {point_names(ix) for ix in np.argwhere(bad)}
    if wrong and len(wrong) <= FEW and total > len(wrong):
        return (
            f"few: only {', '.join(sorted(wrong))} {'is' if len(wrong) == 1 else 'are'} wrong; "
            f"the other {total - len(wrong)} element(s) agree"
        )
    return None


def claim_hints(
    pairs: list[tuple[np.ndarray, np.ndarray]],
    output: str,
    wrt: str,
    out_ndim: int,
    batch_sizes: set[int] = frozenset(),
) -> list[str]:
    """Every hint that exactly explains how the claims differ from the references.

    ``pairs`` holds (claimed, reference) numerator-layout tensors, one pair per point.
    """
    if not pairs or all(close(c, r) for c, r in pairs):
        return []

    def namer(ix):
        return partial_name(output, wrt, tuple(int(i) for i in ix), out_ndim)

    names = [namer] * len(pairs)
    found = [
        permutation_hint(pairs, out_ndim),
        sign_hint(pairs),
        factor_hint(pairs, set(batch_sizes)),
        zero_hint(pairs, names),
    ]
    hints = [h for h in found if h]
    if not hints:
        few = few_hint(pairs, names)
        hints += [few] if few else []
    return hints
