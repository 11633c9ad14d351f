"""A flood of idle connections from another local user does not starve `stsenv exec
--server`: the job's own SDK calls still succeed and stsenv does not spin."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server.support import Caller, server_argv

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
OTHER_PYTHON = "/usr/bin/python3"  # one that uid 65534 may run (not under /root/.pyenv)
HELD = 1100
# The other user: holds HELD connections open without a byte sent, and opens a new one for
# each that the server closes; prints how many it holds once it has them all (or after 10 s).
FLOODER = r"""
import errno, os, select, socket, sys, time
port, wanted = int(sys.argv[1]), int(sys.argv[2])
held, told, start = {}, False, time.monotonic()
poller = select.poll()
def connect():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held[s.fileno()] = s
    poller.register(s.fileno(), select.POLLIN)
while True:
    while len(held) < wanted:
        connect()
    for fd, _ in poller.poll(100):
        poller.unregister(fd)
        held.pop(fd).close()
    if not told and time.monotonic() - start > 3:
        print(len(held), flush=True)
        told = True
    time.sleep(0.1)
"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, all threads (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def nobody() -> list[str]:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux) to act as another local user")
    if not os.access(OTHER_PYTHON, os.X_OK):
        pytest.skip(f"the other user runs {OTHER_PYTHON} (Debian's python3), which is missing")
    return NOBODY


def test_a_flood_of_idle_connections(
    server_env: dict[str, str], tmp_path: Path, nobody: list[str]
) -> None:
    """stsenv may open 512 files (and not more: soft = hard limit), the other user holds
    1,100 connections; four fresh SDK sessions in a row get credentials, and stsenv's CPU
    time over the whole flood stays under a fifth of the time that passed."""
    caller = Caller(server_env, "s3Full", tmp_path, prefix=("prlimit", "--nofile=512:512"))
    flooder: subprocess.Popen[str] | None = None
    try:
        port = urlsplit(caller.ask("env")["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).port
        assert caller.ask("fresh-call")["ok"]
        flooder = subprocess.Popen(
            [
                "prlimit",
                "--nofile=4096:4096",
                *nobody,
                OTHER_PYTHON,
                "-c",
                FLOODER,
                str(port),
                str(HELD),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd="/",
        )
        assert flooder.stdout is not None
        assert int(flooder.stdout.readline()) >= HELD - 200
        cpu_before, wall_before = cpu_seconds(caller.process.pid), time.monotonic()
        calls = [caller.ask("fresh-call") for _ in range(4)]
        threading.Event().wait(5)  # the flood goes on, nobody else calls
        calls.append(caller.ask("fresh-call"))
        used = cpu_seconds(caller.process.pid) - cpu_before
        passed = time.monotonic() - wall_before
    finally:
        if flooder is not None:
            flooder.kill()
            flooder.wait()
        code = caller.finish() if caller.process.poll() is None else caller.process.returncode
    assert [call["ok"] for call in calls] == [True] * 5, calls
    assert used < passed / 5, f"stsenv used {used:.2f} s of CPU in {passed:.2f} s"
    assert code == 0, caller.stderr()


def test_the_soft_fd_limit_is_raised_for_stsenv_only(server_env: dict[str, str]) -> None:
    """stsenv raises its soft limit on open files to the hard one; CMD starts with the
    limit it was given."""
    script = "grep 'open files' /proc/$PPID/limits /proc/$$/limits"
    argv = ["prlimit", "--nofile=512:2048", *server_argv("s3Full", "sh", "-c", script)]
    done = subprocess.run(
        argv, env=server_env, capture_output=True, text=True, timeout=120, start_new_session=True
    )
    assert done.returncode == 0, done.stderr
    stsenv_line, cmd_line = done.stdout.splitlines()
    assert stsenv_line.split()[-3:-1] == ["2048", "2048"], stsenv_line
    assert cmd_line.split()[-3:-1] == ["512", "2048"], cmd_line
