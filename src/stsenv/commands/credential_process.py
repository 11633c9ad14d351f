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

    if os.environ.get(IN_CREDENTIAL_PROCESS_VAR):
        raise UsageError(
            f"credential-process {target[:40]} was started by its own source profile: "
            "give it a source that does not run stsenv"
        )
    env = activation.source_env(os.environ)
    env[IN_CREDENTIAL_PROCESS_VAR] = "1"  # seen by a credential_process botocore starts
    role = aws.get_session(
        UseRequest(target, **options), env, settings, int(time.time()), terminal.ask
    )
    print(exports.credential_process(role.credentials))
    return 0


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
