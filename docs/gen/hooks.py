"""mkdocs hooks (``hooks:`` in mkdocs.yml): generate the pages, figures and offline maths of the site.

- ``on_files``: takes the figures from ``$JOL_DOCS_FIGURES/<experiment>/``, else from ``outputs/tour``
  when ``make demo`` drew them after the last source change, else runs every experiment of
  ``catalog.EXPERIMENTS`` with ``--quick`` into a temporary folder (in parallel, logging progress), and
  adds the PNGs as ``figures/<experiment>/<name>.png``; adds the API pages (``pages.api_pages``), stubs
  for pages listed in ``catalog.PENDING_PAGES``, and the
  MathJax bundle from the ``django-static-mathjax`` wheel (MathJax 3, SVG output: one file, no
  fonts, no CDN), so that the site renders maths offline.
- ``on_page_markdown``: expands the markers of the guide pages and the variants page.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import logging
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # mkdocs loads this file by path; the pages import docs.gen, tests, experiments
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from docs.gen import catalog, pages  # noqa: E402

MATHJAX_BUNDLE = "tex-svg-full.js"  # every TeX extension included: nothing is fetched at run time
MATHJAX_URI = "assets/mathjax/" + MATHJAX_BUNDLE
_figures: dict[str, list[pathlib.Path]] | None = None  # cached per process (mkdocs serve rebuilds)
# a folder with <experiment>/*.png already drawn (the tests pass their tour's): no experiment is run
FIGURES_ENV = "JOL_DOCS_FIGURES"
# what `make demo` writes; reused when it is newer than every source file
TOUR = ROOT / "outputs" / "tour"
log = logging.getLogger("mkdocs.hooks.jaxopt_lectures")


def _run_experiment(name: str, out: pathlib.Path) -> list[pathlib.Path]:
    cmd = [sys.executable, "-m", f"experiments.{name}", "--quick", "--out", str(out)]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PluginError(f"{' '.join(cmd[1:])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return _pngs(out, f"experiments.{name} --quick wrote")


def figures() -> dict[str, list[pathlib.Path]]:
    """experiment -> its PNGs; experiments listed as pending and absent are left out (the pages say so)."""
    global _figures
    if _figures is None:
        missing = [e for e in catalog.EXPERIMENTS if not pages.experiment_exists(e)]
        unexpected = sorted(set(missing) - catalog.PENDING_EXPERIMENTS)
        if unexpected:
            raise PluginError(f"experiments {unexpected} do not exist and are not in catalog.PENDING_EXPERIMENTS")
        present = [e for e in catalog.EXPERIMENTS if e not in missing]
        given = os.environ.get(FIGURES_ENV)
        if given:
            _figures = {e: _pngs(pathlib.Path(given) / e, f"${FIGURES_ENV} has") for e in present}
        elif _fresh_tour(present):
            log.info("docs: figures from %s (newer than every source file; delete it to redraw)", TOUR)
            _figures = {e: _pngs(TOUR / e, f"{TOUR} has") for e in present}
        else:
            _figures = _run_experiments(present)
    return _figures


def _fresh_tour(present: list[str]) -> bool:
    """``outputs/tour`` (``make demo``) has every experiment's figures, drawn after the last source change."""
    pngs = [p for e in present for p in (TOUR / e).glob("*.png")]
    if not all(any((TOUR / e).glob("*.png")) for e in present):
        return False
    sources = [p for d in ("jaxopt_lectures", "experiments") for p in (ROOT / d).rglob("*.py")]
    return min(p.stat().st_mtime for p in pngs) > max(p.stat().st_mtime for p in sources)


def _run_experiments(present: list[str]) -> dict[str, list[pathlib.Path]]:
    """Run each experiment's ``--quick`` configuration in parallel, logging progress (about 3 minutes on 2 cores)."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="jol-docs-figures-"))
    workers = max(1, min(len(present), os.cpu_count() or 1))
    log.info("docs: drawing the figures: %d experiments with --quick (%d at a time; `make demo` first to reuse "
             "outputs/tour)", len(present), workers)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        runs = {pool.submit(_run_experiment, e, base / e): e for e in present}
        for done, future in enumerate(concurrent.futures.as_completed(runs), 1):
            future.result()
            log.info("docs: [%d/%d] experiments.%s done (%.0f s)", done, len(present), runs[future],
                     time.monotonic() - start)
    return {e: _pngs(base / e, f"experiments.{e} --quick wrote") for e in present}


def _pngs(folder: pathlib.Path, source: str) -> list[pathlib.Path]:
    """The PNGs in ``folder``; ``PluginError`` ("<source> no PNG in <folder>") if there are none."""
    pngs = sorted(folder.glob("*.png"))
    if not pngs:
        raise PluginError(f"{source} no PNG in {folder}")
    return pngs


def _mathjax_file(config) -> File:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or spec.origin is None:
        raise PluginError("MathJax assets missing: pip install django-static-mathjax (the docs extra)")
    bundle = pathlib.Path(spec.origin).parent / "static" / "mathjax" / "es5" / MATHJAX_BUNDLE
    if not bundle.exists():
        raise PluginError(f"{bundle} missing from the django-static-mathjax wheel")
    return File.generated(config, MATHJAX_URI, abs_src_path=str(bundle))


def on_config(config):
    """Fill the "API reference" section of the nav with one page per module that has public names."""
    api = ["api/index.md", *({m: f"api/{m}.md"} for m in pages.public_by_module())]
    for entry in config.nav or ():
        if isinstance(entry, dict) and "API reference" in entry:
            entry["API reference"] = api
    return config


def on_files(files, config):
    files.append(_mathjax_file(config))
    license_ = pathlib.Path(importlib.util.find_spec("mathjax").origin).parent / "static" / "mathjax" / "LICENSE"
    files.append(File.generated(config, "assets/mathjax/LICENSE.txt", abs_src_path=str(license_)))
    for experiment, pngs in figures().items():
        for png in pngs:
            files.append(File.generated(config, f"figures/{experiment}/{png.name}", abs_src_path=str(png)))
    try:
        api = pages.api_pages()
    except Exception as exc:  # noqa: BLE001 - report as a build error with the cause
        raise PluginError(f"API pages: {exc!r}") from exc
    for uri, content in api.items():
        files.append(File.generated(config, uri, content=content))
    for uri, title in catalog.PENDING_PAGES.items():
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=f"# {title}\n\n!!! note \"Not written yet\"\n"
                                        "    This page is in the navigation but not in the repository yet.\n"))
    return files


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    depth = uri.count("/")
    try:
        for guide in catalog.GUIDE:
            if guide.path == uri:
                return pages.expand_guide(markdown, guide, figures(), depth)
        if "<!-- jol:variants -->" in markdown:
            return markdown.replace("<!-- jol:variants -->", pages.variants_table())
        if "<!-- jol:bad-inputs -->" in markdown:
            return markdown.replace("<!-- jol:bad-inputs -->", pages.bad_inputs_table())
    except ValueError as exc:
        raise PluginError(f"{uri}: {exc}") from exc
    return markdown
