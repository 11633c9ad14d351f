"""`stsenv credential-process TARGET`: the JSON an AWS profile's credential_process reads.

The AWS SDKs run this whenever their cached credentials near their expiry; the cache
answers until the session has less than 5 minutes (and 10 %) left."""

from __future__ import annotations

import os
import time

from stsenv import activation, exports, terminal
from stsenv.errors import UsageError
from stsenv.model import UseRequest
from stsenv.settings import IN_CREDENTIAL_PROCESS_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


def credential_process(
    settings: Settings,
    target: str,
    vault: bool = False,
    long_term: bool = False,
    **options: Any,
) -> int:
    from stsenv import aws

    if long_term:
        if not vault:
            raise UsageError("--long-term is for a vault profile's line: add --vault")
        return _long_term(target)

    # A loop is a credential_process that runs stsenv, started by botocore inside stsenv's
    # own credential-process. A `--vault` line is not one: it reads the keychain and calls
    # STS itself, never a source's credential_process (a chain role -> role -> vault
    # profile starts it that way).
    if os.environ.get(IN_CREDENTIAL_PROCESS_VAR) and not vault:
        raise UsageError(
            f"credential-process {target[:40]} was started by its own source profile: "
            "give it a source that does not run stsenv"
        )
    env = activation.source_env(os.environ)
    if vault and not _has_vault_line(target, env):
        raise UsageError(
            f"AWS profile {target[:40]!r} is not a vault profile (no `credential-process "
            f"--vault {target[:40]}` line in the AWS config): store its key with "
            f"`stsenv keys add {target[:40]}`"
        )
    env[IN_CREDENTIAL_PROCESS_VAR] = "1"  # seen by a credential_process botocore starts
    role = aws.get_session(
        UseRequest(target, **options), env, settings, int(time.time()), terminal.ask
    )
    print(exports.credential_process(role.credentials))
    return 0


def _has_vault_line(profile: str, env: dict[str, str]) -> bool:
    """Whether a line of the AWS files could be the profile's vault line (both words on
    one line): a plain look, no parsing, as this runs before every AWS CLI command; what
    the line belongs to is botocore's business after a cache miss."""
    from stsenv.settings import aws_config_paths

    for path in aws_config_paths(env):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if "--vault" in line:
                        words = line.split()
                        if "--vault" in words and profile in words:
                            return True
        except OSError:
            continue
    return False


def _long_term(profile: str) -> int:
    """The key itself, for a profile that opted in (`--long-term` in its line): tools that
    must call IAM without MFA. Read from the keychain each time; never cached."""
    import json

    from stsenv.aws import vault

    key = vault.require(vault.check_profile(profile))
    print(
        json.dumps(
            {
                "Version": 1,
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": key.secret_access_key,
            }
        )
    )
    return 0
