"""exec, export and credential-process inside a shell with an active role get their
credentials from the user's own source, exactly as a new shell would: here the source is
only the baseline's AWS_PROFILE, which the active role unset. Real bash, zsh and fish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]


@pytest.mark.parametrize("kind", SHELLS)
def test_exec_and_export_start_from_the_baseline_source(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    assert aws_env["AWS_PROFILE"] == "taro-prjZ"  # the only source: nothing else names taro
    shell = start_shell(kind, aws_env)
    used = shell.run("stsenv use s3FullforAssumeRole", timeout=60)
    assert used.status == "0", used.output
    assert "AWS_PROFILE" not in shell.environ()  # the role unset it, as the tutorial does

    ran = shell.run(
        "stsenv exec s3FullforAssumeRole --refresh -- aws sts get-caller-identity "
        "--query Arn --output text",
        timeout=60,
    )
    assert ran.status == "0", ran.output
    assert "assumed-role/s3FullforAssumeRole/" in ran.output
    exported = shell.run(
        "stsenv export s3FullforAssumeRole --refresh --format json --force", timeout=60
    )
    assert exported.status == "0" and '"AWS_SESSION_TOKEN"' in exported.output, exported.output
    # The shell itself still has its role, and the program saw the baseline only there.
    assert shell.environ()["STSENV_ROLE"] == "s3FullforAssumeRole"
