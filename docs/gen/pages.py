"""Markdown generated from the code, the test registry and the experiments (no mkdocs import here).

``method_section`` is one method of a guide page (defaults from the signature, the registry's
references and tolerances, its figures, the docstring rendered by mkdocstrings);
``api_pages`` is the API reference (every name of ``jaxopt_lectures.__all__``);
``variants_table`` is the "Choosing between lecture variants" table.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import pathlib
import re
from collections.abc import Iterable, Mapping

from docs.gen import catalog

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = "jaxopt_lectures"


def resolve(name: str) -> object | None:
    """The object behind a dotted public name ("adam", "losses.mse"), or None where it does not exist yet."""
    obj: object = importlib.import_module(PACKAGE)
    for part in name.split("."):
        if not hasattr(obj, part):
            return None
        obj = getattr(obj, part)
    return obj


def is_public(name: str) -> bool:
    jol = importlib.import_module(PACKAGE)
    return name.split(".")[0] in jol.__all__ and resolve(name) is not None


@functools.cache
def registry_rows() -> tuple:
    from tests.registry import ROWS

    return tuple(ROWS)


def rows_of(name: str) -> list:
    """The registry rows whose constructor is the public ``name`` (all variants of one alias)."""
    obj = resolve(name)
    return [row for row in registry_rows() if row.make is obj]


@functools.cache
def _test_sources() -> dict[str, str]:
    files = sorted((ROOT / "tests").glob("test_*.py")) + sorted((ROOT / "tests" / "registry").glob("*.py"))
    return {p.relative_to(ROOT).as_posix(): p.read_text() for p in files}


def tests_mentioning(name: str) -> list[str]:
    """Test files that call the public ``name`` (``jol.<name>`` / ``losses.<name>``), for names without rows."""
    leaf = name.split(".")[-1]
    pattern = re.compile(rf"(?:\bjol|\b{PACKAGE}|\blosses|\bproblems)\.{re.escape(leaf)}\b"
                         rf"|^from {PACKAGE} import [\w, ]*\b{re.escape(leaf)}\b", re.M)
    return [path for path, text in _test_sources().items() if pattern.search(text) and path != "tests/test_docs.py"]


def anchor(name: str) -> str:
    """The cross-reference id of a public name: ``[text][jaxopt_lectures.adam]`` links to its API section."""
    return f"{PACKAGE}.{name}"


def canonical(name: str) -> str:
    """The path mkdocstrings renders: where the object is defined (``jaxopt_lectures.adam`` is also a module)."""
    obj = resolve(name)
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{obj.__module__}.{obj.__qualname__}"


def api_page_of(name: str) -> str:
    """The API page (relative to docs/) that documents the public ``name``."""
    top = name.split(".")[0]
    obj = resolve(top)
    module = obj.__name__ if inspect.ismodule(obj) else obj.__module__
    return f"api/{module.removeprefix(PACKAGE + '.')}.md"


def signature_line(name: str) -> str:
    """``adam(learning_rate, *, b1=0.9, ...)``: the call with its defaults, without type annotations."""
    obj = resolve(name)
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    params = [p.replace(annotation=p.empty) for p in sig.parameters.values()]
    return f"{name.split('.')[-1]}{sig.replace(parameters=params, return_annotation=sig.empty)}"


def _fmt(value: object) -> str:
    if callable(value) and getattr(value, "__name__", "") == "<lambda>":
        return "a schedule"
    text = repr(value) if not callable(value) else getattr(value, "__name__", repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def defaults_table(name: str) -> str:
    obj = resolve(name)
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return ""
    lines = ["| argument | default |", "|---|---|"]
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = "*required*" if p.default is p.empty else f"`{_fmt(p.default)}`"
        lines.append(f"| `{p.name}` | {default} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def _kwargs_text(kwargs: Mapping) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in kwargs.items())


def verification(name: str) -> str:
    """'verified against <reference_name> at rtol <rtol>' for each registry row of ``name``."""
    rows = rows_of(name)
    if rows:
        checked = [r for r in rows if r.reference is not None]
        head = [f"Every update of 100 steps on a random pytree is compared with the reference "
                f"(`tests/test_reference.py`); {len(rows)} registry rows also run the generic contract "
                f"tests (`tests/test_contract.py`)."]
        lines = ["| registry row | hyperparameters | verified against | rtol |", "|---|---|---|---|"]
        for r in rows:
            ref = f"verified against `{r.reference_name}`" if r.reference is not None else "contract tests only"
            rtol = f"{r.rtol:g}" if r.reference is not None else "—"
            lines.append(f"| `{r.id}` | `{_kwargs_text(r.kwargs)}` | {ref} | {rtol} |")
        if not checked:
            head.append("No row has a reference implementation.")
        return "\n".join(head) + "\n\n" + "\n".join(lines)
    tests = tests_mentioning(name)
    if tests:
        named = [f"the rows of `{t}` (run by `tests/test_{t.split('/')[-1]}`)" if t.startswith("tests/registry/")
                 else f"`{t}`" for t in tests]
        return "Checked by " + ", ".join(named) + " (no optimizer registry row: not an optimizer)."
    return '!!! warning "No test found"\n    No registry row and no test file calls this name.'


def escape_brackets(text: str) -> str:
    """Lecture tags like "[000] [001]" would otherwise parse as a Markdown reference link."""
    return text.replace("[", "\\[").replace("]", "\\]")


def lectures(name: str) -> str:
    seen: list[str] = []
    for r in rows_of(name):
        if r.lecture and r.lecture not in seen:
            seen.append(r.lecture)
    return escape_brackets("; ".join(seen))


def figure_markdown(experiment: str, stem: str, figures: Mapping[str, Iterable[pathlib.Path]], depth: int) -> str:
    """An image of an experiment's figure, or a visible note where the experiment has not drawn it."""
    names = {p.stem: p for p in figures.get(experiment, ())}
    if stem not in names:
        if experiment in catalog.PENDING_EXPERIMENTS and experiment not in figures:
            return f'!!! note "Figure pending"\n    `experiments.{experiment}` is not in the repository yet.'
        raise ValueError(f"experiments.{experiment} --quick did not draw {stem}.png (it drew {sorted(names)})")
    up = "../" * depth
    caption = caption_of(experiment, stem)
    return f"![{stem.replace('_', ' ')}]({up}figures/{experiment}/{stem}.png)\n/// caption\n`experiments.{experiment}`: {caption}\n///"


def caption_of(experiment: str, stem: str) -> str:
    """The experiment's own caption (its ``CAPTIONS`` dict, also used by the tour page), else the file name."""
    captions = getattr(importlib.import_module(f"experiments.{experiment}"), "CAPTIONS", {})
    return escape_brackets(captions.get(stem, stem.replace("_", " ")))


def method_section(name: str, figures: Mapping[str, Iterable[pathlib.Path]], depth: int) -> str:
    """One method of a guide page; a visible 'pending' note where the name is not in the library yet."""
    title = f"## `{name}` {{ #{name.replace('.', '-')} }}"
    if not is_public(name):
        if name not in catalog.PENDING_NAMES:
            raise ValueError(f"docs: {name} is neither public nor listed in catalog.PENDING_NAMES")
        return f'{title}\n\n!!! note "Not yet in the library"\n    `jaxopt_lectures.{name}` is being added by its issue.\n'
    parts = [title, "", f"```python\n{signature_line(name)}\n```", ""]
    lecture = lectures(name)
    if lecture:
        parts += [f"**Lecture:** {lecture}", ""]
    parts += [f"**API reference:** [`{PACKAGE}.{name}`][{anchor(name)}]", ""]
    if name in optimizer_names():
        parts += [f"**Non-finite gradients** are not filtered: see the [policy]({'../' * depth}interop.md#non-finite-gradients) "
                  "(one-line fix: `optax.apply_if_finite(tx, max_consecutive_errors=3)`); bad hyperparameters: "
                  f"[table]({'../' * depth}bad-inputs.md).", ""]
    defaults = defaults_table(name)
    if defaults:
        parts += ["**Defaults**", "", defaults, ""]
    parts += ["**Reference check**", "", verification(name), ""]
    for experiment, stem in catalog.METHOD_FIGURES.get(name, ()):
        parts += [figure_markdown(experiment, stem, figures, depth), ""]
    parts += [f"::: {canonical(name)}", "    options:", "      show_root_heading: false",
              "      show_root_toc_entry: false", "      show_signature: false"]
    if inspect.ismodule(resolve(name)):  # its members are documented (with their anchors) in the API pages
        parts += ["      members: false"]
    parts.append("")
    return "\n".join(parts)


def optimizer_names() -> set[str]:
    """The public names that build an optimizer: the constructors of the registry rows and their twins."""
    jol = importlib.import_module(PACKAGE)
    with_rows = {n for n in jol.__all__ if rows_of(n)}
    return with_rows | {n for n in jol.__all__ if n.removeprefix("scale_by_") in with_rows}


def bad_inputs_table() -> str:
    """The generated bad-input table (tests/bad_inputs.py): what each factory does with each bad value."""
    from tests import bad_inputs

    return bad_inputs.table()


def gallery(page: catalog.GuidePage, figures: Mapping[str, Iterable[pathlib.Path]], depth: int) -> str:
    """Every figure the page's experiments draw (with --quick), in their order."""
    parts = []
    for experiment in page.experiments:
        if experiment not in figures:
            if experiment not in catalog.PENDING_EXPERIMENTS:
                raise ValueError(f"experiments.{experiment} produced no figures")
            parts.append(f'!!! note "Figures pending"\n    `experiments.{experiment}` is not in the repository yet.')
            continue
        for png in figures[experiment]:
            parts.append(figure_markdown(experiment, png.stem, figures, depth))
    return "\n\n".join(parts)


def expand_guide(markdown: str, page: catalog.GuidePage, figures: Mapping, depth: int = 1) -> str:
    """Replace the page's ``<!-- jol:methods -->`` and ``<!-- jol:figures -->`` markers."""
    for marker in ("<!-- jol:methods -->", "<!-- jol:figures -->"):
        if marker not in markdown:
            raise ValueError(f"docs/{page.path} lacks the marker {marker}")
    methods = "\n\n".join(method_section(name, figures, depth) for name in page.methods)
    return markdown.replace("<!-- jol:methods -->", methods).replace("<!-- jol:figures -->", gallery(page, figures, depth))


def call_root(call: str) -> str:
    """The public name a variants-table call starts with ("add_l2" for "optax.chain(jol.add_l2(lam), ...)")."""
    return call.removeprefix("optax.chain(").split("(")[0].split("  #")[0].strip().removeprefix("jol.")


def spec_links(pages: str) -> str:
    """Links to the specification pages named in a variants row ("delta-delta, decisions#decision-4")."""
    links = []
    for page in pages.split(", "):
        name, _, anchor = page.partition("#")
        links.append(f"[{name}{' ' + anchor.split('-')[-1] if anchor else ''}](spec/{name}.md{'#' + anchor if anchor else ''})")
    return ", ".join(links)


def variants_table() -> str:
    lines = ["| topic | source | what it writes | select it with | specification |", "|---|---|---|---|---|"]
    for v in catalog.VARIANTS:
        pending = "" if is_public(call_root(v.call)) else " *(pending)*"
        call = v.call.replace("|", "\\|")
        lines.append(f"| {v.topic} | {v.source} | {v.says} | `{call}`{pending} | {spec_links(v.spec)} |")
    return "\n".join(lines)


def public_by_module() -> dict[str, list[str]]:
    """Public names grouped by the module that defines them (modules in ``__all__`` get their own page)."""
    jol = importlib.import_module(PACKAGE)
    groups: dict[str, list[str]] = {}
    for name in jol.__all__:
        obj = getattr(jol, name)
        module = obj.__name__ if inspect.ismodule(obj) else obj.__module__
        groups.setdefault(module.removeprefix(PACKAGE + "."), []).append(name)
    return dict(sorted(groups.items()))


def api_pages() -> dict[str, str]:
    """``api/<module>.md`` for every module with public names, plus ``api/index.md``."""
    pages = {}
    index = ["# API reference", "", "Generated from the docstrings of every name in `jaxopt_lectures.__all__`.",
             "Import style: `import jaxopt_lectures as jol`.", "", "| module | public names |", "|---|---|"]
    for module, names in public_by_module().items():
        submodule = resolve(names[0]) if len(names) == 1 and inspect.ismodule(resolve(names[0])) else None
        if submodule is not None:  # a public submodule (problems, losses): the module and its members
            body = [f"::: {submodule.__name__}", "    options:", "      show_root_heading: true",
                    "      heading_level: 1", "      members_order: source", ""]
        else:
            body = [f"# `{PACKAGE}.{module}`", ""]
            doc = inspect.getdoc(importlib.import_module(f"{PACKAGE}.{module}")) or ""
            body += [doc.split("\n\n")[0], ""]
            for name in names:  # the Markdown anchor gives every public name the id jaxopt_lectures.<name>
                body += [f"[](){{#{anchor(name)}}}", f"::: {canonical(name)}", "    options:", "      show_root_heading: true",
                         "      show_root_full_path: false", "      heading_level: 2", ""]
        pages[f"api/{module}.md"] = "\n".join(body)
        links = ", ".join(f"[`{n}`][{anchor(n)}]" for n in names)
        index.append(f"| [`{module}`]({module}.md) | {links} |")
    pages["api/index.md"] = "\n".join(index) + "\n"
    return pages


def experiment_exists(name: str) -> bool:
    return importlib.util.find_spec(f"experiments.{name}") is not None
