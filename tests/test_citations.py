"""Everything the repository cites is in the repository.

The package, the tests, the experiments, the benchmarks, the README and the docs cite the specification
(``docs/spec/<page>.md``, with an optional ``#anchor``), other repository files and Markdown links. Each must
resolve: the file exists and, if an anchor is given, the page defines it (a heading's slug, ``{#id}`` or
``id="..."``). Nothing may cite a file that is not in a clone (the specification's old single-file name,
a ``shared/`` folder, the performance notes) or a tracker's issue number.
"""

from __future__ import annotations

import functools
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCANNED = ("jaxopt_lectures", "tests", "experiments", "benchmarks", "docs", "README.md", "mkdocs.yml", "pyproject.toml")
SUFFIXES = {".py", ".md", ".yml", ".toml", ".txt"}
THIS = pathlib.Path(__file__).resolve()

# a repository path cited in prose or code: docs/spec/adam.md, docs/spec/pitfalls.md#pitfall-1, benchmarks/README.md
REPO_PATH = re.compile(r"(?<![\w/.-])((?:docs|benchmarks|experiments|tests|jaxopt_lectures)/[\w/.-]*\w\.(?:md|py))"
                       r"(#[\w-]+)?")
# a relative Markdown link in a .md file: [text](spec/adam.md#anchor)
MD_LINK = re.compile(r"\]\(([^)\s:]+?\.md)(#[\w-]+)?\)")
# what no file may say (see the module docstring)
FORBIDDEN = re.compile(r"SPEC\.md|\bAPI\.md|PERF_NOTES|\bshared/|\b[Ii]ssues? #?\d+|\bPR #?\d+ of this")


def scanned_files() -> list[pathlib.Path]:
    files = []
    for entry in SCANNED:
        path = ROOT / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [p for p in candidates if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
                  and p.resolve() != THIS]
    return files


def slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension gives a heading (its default slugify)."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


@functools.cache
def anchors(page: pathlib.Path) -> frozenset[str]:
    text = page.read_text(encoding="utf-8")
    ids = set(re.findall(r"""\bid=["']([\w-]+)["']""", text)) | set(re.findall(r"\{#([\w-]+)\}", text))
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, flags=re.M):
        if "{#" not in heading:
            ids.add(slug(heading))
    return frozenset(ids)


GENERATED = (ROOT / "docs" / "api", ROOT / "docs" / "figures")  # written into the site by docs/gen/hooks.py


def unresolved(target: pathlib.Path, anchor: str | None) -> str | None:
    if any(target.is_relative_to(folder) for folder in GENERATED):
        return None
    if not target.is_file():
        return "no such file"
    if anchor and anchor.lstrip("#") not in anchors(target):
        return f"no anchor {anchor} in {target.relative_to(ROOT)}"
    return None


def problems_in(path: pathlib.Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for m in FORBIDDEN.finditer(line):
            found.append(f"{name}:{number}: cites {m.group(0)!r}, which is not in the repository")
        for m in REPO_PATH.finditer(line):
            why = unresolved(ROOT / m.group(1), m.group(2))
            if why:
                found.append(f"{name}:{number}: {m.group(0)}: {why}")
        if path.suffix == ".md":
            for m in MD_LINK.finditer(line):
                if m.group(1).startswith(("http", "/")):
                    continue
                why = unresolved((path.parent / m.group(1)).resolve(), m.group(2))
                if why:
                    found.append(f"{name}:{number}: link {m.group(1)}{m.group(2) or ''}: {why}")
    return found


def test_every_citation_resolves():
    found = [p for f in scanned_files() for p in problems_in(f)]
    assert not found, "\n".join(found)


def test_the_specification_has_one_page_per_section():
    index = (ROOT / "docs" / "spec" / "index.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(([\w-]+\.md)\)", index)
    assert len(linked) >= 28
    missing = [page for page in linked if not (ROOT / "docs" / "spec" / page).is_file()]
    assert not missing


@pytest.mark.parametrize("line, bad", [
    ("see SPEC.md §3", True), ("docs/spec/momentum.md", False), ("docs/spec/nope.md", True),
    ("docs/spec/pitfalls.md#pitfall-1", False), ("docs/spec/pitfalls.md#pitfall-99", True),
    ("(issue 12)", True), ("shared/API.md", True), ("[001] §7.4", False),
])
def test_the_checker_finds_what_it_should(tmp_path, line, bad):
    """The scan itself can fail: a known-bad citation is reported, a good one is not."""
    probe = ROOT / "tests" / f"_probe_citation_{abs(hash(line))}.py"
    probe.write_text(f"# {line}\n", encoding="utf-8")
    try:
        assert bool(problems_in(probe)) is bad
    finally:
        probe.unlink()
