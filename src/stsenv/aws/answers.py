"""The one check of an STS answer, before anything is exported or cached: every field
present, and an expiry still in the future."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from stsenv.errors import AwsUnreachable
from stsenv.model import Credentials


def credentials_from(answer: Mapping[str, Any], operation: str, now: int) -> Credentials:
    """The Credentials of an AssumeRole / GetSessionToken / AssumeRoleWithWebIdentity answer."""
    c = answer.get("Credentials") or {}
    fields = (c.get("AccessKeyId"), c.get("SecretAccessKey"), c.get("SessionToken"))
    expiration = c.get("Expiration")
    if not all(isinstance(f, str) and f for f in fields) or not isinstance(expiration, datetime):
        raise AwsUnreachable(f"STS answered {operation} without complete credentials; try again")
    expires = int(expiration.timestamp())
    if expires <= now:
        raise AwsUnreachable(
            f"STS returned credentials from {operation} that have already expired: check this "
            "machine's clock"
        )
    return Credentials(
        str(c["AccessKeyId"]), str(c["SecretAccessKey"]), str(c["SessionToken"]), expires
    )


def assumed_role_arn(answer: Mapping[str, Any], operation: str) -> str:
    arn = (answer.get("AssumedRoleUser") or {}).get("Arn")
    if not isinstance(arn, str) or not arn:
        raise AwsUnreachable(f"STS answered {operation} without complete credentials; try again")
    return arn
