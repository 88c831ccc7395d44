"""What the documentation shows where: the data behind the generated parts of the site.

Everything that can be read from the code is (docstrings, signatures and defaults, the registry's
references and tolerances, the figures the experiments draw); this file only says how to arrange
it. Names that other issues have not landed yet are listed explicitly in ``PENDING_NAMES`` and
``PENDING_EXPERIMENTS`` (and ``PENDING_PAGES``): the site shows them as "not yet in the library",
and ``tests/test_docs.py`` fails once one of them exists so that the entry is removed.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class GuidePage:
    """One guide page: its Markdown source (prose written by hand) and what is generated into it."""

    path: str  # relative to docs/
    title: str
    methods: tuple[str, ...]  # public names (dotted below jaxopt_lectures: "losses.mse")
    experiments: tuple[str, ...] = ()  # experiments.<name> whose --quick figures form the page's gallery


GUIDE = (
    GuidePage("guide/gradient-descent.md", "Gradient descent", ("sgd",),
              ("quadratic_dynamics", "robbins_monro", "saddles", "standardization")),
    GuidePage("guide/momentum.md", "Momentum and Nesterov", ("momentum", "nesterov"),
              ("trajectories", "momentum_memory")),
    GuidePage("guide/adaptive.md", "Adaptive methods", ("adagrad", "rmsprop", "adadelta", "adam", "adamw"),
              ("trajectories", "digits", "adaptive_startup")),
    GuidePage("guide/rules.md", "Classic rules", ("delta_delta", "delta_bar_delta", "quickprop", "rprop"),
              ("classic_rules",)),
    GuidePage("guide/schedules.md", "Schedules",
              ("constant_schedule", "step_decay", "exponential_decay", "inverse_time_decay", "inverse_sqrt_decay",
               "polynomial_decay", "linear_decay", "cosine_decay", "sgdr", "linear_warmup", "cyclic_triangular",
               "transformer_schedule", "batch_size_scaled", "per_epoch", "reduce_on_plateau"),
              ("schedules", "warmup")),
    GuidePage("guide/regularization.md", "Regularization", ("add_l2", "decoupled_weight_decay", "proximal"),
              ("regularization",)),
    GuidePage("guide/second-order.md", "Second-order methods",
              ("newton", "newton_cg", "bfgs", "lbfgs", "armijo_linesearch", "wolfe_linesearch", "hvp"),
              ("second_order", "lbfgs_minibatch", "newton_cost")),
    GuidePage("guide/losses.md", "Losses, gradient checking, problems and the driver",
              ("losses.mse", "losses.softmax_cross_entropy", "losses.multiclass_hinge", "losses.logistic",
               "losses.l1_penalty", "losses.l2_penalty", "losses.check_grad", "minimize", "fit", "problems", "data"),
              ("gradient_check",)),
)

# public names (besides state classes and scale_by_ twins) that have no guide section, and why;
# every public name still has its section in the API reference
NOT_IN_GUIDE = {
    "nesterov_iterate": "a helper explained in the momentum guide's prose",
    "testing": "the conformance kit, on its own page (testing.md)",
    "fuse": "performance (docs/performance.md)", "fused_step": "performance (docs/performance.md)", "ravel_by_dtype": "performance (docs/performance.md)",
}

# experiments.<name> modules the docs build runs with --quick; the order is the gallery order
EXPERIMENTS = ("quadratic_dynamics", "trajectories", "digits", "classic_rules", "schedules", "second_order",
               "gradient_check", "robbins_monro", "adaptive_startup", "regularization", "momentum_memory", "warmup",
               "lbfgs_minibatch", "saddles", "newton_cost", "standardization")
# experiments the docs do not run, with the reason (tests/test_docs.py checks every experiment is in one list)
NOT_IN_DOCS = {
    "tour": "it runs the other experiments into one HTML page; the docs run them directly",
    "explorer": "an interactive page of its own (docs/explorer.md shows a screenshot and how to build it)",
}

# method -> figures of its own section: (experiment, figure stem); the page gallery shows all of them
METHOD_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "sgd": (("quadratic_dynamics", "quadratic_step_sizes"),),
    "momentum": (("quadratic_dynamics", "momentum_condition_number"), ("trajectories", "trajectories_quadratic")),
    "nesterov": (("trajectories", "trajectories_rosenbrock"),),
}

# Explicitly pending (other issues are adding them now); see the module docstring.
PENDING_NAMES: frozenset[str] = frozenset()
PENDING_EXPERIMENTS: frozenset[str] = frozenset()
# pages other issues write into docs/; until they exist the site shows a stub saying so
PENDING_PAGES: dict[str, str] = {}  # docs/ path -> title


@dataclasses.dataclass(frozen=True)
class Variant:
    """A place where the lectures (or a lecture and the libraries) disagree, and the call selecting each reading."""

    topic: str
    source: str  # who says it: a lecture tag, a paper or a library
    says: str  # what they write (Markdown with $...$ maths)
    call: str  # a Python expression; tests/test_docs.py evaluates it in VARIANT_NAMESPACE
    spec: str  # docs/spec pages, comma-separated, without ".md" (an anchor may follow: "decisions#decision-4")


# the symbols the calls below use (tests/test_docs.py binds them to these values)
VARIANT_NAMESPACE = {"lr": 0.1, "beta": 0.9, "gamma": 0.1, "lam": 1e-3, "N": 1437, "c": 0.97, "k": 0.01}

VARIANTS = (
    Variant("momentum", "[002] first form, [003], optax, torch", r"$m \leftarrow \beta m + g,\ \Delta = -\eta m$",
            'jol.momentum(lr, beta, form="trace")', "momentum"),
    Variant("momentum", "[000] algorithm, [002] second form", r"$v \leftarrow \beta v - \eta g,\ \Delta = v$",
            'jol.momentum(lr, beta, form="velocity")', "momentum"),
    Variant("momentum", "[001]", r"$m \leftarrow \mu m + (1-\mu) g,\ \Delta = -\eta m$",
            'jol.momentum(lr, beta, form="ema")', "momentum"),
    Variant("Nesterov", "[002] change of variables", r"params are the look-ahead points $\tilde x_t = x_t + \beta v_t$",
            'jol.nesterov(lr, beta, form="velocity")', "nesterov"),
    Variant("Nesterov", "[000] algorithm, [002] first slide (Sutskever)", r"the real iterate $x_t$",
            "jol.nesterov_iterate  # x_t = nesterov_iterate(params, state)", "nesterov"),
    Variant("AdaGrad", "[000]", r"$g/\sqrt{r + \varepsilon}$, $\varepsilon = 10^{-8}$",
            "jol.adagrad(lr, eps=1e-8, eps_in_sqrt=True)", "adagrad"),
    Variant("AdaGrad", "[001]", r"$g/\sqrt{r + \varepsilon}$, $\varepsilon = 10^{-7}$",
            "jol.adagrad(lr, eps=1e-7, eps_in_sqrt=True)", "adagrad"),
    Variant("AdaGrad", "[002], torch (the default placement)", r"$g/(\sqrt{r} + \varepsilon)$, $\varepsilon = 10^{-7}$",
            "jol.adagrad(lr, eps=1e-7)", "adagrad"),
    Variant("AdaGrad", "optax defaults", r"$r_0 = 0.1$, $\varepsilon = 10^{-7}$ inside the root",
            "jol.adagrad(lr, eps=1e-7, initial_accumulator=0.1, eps_in_sqrt=True)", "adagrad"),
    Variant("RMSProp", "[000]", r"$r \leftarrow \beta r + (1-\beta) g^2$, $\varepsilon = 10^{-8}$ inside the root",
            "jol.rmsprop(lr, decay=0.9, eps=1e-8, eps_in_sqrt=True)", "rmsprop"),
    Variant("RMSProp", "[001]", r"same weighting, $\varepsilon = 10^{-7}$ inside the root",
            "jol.rmsprop(lr, eps=1e-7, eps_in_sqrt=True)", "rmsprop"),
    Variant("RMSProp", "[002], torch", r"$\varepsilon = 10^{-7}$ outside the root",
            "jol.rmsprop(lr, eps=1e-7)", "rmsprop"),
    Variant("RMSProp", "[003]", r"$s \leftarrow (1-\gamma) s + \gamma g^2$: $\gamma$ weights the *new* square",
            "jol.rmsprop(lr, decay=1 - gamma, eps_in_sqrt=True)", "rmsprop"),
    Variant("AdaDelta", "Zeiler 2012, optax, torch", r"$\sqrt{E[\Delta x^2] + \varepsilon}\,/\sqrt{E[g^2] + \varepsilon}$",
            'jol.adadelta(1.0, form="zeiler")', "adadelta"),
    Variant("AdaDelta", "[001] slide", r"$(\sqrt{d} + \varepsilon)/\sqrt{v + \varepsilon}$ times $\eta$ (starts 1000× slower)",
            'jol.adadelta(lr, form="jku")', "adadelta"),
    Variant("Adam", "[000]", r"bias-corrected, $\hat m/\sqrt{\hat v + \varepsilon}$, $\varepsilon = 10^{-8}$",
            "jol.adam(lr, eps=0.0, eps_root=1e-8)", "adam"),
    Variant("Adam", "[001], [002] \"almost\"", r"no bias correction, $m/(\sqrt{v} + \varepsilon)$, $\varepsilon = 10^{-7}$",
            "jol.adam(lr, eps=1e-7, bias_correction=False)", "adam"),
    Variant("Adam", "[002] full form", r"bias-corrected, $\varepsilon = 10^{-7}$ outside the root",
            "jol.adam(lr, eps=1e-7)", "adam"),
    Variant("Adam", "[003]", r"no bias correction, $m/\sqrt{s + \varepsilon}$",
            "jol.adam(lr, eps=0.0, eps_root=1e-8, bias_correction=False)", "adam"),
    Variant("weight decay", "\"L2 in the loss\" ([000], [002])", r"$g + \lambda\theta$ enters Adam's moments",
            "optax.chain(jol.add_l2(lam), jol.adam(lr))", "adamw"),
    Variant("weight decay", "Loshchilov & Hutter, optax, torch", r"$-\eta\lambda\theta$ added after the preconditioner",
            "jol.adamw(lr, weight_decay=lam)", "adamw"),
    Variant("delta-delta", "[001] slide (literal)", r"$\eta_i \leftarrow \eta_i + \gamma g_i(t) g_i(t-1)$, may turn negative",
            "jol.delta_delta(lr, meta_learning_rate=gamma, min_learning_rate=None)", "delta-delta, decisions#decision-4"),
    Variant("delta-delta", "default (non-negative rates, [001]'s previous slide)", r"rates clipped at 0",
            "jol.delta_delta(lr, meta_learning_rate=gamma)", "delta-delta, decisions#decision-4"),
    Variant("delta-bar-delta", "Jacobs 1988, ensmallen", r"sign test against $\bar g_{t-1}$ (before the update)",
            'jol.delta_bar_delta(lr, kappa=1e-4, phi=0.2, theta=0.7, average="previous")', "delta-bar-delta, decisions#decision-4"),
    Variant("delta-bar-delta", "[001] slide", r"sign test against $\bar g_t$ (including $g_t$)",
            'jol.delta_bar_delta(lr, kappa=1e-4, phi=0.2, theta=0.7, average="current")', "delta-bar-delta, decisions#decision-4"),
    Variant("Quickprop", "[001] slide", r"bare secant step $\Delta = s/(p - s)\, d$",
            "jol.quickprop(lr, safeguard=False)", "quickprop"),
    Variant("Quickprop", "Fahlman 1988", r"growth cap $\mu$ and sign-conditioned linear term",
            "jol.quickprop(lr, max_growth=1.75, safeguard=True)", "quickprop"),
    Variant("Rprop", "[001] slide", r"step-size rule and $-\Delta\,\mathrm{sign}(g)$ only",
            'jol.rprop(lr, variant="rprop-")', "rprop"),
    Variant("Rprop", "Riedmiller & Braun 1993", r"weight-backtracking on a sign change",
            'jol.rprop(lr, variant="rprop+")', "rprop"),
    Variant("Rprop", "Igel & Hüsken 2000 (iRprop+)", r"backtrack only if the loss increased (needs `value=`)",
            'jol.rprop(lr, variant="irprop+")', "rprop"),
    Variant("Rprop", "Igel & Hüsken 2000 (iRprop−), torch", r"zero the gradient after a sign change",
            'jol.rprop(lr, variant="irprop-")', "rprop"),
    Variant("L2 factor 2", "[002] $\\lambda\\sum W^2$, [000]/[001] $\\lambda\\|\\theta\\|^2$ in the loss",
            r"gradient $2\lambda\theta$", "jol.add_l2(2 * lam)", "regularization"),
    Variant("L2 factor 2", "optax/torch weight decay", r"gradient $\lambda\theta$ (penalty $\frac{\lambda}{2}\|\theta\|^2$)",
            "jol.add_l2(lam)", "regularization"),
    Variant("elastic net", "[002] $\\lambda\\sum(\\beta W^2 + \\lvert W\\rvert)$", r"proximal step of $\eta(\ell_1\|\theta\|_1 + \frac{\ell_2}{2}\|\theta\|^2)$",
            "jol.proximal(lr, l1=lam, l2=2 * lam * beta)", "regularization"),
    Variant("objective", "[003] sum over examples", r"$\sum_i L_i$ instead of the mean",
            "jol.sgd(lr / N)", "sgd"),
    Variant("schedules", "[000] $\\alpha_0 c^t$ (optax: `exponential_decay(init, transition_steps, decay_rate)`)",
            r"rate second, steps third", "jol.exponential_decay(lr, decay_rate=c)", "schedules"),
    Variant("schedules", "[001] 1/t decay", r"$\eta_0/(1 + k t)$", "jol.inverse_time_decay(lr, decay_rate=k)", "schedules"),
    Variant("schedules", "[000], [002] $\\alpha_0/\\sqrt{t}$ (1-based $t$)", r"evaluated at $s = \mathrm{count} + 1$",
            "jol.inverse_sqrt_decay(lr)", "schedules"),
    Variant("gradient check", "[002] worked example", r"forward difference $(f(x+h) - f(x))/h$, $h = 10^{-4}$",
            'jol.losses.check_grad  # check_grad(f, x, method="forward")', "losses"),
    Variant("gradient check", "default (CS231n notes)", r"centered difference, $h = 10^{-5}$, float64",
            "jol.losses.check_grad  # check_grad(f, x)", "losses"),
)
