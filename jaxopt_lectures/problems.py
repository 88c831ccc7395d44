"""Test problems of the lectures: classic 2-D surfaces and quadratics; SPEC.md §21.

Each problem is a callable frozen object: ``f(x)`` takes a point of shape ``(2,)`` (or ``(n,)``
where stated) and returns a scalar; ``f.minimizers`` holds the global minimizers, ``f.min_value``
the minimum, ``f.x0`` the recommended start, ``f.bounds`` the plotting box. Evaluate a batch of
points (a contour grid) with ``jax.vmap(f)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Problem:
    """A test function with its known solution; call it like the function."""

    name: str
    fun: Callable[[jax.Array], jax.Array]
    minimizers: tuple[jax.Array, ...]
    min_value: float
    x0: jax.Array
    bounds: tuple[tuple[float, float], ...]

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.fun(x)


def _rosenbrock(x: jax.Array, a: float = 1.0, b: float = 100.0) -> jax.Array:
    return jnp.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


def make_rosenbrock(a: float = 1.0, b: float = 100.0, dim: int = 2) -> Problem:
    r"""Rosenbrock's valley $\sum_i b(x_{i+1} - x_i^2)^2 + (a - x_i)^2$ (= ``scipy.optimize.rosen``).

    Minimizer $(a, a^2, \ldots)$ for ``dim=2`` and all ones for $a = 1$; start $(-1.2, 1, \ldots)$.

    Example:
        >>> from jaxopt_lectures import problems
        >>> f = problems.make_rosenbrock()
        >>> print(round(float(f(f.x0)), 2), float(f(f.minimizers[0])))
        24.2 0.0
    """
    if a != 1.0 and dim != 2:
        raise ValueError(f"a={a!r} must be 1.0 when dim={dim!r} > 2 (closed-form minimizer known for dim=2 only)")
    minimizer = jnp.array([a, a * a]) if dim == 2 else jnp.ones(dim)
    x0 = jnp.tile(jnp.array([-1.2, 1.0]), (dim + 1) // 2)[:dim]
    return Problem("rosenbrock", lambda x: _rosenbrock(x, a, b), (minimizer,), 0.0, x0,
                   ((-2.0, 2.0), (-1.0, 3.0)))


rosenbrock = make_rosenbrock()
