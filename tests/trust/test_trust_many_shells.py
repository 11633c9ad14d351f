"""Item 5 of issue 5: many shells at once, a clear racing an expiry, and cache files that
someone else broke, through the real program and hook against the moto server."""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]

ROLE_ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
CONCURRENT_SHELLS = 20
# (arguments of `use`, the role name the prompt shows)
TARGETS = [
    (["s3Full"], "s3Full"),  # stsenv alias
    (["s3full"], "s3full"),  # AWS profile with role_arn
    ([ROLE_ARN], "s3FullforAssumeRole"),
    (["s3ExternalRole", "--external-id", "prjZ-external"], "s3ExternalRole"),
]
STSENV = [sys.executable, "-m", "stsenv"]


def check_cache_files(cache: Path) -> list[dict[str, object]]:
    """Every file whole (valid JSON), private, ours; no temporary file left behind."""
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    found = []
    for path in cache.iterdir():
        if path.is_dir():
            continue
        assert not path.name.startswith(".tmp-"), f"leftover {path.name}"
        st = path.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600, path
        assert st.st_uid == os.geteuid()
        if path.name == "CACHEDIR.TAG":  # the cache's marker (Cache Directory Tagging spec)
            assert path.read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
            continue
        found.append(json.loads(path.read_text()))
    return found


def test_twenty_shells_use_roles_at_once(
    aws_world: object, aws_env: dict[str, str], tmp_path: Path
) -> None:
    def one_shell(number: int) -> dict[str, str]:
        args, _ = TARGETS[number % len(TARGETS)]
        out = tmp_path / f"env-{number}"
        quoted = " ".join(f"'{a}'" for a in args)
        script = (
            f'eval "$(stsenv hook bash)"\nstsenv use {quoted} || exit $?\n/usr/bin/env -0 > {out}\n'
        )
        result = subprocess.run(
            ["bash", "-c", script], env=aws_env, capture_output=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        data = out.read_bytes().decode()
        return dict(item.split("=", 1) for item in data.split("\0") if item)

    for wave in ("cold", "cached"):  # racing writers, then racing readers and writers
        with ThreadPoolExecutor(CONCURRENT_SHELLS) as pool:
            environs = list(pool.map(one_shell, range(CONCURRENT_SHELLS)))
        files = check_cache_files(Path(aws_env["STSENV_CACHE_DIR"]))
        assert len([f for f in files if "session_token" in f]) == len(TARGETS), wave
        for number, environ in enumerate(environs):
            _, shown = TARGETS[number % len(TARGETS)]
            assert environ["STSENV_ROLE"] == shown
            expiry = int(environ["STSENV_EXPIRY"])
            assert (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
                == environ["AWS_CREDENTIAL_EXPIRATION"]
            )
            # One whole credential set: the three parts belong together (moto says who).
            sts = aws_world.client("sts")  # type: ignore[attr-defined]
            import boto3

            who = boto3.client(
                "sts",
                endpoint_url=sts.meta.endpoint_url,
                region_name="ap-northeast-1",
                aws_access_key_id=environ["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=environ["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=environ["AWS_SESSION_TOKEN"],
            ).get_caller_identity()
            assert who["Arn"] == environ["STSENV_ARN"]


@pytest.mark.parametrize("kind", SHELLS)
def test_clear_racing_an_expiry(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env, faketime=True)
    before = {k: v for k, v in shell.environ().items() if k != "_"}
    expired = "stsenv: role s3Full expired; its credentials were cleared"
    # The clock passes the expiry while `clear` is being typed: no prompt in between.
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    shell.set_clock(15 * 60 + 1)
    shown = shell.run("stsenv clear")
    assert shown.status == "0" and shown.line == ""
    assert shown.output.count(expired) <= 1
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before
    assert expired not in shell.run("").output
    # The other order: the prompt clears at expiry, then the user's clear finds nothing.
    shell.set_clock(0)
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    shell.set_clock(15 * 60 + 1)
    assert shell.run("").output.count(expired) == 1
    shown = shell.run("stsenv clear")
    assert shown.status == "0" and shown.line == "" and "stsenv: " not in shown.output
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before


def break_file(path: Path, how: str) -> None:
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:37])
    elif how == "garbage":
        path.write_bytes(os.urandom(300))
    elif how == "world-writable":
        path.chmod(0o666)
    elif how == "foreign-owner":
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


@pytest.mark.parametrize("how", ["truncated", "garbage", "world-writable", "foreign-owner"])
def test_broken_cache_file_is_ignored_once_and_replaced(aws_env: dict[str, str], how: str) -> None:
    def use() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*STSENV, "use", "s3Full"],
            # (quiet: the code's "is active for Nm" line would differ from minute to minute)
            env={**aws_env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    first = use()
    assert first.returncode == 0, first.stderr
    cache = Path(aws_env["STSENV_CACHE_DIR"])
    [session_file] = cache.glob("session-*.json")
    break_file(session_file, how)

    second = use()
    assert second.returncode == 0, second.stderr
    warnings = [line for line in second.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith("stsenv: warning: ignoring cache file")
    assert "AWS_SESSION_TOKEN=" in second.stdout
    check_cache_files(cache)  # replaced: whole, 0600, ours again
    assert first.stdout != second.stdout  # assumed anew, not taken from the broken file

    third = use()  # and trusted again, silently
    assert third.returncode == 0 and "warning" not in third.stderr
    assert third.stdout == second.stdout
