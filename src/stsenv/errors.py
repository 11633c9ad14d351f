"""Every error the user can see: one `stsenv:` line and an exit status.

Exit statuses (documented in README):
  1  nothing to report (e.g. `status` with no active role)
  2  your input is wrong (usage, target, config, duration, session name)
  3  AWS said no (access denied, invalid token, MFA code rejected, role limit)
  4  AWS could not be reached (connection refused, timeout, throttled past retries)
  5  local environment problem (no hook loaded, no terminal for a prompt, cache unusable)
"""

from __future__ import annotations


class StsenvError(Exception):
    """Base class: `message` is the whole line after `stsenv: `."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotActive(StsenvError):
    exit_code = 1


class UsageError(StsenvError):
    """The user's input (arguments, target, config file) is wrong."""

    exit_code = 2


class AwsDenied(StsenvError):
    """AWS answered, and the answer is no."""

    exit_code = 3


class SignInNeeded(AwsDenied):
    """An IAM Identity Center sign-in is missing, expired or revoked; `sign_in` is the
    aws.sso_listing.SignIn to sign in to (`use --login` does, then tries again)."""

    def __init__(self, message: str, sign_in: object) -> None:
        super().__init__(message)
        self.sign_in = sign_in


class AwsUnreachable(StsenvError):
    """AWS did not answer usefully (network, timeouts, throttling, garbage)."""

    exit_code = 4


class EnvironmentProblem(StsenvError):
    """Something about where stsenv runs: no hook, no terminal, unusable cache dir."""

    exit_code = 5


class CommandFailed(StsenvError):
    """`exec` could not start the command: the shells' own statuses (127, 126)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    @classmethod
    def starting(cls, program: str, error: OSError) -> CommandFailed:
        if isinstance(error, FileNotFoundError):
            return cls(f"command not found: {program[:200]}", 127)
        return cls(f"cannot run {program[:200]}: {error.strerror}", 126)
