"""A teacher's whole workflow, end to end, as the how-to describes it.

A roster of 30, a secret, a printable sheet (compiled where pdflatex is installed), the
key, 30 answer files (some right, some wrong, a few malformed) graded in one command
into a gradebook, and no student-facing file holding a solution.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from diffcheck import cli
from diffcheck.exercises import Exercise

KINDS = ("--kind", "jacobian", "--kind", "circle")
STUDENTS = [f"student{k:02}" for k in range(30)]
MALFORMED = {"student03": "{not json", "student11": "[1, 2, 3]", "student17": "\xff\xfe"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def exercises_command(*argv: str) -> tuple[int, str, str]:
    """``diffcheck exercises ...`` in this process, capturing what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["exercises", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict[str, Path]:
    """Sheets and key as the how-to makes them (the secret in the environment), made once."""
    folder = tmp_path_factory.mktemp("course")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIFFCHECK_SECRET", "correct horse battery staple")
        patch.chdir(folder)
        Path("roster.csv").write_text("student,email\n" + "".join(
            f"{s},{s}@example.org\n" for s in STUDENTS), encoding="utf-8")
        common = [*KINDS, "--seed", "1", "--students", "roster.csv", "--title", "Homework 3",
                  "--course", "Machine learning"]
        code, out, err = exercises_command(*common, "--format", "tex")
        assert code == 0 and err == ""
        Path("sheet.tex").write_text(out, encoding="utf-8")
        for fmt in ("json", "md"):
            assert exercises_command(*common, "--format", fmt, "--output-dir", "sheets")[0] == 0
        code, out, _ = exercises_command(*common, "--solutions", "--format", "json")
        assert code == 0
        Path("key.json").write_text(out, encoding="utf-8")
    return {"dir": folder, "key": folder / "key.json", "sheet": folder / "sheet.tex",
            "sheets": folder / "sheets"}


def write_answers(key: dict, folder: Path) -> None:
    folder.mkdir()
    for number, student in enumerate(STUDENTS):
        if student in MALFORMED:
            (folder / f"{student}.json").write_bytes(MALFORMED[student].encode("latin-1"))
            continue
        exercises = [Exercise.from_dict(e) for e in key["students"][student]]
        answers = {ex.id: ex.answer_text() for ex in exercises}
        if number % 3 == 0:
            answers[exercises[0].id] = "0"  # wrong
        if number % 5 == 0:
            answers["circle-9"] = "1"  # an id not on the sheet
        (folder / f"{student}.json").write_text(json.dumps(answers), encoding="utf-8")


def test_roster_sheet_key_and_a_class_graded_in_one_command(course, capsys, tmp_path,
                                                           monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    key = json.loads(course["key"].read_text())
    assert set(key["students"]) == set(STUDENTS) and "never hand" in key["warning"]
    prompts = {s: key["students"][s][0]["prompt"].split("\n", 1)[1] for s in STUDENTS}
    assert len(set(prompts.values())) > 10  # each student has their own numbers
    write_answers(key, tmp_path / "answers")
    code, out, err = run(capsys, "grade", str(course["key"]), "answers", "--gradebook", "grades.csv",
                         "--feedback-dir", "feedback")
    assert code == 0 and "Graded 30 students." in out
    assert "graded 30 of 30 students" in err
    rows = list(csv.DictReader(open("grades.csv", encoding="utf-8")))
    assert [r["student"] for r in rows] == STUDENTS
    by = {r["student"]: r for r in rows}
    for number, student in enumerate(STUDENTS):
        row = by[student]
        if student in MALFORMED:
            assert float(row["total"]) == 0 and row["warnings"], student
            continue
        expected = 1.0 if number % 3 == 0 else 2.0
        if number % 3 == 0:
            assert float(row["jacobian-1"]) < 1
        assert float(row["total"]) == pytest.approx(expected, abs=0.5), student
        assert ("'circle-9'" in row["warnings"]) == (number % 5 == 0)
    assert len(list(Path("feedback").glob("*.txt"))) == 30


def test_no_student_facing_file_holds_a_solution(course) -> None:
    key = json.loads(course["key"].read_text())
    facing = [course["sheet"], *sorted(course["sheets"].iterdir())]
    assert len(facing) == 1 + 2 * 30
    solutions = {text for exercises in key["students"].values() for e in exercises
                 for p in e["parts"] for text in p["solution"] if len(text) > 12}
    seeds = {str(e["seed"]) for exercises in key["students"].values() for e in exercises}
    for path in facing:
        text = path.read_text(encoding="utf-8")
        assert '"solution"' not in text and "Solution" not in text, path
        assert not any(s in text for s in solutions), path
        assert not any(re.search(rf"\b{seed}\b", text) for seed in seeds), path


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_printed_sheet_compiles(course, monkeypatch) -> None:
    monkeypatch.chdir(course["dir"])
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "sheet.tex"], capture_output=True, text=True, timeout=240,
                            check=False)
    log = Path("sheet.log").read_text(errors="replace")
    assert result.returncode == 0 and Path("sheet.pdf").exists()
    assert r"Student: \textbf{student29}" in course["sheet"].read_text()
    assert all(float(w) <= 10 for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt", log))
