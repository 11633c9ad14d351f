"""The per-user credential cache: stdlib only, because a cached `use` must not pay for botocore.

One 0600 JSON file per fingerprint in a 0700 directory, written atomically (temp file in the
same directory + os.replace), so a shell never reads half a file. A file we did not write
(corrupt, foreign owner, loose permissions) is ignored with one warning and later replaced.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import sys

from stsenv import tidy
from stsenv.inert import inert
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
_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

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
        print(f"stsenv: warning: {inert(message)}", file=sys.stderr)


def _file_identity(path: str) -> list[object]:
    try:
        st = os.stat(path)
    except OSError:
        return [str(path), None]
    return [str(path), st.st_mtime_ns, st.st_size]


def source_key(env: Mapping[str, str], settings: Settings) -> dict[str, object]:
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


def fingerprint(
    request: UseRequest,
    env: Mapping[str, str],
    settings: Settings,
    source: dict[str, object] | None = None,
) -> str:
    """Key of a session in the cache: everything that changes the result of `use`, except the
    MFA code (a new code gives the same session) and --refresh. `source`: source_key(env,
    settings) when the caller has it already (`roles` over 2,500 profiles)."""
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
    if source is None:
        source = source_key(env, settings)
    return digest({"v": FORMAT, "request": asked, "source": source})


def name_key(role_name: str, source_label: str, env: Mapping[str, str], settings: Settings) -> str:
    """Key of a remembered role name -> ARN resolution."""
    return digest(
        {
            "v": FORMAT,
            "role_name": role_name,
            "via": source_label,
            "source": source_key(env, settings),
        }
    )


def is_fresh(session: RoleSession, now: int) -> bool:
    left = session.credentials.expiration - now
    return left >= max(MIN_LIFE_LEFT, MIN_LIFE_FRACTION * session.duration)


# --- the directory and its files -------------------------------------------------------------


# The Cache Directory Tagging spec (https://bford.info/cachedir/): backup tools skip a
# directory holding it, and stsenv uses no directory without it (unless it adopts one).
MARKER = "CACHEDIR.TAG"
_MARKER_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by stsenv (AWS role sessions).\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
# What stsenv before the marker wrote: a directory holding only these is adopted.
_OUR_JSON = ("session-", "role-", "mfa-", "chain-", "sso-listing-")


def _is_ours(name: str) -> bool:
    return (
        name in ("stamps", MARKER)
        or name.startswith(".tmp-")
        or (name.startswith(_OUR_JSON) and name.endswith(".json"))
        or (name.startswith("console-") and name.endswith(".html"))
    )


def _dir_problem(path: str) -> str | None:
    """Why the cache dir `path` cannot be trusted, else None: it is made (0700, with the
    marker) when missing, an empty or older stsenv cache is adopted, and ours is tightened.
    It is never followed through a symlink (someone else's link in a shared folder would get
    our sessions): it is opened with O_NOFOLLOW | O_DIRECTORY, and checked, marked and
    chmod-ed through that fd only."""
    try:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        try:  # noqa: SIM105 - contextlib costs an import on the cached path
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST):
            try:
                if stat.S_ISLNK(os.lstat(path).st_mode):
                    return (
                        "is a symbolic link, which stsenv does not follow (point "
                        "STSENV_CACHE_DIR at a folder of your own)"
                    )
            except OSError:
                pass
        return f"is unusable ({e.strerror})"
    try:
        return _fd_problem(fd, path)
    finally:
        os.close(fd)


def _fd_problem(fd: int, path: str) -> str | None:
    st = os.fstat(fd)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        return "is not a directory owned by you"
    try:
        marked = stat.S_ISREG(os.stat(MARKER, dir_fd=fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        marked = False
    except OSError as e:
        return f"is unusable ({e.strerror})"
    if not marked:
        # Never chmod or fill a folder of someone's files (STSENV_CACHE_DIR=~/public_html).
        problem = _adopt(fd)
        if problem is not None:
            return problem
    if stat.S_IMODE(st.st_mode) != 0o700:
        # Tighten what is ours; anyone who could write there may have planted files, but each
        # file is checked on its own before it is trusted.
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            warn(f"credential cache {path} was writable by others; set it back to 0700")
        try:
            os.fchmod(fd, 0o700)
        except OSError as e:
            return f"cannot be made private ({e.strerror})"
    return None


def _adopt(directory: int) -> str | None:
    """Mark an empty directory, or one holding only what stsenv writes, as our cache."""
    try:
        names = os.listdir(directory)
    except OSError as e:
        return f"is unusable ({e.strerror})"
    if not all(_is_ours(name) for name in names):
        return f"holds files that are not stsenv's (it has no {MARKER})"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    try:
        fd = os.open(MARKER, flags, 0o600, dir_fd=directory)
    except FileExistsError:  # a concurrent `use` marked it, or something else is there
        try:
            if stat.S_ISREG(os.stat(MARKER, dir_fd=directory, follow_symlinks=False).st_mode):
                return None
        except OSError:
            pass
        return f"has a {MARKER} that is not a regular file"
    except OSError as e:
        return f"cannot be marked as stsenv's cache ({e.strerror})"
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(_MARKER_TEXT)
    except OSError as e:
        return f"cannot be marked as stsenv's cache ({e.strerror})"
    return None


def usable_dir(settings: Settings, quiet: bool = False) -> str | None:
    """The cache dir, created 0700; None (with a warning) when it cannot be trusted."""
    path = settings.cache_dir
    problem = _dir_problem(path)
    if problem is not None:
        if not quiet:
            warn(f"credential cache {path} {problem}; not caching")
        return None
    return path


def read_trusted(
    path: str, max_bytes: int = _MAX_FILE_BYTES, format: int = FORMAT
) -> dict[str, Any] | None:
    """The JSON object in `path` if we wrote it (ours, 0600, regular, sane, of `format`);
    else None."""
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
        elif st.st_size > max_bytes:
            problem = "too large"
        if problem is None:
            try:
                data = json.loads(f.read(max_bytes + 1))
            except (ValueError, OSError):
                data = None
            if isinstance(data, dict) and data.get("format") == format:
                return data
            problem = "corrupt"
    warn(f"ignoring cache file {path} ({problem}); it will be replaced")
    return None


def write_atomically(directory: str, name: str, data: Mapping[str, object]) -> None:
    import tempfile  # only writers pay for it

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        tidy.remove(tmp)
        raise


def store(settings: Settings, name: str, data: Mapping[str, object]) -> None:
    directory = usable_dir(settings)
    if directory is None:
        return
    try:
        write_atomically(directory, name, {"format": FORMAT, **data})
    except OSError as e:
        warn(f"could not write the credential cache in {directory} ({e.strerror})")


def load(settings: Settings, name: str) -> dict[str, Any] | None:
    directory = usable_dir(settings)
    return None if directory is None else read_trusted(os.path.join(directory, name))


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
    strings = (
        "display_name",
        "role_arn",
        "assumed_role_arn",
        "access_key_id",
        "secret_access_key",
        "session_token",
    )
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

_MFA_ENDPOINT_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def mfa_key(mfa_serial: str, source_key_id: str, env: Mapping[str, str]) -> str:
    return digest(
        {
            "v": FORMAT,
            "mfa_serial": mfa_serial,
            "source_key": source_key_id,
            "endpoint": {n: env.get(n) for n in _MFA_ENDPOINT_VARS},
        }
    )


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
    return Credentials(
        data["access_key_id"], data["secret_access_key"], data["session_token"], expiration
    )


def store_mfa_session(settings: Settings, key: str, creds: Credentials) -> None:
    store(settings, f"mfa-{key}.json", {"key": key, **_credentials_json(creds)})


def _credentials_json(creds: Credentials) -> dict[str, object]:
    return {
        "access_key_id": creds.access_key_id,
        "secret_access_key": creds.secret_access_key,
        "session_token": creds.session_token,
        "expiration": creds.expiration,
    }


# --- role name -> ARN resolutions -----------------------------------------------------------


def load_role_arn(settings: Settings, key: str) -> str | None:
    data = load(settings, f"role-{key}.json")
    arn = data.get("role_arn") if data is not None and data.get("key") == key else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def store_role_arn(settings: Settings, key: str, role_arn: str) -> None:
    store(settings, f"role-{key}.json", {"key": key, "role_arn": role_arn})


def session_with_key(settings: Settings, access_key_id: str) -> RoleSession | None:
    """The cached session whose credentials these are (the shell's active role), if any."""
    directory = usable_dir(settings)
    if directory is None or not access_key_id:
        return None
    for name in os.listdir(directory):
        if name.startswith("session-") and name.endswith(".json"):
            data = read_trusted(os.path.join(directory, name))
            if data is not None and data.get("access_key_id") == access_key_id:
                return _session_from_json(data, str(data.get("key")))
    return None


def forget_sessions_of(settings: Settings, sign_in: str) -> int:
    """Remove every cached session that came from this IAM Identity Center sign-in (its
    token cache key); how many were removed."""
    directory = usable_dir(settings)
    removed = 0
    for name in os.listdir(directory) if directory else ():
        if not (name.startswith("session-") and name.endswith(".json")):
            continue
        path = os.path.join(directory, name)  # type: ignore[arg-type]
        data = read_trusted(path)
        if data is not None and data.get("sign_in") == sign_in:
            try:
                os.unlink(path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def forget(settings: Settings, name: str) -> None:
    """Remove one cache file, if it is there."""
    tidy.remove(os.path.join(settings.cache_dir, name))


def forget_role_arn(settings: Settings, key: str) -> None:
    tidy.remove(os.path.join(settings.cache_dir, f"role-{key}.json"))


# --- the clock stamps (<cache>/stamps/<expiry>, whose mtime is the expiry) -------------------

STAMP_KEEP_SECONDS = 24 * 3600  # stamps of roles expired longer ago than this are removed


class UnsafeStamp(Exception):
    """No stamp can be made safely; the message says why (one clause, no secrets).
    `warned`: the cache dir's own warning already said so."""

    def __init__(self, why: str, warned: bool = False) -> None:
        super().__init__(why)
        self.warned = warned


def stamp(settings: Settings, expiry: int, now: int, quiet: bool = False) -> str:
    """The path of a file whose mtime is `expiry`: fish reads `now - expiry` from it without a
    fork. Made under the cache's rules: in the trusted cache dir, in a 0700 `stamps` dir of
    ours, never through a symlink (every name is opened relative to the directory's fd, with
    O_NOFOLLOW); a stamp that is not a private file of ours is replaced. UnsafeStamp when no
    safe one can be made (with a warning line, unless quiet)."""
    folder, name = os.path.join(settings.cache_dir, "stamps"), str(expiry)
    try:
        directory = _stamp_dir(settings, folder, quiet)
        try:
            if _set_stamp(directory, folder, name, expiry):
                _clean_stamps(directory, now)
        finally:
            os.close(directory)
    except UnsafeStamp as e:
        if not quiet and not e.warned:
            warn(f"no clock stamp: {e}")
        raise
    return os.path.join(folder, name)


def stamp_problem(settings: Settings) -> str | None:
    """Why no stamp could be made now (checked before any AWS call, for fish), else None."""
    try:
        os.close(_stamp_dir(settings, os.path.join(settings.cache_dir, "stamps"), True))
    except UnsafeStamp as e:
        return str(e)
    return None


def _stamp_dir(settings: Settings, folder: str, quiet: bool) -> int:
    """An fd of the stamps directory: a real directory of ours, 0700, in a trusted cache."""
    path = settings.cache_dir
    problem = _dir_problem(path)
    if problem is not None:
        if not quiet:
            warn(f"credential cache {path} {problem}; not caching")
        raise UnsafeStamp(f"the cache dir {path} {problem}", warned=not quiet)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise UnsafeStamp(f"{folder} cannot be made ({e.strerror})") from None
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as e:
        why = e.strerror
        if e.errno in (errno.ELOOP, errno.ENOTDIR):  # Linux says ENOTDIR for a symlink too
            try:
                link = stat.S_ISLNK(os.lstat(folder).st_mode)
            except OSError:
                link = False
            why = "is a symbolic link" if link else "is not a directory"
        raise UnsafeStamp(f"{folder} {why}") from None
    st = os.fstat(fd)
    problem = None
    if st.st_uid != os.geteuid():
        problem = "is owned by another user"
    elif stat.S_IMODE(st.st_mode) != 0o700:
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            warn(f"clock stamps {folder} were writable by others; set them back to 0700")
        try:
            os.fchmod(fd, 0o700)
        except OSError as e:
            problem = f"cannot be made private ({e.strerror})"
    if problem is not None:
        os.close(fd)
        raise UnsafeStamp(f"{folder} {problem}")
    return fd


def _set_stamp(directory: int, folder: str, name: str, expiry: int) -> bool:
    """Set the mtime of stamps/<name> through its own fd, creating it (O_EXCL) or replacing
    what is there when it is not a private regular file of ours. True if it was created."""
    for _attempt in range(3):
        created = True
        try:
            fd = os.open(
                name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=directory
            )
        except FileExistsError:
            created = False
            problem = _stamp_file_problem(directory, name)
            if problem is not None:
                _replace_stamp(directory, folder, name, problem)
                continue
            try:  # O_NONBLOCK: a FIFO swapped in meanwhile does not hang us
                fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=directory)
            except FileNotFoundError:  # removed meanwhile
                continue
            except OSError as e:
                raise UnsafeStamp(f"{folder}/{name} cannot be opened ({e.strerror})") from None
        except OSError as e:
            raise UnsafeStamp(f"{folder}/{name} cannot be made ({e.strerror})") from None
        try:
            st = os.fstat(fd)
            if not created and not _private_file(st):  # swapped between lstat and open
                continue
            os.utime(fd, (expiry, expiry))
        except OSError as e:
            raise UnsafeStamp(f"{folder}/{name} cannot be dated ({e.strerror})") from None
        finally:
            os.close(fd)
        return created
    raise UnsafeStamp(f"{folder}/{name} keeps being replaced by something else")


def _private_file(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077


def _stamp_file_problem(directory: int, name: str) -> str | None:
    try:
        st = os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return None  # gone meanwhile: the next attempt creates it
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid != os.geteuid():
        return "owned by another user"
    if st.st_mode & 0o077:
        return "readable or writable by others"
    return None


def _replace_stamp(directory: int, folder: str, name: str, problem: str) -> None:
    """Remove what is at stamps/<name> (unlink never follows a symlink; a directory is left
    as it is, with its contents)."""
    path = f"{folder}/{name}"
    try:
        os.unlink(name, dir_fd=directory)
    except FileNotFoundError:
        return
    except OSError as e:
        raise UnsafeStamp(f"{path} is {problem} and cannot be removed ({e.strerror})") from None
    warn(f"ignoring clock stamp {path} ({problem}); it was replaced")


def _clean_stamps(directory: int, now: int) -> None:
    """Remove the stamps of roles long expired: only regular files of ours, named by plain
    ASCII digits; a concurrent `use` removing the same ones is no error."""
    for old in os.listdir(directory):
        if not (old.isascii() and old.isdigit() and int(old) < now - STAMP_KEEP_SECONDS):
            continue
        try:
            st = os.stat(old, dir_fd=directory, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
                os.unlink(old, dir_fd=directory)
        except OSError:  # FileNotFoundError: another `use` was first; else leave it be
            pass
