"""A local AWS for tests and for the README demo: moto in server mode on 127.0.0.1, provisioned
with the world of the AWS CLI tutorial, with IAM authorization switched on afterwards so that
permissions really are checked (`aws s3 mb` fails with the user's keys, works with the role's).

    python tests/support/local_aws.py serve --env-file FILE   # start, provision, write FILE, wait

The world (account 123456789012):
  user taro      keys in profile taro-prjZ; may only sts:AssumeRole the roles below
  user hanako    keys in profile hanako-prjZ; may also iam:GetRole (to resolve role paths)
  user admin     keys in profile admin; may do anything (for checks made by tests)
  role s3FullforAssumeRole         S3 full access (the tutorial's role)
  role /service-role/s3ReadService S3 read access, under a path
  role s3ExternalRole              S3 full access, trust requires ExternalId prjZ-external
  profile s3full   role_arn of s3FullforAssumeRole + source_profile taro-prjZ
  stsenv alias s3Full -> role_name s3FullforAssumeRole, source_profile taro-prjZ
  roles AdministratorAccess (anything) and ReadOnlyAccess (S3 read), trusted by user admin:
        what the local IAM Identity Center (tests/support/identity_center.py) hands out for
        the permission sets of the same names

    python tests/support/local_aws.py serve --sso --env-file FILE   # also a local IAM Identity
        Center: its endpoints in FILE, its SSO profiles (dev-admin, dev-read, legacy-admin,
        [sso-session corp]) added to the world's AWS config
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
ROLE = "s3FullforAssumeRole"
SERVICE_ROLE = "s3ReadService"
SERVICE_ROLE_PATH = "/service-role/"
EXTERNAL_ROLE = "s3ExternalRole"
EXTERNAL_ID = "prjZ-external"
SOURCE_PROFILE = "taro-prjZ"
# Permission sets of the local IAM Identity Center: moto roles of the same names.
SSO_ROLES: dict[str, Any] = {"AdministratorAccess": "*", "ReadOnlyAccess": ["s3:Get*", "s3:List*"]}


def _arn(kind: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalAws:
    """One moto server process and the files that describe its world."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.keys: dict[str, tuple[str, str]] = {}  # user -> (access key id, secret)
        self.config_file = workdir / "aws-config"
        self.credentials_file = workdir / "aws-credentials"
        self.stsenv_config = workdir / "stsenv-config.toml"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to use this world as its AWS (plus PATH, HOME...)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
            "AWS_PROFILE": SOURCE_PROFILE,
            "AWS_EC2_METADATA_DISABLED": "true",  # never wait for an instance role
            "STSENV_CONFIG": str(self.stsenv_config),
            # moto rejects calls signed with GetSessionToken credentials: send MFA codes
            # with AssumeRole (stsenv's MFA sessions are tested against a stand-in STS).
            "STSENV_MFA_SESSION": "0",
        }

    # --- the process ---

    def start(self) -> None:
        """Start moto, provision the world, switch authorization on, write the files.
        A restarted server has a fresh world (new keys), and the files follow it."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "moto.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self._wait_until_up()
        self._provision()
        self._post("/moto-api/reset-auth", b"0")  # from now on, every request is authorized
        self._write_files()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.workdir / "moto.log").read_text(errors="replace")
                raise RuntimeError(f"moto server exited: {log[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):  # noqa: S310
                    return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not answer on {self.endpoint}") from None
                time.sleep(0.1)

    def _post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            self.endpoint + path, data=body, headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own loopback URL
            pass

    # --- the world ---

    def client(self, service: str, user: str = "admin") -> Any:
        """A boto3 client acting as `user` (admin by default), for provisioning and checks."""
        import boto3

        key, secret = self.keys.get(user, ("testing", "testing"))
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    def _provision(self) -> None:
        iam = self.client("iam")  # authorization is still off: any key works
        role_arns = [
            _arn("role", ROLE),
            _arn("role", SERVICE_ROLE, SERVICE_ROLE_PATH),
            _arn("role", EXTERNAL_ROLE),
        ]
        assume_only = _policy({"Action": "sts:AssumeRole", "Resource": role_arns})
        users = {
            "taro": [assume_only],
            "hanako": [assume_only, _policy({"Action": "iam:GetRole", "Resource": "*"})],
            "admin": [_policy({"Action": "*", "Resource": "*"})],
        }
        for user, policies in users.items():
            iam.create_user(UserName=user)
            for number, document in enumerate(policies):
                iam.put_user_policy(
                    UserName=user, PolicyName=f"{user}-{number}", PolicyDocument=document
                )
            key = iam.create_access_key(UserName=user)["AccessKey"]
            self.keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])

        # moto matches trust principals literally: name the users as well as the account root.
        principals = [f"arn:aws:iam::{ACCOUNT}:root", _arn("user", "taro"), _arn("user", "hanako")]
        roles: list[tuple[str, str, Any, str | None]] = [
            (ROLE, "/", "s3:*", None),
            (SERVICE_ROLE, SERVICE_ROLE_PATH, "s3:Get*", None),
            (EXTERNAL_ROLE, "/", "s3:*", EXTERNAL_ID),
        ]
        roles += [(name, "/", action, None) for name, action in SSO_ROLES.items()]
        for name, path, action, external_id in roles:
            trust: dict[str, Any] = {
                "Effect": "Allow",
                # The SSO roles are assumed by the Identity Center stand-in as user admin.
                "Principal": {
                    "AWS": [*principals, _arn("user", "admin")] if name in SSO_ROLES else principals
                },
                "Action": "sts:AssumeRole",
            }
            if external_id:
                trust["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
            iam.create_role(
                RoleName=name,
                Path=path,
                AssumeRolePolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [trust]}
                ),
                MaxSessionDuration=3600,
            )
            iam.put_role_policy(
                RoleName=name,
                PolicyName=f"{name}-access",
                PolicyDocument=_policy({"Action": action, "Resource": "*"}),
            )

    def _write_files(self) -> None:
        profiles = [f"[profile {u}-prjZ]\nregion = {REGION}\n" for u in ("taro", "hanako")]
        profiles.append(f"[profile admin]\nregion = {REGION}\n")
        profiles.append(
            f"[profile s3full]\nrole_arn = {_arn('role', ROLE)}\n"
            f"source_profile = {SOURCE_PROFILE}\nregion = {REGION}\n"
        )
        _write_private(self.config_file, "\n".join(profiles))
        credentials = []
        for user, (key, secret) in self.keys.items():
            name = "admin" if user == "admin" else f"{user}-prjZ"
            credentials.append(
                f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
            )
        _write_private(self.credentials_file, "\n".join(credentials))
        _write_private(
            self.stsenv_config,
            f'[roles.s3Full]\nrole_name = "{ROLE}"\nsource_profile = "{SOURCE_PROFILE}"\n'
            f'duration = "60m"\nregion = "{REGION}"\n',
        )


def _policy(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start, provision, write the env file, run until killed")
    serve.add_argument("--env-file", required=True, type=Path)
    serve.add_argument("--dir", type=Path, help="where to keep the world's files")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--sso", action="store_true", help="also start a local IAM Identity Center (SSO)"
    )
    serve.add_argument(
        "--sso-auto-approve",
        action="store_true",
        help="approve every sign-in at once (for walkthroughs without a second terminal)",
    )
    serve.add_argument(
        "--signin",
        action="store_true",
        help="also start a local AWS Sign-In (console sessions) and a login_session profile",
    )
    args = parser.parse_args(argv)

    workdir = args.dir or args.env_file.resolve().parent / "local-aws"
    world = LocalAws(workdir, args.port)
    center: Any = None
    signin: Any = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        world.start()
        env = dict(world.env)
        if args.sso:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as a script: tests/
            from support.identity_center import IdentityCenter, write_sso_config

            center = IdentityCenter(world)
            center.auto_approve = args.sso_auto_approve
            center.start()
            write_sso_config(world.config_file, append=True)
            env.update(center.env)
        if args.signin:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as a script: tests/
            from support.signin_standin import SignInStandIn, login_config

            signin = SignInStandIn(world)
            signin.start()
            with open(world.config_file, "a", encoding="utf-8") as f:
                f.write("\n" + login_config())
            env.update(signin.env)
        lines = [f"export {k}={shlex.quote(v)}\n" for k, v in env.items()]
        _write_private(args.env_file, "".join(lines))
        sso = f", IAM Identity Center on {center.endpoint}" if center else ""
        print(f"local AWS on {world.endpoint}{sso}; environment in {args.env_file}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            assert world.process is not None
            world.process.wait()
    finally:
        if center is not None:
            center.stop()
        if signin is not None:
            signin.stop()
        world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
