"""Issue 16 item 10: one line, not two, when a shell refuses a role. The "is active for" line
is printed by the shell once it has made the change, so with `readonly AWS_REGION` a
`use --region` shows only the refusal; a role that starts shows the line once; and the
sign-in prompt of `use --login` is on the terminal while it waits."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.identity_center import IdentityCenter
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def stsenv_lines(output: str) -> list[str]:
    text = ANSI.sub("", output).replace("\r", "")
    return [line.strip() for line in text.splitlines() if line.strip().startswith("stsenv: ")]


READ_ONLY = {"bash": "readonly AWS_REGION=us-west-2", "zsh": "typeset -r AWS_REGION=us-west-2"}


@pytest.mark.parametrize("kind", sorted(READ_ONLY))
def test_a_refused_role_is_one_line(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env, before_hook=READ_ONLY[kind])
    shown = shell.run("stsenv use s3Full --region eu-west-1")
    assert shown.status not in ("0", ""), shown.output
    assert stsenv_lines(shown.output) == [
        "stsenv: AWS_REGION is read-only in this shell: the role is not started, nothing was "
        "changed"
    ], shown.output
    assert shown.segment is None and shell.variable("STSENV_ROLE") is None


@pytest.mark.parametrize("kind", SHELLS)
def test_a_started_role_says_so_once_after_the_change(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    shown = shell.run("stsenv use s3Full --region eu-west-1")
    assert shown.status == "0", shown.output
    (line,) = stsenv_lines(shown.output)
    assert re.fullmatch(r"stsenv: s3Full is active for (59|60)m, until \d\d:\d\d UTC", line)
    assert shown.segment is not None and shell.variable("AWS_REGION") == "eu-west-1"
    quiet = shell.run("stsenv use s3Full --quiet")
    assert quiet.status == "0" and stsenv_lines(quiet.output) == [], quiet.output


@pytest.mark.parametrize("kind", SHELLS)
def test_use_login_shows_the_sign_in_while_it_waits(
    kind: str, start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    shell = start_shell(kind, sso_env)
    shell.child.sendline("stsenv use --login dev-admin")
    shell.child.expect(r"confirm the code ([A-Z]{4}-[A-Z]{4})", timeout=60)  # still waiting
    assert center.pending_user_codes() == [shell.child.match.group(1)]
    center.approve(shell.child.match.group(1))
    shown = shell.expect_prompt(timeout=60)
    assert shown.status == "0", shown.output
    active = [line for line in stsenv_lines(shown.output) if "is active for" in line]
    assert len(active) == 1 and active[0].startswith("stsenv: dev-admin is active for ")
