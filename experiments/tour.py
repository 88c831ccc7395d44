"""The main demo: every experiment of the lectures, summarised in one self-contained HTML page.

Runs each experiment module (quick or full configuration) into ``<out>/<name>/``, then writes
``<out>/index.html`` with every figure, its caption (what the lecture claims and what the numbers
show) and the experiment's summary table, and prints a short summary in the terminal.
"""

from __future__ import annotations

import html
import importlib
import json
import os
import pathlib
import re
import time

from experiments import _claims, _common

EXPERIMENTS = ("trajectories", "quadratic_dynamics", "schedules", "digits", "classic_rules", "gradient_check",
               "second_order", "robbins_monro", "adaptive_startup", "regularization", "momentum_memory", "warmup",
               "lbfgs_minibatch", "saddles", "newton_cost", "standardization")


REPO = pathlib.Path(__file__).resolve().parents[1]
SPEC_PAGE = re.compile(r"docs/spec/[a-z0-9-]+\.md")
CODE = re.compile(r"``?([^`]+)``?")


def inline_html(text: str, out: pathlib.Path) -> str:
    """Escaped text with ``code`` / `code` as <code> and docs/spec/<page>.md as a link (relative to ``out``)."""
    text = CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text, quote=False))
    return SPEC_PAGE.sub(lambda m: f'<a href="{os.path.relpath(REPO / m.group(0), out)}">{m.group(0)}</a>', text)


def docstring_html(doc: str, out: pathlib.Path) -> str:
    """A module docstring as HTML paragraphs (blank lines separate them; indented lines are code)."""
    blocks = []
    for block in re.split(r"\n\s*\n", (doc or "").strip()):
        if block.startswith("    "):
            blocks.append(f"<pre>{html.escape(block.strip())}</pre>")
        else:
            blocks.append(f"<p>{inline_html(' '.join(line.strip() for line in block.splitlines()), out)}</p>")
    return "".join(blocks)


def _table_html(lines: list[str]) -> str:
    """One `_common.table` block (header, dashes, rows) as an HTML table; columns start where the dashes do."""
    starts = [m.start() for m in re.finditer(r"-+", lines[1])]
    cells = lambda line: [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cells(lines[0]))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells(line)) + "</tr>" for line in lines[2:])
    return f'<table class="numbers"><tr>{head}</tr>{body}</table>'


def summary_html(text: str) -> str:
    r"""An experiment's summary text as HTML: each `_common.table` block a table, every other line a paragraph.

    Example:
        >>> summary_html("k  v\n-  -\na  1\nslope 3")
        '<table class="numbers"><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table><p>slope 3</p>'
    """
    lines, parts, i = text.splitlines(), [], 0
    while i < len(lines):
        if i + 1 < len(lines) and re.fullmatch(r"-+( +-+)*", lines[i + 1].strip() or "x"):
            end = i + 2
            while end < len(lines) and len(lines[end]) == len(lines[i + 1]):  # rows are padded to full width
                end += 1
            parts.append(_table_html(lines[i:end]))
            i = end
        else:
            if lines[i].strip():
                parts.append(f"<p>{html.escape(lines[i])}</p>")
            i += 1
    return "".join(parts)


def _section(name: str, module, summary: str, figures: list[pathlib.Path], out: pathlib.Path) -> str:
    intro = docstring_html(module.__doc__, out)
    figs = "\n".join(
        f'<figure><img src="{p.relative_to(out).as_posix()}" alt="{p.stem}">'
        f"<figcaption><b>{p.stem}</b>: {inline_html(module.CAPTIONS.get(p.stem, ''), out)}</figcaption></figure>"
        for p in figures)
    return f'<section id="{name}"><h2>{name}</h2><div class="doc">{intro}</div>{summary_html(summary)}{figs}</section>'


STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}img{max-width:100%}"
         "figure{margin:1.5em 0}figcaption{font-size:.95em;color:#333}pre{background:#f6f6f6;padding:.6em;"
         "overflow-x:auto;font-size:.85em}table.numbers{border-collapse:collapse;font-size:.85em;margin:.8em 0}"
         ".numbers td,.numbers th{border:1px solid #ddd;padding:.15em .5em;text-align:left}"
         ".numbers tr:nth-child(even){background:#f7f7f7}table.claims{border-collapse:collapse;font-size:.9em}"
         ".claims td,.claims th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}th.lecture{background:#eef}"
         ".reproduced{background:#dfd}.partly{background:#ffd}.not-reproduced{background:#fdd}")


def ledger_table(claims: list[dict]) -> str:
    """The claims ledger as an HTML table grouped by lecture, each row linking to its figure."""
    rows = []
    for lecture in sorted({c["lecture"] for c in claims}):
        rows.append(f'<tr><th colspan="4" class="lecture">{html.escape(lecture)}</th></tr>')
        for c in (c for c in claims if c["lecture"] == lecture):
            verdict = c["verdict"].replace(" ", "-")
            rows.append(f'<tr id="claim-{html.escape(c["id"])}"><td>{html.escape(c["quote"])}</td>'
                        f'<td><a href="{html.escape(c["experiment"])}">{html.escape(c["experiment"])}</a></td>'
                        f'<td class="{verdict}">{html.escape(c["verdict"])}</td><td>{html.escape(c["why"])}</td></tr>')
    counts = ", ".join(f"{sum(c['verdict'] == v for c in claims)} {v}" for v in _claims.VERDICTS)
    return (f'<section id="claims"><h2>Claims of the lectures ({len(claims)}: {counts})</h2>'
            '<table class="claims"><tr><th>lecture claim</th><th>figure</th><th>verdict</th><th>measured</th></tr>'
            f'{"".join(rows)}</table></section>')


def run_all(out: pathlib.Path, quick: bool, names=EXPERIMENTS, configs: dict | None = None) -> dict:
    """Run the experiments and write index.html; return per experiment its results, seconds and figures.

    ``configs`` overrides the QUICK/FULL configuration of named experiments (the tests use tiny ones).
    """
    sections, runs = [], {}
    for name in names:
        module = importlib.import_module(f"experiments.{name}")
        start = time.perf_counter()
        sub = out / name
        config = (configs or {}).get(name, module.QUICK if quick else module.FULL)
        results = module.run(config)
        _common.save_json(sub, name, results)
        figures = module.figures(results, sub)
        summary = module.summary(results)
        sections.append(_section(name, module, summary, figures, out))
        runs[name] = {"results": results, "seconds": time.perf_counter() - start, "figures": figures}
        print(f"\n== {name} ==\n{summary}")
    claims = _claims.ledger((n, importlib.import_module(f"experiments.{n}"), r["results"]) for n, r in runs.items())
    (out / "claims.json").write_text(json.dumps(_common.to_jsonable(claims), indent=1, ensure_ascii=False))
    toc = "".join(f'<li><a href="#{n}">{n}</a></li>' for n in runs)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>jaxopt_lectures tour</title>"
            f"<style>{STYLE}</style></head><body><h1>jaxopt_lectures: a tour of the lectures</h1>"
            f"<p>{'Quick' if quick else 'Full'} configuration. Interactive paths: the <a href='../explorer/index.html'>"
            f"optimizer explorer</a> (<code>python -m experiments.explorer</code>).</p>{ledger_table(claims)}<ul>{toc}</ul>"
            f"{''.join(sections)}</body></html>")
    (out / "index.html").write_text(page)
    return runs


def main(argv=None) -> None:
    args = _common.parser(__doc__, "outputs/tour").parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = run_all(out, args.quick)
    rows = [(n, f"{r['seconds']:.1f} s", len(r["figures"])) for n, r in runs.items()]
    print("\n" + _common.table(rows, ["experiment", "time", "figures"]))
    print(f"wrote {out / 'index.html'}")


if __name__ == "__main__":
    main()
