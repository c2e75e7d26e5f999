"""``diffcheck exercises`` and ``diffcheck grade`` end to end, with temporary files."""

from __future__ import annotations

import json
import os
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
    code, out, _ = run(capsys, "exercises", "--kind", "all", "--format", "json", "--seed", "11",
                       "--solutions")
    data = json.loads(out)
    assert code == 0 and [e["kind"] for e in data["exercises"]] == list(KINDS)
    assert [e["id"] for e in data["exercises"]] == [f"{k}-11" for k in KINDS]


def test_generate_then_grade(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "exercises", "--kind", "jacobian", "--kind", "layer",
                       "--count", "2", "--seed", "3", "--format", "json", "--solutions")
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
    # an unknown id is a warning for this student, not an abort
    answers["nope-1"] = "2"
    code, out, err = run(capsys, "grade", exercises_path, write(tmp_path, "c.json", answers))
    assert code == 1 and err == "" and "unknown exercise id(s) 'nope-1'" in out
    assert f"## {first.id}: incorrect" in out and "Total: 2.00 / 4" in out


def test_a_student_sheet_is_not_a_key(capsys, tmp_path) -> None:
    code, out, err = run(capsys, "exercises", "--kind", "jacobian", "--format", "json")
    assert code == 0 and "without --secret" in err
    sheet = write(tmp_path, "sheet.json", out)
    code, out, err = run(capsys, "grade", sheet, write(tmp_path, "a.json", {"jacobian-0": "W"}))
    assert code == 2 and "is a student sheet" in err and "--solutions" in err


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
    code, out, _ = run(capsys, "exercises", "--kind", "graph", "--format", "json", "--solutions")
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
        (good, write(tmp_path, "notdict.json", ["graph-0"]), "must be an object"),
        (good, write(tmp_path, "badans.json", "\xff"), "not valid JSON"),
    ]
    for exercises_path, answers_path, message in cases:
        code, out, err = run(capsys, "grade", exercises_path, answers_path)
        assert code == 2 and message in err, (message, err)
        assert err.count("\n") == 1 and "Traceback" not in err


def test_python_m_diffcheck_runs_the_commands(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "diffcheck", "exercises", "--kind", "batch",
                             "--format", "json", "--solutions"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    ex_path = write(tmp_path, "ex.json", result.stdout)
    ans_path = write(tmp_path, "ans.json", {"batch-0": {"same": "0", "other": "0"}})
    result = subprocess.run([sys.executable, "-m", "diffcheck", "grade", ex_path, ans_path],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "Total:" in result.stdout and "Traceback" not in result.stderr


# ----- hostile files: one line, exit 2, never a traceback -----
def _sheet(capsys, kind: str = "graph", seed: int = 2) -> tuple[dict, str]:
    code, out, _ = run(capsys, "exercises", "--kind", kind, "--seed", str(seed), "--format", "json",
                       "--solutions")
    assert code == 0
    return json.loads(out)["exercises"][0], out


def _one_line_exit_2(capsys, exercises_path: str, answers_path: str) -> str:
    code, out, err = run(capsys, "grade", exercises_path, answers_path)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_integers_beyond_python_s_digit_limit_are_refused_in_one_line(capsys, tmp_path) -> None:
    exercise, text = _sheet(capsys)
    good = write(tmp_path, "ex.json", text)
    answers = write(tmp_path, "a.json", '{"graph-2": ' + "7" * 5000 + "}")
    assert "integer with 5000 digits" in _one_line_exit_2(capsys, good, answers)
    seed = write(tmp_path, "seed.json", text.replace('"seed": 2', '"seed": ' + "9" * 4301))
    ok = write(tmp_path, "ok.json", {"graph-2": "0"})
    assert "integer with 4301 digits" in _one_line_exit_2(capsys, seed, ok)


def test_a_lone_surrogate_is_refused_in_one_line(capsys, tmp_path) -> None:
    exercise, text = _sheet(capsys)
    bad_id = write(tmp_path, "ex.json", text.replace('"id": "graph-2"', '"id": "graph-\\ud800"'))
    answers = write(tmp_path, "a.json", '{"graph-\\ud800": "1"}')
    assert "lone surrogate '\\ud800'" in _one_line_exit_2(capsys, bad_id, answers)
    good = write(tmp_path, "good.json", text)
    answer = write(tmp_path, "b.json", '{"graph-2": "\\udfff"}')
    assert "not valid Unicode" in _one_line_exit_2(capsys, good, answer)


def test_answers_are_read_with_a_bounded_read(capsys, tmp_path) -> None:
    """``/dev/zero`` has size 0 to ``getsize`` and no end: the read itself is bounded."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    _, text = _sheet(capsys)
    assert "larger than 20 MB" in _one_line_exit_2(capsys, write(tmp_path, "ex.json", text), "/dev/zero")


@pytest.mark.parametrize("edit, message", [
    (lambda e: e.update(seed=-1), "field 'seed' must be a non-negative int, got -1"),
    (lambda e: e["given"][0][1].__setitem__(0, "1e300*1e300"),
     "given value 1 of 'a' ('1e300*1e300') is not a finite real number"),
    (lambda e: e["given"][0][1].__setitem__(0, "exp(exp(9))"), "is not a finite real number"),
    (lambda e: e["given"][0][1].append("1"), "'given' has 2 values for 'a'"),
    (lambda e: e["parts"][0]["solution"].__setitem__(0, "1e300*1e300"),
     "the solution ∂e/∂a is not finite in floating point at the given values"),
], ids=["negative seed", "given 1e300*1e300", "given exp(exp(9))", "given too many", "solution inf"])
def test_an_exercise_that_cannot_be_graded_is_refused_at_load(capsys, tmp_path, edit, message) -> None:
    exercise, _ = _sheet(capsys)
    edit(exercise)
    sheet = write(tmp_path, "ex.json", {"exercises": [exercise]})
    err = _one_line_exit_2(capsys, sheet, write(tmp_path, "a.json", {"graph-2": "0"}))
    assert message in err


def test_output_the_terminal_cannot_encode_is_escaped_not_a_traceback(tmp_path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    markdown = [sys.executable, "-m", "diffcheck", "exercises", "--kind", "jacobian", "--seed", "2",
                "--solutions"]
    utf8 = subprocess.run(markdown, capture_output=True, text=True, check=False)
    ascii_ = subprocess.run(markdown, capture_output=True, text=True, env=env, check=False)
    assert ascii_.returncode == 0 and ascii_.stderr == "" and "×" in utf8.stdout
    assert ascii_.stdout == utf8.stdout.encode("ascii", "backslashreplace").decode()  # 4\xd72
    command = [sys.executable, "-m", "diffcheck", "exercises", "--kind", "graph", "--seed", "2",
               "--solutions"]
    as_json = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, env=env,
                             check=False)
    assert as_json.returncode == 0 and as_json.stdout.isascii()
    exercise = json.loads(as_json.stdout)["exercises"][0]
    assert exercise["parts"][0]["labels"][0] == "∂e/∂a"
    answers = write(tmp_path, "a.json", {"graph-2": [1, 2, 3, 4]})
    graded = subprocess.run([sys.executable, "-m", "diffcheck", "grade",
                             write(tmp_path, "ex.json", as_json.stdout), answers],
                            capture_output=True, text=True, env=env, check=False)
    assert graded.returncode == 1 and graded.stderr == "" and "\\u2202" in graded.stdout


def test_help_lists_every_kind_with_its_levels(capsys) -> None:
    from diffcheck.exercises.kinds import TABLE

    assert cli.main(["exercises", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for kind in KINDS:
        assert f"{kind} (levels 1-{TABLE[kind].levels})" in text, kind
    assert "--secret" in text and "--students" in text and "--title" in text
