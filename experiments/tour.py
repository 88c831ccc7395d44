"""The main demo: every experiment of the lectures, summarised in one self-contained HTML page.

Runs each experiment module (quick or full configuration) into ``<out>/<name>/``, then writes
``<out>/index.html`` with every figure, its caption (what the lecture claims and what the numbers
show) and the experiment's summary table, and prints a short summary in the terminal.
"""

from __future__ import annotations

import html
import importlib
import json
import pathlib
import time

from experiments import _claims, _common

EXPERIMENTS = ("trajectories", "quadratic_dynamics", "schedules", "digits", "classic_rules", "gradient_check",
               "second_order", "robbins_monro", "adaptive_startup", "regularization", "momentum_memory", "warmup",
               "lbfgs_minibatch", "saddles", "newton_cost", "standardization")


def _section(name: str, module, summary: str, figures: list[pathlib.Path], out: pathlib.Path) -> str:
    intro = html.escape((module.__doc__ or "").strip())
    figs = "\n".join(
        f'<figure><img src="{p.relative_to(out).as_posix()}" alt="{p.stem}">'
        f"<figcaption><b>{p.stem}</b>: {html.escape(module.CAPTIONS.get(p.stem, ''))}</figcaption></figure>"
        for p in figures)
    return f'<section id="{name}"><h2>{name}</h2><p class="doc">{intro}</p><pre>{html.escape(summary)}</pre>{figs}</section>'


STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}img{max-width:100%}"
         "figure{margin:1.5em 0}figcaption{font-size:.95em;color:#333}pre{background:#f6f6f6;padding:.6em;"
         "overflow-x:auto;font-size:.85em}.doc{white-space:pre-wrap}table.claims{border-collapse:collapse;font-size:.9em}"
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
