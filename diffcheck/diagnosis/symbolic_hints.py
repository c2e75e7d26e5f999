"""Symbolic hints: with a typed (string or SymPy) claim, SymPy holds both the claim and the
truth, so the difference can be named: a missing factor, or one factor in place of another.

Only cheap, bounded operations run (``cancel`` and ``factor`` of small rational
expressions in σ, tanh, ... treated as symbols), each entry guarded by its size, and
the whole under a wall-clock deadline checked between steps (no signals, no threads:
safe in any process and under pytest-xdist). An expression too large, or a deadline
passed, gives no hint — never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from diffcheck.checking.report import partial_name

MAX_OPS = 60  # operations per entry (claim or truth) that are simplified
MAX_ENTRIES = 6  # wrong entries examined
DEADLINE = 1.5  # seconds for the whole symbolic diagnosis
MAX_POWER = 12  # and larger powers (cancel would expand (a + 1)**100000)
MAX_NUMBER = 10**6  # entries with larger numbers (or integer powers) are not simplified


class _Late(Exception):
    pass


def _sigmoid_form(exprs: Sequence):
    """Rewrite ``1/(1 + exp(-u))`` forms with a symbol ``σ(u)``: ``exp(-u) = (1 − σ)/σ``."""
    import sympy as sp

    arguments = set()
    for e in exprs:
        for add in e.atoms(sp.Add):
            for term in add.args:
                if isinstance(term, sp.exp) and 1 in add.args:
                    arguments.add(-term.args[0])
    mapping = {}
    for u in sorted(arguments, key=sp.default_sort_key):
        s = sp.Symbol(f"σ({_argument(u)})", positive=True)
        mapping[sp.exp(-u)] = (1 - s) / s
        mapping[sp.exp(u)] = s / (1 - s)
    return [e.xreplace(mapping) for e in exprs] if mapping else list(exprs)


def _argument(u) -> str:
    return _pretty(u)


def _pretty(e) -> str:
    import sympy as sp

    text = sp.sstr(e, order="none")
    return text.replace("**", "^").replace("*", "·").replace(" - ", " − ")


def _factors(e) -> tuple[object, dict]:
    """(numeric coefficient, {factor: power}) of ``factor(e)``."""
    import sympy as sp

    coefficient, pairs = sp.factor_list(e)
    factors: dict = {}
    for base, power in pairs:
        constant = next((t for t in base.args if t.is_Number), None) if base.is_Add else None
        if constant is not None and constant < 0:  # σ − 1 as −(1 − σ): the way people write it
            base, coefficient = -base, coefficient * (-1) ** power
        factors[base] = factors.get(base, 0) + power
    return coefficient, factors


def _small(expr) -> bool:
    """Only small numbers: evaluating ``sqrt(999999999999989*18447)`` factors an integer, and
    ``exp(10**20)`` is no derivative anyone means; such entries are left alone."""
    import sympy as sp

    for number in expr.atoms(sp.Number):
        if isinstance(number, sp.Rational) and max(abs(number.p), number.q) <= MAX_NUMBER:
            continue
        if isinstance(number, sp.Float) and abs(number) <= MAX_NUMBER:
            continue
        return False
    return all(not (p.exp.is_Number and abs(p.exp) > MAX_POWER) for p in expr.atoms(sp.Pow))


def entry_hint(claim, truth, deadline: float) -> str | None:
    """How one claimed entry differs from the true one, when one factor explains it."""
    import sympy as sp

    if sp.count_ops(claim) > MAX_OPS or sp.count_ops(truth) > MAX_OPS:
        return None
    if not (_small(claim) and _small(truth)):
        return None
    # Typed claims are built unevaluated (``exp(-(w*a))``): evaluate them (the parser's
    # allowlist holds no unevaluated calculus) so equal subexpressions look alike.
    claim, truth = _sigmoid_form([claim.doit(), truth.doit()])
    _check(deadline)
    claim, truth = sp.cancel(sp.together(claim)), sp.cancel(sp.together(truth))
    _check(deadline)
    if claim == 0 or truth == 0 or sp.cancel(claim - truth) == 0:
        return None
    (cn, cd), (tn, td) = sp.fraction(claim), sp.fraction(truth)
    _check(deadline)
    ck, cf = _factors(cn * td)
    tk, tf = _factors(tn * cd)
    _check(deadline)
    if ck != tk:
        return None  # a numeric factor: the factor and sign hints say it
    missing = {b: p - cf.get(b, 0) for b, p in tf.items() if p > cf.get(b, 0)}
    extra = {b: p - tf.get(b, 0) for b, p in cf.items() if p > tf.get(b, 0)}
    if missing and not extra:
        return (f"missing factor {_product(missing)}: the derivative is {_pretty(_as_factored(truth))}, "
                f"the claim {_pretty(_as_factored(claim))}")
    if extra and not missing:
        return (f"extra factor {_product(extra)}: the derivative is {_pretty(_as_factored(truth))}, "
                f"the claim {_pretty(_as_factored(claim))}")
    if len(missing) == 1 and len(extra) == 1 and len(tf) > 1:  # a factor in common remains
        return (f"{_pretty(_as_factored(claim))} instead of {_pretty(_as_factored(truth))}: the "
                f"factor {_product(extra)} should be {_product(missing)}")
    return None


def _as_factored(e):
    import sympy as sp

    coefficient, factors = _factors(e)
    ordered = sorted(factors.items(), key=lambda bp: (bp[0].is_Add, sp.default_sort_key(bp[0])))
    product = sp.Mul(*(sp.Pow(b, p, evaluate=False) if p != 1 else b for b, p in ordered),
                     evaluate=False)
    return product if coefficient == 1 else sp.Mul(coefficient, product, evaluate=False)


def _product(factors: dict) -> str:
    import sympy as sp

    parts = []
    for base, power in sorted(factors.items(), key=lambda bp: sp.default_sort_key(bp[0])):
        text = _pretty(base)
        text = f"({text})" if base.is_Add else text
        parts.append(text if power == 1 else f"{text}^{power}")
    return "·".join(parts)


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _Late


def symbolic_hint(claim: np.ndarray, truth: np.ndarray, wrong: np.ndarray, output: str,
                  wrt: str, out_ndim: int) -> str | None:
    """One hint when every wrong entry (``wrong`` mask) is explained the same way.

    ``claim`` and ``truth`` are object arrays of SymPy entries in numerator layout.
    """
    deadline = time.monotonic() + DEADLINE
    indices = [tuple(int(i) for i in ix) for ix in np.argwhere(wrong)]
    if not indices:
        return None
    texts = []
    try:
        for index in indices[:MAX_ENTRIES]:
            text = entry_hint(claim[index], truth[index], deadline)
            if text is None:
                return None
            texts.append(text)
    except _Late:
        return None
    except Exception:  # noqa: BLE001 - SymPy's polynomial errors and more: a hint is optional
        return None
    kinds = {t.split(" ")[0] for t in texts}
    if len(kinds) != 1:
        return None
    where = "" if claim.size == 1 else f" (at {partial_name(output, wrt, indices[0], out_ndim)}" + (
        f" and {len(indices) - 1} more element(s) alike)" if len(indices) > 1 else ")")
    return f"factor: {texts[0]}{where}"
