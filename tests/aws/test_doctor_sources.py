"""doctor asks about every alias's source with the AWS files parsed once (one botocore session,
its profile set in turn): each answer is the one a fresh botocore session gives for that
profile alone, for every kind of source and for the default chain (AWS_PROFILE)."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from botocore import exceptions as bx

from stsenv.aws import checks
from stsenv.aws.source import botocore_sees

CONFIG = """\
[default]
region = us-east-1
[profile cfgkeys]
aws_access_key_id = AKIACONFIGKEYS
aws_secret_access_key = x
[profile role]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = credkeys
[profile envrole]
role_arn = arn:aws:iam::123456789012:role/r
credential_source = Environment
[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
[profile process]
credential_process = /nonexistent/vault --x
[profile settings]
region = eu-west-1
[profile partial]
aws_access_key_id = AKIAPARTIAL
"""
CREDENTIALS = """\
[credkeys]
aws_access_key_id = AKIACREDKEYS
aws_secret_access_key = x
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = x
"""
SOURCES: list[str | None] = [
    None,
    "cfgkeys",
    "credkeys",
    "role",
    "envrole",
    "sso",
    "process",
    "settings",
    "partial",
    "missing",
]
_CALLS_OUT = ("custom-process", "container-role", "iam-role")


def one_at_a_time(profile: str | None, env: dict[str, str]) -> str:
    """What a fresh botocore session says about this profile alone (doctor's former way)."""
    with botocore_sees(env):
        session = botocore.session.Session(profile=profile)
        try:
            if session.get_scoped_config().get("credential_process"):
                return "credential_process (not run by doctor)"
            resolver = session.get_component("credential_provider")
            for name in _CALLS_OUT:
                resolver.remove(name)
            found = session.get_credentials()
        except bx.ProfileNotFound:
            return "error: does not exist"
        except bx.BotoCoreError as e:
            return f"error: {type(e).__name__}"
        return "error: none" if found is None else str(found.method)


def shared(answer: object) -> str:
    if isinstance(answer, str):
        return answer
    text = str(answer)
    if "does not exist" in text:
        return "error: does not exist"
    if "has no credentials" in text:
        return "error: none"
    return f"error: {text}"


@pytest.mark.parametrize("aws_profile", [None, "cfgkeys"])
def test_each_source_answered_as_botocore_answers_it_alone(
    aws_profile: str | None, tmp_path: Path
) -> None:
    (tmp_path / "config").write_text(CONFIG)
    (tmp_path / "credentials").write_text(CREDENTIALS)
    env = {
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAENV",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    if aws_profile:
        env["AWS_PROFILE"] = aws_profile
    found = checks.credentials_methods(SOURCES, env)
    for source in SOURCES:
        alone = one_at_a_time(source, env)
        got = shared(found[source])
        if alone.startswith("error: ") and alone not in ("error: none", "error: does not exist"):
            assert got.startswith("error: "), (source, got, alone)
        else:
            assert got == alone, source
