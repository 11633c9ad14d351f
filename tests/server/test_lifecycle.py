"""CMD's life under `stsenv exec --server`: its status and signals are its own, signals sent
to stsenv reach it once, nothing is left behind, and every error before it starts is one
line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.local_aws import free_port

from server.support import alive, gone, one_error_line, run_server, server_argv

WAIT_FOR_SIGNAL = (
    "import os, signal, sys\n"
    "got = []\n"
    "def handler(number, frame):\n"
    "    got.append(number)\n"
    "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
    "    signal.signal(s, handler)\n"
    "print(os.getpid(), flush=True)\n"
    "while not got:\n"
    "    signal.pause()\n"
    "signal.setitimer(signal.ITIMER_REAL, 0.5)\n"  # a second copy of the signal would land
    "signal.signal(signal.SIGALRM, lambda *_: None)\n"
    "signal.pause()\n"
    "sys.exit(40 + len(got))\n"
)


def leftovers(env: dict[str, str]) -> list[Path]:
    """What a run left: anything in TMPDIR, a command folder in the credential cache."""
    cache = Path(env["STSENV_CACHE_DIR"])
    return [*Path(env["TMPDIR"]).iterdir(), *cache.glob("stsenv-exec-*")]


def test_status_passes_through(server_env: dict[str, str]) -> None:
    done = run_server(server_env, "s3Full", "sh", "-c", "exit 7")
    assert (done.returncode, done.stderr) == (7, "")
    assert leftovers(server_env) == []


def test_a_killed_command_is_reported_as_shells_do(server_env: dict[str, str]) -> None:
    done = run_server(server_env, "s3Full", "sh", "-c", "kill -KILL $$")
    assert done.returncode == 128 + signal.SIGKILL
    assert leftovers(server_env) == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_to_stsenv_reach_the_command_once(
    server_env: dict[str, str], number: signal.Signals
) -> None:
    child = subprocess.Popen(
        server_argv("s3Full", sys.executable, "-c", WAIT_FOR_SIGNAL),
        env=server_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    pid = int(child.stdout.readline())
    child.send_signal(number)
    assert child.wait(timeout=60) == 41  # handled once, exit status its own
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert leftovers(server_env) == []


def test_a_command_killed_while_stsenv_is_signalled_leaves_nothing(
    server_env: dict[str, str],
) -> None:
    child = subprocess.Popen(
        server_argv("s3Full", "sh", "-c", "echo $$; exec sleep 600"),
        env=server_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    pid = int(child.stdout.readline())
    child.send_signal(signal.SIGTERM)  # sleep dies of it: stsenv reports it as its own
    assert child.wait(timeout=60) == 128 + signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert leftovers(server_env) == []


def test_port_that_cannot_be_bound(server_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_server(server_env, "s3Full", "true", port=port)
    one_error_line(
        done,
        5,
        f"stsenv: cannot listen on 127.0.0.1:{port} for the credential "
        "endpoint: Address already in use",
    )
    assert leftovers(server_env) == []


@pytest.mark.parametrize(
    ("command", "status", "start"),
    [
        (["no-such-command-here"], 127, "stsenv: command not found: no-such-command-here"),
        (["NOT_EXECUTABLE"], 126, "stsenv: cannot run "),
        ([], 2, "stsenv: give the command to run after --"),
    ],
)
def test_command_that_cannot_start(
    server_env: dict[str, str], command: list[str], status: int, start: str, tmp_path: Path
) -> None:
    text = tmp_path / "text"
    text.write_text("not a program\n")
    text.chmod(0o644)
    command = [str(text) if word == "NOT_EXECUTABLE" else word for word in command]
    one_error_line(run_server(server_env, "s3Full", *command), status, start)
    assert leftovers(server_env) == []


def test_unreachable_sts_at_start(server_env: dict[str, str]) -> None:
    env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    done = run_server(env, "s3Full", "true")
    assert done.returncode == 4 and done.stdout == "", done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("stsenv: ")


def test_mfa_target_without_a_terminal(server_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "mfa.toml"
    config.write_text(
        '[roles.guarded]\nrole_name = "s3FullforAssumeRole"\nsource_profile = "taro-prjZ"\n'
        'mfa_serial = "arn:aws:iam::123456789012:mfa/taro"\n'
    )
    done = run_server({**server_env, "STSENV_CONFIG": str(config)}, "guarded", "true")
    one_error_line(done, 5, "stsenv: an MFA code is needed and there is no terminal")


def test_sigkill_to_stsenv_ends_the_command(server_env: dict[str, str]) -> None:
    """Nobody can forward SIGKILL: the kernel ends CMD (PR_SET_PDEATHSIG), so it never asks
    a port that another local user may have bound in the meantime."""
    child = subprocess.Popen(
        server_argv("s3Full", "sh", "-c", "echo $$; exec sleep 600"),
        env=server_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    pid = int(child.stdout.readline())
    try:
        child.kill()
        assert child.wait(timeout=60) == -signal.SIGKILL
        assert gone(pid), "the command outlived stsenv"
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    # The folder of a killed stsenv (which holds no secret) goes with the next run.
    done = run_server(server_env, "s3Full", "true")
    assert (done.returncode, done.stderr) == (0, "")
    assert leftovers(server_env) == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_no_grandchild_survives_a_signal_to_stsenv(
    server_env: dict[str, str], number: signal.Signals
) -> None:
    """CMD runs in a process group of its own, which stsenv ends on its way out: a child
    that CMD left behind does not outlive the endpoint."""
    script = "sleep 600 & echo $!; wait"  # sh: a background job ignores SIGINT, not TERM
    child = subprocess.Popen(
        server_argv("s3Full", "sh", "-c", script),
        env=server_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    try:
        child.send_signal(number)
        assert child.wait(timeout=60) == 128 + number
        assert gone(grandchild), "the command's child outlived stsenv"
    finally:
        if alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)
    assert leftovers(server_env) == []


def test_no_grandchild_survives_the_command(server_env: dict[str, str]) -> None:
    """The same when CMD exits on its own, or is killed: its group goes with it."""
    script = "sleep 600 >/dev/null & echo $!; kill -KILL $$"
    done = run_server(server_env, "s3Full", "sh", "-c", script)
    assert done.returncode == 128 + signal.SIGKILL, done.stderr
    grandchild = int(done.stdout)
    try:
        assert gone(grandchild), "the command's child outlived stsenv"
    finally:
        if alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)
    assert leftovers(server_env) == []
