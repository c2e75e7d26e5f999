"""dc.check of the lecture's network at full size, all three methods, in seconds.

N=64, D_in=1000, H=100, D_out=10; ∂loss/∂w1 and ∂loss/∂w2 at three seeded points.
Prints the wall time and how the report says each reference was obtained.
"""

from __future__ import annotations

import time

import _timing  # noqa: F401  (pins BLAS to one thread before NumPy loads)
import numpy as np
from _timing import verdict

import diffcheck as dc


def main() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
    w1, w2 = dc.matrix("w1", 1000, 100), dc.matrix("w2", 100, 10)
    loss = dc.sum((dc.relu(x @ w1) @ w2 - y) ** 2)
    start = time.perf_counter()
    report = dc.check(loss, [w1, w2])
    elapsed = time.perf_counter() - start
    print(f"full-size check, 3 points, sympy + tape + numeric: {elapsed:.1f} s {verdict(elapsed, 30)}, "
          f"ok={report.ok}, "
          f"{report.compared} elements compared, max rel error {report.max_rel_error:.2g}")
    for note in report.notes:
        print(f"  - {note}")


if __name__ == "__main__":
    main()
