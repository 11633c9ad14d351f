"""`stsenv doctor`: one line per check, ok / warn / FAIL, each failure saying what to do.
Exit status 1 when any check fails. No network call.

The hook is checked from outside: its wrapper runs `doctor` with STSENV_SHELL, the hook's
version and the prompt functions installed in the shell (shell/stsenv.*), state that a
child process cannot otherwise see.
"""

from __future__ import annotations

import json as json_module
import os
import stat
import time

from stsenv import __version__
from stsenv.errors import StsenvError
from stsenv.inert import inert
from stsenv.settings import HOOK_VERSION_VAR, PROMPT_HOOKS_VAR, VARS_VAR
from stsenv.shells import detect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from stsenv.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
CLOCK_TOLERANCE = 300  # AWS refuses requests signed more than 5 minutes off its clock
# Credentials in the environment that stsenv did not put there: they override profiles.
FOREIGN_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
)


class Check:
    __slots__ = ("fix", "message", "name", "status")

    def __init__(self, name: str, status: str, message: str, fix: str = "") -> None:
        self.name = name
        self.status = status
        self.message = message
        self.fix = fix  # what to do; empty when there is nothing to do

    def line(self) -> str:
        shown = self.status.upper() if self.status == FAIL else self.status
        return f"{shown:<4}  {self.name}: {self.message}" + (f" — {self.fix}" if self.fix else "")


def doctor(settings: Settings, json: bool) -> int:
    return run(settings, os.environ, json)


def run(settings: Settings, environ: Mapping[str, str], as_json: bool) -> int:
    checks = list(checks_for(settings, dict(environ)))
    failed = any(check.status == FAIL for check in checks)
    if as_json:
        fields = ("name", "status", "message", "fix")
        print(
            json_module.dumps(
                {
                    "ok": not failed,
                    "checks": [{f: getattr(c, f) for f in fields} for c in checks],
                }
            )
        )
    else:
        for check in checks:
            print(inert(check.line()))
    return 1 if failed else 0


def checks_for(settings: Settings, environ: dict[str, str]) -> Iterator[Check]:
    yield from _hook(settings, environ)
    yield from _config(settings, environ)
    yield from _sign_ins(environ)
    yield from _login_sessions(environ)
    yield from _keys(environ)
    yield _cache(settings)
    yield _clock(settings)
    yield from _conflicts(environ)
    yield from _project_files(settings)


# --- the shell ---------------------------------------------------------------------------------


def _hook(settings: Settings, environ: Mapping[str, str]) -> Iterator[Check]:
    from stsenv import shells

    if settings.shell is None:
        yield Check(
            "hook",
            FAIL,
            "not loaded in this shell (or stsenv was run by path)",
            f"add {detect.rc_line(environ)} and open a new shell",
        )
        yield _shell_supported(_running_shell(environ), shells.SHELLS)
        return
    if settings.shell not in shells.SHELLS:
        yield _shell_supported(settings.shell, shells.SHELLS)
        return
    yield Check("hook", OK, f"loaded in {settings.shell}")
    yield Check("shell", OK, f"{settings.shell} is supported")
    version = environ.get(HOOK_VERSION_VAR, "")
    if version == __version__:
        yield Check("version", OK, f"hook and program are both {__version__}")
    else:
        yield Check(
            "version",
            FAIL,
            f"the hook in this shell is {version or 'from an stsenv that predates doctor'}, "
            f"the program {__version__}",
            "open a new shell to load the program's hook",
        )
    count = environ.get(PROMPT_HOOKS_VAR, "").count("__stsenv_prompt_hook")
    if count == 1:
        yield Check("prompt", OK, "the prompt hook is installed once")
    elif count == 0:
        yield Check(
            "prompt",
            FAIL,
            "the prompt hook is not installed",
            "something set the prompt hooks after stsenv's: load stsenv's hook last "
            "in your rc file",
        )
    else:
        yield Check(
            "prompt",
            FAIL,
            f"the prompt hook is installed {count} times",
            "remove the extra __stsenv_prompt_hook from PROMPT_COMMAND or precmd_functions",
        )


def _running_shell(environ: Mapping[str, str]) -> str:
    return detect.detect() or os.path.basename(environ.get("SHELL", "")) or "unknown"


def _shell_supported(name: str, supported: Mapping[str, object]) -> Check:
    if name in supported:
        return Check("shell", OK, f"{name} is supported")
    return Check(
        "shell",
        FAIL,
        f"{name[:40]} is not supported",
        f"use {', '.join(supported)}: stsenv hooks into those",
    )


# --- config and source credentials -------------------------------------------------------------


def _config(settings: Settings, environ: dict[str, str]) -> Iterator[Check]:
    from stsenv.config import load_aliases

    path = settings.config_file
    try:
        aliases = load_aliases(path)
    except StsenvError as e:
        yield Check("config", FAIL, e.message, "fix the file (README: Targets)")
        return
    if not os.path.exists(path):
        yield Check("config", OK, f"no {path} (optional: aliases live there)")
        return
    yield Check("config", OK, f"{path} parses ({len(aliases)} aliases)")
    if not aliases:
        return
    from stsenv.activation import source_env
    from stsenv.aws import checks

    # Source credentials are looked up as a new shell would: without the active role.
    env = source_env(environ)
    methods = checks.credentials_methods([a.source_profile for a in aliases.values()], env)
    for name, alias in sorted(aliases.items()):
        source = alias.source_profile
        where = f"source profile {source!r}" if source else "the default credentials"
        method = methods[source]
        if isinstance(method, StsenvError):
            fix = (
                f"`aws configure --profile {source}` or change source_profile in {path}"
                if source
                else f"set source_profile in {path}, or AWS_PROFILE"
            )
            yield Check(f"alias {name}", FAIL, method.message, fix)
            continue
        yield Check(f"alias {name}", OK, f"{where} has credentials ({method})")


# --- IAM Identity Center sign-ins -------------------------------------------------------------


def _sign_ins(environ: dict[str, str]) -> Iterator[Check]:
    """One line per sign-in of the AWS config, from its token file alone (no network)."""
    from stsenv.activation import source_env
    from stsenv.aws import checks  # botocore: imported by the checks that read AWS files

    try:
        found = checks.sign_ins(source_env(environ))
    except StsenvError as e:
        yield Check("sign-ins", FAIL, e.message, _fix_aws_file(e.message))
        return
    from stsenv.aws.sso_listing import token_dir, token_dir_problem

    folder_problem = token_dir_problem() if found else None
    if folder_problem is not None:  # no token there is trusted (aws/sso.py)
        yield Check(
            "sign-in tokens",
            FAIL,
            f"{token_dir()} {folder_problem}",
            "make it a folder of yours that only you may write",
        )
    now = time.time()
    for sign_in in found:
        if isinstance(sign_in, StsenvError):
            yield Check("sign-in", FAIL, sign_in.message, "fix the AWS config file")
            continue
        name = f"sign-in {sign_in.label}"
        login = f"run `{sign_in.login_hint}`"
        token = checks.token_state(sign_in)
        if not token.present:
            yield Check(name, WARN, "not signed in", login)
        elif token.exposed:
            yield Check(
                name,
                FAIL,
                f"the token file {sign_in.token_path} {token.problem}",
                f"run `chmod 600 {sign_in.token_path}`",
            )
        elif token.problem:
            yield Check(
                name,
                WARN,
                f"the token file {sign_in.token_path} {token.problem}",
                f"remove it and {login}",
            )
        elif token.expires_at > now:
            left = int(token.expires_at - now) // 60
            then = (
                "renewed with its refresh token as it runs out"
                if token.refreshable
                else f"then {login}"
            )
            yield Check(
                name,
                OK,
                f"signed in until {_utc(token.expires_at)} ({left // 60}h "
                f"{left % 60:02d}m left); {then}",
            )
        elif token.refreshable:
            yield Check(
                name,
                OK,
                f"the access token ended at {_utc(token.expires_at)}; the next "
                "use renews it with its refresh token while the sign-in lasts",
            )
        else:
            yield Check(name, WARN, f"the sign-in ended at {_utc(token.expires_at)}", login)


# --- console sign-in sessions (login_session profiles) ----------------------------------------


def _fix_aws_file(message: str) -> str:
    """The fix for an AWS file that cannot be read: the file the message names (the
    credentials file's parse failure names it, aws/configfile.py)."""
    return f"fix the AWS {'credentials' if 'AWS credentials file' in message else 'config'} file"


def _login_sessions(environ: dict[str, str]) -> Iterator[Check]:
    """One line per login_session profile, from its token file alone (no network)."""
    from stsenv.activation import source_env
    from stsenv.aws import checks

    try:
        found = checks.login_sessions(source_env(environ))
    except StsenvError:
        return  # _sign_ins has said that the AWS config cannot be read
    now = time.time()
    for profile, _session, path in found:
        name = f"console session of {profile}"
        login = f"run `stsenv login --profile {profile}` (or `aws login --profile {profile}`)"
        token = checks.login_token_state(path)
        if not token.present:
            yield Check(name, WARN, "not signed in", login)
        elif token.exposed:
            yield Check(
                name, FAIL, f"the token file {path} {token.problem}", f"run `chmod 600 {path}`"
            )
        elif token.problem:
            yield Check(
                name, WARN, f"the token file {path} {token.problem}", f"remove it and {login}"
            )
        elif not token.refreshable and token.expires_at <= now:
            yield Check(name, WARN, f"the session ended at {_utc(token.expires_at)}", login)
        else:
            until = (
                f"renewable until {_utc(token.renewable_until)}"
                if token.renewable_until > now
                else "renewed with its refresh token while the session lasts"
            )
            if token.renewable_until != float("-inf") and token.renewable_until <= now:
                yield Check(
                    name, WARN, f"the session ended at {_utc(token.renewable_until)}", login
                )
                continue
            yield Check(
                name,
                OK,
                f"credentials until {_utc(token.expires_at)}; {until}; "
                "no one else may read or write the file",  # what checks.login_token_state checks
            )


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


# --- long-term keys: plain text, and the vault (`stsenv keys`) -------------------------------

KEY_MAX_AGE_DAYS = 90


def _keys(environ: dict[str, str]) -> Iterator[Check]:
    """Long-term keys left in plain text in the AWS files; for vault profiles: the keychain
    works (read without printing a secret), each key is there, not older than 90 days, and
    its credential_process line is in place. The keychain is only touched when the config
    has a vault profile (a desktop keychain may ask to be unlocked)."""
    from stsenv.activation import source_env
    from stsenv.aws import awsfiles, checks, kinds
    from stsenv.settings import aws_config_paths

    env = source_env(environ)
    config_path, credentials_path = aws_config_paths(env)
    try:
        profiles = checks.all_profiles(env)  # doctor's one parse of the AWS files
        keyed = {
            path: awsfiles.profiles_with_key_lines(path, config)
            for path, config in ((credentials_path, False), (config_path, True))
        }
    except StsenvError as e:
        yield Check("keys", FAIL, e.message, _fix_aws_file(e.message))
        return
    vault_profiles = []
    for name, profile in sorted(profiles.items()):
        if not isinstance(profile, dict):
            continue
        if kinds.is_vault_line(profile.get("credential_process")):
            vault_profiles.append(name)
        key_id = str(profile.get("aws_access_key_id") or "")
        if not key_id.startswith("AKIA") or profile.get("aws_session_token"):
            continue
        where = [path for path in (credentials_path, config_path) if name in keyed[path]]
        yield Check(
            f"key {name}",
            WARN,
            f"a long-term key is in plain text in {' and '.join(where) or 'the AWS files'}",
            f"move it to the keychain: `stsenv keys add {name} --from-credentials`",
        )
    if not vault_profiles:  # no keychain in use: a locked one would ask at every doctor run
        return
    from stsenv.aws import vault

    try:
        backend = vault.probe()
        stored = {name: vault.load(name) for name in sorted({*vault_profiles, *vault.listed()})}
    except StsenvError as e:
        yield Check("keychain", FAIL, e.message)
        return
    if not stored:
        return
    yield Check("keychain", OK, f"{backend} works ({sum(1 for k in stored.values() if k)} keys)")
    now = int(time.time())
    for name, key in stored.items():
        check = f"vault {name}"
        if key is None:
            yield Check(
                check,
                FAIL,
                "its credential_process runs the vault, which has no key",
                f"`stsenv keys add {name}`",
            )
            continue
        age = (now - key.born) // 86400
        if name not in vault_profiles:
            yield Check(
                check,
                FAIL,
                f"no credential_process line in {config_path}",
                f"`stsenv keys add {name}` again, or `keys remove {name}`",
            )
        elif age > KEY_MAX_AGE_DAYS:
            yield Check(check, WARN, f"its key is {age} days old", f"`stsenv keys rotate {name}`")
        else:
            yield Check(check, OK, f"key {vault.masked(key.access_key_id)}, {age} days old")


# --- the cache and the clock -------------------------------------------------------------------


def _cache(settings: Settings) -> Check:
    top = settings.cache_dir
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return Check("cache", OK, f"{top} does not exist yet (created 0700 at the first use)")
    except OSError as e:
        return Check(
            "cache",
            FAIL,
            f"{top} cannot be read ({e.strerror})",
            "fix its permissions or set STSENV_CACHE_DIR",
        )
    me = os.geteuid()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != me:
        return Check(
            "cache",
            FAIL,
            f"{top} is not a directory owned by you",
            "remove it, or set STSENV_CACHE_DIR",
        )
    loose = []
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if info.st_uid != me or stat.S_IMODE(info.st_mode) & 0o077:
                loose.append(path)
        for name in files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if info.st_uid != me or stat.S_IMODE(info.st_mode) & 0o177:
                loose.append(path)
    if stat.S_IMODE(st.st_mode) != 0o700:
        loose.insert(0, top)
    if loose:
        shown = ", ".join(loose[:3]) + (f" and {len(loose) - 3} more" if len(loose) > 3 else "")
        return Check(
            "cache",
            FAIL,
            f"not private: {shown}",
            f"run `chmod -R go-rwx {top}` (stsenv replaces files it cannot trust)",
        )
    return Check("cache", OK, f"{top} is private (0700, files 0600)")


def _clock(settings: Settings) -> Check:
    """This machine's clock against the file system's: a file just written carries the
    time of whatever stamps it (the kernel, or the file server of a network home)."""
    import tempfile

    folder = settings.cache_dir if os.path.isdir(settings.cache_dir) else tempfile.gettempdir()
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as probe:
            stamped = os.fstat(probe.fileno()).st_mtime
    except OSError as e:
        return Check("clock", WARN, f"could not write a probe file in {folder} ({e.strerror})")
    skew = int(time.time() - stamped)
    if abs(skew) > CLOCK_TOLERANCE:
        return Check(
            "clock",
            FAIL,
            f"this clock is {abs(skew)}s {'ahead of' if skew > 0 else 'behind'} the file "
            "system's: AWS refuses requests signed more than 5 minutes off",
            "set the system time (e.g. enable NTP: `timedatectl set-ntp true`)",
        )
    return Check("clock", OK, f"agrees with the file system's (within {abs(skew)}s)")


# --- conflicts ---------------------------------------------------------------------------------


def _conflicts(environ: Mapping[str, str]) -> Iterator[Check]:
    role_active = bool(environ.get(VARS_VAR))
    foreign = [] if role_active else [name for name in FOREIGN_VARS if environ.get(name)]
    if foreign:
        yield Check(
            "environment",
            WARN,
            f"{', '.join(foreign)} set, but no stsenv role is active (another tool, a sourced "
            ".env?): they win over every AWS profile",
            "unset them unless you mean them as source credentials; `stsenv use` replaces "
            "them and `stsenv clear` puts them back",
        )
    else:
        yield Check("environment", OK, "no AWS credentials from another tool")
    named = {n: environ[n] for n in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if environ.get(n)}
    if not named or role_active:  # an active role unsets them; the baseline is not visible
        return
    from stsenv.aws import checks

    try:
        known = checks.profile_names(environ)
    except StsenvError as e:
        yield Check("profile", FAIL, e.message)
        return
    for variable, profile in named.items():
        if profile in known:
            yield Check("profile", OK, f"{variable}={profile} exists")
        else:
            yield Check(
                "profile",
                FAIL,
                f"{variable} names {profile!r}, which is not in the AWS config or credentials file",
                f"unset {variable}, or create it: `aws configure --profile {profile}`",
            )


# --- per-directory roles -----------------------------------------------------------------------


def _project_files(settings: Settings) -> Iterator[Check]:
    """Every allowed .stsenv.toml that is gone or changed since `stsenv allow` (read as data,
    nothing run); one ok line when all are as allowed."""
    from stsenv import project

    count = 0
    try:
        for path, digest in project.allowances(settings):
            count += 1
            where = project.printable(path)
            if not os.path.lexists(path):
                yield Check(
                    "project file",
                    WARN,
                    f"{where} is allowed but no longer exists",
                    f"stsenv deny {where}",
                )
                continue
            try:
                found = project.read(path)
            except StsenvError as e:
                yield Check("project file", WARN, e.message, f"fix it, or stsenv deny {where}")
                continue
            if found.digest != digest:
                fix = f"read it, then stsenv allow {where} (or stsenv deny {where})"
                yield Check("project file", WARN, f"{where} changed since it was allowed", fix)
    except StsenvError as e:
        yield Check("project files", FAIL, e.message, "make it a 0700 directory of yours")
        return
    if count:  # (nothing to say for someone who never used `stsenv allow`)
        yield Check("project files", OK, f"{count} allowed .stsenv.toml file(s) checked")
