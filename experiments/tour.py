"""The main demo: every experiment of the lectures, summarised in one self-contained HTML page.

Runs each experiment module (quick or full configuration) into ``<out>/<name>/``, then writes
``<out>/index.html`` with every figure, its caption (what the lecture claims and what the numbers
show) and the experiment's summary table, and prints a short summary in the terminal.
"""

from __future__ import annotations

import html
import importlib
import pathlib
import time

from experiments import _common

EXPERIMENTS = ("trajectories", "quadratic_dynamics", "schedules", "digits", "classic_rules", "gradient_check",
               "second_order")


def _section(name: str, module, summary: str, figures: list[pathlib.Path], out: pathlib.Path) -> str:
    intro = html.escape((module.__doc__ or "").strip())
    figs = "\n".join(
        f'<figure><img src="{p.relative_to(out).as_posix()}" alt="{p.stem}">'
        f"<figcaption><b>{p.stem}</b>: {html.escape(module.CAPTIONS.get(p.stem, ''))}</figcaption></figure>"
        for p in figures)
    return f'<section id="{name}"><h2>{name}</h2><p class="doc">{intro}</p><pre>{html.escape(summary)}</pre>{figs}</section>'


STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}img{max-width:100%}"
         "figure{margin:1.5em 0}figcaption{font-size:.95em;color:#333}pre{background:#f6f6f6;padding:.6em;"
         "overflow-x:auto;font-size:.85em}.doc{white-space:pre-wrap}")


def run_all(out: pathlib.Path, quick: bool, names=EXPERIMENTS) -> list[tuple[str, float, int]]:
    """Run the experiments, write index.html; return (name, seconds, number of figures) per experiment."""
    sections, rows = [], []
    for name in names:
        module = importlib.import_module(f"experiments.{name}")
        start = time.perf_counter()
        sub = out / name
        results = module.run(module.QUICK if quick else module.FULL)
        _common.save_json(sub, name, results)
        figures = module.figures(results, sub)
        summary = module.summary(results)
        sections.append(_section(name, module, summary, figures, out))
        rows.append((name, time.perf_counter() - start, len(figures)))
        print(f"\n== {name} ==\n{summary}")
    toc = "".join(f'<li><a href="#{n}">{n}</a></li>' for n, _, _ in rows)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>jaxopt_lectures tour</title>"
            f"<style>{STYLE}</style></head><body><h1>jaxopt_lectures: a tour of the lectures</h1>"
            f"<p>{'Quick' if quick else 'Full'} configuration.</p><ul>{toc}</ul>{''.join(sections)}</body></html>")
    (out / "index.html").write_text(page)
    return rows


def main(argv=None) -> None:
    args = _common.parser(__doc__, "outputs/tour").parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = run_all(out, args.quick)
    print("\n" + _common.table([(n, f"{s:.1f} s", k) for n, s, k in rows], ["experiment", "time", "figures"]))
    print(f"wrote {out / 'index.html'}")


if __name__ == "__main__":
    main()
