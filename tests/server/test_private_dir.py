"""The generated AWS files of `stsenv exec --server` stay private for their whole life: another
local user who may write to TMPDIR (world-writable, no sticky bit) cannot swap the folder
and plant a `credential_process` that the job's SDK would run as the user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.local_aws import ACCOUNT, ROLE

from server.support import run_server

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
OTHER_PYTHON = "/usr/bin/python3"  # one that uid 65534 may run (not under /root/.pyenv)
# The other user: swaps every stsenv folder it sees for one of its own, whose config runs its
# program; says what it swapped when stdin closes.
SWAPPER = r"""
import os, select, sys
shared, marker = sys.argv[1], sys.argv[2]
program = os.path.join(shared, "planted.sh")
with open(program, "w") as f:
    f.write(f"#!/bin/sh\nid -u > {marker}\n")
os.chmod(program, 0o755)
swapped = []
print("ready", flush=True)
while not select.select([sys.stdin], [], [], 0.001)[0]:
    for name in os.listdir(shared):
        if "stsenv" not in name or name.endswith("-theirs") or name in swapped:
            continue
        path = os.path.join(shared, name)
        try:
            os.rename(path, path + "-theirs")
            os.mkdir(path, 0o777)
            planted = f"[default]\ncredential_process = {program}\n"
            for file, text in (("config", planted), ("credentials", "")):
                with open(os.path.join(path, file), "w") as f:
                    f.write(text)
                os.chmod(os.path.join(path, file), 0o666)
            swapped.append(name)
        except OSError:
            pass
print(" ".join(swapped), flush=True)
"""
JOB = (
    "import boto3, threading\n"
    "threading.Event().wait(1.5)\n"  # the other user has all the time it needs
    "print(boto3.client('sts').get_caller_identity()['Arn'])\n"
)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A world-writable folder without the sticky bit, reachable by another user."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux) to act as another local user")
    if not os.access(OTHER_PYTHON, os.X_OK):
        pytest.skip(f"the other user runs {OTHER_PYTHON} (Debian's python3), which is missing")
    path = Path(tempfile.mkdtemp(prefix="shared-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_another_user_cannot_swap_the_folder(server_env: dict[str, str], shared: Path) -> None:
    marker = shared / "ran"
    argv = [*NOBODY, OTHER_PYTHON, "-c", SWAPPER, str(shared), str(marker)]
    swapper = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/"
    )
    assert swapper.stdin is not None and swapper.stdout is not None
    try:
        assert swapper.stdout.readline() == "ready\n"
        done = run_server(
            {**server_env, "TMPDIR": str(shared)}, "s3Full", sys.executable, "-c", JOB
        )
    finally:
        swapper.stdin.close()
        swapped = swapper.stdout.readline().split()
        swapper.wait(timeout=30)
    assert not marker.exists(), f"the other user's program ran as uid {marker.read_text()}"
    assert swapped == []
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/")


def test_an_unsafe_runtime_dir_is_not_used(
    server_env: dict[str, str], shared: Path, tmp_path: Path
) -> None:
    """XDG_RUNTIME_DIR is used only when it is the user's own 0700 folder."""
    program = "import json, os; print(json.dumps(os.environ['AWS_CONFIG_FILE']))"
    done = run_server(
        {**server_env, "XDG_RUNTIME_DIR": str(shared)}, "s3Full", sys.executable, "-c", program
    )
    assert done.returncode == 0, done.stderr
    assert not json.loads(done.stdout).startswith(str(shared))
    own = tmp_path / "run"
    own.mkdir(mode=0o700)
    done = run_server(
        {**server_env, "XDG_RUNTIME_DIR": str(own)}, "s3Full", sys.executable, "-c", program
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout).startswith(f"{own}/")
    assert list(own.iterdir()) == []


def test_no_private_folder_is_one_line(server_env: dict[str, str], shared: Path) -> None:
    """Neither XDG_RUNTIME_DIR nor the credential cache is private: refused before CMD runs
    (the cache's own warning comes first, as for any verb)."""
    cache = shared / "cache"
    cache.mkdir()
    os.chown(cache, 65534, 65534)
    env = {**server_env, "STSENV_CACHE_DIR": str(cache), "XDG_RUNTIME_DIR": str(shared)}
    done = run_server(env, "s3Full", "sh", "-c", f"touch {shared}/ran")
    assert done.returncode == 5 and done.stdout == "", done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("stsenv: no private folder for the command's AWS files"), last
    assert not (shared / "ran").exists()
