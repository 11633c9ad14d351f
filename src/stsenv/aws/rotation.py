"""The AWS side of `stsenv keys`: check that a key works, learn its age, and rotate it
(CreateAccessKey, store, wait until it works, DeleteAccessKey) so that at every step the
key in the keychain is live in IAM. botocore is imported here; the keychain is vault.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import botocore.session
from botocore import exceptions as bx
from botocore.credentials import ReadOnlyCredentials

from stsenv.aws import cache, mfa, vault
from stsenv.aws import profiles as aws_profiles
from stsenv.aws.source import Source, botocore_sees, client
from stsenv.aws.translate import code_of
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError
from stsenv.settings import Settings

WAIT_ATTEMPTS = 12  # IAM is eventually consistent: a new key may fail for a few seconds
WAIT_STEP = 1.5  # seconds between attempts, growing by this much each time (~2 min at most)


def _source(key: vault.StoredKey, label: str, region: str | None) -> Source:
    creds = ReadOnlyCredentials(key.access_key_id, key.secret_access_key, None)
    return Source(botocore.session.Session(), creds, label, region)


def _region(profile: str) -> str | None:
    found = aws_profiles.all_profiles().get(profile)
    region = found.get("region") if isinstance(found, dict) else None
    return region if isinstance(region, str) else None


def _failed(error: Exception, doing: str) -> StsenvError:
    if isinstance(error, bx.ClientError):
        return AwsDenied(f"AWS refused {doing} ({code_of(error)})")
    return AwsUnreachable(f"AWS could not be reached for {doing} ({type(error).__name__})")


_ERRORS = (bx.ClientError, bx.BotoCoreError)


def verify(key: vault.StoredKey, profile: str, env: Mapping[str, str]) -> tuple[str, int | None]:
    """(the caller's ARN, when IAM made the key if it tells us): the key works."""
    with botocore_sees(env):
        region = _region(profile)
        source = _source(key, f"the key of {profile}", region)
        try:
            arn = str(client(source, "sts", region).get_caller_identity()["Arn"])
        except _ERRORS as e:
            raise _failed(
                e,
                f"the key {vault.masked(key.access_key_id)} of {profile} "
                "(sts:GetCallerIdentity); nothing was changed",
            ) from None
        return arn, _created(client(source, "iam", region), key.access_key_id)


def _created(iam: Any, key_id: str) -> int | None:
    try:
        found = iam.list_access_keys()["AccessKeyMetadata"]
    except _ERRORS:
        return None  # not allowed to ask: the age counts from when it was stored
    for meta in found:
        if meta.get("AccessKeyId") == key_id and meta.get("CreateDate") is not None:
            return int(meta["CreateDate"].timestamp())
    return None


def _works(key: vault.StoredKey, region: str | None, pause: Callable[[float], None]) -> bool:
    source = _source(key, "the new key", region)
    for attempt in range(WAIT_ATTEMPTS):
        try:
            client(source, "sts", region).get_caller_identity()
            return True
        except _ERRORS:
            pause(WAIT_STEP * (attempt + 1))
    return False


def rotate(
    profile: str,
    env: Mapping[str, str],
    settings: Settings,
    ask: Callable[[str], str],
    token_code: str | None,
    now: int,
    pause: Callable[[float], None] = time.sleep,
) -> vault.StoredKey:
    """Replace the stored key of `profile` by a new one; the new key. Every failure is one
    line that says which key is live in IAM and which one the keychain holds."""
    old = vault.require(profile)
    old_id = vault.masked(old.access_key_id)
    with botocore_sees(env):
        profiles = aws_profiles.all_profiles()
        own = profiles.get(profile)
        region = _region(profile)
        serial = own.get("mfa_serial") if isinstance(own, dict) else None
        caller = _source(old, f"the key of {profile}", region)
        if isinstance(serial, str) and serial:
            # One MFA session (one code, or none when one is cached) serves every IAM call.
            caller = mfa.session_source(caller, serial, token_code, ask, env, settings, now, region)
        iam = client(caller, "iam", region)
        unchanged = f"nothing was changed: {old_id} is live and stored"
        try:
            listed = iam.list_access_keys()["AccessKeyMetadata"]
        except _ERRORS:
            listed = None  # not allowed to list: CreateAccessKey will say if there are two
        if listed is not None and len(listed) >= 2:
            other = [
                vault.masked(k["AccessKeyId"])
                for k in listed
                if k.get("AccessKeyId") != old.access_key_id
            ]
            raise AwsDenied(_two_keys(profile, old_id, other))
        try:
            made = iam.create_access_key()["AccessKey"]
        except bx.ClientError as e:
            if code_of(e) == "LimitExceeded":
                raise AwsDenied(_two_keys(profile, old_id, ["another key"])) from None
            hint = _mfa_hint(serial)
            raise AwsDenied(
                f"IAM refused CreateAccessKey ({code_of(e)}){hint}; {unchanged}"
            ) from None
        except bx.BotoCoreError as e:
            raise _failed(e, f"iam:CreateAccessKey; {unchanged}") from None
        created = made.get("CreateDate")
        new = vault.StoredKey(
            str(made["AccessKeyId"]),
            str(made["SecretAccessKey"]),
            now,
            int(created.timestamp()) if created is not None else now,
        )
        new_id = vault.masked(new.access_key_id)
        try:
            vault.store(profile, new)
        except StsenvError as e:
            raise type(e)(f"{e.message}; {_undo(iam, new.access_key_id, new_id, old_id)}") from None
        if not _works(new, region, pause):
            try:
                vault.store(profile, old)
                stored = f"{old_id} is live and stored again"
            except StsenvError:
                stored = f"the keychain still holds {new_id}: put {old_id} back by hand"
            raise AwsUnreachable(
                f"the new key {new_id} did not work in time (IAM may be slow): {stored}; "
                f"{_undo(iam, new.access_key_id, new_id, old_id, keep=True)}"
            )
        try:
            iam.delete_access_key(AccessKeyId=old.access_key_id)
        except _ERRORS as e:
            why = code_of(e) if isinstance(e, bx.ClientError) else type(e).__name__
            raise AwsDenied(
                f"the new key {new_id} is live and stored, but IAM refused to delete the old "
                f"key {old_id} ({why}): delete it with `aws iam delete-access-key "
                f"--access-key-id {old.access_key_id}` when you may"
            ) from None
    forget_sessions(settings, profile, old.access_key_id, serial, env)
    return new


def _two_keys(profile: str, old_id: str, others: list[str]) -> str:
    return (
        f"the IAM user of {profile} already has two access keys ({old_id}, the live and "
        f"stored one, and {', '.join(others)}): delete the one that is not stored (`aws iam "
        "delete-access-key`) and run `stsenv keys rotate` again; nothing was changed"
    )


def _mfa_hint(serial: object) -> str:
    if serial:
        return ""
    return (
        " (a session without MFA cannot call IAM: add mfa_serial to the profile, or allow "
        "the key itself to call IAM)"
    )


def _undo(iam: Any, key_id: str, new_id: str, old_id: str, keep: bool = False) -> str:
    """Delete the new key again, so the old, stored one is the only one; what was done."""
    if keep:
        return (
            f"the new key {new_id} is left in IAM: delete it with `aws iam "
            f"delete-access-key --access-key-id {key_id}`"
        )
    try:
        iam.delete_access_key(AccessKeyId=key_id)
    except _ERRORS:
        return (
            f"{old_id} is live and stored; the new key {new_id} could not be deleted: "
            f"`aws iam delete-access-key --access-key-id {key_id}`"
        )
    return f"{old_id} is live and stored; the new key {new_id} was deleted again"


def forget_sessions(
    settings: Settings, profile: str, key_id: str, serial: object, env: Mapping[str, str]
) -> int:
    """Forget the sessions cached from this profile's key (and its MFA session)."""
    removed = cache.forget_sessions_of(settings, vault.tag(profile))
    if isinstance(serial, str) and serial:
        cache.forget(settings, f"mfa-{cache.mfa_key(serial, key_id, env)}.json")
    return removed
