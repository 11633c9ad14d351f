"""Every STSENV_* variable and every path stsenv uses, read in one place."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Variables the shell hook exports while a role is active (see shell/README.md).
ROLE_VAR = "STSENV_ROLE"  # display name shown in the prompt
ARN_VAR = "STSENV_ARN"  # assumed-role ARN, for `status`
EXPIRY_VAR = "STSENV_EXPIRY"  # integer epoch seconds, read by the prompt hook
STAMP_VAR = "STSENV_STAMP"  # file whose mtime is the expiry: fish's fork-free clock
VARS_VAR = "STSENV_VARS"  # names `use` manages, so a shell that inherited a role can clear it
USE_ARGS_VAR = "STSENV_USE_ARGS"  # the `use` arguments (JSON list, no MFA code), for `refresh`
PROJECT_VAR = "STSENV_PROJECT_FILE"  # the .stsenv.toml the role comes from (`status` shows it)
OLD_USE_ARGS_VAR = "STSENV_TARGET"  # its name before 0.2: unset by every `use` and `clear`

# Set by stsenv for a program it starts, never by the user.
REFRESH_ARGS_VAR = "STSENV_REFRESH_ARGS"  # the hook's wrapper: $STSENV_USE_ARGS for `refresh`
EXEC_VAR = "STSENV_EXEC"  # `exec` marks its command's environment with the role ARN

SHELL_VAR = "STSENV_SHELL"  # set by the hook's wrapper for the program: which syntax to print
# Set by the hook's wrapper for `stsenv doctor` only: the hook's version, and the prompt
# functions installed in that shell (PROMPT_COMMAND, precmd_functions, fish_prompt handlers).
HOOK_VERSION_VAR = "STSENV_HOOK_VERSION"
PROMPT_HOOKS_VAR = "STSENV_PROMPT_HOOKS"
NO_INPUT_VAR = "STSENV_NO_INPUT"  # set by the prompt hook's auto-refresh: never ask for input
# Set by the prompt hook for `__enter` when it has already said why a .stsenv.toml is ignored.
DIR_QUIET_VAR = "STSENV_DIR_QUIET"

# Set in the environment of a `credential-process` run, so that a source profile that
# itself runs `stsenv credential-process` is a clear error, not an endless chain.
IN_CREDENTIAL_PROCESS_VAR = "STSENV_IN_CREDENTIAL_PROCESS"

# Read by the shell hooks themselves (shell/*), never by this program, so only named here
# (README "The prompt"): STSENV_DISABLE_PROMPT, STSENV_PROMPT_FORMAT, STSENV_WARN_MINUTES,
# STSENV_URGENT_MINUTES, STSENV_AUTO_REFRESH.


def aws_config_paths(env: Mapping[str, str]) -> tuple[str, str]:
    """The AWS config and credentials files, computed as botocore computes them
    (configloader.raw_config_parse: `$VAR`/`${VAR}` expanded, then `~`), from `env`."""
    found = []
    for variable, default in (
        ("AWS_CONFIG_FILE", "~/.aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ):
        path = env.get(variable, default)
        found.append(os.path.expanduser(_expand_vars(path, env)))
    return found[0], found[1]


def _expand_vars(path: str, env: Mapping[str, str]) -> str:
    """os.path.expandvars with `env` for os.environ (unknown names are left as they are)."""
    if env is os.environ or "$" not in path:
        return os.path.expandvars(path)
    saved = os.environ.copy()
    try:
        os.environ.clear()
        os.environ.update(env)
        return os.path.expandvars(path)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seconds(text: str | None, default: int) -> int:
    """A whole number of seconds from 1 to a day; anything else is the default."""
    if text and text.isdigit() and 0 < int(text) <= 86400:
        return int(text)
    return default


def _port(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 65536 else 0


class Settings:
    __slots__ = (
        "_cache_dir",
        "config_file",
        "debug",
        "federation_url",
        "login_port",
        "login_wait",
        "mfa_sessions",
        "no_input",
        "quiet",
        "refresh_args",
        "shell",
        "sso_device_code",
    )

    def __init__(
        self,
        shell: str | None,
        config_file: str,
        cache_dir: str | None,
        debug: bool,
        refresh_args: str | None = None,
        no_input: bool = False,
        federation_url: str | None = None,
        mfa_sessions: bool = True,
        quiet: bool = False,
        sso_device_code: bool = False,
        login_wait: int = 300,
        login_port: int = 0,
    ) -> None:
        self.shell = shell  # STSENV_SHELL: the hook that called us, None when run by hand
        self.config_file = config_file  # stsenv's config.toml
        self._cache_dir = cache_dir  # STSENV_CACHE_DIR, or the platform's (see cache_dir)
        self.debug = debug  # STSENV_DEBUG=1: tracebacks instead of one line
        self.refresh_args = refresh_args  # STSENV_REFRESH_ARGS: the active role's use args
        self.no_input = no_input  # STSENV_NO_INPUT=1: fail instead of asking for an MFA code
        # STSENV_FEDERATION_URL: the sign-in federation endpoint `console` calls instead of
        # the partition's (https://signin.aws.amazon.com/federation); tests run a local one.
        self.federation_url = federation_url
        # STSENV_MFA_SESSION=0: always send the MFA code with AssumeRole, as --no-mfa-session
        # does (for emulators that do not accept GetSessionToken credentials, like moto).
        self.mfa_sessions = mfa_sessions
        self.quiet = quiet  # STSENV_QUIET=1: as --quiet on every `use` (errors still shown)
        # STSENV_SSO_DEVICE_CODE=1: `login` to IAM Identity Center with the device code even
        # where a browser could be opened (as `aws sso login --use-device-code`).
        self.sso_device_code = sso_device_code
        # STSENV_LOGIN_WAIT: seconds a browser sign-in waits for the redirect (default 300).
        self.login_wait = login_wait
        # STSENV_LOGIN_PORT: the loopback port of that redirect (default: any free one).
        self.login_port = login_port

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        config = env.get("STSENV_CONFIG")
        if not config:
            base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
            config = os.path.join(base, "stsenv", "config.toml")
        return cls(
            shell=env.get(SHELL_VAR) or None,
            config_file=config,
            cache_dir=env.get("STSENV_CACHE_DIR") or None,
            debug=env.get("STSENV_DEBUG") == "1",
            refresh_args=env.get(REFRESH_ARGS_VAR) or None,
            no_input=env.get(NO_INPUT_VAR) == "1",
            federation_url=env.get("STSENV_FEDERATION_URL") or None,
            mfa_sessions=env.get("STSENV_MFA_SESSION") != "0",
            quiet=env.get("STSENV_QUIET") == "1",
            sso_device_code=env.get("STSENV_SSO_DEVICE_CODE") == "1",
            login_wait=_seconds(env.get("STSENV_LOGIN_WAIT"), 300),
            login_port=_port(env.get("STSENV_LOGIN_PORT")),
        )

    @property
    def cache_dir(self) -> str:
        """The per-user cache dir: platformdirs' answer, which on Linux is the XDG rule
        below. That rule is written out because importing platformdirs (and the pathlib
        it pulls in) costs ~17 ms on every cached `use`; a test keeps the two equal."""
        if self._cache_dir:
            return self._cache_dir
        if sys.platform.startswith("linux"):
            base = os.environ.get("XDG_CACHE_HOME", "").strip()
            if not os.path.isabs(base):
                base = os.path.expanduser("~/.cache")
            return os.path.join(base, "stsenv")
        import platformdirs

        return str(platformdirs.user_cache_dir("stsenv", appauthor=False))

    @property
    def data_dir(self) -> str:
        """The per-user data dir (the allowed .stsenv.toml files): platformdirs' answer,
        written out for Linux like cache_dir (a test keeps the two equal)."""
        override = os.environ.get("STSENV_DATA_DIR", "")
        if override:
            return override
        if sys.platform.startswith("linux"):
            base = os.environ.get("XDG_DATA_HOME", "").strip()
            if not os.path.isabs(base):
                base = os.path.expanduser("~/.local/share")
            return os.path.join(base, "stsenv")
        import platformdirs

        return str(platformdirs.user_data_dir("stsenv", appauthor=False))

    @property
    def stamp_dir(self) -> str:
        return os.path.join(self.cache_dir, "stamps")
