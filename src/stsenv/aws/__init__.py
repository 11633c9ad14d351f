"""The AWS side. The only package that imports boto3/botocore, and only when a network
call is about to be made: a cached `use` must not import them (a test checks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from stsenv.model import RoleSession, UseRequest
from stsenv.settings import Settings


def get_session(
    request: UseRequest,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
) -> RoleSession:
    """Resolve request.target, reuse a cached session with enough life left, else assume.

    `env` is the user's baseline environment (no active role's credentials in it).
    `ask(prompt)` reads one line from the terminal (for an MFA code), never from stdout.
    Raises stsenv.errors.StsenvError subclasses, never botocore exceptions.
    """
    raise NotImplementedError("the AWS side is being written")
