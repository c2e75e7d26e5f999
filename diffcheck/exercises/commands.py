"""The ``diffcheck exercises`` and ``diffcheck grade`` commands (wired up in ``diffcheck.cli``).

Both return an exit code: 0 ok, 1 some answer is wrong or missing (one student) or the
time budget ran out (a class), 2 bad usage or bad input, reported as one line on stderr
(``UsageError``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from diffcheck.exercises.files import UsageError, load_key, writes_unicode
from diffcheck.exercises.kinds import KINDS, TABLE

__all__ = ["UsageError", "add_parsers", "run_exercises", "run_grade"]

MAX_COUNT = 1000
FORMATS = ("md", "tex", "json")
DEFAULT_BUDGET = 1800.0
NO_SECRET = ("note: without --secret (or DIFFCHECK_SECRET) anyone can regenerate this sheet's "
             "solutions from its ids with 'diffcheck exercises --solutions'")


def _kind_list() -> str:
    """One line per kind: its name, its levels and what it asks."""
    width = max(len(k) for k in KINDS) + len(" (levels 1-9)")
    return "kinds:\n" + "\n".join(
        f"  {f'{k} (levels 1-{TABLE[k].levels})':<{width}}  {TABLE[k].summary}" for k in KINDS)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``exercises`` and ``grade`` to the CLI's subcommands."""
    ex = commands.add_parser(
        "exercises", help="generate seeded matrix-calculus exercises",
        description=textwrap.fill(
            "Generate a sheet of exercises (for students: no solutions in any format) or, "
            "with --solutions, its answer key; '--solutions --format json' is the key that "
            "'diffcheck grade' reads: never hand it out.", 78),
        epilog=_kind_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    ex.add_argument("--kind", action="append", metavar="K",
                    help="exercise kind, repeatable, or 'all' (default); see the list below")
    ex.add_argument("--count", type=int, default=1, metavar="N", help="exercises per kind (default 1)")
    ex.add_argument("--seed", type=int, default=0, metavar="S",
                    help="seed of the first exercise; the next ones use S+1, S+2, ... (default 0)")
    ex.add_argument("--level", type=int, default=None, metavar="L",
                    help="difficulty level (default: chosen by each seed)")
    ex.add_argument("--solutions", action="store_true",
                    help="write the answer key (solutions included) instead of the sheet")
    ex.add_argument("--format", choices=FORMATS, default="md",
                    help="md (default, for screens), tex (a LaTeX document for paper) or json "
                         "(with --solutions: the key 'grade' reads)")
    ex.add_argument("--title", default="", metavar="TEXT", help="the sheet's title")
    ex.add_argument("--course", default="", metavar="TEXT", help="the course, above the title")
    ex.add_argument("--secret", default=None, metavar="TEXT",
                    help="key the exercises with a secret (default: $DIFFCHECK_SECRET), so the "
                         "ids on a sheet cannot regenerate its key")
    who = ex.add_mutually_exclusive_group()
    who.add_argument("--students", metavar="ROSTER.csv",
                     help="one variant per student of a CSV roster (a 'student' or 'name' "
                          "column, else the first)")
    who.add_argument("--variants", type=int, metavar="N",
                     help="N variants named variant-1 ... variant-N")
    ex.add_argument("--output-dir", metavar="DIR",
                    help="write one sheet per student to DIR/<student>.<format> (sheets only)")
    grade = commands.add_parser(
        "grade", help="grade answers to exercises (one student or a class)",
        description="Grade answers against KEY.json (written by 'diffcheck exercises "
                    "--solutions --format json'). ANSWERS are JSON files (id -> answer; the "
                    "student is the file's stem), directories of them, or CSV files with the "
                    "columns student,id,answer. One JSON file prints that student's feedback; "
                    "several students print one line each (see --gradebook, --feedback-dir).")
    grade.add_argument("exercises_file", metavar="KEY.json")
    grade.add_argument("answers", metavar="ANSWERS", nargs="+")
    grade.add_argument("--gradebook", metavar="FILE.csv",
                       help="write a gradebook: one row per student, one column per exercise, "
                            "total, warnings")
    grade.add_argument("--feedback-dir", metavar="DIR",
                       help="write each student's feedback to DIR/<student>.txt")
    grade.add_argument("--time-budget", type=float, default=DEFAULT_BUDGET, metavar="SECONDS",
                       help=f"stop grading after this long (default {DEFAULT_BUDGET:.0f}); "
                            "the rest are marked 'not graded'")
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


def _students(args: argparse.Namespace) -> list[str]:
    from diffcheck.exercises.keyed import RosterError, read_roster, variant_names

    if args.variants is not None:
        if not 1 <= args.variants <= 500:
            raise UsageError(f"--variants must be between 1 and 500, got {args.variants}")
        return variant_names(args.variants)
    if args.students:
        try:
            return read_roster(args.students)
        except RosterError as error:
            raise UsageError(str(error)) from None
    return []


def run_exercises(args: argparse.Namespace, out: TextIO) -> int:
    """``diffcheck exercises``: a sheet (or the key) as Markdown, LaTeX or JSON."""
    from diffcheck.exercises import sheets

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
    if args.output_dir and args.solutions:
        raise UsageError("--output-dir writes students' sheets; write the key (--solutions) "
                         "to one file instead")
    secret = args.secret if args.secret is not None else os.environ.get("DIFFCHECK_SECRET") or None
    students = _students(args)
    made = sheets.build_sheets(kinds, args.count, args.seed, args.level, secret, students)
    _write(args, made, out)
    if not secret and not args.solutions:  # after the output: a closed pipe stays one line
        print(f"diffcheck exercises: {NO_SECRET}", file=sys.stderr)
    return 0


def _write(args: argparse.Namespace, made: list, out: TextIO) -> None:
    """The sheets (or the key) to ``--output-dir`` or ``out``, in ``--format``."""
    from diffcheck.exercises import sheets

    if args.output_dir:
        folder = Path(args.output_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            from diffcheck.exercises.keyed import file_stem

            for sheet in made:
                (folder / f"{file_stem(sheet.student or 'sheet')}.{args.format}").write_text(
                    sheets.single(sheet, args.format, args.title, args.course), encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write to {args.output_dir!r}: {error.strerror or error}") from None
    elif args.format == "json":
        json.dump(sheets.as_json(made, args.solutions, args.title, args.course), out, indent=1,
                  ensure_ascii=not writes_unicode(out))
        out.write("\n")
    elif args.format == "tex":
        out.write(sheets.tex(made, args.solutions, args.title, args.course))
    else:
        out.write(sheets.markdown(made, args.solutions, args.title, args.course))
    out.flush()


def run_grade(args: argparse.Namespace, out: TextIO) -> int:
    """``diffcheck grade``: one student's feedback, or a class's summary and gradebook."""
    from diffcheck.exercises import classgrade
    from diffcheck.exercises.submissions import collect

    if not args.time_budget > 0:
        raise UsageError(f"--time-budget must be positive, got {args.time_budget}")
    key = load_key(args.exercises_file)
    one = (len(args.answers) == 1 and not os.path.isdir(args.answers[0])
           and not args.answers[0].lower().endswith(".csv"))
    subs = collect(args.answers)
    if one and subs[0].answers is None:  # one student whose file cannot be read: bad input
        raise UsageError(subs[0].warnings[0])
    results, finished = classgrade.grade_class(subs, key, symbolic=args.symbolic,
                                               budget=args.time_budget, progress=sys.stderr)
    if not finished:
        print(f"diffcheck grade: the time budget of {args.time_budget:g} s ran out; "
              f"{sum(not r.graded for r in results)} of {len(results)} students are marked "
              "'not graded' (raise --time-budget to grade them)", file=sys.stderr)
    try:
        if args.gradebook:
            classgrade.write_gradebook(args.gradebook, results, key.ids)
        if args.feedback_dir:
            classgrade.write_feedback(args.feedback_dir, results)
    except OSError as error:
        raise UsageError(f"cannot write the results: {error.strerror or error} "
                         f"({getattr(error, 'filename', '')})") from None
    if args.output == "json":
        json.dump(_json_results(results, one), out, indent=1, ensure_ascii=not writes_unicode(out))
        out.write("\n")
    elif one:
        out.write(classgrade.feedback_text(results[0]))
    else:
        for r in results:
            warn = f" ({len(r.warnings)} warning{'s' * (len(r.warnings) != 1)})" if r.warnings else ""
            out.write(f"{r.student}: {r.total:.2f} / {r.out_of}{warn}\n")
        out.write(f"Graded {len(results)} students.\n")
    if one:
        return 0 if results[0].right == results[0].out_of and not results[0].warnings else 1
    return 0 if finished else 1


def _json_results(results: list, one: bool) -> dict:
    def student(r) -> dict:
        return {"student": r.student, "warnings": r.warnings,
                "results": [{"id": ex.id, **(g.to_dict() if g else {
                    "correct": False, "score": 0.0, "feedback": "No answer."})}
                            for ex, g in r.grades],
                "total": r.total, "correct": r.right, "count": r.out_of}

    if one:
        return student(results[0])
    return {"students": [student(r) for r in results]}
