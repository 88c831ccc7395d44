"""jaxopt_lectures: the optimizers of four deep-learning optimization lectures as optax transforms.

Every name below is an ``optax.GradientTransformationExtraArgs`` factory, a schedule, or a
helper; see README.md and shared/API.md.
"""

from jaxopt_lectures import problems
from jaxopt_lectures.gradient_descent import scale_by_sgd, sgd
from jaxopt_lectures.momentum import (
    ScaleByMomentumState,
    momentum,
    nesterov,
    nesterov_iterate,
    scale_by_momentum,
    scale_by_nesterov,
)
from jaxopt_lectures.regularization import add_l2, decoupled_weight_decay
from jaxopt_lectures.run import Trace, minimize

__version__ = "0.1.0"

__all__ = [
    "ScaleByMomentumState",
    "Trace",
    "add_l2",
    "decoupled_weight_decay",
    "minimize",
    "momentum",
    "nesterov",
    "nesterov_iterate",
    "problems",
    "scale_by_momentum",
    "scale_by_nesterov",
    "scale_by_sgd",
    "sgd",
]
