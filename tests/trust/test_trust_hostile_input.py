"""Item 3 of issue 5: hostile targets, options and config files, through the real program as
the hook runs it. Each gives one `stsenv:` line, a non-zero exit, nothing for the hook to
eval, and no file created or changed outside the cache dir (HOME is snapshot before/after); in a
real shell, the environment stays exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell
from support.trust import fish_quote

StartShell = Callable[..., InteractiveShell]

ROLE_ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
STSENV = [sys.executable, "-m", "stsenv"]

HOSTILE_TARGETS = [
    "$(touch pwned)",
    "`touch pwned`",
    "x; touch pwned",
    "'; touch pwned; '",
    "../../../../etc/passwd",
    "../cache/../../x",
    "/etc/shadow",
    "~root",
    "arn:aws:iam::123456789012:role/../../x",
    "arn:aws:iam::123456789012:role/$(touch pwned)",
    "%s%n%x{}",
    "x" * 2000,  # long, but under the limit: looked up, unknown
    "x" * 100_000,  # huge
    "line\nbreak",
    "\x1b]0;title\x07",
    " ",
    "",
    "-",
    "caf\u00e9-\u65e5\u672c",
]
HOSTILE_OPTIONS = [
    ["s3Full", "--session-name", "$(touch pwned)"],
    ["s3Full", "--session-name", "../../x"],
    ["s3Full", "--session-name", "x" * 10_000],
    ["s3Full", "--duration", "$(touch pwned)"],
    ["s3Full", "--duration", "9" * 5000],
    ["s3Full", "--duration", "-1h"],
    ["s3Full", "--region", "$(touch pwned)"],
    ["s3Full", "--region", "../../etc"],
    ["s3Full", "--region", "x" * 5000],
    ["s3Full", "--profile", "../../x"],
    ["s3Full", "--profile", "$(touch pwned)"],
    [ROLE_ARN, "--mfa-serial", "$(touch pwned)", "--token-code", "12345x"],
    [ROLE_ARN, "--mfa-serial", "arn:aws:iam::123456789012:mfa/taro", "--token-code", "`id`"],
]
HOSTILE_CONFIGS = {
    "not-toml": "this is [not toml\n",
    "binary": "\x00\x01\x02\xff",
    "unknown-top-key": 'colour = "red"\n',
    "unknown-role-key": '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nshell = "rm -rf /"\n',
    "roles-not-a-table": 'roles = "s3Full"\n',
    "role-not-a-table": "[roles]\ns3Full = 5\n",
    "wrong-type-int": "[roles.s3Full]\nrole_name = 5\n",
    "wrong-type-bool": '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nduration = true\n',
    "wrong-type-list": '[roles.s3Full]\nrole_name = ["s3FullforAssumeRole"]\n',
    "wrong-type-table": "[roles.s3Full.role_name]\nx = 1\n",
    "both-arn-and-name": (
        f'[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nrole_arn = "{ROLE_ARN}"\n'
    ),
    "neither": '[roles.s3Full]\nregion = "ap-northeast-1"\n',
    "metachar-role-name": '[roles.s3Full]\nrole_name = "$(touch pwned)"\n',
    "path-role-arn": '[roles.s3Full]\nrole_arn = "arn:aws:iam::123456789012:role/../../x"\n',
    "metachar-session": (
        '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nsession_name = "`touch pwned`"\n'
    ),
    "metachar-region": (
        '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nregion = "$(touch pwned)"\n'
    ),
    "control-char-value": (
        '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nregion = "a\\u001b"\n'
    ),
    "huge-duration": '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\nduration = 99999999999\n',
    "huge-file": "# " + "x" * (2 << 20) + "\n",
    "duplicate-table": (
        '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\n'
        '[roles.s3Full]\nrole_name = "s3FullforAssumeRole"\n'
    ),
}
AWS_CONFIGS = {
    "profile-loop": (
        f"[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE_ARN}\nsource_profile = a\n"
    ),
    "self-loop-without-keys": f"[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = a\n",
    "not-ini": "[profile a\nrole_arn\n",
    "metachar-source": f"[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = $(touch pwned)\n",
    "bad-role-arn": "[profile a]\nrole_arn = ../../etc/passwd\nsource_profile = taro-prjZ\n",
}


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, str]]:
    """Every file and directory under root (but `skip`): mode and content digest."""
    seen: dict[str, tuple[int, str]] = {}
    for folder, dirs, files in os.walk(root):
        if Path(folder) == skip or skip in Path(folder).parents:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = Path(folder) / name
            if path == skip:
                continue
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            seen[str(path.relative_to(root))] = (st.st_mode, digest + str(st.st_mtime_ns))
    return seen


def refused(env: dict[str, str], args: list[str], status: int = 2) -> str:
    """Run `stsenv use ARGS` as the hook does; check the refusal (by default: "your input
    is wrong"); return its one line."""
    home = Path(env["HOME"])
    cache = Path(env["STSENV_CACHE_DIR"])
    before = snapshot(home, cache)
    result = subprocess.run(
        [*STSENV, "use", *args],
        env={**env, "STSENV_SHELL": "bash"},
        capture_output=True,
        cwd=home,
        timeout=60,
        check=False,
    )
    err = result.stderr.decode(errors="replace")
    assert result.returncode == status, err
    assert result.stdout == b"", "the hook would eval this"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stsenv: "), err
    assert "Traceback" not in err
    assert len(lines[0]) < 600, "a huge input is echoed back whole"
    assert snapshot(home, cache) == before
    assert not (home / "pwned").exists()
    assert not list(cache.glob("session-*"))
    return lines[0]


@pytest.mark.parametrize("target", HOSTILE_TARGETS, ids=range(len(HOSTILE_TARGETS)))
def test_hostile_targets(aws_env: dict[str, str], target: str) -> None:
    # "-" and "role/../../x" are valid IAM names (and paths): only STS can say no to them.
    status = 3 if target in ("-", "arn:aws:iam::123456789012:role/../../x") else 2
    line = refused(aws_env, ["--", target], status)
    assert "\x1b" not in line and "\x07" not in line  # shown escaped, never sent raw


@pytest.mark.parametrize("args", HOSTILE_OPTIONS, ids=range(len(HOSTILE_OPTIONS)))
def test_hostile_options(aws_env: dict[str, str], args: list[str]) -> None:
    refused(aws_env, args)


@pytest.mark.parametrize("name", list(HOSTILE_CONFIGS))
def test_hostile_stsenv_config(aws_env: dict[str, str], name: str) -> None:
    config = Path(aws_env["HOME"]) / "stsenv.toml"
    config.write_bytes(HOSTILE_CONFIGS[name].encode("utf-8", "surrogateescape"))
    if name == "path-role-arn":
        # An IAM path may hold "..": the ARN is only ever sent to STS, which says no.
        line = refused({**aws_env, "STSENV_CONFIG": str(config)}, ["s3Full"], status=3)
        assert "may not assume" in line
    else:
        line = refused({**aws_env, "STSENV_CONFIG": str(config)}, ["s3Full"])
        assert str(config) in line


@pytest.mark.parametrize("name", list(AWS_CONFIGS))
def test_hostile_aws_config(aws_env: dict[str, str], name: str) -> None:
    config = Path(aws_env["HOME"]) / "aws-config"
    config.write_text(AWS_CONFIGS[name])
    refused({**aws_env, "AWS_CONFIG_FILE": str(config)}, ["a"])


@pytest.mark.parametrize("kind", SHELLS)
def test_hostile_input_leaves_a_real_shell_untouched(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    quote = fish_quote if kind == "fish" else shlex.quote
    shell = start_shell(kind, aws_env)
    assert shell.run("stsenv use s3Full").status == "0"  # a role is active: it must stay
    before = {k: v for k, v in shell.environ().items() if k != "_"}
    for args in (
        ["--", HOSTILE_TARGETS[0]],
        ["--", HOSTILE_TARGETS[4]],
        HOSTILE_OPTIONS[6],
        ["--", "y" * 3000],
        ["s3Full", "--duration", "$(touch pwned)"],
    ):
        shown = shell.run("stsenv use " + " ".join(quote(a) for a in args), timeout=60)
        assert shown.status == "2", shown.output
        assert shown.line.startswith("[s3Full ")
        assert {k: v for k, v in shell.environ().items() if k != "_"} == before
    assert not (shell.home / "pwned").exists() and not (Path(aws_env["HOME"]) / "pwned").exists()
