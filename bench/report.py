"""Tables as Markdown: the same text is printed and written to bench/RESULTS.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def markdown(self) -> str:
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        out = [f"### {self.title}", "", line(self.headers)]
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        out += [line(row) for row in self.rows]
        if self.notes:
            out.append("")
            out += self.notes
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Budget:
    what: str
    budget: str
    measured: str
    met: bool | None  # None: could not be measured

    def cells(self) -> list[str]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[self.met]
        return [self.what, self.budget, self.measured, verdict]


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "n/a"


def document(header: list[str], tables: list[Table], errors: list[str]) -> str:
    parts = ["\n".join(header) + "\n"]
    parts += [t.markdown() for t in tables]
    if errors:
        parts.append("### Not measured\n\n" + "\n".join(f"- {e}" for e in errors) + "\n")
    return "\n".join(parts)


def run_alone(
    argv: list[str] | None,
    module: str,
    title: str,
    measure: Callable[[Path, bool], tuple[Table, list[Budget]]],
) -> int:
    """`python -m bench.MODULE [--quick]`: one part of the benchmark on its own, its budgets
    and its table printed as bench/run prints them. `measure(results_dir, quick)`."""
    import argparse
    import os
    import sys
    import time

    parser = argparse.ArgumentParser(prog=f"python -m bench.{module}")
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke test")
    args = parser.parse_args(argv)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(parents=True, exist_ok=True)
    started = time.time()
    try:
        table, budgets = measure(results, args.quick)
    except Exception as e:  # a measurement that failed: say which, as bench/run does
        print(f"bench.{module}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    verdicts = Table(f"Budgets ({title})", ["what", "budget", "measured", "verdict"])
    verdicts.rows = [b.cells() for b in budgets]
    header = [
        f"command: `.venv/bin/python -m bench.{module}{' --quick' if args.quick else ''}` "
        f"({time.time() - started:.0f} s, load {os.getloadavg()[0]:.2f})"
    ]
    print(document(header, [verdicts, table], []))
    return 0
