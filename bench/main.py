"""stsenv beside its peers, measured in one run: start-up, prompt hook, use/clear/status,
memory, imports; then each budget of DESIGN.md section 3, met or not."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TypeVar

from bench import imports, prompt
from bench.measure import Hyperfine, MeasureError, Stats, peak_rss_kib
from bench.report import Budget, Table, document, ratio
from bench.world import (
    HOOK_LINES,
    PEERS,
    PYTHON,
    ROLE_PROFILE,
    ROOT,
    SHELL_DIR,
    STSENV,
    VARIANT_NAMES,
    LocalSts,
    base_env,
    rc_text,
    role_arn,
    shell_home,
    with_setup,
)

SHELLS = ("bash", "zsh", "fish")
COMMAND = "bench/run"
T = TypeVar("T")
SESSION_NAME = "xx"  # the brief's "x" is refused by STS itself: 2 characters at least


@dataclass(frozen=True)
class Plan:
    runs: int  # hyperfine runs of a fast command
    slow_runs: int  # ... of a command that makes a network call or starts a shell
    warmup: int
    loop: int  # prompt-hook calls per timed loop
    loop_direnv: int  # direnv's hook forks: fewer calls
    rounds: int  # timed loops per function, interleaved
    prompts: int  # Enter presses under strace
    memory_runs: int


FULL = Plan(
    runs=40,
    slow_runs=15,
    warmup=3,
    loop=10000,
    loop_direnv=100,
    rounds=5,
    prompts=20,
    memory_runs=5,
)
QUICK = Plan(
    runs=5, slow_runs=3, warmup=1, loop=1000, loop_direnv=10, rounds=2, prompts=3, memory_runs=1
)


class Bench:
    def __init__(self, plan: Plan, results: Path, work: Path, env: dict[str, str]) -> None:
        self.plan = plan
        self.results = results
        self.work = work
        self.env = env
        self.hyperfine = Hyperfine(results, plan.runs, plan.warmup)
        self.errors: list[str] = []
        self.budgets: list[Budget] = []
        self.tables: list[Table] = []
        self.cache = env["STSENV_CACHE_DIR"]
        self.use_env = {**env, "STSENV_SHELL": "bash"}  # what the hook's wrapper sets

    def attempt(self, label: str, action: Callable[[], T]) -> T | None:
        """Measure, or record why not and go on: one broken row must not hide the rest."""
        print(f"bench: {label}", flush=True)
        try:
            return action()
        except (MeasureError, OSError, subprocess.SubprocessError, KeyError, ValueError) as e:
            self.errors.append(f"{label}: {e}")
            print(f"bench: {label}: NOT MEASURED: {e}", flush=True)
            return None

    def time(
        self,
        label: str,
        argv: list[str],
        env: dict[str, str],
        *,
        slow: bool = False,
        prepare: list[str] | None = None,
    ) -> Stats | None:
        runs = self.plan.slow_runs if slow else self.plan.runs
        return self.attempt(
            label, lambda: self.hyperfine.time(label, argv, env, runs=runs, prepare=prepare)
        )

    # --- sections ----------------------------------------------------------------------------

    def startup(self) -> Stats | None:
        table = Table(
            "Start-up: every new shell pays this",
            ["command", "median (IQR)", "vs", "baseline (IQR)", "ratio", "+ms"],
        )
        python = self.time("python -c pass", [str(PYTHON), "-c", "pass"], self.env)
        if python:
            table.add("`python -c pass` (stsenv's venv)", python.ms(), "", "", "", "")
        for shell in SHELLS:
            hook = self.time(f"stsenv hook {shell}", [str(STSENV), "hook", shell], self.env)
            if hook and python:
                table.add(
                    f"`stsenv hook {shell}`",
                    hook.ms(),
                    "`python -c pass`",
                    python.ms(),
                    ratio(hook.median, python.median),
                    f"{(hook.median - python.median) * 1e3:+.1f}",
                )
                self.budgets.append(
                    Budget(
                        f"`stsenv hook {shell}`",
                        "<= 3x `python -c pass`",
                        f"{hook.median * 1e3:.1f} ms = {ratio(hook.median, python.median)}",
                        hook.median <= 3 * python.median,
                    )
                )
            elif python:
                self.budgets.append(
                    Budget(f"`stsenv hook {shell}`", "<= 3x `python -c pass`", "n/a", None)
                )
        for shell in SHELLS:
            figures: dict[str, Stats] = {}
            for variant, line in HOOK_LINES[shell].items():
                text = rc_text(shell, line.format(file=SHELL_DIR / f"stsenv.{shell}"), prompt=False)
                setup = shell_home(self.work, shell, f"start-{variant}", text)
                argv = [shell, "-i", "-c", "exit"]
                if shell == "bash":
                    argv = ["bash", "--noprofile", "--rcfile", setup["rcfile"], "-i", "-c", "exit"]
                label = f"{shell} -i, {VARIANT_NAMES[variant]}"
                stats = self.time(label, argv, with_setup(self.env, setup), slow=True)
                if stats is None:
                    continue
                figures[variant] = stats
                none = figures.get("none")
                if variant == "none" or none is None:
                    table.add(
                        f"`{shell} -i -c exit`, {VARIANT_NAMES[variant]}",
                        stats.ms(),
                        "",
                        "",
                        "",
                        "",
                    )
                else:
                    table.add(
                        f"`{shell} -i -c exit`, {VARIANT_NAMES[variant]}",
                        stats.ms(),
                        "no hook",
                        none.ms(),
                        ratio(stats.median, none.median),
                        f"{(stats.median - none.median) * 1e3:+.1f}",
                    )
        table.notes.append(
            'Hook line: the README\'s `eval "$(stsenv hook bash)"` (zsh alike; fish: '
            "`stsenv hook fish | source`). Source shell file: `source shell/stsenv.<shell>` "
            "as a plugin manager does, which starts no Python at all."
        )
        self.tables.append(table)
        return python

    def prompt_hook(self) -> None:
        table = Table(
            "Prompt hook: what every prompt pays",
            [
                "shell",
                "hook",
                "per call, net (IQR)",
                "x floor",
                "per call, raw",
                "processes/prompt",
                "execve/prompt",
            ],
        )
        for shell in SHELLS:
            calls = self.attempt(
                f"{shell} prompt hook, time per call",
                partial(
                    prompt.time_per_call,
                    shell,
                    self.env,
                    self.work,
                    n=self.plan.loop,
                    n_direnv=self.plan.loop_direnv,
                    rounds=self.plan.rounds,
                ),
            )
            spawned: dict[str, prompt.Spawned] = {}
            for scenario in ("bare", "stsenv-none", "stsenv-active", "direnv"):
                counted = self.attempt(
                    f"{shell} prompt hook, processes per prompt ({scenario})",
                    partial(
                        prompt.count_spawned,
                        shell,
                        scenario,
                        self.env,
                        self.work,
                        self.results,
                        prompts=self.plan.prompts,
                    ),
                )
                if counted is not None:
                    spawned[scenario] = counted
            names = {
                "floor": "bare arithmetic (floor)",
                "stsenv-none": "stsenv, no role",
                "stsenv-active": "stsenv, role active",
                "direnv": "direnv",
            }
            floor = calls.get("floor") if calls else None
            bare = spawned.get("bare")
            table.add(
                shell,
                "none (bare shell)",
                "",
                "",
                "",
                f"{bare.processes:g}" if bare else "n/a",
                f"{bare.execs:g}" if bare else "n/a",
            )
            for key, name in names.items():
                call = calls.get(key) if calls else None
                count = spawned.get(key) if key != "floor" else None
                table.add(
                    shell,
                    name,
                    call.net.us() if call else "n/a",
                    ratio(call.net.median, floor.net.median) if call and floor else "n/a",
                    f"{call.raw.median * 1e6:.1f} µs" if call else "n/a",
                    "" if key == "floor" else (f"{count.processes:g}" if count else "n/a"),
                    "" if key == "floor" else (f"{count.execs:g}" if count else "n/a"),
                )
            self._prompt_budgets(shell, calls, spawned)
        table.notes += [
            f"Time per call: the hook function called {self.plan.loop} times in a loop "
            f"(direnv {self.plan.loop_direnv}) inside one shell, {self.plan.rounds} rounds "
            "interleaved; median over rounds. Net = minus the same loop around `:` (fish: "
            "`true`). Clocks: bash and zsh `$EPOCHREALTIME` (zsh/datetime); fish has none "
            "builtin, so `date +%s%N` before and after each loop. The floor is a function "
            "doing only `(( EPOCHSECONDS < expiry ))`; in fish `test (path mtime --relative "
            "$stamp) -lt 0`, its only fork-free clock.",
            f"Processes: `strace -f -e trace=clone,clone3,fork,vfork,execve` attached to an "
            f"interactive shell in a pty (pexpect) after start-up, then Enter pressed "
            f"{self.plan.prompts} times; clones with CLONE_THREAD are threads, not counted.",
        ]
        self.tables.append(table)

    def _prompt_budgets(
        self,
        shell: str,
        calls: dict[str, prompt.PerCall] | None,
        spawned: dict[str, prompt.Spawned],
    ) -> None:
        bare = spawned.get("bare")
        counts = [spawned.get(k) for k in ("stsenv-none", "stsenv-active")]
        if bare and all(counts):
            extra = max(c.processes - bare.processes for c in counts if c)
            execs = max(c.execs - bare.execs for c in counts if c)
            self.budgets.append(
                Budget(
                    f"prompt hook, {shell}: processes",
                    "0 per prompt",
                    f"{extra:g} processes, {execs:g} execve per prompt (beyond the bare shell's)",
                    extra == 0 and execs == 0,
                )
            )
        else:
            self.budgets.append(
                Budget(f"prompt hook, {shell}: processes", "0 per prompt", "n/a", None)
            )
        if shell == "fish":
            return
        floor = calls.get("floor") if calls else None
        if calls and floor and "stsenv-none" in calls and "stsenv-active" in calls:
            worst = max(calls["stsenv-none"].net.median, calls["stsenv-active"].net.median)
            self.budgets.append(
                Budget(
                    f"prompt hook, {shell}: time",
                    "<= 2x bare arithmetic",
                    f"no role {ratio(calls['stsenv-none'].net.median, floor.net.median)}, "
                    f"role active {ratio(calls['stsenv-active'].net.median, floor.net.median)} "
                    f"(floor {floor.net.median * 1e6:.1f} µs)",
                    worst <= 2 * floor.net.median,
                )
            )
        else:
            self.budgets.append(
                Budget(f"prompt hook, {shell}: time", "<= 2x bare arithmetic", "n/a", None)
            )

    def verbs(self, python: Stats | None) -> None:
        table = Table(
            "use / clear / status", ["command", "median (IQR)", "vs", "peer (IQR)", "ratio"]
        )
        arn = role_arn(self.env)
        wipe = ["rm", "-rf", self.cache]
        awsume = str(PEERS / "awsumepy")
        aws = [
            str(PEERS / "aws"),
            "sts",
            "assume-role",
            "--role-arn",
            arn,
            "--role-session-name",
            SESSION_NAME,
            "--duration-seconds",
            "3600",
        ]
        use = [str(STSENV), "use", ROLE_PROFILE]
        cold = self.time("stsenv use, cold", use, self.use_env, slow=True, prepare=wipe)
        peer_awsume = self.time(
            f"awsumepy {ROLE_PROFILE}", [awsume, ROLE_PROFILE], self.env, slow=True
        )
        peer_aws = self.time("aws sts assume-role", aws, self.env, slow=True)
        warm = self.time("stsenv use, cached", use, self.use_env)  # the check run filled it
        active = self.attempt("a shell with a role active", self.active_env)
        clear = status = unset = None
        if active is not None:
            clear = self.time(
                "stsenv clear", [str(STSENV), "clear"], {**active, "STSENV_SHELL": "bash"}
            )
            status = self.time("stsenv status", [str(STSENV), "status"], active)
        unset = self.time("awsumepy -u", [awsume, "-u"], self.env, slow=True)

        def row(label: str, mine: Stats | None, peer_label: str, peer: Stats | None) -> None:
            table.add(
                label,
                mine.ms() if mine else "n/a",
                peer_label,
                peer.ms() if peer else "n/a",
                ratio(mine.median, peer.median) if mine and peer else "n/a",
            )

        row(
            f"`stsenv use {ROLE_PROFILE}`, cold (no cache)",
            cold,
            f"`awsume {ROLE_PROFILE}` (awsumepy)",
            peer_awsume,
        )
        row(
            f"`stsenv use {ROLE_PROFILE}`, cold (no cache)", cold, "`aws sts assume-role`", peer_aws
        )
        row(f"`stsenv use {ROLE_PROFILE}`, cached", warm, "`python -c pass`", python)
        row(
            f"`stsenv use {ROLE_PROFILE}`, cached",
            warm,
            f"`awsume {ROLE_PROFILE}` (awsumepy)",
            peer_awsume,
        )
        row("`stsenv clear`", clear, "`python -c pass`", python)
        row("`stsenv clear`", clear, "`awsume -u` (awsumepy -u)", unset)
        row("`stsenv status`", status, "`python -c pass`", python)
        table.notes.append(
            f"All against the same local STS (moto on 127.0.0.1, tests/local_aws.py). stsenv "
            f"and awsume use the AWS profile `{ROLE_PROFILE}` (role_arn + source_profile); "
            "`aws sts assume-role --role-arn ... --role-session-name xx --duration-seconds "
            "3600` uses the source profile. awsume has no shell-free entry besides its "
            "Python program `awsumepy`, which its `awsume` shell function runs; its STS "
            "client is boto3's default, so botocore's AWS_ENDPOINT_URL reaches it. stsenv "
            "use/clear run with STSENV_SHELL=bash as the hook's wrapper does; stdout "
            "discarded. Cold: the cache dir is removed before each run (hyperfine --prepare)."
        )
        self.tables.append(table)
        budget = "<= 4x `python -c pass`"
        for what, stats in (
            ("`stsenv use`, cached", warm),
            ("`stsenv clear`", clear),
            ("`stsenv status`", status),
        ):
            if stats and python:
                self.budgets.append(
                    Budget(
                        what,
                        budget,
                        f"{stats.median * 1e3:.1f} ms = {ratio(stats.median, python.median)}",
                        stats.median <= 4 * python.median,
                    )
                )
            else:
                self.budgets.append(Budget(what, budget, "n/a", None))
        for name, peer in (("awsume", peer_awsume), ("`aws sts assume-role`", peer_aws)):
            if cold and peer:
                self.budgets.append(
                    Budget(
                        "`stsenv use`, cold",
                        f"faster than {name}",
                        f"{cold.median * 1e3:.0f} ms vs {peer.median * 1e3:.0f} ms = "
                        f"{ratio(cold.median, peer.median)}",
                        cold.median < peer.median,
                    )
                )
            else:
                self.budgets.append(
                    Budget("`stsenv use`, cold", f"faster than {name}", "n/a", None)
                )

    def active_env(self) -> dict[str, str]:
        """The environment of a shell after `stsenv use`, through the real bash hook."""
        script = (
            f'eval "$(stsenv hook bash)"; stsenv use {ROLE_PROFILE} >/dev/null 2>&1 '
            "|| exit 1; env -0"
        )
        done = subprocess.run(
            ["bash", "--norc", "--noprofile", "-c", script],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise MeasureError(f"`stsenv use` in bash failed: {done.stderr[-400:]!r}")
        env = dict(e.split("=", 1) for e in done.stdout.decode().split("\0") if "=" in e)
        if not env.get("STSENV_ROLE"):
            raise MeasureError("`stsenv use` in bash left no STSENV_ROLE")
        return env

    def memory(self) -> None:
        table = Table("Peak memory (max RSS)", ["command", "median MiB (IQR)", "vs stsenv"])
        arn = role_arn(self.env)
        wipe = ["rm", "-rf", self.cache]
        commands = {
            f"`stsenv use {ROLE_PROFILE}`, cold": (
                [str(STSENV), "use", ROLE_PROFILE],
                self.use_env,
                wipe,
            ),
            "`aws sts assume-role`": (
                [
                    str(PEERS / "aws"),
                    "sts",
                    "assume-role",
                    "--role-arn",
                    arn,
                    "--role-session-name",
                    SESSION_NAME,
                    "--duration-seconds",
                    "3600",
                ],
                self.env,
                None,
            ),
            f"`awsume {ROLE_PROFILE}` (awsumepy)": (
                [str(PEERS / "awsumepy"), ROLE_PROFILE],
                self.env,
                None,
            ),
        }
        figures: dict[str, Stats] = {}
        for label, (argv, env, prepare) in commands.items():
            stats = self.attempt(
                f"max RSS of {label}",
                partial(
                    peak_rss_kib, label, argv, env, runs=self.plan.memory_runs, prepare=prepare
                ),
            )
            if stats is None:
                continue
            figures[label] = stats
            mine = next(iter(figures.values()))
            table.add(
                label,
                f"{stats.median / 1024:.1f} ({stats.q1 / 1024:.1f}-{stats.q3 / 1024:.1f})",
                "" if stats is mine else ratio(stats.median, mine.median),
            )
        table.notes.append(f"ru_maxrss of the process from wait4(), {self.plan.memory_runs} runs.")
        self.tables.append(table)

    def import_profiles(self, active: dict[str, str] | None) -> None:
        table = Table(
            "Where stsenv's start-up goes: imports beyond a bare interpreter",
            ["command", "import ms", "modules", "largest top-level imports (ms)", "heavy imports"],
        )
        cases: list[tuple[str, list[str], dict[str, str], list[str] | None]] = [
            ("hook-bash", ["hook", "bash"], self.env, None),
            ("use-cached", ["use", ROLE_PROFILE], self.use_env, None),
            ("use-cold", ["use", ROLE_PROFILE], self.use_env, ["rm", "-rf", self.cache]),
        ]
        if active is not None:
            cases.append(("status", ["status"], active, None))
            cases.append(("clear", ["clear"], {**active, "STSENV_SHELL": "bash"}, None))
        for label, args, env, prepare in cases:
            found = self.attempt(
                f"import profile of stsenv {' '.join(args)}",
                partial(imports.profile, label, args, env, self.results, prepare),
            )
            if found is None:
                continue
            if label == "use-cold":  # leave the cache filled, as the cached rows expect
                subprocess.run(
                    [str(STSENV), "use", ROLE_PROFILE],
                    env=self.use_env,
                    capture_output=True,
                    check=False,
                )
            table.add(
                f"`stsenv {' '.join(args)}`" + (", cold" if label == "use-cold" else ""),
                f"{found.total_ms:.1f}",
                str(found.modules),
                ", ".join(f"{n} {ms:.1f}" for n, ms in found.top),
                ", ".join(found.heavy) or "none",
            )
        table.notes.append(
            "One run of `python -X importtime` on the console script; modules a bare "
            "`python -c pass` imports too are left out. Raw reports: "
            "bench/results/importtime-*.txt."
        )
        self.tables.append(table)


def _versions() -> list[str]:
    def first_line(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            return "missing"
        return (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if done.stdout or done.stderr
            else "?"
        )

    peers = first_line(
        [
            str(PEERS / "python"),
            "-c",
            "import importlib.metadata as m; print('awsume', m.version('awsume'), "
            "'/ awscli', m.version('awscli'), '/ botocore', m.version('botocore'))",
        ]
    )
    stsenv = first_line(
        [str(PYTHON), "-c", "import importlib.metadata as m; print('stsenv', m.version('stsenv'))"]
    )
    return [
        stsenv,
        peers,
        first_line(["direnv", "version"]).join(["direnv ", ""]),
        first_line(["hyperfine", "--version"]),
        first_line(["strace", "-V"]),
        first_line(["bash", "--version"]),
        first_line(["zsh", "--version"]),
        first_line(["fish", "--version"]),
    ]


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    python = subprocess.run(
        [str(PYTHON), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    nproc = len(os.sched_getaffinity(0))
    return f"{nproc} CPUs ({cpu}), Linux {platform.release()}, Python {python}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repetitions: check the harness")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "bench" / "RESULTS.md",
        help="where the Markdown goes (default: bench/RESULTS.md)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    for old in results.iterdir():
        if old.is_file():
            old.unlink()

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through `finally`: the STS is stopped

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    started = time.monotonic()
    when = subprocess.run(
        ["date", "-u"], capture_output=True, text=True, check=False
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-"))
    sts = LocalSts(work)
    try:
        print("bench: starting the local STS (tests/local_aws.py) on 127.0.0.1", flush=True)
        env = base_env(work / "home", sts.start())
        bench = Bench(plan, results, work, env)
        python = bench.startup()
        bench.prompt_hook()
        bench.verbs(python)
        bench.memory()
        bench.import_profiles(bench.attempt("a shell with a role active", bench.active_env))
    finally:
        sts.stop()
        shutil.rmtree(work, ignore_errors=True)

    budgets = Table("Budgets (DESIGN.md section 3)", ["what", "budget", "measured", "verdict"])
    budgets.rows = [b.cells() for b in bench.budgets]
    header = [
        "# stsenv benchmark results",
        "",
        f"- date: {when}",
        f"- machine: {_machine()}",
        f"- command: `{COMMAND}{' --quick' if args.quick else ''}` "
        f"({time.monotonic() - started:.0f} s)",
        f"- versions: {'; '.join(_versions())}",
        "- figures: medians with the interquartile range in brackets; ratios are stsenv's "
        "median over the other's, both measured in this run. Times are whole processes "
        "(hyperfine -N) unless said otherwise.",
    ]
    text = document(header, [budgets, *bench.tables], bench.errors)
    print("\n" + text)
    args.output.write_text(text, encoding="utf-8")
    print(f"bench: written to {args.output.relative_to(ROOT)} and bench/results/", flush=True)
    return 1 if bench.errors else 0
