"""A diffcheck expression re-run in PyTorch, for timing ``torch.autograd.gradcheck`` on
the same function at the same point (benchmarks only; the ops the routing cases use)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from diffcheck.ir import Const, Expr, Var, toposort


def _ops(torch) -> dict[str, Callable]:
    functional = torch.nn.functional

    def reduce(fn):
        return lambda x, axis=None, keepdims=False: (
            fn(x) if axis is None else fn(x, dim=axis, keepdim=keepdims))

    return {
        "matmul": torch.matmul, "add": torch.add, "sub": torch.sub, "mul": torch.mul,
        "div": torch.div, "neg": torch.neg, "pow": torch.pow, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "minimum": torch.minimum, "sum": reduce(torch.sum),
        "mean": reduce(torch.mean),
        "getitem": lambda x, index: x[index],
        "layer_norm": lambda x, axis=-1, eps=1e-5: functional.layer_norm(
            x, x.shape[axis if isinstance(axis, int) and axis >= 0 else -1:], eps=eps),
    }


def gradcheck_call(y: Expr, wrt: list[Var], point: dict[str, np.ndarray]) -> Callable[[], bool] | None:
    """A call running ``torch.autograd.gradcheck`` of ``y`` as a function of ``wrt`` at
    ``point`` (other variables fixed there), or None without PyTorch or for an op not here."""
    built = torch_function(y, wrt, point)
    if built is None:
        return None
    import torch

    function, inputs = built
    return lambda: torch.autograd.gradcheck(function, inputs)


def torch_function(y: Expr, wrt: list[Var], point: dict[str, np.ndarray]):
    """``(function of the wrt tensors, those tensors at point)``, or None (no PyTorch, or
    an op not mapped here)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # like the tape and NumPy here
    ops = _ops(torch)
    nodes = toposort(y)
    if any(not isinstance(n, Var | Const) and n.op not in ops for n in nodes):
        return None
    names = [v.name for v in wrt]
    fixed = {k: torch.tensor(np.asarray(v, dtype=np.float64)) for k, v in point.items() if k not in names}
    constants = {id(n): torch.tensor(np.asarray(n.value, dtype=np.float64))
                 for n in nodes if isinstance(n, Const)}

    def function(*tensors):
        values = {**fixed, **dict(zip(names, tensors, strict=True))}
        out: dict[int, object] = dict(constants)
        for n in nodes:
            if isinstance(n, Var):
                out[id(n)] = values[n.name]
            elif not isinstance(n, Const):
                out[id(n)] = ops[n.op](*(out[id(a)] for a in n.inputs), **n.kwargs)
        return out[id(y)]

    inputs = tuple(torch.from_numpy(np.array(point[k], dtype=np.float64)).requires_grad_() for k in names)
    return function, inputs
