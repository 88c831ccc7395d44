"""The optimizer explorer (experiments/explorer.py): its data are jol.minimize's trajectories, and the
page, opened from file:// in headless Chromium, draws and reports exactly those numbers.

The references are built here from the public API (``jol.adam(..., bias_correction=False)``, the
problems of ``jol.problems``), independently of the explorer's method table. Storage precision: paths
float16 (relative 2^-11), losses bfloat16 (relative 2^-8).
"""

from __future__ import annotations

import shutil
import time

import jax.numpy as jnp
import numpy as np
import pytest

import jaxopt_lectures as jol
from experiments import explorer

TINY = dict(steps=12, n_rates=3, n_other=2, starts=2, surfaces=("rosenbrock", "quadratic"),
            methods=("adam_nobc", "rprop_irprop+"), field=16)
# the browser test's build: Rosenbrock with Adam, almost-Adam and RMSProp (seconds to compute)
PAGE = dict(steps=40, n_rates=4, n_other=3, starts=3, surfaces=("rosenbrock", "quadratic"),
            methods=("adam", "adam_nobc", "rmsprop", "sgd"), field=32)

REFERENCE = {  # method key -> the optimizer from the public API, keyword names as in the explorer's grid
    "sgd": lambda learning_rate: jol.sgd(learning_rate),
    "momentum_trace": lambda learning_rate, beta: jol.momentum(learning_rate, beta, form="trace"),
    "momentum_velocity": lambda learning_rate, beta: jol.momentum(learning_rate, beta, form="velocity"),
    "momentum_ema": lambda learning_rate, beta: jol.momentum(learning_rate, beta, form="ema"),
    "nesterov": lambda learning_rate, beta: jol.nesterov(learning_rate, beta),
    "adam": lambda learning_rate, b1, b2: jol.adam(learning_rate, b1=b1, b2=b2),
    "adam_nobc": lambda learning_rate, b1, b2: jol.adam(learning_rate, b1=b1, b2=b2, bias_correction=False),
    "adamw": lambda learning_rate, b2, weight_decay: jol.adamw(learning_rate, b2=b2, weight_decay=weight_decay),
    "rmsprop": lambda learning_rate, decay: jol.rmsprop(learning_rate, decay=decay),
    "rprop_irprop+": lambda learning_rate: jol.rprop(learning_rate, variant="irprop+"),
    "adadelta_jku": lambda learning_rate, rho: jol.adadelta(learning_rate, rho=rho, form="jku"),
    "quickprop_bare": lambda learning_rate: jol.quickprop(learning_rate, safeguard=False),
}
PROBLEMS = {"rosenbrock": [jol.problems.rosenbrock], "saddle": [jol.problems.saddle],
            "beale": [jol.problems.beale], "himmelblau": [jol.problems.himmelblau],
            "three_hump_camel": [jol.problems.three_hump_camel],
            "quadratic": [jol.problems.ill_conditioned(k, angle_deg=30.0) for k in (1.0, 10.0, 100.0, 1000.0)]}


def runs_of(surface: dict, method: dict) -> int:
    return len(surface["variants"]) * int(np.prod([len(h["values"]) for h in method["hypers"]])) * len(surface["starts"])


def stored(data: dict, surface: dict, method: dict):
    """(loss, path, kept) of a block of the page's data."""
    block = data["blocks"][f"{surface['key']}/{method['key']}"]
    return explorer.decode(block, runs_of(surface, method), data["meta"]["steps"] + 1)


def grid_point(surface: dict, method: dict, index: int) -> tuple[int, dict, int]:
    """Run ``index`` of a block -> (variant, hyperparameters, start): the page's row-major order."""
    index, start = divmod(index, len(surface["starts"]))
    hyper = {}
    for h in reversed(method["hypers"]):
        index, i = divmod(index, len(h["values"]))
        hyper[h["kwarg"]] = h["values"][i]
    return index, hyper, start


def reference_traces(surface: dict, method: dict, index: int, steps: int):
    """jol.minimize's (loss, params) for the run, and for its start moved by one float32 ulp."""
    variant, hyper, start = grid_point(surface, method, index)
    problem = PROBLEMS[surface["key"]][variant]
    x0 = jnp.asarray(surface["starts"][start], jnp.float32)
    tx = REFERENCE[method["key"]](**{k: jnp.float32(v) for k, v in hyper.items()})  # the grid is swept in float32
    traces = [jol.minimize(problem, x, tx, steps)[1] for x in (x0, jnp.nextafter(x0, jnp.inf))]
    return [(np.asarray(t.loss, np.float32), np.asarray(t.params, np.float32)) for t in traces]


def horizon(reference, nudged) -> int:
    """The first step where two (loss, path) traces differ beyond the storage precision (len if never)."""
    (loss, path), (loss_b, path_b) = reference, nudged
    with np.errstate(invalid="ignore"):
        far = (np.abs(path - path_b) > 2.0**-10 * np.abs(path) + 1e-7).any(-1) | (np.abs(loss - loss_b) > 2.0**-8 * np.abs(loss))
    return int(np.argmax(far)) if far.any() else len(path)


def assert_stored(data: dict, surface: dict, method: dict, index: int) -> bool:
    """The stored run equals jol.minimize's up to float16 (path) / bfloat16 (loss), cut where non-finite.

    Chaotic runs (a large step on Rosenbrock, the bare secant) amplify float32 rounding: the batched
    sweep and a single run then part after some steps, as two runs from nearby starts do. Equality is
    required up to that horizon (the whole run where the two references agree). Near a minimum the
    float32 loss itself carries rounding of the order of 1e-6 of the run's largest loss (cancellation).
    """
    steps = data["meta"]["steps"]
    loss, path, kept = stored(data, surface, method)
    reference, nudged = reference_traces(surface, method, index, steps)
    ref_loss, ref_path = reference
    finite = np.isfinite(ref_loss) & (np.abs(ref_path) < 65504).all(-1) & np.isfinite(ref_path).all(-1)
    k = steps + 1 if finite.all() else int(np.argmin(finite))
    parted = horizon(reference, nudged)
    h = k if parted >= k else max(parted - 3, 0)  # a margin: the sweep's own rounding differs by more than an ulp
    if h == k:
        assert kept[index] == k, (surface["key"], method["key"], index)
    np.testing.assert_allclose(path[index, :h], ref_path[:h], rtol=2.0**-10, atol=1e-7)
    np.testing.assert_allclose(loss[index, :h], ref_loss[:h], rtol=2.0**-8, atol=1e-6 * np.abs(ref_loss[:h]).max())
    assert not path[index, kept[index]:].any() and not loss[index, kept[index]:].any()
    return h == k  # compared over the whole run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("explorer_tiny")
    explorer.write_page(explorer.run(TINY), out)
    return out, explorer.read_data(out)


def test_data_equal_minimize_trajectories(tiny):
    _, data = tiny
    rng, whole = np.random.default_rng(0), []
    for surface in data["meta"]["surfaces"]:
        for method in data["meta"]["methods"]:
            runs = runs_of(surface, method)
            whole += [assert_stored(data, surface, method, index) for index in {runs - 1, int(rng.integers(runs))}]
    assert np.mean(whole) >= 0.75, whole  # most runs are not chaotic: compared step by step to the end


def test_page_files_and_no_network(tiny):
    out, _ = tiny
    assert {"index.html", "explorer.js", "explorer.css", "data.js"} <= {p.name for p in out.iterdir()}
    for name in ("index.html", "explorer.js", "explorer.css"):
        text = (out / name).read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name


def test_divergence_is_cut_and_marked():
    loss = np.array([[1.0, 2.0, np.inf, 3.0], [1.0, 0.5, 0.25, 0.125]], np.float32)
    path = np.array([[[0, 0], [1, 1], [2, 2], [3, 3]], [[0, 0], [7e4, 0], [1, 1], [1, 1]]], np.float32)
    raw, kept = explorer.encode(loss, path)
    np.testing.assert_array_equal(kept, [2, 1])  # inf loss at step 2; 7e4 overflows float16 at step 1
    d_loss, d_path, d_kept = explorer.decode(raw, 2, 4)
    np.testing.assert_array_equal(d_kept, [2, 1])
    np.testing.assert_array_equal(d_loss, [[1, 2, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(d_path[0, :2], [[0, 0], [1, 1]])
    assert not d_path[0, 2:].any() and not d_path[1, 1:].any()


def test_bfloat16_bits_round_to_nearest():
    x = np.array([1.0, -2.5, 1 + 2.0**-9, 1 + 3 * 2.0**-9, 3.0e38, 1e-30], np.float32)
    bits = explorer.bfloat16_bits(x)
    assert bits[0] == 0x3F80 and bits[1] == 0xC020
    back = explorer.from_bfloat16_bits(bits)
    assert back[2] == 1.0 and back[3] == 1 + 2.0**-7  # ties to even: 1+2^-9 -> 1, 1+3·2^-9 -> 1+2^-7
    np.testing.assert_allclose(back, x, rtol=2.0**-8)


def test_methods_cover_every_first_order_optimizer():
    functions = {m.function for m in explorer.methods(3, 2)}
    assert functions == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "rprop",
                         "delta_delta", "delta_bar_delta", "quickprop"}
    keys = {m.key for m in explorer.methods(3, 2)}
    assert {"momentum_trace", "momentum_velocity", "momentum_ema", "adagrad_eps_in", "rmsprop_centered",
            "adadelta_jku", "adam_nobc", "rprop_rprop+", "rprop_rprop-", "rprop_irprop+", "rprop_irprop-"} <= keys
    assert {s.key for s in explorer.surfaces()} == set(PROBLEMS)


def test_equations_are_the_docstrings_latex():
    adam = explorer.equations("adam")
    assert r"\hat m_t = \frac{m_t}{1-\beta_1^t}" in adam and "Args" not in adam and "Lecture" not in adam
    assert "<table>" in explorer.equations("momentum")  # the forms table becomes an HTML table


# ---------------------------------------------------------------- slow: full quick build, real browser

@pytest.mark.slow
def test_quick_build_matches_minimize(tmp_path):
    explorer.main(["--quick", "--out", str(tmp_path)])
    data = explorer.read_data(tmp_path)
    assert len(data["blocks"]) == len(data["meta"]["surfaces"]) * len(data["meta"]["methods"])
    rng, whole = np.random.default_rng(1), []
    for surface in data["meta"]["surfaces"]:
        for method in data["meta"]["methods"]:
            if method["key"] in REFERENCE:
                whole.append(assert_stored(data, surface, method, int(rng.integers(runs_of(surface, method)))))
    assert np.mean(whole) >= 0.75, whole


def chromium_driver():
    """Selenium driving Debian's chromium + chromium-driver (``make test`` installs them)."""
    try:
        return explorer.chromium()
    except RuntimeError as err:
        pytest.skip(f"no headless browser: {err}")


def wait_for(d, script: str, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = d.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("explorer_page")
    explorer.write_page(explorer.run(PAGE), out)
    return out, explorer.read_data(out)


@pytest.fixture
def browser():
    d = chromium_driver()
    yield d
    d.quit()


def drawn_matches_data(d, data: dict) -> dict:
    """Every drawn path and displayed final loss equals the stored run the sliders select."""
    meta = data["meta"]
    state = d.execute_script("return window.explorer.state")
    surface = meta["surfaces"][state["surface"]]
    drawn = d.execute_script("return window.explorer.drawn")
    finals = {int(r.get_attribute("data-slot")): r for r in d.find_elements("css selector", "#results tr[data-slot]")}
    assert len(drawn) == len(finals) == sum(k != "none" for k in state["runs"])
    out = {}
    for run in drawn:
        method = next(m for m in meta["methods"] if m["key"] == run["method"])
        i = state["variant"]
        for h in method["hypers"]:
            i = i * len(h["values"]) + min(state["sliders"][h["slider"]], len(h["values"]) - 1)
        index = i * len(surface["starts"]) + state["start"]
        assert run["index"] == index
        loss, path, kept = stored(data, surface, method)
        last = min(state["step"], int(kept[index]) - 1)
        np.testing.assert_array_equal(np.asarray(run["points"], np.float32), path[index, :last + 1])
        cell = finals[run["slot"]].find_element("css selector", ".final-loss")
        assert float(cell.get_attribute("data-value")) == loss[index, kept[index] - 1]
        assert float(cell.text) == pytest.approx(float(loss[index, kept[index] - 1]), rel=1e-3)
        out[run["slot"]] = (path[index, :last + 1], float(loss[index, kept[index] - 1]))
    return out


@pytest.mark.slow
def test_browser_sliders_optimizer_animation(page, browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    out, data = page
    d = browser
    d.get((out / "index.html").as_uri() + "?surface=rosenbrock&run1=adam&run2=adam_nobc&run3=none")
    wait_for(d, "return window.explorer && window.explorer.ready")
    assert d.find_element("id", "message").get_attribute("hidden")
    before = drawn_matches_data(d, data)

    def act(action):
        count = d.execute_script("return window.explorer.refreshes")
        action()
        wait_for(d, f"return window.explorer.refreshes > {count}")
        return drawn_matches_data(d, data)

    # the learning-rate slider (keyboard, as a user would): both paths and final losses change
    after_lr = act(lambda: d.find_element("id", "slider-learning_rate").send_keys(Keys.ARROW_RIGHT))
    for slot in (0, 1):
        assert not np.array_equal(before[slot][0], after_lr[slot][0]) and before[slot][1] != after_lr[slot][1]
    # β2 moves both Adam and almost-Adam
    after_b2 = act(lambda: d.find_element("id", "slider-b2").send_keys(Keys.ARROW_LEFT))
    for slot in (0, 1):
        assert not np.array_equal(after_lr[slot][0], after_b2[slot][0])
    # another optimizer in run 2
    after_opt = act(lambda: Select(d.find_element("id", "run2")).select_by_value("rmsprop"))
    assert d.execute_script("return window.explorer.drawn[1].method") == "rmsprop"
    assert not np.array_equal(after_b2[1][0], after_opt[1][0])
    # the animation advances from step 0
    d.find_element("id", "play").click()
    first = wait_for(d, "const s = window.explorer.state.step; return s > 0 && s < window.explorer.meta.steps && s")
    wait_for(d, f"return window.explorer.state.step > {first}")
    d.find_element("id", "play").click()  # pause
    drawn_matches_data(d, data)
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def canvas_is_blank(d) -> bool:
    return d.execute_script("""const c = document.getElementById('contour');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] !== 0) return false; return true;""")


@pytest.mark.slow
def test_browser_bad_input_gives_a_visible_message(page, browser, tmp_path):
    out, _ = page
    d = browser
    d.get((out / "index.html").as_uri() + "?surface=rosenbrock&bogus=1")
    wait_for(d, "return window.explorer && window.explorer.errors.length")
    assert "bogus" in d.find_element("id", "message").text and d.find_element("id", "message").is_displayed()
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    text = (bad / "data.js").read_text()
    key = '"zlib": "'
    at = text.index(key) + len(key)
    (bad / "data.js").write_text(text[:at] + "AAAA" + text[at + 4:])  # a hand edit inside the first block
    d.get((bad / "index.html").as_uri() + "?surface=" + explorer.read_data(out)["meta"]["surfaces"][0]["key"]
          + "&run1=" + next(iter(explorer.read_data(out)["blocks"])).split("/")[1] + "&run2=none&run3=none")
    wait_for(d, "return window.explorer && window.explorer.errors.length")
    assert "corrupt" in d.find_element("id", "message").text and not canvas_is_blank(d)
    (bad / "data.js").write_text(text[: len(text) // 2])  # truncated: not valid JavaScript any more
    d.get((bad / "index.html").as_uri())
    wait_for(d, "return window.explorer && window.explorer.errors.length")
    assert "data.js" in d.find_element("id", "message").text and not canvas_is_blank(d)


