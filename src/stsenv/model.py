"""Plain records shared by the commands, the use cases and the AWS side (no logic: the
rules for their values live in limits.py).

Plain classes with __slots__ rather than dataclasses: `import dataclasses` alone costs
~15 ms, and this module is on the path of a cached `stsenv use` (budget ~35 ms in all).
"""

from __future__ import annotations


class UseRequest:
    """What the user asked for with `stsenv use` (options not given are None)."""

    __slots__ = (
        "duration",
        "external_id",
        "mfa_serial",
        "no_mfa_session",
        "profile",
        "refresh",
        "region",
        "session_name",
        "target",
        "token_code",
    )

    def __init__(
        self,
        target: str,
        duration: str | None = None,
        session_name: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        mfa_serial: str | None = None,
        token_code: str | None = None,
        external_id: str | None = None,
        refresh: bool = False,
        no_mfa_session: bool = False,
    ) -> None:
        self.target = target
        self.duration = duration
        self.session_name = session_name
        self.profile = profile
        self.region = region
        self.mfa_serial = mfa_serial
        self.token_code = token_code
        self.external_id = external_id
        self.refresh = refresh
        self.no_mfa_session = no_mfa_session  # MFA code on each AssumeRole, no MFA session


class Credentials:
    __slots__ = ("access_key_id", "expiration", "secret_access_key", "session_token")

    def __init__(
        self, access_key_id: str, secret_access_key: str, session_token: str, expiration: int
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expiration = expiration  # epoch seconds, UTC

    def __repr__(self) -> str:  # never the secret, even in a debug traceback
        return f"Credentials({self.access_key_id[:4]}..., expiration={self.expiration})"


class RoleSession:
    """An assumed role: what `use` exports and what the cache stores."""

    __slots__ = (
        "assumed_role_arn",
        "credentials",
        "display_name",
        "duration",
        "region",
        "role_arn",
        "sign_in",
    )

    def __init__(
        self,
        display_name: str,
        role_arn: str,
        assumed_role_arn: str,
        credentials: Credentials,
        region: str | None,
        duration: int,
        sign_in: str | None = None,
    ) -> None:
        self.display_name = display_name  # shown in the prompt: alias, profile or role name
        self.role_arn = role_arn  # arn:aws:iam::123456789012:role/path/name
        self.assumed_role_arn = assumed_role_arn  # arn:aws:sts::...:assumed-role/name/session
        self.credentials = credentials
        self.region = region  # exported as AWS_REGION and AWS_DEFAULT_REGION when set
        self.duration = duration  # seconds asked for
        # The IAM Identity Center sign-in (its token cache key) the credentials came from, so
        # that `stsenv logout` can remove them from the cache; None for every other kind.
        self.sign_in = sign_in
