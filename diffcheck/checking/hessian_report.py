"""The report of a second-order check: elements named ``∂²y/∂x[0]∂x[2]``, and its hints.

A Hessian check compares blocks ``∂²y/∂a∂b`` with the comparator of first order
(``checking.comparison``); this module renames what it found to second-order names
and diagnoses a wrong claimed Hessian: asymmetry (``A`` written for ``A + Aᵀ``), a
constant factor (a missing 2), a sign, a missing term (the claim differs from the
Hessian by the same non-zero matrix at every point), zeros where the Hessian is not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from diffcheck.checking.report import Kink, Mismatch, Report
from diffcheck.checking.tolerances import HINTS
from diffcheck.diagnosis.hints import factor_hint, few_hint, sign_hint, zero_hint
from diffcheck.symbols import element_name

RTOL, ATOL = HINTS
SHOWN = 4  # asymmetric pairs named in a hint


def second_name(output: str, first: str, second: str, index: tuple[int, ...], first_ndim: int) -> str:
    """``∂²y/∂x[0]∂x[2]`` for entry ``index`` of the block ``∂²y/∂first∂second``."""
    return (f"∂²{output}/∂{element_name(first, index[:first_ndim])}"
            f"∂{element_name(second, index[first_ndim:])}")


@dataclass(frozen=True)
class SecondMismatch(Mismatch):
    """A Hessian element that disagrees: ``wrt`` is the first variable, ``second`` the
    other, ``out_ndim`` the first variable's number of axes."""

    second: str = ""

    @property
    def name(self) -> str:
        return second_name(self.output, self.wrt, self.second, self.index, self.out_ndim)


@dataclass(frozen=True)
class SecondKink(Kink):
    """A Hessian element at or next to a kink (neither passed nor failed)."""

    second: str = ""

    @property
    def name(self) -> str:
        return second_name(self.output, self.wrt, self.second, self.index, self.out_ndim)


@dataclass
class HessianReport(Report):
    """A Report whose headline names Hessian blocks (``∂²y/∂x²``, ``∂²y/∂W∂b``)."""

    blocks: tuple[tuple[str, str], ...] = ()

    def headline(self) -> str:
        names = ", ".join(f"∂²{self.output}/∂{a}²" if a == b else f"∂²{self.output}/∂{a}∂{b}"
                          for a, b in self.blocks)
        methods = ", ".join(self._method_label(m) for m in self.methods)
        return f"diffcheck {self.title}: {names} by {methods}: {'OK' if self.ok else 'FAILED'}"


def rename(report: Report, key: str, first, second, start: tuple[int, int]) -> None:
    """Second-order names for what the comparison of block ``key`` added after ``start``
    (the numbers of mismatches and kinks before it)."""
    def renamed(item, cls):
        if item.wrt != key:
            return item
        fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
        fields.update(wrt=first.name, out_ndim=first.ndim, second=second.name)
        return cls(**fields)

    m0, k0 = start
    report.mismatches[m0:] = [renamed(m, SecondMismatch) for m in report.mismatches[m0:]]
    report.kinks[k0:] = [renamed(k, SecondKink) for k in report.kinks[k0:]]


def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= ATOL + RTOL * np.abs(b)


def swap(block: np.ndarray, ndim: int) -> np.ndarray:
    """The transposed block: the second variable's axes first."""
    return np.transpose(block, tuple(range(ndim, block.ndim)) + tuple(range(ndim)))


def asymmetry_hint(output: str, var, claims: list[np.ndarray], refs: list[np.ndarray]) -> str | None:
    """The claim of a block ``∂²y/∂x²`` is not symmetric: name the pairs that differ."""
    pairs: set[tuple] = set()
    for claim in claims:
        bad = ~close(claim, swap(claim, var.ndim)) & ~close(swap(claim, var.ndim), claim)
        for ix in np.argwhere(bad):
            i, j = tuple(int(k) for k in ix[: var.ndim]), tuple(int(k) for k in ix[var.ndim:])
            if (j, i) not in pairs:
                pairs.add((i, j))
    if not pairs:
        return None
    claim = claims[0]
    shown = "; ".join(
        f"{second_name(output, var.name, var.name, i + j, var.ndim)} = {claim[i + j]:.6g} but "
        f"{second_name(output, var.name, var.name, j + i, var.ndim)} = {claim[j + i]:.6g}"
        for i, j in sorted(pairs)[:SHOWN])
    more = f" (and {len(pairs) - SHOWN} more pairs)" if len(pairs) > SHOWN else ""
    text = (f"transpose/asymmetry: the claimed Hessian is not symmetric, but second derivatives "
            f"commute: {shown}{more}")
    if all(np.all(close(c + swap(c, var.ndim), r)) for c, r in zip(claims, refs, strict=True)):
        text += "; the claim plus its transpose is the Hessian (∇²(xᵀAx) is A + Aᵀ, not A)"
    elif all(np.all(close((c + swap(c, var.ndim)) / 2, r)) for c, r in zip(claims, refs, strict=True)):
        text += "; its symmetric part (C + Cᵀ)/2 is the Hessian"
    return text


def missing_term_hint(claims: list[np.ndarray], refs: list[np.ndarray], rows: int) -> str | None:
    """The claim misses the same non-zero matrix at every point (a constant term)."""
    if len(claims) < 2:
        return None
    gaps = [r - c for c, r in zip(claims, refs, strict=True)]
    if np.all(close(gaps[0], np.zeros_like(gaps[0]))) or all(np.all(close(r, refs[0])) for r in refs):
        return None  # no gap, or a constant Hessian (every wrong claim misses a constant then)
    same = (np.all(np.abs(g - gaps[0]) <= ATOL + RTOL * np.abs(r)) for g, r in zip(gaps, refs, strict=True))
    if not all(same):
        return None
    flat = gaps[0].reshape(rows, -1)
    off = flat - np.diag(np.diag(flat)) if flat.shape[0] == flat.shape[1] else flat
    diagonal = flat.shape[0] == flat.shape[1] and bool(
        np.all(np.abs(off) <= ATOL + RTOL * float(np.max(np.abs(flat)))))
    what = "a diagonal matrix (a missing λI-like term?)" if diagonal else "the same matrix"
    return (f"missing term: the Hessian minus the claim is {what} at every point checked "
            f"(largest entry {float(np.max(np.abs(gaps[0]))):.6g}): a constant term of the "
            "Hessian is missing from the claim")


def claim_hints(report: Report, blocks: dict[str, tuple]) -> list[str]:
    """Every hint that explains how the claimed Hessian blocks differ from the reference."""
    at_kinks = {(k.point, k.wrt, getattr(k, "second", k.wrt)) for k in report.kinks}
    hints: list[str] = []
    for key, (first, second) in blocks.items():
        found = [(t["claimed"], t[report.reference]) for (p, name), t in sorted(report.jacobians.items())
                 if name == key and "claimed" in t and (p, first.name, second.name) not in at_kinks
                 and np.all(np.isfinite(t[report.reference]))]
        if not found or all(np.all(close(c, r)) for c, r in found):
            continue
        claims, refs = [c for c, _ in found], [r for _, r in found]

        def namer(ix, first=first, second=second):
            return second_name(report.output, first.name, second.name, tuple(int(i) for i in ix), first.ndim)

        names = [namer] * len(found)
        if first.name == second.name:
            hints += [h for h in [asymmetry_hint(report.output, first, claims, refs)] if h]
        exact = [sign_hint(found), factor_hint(found, set()), missing_term_hint(claims, refs, first.size),
                 zero_hint(found, names)]
        hints += [h for h in exact if h]
        if not hints:
            hints += [h for h in [few_hint(found, names)] if h]
    return hints


def method_blame(report: Report) -> list[str]:
    """Which method disagrees with the reference (the second-order comparator's blame)."""
    lines = []
    agreeing = [m for m in ("tape", "numeric") if m in report.methods and not report.disagreeing.get(m)]
    for method in ("tape", "numeric"):
        wrong = report.disagreeing.get(method)
        if wrong and method != report.reference:
            others = f"; {' and '.join([report.reference, *agreeing])} agree" if agreeing else ""
            lines.append(f"blame: {method} disagrees with {report.reference} at {len(wrong)} "
                         f"Hessian element(s){others}")
    return lines
