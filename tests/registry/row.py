"""The registry row: one optimizer (or one variant of it) and how to check it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import optax


@dataclasses.dataclass(frozen=True)
class Row:
    """One registry entry; the generic tests in test_contract.py / test_reference.py read these fields."""

    id: str  # "<alias>/<variant>": the pytest id
    make: Callable[..., optax.GradientTransformationExtraArgs]
    kwargs: Mapping[str, Any]  # non-default values, so that a swapped default cannot hide
    reference: Callable[..., Any] | None = None  # (grads (T, n), values (T,), params0 (n,), **kwargs) -> updates (T, n)
    reference_name: str = ""  # what the reference is, for the docs (e.g. "optax.sgd(lr, momentum=β)")
    rtol: float = 1e-5  # docs/spec/conventions.md#reference-check-protocol, docs/spec/references.md
    needs: tuple[str, ...] = ()  # update kwargs that must be present, e.g. ("value",)
    invalid: tuple[tuple[Mapping[str, Any], str], ...] = ()  # ((bad kwargs, argument the message names), ...)
    lecture: str = ""  # where the method comes from, e.g. "[001] §7.5 Rprop"
    # test_reference.py runs ours and the reference in this dtype; "float64" for chaotic runs, where float32
    # rounding differences between backends (GPU vs CPU reductions) grow until the trajectories part
    dtype: str = "float32"
    solve: Mapping[str, Any] | None = None  # kwargs overrides for the ill-conditioned quadratic; None: kwargs
    solve_steps: int = 500
    elementwise: bool = True  # updates of each coordinate depend only on that coordinate's history
    rate_arg: str | None = "learning_rate"  # the argument inject_hyperparams / vmap sweeps change
    # test_fuzz.py: closed ranges {argument: (low, high)} to sample from; numeric kwargs not named
    # here are fuzzed by scaling their row value (kept only where the factory accepts the result)
    fuzz: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    # test_sharding.py: state leaves keep the params' shardings under jit; None: same as elementwise
    keeps_sharding: bool | None = None

    def build(self, **overrides: Any) -> optax.GradientTransformationExtraArgs:
        return self.make(**{**self.kwargs, **overrides})
