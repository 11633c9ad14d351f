"""Roles that follow the directory: what the `.stsenv.toml` support costs, as ratios taken
in the same run (docs/DESIGN.md, "What it may cost").

1. A prompt whose $PWD did not change: the prompt hook as shipped against "today's" hook,
   the one shipped before `.stsenv.toml` support (BASELINE), timed in the same loop.
2. A `cd` among directories without a governing file: __stsenv_dir_changed, the walk up to
   / with builtin tests, in a directory 12 levels below /.
3. Entering a governed directory whose role is cached: `stsenv __enter FILE` (the one
   process the hook starts) against a cached `stsenv use` of the same role.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bench.measure import Command, MeasureError, Stats
from bench.prompt import _POSIX_TIMER
from bench.report import Budget, Table, ratio
from bench.world import HOOK_LINES, ROLE_PROFILE, STSENV

if TYPE_CHECKING:
    from bench.main import Bench

SHELLS = ("bash", "zsh", "fish")
DEPTH = 12  # the walk starts in a directory with 12 components (/tmp/x/d0/.../d9)

# "Today's" prompt hook: the one shipped before `.stsenv.toml` support (commit da1c5da's
# parent), word for word but for two lines folded with `\` and its state, kept in __bench_*
# copies in the form that hook kept it (no directory in the compared string, no pattern),
# and a slow path that only counts. Each phase sets that state from the loaded hook's, so
# both see the same role.
BASELINE = {
    "bash": r"""__bench_old_hook() {
    __stsenv_status=$?
    ((EPOCHSECONDS < __bench_next)) &&
        [[ ${STSENV_DISABLE_PROMPT-}/${__stsenv_watch:+$BASHOPTS${POSIXLY_CORRECT+/posix}}/${PS1-} \
            == "$__bench_drawn" ]] ||
        ((!__stsenv_expiry)) || ((++__bench_slow))
    return $__stsenv_status
}
__bench_state() {
    if ((__stsenv_expiry)); then
        __bench_next=$__stsenv_next
        __bench_drawn=$__stsenv_prompt_off/${__stsenv_watch:+$BASHOPTS${POSIXLY_CORRECT+/posix}}/$PS1
    else
        __bench_next=0 __bench_drawn=''
    fi
}
""",
    "zsh": r"""__bench_old_hook() {
    ((EPOCHSECONDS < __bench_next)) &&
        [[ ${STSENV_DISABLE_PROMPT-}/${options[promptsubst]}${options[promptbang]}\
${options[promptpercent]}/$PS1 == "$__bench_drawn" ]] ||
        [[ -z ${__stsenv_expiry-} ]] || ((++__bench_slow))
    \builtin return 0
}
__bench_state() {
    if [[ -n ${__stsenv_expiry-} ]]; then
        __bench_next=$__stsenv_next
        __bench_drawn=$__stsenv_prompt_off/${options[promptsubst]}${options[promptbang]}\
${options[promptpercent]}/$PS1
    else
        __bench_next=0 __bench_drawn=''
    fi
}
""",
    # fish's hook kept no state: with a role every prompt ran __stsenv_tick, as now.
    "fish": r"""function __bench_old_hook
    set -q -g __stsenv_expiry; or return 0
    __stsenv_tick
end
function __bench_state; end
""",
}

# The shipped hook's slow path, counted: a timed prompt that took it was not "unchanged".
_COUNT_DUE = {
    "bash": 'eval "__bench_due_orig() $(declare -f __stsenv_due | tail -n +2)"\n'
    "__stsenv_due() { ((++__bench_slow)); __bench_due_orig; }\n",
    "zsh": "functions -c __stsenv_due __bench_due_orig\n"
    "__stsenv_due() { ((++__bench_slow)); __bench_due_orig; }\n",
    # fish: with no role a prompt takes the slow path only when __stsenv_idle is unset, and
    # nothing in the timed loop unsets it: checked around the loops (__bench_slow_count).
    "fish": "",
}

_FISH_PROMPT = """function fish_prompt; printf '%s' 'BENCH> '; end
"""
_FISH_TIMER = """
function __bench_old_prompt; __bench_old_hook; fish_prompt >/dev/null; end
function __bench_new_prompt; __stsenv_prompt_hook; fish_prompt >/dev/null; end
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


def _script(shell: str, deep: Path, n: int, rounds: int) -> str:
    hook = HOOK_LINES[shell]["hook"]
    entries = [
        ("loop", "__bench_loop" if shell == "fish" else ":"),
        ("old", "__bench_old_hook"),
        ("new", "__stsenv_prompt_hook"),
    ]
    if shell == "fish":
        # A whole prompt: the event handler, then fish_prompt (which the hook wraps while a
        # role is shown, and which tells the hook that its prompt ran).
        head = f"{_FISH_PROMPT}{hook}\n{BASELINE[shell]}{_COUNT_DUE[shell]}{_FISH_TIMER}"
        entries[1:] = [("old", "__bench_old_prompt"), ("new", "__bench_new_prompt")]
        use = f"stsenv use {ROLE_PROFILE} >/dev/null; or exit 1\n"
        slow = (
            "if test $argv[1] = none; and not set -q -g __stsenv_idle\n    echo slow-none 1\nend\n"
        )
    else:
        head = "zmodload zsh/datetime\n" if shell == "zsh" else ""
        head += f"{hook}\n{BASELINE[shell]}{_COUNT_DUE[shell]}{_POSIX_TIMER}__bench_slow=0\n"
        if shell == "bash":  # as PROMPT_COMMAND runs them: parsed from a string each prompt
            head += '__bench_pc_old() { eval "__bench_old_hook && :"; }\n'
            head += '__bench_pc_new() { eval "__stsenv_prompt_hook && :"; }\n'
            entries += [("old-pc", "__bench_pc_old"), ("new-pc", "__bench_pc_new")]
        use = f"stsenv use {ROLE_PROFILE} >/dev/null || exit 1\n"
        slow = "echo slow-$1 $__bench_slow\n__bench_slow=0\n"
    head += (
        ("function __bench_slow_count\n" + slow + "end\n")
        if shell == "fish"
        else ("__bench_slow_count() {\n" + slow + "}\n")
    )
    # The first prompt there: the walk, once. With the role: its first prompt once the minute
    # shown has changed (a new role shows "60m" for a second), so that no timed prompt has
    # anything to redraw for the next 59 s.
    body = f"cd '{deep}'\n__stsenv_prompt_hook\n"
    for phase in ("none", "active"):
        if phase == "active":
            body += use + (
                "sleep 1.5\n"
                if shell == "fish"
                else "while ((EPOCHSECONDS < __stsenv_next)); do sleep 0.2; done\n"
            )
            body += "__stsenv_prompt_hook\n"
        if shell == "fish":
            body += f"__bench_slow_count {phase}\n"
        else:
            body += "__bench_state\n__bench_slow=0\n"
        for i in range(rounds):  # the loop first, then the hooks in turn, each first in turn
            timed = entries[:1] + (entries[1:] if i % 2 == 0 else entries[:0:-1])
            body += "".join(f"__bench_time {label}-{phase} {fn} {n}\n" for label, fn in timed)
        body += f"__bench_slow_count {phase}\n"
        walks = max(n // (100 if shell == "fish" else 10), 10)  # a walk costs 10-100 prompts
        for _ in range(rounds if phase == "none" else 0):
            body += f"__bench_time loop-walk{phase} {entries[0][1]} {walks}\n"
            body += f"__bench_time walk-walk{phase} __stsenv_dir_changed {walks}\n"
    return head + body


def time_hooks(
    shell: str, env: dict[str, str], work: Path, n: int, rounds: int
) -> dict[str, Stats]:
    """Seconds per call, net of the empty loop: keys "old-none", "new-active", "walk-walknone"..."""
    root = Path(tempfile.mkdtemp(prefix="stsenv-walk-", dir="/tmp"))
    try:
        deep = root.joinpath(*(f"d{i}" for i in range(DEPTH - 2)))
        deep.mkdir(parents=True)
        if len(deep.parts) - 1 != DEPTH:
            raise MeasureError(f"the walk's directory is not {DEPTH} levels deep: {deep}")
        return _run(shell, env, work, _script(shell, deep, n, rounds))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(shell: str, env: dict[str, str], work: Path, script: str) -> dict[str, Stats]:
    path = work / f"dirs-loop.{shell}"
    path.write_text(script, encoding="utf-8")
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
        # A timed prompt that took the slow path was not one with nothing to do.
        if len(words) == 2 and words[0].startswith("slow-") and words[1] != "0":
            raise MeasureError(f"{shell}: {words[1]} timed prompts took the slow path")
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
                    "the hook before `.stsenv.toml` support",
                    ratio(new.median, old.median),
                )
                if shell != "bash" or suffix:  # bash is judged as it runs: per prompt
                    worst = max(worst, new.median / old.median if old.median > 0 else 0.0)
        bench.budgets.append(
            Budget(
                f"prompt, $PWD unchanged, {shell}",
                "<= 1.1x the hook before `.stsenv.toml` support",
                f"worst {worst:.2f}x",
                worst <= 1.1,
            )
        )
        walk = timed["walk-walknone"]
        table.add(
            shell,
            f"cd without a governing file, {DEPTH} levels below / (walk: {DEPTH + 1} tests)",
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
        "Prompt figures: the hook as shipped and the hook shipped before `.stsenv.toml` "
        "support (bench/dirs.py BASELINE: the same text, its state in copies of its own), "
        "called in the same loop, interleaved, in the same state (no role, or the same role "
        "drawn); net of the empty loop; a timed prompt that took either hook's slow path "
        "fails the run (fish: each call is a whole prompt, the event handler then "
        "fish_prompt; with a role both run the tick, as fish's hook always did). "
        f"The walk: `__stsenv_dir_changed` in a directory {DEPTH} levels below / "
        f"(/tmp/stsenv-walk-XXXX/d0/.../d{DEPTH - 3}), every call testing each level up to / "
        "with no governing file found. Entering: hyperfine, interleaved."
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
