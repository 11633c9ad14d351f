"""`stsenv keys add|list|rotate|remove [PROFILE]`: IAM user keys in the OS keychain
(aws/vault.py), the profile's credential_process line (aws/awsfiles.py), rotation
(aws/rotation.py). The key is read from the terminal without echo, or from stdin; it never
appears in an argument, the environment of a child, a log or an error line."""

from __future__ import annotations

import json as json_module
import os
import shlex
import shutil
import sys
import time

from stsenv import activation, terminal
from stsenv.errors import UsageError
from stsenv.inert import inert
from stsenv.settings import aws_config_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings

ACTIONS = ("add", "list", "rotate", "remove")
OLD_AFTER_DAYS = 90


def keys(
    settings: Settings,
    action: str,
    profile: str | None,
    from_credentials: bool,
    stdin: bool,
    token_code: str | None,
    json: bool,
) -> int:
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action[:20]!r}: use add, list, rotate or remove")
    if action == "list":
        if profile:
            raise UsageError("`stsenv keys list` takes no PROFILE")
        return _list(json)
    if not profile:
        raise UsageError(f"give the AWS profile: `stsenv keys {action} PROFILE`")
    from stsenv.aws import vault

    vault.check_profile(profile)
    env = activation.source_env(os.environ)
    if action == "add":
        return _add(settings, profile, from_credentials, stdin, env)
    if from_credentials or stdin:
        raise UsageError(f"--from-credentials and --stdin are options of `keys add`, not {action}")
    if action == "rotate":
        return _rotate(settings, profile, token_code, json, env)
    return _remove(settings, profile, env)


def vault_line(profile: str) -> str:
    """The credential_process command other tools run: this stsenv by its absolute path
    (an IDE's or a cron job's PATH may not have it), `stsenv` when the path needs quoting
    (the AWS CLI splits the line without a shell, the Go SDK runs it with one)."""
    found = shutil.which("stsenv") or sys.argv[0]
    path = os.path.abspath(found) if found and os.path.basename(found) == "stsenv" else "stsenv"
    if shlex.quote(path) != path:
        path = "stsenv"
    return f"{path} credential-process --vault {profile}"


def _profiles(env: dict[str, str]) -> dict[str, object]:
    from stsenv.aws import profiles
    from stsenv.aws.source import botocore_sees

    with botocore_sees(env):
        return profiles.all_profiles()


def _read_key(stdin: bool) -> tuple[str, str]:
    if stdin:
        first = sys.stdin.readline()
        second = sys.stdin.readline()
        return first.strip(), second.strip()
    key_id = terminal.ask("AWS access key id: ").strip()
    return key_id, terminal.ask_secret("AWS secret access key (not shown): ").strip()


def _add(
    settings: Settings, profile: str, from_credentials: bool, stdin: bool, env: dict[str, str]
) -> int:
    from stsenv.aws import awsfiles, rotation, vault

    config_path, credentials_path = aws_config_paths(env)
    profiles = _profiles(env)
    own = profiles.get(profile)
    if from_credentials:
        if stdin:
            raise UsageError("--from-credentials and --stdin: choose one source of the key")
        if not isinstance(own, dict):
            raise UsageError(
                f"there is no AWS profile {profile!r} in {credentials_path} or "
                f"{config_path}: nothing was changed"
            )
        key_id = str(own.get("aws_access_key_id") or "")
        secret = str(own.get("aws_secret_access_key") or "")
        if not key_id:
            raise UsageError(
                f"AWS profile {profile!r} has no aws_access_key_id in "
                f"{credentials_path} or {config_path}: nothing to move"
            )
    else:
        key_id, secret = _read_key(stdin)
    vault.check_key(key_id, secret)
    if isinstance(own, dict) and own.get("credential_process"):
        line = str(own["credential_process"])
        from stsenv.aws.kinds import is_vault_line

        if not is_vault_line(line):
            raise UsageError(
                f"AWS profile {profile!r} already has a credential_process ({line[:60]}) that "
                "is not stsenv's vault: remove it first; nothing was changed"
            )
    key = vault.StoredKey(key_id, secret, int(time.time()))
    arn, created = rotation.verify(key, profile, env)  # before anything is changed
    key.created = created
    vault.store(profile, key)
    if vault.load(profile) is None:  # read back: what is stored is what works
        raise UsageError(f"the keychain ({vault.backend_name()}) did not keep the key")
    moved = []
    if from_credentials:
        for path, config in ((credentials_path, False), (config_path, True)):
            if awsfiles.remove_key_lines(path, profile, config):
                moved.append(path)
    awsfiles.set_credential_process(config_path, profile, vault_line(profile))
    rotation.forget_sessions(settings, profile, key_id, None, env)
    _no_key_left(profile, key_id, config_path, credentials_path, from_credentials)
    where = f", moved out of {' and '.join(moved)}" if moved else ""
    line = (
        f"stsenv: the key {vault.masked(key_id)} of {arn} is in the keychain "
        f"({vault.backend_name()}){where}; AWS profile {profile!r} now runs `stsenv "
        "credential-process --vault` for every AWS tool"
    )
    print(inert(line), file=sys.stderr)  # the ARN is STS's answer: data
    return 0


def _no_key_left(
    profile: str, key_id: str, config_path: str, credentials_path: str, moved: bool
) -> None:
    """Read the profile again as botocore does: while the credentials file (or the config)
    still gives it an access key, every AWS tool uses that plain-text key before the
    profile's credential_process, so stsenv must not say that the vault is in use."""
    from stsenv.aws import awsfiles, configfile, vault

    config = configfile.raw_sections(config_path, "config")
    credentials = configfile.raw_sections(credentials_path, "credentials") or {}
    found = []
    for path, values, is_config in (
        (credentials_path, credentials.get(profile, {}), False),
        (config_path, configfile.profile_map(config or {})["profiles"].get(profile, {}), True),
    ):
        if values.get("aws_access_key_id") or values.get("aws_secret_access_key"):
            numbers = awsfiles.key_line_numbers(path, profile, is_config)
            where = f"line {', '.join(map(str, numbers))} of " if numbers else ""
            found.append(f"{where}{path}")
    if not found:
        return
    then = (
        "the file was not cleaned: remove those lines by hand"
        if moved
        else f"remove them, or run `stsenv keys add {profile} --from-credentials`"
    )
    raise UsageError(
        f"the key {vault.masked(key_id)} of {profile!r} is stored in the keychain "
        f"({vault.backend_name()}), but {' and '.join(found)} still give(s) {profile!r} a "
        "plain-text aws_access_key_id/aws_secret_access_key, which every AWS tool uses "
        f"before the vault: {then}"
    )


def _list(as_json: bool) -> int:
    from stsenv import catalog
    from stsenv.aws import vault
    from stsenv.aws.kinds import is_vault_line

    env = activation.source_env(os.environ)
    backend = vault.probe()
    sections = catalog.aws_profile_sections(env)
    now = int(time.time())
    rows = []
    for name in vault.listed():
        key = vault.load(name)
        if key is None:
            continue
        line = sections.get(name, {}).get("credential_process")
        rows.append(
            {
                "profile": name,
                "access_key_id": vault.masked(key.access_key_id),
                "age_days": (now - key.born) // 86400,
                "created": key.created,
                "backend": backend,
                "config_line": is_vault_line(line),
            }
        )
    if as_json:
        print(json_module.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"stsenv: the keychain ({backend}) holds no keys of stsenv", file=sys.stderr)
        return 0
    table: list[tuple[str, ...]] = [("PROFILE", "KEY", "AGE", "CONFIG LINE")]
    for row in rows:
        table.append(
            (
                str(row["profile"]),
                str(row["access_key_id"]),
                f"{row['age_days']}d",
                "yes" if row["config_line"] else "MISSING",
            )
        )
    print("\n".join(catalog.columns(table)))
    print(f"backend: {backend}")
    return 0


def _rotate(
    settings: Settings, profile: str, token_code: str | None, as_json: bool, env: dict[str, str]
) -> int:
    from stsenv.aws import rotation, vault

    now = int(time.time())
    new = rotation.rotate(profile, env, settings, terminal.asker(settings), token_code, now)
    if as_json:
        answer = {
            "profile": profile,
            "access_key_id": new.access_key_id,
            "created": new.created,
            "age_seconds": max(0, now - new.born),
        }
        print(json_module.dumps(answer))
    print(
        f"stsenv: the key of {profile!r} is now {vault.masked(new.access_key_id)} (stored and "
        "working); the old one is deleted in IAM",
        file=sys.stderr,
    )
    return 0


def _remove(settings: Settings, profile: str, env: dict[str, str]) -> int:
    from stsenv.aws import awsfiles, rotation, vault

    stored = vault.load(profile)
    if stored is None:
        raise UsageError(
            f"the keychain ({vault.backend_name()}) holds no key for {profile!r}: "
            "nothing was changed"
        )
    config_path = aws_config_paths(env)[0]
    line = awsfiles.credential_process_of(config_path, profile)
    from stsenv.aws.kinds import is_vault_line

    vault.delete(profile)
    removed = rotation.forget_sessions(settings, profile, stored.access_key_id, None, env)
    if is_vault_line(line):
        awsfiles.remove_credential_process(config_path, profile)
        told = f"its credential_process line was removed from {config_path}"
    else:
        told = "no credential_process line of stsenv was in the config"
    print(
        f"stsenv: forgot the key {vault.masked(stored.access_key_id)} of {profile!r} and "
        f"{removed} cached session(s); {told}. The key is still live in IAM: store it "
        "again with `stsenv keys add`, or delete it in IAM",
        file=sys.stderr,
    )
    return 0
