"""How often does fast mode (3 random projections uᵀJv) miss a single wrong element?

Prints the measured miss rate for an m x n Jacobian with one element off by
``delta`` times the RMS of the Jacobian's entries, at the default float64 tolerances.
"""

import numpy as np

from diffcheck.checking import projections

TRIALS = 2000


def miss_rate(shape: tuple[int, int], delta: float, rng: np.random.Generator) -> float:
    misses = 0
    for _ in range(TRIALS):
        J = rng.standard_normal(shape)
        wrong = J.copy()
        i, j = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        wrong[i, j] += delta * np.sqrt(np.mean(J**2))
        values, scales = {"ref": [], "wrong": []}, []
        for _ in range(projections.PROJECTIONS):
            u, v = rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
            values["ref"].append(u @ J @ v)
            values["wrong"].append(u @ wrong @ v)
            scales.append(np.linalg.norm(u @ J) * np.linalg.norm(v))
        misses += projections.agree(
            {k: np.array(v) for k, v in values.items()}, np.array(scales), "ref",
            {"wrong": (1e-7, 1e-10)},
        )
    return misses / TRIALS


def main() -> None:
    rng = np.random.default_rng(0)
    header = f"{'shape':>10} {'delta':>8} {'miss rate':>10}"
    print(f"{header}  ({TRIALS} trials, {projections.PROJECTIONS} projections)")
    for shape in [(10, 10), (40, 40), (100, 300)]:
        for delta in (1e-2, 1e-4, 1e-6):
            print(f"{str(shape):>10} {delta:>8.0e} {miss_rate(shape, delta, rng):>10.4f}")


if __name__ == "__main__":
    main()
