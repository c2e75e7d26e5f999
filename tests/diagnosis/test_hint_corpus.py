"""The hint corpus: every typical wrong derivation gets its hint, whatever the seed, and
every correct derivation gets none."""

import pytest

import diffcheck as dc
from tests.diagnosis.hint_corpus import CASES

SEEDS = range(10)


def claim_hints(report):
    return [h for h in report.hints if not h.startswith(("blame:", "node:"))]


@pytest.mark.parametrize(("build", "wrt", "claim", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_the_hint_names_the_mistake_for_every_seed(build, wrt, claim, expected):
    y = build()
    seen = set()
    for seed in SEEDS:
        report = dc.check_gradient(y, wrt, claim, seed=seed, methods=("tape",))
        if expected is None:
            assert report.ok and report.hints == [], (seed, str(report))
            continue
        assert not report.ok, seed
        hints = claim_hints(report)
        assert any(expected in h for h in hints), (seed, hints)
        seen.add(tuple(hints))
    assert len(seen) <= 1, f"the hints depend on the seed: {seen}"


def test_the_corpus_is_large_enough():
    wrong = [case for case in CASES if case[4] is not None]
    assert len(wrong) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)
