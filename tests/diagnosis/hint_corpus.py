"""Typical wrong derivations from the lecture and the exercise kinds, with the hint each
must get, and the correct derivation of each example (which must get none).

Each case: (id, build, wrt, claim, expected hint text or None for a correct claim).
``build`` returns the expression; claims are strings, callables or SymPy.
"""

from __future__ import annotations

import numpy as np

import diffcheck as dc


def sig(v):
    return 1 / (1 + np.exp(-v))


a, b = dc.scalar("a"), dc.scalar("b")
z = dc.scalar("z")
x2, x3 = dc.vector("x", 2), dc.vector("x", 3)
W23, W33 = dc.matrix("W", 2, 3), dc.matrix("W", 3, 3)
V = dc.matrix("V", 2, 2)
b2, t2 = dc.vector("b", 2), dc.vector("t", 2)
X = dc.matrix("X", 4, 3)
w3 = dc.vector("w", 3)
T4 = dc.vector("t", 4)
row = dc.vector("r", 2)  # a row vector x for y = x W
W2x3 = dc.matrix("W", 2, 3)

d = a * (a + b)  # the lecture's graph: c = a + b, d = a * c
layer = dc.sigmoid(W23 @ x3 + b2)
loss = dc.nn.half_sse(layer, t2)
tanh_loss = dc.nn.half_sse(dc.tanh(W23 @ x3 + b2), t2)
mse = dc.mean((X @ w3 - T4) ** 2)
U32 = dc.matrix("U", 3, 2)
w = dc.scalar("w")
batch = dc.sum(dc.tanh(X @ U32 + b2))
ROUTE = "route: you followed a → y directly but not a → (a + b) → y"
ROUTE_D = "the missing route contributes a·1"


def _z(W, x, b):
    return W @ x + b


CASES = [
    # ----- the a, b, c, d graph -----
    ("d-da-forgot-route", lambda: d, a, "a + b", ROUTE_D),
    ("d-da-forgot-route-callable", lambda: d, a, lambda a, b: a + b, ROUTE),
    ("d-da-only-via-c", lambda: d, a, "a", "route: you followed a → (a + b) → y but not a → y"),
    ("d-da-right", lambda: d, a, "2*a + b", None),
    ("d-db-right", lambda: d, b, "a", None),
    ("d-db-sign", lambda: d, b, "-a", "sign: the claim is the negative"),
    ("d2-da-forgot-route", lambda: a * a * b, a, "a*b",
     "route: you followed a → (a * a) (as its input 1) → y but not a → (a * a) (as its input 2)"),
    # ----- σ′ and tanh′ -----
    ("sigma-prime-missing-factor", lambda: dc.sigmoid(z), z, "sigmoid(z)",
     "factor: missing factor (1 − σ(z))"),
    ("sigma-prime-plus", lambda: dc.sigmoid(z), z, "sigmoid(z)*(1 + sigmoid(z))",
     "σ(z)·(1 + σ(z)) instead of σ(z)·(1 − σ(z))"),
    ("sigma-prime-one-minus", lambda: dc.sigmoid(z), z, "1 - sigmoid(z)", "missing factor σ(z)"),
    ("sigma-prime-extra", lambda: dc.sigmoid(z), z, "sigmoid(z)**2*(1 - sigmoid(z))",
     "extra factor σ(z)"),
    ("sigma-prime-right", lambda: dc.sigmoid(z), z, "sigmoid(z)*(1 - sigmoid(z))", None),
    ("tanh-prime-missing", lambda: dc.tanh(z), z, "1 - tanh(z)", "missing factor (1 + tanh(z))"),
    ("tanh-prime-right", lambda: dc.tanh(z), z, "1 - tanh(z)**2", None),
    ("sigma-diag-value", lambda: layer, b2, lambda W, x, b: np.diag(sig(_z(W, x, b))),
     "activation: the claim uses the value sigmoid(W @ x + b) where the derivative"),
    # ----- backward passes -----
    ("backprop-no-sigma-prime", lambda: loss, W23,
     lambda W, x, b, t: np.outer(sig(_z(W, x, b)) - t, x),
     "activation: the claim leaves out the derivative of sigmoid at sigmoid(W @ x + b)"),
    ("backprop-no-tanh-prime", lambda: tanh_loss, b2,
     lambda W, x, b, t: np.tanh(_z(W, x, b)) - t,
     "activation: the claim leaves out the derivative of tanh"),
    ("backprop-right", lambda: loss, W23,
     lambda W, x, b, t: np.outer((sig(_z(W, x, b)) - t) * sig(_z(W, x, b))
                                 * (1 - sig(_z(W, x, b))), x), None),
    ("backprop-transposed", lambda: loss, W23,
     lambda W, x, b, t: np.outer((sig(_z(W, x, b)) - t) * sig(_z(W, x, b))
                                 * (1 - sig(_z(W, x, b))), x).T,
     "transpose: this is the transpose of ∂y/∂W"),
    # ----- means, sums, batches -----
    ("mse-missing-1-over-n", lambda: mse, w3, lambda X, w, t: 2 * X.T @ (X @ w - t),
     "mean: the claim is 4 times the derivative — a missing 1/4"),
    ("mse-right", lambda: mse, w3, lambda X, w, t: 2 * X.T @ (X @ w - t) / 4, None),
    ("mse-missing-2", lambda: mse, w3, lambda X, w, t: X.T @ (X @ w - t) / 4,
     "factor: the claim is 1/2 times the derivative"),
    ("batch-averaged", lambda: batch, b2,
     lambda X, U, b: (1 - np.tanh(X @ U + b) ** 2).mean(axis=0), "batch: the claim is 1/4"),
    ("batch-right", lambda: batch, b2, lambda X, U, b: (1 - np.tanh(X @ U + b) ** 2).sum(axis=0),
     None),
    ("sum-squares-missing-2", lambda: dc.sum(x3 ** 2), x3, "x",
     "factor: the claim is 1/2 times the derivative (a missing factor 2?)"),
    # ----- Jacobians, transposes, compact forms -----
    ("Wx-dx-transpose", lambda: W33 @ x3, x3, lambda W, x: W.T, "layout: the claim is the transpose"),
    ("Wx-dx-right", lambda: W33 @ x3, x3, lambda W, x: W, None),
    ("xW-dx-right-as-row", lambda: row @ W2x3, row, lambda r, W: W.T, None),
    ("Wx-dW-no-delta", lambda: W23 @ x3, W23, lambda W, x: np.broadcast_to(x, (2, 2, 3)),
     "structure: the claim is non-zero at 6 element(s) where the derivative is 0"),
    ("Wx-dW-compact", lambda: W23 @ x3, W23, lambda W, x: np.tile(x, (2, 1)),
     "compact: ∂y/∂W is the (2, 2, 3) tensor"),
    ("Wx-dW-right", lambda: W23 @ x3, W23, lambda W, x: np.einsum("ij,k->ijk", np.eye(2), x), None),
    ("VWx-dx-right", lambda: V @ (W23 @ x3), x3, lambda V, W, x: V @ W, None),
    ("scalar-loss-transposed", lambda: dc.sum(W23 @ x3), W23, lambda W, x: np.tile(x, (2, 1)).T,
     "transpose: this is the transpose of ∂y/∂W"),
    ("few-elements", lambda: W23 @ x3, x3, lambda W, x: W + np.eye(2, 3) * 5,
     "few: only ∂y[0]/∂x[0], ∂y[1]/∂x[1] are wrong; the other 4 non-zero element(s) agree"),
    ("Wx-dx-factor-2", lambda: W33 @ x3, x3, lambda W, x: 2 * W,
     "factor: the claim is 2 times the derivative"),
    ("XU-dX-no-delta", lambda: X @ U32, X, lambda X, U: np.broadcast_to(U.T[None, :, None, :],
                                                                          (4, 2, 4, 3)),
     "∂y[i,j]/∂X[k,l] is 0 unless i = k"),
    ("sigmoid-composite-missing", lambda: dc.sigmoid(w * a), w, "sigmoid(w*a)*a",
     "factor: missing factor (1 − σ("),
    ("tanh-vector-missing", lambda: dc.tanh(x2), x2,
     "[[1 - tanh(x[0]), 0], [0, 1 - tanh(x[1])]]",
     "factor: missing factor (1 + tanh(x[0])): the derivative is (1 − tanh(x[0]))·(1 + tanh(x[0]))"),
    ("mean-not-broadcast", lambda: dc.mean(x3 ** 2), x3, "2*x",
     "mean: the claim is 3 times the derivative — a missing 1/3"),
    ("batch-mean-as-sum", lambda: dc.mean(dc.tanh(X @ U32 + b2)), b2,
     lambda X, U, b: (1 - np.tanh(X @ U + b) ** 2).sum(axis=0),
     "mean: the claim is 8 times the derivative — a missing 1/8"),
    ("backprop-sign", lambda: loss, b2,
     lambda W, x, b, t: (t - sig(_z(W, x, b))) * sig(_z(W, x, b)) * (1 - sig(_z(W, x, b))),
     "sign: the claim is the negative"),
    ("exp-sign", lambda: dc.sum(dc.exp(-x3)), x3, lambda x: np.exp(-x), "sign:"),
]
