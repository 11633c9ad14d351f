"""stsenv beside its peers, measured in one run: start-up, prompt hook, use/clear/status,
memory, imports; then each budget of docs/DESIGN.md ("What it may cost"), met or not."""

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

from bench import big_config as bench_big_config
from bench import dirs, imports, prompt
from bench import keys as bench_keys
from bench import server as exec_server
from bench import signin as bench_signin
from bench import sso as bench_sso
from bench.measure import Command, Hyperfine, MeasureError, Stats, peak_rss_kib
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


def aws_assume_role(arn: str) -> list[str]:
    """The tutorial's `aws sts assume-role`, the peer every `use` figure is set against."""
    return [
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


@dataclass(frozen=True)
class Plan:
    runs: int  # hyperfine runs of a fast command
    slow_runs: int  # ... of a command that takes 100+ ms (the network verbs, the peers)
    warmup: int
    loop: int  # prompt-hook calls per timed loop
    loop_direnv: int  # direnv's hook forks: fewer calls
    rounds: int  # timed loops per function, interleaved
    prompts: int  # Enter presses under strace
    memory_runs: int


FULL = Plan(
    runs=60,
    slow_runs=25,
    warmup=3,
    loop=20000,
    loop_direnv=200,
    rounds=7,
    prompts=50,
    memory_runs=7,
)
QUICK = Plan(
    runs=5, slow_runs=3, warmup=1, loop=1000, loop_direnv=10, rounds=2, prompts=3, memory_runs=1
)


class Bench:
    def __init__(
        self, plan: Plan, results: Path, work: Path, env: dict[str, str], sts: LocalSts
    ) -> None:
        self.plan = plan
        self.sts = sts
        self.results = results
        self.work = work
        self.env = env
        self.hyperfine = Hyperfine(results, plan.warmup)
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

    def time(self, commands: list[Command], *, slow: bool = False) -> dict[str, Stats | None]:
        """hyperfine over a group of commands, interleaved; a failed one is recorded as
        not measured and comes back as None."""
        print(f"bench: timing {', '.join(c.label for c in commands)}", flush=True)
        runs = self.plan.slow_runs if slow else self.plan.runs
        found: dict[str, Stats | None] = {}
        for label, outcome in self.hyperfine.group(commands, runs).items():
            if isinstance(outcome, MeasureError):
                self.errors.append(str(outcome))
                print(f"bench: NOT MEASURED: {outcome}", flush=True)
                found[label] = None
            else:
                found[label] = outcome
        return found

    # --- sections ----------------------------------------------------------------------------

    def startup(self) -> None:
        table = Table(
            "Start-up: every new shell pays this",
            ["command", "median (IQR)", "vs", "baseline (IQR)", "ratio", "+ms"],
        )
        first = [Command("python -c pass", [str(PYTHON), "-c", "pass"], self.env)]
        first += [
            Command(f"stsenv hook {shell}", [str(STSENV), "hook", shell], self.env)
            for shell in SHELLS
        ]
        timed = self.time(first)
        python = timed["python -c pass"]
        if python:
            table.add("`python -c pass` (stsenv's venv)", python.ms(), "", "", "", "")
        for shell in SHELLS:
            hook = timed[f"stsenv hook {shell}"]
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
            commands = []
            for variant, line in HOOK_LINES[shell].items():
                text = rc_text(shell, line.format(file=SHELL_DIR / f"stsenv.{shell}"), prompt=False)
                setup = shell_home(self.work, shell, f"start-{variant}", text)
                argv = [shell, "-i", "-c", "exit"]
                if shell == "bash":
                    argv = ["bash", "--noprofile", "--rcfile", setup["rcfile"], "-i", "-c", "exit"]
                label = f"{shell} -i, {VARIANT_NAMES[variant]}"
                commands.append(Command(label, argv, with_setup(self.env, setup)))
            timed = self.time(commands)
            none = timed[f"{shell} -i, {VARIANT_NAMES['none']}"]
            for variant in HOOK_LINES[shell]:
                stats = timed[f"{shell} -i, {VARIANT_NAMES[variant]}"]
                if stats is None:
                    continue
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

    def prompt_hook(self) -> None:
        table = Table(
            "Prompt hook: what every prompt pays",
            [
                "shell",
                "hook",
                "per call, net (IQR)",
                "x floor",
                "per call, raw",
                "x floor, raw",
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
            if shell == "bash":  # the same, timed as PROMPT_COMMAND runs them
                names |= {
                    "floor-pc": "bare arithmetic (floor), per prompt",
                    "stsenv-none-pc": "stsenv, no role, per prompt",
                    "stsenv-active-pc": "stsenv, role active, per prompt",
                }
            bare = spawned.get("bare")
            table.add(
                shell,
                "none (bare shell)",
                "",
                "",
                "",
                "",
                f"{bare.processes:g}" if bare else "n/a",
                f"{bare.execs:g}" if bare else "n/a",
            )
            for key, name in names.items():
                call = calls.get(key) if calls else None
                base = calls.get("floor-pc" if key.endswith("-pc") else "floor") if calls else None
                count = spawned.get(key) if not key.startswith("floor") else None
                table.add(
                    shell,
                    name,
                    call.net.us() if call else "n/a",
                    ratio(call.net.median, base.net.median) if call and base else "n/a",
                    f"{call.raw.median * 1e6:.1f} µs" if call else "n/a",
                    ratio(call.raw.median, base.raw.median) if call and base else "n/a",
                    "" if key.startswith("floor") else (f"{count.processes:g}" if count else "n/a"),
                    "" if key.startswith("floor") else (f"{count.execs:g}" if count else "n/a"),
                )
            self._prompt_budgets(shell, calls, spawned)
        table.notes += [
            f"Time per call: the hook function called {self.plan.loop} times in a loop "
            f"(direnv {self.plan.loop_direnv}) inside one shell, {self.plan.rounds} rounds "
            "interleaved; median over rounds. Raw = loop time / calls; net = raw minus the "
            "same loop around `:`, i.e. the cost of the call itself, which is what the budget "
            "compares. fish: its hook keeps state between the fish_prompt event and the "
            "fish_prompt function it wraps while a role is shown, so each fish call is a "
            "whole prompt (handler, then fish_prompt) and the loop baseline is the user's "
            "prompt function alone. Clocks: bash and zsh `$EPOCHREALTIME` "
            "(zsh/datetime); fish has none builtin, so `date +%s%N` before and after each "
            "loop. The floor is a function doing only `(( EPOCHSECONDS < expiry ))`; in "
            "fish `test (path mtime --relative $stamp) -lt 0`, its only fork-free clock. "
            "bash's 'per prompt' rows time each hook as bash runs it before a prompt: "
            "PROMPT_COMMAND is a string that bash parses and runs, so the floor is timed as "
            "`eval __bench_floor` and stsenv as `eval` of exactly what its installer put in "
            "PROMPT_COMMAND (`__stsenv_prompt_hook && :`); the bash budget is judged on "
            "these, and the function-call-only ratio is shown beside it.",
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
            none, active = calls["stsenv-none"], calls["stsenv-active"]
            worst = max(none.net.median, active.net.median)
            measured = (
                f"function call only: no role {ratio(none.net.median, floor.net.median)}, "
                f"role active {ratio(active.net.median, floor.net.median)} (floor "
                f"{floor.net.median * 1e6:.1f} µs)"
            )
            met = worst <= 2 * floor.net.median
            pc_floor = calls.get("floor-pc")
            pc_none, pc_active = calls.get("stsenv-none-pc"), calls.get("stsenv-active-pc")
            if pc_floor and pc_none and pc_active:  # bash: judged per prompt, as bash runs it
                measured = (
                    f"per prompt: no role {ratio(pc_none.net.median, pc_floor.net.median)}, "
                    f"role active {ratio(pc_active.net.median, pc_floor.net.median)} (floor "
                    f"{pc_floor.net.median * 1e6:.1f} µs); {measured}"
                )
                met = max(pc_none.net.median, pc_active.net.median) <= 2 * pc_floor.net.median
            self.budgets.append(
                Budget(f"prompt hook, {shell}: time", "<= 2x bare arithmetic", measured, met)
            )
        else:
            self.budgets.append(
                Budget(f"prompt hook, {shell}: time", "<= 2x bare arithmetic", "n/a", None)
            )

    def verbs(self) -> None:
        table = Table(
            "use / clear / status", ["command", "median (IQR)", "vs", "peer (IQR)", "ratio"]
        )
        arn = role_arn(self.env)
        wipe = ["rm", "-rf", self.cache]
        awsume = str(PEERS / "awsumepy")
        aws = aws_assume_role(arn)
        use = [str(STSENV), "use", ROLE_PROFILE]
        slow = self.time(
            [
                Command("stsenv use, cold", use, self.use_env, wipe),
                Command(f"awsumepy {ROLE_PROFILE}", [awsume, ROLE_PROFILE], self.env),
                Command("aws sts assume-role", aws, self.env),
                Command("awsumepy -u", [awsume, "-u"], self.env),
            ],
            slow=True,
        )
        cold, peer_awsume = slow["stsenv use, cold"], slow[f"awsumepy {ROLE_PROFILE}"]
        peer_aws, unset = slow["aws sts assume-role"], slow["awsumepy -u"]
        # The baseline again, interleaved with these: a ratio is only as good as the
        # two figures being taken under the same load.
        fast = [
            Command("python -c pass (use/clear/status)", [str(PYTHON), "-c", "pass"], self.env),
            Command("stsenv use, cached", use, self.use_env),  # its check run fills the cache
        ]
        active = self.attempt("a shell with a role active", self.active_env)
        if active is not None:
            fast.append(
                Command("stsenv clear", [str(STSENV), "clear"], {**active, "STSENV_SHELL": "bash"})
            )
            fast.append(Command("stsenv status", [str(STSENV), "status"], active))
        timed = self.time(fast)
        python = timed["python -c pass (use/clear/status)"]
        warm, clear, status = (
            timed.get(k) for k in ("stsenv use, cached", "stsenv clear", "stsenv status")
        )
        calls = {
            "stsenv use, cold": self.requests(use, self.use_env, wipe),
            "stsenv use, cached": self.requests(use, self.use_env, None),
            "awsume": self.requests([awsume, ROLE_PROFILE], self.env, None),
            "aws sts assume-role": self.requests(aws, self.env, None),
        }

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
        table.notes.extend(
            (
                "All against the same local STS (moto on 127.0.0.1, tests/support/local_aws.py). "
                f"stsenv and awsume use the AWS profile `{ROLE_PROFILE}` (role_arn + "
                "source_profile); "
                "`aws sts assume-role --role-arn ... --role-session-name xx --duration-seconds "
                "3600` uses the source profile. awsume has no shell-free entry besides its "
                "Python program `awsumepy`, which its `awsume` shell function runs; its STS "
                "client is boto3's default, so botocore's AWS_ENDPOINT_URL reaches it. stsenv "
                "use/clear run with STSENV_SHELL=bash as the hook's wrapper does; stdout "
                "discarded. Cold: the cache dir is removed before each run (hyperfine --prepare). "
                "`python -c pass` is timed again here, interleaved with the cached use, clear "
                "and status.",
                "Requests each run made to the local STS (counted in its log): "
                + "; ".join(f"{name}: {count}" for name, count in calls.items())
                + ". Without AWS_ENDPOINT_URL, awsume goes to sts.<region>.amazonaws.com.",
            )
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

    def requests(self, argv: list[str], env: dict[str, str], prepare: list[str] | None) -> str:
        """How many API requests one run makes to the local STS: proof that each program
        really talks to it (and that a cached `use` talks to nobody)."""
        if prepare:
            subprocess.run(prepare, env=env, check=True)
        before = self.sts.requests()
        done = subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False)
        time.sleep(0.2)  # the server logs a request after answering it
        return str(self.sts.requests() - before) if done.returncode == 0 else "failed"

    def active_env(self) -> dict[str, str]:
        """The environment of a shell after `stsenv use`, through the real bash hook."""
        script = (
            f'eval "$(stsenv hook bash)"; stsenv use {ROLE_PROFILE} >/dev/null || exit 1; env -0'
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
            raise MeasureError(
                f"`stsenv use` in bash failed: {done.stderr.decode(errors='replace')[-400:]}"
            )
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
                aws_assume_role(arn),
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
            [
                "command",
                "import ms",
                "modules",
                "largest top-level imports (ms)",
                "what stsenv pulls in from outside (ms)",
                "heavy imports",
            ],
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
                ", ".join(f"{n} {ms:.1f}" for n, ms in found.foreign) or "none",
                ", ".join(found.heavy) or "none",
            )
        table.notes.append(
            "`python -X importtime` on the console script, the quickest of 3 runs; modules a bare "
            '`python -c pass` imports too are left out. "From outside": the first module '
            "of each import chain that is not stsenv's own, with everything it imports in "
            "turn: where a cut would save time. Raw reports: bench/results/importtime-*.txt."
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
    try:
        git = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if git.returncode == 0 and git.stdout.strip():
            stsenv += f" (git {git.stdout.strip()})"
    except OSError:
        pass  # not a git checkout: the version alone
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
        help="where the Markdown goes (default: bench/RESULTS.md; with --quick "
        "bench/results/RESULTS-quick.md, so a quick check never replaces quoted figures)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    results = ROOT / "bench" / "results"
    output: Path = args.output or (
        results / "RESULTS-quick.md" if args.quick else ROOT / "bench" / "RESULTS.md"
    )
    results.mkdir(parents=True, exist_ok=True)
    for old in results.iterdir():
        if old.is_file():
            old.unlink()

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through `finally`: the STS is stopped

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    when = subprocess.run(
        ["date", "-u"], capture_output=True, text=True, check=False
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="stsenv-bench-"))
    sts = LocalSts(work)
    try:
        print("bench: starting the local STS (tests/support/local_aws.py) on 127.0.0.1", flush=True)
        env = base_env(work / "home", sts.start())
        bench = Bench(plan, results, work, env, sts)
        bench.startup()
        bench.prompt_hook()
        dirs.measure(bench)  # .stsenv.toml: prompt, cd, entering a tree
        bench.verbs()
        bench.memory()
        bench.import_profiles(bench.attempt("a shell with a role active", bench.active_env))
        print("bench: exec --server", flush=True)
        served = exec_server.measure(env, sts, results, runs=plan.slow_runs)
        print("bench: IAM Identity Center", flush=True)
        try:
            sso_table, sso_budgets = bench_sso.measure(
                results, plan.runs, plan.slow_runs, plan.warmup
            )
            bench.tables.append(sso_table)
            bench.budgets += sso_budgets
        except (MeasureError, OSError, subprocess.SubprocessError, RuntimeError) as e:
            bench.errors.append(f"IAM Identity Center: {e}")
        print("bench: console sign-in sessions", flush=True)
        try:
            signin_table, signin_budgets = bench_signin.measure(
                results, plan.runs, plan.slow_runs, plan.warmup
            )
            bench.tables.append(signin_table)
            bench.budgets += signin_budgets
        except (MeasureError, OSError, subprocess.SubprocessError, RuntimeError) as e:
            bench.errors.append(f"console sign-in sessions: {e}")
        try:  # a large AWS config: doctor, roles, TAB (bench/big_config.py; no network)
            config_table, config_budgets = bench_big_config.measure(results, plan.runs, plan.warmup)
            bench.tables.append(config_table)
            bench.budgets += config_budgets
        except (MeasureError, OSError, subprocess.SubprocessError) as e:
            bench.errors.append(f"a large AWS config: {e}")
        print("bench: the vault (stsenv keys)", flush=True)
        try:
            keys_table, keys_budgets = bench_keys.measure(
                results, plan.runs, plan.slow_runs, plan.warmup
            )
            bench.tables.append(keys_table)
            bench.budgets += keys_budgets
        except (MeasureError, OSError, subprocess.SubprocessError, RuntimeError) as e:
            bench.errors.append(f"the vault: {e}")
    finally:
        sts.stop()
        shutil.rmtree(work, ignore_errors=True)

    budgets = Table(
        'Budgets (docs/DESIGN.md, "What it may cost")', ["what", "budget", "measured", "verdict"]
    )
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
        "(hyperfine -N, each command's runs in slices of 10 or fewer, interleaved with the "
        "other commands of its table, so load elsewhere on the machine hits all alike) "
        "unless said otherwise. No figure here is a test: nothing fails on a time.",
        f"- load average (1 min) at start and end: {load_start:.2f}, {os.getloadavg()[0]:.2f} "
        f"on {len(os.sched_getaffinity(0))} CPUs (a busy machine widens the ranges)",
    ]
    text = document(header, [budgets, *bench.tables], bench.errors)
    text += "\n### `exec --server` (bench/server.py)\n\n" + "\n".join(served) + "\n"
    print("\n" + text)
    output.write_text(text, encoding="utf-8")
    print(f"bench: written to {output} and {results}", flush=True)
    return 1 if bench.errors else 0
