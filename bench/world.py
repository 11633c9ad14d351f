"""The place the bench runs in: the local STS, a private HOME, the programs compared."""

from __future__ import annotations

import configparser
import contextlib
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"  # stsenv's interpreter: the `python -c pass` baseline
STSENV = ROOT / ".venv" / "bin" / "stsenv"  # the console script a user runs
PEERS = ROOT / "bench" / ".venv" / "bin"  # awsume and the AWS CLI (installed by bench/run)
SHELL_DIR = ROOT / "shell"

ROLE_PROFILE = "s3full"  # tests/support/local_aws.py: role_arn + source_profile taro-prjZ
SOURCE_PROFILE = "taro-prjZ"


class LocalSts:
    """tests/support/local_aws.py `serve` as a child process group of ours (moto on 127.0.0.1)."""

    def __init__(self, workdir: Path, extra_args: list[str] | None = None) -> None:
        self.workdir = workdir
        self.env_file = workdir / "local-aws.env"
        self.extra_args = extra_args or []  # e.g. --sso: the local IAM Identity Center too
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> dict[str, str]:
        """Start and provision; return the variables that point a process at it."""
        log = open(self.workdir / "local-aws.log", "wb")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [
                str(PYTHON),
                str(ROOT / "tests" / "support" / "local_aws.py"),
                "serve",
                "--env-file",
                str(self.env_file),
                "--dir",
                str(self.workdir / "local-aws"),
                *self.extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends moto with it
        )
        log.close()
        deadline = time.monotonic() + 90
        while not self.env_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = (self.workdir / "local-aws.log").read_text(errors="replace")
                raise RuntimeError(f"the local STS did not start:\n{text[-2000:]}")
            time.sleep(0.1)
        time.sleep(0.1)  # written in one go, but let the writer close it
        env: dict[str, str] = {}
        for line in self.env_file.read_text(encoding="utf-8").splitlines():
            words = shlex.split(line)
            if len(words) == 2 and words[0] == "export" and "=" in words[1]:
                name, _, value = words[1].partition("=")
                env[name] = value
        if not env.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the local STS is not on loopback: {env}")
        return env

    def requests(self) -> int:
        """API requests the server has answered so far (its log has one line each)."""
        log = self.workdir / "local-aws" / "moto.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return text.count('"POST / HTTP')

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the leader's pid
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()
        # The leader waits for moto on SIGTERM; anything left in the group goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def role_arn(aws_env: dict[str, str]) -> str:
    config = configparser.ConfigParser()
    config.read(aws_env["AWS_CONFIG_FILE"])
    return config[f"profile {ROLE_PROFILE}"]["role_arn"]


def base_env(home: Path, aws_env: dict[str, str]) -> dict[str, str]:
    """A clean environment pointing at the local STS: nothing of the machine's own AWS
    set-up, shell config or caches takes part."""
    for sub in (".config", ".cache", ".local/share", ".local/state"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    # Without it, fish's first interactive start runs create_manpage_completions.py in the
    # background: seconds of CPU that would land on whatever is measured next.
    (home / ".local/share/fish/generated_completions").mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{PYTHON.parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "USER": os.environ.get("USER", "root"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",  # `.` as the decimal point in $EPOCHREALTIME
        "TERM": "xterm-256color",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "STSENV_CACHE_DIR": str(home / ".cache" / "stsenv"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(aws_env)
    return env


# --- rc files: the same shell with no hook, with the README's hook line, and sourcing the file


HOOK_LINES = {
    "bash": {"none": "", "hook": 'eval "$(stsenv hook bash)"', "source": "source {file}"},
    "zsh": {"none": "", "hook": 'eval "$(stsenv hook zsh)"', "source": "source {file}"},
    "fish": {"none": "", "hook": "stsenv hook fish | source", "source": "source {file}"},
}
VARIANT_NAMES = {"none": "no hook", "hook": "stsenv hook line", "source": "source shell file"}
DIRENV_LINES = {
    "bash": 'eval "$(direnv hook bash)"',
    "zsh": 'eval "$(direnv hook zsh)"',
    "fish": "direnv hook fish | source",
}
PROMPT_MARK = "BENCH> "


def rc_text(shell: str, line: str, *, prompt: bool) -> str:
    """An rc file: optionally a fixed prompt (for pexpect), then the one line under test."""
    head = ""
    if prompt and shell == "fish":
        head = (
            f"function fish_prompt; printf '%s' '{PROMPT_MARK}'; end\n"
            "function fish_right_prompt; end\nfunction fish_greeting; end\n"
        )
    elif prompt:
        head = f"PS1='{PROMPT_MARK}'\n"
    return f"# stsenv bench\n{head}{line}\n"


def shell_home(base: Path, shell: str, name: str, text: str) -> dict[str, str]:
    """Write an rc file for `shell` in a directory of its own; return the env changes and,
    for bash, the rc file path under the key `rcfile`."""
    where = base / f"{shell}-{name}"
    if shell == "bash":
        where.mkdir(parents=True, exist_ok=True)
        (where / "bashrc").write_text(text, encoding="utf-8")
        return {"rcfile": str(where / "bashrc")}
    if shell == "zsh":
        where.mkdir(parents=True, exist_ok=True)
        (where / ".zshrc").write_text(text, encoding="utf-8")
        return {"ZDOTDIR": str(where)}
    (where / "fish").mkdir(parents=True, exist_ok=True)
    (where / "fish" / "config.fish").write_text(text, encoding="utf-8")
    return {"XDG_CONFIG_HOME": str(where)}


def interactive_argv(shell: str, setup: dict[str, str]) -> list[str]:
    """An interactive shell reading the rc file that `setup` describes (bash has no
    variable for it: the file is an argument)."""
    if shell == "bash":
        return ["bash", "--noprofile", "--rcfile", setup["rcfile"], "-i"]
    return [shell, "-i"]


def with_setup(env: dict[str, str], setup: dict[str, str]) -> dict[str, str]:
    return {**env, **{k: v for k, v in setup.items() if k != "rcfile"}}
