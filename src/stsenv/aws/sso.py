"""IAM Identity Center (SSO): sign in with the OAuth 2.0 device authorization grant (RFC 8628),
sign out, role credentials of a sign-in, and the listing of every account and role it may use.

botocore is the client (its sso / sso-oidc clients, SSOTokenLoader, SSOTokenProvider for the
refresh); stsenv adds the device-grant loop the AWS CLI v2 has and botocore does not, and
writes the token where and as the AWS CLI v2 writes it, so one sign-in serves both tools.
The stdlib-only half (which sign-in, the token path, the cached listing) is sso_listing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import botocore.session
from botocore import UNSIGNED
from botocore import exceptions as bx
from botocore.config import Config
from botocore.tokens import SSOTokenProvider
from botocore.utils import JSONFileCache, SSOTokenLoader, parse_timestamp

from stsenv.aws import cache
from stsenv.aws.sso_listing import (
    Assignment,
    SignIn,
    find_sign_in,
    forget_assignments,
    load_cached_assignments,
    store_assignments,
    token_dir,
    token_dir_problem,
)
from stsenv.errors import (
    AwsDenied,
    AwsUnreachable,
    EnvironmentProblem,
    SignInNeeded,
    StsenvError,
    UsageError,
)
from stsenv.limits import ACCOUNT_ID, ACCOUNT_NAME, ROLE_NAME
from stsenv.model import Credentials, RoleSession
from stsenv.settings import Settings

__all__ = [
    "Assignment",
    "SignIn",
    "find_sign_in",
    "forget_assignments",
    "list_assignments",
    "load_cached_assignments",
    "login",
    "logout",
    "role_credentials",
]

CLIENT_NAME = "stsenv"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5  # RFC 8628 3.2: when the server names no interval
SLOW_DOWN_DELAY = 5  # RFC 8628 3.5: slow_down adds 5 s to this and every later poll
DEFAULT_DEVICE_CODE_LIFE = 600
REGISTRATION_WINDOW = 15 * 60  # a registration this close to its expiry is not reused (as CLI)
# At most this many portal requests in flight while listing. AWS publishes no rate for the
# portal API; 8 keeps a 1,000-account listing to seconds, and throttling answers (429
# TooManyRequestsException) are retried by botocore's standard mode with backoff.
LIST_WORKERS = 8
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 4
_ISO = "%Y-%m-%dT%H:%M:%SZ"  # how the AWS CLI v2 writes expiresAt (tokens._sso_json_dumps)


# --- botocore's pieces -----------------------------------------------------------------------


def _session(sign_in: SignIn) -> Any:
    """A botocore session for the sign-in's profile (its endpoint settings apply), else for
    the default one; a missing AWS_PROFILE must not stop a sign-in that needs no profile."""
    try:
        session = botocore.session.Session(profile=sign_in.profile)
        session.get_scoped_config()
    except bx.ProfileNotFound:
        if sign_in.profile is not None:
            raise UsageError(f"there is no profile {sign_in.profile!r} in the AWS config") from None
        session = botocore.session.Session(profile="default")
    except bx.ConfigParseError:
        raise UsageError("the AWS config file cannot be parsed; fix its syntax") from None
    return session


def _client(session: Any, service: str, sign_in: SignIn, attempts: int) -> Any:
    config = Config(
        signature_version=UNSIGNED,  # bearer tokens and client secrets, no SigV4
        region_name=sign_in.region,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": attempts},
        max_pool_connections=LIST_WORKERS + 2,
    )
    try:
        return session.create_client(service, config=config)
    except ValueError as e:  # botocore's "Invalid endpoint": not one of its own errors
        variable = "AWS_ENDPOINT_URL_SSO_OIDC" if service == "sso-oidc" else "AWS_ENDPOINT_URL_SSO"
        for name in (variable, "AWS_ENDPOINT_URL"):
            if os.environ.get(name):
                raise UsageError(
                    f"{name}={os.environ[name][:80]!r} is not an endpoint URL "
                    f"(like https://portal.sso.{sign_in.region}.amazonaws.com): "
                    f"fix or unset {name}"
                ) from None
        raise UsageError(
            f"the endpoint of {service} is not a URL ({str(e)[:80]}): fix the "
            "endpoint_url of the AWS config"
        ) from None


def _dumps(value: object) -> str:
    """What botocore.tokens._sso_json_dumps writes: datetimes as 2026-12-01T21:00:00Z."""

    def default(obj: object) -> object:
        if isinstance(obj, datetime):
            return obj.astimezone(timezone.utc).strftime(_ISO)
        raise TypeError(type(obj).__name__)

    return json.dumps(value, default=default)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime(_ISO)


# botocore is untyped: mypy sees SSOTokenProvider as Any.
class _SignInTokenProvider(SSOTokenProvider):  # type: ignore[misc]
    """botocore's own token loading and refresh (with the refresh token when the access token
    is within 15 min of its end), for a sign-in rather than for a profile: an sso-session
    reached by `--sso-session` or ACCOUNT/ROLE has no profile that names it."""

    def __init__(self, session: Any, sign_in: SignIn) -> None:
        super().__init__(
            session,
            cache=JSONFileCache(token_dir(), dumps_func=_dumps),
            profile_name=sign_in.profile or "default",
        )
        self._sign_in = sign_in

    def _load_sso_config(self) -> dict[str, str]:
        return {
            "session_name": str(self._sign_in.session_name),
            "sso_region": self._sign_in.region,
            "sso_start_url": self._sign_in.start_url,
        }


def _access_token(session: Any, sign_in: SignIn) -> str:
    """The sign-in's access token, refreshed if it must be and can be; else one line saying
    to sign in."""
    again = f"run `{sign_in.login_hint}`"
    _trusted_token_dir()
    try:
        if sign_in.session_name is not None:
            token = _SignInTokenProvider(session, sign_in).load_token().get_frozen_token()
            return str(token.token)
        # Legacy profiles have no refresh, in botocore as in the AWS CLI.
        loaded = SSOTokenLoader(cache=JSONFileCache(token_dir()))(sign_in.start_url)
        if parse_timestamp(loaded["expiresAt"]).timestamp() <= time.time():
            raise SignInNeeded(
                f"the IAM Identity Center sign-in to {sign_in.label} has expired: {again}", sign_in
            )
        return str(loaded["accessToken"])
    except bx.SSOTokenLoadError:
        raise SignInNeeded(
            f"not signed in to IAM Identity Center ({sign_in.label}): {again}", sign_in
        ) from None
    except bx.TokenRetrievalError:
        raise SignInNeeded(
            f"the IAM Identity Center sign-in to {sign_in.label} has expired "
            f"and could not be refreshed: {again}",
            sign_in,
        ) from None
    except (ValueError, TypeError, KeyError):
        raise SignInNeeded(
            f"the IAM Identity Center token file {sign_in.token_path} is not usable: {again}",
            sign_in,
        ) from None
    except bx.BotoCoreError as e:  # the refresh could not reach SSO-OIDC
        raise _unreachable(e, sign_in) from None


def _trusted_token_dir() -> None:
    """No token is read from, nor written to, a token folder another user could have made or
    swapped (as the credential cache's rule)."""
    problem = token_dir_problem()
    if problem is not None:
        raise EnvironmentProblem(
            f"the IAM Identity Center token folder {token_dir()} "
            f"{problem}: no token there is trusted (make it a folder "
            "of yours that only you may write)"
        )


def _unreachable(error: Exception, sign_in: SignIn) -> AwsUnreachable:
    if isinstance(error, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        what = "did not answer in time"
    elif isinstance(error, bx.EndpointConnectionError):
        what = "could not be reached"
    elif isinstance(error, (bx.ResponseParserError, bx.PaginationError)):
        what = "answered something that is not its API"
    else:
        what = f"failed ({type(error).__name__})"
    return AwsUnreachable(
        f"IAM Identity Center in {sign_in.region} {what}; check the network and try again"
    )


def _not_api(sign_in: SignIn) -> AwsUnreachable:
    return AwsUnreachable(
        f"IAM Identity Center of {sign_in.start_url} ({sign_in.region}) answered "
        "something that is not its API; try again later"
    )


def _portal_error(error: bx.ClientError, sign_in: SignIn, what: str) -> StsenvError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code == "UnauthorizedException":
        return SignInNeeded(
            f"the IAM Identity Center sign-in to {sign_in.label} has expired "
            f"or was revoked: run `{sign_in.login_hint}`",
            sign_in,
        )
    if code in ("ForbiddenException", "ResourceNotFoundException", "AccessDeniedException"):
        return AwsDenied(
            f"the sign-in to {sign_in.label} has no access to {what} "
            "(`stsenv roles --sso` lists what it has)"
        )
    if (
        code in ("TooManyRequestsException", "ThrottlingException")
        or status >= 500
        or code.isdigit()
    ):
        return AwsUnreachable(
            f"IAM Identity Center in {sign_in.region} did not serve {what} "
            f"({code or status}); try again later"
        )
    return AwsDenied(f"IAM Identity Center refused {what} ({code})")


def _oidc_error(error: bx.ClientError, sign_in: SignIn) -> StsenvError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in ("InternalServerException", "SlowDownException") or status >= 500 or code.isdigit():
        return AwsUnreachable(
            f"IAM Identity Center in {sign_in.region} failed to sign in "
            f"({code or status}); try again later"
        )
    return AwsDenied(f"IAM Identity Center refused the sign-in to {sign_in.label} ({code})")


# --- sign in, sign out -----------------------------------------------------------------------


def login(
    sign_in: SignIn,
    *,
    open_browser: bool,
    notify: Callable[[str], None],
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Sign in with the device authorization grant and write the token where the AWS CLI v2
    and botocore read it (sign_in.token_path). `notify` shows the user the address and code
    (the caller prints it on stderr); the browser is opened on it unless not `open_browser`.
    Ctrl-C while waiting leaves no token file behind (it is written once, atomically)."""
    _trusted_token_dir()
    session = _session(sign_in)
    oidc = _client(session, "sso-oidc", sign_in, attempts=3)
    with _oidc_failures(sign_in):
        registration = _registration(oidc, sign_in, now)
        try:
            auth = _start(oidc, sign_in, registration)
        except oidc.exceptions.InvalidClientException:
            registration = _registration(oidc, sign_in, now, reuse=False)  # it was revoked
            auth = _start(oidc, sign_in, registration)
        device_code, user_code = str(auth["deviceCode"]), str(auth["userCode"])
        url = str(auth.get("verificationUriComplete") or auth["verificationUri"])
        interval = _interval(auth.get("interval"))
        life = _number(auth, "expiresIn", 0, MAX_DEVICE_CODE_LIFE, sign_in)
        deadline = now() + (DEFAULT_DEVICE_CODE_LIFE if life is None else life)
    _check_device_grant(url, user_code, sign_in)

    notify(f"to sign in to {sign_in.start_url}, open {url} and confirm the code {user_code}")
    if open_browser:
        from stsenv.aws.redirect import browser_available, open_in_background

        if browser_available():  # the rule of the browser sign-ins (BROWSER, not over SSH)
            open_in_background(url)
        else:
            notify("no browser could be opened here: open that address on any device")

    expired = AwsDenied(
        f"the sign-in code {user_code} expired before it was confirmed: run "
        f"`{sign_in.login_hint}` again"
    )
    while True:
        with _oidc_failures(sign_in):
            try:
                answer = oidc.create_token(
                    grantType=DEVICE_GRANT,
                    clientId=registration["clientId"],
                    clientSecret=registration["clientSecret"],
                    deviceCode=device_code,
                )
                token = _new_token(answer, sign_in, registration, now)
                break
            except oidc.exceptions.AuthorizationPendingException:
                pass
            except oidc.exceptions.SlowDownException:
                interval += SLOW_DOWN_DELAY
            except oidc.exceptions.ExpiredTokenException:
                raise expired from None
            except oidc.exceptions.AccessDeniedException:
                denied = f"the sign-in to {sign_in.label} was denied in the browser"
                raise AwsDenied(denied) from None
        if now() + interval > deadline:
            raise expired
        sleep(interval)
    _write_private(token_dir(), sign_in.key + ".json", token)


# What the portal's numbers and URL may be; anything else is one line naming the portal.
MIN_INTERVAL, MAX_INTERVAL = 1, 60  # polling interval, clamped (RFC 8628 3.2 / 3.5)
MAX_DEVICE_CODE_LIFE = 3600  # AWS: 600 s
MAX_TOKEN_LIFE = 90 * 24 * 3600  # AWS: an access token lives 1 h to 90 days (session length)
MAX_REGISTRATION_LIFE = 400 * 24 * 3600  # AWS: a client registration lives 90 days
MAX_USER_CODE = 64
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _interval(value: object) -> int:
    """The polling interval, clamped to 1-60 s: a portal cannot make stsenv poll in a busy
    loop (0, negative) or hang (1e9); absent, RFC 8628's 5 s."""
    if value is None:
        return DEFAULT_INTERVAL
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("interval is not a number")  # _oidc_failures: not its API
    return int(min(max(value, MIN_INTERVAL), MAX_INTERVAL))


def _bad_answer(sign_in: SignIn, what: str) -> AwsUnreachable:
    return AwsUnreachable(
        f"IAM Identity Center of {sign_in.start_url} ({sign_in.region}) "
        f"answered {what}; not signed in"
    )


def _number(
    answer: dict[str, Any], key: str, low: float, high: float, sign_in: SignIn
) -> int | None:
    """answer[key] as whole seconds within [low, high]; None when absent."""
    value = answer.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != value  # NaN
        or not low <= value <= high
    ):
        shown = str(value)[:24] if isinstance(value, (int, float)) else type(value).__name__
        raise _bad_answer(sign_in, f"{key} {shown}, outside {int(low)}..{int(high)}")
    return int(value)


def _lifetime(answer: dict[str, Any], key: str, sign_in: SignIn) -> int:
    """An access token's life: 1 s .. 90 days (never an already expired token)."""
    life = _number(answer, key, 1, MAX_TOKEN_LIFE, sign_in)
    if life is None:
        raise _bad_answer(sign_in, f"no {key}")
    return life


def _new_token(
    answer: dict[str, Any],
    sign_in: SignIn,
    registration: dict[str, str],
    now: Callable[[], float],
) -> dict[str, str]:
    """The token file's content from CreateToken's answer, as the AWS CLI v2 writes it; both
    grants (device code, browser) make it here, so both check the portal's numbers alike."""
    token = {
        "startUrl": sign_in.start_url,
        "region": sign_in.region,
        "accessToken": _text(answer["accessToken"]),
        "expiresAt": _iso(now() + _lifetime(answer, "expiresIn", sign_in)),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": registration["expiresAt"],
    }
    if answer.get("refreshToken"):
        token["refreshToken"] = _text(answer["refreshToken"])
    return token


def _registration_end(answer: dict[str, Any], sign_in: SignIn, now: float) -> int:
    """clientSecretExpiresAt: an epoch in the future, and not beyond 400 days."""
    end = _number(answer, "clientSecretExpiresAt", now + 1, now + MAX_REGISTRATION_LIFE, sign_in)
    if end is None:
        raise _bad_answer(sign_in, "no clientSecretExpiresAt")
    return end


def _check_device_grant(url: str, user_code: str, sign_in: SignIn) -> None:
    """Only an https:// address is shown or opened (http:// only on this machine's loopback,
    for a local stand-in portal), and a user code that is short printable text."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    safe = (
        parts is not None
        and url.isprintable()
        and " " not in url
        and bool(host)
        and (parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK))
    )
    if not safe:
        raise _bad_answer(sign_in, "a sign-in address that is not an https:// URL")
    if not (0 < len(user_code) <= MAX_USER_CODE and user_code.isprintable()):
        raise _bad_answer(sign_in, "a user code that is not short printable text")


@contextmanager
def _oidc_failures(sign_in: SignIn) -> Iterator[None]:
    """SSO-OIDC's failures, the ones not handled where the call is, as one line each."""
    try:
        yield
    except bx.ClientError as e:
        raise _oidc_error(e, sign_in) from None
    except bx.BotoCoreError as e:
        raise _unreachable(e, sign_in) from None
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _not_api(sign_in) from None


def _start(oidc: Any, sign_in: SignIn, registration: dict[str, str]) -> dict[str, Any]:
    return dict(
        oidc.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl=sign_in.start_url,
        )
    )


def _registration_name(sign_in: SignIn, browser: bool) -> str:
    """stsenv's client registration file, next to the tokens, named and shaped as the AWS CLI
    v2 names and shapes its own (BaseSSOTokenFetcher._registration_cache_key), but with
    tool "stsenv": the two tools never reuse each other's registration. The browser's
    (authorization code) is kept apart from the device grant's: its grant types and redirect
    URI differ."""
    args: dict[str, Any] = {
        "tool": CLIENT_NAME,
        "startUrl": sign_in.start_url,
        "region": sign_in.region,
        "scopes": list(sign_in.scopes),
        "session_name": sign_in.session_name,
    }
    if browser:
        args["grantTypes"] = list(PKCE_GRANT_TYPES)
    digest = hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()  # noqa: S324
    return digest + ".json"


def _registration(
    oidc: Any,
    sign_in: SignIn,
    now: Callable[[], float],
    reuse: bool = True,
    browser: bool = False,
) -> dict[str, str]:
    """A client registration with 15 min of life left: the kept one, else a new one (kept);
    for the device grant, or (browser) for the authorization code with the loopback redirect."""
    name = _registration_name(sign_in, browser)
    if reuse:
        try:
            with open(os.path.join(token_dir(), name), encoding="utf-8") as f:
                kept = json.load(f)
            if (
                isinstance(kept, dict)
                and all(isinstance(kept.get(k), str) for k in ("clientId", "clientSecret"))
                and parse_timestamp(kept["expiresAt"]).timestamp() > now() + REGISTRATION_WINDOW
            ):
                return {k: kept[k] for k in ("clientId", "clientSecret", "expiresAt")}
        except (OSError, ValueError, TypeError, KeyError):
            pass
    redirect: dict[str, Any] = {}
    if browser:
        redirect = {
            "grantTypes": list(PKCE_GRANT_TYPES),
            "redirectUris": [REGISTERED_REDIRECT],
            "issuerUrl": sign_in.start_url,
        }
    answer = oidc.register_client(
        clientName=CLIENT_NAME, clientType="public", scopes=list(sign_in.scopes), **redirect
    )
    registration = {
        "clientId": str(answer["clientId"]),
        "clientSecret": str(answer["clientSecret"]),
        "expiresAt": _iso(_registration_end(answer, sign_in, now())),
    }
    _write_private(token_dir(), name, {**registration, "scopes": list(sign_in.scopes)})
    return registration


def _write_private(directory: str, name: str, data: dict[str, Any]) -> None:
    """0600, atomically (temp file in the same dir + os.replace); the dir made 0700 if new."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        cache.write_atomically(directory, name, data)
    except OSError as e:
        raise EnvironmentProblem(
            f"cannot write the IAM Identity Center token in {directory} ({e.strerror})"
        ) from None


def logout(sign_in: SignIn) -> None:
    """Sign out: the portal's Logout with the access token (an already invalid one is fine),
    then the token file is removed. The caller forgets the role credentials of the sign-in
    (and the listing, with forget_assignments). If the portal cannot be reached the file is
    still removed, and AwsUnreachable says so."""
    try:
        with open(sign_in.token_path, encoding="utf-8") as f:
            access_token = json.load(f).get("accessToken")
    except (OSError, ValueError, AttributeError):
        access_token = None
    problem = None
    if isinstance(access_token, str) and access_token:
        try:
            sso = _client(_session(sign_in), "sso", sign_in, attempts=2)
            sso.logout(accessToken=access_token)
        except bx.ClientError:
            pass  # expired, revoked or unknown: signed out already
        except bx.BotoCoreError as e:
            problem = _unreachable(e, sign_in)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sign_in.token_path)
    if problem is not None:
        raise AwsUnreachable(f"signed out here (the token is removed), but {problem.message}")


# --- sign in in the browser: authorization code + PKCE ----------------------------------------

AUTH_CODE_GRANT = "authorization_code"
PKCE_GRANT_TYPES = (AUTH_CODE_GRANT, "refresh_token")
# The redirect URI registered (RFC 8252 7.3: any port of the loopback address matches it).
REGISTERED_REDIRECT = "http://127.0.0.1/oauth/callback"


def login_in_browser(
    sign_in: SignIn,
    *,
    notify: Callable[[str], None],
    wait: float,
    port: int = 0,
    now: Callable[[], float] = time.time,
) -> None:
    """Sign in as `aws sso login` does by default (AWS CLI >= 2.22): the authorization-code
    grant with PKCE (S256) and a loopback redirect. The listener is bound before the browser
    is opened, `state` is checked, the code is exchanged once; the token is written where and
    as the device grant writes it (sign_in.token_path). Nothing is written on any failure."""
    import base64
    import secrets
    from urllib.parse import urlencode

    from stsenv.aws.redirect import Listener, open_in_background

    _trusted_token_dir()
    session = _session(sign_in)
    oidc = _client(session, "sso-oidc", sign_in, attempts=3)
    verifier = secrets.token_urlsafe(64)[:86]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(32)
    with Listener(port) as listener:
        with _oidc_failures(sign_in):
            registration = _registration(oidc, sign_in, now, browser=True)
        query = {
            "response_type": "code",
            "client_id": registration["clientId"],
            "redirect_uri": listener.redirect_uri,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": ",".join(sign_in.scopes),
            "code_challenge": challenge.decode("ascii").rstrip("="),
        }
        url = f"{str(oidc.meta.endpoint_url).rstrip('/')}/authorize?{urlencode(query)}"
        open_in_background(url)
        notify(f"signing in to {sign_in.start_url} in the browser; if it did not open, open {url}")
        answer = listener.wait(wait, _pkce_page)
    if answer.get("error"):
        if answer["error"] == "access_denied":
            raise AwsDenied(f"the sign-in to {sign_in.label} was denied in the browser")
        what = "".join(c for c in answer["error"][:60] if c.isalnum() or c in "_-")
        raise AwsDenied(f"the sign-in to {sign_in.label} failed in the browser ({what})")
    if not answer.get("code") or "state" not in answer:
        raise AwsDenied(
            "the browser came back without a sign-in code or state: nothing was "
            f"saved; run `{sign_in.login_hint}` again"
        )
    if not secrets.compare_digest(answer["state"].encode(), state.encode()):
        raise AwsDenied(
            "the browser's answer does not belong to this sign-in (its state "
            f"differs): nothing was saved; run `{sign_in.login_hint}`"
        )
    with _oidc_failures(sign_in):
        try:
            token_answer = oidc.create_token(
                grantType=AUTH_CODE_GRANT,
                clientId=registration["clientId"],
                clientSecret=registration["clientSecret"],
                code=answer["code"],
                codeVerifier=verifier,
                redirectUri=listener.redirect_uri,
            )
        except (oidc.exceptions.InvalidGrantException, oidc.exceptions.AccessDeniedException):
            raise AwsDenied(
                f"IAM Identity Center refused the sign-in code of {sign_in.label}: "
                f"nothing was saved; run `{sign_in.login_hint}`"
            ) from None
        token = _new_token(token_answer, sign_in, registration, now)
    _write_private(token_dir(), sign_in.key + ".json", token)


def _pkce_page(query: dict[str, str]) -> str:
    if query.get("code"):
        return "Signed in to IAM Identity Center: stsenv has your sign-in."
    return "The sign-in did not complete; see the terminal."


# --- role credentials ------------------------------------------------------------------------


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def role_credentials(
    sign_in: SignIn,
    account_id: str,
    role_name: str,
    display_name: str,
    region: str | None,
    now: int,
) -> RoleSession:
    """GetRoleCredentials of `role_name` (a permission set) in `account_id` with the sign-in's
    token. The ARNs are the best known without another call: role_arn names the permission
    set (the real role is AWSReservedSSO_<set>_<hash> under /aws-reserved/sso.amazonaws.com/),
    assumed_role_arn is arn:…:sts::ACCOUNT:assumed-role/<set>/<sso-session name or "sso">:
    right for account and role, which is what `status` shows."""
    session = _session(sign_in)
    token = _access_token(session, sign_in)
    what = f"role {role_name} of account {account_id}"
    try:
        sso = _client(session, "sso", sign_in, attempts=3)
        answer = sso.get_role_credentials(
            accessToken=token, accountId=account_id, roleName=role_name
        )
        given = answer["roleCredentials"]
        credentials = Credentials(
            access_key_id=_text(given["accessKeyId"]),
            secret_access_key=_text(given["secretAccessKey"]),
            session_token=_text(given["sessionToken"]),
            expiration=int(given["expiration"]) // 1000,  # epoch milliseconds
        )
    except bx.ParamValidationError:
        raise UsageError(f"{what} is not a valid account id and role name") from None
    except bx.ClientError as e:
        raise _portal_error(e, sign_in, what) from None
    except bx.BotoCoreError as e:
        raise _unreachable(e, sign_in) from None
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _not_api(sign_in) from None
    if credentials.expiration <= now:
        raise _not_api(sign_in)
    partition = _partition(region or sign_in.region)
    return RoleSession(
        display_name=display_name,
        role_arn=f"arn:{partition}:iam::{account_id}:role/{role_name}",
        assumed_role_arn=f"arn:{partition}:sts::{account_id}:assumed-role/{role_name}/"
        f"{sign_in.session_name or 'sso'}",
        credentials=credentials,
        region=region,
        duration=credentials.expiration - now,
    )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a credential")
    return value


def _as_aws_allows(found: list[Assignment], sign_in: SignIn) -> list[Assignment]:
    """Only assignments whose account id, account name and role name match AWS's own rules
    are kept (and cached, offered, printed); the rest are left out with one warning."""
    kept = [
        a
        for a in found
        if ACCOUNT_ID.match(a.account_id)
        and ACCOUNT_NAME.match(a.account_name)
        and ROLE_NAME.match(a.role_name)
    ]
    if len(kept) < len(found):
        left_out = len(found) - len(kept)
        cache.warn(
            f"IAM Identity Center in {sign_in.region} listed {left_out} account or "
            "role name(s) that AWS does not allow; they are left out"
        )
    return kept


# --- the listing -----------------------------------------------------------------------------


def list_assignments(
    sign_in: SignIn, settings: Settings, refresh: bool, now: int
) -> list[Assignment]:
    """Every account and role the sign-in may use (every page), sorted by account name then
    role; cached for an hour (load_cached_assignments reads it without botocore) unless
    `refresh`. The roles of the accounts are listed LIST_WORKERS at a time, while the pages of
    accounts are still coming (so at most LIST_WORKERS + 1 requests are in flight)."""
    if not refresh:
        cached = load_cached_assignments(sign_in, settings, now)
        if cached is not None:
            return cached
    session = _session(sign_in)
    token = _access_token(session, sign_in)
    try:
        sso = _client(session, "sso", sign_in, attempts=5)

        failed = threading.Event()

        def roles_of(account_id: str) -> list[str]:
            try:
                pages = sso.get_paginator("list_account_roles").paginate(
                    accessToken=token, accountId=account_id, PaginationConfig={"PageSize": 100}
                )
                return [str(r["roleName"]) for page in pages for r in page.get("roleList", [])]
            except BaseException:
                failed.set()
                raise

        accounts: list[tuple[str, str]] = []
        futures: list[Future[list[str]]] = []
        found: list[Assignment] = []
        with ThreadPoolExecutor(max_workers=LIST_WORKERS) as pool:
            try:
                # The roles of each page's accounts are asked for while the next page loads.
                for page in sso.get_paginator("list_accounts").paginate(
                    accessToken=token, PaginationConfig={"PageSize": 100}
                ):
                    for a in page.get("accountList", []):
                        account_id = str(a["accountId"])
                        accounts.append((account_id, str(a.get("accountName") or account_id)))
                        futures.append(pool.submit(roles_of, account_id))
                    if failed.is_set():
                        break  # the failure is raised below, and no more is asked
                for (account_id, account_name), future in zip(accounts, futures, strict=True):
                    found += [Assignment(account_id, account_name, r) for r in future.result()]
            except BaseException:
                for future in futures:
                    future.cancel()  # the first failure ends the listing: no more calls
                raise
    except bx.ClientError as e:
        raise _portal_error(e, sign_in, "the listing of accounts and roles") from None
    except bx.BotoCoreError as e:
        raise _unreachable(e, sign_in) from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _not_api(sign_in) from None
    found = _as_aws_allows(found, sign_in)
    found.sort(key=lambda a: (a.account_name.lower(), a.account_id, a.role_name))
    store_assignments(sign_in, settings, found, now)
    return found
