"""Console sign-in sessions (`aws login`, AWS CLI >= 2.32): a profile with `login_session`
gets temporary credentials of an IAM or root user from AWS Sign-In, renewed with a refresh
token bound to a DPoP key, for up to 12 hours.

botocore is the client of the session (LoginProvider loads the token file and refreshes it,
signing each refresh with the DPoP key through awscrt). stsenv adds what the AWS CLI v2's
`aws login` adds and botocore has not: the sign-in itself, in two flows,
  same device    authorization code + PKCE (S256) + a fresh P-256 DPoP key; the browser is
                 redirected to a loopback listener bound before it is opened; `state` checked
  cross device   (--no-browser / --remote) the user opens the address anywhere and pastes
                 back the code the page shows (base64 of `code=...&state=...`)
and writes the token exactly where and as the AWS CLI writes it:
AWS_LOGIN_CACHE_DIRECTORY or ~/.aws/login/cache, <sha256 of the session>.json.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import string
import textwrap
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

import botocore.session
from botocore import UNSIGNED
from botocore import exceptions as bx
from botocore.config import Config
from botocore.utils import generate_login_cache_key, get_login_token_cache_directory

from stsenv.aws import cache
from stsenv.aws.profiles import first_in_chain
from stsenv.aws.redirect import Listener, browser_available, open_in_background
from stsenv.aws.sso_listing import token_folder_problem
from stsenv.errors import (
    AwsDenied,
    AwsUnreachable,
    EnvironmentProblem,
    SignInNeeded,
    StsenvError,
    UsageError,
)
from stsenv.inert import inert

# The public clients of AWS Sign-In for developer tools (awscli/customizations/login/utils.py).
SAME_DEVICE_CLIENT = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT = "arn:aws:signin:::devtools/cross-device"
_VERIFIER_CHARS = string.ascii_letters + string.digits + "-._~"
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def token_dir() -> str:
    """Where the AWS CLI and botocore keep console sign-in sessions."""
    return str(get_login_token_cache_directory())


def token_path(session: str) -> str:
    return os.path.join(token_dir(), str(generate_login_cache_key(session)) + ".json")


def tag(session: str) -> str:
    """How role sessions cached from this sign-in are tagged, for `logout`."""
    return "login:" + str(generate_login_cache_key(session))


def login_hint(profile: str | None) -> str:
    return f"stsenv login --profile {profile}" if profile else "stsenv login --profile PROFILE"


def login_profile(start: str | None, profiles: Mapping[str, Any]) -> str | None:
    """`start`, or the first login_session profile its source_profile chain leads to."""
    return first_in_chain(start, profiles, lambda p: bool(p.get("login_session")))


class ConsoleSession:
    """What `use --login` signs in to when a login_session profile's session is missing or
    has ended (SignInNeeded.sign_in)."""

    __slots__ = ("profile",)

    def __init__(self, profile: str | None) -> None:
        self.profile = profile


def failure(error: Exception, profile: str | None) -> StsenvError | None:
    """botocore's failures of a login_session profile's credentials as one line."""
    again = f"run `{login_hint(profile)}` (or `aws login --profile {profile}`)"
    which = f"the console sign-in session of AWS profile {profile!r}"
    if isinstance(error, bx.LoginRefreshRequired):
        return SignInNeeded(f"{which} has ended or was revoked: {again}", ConsoleSession(profile))
    if isinstance(error, bx.LoginInsufficientPermissions):
        return AwsDenied(
            f"{which} may not be renewed (signin:CreateOAuth2Token is denied): {again}"
        )
    if isinstance(error, bx.LoginTokenLoadError):
        return SignInNeeded(
            f"{which} is not signed in here, or its token file is not usable: {again}",
            ConsoleSession(profile),
        )
    if isinstance(error, bx.LoginError):
        return AwsDenied(f"{which} could not be renewed: {again}")
    if isinstance(error, bx.MissingDependencyException):
        return EnvironmentProblem(
            "console sign-in sessions need awscrt: reinstall stsenv (it depends on botocore[crt])"
        )
    return None


# --- the sign-in -----------------------------------------------------------------------------


class _Proof:
    """PKCE (RFC 7636, S256), the `state`, and the DPoP key of one sign-in."""

    def __init__(self) -> None:
        self.state = str(uuid.uuid4())
        self.verifier = "".join(secrets.choice(_VERIFIER_CHARS) for _ in range(64))
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        self.challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        self.key = _dpop_key()

    def pem(self) -> str:
        """The key as the AWS CLI writes it in the token file (SEC1, PEM, 64-char lines)."""
        from awscrt.crypto import ECExportFormat  # type: ignore[import-untyped]

        der = base64.b64encode(self.key.export_key(ECExportFormat.SEC1)).decode("ascii")
        body = textwrap.fill(der, width=64)
        return f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"


def _client(profile: str, region: str) -> Any:
    try:
        session = botocore.session.Session(profile=profile)
        session.get_scoped_config()
    except bx.ProfileNotFound:
        raise UsageError(f"there is no profile {profile!r} in the AWS config") from None
    config = Config(
        signature_version=UNSIGNED,
        region_name=region,
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 2},
    )
    try:
        return session.create_client("signin", config=config)
    except ValueError:
        raise UsageError(
            "AWS_ENDPOINT_URL_SIGNIN (or the endpoint_url of the AWS config) is not "
            "an endpoint URL: fix or unset it"
        ) from None


def base_uri(client: Any) -> str:
    """Where AWS Sign-In's OAuth 2.0 endpoints are (/v1/authorize, /v1/token): the endpoint
    botocore resolves for CreateOAuth2Token (https://REGION.signin.aws.amazon.com), or
    AWS_ENDPOINT_URL_SIGNIN."""
    operation = client.meta.service_model.operation_model("CreateOAuth2Token")
    try:
        endpoint = client._ruleset_resolver.construct_endpoint(
            operation_model=operation, call_args={}, request_context={}
        )
        return str(endpoint.url).rstrip("/")
    except Exception:  # a botocore without the resolver: the service's own endpoint
        return str(client.meta.endpoint_url).rstrip("/")


def _dpop_key() -> Any:
    """A fresh P-256 key, as botocore will read it back from the token file at every renewal.

    The proofs of the sign-in and of every renewal must carry the same public key (AWS binds
    the refresh token to it). awscrt gives a key it has just made its coordinates without
    leading zero bytes, but a key read from DER with 32 bytes each, and a few fresh keys
    export a DER it cannot read back at all; so the key signs only after that round trip,
    and a key that does not survive it is made again."""
    from awscrt.crypto import EC, ECExportFormat, ECType

    for _ in range(16):
        fresh = EC.new_generate(ECType.P_256)
        try:
            key = EC.new_key_from_der_data(fresh.export_key(ECExportFormat.SEC1))
        except RuntimeError:
            continue
        x, y = key.get_public_coords()
        if len(x) == len(y) == 32:
            return key
    raise EnvironmentProblem("awscrt could not make a DPoP key that survives its own export")


def authorize_url(base: str, client_id: str, proof: _Proof, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "state": proof.state,
        "code_challenge_method": "SHA-256",
        "scope": "openid",
        "redirect_uri": redirect_uri,
        "code_challenge": proof.challenge,
    }
    return f"{base}/v1/authorize?" + "&".join(
        f"{k}={quote(v, safe='-_.~')}" for k, v in query.items()
    )


def login(
    profile: str,
    profile_config: Mapping[str, Any],
    *,
    remote: bool,
    notify: Callable[[str], None],
    ask: Callable[[str], str],
    wait: float,
    port: int = 0,
    region: str | None = None,
) -> str:
    """Sign in for `profile` (a login_session profile) and write the token where the AWS CLI
    and botocore read it; the session's name (the ARN in `login_session`) is returned.
    Nothing is written unless every step succeeded."""
    _trusted_token_dir()
    expected = str(profile_config.get("login_session") or "")
    region = region or str(profile_config.get("region") or "us-east-1")
    client = _client(profile, region)
    base = base_uri(client)
    proof = _Proof()
    if remote:
        client_id = CROSS_DEVICE_CLIENT
        redirect_uri = f"{base}/v1/sessions/confirmation"
        url = authorize_url(base, client_id, proof, redirect_uri)
        notify(
            f"to sign in for AWS profile {profile}, open this address in a browser on any "
            f"device: {url}"
        )
        code, state = _pasted(ask("stsenv: then paste the code the page shows: "))
    else:
        client_id = SAME_DEVICE_CLIENT
        with Listener(port) as listener:  # bound before the browser can be told where to go
            redirect_uri = listener.redirect_uri
            url = authorize_url(base, client_id, proof, redirect_uri)
            if browser_available():
                open_in_background(url)
                notify(
                    f"signing in for AWS profile {profile} in the browser; if it did not "
                    f"open, open {url}"
                )
            else:
                notify(
                    f"to sign in for AWS profile {profile}, open {url} in a browser on this "
                    "machine (or use --no-browser)"
                )
            answer = listener.wait(wait, _page)
        code, state = _redirected(answer)
    if not secrets.compare_digest(state.encode(), proof.state.encode()):
        raise AwsDenied(
            "the browser's answer does not belong to this sign-in (its state "
            "differs): nothing was saved; sign in again"
        )
    token, session = _exchange(client, client_id, code, redirect_uri, proof)
    if expected and session != expected:
        raise UsageError(
            f"you signed in as {inert(session)}, but AWS profile {profile!r} "
            f"names login_session {inert(expected)}: sign in as that user, "
            "or run `aws login` to switch the profile"
        )
    _trusted_token_dir()  # again: the sign-in took a while
    try:
        os.makedirs(token_dir(), mode=0o700, exist_ok=True)
        cache.write_atomically(token_dir(), generate_login_cache_key(session) + ".json", token)
    except OSError as e:
        raise EnvironmentProblem(
            f"cannot write the sign-in token in {token_dir()} ({e.strerror})"
        ) from None
    return session


def _trusted_token_dir() -> None:
    """The token file holds the DPoP private key and the refresh token: it is never written
    in a folder another user could have made or swapped (IAM Identity Center's rule)."""
    problem = token_folder_problem(token_dir())
    if problem is not None:
        raise EnvironmentProblem(
            f"the console sign-in token folder {token_dir()} {problem}: no token is "
            "written there (make it a folder of yours that only you may write)"
        )


def _page(query: dict[str, str]) -> str:
    if query.get("code"):
        return "Signed in: stsenv has your session."
    return "The sign-in did not complete; see the terminal."


def _redirected(query: dict[str, str]) -> tuple[str, str]:
    if query.get("error"):
        if query["error"] == "access_denied":
            raise AwsDenied("the sign-in was denied in the browser: nothing was saved")
        raise AwsDenied(f"the sign-in failed in the browser ({inert(query['error'][:60])})")
    code, state = query.get("code", ""), query.get("state")
    if not code or state is None:
        raise AwsDenied(
            "the browser came back without a sign-in code or state: nothing was "
            "saved; sign in again"
        )
    return code, state


def _pasted(text: str) -> tuple[str, str]:
    """The code the confirmation page shows: base64 of `code=...&state=...`."""
    try:
        query = dict(parse_qsl(base64.b64decode(text.strip(), validate=True).decode("utf-8")))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        query = {}
    if not query.get("code") or "state" not in query:
        raise UsageError(
            "that is not the code the sign-in page shows: sign in again and paste it whole"
        )
    return query["code"], query["state"]


def _exchange(
    client: Any, client_id: str, code: str, redirect_uri: str, proof: _Proof
) -> tuple[dict[str, Any], str]:
    """CreateOAuth2Token (authorization_code) with a DPoP proof; the token file's content as
    the AWS CLI writes it, and the session's name (the id token's `sub`)."""
    from botocore.credentials import _build_add_dpop_header_handler

    client.meta.events.register(
        "before-call.signin.CreateOAuth2Token", _build_add_dpop_header_handler(proof.key)
    )
    try:
        answer = client.create_o_auth2_token(
            tokenInput={
                "clientId": client_id,
                "grantType": "authorization_code",
                "code": code,
                "codeVerifier": proof.verifier,
                "redirectUri": redirect_uri,
            }
        )
        out = answer["tokenOutput"]
        creds = out["accessToken"]
        session = _subject(str(out["idToken"]))
        account = session.split(":")[4]
        if not (account.isdigit() and len(account) == 12):
            raise ValueError("no account")
        expires = int(out["expiresIn"])
        if not 0 < expires <= 24 * 3600:
            raise ValueError("expiresIn")
        token = {
            "accessToken": {
                "accessKeyId": _text(creds["accessKeyId"]),
                "secretAccessKey": _text(creds["secretAccessKey"]),
                "sessionToken": _text(creds["sessionToken"]),
                "accountId": account,
                "expiresAt": datetime.fromtimestamp(time.time() + expires, timezone.utc).strftime(
                    _ISO
                ),
            },
            "tokenType": str(out["tokenType"]),
            "clientId": client_id,
            "refreshToken": _text(out["refreshToken"]),
            "idToken": str(out["idToken"]),
            "dpopKey": proof.pem(),
        }
    except bx.ClientError as e:
        code_name = str(e.response.get("Error", {}).get("Code", ""))
        kind = str(e.response.get("error", "") or "")
        if code_name == "AccessDeniedException" or e.response.get("ResponseMetadata", {}).get(
            "HTTPStatusCode"
        ) in (400, 401, 403):
            reason = f" ({inert(kind[:40])})" if kind else ""
            raise AwsDenied(
                f"AWS Sign-In refused the sign-in{reason}: nothing was saved; sign in again"
            ) from None
        raise AwsUnreachable(
            f"AWS Sign-In failed ({inert(code_name[:40])}); try again later"
        ) from None
    except bx.BotoCoreError as e:
        if isinstance(e, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ReadTimeoutError):
            raise AwsUnreachable("AWS Sign-In could not be reached; check the network") from None
        raise AwsUnreachable(
            "AWS Sign-In answered something that is not its API: nothing was saved"
        ) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise AwsUnreachable(
            "AWS Sign-In answered something that is not its API: nothing was saved"
        ) from None
    return token, session


def _subject(id_token: str) -> str:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    sub = payload["sub"]
    if not isinstance(sub, str) or not sub.startswith("arn:") or not sub.isprintable():
        raise ValueError("sub")
    return sub


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a credential")
    return value


def logout(session: str) -> bool:
    """Forget the session's token file (as `aws logout`); True if there was one."""
    try:
        os.unlink(token_path(session))
    except FileNotFoundError:
        return False
    except OSError as e:
        raise EnvironmentProblem(f"cannot remove {token_path(session)} ({e.strerror})") from None
    return True
