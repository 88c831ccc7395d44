"""Test problems of the lectures: classic 2-D surfaces and quadratics; docs/spec/problems.md.

Each problem is a callable frozen object: ``f(x)`` takes a point of shape ``(2,)`` (or ``(n,)``
where stated) and returns a scalar; ``f.minimizers`` holds the global minimizers (docs/spec/decisions.md#decision-5),
``f.min_value`` the minimum, ``f.x0`` the recommended start, ``f.bounds`` the plotting box;
``f.local_minima`` and ``f.critical_points`` (saddles, maxima) where the surface has them.
Evaluate a batch of points (a contour grid) with ``jax.vmap(f)``. The functions compute in the
dtype of ``x`` (float64 under ``jax.enable_x64``); the stored points are float32 arrays accurate to
about 1e-7 relative (the published 8-digit values, checked against scipy BFGS with gtol 1e-12).

Lecture: [002] saddle and poor conditioning, [003] optimizer comparisons and the closed-form GD
update on quadratics; docs/spec/problems.md. Reference: Jamil & Yang, A literature survey of benchmark
functions for global optimization problems, 2013 (definitions and minima).

Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxopt_lectures import problems
    >>> f = problems.himmelblau
    >>> print([round(float(f(m)), 5) for m in f.minimizers], f.min_value)
    [0.0, 0.0, 0.0, 0.0] 0.0
    >>> grid = jnp.stack(jnp.meshgrid(jnp.linspace(-5, 5, 3), jnp.linspace(-5, 5, 3)), -1).reshape(-1, 2)
    >>> jax.vmap(problems.saddle)(grid).reshape(3, 3)  # the contour-plot grid
    Array([[  0., -25.,   0.],
           [ 25.,   0.,  25.],
           [  0., -25.,   0.]], dtype=float32)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

Points = tuple[jax.Array, ...]


@dataclasses.dataclass(frozen=True)
class Problem:
    """A test function with its known solution; call it like the function."""

    name: str
    fun: Callable[[jax.Array], jax.Array]
    minimizers: Points  # global minimizers only (f = min_value); () where there is none
    min_value: float  # -inf where the function is unbounded below
    x0: jax.Array
    bounds: tuple[tuple[float, float], ...]
    local_minima: Points = ()  # non-global local minima
    critical_points: Points = ()  # other critical points: saddles and maxima

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.fun(x)


def _points(*points: Sequence[float]) -> Points:
    return tuple(jnp.asarray(p, jnp.float32) for p in points)


def _box(low: float, high: float) -> tuple[tuple[float, float], tuple[float, float]]:
    return ((low, high), (low, high))


def _rosenbrock(x: jax.Array, a: float = 1.0, b: float = 100.0) -> jax.Array:
    return jnp.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


def make_rosenbrock(a: float = 1.0, b: float = 100.0, dim: int = 2) -> Problem:
    r"""Rosenbrock's valley $\sum_i b(x_{i+1} - x_i^2)^2 + (a - x_i)^2$ (= ``scipy.optimize.rosen``).

    Minimizer $(a, a^2)$ for ``dim=2`` and all ones for $a = 1$ in any dimension; start
    $(-1.2, 1, -1.2, \ldots)$ ($f = 24.2$ in 2-D). A curved valley: the Hessian at the minimum
    has eigenvalues 0.3994 and 1001.6 ($\kappa \approx 2508$).

    Lecture:
        [002] "poor conditioning", [003] comparisons of optimizers; docs/spec/problems.md.

    References:
        Rosenbrock, An automatic method for finding the greatest or least value of a function,
        The Computer Journal 1960.

    Example:
        >>> from jaxopt_lectures import problems
        >>> f = problems.make_rosenbrock()
        >>> print(round(float(f(f.x0)), 2), float(f(f.minimizers[0])))
        24.2 0.0
        >>> f4 = problems.make_rosenbrock(dim=4)
        >>> print(f4.x0, float(f4(f4.minimizers[0])))
        [-1.2  1.  -1.2  1. ] 0.0
    """
    if a != 1.0 and dim != 2:
        raise ValueError(f"a={a!r} must be 1.0 when dim={dim!r} > 2 (closed-form minimizer known for dim=2 only)")
    if not isinstance(dim, int) or dim < 2:
        raise ValueError(f"dim={dim!r} must be an int >= 2")
    minimizer = jnp.array([a, a * a]) if dim == 2 else jnp.ones(dim)
    x0 = jnp.tile(jnp.array([-1.2, 1.0]), (dim + 1) // 2)[:dim]
    return Problem("rosenbrock", lambda x: _rosenbrock(x, a, b), (minimizer,), 0.0, x0,
                   ((-2.0, 2.0), (-1.0, 3.0)))


rosenbrock = make_rosenbrock()


def _beale(x: jax.Array) -> jax.Array:
    u, v = x[0], x[1]
    return (1.5 - u + u * v) ** 2 + (2.25 - u + u * v**2) ** 2 + (2.625 - u + u * v**3) ** 2


beale = Problem("beale", _beale, _points((3.0, 0.5)), 0.0, jnp.array([1.0, 1.5]), _box(-4.5, 4.5),
                critical_points=_points((0.0, 1.0)))
r"""Beale: $(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$, minimum 0 at $(3, 0.5)$.

$f \equiv 14.203125$ on the whole line $x = 0$ (never start there); $(0, 1)$ is a critical point.
Start $(1, 1.5)$; Hessian eigenvalues at the minimum 0.30 and 49.0. docs/spec/problems.md.
"""


def _booth(x: jax.Array) -> jax.Array:
    return (x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2


booth = Problem("booth", _booth, _points((1.0, 3.0)), 0.0, jnp.array([-5.0, 5.0]), _box(-10.0, 10.0))
r"""Booth: $(x + 2y - 7)^2 + (2x + y - 5)^2$, minimum 0 at $(1, 3)$; a quadratic.

Hessian $[[10, 8], [8, 10]]$ with eigenvalues 2 and 18: $L = 18$, $\kappa = 9$ (the GD-bound
experiment of [001] Theorem 7.1). Start $(-5, 5)$. docs/spec/gradient-descent.md, docs/spec/problems.md.
"""


def _himmelblau(x: jax.Array) -> jax.Array:
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


himmelblau = Problem(
    "himmelblau", _himmelblau,
    _points((3.0, 2.0), (-2.80511809, 3.13131252), (-3.77931025, -3.28318599), (3.58442834, -1.84812653)),
    0.0, jnp.array([0.0, 0.0]), _box(-5.0, 5.0),
    critical_points=_points((-0.27084459, -0.92303856)))
r"""Himmelblau: $(x^2 + y - 11)^2 + (x + y^2 - 7)^2$, four global minima (all 0).

Local maximum at $(-0.2708, -0.9230)$ ($f = 181.6165$) in ``critical_points``; start $(0, 0)$
(sgd, momentum and Adam end at $(3, 2)$); the basins experiment. docs/spec/problems.md.
"""


def _matyas(x: jax.Array) -> jax.Array:
    return 0.26 * (x[0] ** 2 + x[1] ** 2) - 0.48 * x[0] * x[1]


matyas = Problem("matyas", _matyas, _points((0.0, 0.0)), 0.0, jnp.array([8.0, -6.0]), _box(-10.0, 10.0))
r"""Matyas: $0.26(x^2 + y^2) - 0.48xy$, minimum 0 at the origin; a quadratic with Hessian
eigenvalues 0.04 and 1.0 ($\kappa = 25$, slow along $x = y$). Start $(8, -6)$. docs/spec/problems.md."""


def _three_hump_camel(x: jax.Array) -> jax.Array:
    u, v = x[0], x[1]
    return 2 * u**2 - 1.05 * u**4 + u**6 / 6 + u * v + v**2


three_hump_camel = Problem(
    "three_hump_camel", _three_hump_camel, _points((0.0, 0.0)), 0.0, jnp.array([-1.5, 1.5]), _box(-2.0, 2.0),
    local_minima=_points((1.74755235, -0.87377617), (-1.74755235, 0.87377617)),
    critical_points=_points((1.07054229, -0.53527115), (-1.07054229, 0.53527115)))
r"""Three-hump camel: $2x^2 - 1.05x^4 + x^6/6 + xy + y^2$, global minimum 0 at the origin.

Local minima $\pm(1.7476, -0.8738)$ ($f = 0.29864$) in ``local_minima``, saddles
$\pm(1.0705, -0.5353)$ ($f = 0.87736$) in ``critical_points``. From the start $(-1.5, 1.5)$ sgd,
momentum, Adam and RMSProp end in the local minimum $(-1.7476, 0.8738)$. docs/spec/problems.md,
docs/spec/decisions.md#decision-5.
"""


def _saddle(x: jax.Array) -> jax.Array:
    return x[0] ** 2 - x[1] ** 2


saddle = Problem("saddle", _saddle, (), -math.inf, jnp.array([1.0, 1e-3]), _box(-2.0, 2.0),
                 critical_points=_points((0.0, 0.0)))
r"""The saddle $x^2 - y^2$ of [002]: unbounded below (no minimizer), critical point $(0, 0)$ with
Hessian $\mathrm{diag}(2, -2)$. From $(1, 10^{-3})$ first-order methods escape along $y$; started
exactly on $y = 0$ they converge to the saddle. docs/spec/gradient-descent.md#theory-5, docs/spec/problems.md."""


@dataclasses.dataclass(frozen=True)
class Quadratic(Problem):
    r"""$\tfrac12 x^\top A x - b^\top x$ with the eigen-analysis of gradient descent on it ([003]).

    ``eigenvalues`` ($\lambda_1 \le \dots \le \lambda_n$) and ``eigenvectors`` ($Q$, columns) give
    $A = Q\Lambda Q^\top$; see :func:`quadratic`.
    """

    # float64 NumPy: converted to the dtype in use (float32, or float64 under jax.enable_x64)
    A: np.ndarray = None  # type: ignore[assignment]
    b: np.ndarray = None  # type: ignore[assignment]
    eigenvalues: np.ndarray = None  # type: ignore[assignment]  # ascending
    eigenvectors: np.ndarray = None  # type: ignore[assignment]  # columns

    @property
    def condition_number(self) -> float:
        r"""$\kappa = \lambda_{\max}/\lambda_{\min}$ (``inf`` unless $A$ is positive definite)."""
        lam_min, lam_max = float(self.eigenvalues[0]), float(self.eigenvalues[-1])
        return lam_max / lam_min if lam_min > 0 else math.inf

    @property
    def stable_range(self) -> tuple[float, float]:
        r"""Fixed steps $0 < \alpha < 2/\lambda_{\max}$ for which gradient descent converges (SPD $A$)."""
        return 0.0, 2.0 / float(self.eigenvalues[-1])

    @property
    def best_step(self) -> float:
        r"""The fastest fixed step $\alpha^* = 2/(\lambda_{\min} + \lambda_{\max})$."""
        return 2.0 / (float(self.eigenvalues[0]) + float(self.eigenvalues[-1]))

    @property
    def best_rate(self) -> float:
        r"""Its contraction factor $(\kappa - 1)/(\kappa + 1)$ per step (the step $1/\lambda_{\max}$ gives $1 - 1/\kappa$)."""
        kappa = self.condition_number
        return 1.0 if math.isinf(kappa) else (kappa - 1) / (kappa + 1)

    def rate(self, alpha: float | jax.Array) -> jax.Array:
        r"""Contraction factor of gradient descent with step $\alpha$: $\max_i |1 - \alpha\lambda_i|$ (> 1: divergence)."""
        return jnp.max(jnp.abs(1 - alpha * jnp.asarray(self.eigenvalues)))

    def gd_iterate(self, x0: jax.Array, alpha: float | jax.Array, t: int | jax.Array) -> jax.Array:
        r"""Closed-form gradient-descent iterate $x_t = x^* + Q(I - \alpha\Lambda)^t Q^\top (x_0 - x^*)$.

        Uses $x^* = A^{-1}b$ for invertible $A$ (any sign of the eigenvalues: the formula holds for
        every fixed point of the iteration). ``t`` may be an int array of steps; the result then
        has shape ``t.shape + x0.shape``.
        """
        if float(np.min(np.abs(self.eigenvalues))) == 0.0:
            raise ValueError("gd_iterate needs an invertible A (the fixed point x* = A^-1 b)")
        x0 = jnp.asarray(x0)
        Q, lam = jnp.asarray(self.eigenvectors, x0.dtype), jnp.asarray(self.eigenvalues, x0.dtype)
        x_star = Q @ ((Q.T @ jnp.asarray(self.b, x0.dtype)) / lam)
        c = Q.T @ (x0 - x_star)  # eigen-coordinates of the initial error
        t = jnp.asarray(t, jnp.int32)
        r = jnp.power(1 - alpha * lam, t[..., None])  # (I - αΛ)^t, per eigen-coordinate
        return x_star + (r * c) @ Q.T


def _check_symmetric(A: np.ndarray) -> None:
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A.shape={A.shape!r} must be square (n, n)")
    if not np.allclose(A, A.T, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(A).max(initial=0.0)))):
        raise ValueError("A must be symmetric (the quadratic only sees (A + A^T)/2; pass that)")


def quadratic(A: jax.Array | np.ndarray, b: jax.Array | np.ndarray | None = None, *,
              x0: jax.Array | None = None, name: str = "quadratic") -> Quadratic:
    r"""The quadratic $f(x) = \tfrac12 x^\top A x - b^\top x$ in any dimension, with its eigen-analysis.

    For symmetric $A = Q\Lambda Q^\top$ gradient descent with a fixed step $\alpha$ satisfies
    $x_t - x^* = (I - \alpha A)^t (x_0 - x^*) = Q(I - \alpha\Lambda)^t Q^\top (x_0 - x^*)$: in
    eigen-coordinate $i$ the error is multiplied by $r_i = 1 - \alpha\lambda_i$ per step. Regimes:
    $0 < \alpha\lambda < 1$ monotone decay, $= 1$ exact in one step, $1 < \alpha\lambda < 2$
    alternating decay, $= 2$ constant-amplitude oscillation, $> 2$ alternating divergence,
    $\lambda < 0$ monotone escape. Stable range $0 < \alpha < 2/\lambda_{\max}$
    (:attr:`Quadratic.stable_range`); fastest fixed step $\alpha^* = 2/(\lambda_{\min} + \lambda_{\max})$
    with rate $(\kappa - 1)/(\kappa + 1)$ (:attr:`Quadratic.best_step`, :attr:`Quadratic.best_rate`);
    :meth:`Quadratic.gd_iterate` is the closed-form iterate.

    If $A$ is positive definite the minimizer is $A^{-1}b$ with value $-\tfrac12 b^\top A^{-1} b$.
    If $A$ is only semidefinite and $b$ lies in its range, ``minimizers`` holds the minimum-norm
    minimizer $A^+b$ (all of $A^+b + \ker A$ are minimizers); otherwise (an eigenvalue $< 0$, or $b$
    outside the range) $f$ is unbounded below: ``minimizers = ()``, ``min_value = -inf``.

    Lecture:
        [003] "Closed-form GD update" ($\tfrac12\theta^\top X^\top X\theta$, $b = 0$);
        [002] condition number; docs/spec/gradient-descent.md#theory-2, docs/spec/problems.md.

    Args:
        A: symmetric (n, n) matrix (concrete; the eigen-decomposition is done in float64 NumPy).
        b: (n,) vector, default zeros.
        x0: start, default ones.
        name: shown in plots.

    Raises:
        ValueError: ``A`` is not square or not symmetric, or ``b`` does not have shape (n,).

    References:
        Polyak, Introduction to Optimization, 1987, §1.4 (gradient method on quadratics).

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import problems
        >>> q = problems.quadratic(jnp.diag(jnp.array([1.0, 4.0])), jnp.array([1.0, 2.0]))
        >>> print(q.minimizers[0], q.min_value, q.stable_range, q.best_step, q.best_rate)
        [1.  0.5] -1.0 (0.0, 0.5) 0.4 0.6
        >>> print(q.gd_iterate(jnp.zeros(2), 0.25, 1))  # one step of GD: x1 = 0.25 b
        [0.25 0.5 ]
    """
    A_np = np.asarray(A, np.float64)
    _check_symmetric(A_np)
    n = A_np.shape[0]
    b_np = np.zeros(n) if b is None else np.asarray(b, np.float64)
    if b_np.shape != (n,):
        raise ValueError(f"b.shape={b_np.shape!r} must be ({n},) to match A.shape={A_np.shape!r}")
    lam, Q = np.linalg.eigh((A_np + A_np.T) / 2)
    scale = max(1.0, float(np.abs(lam).max(initial=0.0)))
    minimizers: Points = ()
    min_value = -math.inf
    if lam[0] >= -1e-12 * scale:
        x_star = np.linalg.pinv(A_np, hermitian=True) @ b_np
        if np.allclose(A_np @ x_star, b_np, atol=1e-9 * scale):
            minimizers, min_value = (jnp.asarray(x_star, jnp.float32),), float(-0.5 * b_np @ x_star)
    start = jnp.ones(n) if x0 is None else jnp.asarray(x0)
    bounds = tuple((-2.0, 2.0) for _ in range(n)) if n <= 2 else ((-2.0, 2.0), (-2.0, 2.0))

    def fun(x: jax.Array) -> jax.Array:
        a, c = jnp.asarray(A_np, x.dtype), jnp.asarray(b_np, x.dtype)
        return 0.5 * x @ a @ x - c @ x

    return Quadratic(name, fun, minimizers, min_value, start, bounds, A=A_np, b=b_np, eigenvalues=lam, eigenvectors=Q)


def ill_conditioned(kappa: float = 100.0, dim: int = 2, rotate: bool = True, seed: int = 0, *,
                    angle_deg: float | None = None) -> Quadratic:
    r"""The quadratic $\tfrac12 x^\top A x$ with $A = Q\,\mathrm{diag}(1, \ldots, \kappa)\,Q^\top$ (evenly spaced eigenvalues).

    $Q$ is a random orthogonal matrix drawn from ``seed`` when ``rotate`` (identity otherwise);
    in 2-D ``angle_deg`` gives the rotation by that angle instead (E1 uses $\kappa = 100$ rotated
    30°). Minimizer 0, start $(1, \ldots, 1)$. GD zig-zags along the steep direction and crawls
    along the flat one.

    Lecture:
        [002] "poor conditioning" and condition number; docs/spec/problems.md, docs/spec/experiments.md E1.

    Raises:
        ValueError: ``kappa < 1``, ``dim < 1``, or ``angle_deg`` with ``dim != 2``.

    References:
        Nocedal & Wright, Numerical Optimization, 2nd ed. 2006, §3.3 (steepest descent on quadratics).

    Example:
        >>> from jaxopt_lectures import problems
        >>> q = problems.ill_conditioned(kappa=100.0, dim=3, rotate=False)
        >>> print(q.eigenvalues, q.condition_number)
        [  1.   50.5 100. ] 100.0
    """
    if not kappa >= 1:
        raise ValueError(f"kappa={kappa!r} must be >= 1")
    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim={dim!r} must be an int >= 1")
    if angle_deg is not None and dim != 2:
        raise ValueError(f"angle_deg={angle_deg!r} must be None unless dim == 2 (got dim={dim!r})")
    lam = np.linspace(1.0, kappa, dim) if dim > 1 else np.ones(1)
    if angle_deg is not None:
        a = np.deg2rad(angle_deg)
        Q = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    elif rotate:
        Q, R = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
        Q = Q * np.sign(np.diag(R))  # the Haar-distributed orthogonal matrix
    else:
        Q = np.eye(dim)
    return quadratic(Q @ np.diag(lam) @ Q.T, name=f"ill_conditioned(kappa={kappa:g})")


def logistic_regression(X: jax.Array | np.ndarray, y: jax.Array | np.ndarray, l2: float = 0.0, *,
                        dtype: jnp.dtype | str | None = None) -> tuple[Callable, dict, float]:
    r"""L2-regularized logistic regression on data ``(X, y)``: ``(loss, params0, L)``.

    $$
    F(w, b) = \frac1N \sum_n \log\bigl(1 + e^{-s_n z_n}\bigr) + \frac{\lambda}{2}\lVert w\rVert^2,
    \qquad z_n = x_n^\top w + b,\ s_n = 2 y_n - 1,
    $$
    with ``params0 = {"w": 0, "b": 0}`` and $L = \lambda_{\max}(X^\top X)/(4N) + \lambda$, a bound on
    the largest Hessian eigenvalue in $w$ (the logistic curvature is at most 1/4), so that $\eta = 1/L$
    is a safe gradient-descent step. The full-batch problem the second-order experiments solve
    (standardized breast-cancer data there); the loss is :func:`jaxopt_lectures.losses.logistic`.

    Lecture:
        [002] "L-BFGS ... works very well in full batch, deterministic mode"; docs/spec/problems.md.

    Args:
        X: ``(N, d)`` inputs; y: ``(N,)`` labels in {0, 1}; l2: $\lambda \ge 0$;
        dtype: the dtype of the data and params (default: ``X``'s, at least float32).

    Raises:
        ValueError: ``l2 < 0``, or ``X``, ``y`` of mismatched or non-2-D/1-D shapes.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxopt_lectures import problems
        >>> X, y = jnp.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), jnp.array([1.0, 0.0, 0.0])
        >>> loss, p0, L = problems.logistic_regression(X, y, l2=0.1)
        >>> print(round(float(loss(p0)), 4), round(L, 4))  # log 2 at zero; λmax(XᵀX)/(4N) + λ
        0.6931 0.2667
    """
    from jaxopt_lectures import losses
    from jaxopt_lectures._validate import check_range

    check_range("l2", l2, 0.0)
    X_np, y_np = np.asarray(X), np.asarray(y)
    if X_np.ndim != 2 or y_np.shape != (X_np.shape[0],):
        raise ValueError(f"X must be (N, d) and y (N,); got X {X_np.shape}, y {y_np.shape}")
    dtype = jnp.dtype(dtype) if dtype is not None else jnp.promote_types(jnp.asarray(X).dtype, jnp.float32)
    X, y = jnp.asarray(X, dtype), jnp.asarray(y, dtype)

    def loss(p: dict) -> jax.Array:
        return losses.logistic(X @ p["w"] + p["b"], y) + 0.5 * l2 * jnp.sum(p["w"] ** 2)

    X64 = X_np.astype(np.float64)
    lipschitz = float(np.linalg.eigvalsh(X64.T @ X64).max() / (4 * len(y_np)) + l2)
    return loss, {"w": jnp.zeros(X.shape[1], dtype), "b": jnp.zeros((), dtype)}, lipschitz
