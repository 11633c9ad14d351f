"""Issue 16 item 8: the credential cache folder is never followed through a symlink (one
planted by another user in a shared sticky folder would otherwise make the victim's own
folder 0700 and receive session files), and the same rule holds for ~/.aws/sso/cache before a
token in it is trusted."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.identity_center import IdentityCenter, write_cli_v2_token
from support.program import one_error_line, stsenv

QUIET = {"STSENV_QUIET": "1"}
NOBODY = 65534


def as_another_user(*command: str) -> None:
    """`command` run by another uid (nobody), as the issue's reproduction did."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command],
        check=True,
        timeout=30,
    )


@pytest.fixture
def shared() -> Iterator[Path]:
    """A world-writable sticky folder like /tmp, that others can reach."""
    folder = Path(tempfile.mkdtemp(prefix="stsenv-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def planted_link(shared: Path, target: Path) -> Path:
    """A symlink to `target` that another user put in a world-writable sticky folder."""
    link = shared / "stsenv-cache"
    as_another_user("ln", "-s", str(target), str(link))
    assert link.is_symlink() and link.lstat().st_uid == NOBODY
    return link


@pytest.mark.parametrize("dangling", [False, True])
def test_a_planted_cache_symlink_is_refused(
    aws_env: dict[str, str], tmp_path: Path, shared: Path, dangling: bool
) -> None:
    victim = tmp_path / "victims-own-folder"
    if not dangling:
        victim.mkdir()
        victim.chmod(0o755)
    link = planted_link(shared, victim)
    env = {**aws_env, **QUIET, "STSENV_CACHE_DIR": str(link)}
    done = stsenv({**env, "STSENV_SHELL": "bash"}, "use", "s3Full")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.splitlines()  # one line: the role all the same, not cached
    assert line == (
        f"stsenv: warning: credential cache {link} is a symbolic link, which "
        "stsenv does not follow (point STSENV_CACHE_DIR at a folder of your own); "
        "not caching"
    )
    assert "AWS_SESSION_TOKEN=" in done.stdout
    if dangling:
        assert not victim.exists()
    else:
        assert stat.S_IMODE(victim.stat().st_mode) == 0o755 and not list(victim.iterdir())
    fish = stsenv({**env, "STSENV_SHELL": "fish"}, "use", "s3Full")  # fish needs the stamp
    line = one_error_line(fish, 5, "stsenv: no safe place for the clock stamp of s3Full: ")
    assert "is a symbolic link" in line
    assert not victim.exists() or not list(victim.iterdir())


def test_a_real_cache_folder_is_still_made_and_used(aws_env: dict[str, str]) -> None:
    env = {**aws_env, **QUIET, "STSENV_SHELL": "bash"}
    assert stsenv(env, "use", "s3Full").returncode == 0
    cache = Path(env["STSENV_CACHE_DIR"])
    assert stat.S_IMODE(cache.lstat().st_mode) == 0o700
    assert list(cache.glob("session-*.json")) and (cache / "CACHEDIR.TAG").is_file()


# --- ~/.aws/sso/cache ------------------------------------------------------------------------


def token_dir(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "sso" / "cache"


@pytest.mark.parametrize("how", ["symlink", "writable by others", "another owner"])
def test_a_token_folder_that_others_control_is_not_trusted(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path, how: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_cli_v2_token(elsewhere, center.issue_token())  # a valid token, in <elsewhere>/.aws/...
    folder = token_dir(sso_env)
    folder.parent.mkdir(parents=True)
    if how == "symlink":
        folder.symlink_to(token_dir({"HOME": str(elsewhere)}))
        problem = "is a symbolic link, which stsenv does not follow"
    else:
        token_dir({"HOME": str(elsewhere)}).rename(folder)
        if how == "writable by others":
            folder.chmod(0o777)
            problem = "is writable by others"
        else:
            if os.geteuid() != 0:
                pytest.skip("needs root to give the folder to another user")
            os.chown(folder, NOBODY, NOBODY)
            problem = "is owned by another user"
    env = {**sso_env, "STSENV_SHELL": "bash"}
    line = one_error_line(
        stsenv(env, "use", "dev-admin"),
        5,
        f"stsenv: the IAM Identity Center token folder {folder} {problem}: ",
    )
    assert "no token there is trusted" in line
    assert center.calls["GetRoleCredentials"] == 0
    login = stsenv(env, "login", "--sso-session", "corp", "--no-browser")
    one_error_line(login, 5, "stsenv: the IAM Identity Center token folder ")
    assert center.calls["RegisterClient"] == 0
    doctor = stsenv(env, "doctor")  # says so too, as a failed check
    assert doctor.returncode == 1 and f"{folder} {problem}" in doctor.stdout, doctor.stdout


def test_the_aws_clis_usual_token_folder_is_trusted(
    sso_env: dict[str, str], center: IdentityCenter
) -> None:
    write_cli_v2_token(Path(sso_env["HOME"]), center.issue_token())
    token_dir(sso_env).chmod(0o755)  # as the AWS CLI makes it, with a usual umask
    done = stsenv({**sso_env, **QUIET, "STSENV_SHELL": "bash"}, "use", "dev-admin")
    assert done.returncode == 0 and done.stderr == "", done.stderr
