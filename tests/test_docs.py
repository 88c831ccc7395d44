"""The documentation site: it builds strictly, works offline, and shows every public name.

The build (``mkdocs build --strict``, what ``make docs`` runs) happens once per module into a
temporary folder. ``make docs`` runs the experiments' ``--quick`` mode for the figures; here the
build takes them from the quick tour run the experiment tests share (``$JOL_DOCS_FIGURES``), and the
tests that read the built site are marked slow (they still run in ``make test``).
"""

from __future__ import annotations

import html
import importlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

import jaxopt_lectures as jol
from docs.gen import catalog, hooks, pages

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory, quick_tour) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, hooks.FIGURES_ENV: str(quick_tour[0])}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return out


def _html_files(site: pathlib.Path) -> list[pathlib.Path]:
    return sorted(site.rglob("*.html"))


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_site_builds_strictly_and_loads_nothing_from_outside(site):
    offenders = {p.relative_to(site).as_posix(): EXTERNAL.findall(p.read_text()) for p in _html_files(site)}
    assert {k: v for k, v in offenders.items() if v} == {}
    for css in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text()), css


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_maths_is_typeset_by_the_shipped_mathjax(site):
    index = (site / "index.html").read_text()
    assert 'src="assets/mathjax/tex-svg-full.js"' in index
    assert (site / "assets" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000
    momentum = (site / "guide" / "momentum.html").read_text()
    assert '<span class="arithmatex">\\(m_t = \\beta m_{t-1} + g_t\\)</span>' in momentum


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_every_image_of_every_page_exists(site):
    for page in _html_files(site):
        for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', page.read_text()):
            assert (page.parent / html.unescape(src)).resolve().is_file(), f"{page.name}: {src}"


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_figures_of_the_experiments_are_shown(site):
    gd = (site / "guide" / "gradient-descent.html").read_text()
    assert '<img alt="quadratic step sizes" src="../figures/quadratic_dynamics/quadratic_step_sizes.png"' in gd
    for experiment in catalog.EXPERIMENTS:
        if pages.experiment_exists(experiment):
            assert list((site / "figures" / experiment).glob("*.png")), experiment


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_every_public_name_has_a_section_in_the_api_reference(site):
    api = "".join(p.read_text() for p in (site / "api").glob("*.html"))
    missing = [name for name in jol.__all__ if f'id="jaxopt_lectures.{name}"' not in api]
    assert missing == []


def test_every_public_optimizer_and_schedule_has_a_guide_section():
    """Each public name except state classes and scale_by_ twins is placed on a guide page (or pending)."""
    placed = {name.split(".")[0] for page in catalog.GUIDE for name in page.methods}
    expected = {n for n in jol.__all__ if not n.startswith("scale_by_") and not n[0].isupper()}
    assert set(catalog.NOT_IN_GUIDE) - set(jol.__all__) == set()
    expected -= set(catalog.NOT_IN_GUIDE)
    assert expected - placed == set(), "add the name to a GuidePage in docs/gen/catalog.py"


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_each_method_section_says_what_it_was_verified_against(site):
    for page in catalog.GUIDE:
        text = (site / page.path.replace(".md", ".html")).read_text()
        for name in page.methods:
            if not pages.is_public(name):
                continue
            for row in pages.rows_of(name):
                if row.reference is not None:
                    assert f"verified against <code>{html.escape(row.reference_name, quote=False)}</code>" in text, row.id
                    assert f"<code>{row.id}</code>" in text


def test_every_experiment_is_run_by_the_docs_or_excluded_with_a_reason():
    modules = {p.stem for p in (ROOT / "experiments").glob("*.py") if not p.stem.startswith("_")}
    assert modules - set(catalog.EXPERIMENTS) - set(catalog.NOT_IN_DOCS) == set()


def test_pending_lists_name_only_what_does_not_exist_yet():
    """When a pending name, experiment or page lands, remove it from docs/gen/catalog.py."""
    landed = sorted(n for n in catalog.PENDING_NAMES if pages.is_public(n))
    ran = sorted(e for e in catalog.PENDING_EXPERIMENTS if pages.experiment_exists(e))
    written = sorted(p for p in catalog.PENDING_PAGES if (ROOT / "docs" / p).exists())
    assert (landed, ran, written) == ([], [], [])


def _variant_params():
    for v in catalog.VARIANTS:
        pending = pages.call_root(v.call) in catalog.PENDING_NAMES
        marks = pytest.mark.xfail(strict=True, reason=f"{pages.call_root(v.call)} is pending") if pending else ()
        yield pytest.param(v, marks=marks, id=f"{v.topic}:{v.call.split('(')[0]}:{v.source[:12]}")


@pytest.mark.parametrize("variant", list(_variant_params()))
def test_every_call_of_the_variants_table_works(variant):
    namespace = {"jol": jol, "optax": importlib.import_module("optax"), **catalog.VARIANT_NAMESPACE}
    made = eval(variant.call, namespace)  # noqa: S307 - the table's own code
    assert callable(made) or hasattr(made, "update")


def test_home_page_example_runs():
    code = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "index.md").read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/index.md", "exec"), namespace)  # noqa: S102 - the page's own example
    assert float(namespace["f"](namespace["params"])) < 1e-6


# ------------------------------------------------------------------ no holes: tables, stubs, pending boxes
HOLES = re.compile(r"\bPending\b|Figures? pending|No test found|not in the repository yet|Not written yet")


def table_cells(row: str) -> int:
    """Cells of a Markdown table row as Python-Markdown splits it: on ``|`` outside code spans, not ``\\|``."""
    cells, in_code = 1, False
    for i, ch in enumerate(row.strip().strip("|")):
        if ch == "`":
            in_code = not in_code
        elif ch == "|" and not in_code and (i == 0 or row.strip().strip("|")[i - 1] != "\\"):
            cells += 1
    return cells


def ragged_rows(markdown: str) -> list[str]:
    """Table rows whose cell count differs from their header's (a ``|`` inside maths splits a cell)."""
    bad, header = [], None
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            header = None
            continue
        if header is None:
            is_table = i + 1 < len(lines) and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[i + 1] or "x")
            header = table_cells(line) if is_table else -1
        elif header > 0 and table_cells(line) != header:
            bad.append(line)
    return bad


def test_the_table_checker_catches_a_split_cell():
    good = "| a | b |\n|---|---|\n| `x | y` | $\\|w\\|$ |\n"
    assert ragged_rows(good) == []
    assert ragged_rows("| a | b |\n|---|---|\n| $\\sum |W|$ | c |\n") == ["| $\\sum |W|$ | c |"]


def test_every_table_row_has_the_header_s_cell_count():
    sources = {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "docs").rglob("*.md")}
    sources["README.md"] = (ROOT / "README.md").read_text()
    sources["generated variants table"] = pages.variants_table()
    bad = {name: rows for name, text in sources.items() if (rows := ragged_rows(text))}
    assert bad == {}


def test_no_generated_section_is_a_hole():
    """No public name without a test, no pending page or figure box in what the hooks generate."""
    holes = {name: text for page in catalog.GUIDE for name in page.methods if pages.is_public(name)
             if HOLES.search(text := pages.verification(name))}
    assert holes == {}


@pytest.mark.slow  # the build takes about a minute on 2 cores (plus the shared quick tour)
def test_no_page_of_the_site_has_a_hole(site):
    found = {p.relative_to(site).as_posix(): HOLES.findall(re.sub(r"<[^>]+>", "", p.read_text()))
             for p in _html_files(site) if p.name != "search.html"}
    assert {k: v for k, v in found.items() if v} == {}
