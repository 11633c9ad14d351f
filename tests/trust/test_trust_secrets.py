"""Item 6 of issue 5: secrets stay where they belong.

A real shell whose baseline holds long-term keys assumes a role with an MFA code against the
moto server. While `use` runs, every process started is traced (strace, full argv) and
/proc/*/cmdline is read over and over; afterwards the terminal, `status`, debug output, the
environment a child gets, the cache and the shell's history file are searched for the
role's secret key and session token, the long-term secret key and the MFA code.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell, _tracer_of, need_tool
from support.trust import ROLE_ARN, long_term_env

from stsenv import spec

StartShell = Callable[..., InteractiveShell]

MFA_SERIAL = "arn:aws:iam::123456789012:mfa/taro"
TOKEN_CODE = "482913"
# The local world lets taro call nothing but sts:AssumeRole, so the MFA code goes on the
# AssumeRole call itself (not through a GetSessionToken session) where stsenv offers that.
MFA_ON_ASSUME = (
    ["--no-mfa-session"]
    if any(p.flag == "--no-mfa-session" for p in spec.BY_NAME["use"].params)
    else []
)
STSENV = [sys.executable, "-m", "stsenv"]


@contextlib.contextmanager
def watch_argv(pid: int, workdir: Path) -> Iterator[list[str]]:
    """Every argv of every program `pid` and its children exec, in full (strace), plus
    samples of every process's /proc/PID/cmdline taken while the block runs."""
    strace = need_tool("strace")
    log = workdir / f"execve-{uuid.uuid4().hex[:6]}.log"
    tracer = subprocess.Popen(
        [
            strace,
            "-f",
            "-qq",
            "-s",
            "1000000",
            "-e",
            "trace=execve",
            "-o",
            str(log),
            "-p",
            str(pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while _tracer_of(pid) == 0:
        if time.monotonic() > deadline or tracer.poll() is not None:
            tracer.kill()
            pytest.fail("strace could not attach to the shell")
        time.sleep(0.01)
    seen: list[str] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    with contextlib.suppress(OSError):
                        seen.append(
                            Path(entry.path, "cmdline").read_bytes().decode(errors="replace")
                        )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
    seen.extend(line for line in log.read_text(errors="replace").splitlines() if "execve(" in line)


def history_entries(shell: InteractiveShell) -> list[str]:
    if shell.kind == "fish":
        path = Path(shell.env["XDG_DATA_HOME"]) / "fish/fish_history"
        return [
            line[len("- cmd: ") :]
            for line in path.read_text().splitlines()
            if line.startswith("- cmd: ")
        ]
    home = Path(shell.env["HOME"])  # the rc sets HISTFILE=~/...
    path = home / (".bash_history" if shell.kind == "bash" else ".zsh_history")
    return path.read_text(errors="replace").splitlines()


@pytest.mark.parametrize("kind", SHELLS)
def test_secrets_stay_out_of_sight(
    kind: str, start_shell: StartShell, aws_world: object, aws_env: dict[str, str]
) -> None:
    env, source_secret = long_term_env(aws_world, aws_env)
    history = "SAVEHIST=1000" if kind == "zsh" else ""
    shell = start_shell(kind, env, before_hook=history)
    use = " ".join(
        [
            "stsenv use",
            ROLE_ARN,
            "--mfa-serial",
            MFA_SERIAL,
            "--token-code",
            TOKEN_CODE,
            *MFA_ON_ASSUME,
        ]
    )
    with watch_argv(shell.pid, shell.workdir) as argvs:
        shown = shell.run(use, timeout=60)
    assert shown.status == "0", shown.output
    environ = shell.environ()
    role_secret, role_token = environ["AWS_SECRET_ACCESS_KEY"], environ["AWS_SESSION_TOKEN"]
    assert role_secret != source_secret and environ["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    secrets = {
        "role secret": role_secret,
        "session token": role_token,
        "long-term secret": source_secret,
    }

    # argv: no secret in any process; the MFA code only where the user typed it.
    assert any("stsenv" in argv for argv in argvs)  # the watch saw the program
    for argv in argvs:
        for what, secret in secrets.items():
            assert secret not in argv, f"{what} in argv: {argv[:200]}"
        if TOKEN_CODE in argv:
            assert "--token-code" in argv, f"MFA code in someone else's argv: {argv[:200]}"

    # The exported environment: the role's keys, not the baseline's; no MFA code anywhere.
    assert source_secret not in "\0".join(f"{k}={v}" for k, v in environ.items())
    assert not any(TOKEN_CODE in v for v in environ.values())

    # The terminal (stderr of use), `status`, and status --json.
    status = shell.run("stsenv status")
    status_json = shell.run("stsenv status --json")
    assert status.status == "0" and status_json.status == "0"
    key_id = environ["AWS_ACCESS_KEY_ID"]
    assert key_id[-4:] in status.output and key_id not in status.output  # masked
    for text in (shown.output, status.output, status_json.output):
        # What the programs printed: every line but the echo of what was typed.
        printed = [
            line
            for line in re.split(r"[\r\n]+", text)
            if "stsenv use" not in line and "stsenv status" not in line
        ]
        assert printed, text
        for what, secret in {**secrets, "MFA code": TOKEN_CODE}.items():
            assert not any(secret in line for line in printed), f"{what} shown on the terminal"

    # The cache: temporary credentials only, private files in a private directory.
    cache = Path(env["STSENV_CACHE_DIR"])
    contents = ""
    for folder, _dirs, files in os.walk(cache):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
        for name in files:
            path = Path(folder, name)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            contents += path.read_text(errors="replace")
    assert role_token in contents
    assert source_secret not in contents and TOKEN_CODE not in contents

    # History: only what the user typed, never the hook's own code or a secret.
    shell.run("stsenv clear")
    shell.close()
    entries = history_entries(shell)
    assert any(entry.startswith("stsenv use") for entry in entries), entries
    for entry in entries:
        assert "__stsenv" not in entry and not re.search(r"\bexport AWS_|set -gx AWS_", entry)
        for what, secret in secrets.items():
            assert secret not in entry, f"{what} in history"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ([ROLE_ARN, "--mfa-serial", MFA_SERIAL, "--token-code", TOKEN_CODE], 0),
        ([ROLE_ARN, "--mfa-serial", MFA_SERIAL, "--token-code", TOKEN_CODE + "x"], 2),
        (["arn:aws:iam::123456789012:role/nope", "--token-code", TOKEN_CODE], 3),
    ],
    ids=["success", "bad-code", "denied"],
)
@pytest.mark.parametrize("debug", ["", "1"], ids=["plain", "debug"])
def test_no_secret_in_messages_or_debug_output(
    aws_world: object, aws_env: dict[str, str], args: list[str], status: int, debug: str
) -> None:
    env, source_secret = long_term_env(aws_world, aws_env)
    result = subprocess.run(
        [*STSENV, "use", *args, *MFA_ON_ASSUME],
        env={**env, "STSENV_SHELL": "bash", "STSENV_DEBUG": debug},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # (STSENV_DEBUG=1 shows a traceback instead of the line, and exits 1.)
    assert result.returncode == (1 if debug and status else status), result.stderr
    assert source_secret not in result.stderr and TOKEN_CODE not in result.stderr
    if status == 0:  # the role's own secrets go to stdout (for the hook's eval), only there
        secret = re.search(r"AWS_SECRET_ACCESS_KEY='([^']*)'", result.stdout)
        assert secret and secret.group(1) not in result.stderr
        assert source_secret not in result.stdout and TOKEN_CODE not in result.stdout
    else:
        assert result.stdout == ""
