"""Per-directory roles: the project file `.stsenv.toml`, read as data, and the allow store.

    use = "s3Full"          # any TARGET: alias, profile, ARN, ACCOUNT/ROLE, role name
    duration = "2h"         # and the other settings of an alias (all optional)
    # use = "" or none = true: no role in this tree

A file counts only once the user has allowed it (`stsenv allow`): the allowance names its
path (its directory resolved), the SHA-256 of its bytes and its settings as parsed then (so
entering an allowed tree never parses TOML again), in one 0600 JSON file per path
in a 0700 directory of the user's data dir, written and read under the cache's rules
(aws/cache.py: atomic writes, ours, 0600, regular, small). Nothing in a project file is
ever run: it is parsed by tomllib and every value is checked like an alias's.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys

from stsenv.errors import UsageError
from stsenv.inert import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from stsenv.settings import Settings

FILE_NAME = ".stsenv.toml"
MAX_BYTES = 16 * 1024  # a project file is a few lines; anything bigger is not one
FORMAT = 1
# The settings a project file may hold besides `use`/`none`: an alias's, as `use` options.
OPTIONS = ("duration", "session_name", "profile", "region", "mfa_serial", "external_id")


class ProjectProblem(UsageError):
    """A project file that is ignored (foreign, a link, unreadable, huge, malformed)."""


class ProjectFile:
    __slots__ = ("digest", "options", "path", "target")

    def __init__(self, path: str, digest: str, target: str | None, options: dict[str, str]):
        self.path = path  # absolute, its directory resolved (the allowance's key)
        self.digest = digest  # SHA-256 of the bytes, hex
        self.target = target  # None: "no role in this tree"
        self.options = options


def printable(path: str) -> str:
    """`path` as one line of text: control characters and undecodable bytes escaped (the
    one way stsenv makes outside text inert)."""
    return inert(path)[:1000]


def shown(path: str) -> str:
    """`path` as one line of text: control characters and undecodable bytes escaped, and
    relative to the current directory when it is in it or above it (./.stsenv.toml)."""
    try:
        here = os.path.realpath(os.getcwd())
        rel = os.path.relpath(path, here)
        if rel == FILE_NAME or rel.startswith(".."):
            parts = rel.split(os.sep)
            if all(p == ".." for p in parts[:-1]) and len(parts) <= 4:
                path = rel if rel.startswith("..") else "./" + rel
    except (OSError, ValueError):
        pass
    return printable(path)[:300]


def resolve(path: str) -> str:
    """The key of a project file: its directory resolved (symlinks, `..`), plus its name.
    The file itself is never followed (see read)."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(directory), name)


def find(start: str) -> str | None:
    """The nearest .stsenv.toml from `start` up to /, as the hook's walk finds it."""
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, FILE_NAME)
        if os.path.isfile(candidate) or os.path.islink(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def load(path: str) -> tuple[str, bytes, str]:
    """(key, bytes, SHA-256) of the project file at `path`, checked: regular (no symlink),
    the user's own, writable by no one else, at most MAX_BYTES. Not parsed yet: an allowed
    file's settings come from its allowance (no tomllib, hence no `typing`, on the way in)."""
    key = resolve(path)
    if os.path.basename(key) != FILE_NAME:
        raise ProjectProblem(f"{shown(key)} is not a {FILE_NAME}")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(key, flags)
    except FileNotFoundError:
        raise ProjectProblem(f"{shown(key)} does not exist") from None
    except OSError as e:
        if os.path.islink(key):
            raise ProjectProblem(f"{shown(key)} is a symbolic link; ignored") from None
        raise ProjectProblem(f"{shown(key)} cannot be read ({e.strerror}); ignored") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # (before fdopen, which refuses a directory)
        os.close(fd)
        raise ProjectProblem(f"{shown(key)} is not a regular file; ignored")
    with os.fdopen(fd, "rb") as f:
        if st.st_uid != os.geteuid():
            raise ProjectProblem(f"{shown(key)} is owned by another user; ignored")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise ProjectProblem(f"{shown(key)} is writable by others; ignored")
        try:
            raw = f.read(MAX_BYTES + 1)
        except OSError as e:
            raise ProjectProblem(f"{shown(key)} cannot be read ({e.strerror}); ignored") from None
    if len(raw) > MAX_BYTES:
        raise ProjectProblem(f"{shown(key)} is larger than {MAX_BYTES // 1024} KiB; ignored")
    return key, raw, hashlib.sha256(raw).hexdigest()


def read(path: str) -> ProjectFile:
    """The project file at `path`, checked (see load) and parsed: UTF-8 TOML with known
    keys of the right types."""
    key, raw, digest = load(path)
    target, options = parse(key, raw)
    return ProjectFile(key, digest, target, options)


def parse(path: str, raw: bytes) -> tuple[str | None, dict[str, str]]:
    """(target or None for "no role here", options) of a project file's bytes."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    from stsenv.config import check_value

    def bad(what: str) -> ProjectProblem:
        return ProjectProblem(f"{shown(path)}: {what}; ignored")

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise bad(f"not valid TOML ({str(e)[:80]})") from None
    options: dict[str, str] = {}
    target: str | None = None
    none = False
    for key, value in data.items():
        name = "".join(c if c.isprintable() else "?" for c in key)[:40]
        if key == "none":
            if not isinstance(value, bool):
                raise bad("none must be true or false")
            none = value
        elif key == "use":
            if not isinstance(value, str):
                raise bad("use must be a string (a role, alias or profile)")
            if value and (len(value) > 2048 or not value.isprintable()):
                raise bad("use must be printable text")
            target = value or None
        elif key in OPTIONS:
            if key == "duration" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                raise bad(f"{name} must be a string")
            try:
                check_value(key, value)
            except UsageError as e:
                raise bad(e.message) from None
            options[key] = value
        else:
            raise bad(f"unknown setting {name!r} (known: use, none, {', '.join(OPTIONS)})")
    if none:
        target = None
    elif target is None and "use" not in data:
        raise bad('no `use = "ROLE"` (or `none = true`)')
    return target, options


# --- the allow store -------------------------------------------------------------------------


def _store_dir(settings: Settings, create: bool) -> str | None:
    """<data dir>/allowed, 0700 and the user's own; None when it cannot be trusted."""
    path = os.path.join(settings.data_dir, "allowed")
    try:
        if create:
            os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise UsageError(f"the allow store {path} is unusable ({e.strerror})") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise UsageError(f"the allow store {path} is not a directory owned by you")
    if stat.S_IMODE(st.st_mode) != 0o700:
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            # Someone else may have planted allowances: trust none of them.
            raise UsageError(f"the allow store {path} is writable by others; fix it (chmod 700)")
        os.chmod(path, 0o700)
    return path


def _entry_name(key: str) -> str:
    return hashlib.sha256(os.fsencode(key)).hexdigest() + ".json"


def allowed(settings: Settings, key: str, digest: str) -> ProjectFile | None:
    """The project file `key` as the user allowed it, if its bytes still have `digest`:
    its settings as parsed (by the same rules) when it was allowed; else None."""
    from stsenv.aws.cache import read_trusted

    directory = _store_dir(settings, create=False)
    if directory is None:
        return None
    data = read_trusted(os.path.join(directory, _entry_name(key)), 8192, FORMAT)
    if data is None or data.get("path") != key or data.get("sha256") != digest:
        return None
    target, options = data.get("use"), data.get("options")
    if not isinstance(target, str) or not isinstance(options, dict):
        return None  # an allowance without its settings: allow it again
    if not all(k in OPTIONS and isinstance(v, str) for k, v in options.items()):
        return None
    return ProjectFile(key, digest, target or None, options)


def allowed_digest(settings: Settings, key: str) -> str | None:
    """The digest the user allowed for the project file `key`, or None."""
    from stsenv.aws.cache import read_trusted

    directory = _store_dir(settings, create=False)
    if directory is None:
        return None
    data = read_trusted(os.path.join(directory, _entry_name(key)), 8192, FORMAT)
    if data is None or data.get("path") != key or not isinstance(data.get("sha256"), str):
        return None
    digest: str = data["sha256"]
    return digest


def allow(settings: Settings, project: ProjectFile) -> None:
    from stsenv.aws.cache import write_atomically

    directory = _store_dir(settings, create=True)
    assert directory is not None
    record = {
        "format": FORMAT,
        "path": project.path,
        "sha256": project.digest,
        "use": project.target or "",
        "options": project.options,
    }
    write_atomically(directory, _entry_name(project.path), record)


def deny(settings: Settings, key: str) -> bool:
    """Forget the allowance of `key`; False when there was none."""
    directory = _store_dir(settings, create=False)
    if directory is None:
        return False
    try:
        os.unlink(os.path.join(directory, _entry_name(key)))
    except FileNotFoundError:
        return False
    return True


def allowances(settings: Settings) -> Iterator[tuple[str, str]]:
    """(path, digest) of every allowance in the store (doctor)."""
    from stsenv.aws.cache import read_trusted

    directory = _store_dir(settings, create=False)
    if directory is None:
        return
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json") or name.startswith("."):
            continue
        data = read_trusted(os.path.join(directory, name), 8192, FORMAT)
        if data and isinstance(data.get("path"), str) and isinstance(data.get("sha256"), str):
            yield data["path"], data["sha256"]
