"""Figures of optimization runs: contour plots with trajectories and loss curves.

matplotlib is imported lazily (it is in the ``experiments`` extra, not a runtime dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def contour_paths(problem: Any, paths: Mapping[str, Any], ax: Any = None, *, levels: int = 30, resolution: int = 200) -> Any:
    """Log-spaced contours of a 2-D problem with one trajectory (array (T, 2)) per label.

    Example:
        >>> import jaxopt_lectures as jol
        >>> from jaxopt_lectures import plotting
        >>> _, trace = jol.minimize(jol.problems.rosenbrock, jol.problems.rosenbrock.x0, jol.sgd(1e-3), 10)
        >>> ax = plotting.contour_paths(jol.problems.rosenbrock, {"sgd": trace.params})
        >>> ax.get_title()
        'rosenbrock'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    grid = jnp.stack([X.ravel(), Y.ravel()], axis=1)
    Z = np.asarray(jax.vmap(problem)(grid)).reshape(X.shape)
    shifted = Z - Z.min() + 1e-3
    log_levels = np.linspace(np.log10(shifted.min()), np.log10(shifted.max()), levels)
    ax.contourf(X, Y, np.log10(shifted), levels=log_levels, cmap="Blues_r", alpha=0.45)
    ax.contour(X, Y, np.log10(shifted), levels=log_levels, colors="steelblue", linewidths=0.5, alpha=0.8)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1.2, label=label)
    for m in problem.minimizers:
        ax.plot(*np.asarray(m), "k*", markersize=12)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$x$", ylabel="$y$", title=problem.name)
    return ax
