"""moto's server, taught the one thing these tests need that it lacks: credentials from
sts:GetSessionToken that act as the IAM user whose key asked for them (as AWS's do).

moto answers GetSessionToken with one fixed example key that its own authorization then
refuses, so a vault profile's credential_process output (a GetSessionToken session) could
not be used by the AWS CLI against it. Here each GetSessionToken makes a fresh ASIA key
bound to the calling user's access key: a request signed with it is checked with that
user's policies, and stops working when that access key is deleted. Everything else is
moto as it is. Run as `python moto_sessions.py -H 127.0.0.1 -p PORT`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from typing import Any

from botocore.credentials import Credentials
from moto.core import responses as core_responses
from moto.iam import access_control
from moto.sts import responses as sts_responses

# session key id -> (the user's access key id, session secret, session token)
SESSIONS: dict[str, tuple[str, str, str]] = {}
_SIGNER = re.compile(r"Credential=([^/]+)/")


def get_session_token(self: Any) -> Any:
    duration = self._get_int_param("DurationSeconds", 43200)
    token = self.backend.get_session_token(duration=duration)
    found = _SIGNER.search(self.headers.get("Authorization", ""))
    caller = found.group(1) if found else ""
    caller = SESSIONS.get(caller, (caller, "", ""))[0]
    key_id = "ASIA" + secrets.token_hex(8).upper()
    secret, session = secrets.token_urlsafe(30), "FwoSESSION" + secrets.token_urlsafe(60)
    SESSIONS[key_id] = (caller, secret, session)
    log = os.environ.get("MOTO_SESSIONS_LOG")
    if log:  # which key asked, with which MFA code: a test counts the codes sent
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps([caller, self._get_param("TokenCode")]) + "\n")
    return core_responses.ActionResult(
        {
            "Credentials": {
                "AccessKeyId": key_id,
                "SecretAccessKey": secret,
                "SessionToken": session,
                "Expiration": token.expiration,
            }
        }
    )


_original_create = access_control.create_access_key


def create_access_key(
    account_id: str, partition: str, access_key_id: str, headers: dict[str, str]
) -> Any:
    session = SESSIONS.get(access_key_id)
    if session is None:
        return _original_create(account_id, partition, access_key_id, headers)
    user_key, secret, token = session
    if headers.get("X-Amz-Security-Token") != token:
        raise access_control.CreateAccessKeyFailure(reason="InvalidToken")
    plain = {k: v for k, v in headers.items() if k != "X-Amz-Security-Token"}
    user = access_control.IAMUserAccessKey(account_id, partition, user_key, plain)
    user._access_key_id, user._secret_access_key = access_key_id, secret
    session_credentials = Credentials(access_key_id, secret, token)
    user.create_credentials = lambda: session_credentials  # type: ignore[method-assign]
    return user


_original_get_access_key = core_responses.BaseResponse.get_access_key


def get_access_key(self: Any) -> str:
    found = _original_get_access_key(self)
    return SESSIONS.get(found, (found, "", ""))[0]


sts_responses.TokenResponse.get_session_token = get_session_token  # type: ignore[method-assign]
access_control.create_access_key = create_access_key
core_responses.BaseResponse.get_access_key = get_access_key  # type: ignore[method-assign]

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
