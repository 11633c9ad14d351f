"""`clear` (and the expiry) gives back what each managed variable *was*, not only its bytes,
and a managed name the shell cannot set is refused before anything changes (issue: trust,
second round, item 4).

Exported or not comes back exactly in all three shells, and in bash the integer, lowercase
and uppercase attributes too (which must not touch the role's values meanwhile: `-i` would
run them as arithmetic). A read-only name, an array, a bash name reference, a zsh typeset
attribute stop the wrapper with one `stsenv:` line, a non-zero status and an untouched
shell: no half-exported keys without a role, no segment, a `clear` that still works.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]

EXPIRED = "stsenv: role s3Full expired; its credentials were cleared"
REGION = "ap-northeast-1"  # the alias's region (tests/support/local_aws.py)

# (rc lines, names whose definition must come back exactly)
KEPT = {
    "bash": (
        "AWS_REGION=plain-unexported\n"
        "declare -i AWS_DEFAULT_REGION=7\n"
        "declare -l STSENV_ROLE=lower\n"
        "declare -ux STSENV_ARN=UPPER-EXPORTED",
        ["AWS_REGION", "AWS_DEFAULT_REGION", "STSENV_ROLE", "STSENV_ARN"],
    ),
    "zsh": (
        "AWS_REGION=plain-unexported\ntypeset -x STSENV_ARN=exported",
        ["AWS_REGION", "STSENV_ARN"],
    ),
    "fish": (
        "set -g AWS_REGION plain-unexported\nset -gx STSENV_ARN exported",
        ["AWS_REGION", "STSENV_ARN"],
    ),
}


def definitions(shell: InteractiveShell, names: list[str]) -> str:
    """How the shell itself describes the variables: value, type, attributes, export."""
    shell.reads += 1
    target = shell.workdir / f"defs-{shell.reads}"
    listed = " ".join(names)
    if shell.kind == "bash":
        shell.run(f"declare -p {listed} > {target} 2>&1")
    elif shell.kind == "zsh":
        shell.run(f"typeset -p {listed} > {target} 2>&1")
    else:
        shell.run(f"for n in {listed}; set -S $n; end > {target} 2>&1")
    return target.read_text()


def steady(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


@pytest.mark.parametrize("kind", SHELLS)
def test_clear_and_expiry_give_back_exported_or_not_and_attributes(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    rc, names = KEPT[kind]
    shell = start_shell(kind, aws_env, before_hook=rc, faketime=True)
    before_env = steady(shell.environ())
    before = definitions(shell, names)
    assert "AWS_REGION" not in before_env  # a plain shell variable
    for end in ("clear", "expiry"):
        shown = shell.run("stsenv use s3Full --duration 15m")
        assert shown.status == "0", shown.output
        active = shell.environ()
        # The role's values arrive as they are (no arithmetic, no case change).
        assert active["AWS_REGION"] == active["AWS_DEFAULT_REGION"] == REGION
        assert active["STSENV_ROLE"] == "s3Full"
        assert active["STSENV_ARN"].startswith("arn:aws:sts::")
        if end == "clear":
            assert shell.run("stsenv clear").status == "0"
        else:
            shell.set_clock(15 * 60 + 1)
            assert EXPIRED in shell.run("").output
            shell.set_clock(0)
        assert definitions(shell, names) == before, end
        assert steady(shell.environ()) == before_env, end


# (kind, rc line, the name it makes unsettable)
REFUSED = [
    ("bash", "readonly AWS_SECURITY_TOKEN=kept", "AWS_SECURITY_TOKEN"),
    ("bash", "AWS_REGION=(a b)", "AWS_REGION"),
    ("bash", "declare -A AWS_DEFAULT_REGION=([k]=v)", "AWS_DEFAULT_REGION"),
    ("bash", "declare -n AWS_SESSION_EXPIRATION=HOME", "AWS_SESSION_EXPIRATION"),
    ("zsh", "typeset -r AWS_REGION=kept", "AWS_REGION"),
    ("zsh", "AWS_DEFAULT_REGION=(a b)", "AWS_DEFAULT_REGION"),
    ("zsh", "typeset -A AWS_SESSION_EXPIRATION=(k v)", "AWS_SESSION_EXPIRATION"),
    ("zsh", "typeset -i AWS_SECURITY_TOKEN=3", "AWS_SECURITY_TOKEN"),
]


@pytest.mark.parametrize(("kind", "rc", "name"), REFUSED, ids=[r[1] for r in REFUSED])
def test_a_name_that_cannot_be_set_is_refused_before_anything_changes(
    kind: str, rc: str, name: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env, before_hook=rc)
    before_env = steady(shell.environ())
    before = definitions(shell, [name, "HOME"])
    shown = shell.run("stsenv use s3Full")
    assert shown.status not in ("0", ""), shown.output
    refusals = [line for line in shown.output.splitlines() if "nothing was changed" in line]
    assert len(refusals) == 1, shown.output
    line = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", refusals[0]).strip()
    assert line.startswith(f"stsenv: {name} "), line
    assert shown.line == ""  # no segment
    assert steady(shell.environ()) == before_env
    assert definitions(shell, [name, "HOME"]) == before
    assert shell.variable("STSENV_SEGMENT") is None
    # Nothing half-done to undo: clear works and changes nothing either.
    shown = shell.run("stsenv clear")
    assert shown.status == "0", shown.output
    assert steady(shell.environ()) == before_env
    assert definitions(shell, [name, "HOME"]) == before
