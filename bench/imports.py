"""Where a command's start-up goes: `python -X importtime`, less what a bare interpreter
imports anyway."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.measure import MeasureError
from bench.world import PYTHON, STSENV

RUNS = 3  # importtime runs per command; the one with the least import time is kept

# Imports whose presence on a fast path is a finding in itself.
HEAVY = ("botocore", "boto3", "typer", "click", "rich", "pydantic", "shellingham", "platformdirs")


@dataclass(frozen=True)
class ImportProfile:
    total_ms: float  # cumulative time of top-level imports a bare interpreter does not make
    modules: int  # modules imported beyond a bare interpreter's
    top: list[tuple[str, float]]  # top-level imports by cumulative ms, largest first
    foreign: list[tuple[str, float]]  # the first non-stsenv module of each import chain
    heavy: list[str]  # members of HEAVY that were imported


def _parse(stderr: str) -> list[tuple[int, str, float]]:
    """(nesting level, module, cumulative µs) per line of -X importtime's report."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.split("|", 2)
        stripped = name.lstrip(" ")
        level = (len(name) - len(stripped) - 1) // 2
        rows.append((level, stripped.strip(), float(cumulative)))
    return rows


def _importtime(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(PYTHON), "-X", "importtime", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise MeasureError(f"importtime {argv}: exit {done.returncode}: {done.stderr[-400:]}")
    return done.stderr


def profile(
    label: str, args: list[str], env: dict[str, str], results: Path, prepare: list[str] | None
) -> ImportProfile:
    """Import profile of the console script `stsenv ARGS` (as a user runs it)."""
    bare = {name for _, name, _ in _parse(_importtime(["-c", "pass"], env))}
    reports = []
    for _ in range(RUNS):
        if prepare:
            subprocess.run(prepare, env=env, check=True)
        reports.append(_importtime([str(STSENV), *args], env))
    # The quietest of a few runs: one run's figures move with whatever else the machine does.
    report = min(reports, key=lambda text: sum(us for level, _, us in _parse(text) if level == 0))
    (results / f"importtime-{label}.txt").write_text(report, encoding="utf-8")
    parsed = _parse(report)
    rows = [row for row in parsed if row[1] not in bare]
    top = sorted(
        ((name, us / 1e3) for level, name, us in rows if level == 0), key=lambda item: -item[1]
    )
    names = {name for _, name, _ in rows}
    heavy = [h for h in HEAVY if h in names]
    foreign = sorted(
        ((name, us / 1e3) for name, us in _entry_points(parsed) if name not in bare),
        key=lambda item: -item[1],
    )
    return ImportProfile(sum(ms for _, ms in top), len(rows), top[:6], foreign[:6], heavy)


def _entry_points(rows: list[tuple[int, str, float]]) -> list[tuple[str, float]]:
    """Modules that stsenv itself imports from outside (or that start a chain at the top):
    where to cut. importtime lists children before their parent, so walk it backwards."""
    found = []
    stack: list[str] = []
    for level, name, us in reversed(rows):
        del stack[level:]
        parent = stack[-1] if stack else None
        stack.append(name)
        ours = name == "stsenv" or name.startswith("stsenv.")
        if not ours and (parent is None or parent == "stsenv" or parent.startswith("stsenv.")):
            found.append((name, us))
    return found
