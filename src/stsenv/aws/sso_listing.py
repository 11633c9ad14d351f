"""IAM Identity Center without botocore: which sign-in is meant, where its token lives, and
the cached listing of its accounts and roles (read by TAB completion and the picker, which
must stay fast). stdlib only; the network half is stsenv.aws.sso.

A sign-in is what `aws sso login` signs in to: an [sso-session NAME] section, or, for a
legacy profile, the sso_start_url on the profile. Its token is the AWS CLI v2's file,
~/.aws/sso/cache/<sha1 of the session name, or of the start URL>.json
(botocore.utils.SSOTokenLoader), so a sign-in is shared with the AWS CLI both ways.
"""

from __future__ import annotations

import hashlib
import json
import os

from stsenv import tidy
from stsenv.aws import cache
from stsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from stsenv.settings import Settings

DEFAULT_SCOPES = ("sso:account:access",)  # the scope that makes CreateToken return a refresh
LISTING_TTL = 60 * 60  # a listing is reused for an hour; `roles --sso --refresh` lists again
_LISTING_FORMAT = 1
_MAX_LISTING_BYTES = 16 * 1024 * 1024  # ~100,000 assignments; cache.py's 64 KiB is too small


def token_dir() -> str:
    """Where botocore and the AWS CLI keep IAM Identity Center tokens (SSOTokenProvider /
    SSOProvider._SSO_TOKEN_CACHE_DIR: ~/.aws/sso/cache; no variable moves it)."""
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache")


def token_dir_problem() -> str | None:
    """Why no token in token_dir() may be trusted, else None (see token_folder_problem)."""
    return token_folder_problem(token_dir())


def token_folder_problem(folder: str) -> str | None:
    """Why no token in `folder` may be trusted, else None (also when it is missing: it is
    made 0700 when a token is written). The cache's rule for a folder of secrets: a real
    folder, not a symlink, owned by this user, that nobody else may write (the AWS CLI makes
    it with the umask, so 0755 is fine: each token file is 0600 itself). The rule of both
    token folders: IAM Identity Center's (~/.aws/sso/cache) and the console sign-in's
    (~/.aws/login/cache, aws/signin.py)."""
    import stat

    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as e:
        return f"cannot be checked ({e.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link, which stsenv does not follow"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    if st.st_uid != os.geteuid():
        return "is owned by another user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by others"
    return None


class SignIn:
    """One IAM Identity Center sign-in: an sso-session, or a legacy profile's start URL."""

    __slots__ = ("key", "profile", "region", "scopes", "session_name", "start_url", "token_path")

    def __init__(
        self,
        session_name: str | None,
        start_url: str,
        region: str,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        profile: str | None = None,
    ) -> None:
        self.session_name = session_name  # None: a legacy profile (sso_start_url on it)
        self.start_url = start_url
        self.region = region  # sso_region: where the portal and SSO-OIDC are
        self.scopes = scopes  # sso_registration_scopes
        self.profile = profile  # the profile it was found through (for hints), if any
        # The AWS CLI v2's token cache key (SSOTokenLoader._generate_cache_key).
        name = session_name if session_name is not None else start_url
        self.key = hashlib.sha1(name.encode("utf-8")).hexdigest()  # noqa: S324 - a name, not a MAC
        self.token_path = os.path.join(token_dir(), self.key + ".json")

    @property
    def label(self) -> str:
        """How messages name it: `sso-session corp`, or the start URL of a legacy profile."""
        return f"sso-session {self.session_name}" if self.session_name else self.start_url

    @property
    def login_hint(self) -> str:
        """The command that signs in again."""
        if self.session_name is not None:
            return f"stsenv login --sso-session {self.session_name}"
        return f"stsenv login --profile {self.profile}" if self.profile else "stsenv login"

    def __repr__(self) -> str:
        return f"SignIn({self.label!r}, region={self.region!r})"


class Assignment:
    """One role of one account that a sign-in may use."""

    __slots__ = ("account_id", "account_name", "role_name")

    def __init__(self, account_id: str, account_name: str, role_name: str) -> None:
        self.account_id = account_id
        self.account_name = account_name
        self.role_name = role_name

    def as_json(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "role_name": self.role_name,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Assignment) and self.as_json() == other.as_json()

    def __hash__(self) -> int:
        return hash((self.account_id, self.account_name, self.role_name))

    def __repr__(self) -> str:
        return f"Assignment({self.account_id}/{self.role_name} {self.account_name!r})"


# --- which sign-in ---------------------------------------------------------------------------


def find_sign_in(
    full_config: Mapping[str, Any],
    profile: str | None,
    sso_session: str | None,
    env_profile: str | None,
) -> SignIn:
    """The sign-in meant by `--profile P` (its own, or that of the SSO profile its
    source_profile chain leads to), `--sso-session S`, else AWS_PROFILE's (`env_profile`)
    when it has one, else the only one in the config. `full_config` is botocore's
    Session().full_config (or the same shape: "profiles" and "sso_sessions")."""
    profiles = _section(full_config, "profiles")
    sessions = _section(full_config, "sso_sessions")
    if profile and sso_session:
        raise UsageError("give --profile or --sso-session, not both")
    if sso_session:
        if sso_session not in sessions:
            raise UsageError(
                f"there is no [sso-session {sso_session}] in the AWS config{_existing(sessions)}"
            )
        return _from_session(sso_session, sessions[sso_session], None)
    if profile:
        if profile not in profiles:
            raise UsageError(f"there is no profile {profile!r} in the AWS config")
        found = _from_profile(profile, profiles, sessions)
        if found is None:
            raise UsageError(
                f"profile {profile!r} does not sign in with IAM Identity Center (no sso_session"
                " or sso_start_url on it, nor on a profile its source_profile chain leads to)"
            )
        return found
    if env_profile and env_profile in profiles:
        found = _from_profile(env_profile, profiles, sessions)
        if found is not None:
            return found
    if len(sessions) == 1:
        ((name, section),) = sessions.items()
        return _from_session(name, section, None)
    legacy = sorted(
        {
            str(p["sso_start_url"]): n
            for n, p in profiles.items()
            if isinstance(p, dict) and "sso_start_url" in p and "sso_session" not in p
        }.items()
    )
    if not sessions and len(legacy) == 1:
        return _from_profile(legacy[0][1], profiles, sessions)  # type: ignore[return-value]
    if not sessions and not legacy:
        raise UsageError(
            "the AWS config has no IAM Identity Center sign-in: add an [sso-session NAME] "
            "section with sso_start_url and sso_region (or run `aws configure sso`)"
        )
    raise UsageError(
        f"which IAM Identity Center sign-in? use --sso-session NAME or "
        f"--profile P{_existing(sessions)}"
    )


def every_sign_in(full_config: Mapping[str, Any]) -> list[SignIn | UsageError]:
    """Every sign-in of the config (for `doctor`): each [sso-session], by name, then each
    legacy start URL once, through the first profile (by name) that has it. A section that
    cannot be one is its UsageError, in its place."""
    profiles = _section(full_config, "profiles")
    sessions = _section(full_config, "sso_sessions")
    found: list[SignIn | UsageError] = []
    for name in sorted(sessions):
        try:
            found.append(_from_session(name, sessions[name], None))
        except UsageError as e:
            found.append(e)
    urls: set[str] = set()
    for name in sorted(profiles):
        section = profiles[name]
        url = section.get("sso_start_url")
        if url is None or "sso_session" in section or str(url) in urls:
            continue
        urls.add(str(url))
        try:
            sign_in = _from_profile(name, profiles, sessions)
        except UsageError as e:
            found.append(e)
            continue
        if sign_in is not None:
            found.append(sign_in)
    return found


def _section(config: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    value = config.get(name)
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, dict)}


def _existing(sessions: Mapping[str, object]) -> str:
    if not sessions:
        return " (it has no [sso-session] section)"
    return " (it has: " + ", ".join(sorted(sessions)) + ")"


def _from_profile(
    start: str, profiles: Mapping[str, dict[str, Any]], sessions: Mapping[str, dict[str, Any]]
) -> SignIn | None:
    seen: set[str] = set()
    name: str | None = start
    while name and name not in seen and name in profiles:
        seen.add(name)
        section = profiles[name]
        if "sso_session" in section:
            session = str(section["sso_session"])
            if session not in sessions:
                raise UsageError(
                    f"profile {name!r} names sso_session {session!r}, which has no "
                    "[sso-session] section in the AWS config"
                )
            for key, value in sessions[session].items():  # botocore's InvalidConfigError
                if section.get(key, value) != value:
                    raise UsageError(
                        f"profile {name!r} and [sso-session {session}] give "
                        f"different {key} values, which botocore refuses: keep "
                        "it in the [sso-session] only"
                    )
            return _from_session(session, sessions[session], name)
        if "sso_start_url" in section:
            _require(section, f"profile {name!r}")
            # Legacy profiles take no sso_registration_scopes; stsenv still asks for the
            # account scope so that the sign-in gets a refresh token.
            return SignIn(
                None,
                str(section["sso_start_url"]),
                str(section["sso_region"]),
                DEFAULT_SCOPES,
                name,
            )
        source = section.get("source_profile")
        name = str(source) if source else None
    return None


def _from_session(name: str, section: Mapping[str, Any], profile: str | None) -> SignIn:
    _require(section, f"[sso-session {name}]")
    scopes = parse_scopes(section.get("sso_registration_scopes")) or DEFAULT_SCOPES
    return SignIn(name, str(section["sso_start_url"]), str(section["sso_region"]), scopes, profile)


def _require(section: Mapping[str, Any], where: str) -> None:
    missing = [k for k in ("sso_start_url", "sso_region") if not section.get(k)]
    if missing:
        raise UsageError(f"{where} in the AWS config lacks {' and '.join(missing)}")


def parse_scopes(value: object) -> tuple[str, ...]:
    """sso_registration_scopes as the AWS CLI reads it: comma-separated, blanks dropped."""
    if not isinstance(value, str):
        return ()
    return tuple(s.strip() for s in value.split(",") if s.strip())


# --- the cached listing ----------------------------------------------------------------------


def _listing_name(sign_in: SignIn) -> str:
    which = {
        "v": _LISTING_FORMAT,
        "start_url": sign_in.start_url,
        "region": sign_in.region,
        "session": sign_in.session_name,
    }
    key = hashlib.sha256(json.dumps(which, sort_keys=True).encode()).hexdigest()
    return f"sso-listing-{key}.json"


def load_cached_assignments(
    sign_in: SignIn, settings: Settings, now: int
) -> list[Assignment] | None:
    """The sign-in's listing if one younger than LISTING_TTL is cached, else None. No network,
    no botocore: fast enough for TAB completion over thousands of roles."""
    name = _listing_name(sign_in)
    data = cache.read_trusted(
        os.path.join(settings.cache_dir, name), _MAX_LISTING_BYTES, _LISTING_FORMAT
    )
    if data is None:
        return None
    listed_at, accounts = data.get("listed_at"), data.get("accounts")
    if (
        data.get("name") != name
        or type(listed_at) is not int
        or not isinstance(accounts, list)
        or not listed_at <= now < listed_at + LISTING_TTL
    ):
        return None
    found = []
    for entry in accounts:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], list)):
            return None
        account_id, account_name, roles = entry
        for role in roles:
            if not (
                isinstance(account_id, str)
                and isinstance(account_name, str)
                and isinstance(role, str)
            ):
                return None
            found.append(Assignment(account_id, account_name, role))
    return found


def store_assignments(
    sign_in: SignIn, settings: Settings, assignments: list[Assignment], now: int
) -> None:
    """Cache a listing (0600, atomic, in the 0700 cache dir). Nothing secret is in it."""
    accounts: dict[tuple[str, str], list[str]] = {}
    for a in assignments:
        accounts.setdefault((a.account_id, a.account_name), []).append(a.role_name)
    name = _listing_name(sign_in)
    data = {
        "format": _LISTING_FORMAT,
        "name": name,
        "listed_at": now,
        "accounts": [[i, n, roles] for (i, n), roles in accounts.items()],
    }
    directory = cache.usable_dir(settings)
    if directory is None:
        return
    try:
        cache.write_atomically(directory, name, data)
    except OSError as e:
        cache.warn(f"could not write the credential cache in {directory} ({e.strerror})")


def forget_assignments(sign_in: SignIn, settings: Settings) -> None:
    tidy.remove(os.path.join(settings.cache_dir, _listing_name(sign_in)))
