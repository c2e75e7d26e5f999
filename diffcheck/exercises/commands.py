"""The ``diffcheck exercises`` and ``diffcheck grade`` commands (wired up in ``diffcheck.cli``).

Both return an exit code: 0 ok (all answers correct), 1 some answer is wrong or
missing, 2 bad usage or bad input, reported as one line on stderr (``UsageError``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, TextIO

from diffcheck.exercises import render
from diffcheck.exercises.kinds import KINDS, TABLE
from diffcheck.exercises.model import Exercise

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_INT_DIGITS = 4300  # Python's default int/str conversion limit
MAX_COUNT = 1000
FORMATS = ("md", "tex", "json")


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``exercises`` and ``grade`` to the CLI's subcommands."""
    ex = commands.add_parser(
        "exercises", help="generate seeded matrix-calculus exercises",
        description="Generate exercises; the same kind and seed give the same exercise anywhere.")
    ex.add_argument("--kind", action="append", metavar="K",
                    help=f"exercise kind, repeatable, or 'all' (default); one of: {', '.join(KINDS)}")
    ex.add_argument("--count", type=int, default=1, metavar="N", help="exercises per kind (default 1)")
    ex.add_argument("--seed", type=int, default=0, metavar="S",
                    help="seed of the first exercise; the next ones use S+1, S+2, ... (default 0)")
    ex.add_argument("--level", type=int, default=None, metavar="L",
                    help="difficulty level (default: chosen by each seed)")
    ex.add_argument("--solutions", action="store_true", help="include solutions (md and tex)")
    ex.add_argument("--format", choices=FORMATS, default="md",
                    help="md (default), tex (a LaTeX document) or json (input of 'grade')")
    grade = commands.add_parser(
        "grade", help="grade answers to exercises",
        description="Grade ANSWERS.json (id -> answer) against EXERCISES.json "
                    "(as written by 'diffcheck exercises --format json').")
    grade.add_argument("exercises_file", metavar="EXERCISES.json")
    grade.add_argument("answers_file", metavar="ANSWERS.json")
    grade.add_argument("--symbolic", choices=("auto", "always", "never"), default="auto",
                       help="symbolic check: where numbers are inconclusive (auto), for every "
                            "agreeing element too (always), or never")
    grade.add_argument("--format", choices=("text", "json"), default="text", dest="output",
                       help="text (default) or json results")


def _kinds(requested: Sequence[str] | None) -> list[str]:
    kinds: list[str] = []
    for kind in requested or ["all"]:
        for name in (KINDS if kind == "all" else [kind]):
            if name not in TABLE:
                raise UsageError(f"unknown kind {kind[:40]!r}; choose from: all, {', '.join(KINDS)}")
            if name not in kinds:
                kinds.append(name)
    return kinds


def run_exercises(args: argparse.Namespace, out: TextIO) -> int:
    """``diffcheck exercises``: print exercises as Markdown, LaTeX or JSON."""
    kinds = _kinds(args.kind)
    if not 1 <= args.count <= MAX_COUNT:
        raise UsageError(f"--count must be between 1 and {MAX_COUNT}, got {args.count}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.level is not None:
        for kind in kinds:
            if not 1 <= args.level <= TABLE[kind].levels:
                raise UsageError(f"--level {args.level} is out of range for {kind} "
                                 f"(levels 1..{TABLE[kind].levels})")
    from diffcheck.exercises import generate

    exercises = [generate(kind, args.seed + i, args.level) for kind in kinds
                 for i in range(args.count)]
    if args.format == "json":
        json.dump({"exercises": [ex.to_dict() for ex in exercises]}, out, indent=1,
                  ensure_ascii=not _writes_unicode(out))
        out.write("\n")
    elif args.format == "tex":
        body = "\n\\bigskip\\hrule\\bigskip\n\n".join(
            ex.render("tex", solutions=args.solutions) for ex in exercises)
        out.write(render.tex_document(body))
    else:
        out.write("\n---\n\n".join(ex.render("md", solutions=args.solutions) for ex in exercises))
    return 0


def _writes_unicode(out: TextIO) -> bool:
    """Whether ``out`` encodes all of Unicode; JSON for other streams is written as ASCII
    (``\\u2202``), which stays valid JSON where a replaced character would not."""
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    return encoding.startswith("utf")


def _load_json(path: str, what: str) -> Any:
    """The JSON value in ``path``; any problem with the file is a one-line ``UsageError``.

    At most ``MAX_FILE_BYTES`` are read (``/dev/zero`` or a FIFO has no size to check
    first), integers longer than ``MAX_INT_DIGITS`` are refused before Python converts
    them, and text that is not valid Unicode (a lone surrogate escape) is refused.
    """
    where = f"{what} {path!r}"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read {where}: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"{where} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
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


def load_exercises(path: str) -> list[Exercise]:
    """Exercises from a JSON file written by ``diffcheck exercises --format json``."""
    data = _load_json(path, "exercises file")
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise UsageError(f"exercises file {path!r} must be an object {{\"exercises\": [...]}}")
    exercises, seen = [], set()
    for number, entry in enumerate(data["exercises"], 1):
        try:
            exercise = Exercise.from_dict(entry)
            exercise.grading_context  # noqa: B018 - points and solution values: fail at load, not per answer
        except (ValueError, TypeError, KeyError, ArithmeticError, RecursionError) as error:
            raise UsageError(f"exercises file {path!r}, exercise {number}: {error}") from None
        if exercise.id in seen:
            raise UsageError(f"exercises file {path!r}: duplicate id {exercise.id[:60]!r}")
        seen.add(exercise.id)
        exercises.append(exercise)
    return exercises


def run_grade(args: argparse.Namespace, out: TextIO) -> int:
    """``diffcheck grade``: per-exercise feedback and a total; 0 only if all are correct."""
    from diffcheck.exercises.equivalence import SymbolicChecker

    exercises = load_exercises(args.exercises_file)
    answers = _load_json(args.answers_file, "answers file")
    if not isinstance(answers, dict):
        raise UsageError(f"answers file {args.answers_file!r} must be an object mapping "
                         "exercise ids to answers")
    ids = {ex.id for ex in exercises}
    unknown = sorted(str(k)[:60] for k in answers if k not in ids)
    if unknown:
        raise UsageError(f"answers file {args.answers_file!r} has unknown exercise id(s): "
                         f"{', '.join(map(repr, unknown[:5]))}{' ...' if len(unknown) > 5 else ''}")
    results = []
    with SymbolicChecker() as checker:
        for ex in exercises:
            if ex.id in answers:
                results.append((ex, ex.grade(answers[ex.id], symbolic=args.symbolic,
                                             checker=checker)))
            else:
                results.append((ex, None))
    total = sum(g.score for _, g in results if g is not None)
    right = sum(1 for _, g in results if g is not None and g.correct)
    if args.output == "json":
        json.dump({"results": [{"id": ex.id, **(g.to_dict() if g else {"correct": False,
                   "score": 0.0, "feedback": "No answer."})} for ex, g in results],
                   "total": total, "correct": right, "count": len(results)}, out, indent=1,
                  ensure_ascii=not _writes_unicode(out))
        out.write("\n")
    else:
        for ex, g in results:
            verdict = "no answer" if g is None else ("correct" if g.correct else "incorrect")
            score = 0.0 if g is None else g.score
            out.write(f"## {ex.id}: {verdict} (score {score:.2f})\n")
            out.write(("No answer." if g is None else g.feedback) + "\n\n")
        out.write(f"Total: {total:.2f} / {len(results)}; {right} of {len(results)} exercises "
                  "correct.\n")
    return 0 if right == len(results) else 1
