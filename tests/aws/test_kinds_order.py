"""A profile that holds two ways to credentials is the kind botocore makes of it: its
providers run in a fixed order (web identity, IAM Identity Center, the credentials file's
keys, a console session, credential_process, the config file's keys), and
stsenv.aws.kinds.profile_kind follows it. Each mix is asked of botocore itself: the first
provider that answers (or fails: it was chosen) names the kind. No network call."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import botocore.session
import pytest

from stsenv.aws import kinds
from stsenv.aws.source import botocore_sees

ANSWER = json.dumps({"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "s"})
SSO = "sso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
KEYS = "aws_access_key_id = AKIAKEYS\naws_secret_access_key = s\n"
VAULT = "credential_process = stsenv credential-process --vault {name}\n"

# (profile in the config, the same profile in the credentials file, the kind botocore picks)
MIXES = {
    "sso-and-process": (SSO + "credential_process = {process}\n", "", kinds.SSO),
    "keys-and-login": ("login_session = arn:aws:iam::0:user/u\n", KEYS, kinds.KEYS),
    "login-and-process": (
        "login_session = arn:aws:iam::0:user/u\ncredential_process = {process}\n",
        "",
        kinds.LOGIN,
    ),
    "keys-and-process": ("credential_process = {process}\n", KEYS, kinds.KEYS),
    "keys-and-vault-line": (VAULT, KEYS, kinds.KEYS),
    "process-only": ("credential_process = {process}\n", "", kinds.BOTOCORE),
}
# botocore's provider METHOD -> stsenv's kind
METHODS = {
    "sso": kinds.SSO,
    "shared-credentials-file": kinds.KEYS,
    "login": kinds.LOGIN,
    "custom-process": kinds.BOTOCORE,
    "config-file": kinds.KEYS,
}


def botocore_kind(name: str, env: dict[str, str]) -> str:
    with botocore_sees(env):
        session = botocore.session.Session(profile=name)
        resolver = session.get_component("credential_provider")
        for provider in resolver.providers:
            if provider.METHOD in ("env", "assume-role", "assume-role-with-web-identity"):
                continue
            try:
                found = provider.load()
            except Exception:  # the provider took the profile and failed: it was chosen
                return METHODS[provider.METHOD]
            if found is not None:
                return METHODS[provider.METHOD]
    raise AssertionError(f"botocore found no provider for {name}")


@pytest.mark.parametrize("name", sorted(MIXES))
def test_a_mixed_profile_is_what_botocore_makes_of_it(name: str, tmp_path: Path) -> None:
    in_config, in_credentials, expected = MIXES[name]
    process = f"{sys.executable} -c 'print(open(\"{tmp_path}/answer\").read())'"
    (tmp_path / "answer").write_text(ANSWER)
    config = tmp_path / "config"
    config.write_text(
        f"[profile {name}]\n{in_config.format(process=process, name=name)}"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[{name}]\n{in_credentials}" if in_credentials else "")
    env = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path / "login"),
    }
    assert botocore_kind(name, env) == expected  # the test's own premise
    with botocore_sees(env):
        merged = botocore.session.Session().full_config["profiles"][name]
    assert kinds.profile_kind(merged) == expected
