"""`stsenv refresh` in real bash, zsh and fish against the local STS: the active role is
assumed again with the options of its `use` (which the hook's wrapper hands over, since
the program runs with the baseline), and `clear` still returns to the baseline."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.local_aws import ACCOUNT, ROLE
from support.shells import SHELLS, InteractiveShell

from stsenv import use_args
from stsenv.errors import UsageError
from stsenv.model import UseRequest

StartShell = Callable[..., InteractiveShell]


def without_noise(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


@pytest.mark.parametrize("kind", SHELLS)
def test_refresh_assumes_the_same_role_again(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    baseline = without_noise(shell.environ())
    used = shell.run("stsenv use s3Full --duration 30m --session-name refresh-me")
    assert used.status == "0", used.output
    first = shell.environ()

    refreshed = shell.run("stsenv refresh")
    assert refreshed.status == "0", refreshed.output
    assert "stsenv: s3Full is active for" in refreshed.output
    second = shell.environ()
    assert second["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]  # a new session
    assert second["STSENV_ARN"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/refresh-me"
    assert second["STSENV_USE_ARGS"] == first["STSENV_USE_ARGS"]
    assert 25 * 60 < int(second["STSENV_EXPIRY"]) - time.time() <= 30 * 60  # still 30m
    assert "AWS_PROFILE" not in second  # the source came from the baseline's AWS_PROFILE

    assert shell.run("stsenv clear").status == "0"
    assert without_noise(shell.environ()) == baseline


@pytest.mark.parametrize("kind", SHELLS)
def test_refresh_without_a_role_changes_nothing(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    before = without_noise(shell.environ())
    failed = shell.run("stsenv refresh")
    assert failed.status == "1"
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", failed.output)  # terminal modes (fish)
    lines = [line for line in text.splitlines() if line.startswith("stsenv:")]
    assert lines == [
        "stsenv: no role started in this shell to refresh: start one with `stsenv use TARGET`"
    ]
    assert without_noise(shell.environ()) == before


def test_refresh_needs_the_hook(aws_env: dict[str, str]) -> None:
    from support.verbs import one_error_line, stsenv

    one_error_line(stsenv(aws_env, "refresh"), 5, "stsenv: `stsenv refresh` changes your shell")


# --- the encoding of the `use` arguments --------------------------------------------------

_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), min_size=1)


@given(
    target=_text,
    duration=st.none() | _text,
    profile=st.none() | _text,
    external_id=st.none() | _text,
)
def test_use_arguments_round_trip(
    target: str, duration: str | None, profile: str | None, external_id: str | None
) -> None:
    """Any values, dashes and quotes included, come back exactly; the MFA code never."""
    request = UseRequest(
        target,
        duration=duration,
        profile=profile,
        external_id=external_id,
        token_code="123456",
        refresh=False,
    )
    encoded = use_args.encode(request)
    assert "123456" not in encoded.replace(target, "").replace(str(duration), "").replace(
        str(profile), ""
    ).replace(str(external_id), "")
    values = use_args.decode(encoded)
    assert values["target"] == target and values["duration"] == duration
    assert values["profile"] == profile and values["external_id"] == external_id
    assert values["token_code"] is None and values["refresh"] is True


@pytest.mark.parametrize("text", ["", "{}", '["a", 1]', '["--bogus=1", "--", "x"]', "[]", "x"])
def test_a_damaged_value_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="STSENV_USE_ARGS does not hold"):
        use_args.decode(text)
