"""The comparator's edge cases: infinite or missing references, and claims at kinks.

A finite value never agrees with an infinite reference (NumPy's ``isclose(5, inf)`` is
False). Equal infinities agree between two derivations, but never vouch for a claim:
every formula with the same singularity is infinite there too. A NaN reference is no
reference: nothing agrees with it, and no method is blamed for differing from it.
At a kink a claim must lie between the one-sided derivatives (a subgradient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcheck.checking.report import partial_name

NUMERIC_KINDS = ("complex-step", "central")


@dataclass(frozen=True)
class Place:
    """One derivative being compared: its names, the point, and its numerator layout."""

    output: str
    wrt: str
    point: int
    out_ndim: int
    size: int

    @property
    def derivative(self) -> str:
        return f"∂{self.output}/∂{self.wrt}"

    def element(self, index: tuple[int, ...]) -> str:
        """``∂y/∂a`` for a one-element derivative, ``∂y[1]/∂W[1,2]`` otherwise."""
        if self.size == 1:
            return self.derivative
        return partial_name(self.output, self.wrt, index, self.out_ndim)


def first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def agrees(
    a: np.ndarray, ref: np.ndarray, rtol: float, atol: float, *, infinity_agrees: bool = True
) -> np.ndarray:
    """Where ``a`` matches ``ref``: NumPy's rule where ``ref`` is finite, equality where infinite.

    With ``infinity_agrees`` False (claims), nothing agrees with an infinite reference.
    """
    a, ref = np.asarray(a), np.asarray(ref)
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(a - ref) <= atol + rtol * np.abs(ref)
    same_infinity = (a == ref) & np.isinf(ref) if infinity_agrees else False
    return (near & np.isfinite(ref)) | same_infinity


def numeric_at_infinity(
    place: Place, ref: np.ndarray, tensors: dict, kinds: dict, reference: str
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Where each numeric column cannot be compared: an infinite slope that two derivations
    reproduce exactly, which finite differences cannot reach; with a note per column."""
    derivations = [m for m, k in kinds.items() if k == "tape" and m != reference]
    confirmed = np.zeros(np.shape(ref), bool)
    for m in derivations:
        confirmed |= tensors[m] == ref
    confirmed &= np.isinf(ref)
    skips, notes = {}, []
    for m, kind in kinds.items():
        differs = confirmed & (tensors[m] != ref)
        if kind not in NUMERIC_KINDS or not differs.any():
            continue
        skips[m] = differs
        shown = ", ".join(f"{v:.3g}" for v in tensors[m][differs][:3])
        notes.append(
            f"{m}: {place.element(first_index(differs))} is infinite at point {place.point} "
            f"({' and '.join([reference, *derivations])} agree on it); numeric differences give "
            f"{shown} there, a finite slope that cannot represent an infinite one, so {m} is "
            "not compared at those element(s)"
        )
    return skips, notes


def kink_interval(left, right, methods: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``[min, max]`` of the one-sided derivatives; where they were not measured, of the methods."""
    sides = np.stack([np.asarray(left, float), np.asarray(right, float)])
    spread = np.stack([np.asarray(m, float) for m in methods]) if methods else sides
    measured = np.any(~np.isnan(sides), axis=0)
    low = np.where(measured, _nan_extreme(sides, np.min), _nan_extreme(spread, np.min))
    high = np.where(measured, _nan_extreme(sides, np.max), _nan_extreme(spread, np.max))
    return low, high


def _nan_extreme(values: np.ndarray, reduce) -> np.ndarray:
    """``reduce`` over the first axis ignoring NaN; NaN where every value is NaN."""
    present = ~np.isnan(values)
    initial = np.inf if reduce is np.min else -np.inf
    out = reduce(values, axis=0, initial=initial, where=present)
    return np.where(np.any(present, axis=0), out, np.nan)


def outside_interval(claim, low, high, rtol: float, atol) -> np.ndarray:
    """Where ``claim`` lies outside ``[low, high]`` widened by ``atol + rtol·max(|low|, |high|)``.

    An interval that could not be measured (NaN) holds no claim.
    """
    with np.errstate(invalid="ignore"):
        slack = atol + rtol * np.maximum(np.abs(low), np.abs(high))
        inside = (claim >= low - slack) & (claim <= high + slack)
    return ~inside


def claims_outside_kinks(
    place: Place, claims: dict[str, np.ndarray], interval: tuple[np.ndarray, np.ndarray],
    kink: np.ndarray, rtol: float, atol,
) -> tuple[np.ndarray, list[str]]:
    """Kink elements where a claim is not between the one-sided derivatives, with a hint each."""
    low, high = interval
    outside, hints = np.zeros(kink.shape, bool), []
    for name, claim in sorted(claims.items()):
        wrong = kink & outside_interval(claim, low, high, rtol, atol)
        if wrong.any():
            i = first_index(wrong)
            more = f" (and {int(wrong.sum()) - 1} more kink element(s) there)" if wrong.sum() > 1 else ""
            hints.append(
                f"kink: the {name} {place.element(i)} = {float(claim[i]):.10g} at point "
                f"{place.point} lies outside the one-sided derivatives [{float(low[i]):.10g}, "
                f"{float(high[i]):.10g}] at this kink{more}; a claim there must lie between them "
                "(a subgradient)"
            )
        outside |= wrong
    return outside, hints


def non_finite_notes(
    place: Place, ref: np.ndarray, tensors: dict, reference: str, kink: np.ndarray, claimed: bool
) -> list[str]:
    """Say where the derivative is infinite, and where a NaN reference leaves no reference."""
    notes = []
    infinite, missing = np.isinf(ref) & ~kink, np.isnan(ref) & ~kink
    if infinite.any():
        notes.append(_infinite_note(place, ref, infinite, claimed))
    if missing.any():
        i = first_index(missing)
        label = "SymPy's" if reference == "sympy" else f"{reference}'s"
        shown = ", ".join(
            f"{m} {float(a[i]):.10g}" for m, a in tensors.items() if m not in (reference, "sympy-30")
        )
        many = f" (and {int(missing.sum()) - 1} more element(s))" if missing.sum() > 1 else ""
        notes.append(
            f"no reference here: {label} {place.element(i)} is NaN at point {place.point}{many}"
            + (f" ({shown})" if shown else "")
            + "; these elements are not counted as agreeing, and no method is blamed for them"
        )
    return notes


def _infinite_note(place: Place, ref: np.ndarray, infinite: np.ndarray, claimed: bool) -> str:
    """The derivative itself is infinite (or beyond float64's range) at a point."""
    i = first_index(infinite)
    sign = "+inf" if ref[i] > 0 else "-inf"
    where = (
        "at this point" if place.size == 1
        else f"at {int(infinite.sum())} element(s), e.g. {place.element(i)},"
    )
    text = (
        f"{place.derivative} is infinite {where} (point {place.point}: {sign}, or beyond "
        "float64's range)"
    )
    if claimed:
        text += (
            ": a claim cannot be checked by value there — a finite claim is wrong, and an "
            "infinite one matches every formula with the same singularity — so check the "
            "claim at a point where the derivative is finite"
        )
    return text
