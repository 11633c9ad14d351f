"""`stsenv roles` (no network: the stand-in STS counts every call) and the picker that
`stsenv use` without TARGET offers on the terminal, in real bash, zsh and fish."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.emulator import StandIn, assume_role_answer
from support.shells import SHELLS, InteractiveShell
from support.verbs import one_error_line, stsenv

from stsenv import spec

StartShell = Callable[..., InteractiveShell]
PICK = r"empty to cancel\)> "


def without_noise(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


def test_roles_lists_aliases_and_profiles_without_a_network_call(
    standin: StandIn, standin_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "stsenv.toml"
    config.write_text(
        '[roles.fast]\nrole_arn = "arn:aws:iam::123456789012:role/standin"\nduration = "45m"\n'
    )
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(
        "[profile viaprofile]\nrole_arn = arn:aws:iam::123456789012:role/other\n"
        "credential_source = Environment\nduration_seconds = 7200\n"
        "[profile plain]\nregion = eu-west-1\n"
    )
    env = {**standin_env, "STSENV_CONFIG": str(config), "AWS_CONFIG_FILE": str(aws_config)}
    expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1800))
    standin.script("AssumeRole", assume_role_answer(expiry))
    assert stsenv(env, "credential-process", "fast").returncode == 0  # now cached
    assert standin.actions == ["AssumeRole"]

    listed = stsenv(env, "roles", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"fast", "viaprofile"}  # `plain` has no role_arn
    assert rows["fast"]["kind"] == "alias" and rows["fast"]["duration"] == 45 * 60
    assert 28 <= rows["fast"]["minutes_left"] <= 30 and rows["fast"]["active"] is False
    assert rows["viaprofile"] == {
        "name": "viaprofile",
        "kind": "profile",
        "role": "arn:aws:iam::123456789012:role/other",
        "source": "credential_source Environment",
        "duration": 7200,
        "active": False,
        "minutes_left": None,
    }
    text = stsenv(env, "roles").stdout.splitlines()
    assert text[0].split() == ["NAME", "KIND", "ROLE", "SOURCE", "DURATION", "SESSION"]
    assert text[1].split()[:2] == ["fast", "alias"] and text[1].endswith("m left")
    assert standin.actions == ["AssumeRole"]  # listing called nobody


def test_roles_with_none_configured(standin_env: dict[str, str]) -> None:
    one_error_line(stsenv(standin_env, "roles"), 1, "stsenv: no roles configured: add a [roles")
    assert json.loads(stsenv(standin_env, "roles", "--json").stdout) == []


def test_use_without_target_and_without_a_terminal_lists_targets(aws_env: dict[str, str]) -> None:
    assert spec.parse_fast(spec.BY_NAME["use"], [])  # reaches the handler, not a usage error
    done = stsenv({**aws_env, "STSENV_SHELL": "bash"}, "use")
    # Every profile is a target now, the key profiles of the world too.
    one_error_line(
        done,
        2,
        "stsenv: give a target: `stsenv use TARGET` (configured: s3Full, "
        "admin, hanako-prjZ, s3full, taro-prjZ)",
    )


@pytest.mark.parametrize("kind", SHELLS)
def test_the_picker_filters_and_numbers(
    kind: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    shell = start_shell(kind, aws_env)
    before = shell.environ()
    shell.child.sendline("stsenv use")
    shell.child.expect(PICK)
    assert "1) s3Full  (alias: s3FullforAssumeRole; -)" in shell.child.before
    shell.child.sendline("")  # cancel
    cancelled = shell.expect_prompt()
    assert cancelled.status == "1" and "no role chosen" in cancelled.output
    assert without_noise(shell.environ()) == without_noise(before)

    shell.child.sendline("stsenv use --duration 30m")
    shell.child.expect(PICK)
    shell.child.sendline("FULL")  # matches both, case-insensitively: numbered again
    shell.child.expect(PICK)
    shell.child.sendline("2")
    used = shell.expect_prompt()
    assert used.status == "0", used.output
    assert "stsenv: s3full is active for" in used.output
    active = shell.environ()
    assert active["STSENV_ROLE"] == "s3full" and active["AWS_SESSION_TOKEN"]
    assert "AWS_ACCESS_KEY_ID=" not in used.output  # stdout went to the hook, not the screen

    listing = tmp_path / f"roles-{kind}.json"
    shell.run(f"stsenv roles --json > {listing}")
    rows = {row["name"]: row for row in json.loads(listing.read_text())}
    assert rows["s3full"]["active"] is True and 28 <= rows["s3full"]["minutes_left"] <= 30
