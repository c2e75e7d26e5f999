"""``diffcheck demo``: every worked example of the lecture, checked three ways.

Each example builds its expression in the lecture's notation and runs ``dc.check``
with SymPy, the tape and numeric differences; where the lecture states a closed form
(``∂y/∂x = W``, ``∂d/∂a = 2a + b``), that statement is compared too, as the method
``lecture``. The demo prints a table that fits 100 columns, one row per check, and a
legend saying what each method named in it is. The expressions come from
:mod:`diffcheck.lecture.worked`, shared with the scripts in ``examples/``.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

import diffcheck as dc
from diffcheck import nn
from diffcheck.checking.report import Report
from diffcheck.checking.tolerances import LECTURE_FORMULA
from diffcheck.lecture import training
from diffcheck.lecture.training import SampledCheck
from diffcheck.lecture.worked import (
    batch_xw,
    chain_product,
    chain_vwx,
    graph_abcd,
    tensor_compact,
    written,
    wx,
    xw,
)

RTOL, ATOL = LECTURE_FORMULA  # a lecture formula agrees with the reference like the tape does


# ----- outcomes: a report plus what the lecture says -----
@dataclass(frozen=True)
class Fact:
    """A statement of the lecture checked on the same example (``error <= tolerance``)."""

    statement: str
    error: float
    tolerance: float
    method: str = "lecture"
    relative: bool = True  # the error is a relative difference (it joins "max rel err")

    @property
    def holds(self) -> bool:
        return self.error <= self.tolerance


def _blamed(report: Report) -> list[str]:
    """The methods the comparator found outside their tolerance on some element."""
    blamed = sorted(m for m, elements in report.disagreeing.items() if elements)
    return blamed or [m for m in report.methods if m != report.reference]


@dataclass
class Outcome:
    """One demo row: a check (a Report or a SampledCheck) and the lecture's facts about it."""

    report: Report | SampledCheck
    facts: list[Fact] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.report.ok) and all(f.holds for f in self.facts)

    @property
    def kinks(self) -> list:
        return self.report.kinks

    @property
    def disagreeing(self) -> list[str]:
        blamed = [] if self.report.ok else (
            list(self.report.methods) if isinstance(self.report, SampledCheck) else _blamed(self.report)
        )
        return blamed + sorted({f.method for f in self.facts if not f.holds})

    @property
    def agreeing(self) -> list[str]:
        methods = list(self.report.methods) + sorted({f.method for f in self.facts})
        return [m for m in dict.fromkeys(methods) if m not in self.disagreeing]

    @property
    def max_rel_error(self) -> float:
        errors = [f.error for f in self.facts if f.relative]
        return max([self.report.max_rel_error, *errors])

    def __str__(self) -> str:
        lines = [str(self.report)]
        lines += [f"{f.method}: {f.statement} does not hold (error {f.error:.3g}, allowed "
                  f"{f.tolerance:.3g})" for f in self.facts if not f.holds]
        return "\n".join(lines)


def lecture_fact(
    report: Report, var: str, formula: Callable[[dict], Any], method: str = "lecture"
) -> Fact:
    """The lecture's closed form of ``∂y/∂var`` (numerator layout, a function of the
    point) against the reference method's values at every point of ``report``."""
    worst = 0.0
    for p, point in enumerate(report.points):
        actual = report.jacobians[(p, var)][report.reference]
        claimed = np.asarray(formula(point), dtype=float)
        if claimed.shape != actual.shape:
            return Fact(f"∂{report.output}/∂{var} has shape {claimed.shape}", np.inf, 0.0, method)
        diff = np.abs(claimed - actual)
        rel = np.where(diff <= ATOL, 0.0, diff / np.maximum(np.abs(actual), ATOL))
        worst = max(worst, float(np.max(rel, initial=0.0)))
    return Fact(f"the closed form of ∂{report.output}/∂{var}", worst, RTOL, method)


Row = tuple[str, Outcome]


@dataclass(frozen=True)
class Example:
    """One lecture example: a title, its script in ``examples/``, and its checks."""

    title: str
    run: Callable[[], Iterator[Row]]
    script: str = ""


# ----- the examples -----
def graph_example() -> Iterator[Row]:
    """∂d/∂a and ∂d/∂b, against the lecture's 2a + b and a."""
    g = graph_abcd()
    report = dc.check(g.d, [g.a, g.b], g.at, name="d")
    dd_da, dd_db = (dc.symbolic_jacobian(g.d, v) for v in (g.a, g.b))
    facts = [
        lecture_fact(report, "a", lambda p: 2 * p["a"] + p["b"]),
        lecture_fact(report, "b", lambda p: p["a"]),
    ]
    grads = (float(report.jacobians[(0, v)]["tape"]) for v in ("a", "b"))
    what = "∂d/∂a = {} = {:g}, ∂d/∂b = {} = {:g} at a=4, b=3"
    yield what.format(written(dd_da), next(grads), written(dd_db), next(grads)), Outcome(report, facts)


def xor_example() -> Iterator[Row]:
    """The hand-set XOR net: its truth table and the gradient of its error."""
    expr, X, at = nn.xor_network()
    table = np.round(dc.evaluate(expr, at)).ravel()
    miss = float(np.max(np.abs(table - nn.XOR_TARGETS.ravel())))
    truth = Fact("outputs round to 0 1 1 0", miss, 0.0, relative=False)
    net = nn.xor_mlp()
    points = [at, net.init(1), net.init(2)]
    report = dc.check(nn.half_sse(expr, nn.XOR_TARGETS), net.parameters(), points, name="E")
    yield "XOR = AND(OR, NAND): truth table; ∂E/∂W, ∂E/∂b at the lecture's weights and 2 random starts", \
        Outcome(report, [truth])


def wx_example() -> Iterator[Row]:
    """The Jacobian of y = Wx is W."""
    W, x, y = wx()
    report = dc.check(y, x, seed=1)
    yield "y = Wx: ∂y/∂x = W (4×3)", Outcome(report, [lecture_fact(report, "x", lambda p: p["W"])])


def xw_example() -> Iterator[Row]:
    """For a row vector, y = xW has the Jacobian W (denominator layout)."""
    x, W, y = xw()
    report = dc.check(y, x, seed=2)
    fact = lecture_fact(report, "x", lambda p: p["W"].T)  # numerator layout is Wᵀ
    yield "y = xW (row vector): denominator-layout ∂y/∂x = W", Outcome(report, [fact])


def tensor_example() -> Iterator[Row]:
    """∂y/∂W for y = Wx: the 3-D tensor and its compact 2-D form."""
    W, x, y = wx()
    report = dc.check(y, W, seed=1)
    full = lecture_fact(report, "W", lambda p: np.einsum("ik,j->ikj", np.eye(4), p["x"]))
    compact = Fact("compact form: row i of ∂y_i/∂W[i,:] is x", _compact_error(report), RTOL)
    yield "y = Wx: ∂y/∂W, a 4×4×3 tensor δ_ik x_j; compact 4×3 form, row i = x", \
        Outcome(report, [full, compact])


def _compact_error(report: Report) -> float:
    errors = [
        np.max(np.abs(tensor_compact(report.jacobians[(p, "W")]["tape"]) - point["x"]))
        for p, point in enumerate(report.points)
    ]
    return float(max(errors))


def batch_example() -> Iterator[Row]:
    """Y = XW: rows only depend on their own row of X."""
    X, W, Y = batch_xw()
    report = dc.check(Y, [X, W], seed=3)
    facts = [
        lecture_fact(report, "X", lambda p: np.einsum("ij,ba->iajb", np.eye(5), p["W"])),
        lecture_fact(report, "W", lambda p: np.einsum("ik,ab->iakb", p["X"], np.eye(4))),
    ]
    yield "Y = XW: ∂Y[i,:]/∂X[j,:] = Wᵀ if i = j else 0", Outcome(report, facts)


def chain_example() -> Iterator[Row]:
    """The chain rule: dy/dx = (dy/dz)(dz/dx) = VW."""
    chain = chain_vwx()
    report = dc.check(chain.y, [chain.x, chain.W, chain.V], seed=4)
    facts = [
        lecture_fact(report, "x", lambda p: p["V"] @ p["W"]),
        lecture_fact(report, "x", lambda p: chain_product(chain, p)),
    ]
    yield "y = VWx: ∂y/∂x = VW = (∂y/∂z)(∂z/∂x)", Outcome(report, facts)


def layer_example() -> Iterator[Row]:
    """One Dense layer in the lecture's row notation, on a batch."""
    rng = np.random.default_rng(5)
    layer = nn.Dense(3, 4, "sigmoid", name="l1")
    X, Y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 4))
    report = dc.check(nn.half_sse(layer(X), Y), layer.parameters(), seed=5, name="E")
    yield "E = ½Σ(σ(XW + b) − Y)², X 5×3 → 4 units: ∂E/∂W, ∂E/∂b", Outcome(report)


CIRCLE_CHECKED = 12  # samples in the SymPy check (SymPy's cost grows with each term)


def circle_example() -> Iterator[Row]:
    """The circle classifier: gradients, accumulation, and learning."""
    X, y = training.circle_data(m=200, seed=0)
    trained = training.train_circle(X, y, steps=300)
    (c1, c2), r = training.circle_from(trained.at)
    true_centre, true_r = training.CIRCLE_CENTRE, training.CIRCLE_RADIUS
    miss = max(abs(c1 - true_centre[0]), abs(c2 - true_centre[1]), abs(r - true_r))
    learned = Fact(f"learns centre ({c1:.2f}, {c2:.2f}), radius {r:.2f}", miss, 0.15, "descent",
                   relative=False)
    Xc, yc = X[:CIRCLE_CHECKED], y[:CIRCLE_CHECKED]
    loss = training.circle_loss(Xc, yc, from_logits=False)  # the lecture's formula, literally
    points = [training.CIRCLE_START, trained.at]
    report = dc.check(loss, ["w0", "w1", "w2"], points, name="E")
    samples = training.circle_samples(Xc, yc)
    per_sample = training.circle_sample_loss()
    facts = [learned] + [
        lecture_fact(report, w, lambda p, w=w: training.accumulated_gradient(per_sample, [w], p, samples)[w],
                     "accumulated")
        for w in ("w0", "w1", "w2")
    ]
    yield (f"ŷ = σ((x1−w1)² + (x2−w2)² − w0²), BCE over {CIRCLE_CHECKED} points: ∂E/∂w before and "
           "after descent; Σ per sample ÷ m = batch"), Outcome(report, facts)


# N, D_in, H, D_out and points of the element-wise three-way check of the ReLU network;
# the full size is checked too, where SymPy composes per-node derivatives instead.
REDUCED = (2, 4, 3, 2)
REDUCED_POINTS = 1


def relu_example() -> Iterator[Row]:
    """The two-layer ReLU network three ways: a reduced size, then the lecture's full size."""
    small = training.two_layer_relu(*REDUCED, seed=0)
    report = dc.check(small.loss, [small.w1, small.w2], seed=0, n_points=REDUCED_POINTS, name="loss")
    yield f"loss = Σ(relu(x w1) w2 − y)² at {_size(REDUCED)}: ∂loss/∂w1, ∂loss/∂w2", Outcome(report)
    full = training.two_layer_relu(*training.LECTURE_SIZES, seed=0)
    report = dc.check(full.loss, [full.w1, full.w2], full.at, name="loss")
    yield (f"full size {_size(training.LECTURE_SIZES)}: ∂loss/∂w1, ∂loss/∂w2 (SymPy by the chain "
           "rule over per-node derivatives, numeric on seeded elements)"), Outcome(report)


def _size(sizes: tuple[int, int, int, int]) -> str:
    n, d_in, h, d_out = sizes
    return f"N={n}, {d_in}→{h}→{d_out}"


EXAMPLES: list[Example] = [
    Example("computational graph a, b, c = a + b, d = a·c", graph_example, "graph_abcd.py"),
    Example("logic gates: XOR from OR, NAND, AND", xor_example, "logic_gates_xor.py"),
    Example("Jacobian of y = Wx", wx_example, "jacobian_wx.py"),
    Example("row vectors y = xW", xw_example, "row_vector_xw.py"),
    Example("tensor ∂y/∂W for y = Wx", tensor_example, "tensor_dy_dw.py"),
    Example("multiple data points Y = XW", batch_example, "batch_xw.py"),
    Example("chain rule y = VWx", chain_example, "chain_vwx.py"),
    Example("layer notation A = σ(XW + B)", layer_example),
    Example("circle classifier", circle_example, "circle_classifier.py"),
    Example("two-layer ReLU network", relu_example, "two_layer_relu.py"),
]


# ----- the table -----
# (header, width): with the row indent and the gaps, a table line fits 100 columns.
COLUMNS = (("what is checked", 42), ("methods that agree", 21), ("max rel err", 11), ("verdict", 18))
INDENT = "  "
METHOD_NOTES = {
    "sympy": "SymPy's closed form (the reference)",
    "tape": "reverse mode: hand-written vector-Jacobian products over NumPy",
    "numeric": "numeric differences (complex step, or central differences)",
    "lecture": "the closed form the lecture states (∂y/∂x = W, ∂d/∂a = 2a + b), against sympy",
    "accumulated": "the per-sample gradients summed and divided by m, against the batch gradient",
    "descent": "gradient descent learns the circle's centre and radius",
}


def _verdict(outcome: Outcome) -> str:
    verdict = "agree" if outcome.ok else f"DISAGREE ({', '.join(outcome.disagreeing) or '?'})"
    if outcome.kinks:
        verdict += f" ({len(outcome.kinks)} non-differentiable)"
    return verdict


def _wrapped_row(cells: tuple[str, ...], indent: str = INDENT) -> list[str]:
    """One row as lines: each cell wrapped to its column, the error right-aligned."""
    widths = [width for _, width in COLUMNS]
    widths[0] += len(INDENT) - len(indent)
    columns = [textwrap.wrap(cell, width, break_on_hyphens=False) or [""]
               for cell, width in zip(cells, widths, strict=True)]
    lines = []
    for k in range(max(map(len, columns))):
        texts = [column[k] if k < len(column) else "" for column in columns]
        parts = [t.rjust(w) if c == 2 else t.ljust(w) for c, (t, w) in enumerate(zip(texts, widths))]
        lines.append((indent + "  ".join(parts)).rstrip())
    return lines


@dataclass
class _Tally:
    """The rows so far, grouped by example, and the methods they name (for the legend)."""

    sections: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    methods: dict[str, None] = field(default_factory=dict)
    failures: list[Outcome] = field(default_factory=list)

    def add(self, title: str, what: str, outcome: Outcome) -> None:
        methods = ", ".join(outcome.agreeing) or "none"
        row = (what, methods, f"{outcome.max_rel_error:.1e}", _verdict(outcome))
        self.sections.setdefault(title, []).append(row)
        self.methods.update(dict.fromkeys([*outcome.agreeing, *outcome.disagreeing]))
        if not outcome.ok:
            self.failures.append(outcome)

    def print(self, out: TextIO) -> None:
        lines = ["", *_wrapped_row(("example: " + COLUMNS[0][0], *(h for h, _ in COLUMNS[1:])), "")]
        for title, rows in self.sections.items():
            lines += [title, *(line for row in rows for line in _wrapped_row(row))]
        lines += ["", "Methods:"]
        width = max(map(len, self.methods))
        lines += [f"{INDENT}{m.ljust(width)}  {METHOD_NOTES.get(m, '')}".rstrip() for m in self.methods]
        print("\n".join(lines), file=out)


def run(out: TextIO, examples: list[Example] | None = None) -> int:
    """Run every example, print a table, and return 0 when every check agrees, else 1."""
    tally = _Tally()
    for example in EXAMPLES if examples is None else examples:
        start = time.perf_counter()
        where = f" (examples/{example.script})" if example.script else ""
        print(f"checking {example.title}{where} ...", file=out, flush=True)
        for what, outcome in example.run():
            tally.add(example.title, what, outcome if isinstance(outcome, Outcome) else Outcome(outcome))
        elapsed = time.perf_counter() - start
        if elapsed > 2:
            print(f"  ({elapsed:.1f} s)", file=out, flush=True)
    tally.print(out)
    for outcome in tally.failures:
        print("\n" + str(outcome), file=out)
    total = sum(map(len, tally.sections.values()))
    print(f"\n{total - len(tally.failures)} of {total} checks agree across sympy, tape and numeric.",
          file=out)
    return 1 if tally.failures else 0


__all__ = ["EXAMPLES", "Example", "Fact", "Outcome", "lecture_fact", "run"]
