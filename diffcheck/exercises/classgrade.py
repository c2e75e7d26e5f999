"""Grade a class: every submission against the key, a gradebook CSV and feedback files.

One student's problems never stop the class: an unreadable file, an unknown exercise id,
a student missing from the key's roster or an unreadable answer is a warning in that
student's feedback and in the gradebook's ``warnings`` column. Large classes get a
progress line on stderr every tenth of the way; an overall time budget stops grading
cleanly (the rest are marked "not graded") with one message saying so.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from diffcheck.exercises.keyed import file_stem

if TYPE_CHECKING:
    from diffcheck.exercises.equivalence import SymbolicChecker
    from diffcheck.exercises.files import Key
    from diffcheck.exercises.grading import Grade
    from diffcheck.exercises.model import Exercise
    from diffcheck.exercises.submissions import Submission

PROGRESS_MIN = 10  # classes of this many students or more report progress
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula injection


@dataclass
class StudentResult:
    """One student's grades (``None`` for no answer), warnings and whether all was graded."""

    student: str
    grades: list[tuple[Exercise, Grade | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    out_of: int = 0
    graded: bool = True

    @property
    def total(self) -> float:
        return sum(g.score for _, g in self.grades if g is not None)

    @property
    def right(self) -> int:
        return sum(1 for _, g in self.grades if g is not None and g.correct)


def grade_student(sub: Submission, key: Key, checker: SymbolicChecker, symbolic: str,
                  deadline: float) -> StudentResult:
    """Grade one submission; warnings for everything that is not a plain answer."""
    result = StudentResult(sub.student, warnings=list(sub.warnings))
    name = sub.variant or sub.student
    exercises = key.for_student(name)
    if exercises is None:
        where = f"variant {name[:40]!r}" if sub.variant else f"student {name[:40]!r}"
        result.warnings.append(f"{where} is not in the key's roster; nothing was graded")
        result.out_of = len(key.ids)
        return result
    result.out_of = len(exercises)
    answers = sub.answers or {}
    ids = {ex.id for ex in exercises}
    unknown = [str(k)[:60] for k in answers if k not in ids]
    if unknown:
        result.warnings.append(f"unknown exercise id(s) {', '.join(map(repr, unknown[:5]))}"
                               f"{' ...' if len(unknown) > 5 else ''} (not graded; the ids are "
                               f"{', '.join(sorted(ids)[:9])})")
    for ex in exercises:
        if time.monotonic() > deadline:
            result.graded = False
            result.grades.append((ex, None))
            continue
        answer = answers.get(ex.id)
        if answer is None:
            result.grades.append((ex, None))
            continue
        graded = ex.grade(answer, symbolic=symbolic, checker=checker)
        unread = [p.key for p in ex.parts if all(
            e.status == "invalid" for e in graded.elements if e.part == p.key)]
        if unread:
            which = "" if len(ex.parts) == 1 else f" (part {', '.join(unread)})"
            result.warnings.append(f"{ex.id}: the answer could not be read{which}; see its "
                                   "feedback")
        result.grades.append((ex, graded))
    if not result.graded:
        result.warnings.append("not all graded: the time budget ran out")
    return result


def grade_class(subs: list[Submission], key: Key, *, symbolic: str, budget: float,
                progress: TextIO | None) -> tuple[list[StudentResult], bool]:
    """Every student's result, and whether everything was graded within ``budget`` seconds."""
    from diffcheck.exercises.equivalence import SymbolicChecker

    start = time.monotonic()
    deadline = start + budget
    results, step = [], max(1, -(-len(subs) // 10))
    with SymbolicChecker() as checker:
        for number, sub in enumerate(subs, 1):
            results.append(grade_student(sub, key, checker, symbolic, deadline))
            if progress is not None and len(subs) >= PROGRESS_MIN and (
                    number % step == 0 or number == len(subs)):
                progress.write(f"graded {number} of {len(subs)} students "
                               f"({time.monotonic() - start:.1f} s)\n")
                progress.flush()
    return results, all(r.graded for r in results)


# ----- output -----
def feedback_text(result: StudentResult) -> str:
    """One student's feedback: warnings first, then each exercise, then the total."""
    lines = []
    if result.warnings:
        lines.append("Warnings:")
        lines += [f"- {w}" for w in result.warnings]
        lines.append("")
    for ex, g in result.grades:
        verdict = "no answer" if g is None else ("correct" if g.correct else "incorrect")
        lines.append(f"## {ex.id}: {verdict} (score {0.0 if g is None else g.score:.2f})")
        lines.append("No answer." if g is None else g.feedback)
        lines.append("")
    lines.append(f"Total: {result.total:.2f} / {result.out_of}; {result.right} of "
                 f"{result.out_of} exercises correct.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def write_gradebook(path: str, results: list[StudentResult], ids: list[str]) -> None:
    """One row per student: a column per exercise id (score 0–1, empty if not on their
    sheet), the total, the number of exercises, and the warnings."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *ids, "total", "out_of", "warnings"])
        for result in results:
            scores = {ex.id: (0.0 if g is None else g.score) for ex, g in result.grades}
            writer.writerow([_cell(result.student),
                             *(f"{scores[i]:.3f}" if i in scores else "" for i in ids),
                             f"{result.total:.3f}", result.out_of,
                             _cell(" | ".join(" ".join(w.split()) for w in result.warnings))])


def write_feedback(directory: str, results: list[StudentResult]) -> list[str]:
    """``DIR/<student>.txt`` for every student (names made safe for file names)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for result in results:
        stem, k = file_stem(result.student), 1
        while stem.lower() in used:
            k += 1
            stem = f"{file_stem(result.student)}-{k}"
        used.add(stem.lower())
        path = folder / f"{stem}.txt"
        path.write_text(f"# Feedback for {result.student}\n\n" + feedback_text(result),
                        encoding="utf-8")
        written.append(str(path))
    return written
