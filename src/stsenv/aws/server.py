"""`stsenv exec --server TARGET -- CMD`: CMD gets no keys, but a credential endpoint on
127.0.0.1 that renews the role for as long as CMD runs, which every AWS SDK polls on its own.

Three parts, all in this process:

* Keeper: the credentials being served, and the one thread that renews them ahead of expiry
  (single flight by construction: no other thread ever calls `renew`), with backoff.
* Endpoint: a small HTTP/1.x server on one thread (poll loop, non-blocking sockets). It is
  hand-written on purpose: `import http.server` alone costs ~40 ms and its thread-per-request
  model spends more per request than the whole answer does here (docs/DESIGN.md: p99 <=
  5 ms for 50 concurrent callers), and a flood of idle connections would cost it a thread
  each. What it answers: GET / with
  Host 127.0.0.1:PORT (or localhost:PORT) and the token, compared in constant time; a
  request line and headers of at most MAX_REQUEST bytes, sent within IDLE_SECONDS; at most
  a few hundred connections open (MAX_CONNS, fewer under a low fd limit), where one that
  has not sent the token is closed to make room, at a bounded rate, and accepting pauses
  (never spins) when no room can be made or no file descriptor is left.
* run_with_server: the CMD lifecycle — environment, spawn, signals, exit status, clean-up.
  CMD's life is tied to stsenv's: it runs in a process group of its own (handed the
  terminal when stsenv had it, so ^C, ^Z and reads reach it as before), which stsenv ends
  (SIGTERM, SIGKILL after END_GRACE) on every way out before the port closes; on Linux the
  kernel also kills CMD when stsenv dies, even of SIGKILL (PR_SET_PDEATHSIG; dropped by
  the kernel when CMD is a set-user-ID program). Not covered:
  a child that leaves CMD's group (setsid, a shell's job control) outlives stsenv and then
  loses the endpoint; where PR_SET_PDEATHSIG is missing (macOS), a SIGKILLed stsenv leaves
  CMD running without its endpoint.

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
settings on an allow-list (region, output, endpoint_url, services, s3, retry settings...;
read with botocore's own config loader, so whatever botocore sees as a key is never
copied), with the [services ...] sections; both in a folder under $XDG_RUNTIME_DIR or the
credential cache, which only the user can write for as long as the folder lives; and,
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

import _socket

# `_socket` rather than `socket`: the wrapper module costs ~3 ms at start-up (it builds
# enums for every constant), and this server needs only the plain socket object.
import contextlib
import errno
import hmac
import json
import os
import select
import signal
import stat
import sys
import threading
import time

from stsenv import tidy
from stsenv.envchange import CLEARED_VARS, CREDENTIAL_VARS, REGION_VARS, STATE_VARS, rfc3339
from stsenv.errors import CommandFailed, EnvironmentProblem, StsenvError, UsageError
from stsenv.inert import inert
from stsenv.settings import EXEC_VAR, Settings

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
MAX_CONNS = 512  # open connections at most (fewer with a low fd limit); then the oldest goes
EVICT_RATE = 1000.0  # connections closed per second at most to make room (a flood's cost) ...
EVICT_BURST = 128.0  # ... after a burst of this many (one listen backlog)
PAUSE_SECONDS = 0.05  # out of room or of file descriptors: stop accepting for this long

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
# The settings of the selected profile that CMD keeps: an allow-list of botocore's and the AWS
# CLI's settings, none of which chooses or holds credentials.
_KEPT_SETTINGS = frozenset(
    {
        "region",
        "output",
        "endpoint_url",
        "ignore_configured_endpoint_urls",
        "services",  # names a [services ...] section (per-service endpoint_url)
        "ca_bundle",
        "retry_mode",
        "max_attempts",
        "parameter_validation",
        "defaults_mode",
        "use_dualstack_endpoint",
        "use_fips_endpoint",
        "sts_regional_endpoints",
        "s3",
        "api_versions",
        "tcp_keepalive",
        "request_min_compression_size_bytes",
        "disable_request_compression",
        "sigv4a_signing_region_set",
        "request_checksum_calculation",
        "response_checksum_validation",
        "account_id_endpoint_mode",
        "auth_scheme_preference",
        "metadata_service_timeout",
        "metadata_service_num_attempts",
        "cli_pager",
        "cli_timestamp_format",
        "cli_follow_urlparam",
        "cli_binary_format",
        "cli_auto_prompt",
        "cli_history",
    }
)
_KEPT_SECTIONS = ("plugins", "preview")  # the AWS CLI's, copied without credential settings

PR_SET_PDEATHSIG = 1  # linux/prctl.h
FD_LIMIT = 65536  # the soft limit on open files is raised up to this (and the hard limit)
END_GRACE = 0.5  # seconds CMD's leftover children have between SIGTERM and SIGKILL
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
                    lambda: (
                        self._served is not served
                        or (not self._in_flight and not self._wake.is_set())
                        or self._stopping
                    ),
                    WAIT_SECONDS,
                )
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
                self._say(
                    f"stsenv: renewed the credentials of {self.name} again "
                    f"(after {recovered} failed attempts)"
                )
        elif first_failure:
            left = served.expiration - now
            still = (
                f"still serving the current ones, which expire at {rfc3339(served.expiration)}"
                if left > 0
                else "the served ones have expired"
            )
            self._say(
                f"stsenv: could not renew the credentials of {self.name}: {problem}; "
                f"{still}; retrying with backoff"
            )

    def _say(self, line: str) -> None:
        try:
            self._stderr.write(inert(line) + "\n")  # STS's and the config's words are data
            self._stderr.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not stop the renewals


# --- the endpoint ------------------------------------------------------------------------------

_UNAUTHORIZED = _error(
    401,
    "Unauthorized",
    "Unauthorized",
    f"stsenv: send the {TOKEN_VAR} of the command this endpoint serves",
)
_FORBIDDEN = _error(403, "Forbidden", "Forbidden", "stsenv: wrong authorization token")
_NOT_FOUND = _error(404, "Not Found", "NotFound", f"stsenv: the credentials are at {PATH}")
_NOT_ALLOWED = _error(405, "Method Not Allowed", "MethodNotAllowed", "stsenv: only GET")
_BAD = _error(400, "Bad Request", "BadRequest", "stsenv: not an HTTP request")
_TOO_LARGE = _error(413, "Content Too Large", "BadRequest", "stsenv: a GET has no body")
_TOO_BIG = _error(431, "Request Header Fields Too Large", "BadRequest", "stsenv: request too large")
_MISDIRECTED = _error(
    421,
    "Misdirected Request",
    "MisdirectedRequest",
    "stsenv: this endpoint answers Host 127.0.0.1:PORT only",
)


_NO_ROOM = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


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

    def __init__(self, keeper: Keeper, token: str, port: int = 0, cap: int = MAX_CONNS) -> None:
        self.keeper = keeper
        self._token = token.encode("ascii")
        self._cap = max(1, cap)
        self._budget = EVICT_BURST  # connections that may still be closed to make room
        self._budget_at = time.monotonic()
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
        # Host headers answered: a page of a name rebound to 127.0.0.1 sends its own name.
        self._hosts = (f"127.0.0.1:{self.port}".encode(), f"localhost:{self.port}".encode())
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
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    # - the loop -

    def _loop(self) -> None:
        poller = select.poll()
        listen_fd = self._sock.fileno()
        poller.register(listen_fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        conns: dict[int, _Conn] = {}  # in the order accepted, hence of their deadlines
        resume = 0.0  # when listening was paused (no room, no fd): when it starts again
        try:
            while True:
                timeout = None
                if conns or resume:
                    first = next(iter(conns.values())).deadline if conns else resume
                    nearest = min(first, resume) if resume else first
                    timeout = max(0.0, nearest - time.monotonic()) * 1000
                for fd, events in poller.poll(timeout):
                    if fd == self._wake_r:
                        return
                    if fd == listen_fd:
                        if not self._accept(poller, conns):  # a flood: wait, do not spin
                            poller.unregister(listen_fd)
                            resume = time.monotonic() + PAUSE_SECONDS
                    elif fd in conns:
                        self._service(poller, conns, conns[fd], events)
                now = time.monotonic()
                while conns:
                    fd, conn = next(iter(conns.items()))
                    if conn.deadline > now:
                        break
                    self._drop(poller, conns, fd)
                if resume and now >= resume:
                    resume = 0.0
                    poller.register(listen_fd, select.POLLIN)
        finally:
            for fd in list(conns):
                self._drop(poller, conns, fd)

    def _accept(self, poller: select.poll, conns: dict[int, _Conn]) -> bool:
        """Accept what is queued; False when accepting must pause (no room can be made)."""
        deadline = time.monotonic() + IDLE_SECONDS
        for _ in range(64):  # everyone already queued, then back to poll
            if len(conns) >= self._cap and not self._may_evict():
                return False
            try:
                fd, _address = self._sock._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as e:
                # Out of file descriptors (or memory): the listening socket stays readable,
                # so make room or pause rather than ask again at once.
                if e.errno in _NO_ROOM and self._make_room(poller, conns):
                    continue
                return e.errno not in _NO_ROOM  # else e.g. ECONNABORTED: next one
            sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM, 0, fd)
            sock.setblocking(False)
            conns[fd] = _Conn(sock, deadline)
            poller.register(fd, select.POLLIN)
            if len(conns) > self._cap:
                self._make_room(poller, conns)
        return True

    def _may_evict(self) -> bool:
        """Whether a connection may be closed to make room now: at most EVICT_RATE a second
        (after a burst), so that a flood costs this loop little."""
        now = time.monotonic()
        self._budget = min(EVICT_BURST, self._budget + (now - self._budget_at) * EVICT_RATE)
        self._budget_at = now
        return self._budget >= 1

    def _make_room(self, poller: select.poll, conns: dict[int, _Conn]) -> bool:
        """Close the oldest connection that has not sent the token (nor is being answered),
        within the budget of _may_evict: a caller who connects during a flood is answered
        as soon as its turn in the listen backlog comes."""
        if not self._may_evict():
            return False
        for fd, conn in conns.items():
            if not conn.out and self._token not in conn.buffer:
                self._budget -= 1
                self._drop(poller, conns, fd)
                return True
        return False

    def _drop(self, poller: select.poll, conns: dict[int, _Conn], fd: int) -> None:
        conn = conns.pop(fd)
        with contextlib.suppress(KeyError, ValueError):
            poller.unregister(fd)
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
        hosts: list[bytes] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                return _BAD
            lowered = name.lower()
            if lowered == b"authorization":
                tokens.append(value.strip())
            elif lowered == b"host":
                hosts.append(value.strip().lower())
            elif lowered == b"transfer-encoding" or (
                lowered == b"content-length" and value.strip() != b"0"
            ):
                return _TOO_LARGE
        if len(hosts) != 1 or hosts[0] not in self._hosts:
            return _MISDIRECTED
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


def _is_name(word: str) -> bool:
    """A setting's or a section's name that can be written back as it was read."""
    return word.isascii() and word.replace("_", "").replace("-", "").replace(".", "").isalnum()


def _setting_lines(key: str, value: object, nested: bool) -> str:
    """`key = value` (or `key =` + indented `sub = value` lines) as botocore reads it back;
    nothing for a value that would not read back as itself (a line break in it) or for an
    indented setting that chooses credentials."""
    if not _is_name(key):
        return ""
    if isinstance(value, str):
        return "" if "\n" in value or "\r" in value else f"{key} = {value}".rstrip() + "\n"
    if not nested or not isinstance(value, dict):
        return ""
    lines = "".join(
        f"  {line}"
        for sub, subvalue in value.items()
        if not _is_credential_key(sub)
        for line in [_setting_lines(sub, subvalue, False)]
        if line
    )
    return f"{key} =\n{lines}" if lines else ""


def profile_settings(path: str, profile: str) -> str:
    """An AWS config file whose [default] holds the settings of `profile` that are on the
    allow-list (_KEPT_SETTINGS: region, output, endpoints, retries, s3, ...; never a key nor
    anything that chooses credentials), plus the [services ...] sections it may name and the
    AWS CLI's [plugins]/[preview]. The file is read by botocore's own loader, so CMD's SDK
    and stsenv see the same profile whatever its layout (indentation, comments)."""
    from botocore.configloader import build_profile_map, raw_config_parse
    from botocore.exceptions import BotoCoreError, ConfigNotFound

    if _read(path) is None:  # configparser skips a file it cannot read: say so instead
        return "[default]\n"
    try:
        parsed = build_profile_map(raw_config_parse(path))
    except ConfigNotFound:
        return "[default]\n"
    except BotoCoreError:
        raise EnvironmentProblem(
            f"botocore cannot parse the AWS config {path}; the command would not start"
        ) from None
    chosen = parsed["profiles"].get(profile, {})
    out = ["[default]\n"]
    out += [
        _setting_lines(key, value, True) for key, value in chosen.items() if key in _KEPT_SETTINGS
    ]
    sections: list[tuple[str, dict[str, object]]] = [
        (f"services {name}", settings) for name, settings in parsed["services"].items()
    ]
    sections += [(name, parsed[name]) for name in _KEPT_SECTIONS if name in parsed]
    for name, settings in sections:
        if all(_is_name(word) for word in name.split(" ")) and isinstance(settings, dict):
            kept = [
                _setting_lines(key, value, True)
                for key, value in settings.items()
                if not _is_credential_key(key)
            ]
            out += [f"[{name}]\n", *kept]
    return "".join(out)


def _boto_config_without_keys(env: Mapping[str, str]) -> str | None:
    """The boto2 config botocore would take AWS keys from ([Credentials] of BOTO_CONFIG, else
    of /etc/boto.cfg or ~/.boto: botocore's BotoProvider, which comes before the endpoint),
    read with botocore's loader and written back without them; None if none has keys."""
    from botocore.configloader import raw_config_parse
    from botocore.exceptions import BotoCoreError

    paths = [env["BOTO_CONFIG"]] if "BOTO_CONFIG" in env else ["/etc/boto.cfg", "~/.boto"]
    for path in paths:
        try:
            config = raw_config_parse(path, parse_subsections=False)
        except BotoCoreError:  # not there, or botocore could not take keys from it either
            continue
        if "aws_access_key_id" not in config.get("Credentials", {}):
            continue
        out: list[str] = []
        for name, settings in config.items():
            if all(_is_name(word) for word in name.split(" ")):
                out.append(f"[{name}]\n")
                out += [
                    _setting_lines(key, value, False)
                    for key, value in settings.items()
                    if not (name == "Credentials" and key.startswith("aws_"))
                ]
        return "".join(out)
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


def _safe_folder(path: str) -> bool:
    """Whether `path` is a folder of ours (not a symlink) that only we may write, on a way
    that nobody else can change: every folder above it, as written and as resolved, belongs
    to us or root and is writable by nobody else, or is sticky (/tmp)."""
    euid = os.geteuid()
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != euid or st.st_mode & 0o077:
            return False
        for way in (os.path.abspath(path), os.path.realpath(path)):
            above = os.path.dirname(way)
            while True:
                st = os.lstat(above)
                # A symlink on the way as written is covered by the folder holding it (next
                # round) and by the resolved way.
                if not stat.S_ISLNK(st.st_mode) and (
                    not stat.S_ISDIR(st.st_mode)
                    or st.st_uid not in (0, euid)
                    or (st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX)
                ):
                    return False
                if above == os.path.dirname(above):
                    break
                above = os.path.dirname(above)
    except OSError:
        return False
    return True


def _private_base(settings: Settings) -> str:
    """Where CMD's folder goes: $XDG_RUNTIME_DIR when it is safe (see _safe_folder), else the
    credential cache (0700, checked; aws/cache.py). Never TMPDIR: where others may write, a
    folder checked once can be renamed and replaced later (and a planted credential_process
    would run as the user)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime) and _safe_folder(runtime):
        return runtime
    from stsenv.aws.cache import usable_dir

    cache = usable_dir(settings, quiet=True)
    if cache is not None and _safe_folder(cache):
        return cache
    raise EnvironmentProblem(
        f"no private folder for the command's AWS files: the credential cache "
        f"{settings.cache_dir[:200]} is not one that only you can write, nor is "
        f"XDG_RUNTIME_DIR (`stsenv doctor` says why)"
    )


FOLDER_PREFIX = "stsenv-exec-"


def _sweep(base: str) -> None:
    """Remove the folders that stsenv processes now gone (killed: SIGKILL) left in `base`."""
    try:
        names = [n for n in os.listdir(base) if n.startswith(FOLDER_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(FOLDER_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running (or the number was reused): not ours to remove
        except ProcessLookupError:
            pass
        except OSError:
            continue
        path = os.path.join(base, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
            remove_private_dir(path)


def private_dir(settings: Settings) -> str:
    """A new 0700 folder for CMD's generated AWS files (none of which holds a secret), in a
    folder that only the user can write for as long as it lives (_private_base)."""
    base = _private_base(settings)
    _sweep(base)
    for _ in range(16):
        path = os.path.join(base, f"{FOLDER_PREFIX}{os.getpid()}-{os.urandom(6).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as e:
            raise EnvironmentProblem(
                f"cannot create a private folder in {base} for the command's AWS files "
                f"({e.strerror})"
            ) from None
        st = os.lstat(path)
        if st.st_uid != os.geteuid() or (st.st_mode & 0o777) != 0o700:
            raise EnvironmentProblem(f"{path} is not private to you; not using it")
        return path
    raise EnvironmentProblem(f"cannot create a private folder in {base}")


def remove_private_dir(path: str) -> None:
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        tidy.remove(os.path.join(path, name))
    with contextlib.suppress(OSError):
        os.rmdir(path)


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
    config = profile_settings(config_path, selected)
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


def _deathsig() -> Callable[[], object] | None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) for the child, Linux only (libc through ctypes):
    the kernel ends CMD when stsenv dies, even of SIGKILL, which nothing can forward."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _foreground_tty() -> int | None:
    """The controlling terminal, when stsenv's process group is in its foreground: CMD's
    own group is then given the terminal (as a shell gives it to a job), so ^C, ^Z and
    reads from the terminal reach CMD as before."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if os.tcgetpgrp(fd) == os.getpgrp():
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _give_terminal(tty: int | None, pgid: int, holder: int | None = None) -> None:
    """tcsetpgrp with SIGTTOU blocked (run_with_server blocks it), so that stsenv may take
    the terminal back from the background; with `holder`, only from that group (the shell
    may have taken it back: ^Z while CMD starts)."""
    if tty is not None:
        try:
            if holder is None or os.tcgetpgrp(tty) == holder:
                os.tcsetpgrp(tty, pgid)
        except OSError:
            pass


def _child(
    command: list[str],
    env: dict[str, str],
    tty: int | None,
    parent: int,
    group: int,
    deathsig: Callable[[], object] | None,
    limit: tuple[int, int] | None,
    report: int,
) -> None:
    """In the forked child, before exec: its own process group (in the terminal's foreground
    if stsenv was), killed with stsenv, the fd limit and signals as they were given to
    stsenv, nothing blocked. Never returns; an exec failure is reported through `report`."""
    try:
        os.setpgid(0, 0)
        _give_terminal(tty, os.getpid(), holder=group)
        if deathsig is not None:
            deathsig()
            if os.getppid() != parent:  # stsenv died before the request took effect
                os.kill(os.getpid(), signal.SIGKILL)
        if limit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, limit)
        for number in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; CMD must not
            signal.signal(number, signal.SIG_DFL)
        if callable(signal.getsignal(signal.SIGINT)):  # a ^C before exec: die of it, as CMD
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
        os.execvpe(command[0], command, env)  # noqa: S606 - the user's own command
    except OSError as e:
        with contextlib.suppress(OSError):
            os.write(report, str(e.errno or errno.ENOEXEC).encode())
    finally:
        os._exit(127)


def _spawn(
    command: list[str], env: dict[str, str], tty: int | None, limit: tuple[int, int] | None
) -> int:
    """fork + exec (posix_spawn cannot ask for PR_SET_PDEATHSIG), before any thread of ours
    starts; CMD's pid, which is also its process group's id."""
    deathsig = _deathsig()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    report_r, report_w = os.pipe()  # close-on-exec: EOF at exec, the errno if it failed
    try:
        pid = os.fork()
    except OSError as e:
        os.close(report_r)
        os.close(report_w)
        raise CommandFailed.starting(command[0], e) from None
    if pid == 0:
        _child(command, env, tty, parent, os.getpgrp(), deathsig, limit, report_w)
    os.close(report_w)
    with contextlib.suppress(OSError):  # both sides set it, so that neither waits for the other
        os.setpgid(pid, pid)
    _give_terminal(tty, pid, holder=os.getpgrp())
    try:
        failed = os.read(report_r, 32)
    finally:
        os.close(report_r)
    if failed:
        os.waitpid(pid, 0)
        _give_terminal(tty, os.getpgrp(), holder=pid)
        number = int(failed) if failed.isdigit() else errno.ENOEXEC
        raise CommandFailed.starting(command[0], OSError(number, os.strerror(number)))
    return pid


def _raise_fd_limit() -> tuple[int, int] | None:
    """Soft limit on open files up to the hard one, so a flood of connections finds room;
    the limit as it was (for CMD), or None when unchanged."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, FD_LIMIT) if hard != resource.RLIM_INFINITY else FD_LIMIT
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return soft, hard
        except (OSError, ValueError):
            pass
    return None


def _connection_cap() -> int:
    """MAX_CONNS, or fewer when the fd limit is low (renewals need fds too)."""
    try:
        import resource
    except ImportError:
        return 64
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNS
    return max(16, min(MAX_CONNS, (soft - 64) // 2))


def _end_group(pgid: int) -> None:
    """End what is left of CMD's process group (children it left behind): SIGTERM (and
    SIGCONT, for the stopped), then SIGKILL to those still there after END_GRACE."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except OSError:
        return  # nobody left (the common case), or nobody we may signal
    try:
        os.killpg(pgid, signal.SIGCONT)
    except OSError:
        return
    pause = threading.Event()
    for _ in range(int(END_GRACE / 0.01)):
        pause.wait(0.01)
        try:
            os.killpg(pgid, 0)
        except OSError:
            return
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)


def _exit_status(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _wait_for(pid: int, forwarded: tuple[int, ...], waited: set[int], tty: int | None) -> int:
    """CMD's exit status; the signals sent to stsenv reach CMD. CMD has a process group of
    its own (in the terminal's foreground when stsenv was), so what the terminal sends (^C,
    ^\\) reaches CMD's group and not stsenv: whatever stsenv gets is passed on, once."""
    flags = os.WNOHANG | (os.WUNTRACED if tty is not None else 0)
    while True:
        done, status = os.waitpid(pid, flags)
        if done == pid:
            if os.WIFSTOPPED(status):  # ^Z: stop as a job does, go on when continued
                _suspend(pid, tty, os.WSTOPSIG(status))
                continue
            return _exit_status(status)
        info = signal.sigwaitinfo(waited)
        if info.si_signo in forwarded:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, info.si_signo)


def _suspend(pid: int, tty: int | None, number: int) -> None:
    """CMD was stopped (^Z): take the terminal back and stop as it did, so the shell sees
    the job stopped; on `fg`, give CMD the terminal again and continue it."""
    _give_terminal(tty, os.getpgrp(), holder=pid)
    os.kill(os.getpid(), signal.SIGSTOP if number == signal.SIGSTOP else signal.SIGTSTP)
    _give_terminal(tty, pid, holder=os.getpgrp())  # after `fg`, not `bg`
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGCONT)


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
    settings: Settings | None = None,
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
    settings whose credential cache holds CMD's folder (default: from os.environ)
    Call it from the main thread: it blocks the signals it forwards and waits for them.
    """
    if not command:
        raise UsageError("give the command to run after --, e.g. `-- aws s3 ls`")
    out = stderr if stderr is not None else sys.stderr
    keeper = Keeper(first, renew, out)
    if keeper.due_at_start():
        keeper.renew_now()  # a cached session already due: renew before CMD relies on it
    limit = _raise_fd_limit()
    token = os.urandom(TOKEN_BYTES).hex()
    endpoint = Endpoint(keeper, token, port, _connection_cap())
    workdir: str | None = None
    tty: int | None = None
    pid = 0
    try:
        workdir = private_dir(settings or Settings.from_env(os.environ))
        cmd_env = command_env(env, keeper.session, endpoint.url, token, workdir, profile)
        forwarded = tuple(s for s in _FORWARDED if signal.getsignal(s) != signal.SIG_IGN)
        waited: set[int] = {*forwarded, signal.SIGCHLD}
        chld = signal.getsignal(signal.SIGCHLD)
        if chld == signal.SIG_IGN:  # inherited: children would be reaped before we see them
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # Blocked before any thread starts (they inherit it); SIGTTOU too, so that stsenv may
        # hand the terminal to CMD's group and take it back.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {*waited, signal.SIGTTOU})
        try:
            tty = _foreground_tty()
            pid = _spawn(command, cmd_env, tty, limit)  # before our threads: fork is safe
            endpoint.start()  # CMD's first requests wait in the listen backlog until then
            keeper.start()
            return _wait_for(pid, forwarded, waited, tty)
        finally:
            if pid:
                if _running(pid):  # an error of ours ended the wait: CMD goes too
                    os.kill(pid, signal.SIGKILL)
                _end_group(pid)  # before the port closes: nothing of CMD's asks a dead port
            endpoint.stop()  # once CMD is gone, nobody gets credentials
            keeper.stop()
            if tty is not None:
                _give_terminal(tty, os.getpgrp(), holder=pid)
                os.close(tty)
            _drain(waited)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            if chld == signal.SIG_IGN:
                signal.signal(signal.SIGCHLD, chld)
    finally:
        endpoint.close()
        if workdir is not None:
            remove_private_dir(workdir)


def _running(pid: int) -> bool:
    """Whether our child `pid` has not been reaped (waitpid never returned it)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0
