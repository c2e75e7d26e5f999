"""Plain gradient descent driven by the tape, and the lecture's learning examples.

``w ← w − α ∂E/∂w`` with ``∂E/∂w`` from ``dc.grad(..., method="tape")``: the lecture's
"AutoGrad can calculate all these derivatives for us". Also here: its "Gaining
efficiency" loop (zero, accumulate per sample, divide by ``m``), the circle classifier,
XOR learned from a random start, the two-layer ReLU network of "PyTorch made easy",
and ``sampled_check`` (``dc.check``'s pipeline on a seeded sample of elements) for
networks too big for SymPy's element-wise derivatives.
Every generator is seeded (``np.random.default_rng``); global NumPy state is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from diffcheck import nn
from diffcheck.checking import compare
from diffcheck.checking.check_inputs import resolve_points
from diffcheck.checking.method_tensors import FixedSample
from diffcheck.checking.pipeline import CheckPlan, Run, execute
from diffcheck.derivatives import as_var, evaluate, grad
from diffcheck.ir import Expr, Var, apply, scalar, variables
from diffcheck.symbols import element_name

Callback = Callable[[int, float], None]


class Trained(NamedTuple):
    """The result of gradient descent.

    Attributes:
        at: the final values of every variable (trained ones updated, others as given).
        losses: the loss before each step and after the last one (``steps + 1`` values).
    """

    at: dict[str, np.ndarray]
    losses: list[float]


def _wrt_names(loss: Expr, wrt: Sequence[Var | str] | None) -> list[str]:
    if wrt is None:
        return sorted(variables(loss))
    return [as_var(v, loss).name for v in wrt]


def gradient_descent(
    loss: Expr,
    at: Mapping[Any, Any],
    *,
    lr: float,
    steps: int,
    wrt: Sequence[Var | str] | None = None,
    callback: Callback | None = None,
) -> Trained:
    """Run ``steps`` updates ``w ← w − lr · ∂loss/∂w`` with tape gradients.

    Args:
        loss: a scalar expression.
        at: the starting values of every variable of ``loss`` (names or ``Var`` keys).
        lr: the learning rate α (positive).
        steps: how many updates.
        wrt: the variables to train (default: every variable of ``loss``); the others,
            such as inputs given as variables, keep their values.
        callback: called as ``callback(step, loss_value)`` before each update and once
            after the last (``step == steps``), e.g. to print progress.

    Returns:
        ``Trained(at, losses)``; the input mapping is not modified. (Recording the loss
        costs one extra forward pass per step.)

    Raises:
        ValueError: for a non-positive ``lr``, a negative ``steps``, or a ``wrt`` that is
            not a variable of ``loss``.
    """
    if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    names = _wrt_names(loss, wrt)
    current = {(k.name if isinstance(k, Var) else k): np.array(v, dtype=float) for k, v in at.items()}
    losses: list[float] = []
    for step in range(steps + 1):
        value = float(evaluate(loss, current))
        losses.append(value)
        if callback is not None:
            callback(step, value)
        if step == steps:
            break
        grads = grad(loss, names, current, method="tape")
        for name in names:
            current[name] = current[name] - lr * grads[name]
    return Trained(current, losses)


def accumulated_gradient(
    sample_loss: Expr,
    wrt: Sequence[Var | str],
    params: Mapping[str, Any],
    samples: Sequence[Mapping[str, Any]],
) -> dict[str, np.ndarray]:
    """The lecture's "Gaining efficiency" loop, one sample at a time.

    Zero each gradient, add the tape gradient of ``sample_loss`` for every sample
    (``{**params, **sample}`` gives every variable), then divide by ``m``. By linearity
    this equals the gradient of the batch-mean loss built over the design matrix.
    """
    if not samples:
        raise ValueError("samples is empty: the average over no samples is undefined")
    names = [as_var(v, sample_loss).name for v in wrt]
    total = {name: np.zeros(np.shape(params[name])) for name in names}  # zero the gradients
    for sample in samples:
        grads = grad(sample_loss, names, {**params, **sample}, method="tape")
        for name in names:
            total[name] += grads[name]  # accumulate
    return {name: g / len(samples) for name, g in total.items()}  # divide by m


# ----- the circle classifier -----
CIRCLE_CENTRE = (1.0, -0.5)
CIRCLE_RADIUS = 1.5
CIRCLE_START = {"w0": 1.0, "w1": 0.0, "w2": 0.0}  # unit circle at the origin


def circle_data(
    m: int = 200,
    seed: int = 0,
    centre: tuple[float, float] = CIRCLE_CENTRE,
    radius: float = CIRCLE_RADIUS,
    box: float = 3.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``m`` points uniform in ``[−box, box]²`` and labels: 1 outside the circle, 0 inside."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-box, box, size=(m, 2))
    y = (np.sum((X - np.asarray(centre)) ** 2, axis=1) > radius**2).astype(float)
    return X, y


def circle_logit(x1: Any, x2: Any) -> Expr:
    """``z = (x1 − w1)² + (x2 − w2)² − w0²`` over the scalar variables ``w0, w1, w2``."""
    w0, w1, w2 = scalar("w0"), scalar("w1"), scalar("w2")
    return (x1 - w1) ** 2 + (x2 - w2) ** 2 - w0**2


def circle_loss(X: np.ndarray, y: np.ndarray, from_logits: bool = True) -> Expr:
    """The batch loss: the mean over samples of ``−y log σ(z) − (1 − y) log(1 − σ(z))``.

    ``from_logits=False`` builds the lecture's formula literally (``ŷ = σ(z)`` first);
    the default computes the same value from ``z`` in the form that cannot overflow.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    z = circle_logit(X[:, 0], X[:, 1])
    if from_logits:
        return nn.binary_cross_entropy(z, y, from_logits=True)
    return nn.binary_cross_entropy(apply("sigmoid", z), y)


def circle_sample_loss() -> Expr:
    """One sample's loss, with the sample as variables ``x1``, ``x2`` and target ``y``."""
    return nn.binary_cross_entropy(circle_logit(scalar("x1"), scalar("x2")), scalar("y"),
                                   from_logits=True)


def circle_samples(X: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    """The rows of ``(X, y)`` as ``at`` entries for :func:`circle_sample_loss`."""
    return [{"x1": float(a), "x2": float(b), "y": float(t)} for (a, b), t in zip(X, y)]


def train_circle(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float = 0.05,
    steps: int = 500,
    start: Mapping[str, float] | None = None,
    callback: Callback | None = None,
) -> Trained:
    """Learn ``w0`` (radius) and ``w1, w2`` (centre) by gradient descent on the BCE."""
    start = dict(CIRCLE_START if start is None else start)
    return gradient_descent(circle_loss(X, y), start, lr=lr, steps=steps, callback=callback)


def circle_from(at: Mapping[str, Any]) -> tuple[tuple[float, float], float]:
    """``((w1, w2), |w0|)``: the centre and radius a circle classifier encodes."""
    return (float(at["w1"]), float(at["w2"])), abs(float(at["w0"]))


# ----- XOR from a random start -----
def train_xor(
    seed: int = 1, *, lr: float = 5.0, steps: int = 1000, callback: Callback | None = None
) -> Trained:
    """Train the ``2 → 2 → 1`` XOR net from ``nn.xor_mlp().init(seed)`` on the BCE.

    The net is trained on its logits (``from_logits=True``); with the trained weights,
    ``nn.xor_mlp()(X)`` (sigmoid output) gives the probabilities. Seeds 0–9 all learn
    XOR with the defaults; two hidden units are the bare minimum for XOR, though, and
    other settings can end in a local minimum (lr 2 with seed 6 does).
    """
    net = nn.xor_mlp(logits=True)
    loss = nn.binary_cross_entropy(net(nn.XOR_INPUTS), nn.XOR_TARGETS, from_logits=True)
    return gradient_descent(loss, net.init(seed), lr=lr, steps=steps, callback=callback)


# ----- the two-layer ReLU network of "PyTorch made easy" -----
LECTURE_SIZES = (64, 1000, 100, 10)  # N, D_in, H, D_out


class TwoLayerReLU(NamedTuple):
    """``loss = Σ (relu(x w1) w2 − y)²`` with random data and weights, as in the lecture.

    Attributes:
        loss: the scalar loss expression (``x`` and ``y`` are constants inside it).
        w1, w2: the variables, shapes ``(D_in, H)`` and ``(H, D_out)``.
        at: initial values (standard normal, like ``torch.randn``).
        x, y: the data, shapes ``(N, D_in)`` and ``(N, D_out)``.
    """

    loss: Expr
    w1: Var
    w2: Var
    at: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray


def two_layer_relu(
    N: int = 64, D_in: int = 1000, H: int = 100, D_out: int = 10, seed: int = 0  # noqa: N803
) -> TwoLayerReLU:
    """The lecture's network ``y_pred = relu(x @ w1) @ w2`` and its squared-error loss."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))
    w1, w2 = Var("w1", (D_in, H)), Var("w2", (H, D_out))
    y_pred = apply("relu", x @ w1) @ w2
    loss = apply("sum", (y_pred - y) ** 2)
    at = {"w1": rng.standard_normal((D_in, H)), "w2": rng.standard_normal((H, D_out))}
    return TwoLayerReLU(loss, w1, w2, at, x, y)


# ----- checking a network too big for SymPy -----
@dataclass(frozen=True)
class SampledEntry:
    """One sampled derivative element: tape value, numeric difference, allowed gap."""

    name: str
    tape: float
    numeric: float
    bound: float

    @property
    def ok(self) -> bool:
        return abs(self.tape - self.numeric) <= self.bound


NUMERIC_WORDS = {"central": "central differences", "complex-step": "complex steps"}


@dataclass
class SampledCheck:
    """Tape against numeric differences on a seeded sample of elements (for big inputs)."""

    entries: list[SampledEntry]
    seed: int
    methods: tuple[str, ...] = ("tape", "numeric")
    kinks: list = field(default_factory=list)  # sampled elements on a kink (report.Kink)
    numeric_kinds: tuple[str, ...] = ("central",)  # how numeric differences were taken

    @property
    def mismatches(self) -> list[SampledEntry]:
        return [e for e in self.entries if not e.ok]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def max_rel_error(self) -> float:
        rel = [abs(e.tape - e.numeric) / max(abs(e.numeric), 1e-10) for e in self.entries]
        return max(rel, default=0.0)

    def __str__(self) -> str:
        lines = [f"sampled check (seed {self.seed}): {len(self.mismatches)} / {len(self.entries)} "
                 f"sampled elements differ (tape vs {self._numeric_words()})"]
        lines += [f"  {e.name}: tape {e.tape:.10g}, numeric {e.numeric:.10g}, allowed gap {e.bound:.3g}"
                  for e in self.entries if not e.ok]
        return "\n".join(lines)

    def _numeric_words(self) -> str:
        return " and ".join(NUMERIC_WORDS[kind] for kind in sorted(self.numeric_kinds))


def sampled_check(
    loss: Expr,
    wrt: Sequence[Var | str],
    at: Mapping[Any, Any],
    *,
    per_variable: int = 20,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> SampledCheck:
    """Tape gradient of a scalar ``loss`` against numeric differences on a seeded sample.

    For networks too big for element-wise SymPy: ``dc.check``'s pipeline with methods
    tape and numeric, where numeric differences perturb only ``per_variable`` entries
    of each variable, drawn by ``np.random.default_rng(seed)`` (complex steps where the
    route is complex-analytic, else central differences, ``(f(w + h) − f(w − h)) / 2h``).
    An entry agrees when ``|tape − numeric| <= atol + rtol·|tape|`` plus the difference's
    rounding noise; ``rtol``/``atol`` default to the tolerance table's row for the
    numeric kind. Sampled entries on a relu kink are listed in ``kinks`` instead.
    """
    if loss.shape != ():
        raise ValueError(f"sampled_check needs a scalar loss, got shape {loss.shape}")
    variables_ = tuple(as_var(v, loss) for v in wrt)
    points, _, notes = resolve_points(loss, at, None, 1)
    picks = _sample(variables_, per_variable, seed)
    run = execute(CheckPlan(
        loss, variables_, points, None, ("tape", "numeric"), compare.route_limits(),
        title="sampled check", output="loss", notes=notes, rtol=rtol, atol=atol,
        sample=FixedSample(picks),
    ))
    entries = [entry for var in variables_ for entry in _entries(run, var, picks[var.name])]
    kinds = tuple(sorted(set(run.report.numeric_kind.values())))
    return SampledCheck(entries, seed, kinks=list(run.report.kinks), numeric_kinds=kinds)


def _sample(variables_: Sequence[Var], per_variable: int, seed: int) -> dict[str, list[tuple]]:
    """``per_variable`` seeded elements of each variable, in index order."""
    rng = np.random.default_rng(seed)
    picks = {}
    for var in variables_:
        flat = rng.choice(var.size, size=min(per_variable, var.size), replace=False)
        picks[var.name] = [tuple(int(i) for i in np.unravel_index(f, var.shape)) for f in sorted(flat)]
    return picks


def _entries(run: Run, var: Var, picks: list[tuple]) -> list[SampledEntry]:
    """The sampled elements of ``∂loss/∂var`` off kinks, with the allowance they were compared by."""
    tensors = run.report.jacobians[(0, var.name)]
    rtol, atol = run.allowances[(0, var.name)]["numeric"]
    at_kinks = {k.index for k in run.report.kinks if k.wrt == var.name}
    entries = []
    for ix in picks:
        if ix in at_kinks:
            continue
        tape, numeric = float(tensors["tape"][ix]), float(tensors["numeric"][ix])
        bound = float(np.broadcast_to(atol, tensors["tape"].shape)[ix]) + rtol * abs(tape)
        name = f"∂loss/∂{element_name(var.name, ix)}"
        entries.append(SampledEntry(name, tape, numeric, bound))
    return entries


__all__ = [
    "CIRCLE_CENTRE", "CIRCLE_RADIUS", "LECTURE_SIZES", "SampledCheck", "Trained", "TwoLayerReLU",
    "accumulated_gradient", "circle_data", "circle_from", "circle_logit", "circle_loss",
    "circle_sample_loss", "circle_samples", "gradient_descent", "sampled_check", "train_circle", "train_xor",
    "two_layer_relu",
]
