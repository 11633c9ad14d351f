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

SHELL_VAR = "STSENV_SHELL"  # set by the hook's wrapper for the program: which syntax to print


class Settings:
    __slots__ = ("_cache_dir", "config_file", "debug", "shell")

    def __init__(
        self, shell: str | None, config_file: str, cache_dir: str | None, debug: bool
    ) -> None:
        self.shell = shell  # STSENV_SHELL: the hook that called us, None when run by hand
        self.config_file = config_file  # stsenv's config.toml
        self._cache_dir = cache_dir  # STSENV_CACHE_DIR, or the platform's (see cache_dir)
        self.debug = debug  # STSENV_DEBUG=1: tracebacks instead of one line

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
    def stamp_dir(self) -> str:
        return os.path.join(self.cache_dir, "stamps")
