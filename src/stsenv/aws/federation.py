"""The AWS console from a role session: the sign-in federation endpoint's getSigninToken,
then its login URL; and the console's switch-role URL. Hosts follow the partition of the
role's ARN (aws, aws-cn, aws-us-gov). Standard library only: this is not an AWS API that
botocore knows, just one HTTPS GET.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from stsenv.errors import AwsDenied, AwsUnreachable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.model import Credentials

# partition -> (sign-in host, console host)
HOSTS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
}
ISSUER = "stsenv"
_TIMEOUT = 10


def partition_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 5 and parts[1] in HOSTS else "aws"


def destination(partition: str, service: str | None, region: str | None) -> str:
    console = f"https://{HOSTS[partition][1]}/"
    if not service:
        return console
    query = f"?region={urllib.parse.quote(region, safe='')}" if region else ""
    return f"{console}{urllib.parse.quote(service, safe='')}/home{query}"


def login_url(
    creds: Credentials,
    partition: str,
    target: str,
    session_duration: int | None,
    federation_url: str | None,
) -> str:
    """Trade the role's credentials for a sign-in token, and build the login URL with it."""
    endpoint = federation_url or f"https://{HOSTS[partition][0]}/federation"
    session = json.dumps(
        {
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        }
    )
    query = {"Action": "getSigninToken", "Session": session}
    if session_duration is not None:
        query["SessionDuration"] = str(session_duration)
    token = _signin_token(f"{endpoint}?{urllib.parse.urlencode(query)}", endpoint)
    login = {"Action": "login", "Issuer": ISSUER, "Destination": target, "SigninToken": token}
    return f"{endpoint}?{urllib.parse.urlencode(login)}"


def _signin_token(url: str, endpoint: str) -> str:
    # The URL holds the secret key: it goes to the endpoint only, never into a message.
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as answer:  # noqa: S310 - https, or the test's loopback
            body = answer.read(64 * 1024)
    except urllib.error.HTTPError as e:
        if e.code in (400, 401, 403):
            raise AwsDenied(
                f"the sign-in endpoint {endpoint} refused these credentials (HTTP {e.code}): "
                "they may have expired, or come from GetSessionToken, which the console "
                "does not accept"
            ) from None
        raise AwsUnreachable(f"the sign-in endpoint {endpoint} failed (HTTP {e.code})") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise AwsUnreachable(
            f"the sign-in endpoint {endpoint} could not be reached ({reason}): check the "
            "network or STSENV_FEDERATION_URL"
        ) from None
    try:
        token = json.loads(body).get("SigninToken")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise AwsUnreachable(f"the sign-in endpoint {endpoint} sent no sign-in token")
    return token


def switch_role_url(role_arn: str, display_name: str) -> str:
    """The console's own switch-role page, filled in (the tutorial's section 4 by hand)."""
    parts = role_arn.split(":")
    account = parts[4]
    role_name = parts[5].split("/", 1)[1]  # role/path/name -> path/name
    query = urllib.parse.urlencode(
        {"account": account, "roleName": role_name, "displayName": display_name}
    )
    return f"https://{HOSTS[partition_of(role_arn)][0]}/switchrole?{query}"
