"""Whole processes, timed by hyperfine and weighed by the kernel (max RSS)."""

from __future__ import annotations

import json
import os
import re
import shlex
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path


class MeasureError(Exception):
    """A command could not be measured (it failed, or its tool did)."""


@dataclass(frozen=True)
class Stats:
    """Median and interquartile range of repeated samples, in seconds."""

    median: float
    q1: float
    q3: float
    runs: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        if not samples:
            raise MeasureError("no samples")
        if len(samples) == 1:
            return cls(samples[0], samples[0], samples[0], 1)
        q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(median, q1, q3, len(samples))

    def ms(self) -> str:
        return f"{self.median * 1e3:.1f} ms ({self.q1 * 1e3:.1f}-{self.q3 * 1e3:.1f})"

    def us(self) -> str:
        return f"{self.median * 1e6:.1f} µs ({self.q1 * 1e6:.1f}-{self.q3 * 1e6:.1f})"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Hyperfine:
    """Runs hyperfine without an intermediate shell (-N) and keeps its JSON."""

    def __init__(self, results: Path, runs: int, warmup: int) -> None:
        self.results = results
        self.runs = runs
        self.warmup = warmup

    def time(
        self,
        label: str,
        argv: list[str],
        env: dict[str, str],
        *,
        runs: int | None = None,
        prepare: list[str] | None = None,
    ) -> Stats:
        check(label, argv, env, prepare)  # hyperfine hides why a command failed
        runs = runs or self.runs
        exported = self.results / f"hyperfine-{slug(label)}.json"
        command = ["hyperfine", "-N", "--style", "basic", "--export-json", str(exported)]
        command += ["--runs", str(runs), "--warmup", str(self.warmup), "--command-name", label]
        if prepare:
            command += ["--prepare", shlex.join(prepare)]
        command.append(shlex.join(argv))
        with open(self.results / "hyperfine.log", "a", encoding="utf-8") as log:
            done = subprocess.run(command, env=env, stdout=log, stderr=log, check=False)
        if done.returncode != 0:
            raise MeasureError(f"{label}: hyperfine failed, see {self.results / 'hyperfine.log'}")
        data = json.loads(exported.read_text(encoding="utf-8"))
        return Stats.of([float(t) for t in data["results"][0]["times"]])


def check(label: str, argv: list[str], env: dict[str, str], prepare: list[str] | None) -> None:
    """Run once and insist on exit status 0, showing stderr when not."""
    if prepare:
        subprocess.run(prepare, env=env, check=True)
    done = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-600:]
        raise MeasureError(f"{label}: `{shlex.join(argv)}` exited {done.returncode}: {tail}")


def peak_rss_kib(
    label: str, argv: list[str], env: dict[str, str], *, runs: int, prepare: list[str] | None
) -> Stats:
    """Max resident set size of the process (KiB, as ru_maxrss counts it), over `runs` runs."""
    samples: list[float] = []
    for _ in range(runs):
        if prepare:
            subprocess.run(prepare, env=env, check=True)
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if process.returncode != 0:
            raise MeasureError(f"{label}: exited {process.returncode} while measuring memory")
        samples.append(float(usage.ru_maxrss))
    return Stats.of(samples)
