"""The prompt hook: time per call measured inside each shell, and processes per prompt
counted with strace on a real interactive shell driven through a pty."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pexpect

from bench.measure import MeasureError, Stats
from bench.world import (
    DIRENV_LINES,
    HOOK_LINES,
    PROMPT_MARK,
    ROLE_PROFILE,
    interactive_argv,
    rc_text,
    shell_home,
    with_setup,
)

HOOK_FUNCTION = {
    "bash": "__stsenv_prompt_hook",
    "zsh": "__stsenv_prompt_hook",
    "fish": "__bench_stsenv",
}
DIRENV_FUNCTION = {"bash": "_direnv_hook", "zsh": "_direnv_hook", "fish": "__bench_direnv"}

# --- time per call ---------------------------------------------------------------------------
#
# Each script times `for i in 1..n: $fn` on the shell's own clock and prints
# "label n t0 t1" per loop; rounds interleave the functions. The same loop around `:`
# is timed too, so the loop's own cost can be taken off every figure (fish: see below).
# bash and zsh read $EPOCHREALTIME (seconds, microseconds or better); fish has no builtin
# clock, so its loops are timed with `date +%s%N` (one fork either side of the whole loop,
# ~1 ms, i.e. <0.3% of a 10000-call loop).

_POSIX_TIMER = """
__bench_time() {
    local label=$1 fn=$2 n=$3 i t0 t1
    t0=$EPOCHREALTIME
    for ((i = 0; i < n; i++)); do $fn; done
    t1=$EPOCHREALTIME
    printf '%s %s %s %s\\n' "$label" "$n" "$t0" "$t1"
}
__bench_expiry=$((EPOCHSECONDS + 3600))
# The floor: a prompt hook that does only integer arithmetic on the shell's clock.
__bench_floor() { ((EPOCHSECONDS < __bench_expiry)); }
"""

_SCRIPTS = {
    # A prompt of the usual length: the hook compares PS1 with what it drew.
    "bash": "PS1='\\u@\\h:\\w\\$ '\n{hook}\n__bench_pc=$PROMPT_COMMAND\n{direnv}\n"
    + _POSIX_TIMER
    # Per prompt as bash runs it: PROMPT_COMMAND is a string bash parses and runs before
    # each prompt, so both hooks are timed that way too (the floor as `__bench_floor`, the
    # hook as the exact text its installer put in PROMPT_COMMAND).
    + "__bench_pc_floor() { eval __bench_floor; }\n"
    + '__bench_pc_stsenv() { eval "$__bench_pc"; }\n',
    "zsh": "zmodload zsh/datetime\nPS1='%n@%m:%~%# '\n{hook}\n{direnv}\n" + _POSIX_TIMER,
    "fish": """# The user's prompt, defined before the hook (which wraps it while a role is shown).
function fish_prompt; printf '%s' 'BENCH> '; end
function __bench_user_prompt; printf '%s' 'BENCH> '; end
{hook}
{direnv}
# fish's hook keeps state between its event handler and fish_prompt (which it wraps while
# a role is shown), so each "call" here is a whole prompt: handler, then fish_prompt; the
# loop baseline is the user's own prompt function alone.
function __bench_loop; __bench_user_prompt >/dev/null; end
function __bench_stsenv; __stsenv_prompt_hook; fish_prompt >/dev/null; end
function __bench_direnv; __direnv_export_eval; fish_prompt >/dev/null; end
function __bench_time --argument-names label fn n
    set -l idx (seq $n)
    set -l t0 (date +%s%N)
    for i in $idx
        $fn
    end
    set -l t1 (date +%s%N)
    echo $label $n $t0 $t1
end
# fish's only fork-free clock: seconds since a file's mtime, stamped one hour ahead.
set -g __bench_stamp (mktemp)
touch -d @(math (date +%s) + 3600) $__bench_stamp
function __bench_floor
    test (path mtime --relative $__bench_stamp) -lt 0
    __bench_user_prompt >/dev/null
end
""",
}

_LOOP = {"bash": ":", "zsh": ":", "fish": "__bench_loop"}


def _per_prompt(shell: str, state: str, n: int) -> list[tuple[str, str, int]]:
    """bash only: the floor and the hook timed as PROMPT_COMMAND runs them ("-pc" keys)."""
    if shell != "bash":
        return []
    return [("floor-pc", "__bench_pc_floor", n), (f"stsenv-{state}-pc", "__bench_pc_stsenv", n)]


def _rounds(shell: str, rounds: int, entries: list[tuple[str, str, int]]) -> str:
    lines = []
    for _ in range(rounds):
        lines += [f"__bench_time {label} {fn} {n}" for label, fn, n in entries]
    return "\n".join(lines) + "\n"


def _use_role(shell: str) -> str:
    fail = "; or begin; echo USE-FAILED; exit 1; end" if shell == "fish" else " || exit 1"
    check = (
        'test -n "$STSENV_ROLE"; or begin; echo NO-ROLE; exit 1; end'
        if shell == "fish"
        else '[ -n "${STSENV_ROLE-}" ] || { echo NO-ROLE; exit 1; }'
    )
    return f"stsenv use {ROLE_PROFILE} >/dev/null{fail}\n{check}\n"


@dataclass(frozen=True)
class PerCall:
    """Seconds per call: raw (loop included) and net of the empty loop."""

    raw: Stats
    net: Stats


def time_per_call(
    shell: str, env: dict[str, str], workdir: Path, *, n: int, n_direnv: int, rounds: int
) -> dict[str, PerCall]:
    """Per-call cost of: the floor, stsenv's hook with no role and with a role active,
    direnv's hook; keys "floor", "stsenv-none", "stsenv-active", "direnv", "loop"."""
    script = _SCRIPTS[shell].replace("{hook}", HOOK_LINES[shell]["hook"])
    script = script.replace("{direnv}", DIRENV_LINES[shell])
    loop = _LOOP[shell]
    script += _rounds(
        shell,
        rounds,
        [
            ("loop", loop, n),
            ("floor", "__bench_floor", n),
            ("stsenv-none", HOOK_FUNCTION[shell], n),
            ("direnv", DIRENV_FUNCTION[shell], n_direnv),
            ("loop-direnv", loop, n_direnv),
            *_per_prompt(shell, "none", n),
        ],
    )
    script += _use_role(shell)
    script += _rounds(
        shell,
        rounds,
        [
            ("loop", loop, n),
            ("floor", "__bench_floor", n),
            ("stsenv-active", HOOK_FUNCTION[shell], n),
            *_per_prompt(shell, "active", n),
        ],
    )
    path = workdir / f"prompt-loop.{shell}"
    path.write_text(script, encoding="utf-8")
    argv = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish"]}
    done = subprocess.run(
        [*argv[shell], str(path)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise MeasureError(
            f"{shell} prompt loop exited {done.returncode}: "
            f"{(done.stdout + done.stderr).strip()[-800:]}"
        )
    scale = 1e-9 if shell == "fish" else 1.0  # fish's clock is `date +%s%N`
    samples: dict[str, list[float]] = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if len(words) == 4 and words[1].isdigit():
            label, count, t0, t1 = words
            samples.setdefault(label, []).append((float(t1) - float(t0)) * scale / int(count))
    result: dict[str, PerCall] = {}
    for label, values in samples.items():
        if label.startswith("loop"):
            continue
        loop_label = "loop-direnv" if label == "direnv" else "loop"
        # Rounds pair up in order: the loop's cost from the same round is taken off.
        net = [v - e for v, e in zip(values, samples[loop_label], strict=False)]
        result[label] = PerCall(Stats.of(values), Stats.of(net))
    result["loop"] = PerCall(Stats.of(samples["loop"]), Stats.of([0.0]))
    return result


# --- processes per prompt ---------------------------------------------------------------------

_CLONE = re.compile(r"^\d+\s+(clone3?|v?fork)\(")
_EXEC = re.compile(r"^\d+\s+execve\(")


@dataclass(frozen=True)
class Spawned:
    processes: float  # fork/vfork/clone that is not a thread, per prompt
    execs: float  # execve per prompt
    prompts: int


def count_spawned(
    shell: str, scenario: str, env: dict[str, str], workdir: Path, results: Path, *, prompts: int
) -> Spawned:
    """Drive an interactive shell through a pty; once it is up (and, for "stsenv-active",
    a role is assumed), attach strace and press Enter `prompts` times."""
    line = {
        "bare": "",
        "stsenv-none": HOOK_LINES[shell]["hook"],
        "stsenv-active": HOOK_LINES[shell]["hook"],
        "direnv": DIRENV_LINES[shell],
    }[scenario]
    setup = shell_home(workdir, shell, f"pty-{scenario}", rc_text(shell, line, prompt=True))
    argv = interactive_argv(shell, setup)
    child = pexpect.spawn(
        argv[0],
        argv[1:],
        env=with_setup(env, setup),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact(PROMPT_MARK)
        if scenario == "stsenv-active":
            child.sendline(f"stsenv use {ROLE_PROFILE}")
            child.expect_exact(PROMPT_MARK)
            child.sendline("printf 'R:%s:\\n' \"$STSENV_ROLE\"")
            child.expect(r"R:([A-Za-z0-9_-]*):")
            if not child.match or not child.match.group(1):
                raise MeasureError(f"{shell}: `stsenv use` did not make a role active")
            child.expect_exact(PROMPT_MARK)
        trace = results / f"strace-{shell}-{scenario}.txt"
        tracer = subprocess.Popen(
            [
                "strace",
                "-f",
                "-qq",
                "-o",
                str(trace),
                "-e",
                "trace=clone,clone3,fork,vfork,execve",
                "-p",
                str(child.pid),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_traced(child.pid, tracer)
            for _ in range(prompts):
                child.send("\r")
                child.expect_exact(PROMPT_MARK)
            time.sleep(0.2)  # let anything a prompt started in the background show up
        finally:
            tracer.send_signal(signal.SIGINT)  # detaches; the shell goes on
            tracer.wait(timeout=30)
        child.sendline("exit")
        child.expect(pexpect.EOF)
    except pexpect.ExceptionPexpect as e:
        seen = str(child.before)[-300:]
        raise MeasureError(f"{shell} in a pty: {type(e).__name__}; last output: {seen!r}") from None
    finally:
        child.close(force=True)
    processes = execs = 0
    for entry in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if _CLONE.match(entry) and "CLONE_THREAD" not in entry:
            processes += 1
        elif _EXEC.match(entry):
            execs += 1
    return Spawned(processes / prompts, execs / prompts, prompts)


def _wait_traced(pid: int, tracer: subprocess.Popen[bytes]) -> None:
    """Until the kernel reports `tracer` as the shell's tracer."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if tracer.poll() is not None:
            raise MeasureError(f"strace could not attach to {pid} (exit {tracer.returncode})")
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("TracerPid:") and int(line.split()[1]) == tracer.pid:
                    return
        time.sleep(0.02)
    raise MeasureError(f"strace did not attach to {pid}")
