"""The kinds of target, and how an AWS profile gives credentials: read by the cold path
(aws/targets.py) and by TAB completion and `roles` (stsenv.catalog), which must not pay for
botocore or dataclasses. Standard library only, no imports at all."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

ROLE = "role"  # sts:AssumeRole from a source (alias, role profile, ARN, role name)
SSO = "sso"  # GetRoleCredentials of an IAM Identity Center sign-in (profile or ACCOUNT/ROLE)
KEYS = "keys"  # a profile of long-term keys: sts:GetSessionToken, never the keys themselves
BOTOCORE = "botocore"  # credential_process or web identity: botocore's own provider runs it
LOGIN = "login"  # a login_session profile: a console sign-in session (`aws login`)
# Keys with aws_session_token (or aws_security_token): credentials that are already temporary
# (the IAM Identity Center portal's "copy credentials"), exported as they are.
TEMPORARY = "temporary"
# A profile whose credential_process is `stsenv credential-process --vault PROFILE`: its key is
# in the OS keychain (aws/vault.py); stsenv reads it there itself, as KEYS, never runs the line.
VAULT = "vault"


def is_sign_in_only(profile: Mapping[str, Any]) -> bool:
    """An IAM Identity Center profile without sso_account_id and sso_role_name: a sign-in
    (`stsenv login --profile NAME`), not a role to assume."""
    return profile_kind(profile) == SSO and not (
        profile.get("sso_account_id") and profile.get("sso_role_name")
    )


def profile_kind(profile: Mapping[str, Any]) -> str | None:
    """ROLE, BOTOCORE, SSO, TEMPORARY, KEYS, LOGIN or VAULT: how a profile gives credentials;
    None when it has none of its own (a profile of settings only).

    In botocore's order (a role, then web identity, IAM Identity Center, the credentials
    file's keys, a console session, credential_process, the config file's keys), so that a
    profile holding two of them is what botocore makes of it. The one case it cannot tell
    apart: keys written in the *config* file rank after login_session and credential_process
    in botocore, and the merged profile does not say which file its keys came from; they
    are taken as the credentials file's, where `aws configure` writes them."""
    if "role_arn" in profile:
        return BOTOCORE if "web_identity_token_file" in profile else ROLE
    if profile.get("sso_session") or profile.get("sso_start_url"):
        return SSO
    if profile.get("aws_access_key_id"):
        if profile.get("aws_session_token") or profile.get("aws_security_token"):
            return TEMPORARY
        return KEYS
    if profile.get("login_session"):
        return LOGIN
    if is_vault_line(profile.get("credential_process")):
        return VAULT
    if profile.get("credential_process"):
        return BOTOCORE
    return None


def is_vault_line(line: object) -> bool:
    """Whether a credential_process line runs stsenv's vault (`... credential-process --vault
    PROFILE`, as `stsenv keys add` writes it)."""
    if not isinstance(line, str):
        return False
    words = line.split()
    return "credential-process" in words and "--vault" in words
