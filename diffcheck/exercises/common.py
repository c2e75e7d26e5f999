"""What every family of exercises shares: seeded streams, drafts, labels and answer help.

A family's generator draws its problem from a ``numpy.random.Generator`` and returns
a :class:`Draft`: the prompt blocks, the parts with their SymPy solutions (derived by
``dc.symbolic_jacobian``, never typed) and, for the tests, a tape-based reference
per part. :func:`finish` turns a draft into an immutable ``Exercise``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

import diffcheck as dc
from diffcheck.checking.report import partial_name
from diffcheck.checking.tolerances import EXERCISE_DECIMALS, EXERCISE_GRADING
from diffcheck.exercises.model import Exercise, Part, Shape, texts_of
from diffcheck.exercises.render import Block
from diffcheck.exercises.symtext import to_latex, to_text
from diffcheck.symbols import element_name, indices

SYMBOLIC_TOLERANCE = EXERCISE_GRADING
NUMERIC_TOLERANCE = EXERCISE_DECIMALS  # decimals typed from a calculator: 4 significant digits
FUNCTIONS_HELP = "`sigmoid`, `exp`, `log`, `tanh`, `sqrt`, `sin`, `cos`"


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The problem stream and the grading-points stream of ``seed`` (independent)."""
    problem, grading = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(problem), np.random.default_rng(grading)


@dataclass
class DraftPart:
    """A part before it is frozen: the SymPy solution and, for tests, a tape reference."""

    key: str
    title: str
    tex: str
    solution: Any
    labels: tuple[str, ...]
    layout: str = ""
    transpose_note: str = ""
    claim: tuple[str, str, int] | None = None
    batch: int = 0
    reference: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None


@dataclass
class Draft:
    """A family generator's output; ``given`` maps variables to exact values (or is empty)."""

    title: str
    blocks: list[Block]
    worked: list[Block]
    variables: dict[str, Shape]
    parts: list[DraftPart]
    intermediates: list[tuple[str, dc.Expr]] = field(default_factory=list)
    given: dict[str, np.ndarray] = field(default_factory=dict)
    tolerance: tuple[float, float] = SYMBOLIC_TOLERANCE


def finish(exercise_id: str, kind: str, seed: int, level: int, draft: Draft) -> Exercise:
    """Freeze a draft: solutions and definitions become parser text."""
    parts = tuple(
        Part(key=p.key, title=p.title, tex=p.tex, shape=_shape_of(p.solution), labels=p.labels,
             solution_text=texts_of(p.solution), layout=p.layout,
             transpose_note=p.transpose_note, claim=p.claim, batch=p.batch)
        for p in draft.parts
    )
    intermediates = tuple(
        (name, expr.shape, texts_of(dc.to_sympy(expr))) for name, expr in draft.intermediates
    )
    given = tuple(
        (name, tuple(to_text(sp.Rational(str(v))) for v in np.ravel(values)))
        for name, values in sorted(draft.given.items())
    )
    return Exercise(
        id=exercise_id, kind=kind, seed=seed, level=level, title=draft.title,
        blocks=tuple(draft.blocks), worked=tuple(draft.worked),
        variables=tuple(sorted(draft.variables.items())), parts=parts,
        intermediates=intermediates, given=given,
        rtol=draft.tolerance[0], atol=draft.tolerance[1],
    )


def _shape_of(value: Any) -> Shape:
    if isinstance(value, (sp.MatrixBase, sp.NDimArray)):
        return tuple(int(n) for n in value.shape)
    return ()


# ----- derivatives, pieces of them, and their element names -----
def as_array(value: Any) -> np.ndarray:
    """A SymPy scalar, Matrix or Array as an object ndarray of its shape."""
    if isinstance(value, (sp.MatrixBase, sp.NDimArray)):
        shape = _shape_of(value)
        return np.array(sp.flatten(value.tolist()), dtype=object).reshape(shape)
    return np.array(value, dtype=object)


def as_sympy(array: np.ndarray) -> Any:
    """An object ndarray as a scalar, an ``ImmutableMatrix`` (2-D) or an immutable Array."""
    if array.ndim == 0:
        return array[()]
    if array.ndim == 2:
        return sp.ImmutableMatrix(array.tolist())
    return sp.ImmutableDenseNDimArray(list(array.ravel()), array.shape)


def jacobian_labels(output: str, wrt: str, out_shape: Shape, wrt_shape: Shape,
                    layout: str = "numerator") -> tuple[str, ...]:
    """``∂y[i]/∂x[j]`` for every element of the Jacobian in ``layout``, C order."""
    out_nd = len(out_shape)
    if layout == "numerator":
        shape = out_shape + wrt_shape
        return tuple(partial_name(output, wrt, ix, out_nd) for ix in indices(shape))
    shape = wrt_shape + out_shape
    k = len(wrt_shape)
    return tuple(partial_name(output, wrt, ix[k:] + ix[:k], out_nd) for ix in indices(shape))


def substitute_names(expr: Any, subs: list[tuple[sp.Expr, sp.Symbol]]) -> Any:
    """Rewrite a derivative with intermediate names (``Wx + b`` → ``z[0]``) for readability.

    ``subs`` pairs each intermediate's definition with its symbol. Each definition and
    its negation (SymPy distributes the sign of ``exp(-(Wx + b))`` into the sum) are
    replaced where they occur as whole sub-expressions, so the result is equal by
    construction; an occurrence in another form is simply left as it is.
    """
    mapping: dict[sp.Expr, sp.Expr] = {}
    for definition, symbol in subs:
        mapping[definition] = symbol
        mapping.setdefault(-definition, -symbol)
    if isinstance(expr, np.ndarray):
        return np.vectorize(lambda e: e.xreplace(mapping), otypes=[object])(expr)
    return expr.xreplace(mapping)


def element_subs(name: str, expr: dc.Expr) -> list[tuple[sp.Expr, sp.Symbol]]:
    """(definition, symbol) pairs for every element of the intermediate ``name = expr``."""
    from diffcheck.symbols import element_symbol

    values = as_array(dc.to_sympy(expr)).reshape(expr.shape)
    return [(values[ix], element_symbol(name, ix)) for ix in indices(expr.shape)]


def tape_reference(y: dc.Expr, wrt: str, select: Callable[[np.ndarray], np.ndarray] = lambda j: j
                   ) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """A test reference: the tape's Jacobian at a point, then ``select`` (slice, layout)."""
    def reference(point: Mapping[str, np.ndarray]) -> np.ndarray:
        names = {v for v in _variable_names(y)}
        return select(dc.jacobian(y, wrt, {k: v for k, v in point.items() if k in names}))

    return reference


def _variable_names(y: dc.Expr) -> list[str]:
    from diffcheck.ir import variables

    return sorted(variables(y))


# ----- prompt text -----
def dims(shape: Shape) -> str:
    """``4×3`` (or ``3`` for a vector, ``scalar`` for ``()``)."""
    return "×".join(map(str, shape)) if shape else "scalar"


def tex_dims(shape: Shape) -> str:
    return r" \times ".join(map(str, shape)) if shape else "1"


def layout_sentence(layout: str, output: str, wrt: str, out_shape: Shape, wrt_shape: Shape) -> str:
    """States the layout convention and the resulting shape, explicitly."""
    y, x = _letter(output), _letter(wrt)
    if layout == "numerator":
        shape = out_shape + wrt_shape
        return (f"Use **numerator layout**: the axes of ${output}$ come first, so entry "
                f"`[i, j]` is $\\partial {y}_i / \\partial {x}_j$ and the answer has shape "
                f"{dims(shape)} (one row per element of ${output}$).")
    shape = wrt_shape + out_shape
    return (f"Use **denominator layout**: the axes of ${wrt}$ come first, so entry `[i, j]` is "
            f"$\\partial {y}_j / \\partial {x}_i$ and the answer has shape {dims(shape)} "
            f"(one row per element of ${wrt}$).")


def _letter(tex: str) -> str:
    """``\\mathbf{y}`` → ``y``: the element letter of a bold vector."""
    return tex.replace("\\mathbf{", "").replace("}", "")


def answer_help(draft_parts: list[DraftPart], variables: Mapping[str, Shape],
                intermediates: list[tuple[str, str]], numeric: bool = False) -> list[Block]:
    """The "how to type an answer" blocks: format per part, names, functions."""
    lines = []
    for part in draft_parts:
        shape = _shape_of(part.solution)
        prefix = f"`{part.key}` ({part.title}): " if len(draft_parts) > 1 else ""
        lines.append(prefix + _format_words(shape))
    text = "**How to answer.** "
    if len(draft_parts) > 1:
        keys = ", ".join(f'"{p.key}": ...' for p in draft_parts)
        text += (f"Give one answer per part, as a JSON object / Python dict `{{{keys}}}`; "
                 "each part is typed as listed below.")
    else:
        text += lines[0]
        lines = []
    names = ", ".join(f"`{n}` ({dims(s)})" for n, s in sorted(variables.items()))
    if any(variables.values()):
        names += (". Elements use 0-based indices in square brackets: "
                  + _example_names(variables))
    items = lines + [f"Variables: {names}."]
    if intermediates:
        items.append("You may also use " + "; ".join(f"`{n}` for {d}" for n, d in intermediates)
                     + ("" if not any(variables.values()) else " (elements by index, as above)")
                     + "; they are replaced by their definitions when grading.")
    if numeric:
        items.append("Give numbers: exact expressions such as `exp(-1)/2` or decimals with at "
                     "least 4 significant digits (relative error at most 0.1%).")
    items.append(f"Functions: {FUNCTIONS_HELP}; `*` multiplies and `**` (or `^`) is a power.")
    return [("p", text), ("items", "\n".join(items))]


def _format_words(shape: Shape) -> str:
    if not shape:
        return "Type one expression."
    if len(shape) == 1:
        return f"Type a list of {shape[0]} entries, `[..., ...]`."
    if len(shape) == 2:
        rows = f"{shape[0]} rows" if shape[0] > 1 else "1 row"
        return (f"Type a nested list of {rows} with {shape[1]} entries each, "
                "`[[..., ...], [..., ...]]`.")
    return (f"Type a nested list of shape {dims(shape)}: {shape[0]} blocks, each a list of "
            f"{shape[1]} rows with {shape[2]} entries, `[[[...]], [[...]]]`.")


def _example_names(variables: Mapping[str, Shape]) -> str:
    examples = []
    for name, shape in sorted(variables.items()):
        if len(shape) == 2:
            i, j = min(1, shape[0] - 1), min(2, shape[1] - 1)
            examples.append(f"`{element_name(name, (i, j))}` is row {i}, column {j} of {name}")
        elif len(shape) == 1:
            examples.append(f"`{element_name(name, (0,))}` is the first entry of {name}")
    return "; ".join(examples[:2])


def display(tex_lhs: str, value: Any) -> Block:
    """A displayed equation ``lhs = value`` with element names as subscripts."""
    return ("math", f"{tex_lhs} = {to_latex(value)}")
