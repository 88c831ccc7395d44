"""Registry rows of AdaGrad, RMSProp, AdaDelta, Adam and AdamW (docs/spec/adagrad.md, docs/spec/rmsprop.md,
docs/spec/adadelta.md, docs/spec/adam.md, docs/spec/adamw.md, docs/spec/references.md).

Every row uses non-default hyperparameters; the schedule rows use a cosine decay. References are
the exact optax configurations of docs/spec/references.md where one exists, else float64 NumPy loops from the
equations (tests/reference/adaptive.py). torch.optim float64 checks are in test_adaptive.py and
test_adam.py.
"""

from __future__ import annotations

import optax

import jaxopt_lectures as jol
from tests import harness
from tests.reference import adaptive as ref
from tests.registry.row import Row

COSINE = harness.cosine(0.05, 60)
SOLVE_COSINE = harness.cosine(0.05, 500)  # a decaying rate lets the adaptive methods settle
BAD_RATE = ({"learning_rate": -0.1}, "learning_rate")
BAD_EPS = ({"eps": -1e-8}, "eps")
ADAM_TOL = 3e-5  # docs/spec/conventions.md#reference-check-protocol: float32 1 − β₂ᵗ limits cross-implementation agreement to ~1e-5
# ε values are large enough that moving ε inside/outside the root (or scaling it) breaks the match


def _optax_on_tree(factory):
    """Like harness.via_optax, but on the test pytree (for masks that name the tree's leaves)."""

    def reference(grads, values, params0, **kwargs):
        return harness.run_updates(factory(**kwargs), grads, values, params0)

    return reference


# ------------------------------------------------------------------ AdaGrad (docs/spec/adagrad.md)
ADAGRAD_INVALID = (BAD_RATE, BAD_EPS, ({"initial_accumulator": -0.1}, "initial_accumulator"))
_optax_adagrad = harness.via_optax(
    lambda learning_rate, eps, initial_accumulator, eps_in_sqrt: optax.adagrad(
        learning_rate, initial_accumulator_value=initial_accumulator, eps=eps))
ADAGRAD = [
    Row("adagrad/eps-in-sqrt", jol.adagrad,
        {"learning_rate": 0.05, "eps": 1e-2, "initial_accumulator": 0.2, "eps_in_sqrt": True},
        reference=_optax_adagrad, reference_name="optax.adagrad(lr, initial_accumulator_value=a, eps=ε)",
        invalid=ADAGRAD_INVALID, lecture="[000] AdaGrad (2011), [001] §7.4 AdaGrad (ε inside)",
        solve={"learning_rate": 0.5}),
    Row("adagrad/eps-in-sqrt-cosine", jol.adagrad,
        {"learning_rate": COSINE, "eps": 1e-7, "initial_accumulator": 0.1, "eps_in_sqrt": True},
        reference=_optax_adagrad, reference_name="optax.adagrad(schedule, initial_accumulator_value=a, eps=ε)",
        lecture="[000] AdaGrad (2011), [001] §7.4 AdaGrad", solve={"learning_rate": 0.5}),
    Row("adagrad/eps-outside", jol.adagrad, {"learning_rate": 0.05, "eps": 1e-7},
        reference=ref.numpy_adagrad, reference_name="NumPy loop r ← r + g², Δ = −η g/(√r + ε), 0 where r = 0",
        invalid=ADAGRAD_INVALID, lecture="[002] AdaGrad code (ε outside)", solve={"learning_rate": 0.3}),
    Row("adagrad/eps-outside-cosine", jol.adagrad, {"learning_rate": COSINE, "eps": 1e-4, "initial_accumulator": 0.05},
        reference=ref.numpy_adagrad, reference_name="NumPy loop r ← r + g², Δ = −η_t g/(√r + ε)",
        lecture="[002] AdaGrad code (ε outside)", solve={"learning_rate": 0.3}),
]

# ------------------------------------------------------------------ RMSProp (docs/spec/rmsprop.md)
RMSPROP_INVALID = (BAD_RATE, BAD_EPS, ({"decay": -0.1}, "decay"), ({"decay": 1.0}, "decay"),
                   ({"momentum": 1.0}, "momentum"), ({"momentum": None, "nesterov": True}, "nesterov"),
                   ({"initial_scale": -1.0}, "initial_scale"))
# same keyword names, but optax's eps_in_sqrt defaults to True (ours: False, docs/spec/pitfalls.md#pitfall-4): pass it
_optax_rmsprop = harness.via_optax(
    lambda eps_in_sqrt=False, **kwargs: optax.rmsprop(eps_in_sqrt=eps_in_sqrt, **kwargs))
RMSPROP_LECTURE = "[000] RMSProp (2012), [001] §7.4 RMSprop, [002] Leaky AdaGrad, [003] Fix #2"


def _rmsprop_row(variant: str, lecture: str = RMSPROP_LECTURE, solve_rate=0.01, **kwargs) -> Row:
    kwargs = {"learning_rate": 0.01, "decay": 0.8, "eps": 1e-6, **kwargs}
    return Row(f"rmsprop/{variant}", jol.rmsprop, kwargs, reference=_optax_rmsprop,
               reference_name="optax.rmsprop(lr, decay=ρ, eps=ε, eps_in_sqrt=…, centered=…, momentum=…, nesterov=…)",
               invalid=RMSPROP_INVALID, lecture=lecture, solve={"learning_rate": SOLVE_COSINE})


RMSPROP = [
    _rmsprop_row("eps-outside", lecture="[002] Leaky AdaGrad (ε outside)"),
    _rmsprop_row("eps-in-sqrt-cosine", lecture="[000] RMSProp (2012), [001] §7.4 (ε inside)",
                 learning_rate=COSINE, eps_in_sqrt=True),
    _rmsprop_row("centered", centered=True),
    _rmsprop_row("centered-momentum-cosine", learning_rate=COSINE, eps_in_sqrt=True, centered=True, momentum=0.7),
    _rmsprop_row("nesterov", momentum=0.8, nesterov=True),
    Row("rmsprop/initial-scale-momentum-cosine", jol.rmsprop,
        {"learning_rate": COSINE, "decay": 0.85, "eps": 1e-2, "momentum": 0.6, "initial_scale": 0.3},
        reference=ref.numpy_rmsprop,
        reference_name="NumPy loop ν ← ρν + (1−ρ)g², s = −η_t g/(√ν + ε), b ← β_m b + s",
        lecture=RMSPROP_LECTURE, solve={"learning_rate": SOLVE_COSINE}),
]

# ------------------------------------------------------------------ AdaDelta (docs/spec/adadelta.md)
ADADELTA_INVALID = (BAD_RATE, ({"eps": 0.0}, "eps"), ({"rho": 1.0}, "rho"), ({"rho": -0.5}, "rho"),
                    ({"form": "slide"}, "form"))
_optax_adadelta = harness.via_optax(
    lambda learning_rate, rho, eps, form="zeiler": optax.adadelta(learning_rate=learning_rate, rho=rho, eps=eps))
ADADELTA_SOLVE = {"learning_rate": harness.cosine(1.0, 1000), "eps": 1e-4}
ADADELTA = [
    Row("adadelta/zeiler", jol.adadelta, {"learning_rate": 1.0, "rho": 0.9, "eps": 1e-5},
        reference=_optax_adadelta, reference_name="optax.adadelta(learning_rate=1.0, rho=ρ, eps=ε) (never None)",
        invalid=ADADELTA_INVALID, lecture="[001] RMSprop, AdaDelta; Zeiler 2012",
        solve=ADADELTA_SOLVE, solve_steps=1000),
    Row("adadelta/zeiler-cosine", jol.adadelta, {"learning_rate": harness.cosine(0.5, 60), "rho": 0.9, "eps": 1e-5},
        reference=_optax_adadelta, reference_name="optax.adadelta(learning_rate=schedule, rho=ρ, eps=ε)",
        lecture="[001] RMSprop, AdaDelta; Zeiler 2012", solve=ADADELTA_SOLVE, solve_steps=1000),
    Row("adadelta/jku-cosine", jol.adadelta,
        {"learning_rate": harness.cosine(2.0, 60), "rho": 0.9, "eps": 1e-3, "form": "jku"},
        reference=ref.numpy_adadelta, reference_name="NumPy loop of [001]'s slide: (√E[Δx²] + ε)/√(E[g²] + ε)·g",
        invalid=ADADELTA_INVALID, lecture="[001] RMSprop, AdaDelta (slide form)",
        solve={**ADADELTA_SOLVE, "eps": 1e-2}, solve_steps=1000),
]

# ------------------------------------------------------------------ Adam (docs/spec/adam.md)
ADAM_INVALID = (BAD_RATE, BAD_EPS, ({"b1": 1.0}, "b1"), ({"b1": -0.1}, "b1"), ({"b2": 1.0}, "b2"),
                ({"eps_root": -1e-8}, "eps_root"))
ADAM_KWARGS = {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99, "eps": 1e-6}
ADAM_LECTURE = "[000] Adam (2014) + Adam Bias Correction, [002] Adam (full form)"
ALMOST_LECTURE = "[001] §7.4 Adam, [002] Adam (almost), [003] Fix #3 (no bias correction)"
_numpy_adam_name = "NumPy loop of Kingma & Ba Algorithm 1 ([002] code for bias_correction=False)"
ADAM = [
    Row("adam/bias-corrected", jol.adam, {**ADAM_KWARGS, "eps_root": 1e-3},
        reference=harness.via_optax(optax.adam), reference_name="optax.adam(lr, b1, b2, eps, eps_root)",
        rtol=ADAM_TOL, invalid=ADAM_INVALID, lecture=ADAM_LECTURE, solve={"learning_rate": SOLVE_COSINE}),
    Row("adam/cosine", jol.adam, {**ADAM_KWARGS, "learning_rate": COSINE},
        reference=harness.via_optax(optax.adam), reference_name="optax.adam(schedule, b1, b2, eps)",
        rtol=ADAM_TOL, lecture=ADAM_LECTURE, solve={"learning_rate": SOLVE_COSINE}),
    Row("adam/eps-in-sqrt-000", jol.adam, {**ADAM_KWARGS, "eps": 0.0, "eps_root": 1e-8},
        reference=ref.numpy_adam, reference_name=_numpy_adam_name + ", ε inside √(v̂ + ε)",
        rtol=ADAM_TOL, invalid=ADAM_INVALID, lecture="[000] Adam (2014): ε inside the root",
        solve={"learning_rate": SOLVE_COSINE}),
    Row("adam/almost-cosine", jol.adam, {**ADAM_KWARGS, "learning_rate": COSINE, "eps": 1e-7, "bias_correction": False},
        reference=ref.numpy_adam, reference_name=_numpy_adam_name, rtol=ADAM_TOL, invalid=ADAM_INVALID,
        lecture=ALMOST_LECTURE, solve={"learning_rate": SOLVE_COSINE}),
    Row("adam/almost-eps-in-sqrt-003", jol.adam,
        {**ADAM_KWARGS, "eps": 0.0, "eps_root": 1e-4, "bias_correction": False},
        reference=ref.numpy_adam, reference_name=_numpy_adam_name + ", ε inside √(v + ε)", rtol=ADAM_TOL,
        lecture="[003] Fix #3: no bias correction, ε inside", solve={"learning_rate": SOLVE_COSINE}),
    Row("adam/amsgrad-cosine", jol.adam, {**ADAM_KWARGS, "learning_rate": COSINE, "amsgrad": True},
        reference=harness.via_optax(lambda amsgrad, **kw: optax.amsgrad(**kw)),
        reference_name="optax.amsgrad(lr, b1, b2, eps) (max of the corrected v̂)", rtol=ADAM_TOL,
        lecture="beyond the lectures: Reddi et al. 2018", solve={"learning_rate": 0.1}, solve_steps=1000),
    Row("adam/nadam", jol.adam, {**ADAM_KWARGS, "nesterov": True},
        reference=harness.via_optax(lambda nesterov, **kw: optax.nadam(**kw)),
        reference_name="optax.nadam(lr, b1, b2, eps)", rtol=ADAM_TOL,
        lecture="beyond the lectures: Dozat 2016", solve={"learning_rate": SOLVE_COSINE}),
]

# ------------------------------------------------------------------ AdamW (docs/spec/adamw.md)
ADAMW_INVALID = (BAD_RATE, BAD_EPS, ({"b2": 1.0}, "b2"), ({"weight_decay": -1e-3}, "weight_decay"))
_optax_adamw = _optax_on_tree(optax.adamw)  # same keyword names, mask included
ADAMW = [
    Row("adamw/mask-tree", jol.adamw,
        {**ADAM_KWARGS, "weight_decay": 0.05, "mask": {"a": True, "b": False, "c": True}},
        reference=_optax_adamw, reference_name="optax.adamw(lr, b1, b2, eps, weight_decay=λ, mask=mask)",
        rtol=ADAM_TOL, invalid=ADAMW_INVALID, lecture="[000] regularization, [002] λR(W); Loshchilov & Hutter 2019",
        solve={"learning_rate": SOLVE_COSINE, "mask": None}),
    Row("adamw/mask-tree-cosine", jol.adamw,
        {**ADAM_KWARGS, "learning_rate": COSINE, "weight_decay": 0.1, "mask": {"a": False, "b": True, "c": False}},
        reference=_optax_adamw, reference_name="optax.adamw(schedule, b1, b2, eps, weight_decay=λ, mask=mask)",
        rtol=ADAM_TOL, lecture="[000] regularization, [002] λR(W); Loshchilov & Hutter 2019",
        solve={"learning_rate": SOLVE_COSINE, "mask": None}),
    # a callable mask is tested in test_adam.py: inject_hyperparams would take it for a schedule
]

ROWS = [*ADAGRAD, *RMSPROP, *ADADELTA, *ADAM, *ADAMW]
EXEMPT = {"ScaleByAdagradState", "ScaleByRmspropState", "ScaleByAdadeltaState", "ScaleByAdamState"}
