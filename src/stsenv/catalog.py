"""What can be assumed: stsenv's aliases, every AWS profile that gives credentials, and the
ACCOUNT/ROLE targets of cached IAM Identity Center listings, with their
source, duration and the state of their session (active here, cached, or none), read
without a network call. Used by `roles`, the picker of a bare `stsenv use`, TAB completion
and `doctor`."""

from __future__ import annotations

import os
import time

from stsenv.errors import NotActive, StsenvError, UsageError
from stsenv.inert import inert
from stsenv.limits import DEFAULT_DURATION, parse_duration
from stsenv.model import UseRequest
from stsenv.settings import EXPIRY_VAR, ROLE_VAR, aws_config_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from stsenv.settings import Settings


class RoleEntry:
    __slots__ = ("active", "duration", "expires", "kind", "minutes_left", "name", "role", "source")

    def __init__(self, name: str, kind: str, role: str, source: str, duration: int | None) -> None:
        self.name = name  # what `stsenv use` takes
        self.kind = kind  # "alias" (config.toml) or "profile" (AWS config)
        self.role = role  # role ARN, or a role name still to resolve
        self.source = source  # where the credentials that assume it come from
        self.duration = duration  # seconds, None when the configured value is not valid
        self.minutes_left: int | None = None  # of the active or cached session
        self.expires: int | None = None  # its end, epoch seconds
        self.active = False  # the role active in this shell

    def as_json(self) -> dict[str, object]:
        fields = ("name", "kind", "role", "source", "duration", "active", "minutes_left")
        return {name: getattr(self, name) for name in fields}


def _duration(text: object) -> int | None:
    try:
        return parse_duration(str(text)) if text is not None else DEFAULT_DURATION
    except UsageError:
        return None


def list_roles(environ: Mapping[str, str], settings: Settings, now: int) -> list[RoleEntry]:
    from stsenv.activation import source_env
    from stsenv.aws import cache
    from stsenv.config import load_aliases

    aliases = load_aliases(settings.config_file)
    entries = [
        RoleEntry(
            name,
            "alias",
            alias.role_arn or alias.role_name or "",
            alias.source_profile or "default credentials",
            _duration(alias.duration),
        )
        for name, alias in sorted(aliases.items())
    ]
    for name, profile in sorted(aws_config(environ)["profiles"].items()):
        entry = _profile_entry(str(name), profile) if isinstance(profile, dict) else None
        if entry is not None and name not in aliases:  # `use NAME` takes the alias
            entries.append(entry)

    env = source_env(environ)
    active, expiry = environ.get(ROLE_VAR), environ.get(EXPIRY_VAR, "")
    source = cache.source_key(env, settings)  # once, not per profile
    stored = _stored_sessions(settings)
    for entry in entries:
        if entry.name == active and expiry.isdigit() and int(expiry) > now:
            entry.active, entry.minutes_left = True, (int(expiry) - now) // 60
            entry.expires = int(expiry)
            continue
        if not stored:
            continue
        key = cache.fingerprint(UseRequest(entry.name), env, settings, source)
        if f"session-{key}.json" not in stored:
            continue
        cached = cache.load_session(settings, key, now)
        if cached is not None:
            entry.minutes_left = (cached.credentials.expiration - now) // 60
            entry.expires = cached.credentials.expiration
    return entries


def _stored_sessions(settings: Settings) -> set[str]:
    """The names of the cache's session files (one listing instead of one look per profile;
    the files themselves are read under the cache's rules)."""
    try:
        return {n for n in os.listdir(settings.cache_dir) if n.startswith("session-")}
    except OSError:
        return set()


# Kinds whose session length is not ours to choose (the portal's or the provider's).
AWS_DECIDES_DURATION = (
    "sso profile",
    "web identity profile",
    "credential_process profile",
    "login_session profile",
    "temporary keys profile",
)


def _profile_entry(name: str, profile: Mapping[str, object]) -> RoleEntry | None:
    """What `stsenv use NAME` would get from this AWS profile, or None for a profile of
    settings only."""
    from stsenv.aws import kinds

    kind = kinds.profile_kind(profile)
    if kinds.is_sign_in_only(profile):
        return None  # a sign-in, not a role: `stsenv login --profile NAME` takes it
    duration = _duration(profile.get("duration_seconds"))
    if kind == kinds.ROLE:
        source = profile.get("source_profile") or (
            f"credential_source {profile.get('credential_source')}"
            if profile.get("credential_source")
            else "none"
        )
        return RoleEntry(name, "profile", str(profile["role_arn"]), str(source), duration)
    if kind == kinds.SSO:
        sign_in = profile.get("sso_session") or profile.get("sso_start_url")
        role = f"{profile.get('sso_account_id')}/{profile.get('sso_role_name')}"
        return RoleEntry(name, "sso profile", role, f"IAM Identity Center {sign_in}", None)
    if kind == kinds.TEMPORARY:
        return RoleEntry(
            name,
            "temporary keys profile",
            "its session token (as it is)",
            "its own temporary keys",
            None,
        )
    if kind == kinds.KEYS:
        return RoleEntry(name, "keys profile", "sts:GetSessionToken", "its own keys", duration)
    if kind == kinds.VAULT:
        return RoleEntry(
            name, "vault profile", "sts:GetSessionToken", "its key in the keychain", duration
        )
    if kind == kinds.BOTOCORE:
        what = "web identity" if "role_arn" in profile else "credential_process"
        role = str(profile.get("role_arn") or "its credentials")
        return RoleEntry(name, f"{what} profile", role, what, None)
    if kind == kinds.LOGIN:
        return RoleEntry(
            name,
            "login_session profile",
            "its console session",
            f"aws login {str(profile.get('login_session'))[:80]}",
            None,
        )
    return None


def session_text(entry: RoleEntry) -> str:
    if entry.minutes_left is None:
        return "-"
    state = "active" if entry.active else "cached"
    if entry.expires is not None and entry.minutes_left > DAY_MINUTES:
        return f"{state}, until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(entry.expires))}"
    return f"{state}, {entry.minutes_left}m left"


DAY_MINUTES = 24 * 60  # further away than this, a date says more than minutes


def table(entries: list[RoleEntry]) -> list[str]:
    rows: list[tuple[str, ...]] = [("NAME", "KIND", "ROLE", "SOURCE", "DURATION", "SESSION")]
    for e in entries:
        if e.kind in AWS_DECIDES_DURATION:
            duration = "-"
        else:
            duration = f"{e.duration // 60}m" if e.duration else "invalid"
        rows.append((e.name, e.kind, e.role, e.source, duration, session_text(e)))
    return columns(rows)


def columns(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned text; the last column is not padded. Names come from config files:
    anything a terminal would act on (ESC, BEL...) is shown escaped, never sent."""
    rows = [tuple(inert(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]


# --- ACCOUNT/ROLE of IAM Identity Center sign-ins (their cached listings; no botocore) --------


def sso_target(account_name: str, role_name: str) -> str:
    """How `stsenv use` names a role of a sign-in: ACCOUNT/ROLE, by account name."""
    return f"{account_name}/{role_name}"


def sso_targets(
    environ: Mapping[str, str],
    settings: Settings,
    now: int,
    sections: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(ACCOUNT/ROLE, description) of every sign-in in the AWS config (`sections`, read
    when not given) whose listing is cached (`stsenv roles --sso` makes one): for the
    picker and TAB completion."""
    from stsenv.aws import sso_listing

    if sections is None:
        sections = aws_config_sections(environ)
    sign_ins = []
    for name in sections["sso_sessions"]:
        try:
            sign_ins.append(sso_listing.find_sign_in(sections, None, name, None))
        except StsenvError:
            continue  # an incomplete [sso-session]: `stsenv login` says what is missing
    found: dict[str, str] = {}
    for sign_in in sign_ins:
        for a in sso_listing.load_cached_assignments(sign_in, settings, now) or ():
            found.setdefault(
                sso_target(a.account_name, a.role_name), f"{sign_in.label}: account {a.account_id}"
            )
    return sorted(found.items())


def no_roles(settings: Settings) -> NotActive:
    return NotActive(
        f"no roles configured: add a [roles.NAME] table to {settings.config_file} or a "
        "profile to your AWS config (IAM Identity Center: `stsenv roles --sso`)"
    )


# --- the picker ------------------------------------------------------------------------------


def pick_target(environ: Mapping[str, str], settings: Settings, now: int) -> str:
    """`stsenv use` without TARGET: choose on the terminal (never on stdout, which the hook
    evals); without a terminal, one line that says which targets exist."""
    from stsenv import terminal

    entries = list_roles(environ, settings, now)
    choices = [(e.name, f"{e.kind}: {e.role}; {session_text(e)}") for e in entries]
    choices += sso_targets(environ, settings, now)
    if not os.isatty(0):  # run by a script: never wait for someone to type
        names = ", ".join(name for name, _ in choices[:12]) or "none configured"
        raise UsageError(f"give a target: `stsenv use TARGET` (configured: {names})")
    if not choices:
        raise no_roles(settings)
    chosen = terminal.pick(choices)
    if chosen is None:
        raise UsageError("give a target: `stsenv use TARGET` (no terminal to pick on)")
    return chosen


# --- names for TAB completion (no botocore: this runs at every TAB) ---------------------------


def role_targets(environ: Mapping[str, str], settings: Settings) -> list[tuple[str, str]]:
    """What `stsenv use` takes by name: stsenv's aliases, then the AWS role profiles."""
    from stsenv.config import load_aliases

    targets: dict[str, str] = {}
    try:
        for name, alias in load_aliases(settings.config_file).items():
            targets[name] = f"alias: {alias.role_arn or alias.role_name}"
    except StsenvError:
        pass  # `stsenv doctor` says what is wrong with the file; TAB only offers less
    from stsenv.aws.kinds import is_sign_in_only, profile_kind

    sections = aws_config_sections(environ)  # read once: 2,500 profiles take a while
    for name, profile in sections["profiles"].items():
        kind = profile_kind(profile)
        if kind is not None and name not in targets and not is_sign_in_only(profile):
            targets[name] = f"profile: {profile.get('role_arn') or kind}"
    for name, description in sso_targets(environ, settings, int(time.time()), sections):
        targets.setdefault(name, description)
    return sorted(targets.items())


def aws_profile_sections(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The AWS profiles by name, with their settings (see aws_config_sections)."""
    profiles: dict[str, dict[str, Any]] = aws_config_sections(environ)["profiles"]
    return profiles


def aws_config_sections(environ: Mapping[str, str]) -> dict[str, Any]:
    """The AWS config as botocore's Session.full_config has it ("profiles",
    "sso_sessions", ...), read by aws/configfile.py with the standard library (importing
    botocore costs ~150 ms, at every TAB). A file botocore refuses gives nothing: TAB
    offers no name that `use` would not know."""
    try:
        return aws_config(environ)
    except StsenvError:
        return {"profiles": {}, "sso_sessions": {}}


def aws_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """As aws_config_sections, but a file that cannot be parsed is a UsageError naming the
    file, the line and the reason."""
    from stsenv.aws import configfile

    found = configfile.full_config(*aws_config_paths(environ))
    found.setdefault("sso_sessions", {})
    return found
