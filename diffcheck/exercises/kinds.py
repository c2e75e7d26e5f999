"""The table of exercise kinds: name → (generator, number of difficulty levels).

A generator takes the exercise's problem stream (a ``numpy.random.Generator``) and a
level and returns a :class:`~diffcheck.exercises.common.Draft`. Adding a kind means
one function in a family module and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from diffcheck.exercises import graphs, hessians, linear, networks, tensors
from diffcheck.exercises.common import Draft


class Kind(NamedTuple):
    make: Callable[[np.random.Generator, int], Draft]
    levels: int
    summary: str


TABLE = MappingProxyType({
    "graph": Kind(graphs.make_graph, 3, "a small computational graph: ∂out/∂node for every node"),
    "jacobian": Kind(linear.make_jacobian, 3, "∂y/∂x for y = Wx, σ(Wx), σ(Wx + b)"),
    "row-jacobian": Kind(linear.make_row_jacobian, 3, "∂y/∂x for row vectors y = xW, in a stated layout"),
    "tensor": Kind(tensors.make_tensor, 3, "∂y/∂W for y = Wx (a 3-D tensor) and its compact 2-D form"),
    "batch": Kind(tensors.make_batch, 3, "Y = XW: the blocks ∂Y[i,:]/∂X[i,:] and ∂Y[i,:]/∂X[j,:]"),
    "chain": Kind(linear.make_chain, 3, "y = VWx and compositions: the chain rule as a product"),
    "layer": Kind(networks.make_layer, 2, "a = σ(Wx + b): ∂a/∂W, ∂a/∂b and ∂a/∂x"),
    "backprop": Kind(networks.make_backprop, 3, "one weight matrix's gradient of a small MLP's loss"),
    "circle": Kind(networks.make_circle, 2, "the circle classifier with BCE loss: ∂Loss/∂w0, w1, w2"),
    "hessian": Kind(hessians.make_hessian, 3, "∇²f of a quadratic form, least squares, logistic regression"),
})
KINDS: tuple[str, ...] = tuple(TABLE)
