"""The README's code runs, and its Quickstart is the command CI runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_blocks_run(index, capsys):
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), {"__name__": "readme"})  # noqa: S102


def test_the_printed_failure_matches_what_the_readme_shows(capsys):
    exec(compile(BLOCKS[1], "README block 1", "exec"), {"__name__": "readme"})  # noqa: S102
    printed = capsys.readouterr().out
    for line in ("Mismatched elements: 2 / 4 (50%)",
                 "∂y[0]/∂b[0]  0.02686203774  0.02686203774  0.02686203774  0.9723748112"):
        assert line in printed and line in README


def test_quickstart_is_two_commands_and_ci_runs_the_second():
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quickstart, flags=re.S)[0].strip().splitlines()
    assert len(commands) == 2 and "diffcheck demo" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
