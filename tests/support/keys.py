"""The real parts of the `stsenv keys` tests: the two keychains (a gnome-keyring-daemon in
its own D-Bus session, reached through keyring's SecretService backend; `pass` with a
throw-away gpg key, through keyring-pass), and a moto server with IAM authorization on
whose GetSessionToken sessions act as their user (moto_sessions.py)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.emulator import VENV_BIN, base_env
from support.local_aws import ACCOUNT, REGION, ROLE, free_port
from support.shells import need_tool

STSENV = str(Path(VENV_BIN) / "stsenv")
AWS = str(Path(VENV_BIN) / "aws")
HERE = Path(__file__).resolve().parent
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
PASS = "keyring_pass.PasswordStoreBackend"


class KeysWorld:
    """moto (with GetSessionToken sessions) on 127.0.0.1, IAM authorization on; users are
    made per test by `user()`."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.sessions_log = workdir / "get-session-token.log"
        self.endpoint = f"http://127.0.0.1:{self.port}"
        log = open(workdir / "moto.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "moto_sessions.py"),
                "-H",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "MOTO_SESSIONS_LOG": str(self.sessions_log)},
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("moto did not start") from None
                time.sleep(0.1)
        iam = self.client("iam", ("AKIAANYTHING0000", "x"))
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=_policy("*", "*"))
        made = iam.create_access_key(UserName="admin")["AccessKey"]
        self.admin = (made["AccessKeyId"], made["SecretAccessKey"])
        self.principals = [f"arn:aws:iam::{ACCOUNT}:root"]
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=self._trust())
        iam.put_role_policy(RoleName=ROLE, PolicyName="s3", PolicyDocument=_policy("s3:*", "*"))
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            f"{self.endpoint}/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
        self.users = 0

    def client(
        self, service: str, key: tuple[str, str] | None = None, token: str | None = None
    ) -> Any:
        import boto3

        key = key or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            aws_session_token=token,
        )

    def user(self, delete: bool = True, keys: int = 1) -> tuple[str, tuple[str, str]]:
        """A new IAM user (name, its key) that may rotate its own keys and assume the
        tutorial's role; without `delete`, DeleteAccessKey is not allowed."""
        self.users += 1
        name = f"taro{self.users}"
        iam = self.client("iam")
        iam.create_user(UserName=name)
        own = ["iam:ListAccessKeys", "iam:CreateAccessKey"] + (
            ["iam:DeleteAccessKey"] if delete else []
        )
        statements = [
            {
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity", "sts:GetSessionToken"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
            },
            {"Effect": "Allow", "Action": own, "Resource": "*"},  # moto checks "*"
        ]
        iam.put_user_policy(
            UserName=name,
            PolicyName="own",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        # moto matches trust principals literally: name every user of these tests.
        self.principals.append(f"arn:aws:iam::{ACCOUNT}:user/{name}")
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=self._trust())
        made = [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(keys)]
        return name, (made[0]["AccessKeyId"], made[0]["SecretAccessKey"])

    def _trust(self) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"AWS": self.principals},
                    }
                ],
            }
        )

    def codes_sent(self, key_id: str) -> list[str | None]:
        """The MFA codes sent with GetSessionToken by this access key, in order."""
        if not self.sessions_log.exists():
            return []
        calls = [json.loads(line) for line in self.sessions_log.read_text().splitlines()]
        return [code for caller, code in calls if caller == key_id]

    def works(self, key: tuple[str, str]) -> bool:
        try:
            self.client("sts", key).get_caller_identity()
        except Exception:
            return False
        return True

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _policy(action: str, resource: str) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="session")
def keys_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeysWorld]:
    world = KeysWorld(tmp_path_factory.mktemp("keys-world"))
    yield world
    world.stop()


# --- the keychains ---------------------------------------------------------------------------


def secret_service(home: Path) -> Iterator[dict[str, str]]:
    """A gnome-keyring-daemon with an unlocked login keyring, in its own dbus-run-session."""
    need_tool("dbus-run-session")
    need_tool("gnome-keyring-daemon")
    ready = home / "bus-address"
    script = (
        "echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f"echo \"$DBUS_SESSION_BUS_ADDRESS\" > '{ready}' && exec sleep 3600"
    )
    env = {**base_env(home), "XDG_DATA_HOME": str(home / "data")}
    process = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not (ready.exists() and ready.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("gnome-keyring-daemon did not start")
        time.sleep(0.05)
    try:
        yield {
            "DBUS_SESSION_BUS_ADDRESS": ready.read_text().strip(),
            "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def pass_store(home: Path) -> Iterator[dict[str, str]]:
    """`pass` with a throw-away gpg key without passphrase in a private GNUPGHOME."""
    need_tool("gpg")
    need_tool("pass")
    gnupg, store = home / "gnupg", home / "password-store"
    gnupg.mkdir(mode=0o700, parents=True)
    env = {**base_env(home), "GNUPGHOME": str(gnupg), "PASSWORD_STORE_DIR": str(store)}
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "stsenv test <test@example.invalid>",
            "default",
            "default",
            "never",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        ["pass", "init", "test@example.invalid"],
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    try:
        yield {
            "GNUPGHOME": str(gnupg),
            "PASSWORD_STORE_DIR": str(store),
            "PYTHON_KEYRING_BACKEND": PASS,
        }
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, timeout=30)


@pytest.fixture
def pass_keychain(tmp_path: Path) -> Iterator[dict[str, str]]:
    """One keychain, `pass`: for tests about the files, not about each keychain."""
    home = tmp_path / "kc"
    home.mkdir()
    yield from pass_store(home)


@pytest.fixture(params=["secret-service", "pass"])
def keychain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    home = tmp_path / "keychain-home"
    home.mkdir()
    make = secret_service if request.param == "secret-service" else pass_store
    yield from make(home)


# --- one user's machine ----------------------------------------------------------------------

OTHER = (
    "# my keys\n[other]\naws_access_key_id = AKIAOTHERKEY0000001\naws_secret_access_key = o/ther\n"
)


class Machine:
    """HOME with the AWS files of one user whose key is in [taro] of the credentials file."""

    def __init__(
        self,
        tmp_path: Path,
        world: KeysWorld,
        keychain: dict[str, str],
        user: str,
        key: tuple[str, str],
        mfa: str = "",
    ) -> None:
        self.home = tmp_path / "home"
        self.key = key
        self.user = user
        self.config = self.home / ".aws" / "config"
        self.credentials = self.home / ".aws" / "credentials"
        self.config.parent.mkdir(parents=True)
        self.config.write_text(
            "# the tutorial's profiles\n[profile taro]\nregion = ap-northeast-1\n"
            + (f"mfa_serial = {mfa}\n" if mfa else "")
            + "\n"
            f"[profile s3full]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/{ROLE}\n"
            "source_profile = taro\nregion = ap-northeast-1\n"
        )
        self.credentials.write_text(
            f"{OTHER}\n[taro]\n; the tutorial's user\naws_access_key_id = {key[0]}\n"
            f"aws_secret_access_key = {key[1]}\nregion = ap-northeast-1\n\n[last]\nx = 1\n"
        )
        os.chmod(self.credentials, 0o600)
        self.env = {
            **base_env(self.home),
            **keychain,
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials),
            "AWS_ENDPOINT_URL": world.endpoint,
            "AWS_PROFILE": "taro",
            "STSENV_MFA_SESSION": "0",
        }

    def stsenv(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run([STSENV, *args], self.env, stdin)

    def aws(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([AWS, *args], self.env)

    def stored(self) -> dict[str, Any] | None:
        """What the keychain holds for taro, read through keyring as any program would."""
        done = run(
            [
                sys.executable,
                "-c",
                "import keyring; print(keyring.get_password('stsenv', 'key:taro') or '')",
            ],
            self.env,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin if stdin is not None else "",
        start_new_session=True,
    )


def encodings(secret: str) -> list[bytes]:
    """The secret as it could sit in a file: plain, base64, hex, JSON-escaped."""
    raw = secret.encode()
    return [
        raw,
        base64.b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        json.dumps(secret).encode()[1:-1],
        json.dumps(secret).encode().replace(b"/", b"\\/")[1:-1],
    ]


def files_holding(secret: str, *roots: Path) -> list[str]:
    found = []
    forms = encodings(secret)
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(form in data for form in forms):
                    found.append(str(path))
    return found


class ArgvWatch:
    """Reads every process's argv (and the environment of our own children) while it runs:
    the secret must never be there."""

    def __init__(self, secret: str) -> None:
        self.forms = encodings(secret)
        self.seen: list[str] = []
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ArgvWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) == me:
                    continue
                for what in ("cmdline", "environ"):
                    try:
                        data = Path(f"/proc/{pid}/{what}").read_bytes()
                    except OSError:
                        continue
                    if any(form in data for form in self.forms):
                        self.seen.append(f"{pid}/{what}: {data[:80]!r}")
            self.scans += 1
