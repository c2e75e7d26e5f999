"""The sweep's plan, its interpreter (the first call) and its generated code agree."""

import gc
import linecache

import numpy as np
import pytest

import diffcheck as dc
from diffcheck.backends import sweep as sweep_module
from diffcheck.backends.program import compile_program
from diffcheck.backends.sweep import compile_sweep, interpret, sweep_for, unit
from diffcheck.backends.sweep_plan import Edge, Forward, Free, Load, Return, Seed

W, X, b = dc.matrix("W", 3, 4), dc.matrix("X", 5, 3), dc.vector("b", 4)
x, c, s = dc.vector("x", 4), dc.vector("c", 3), dc.scalar("s")


def expressions():
    """Shared subexpressions, broadcasting, folded constants, unread values, a kink, pow."""
    h = dc.sigmoid(X @ W + b)
    return {
        "net": 0.5 * dc.sum((h @ x - 1.0) ** 2),
        "shared": dc.sum(dc.tanh(W @ x + c) * (W @ x)) + s * s,
        "broadcast": dc.mean(dc.exp(W * x) / (b + 3.0), axis=0),
        "reductions": dc.sum(dc.relu(W.T - s) ** 3.0, axis=-1) @ dc.Const(np.arange(4.0)),
        "constant_chain": dc.sum(2.0 * dc.exp(dc.Const([0.1, 0.2, 0.3, 0.4])) * x),
        "unused": dc.sum(dc.log(dc.abs(x) + 1.0)),
    }


def point_for(expr, seed=0):
    rng = np.random.default_rng(seed)
    from diffcheck.ir import variables

    return {name: rng.uniform(0.2, 1.2, var.shape) for name, var in variables(expr).items()}


@pytest.mark.parametrize("name", sorted(expressions()))
@pytest.mark.parametrize("batched", [False, True])
def test_generated_code_equals_the_interpreted_plan(name, batched):
    expr = expressions()[name]
    program = compile_program(expr)
    wrt = (W, x, s, b, X, c)
    point = point_for(expr)
    point.update({v.name: np.full(v.shape, 0.5) for v in wrt if v.name not in point})
    if batched:
        seed = np.random.default_rng(1).standard_normal((3,) + expr.shape)
        sweep = sweep_for(program, wrt, 1, seed.dtype)
    else:
        seed = unit(np.dtype(np.float64)) if expr.shape == () else np.ones(expr.shape)
        sweep = sweep_for(program, wrt, 0, seed.dtype, unit_seed=expr.shape == ())
    interpreted = interpret(sweep.plan, point, seed)
    generated = compile_sweep(sweep, sweep.source, sweep.env)(point, seed)
    assert interpreted.keys() == generated.keys() == {v.name for v in wrt}
    for key in interpreted:
        np.testing.assert_array_equal(interpreted[key], generated[key])
    first, second = sweep.run(point, seed), sweep.run(point, seed)  # interpreted, then compiled
    for key in interpreted:
        np.testing.assert_array_equal(first[key], interpreted[key])
        np.testing.assert_array_equal(second[key], interpreted[key])


def test_the_first_call_interprets_and_later_calls_run_the_generated_code(monkeypatch):
    expr = dc.sum(dc.tanh(W @ x))
    sweep = sweep_for(compile_program(expr), (W,), 0, np.dtype(np.float64), unit_seed=True)
    calls = []
    original = sweep_module.interpret
    monkeypatch.setattr(sweep_module, "interpret", lambda *a: calls.append(1) or original(*a))
    point = point_for(expr)
    for _ in range(3):
        sweep.run(point, unit(np.dtype(np.float64)))
    assert calls == [1]
    assert sweep.run.__name__ == "sweep" and sweep.run.__code__.co_filename.startswith("<diffcheck sweep")


def test_every_line_is_a_step_and_names_its_op():
    expr = 0.5 * dc.sum((dc.sigmoid(W @ x + c) - 1.0) ** 2)
    sweep = sweep_for(compile_program(expr), (W, c), 0, np.dtype(np.float64), unit_seed=True)
    steps = sweep.plan.steps
    kinds = {type(step) for step in steps}
    assert {Load, Forward, Edge, Free, Return} <= kinds and Seed not in kinds  # the seed is folded
    lines = sweep.source.splitlines()[1:]
    assert [line.strip() for line in lines] == [step.line() for step in steps]
    for step in steps:
        if isinstance(step, Forward):
            assert step.line().endswith(f"# {step.op}")
        if isinstance(step, Edge):
            assert step.line().endswith(f"# {step.op}, input {step.k}")
    assert "# matmul" in sweep.source and "# sigmoid, input 0" in sweep.source
    assert not any("sum" in line and "fwd" in line for line in lines)  # the loss is never computed


def test_a_seed_that_varies_is_a_step():
    expr = dc.tanh(W @ x)
    sweep = sweep_for(compile_program(expr), (x,), 1, np.dtype(np.float64))
    kinds = [type(step) for step in sweep.plan.steps]
    assert kinds.count(Seed) == 1 and kinds.index(Seed) < kinds.index(Edge)
    assert "g3 = seed" in sweep.source.replace(f"g{len(compile_program(expr).nodes) - 1} = seed", "g3 = seed")


def test_identical_sources_share_one_linecache_entry_and_it_goes_with_the_last_sweep():
    def build():
        expr = dc.sum(dc.exp(W @ x) * 3.0)  # a new expression each time, the same source
        dc.grad(expr, W, point_for(expr))
        dc.grad(expr, W, point_for(expr))  # the second call compiles
        (sweep,) = compile_program(expr)._sweeps.values()
        return expr, sweep.run.__code__.co_filename

    first, filename = build()
    second, again = build()
    assert again == filename and filename in linecache.cache
    assert "vjp" in "".join(linecache.getlines(filename))
    del first
    gc.collect()
    assert filename in linecache.cache  # the second expression still uses it
    del second
    gc.collect()
    assert filename in linecache.cache  # not from the collector: it may run inside checkcache
    other = dc.sum(dc.tanh(W @ x))
    dc.grad(other, W, point_for(other))
    dc.grad(other, W, point_for(other))  # the next compile drops it
    assert filename not in linecache.cache


def test_a_collection_inside_linecaches_own_loop_does_not_break_it(monkeypatch):
    """pdb and doctest call linecache.checkcache, whose loop over the cache can trigger a
    collection that finalizes sweeps; the entries it iterates must not vanish under it."""
    def build():
        expr = dc.sum(dc.sin(W @ x) * 5.0)
        dc.grad(expr, W, point_for(expr))
        dc.grad(expr, W, point_for(expr))
        return expr

    expr = build()
    original = linecache.cache.__class__

    class Collecting(original):
        def __getitem__(self, key):
            nonlocal expr
            expr = None
            gc.collect()  # the sweep's finalizer runs here, mid-loop
            return super().__getitem__(key)

    monkeypatch.setattr(linecache, "cache", Collecting(linecache.cache))
    linecache.checkcache()  # a KeyError here if the finalizer dropped an entry mid-loop
