"""Registry rows of gradient descent, momentum and Nesterov (docs/spec/gradient-descent.md, docs/spec/momentum.md,
docs/spec/nesterov.md)."""

from __future__ import annotations

import optax

import jaxopt_lectures as jol
from tests import harness
from tests.reference import momentum as ref
from tests.registry.row import Row

BAD_RATE = ({"learning_rate": -0.1}, "learning_rate")
BAD_MOMENTUM = (BAD_RATE, ({"beta": 1.0}, "beta"), ({"beta": -0.5}, "beta"), ({"form": "heavy"}, "form"))
COSINE = harness.cosine(0.05, 60)  # the schedule-dependent forms are checked under a cosine decay


def _optax_momentum(learning_rate, beta, nesterov=False, form="trace"):
    """The exact optax configuration of each form (docs/spec/momentum.md, docs/spec/nesterov.md reference checks)."""
    if form == "trace":
        return optax.sgd(learning_rate, momentum=beta, nesterov=nesterov)
    if form == "velocity":
        return optax.chain(optax.scale_by_learning_rate(learning_rate), optax.trace(decay=beta, nesterov=nesterov))
    if nesterov:  # ema(η) = trace(η(1 − β)) for any schedule (docs/spec/nesterov.md)
        scaled = (lambda c: learning_rate(c) * (1 - beta)) if callable(learning_rate) else learning_rate * (1 - beta)
        return optax.sgd(scaled, momentum=beta, nesterov=True)
    return optax.chain(optax.ema(beta, debias=False), optax.scale_by_learning_rate(learning_rate))


OPTAX_NAMES = {
    "trace": "optax.sgd(lr, momentum=β, nesterov=…)",
    "velocity": "optax.chain(scale_by_learning_rate(lr), trace(β, nesterov=…))",
    "ema": "optax.chain(ema(β, debias=False), scale_by_learning_rate(lr)); nesterov: optax.sgd(lr·(1−β), momentum=β, nesterov=True)",
}
LECTURES = {"trace": "[002] SGD+Momentum (ρ), [003] Fix #1", "velocity": "[000] SGD With Momentum, [002] second form",
            "ema": "[001] §7.2 momentum (EMA)"}

ROWS = [
    Row("sgd/constant", jol.sgd, {"learning_rate": 0.07}, reference=harness.via_optax(optax.sgd),
        reference_name="optax.sgd(lr)", invalid=(BAD_RATE,), lecture="[000] [001] §7.1 [002] [003] gradient descent",
        solve={"learning_rate": 0.03}),
    Row("sgd/cosine", jol.sgd, {"learning_rate": COSINE}, reference=ref.numpy_sgd,
        reference_name="NumPy loop Δ = −η_t g", lecture="[000] [001] [002] [003] gradient descent",
        solve={"learning_rate": 0.03}),
    *[
        Row(f"momentum/{form}{'-nesterov' if nesterov else ''}", jol.momentum,
            {"learning_rate": 0.05, "beta": 0.8, "nesterov": nesterov, "form": form},
            reference=harness.via_optax(_optax_momentum), reference_name=OPTAX_NAMES[form],
            invalid=BAD_MOMENTUM, lecture=LECTURES[form],
            solve={"learning_rate": 0.1 if form == "ema" else 0.02})
        for form in ("trace", "velocity", "ema")
        for nesterov in (False, True)
    ],
    *[
        Row(f"momentum/{form}{'-nesterov' if nesterov else ''}-cosine", jol.momentum,
            {"learning_rate": COSINE, "beta": 0.8, "nesterov": nesterov, "form": form},
            reference=ref.numpy_momentum, reference_name="NumPy loop of the lecture's recursion",
            lecture=LECTURES[form], solve={"learning_rate": 0.02}, rtol=1e-5)
        for form in ("trace", "velocity", "ema")
        for nesterov in (False, True)
    ],
    Row("nesterov/trace", jol.nesterov, {"learning_rate": 0.05, "beta": 0.7},
        reference=harness.via_optax(lambda learning_rate, beta: optax.sgd(learning_rate, momentum=beta, nesterov=True)),
        reference_name="optax.sgd(lr, momentum=β, nesterov=True)", invalid=BAD_MOMENTUM,
        lecture="[000] SGD With Nesterov Momentum, [002] Nesterov Momentum", solve={"learning_rate": 0.02}),
]

# public names of these modules that are not optimizers (helpers, state classes)
EXEMPT = {"nesterov_iterate", "ScaleByMomentumState", "minimize", "Trace", "problems",
          "add_l2", "decoupled_weight_decay"}  # regularizers: tested in test_regularization.py
