"""Item 4 of issue 5: a fault-injecting proxy between the real program and the moto server.

Connection refused, a hang past the read timeout, HTTP 500, throttling (400 Throttling and
429), a body cut short or truncated, a body that is not XML or empty, and real AssumeRole
answers with a field removed or an expiration in the past: bounded retries (botocore's
standard mode, 3 attempts), then one `stsenv:` line; nothing printed for the hook to eval,
nothing cached. (tests/aws/test_aws_standin.py checks the exact messages for a stand-in
STS in-process; here the whole program runs against moto's real answers.) Ctrl-C during a
slow `use` in a real shell leaves the shell exactly as it was.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.fault_proxy import FAULTS, FaultProxy
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]

ROLE_ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
STSENV = [sys.executable, "-m", "stsenv"]
# A body cut short reaches botocore's parser, which does not retry: one clean line, still.
RETRIED = {"http-500", "throttling-400", "too-many-429", "hang"}
ATTEMPTS = 3  # botocore standard retry mode, total_max_attempts in aws/assume.py


@pytest.fixture
def proxy(aws_env: dict[str, str]) -> Iterator[FaultProxy]:
    server = FaultProxy(aws_env["AWS_ENDPOINT_URL"])
    yield server
    server.close()


@pytest.fixture
def proxied_env(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    return {**aws_env, "AWS_ENDPOINT_URL": proxy.endpoint}


def use(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*STSENV, "use", *args],
        env={**env, "STSENV_SHELL": "bash"},
        capture_output=True,
        timeout=90,
        check=False,
    )


def failed_cleanly(result: subprocess.CompletedProcess[bytes], env: dict[str, str]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 4, err  # "AWS could not be reached" (README)
    assert result.stdout == b"", "nothing may reach the hook's eval"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stsenv: "), err
    cache = Path(env["STSENV_CACHE_DIR"])
    assert not list(cache.glob("session-*")), "a bad answer was cached"
    return lines[0]


def test_the_proxy_passes_good_answers_through(
    proxy: FaultProxy, proxied_env: dict[str, str]
) -> None:
    result = use(proxied_env, ROLE_ARN)
    assert result.returncode == 0, result.stderr
    assert b"AWS_SESSION_TOKEN=" in result.stdout
    assert proxy.assume_calls == 1


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "hang"])
def test_faults_fail_cleanly_after_bounded_retries(
    proxy: FaultProxy, proxied_env: dict[str, str], fault: str
) -> None:
    proxy.set_fault(fault)
    line = failed_cleanly(use(proxied_env, ROLE_ARN), proxied_env)
    assert proxy.assume_calls == (ATTEMPTS if fault in RETRIED else 1), line
    if fault in ("throttling-400", "too-many-429"):
        assert "throttling" in line
    # The next use, with the fault gone, works: nothing bad was remembered.
    proxy.set_fault(None)
    assert use(proxied_env, ROLE_ARN).returncode == 0


def test_connection_refused(aws_env: dict[str, str]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    line = failed_cleanly(use(env, ROLE_ARN), env)
    assert "could not be reached" in line


def test_a_hang_past_the_timeout(proxy: FaultProxy, proxied_env: dict[str, str]) -> None:
    proxy.set_fault("hang")
    line = failed_cleanly(use(proxied_env, ROLE_ARN), proxied_env)
    assert "timed out" in line
    assert proxy.assume_calls == ATTEMPTS


@pytest.mark.parametrize("kind", SHELLS)
def test_ctrl_c_during_a_slow_use_changes_nothing(
    kind: str, start_shell: StartShell, proxy: FaultProxy, proxied_env: dict[str, str]
) -> None:
    shell = start_shell(kind, proxied_env)
    assert shell.run(f"stsenv use {ROLE_ARN} --duration 30m").status == "0"
    before = {k: v for k, v in shell.environ().items() if k != "_"}
    line_before = shell.run("").line
    assert line_before.startswith("[s3FullforAssumeRole ")

    proxy.set_fault("hang")
    shell.child.sendline(f"stsenv use {ROLE_ARN} --refresh")
    assert proxy.calls_seen.wait(30), "the program never reached the proxy"
    shell.child.sendcontrol("c")
    interrupted = shell.expect_prompt()
    assert interrupted.status != "0"
    assert "Traceback" not in interrupted.output
    assert interrupted.line.startswith("[s3FullforAssumeRole ")  # the role is still shown
    proxy.release.set()
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before
    assert not list(Path(proxied_env["STSENV_CACHE_DIR"]).glob(".tmp-*"))
