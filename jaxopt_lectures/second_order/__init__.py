"""Second-order and quasi-Newton methods with line searches ([002], [001] §7.6); docs/spec/newton.md,
docs/spec/bfgs.md, docs/spec/lbfgs.md, docs/spec/linesearch.md.

``newton``/``newton_cg`` (exact Hessian / Hessian-vector products), ``bfgs`` (dense inverse
Hessian), ``lbfgs`` (two-loop recursion over a ring buffer), and the line searches
``armijo_linesearch`` and ``wolfe_linesearch`` they take as ``linesearch=``.
"""

from jaxopt_lectures.second_order.bfgs import ScaleByBFGSState, bfgs, scale_by_bfgs
from jaxopt_lectures.second_order.lbfgs import ScaleByLBFGSState, lbfgs, scale_by_lbfgs
from jaxopt_lectures.second_order.linesearch import LinesearchState, armijo_linesearch, wolfe_linesearch
from jaxopt_lectures.second_order.newton import (
    ScaleByNewtonCGState,
    ScaleByNewtonState,
    hvp,
    newton,
    newton_cg,
    scale_by_newton,
    scale_by_newton_cg,
)

__all__ = [
    "LinesearchState",
    "ScaleByBFGSState",
    "ScaleByLBFGSState",
    "ScaleByNewtonCGState",
    "ScaleByNewtonState",
    "armijo_linesearch",
    "bfgs",
    "hvp",
    "lbfgs",
    "newton",
    "newton_cg",
    "scale_by_bfgs",
    "scale_by_lbfgs",
    "scale_by_newton",
    "scale_by_newton_cg",
    "wolfe_linesearch",
]
