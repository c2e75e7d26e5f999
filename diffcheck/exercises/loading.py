"""Strict checking of an exercise's JSON form before ``Exercise`` is built from it.

``EXERCISES.json`` may come from anywhere, so every field is type-checked here and a
problem is a ``ValueError`` naming the field (the CLI prints it as one line).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from diffcheck.exercises.model import FORMAT_VERSION, Part

MAX_ELEMENTS = 10_000
MAX_TEXT = 400_000  # characters of solution and definition text in one exercise
_BLOCK_KINDS = ("p", "math", "code", "items")
_LAYOUTS = ("", "numerator", "denominator")


def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ValueError(f"{where}: missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ValueError(f"{where}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > 6 or not all(
        isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 1000 for n in value
    ):
        raise ValueError(f"{where}: a shape must be a list of up to 6 positive ints")
    shape = tuple(value)
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{where}: shape {shape} has too many elements")
    return shape


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _blocks(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of blocks")
    out = []
    for block in value:
        if (not isinstance(block, list) or len(block) != 2 or block[0] not in _BLOCK_KINDS
                or not isinstance(block[1], str)):
            raise ValueError(f"{where}: each block must be [kind, text] with kind in {_BLOCK_KINDS}")
        out.append((block[0], block[1]))
    return tuple(out)


def _part(data: Any, where: str) -> Part:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object")
    claim = data.get("claim")
    if claim is not None:
        if (not isinstance(claim, list) or len(claim) != 3 or not isinstance(claim[0], str)
                or not isinstance(claim[1], str) or not isinstance(claim[2], int)):
            raise ValueError(f"{where}: field 'claim' must be [output, wrt, out_ndim] or null")
        claim = (claim[0], claim[1], claim[2])
    layout = data.get("layout", "")
    if layout not in _LAYOUTS:
        raise ValueError(f"{where}: field 'layout' must be one of {_LAYOUTS}")
    batch = data.get("batch", 0)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 0:
        raise ValueError(f"{where}: field 'batch' must be a non-negative int")
    return Part(
        key=_need(data, "key", str, where), title=_need(data, "title", str, where),
        tex=_need(data, "tex", str, where), shape=_shape(data.get("shape"), where),
        labels=_strings(data.get("labels"), f"{where} labels"),
        solution_text=_strings(data.get("solution"), f"{where} solution"),
        layout=layout, transpose_note=str(data.get("transpose_note", "")), claim=claim,
        batch=batch,
    )


def _named(value: Any, where: str, with_texts: bool) -> tuple:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    out = []
    for entry in value:
        size = 3 if with_texts else 2
        if not isinstance(entry, list) or len(entry) != size or not isinstance(entry[0], str):
            raise ValueError(f"{where}: malformed entry")
        shape = _shape(entry[1], where)
        if with_texts:
            texts = _strings(entry[2], where)
            if len(texts) != math.prod(shape):
                raise ValueError(f"{where}: {entry[0]!r} needs {math.prod(shape)} definitions")
            out.append((entry[0], shape, texts))
        else:
            out.append((entry[0], shape))
    return tuple(out)


def _given(entries: list, shapes: Mapping[str, tuple[int, ...]], where: str) -> tuple:
    """The given values: one exact, finite real number per element of a variable.

    Answers are graded at these values in floating point, so a value beyond float64
    (``1e300*1e300``) is refused here rather than making every grade meaningless.
    """
    given = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str):
            raise ValueError(f"{where}: malformed 'given' entry")
        name, texts = entry[0], _strings(entry[1], where)
        if name not in shapes:
            raise ValueError(f"{where}: 'given' names {name[:40]!r}, which is not a variable")
        if len(texts) != math.prod(shapes[name]):
            raise ValueError(f"{where}: 'given' has {len(texts)} values for {name!r}, which has "
                             f"{math.prod(shapes[name])} elements")
        for number, text in enumerate(texts, 1):
            _given_value(text, f"{where}: given value {number} of {name!r}")
        given.append((name, texts))
    return tuple(given)


def _given_value(text: str, where: str) -> None:
    from diffcheck.errors import ParseError
    from diffcheck.exercises.symtext import TEXT_LIMITS
    from diffcheck.parsing import parse

    try:
        value = parse(text, {}, limits=TEXT_LIMITS)
    except ParseError as error:
        raise ValueError(f"{where} ({text[:40]!r}) cannot be read: {error}") from None
    number = float(value) if getattr(value, "is_number", False) and value.is_real else None
    if number is None or not math.isfinite(number):
        raise ValueError(f"{where} ({text[:40]!r}) is not a finite real number in floating point")


def exercise_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``Exercise`` from its JSON form; ValueError names a bad field."""
    if not isinstance(data, Mapping):
        raise ValueError(f"an exercise must be a JSON object, got {type(data).__name__}")
    where = f"exercise {str(data.get('id', '?'))[:60]!r}"
    version = data.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"{where}: unsupported format version {version!r}")
    from diffcheck.exercises.kinds import KINDS

    kind = _need(data, "kind", str, where)
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown kind {kind[:40]!r}; kinds are {', '.join(KINDS)}")
    parts = _need(data, "parts", list, where)
    if not parts:
        raise ValueError(f"{where}: an exercise needs at least one part")
    variables = _named(data.get("variables"), f"{where} variables", False)
    given = _given(_need(data, "given", list, where), dict(variables), where)
    seed = _need(data, "seed", int, where)
    if seed < 0:
        raise ValueError(f"{where}: field 'seed' must be a non-negative int, got {seed}")
    tolerances = [_need(data, k, (int, float), where) for k in ("rtol", "atol")]
    if not all(math.isfinite(t) and 0 <= t < 1 for t in tolerances):
        raise ValueError(f"{where}: rtol and atol must be in [0, 1)")
    parts = tuple(_part(p, f"{where} part {i}") for i, p in enumerate(parts))
    intermediates = _named(data.get("intermediates", []), f"{where} intermediates", True)
    text = sum(len(t) for p in parts for t in p.solution_text) + sum(
        len(t) for _, _, texts in intermediates for t in texts)
    if text > MAX_TEXT:
        raise ValueError(f"{where}: the solution text is too long ({text} characters)")
    return {
        "id": _need(data, "id", str, where), "kind": kind,
        "seed": seed, "level": _need(data, "level", int, where),
        "title": _need(data, "title", str, where),
        "blocks": _blocks(data.get("blocks"), f"{where} blocks"),
        "worked": _blocks(data.get("worked"), f"{where} worked"),
        "variables": variables,
        "intermediates": intermediates,
        "given": tuple(given), "rtol": float(tolerances[0]), "atol": float(tolerances[1]),
        "parts": parts,
    }
