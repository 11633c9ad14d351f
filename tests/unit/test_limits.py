"""AWS's value rules (stsenv.limits, and the MFA code and key id checks) take exactly what
AWS takes: no trailing newline slips through `$`, and no other script's digits or letters
through `\\d` and `\\w`. Such a value used to reach STS (or the keychain) instead of being
refused before any call."""

from __future__ import annotations

import pytest

from stsenv import limits
from stsenv.aws import mfa
from stsenv.errors import UsageError

ARN = "arn:aws:iam::123456789012:role/s3Full"


@pytest.mark.parametrize(
    ("pattern", "good"),
    [
        (limits.ROLE_ARN, ARN),
        (limits.ROLE_NAME, "s3FullforAssumeRole"),
        (limits.ACCOUNT_ID, "123456789012"),
        (limits.ACCOUNT_NAME, "prjZ-dev"),
        (limits.REGION, "ap-northeast-1"),
    ],
)
def test_a_trailing_newline_is_refused(pattern: object, good: str) -> None:
    import re

    assert isinstance(pattern, re.Pattern)
    assert pattern.match(good)
    for bad in (good + "\n", good + "\r\n"):
        assert not pattern.match(bad), repr(bad)


def test_other_scripts_digits_and_letters_are_refused() -> None:
    arabic_indic = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"
    assert not limits.ROLE_ARN.match(f"arn:aws:iam::{arabic_indic}:role/s3Full")
    assert not limits.ROLE_ARN.match("arn:aws:iam::123456789012:role/r\u00f4le")
    with pytest.raises(UsageError):
        limits.parse_duration("\u0661\u0665m")


@pytest.mark.parametrize("name", ["ab\n", "taro-session\n"])
def test_a_session_name_with_a_newline_is_refused(name: str) -> None:
    with pytest.raises(UsageError):
        limits.validate_session_name(name)


def test_an_mfa_code_is_six_ascii_digits() -> None:
    serial = "arn:aws:iam::123456789012:mfa/taro"
    assert mfa.ask_code(serial, "123456\n", lambda _: "") == "123456"  # typed, then Enter
    with pytest.raises(UsageError):
        mfa.ask_code(serial, "\u0661\u0662\u0663\u0664\u0665\u0666", lambda _: "")
