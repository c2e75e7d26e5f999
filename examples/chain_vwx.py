"""The chain rule with matrices: ``y = VWx``.

With ``z = Wx``: ``dz/dx = W``, ``dy/dz = V``, so ``dy/dx = (dy/dz)(dz/dx) = VW``.
The product of the two pieces (each differentiated on its own) is compared with the
derivative of ``y`` built whole, and that one is checked three ways.

    python examples/chain_vwx.py [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import diffcheck as dc
from diffcheck.lecture.worked import chain_product, chain_vwx


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The chain rule for y = VWx.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random V, W and x")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)

    chain = chain_vwx()
    rng = np.random.default_rng(args.seed)
    at = {name: rng.normal(size=v.shape) for name, v in
          (("V", chain.V), ("W", chain.W), ("x", chain.x))}
    print("y = VWx, V (2×4), W (4×3), x (3×1); z = Wx")
    dz_dx = dc.jacobian(chain.z, chain.x, {"W": at["W"], "x": at["x"]})
    print(f"dz/dx =\n{dz_dx}\n= W: {np.allclose(dz_dx, at['W'])}")
    whole = dc.jacobian(chain.y, chain.x, at)
    product = chain_product(chain, at)
    print(f"dy/dx (y built whole) =\n{whole}")
    print(f"(dy/dz)(dz/dx) =\n{product}\nVW =\n{at['V'] @ at['W']}")
    holds = np.allclose(whole, product) and np.allclose(whole, at["V"] @ at["W"])
    print(f"dy/dx = (dy/dz)(dz/dx) = VW: {holds}")
    report = dc.check(chain.y, [chain.x, chain.W, chain.V], at)
    print(f"\n{report.headline()} (max rel error {report.max_rel_error:.1e})")
    return 0 if report.ok and holds else 1


if __name__ == "__main__":
    raise SystemExit(main())
