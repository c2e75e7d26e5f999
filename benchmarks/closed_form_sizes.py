"""``dc.closed_form`` of the lecture network's ∂L/∂W₁ at two sizes, as a ratio of derivation times.

The matrix-notation derivation works on whole arrays, so its cost should not depend on
the sizes: the two-layer ReLU net ``L = sum((relu(X W₁) W₂ − Y)²)`` is derived at
4×10→5→3 and at the lecture's 64×1000→100→10 (target: the times differ by less than
1.5×, and the printed forms are identical). Evaluating the full-size form is timed
against the tape's gradient of the same loss, both with NumPy, in the same process.
"""

from __future__ import annotations

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import median_time, paired_ratio, verdict

import diffcheck as dc

TARGET = 1.5


def lecture_loss(n: int, d_in: int, hidden: int, d_out: int):
    X, Y = dc.matrix("X", n, d_in), dc.matrix("Y", n, d_out)
    W1, W2 = dc.matrix("W1", d_in, hidden), dc.matrix("W2", hidden, d_out)
    return dc.sum((dc.relu(X @ W1) @ W2 - Y) ** 2), W1


def main() -> None:
    small, w_small = lecture_loss(4, 10, 5, 3)
    large, w_large = lecture_loss(64, 1000, 100, 10)
    t_small = median_time(lambda: dc.closed_form(small, w_small), repeats=25)
    t_large = median_time(lambda: dc.closed_form(large, w_large), repeats=25)
    same = str(dc.closed_form(small, w_small)) == str(dc.closed_form(large, w_large))
    ratio = max(t_small, t_large) / min(t_small, t_large)
    print(f"∂L/∂W1 = {dc.closed_form(large, w_large)}")
    print(f"derivation at 4x10->5->3: {t_small * 1e3:.2f} ms, at 64x1000->100->10: "
          f"{t_large * 1e3:.2f} ms, ratio {ratio:.2f} {verdict(ratio, TARGET)}; same form: {same}")
    rng = np.random.default_rng(0)
    at = {"X": rng.standard_normal((64, 1000)), "Y": rng.standard_normal((64, 10)),
          "W1": rng.standard_normal((1000, 100)) / 30, "W2": rng.standard_normal((100, 10)) / 10}
    form = dc.closed_form(large, w_large)
    np.testing.assert_allclose(form.evaluate(at), dc.grad(large, w_large, at), rtol=1e-10, atol=1e-9)
    ratio, ours, tape = paired_ratio(lambda: form.evaluate(at), lambda: dc.grad(large, w_large, at),
                                     rounds=9, repeats=5)
    print(f"evaluating it at full size: {ours * 1e3:.2f} ms, tape gradient {tape * 1e3:.2f} ms, "
          f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
