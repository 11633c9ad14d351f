"""Items 1 and 2 of issue 5, proven with generated input in real interactive shells.

One pty shell per kind is reused across all examples. Each example draws a baseline (every
managed variable set to hostile text, set to empty, or unset) and two roles whose every
value is hostile (credentials, display name, assumed-role ARN with its session name,
region, the target as typed, which comes back in STSENV_USE_ARGS). The real program prints
them as shell code from its cache (planted for the shell's exact environment), through the
real hook:

    baseline -> use a -> use b -> clear | expiry (libfaketime)

After each step the environment is read back by a program (`env -0`) and compared byte for
byte; the prompt must show the role name as text; no injected command may have run.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.shells import SHELLS, InteractiveShell
from support.trust import (
    CANARY,
    baseline_script,
    fish_quote,
    hostile_text,
    plant_session,
    printable_name,
    rfc3339,
)

StartShell = Callable[..., InteractiveShell]

EXAMPLES_PER_SHELL = 50
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION")
# Managed names that may hold anything in a user's baseline. STSENV_EXPIRY and STSENV_VARS
# set to text mean "a role inherited from the parent shell" (another protocol, tested in
# tests/shells): here they are only ever empty or unset.
FREE_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    *CLEARED,
    "STSENV_ROLE",
    "STSENV_ARN",
    "STSENV_STAMP",
)
baselines = st.fixed_dictionaries(
    {
        **{name: st.one_of(st.none(), st.just(""), hostile_text) for name in FREE_NAMES},
        "STSENV_EXPIRY": st.sampled_from([None, ""]),
        "STSENV_VARS": st.sampled_from([None, ""]),
    }
)
roles = st.fixed_dictionaries(
    {
        # What the prompt shows is the target as typed (checked printable) or derived from it.
        "display_name": printable_name,
        "key": hostile_text,
        "secret": hostile_text,
        "token": hostile_text,
        # the session name reaches the shell inside the assumed-role ARN
        "arn": hostile_text.map(lambda s: f"arn:aws:sts::123456789012:assumed-role/r/{s}"),
        "region": st.one_of(st.none(), hostile_text),
    }
)
ZSH_HOSTILE_OPTIONS = "setopt prompt_subst prompt_bang glob_subst"  # every expansion on


def without_volatile(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


def expected_with_role(
    before: dict[str, str], role: dict[str, str | None], expiry: int, stamp_dir: str
) -> dict[str, str]:
    """The shell's environment with `role` active on top of the baseline `before`
    (STSENV_VARS is compared on its own: it is a list of names)."""
    expected = {k: v for k, v in before.items() if k not in (*CLEARED, "STSENV_VARS")}
    expected.update(
        {
            "AWS_ACCESS_KEY_ID": str(role["key"]),
            "AWS_SECRET_ACCESS_KEY": str(role["secret"]),
            "AWS_SESSION_TOKEN": str(role["token"]),
            "AWS_CREDENTIAL_EXPIRATION": rfc3339(expiry),
            "STSENV_ROLE": str(role["display_name"]),
            "STSENV_ARN": str(role["arn"]),
            "STSENV_EXPIRY": str(expiry),
            "STSENV_STAMP": f"{stamp_dir}/{expiry}",
        }
    )
    if role["region"]:
        expected["AWS_REGION"] = expected["AWS_DEFAULT_REGION"] = str(role["region"])
    return expected


@pytest.mark.parametrize("kind", SHELLS)
def test_values_and_baselines_round_trip_through_the_hook(
    kind: str, start_shell: StartShell, tmp_path: Path
) -> None:
    env = {
        "STSENV_CONFIG": str(tmp_path / "no-config.toml"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    options = ZSH_HOSTILE_OPTIONS if kind == "zsh" else ""
    shell = start_shell(kind, env, faketime=True, before_hook=options)
    stamp_dir = str(shell.home / ".cache/stsenv/stamps")
    canary = shell.home / CANARY
    original_ps1 = shell.variable("PS1") if kind != "fish" else None
    counter = iter(range(10**6))

    def use(target: str, role: dict[str, str | None], before: dict[str, str]) -> int:
        expiry = int(time.time()) + 3600
        plant_session(before, target, expiration=expiry, **role)  # type: ignore[arg-type]
        typed = fish_quote(target) if kind == "fish" else shlex.quote(target)
        shown = shell.run(f"stsenv use -- {typed}")
        assert shown.status == "0", shown.output
        assert not canary.exists(), "a value ran a command"
        after = without_volatile(shell.environ())
        names = set(after.pop("STSENV_VARS").split(" "))
        expected = expected_with_role(before, role, expiry, stamp_dir)
        assert names >= {*expected, "STSENV_VARS", *CLEARED} - set(before)
        # Other state of the program's own (STSENV_*, listed in STSENV_VARS) may be added.
        extra = set(after) - set(expected)
        assert all(n.startswith("STSENV_") and n in names for n in extra), extra
        assert {k: after.get(k) for k in expected} == expected
        if "STSENV_USE_ARGS" in after:  # the `use` arguments, a JSON list (shell/README.md)
            assert target in json.loads(after["STSENV_USE_ARGS"])
        # The prompt shows the name as text: nothing expanded, nothing run.
        assert shown.line in (f"[{role['display_name']} {m}m] " for m in (59, 60)), shown.line
        return expiry

    @settings(
        max_examples=EXAMPLES_PER_SHELL,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        baseline=baselines,
        role_a=roles,
        role_b=roles,
        targets=st.tuples(printable_name, printable_name),  # as typed: printable
        by_expiry=st.booleans(),
    )
    def check(
        baseline: dict[str, str | None],
        role_a: dict[str, str | None],
        role_b: dict[str, str | None],
        targets: tuple[str, str],
        by_expiry: bool,
    ) -> None:
        script = baseline_script(kind, baseline, tmp_path / f"baseline-{next(counter)}")
        shell.run(f"__stsenv_restore; source {script}")  # a failed example leaves no role
        before = without_volatile(shell.environ())
        for name, value in baseline.items():
            assert before.get(name) == value, name  # unset and empty stay distinct

        use(targets[0], role_a, before)
        use(targets[1], role_b, before)  # switching keeps the first baseline

        if by_expiry:
            shell.set_clock(3600 + 5)
            try:
                shown = shell.run("")
            finally:
                shell.set_clock(0)
            expired = f"stsenv: role {role_b['display_name']} expired; its credentials were cleared"
            assert shown.output.count(expired) == 1, shown.output
        else:
            shown = shell.run("stsenv clear")
            assert shown.status == "0", shown.output
        assert shown.line == ""
        assert without_volatile(shell.environ()) == before
        assert shell.variable("STSENV_SEGMENT") is None
        if original_ps1 is not None:
            assert shell.variable("PS1") == original_ps1
        assert not canary.exists(), "a value ran a command"

    check()
