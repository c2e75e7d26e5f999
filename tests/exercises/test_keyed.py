"""Secret-keyed and per-student exercises; sheets (every format) never hold a solution."""

from __future__ import annotations

import json

import pytest

from diffcheck import cli, exercises
from diffcheck.exercises import sheets
from diffcheck.exercises.keyed import RosterError, derived_seed, file_stem, read_roster
from diffcheck.exercises.keyforms import solution_blocks

HIDDEN_FIELDS = {"solution", "worked", "seed", "intermediates", "given", "labels"}


def fields(value) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in fields(v)}
    if isinstance(value, list):
        return {k for v in value for k in fields(v)}
    return set()


def test_a_secret_changes_the_exercise_but_not_its_id() -> None:
    public = exercises.generate("layer", 7)
    keyed = exercises.generate("layer", 7, secret="s3cret")
    again = exercises.generate("layer", 7, secret="s3cret")
    other = exercises.generate("layer", 7, secret="another")
    assert public.id == keyed.id == "layer-7" and public.seed == 7
    assert keyed.to_dict() == again.to_dict()
    assert keyed.seed not in (7, other.seed) and keyed.prompt != other.prompt
    # the sheet's id and seed regenerate the public exercise, not the keyed one
    assert keyed.prompt.split("\n", 1)[1] != public.prompt.split("\n", 1)[1]
    # the key records the seed it used, which rebuilds the keyed exercise exactly
    rebuilt = exercises.generate("layer", keyed.seed)
    assert rebuilt.prompt.split("\n", 1)[1] == keyed.prompt.split("\n", 1)[1]


def test_students_get_their_own_numbers() -> None:
    seeds = {derived_seed("jacobian", 3, None, name, "k") for name in ("ann", "bob", "cy")}
    assert len(seeds) == 3
    assert derived_seed("jacobian", 3, None) == 3  # public sheet: the seed itself
    assert derived_seed("jacobian", 3, None, "ann") != derived_seed("jacobian", 3, None, "ann", "k")
    made = sheets.build_sheets(["jacobian", "circle"], 1, 3, None, "k", ["ann", "bob"])
    assert [s.student for s in made] == ["ann", "bob"]
    assert [e.id for e in made[0].exercises] == [e.id for e in made[1].exercises]
    assert made[0].exercises[0].prompt != made[1].exercises[0].prompt


def test_roster(tmp_path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("id,name\n1,Ann O'Neil\n2,Bob\n\n", encoding="utf-8")
    assert read_roster(str(path)) == ["Ann O'Neil", "Bob"]
    assert file_stem("Ann O'Neil") == "Ann_O_Neil" and file_stem("../..") == "student"
    path.write_text("Ann\nAnn\n", encoding="utf-8")
    with pytest.raises(RosterError, match="share a file name"):
        read_roster(str(path))
    with pytest.raises(RosterError, match="cannot read"):
        read_roster(str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("kind", exercises.KINDS)
def test_no_sheet_format_holds_a_solution(kind) -> None:
    made = sheets.build_sheets([kind], 1, 5, None, "k", ["ann"])
    ex = made[0].exercises[0]
    data = sheets.as_json(made, False, "T", "C")
    assert data["sheet"] is True and not fields(data) & HIDDEN_FIELDS
    texts = [json.dumps(data, ensure_ascii=False), sheets.markdown(made, False, "T", "C"),
             sheets.tex(made, False, "T", "C")]
    key_math = [t for k, t in solution_blocks(ex) if k == "math"]
    for text in texts:
        assert "Solution" not in text and str(ex.seed) not in text
        assert not any(math in text for math in key_math if len(math) > 30)
    key = sheets.as_json(made, True, "T", "C")
    assert key["key"] is True and "never hand" in key["warning"]
    assert key["students"]["ann"][0]["seed"] == ex.seed


def test_the_cli_reads_the_secret_from_the_environment(capsys, monkeypatch) -> None:
    argv = ["exercises", "--kind", "jacobian", "--seed", "2", "--format", "json", "--solutions"]
    monkeypatch.setenv("DIFFCHECK_SECRET", "from-env")
    assert cli.main(argv) == 0
    from_env = json.loads(capsys.readouterr().out)["exercises"][0]
    monkeypatch.delenv("DIFFCHECK_SECRET")
    assert cli.main([*argv, "--secret", "from-env"]) == 0
    from_flag = json.loads(capsys.readouterr().out)["exercises"][0]
    assert cli.main(argv) == 0
    public = json.loads(capsys.readouterr().out)["exercises"][0]
    assert from_env == from_flag and from_env["seed"] != public["seed"] == 2
    assert cli.main(argv[:-1]) == 0  # a sheet without a secret: a note on stderr
    assert "without --secret" in capsys.readouterr().err


def test_variants_and_output_dir(capsys, tmp_path) -> None:
    code = cli.main(["exercises", "--kind", "graph", "--variants", "3", "--secret", "k",
                     "--format", "json", "--output-dir", str(tmp_path / "out"), "--title", "Quiz"])
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["variant-1.json", "variant-2.json", "variant-3.json"]
    one = json.loads((tmp_path / "out" / "variant-2.json").read_text())
    assert one["template"]["variant"] == "variant-2" and one["title"] == "Quiz"
    assert not fields(one) & HIDDEN_FIELDS
    assert cli.main(["exercises", "--variants", "2", "--solutions", "--output-dir",
                     str(tmp_path)]) == 2
    assert "--output-dir" in capsys.readouterr().err
