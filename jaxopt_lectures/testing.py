"""A conformance kit for optax transformations: the contract checks and the reference protocol.

The project's own generic tests run every optimizer through these two functions; a user can run
their own transformation through them in a pytest file (only JAX, optax, chex and NumPy are needed):

* :func:`check_transformation` runs the contract checks (:data:`CHECKS`, each with a stable name)
  on one transformation and lists every failure with its evidence;
* :func:`check_matches_reference` feeds the transformation and a reference (another transformation,
  or a NumPy loop written from the paper's equations) the same stream of random gradients and
  losses, and names the first step and leaf where their updates differ.

Example:
    >>> import optax
    >>> from jaxopt_lectures import testing
    >>> testing.check_transformation(optax.sgd(0.1), dtypes=("float32",), checks=("jit_once", "finite"))
    Report(checks=('jit_once', 'finite'), dtypes=('float32',), skipped=())
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["CHECKS", "ReferenceReport", "Report", "check_matches_reference", "check_transformation", "default_params",
           "gradient_stream", "run_stream"]

PER_DTYPE = ("state_dtypes", "state_structure", "finite")  # share one jitted two-step run per dtype
NEEDS_RATE = ("inject_hyperparams", "vmap_learning_rate")  # need a factory with a ``learning_rate`` keyword
CHECKS = ("jit_once", *PER_DTYPE, "shape_dtype_struct_init", "chain", "inject_hyperparams", "vmap_learning_rate",
          "multi_steps", "unknown_kwargs", "lax_cond", "jit_matches_eager")
DEFAULT_DTYPES = ("float32", "bfloat16", "float64")
RATE = "learning_rate"

Transformation = optax.GradientTransformation
ExtraArgs = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`check_transformation` ran: the checks (in order), the dtypes, and the checks it skipped."""

    checks: tuple[str, ...]
    dtypes: tuple[str, ...]
    skipped: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ReferenceReport:
    """What :func:`check_matches_reference` compared: steps, the largest |difference| and the tolerance."""

    steps: int
    max_abs_diff: float
    atol: float


# ------------------------------------------------------------------ inputs


def default_params() -> dict:
    """The default pytree: a 2×4 matrix, a scalar, a 3-vector and a zero leaf (float32, fixed seed)."""
    rng = np.random.default_rng(0)
    draw = lambda *shape: jnp.asarray(rng.normal(size=shape), jnp.float32)
    return {"matrix": draw(2, 4), "scalar": draw(), "vector": draw(3), "zero": jnp.zeros(2, jnp.float32)}


def _as_factory(tx: Any) -> tuple[Callable[[], Transformation], Callable[..., Any] | None, dict]:
    """(fresh-instance factory, hyperparameter factory or None, its keyword arguments) of ``tx``."""
    if isinstance(tx, Transformation):
        return (lambda: tx), None, {}
    if not callable(tx):
        raise TypeError(f"tx must be an optax GradientTransformation or a zero-argument factory of one, got {type(tx).__name__}")
    try:
        built = tx()
    except TypeError as error:
        raise TypeError(f"tx: a factory must be callable with no arguments ({error})") from error
    if not isinstance(built, Transformation):
        raise TypeError(f"tx: the factory returned {type(built).__name__}, not an optax GradientTransformation")
    func, kwargs = (tx.func, dict(tx.keywords)) if isinstance(tx, functools.partial) and not tx.args else (tx, {})
    default = _default_of(func, RATE)
    if RATE not in kwargs and default is not inspect.Parameter.empty:
        kwargs[RATE] = default
    return tx, (func if RATE in kwargs else None), kwargs


def _default_of(func: Callable[..., Any], name: str) -> Any:
    parameter = _parameters(func).get(name)
    return inspect.Parameter.empty if parameter is None else parameter.default


def _extras_fn(extra_args: ExtraArgs) -> Callable[[Any], dict]:
    if extra_args is None:
        return lambda params: {}
    if callable(extra_args):
        return lambda params: dict(extra_args(params))
    if isinstance(extra_args, Mapping):
        return lambda params: dict(extra_args)
    raise TypeError(f"extra_args must be a mapping, a callable of params or None, got {type(extra_args).__name__}")


def _dtype_names(dtypes: Iterable[Any]) -> tuple[str, ...]:
    if isinstance(dtypes, str):
        dtypes = (dtypes,)
    try:
        names = tuple(jnp.dtype(d).name for d in dtypes)
    except TypeError as error:
        raise ValueError(f"dtypes={dtypes!r} must name floating dtypes ({error})") from error
    if not names or not all(jnp.issubdtype(jnp.dtype(n), jnp.floating) for n in names):
        raise ValueError(f"dtypes={dtypes!r} must be a non-empty sequence of floating dtypes")
    return names


def _check_names(checks: Sequence[str] | None) -> tuple[str, ...]:
    if checks is None:
        return CHECKS
    checks = (checks,) if isinstance(checks, str) else tuple(checks)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown or not checks:
        raise ValueError(f"checks={checks!r}: unknown {unknown}; the checks are {', '.join(CHECKS)}")
    return checks


def _x64(dtype: Any) -> contextlib.AbstractContextManager:
    return jax.enable_x64(True) if jnp.dtype(dtype) == jnp.float64 else contextlib.nullcontext()


def _cast(tree: Any, dtype: Any) -> Any:
    return jax.tree.map(lambda x: jnp.asarray(x, dtype), tree)


# ------------------------------------------------------------------ evidence


def _leaves(tree: Any) -> list[tuple[str, Any]]:
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]]


def _type(x: Any) -> str:
    return str(jax.typeof(x))


def _leaf_changes(before: Any, after: Any, prop: Callable[[Any], Any], what: str) -> list[str]:
    """``what`` leaf p: prop(before) -> prop(after) for every leaf where they differ (trees of one structure)."""
    return [f"{what} leaf {p or '(root)'}: {prop(a)} -> {prop(b)}"
            for (p, a), (_, b) in zip(_leaves(before), _leaves(after)) if prop(a) != prop(b)]


def _structure_change(before: Any, after: Any, what: str) -> str | None:
    if jax.tree.structure(before) != jax.tree.structure(after):
        return f"{what} structure {jax.tree.structure(before)} -> {jax.tree.structure(after)}"
    return None


def _type_changes(before: Any, after: Any, what: str) -> list[str]:
    """Evidence of a structure change, or of every leaf whose type (dtype, shape, weak type) changed."""
    changed = _structure_change(before, after, what)
    return [changed] if changed else _leaf_changes(before, after, _type, what)


def _mismatch(got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """The first leaf and index where ``got`` and ``want`` differ beyond |got − want| ≤ atol + rtol·|want|."""
    if jax.tree.structure(got) != jax.tree.structure(want):
        return f"structure {jax.tree.structure(got)} != {jax.tree.structure(want)}"
    for (path, g), (_, w) in zip(_leaves(got), _leaves(want)):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        if g.shape != w.shape:
            return f"leaf {path}: shape {g.shape} != {w.shape}"
        bad = ~np.isclose(g, w, rtol=rtol, atol=atol)
        if bad.any():
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            return f"leaf {path}{list(i) if i else ''}: got {float(g[i])!r}, want {float(w[i])!r} (rtol={rtol}, atol={atol})"
    return None


def _expect_close(got: Any, want: Any, what: str, rtol: float = 1e-6, atol: float = 0.0) -> None:
    found = _mismatch(got, want, rtol, atol)
    if found:
        raise AssertionError(f"{what}: {found}")


# ------------------------------------------------------------------ the subject of the checks


@dataclasses.dataclass
class _Subject:
    """The transformation under test, its inputs, and the per-dtype two-step runs (computed once)."""

    make: Callable[[], Transformation]
    hyper: Callable[..., Any] | None
    kwargs: dict
    params: Any
    grad_mask: Any
    extras: Callable[[Any], dict]
    runs: dict = dataclasses.field(default_factory=dict)

    def grads(self, seed: int, scale: float = 1.0) -> Any:
        rng = np.random.default_rng(1000 + seed)
        return jax.tree.map(lambda p, m: jnp.asarray(scale * m * rng.normal(size=np.shape(p)), p.dtype),
                            self.params, self.grad_mask)

    def update(self, tx: Transformation, grads: Any, state: Any, params: Any, **more: Any) -> tuple[Any, Any]:
        return tx.update(grads, state, params, **(self.extras(params) | more))

    def steps(self, tx: Transformation, grads_list: Sequence[Any]) -> list[Any]:
        """The updates of plain (eager) steps from ``params``, each at the params the previous updates moved."""
        params = self.params
        state, out = tx.init(params), []
        for g in grads_list:
            u, state = self.update(tx, g, state, params)
            params = optax.apply_updates(params, u)
            out.append(u)
        return out

    def run(self, dtype: str) -> dict:
        """Two jitted steps in ``dtype``: the states s0, s1, s2, the grads and the updates u1, u2."""
        if dtype not in self.runs:
            with _x64(dtype):
                tx, params = self.make(), _cast(self.params, dtype)
                grads = _cast(self.grads(0), dtype)
                step = jax.jit(lambda g, s, p: self.update(tx, g, s, p))
                s0 = tx.init(params)
                u1, s1 = step(grads, s0, params)
                u2, s2 = step(grads, s1, optax.apply_updates(params, u1))
                self.runs[dtype] = dict(s=(s0, s1, s2), u=(u1, u2), grads=grads)
        return self.runs[dtype]


# ------------------------------------------------------------------ the checks


def _jit_once(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """Four jitted steps (with moving params and gradients) trace the step function once."""
    tx, traced = s.make(), []

    @jax.jit
    def step(grads, state, params):
        traced.append(jax.tree.map(_type, state))  # runs at trace time only
        updates, state = s.update(tx, grads, state, params)
        return optax.apply_updates(params, updates), state

    params, state = s.params, tx.init(s.params)
    first = state
    for k in range(4):
        params, state = step(s.grads(0, scale=k + 1), state, params)
    if len(traced) != 1:
        changes = _type_changes(first, state, "state")
        raise AssertionError(f"the jitted step traced {len(traced)} times in 4 steps; "
                             + ("; ".join(changes) or "the state's types did not change (a Python value in the state?)"))


def _over_steps(s: _Subject, dtypes: tuple[str, ...], prop: Callable[[Any], Any], structure: bool) -> None:
    """Compare ``prop`` of every state leaf over two jitted steps, and of every update against its gradient."""
    evidence = []
    for dtype in dtypes:
        run = s.run(dtype)
        pairs = [("state", f"after step {k + 1}", a, b) for k, (a, b) in enumerate(zip(run["s"], run["s"][1:]))]
        pairs += [("update", f"(gradient -> update {k + 1})", run["grads"], u) for k, u in enumerate(run["u"])]
        for what, when, a, b in pairs:
            changed = _structure_change(a, b, what)
            if changed:
                evidence += [f"{dtype}: {changed} {when}"] if structure else []
            else:
                evidence += [f"{dtype}: {c} {when}" for c in _leaf_changes(a, b, prop, what)]
    if evidence:
        raise AssertionError("; ".join(evidence))


def _state_dtypes(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """Every state leaf keeps its dtype over two jitted steps; every update has its gradient's dtype."""
    _over_steps(s, dtypes, lambda x: jnp.dtype(x.dtype).name, structure=False)


def _state_structure(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """The state keeps its tree structure and leaf shapes; the updates have the gradients' structure and shapes."""
    _over_steps(s, dtypes, lambda x: tuple(np.shape(x)), structure=True)


def _finite(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """The updates of two jitted steps (random gradients, a zero-gradient leaf by default) are finite."""
    evidence = []
    for dtype in dtypes:
        for k, u in enumerate(s.run(dtype)["u"]):
            for path, leaf in _leaves(u):
                values = np.asarray(leaf, np.float64)
                bad = ~np.isfinite(values)
                if bad.any():
                    evidence.append(f"{dtype}: update leaf {path} at step {k + 1} has {int(bad.sum())} non-finite "
                                    f"entries (first: {float(values[bad][0])!r})")
    if evidence:
        raise AssertionError("; ".join(evidence))


def _shape_dtype_struct_init(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``init`` works on ``jax.ShapeDtypeStruct`` params (directly and under ``jax.eval_shape``) like on arrays."""
    tx = s.make()
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype), s.params)
    concrete = jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype), tx.init(s.params))
    evidence = []
    for how, init in (("jax.eval_shape(init)", lambda: jax.eval_shape(tx.init, abstract)),
                      ("init(ShapeDtypeStruct params)", lambda: tx.init(abstract))):
        try:
            got = jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype), init())
        except Exception as error:  # noqa: BLE001 - the failure is the evidence
            evidence.append(f"{how} raised {type(error).__name__}: {error}")
            continue
        changed = _structure_change(concrete, got, "state")
        evidence += [f"{how}: {changed}"] if changed else [
            f"{how}: {c}" for c in _leaf_changes(concrete, got, lambda x: (x.shape, jnp.dtype(x.dtype).name), "state")]
    if evidence:
        raise AssertionError("; ".join(evidence))


def _chain(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``optax.chain(optax.clip_by_global_norm(1), tx)`` equals ``tx`` on gradients clipped first."""
    grads = s.grads(3, scale=10.0)
    clip = optax.clip_by_global_norm(1.0)
    chained, tx = optax.chain(clip, s.make()), s.make()
    clipped, _ = clip.update(grads, clip.init(s.params))
    got, _ = s.update(chained, grads, chained.init(s.params), s.params)
    want, _ = s.update(tx, clipped, tx.init(s.params), s.params)
    _expect_close(got, want, "chained vs clipping first", rtol=1e-6, atol=1e-7)


def _rate_value(s: _Subject) -> float:
    rate = s.kwargs[RATE]
    return float(rate(0)) if callable(rate) else float(rate)


def _inject_hyperparams(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``optax.inject_hyperparams``: rate r for 3 steps, then 2r set in the state, equals the factory on that schedule."""
    r0 = _rate_value(s)
    static = tuple(k for k, v in s.kwargs.items() if isinstance(v, (str, bool)) or v is None)
    injected = optax.inject_hyperparams(s.hyper, static_args=static)(**{**s.kwargs, RATE: r0})
    grads_list = [s.grads(5, scale=1 + 0.3 * k) for k in range(5)]
    state, params, got = injected.init(s.params), s.params, []
    for k, g in enumerate(grads_list):
        if k == 3:
            state.hyperparams[RATE] = 2 * jnp.asarray(r0, jnp.float32)
        u, state = s.update(injected, g, state, params)
        params = optax.apply_updates(params, u)
        got.append(u)
    try:
        piecewise = s.hyper(**{**s.kwargs, RATE: lambda count: jnp.where(count < 3, r0, 2 * r0)})
        want = s.steps(piecewise, grads_list)
    except Exception as error:  # noqa: BLE001 - explain what the check needs
        raise AssertionError(f"the factory with a schedule as learning_rate raised {type(error).__name__}: {error} "
                             "(the check compares with a piecewise-constant schedule: learning_rate must accept "
                             "a schedule, like optax's ScalarOrSchedule)") from error
    for k, (a, b) in enumerate(zip(got, want)):
        _expect_close(a, b, f"step {k + 1}: injected vs scheduled rate", rtol=1e-5, atol=1e-7)


def _vmap_learning_rate(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``jax.vmap`` over four learning rates (3 steps each) equals a Python loop over them."""
    base = s.kwargs[RATE] if not callable(s.kwargs[RATE]) else 0.05
    rates = jnp.asarray([0.5, 1.0, 1.5, 2.0]) * base
    grads_list = [s.grads(6, scale=1 - 0.4 * k) for k in range(3)]
    last_update = lambda rate: s.steps(s.hyper(**{**s.kwargs, RATE: rate}), grads_list)[-1]
    batched = jax.vmap(last_update)(rates)
    for i, rate in enumerate(rates):
        _expect_close(jax.tree.map(lambda x: x[i], batched), last_update(float(rate)),
                      f"learning_rate={float(rate):g}: vmapped vs looped", rtol=1e-5, atol=1e-7)


def _multi_steps(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``optax.MultiSteps(tx, 2)`` on g1, g2 returns zeros, then ``tx``'s update of (g1 + g2)/2."""
    g1, g2 = s.grads(7), s.grads(8)
    multi, tx = optax.MultiSteps(s.make(), every_k_schedule=2), s.make()
    skipped, state = s.update(multi, g1, multi.init(s.params), s.params)
    moved = [p for p, u in _leaves(skipped) if np.any(np.asarray(u))]
    if moved:
        raise AssertionError(f"the accumulating step moved leaves {moved}")
    got, _ = s.update(multi, g2, state, s.params)
    want, _ = s.update(tx, jax.tree.map(lambda a, b: (a + b) / 2, g1, g2), tx.init(s.params), s.params)
    _expect_close(got, want, "MultiSteps vs the mean gradient", rtol=1e-5, atol=1e-7)


def _unknown_kwargs(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """``update`` accepts (and ignores) keyword arguments it does not use, as the optax extra-args protocol asks."""
    tx = s.make()
    if not isinstance(tx, optax.GradientTransformationExtraArgs):
        raise AssertionError(f"tx is a {type(tx).__name__}, not an optax.GradientTransformationExtraArgs "
                             "(wrap it with optax.with_extra_args_support)")
    grads = s.grads(4)
    plain, _ = s.update(tx, grads, tx.init(s.params), s.params)
    got, _ = s.update(tx, grads, tx.init(s.params), s.params, grad=grads, not_an_argument="ignored",
                      key=jax.random.key(0))
    _expect_close(got, plain, "with unknown keyword arguments vs without")


def _lax_cond(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """The update runs inside ``jax.lax.cond`` (taken: the same update; skipped: the state unchanged)."""
    tx, grads = s.make(), s.grads(2)
    state = tx.init(s.params)

    @jax.jit
    def maybe_step(pred, grads, state):
        skip = lambda: (jax.tree.map(jnp.zeros_like, grads), state)
        return jax.lax.cond(pred, lambda: s.update(tx, grads, state, s.params), skip)

    taken, _ = maybe_step(True, grads, state)
    direct, _ = s.update(tx, grads, state, s.params)
    _expect_close(taken, direct, "the taken branch vs a direct update")
    _, same = maybe_step(False, grads, state)
    _expect_close(same, state, "the state after the skipped branch vs before", rtol=0.0)


def _jit_matches_eager(s: _Subject, dtypes: tuple[str, ...]) -> None:
    """Three jitted steps give the updates of three eager (op-by-op) steps."""
    tx = s.make()
    grads_list = [s.grads(9, scale=1 + 0.5 * k) for k in range(3)]
    eager = s.steps(tx, grads_list)
    step = jax.jit(lambda g, st, p: s.update(tx, g, st, p))
    state, params = tx.init(s.params), s.params
    for k, g in enumerate(grads_list):
        u, state = step(g, state, params)
        params = optax.apply_updates(params, u)
        _expect_close(u, eager[k], f"step {k + 1}: jitted vs eager", rtol=1e-5, atol=1e-7)


_RUN = {"jit_once": _jit_once, "state_dtypes": _state_dtypes, "state_structure": _state_structure,
        "finite": _finite, "shape_dtype_struct_init": _shape_dtype_struct_init, "chain": _chain,
        "inject_hyperparams": _inject_hyperparams, "vmap_learning_rate": _vmap_learning_rate,
        "multi_steps": _multi_steps, "unknown_kwargs": _unknown_kwargs, "lax_cond": _lax_cond,
        "jit_matches_eager": _jit_matches_eager}
assert tuple(_RUN) == CHECKS


def check_transformation(
    tx: Transformation | Callable[[], Transformation],
    params: Any = None,
    *,
    extra_args: ExtraArgs = None,
    dtypes: Iterable[Any] = DEFAULT_DTYPES,
    checks: Sequence[str] | None = None,
) -> Report:
    """Run the contract checks on ``tx``; raise one ``AssertionError`` listing every failed check.

    The checks (:data:`CHECKS`), each on ``params`` (default :func:`default_params`: a matrix, a
    scalar, a vector and a zero leaf whose gradient is zero too) with random gradients:

    * ``jit_once``: four jitted steps trace once (a state that changes type or grows retraces);
    * ``state_dtypes`` / ``state_structure``: over two jitted steps in every dtype of ``dtypes``, each
      state leaf keeps its dtype / the state its structure and shapes; updates match the gradients';
    * ``finite``: those updates are finite in every dtype (e.g. no 0/0 on a zero gradient);
    * ``shape_dtype_struct_init``: ``init`` works on ``jax.ShapeDtypeStruct`` params and under ``jax.eval_shape``;
    * ``chain``: after ``optax.clip_by_global_norm`` in ``optax.chain`` it equals clipping first;
    * ``inject_hyperparams``, ``vmap_learning_rate``: the learning rate can be injected and changed in
      the state, and vmapped over; run where ``tx`` is a factory with a ``learning_rate`` keyword
      (``functools.partial(factory, learning_rate=…, …)``), else skipped (listed in the report);
    * ``multi_steps``: ``optax.MultiSteps(tx, 2)`` equals one step on the mean gradient;
    * ``unknown_kwargs``: ``update`` takes and ignores keyword arguments it does not use;
    * ``lax_cond``: the update runs inside ``jax.lax.cond``;
    * ``jit_matches_eager``: jitted steps give the eager steps' updates.

    Args:
        tx: an ``optax.GradientTransformation``, or a zero-argument factory of one (fresh instances).
        params: the params pytree (float leaves); default :func:`default_params`.
        extra_args: keyword arguments of ``update`` (e.g. ``{"value": loss}``), or a callable of params returning them.
        dtypes: the dtypes of the per-dtype checks (float64 runs under ``jax.enable_x64``).
        checks: the names of the checks to run; default all.

    Returns:
        A :class:`Report` of the checks run, the dtypes, and the checks skipped.

    Raises:
        TypeError: ``tx`` is not a transformation (or factory of one), or ``extra_args`` is neither mapping nor callable.
        ValueError: an unknown check name, a non-float dtype, or a requested check ``tx`` does not allow.
        AssertionError: checks failed; the message names each with its evidence (leaf, dtype, what changed).

    Example:
        >>> import functools, optax
        >>> from jaxopt_lectures import testing
        >>> report = testing.check_transformation(functools.partial(optax.sgd, learning_rate=0.1), dtypes=("float32",))
        >>> report.skipped, len(report.checks)
        ((), 12)
    """
    make, hyper, kwargs = _as_factory(tx)
    names, dtypes = _check_names(checks), _dtype_names(dtypes)
    if hyper is None:
        asked = [c for c in names if c in NEEDS_RATE and checks is not None]
        if asked:
            raise ValueError(f"checks={tuple(names)!r}: {asked} need tx to be a factory with a learning_rate keyword, "
                             "e.g. functools.partial(factory, learning_rate=0.1)")
    skipped = tuple(c for c in names if c in NEEDS_RATE and hyper is None)
    subject = _Subject(make, hyper, kwargs, params=default_params() if params is None else params,
                       grad_mask=_grad_mask(params), extras=_extras_fn(extra_args))
    ran = tuple(c for c in names if c not in skipped)
    failures = [f"- {name}: {error}" for name in ran for error in [_failure(_RUN[name], subject, dtypes)] if error]
    if failures:
        raise AssertionError(f"{len(failures)} of {len(ran)} checks failed:\n" + "\n".join(failures))
    return Report(ran, dtypes, skipped)


def _grad_mask(params: Any) -> Any:
    """1 per leaf, except the default tree's zero leaf (a parameter that gets no gradient)."""
    if params is None:
        return {k: 0.0 if k == "zero" else 1.0 for k in default_params()}
    return jax.tree.map(lambda _: 1.0, params)


def _failure(check: Callable[[_Subject, tuple[str, ...]], None], subject: _Subject, dtypes: tuple[str, ...]) -> str:
    """The evidence of a failed check ('' if it passed); an exception of ``tx`` is evidence too."""
    try:
        check(subject, dtypes)
    except AssertionError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - the transformation's own failure is what the check reports
        return f"raised {type(error).__name__}: {error}"
    return ""


# ------------------------------------------------------------------ the reference protocol


def gradient_stream(steps: int = 100, seed: int = 0, n: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grads (steps, n), values (steps,), params0 (n,)): the random stream of :func:`check_matches_reference`.

    Normal draws; about 5% of the entries are exact zeros and every 7th step repeats the previous
    gradient exactly; the losses mostly decrease but sometimes increase. All numbers are float32
    values (as float64), so float32 and float64 runs see the same inputs.

    Example:
        >>> from jaxopt_lectures.testing import gradient_stream
        >>> grads, values, params0 = gradient_stream(steps=8, n=3)
        >>> grads.shape, values.shape, params0.shape, bool((grads[7] == grads[6]).all())
        ((8, 3), (8,), (3,), True)
    """
    rng = np.random.default_rng(seed)
    grads = rng.normal(size=(steps, n))
    grads[rng.random((steps, n)) < 0.05] = 0.0
    grads[7::7] = grads[6:-1:7][: len(grads[7::7])]
    values = 10 * np.exp(-0.02 * np.arange(steps)) + rng.random(steps)
    params0 = rng.normal(size=n)
    f32 = lambda x: x.astype(np.float32).astype(np.float64)
    return f32(grads), f32(values), f32(params0)


def run_stream(
    tx: Transformation,
    grads: np.ndarray,
    values: np.ndarray,
    params0: np.ndarray,
    template: Any,
    *,
    dtype: Any = jnp.float32,
    extra_args: ExtraArgs = None,
) -> np.ndarray:
    """The updates (steps, n) float64 of ``tx`` on a stream, in one jitted ``lax.scan``.

    Each flat gradient row is unraveled into ``template``'s structure (in ``dtype``); the updates are
    applied to the params (so rules that read params see a trajectory) and ``value=`` is passed from
    ``values`` with the other ``extra_args``.

    Example:
        >>> import numpy as np, optax
        >>> from jaxopt_lectures.testing import run_stream
        >>> run_stream(optax.sgd(0.5), np.ones((2, 3)), np.zeros(2), np.zeros(3), np.zeros(3))[1]
        array([-0.5, -0.5, -0.5])
    """
    tx, extras = optax.with_extra_args_support(tx), _extras_fn(extra_args)
    with _x64(dtype):
        _, unravel = ravel_pytree(_cast(template, dtype))

        @jax.jit
        def scan(grads, values, params0):
            def step(carry, inputs):
                params, state = carry
                g, value = inputs
                updates, state = tx.update(unravel(g), state, params, **({"value": value} | extras(params)))
                return (optax.apply_updates(params, updates), state), ravel_pytree(updates)[0]

            params = unravel(params0)
            return jax.lax.scan(step, (params, tx.init(params)), (grads, values))[1]

        as_dtype = lambda x: jnp.asarray(x, dtype)
        return np.asarray(scan(as_dtype(grads), as_dtype(values), as_dtype(params0)), np.float64)


def check_matches_reference(
    tx: Transformation | Callable[[], Transformation],
    reference: Transformation | Callable[..., Sequence[Any]],
    *,
    params: Any = None,
    steps: int = 100,
    rtol: float = 1e-5,
    atol: float | None = None,
    seed: int = 0,
    extra_args: ExtraArgs = None,
) -> ReferenceReport:
    """Feed ``tx`` and ``reference`` one stream of random gradients and losses; compare the updates step by step.

    The stream (:func:`gradient_stream`) has exact zeros, repeated gradients and losses that
    sometimes rise. ``tx`` runs jitted in the params' dtype, applying its updates, with
    ``value=`` the step's loss and ``extra_args``. ``reference`` is either another transformation (run
    the same way in float64) or a callable ``reference(grads, params0) -> updates``: ``grads`` is the
    list of gradient pytrees (NumPy float64), ``params0`` the initial params, the result the list of
    update pytrees; a ``reference`` with a ``values`` parameter also gets the losses (a list of floats).
    Updates agree where ``|ours − ref| ≤ atol + rtol·|ref|``, ``atol`` defaulting to
    ``rtol · max|ref|`` (relative to the largest reference update).

    Args:
        tx: the transformation under test (or a zero-argument factory of one).
        reference: a transformation or a callable as above (e.g. a NumPy loop of the paper's equations).
        params: the initial params (float pytree); default :func:`default_params` with drawn values.
        steps: the length of the stream (≥ 1).
        rtol: relative tolerance.
        atol: absolute tolerance; default ``rtol · max|reference update|``.
        seed: the stream's seed.
        extra_args: more ``update`` keyword arguments (a mapping, or a callable of params).

    Returns:
        A :class:`ReferenceReport` (steps, largest absolute difference, the atol used).

    Raises:
        TypeError: ``tx`` or ``reference`` is neither a transformation nor a callable.
        ValueError: ``steps < 1``, or ``reference`` returned the wrong number or size of updates.
        AssertionError: the updates differ (the message names the first step and leaf, with both values),
            or the reference never moves (comparing to it would prove nothing).

    Example:
        >>> import numpy as np, optax
        >>> from jaxopt_lectures.testing import check_matches_reference
        >>> def sgd_loop(grads, params0):
        ...     return [{k: -0.1 * g for k, g in grad.items()} for grad in grads]
        >>> check_matches_reference(optax.sgd(0.1), sgd_loop, steps=20).steps
        20
    """
    make, _, _ = _as_factory(tx)
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps={steps!r} must be an integer >= 1")
    template = default_params() if params is None else params
    flat_params, unravel = ravel_pytree(template)
    grads, values, drawn = gradient_stream(steps, seed, flat_params.size)
    params0 = drawn if params is None else np.asarray(flat_params, np.float64)
    dtype = jax.tree.leaves(template)[0].dtype
    ours = run_stream(make(), grads, values, params0, template, dtype=dtype, extra_args=extra_args)
    theirs = _reference_updates(reference, grads, values, params0, template, extra_args)
    scale = float(np.abs(theirs).max())
    if scale == 0:
        raise AssertionError("the reference's updates are all zero: agreeing with it would prove nothing")
    atol = rtol * scale if atol is None else atol
    bad = ~np.isclose(ours, theirs, rtol=rtol, atol=atol)
    if bad.any():
        t, i = (int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(f"step {t} (0-based) of {steps}, leaf {_leaf_at(template, i)}: tx gave {float(ours[t, i])!r}, "
                             f"the reference {float(theirs[t, i])!r} (rtol={rtol}, atol={atol:.3g}); "
                             f"{int(bad.sum())} of {bad.size} entries differ, in {int(bad.any(axis=1).sum())} of {steps} steps")
    return ReferenceReport(steps, float(np.abs(ours - theirs).max()), atol)


def _reference_updates(reference: Any, grads: np.ndarray, values: np.ndarray, params0: np.ndarray,
                       template: Any, extra_args: ExtraArgs) -> np.ndarray:
    """The reference's updates as (steps, n) float64."""
    if isinstance(reference, Transformation):
        return run_stream(reference, grads, values, params0, template, dtype=jnp.float64, extra_args=extra_args)
    if not callable(reference):
        raise TypeError(f"reference must be a GradientTransformation or a callable, got {type(reference).__name__}")
    treedef = jax.tree.structure(template)
    shapes = [np.shape(x) for x in jax.tree.leaves(template)]
    to_tree = lambda flat: jax.tree.unflatten(treedef, _split(flat, shapes))
    accepts_values = "values" in _parameters(reference)
    out = reference([to_tree(g) for g in grads], to_tree(params0),
                    **({"values": [float(v) for v in values]} if accepts_values else {}))
    updates = [np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in jax.tree.leaves(u)]) for u in out]
    if len(updates) != len(grads) or any(u.size != grads.shape[1] for u in updates):
        raise ValueError(f"reference returned {len(updates)} updates of sizes {sorted({u.size for u in updates})}; "
                         f"expected {len(grads)} of size {grads.shape[1]} (one pytree like params per step)")
    return np.stack(updates)


def _parameters(func: Callable[..., Any]) -> Mapping[str, inspect.Parameter]:
    try:
        return inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}


def _split(flat: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """The NumPy leaves of the given shapes, in order, from one flat vector."""
    ends = np.cumsum([int(np.prod(s)) for s in shapes])
    return [part.reshape(shape) for part, shape in zip(np.split(flat, ends[:-1]), shapes)]


def _leaf_at(template: Any, index: int) -> str:
    """'<path>[i, j]' of the flat index into the raveled template."""
    for path, leaf in _leaves(template):
        size = int(np.size(leaf))
        if index < size:
            where = np.unravel_index(index, np.shape(leaf))
            return f"{path}{list(map(int, where)) if where else ''}"
        index -= size
    return f"[{index}]"
