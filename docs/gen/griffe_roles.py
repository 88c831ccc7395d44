"""Griffe extension: read the project's docstrings the way the docs need them.

The docstrings' Sphinx roles (:func:`adam`) become mkdocstrings cross-references, and the
"Example:" header (singular, used throughout the package) is read as Google style's "Examples:"
section, so that doctests render as code blocks (their outputs otherwise parse as Markdown links).

A role whose target is a public name of ``jaxopt_lectures`` becomes ``[adam][jaxopt_lectures.adam]``
(a link into the API reference); any other target becomes inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

EXAMPLE_HEADER = re.compile(r"^(\s*)Example:\s*$", re.M)  # Google style's section is "Examples:"
# "b1, b2, eps: as in adam." in an Args section: Google style wants one line per parameter
SHARED_ARGS = re.compile(r"^(\s+)(\w+(?:, \w+)+): (.*)$", re.M)
# "$$...$$" in the middle of a paragraph: arithmatex typesets display maths only as its own block
INLINE_DISPLAY = re.compile(r"[ \t]*\$\$(.+?)\$\$[ \t]*\n?", re.S)
SECTION = re.compile(r"^\w[\w ]*:\s*$", re.M)
ROLE = re.compile(r":(?:func|class|mod|data|attr|meth|obj):`~?([\w.]+)`")
PACKAGE = "jaxopt_lectures"


def _public_names() -> set[str]:
    import jaxopt_lectures

    return set(jaxopt_lectures.__all__)


class ProjectDocstrings(griffe.Extension):
    def __init__(self) -> None:
        self.public = _public_names()

    def _link(self, match: re.Match) -> str:
        target = match.group(1).removeprefix(PACKAGE + ".")
        if target.split(".")[0] in self.public:
            return f"[`{target}`][{PACKAGE}.{target}]"
        return f"`{match.group(1)}`"

    @staticmethod
    def _split_args(match: re.Match) -> str:
        indent, names, text = match.groups()
        return "\n".join(f"{indent}{name}: {text}" for name in names.split(", "))

    @staticmethod
    def _display_blocks(text: str) -> str:
        """Put each $$...$$ of the description (before the first section) on its own block."""
        section = SECTION.search(text)
        head, tail = (text[: section.start()], text[section.start():]) if section else (text, "")
        head = INLINE_DISPLAY.sub(lambda m: "\n\n$$\n" + " ".join(m.group(1).split()) + "\n$$\n\n", head)
        return re.sub(r"\n{3,}", "\n\n", head) + tail

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = self._display_blocks(EXAMPLE_HEADER.sub(r"\1Examples:", obj.docstring.value))
            if isinstance(obj, griffe.Function):
                text = SHARED_ARGS.sub(self._split_args, text)
            obj.docstring.value = ROLE.sub(self._link, text)
