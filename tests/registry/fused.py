"""Registry rows of the fused fast path (jaxopt_lectures/fused.py): ``fused/<row id>``.

Each row is an existing row of another topic with its ``make`` wrapped in ``jol.fuse`` (chunk size
5 on the 12-element test tree: two chunks of the in-place loop and a tail), keeping its kwargs,
reference and tolerance, so the contract and reference tests check the fused path exactly like
the plain one. One row per family (a schedule or several state fields where possible), to keep CI short.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import optax

import jaxopt_lectures as jol
from tests.registry import adaptive, gradient_descent, rules
from tests.registry.row import Row

CHUNK = 5
WRAPPED_IDS = ("sgd/cosine", "momentum/velocity-cosine", "rmsprop/centered-momentum-cosine", "adam/amsgrad-cosine",
               "delta_bar_delta/previous", "quickprop/safeguarded", "rprop/irprop+")


def fused(make: Callable[..., optax.GradientTransformation]) -> Callable[..., optax.GradientTransformationExtraArgs]:
    """``make`` wrapped in ``jol.fuse``; keeps make's signature (inject_hyperparams binds it) and is named ``fuse``."""

    @functools.wraps(make)
    def fuse(**kwargs):
        return jol.fuse(make(**kwargs), chunk_size=CHUNK)

    fuse.__name__ = "fuse"
    return fuse


_BY_ID = {row.id: row for module in (gradient_descent, adaptive, rules) for row in module.ROWS}
# keeps_sharding=False: fuse() concatenates the small leaves into one buffer per dtype, so its state is not
# params-shaped; tests/sharding_check.py checks these rows on a data-parallel mesh (replicated params: no
# collective, the plain updates) and on an FSDP one (split leaves as own leaves: state sharded like them, no
# collective) instead, and that a split leaf bound for a flat buffer raises a ValueError.
ROWS = [dataclasses.replace(_BY_ID[i], id=f"fused/{i}", make=fused(_BY_ID[i].make), keeps_sharding=False)
        for i in WRAPPED_IDS if i in _BY_ID]

# tested in tests/test_fused.py (equality with the unfused step, in-place single pass)
EXEMPT = {"fused_step", "ravel_by_dtype", "FusedState"}
