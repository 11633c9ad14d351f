"""Where a command's start-up goes: `python -X importtime`, less what a bare interpreter
imports anyway."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.measure import MeasureError
from bench.world import PYTHON, STSENV

# Imports whose presence on a fast path is a finding in itself.
HEAVY = ("botocore", "boto3", "typer", "click", "rich", "pydantic", "shellingham", "platformdirs")


@dataclass(frozen=True)
class ImportProfile:
    total_ms: float  # cumulative time of top-level imports a bare interpreter does not make
    modules: int  # modules imported beyond a bare interpreter's
    top: list[tuple[str, float]]  # top-level imports by cumulative ms, largest first
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
    if prepare:
        subprocess.run(prepare, env=env, check=True)
    report = _importtime([str(STSENV), *args], env)
    (results / f"importtime-{label}.txt").write_text(report, encoding="utf-8")
    rows = [row for row in _parse(report) if row[1] not in bare]
    top = sorted(
        ((name, us / 1e3) for level, name, us in rows if level == 0), key=lambda item: -item[1]
    )
    names = {name for _, name, _ in rows}
    heavy = [h for h in HEAVY if h in names]
    return ImportProfile(sum(ms for _, ms in top), len(rows), top[:6], heavy)
