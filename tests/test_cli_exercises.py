"""``diffcheck exercises`` and ``diffcheck grade`` end to end, with temporary files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from diffcheck import cli
from diffcheck.exercises import KINDS, Exercise


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_markdown_is_the_default(capsys) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "jacobian", "--count", "2", "--seed", "7")
    assert code == 0 and "Exercise jacobian-7" in out and "Exercise jacobian-8" in out
    assert "How to answer" in out and "Solution" not in out
    code, out, _ = run(capsys, "exercises", "--kind", "graph", "--seed", "1", "--solutions")
    assert code == 0 and "Solution" in out and "Routes" in out


def test_tex_is_a_document(capsys) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "circle", "--format", "tex", "--solutions")
    assert code == 0 and out.startswith("\\documentclass") and "\\end{document}" in out


def test_all_kinds(capsys) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "all", "--format", "json", "--seed", "11")
    data = json.loads(out)
    assert code == 0 and [e["kind"] for e in data["exercises"]] == list(KINDS)
    assert [e["id"] for e in data["exercises"]] == [f"{k}-11" for k in KINDS]


def test_generate_then_grade(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "jacobian", "--kind", "layer",
                       "--count", "2", "--seed", "3", "--format", "json")
    assert code == 0
    exercises_path = write(tmp_path, "ex.json", out)
    loaded = [Exercise.from_dict(e) for e in json.loads(out)["exercises"]]
    answers = {ex.id: ex.answer_text() for ex in loaded}
    code, out, err = run(capsys, "grade", exercises_path, write(tmp_path, "a.json", answers))
    assert code == 0 and err == "" and "Total: 4.00 / 4; 4 of 4 exercises correct." in out
    # one answer wrong, one missing
    first, second = loaded[0], loaded[2]
    answers[first.id] = "0"
    del answers[second.id]
    code, out, _ = run(capsys, "grade", exercises_path, write(tmp_path, "b.json", answers))
    assert code == 1 and f"## {first.id}: incorrect" in out and f"## {second.id}: no answer" in out
    code, out, _ = run(capsys, "grade", exercises_path, write(tmp_path, "b.json", answers),
                       "--format", "json")
    result = json.loads(out)
    assert code == 1 and result["count"] == 4 and result["correct"] == 2


@pytest.mark.parametrize("argv, message", [
    (["exercises", "--kind", "nope"], "unknown kind 'nope'"),
    (["exercises", "--count", "0"], "--count"),
    (["exercises", "--seed", "-1"], "--seed"),
    (["exercises", "--kind", "layer", "--level", "3"], "out of range for layer"),
])
def test_bad_usage_exits_2_with_one_line(capsys, argv, message) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_bad_input_files_exit_2_with_one_line(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "graph", "--format", "json")
    good = write(tmp_path, "ex.json", out)
    answers = write(tmp_path, "ans.json", {"graph-0": [1, 2]})
    exercise = json.loads(out)["exercises"][0]
    cases = [
        (str(tmp_path / "missing.json"), answers, "cannot read"),
        (write(tmp_path, "bad.json", "{not json"), answers, "not valid JSON"),
        (write(tmp_path, "list.json", [1, 2]), answers, "must be an object"),
        (write(tmp_path, "kind.json", {"exercises": [{**exercise, "kind": "nope"}]}), answers,
         "unknown kind"),
        (write(tmp_path, "sol.json", {"exercises": [{**exercise, "parts": [
            {**exercise["parts"][0], "solution": ["__import__('os')"] * len(
                exercise["parts"][0]["solution"])}]}]}), answers, "invalid solution"),
        (write(tmp_path, "dup.json", {"exercises": [exercise, exercise]}), answers, "duplicate"),
        (write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000), answers, "nested"),
        (good, write(tmp_path, "unknown.json", {"graph-0": "1", "nope-1": "2"}), "unknown exercise id"),
        (good, write(tmp_path, "notdict.json", ["graph-0"]), "must be an object"),
        (good, write(tmp_path, "badans.json", "\xff"), "not valid JSON"),
    ]
    for exercises_path, answers_path, message in cases:
        code, out, err = run(capsys, "grade", exercises_path, answers_path)
        assert code == 2 and message in err, (message, err)
        assert err.count("\n") == 1 and "Traceback" not in err


def test_python_m_diffcheck_runs_the_commands(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "diffcheck", "exercises", "--kind", "batch",
                             "--format", "json"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    ex_path = write(tmp_path, "ex.json", result.stdout)
    ans_path = write(tmp_path, "ans.json", {"batch-0": {"same": "0", "other": "0"}})
    result = subprocess.run([sys.executable, "-m", "diffcheck", "grade", ex_path, ans_path],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "Total:" in result.stdout and "Traceback" not in result.stderr
