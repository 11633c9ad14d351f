"""What `stsenv doctor` asks botocore: the AWS profiles, and whether a source profile
resolves to credentials. No network call and no program run: the providers that would
call one (instance and container metadata, credential_process) are left out, and role or
SSO credentials are only located, never fetched (botocore defers those until used). The
IAM Identity Center sign-ins are read from their token files, as botocore would read them."""

from __future__ import annotations

import json
import os
import stat
import time
from typing import Any

import botocore.session
from botocore import configloader
from botocore import exceptions as bx
from botocore.credentials import SharedCredentialProvider, create_credential_resolver
from botocore.utils import parse_timestamp

from stsenv.aws import configfile
from stsenv.aws.source import botocore_sees
from stsenv.aws.sso_listing import SignIn, every_sign_in
from stsenv.errors import UsageError
from stsenv.settings import aws_config_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_CALLS_OUT = ("custom-process", "container-role", "iam-role")
_MAX_TOKEN_BYTES = 64 * 1024  # the AWS CLI's token files are well under 4 KiB


def profile_names(env: Mapping[str, str]) -> set[str]:
    """The profiles of the AWS config and credentials files."""
    return {str(name) for name in _full_config(env)["profiles"]}


def credentials_method(profile: str | None, env: Mapping[str, str]) -> str:
    """How botocore would find credentials for `profile` (None: its default chain) in
    `env`, e.g. "shared-credentials-file", "assume-role", "sso"; UsageError when it finds
    none."""
    found = credentials_methods([profile], env)[profile]
    if isinstance(found, UsageError):
        raise found
    return found


def credentials_methods(
    sources: list[str | None], env: Mapping[str, str]
) -> dict[str | None, str | UsageError]:
    """credentials_method for each source, with the AWS files parsed once: one botocore
    session for all (its profile set in turn), and the credentials file's parse shared by
    the providers (each would parse it again: 0.3 s per alias with 2,500 profiles)."""
    try:
        config, credentials = _parsed(env)
    except UsageError as e:
        return dict.fromkeys(sources, e)
    with botocore_sees(env):
        session = _ParsedSession(config)

        def parse(path: str) -> dict[str, Any]:
            if path == aws_config_paths(env)[1]:
                return credentials
            return configloader.raw_config_parse(path)  # type: ignore[no-any-return]

        found: dict[str | None, str | UsageError] = {}
        # The default chain first, while the session's profile is still botocore's choice.
        for profile in sorted(set(sources), key=lambda p: (p is not None, p or "")):
            try:
                found[profile] = _credentials_method(session, profile, parse)
            except UsageError as e:
                found[profile] = e
        return found


def _credentials_method(session: Any, profile: str | None, parse: Any) -> str:
    label = f"AWS profile {profile!r}" if profile else "the default credential chain"
    try:
        if profile is not None:
            session.set_config_variable("profile", profile)
        config = session.get_scoped_config()
        if config.get("credential_process"):
            return "credential_process (not run by doctor)"
        resolver = create_credential_resolver(session)
        for name in _CALLS_OUT:
            resolver.remove(name)
        for i, provider in enumerate(resolver.providers):
            if isinstance(provider, SharedCredentialProvider):
                resolver.providers[i] = SharedCredentialProvider(
                    creds_filename=session.get_config_variable("credentials_file"),
                    profile_name=session.get_config_variable("profile") or "default",
                    ini_parser=parse,
                )
        found = resolver.load_credentials()
    except bx.ProfileNotFound:
        raise UsageError(f"AWS profile {profile!r} does not exist") from None
    except bx.BotoCoreError as e:
        raise UsageError(f"{label}: {str(e)[:200]}") from None
    if found is None:
        raise UsageError(f"{label} has no credentials")
    return str(found.method)


def sign_ins(env: Mapping[str, str]) -> list[SignIn | UsageError]:
    """The IAM Identity Center sign-ins of the AWS config botocore reads in `env`."""
    return every_sign_in(_full_config(env))


def _full_config(env: Mapping[str, str]) -> dict[str, Any]:
    return _parsed(env)[0]


def all_profiles(env: Mapping[str, str]) -> dict[str, Any]:
    """Every profile as botocore's full_config has it, from doctor's one parse."""
    profiles: dict[str, Any] = _full_config(env)["profiles"]
    return profiles


_PARSED: dict[tuple[object, ...], tuple[dict[str, Any], dict[str, Any]]] = {}


def _parsed(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """botocore's full_config and the credentials file's sections, read once per doctor
    (per identity of the files) by aws/configfile.py, whose result is botocore's own (the
    config corpus proves it): 2,500 profiles take a while to parse."""
    paths = aws_config_paths(env)
    key = tuple((p, *_identity(p)) for p in paths)
    if key not in _PARSED:
        credentials = configfile.raw_sections(paths[1], "credentials") or {}
        _PARSED.clear()
        _PARSED[key] = (configfile.full_config(*paths, credentials), credentials)
    return _PARSED[key]


def _identity(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0, 0)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class _ParsedSession(botocore.session.Session):  # type: ignore[misc]
    """botocore's session over the AWS files as _parsed read them (botocore would parse
    them again for every profile asked about)."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._stsenv_config = config

    @property
    def full_config(self) -> dict[str, Any]:
        return self._stsenv_config


class TokenState:
    """What a sign-in's token file says, read as data: `problem` when it cannot be used."""

    __slots__ = ("expires_at", "exposed", "present", "problem", "refreshable", "renewable_until")

    def __init__(
        self,
        present: bool,
        problem: str = "",
        expires_at: float = 0.0,
        refreshable: bool = False,
        exposed: bool = False,
    ) -> None:
        self.present = present  # the file exists
        self.problem = problem  # why it cannot be used ("" when it can)
        self.exposed = exposed  # others may read or write it: the token is a secret
        self.expires_at = expires_at  # the access token's end, epoch seconds
        self.refreshable = refreshable  # botocore can renew it: refresh token, live client
        self.renewable_until = float("-inf")  # a console session: its 12 h end, when known


def _read_token_file(path: str) -> bytes | TokenState:
    """A token file's bytes (at most one over the cap), or the TokenState that says why it
    is not trusted: never followed through a symlink, ours, regular, and private."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return TokenState(False)
    except OSError as e:
        return TokenState(True, f"cannot be read ({e.strerror})")
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return TokenState(True, "is not a regular file")
        if st.st_uid != os.geteuid():
            return TokenState(True, "is owned by another user")
        if st.st_mode & 0o077:
            return TokenState(True, "is readable or writable by others", exposed=True)
        return f.read(_MAX_TOKEN_BYTES + 1)


def token_state(sign_in: SignIn) -> TokenState:
    """The sign-in's token file (the AWS CLI v2's), never followed through a symlink nor
    trusted if another user could have written it. A legacy sign-in has no refresh, in
    botocore as in the AWS CLI."""
    raw = _read_token_file(sign_in.token_path)
    if isinstance(raw, TokenState):
        return raw
    try:
        data = json.loads(raw) if len(raw) <= _MAX_TOKEN_BYTES else None
        if not isinstance(data, dict) or not isinstance(data.get("accessToken"), str):
            return TokenState(True, "holds no access token")
        expires_at = parse_timestamp(data["expiresAt"]).timestamp()
        registration = data.get("registrationExpiresAt")
        refreshable = (
            sign_in.session_name is not None
            and all(
                isinstance(data.get(k), str) and data[k]
                for k in ("refreshToken", "clientId", "clientSecret")
            )
            and registration is not None
            and parse_timestamp(registration).timestamp() > time.time()
        )
    except (ValueError, TypeError, KeyError, OverflowError):
        return TokenState(True, "is not a token file botocore can read")
    return TokenState(True, expires_at=expires_at, refreshable=refreshable)


# --- console sign-in sessions (login_session profiles) ---------------------------------------

_LOGIN_SESSION_HOURS = 12  # AWS Sign-In renews a console session for up to 12 h


def login_sessions(env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(profile, login_session, token file) of every login_session profile botocore reads in
    `env` (the file as the AWS CLI and botocore name it: AWS_LOGIN_CACHE_DIRECTORY honoured)."""
    from botocore.utils import generate_login_cache_key, get_login_token_cache_directory

    found = _full_config(env)["profiles"]  # the one parse doctor makes
    with botocore_sees(env):
        directory = str(get_login_token_cache_directory())
    return [
        (
            name,
            str(p["login_session"]),
            os.path.join(
                directory, str(generate_login_cache_key(str(p["login_session"]))) + ".json"
            ),
        )
        for name, p in sorted(found.items())
        if isinstance(p, dict) and p.get("login_session")
    ]


def login_token_state(path: str) -> TokenState:
    """A console session's token file, read as data as token_state reads an IAM Identity
    Center one; refreshable when it holds a refresh token, a client and a DPoP key, and
    `renewable_until` is 12 h after the sign-in its id token dates (0.0 when it dates none)."""
    raw = _read_token_file(path)
    if isinstance(raw, TokenState):
        return raw
    try:
        data = json.loads(raw) if len(raw) <= _MAX_TOKEN_BYTES else None
        access = data.get("accessToken") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(access, dict):
            return TokenState(True, "holds no session credentials")
        expires_at = parse_timestamp(access["expiresAt"]).timestamp()
        needed = ("refreshToken", "clientId", "dpopKey")
        refreshable = all(isinstance(data.get(k), str) and data[k] for k in needed)
    except (ValueError, TypeError, KeyError, OverflowError):
        return TokenState(True, "is not a token file botocore can read")
    state = TokenState(True, expires_at=expires_at, refreshable=refreshable)
    state.renewable_until = _signed_in_at(data.get("idToken")) + _LOGIN_SESSION_HOURS * 3600
    return state


def _signed_in_at(id_token: object) -> float:
    """The `iat` of the id token (a JWT, read only as data: its signature is AWS's to check);
    -inf when there is none, so that renewable_until stays unknown."""
    import base64

    try:
        assert isinstance(id_token, str)
        part = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        iat = claims["iat"]
        if isinstance(iat, int) and not isinstance(iat, bool) and 0 < iat < 2**40:
            return float(iat)
    except (AssertionError, IndexError, ValueError, TypeError, KeyError):
        pass
    return float("-inf")
