"""Roles that follow the directory: what the `.stsenv.toml` support costs, as ratios taken
in the same run (docs/DESIGN.md, "What it may cost").

1. A prompt whose $PWD did not change: the prompt hook as shipped against the same hook
   without its one directory comparison (the function is read back from the loaded shell
   and that line dropped: "today's" hook, timed in the same loop).
2. A `cd` among directories without a governing file: __stsenv_dir_changed, the walk up to
   / with builtin tests, in a directory 12 levels below a temporary root.
3. Entering a governed directory whose role is cached: `stsenv __enter FILE` (the one
   process the hook starts) against a cached `stsenv use` of the same role.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bench.measure import Command, MeasureError, Stats
from bench.prompt import _POSIX_TIMER
from bench.report import Budget, Table, ratio
from bench.world import HOOK_LINES, ROLE_PROFILE, SHELL_DIR, STSENV

if TYPE_CHECKING:
    from bench.main import Bench

SHELLS = ("bash", "zsh", "fish")
DEPTH = 12
_PRINT_HOOK = {
    "bash": [
        "bash",
        "--norc",
        "--noprofile",
        "-c",
        'source "$1"; declare -f __stsenv_prompt_hook',
        "_",
    ],
    "zsh": ["zsh", "-f", "-c", 'source "$1"; functions __stsenv_prompt_hook', "_"],
    "fish": ["fish", "--no-config", "-c", "source $argv[1]; functions __stsenv_prompt_hook"],
}

_FISH_TIMER = """
function __bench_time --argument-names label fn n
    set -l idx (seq $n)
    set -l t0 (date +%s%N)
    for i in $idx
        $fn
    end
    set -l t1 (date +%s%N)
    echo $label $n $t0 $t1
end
function __bench_loop; end
"""


def old_hook(shell: str, env: dict[str, str]) -> str:
    """The shipped prompt hook without its directory line, named __bench_old_hook."""
    done = subprocess.run(
        [*_PRINT_HOOK[shell], str(SHELL_DIR / f"stsenv.{shell}")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines:
        raise MeasureError(f"{shell}: cannot read the prompt hook back: {done.stderr[-300:]}")
    dropped = [line for line in lines if "__stsenv_dir_changed" in line]
    if len(dropped) != 1:
        raise MeasureError(f"{shell}: expected one directory line in the hook, saw {dropped}")
    kept = [line for line in lines if "__stsenv_dir_changed" not in line]
    if shell == "fish":
        kept = [line for line in kept if not line.lstrip().startswith("#")]
        kept[0] = "function __bench_old_hook"
    else:
        kept[0] = kept[0].replace("__stsenv_prompt_hook", "__bench_old_hook", 1)
    return "\n".join(kept) + "\n"


def _script(shell: str, env: dict[str, str], deep: Path, n: int, rounds: int) -> str:
    hook = HOOK_LINES[shell]["hook"]
    if shell == "fish":
        head = f"{hook}\n{old_hook(shell, env)}{_FISH_TIMER}"
        entries = [
            ("loop", "__bench_loop"),
            ("old", "__bench_old_hook"),
            ("new", "__stsenv_prompt_hook"),
            ("walk", "__stsenv_dir_changed"),
        ]
        use = f"stsenv use {ROLE_PROFILE} >/dev/null; or exit 1\n"
    else:
        head = "zmodload zsh/datetime\n" if shell == "zsh" else ""
        head += f"{hook}\n{old_hook(shell, env)}{_POSIX_TIMER}"
        entries = [
            ("loop", ":"),
            ("old", "__bench_old_hook"),
            ("new", "__stsenv_prompt_hook"),
            ("walk", "__stsenv_dir_changed"),
        ]
        if shell == "bash":  # as PROMPT_COMMAND runs them: parsed from a string each prompt
            head += '__bench_pc_old() { eval "__bench_old_hook && :"; }\n'
            head += '__bench_pc_new() { eval "__stsenv_prompt_hook && :"; }\n'
            entries += [("old-pc", "__bench_pc_old"), ("new-pc", "__bench_pc_new")]
        use = f"stsenv use {ROLE_PROFILE} >/dev/null || exit 1\n"
    body = f"cd '{deep}'\n__stsenv_prompt_hook\n"  # the first prompt here: the walk, once
    for phase in ("none", "active"):
        if phase == "active":
            body += use
        for _ in range(rounds):
            body += "".join(f"__bench_time {label}-{phase} {fn} {n}\n" for label, fn in entries)
    return head + body


def time_hooks(
    shell: str, env: dict[str, str], work: Path, n: int, rounds: int
) -> dict[str, Stats]:
    """Seconds per call, net of the empty loop: keys "old-none", "new-active", "walk-none"..."""
    deep = work / "dirs-bench" / "/".join(f"d{i}" for i in range(DEPTH))
    deep.mkdir(parents=True, exist_ok=True)
    path = work / f"dirs-loop.{shell}"
    path.write_text(_script(shell, env, deep, n, rounds), encoding="utf-8")
    argv = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish"]}
    done = subprocess.run(
        [*argv[shell], str(path)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise MeasureError(
            f"{shell} directory loop exited {done.returncode}: "
            f"{(done.stdout + done.stderr).strip()[-600:]}"
        )
    scale = 1e-9 if shell == "fish" else 1.0
    samples: dict[str, list[float]] = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if len(words) == 4 and words[1].isdigit():
            label, count, t0, t1 = words
            samples.setdefault(label, []).append((float(t1) - float(t0)) * scale / int(count))
    result = {}
    for label, values in samples.items():
        if label.startswith("loop"):
            continue
        loop = samples["loop-" + label.rsplit("-", 1)[1]]
        result[label] = Stats.of([v - e for v, e in zip(values, loop, strict=False)])
    return result


def measure(bench: Bench) -> None:
    table = Table(
        "Per-directory roles (.stsenv.toml): what a prompt, a cd and entering a tree cost",
        ["shell", "what", "per call, net (IQR)", "vs", "ratio"],
    )
    for shell in SHELLS:
        timed = bench.attempt(
            f"{shell} directory hook, time per call",
            lambda shell=shell: time_hooks(
                shell,
                bench.env,
                bench.work,
                bench.plan.loop,  # type: ignore[misc]
                bench.plan.rounds,
            ),
        )
        if not timed:
            bench.budgets.append(Budget(f"cd support, {shell}", "see below", "n/a", None))
            continue
        worst = 0.0
        for phase in ("none", "active"):
            for suffix in ("", "-pc") if shell == "bash" else ("",):
                new, old = timed[f"new{suffix}-{phase}"], timed[f"old{suffix}-{phase}"]
                how = ", per prompt" if suffix else ""
                state = "role active" if phase == "active" else "no role"
                table.add(
                    shell,
                    f"prompt, $PWD unchanged, {state}{how}",
                    new.us(),
                    "the hook without its directory line",
                    ratio(new.median, old.median),
                )
                if shell != "bash" or suffix:  # bash is judged as it runs: per prompt
                    worst = max(worst, new.median / old.median if old.median > 0 else 0.0)
        bench.budgets.append(
            Budget(
                f"prompt, $PWD unchanged, {shell}",
                "<= 1.1x the hook without its directory line",
                f"worst {worst:.2f}x",
                worst <= 1.1,
            )
        )
        walk = timed["walk-none"]
        table.add(
            shell,
            f"cd without a governing file, {DEPTH} levels deep (walk to /)",
            walk.us(),
            "",
            "",
        )
        if shell != "fish":
            bench.budgets.append(
                Budget(
                    f"cd without a governing file, {shell}",
                    "walk < 50 µs, 0 processes",
                    f"{walk.median * 1e6:.1f} µs (processes: tests/dirs, strace)",
                    walk.median < 50e-6,
                )
            )
    _entering(bench, table)
    table.notes.append(
        "Prompt figures: the hook as shipped and the same function read back from the "
        "loaded shell without its one `$PWD` comparison, called in the same loop, "
        "interleaved; net of the empty loop (fish: each call is the event handler alone). "
        f"The walk: `__stsenv_dir_changed` in a directory {DEPTH} levels below a temporary "
        "root, up to / (every call walks the whole way). Entering: hyperfine, interleaved."
    )
    bench.tables.append(table)


def _entering(bench: Bench, table: Table) -> None:
    governed = bench.work / "dirs-governed"
    governed.mkdir(exist_ok=True)
    (governed / ".stsenv.toml").write_text(f'use = "{ROLE_PROFILE}"\n')
    (governed / ".stsenv.toml").chmod(0o644)
    allow = subprocess.run(
        [str(STSENV), "allow", str(governed)],
        env=bench.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if allow.returncode != 0:
        bench.errors.append(f"stsenv allow: {allow.stderr.strip()}")
        return
    enter_env = {**bench.use_env, "STSENV_NO_INPUT": "1"}
    timed = bench.time(
        [
            Command("stsenv use, cached (dirs)", [str(STSENV), "use", ROLE_PROFILE], bench.use_env),
            Command(
                "stsenv __enter, cached",
                [str(STSENV), "__enter", str(governed / ".stsenv.toml")],
                enter_env,
            ),
        ]
    )
    use, enter = timed["stsenv use, cached (dirs)"], timed["stsenv __enter, cached"]
    if use and enter:
        table.add(
            "any",
            "entering a governed directory, role cached: `stsenv __enter FILE`",
            enter.ms(),
            "`stsenv use` of the same role, cached",
            ratio(enter.median, use.median),
        )
    bench.budgets.append(
        Budget(
            "entering a governed directory, role cached",
            "1 process, <= 1.2x a cached `use`",
            ratio(enter.median, use.median) if use and enter else "n/a",
            (enter.median <= 1.2 * use.median) if use and enter else None,
        )
    )
