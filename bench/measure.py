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


@dataclass(frozen=True)
class Command:
    label: str
    argv: list[str]
    env: dict[str, str]
    prepare: list[str] | None = None  # run before each timed run (hyperfine --prepare)


class Hyperfine:
    """Runs hyperfine without an intermediate shell (-N) and keeps its JSON."""

    SLICE = 10  # runs per slice; each command's slices are interleaved with the others'

    def __init__(self, results: Path, warmup: int) -> None:
        self.results = results
        self.warmup = warmup

    def group(self, commands: list[Command], runs: int) -> dict[str, Stats | MeasureError]:
        """Time each command `runs` times, its slices interleaved with the other commands'
        (A B C A B C ...): a burst of load elsewhere on the machine then spreads over all
        of them instead of skewing one ratio."""
        outcome: dict[str, Stats | MeasureError] = {}
        samples: dict[str, list[float]] = {}
        for command in commands:
            try:
                check(command)  # hyperfine hides why a command failed
                samples[command.label] = []
            except MeasureError as e:
                outcome[command.label] = e
        slices = max(3, runs // self.SLICE)
        per_slice = max(2, -(-runs // slices))
        for chunk in range(slices):
            for command in commands:
                if command.label in outcome:
                    continue
                warmup = self.warmup if chunk == 0 else 1
                try:
                    samples[command.label] += self._run(command, per_slice, warmup, chunk)
                except MeasureError as e:
                    outcome[command.label] = e
        for label, times in samples.items():
            outcome.setdefault(label, Stats.of(times))
        return outcome

    def _run(self, command: Command, runs: int, warmup: int, chunk: int) -> list[float]:
        exported = self.results / f"hyperfine-{slug(command.label)}-{chunk + 1}.json"
        argv = ["hyperfine", "-N", "--style", "basic", "--export-json", str(exported)]
        argv += ["--runs", str(runs), "--warmup", str(warmup), "--command-name", command.label]
        if command.prepare:
            argv += ["--prepare", shlex.join(command.prepare)]
        argv.append(shlex.join(command.argv))
        with open(self.results / "hyperfine.log", "a", encoding="utf-8") as log:
            done = subprocess.run(argv, env=command.env, stdout=log, stderr=log, check=False)
        if done.returncode != 0:
            raise MeasureError(
                f"{command.label}: hyperfine failed, see {self.results / 'hyperfine.log'}"
            )
        data = json.loads(exported.read_text(encoding="utf-8"))
        return [float(t) for t in data["results"][0]["times"]]


def check(command: Command) -> None:
    """Run once and insist on exit status 0, showing stderr when not."""
    if command.prepare:
        subprocess.run(command.prepare, env=command.env, check=True)
    try:
        done = subprocess.run(
            command.argv,
            env=command.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise MeasureError(f"{command.label}: {e}") from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-600:]
        raise MeasureError(
            f"{command.label}: `{shlex.join(command.argv)}` exited {done.returncode}: {tail}"
        )


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
