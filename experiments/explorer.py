"""The optimizer explorer: an offline HTML page of precomputed paths on the lectures' 2-D surfaces.

``python -m experiments.explorer [--quick] [--out DIR]`` writes ``DIR/index.html`` (default
``outputs/explorer/``) with ``data.js`` and MathJax beside it; it opens from ``file://`` with no network.
Every path is a :func:`jaxopt_lectures.minimize` trajectory: per (surface, optimizer) ONE compiled
``jax.vmap`` runs the whole grid of hyperparameters × starts (× condition numbers for the quadratic).
The page only indexes and draws these numbers: pick the surface, up to three optimizers with shared
sliders (learning rate on a log scale, β, β2 and each method's own ones), the start (or click the
plot), then watch the paths animate over the contours, the loss on a log scale, the methods' update
equations (their docstrings) and the final values. [000] animations, [002], [003] comparisons.

Storage (``data.js``): per (surface, optimizer) one zlib-compressed, base64 block holding the loss
(float32, as computed), the path (float16) and the number of kept points per run; a run is cut at
its first non-finite value (loss or float16 point) and marked diverged.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import importlib.util
import json
import pathlib
import re
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _common

ASSETS = pathlib.Path(__file__).with_name("explorer_assets")
MATHJAX = "tex-svg-full.js"  # the bundle the docs use: every TeX extension, nothing fetched at run time


@dataclasses.dataclass(frozen=True)
class Hyper:
    """One slider: ``slider`` is the shared slider key, ``kwarg`` the optimizer's keyword."""

    slider: str
    kwarg: str
    label: str
    values: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class Method:
    """One optimizer of the library (a lecture variant): ``make(**kwargs)`` builds it."""

    key: str
    label: str
    function: str  # public alias whose docstring holds the update equations
    make: Callable
    hypers: tuple[Hyper, ...]


@dataclasses.dataclass(frozen=True)
class Surface:
    """A surface of ``jol.problems``; ``variants`` > 1 (the quadratic's condition numbers) is a grid axis."""

    key: str
    label: str
    variants: tuple  # Problems
    variant_label: str
    variant_values: tuple[float, ...]
    starts: tuple[tuple[float, float], ...]


FULL = dict(steps=200, n_rates=7, n_other=3, starts=6, surfaces=None, methods=None, field=96)
QUICK = dict(steps=100, n_rates=4, n_other=3, starts=4, surfaces=("rosenbrock", "quadratic", "himmelblau"), methods=None,
             field=64)
LEVELS = 16  # colour bands of the contour plot
# the docs' screenshot: Rosenbrock, Adam against Adam without bias correction and RMSProp
SCREENSHOT_QUERY = "?surface=rosenbrock&run1=adam&run2=adam_nobc&run3=rmsprop&learning_rate=5"
# the sliders' initial positions: the grid value nearest (in log) to these (Adam on Rosenbrock moves visibly)
DEFAULTS = {"learning_rate": 0.02, "beta": 0.9, "b2": 0.99, "weight_decay": 0.01, "meta": 1e-5, "kappa": 1e-4,
            "max_growth": 1.75}


def _spread(values: tuple[float, ...], n: int) -> tuple[float, ...]:
    """``n`` of ``values`` spread over the whole range (ends included), for smaller grids."""
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, n)).astype(int))
    return tuple(float(values[i]) for i in idx)


def _rates(low: float, high: float, n: int) -> Hyper:
    return Hyper("learning_rate", "learning_rate", "η (learning rate)", tuple(float(v) for v in np.geomspace(low, high, n)))


def methods(n_rates: int, n_other: int) -> tuple[Method, ...]:
    """Every first-order optimizer of the library in each lecture variant, with its slider grids."""
    lr = lambda lo, hi: _rates(lo, hi, n_rates)
    other = lambda slider, kwarg, label, *values: Hyper(slider, kwarg, label, _spread(values, n_other))
    beta = other("beta", "beta", "β (momentum)", 0.5, 0.9, 0.99)
    b1 = other("beta", "b1", "β1", 0.5, 0.9, 0.99)
    b2 = other("b2", "b2", "β2", 0.9, 0.99, 0.999)
    decay = other("b2", "decay", "ρ (decay, like β2)", 0.9, 0.99, 0.999)
    rho = other("b2", "rho", "ρ (decay, like β2)", 0.9, 0.95, 0.99)
    m = Method
    return (
        m("sgd", "gradient descent", "sgd", jol.sgd, (lr(1e-4, 0.3),)),
        *(m(f"momentum_{form}", f"momentum ({form})", "momentum",
            lambda learning_rate, beta, form=form: jol.momentum(learning_rate, beta, form=form),
            (lr(1e-3, 1.0) if form == "ema" else lr(1e-4, 0.1), beta)) for form in ("trace", "velocity", "ema")),
        m("nesterov", "Nesterov (trace)", "nesterov", jol.nesterov, (lr(1e-4, 0.1), beta)),
        m("adagrad", "AdaGrad (ε outside √)", "adagrad", jol.adagrad, (lr(1e-3, 3.0),)),
        m("adagrad_eps_in", "AdaGrad (ε inside √)", "adagrad", lambda **k: jol.adagrad(**k, eps_in_sqrt=True),
          (lr(1e-3, 3.0),)),
        m("rmsprop", "RMSProp", "rmsprop", jol.rmsprop, (lr(1e-4, 0.3), decay)),
        m("rmsprop_centered", "RMSProp (centered)", "rmsprop", lambda **k: jol.rmsprop(**k, centered=True),
          (lr(1e-4, 0.3), decay)),
        m("adadelta", "AdaDelta (Zeiler)", "adadelta", jol.adadelta, (lr(0.1, 100.0), rho)),
        m("adadelta_jku", "AdaDelta ([001] slide)", "adadelta", lambda **k: jol.adadelta(**k, form="jku"),
          (lr(1.0, 1e4), rho)),
        m("adam", "Adam", "adam", jol.adam, (lr(1e-4, 0.3), b1, b2)),
        m("adam_nobc", "almost Adam (no bias correction)", "adam",
          lambda **k: jol.adam(**k, bias_correction=False), (lr(1e-4, 0.3), b1, b2)),
        m("adamw", "AdamW", "adamw", jol.adamw,
          (lr(1e-4, 0.3), b2, other("weight_decay", "weight_decay", "λ (weight decay)", 0.0, 0.01, 0.1))),
        *(m(f"rprop_{v}", f"Rprop ({v})", "rprop", lambda v=v, **k: jol.rprop(**k, variant=v), (lr(1e-4, 0.3),))
          for v in ("rprop+", "rprop-", "irprop+", "irprop-")),
        m("delta_delta", "delta-delta", "delta_delta", jol.delta_delta,
          (lr(1e-5, 1e-2), other("meta", "meta_learning_rate", "γ (meta rate)", 1e-7, 1e-5, 1e-3))),
        m("delta_bar_delta", "delta-bar-delta", "delta_bar_delta",
          lambda **k: jol.delta_bar_delta(**k, phi=0.2, theta=0.7),
          (lr(1e-5, 1e-2), other("kappa", "kappa", "κ (additive increase)", 1e-5, 1e-4, 1e-3))),
        m("quickprop", "Quickprop (safeguarded)", "quickprop", jol.quickprop,
          (lr(1e-4, 0.1), other("max_growth", "max_growth", "μ (max growth)", 1.25, 1.75, 2.5))),
        m("quickprop_bare", "Quickprop (bare secant)", "quickprop",
          lambda **k: jol.quickprop(**k, safeguard=False), (lr(1e-4, 0.1),)),
    )


def surfaces() -> tuple[Surface, ...]:
    """The lectures' surfaces with a handful of starts each (the first is the problem's own ``x0``)."""
    p = jol.problems
    kappas = (1.0, 10.0, 100.0, 1000.0)
    quadratics = tuple(p.ill_conditioned(k, angle_deg=30.0) for k in kappas)
    s = Surface
    return (
        s("rosenbrock", "Rosenbrock", (p.rosenbrock,), "", (), ((-1.2, 1.0), (-1.5, 2.5), (0.0, -0.5), (1.5, 2.5),
                                                                (-1.8, -0.5), (1.8, 0.5))),
        s("beale", "Beale", (p.beale,), "", (), ((1.0, 1.5), (2.0, -1.0), (-1.0, -1.0), (-3.0, 1.0), (3.5, 1.2),
                                                 (0.5, -1.5))),
        s("saddle", "saddle x² − y²", (p.saddle,), "", (), ((1.0, 1e-3), (1.5, 0.2), (-1.5, -0.3), (0.5, -0.05),
                                                             (-1.0, 1e-3), (1.9, 0.5))),
        s("himmelblau", "Himmelblau", (p.himmelblau,), "", (), ((0.0, 0.0), (-1.0, 4.0), (-4.0, -4.0), (4.0, -3.0),
                                                                 (-4.5, 0.5), (2.0, 4.5))),
        s("three_hump_camel", "three-hump camel", (p.three_hump_camel,), "", (),
          ((-1.5, 1.5), (1.5, -1.5), (1.0, 1.0), (-1.0, -1.0), (1.8, 0.0), (0.5, -1.8))),
        s("quadratic", "quadratic ½xᵀAx (rotated 30°)", quadratics, "κ (condition number)", kappas,
          ((1.0, 1.0), (-1.0, 1.0), (1.2, -0.4), (-1.3, -1.2), (0.2, 1.4), (-1.4, 0.2))),
    )


def _grid(n_problems: int, method: Method, n_starts: int) -> dict[str, np.ndarray]:
    """The flat grid, axes in the order problem, hyperparameters, start (the page's index order)."""
    axes = [np.arange(n_problems), *(np.asarray(h.values) for h in method.hypers), np.arange(n_starts)]
    mesh = [a.ravel() for a in np.meshgrid(*axes, indexing="ij")]
    return dict(zip(["problem", *(h.kwarg for h in method.hypers), "start"], mesh))


def sweep(funs: list[Callable], method: Method, steps: int, starts: np.ndarray, grid: dict[str, np.ndarray]):
    """``jol.minimize`` over the whole grid in ONE compiled ``jax.vmap``: the trace's loss and params.

    ``grid["problem"]`` picks the objective among ``funs`` (``lax.switch``) and ``starts[problem, start]``
    the initial point, so one compilation serves every surface of the method.
    """
    table = jnp.asarray(starts, jnp.float32)

    def one(problem, start, **hyper):
        fun = funs[0] if len(funs) == 1 else (lambda x: jax.lax.switch(problem, funs, x))
        return jol.minimize(fun, table[problem, start], method.make(**hyper), steps)[1]

    hyper = {h.kwarg: jnp.asarray(grid[h.kwarg], jnp.float32) for h in method.hypers}
    trace = jax.jit(jax.vmap(one))(jnp.asarray(grid["problem"]), jnp.asarray(grid["start"]), **hyper)
    return np.asarray(trace.loss, np.float32), np.asarray(trace.params, np.float32)


def _shuffle(a: np.ndarray) -> bytes:
    """Little-endian bytes grouped by byte position (all first bytes, then all second ...): zlib packs it better."""
    return np.ascontiguousarray(a.view(np.uint8).reshape(-1, a.dtype.itemsize).T).tobytes()


def _unshuffle(raw: bytes, dtype: str, n: int) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return np.ascontiguousarray(np.frombuffer(raw, np.uint8, n * size).reshape(size, n).T).view(dtype).ravel()


def bfloat16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> the upper 16 bits (bfloat16, round to nearest even): 3 significant digits, float32's range."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return np.where(np.isnan(x), 0x7FC0, rounded).astype(np.uint16)


def from_bfloat16_bits(b: np.ndarray) -> np.ndarray:
    """bfloat16 bits (uint16) -> float32, exactly (what the page does with ``bits << 16``)."""
    return (np.asarray(b, np.uint32) << 16).view(np.float32)


def encode(loss: np.ndarray, path: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Cut each run at its first non-finite value; bytes = loss bf16 | path f16 | kept points u16, shuffled."""
    with np.errstate(over="ignore"):  # beyond float16's range: cut below like a non-finite value
        loss16, path16 = bfloat16_bits(loss), path.astype(np.float16)
    finite = np.isfinite(from_bfloat16_bits(loss16)) & np.isfinite(path16).all(-1)
    kept = np.where(finite.all(1), finite.shape[1], np.argmin(finite, axis=1)).astype("<u2")
    mask = np.arange(loss.shape[1])[None, :] < kept[:, None]
    loss16 = np.where(mask, loss16, 0).astype("<u2")
    path16 = np.where(mask[..., None], path16, 0).astype("<f2")
    return _shuffle(loss16) + _shuffle(path16) + _shuffle(kept), kept


def decode(raw: bytes, runs: int, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`encode` (what the page does in JavaScript): loss, path, kept points."""
    n = runs * points
    loss = from_bfloat16_bits(_unshuffle(raw, "<u2", n)).reshape(runs, points)
    path = _unshuffle(raw[2 * n:], "<f2", 2 * n).reshape(runs, points, 2)
    kept = _unshuffle(raw[6 * n:], "<u2", runs)
    return loss, path, kept


def field(surface: Surface, size: int) -> list[str]:
    """Per variant: the contour bands (0..LEVELS-1, log-spaced in f − f_min) on a size × size grid, base64."""
    (x0, x1), (y0, y1) = surface.variants[0].bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))  # row 0 = lowest y
    points = jnp.asarray(np.stack([xs.ravel(), ys.ravel()], -1), jnp.float32)
    bands = []
    for problem in surface.variants:
        f = np.asarray(jax.vmap(problem.fun)(points), np.float64)
        z = np.log1p(f - f.min())
        edges = np.quantile(z, np.linspace(0, 1, LEVELS + 1)[1:-1])
        bands.append(base64.b64encode(np.searchsorted(edges, z).astype(np.uint8).tobytes()).decode())
    return bands


def equations(function: str) -> str:
    """The method's docstring up to its Lecture/Args sections, as HTML for MathJax ($…$ kept)."""
    doc = getattr(jol, function).__doc__ or ""
    text = re.split(r"\n\s*(?:Lecture|Args|Raises|References|Example|Seed mapping)s?:?", doc, maxsplit=1)[0]
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    out = []
    for block in re.split(r"\n\s*\n", text):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        if rows and len(rows) == len(block.splitlines()):
            cells = [[html.escape(c.strip()) for c in r.strip("|").split("|")] for r in rows if not set(r) <= set("|-: ")]
            body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)
            out.append(f"<table>{body}</table>")
        else:
            out.append(f"<p>{html.escape(block)}</p>")
    return re.sub(r"``(.+?)``", r"<code>\1</code>", "".join(out))


def _initial_sliders(all_methods: list[Method]) -> dict[str, int]:
    """Per slider key, the index of the grid value nearest to ``DEFAULTS`` (first method using the key)."""
    index = {}
    for h in (h for m in all_methods for h in m.hypers):
        if h.slider not in index:
            distance = np.abs(np.log(np.maximum(h.values, 1e-12)) - np.log(DEFAULTS.get(h.slider, h.values[0]) or 1e-12))
            index[h.slider] = int(np.argmin(distance))
    return index


def run(config: dict) -> dict:
    """Every (surface, method) sweep; returns the page's metadata and per block the raw bytes."""
    all_methods = [m for m in methods(config["n_rates"], config["n_other"])
                   if config["methods"] is None or m.key in config["methods"]]
    all_surfaces = [s for s in surfaces() if config["surfaces"] is None or s.key in config["surfaces"]]
    problems = [p for s in all_surfaces for p in s.variants]
    starts = np.asarray([s.starts[:config["starts"]] for s in all_surfaces for _ in s.variants], np.float32)
    blocks, diverged, runs = {}, 0, 0
    start = time.perf_counter()
    for method in _common.progress(all_methods, desc="optimizers"):
        grid = _grid(len(problems), method, starts.shape[1])
        loss, path = sweep([p.fun for p in problems], method, config["steps"], starts, grid)
        per_problem, first = len(loss) // len(problems), 0
        for surface in all_surfaces:
            rows = slice(first * per_problem, (first + len(surface.variants)) * per_problem)
            blocks[f"{surface.key}/{method.key}"], kept = encode(loss[rows], path[rows])
            diverged, runs, first = diverged + int(np.sum(kept < loss.shape[1])), runs + len(kept), first + len(surface.variants)
    meta = {
        "steps": config["steps"], "levels": LEVELS, "field": config["field"],
        "sliders": _initial_sliders(all_methods),
        "surfaces": [{"key": s.key, "label": s.label, "bounds": s.variants[0].bounds,
                      "starts": s.starts[:config["starts"]],
                      "variant_label": s.variant_label, "variants": list(s.variant_values) or [None],
                      "min_value": [float(p.min_value) for p in s.variants],
                      "minimizers": [np.asarray(m).tolist() for m in s.variants[0].minimizers],
                      "fields": field(s, config["field"])} for s in all_surfaces],
        "methods": [{"key": m.key, "label": m.label, "function": m.function, "equations": equations(m.function),
                     "hypers": [dataclasses.asdict(h) for h in m.hypers]} for m in all_methods],
    }
    return {"meta": meta, "blocks": blocks, "runs": runs, "diverged": diverged,
            "seconds": time.perf_counter() - start}


def data_js(results: dict) -> str:
    """``window.EXPLORER_DATA = {meta, blocks: {key: {raw_bytes, zlib}}}`` (zlib-compressed, base64)."""
    blocks = {k: {"bytes": len(raw), "zlib": base64.b64encode(zlib.compress(raw, 9)).decode()}
              for k, raw in results["blocks"].items()}
    return "window.EXPLORER_DATA = " + json.dumps({"meta": results["meta"], "blocks": blocks}) + ";\n"


def read_data(out: pathlib.Path) -> dict:
    """Parse a written ``data.js`` back (tests): meta and the decompressed block bytes."""
    text = (out / "data.js").read_text()
    data = json.loads(text[text.index("{"):text.rindex("}") + 1])
    data["blocks"] = {k: zlib.decompress(base64.b64decode(b["zlib"])) for k, b in data["blocks"].items()}
    return data


def _copy_mathjax(out: pathlib.Path) -> bool:
    spec = importlib.util.find_spec("mathjax")
    bundle = pathlib.Path(spec.origin).parent / "static" / "mathjax" / "es5" / MATHJAX if spec else None
    if bundle is None or not bundle.exists():
        return False  # the page then shows the equations' LaTeX source
    shutil.copyfile(bundle, out / MATHJAX)
    shutil.copyfile(bundle.parent.parent / "LICENSE", out / "MATHJAX_LICENSE.txt")
    return True


def write_page(results: dict, out: pathlib.Path) -> pathlib.Path:
    """index.html + explorer.js + explorer.css + data.js (+ MathJax) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "explorer.js", "explorer.css"):
        shutil.copyfile(ASSETS / name, out / name)
    (out / "data.js").write_text(data_js(results))
    _copy_mathjax(out)
    return out / "index.html"


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium(width: int = 1200, height: int = 1400):
    """A selenium driver of Debian's headless ``chromium`` (+ ``chromium-driver``), network services off.

    Raises:
        RuntimeError: selenium, chromium or chromedriver is missing (``make test`` installs them).
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise RuntimeError("selenium missing: pip install -e '.[test]'") from err
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        raise RuntimeError("chromium / chromedriver missing: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="explorer-chromium-")):
        options.add_argument(flag)
    options.binary_location = browser
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def screenshot(page: pathlib.Path, png: pathlib.Path, query: str = SCREENSHOT_QUERY) -> float:
    """Open ``page`` in headless chromium with ``query``, save a PNG; return the ms until it was interactive."""
    driver = chromium(1200, 1010)
    try:
        driver.get(page.resolve().as_uri() + query)
        deadline = time.monotonic() + 30
        while not driver.execute_script("return window.explorer && (window.explorer.ready || window.explorer.errors.length)"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{page} did not become interactive in 30 s")
            time.sleep(0.05)
        ready = driver.execute_script("return window.explorer.readyAt")
        time.sleep(1.5)  # MathJax typesets the equations below the fold; the plots are drawn already
        driver.save_screenshot(str(png))
        return ready
    finally:
        driver.quit()


def summary(results: dict) -> str:
    """One line: surfaces, optimizers, runs, how many diverged, seconds."""
    meta = results["meta"]
    return (f"{len(meta['surfaces'])} surfaces × {len(meta['methods'])} optimizers: {results['runs']} runs of "
            f"{meta['steps']} steps ({results['diverged']} diverged) in {results['seconds']:.1f} s")


def main(argv=None) -> None:
    """``python -m experiments.explorer [--quick] [--out DIR] [--screenshot PNG]``."""
    parser = _common.parser(__doc__, "outputs/explorer")
    parser.add_argument("--screenshot", metavar="PNG", help="also save a headless-chromium screenshot of the page")
    args = parser.parse_args(argv)
    results = run(QUICK if args.quick else FULL)
    page = write_page(results, pathlib.Path(args.out))
    size = sum(f.stat().st_size for f in page.parent.iterdir())
    print(summary(results))
    print(f"wrote {page} ({size / 1e6:.1f} MB with data and MathJax)")
    if args.screenshot:
        ready = screenshot(page, pathlib.Path(args.screenshot))
        print(f"wrote {args.screenshot} (interactive after {ready:.0f} ms)")


if __name__ == "__main__":
    main()
