"""The vault: IAM user keys kept in the OS keychain through the `keyring` library (macOS
Keychain, Windows Credential Locker, Secret Service / KWallet, `pass` via keyring-pass).
The only module that imports keyring, and only inside its functions: the cached path of a
vault profile's credential_process and every cached `use` never reach it.

One keychain entry per AWS profile (service "stsenv", user "key:PROFILE") holding one line
of JSON (id, secret, dates), plus one entry listing the profiles (the keychain APIs cannot
enumerate). The backend is keyring's choice: its keyringrc.cfg and PYTHON_KEYRING_BACKEND.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from stsenv.errors import EnvironmentProblem, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import IO, Any, TypeVar

    T = TypeVar("T")

SERVICE = "stsenv"
_INDEX = "profiles"
# An IAM user's access key id: AKIA + upper-case letters and digits (16 to 128 in all).
KEY_ID = re.compile(r"^AKIA[A-Z0-9]{12,124}\Z")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.+@:-]{1,64}\Z")
# The marker of a vault profile's credential_process line (aws/kinds.py reads it too).
VAULT_FLAG = "--vault"
TAG_PREFIX = "vault:"  # a cached session made from a vault key is tagged vault:PROFILE
HEADLESS_HINT = (
    "on a machine without a desktop keychain use pass: `apt install pass gnupg`, "
    "`gpg --quick-gen-key YOU`, `pass init YOU`, then export "
    'PYTHON_KEYRING_BACKEND=keyring_pass.PasswordStoreBackend (README "Keys")'
)


class StoredKey:
    """A long-term key as the vault keeps it. repr() never shows the secret."""

    __slots__ = ("access_key_id", "added", "created", "secret_access_key")

    def __init__(
        self, access_key_id: str, secret_access_key: str, added: int, created: int | None = None
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.added = added  # when it was put in the vault
        self.created = created  # when IAM made it, if known

    def __repr__(self) -> str:
        return f"StoredKey({masked(self.access_key_id)})"

    @property
    def born(self) -> int:
        return self.created if self.created is not None else self.added

    def to_line(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key,
                "added": self.added,
                "created": self.created,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_line(cls, text: str) -> StoredKey | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        key, secret = data.get("access_key_id"), data.get("secret_access_key")
        added, created = data.get("added"), data.get("created")
        if not (isinstance(key, str) and isinstance(secret, str) and key and secret):
            return None
        if type(added) is not int or not (created is None or type(created) is int):
            return None
        return cls(key, secret, added, created)


def masked(key_id: str) -> str:
    """As `aws configure list` shows a key: all but the last 4 characters hidden."""
    return "*" * 16 + key_id[-4:]


def tag(profile: str) -> str:
    return TAG_PREFIX + profile


def check_key(access_key_id: str, secret: str) -> None:
    """A key that cannot be an IAM user's long-term key is refused before anything is done."""
    if not KEY_ID.match(access_key_id):
        # Never echoed: a secret pasted at the key id prompt, or lines swapped, lands here.
        if access_key_id.startswith("ASIA"):
            why = "it starts with ASIA (a temporary key)"
        elif not access_key_id.startswith("AKIA"):
            why = "it does not start with AKIA"
        else:
            why = "it holds more than upper-case letters and digits"
        swapped = " (the length of a secret: are key id and secret swapped?)"
        raise UsageError(
            f"the access key id given ({len(access_key_id)} characters, not shown) is not an "
            f"IAM user's: {why}{swapped if len(access_key_id) == 40 else ''}; an access key "
            "id starts with AKIA and has 16 to 128 upper-case letters and digits"
        )
    if not secret:
        raise UsageError("the secret access key is empty: nothing was stored")
    if len(secret) > 256 or not secret.isprintable() or any(c.isspace() for c in secret):
        raise UsageError("the secret access key holds spaces or unprintable characters")


def check_profile(profile: str) -> str:
    if not PROFILE_NAME.match(profile):
        raise UsageError(
            f"{profile[:40]!r} is not a profile name for the vault (letters, digits and _.+@:-)"
        )
    return profile


# --- the backend ---------------------------------------------------------------------------


def _keyring() -> Any:
    import keyring

    return keyring.get_keyring()


def backend_name(backend: Any = None) -> str:
    """The backend as keyring names it, e.g. keyring.backends.SecretService.Keyring."""
    try:
        found = backend if backend is not None else _keyring()
    except Exception as e:  # a broken keyringrc.cfg or backend module
        return f"(none: {_short(e)})"
    kind = type(found)
    name = f"{kind.__module__}.{kind.__qualname__}"
    inner = getattr(found, "backends", None)
    if name == "keyring.backends.chainer.ChainerBackend" and inner:
        name += " (" + ", ".join(backend_name(b) for b in inner) + ")"
    return name


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:120]


def _call(what: str, action: Callable[[Any], T]) -> T:
    """Run `action(backend)`; every failure of the backend becomes one line naming the
    backend and what to do (its text never holds a secret: keyring's messages do not)."""
    import sys
    import tempfile

    # A backend that runs a program (pass, gpg) lets it write to our stderr: keep that to
    # quote its last line in ours, so the user sees one line.
    saved = sys.stderr
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as said:
        sys.stderr = said
        try:
            return _run(what, action, said)
        finally:
            sys.stderr = saved


def _run(what: str, action: Callable[[Any], T], said: IO[str]) -> T:
    def last_words() -> str:
        said.seek(0)
        lines = [line.strip() for line in said.read().splitlines() if line.strip()]
        return f"; it said: {lines[-1][:120]}" if lines else ""

    try:
        backend = _keyring()
    except Exception as e:
        raise EnvironmentProblem(
            f"the keychain cannot be loaded ({_short(e)}{last_words()}): check keyringrc.cfg "
            f"and PYTHON_KEYRING_BACKEND; {HEADLESS_HINT}"
        ) from None
    name = backend_name(backend)
    if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        raise EnvironmentProblem(
            f"no keychain to {what}: keyring found no usable backend ({name}); on a desktop "
            f"unlock or start its keychain (Secret Service, KWallet); {HEADLESS_HINT}"
        )
    from keyring import errors

    try:
        return action(backend)
    except errors.KeyringLocked:
        raise EnvironmentProblem(
            f"the keychain ({name}) is locked, so stsenv could not {what}: unlock it and run again"
        ) from None
    except Exception as e:
        raise EnvironmentProblem(
            f"the keychain ({name}) refused to {what} ({type(e).__name__}{last_words()}): "
            "unlock it or allow stsenv, and run again; another backend can be chosen with "
            "PYTHON_KEYRING_BACKEND"
        ) from None


def _entry(profile: str) -> str:
    return f"key:{profile}"


# What this process read from the keychain, by profile: it is read once per run (a prompt,
# if the backend shows one, comes once), and `read_while_importing` reads it early.
_read: dict[str, StoredKey | None] = {}


def read_while_importing(profile: str, module: str) -> None:
    """Read the key of `profile` while `module` (botocore, for the cold path) is imported:
    on Linux in a forked child (a second core: keyring and its backend cost ~80 ms of
    imports, Secret Service's crypto included), which hands the stored line back through a
    pipe (never argv, environment or a file); elsewhere (a fork may not touch macOS's
    keychain) on a thread, where only the keychain's own wait overlaps. A failure is raised
    after the import, as load() would raise it."""
    import importlib
    import threading

    # A fork copies one thread only: a process that has others (exec --server renewing)
    # reads on its own thread.
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        thread = threading.Thread(target=importlib.import_module, args=(module,), daemon=True)
        thread.start()
        try:
            load(profile)
        finally:
            thread.join()  # an import that failed fails again, and says so, in the caller
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, answer, and leave without running any of our exits
        os.close(read_end)
        try:
            answer = _answer(profile)
            with os.fdopen(write_end, "w", encoding="utf-8") as out:
                out.write(answer)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        importlib.import_module(module)
    finally:
        with os.fdopen(read_end, encoding="utf-8") as pipe:
            text = pipe.read(_MAX_ANSWER)
        os.waitpid(pid, 0)
    _read[profile] = _from_answer(profile, text)


_MAX_ANSWER = 64 * 1024


def _answer(profile: str) -> str:
    try:
        found = _load(profile)
    except EnvironmentProblem as e:
        return json.dumps({"error": e.message})
    except BaseException as e:  # the parent reads it again itself
        return json.dumps({"retry": type(e).__name__})
    return json.dumps({"line": found.to_line() if found is not None else None})


def _from_answer(profile: str, text: str) -> StoredKey | None:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "retry" in data:
        return _load(profile)  # the child could not say: read it here
    if isinstance(data.get("error"), str):
        raise EnvironmentProblem(data["error"])
    line = data.get("line")
    found = StoredKey.from_line(line) if isinstance(line, str) else None
    if isinstance(line, str) and found is None:
        raise EnvironmentProblem(_not_ours(profile))
    return found


def load(profile: str) -> StoredKey | None:
    if profile in _read:
        return _read[profile]
    _read[profile] = found = _load(profile)
    return found


def forget_read(profile: str | None = None) -> None:
    """Read again next time (one profile, or all: each cold path starts afresh, since a key
    may have been rotated by another process meanwhile, e.g. under exec --server)."""
    if profile is None:
        _read.clear()
    else:
        _read.pop(profile, None)


def _load(profile: str) -> StoredKey | None:
    def get(backend: Any) -> str | None:
        value = backend.get_password(SERVICE, _entry(profile))
        return value if isinstance(value, str) else None

    text = _call(f"read the key of {profile}", get)
    if text is None:
        return None
    found = StoredKey.from_line(text)
    if found is None:
        raise EnvironmentProblem(_not_ours(profile))
    return found


def _not_ours(profile: str) -> str:
    return (
        f"the keychain entry of {profile} ({SERVICE}/{_entry(profile)}) is not stsenv's: "
        f"`stsenv keys remove {profile}` and add the key again"
    )


def require(profile: str) -> StoredKey:
    found = load(profile)
    if found is None:
        raise UsageError(
            f"the keychain ({backend_name()}) holds no key for AWS profile {profile!r}: "
            f"store it with `stsenv keys add {profile}`"
        )
    return found


def store(profile: str, key: StoredKey) -> None:
    forget_read(profile)
    _call(
        f"store the key of {profile}",
        lambda b: b.set_password(SERVICE, _entry(profile), key.to_line()),
    )
    names = set(listed())
    if profile not in names:
        names.add(profile)
        _set_index(sorted(names))


def delete(profile: str) -> bool:
    """Forget the key of `profile`; False if there was none."""
    forget_read(profile)
    if load(profile) is None:
        gone = False
    else:
        _call(f"remove the key of {profile}", lambda b: b.delete_password(SERVICE, _entry(profile)))
        forget_read(profile)
        gone = True
    names = listed()
    if profile in names:
        _set_index([n for n in names if n != profile])
    return gone


def listed() -> list[str]:
    """The profiles the vault holds keys for (its index)."""
    text = _call("read its list of profiles", lambda b: b.get_password(SERVICE, _INDEX))
    try:
        names = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        names = []
    return [n for n in names if isinstance(n, str) and PROFILE_NAME.match(n)]


def _set_index(names: list[str]) -> None:
    _call(
        "write its list of profiles", lambda b: b.set_password(SERVICE, _INDEX, json.dumps(names))
    )


def probe() -> str:
    """Check that the backend works without touching a key: the index is read. The
    backend's name; EnvironmentProblem when it does not work."""
    listed()
    return backend_name()


def now() -> int:
    return int(time.time())


def source_of(
    target: str, profile: str | None, alias_source: str | None, env: Mapping[str, str]
) -> str | None:
    """The vault profile a `use` of `target` will read, if any, found by a look at the AWS
    config's lines (no botocore): the target itself, --profile, an alias's source_profile,
    the target profile's source_profile, or AWS_PROFILE."""
    from stsenv.aws import awsfiles
    from stsenv.aws.kinds import is_vault_line
    from stsenv.settings import aws_config_paths

    path = aws_config_paths(env)[0]
    candidates = [target, profile, alias_source, awsfiles.value_of(path, target, "source_profile")]
    if not env.get("AWS_ACCESS_KEY_ID"):
        candidates.append(env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE"))
    for name in candidates:
        if (
            name
            and PROFILE_NAME.match(name)
            and is_vault_line(awsfiles.credential_process_of(path, name))
        ):
            return name
    return None
