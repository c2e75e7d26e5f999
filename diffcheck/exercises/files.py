"""Reading the files ``diffcheck grade`` is given: bounded, strict, one-line errors.

``load_json`` reads any JSON input with a bounded read and refuses what would be slow
or invalid (huge integers, lone surrogates); ``load_key`` reads an answer key written
by ``diffcheck exercises --solutions --format json`` (and refuses a student sheet,
which holds no solutions). Every problem is a ``UsageError`` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO

from diffcheck.exercises.model import Exercise

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_INT_DIGITS = 4300  # Python's default int/str conversion limit
KEY_WARNING = ("ANSWER KEY: holds every solution. Keep it private; never hand this file "
               "to students.")


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


def writes_unicode(out: TextIO) -> bool:
    """Whether ``out`` encodes all of Unicode; JSON for other streams is written as ASCII
    (``\\u2202``), which stays valid JSON where a replaced character would not."""
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    return encoding.startswith("utf")


def read_capped(path: str, max_bytes: int, where: str, error: type[Exception]) -> bytes:
    """The bytes of ``path``, refusing (as ``error``, naming ``where``) an unreadable file
    or one larger than ``max_bytes`` without reading more than one byte past it."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as problem:
        raise error(f"cannot read {where}: {problem.strerror or problem}") from None
    if len(raw) > max_bytes:
        raise error(f"{where} is larger than {max_bytes // (1024 * 1024)} MB")
    return raw


def load_json(path: str, what: str) -> Any:
    """The JSON value in ``path``; any problem with the file is a one-line ``UsageError``.

    At most ``MAX_FILE_BYTES`` are read (``/dev/zero`` or a FIFO has no size to check
    first), integers longer than ``MAX_INT_DIGITS`` are refused before Python converts
    them, and text that is not valid Unicode (a lone surrogate escape) is refused.
    """
    where = f"{what} {path!r}"
    raw = read_capped(path, MAX_FILE_BYTES, where, UsageError)
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_int=_bounded_int)
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{where} is not valid JSON: {error.msg} at line {error.lineno}, "
                         f"column {error.colno}") from None
    except _TooManyDigits as error:
        raise UsageError(f"{where} holds an integer with {error.digits} digits; at most "
                         f"{MAX_INT_DIGITS} are accepted") from None
    except RecursionError:
        raise UsageError(f"{where} is nested too deeply") from None
    _require_unicode(data, where)
    return data


class _TooManyDigits(ValueError):
    """An integer literal too long to convert (its digit count is in the message)."""

    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _bounded_int(text: str) -> int:
    """A JSON integer, refused beyond ``MAX_INT_DIGITS`` digits (Python's own limit is a
    ValueError deep inside ``json``, and the conversion time grows with the square)."""
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _TooManyDigits(digits)
    return int(text)


def _require_unicode(data: Any, where: str) -> None:
    """Refuse text holding a lone surrogate (``"\\ud800"`` is valid JSON, not valid text)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        bad = error.object[error.start:error.end]
        raise UsageError(f"{where} holds text that is not valid Unicode (a lone surrogate "
                         f"{bad!r})") from None


@dataclass
class Key:
    """An answer key: the shared exercises, or each student's own (``students``)."""

    exercises: list[Exercise]
    students: dict[str, list[Exercise]] = field(default_factory=dict)
    title: str = ""

    def for_student(self, name: str) -> list[Exercise] | None:
        """The exercises ``name`` answers: their own with a roster, else the shared ones."""
        if self.students:
            return self.students.get(name)
        return self.exercises

    @property
    def ids(self) -> list[str]:
        """Every exercise id, in sheet order (the gradebook's columns)."""
        out: list[str] = []
        for group in [self.exercises, *self.students.values()]:
            out += [ex.id for ex in group if ex.id not in out]
        return out


def _exercise_list(entries: Any, path: str, where: str) -> list[Exercise]:
    if not isinstance(entries, list):
        raise UsageError(f"exercises file {path!r}: {where} must be a list of exercises")
    exercises, seen = [], set()
    for number, entry in enumerate(entries, 1):
        if isinstance(entry, dict) and "parts" in entry and not any(
                "solution" in p for p in entry["parts"] if isinstance(p, dict)):
            raise UsageError(f"{path!r} is a student sheet (it holds no solutions); grade with "
                             "the key written by 'diffcheck exercises --solutions --format json'")
        try:
            exercise = Exercise.from_dict(entry)
            exercise.grading_context  # noqa: B018 - points and solution values: fail at load, not per answer
        except (ValueError, TypeError, KeyError, ArithmeticError, RecursionError) as error:
            raise UsageError(f"exercises file {path!r}, {where} exercise {number}: {error}") from None
        if exercise.id in seen:
            raise UsageError(f"exercises file {path!r}: duplicate id {exercise.id[:60]!r}")
        seen.add(exercise.id)
        exercises.append(exercise)
    return exercises


def load_key(path: str) -> Key:
    """The answer key in ``path`` (``{"exercises": [...]}``, and ``"students"`` for a roster)."""
    data = load_json(path, "exercises file")
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise UsageError(f"exercises file {path!r} must be an object {{\"exercises\": [...]}}")
    if data.get("sheet") is True:
        raise UsageError(f"{path!r} is a student sheet (it holds no solutions); grade with the "
                         "key written by 'diffcheck exercises --solutions --format json'")
    key = Key(_exercise_list(data["exercises"], path, "the"))
    students = data.get("students", {})
    if not isinstance(students, dict):
        raise UsageError(f"exercises file {path!r}: 'students' must map names to exercise lists")
    for name, entries in students.items():
        key.students[name] = _exercise_list(entries, path, f"student {name[:40]!r}:")
    title = data.get("title", "")
    key.title = title if isinstance(title, str) else ""
    return key


def load_exercises(path: str) -> list[Exercise]:
    """Exercises from a JSON file written by ``diffcheck exercises --solutions --format json``."""
    return load_key(path).exercises
