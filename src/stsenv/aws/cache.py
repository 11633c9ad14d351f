"""The per-user credential cache: stdlib only, because a cached `use` must not pay for botocore.

One 0600 JSON file per fingerprint in a 0700 directory, written atomically (temp file in the
same directory + os.replace), so a shell never reads half a file. A file we did not write
(corrupt, foreign owner, loose permissions) is ignored with one warning and later replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys

from stsenv.model import Credentials, RoleSession
from stsenv.settings import aws_config_paths

# Typing-only imports: `typing` and `collections.abc` cost milliseconds on every cached `use`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from stsenv.model import UseRequest
    from stsenv.settings import Settings

FORMAT = 1
MIN_LIFE_LEFT = 5 * 60  # reuse only while at least this much life is left ...
MIN_LIFE_FRACTION = 0.1  # ... and at least this fraction of the duration
_MAX_FILE_BYTES = 64 * 1024

# Environment variables that pick the source credentials or where they are sent. Secrets
# (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) never enter the fingerprint: the key id names them.
SELECTION_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_SSO_OIDC",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


_warned: set[str] = set()


def warn(message: str) -> None:
    """One `stsenv: warning:` line on stderr, at most once per message per run."""
    if message not in _warned:
        _warned.add(message)
        print(f"stsenv: warning: {message}", file=sys.stderr)


def _file_identity(path: str) -> list[object]:
    try:
        st = os.stat(path)
    except OSError:
        return [str(path), None]
    return [str(path), st.st_mtime_ns, st.st_size]


def _source_key(env: Mapping[str, str], settings: Settings) -> dict[str, object]:
    """What selects the source credentials and the endpoint, without reading any secret."""
    return {
        "env": {name: env.get(name) for name in SELECTION_VARS},
        "files": [
            _file_identity(settings.config_file),
            *(_file_identity(p) for p in aws_config_paths(env)),
        ],
    }


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def fingerprint(request: UseRequest, env: Mapping[str, str], settings: Settings) -> str:
    """Key of a session in the cache: everything that changes the result of `use`, except the
    MFA code (a new code gives the same session) and --refresh."""
    asked: dict[str, object] = {
        "target": request.target,
        "duration": request.duration,
        "session_name": request.session_name,
        "profile": request.profile,
        "region": request.region,
        "mfa_serial": request.mfa_serial,
        "external_id": request.external_id,
    }
    if request.no_mfa_session:  # only when set: every other key stays as it was
        asked["no_mfa_session"] = True
    return digest({"v": FORMAT, "request": asked, "source": _source_key(env, settings)})


def name_key(role_name: str, source_label: str, env: Mapping[str, str], settings: Settings) -> str:
    """Key of a remembered role name -> ARN resolution."""
    return digest({"v": FORMAT, "role_name": role_name, "via": source_label,
                    "source": _source_key(env, settings)})  # fmt: skip


def is_fresh(session: RoleSession, now: int) -> bool:
    left = session.credentials.expiration - now
    return left >= max(MIN_LIFE_LEFT, MIN_LIFE_FRACTION * session.duration)


# --- the directory and its files -------------------------------------------------------------


def _usable_dir(settings: Settings) -> str | None:
    """The cache dir, created 0700; None (with a warning) when it cannot be trusted."""
    path = settings.cache_dir
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError as e:
        warn(f"credential cache {path} is unusable ({e.strerror}); not caching")
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        warn(f"credential cache {path} is not a directory owned by you; not caching")
        return None
    if stat.S_IMODE(st.st_mode) != 0o700:
        # Tighten what is ours; anyone who could write there may have planted files, but each
        # file is checked on its own before it is trusted.
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            warn(f"credential cache {path} was writable by others; set it back to 0700")
        try:
            os.chmod(path, 0o700)
        except OSError as e:
            warn(f"credential cache {path} cannot be made private ({e.strerror}); not caching")
            return None
    return path


def _read_trusted(path: str) -> dict[str, Any] | None:
    """The JSON object in `path` if we wrote it (ours, 0600, regular, sane); else None."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as e:
        warn(f"ignoring cache file {path} ({e.strerror}); it will be replaced")
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        problem = None
        if not stat.S_ISREG(st.st_mode):
            problem = "not a regular file"
        elif st.st_uid != os.geteuid():
            problem = "owned by another user"
        elif st.st_mode & 0o077:
            problem = "readable or writable by others"
        elif st.st_size > _MAX_FILE_BYTES:
            problem = "too large"
        if problem is None:
            try:
                data = json.loads(f.read(_MAX_FILE_BYTES + 1))
            except (ValueError, OSError):
                data = None
            if isinstance(data, dict) and data.get("format") == FORMAT:
                return data
            problem = "corrupt"
    warn(f"ignoring cache file {path} ({problem}); it will be replaced")
    return None


def _write_atomically(directory: str, name: str, data: Mapping[str, object]) -> None:
    import tempfile  # only writers pay for it

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        try:  # noqa: SIM105 - contextlib costs an import on the cached path
            os.unlink(tmp)
        except OSError:
            pass
        raise


def store(settings: Settings, name: str, data: Mapping[str, object]) -> None:
    directory = _usable_dir(settings)
    if directory is None:
        return
    try:
        _write_atomically(directory, name, {"format": FORMAT, **data})
    except OSError as e:
        warn(f"could not write the credential cache in {directory} ({e.strerror})")


def load(settings: Settings, name: str) -> dict[str, Any] | None:
    directory = _usable_dir(settings)
    return None if directory is None else _read_trusted(os.path.join(directory, name))


# --- sessions --------------------------------------------------------------------------------


def load_session(settings: Settings, key: str, now: int) -> RoleSession | None:
    """A cached session for `key` with enough life left, else None."""
    name = f"session-{key}.json"
    data = load(settings, name)
    if data is None:
        return None
    session = _session_from_json(data, key)
    if session is None:
        path = os.path.join(settings.cache_dir, name)
        warn(f"ignoring cache file {path} (corrupt); it will be replaced")
        return None
    return session if is_fresh(session, now) else None


def store_session(settings: Settings, key: str, session: RoleSession) -> None:
    creds = session.credentials
    if not creds.session_token:
        return  # only temporary credentials are ever cached, never long-term keys
    store(
        settings,
        f"session-{key}.json",
        {
            "key": key,
            "display_name": session.display_name,
            "role_arn": session.role_arn,
            "assumed_role_arn": session.assumed_role_arn,
            **_credentials_json(creds),
            "region": session.region,
            "duration": session.duration,
            "sign_in": session.sign_in,
        },
    )


def _session_from_json(data: Mapping[str, Any], key: str) -> RoleSession | None:
    strings = ("display_name", "role_arn", "assumed_role_arn", "access_key_id",
               "secret_access_key", "session_token")  # fmt: skip
    ints = ("expiration", "duration")
    if data.get("key") != key:
        return None
    if not all(isinstance(data.get(k), str) and data[k] for k in strings):
        return None
    if not all(type(data.get(k)) is int for k in ints):
        return None
    region, sign_in = data.get("region"), data.get("sign_in")
    if not all(v is None or isinstance(v, str) for v in (region, sign_in)):
        return None
    return RoleSession(
        display_name=data["display_name"],
        role_arn=data["role_arn"],
        assumed_role_arn=data["assumed_role_arn"],
        credentials=Credentials(
            access_key_id=data["access_key_id"],
            secret_access_key=data["secret_access_key"],
            session_token=data["session_token"],
            expiration=data["expiration"],
        ),
        region=region,
        duration=data["duration"],
        sign_in=sign_in,
    )


# --- MFA sessions (GetSessionToken with a code, per device and source key) ------------------

_MFA_ENDPOINT_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
                      "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")  # fmt: skip


def mfa_key(mfa_serial: str, source_key_id: str, env: Mapping[str, str]) -> str:
    return digest({"v": FORMAT, "mfa_serial": mfa_serial, "source_key": source_key_id,
                   "endpoint": {n: env.get(n) for n in _MFA_ENDPOINT_VARS}})  # fmt: skip


def load_mfa_session(settings: Settings, key: str, now: int) -> Credentials | None:
    data = load(settings, f"mfa-{key}.json")
    if data is None or data.get("key") != key:
        return None
    strings = ("access_key_id", "secret_access_key", "session_token")
    expiration = data.get("expiration")
    if not all(isinstance(data.get(k), str) and data[k] for k in strings):
        return None
    if type(expiration) is not int or expiration - now < MIN_LIFE_LEFT:
        return None
    return Credentials(data["access_key_id"], data["secret_access_key"], data["session_token"],
                       expiration)  # fmt: skip


def store_mfa_session(settings: Settings, key: str, creds: Credentials) -> None:
    store(settings, f"mfa-{key}.json", {"key": key, **_credentials_json(creds)})


def _credentials_json(creds: Credentials) -> dict[str, object]:
    return {"access_key_id": creds.access_key_id, "secret_access_key": creds.secret_access_key,
            "session_token": creds.session_token, "expiration": creds.expiration}  # fmt: skip


# --- role name -> ARN resolutions -----------------------------------------------------------


def load_role_arn(settings: Settings, key: str) -> str | None:
    data = load(settings, f"role-{key}.json")
    arn = data.get("role_arn") if data is not None and data.get("key") == key else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def store_role_arn(settings: Settings, key: str, role_arn: str) -> None:
    store(settings, f"role-{key}.json", {"key": key, "role_arn": role_arn})


def forget_sessions_of(settings: Settings, sign_in: str) -> int:
    """Remove every cached session that came from this IAM Identity Center sign-in (its
    token cache key); how many were removed."""
    directory = _usable_dir(settings)
    removed = 0
    for name in os.listdir(directory) if directory else ():
        if not (name.startswith("session-") and name.endswith(".json")):
            continue
        path = os.path.join(directory, name)  # type: ignore[arg-type]
        data = _read_trusted(path)
        if data is not None and data.get("sign_in") == sign_in:
            try:
                os.unlink(path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def forget_role_arn(settings: Settings, key: str) -> None:
    try:  # noqa: SIM105 - contextlib costs an import on the cached path
        os.unlink(os.path.join(settings.cache_dir, f"role-{key}.json"))
    except OSError:
        pass
