"""The claims ledger: every experiment's claims are well formed and their verdicts can fail."""

from __future__ import annotations

import importlib
import pathlib

import pytest

from experiments import _claims
from experiments.tour import EXPERIMENTS

SEEDS = ("000", "001", "002", "003")
CLAIMS = [(name, claim) for name in EXPERIMENTS
          for claim in getattr(importlib.import_module(f"experiments.{name}"), "CLAIMS", ())]


def test_claim_ids_are_unique():
    ids = [c.id for _, c in CLAIMS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("name, claim", CLAIMS, ids=[c.id for _, c in CLAIMS])
def test_verdict_is_computed_both_ways(name, claim):
    good, bad = claim.examples
    assert claim.verdict(good)[0] == _claims.REPRODUCED, claim.verdict(good)
    assert claim.verdict(bad)[0] != _claims.REPRODUCED, claim.verdict(bad)


@pytest.mark.parametrize("name, claim", CLAIMS, ids=[c.id for _, c in CLAIMS])
def test_claim_names_a_figure_of_its_experiment(name, claim):
    module = importlib.import_module(f"experiments.{name}")
    assert claim.figure in module.CAPTIONS, f"{claim.id}: no caption for figure {claim.figure!r}"
    assert claim.quote.strip()


def test_threshold_helpers_report_partly_and_non_finite():
    v = _claims.at_most("x", 1.0, partly=2.0)
    assert v({"x": 0.5})[0] == _claims.REPRODUCED
    assert v({"x": 1.5})[0] == _claims.PARTLY
    assert v({"x": float("nan")})[0] == _claims.NOT_REPRODUCED
    both = _claims.all_of(_claims.at_least("a", 1.0), _claims.is_true("b"))
    assert both({"a": 2.0, "b": True})[0] == _claims.REPRODUCED
    assert both({"a": 0.0, "b": True})[0] == _claims.PARTLY
    assert both({"a": 0.0, "b": False})[0] == _claims.NOT_REPRODUCED


def test_lecture_tags_name_the_seed_files():
    assert sorted(_claims.LECTURES) == list(SEEDS)
    for tag, file in _claims.LECTURES.items():
        assert file.startswith(tag + "_") and file.endswith(".txt")
