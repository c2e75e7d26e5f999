"""Grading a class: several files, a directory, a CSV; warnings instead of aborts; outputs."""

from __future__ import annotations

import csv
import io
import json

import pytest

from diffcheck import cli
from diffcheck.exercises import classgrade
from diffcheck.exercises.files import Key, load_key
from diffcheck.exercises.submissions import Submission, collect


@pytest.fixture(scope="module")
def key_path(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("key")
    out = io.StringIO()
    args = cli.build_parser().parse_args(["exercises", "--kind", "jacobian", "--kind", "graph",
                                          "--seed", "4", "--level", "1", "--solutions",
                                          "--format", "json"])
    from diffcheck.exercises.commands import run_exercises

    assert run_exercises(args, out) == 0
    path = folder / "key.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def right_answers(path: str) -> dict:
    return {ex.id: ex.answer_text() for ex in load_key(path).exercises}


def test_sources_directory_files_and_csv(tmp_path, key_path) -> None:
    answers = right_answers(key_path)
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "ann.json").write_text(json.dumps(answers))
    (folder / "bob.json").write_text("{not json")
    (folder / ".hidden.json").write_text("{}")
    (folder / "notes.txt").write_text("ignored")
    rows = [["student", "id", "answer"], ["cy", "jacobian-4-l1", json.dumps(answers["jacobian-4-l1"])],
            ["cy", "graph-4-l1", ""], ["dee", "graph-4-l1", json.dumps(answers["graph-4-l1"])]]
    table = tmp_path / "more.csv"
    with table.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    subs = collect([str(folder), str(table)])
    assert [s.student for s in subs] == ["ann", "bob", "cy", "dee"]
    by = {s.student: s for s in subs}
    assert by["bob"].answers is None and "not valid JSON" in by["bob"].warnings[0]
    assert by["cy"].answers == {"jacobian-4-l1": answers["jacobian-4-l1"], "graph-4-l1": None}


def test_grade_student_warns_instead_of_aborting(key_path) -> None:
    key = load_key(key_path)
    answers = right_answers(key_path)
    from diffcheck.exercises.equivalence import SymbolicChecker

    with SymbolicChecker() as checker:
        good = classgrade.grade_student(Submission("ann", dict(answers)), key, checker, "auto", 1e18)
        bad = classgrade.grade_student(
            Submission("bob", {**answers, "nope-9": "1", "graph-4-l1": "[[1, 2"}), key, checker,
            "auto", 1e18)
        late = classgrade.grade_student(Submission("cy", answers), key, checker, "auto", 0.0)
    assert good.total == 2 and good.warnings == []
    assert bad.total == 1 and any("'nope-9'" in w for w in bad.warnings)
    assert any(w.startswith("graph-4-l1: the answer could not be read") for w in bad.warnings)
    assert not late.graded and late.total == 0 and "time budget" in late.warnings[-1]
    roster = Key([], {"ann": key.exercises})
    stranger = classgrade.grade_student(Submission("zed", answers), roster, checker, "auto", 1e18)
    assert "not in the key's roster" in stranger.warnings[0] and stranger.grades == []


def test_gradebook_and_feedback_files(tmp_path, key_path, capsys) -> None:
    answers = right_answers(key_path)
    folder = tmp_path / "class"
    folder.mkdir()
    for k in range(11):
        wrong = dict(answers) if k % 2 else {**answers, "jacobian-4-l1": "0"}
        (folder / f"s{k:02}.json").write_text(json.dumps(wrong))
    (folder / "=evil.json").write_text("[]")
    book, feedback = tmp_path / "grades.csv", tmp_path / "feedback"
    code = cli.main(["grade", key_path, str(folder), "--gradebook", str(book),
                     "--feedback-dir", str(feedback)])
    out, err = capsys.readouterr()
    assert code == 0 and "Graded 12 students." in out
    assert "graded 12 of 12 students" in err  # progress for a class of 10 or more
    rows = list(csv.reader(book.open()))
    assert rows[0] == ["student", "jacobian-4-l1", "graph-4-l1", "total", "out_of", "warnings"]
    assert rows[1][0] == "'=evil" and "must be an object" in rows[1][-1]  # no formula
    scores = {r[0]: (r[1], r[3]) for r in rows[1:]}
    assert scores["s00"] == ("0.000", "1.000") and scores["s01"] == ("1.000", "2.000")
    assert len(list(feedback.iterdir())) == 12
    assert "Total: 1.00 / 2" in (feedback / "s00.txt").read_text()


def test_time_budget_message(tmp_path, key_path, capsys) -> None:
    answers = right_answers(key_path)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(answers))
    second.write_text(json.dumps(answers))
    code = cli.main(["grade", key_path, str(first), str(second), "--time-budget", "1e-9"])
    out, err = capsys.readouterr()
    assert code == 1 and "time budget of 1e-09 s ran out" in err and "not graded" in err
    assert "a: 0.00 / 2 (1 warning)" in out


def test_single_student_usage_is_unchanged(tmp_path, key_path, capsys) -> None:
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(right_answers(key_path)))
    code = cli.main(["grade", key_path, str(path)])
    out, _ = capsys.readouterr()
    assert code == 0 and out.endswith("Total: 2.00 / 2; 2 of 2 exercises correct.\n")
    path.write_text("[1]")
    assert cli.main(["grade", key_path, str(path)]) == 2
    assert "must be an object" in capsys.readouterr().err
