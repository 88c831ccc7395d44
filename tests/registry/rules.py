"""Registry rows of delta-delta, delta-bar-delta, Quickprop and the four Rprop variants (docs/spec/delta-delta.md,
docs/spec/delta-bar-delta.md, docs/spec/quickprop.md, docs/spec/rprop.md)."""

from __future__ import annotations

import jaxopt_lectures as jol
from tests import harness
from tests.reference import rules as ref
from tests.registry.row import Row

BAD_RATE = ({"learning_rate": -0.1}, "learning_rate")
NUMPY = "float64 NumPy loop of the {} (tests/reference/rules.py)"

DELTA_DELTA = dict(learning_rate=0.02, meta_learning_rate=0.05)
DELTA_DELTA_INVALID = (BAD_RATE, ({"learning_rate": 0.0}, "learning_rate"),
                       ({"meta_learning_rate": -1e-3}, "meta_learning_rate"),
                       ({"min_learning_rate": -0.1}, "min_learning_rate"))

DELTA_BAR_DELTA = dict(learning_rate=0.03, kappa=0.01, phi=0.3, theta=0.6)
DELTA_BAR_DELTA_INVALID = (BAD_RATE, ({"kappa": -0.1}, "kappa"), ({"phi": 1.5}, "phi"), ({"phi": -0.1}, "phi"),
                           ({"theta": 1.0}, "theta"), ({"average": "mean"}, "average"))
DELTA_BAR_DELTA_SOLVE = dict(learning_rate=1e-2, kappa=1e-4, phi=0.2, theta=0.7)  # docs/spec/delta-bar-delta.md demo values

QUICKPROP = dict(learning_rate=0.05, max_growth=1.5)
QUICKPROP_INVALID = (BAD_RATE, ({"max_growth": 0.0}, "max_growth"))  # safeguard="yes": a TypeError (test_bad_inputs)

RPROP = dict(learning_rate=0.05, eta_minus=0.4, eta_plus=1.3, min_step=1e-4, max_step=2.0)
RPROP_INVALID = (BAD_RATE, ({"learning_rate": 3.0}, "learning_rate"), ({"eta_plus": 0.9}, "eta_plus"),
                 ({"eta_plus": 1.0}, "eta_plus"), ({"eta_minus": 1.0}, "eta_minus"), ({"eta_minus": 0.0}, "eta_minus"),
                 ({"min_step": 0.0}, "min_step"), ({"min_step": 3.0}, "min_step"), ({"max_step": -1.0}, "max_step"),
                 ({"variant": "irprop"}, "variant"))
RPROP_LECTURE = {"rprop-": "[001] §7.5 Rprop (the slide's rule)", "rprop+": "[001] §7.5 Rprop; Riedmiller & Braun 1993",
                 "irprop+": "[001] §7.5 Rprop; Igel & Hüsken 2000", "irprop-": "[001] §7.5 Rprop; Igel & Hüsken 2000"}

ROWS = [
    Row("delta_delta/clipped", jol.delta_delta, {**DELTA_DELTA, "min_learning_rate": 0.005}, reference=ref.delta_delta,
        reference_name=NUMPY.format("two equations of docs/spec/delta-delta.md, rates clipped at min_learning_rate"),
        invalid=DELTA_DELTA_INVALID, lecture="[001] §7.4 Delta-delta rule",
        solve={"learning_rate": 0.02, "meta_learning_rate": 1e-3}),
    Row("delta_delta/literal", jol.delta_delta, {**DELTA_DELTA, "min_learning_rate": None}, reference=ref.delta_delta,
        reference_name=NUMPY.format("two equations of docs/spec/delta-delta.md, unclipped (the slide)"),
        invalid=DELTA_DELTA_INVALID, lecture="[001] §7.4 Delta-delta rule",
        solve={"learning_rate": 0.02, "meta_learning_rate": 1e-3}),
    *[
        Row(f"delta_bar_delta/{average}", jol.delta_bar_delta, {**DELTA_BAR_DELTA, "average": average},
            reference=ref.delta_bar_delta, reference_name=NUMPY.format(f"docs/spec/delta-bar-delta.md rule, average={average!r}"),
            invalid=DELTA_BAR_DELTA_INVALID, lecture="[001] §7.4 Delta-bar-delta rule" + (
                " (Jacobs 1988's order)" if average == "previous" else " (the slide's ḡ(t))"),
            solve=DELTA_BAR_DELTA_SOLVE)
        for average in ("previous", "current")
    ],
    *[
        Row(f"quickprop/{name}", jol.quickprop, {**QUICKPROP, "learning_rate": rate, "safeguard": safeguard},
            reference=ref.quickprop, reference_name=NUMPY.format(
                "Fahlman's rules (docs/spec/quickprop.md)" if safeguard else "bare secant step (docs/spec/quickprop.md)"),
            invalid=QUICKPROP_INVALID, lecture="[001] §7.5 Quickprop" + ("; Fahlman 1988" if safeguard else ""),
            solve={"learning_rate": 0.01})
        for name, rate, safeguard in (("safeguarded", 0.05, True), ("bare", 0.05, False),
                                      ("safeguarded-cosine", harness.cosine(0.05, 60), True))
    ],
    *[
        Row(f"rprop/{variant}", jol.rprop, {**RPROP, "variant": variant},
            reference=ref.torch_rprop if variant == "irprop-" else ref.rprop,
            reference_name="torch.optim.Rprop(lr=Δ0, etas=(η⁻, η⁺), step_sizes=(min, max)), float64"
            if variant == "irprop-" else NUMPY.format(f"{variant} rules (docs/spec/rprop.md)"),
            needs=("value",) if variant == "irprop+" else (), invalid=RPROP_INVALID, lecture=RPROP_LECTURE[variant])
        for variant in ("rprop+", "rprop-", "irprop+", "irprop-")
    ],
]

# public names of this module that are not optimizers (state classes)
EXEMPT = {"ScaleByDeltaDeltaState", "ScaleByDeltaBarDeltaState", "ScaleByQuickpropState", "ScaleByRpropState"}
