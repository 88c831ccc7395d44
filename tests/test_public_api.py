"""The public API: flat exports, ``__all__``, and a registry row for every optimizer."""

from __future__ import annotations

import inspect

import jaxopt_lectures as jol
from tests.registry import EXEMPT, ROWS


def test_all_is_sorted_and_every_name_exists():
    assert list(jol.__all__) == sorted(jol.__all__)
    assert len(set(jol.__all__)) == len(jol.__all__)
    for name in jol.__all__:
        assert hasattr(jol, name), name


def test_no_public_name_is_missing_from_all():
    public = {n for n, v in vars(jol).items() if not n.startswith("_") and not inspect.ismodule(v)}
    modules = {n for n, v in vars(jol).items() if not n.startswith("_") and inspect.ismodule(v)}
    assert public - set(jol.__all__) == set()
    assert set(jol.__all__) - public - modules == set()


def test_every_public_optimizer_has_a_registry_row():
    covered = {row.make.__name__ for row in ROWS}
    modules = {n for n in jol.__all__ if inspect.ismodule(getattr(jol, n))}  # e.g. testing: no optimizer
    aliases = {n for n in jol.__all__ if n not in EXEMPT | modules and not n.startswith("scale_by_")}
    assert aliases - covered == set(), "add a row to tests/registry/ (or list a non-optimizer in EXEMPT)"
    twins = {n for n in jol.__all__ if n.startswith("scale_by_")}
    assert {t.removeprefix("scale_by_") for t in twins} - covered - EXEMPT == set()


def test_exempt_names_are_real_public_names():
    assert EXEMPT - set(jol.__all__) == set()


def test_every_public_function_has_a_docstring_with_an_example():
    for name in jol.__all__:
        obj = getattr(jol, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and ">>>" in obj.__doc__, f"{name} needs a docstring with an example"
