"""Hints about the derivative's structure: its zeros, its Kronecker δ, its compact form.

Many elements of a tensor derivative are zero at every point (``∂y[i]/∂W[j,k]`` is 0
unless ``i = j`` for ``y = W x``). These structural zeros are what students miss (a
claim with every row ``x``) and what must not count as "agreeing" elements when a hint
says that only a few elements are wrong. The lecture stores the non-zero part of such
a tensor compactly, as a matrix of ``W``'s shape; ``compact_reading`` says how such a
claim relates to the full tensor.
"""

from __future__ import annotations

import itertools
import string

import numpy as np

from diffcheck.checking.report import partial_name
from diffcheck.diagnosis.hints import ATOL, FEW, RTOL

LETTERS = "ijklmnpqrs"


def structural_zeros(refs: list[np.ndarray]) -> np.ndarray:
    """Elements that are exactly 0 in the reference at every point."""
    zero = np.ones(refs[0].shape, bool)
    for ref in refs:
        zero &= ref == 0
    return zero


def delta_pairs(nonzero: np.ndarray, out_ndim: int) -> list[tuple[int, int]] | None:
    """Pairs (output axis, input axis) of equal length such that an element is non-zero
    exactly when each pair's indices are equal (a product of Kronecker δs); None if none."""
    shape = nonzero.shape
    candidates = [(a, b) for a in range(out_ndim) for b in range(out_ndim, len(shape))
                  if shape[a] == shape[b] and shape[a] > 1]
    grids = np.indices(shape)
    for size in range(1, min(len(candidates), out_ndim) + 1):
        for pairs in itertools.combinations(candidates, size):
            outs, ins = [a for a, _ in pairs], [b for _, b in pairs]
            if len(set(outs)) < size or len(set(ins)) < size:
                continue
            mask = np.ones(shape, bool)
            for a, b in pairs:
                mask &= grids[a] == grids[b]
            if np.array_equal(mask, nonzero):
                return list(pairs)
    return None


def index_letters(out_ndim: int, ndim: int) -> tuple[list[str], list[str]]:
    letters = list(LETTERS if ndim <= len(LETTERS) else string.ascii_lowercase)
    return letters[:out_ndim], letters[out_ndim:ndim]


def generic_element(output: str, wrt: str, out_ndim: int, ndim: int) -> str:
    outs, ins = index_letters(out_ndim, ndim)
    top = f"{output}[{','.join(outs)}]" if outs else output
    return f"∂{top}/∂{wrt}[{','.join(ins)}]" if ins else f"∂{top}/∂{wrt}"


def delta_text(pairs: list[tuple[int, int]], output: str, wrt: str, out_ndim: int,
               ndim: int) -> str:
    """``∂y[i]/∂W[j,k] is 0 unless i = j``."""
    outs, ins = index_letters(out_ndim, ndim)
    letters = outs + ins
    same = " and ".join(f"{letters[a]} = {letters[b]}" for a, b in pairs)
    return f"{generic_element(output, wrt, out_ndim, ndim)} is 0 unless {same}"


def structure_hint(pairs, output: str, wrt: str, out_ndim: int) -> str | None:
    """The claim is non-zero where the derivative is 0 at every point, and right elsewhere."""
    refs = [ref for _, ref in pairs]
    zero = structural_zeros(refs)
    if not zero.any() or zero.all():
        return None
    wrong_zero = np.zeros(zero.shape, bool)
    for claim, ref in pairs:
        bad = np.abs(claim - ref) > ATOL + RTOL * np.abs(ref)
        if np.any(bad & ~zero):
            return None
        wrong_zero |= bad
    if not wrong_zero.any():
        return None
    names = [partial_name(output, wrt, tuple(int(i) for i in ix), out_ndim)
             for ix in np.argwhere(wrong_zero)]
    text = (f"structure: the claim is non-zero at {len(names)} element(s) where the derivative "
            "is 0 at every point")
    deltas = delta_pairs(~zero, out_ndim)
    if deltas is not None:
        return f"{text}: {delta_text(deltas, output, wrt, out_ndim, zero.ndim)} (a missing Kronecker δ)"
    return f"{text} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"


def few_hint(pairs, output: str, wrt: str, out_ndim: int) -> str | None:
    """Only a few elements are wrong, and many non-zero elements agree (structural zeros,
    right in almost any claim, are not counted as agreeing)."""
    zero = structural_zeros([ref for _, ref in pairs])
    wrong = np.zeros(zero.shape, bool)
    for claim, ref in pairs:
        wrong |= np.abs(claim - ref) > ATOL + RTOL * np.abs(ref)
    agreeing = int(np.sum(~wrong & ~zero))
    count = int(wrong.sum())
    if not count or count > FEW or agreeing < max(2, count):
        return None
    names = sorted(partial_name(output, wrt, tuple(int(i) for i in ix), out_ndim)
                   for ix in np.argwhere(wrong))
    zeros = f" ({int(zero.sum())} more are 0 everywhere)" if zero.any() else ""
    return (f"few: only {', '.join(names)} {'is' if count == 1 else 'are'} wrong; the other "
            f"{agreeing} non-zero element(s) agree{zeros}")


def compact_reading(claim: np.ndarray, reference: np.ndarray, output: str, wrt: str,
                    out_shape: tuple[int, ...], wrt_shape: tuple[int, ...]) -> str | None:
    """How a claim of ``x``'s shape relates to a δ-structured ``∂y/∂x`` (the lecture's
    compact form of ``∂y/∂W``), or None when the derivative has no such structure."""
    out_ndim, ndim = len(out_shape), reference.ndim
    if not out_ndim or claim.shape != wrt_shape:
        return None
    deltas = delta_pairs(reference != 0, out_ndim)
    if deltas is None or len(deltas) != out_ndim:
        return None
    by_out = dict(deltas)
    index = tuple(np.indices(wrt_shape)[by_out[a] - out_ndim] for a in range(out_ndim))
    compact = reference[index + tuple(np.indices(wrt_shape))]
    outs, ins = index_letters(out_ndim, ndim)
    letters = outs + ins
    element = [ins[by_out[a] - out_ndim] for a in range(out_ndim)]
    eyes = ",".join(letters[a] + letters[b] for a, b in deltas)
    sizes = ", ".join(f"np.eye({out_shape[a]})" for a, _ in deltas)
    einsum = f"np.einsum('{eyes},{''.join(ins)}->{''.join(letters)}', {sizes}, C)"
    verdict = ("it is right as a compact form" if _close(claim, compact)
               else "even read as a compact form it is wrong")
    return (f"compact: ∂{output}/∂{wrt} is the {out_shape + wrt_shape} tensor "
            f"T[{','.join(letters)}] = {generic_element(output, wrt, out_ndim, ndim)}, "
            f"which is 0 unless {' and '.join(f'{letters[a]} = {letters[b]}' for a, b in deltas)}; "
            f"your {wrt_shape} claim reads as its compact form C[{','.join(ins)}] = "
            f"∂{output}[{','.join(element)}]/∂{wrt}[{','.join(ins)}], and {verdict}. The full "
            f"tensor is {einsum}")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - b) <= ATOL + RTOL * np.abs(b)))
