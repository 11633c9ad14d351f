"""`stsenv exec --server TARGET -- CMD`: CMD gets no keys, but a credential endpoint on
127.0.0.1 that renews the role for as long as CMD runs, which every AWS SDK polls on its own.

Three parts, all in this process (so nothing can outlive it):

* Keeper: the credentials being served, and the one thread that renews them ahead of expiry
  (single flight by construction: no other thread ever calls `renew`), with backoff.
* Endpoint: a small HTTP/1.x server on one thread (poll loop, non-blocking sockets). It is
  hand-written on purpose: `import http.server` alone costs ~40 ms and its thread-per-request
  model spends more per request than the whole answer does here (docs/DESIGN.md: p99 <=
  5 ms for 50 concurrent callers; `exec --server -- true` within 1.3x of `exec -- true`).
* run_with_server: the CMD lifecycle — environment, spawn, signals, exit status, clean-up.

Why the SDKs take the endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + _AUTHORIZATION_TOKEN)
over everything else they would try first. Their default chains, in order:
  botocore / AWS CLI: env keys, AssumeRoleWithWebIdentity (AWS_ROLE_ARN + token file env),
    the profile's providers (sso, ~/.aws/credentials, credential_process, config keys, role),
    AWS_CREDENTIAL_FILE, boto2's BOTO_CONFIG | /etc/boto.cfg | ~/.boto, container, IMDS.
  JS SDK v3 (credential-provider-node): env keys (skipped if AWS_PROFILE), SSO, ini (both
    files, incl. role_arn/credential_source), credential_process, web identity token file,
    container (fromHttp), IMDS.
  Go SDK v2: env keys, shared config/credentials of the profile, web identity, container.
So CMD gets: no key variables, no AWS_PROFILE/AWS_DEFAULT_PROFILE (the profile is [default]),
no web-identity variables, AWS_SHARED_CREDENTIALS_FILE pointing at an empty private file and
AWS_CONFIG_FILE at a generated private file whose [default] holds the selected profile's
settings minus every credential setting (region, output, endpoint_url, services, s3, retry
settings... stay; the [services] and other non-profile sections are copied as they are), and,
only when a boto2 config holds AWS keys, BOTO_CONFIG pointing at a copy without them. A
generated profile with `credential_source = EcsContainer` was considered and rejected: it
needs a role_arn, so botocore would AssumeRole again from the served credentials (chaining,
capped at 1 h, one STS call per SDK client) instead of using them.

Renewal schedule (see renew_before): credentials of a life L are renewed when less than
min(max(16 min, L/4), L - 2 min) is left. 16 min keeps them above botocore's 15-minute
advisory window (so it fetches once per credential, not once per call) and far above its
10-minute mandatory window and the JS/Go SDKs' 5 minutes. A 15-minute role cannot stay above
15 minutes (it is born with 15:00 left), so it is renewed with 13 minutes left: botocore then
re-fetches from the endpoint on every credential use (a loopback GET, ~1 ms; its advisory
refresh never blocks other threads and keeps the old credentials on failure), the JS and Go
SDKs see nothing unusual, and STS is called once every 2 minutes, not once per SDK call.
"""

from __future__ import annotations

# `_socket` rather than `socket`: the wrapper module costs ~3 ms at start-up (it builds
# enums for every constant), and this server needs only the plain socket object.
import _socket
import hmac
import json
import os
import select
import signal
import sys
import threading
import time

from stsenv.envchange import CLEARED_VARS, CREDENTIAL_VARS, REGION_VARS, STATE_VARS, rfc3339
from stsenv.errors import CommandFailed, EnvironmentProblem, StsenvError, UsageError
from stsenv.settings import EXEC_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TextIO

    from stsenv.model import RoleSession

# --- the renewal schedule ----------------------------------------------------------------------

RENEW_LEFT = 16 * 60  # renew with less than this left: above botocore's 15-min advisory window
RENEW_FRACTION = 4  # ... or with less than a quarter of the life left (long sessions)
MIN_SERVE = 2 * 60  # a short role's credentials are served at least this long between renewals
MUST_WAIT = 11 * 60  # below this, a request waits for a renewal in flight (botocore mandatory 10)
WAIT_SECONDS = 10.0  # ... for at most this long, then it gets what is still valid
POLL_SECONDS = 1.0  # the renewer reads the wall clock at least this often (suspend, NTP steps)
BACKOFF_FIRST = 1.0  # seconds before the first retry of a failed renewal, doubling ...
BACKOFF_MAX = 60.0  # ... up to this

# --- the endpoint ------------------------------------------------------------------------------

TOKEN_BYTES = 32  # 256 bits from os.urandom, sent hex-encoded
MAX_REQUEST = 8 * 1024  # request line + headers; more is answered 431 and the connection closed
IDLE_SECONDS = 5.0  # a connection that has not sent a whole request by then is closed
PATH = "/"

# Everything that would make an SDK choose other credentials before the endpoint (see above).
REMOVED_VARS = (
    *CREDENTIAL_VARS,
    *CLEARED_VARS,  # AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_SECURITY_TOKEN, ...
    *STATE_VARS,  # a role that `use` made active would otherwise seem active inside CMD
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",  # botocore and JS prefer it to the token itself
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_FILE",  # botocore's OriginalEC2Provider
)
FULL_URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name, not a value

# Settings of a profile that choose credentials; everything else is kept for CMD.
_CREDENTIAL_KEYS = frozenset(
    {
        "role_arn",
        "source_profile",
        "credential_source",
        "credential_process",
        "web_identity_token_file",
        "role_session_name",
        "external_id",
        "mfa_serial",
        "duration_seconds",
        "login_session",
    }
)
_CREDENTIAL_PREFIXES = ("aws_", "sso_")  # aws_access_key_id, aws_session_token, sso_start_url...

SI_KERNEL = 0x80  # si_code of a signal the kernel sent, e.g. the terminal's ^C to its group
_FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)


def renew_before(life: int) -> int:
    """Seconds before expiry at which credentials that lived `life` seconds are renewed."""
    return max(0, min(max(RENEW_LEFT, life // RENEW_FRACTION), life - MIN_SERVE))


def _life(session: RoleSession, now: float) -> int:
    """How long these credentials live: the duration asked for, or less when STS gave less
    (role chaining caps at 1 h) or when they come from the cache part-used."""
    left = int(session.credentials.expiration - now)
    return max(0, min(session.duration, left) if session.duration > 0 else left)


def _account(session: RoleSession) -> str | None:
    parts = session.role_arn.split(":")
    return parts[4] if len(parts) > 4 and len(parts[4]) == 12 and parts[4].isdigit() else None


def _response(status: int, reason: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _error(status: int, reason: str, code: str, message: str) -> bytes:
    """Code/Message: the JS SDK attaches them to its error; botocore quotes the whole body."""
    return _response(status, reason, json.dumps({"Code": code, "Message": message}).encode())


def _credentials_response(session: RoleSession) -> bytes:
    creds = session.credentials
    body: dict[str, str] = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token,
        "Expiration": rfc3339(creds.expiration),
    }
    account = _account(session)
    if account:
        body["AccountId"] = account
    return _response(200, "OK", json.dumps(body).encode())


# --- the keeper --------------------------------------------------------------------------------


class _Served:
    """One session as served: immutable, swapped whole, so readers need no lock."""

    __slots__ = ("due", "expiration", "response", "session")

    def __init__(self, session: RoleSession, now: float) -> None:
        self.session = session
        self.expiration = session.credentials.expiration
        self.due = self.expiration - renew_before(_life(session, now))
        self.response = _credentials_response(session)


class Keeper:
    """The credentials served, renewed by one thread; `answer()` is called by the endpoint."""

    def __init__(
        self,
        first: RoleSession,
        renew: Callable[[], RoleSession],
        stderr: TextIO,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._renew = renew
        self._stderr = stderr
        self._clock = clock
        self._served = _Served(first, clock())
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stopping = False
        self._in_flight = False
        self._retry_at = 0.0
        self._failures = 0
        self._problem: str | None = None  # why the last renewal failed
        self._told_expired = False
        self._thread: threading.Thread | None = None
        self.calls = 0  # renew() calls made (each one STS call, or one SSO/cache look-up)
        self.renewals = 0  # ... that gave newer credentials

    @property
    def name(self) -> str:
        return self._served.session.display_name

    @property
    def session(self) -> RoleSession:
        return self._served.session

    def due_at_start(self) -> bool:
        """Whether the first session (perhaps from the cache, part-used) already has less
        life left than a fresh one of its duration would be renewed at."""
        session = self._served.session
        left = session.credentials.expiration - self._clock()
        return left < renew_before(session.duration) or left < MUST_WAIT

    def renew_now(self) -> None:
        """Renew in the calling thread (before CMD starts): errors are raised, not retried."""
        fresh = self._call_renew()
        if fresh.credentials.expiration <= self._served.expiration:
            raise EnvironmentProblem(self._not_newer(fresh))
        self._served = _Served(fresh, self._clock())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stsenv-renewer", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        """Stop renewing; a renewal in flight may finish (it may be writing the cache)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(wait)

    # - serving -

    def answer(self, wait: bool = True) -> bytes | None:
        """The HTTP response for a caller with the right token; None when the caller should
        wait for the renewal in flight (only asked with wait=False, from the poll loop)."""
        served = self._served
        now = self._clock()
        left = served.expiration - now
        if now >= served.due and not self._in_flight and now >= self._retry_at:
            self._wake.set()  # the renewer polls anyway; this saves it up to a second
        if left < MUST_WAIT and (self._in_flight or self._wake.is_set()):
            if not wait:
                return None
            with self._cond:
                self._cond.wait_for(
                    lambda: self._served is not served or (
                        not self._in_flight and not self._wake.is_set()) or self._stopping,
                    WAIT_SECONDS,
                )  # fmt: skip
            served = self._served
            left = served.expiration - self._clock()
        if left > 0:
            return served.response
        message = (
            f"stsenv: the credentials of {served.session.display_name} expired at "
            f"{rfc3339(served.expiration)} and could not be renewed"
            + (f": {self._problem}" if self._problem else "")
        )
        if not self._told_expired:
            self._told_expired = True
            self._say(f"{message}; the command's AWS calls fail until a renewal succeeds")
        return _error(503, "Service Unavailable", "CredentialsExpired", message)

    # - renewing -

    def _call_renew(self) -> RoleSession:
        self.calls += 1
        return self._renew()

    def _not_newer(self, fresh: RoleSession) -> str:
        return (
            f"renewing {self.name} gave credentials expiring at "
            f"{rfc3339(fresh.credentials.expiration)}, no later than those being served "
            f"({rfc3339(self._served.expiration)}): the renewal must not come from the cache"
        )

    def _run(self) -> None:
        while True:
            self._wake.clear()
            with self._cond:
                if self._stopping:
                    return
            now = self._clock()
            due = max(self._served.due, self._retry_at)
            if now >= due:
                self._attempt()
                continue
            self._wake.wait(min(due - now, POLL_SECONDS))

    def _attempt(self) -> None:
        with self._cond:
            self._in_flight = True
        served = self._served
        problem: str | None = None
        fresh: RoleSession | None = None
        try:
            fresh = self._call_renew()
        except StsenvError as e:
            problem = e.message
        except Exception as e:  # the renewer must outlive any surprise; say what it was
            problem = f"unexpected {type(e).__name__}: {str(e)[:200]}"
        if fresh is not None and fresh.credentials.expiration <= served.expiration:
            problem, fresh = self._not_newer(fresh), None
        now = self._clock()
        with self._cond:
            self._in_flight = False
            if fresh is not None:
                self._served = _Served(fresh, now)
                self.renewals += 1
                recovered, self._failures, self._retry_at = self._failures, 0, 0.0
                self._problem, self._told_expired = None, False
            else:
                self._failures += 1
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(self._failures - 1, 16))
                self._retry_at = now + delay
                first_failure, self._problem = self._problem is None, problem
            self._cond.notify_all()
        if fresh is not None:
            if recovered:
                self._say(f"stsenv: renewed the credentials of {self.name} again "
                          f"(after {recovered} failed attempts)")  # fmt: skip
        elif first_failure:
            left = served.expiration - now
            still = (
                f"still serving the current ones, which expire at {rfc3339(served.expiration)}"
                if left > 0
                else "the served ones have expired"
            )
            self._say(f"stsenv: could not renew the credentials of {self.name}: {problem}; "
                      f"{still}; retrying with backoff")  # fmt: skip

    def _say(self, line: str) -> None:
        try:
            self._stderr.write(line.replace("\n", " ") + "\n")
            self._stderr.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not stop the renewals


# --- the endpoint ------------------------------------------------------------------------------

_UNAUTHORIZED = _error(
    401, "Unauthorized", "Unauthorized",
    f"stsenv: send the {TOKEN_VAR} of the command this endpoint serves",
)  # fmt: skip
_FORBIDDEN = _error(403, "Forbidden", "Forbidden", "stsenv: wrong authorization token")
_NOT_FOUND = _error(404, "Not Found", "NotFound", f"stsenv: the credentials are at {PATH}")
_NOT_ALLOWED = _error(405, "Method Not Allowed", "MethodNotAllowed", "stsenv: only GET")
_BAD = _error(400, "Bad Request", "BadRequest", "stsenv: not an HTTP request")
_TOO_LARGE = _error(413, "Content Too Large", "BadRequest", "stsenv: a GET has no body")
_TOO_BIG = _error(431, "Request Header Fields Too Large", "BadRequest",
                  "stsenv: request too large")  # fmt: skip


class _Conn:
    __slots__ = ("buffer", "deadline", "out", "sock")

    def __init__(self, sock: _socket.socket, deadline: float) -> None:
        self.sock = sock
        self.buffer = b""
        self.out = b""
        self.deadline = deadline


class Endpoint:
    """HTTP on 127.0.0.1: GET / with the token -> the keeper's answer; anything else -> an
    error without credentials. One thread polls every socket; a request that must wait for a
    renewal (rare) is answered from a thread of its own."""

    def __init__(self, keeper: Keeper, token: str, port: int = 0) -> None:
        self.keeper = keeper
        self._token = token.encode("ascii")
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(128)  # 50 callers connecting at once must not overflow the backlog
        except OSError as e:
            sock.close()
            raise EnvironmentProblem(
                f"cannot listen on 127.0.0.1:{port or 'a free port'} for the credential "
                f"endpoint: {e.strerror or e}"
            ) from None
        sock.setblocking(False)
        self._sock = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self._wake_r, self._wake_w = os.pipe()  # written to by stop(): the poll loop ends
        self._thread: threading.Thread | None = None
        self._waiters: list[threading.Thread] = []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="stsenv-endpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the port: afterwards a connection is refused."""
        if self._thread is not None:
            os.write(self._wake_w, b"x")
            self._thread.join()
            self._thread = None
        for waiter in self._waiters:
            waiter.join(WAIT_SECONDS)
        self.close()

    def close(self) -> None:
        if self._sock.fileno() != -1:
            self._sock.close()
        for fd in (self._wake_r, self._wake_w):
            try:  # noqa: SIM105 - contextlib costs an import at start-up
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1

    # - the loop -

    def _loop(self) -> None:
        poller = select.poll()
        listen_fd = self._sock.fileno()
        poller.register(listen_fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        conns: dict[int, _Conn] = {}
        try:
            while True:
                timeout = None
                if conns:
                    nearest = min(c.deadline for c in conns.values())
                    timeout = max(0.0, nearest - time.monotonic()) * 1000
                for fd, events in poller.poll(timeout):
                    if fd == self._wake_r:
                        return
                    if fd == listen_fd:
                        self._accept(poller, conns)
                    elif fd in conns:
                        self._service(poller, conns, conns[fd], events)
                if conns:
                    now = time.monotonic()
                    for fd, conn in list(conns.items()):
                        if conn.deadline <= now:
                            self._drop(poller, conns, fd)
        finally:
            for fd in list(conns):
                self._drop(poller, conns, fd)

    def _accept(self, poller: select.poll, conns: dict[int, _Conn]) -> None:
        deadline = time.monotonic() + IDLE_SECONDS
        for _ in range(64):  # everyone already queued, then back to poll
            try:
                fd, _address = self._sock._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. out of file descriptors: the caller will retry
                return
            sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM, 0, fd)
            sock.setblocking(False)
            conns[fd] = _Conn(sock, deadline)
            poller.register(fd, select.POLLIN)

    def _drop(self, poller: select.poll, conns: dict[int, _Conn], fd: int) -> None:
        conn = conns.pop(fd)
        try:  # noqa: SIM105 - contextlib costs an import at start-up
            poller.unregister(fd)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def _service(
        self, poller: select.poll, conns: dict[int, _Conn], conn: _Conn, events: int
    ) -> None:
        fd = conn.sock.fileno()
        if conn.out:  # finishing a response the socket did not take at once
            self._send(poller, conns, conn)
            return
        if events & (select.POLLERR | select.POLLNVAL):
            self._drop(poller, conns, fd)
            return
        try:
            data = conn.sock.recv(MAX_REQUEST + 1)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(poller, conns, fd)
            return
        conn.buffer += data
        end = conn.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(conn.buffer) > MAX_REQUEST:
                conn.out = _TOO_BIG
                self._send(poller, conns, conn)
            return
        if end > MAX_REQUEST:
            conn.out = _TOO_BIG
        else:
            answer = self.respond(conn.buffer[:end], wait=False)
            if answer is None:  # a renewal is in flight and these are nearly expired
                self._answer_later(poller, conns, conn)
                return
            conn.out = answer
        self._send(poller, conns, conn)

    def _send(self, poller: select.poll, conns: dict[int, _Conn], conn: _Conn) -> None:
        fd = conn.sock.fileno()
        try:
            sent = conn.sock.send(conn.out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._drop(poller, conns, fd)
            return
        conn.out = conn.out[sent:]
        if conn.out:
            poller.modify(fd, select.POLLOUT)
        else:
            self._drop(poller, conns, fd)

    def _answer_later(self, poller: select.poll, conns: dict[int, _Conn], conn: _Conn) -> None:
        fd = conn.sock.fileno()
        poller.unregister(fd)
        del conns[fd]

        def answer() -> None:
            try:
                conn.sock.setblocking(True)
                conn.sock.settimeout(IDLE_SECONDS)
                conn.sock.sendall(self.keeper.answer(wait=True) or _BAD)
            except OSError:
                pass
            finally:
                conn.sock.close()

        self._waiters = [t for t in self._waiters if t.is_alive()]
        waiter = threading.Thread(target=answer, name="stsenv-endpoint-wait", daemon=True)
        self._waiters.append(waiter)
        waiter.start()

    # - one request -

    def respond(self, head: bytes, wait: bool = True) -> bytes | None:
        """The response to a request whose line and headers are `head`."""
        lines = head.split(b"\r\n")
        words = lines[0].split(b" ")
        if len(words) != 3 or not words[2].startswith(b"HTTP/1."):
            return _BAD
        method, target = words[0], words[1]
        if method != b"GET":
            return _NOT_ALLOWED
        tokens: list[bytes] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                return _BAD
            lowered = name.lower()
            if lowered == b"authorization":
                tokens.append(value.strip())
            elif lowered == b"transfer-encoding" or (
                lowered == b"content-length" and value.strip() != b"0"
            ):
                return _TOO_LARGE
        if target.split(b"?", 1)[0] != PATH.encode():
            return _NOT_FOUND
        if not tokens:
            return _UNAUTHORIZED
        if len(tokens) != 1 or not hmac.compare_digest(tokens[0], self._token):
            return _FORBIDDEN
        return self.keeper.answer(wait=wait)


# --- CMD's environment ---------------------------------------------------------------------------


def _is_credential_key(key: str) -> bool:
    return key in _CREDENTIAL_KEYS or key.startswith(_CREDENTIAL_PREFIXES)


def profile_settings(text: str, profile: str) -> str:
    """An AWS config file whose [default] is `profile`'s settings without those that choose
    credentials; [services ...] and other non-profile sections kept, other profiles and
    [sso-session ...] left out. Line-based, so nested settings (`s3 =` + indented lines) and
    the user's formatting survive; comments are dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    skipping = False  # inside the indented lines of a dropped setting
    wanted = ("default", "profile default") if profile == "default" else (f"profile {profile}",)
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indented = line[0] in " \t"
        if not indented and stripped[0] == "[" and stripped[-1] == "]":
            name = " ".join(stripped[1:-1].split())
            skipping = False
            if name in wanted:
                current = sections.setdefault("default", [])
            elif name == "default" or name.startswith(("profile ", "sso-session ")):
                current = None
            else:
                current = sections.setdefault(name, [])
            continue
        if current is None:
            continue
        if indented:
            if not skipping:
                current.append(line)
            continue
        key = stripped.split("=", 1)[0].split(":", 1)[0].strip().lower()
        skipping = current is sections.get("default") and _is_credential_key(key)
        if not skipping:
            current.append(line)
    sections.setdefault("default", [])
    return "".join(f"[{name}]\n" + "".join(f"{line}\n" for line in lines)
                   for name, lines in sections.items())  # fmt: skip


def _boto_config_without_keys(env: Mapping[str, str]) -> str | None:
    """The boto2 config botocore would take AWS keys from, without them; None if none has."""
    paths = [env["BOTO_CONFIG"]] if "BOTO_CONFIG" in env else ["/etc/boto.cfg", "~/.boto"]
    for path in paths:
        text = _read(os.path.expanduser(path))
        if text is None or "aws_access_key_id" not in text:
            continue
        kept: list[str] = []
        section = ""
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1].strip()
            elif section == "Credentials" and stripped.lower().startswith("aws_"):
                continue
            kept.append(line)
        return "".join(f"{line}\n" for line in kept)
    return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(4 * 1024 * 1024)
    except FileNotFoundError:
        return None
    except OSError as e:
        if os.path.isdir(path):
            return None
        raise EnvironmentProblem(
            f"cannot read {path} ({e.strerror}) to give the command its AWS settings"
        ) from None


def _write_private(path: str, text: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def private_dir(env: Mapping[str, str]) -> str:
    """A new 0700 directory for CMD's generated AWS files (none of which holds a secret)."""
    base = env.get("TMPDIR") or "/tmp"  # noqa: S108 - a fresh 0700 directory, checked below
    for _ in range(16):
        path = os.path.join(base, f"stsenv-exec-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as e:
            raise EnvironmentProblem(
                f"cannot create a private directory in {base} for the command's AWS files "
                f"({e.strerror}): set TMPDIR to a writable directory"
            ) from None
        st = os.lstat(path)
        if st.st_uid != os.geteuid() or (st.st_mode & 0o777) != 0o700:
            raise EnvironmentProblem(f"{path} is not private to you; not using it")
        return path
    raise EnvironmentProblem(f"cannot create a private directory in {base}")


def remove_private_dir(path: str) -> None:
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        try:  # noqa: SIM105 - contextlib costs an import at start-up
            os.unlink(os.path.join(path, name))
        except OSError:
            pass
    try:  # noqa: SIM105
        os.rmdir(path)
    except OSError:
        pass


def command_env(
    env: Mapping[str, str],
    session: RoleSession,
    url: str,
    token: str,
    workdir: str,
    profile: str | None = None,
) -> dict[str, str]:
    """CMD's environment: `env` without anything that would beat the endpoint, plus the
    endpoint, the role's region and STSENV_EXEC. Writes CMD's AWS files into `workdir`."""
    selected = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    home = os.path.expanduser("~")
    config_path = os.path.expanduser(
        env.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
    )
    config = profile_settings(_read(config_path) or "", selected)
    boto = _boto_config_without_keys(env)

    cmd = {name: value for name, value in env.items() if name not in REMOVED_VARS}
    credentials_file = os.path.join(workdir, "credentials")
    config_file = os.path.join(workdir, "config")
    _write_private(credentials_file, "")
    _write_private(config_file, config)
    cmd["AWS_SHARED_CREDENTIALS_FILE"] = credentials_file
    cmd["AWS_CONFIG_FILE"] = config_file
    if boto is not None:
        boto_file = os.path.join(workdir, "boto.cfg")
        _write_private(boto_file, boto)
        cmd["BOTO_CONFIG"] = boto_file
    cmd[FULL_URI_VAR] = url
    cmd[TOKEN_VAR] = token
    if session.region:
        cmd.update(dict.fromkeys(REGION_VARS, session.region))
    cmd[EXEC_VAR] = session.role_arn
    return cmd


# --- CMD's lifetime ------------------------------------------------------------------------------


def _spawn(command: list[str], env: dict[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return os.posix_spawnp(
            command[0],
            command,
            env,
            setsigmask=(),  # our blocked signals are ours; CMD starts with none blocked
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # Python ignores them; CMD must not
        )
    except OSError as e:
        raise CommandFailed.starting(command[0], e) from None


def _exit_status(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _wait_for(pid: int, forwarded: tuple[int, ...], waited: set[int]) -> int:
    """CMD's exit status; the signals sent to stsenv reach CMD. A signal the kernel sent
    (the terminal's ^C, ^\\, hang-up: SI_KERNEL) went to CMD too, as it is in our process
    group, so only the others (kill, systemd, timeout...) are passed on: never twice."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return _exit_status(status)
        info = signal.sigwaitinfo(waited)
        if info.si_signo in forwarded and info.si_code != SI_KERNEL:
            try:  # noqa: SIM105 - contextlib costs an import at start-up
                os.kill(pid, info.si_signo)
            except ProcessLookupError:
                pass


def _drain(waited: set[int]) -> None:
    """Swallow what arrived while blocked, so that unblocking delivers nothing late."""
    pending = signal.sigpending() & waited
    while pending:
        signal.sigtimedwait(pending, 0)
        pending = signal.sigpending() & waited


def run_with_server(
    command: list[str],
    env: dict[str, str],
    first: RoleSession,
    renew: Callable[[], RoleSession],
    *,
    stderr: TextIO | None = None,
    profile: str | None = None,
    port: int = 0,
) -> int:
    """Run `command` with the credential endpoint; return its exit status (128+N when
    signal N ended it, as shells report). Raises StsenvError subclasses (one line each)
    for anything that goes wrong before the command starts.

    env      the environment to start from: the user's, without a role `use` made active
    first    the session to serve first (e.g. aws.get_session, cache allowed)
    renew    called from one background thread to get fresh credentials: it must assume
             again (bypass the role-session cache: UseRequest(..., refresh=True)) and must
             never prompt (ask that raises); StsenvError -> logged once, retried with backoff
    profile  whose non-credential settings CMD keeps as [default] (default: AWS_PROFILE,
             AWS_DEFAULT_PROFILE of `env`, else default)
    port     127.0.0.1 port to listen on; 0 = a free one
    Call it from the main thread: it blocks the signals it forwards and waits for them.
    """
    if not command:
        raise UsageError("give the command to run after --, e.g. `-- aws s3 ls`")
    out = stderr if stderr is not None else sys.stderr
    keeper = Keeper(first, renew, out)
    if keeper.due_at_start():
        keeper.renew_now()  # a cached session already due: renew before CMD relies on it
    token = os.urandom(TOKEN_BYTES).hex()
    endpoint = Endpoint(keeper, token, port)
    workdir: str | None = None
    try:
        workdir = private_dir(os.environ)
        cmd_env = command_env(env, keeper.session, endpoint.url, token, workdir, profile)
        forwarded = tuple(s for s in _FORWARDED if signal.getsignal(s) != signal.SIG_IGN)
        waited: set[int] = {*forwarded, signal.SIGCHLD}
        chld = signal.getsignal(signal.SIGCHLD)
        if chld == signal.SIG_IGN:  # inherited: children would be reaped before we see them
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, waited)  # threads inherit it
        try:
            endpoint.start()
            keeper.start()
            pid = _spawn(command, cmd_env)
            return _wait_for(pid, forwarded, waited)
        finally:
            endpoint.stop()  # first: once CMD is gone, nobody gets credentials
            keeper.stop()
            _drain(waited)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            if chld == signal.SIG_IGN:
                signal.signal(signal.SIGCHLD, chld)
    finally:
        endpoint.close()
        if workdir is not None:
            remove_private_dir(workdir)
