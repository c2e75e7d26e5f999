"""A class's answers: from JSON files, a directory of them, or one CSV, one entry per student.

- a JSON file maps exercise ids to answers; the student is the file's stem
  (``answers/ann.json`` is ``ann``); an optional ``"variant"`` entry names the key's
  variant to grade against (for ``--variants N`` sheets);
- a directory holds one such file per student (``*.json``; ``*.csv`` files are read too);
- a CSV has the columns ``student,id,answer`` (a header row is optional); an answer
  cell holding a JSON list, object or string (``[[1, 0], [0, 1]]``, ``{"dz_dx": ...}``)
  is read as JSON, any other cell as text, and an empty cell is "no answer".

Nothing here aborts for one student's file: a file that cannot be read becomes a
submission with no answers and a warning, which the gradebook and feedback show.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diffcheck.exercises.files import MAX_FILE_BYTES, UsageError, load_json

SUFFIXES = (".json", ".csv")
MAX_SUBMISSIONS = 5000


@dataclass
class Submission:
    """One student's answers (``None`` when their file could not be read) and warnings."""

    student: str
    answers: dict[str, Any] | None
    sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    variant: str | None = None


def collect(paths: list[str]) -> list[Submission]:
    """Every student's submission from ``paths`` (files and directories), in name order.

    Raises ``UsageError`` only when a path given on the command line does not exist or a
    directory holds no answer file: then nothing at all could be graded.
    """
    found: dict[str, Submission] = {}
    for path in paths:
        if os.path.isdir(path):
            files = sorted(p for p in Path(path).iterdir()
                           if p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
            if not files:
                raise UsageError(f"directory {path!r} holds no answer file (*.json or *.csv)")
            for file in files:
                _add(found, _read(str(file)))
        elif os.path.exists(path) or path.startswith("/dev/"):
            _add(found, _read(path))
        else:
            raise UsageError(f"cannot read answers {path!r}: no such file or directory")
        if len(found) > MAX_SUBMISSIONS:
            raise UsageError(f"more than {MAX_SUBMISSIONS} students")
    return [found[name] for name in sorted(found)]


def _add(found: dict[str, Submission], new: list[Submission]) -> None:
    for sub in new:
        old = found.get(sub.student)
        if old is None:
            found[sub.student] = sub
            continue
        old.warnings += sub.warnings
        old.sources += sub.sources
        if sub.answers is not None:
            if old.answers is None:
                old.answers = {}
            twice = sorted(set(old.answers) & set(sub.answers))
            if twice:
                old.warnings.append(f"answers to {', '.join(twice[:5])} were given twice; the "
                                    f"ones in {sub.sources[-1]} are graded")
            old.answers.update(sub.answers)
        old.variant = sub.variant or old.variant


def _read(path: str) -> list[Submission]:
    if path.lower().endswith(".csv"):
        return _read_csv(path)
    student = Path(path).stem
    try:
        data = load_json(path, "answers file")
    except UsageError as error:
        return [Submission(student, None, [path], [str(error)])]
    if not isinstance(data, dict):
        return [Submission(student, None, [path], [
            f"answers file {path!r} must be an object mapping exercise ids to answers"])]
    variant = data.pop("variant", None)
    sub = Submission(student, data, [path])
    if variant is not None:
        if isinstance(variant, str):
            sub.variant = variant
        else:
            sub.warnings.append("the 'variant' entry must be a string; ignored")
    return [sub]


def _read_csv(path: str) -> list[Submission]:
    """Submissions from a ``student,id,answer`` CSV; a bad row is a warning for its student."""
    stem = Path(path).stem
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise UsageError(f"answers file {path!r} is larger than 20 MB")
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except OSError as error:
        return [Submission(stem, None, [path], [f"cannot read answers file {path!r}: "
                                                f"{error.strerror or error}"])]
    except UnicodeDecodeError:
        return [Submission(stem, None, [path], [f"answers file {path!r} is not UTF-8 text"])]
    except (UsageError, csv.Error) as error:
        return [Submission(stem, None, [path], [f"answers file {path!r}: {error}"])]
    rows = [r for r in rows if any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:3]] == ["student", "id", "answer"]:
        rows = rows[1:]
    found: dict[str, Submission] = {}
    for number, row in enumerate(rows, 1):
        if len(row) < 2 or not row[0].strip():
            sub = found.setdefault("?", Submission("?", {}, [path]))
            sub.warnings.append(f"{path}, row {number}: expected student,id,answer")
            continue
        student, exercise_id = row[0].strip(), row[1].strip()
        sub = found.setdefault(student, Submission(student, {}, [path]))
        cell = ",".join(row[2:]) if len(row) > 3 else (row[2] if len(row) == 3 else "")
        if exercise_id == "variant":
            sub.variant = cell.strip()
        elif sub.answers is not None and exercise_id in sub.answers:
            sub.warnings.append(f"{path}, row {number}: a second answer to {exercise_id[:60]!r}; "
                                "this one is graded")
            sub.answers[exercise_id] = _cell(cell)
        elif sub.answers is not None:
            sub.answers[exercise_id] = _cell(cell)
    return list(found.values())


def _cell(text: str) -> Any:
    """A CSV answer cell: JSON for a list, object or quoted string, ``None`` when empty,
    else the text."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] in "[{\"":
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            return stripped
    return stripped
