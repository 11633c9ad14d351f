"""Every STSENV_* variable and every path stsenv uses, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Variables the shell hook exports while a role is active (see shell/README.md).
ROLE_VAR = "STSENV_ROLE"  # display name shown in the prompt
ARN_VAR = "STSENV_ARN"  # assumed-role ARN, for `status`
EXPIRY_VAR = "STSENV_EXPIRY"  # integer epoch seconds, read by the prompt hook
STAMP_VAR = "STSENV_STAMP"  # file whose mtime is the expiry: fish's fork-free clock
VARS_VAR = "STSENV_VARS"  # names `use` manages, so a shell that inherited a role can clear it

SHELL_VAR = "STSENV_SHELL"  # set by the hook's wrapper for the program: which syntax to print


@dataclass(frozen=True)
class Settings:
    shell: str | None  # STSENV_SHELL: the hook that called us, None when run by hand
    config_file: Path  # ${XDG_CONFIG_HOME:-~/.config}/stsenv/config.toml or $STSENV_CONFIG
    cache_dir_override: str | None  # $STSENV_CACHE_DIR, mostly for tests
    debug: bool  # STSENV_DEBUG=1: tracebacks instead of one line (never prints secrets)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        config = env.get("STSENV_CONFIG")
        if not config:
            base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
            config = os.path.join(base, "stsenv", "config.toml")
        return cls(
            shell=env.get(SHELL_VAR) or None,
            config_file=Path(config),
            cache_dir_override=env.get("STSENV_CACHE_DIR") or None,
            debug=env.get("STSENV_DEBUG") == "1",
        )

    @property
    def cache_dir(self) -> Path:
        """Per-user cache dir (platformdirs), created 0700 by whoever writes to it."""
        if self.cache_dir_override:
            return Path(self.cache_dir_override)
        import platformdirs  # deferred: ~10 ms, only paid when the cache is touched

        return Path(platformdirs.user_cache_dir("stsenv", appauthor=False))

    @property
    def stamp_dir(self) -> Path:
        return self.cache_dir / "stamps"
