"""Network exercises: ``layer`` (a = σ(Wx + b)), ``backprop`` (a small MLP), ``circle``.

``backprop`` and numeric ``circle`` exercises give every number (data and weights are
short binary fractions, so SymPy's solution is exact) and expect numbers; relu
networks are drawn away from their kinks. The backward-pass values in worked
solutions come from SymPy derivatives by cut nodes (``∂E/∂z`` with ``z`` a variable).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.checking.tolerances import SAME_FORMULA
from diffcheck.exercises.common import (
    NUMERIC_TOLERANCE,
    SYMBOLIC_TOLERANCE,
    Draft,
    DraftPart,
    answer_help,
    as_array,
    as_sympy,
    element_subs,
    jacobian_labels,
    substitute_names,
    tape_reference,
)
from diffcheck.exercises.linear import ACTIVATIONS, activation_note, pick, wrap
from diffcheck.exercises.symtext import to_latex
from diffcheck.matrix_forms import ClosedForm
from diffcheck.symbols import element_symbol

WEIGHTS = [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]
BIASES = [-1.0, -0.5, 0.0, 0.5, 1.0]
ACTIVATIONS_NN: dict[str, Callable[[dc.Expr], dc.Expr]] = {
    "relu": lambda z: dc.relu(z), "sigmoid": lambda z: dc.sigmoid(z), "tanh": lambda z: dc.tanh(z),
}


def make_layer(rng: np.random.Generator, level: int) -> Draft:
    """``a = f(Wx + b)``: give ``∂a/∂W``, ``∂a/∂b`` and ``∂a/∂x``."""
    m, n = (2 if level == 1 else pick(rng, [2, 3])), pick(rng, [2, 3])
    act = "sigmoid" if level == 1 else pick(rng, ["sigmoid", "tanh"])
    W, x, b = dc.matrix("W", m, n), dc.vector("x", n), dc.vector("b", m)
    z = W @ x + b
    a = ACTIVATIONS[act][0](z)
    a_tex = wrap(act, r"\mathbf{z}")
    subs = element_subs("z", z)
    variables = {"W": (m, n), "b": (m,), "x": (n,)}
    parts = []
    for var, shape, tex in (("W", (m, n), "W"), ("b", (m,), r"\mathbf{b}"), ("x", (n,), r"\mathbf{x}")):
        value = as_sympy(substitute_names(as_array(dc.symbolic_jacobian(a, var)), subs))
        parts.append(DraftPart(
            key=var, title=f"∂a/∂{var}", tex=rf"\frac{{\partial \mathbf{{a}}}}{{\partial {tex}}}",
            solution=value, labels=jacobian_labels("a", var, (m,), shape), layout="numerator",
            transpose_note="you used denominator layout; this exercise asks for numerator layout",
            claim=("a", var, 1), reference=tape_reference(a, var)))
    blocks = [
        ("p", rf"A layer maps $\mathbf{{x}} \in \mathbb{{R}}^{{{n}}}$ with weights "
              rf"$W \in \mathbb{{R}}^{{{m} \times {n}}}$ and bias $\mathbf{{b}} \in "
              rf"\mathbb{{R}}^{{{m}}}$ (variables `x`, `W`, `b`) to"),
        ("math", r"\mathbf{z} = W\mathbf{x} + \mathbf{b}, \qquad \mathbf{a} = "
                 + a_tex),
        *activation_note(act),
        ("p", r"Give all three derivatives $\frac{\partial \mathbf{a}}{\partial W}$ (`W`, shape "
              rf"{m}×{m}×{n}, entry `[i, k, j]` is $\partial a_i / \partial W_{{k,j}}$), "
              rf"$\frac{{\partial \mathbf{{a}}}}{{\partial \mathbf{{b}}}}$ (`b`, {m}×{m}) and "
              rf"$\frac{{\partial \mathbf{{a}}}}{{\partial \mathbf{{x}}}}$ (`x`, {m}×{n}), all in "
              r"**numerator layout** (the axes of $\mathbf{a}$ first)."),
        *answer_help(parts, variables, [("z", r"$\mathbf{z} = W\mathbf{x} + \mathbf{b}$"),
                                        ("a", r"$\mathbf{a}$ itself")]),
    ]
    t = dc.scalar("t")
    local = dc.symbolic_jacobian(ACTIVATIONS[act][0](t), t)
    i, j = int(rng.integers(m)), int(rng.integers(n))
    z_i = element_symbol("z", (i,))
    worked = [
        ("p", "Each output only depends on its own pre-activation, so every derivative is "
              r"$f'(z_i)$ times a derivative of $z_i = \sum_j W_{i,j} x_j + b_i$. SymPy gives"),
        ("math", rf"\frac{{\partial a_{{{i}}}}}{{\partial z_{{{i}}}}} = "
                 rf"{to_latex(local.subs(element_symbol('t', ()), z_i))}"),
        ("math", rf"\frac{{\partial a_{{{i}}}}}{{\partial W_{{{i},{j}}}}} = "
                 rf"{to_latex(parts[0].solution[i, i, j])}, \quad "
                 rf"\frac{{\partial a_{{{i}}}}}{{\partial b_{{{i}}}}} = "
                 rf"{to_latex(parts[1].solution[i, i])}, \quad "
                 rf"\frac{{\partial a_{{{i}}}}}{{\partial x_{{{j}}}}} = "
                 rf"{to_latex(parts[2].solution[i, j])}"),
        ("p", r"$\partial \mathbf{a}/\partial \mathbf{b}$ is diagonal, and "
              r"$\partial a_i / \partial W_{k,j} = 0$ for $k \ne i$."),
        ("p", "In matrix notation (derived over whole arrays by `dc.closed_form`; for "
              r"$\partial \mathbf{a}/\partial W$ the entry $[i, j, k]$ is "
              r"$\partial a_i / \partial W_{j,k}$):"),
        ("math", r", \quad ".join(
            rf"\frac{{\partial \mathbf{{a}}}}{{\partial {tex}}} = {dc.closed_form(a, name).latex}"
            for name, tex in (("W", "W"), ("b", r"\mathbf{b}"), ("x", r"\mathbf{x}")))),
    ]
    return Draft(title=f"Derivatives of a {act} layer (level {level})", blocks=blocks,
                 worked=worked, variables=variables, parts=parts,
                 intermediates=[("z", z), ("a", a)])


def _values(rng: np.random.Generator, options: list[float], shape: tuple[int, ...]) -> np.ndarray:
    return np.array([options[int(k)] for k in rng.integers(len(options), size=shape).ravel()],
                    dtype=float).reshape(shape)


def _exact(values: dict[str, np.ndarray]) -> dict[sp.Symbol, sp.Rational]:
    return {element_symbol(name, ix): sp.Rational(str(v)) for name, arr in values.items()
            for ix, v in np.ndenumerate(arr)}


def _numbers_tex(value: sp.Basic) -> str:
    """An exact value and, when it is not a short rational, its decimal."""
    if isinstance(value, sp.MatrixBase):
        value = value.applyfunc(lambda v: v if v.is_Rational else sp.N(v, 5))
        return to_latex(value)
    return to_latex(value) if value.is_Rational else rf"{to_latex(value)} \approx {sp.N(value, 5)}"


def make_backprop(rng: np.random.Generator, level: int) -> Draft:
    """A 2-layer MLP with ``E = ½Σ(ŷ − t)²``: give one weight matrix's gradient, in numbers."""
    act = "relu" if level <= 2 else pick(rng, ["sigmoid", "tanh"])
    which = "W2" if level == 1 else "W1"
    n0, n1 = pick(rng, [2, 3]), pick(rng, [2, 3])
    n2 = pick(rng, [1, 2]) if which == "W2" else 1
    f = ACTIVATIONS_NN[act]
    for _ in range(200):
        data = {"x": _values(rng, [-2.0, -1.0, 1.0, 2.0], (n0,)),
                "t": _values(rng, [-1.0, 0.0, 1.0, 2.0], (n2,))}
        given = {"W1": _values(rng, WEIGHTS, (n1, n0)), "b1": _values(rng, BIASES, (n1,)),
                 "W2": _values(rng, WEIGHTS, (n2, n1)), "b2": _values(rng, BIASES, (n2,))}
        z1 = given["W1"] @ data["x"] + given["b1"]
        if act != "relu" and np.all(np.abs(z1) <= 3):  # unsaturated units
            break
        a1 = np.maximum(z1, 0)
        if act == "relu" and np.all(z1 != 0) and np.any(z1 > 0) and np.any(
                given["W2"] @ a1 + given["b2"] != data["t"]):  # off the kinks, error non-zero
            break
    x, t = dc.const(data["x"]), dc.const(data["t"])
    shapes = {k: v.shape for k, v in given.items()}

    def net(cut: str | None = None, live: tuple[str, ...] = tuple(given)) -> dict[str, dc.Expr]:
        """The network's nodes; weights not in ``live`` are constants, ``cut`` is a variable."""
        w = {k: dc.Var(k, shapes[k]) if k in live else dc.const(v) for k, v in given.items()}
        return network(w, x, t, f, cut)

    nodes = net()
    E = nodes["E"]
    exact = _exact(given)
    # SymPy differentiates with only the asked weight live (the rest are the given numbers).
    solution = sp.ImmutableMatrix(
        as_array(dc.symbolic_jacobian(net(live=(which,))["E"], which)).tolist()).xreplace(exact)
    shape = given[which].shape
    part = DraftPart(
        key=f"dE_d{which}", title=f"∂E/∂{which}", tex=rf"\frac{{\partial E}}{{\partial W^{{[{which[1]}]}}}}",
        solution=solution, labels=jacobian_labels("E", which, (), shape),
        transpose_note=f"∂E/∂{which} has the shape of {which} ({shape[0]}×{shape[1]}): entry "
                       f"[j, k] is ∂E/∂{which}[j,k] (δ times the layer input transposed)",
        reference=tape_reference(E, which))
    variables = dict(shapes)
    vec = lambda v: to_latex(sp.ImmutableMatrix([sp.Rational(str(e)) for e in v]))  # noqa: E731
    mat = lambda v: to_latex(sp.ImmutableMatrix(v.shape[0], v.shape[1],  # noqa: E731
                                                [sp.Rational(str(e)) for e in v.ravel()]))
    act_tex = {"relu": r"\mathrm{relu}", "sigmoid": r"\sigma", "tanh": r"\tanh"}[act]
    blocks = [
        ("p", "A network with one hidden layer (column notation, as in the lecture) computes"),
        ("math", rf"\mathbf{{z}}^{{[1]}} = W^{{[1]}}\mathbf{{x}} + \mathbf{{b}}^{{[1]}},\quad "
                 rf"\mathbf{{a}}^{{[1]}} = {act_tex}(\mathbf{{z}}^{{[1]}}),\quad "
                 r"\hat{\mathbf{y}} = W^{[2]}\mathbf{a}^{[1]} + \mathbf{b}^{[2]},\quad "
                 r"E = \tfrac{1}{2}\sum_k (\hat{y}_k - t_k)^2"),
        *activation_note(act if act != "relu" else None),
        ("p", "The sample, the target and the weights (variables `W1`, `b1`, `W2`, `b2`) are"),
        ("math", rf"\mathbf{{x}} = {vec(data['x'])},\ \mathbf{{t}} = {vec(data['t'])},\ "
                 rf"W^{{[1]}} = {mat(given['W1'])},\ \mathbf{{b}}^{{[1]}} = {vec(given['b1'])},\ "
                 rf"W^{{[2]}} = {mat(given['W2'])},\ \mathbf{{b}}^{{[2]}} = {vec(given['b2'])}"),
        ("p", rf"Backpropagate the error and give the gradient $\frac{{\partial E}}{{\partial "
              rf"W^{{[{which[1]}]}}}}$, a {shape[0]}×{shape[1]} matrix of numbers shaped like "
              rf"$W^{{[{which[1]}]}}$: entry `[j, k]` is "
              rf"$\partial E / \partial W^{{[{which[1]}]}}_{{j,k}}$."),
        *answer_help([part], variables, [("z1", r"$\mathbf{z}^{[1]}$"), ("a1", r"$\mathbf{a}^{[1]}$"),
                                         ("yhat", r"$\hat{\mathbf{y}}$")], numeric=True),
    ]
    worked = _backprop_steps(net, which, given, data, f)
    draft = Draft(title=f"Backpropagation: ∂E/∂{which} of a {act} network (level {level})",
                  blocks=blocks, worked=worked, variables=variables, parts=[part],
                  intermediates=[("z1", nodes["z1"]), ("a1", nodes["a1"]), ("yhat", nodes["yhat"])],
                  given=given, tolerance=NUMERIC_TOLERANCE)
    return draft


def _backprop_steps(net: Callable[..., dict[str, dc.Expr]], which: str,
                    given: dict[str, np.ndarray], data: dict[str, np.ndarray],
                    f: Callable[[dc.Expr], dc.Expr]) -> list[tuple[str, str]]:
    """Forward values (exact, SymPy) and ∂E/∂node for each cut node (the tape's backward pass).

    The answer itself is SymPy's; these intermediate values only illustrate it, and the
    tape gets them without re-deriving through relu's piecewise form.
    """
    nodes = net(None, ())
    values = {name: list(as_array(dc.to_sympy(nodes[name])).ravel()) for name in ("z1", "a1", "yhat")}
    steps = [("p", "**Forward pass.**")]
    names = (("z1", r"\mathbf{z}^{[1]}"), ("a1", r"\mathbf{a}^{[1]}"), ("yhat", r"\hat{\mathbf{y}}"))
    for name, tex in names:
        steps.append(("math", f"{tex} = {_numbers_tex(sp.ImmutableMatrix(values[name]))}"))
    steps.append(("p", "**Backward pass**: the error's derivative by each node, going backwards "
                       "(values to 5 digits):"))
    grads = {}
    for name, _ in names:
        point = {name: np.array([float(v) for v in values[name]])}
        grads[name] = np.asarray(dc.grad(net(name, ())["E"], name, point), dtype=float)
    forms = _lecture_forms(grads, {k: np.array([float(v) for v in vs]) for k, vs in values.items()},
                           given, data, f)
    for name, tex in reversed(names):
        numbers = sp.ImmutableMatrix([sp.Float(float(g), 5) for g in grads[name]])
        steps.append(("math", rf"{forms.get(name, '')}\frac{{\partial E}}{{\partial {tex}}} = "
                              f"{to_latex(numbers)}"))
    layer_input = r"\mathbf{a}^{[1]}" if which == "W2" else r"\mathbf{x}"
    delta = r"\boldsymbol{\delta}^{[2]}" if which == "W2" else r"\boldsymbol{\delta}^{[1]}"
    steps.append(("p", rf"Then $\frac{{\partial E}}{{\partial W^{{[{which[1]}]}}}} = "
                       rf"{delta}\,{{{layer_input}}}^T$: the outer product of the backpropagated "
                       "error and the layer's input."))
    steps.append(("p", "The same gradient in matrix notation, for any sample (derived over whole "
                       "vectors by `dc.closed_form`; $W_1, b_1$ stand for $W^{[1]}, \\mathbf{b}^{[1]}$):"))
    form = matrix_gradient(which, given, data, f).latex
    steps.append(("math", rf"\frac{{\partial E}}{{\partial W_{which[1]}}} = {form}"))
    return steps


def network(w: dict[str, dc.Expr], x: dc.Expr, t: dc.Expr, f: Callable[[dc.Expr], dc.Expr],
            cut: str | None = None) -> dict[str, dc.Expr]:
    """The nodes of ``E = ½Σ(W2 f(W1 x + b1) + b2 − t)²``; the node named ``cut`` (z1, a1
    or yhat) is a variable of its own."""
    n1, n2 = w["W1"].shape[0], w["W2"].shape[0]
    nodes: dict[str, dc.Expr] = {}
    nodes["z1"] = dc.vector("z1", n1) if cut == "z1" else w["W1"] @ x + w["b1"]
    nodes["a1"] = dc.vector("a1", n1) if cut == "a1" else f(nodes["z1"])
    nodes["yhat"] = dc.vector("yhat", n2) if cut == "yhat" else w["W2"] @ nodes["a1"] + w["b2"]
    nodes["E"] = 0.5 * dc.sum((nodes["yhat"] - t) ** 2)
    return nodes


def matrix_gradient(which: str, given: dict[str, np.ndarray], data: dict[str, np.ndarray],
                    f: Callable[[dc.Expr], dc.Expr]) -> ClosedForm:
    """∂E/∂W in matrix notation (``dc.closed_form``), over named vectors ``x`` and ``t``."""
    x, t = dc.vector("x", len(data["x"])), dc.vector("t", len(data["t"]))
    w = {k: dc.Var(k, v.shape) for k, v in given.items()}
    return dc.closed_form(network(w, x, t, f)["E"], w[which])


def _lecture_forms(grads: dict[str, np.ndarray], values: dict[str, np.ndarray],
                   given: dict[str, np.ndarray], data: dict[str, np.ndarray],
                   f: Callable[[dc.Expr], dc.Expr]) -> dict[str, str]:
    """The lecture's names for the backward-pass values (``δ = ŷ − t``, ``Wᵀδ``), each shown
    only where the numbers (from the tape) confirm it at this point."""
    forms = {}
    close = lambda a, b: bool(np.allclose(a, b, rtol=SAME_FORMULA[0], atol=SAME_FORMULA[1]))  # noqa: E731
    if close(grads["yhat"], values["yhat"] - data["t"]):
        forms["yhat"] = r"\boldsymbol{\delta}^{[2]} = \hat{\mathbf{y}} - \mathbf{t} = "
    if close(grads["a1"], given["W2"].T @ grads["yhat"]):
        forms["a1"] = r"W^{[2]T}\boldsymbol{\delta}^{[2]} = "
    z = dc.vector("z", len(values["z1"]))
    slope = np.asarray(dc.grad(dc.sum(f(z)), "z", {"z": values["z1"]}), dtype=float)
    if close(grads["z1"], slope * grads["a1"]):
        forms["z1"] = (r"\boldsymbol{\delta}^{[1]} = f'(\mathbf{z}^{[1]}) \odot "
                       r"W^{[2]T}\boldsymbol{\delta}^{[2]} = ")
    return forms


def make_circle(rng: np.random.Generator, level: int) -> Draft:
    """The lecture's circle classifier with BCE loss: give ``∂Loss/∂w0, w1, w2``."""
    # |x|, |w| <= 1.5 keep z moderate, so the sigmoid is not saturated (then every form of
    # the gradient evaluates accurately in floating point).
    x1, x2 = (float(v) for v in _values(rng, [-1.0, -0.5, 0.5, 1.0], (2,)))
    label = float(rng.integers(2))
    ws = [dc.scalar(f"w{k}") for k in range(3)]
    given = ({f"w{k}": np.array(v) for k, v in enumerate(_values(rng, WEIGHTS[1:-1], (3,)))}
             if level >= 2 else {})

    def build(cut: str | None = None) -> dict[str, dc.Expr]:
        nodes: dict[str, dc.Expr] = {}
        nodes["z"] = (dc.scalar("z") if cut == "z" else
                      (x1 - ws[1]) ** 2 + (x2 - ws[2]) ** 2 - ws[0] ** 2)
        nodes["yhat"] = dc.scalar("yhat") if cut == "yhat" else dc.sigmoid(nodes["z"])
        # The label is 0 or 1, so one term of the cross-entropy vanishes; leaving it out
        # keeps a "0 · log ŷ" route out of the graph shown by dc.explain.
        nodes["Loss"] = -dc.log(nodes["yhat"]) if label else -dc.log(1 - nodes["yhat"])
        return nodes

    nodes = build()
    loss = nodes["Loss"]
    exact = _exact(given)
    subs = element_subs("z", nodes["z"]) if not given else []
    grads = [substitute_names(dc.symbolic_jacobian(loss, w), subs).xreplace(exact) for w in ws]
    part = DraftPart(
        key="grad", title="∇Loss", tex=r"\left[\frac{\partial Loss}{\partial w_0}, "
        r"\frac{\partial Loss}{\partial w_1}, \frac{\partial Loss}{\partial w_2}\right]",
        solution=sp.ImmutableDenseNDimArray(grads, (3,)),
        labels=tuple(f"∂Loss/∂w{k}" for k in range(3)),
        reference=lambda p: np.array([dc.grad(loss, f"w{k}", p) for k in range(3)]))
    variables = {f"w{k}": () for k in range(3)}
    numbers = (rf" with weights $w_0 = {to_latex(sp.Rational(str(float(given['w0']))))}$, "
               rf"$w_1 = {to_latex(sp.Rational(str(float(given['w1']))))}$, "
               rf"$w_2 = {to_latex(sp.Rational(str(float(given['w2']))))}$" if given else "")
    q = lambda v: to_latex(sp.Rational(str(v)))  # noqa: E731
    blocks = [
        ("p", "A classifier with a circular decision boundary (centre $(w_1, w_2)$, radius "
              "$w_0$; variables `w0`, `w1`, `w2`) computes"),
        ("math", r"z = (x_1 - w_1)^2 + (x_2 - w_2)^2 - w_0^2, \quad \hat{y} = \sigma(z) = "
                 r"\frac{1}{1 + e^{-z}}, \quad Loss = -y \log \hat{y} - (1 - y)\log(1 - \hat{y})"),
        ("p", rf"For the sample $x_1 = {q(x1)}$, $x_2 = {q(x2)}$ with label $y = {int(label)}$"
              f"{numbers}, give the gradient "
              r"$\left[\frac{\partial Loss}{\partial w_0}, \frac{\partial Loss}{\partial w_1}, "
              r"\frac{\partial Loss}{\partial w_2}\right]$"
              + (" as numbers." if given else r" in terms of $w_0, w_1, w_2$.")),
        *answer_help([part], variables, [("z", "$z$"), ("yhat", r"$\hat{y}$")],
                     numeric=bool(given)),
    ]
    worked = _circle_steps(build, exact, ws)
    return Draft(title=f"Circle classifier gradient (level {level})", blocks=blocks,
                 worked=worked, variables=variables, parts=[part],
                 intermediates=[("z", nodes["z"]), ("yhat", nodes["yhat"])], given=given,
                 tolerance=NUMERIC_TOLERANCE if given else SYMBOLIC_TOLERANCE)


def _circle_steps(build: Callable[[str | None], dict[str, dc.Expr]],
                  exact: dict[sp.Symbol, sp.Rational], ws: list[dc.Var]) -> list[tuple[str, str]]:
    nodes = build(None)
    routes = dc.explain(nodes["Loss"], ws[0], names={"z": nodes["z"], "yhat": nodes["yhat"]},
                        output="Loss")
    d_loss = dc.symbolic_jacobian(build("yhat")["Loss"], "yhat")
    d_yhat = dc.symbolic_jacobian(dc.sigmoid(dc.scalar("z")), "z")
    from diffcheck.exercises.keyforms import element_latex

    z = element_symbol("z", ())
    hat = {z: r"\hat{y}"}
    d_z = d_loss.xreplace({element_symbol("yhat", ()): 1 / (1 + sp.exp(-z))}) * d_yhat
    steps = [
        ("p", "The graph is w → z → ŷ → Loss; multiply the local derivatives along the route:"),
        ("math", r"\frac{\partial Loss}{\partial \hat{y}} = " + to_latex(d_loss)
                 + r", \quad \frac{\partial \hat{y}}{\partial z} = " + element_latex(d_yhat, hat)),
        ("math", r"\frac{\partial Loss}{\partial z} = \frac{\partial Loss}{\partial \hat{y}}"
                 r"\,\frac{\partial \hat{y}}{\partial z} = " + element_latex(d_z, hat)),
        ("math", ", \\quad ".join(
            rf"\frac{{\partial z}}{{\partial w_{k}}} = {to_latex(dc.symbolic_jacobian(nodes['z'], w))}"
            for k, w in enumerate(ws))),
        ("p", "The same for w0, written out by `dc.explain`:"),
        ("code", routes),
    ]
    if exact:
        steps.append(("p", "Then substitute the given numbers."))
    return steps
