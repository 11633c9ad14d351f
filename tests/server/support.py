"""Helpers for the tests of `stsenv exec --server`: how to start it, the boto3 caller it runs,
the local world's count of AssumeRole calls, a ~/.aws whose [default] has keys, a fake clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

from support.emulator import VENV_BIN
from support.local_aws import LocalAws

HERE = Path(__file__).resolve().parent
DRIVE = HERE / "drive.py"
CALLER = HERE / "caller.py"
STSENV = str(Path(VENV_BIN) / "stsenv")


def server_argv(
    target: str, *command: str, duration: str | None = None, port: int | None = None
) -> list[str]:
    """`stsenv exec --server TARGET [--duration D] -- CMD...`, the real program. With a
    port (the CLI has no option for it), tests/server/drive.py, which builds `first` and
    `renew` as commands/exec.py does and calls the runner with that port."""
    options = ["--duration", duration] if duration else []
    if port is not None:
        return [sys.executable, str(DRIVE), target, *options, "--port", str(port), "--", *command]
    return [STSENV, "exec", "--server", target, *options, "--", *command]


def run_server(
    env: dict[str, str],
    target: str,
    *command: str,
    duration: str | None = None,
    port: int | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        server_argv(target, *command, duration=duration, port=port),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


class Caller:
    """`stsenv exec --server TARGET -- python caller.py`, driven line by line."""

    def __init__(
        self,
        env: dict[str, str],
        target: str,
        tmp: Path,
        duration: str | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.stderr_path = tmp / f"server-stderr-{os.urandom(3).hex()}"
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in finish()
        self.process = subprocess.Popen(
            [*prefix, *server_argv(target, sys.executable, str(CALLER), duration=duration)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )

    def ask(self, line: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the caller died: {self.stderr()}"
        return json.loads(answer)

    def finish(self, status: int = 0) -> int:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(f"exit {status}\n")
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        code = self.process.wait(timeout=60)
        self._stderr.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()

    def wait_for_line(self, start: str) -> None:
        """Until stsenv's stderr has a line starting with `start` (it comes from a thread)."""
        pause = threading.Event()
        for _ in range(1200):
            if any(line.startswith(start) for line in self.stderr().splitlines()):
                return
            pause.wait(0.1)
        raise AssertionError(f"no line {start!r} in {self.stderr()!r}")

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()


def assume_role_count(world: LocalAws) -> int:
    """AssumeRole calls the world has answered (moto keeps one AssumedRole per call)."""
    with urllib.request.urlopen(f"{world.endpoint}/moto-api/data.json", timeout=30) as f:  # noqa: S310
        data = json.load(f)
    return len(data.get("sts", {}).get("AssumedRole", []))


def with_default_keys(env: dict[str, str], world: LocalAws) -> dict[str, str]:
    """The world's AWS files moved to ~/.aws, plus a [default] profile holding taro's keys in
    ~/.aws/credentials: botocore, the AWS CLI and the JS SDK all prefer it to a container
    endpoint, so a command that acts as the role proves the role beat it."""
    aws = Path(env["HOME"]) / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    key, secret = world.keys["taro"]
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n"
        + world.credentials_file.read_text()
    )
    (aws / "config").write_text(
        "[default]\nregion = us-west-2\noutput = json\ncli_pager =\n\n"
        + world.config_file.read_text()
    )
    (aws / "credentials").chmod(0o600)
    moved = {
        k: v for k, v in env.items() if k not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    }
    return moved


class FakeClock:
    """libfaketime for a whole process tree (and the moto server it talks to): every process
    started with env() reads the offset from one file, re-read on every clock call, so a
    test moves the clock of running processes by writing it."""

    def __init__(self, path: Path, lib: str) -> None:
        self.path = path
        self.lib = lib
        self.offset = 0
        self.path.write_text("+0\n")

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": self.lib,
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            # A faked monotonic clock makes every timed wait of CPython hang (the kernel
            # waits for a fake absolute time); the wall clock is what expiry is about.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "PYTHONPATH": str(HERE / "faketime_site"),  # time.sleep that works under it
        }

    def move(self, seconds: int) -> None:
        self.offset += seconds
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"+{self.offset}\n")
        tmp.replace(self.path)  # never a half-written file for a reader


def one_error_line(done: subprocess.CompletedProcess[str], status: int, start: str) -> None:
    """The house rule for errors: one `stsenv:` line, the status, nothing on stdout."""
    assert (done.returncode, done.stdout) == (status, ""), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr


def alive(pid: int) -> bool:
    """Running or stopped, not a zombie (PID 1 in a container may never reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def gone(pid: int) -> bool:
    """Whether `pid` is gone within a few seconds (it is killed asynchronously)."""
    pause = threading.Event()
    for _ in range(100):
        if not alive(pid):
            return True
        pause.wait(0.1)
    return False
