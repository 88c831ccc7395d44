"""Registry rows of Newton, Newton–CG, BFGS and L-BFGS with and without line searches (docs/spec/newton.md,
docs/spec/bfgs.md, docs/spec/lbfgs.md, docs/spec/linesearch.md).

The rows that need ``value_fn=`` have no step-by-step ``reference`` (the stream protocol of
docs/spec/conventions.md#reference-check-protocol
passes no objective), and fixed-step BFGS has none either: on a random gradient stream yᵀs can be
arbitrarily close to 0 and a float32 run drifts from any float64 loop (0.3% after 7 steps) although
both are right; its NumPy and jaxopt references run in tests/test_second_order.py (float64 stream,
and a convex problem in float32). The
line searches themselves are not optimizers: they are EXEMPT here and tested in
tests/test_linesearch.py and through the ``*-armijo`` / ``*-wolfe`` rows.
"""

from __future__ import annotations

import jaxopt_lectures as jol
from tests import harness
from tests.registry.row import Row

BAD_RATE = ({"learning_rate": -0.1}, "learning_rate")
ZERO_RATE = ({"learning_rate": 0.0}, "learning_rate")
NEWTON_INVALID = (BAD_RATE, ZERO_RATE, ({"damping": -1.0}, "damping"), ({"indefinite": "eigen"}, "indefinite"))
NEWTON_CG_INVALID = (BAD_RATE, ({"damping": -1.0}, "damping"), ({"max_cg_steps": 0}, "max_cg_steps"),
                     ({"cg_rtol": 1.5}, "cg_rtol"))
LBFGS_INVALID = (BAD_RATE, ({"memory_size": 0}, "memory_size"), ({"memory_size": -3}, "memory_size"))
NEWTON_LECTURE = "[002] second-order Taylor / Newton parameter update, [001] §7.6"
BFGS_LECTURE = "[002] Quasi-Newton methods (BFGS most popular)"
LBFGS_LECTURE = "[002] L-BFGS (Limited memory BFGS)"
SECOND_ORDER = dict(elementwise=False, solve_steps=60)
# The contract tests feed random gradients that are not ∇value_fn, so an Armijo search may find no step;
# few reductions keep every trial step >= ~1e-3, where accept/reject is not decided by float32 rounding
# of f (with 30 halvings, vmap and a Python loop rounded differently and accepted different tiny steps).


def newton_armijo(*, learning_rate=1.0, damping=0.0, indefinite="solve"):
    """Newton restarted at the unit step with Armijo backtracking (docs/spec/newton.md Proposal)."""
    linesearch = jol.armijo_linesearch(max_linesearch_steps=15, decrease_factor=0.6)
    return jol.newton(learning_rate=learning_rate, damping=damping, indefinite=indefinite, linesearch=linesearch)


def bfgs_armijo(*, learning_rate=None, scale_init=False):
    """BFGS with Armijo backtracking (the strong-Wolfe default is covered by the lbfgs/wolfe row: same wrapper)."""
    linesearch = jol.armijo_linesearch(max_linesearch_steps=12, slope_rtol=1e-3)
    return jol.bfgs(learning_rate=learning_rate, scale_init=scale_init, linesearch=linesearch)


ROWS = [
    Row("newton/damped", jol.newton, {"learning_rate": 0.8, "damping": 0.1}, needs=("value_fn",),
        invalid=NEWTON_INVALID, lecture=NEWTON_LECTURE, **SECOND_ORDER),
    Row("newton/levenberg-armijo", newton_armijo, {"learning_rate": 0.9, "indefinite": "levenberg"},
        needs=("value_fn",), invalid=NEWTON_INVALID, lecture=NEWTON_LECTURE, **SECOND_ORDER),
    Row("newton_cg/damped", jol.newton_cg, {"learning_rate": 0.9, "damping": 0.05, "max_cg_steps": 20},
        needs=("value_fn",), invalid=NEWTON_CG_INVALID, lecture=NEWTON_LECTURE, **SECOND_ORDER),
    Row("bfgs/fixed-step", jol.bfgs, {"learning_rate": 0.05, "linesearch": None, "scale_init": True},
        invalid=(BAD_RATE,), lecture=BFGS_LECTURE, solve={"learning_rate": 0.03, "linesearch": None},
        elementwise=False, solve_steps=500),
    Row("bfgs/armijo", bfgs_armijo, {"learning_rate": 0.9}, needs=("value_fn",),
        invalid=(BAD_RATE,), lecture=BFGS_LECTURE, **SECOND_ORDER),
    Row("lbfgs/fixed-step", jol.lbfgs, {"memory_size": 4, "learning_rate": 0.05, "linesearch": None},
        reference=harness.via_optax(lambda memory_size, learning_rate, linesearch: __import__("optax").lbfgs(
            learning_rate=learning_rate, memory_size=memory_size, linesearch=linesearch), dtype="float64"),
        reference_name="optax.lbfgs(learning_rate=η, memory_size=m, linesearch=None)", dtype="float64",
        invalid=LBFGS_INVALID, lecture=LBFGS_LECTURE, solve={"learning_rate": 0.03, "linesearch": None},
        elementwise=False, solve_steps=500),
    Row("lbfgs/wolfe", jol.lbfgs, {"memory_size": 5, "learning_rate": 0.9}, needs=("value_fn",),
        invalid=LBFGS_INVALID, lecture=LBFGS_LECTURE, **SECOND_ORDER),
]

# not optimizers: the line searches (tested in tests/test_linesearch.py), hvp, and the state classes
EXEMPT = {"armijo_linesearch", "wolfe_linesearch", "hvp", "LinesearchState", "ScaleByBFGSState",
          "ScaleByLBFGSState", "ScaleByNewtonCGState", "ScaleByNewtonState"}
