"""Sheets and keys: what ``diffcheck exercises`` writes, for paper, for screens and for grading.

A *sheet* is student-facing and never holds a solution, in any format: Markdown and
JSON (for screens) explain once how to hand answers in and give a template; LaTeX (for
paper) has a title, the course and a name line, and no typing instructions. A *key*
(``--solutions``) adds the solutions; its JSON form (``--solutions --format json``) is
what ``diffcheck grade`` reads and must never be handed out. With a roster each student
gets their own section (LaTeX: their own pages), and the key records every student's
exercises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from diffcheck.exercises import latex, render
from diffcheck.exercises.files import KEY_WARNING
from diffcheck.exercises.model import FORMAT_VERSION, Exercise
from diffcheck.exercises.render import Block

KEY_NOTE = "**Answer key: do not hand out.**"


@dataclass(frozen=True)
class Sheet:
    """The exercises of one student (``student`` is "" for a sheet shared by everyone)."""

    student: str
    exercises: tuple[Exercise, ...]


def build_sheets(kinds: list[str], count: int, seed: int, level: int | None,
                 secret: str | None, students: list[str]) -> list[Sheet]:
    """One sheet per student (or one shared sheet): ``count`` exercises of each kind."""
    from diffcheck.exercises import generate

    def one(student: str) -> Sheet:
        return Sheet(student, tuple(generate(kind, seed + i, level, secret=secret, student=student)
                                    for kind in kinds for i in range(count)))

    return [one(s) for s in students] if students else [one("")]


# ----- what a student may see -----
def student_dict(ex: Exercise) -> dict[str, Any]:
    """An exercise without its solution, seed or worked steps (an allowlist of fields)."""
    return {
        "id": ex.id, "kind": ex.kind, "level": ex.level, "title": ex.title,
        "prompt": ex.prompt,
        "parts": [{"key": p.key, "title": p.title, "shape": list(p.shape), "layout": p.layout}
                  for p in ex.parts],
    }


def template(exercises: tuple[Exercise, ...], variant: str = "") -> dict[str, Any]:
    """The answers file a student fills in: every id with ``null`` (an object of parts)."""
    out: dict[str, Any] = {"variant": variant} if variant else {}
    for ex in exercises:
        out[ex.id] = None if len(ex.parts) == 1 else {p.key: None for p in ex.parts}
    return out


def how_to_submit(sheet: Sheet) -> str:
    """The submission format, explained once (Markdown), with the sheet's template."""
    name = f"`{sheet.student}.json`" if sheet.student else "a file named after you (`ann.json`)"
    filled = json.dumps(template(sheet.exercises, _variant(sheet)), indent=1, ensure_ascii=False)
    return (
        f"**How to hand in.** Submit one JSON file, {name}, mapping each exercise id to your "
        "answer: one expression as a string (`\"2*W[0,1] + x[0]\"`), a vector or matrix as "
        "nested lists (`[[\"W[0,0]\", \"W[0,1]\"], [\"W[1,0]\", \"W[1,1]\"]]`, rows first), "
        "an exercise with several parts as an object of parts. Write `0` for an all-zero "
        "block, and leave `null` where you have no answer. Start from this template:\n\n"
        f"```json\n{filled}\n```"
    )


def _variant(sheet: Sheet) -> str:
    return sheet.student if sheet.student.startswith("variant-") else ""


def paper_blocks(blocks: tuple[Block, ...]) -> list[Block]:
    """Blocks for paper: typing instructions (how to type an answer, functions) dropped."""
    out = []
    for kind, text in blocks:
        if kind == "p" and text.startswith("**How to answer.**"):
            continue
        if kind == "items":
            text = "\n".join(line for line in text.splitlines() if not line.startswith("Functions:"))
            if not text:
                continue
        out.append((kind, text))
    return out


def exercise_blocks(ex: Exercise, solutions: bool, paper: bool) -> list[Block]:
    blocks: list[Block] = [("p", f"**Exercise {ex.id}: {ex.title}**")]
    blocks += paper_blocks(ex.blocks) if paper else list(ex.blocks)
    if solutions:
        blocks += list(ex.worked_blocks())
    return blocks


# ----- the three formats -----
def markdown(sheets: list[Sheet], solutions: bool, title: str, course: str) -> str:
    out = []
    for sheet in sheets:
        head = [f"# {title or 'Exercises'}"] + ([f"*{course}*"] if course else [])
        if sheet.student:
            head.append(f"**Student:** {sheet.student}")
        if solutions:
            head.append(KEY_NOTE)
        else:
            head.append(how_to_submit(sheet))
        body = [render.to_markdown(exercise_blocks(ex, solutions, paper=False))
                for ex in sheet.exercises]
        out.append("\n\n".join(head) + "\n\n---\n\n" + "\n---\n\n".join(body))
    return "\n\n".join(out)


def tex(sheets: list[Sheet], solutions: bool, title: str, course: str) -> str:
    sections = []
    for sheet in sheets:
        header = []
        if course:
            header.append(f"{{\\large {render.tex_escape(course)}}}\\par\\smallskip")
        header.append(f"{{\\Large\\textbf{{{render.tex_escape(title or 'Exercises')}}}}}\\par"
                      "\\medskip")
        if solutions:
            header.append("\\textbf{Answer key: do not hand out.}\\par")
        if sheet.student:
            header.append(f"Student: \\textbf{{{render.tex_escape(sheet.student)}}}\\par")
        elif not solutions:
            header.append("Name: \\rule{8cm}{0.4pt}\\par")
        body = latex.join_exercises([render.to_tex(exercise_blocks(ex, solutions, paper=True))
                                     for ex in sheet.exercises])
        sections.append("\\noindent " + "\n".join(header) + "\n\\medskip\\hrule\\bigskip\n\n"
                        + body)
    return latex.document("\n\\clearpage\n".join(sections))


def as_json(sheets: list[Sheet], solutions: bool, title: str, course: str) -> dict[str, Any]:
    """The key (``--solutions``: what ``grade`` reads) or the students' sheet (no solutions)."""
    head = {"format": FORMAT_VERSION, "title": title, "course": course}
    if solutions:
        shared = sheets[0].exercises if not sheets[0].student else ()
        key = {**head, "key": True, "warning": KEY_WARNING,
               "exercises": [ex.to_dict() for ex in shared]}
        if sheets[0].student:
            key["students"] = {s.student: [ex.to_dict() for ex in s.exercises] for s in sheets}
        return key
    if not sheets[0].student:
        return {**head, "sheet": True, **_one_json(sheets[0])}
    return {**head, "sheet": True, "students": {s.student: _one_json(s) for s in sheets}}


def single(sheet: Sheet, fmt: str, title: str, course: str) -> str:
    """One student's sheet (no solutions) in ``fmt``, for ``--output-dir``."""
    if fmt == "json":
        data = {"format": FORMAT_VERSION, "title": title, "course": course, "sheet": True,
                "student": sheet.student, **_one_json(sheet)}
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if fmt == "tex":
        return tex([sheet], False, title, course)
    return markdown([sheet], False, title, course)


def _one_json(sheet: Sheet) -> dict[str, Any]:
    return {"how_to_submit": how_to_submit(sheet),
            "template": template(sheet.exercises, _variant(sheet)),
            "exercises": [student_dict(ex) for ex in sheet.exercises]}
