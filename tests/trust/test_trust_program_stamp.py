"""Issue "Trust, second round", item 4 (and item 6's stamp cases): the clock stamp
(<cache>/stamps/<expiry>, whose mtime is the expiry: fish's fork-free clock) is as safe as
the cache. Through the real program: a cache dir of another user or open to others, symlinks
planted at the stamp or at `stamps`, a stamp of another user, and many `use` at once racing
the clean-up. Every case: no traceback, nothing written or deleted outside the cache.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest
from support.program import STSENV, stsenv, with_pythonpath

OTHER_UID = 4242  # not this user (the tests that give files away run as root, like CI)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files away")
OLD = 1_000_000_000  # a stamp name from 2001: long expired, to be cleaned up


def use(env: dict[str, str], shell: str, *args: str) -> subprocess.CompletedProcess[str]:
    return stsenv({**env, "STSENV_SHELL": shell, "STSENV_QUIET": "1"}, "use", "s3Full", *args)


def exported(stdout: str) -> dict[str, str]:
    """NAME -> value of the bash or fish code `use` printed (single-quoted, no quotes)."""
    found = dict(
        re.findall(r"^(?:\\builtin export |set -gx )([A-Z_]+)[= ]'([^']*)'$", stdout, re.M)
    )
    assert "STSENV_EXPIRY" in found, stdout
    return found


def stsenv_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("stsenv:")]


def cache_of(env: dict[str, str]) -> Path:
    return Path(env["STSENV_CACHE_DIR"])


def first_use(env: dict[str, str]) -> tuple[int, Path]:
    """A cold `use` (the session is cached: the next `use` has the same expiry); the expiry
    and the stamp's path, with the stamp removed again for the test to plant its own."""
    done = use(env, "bash")
    assert done.returncode == 0, done.stderr
    values = exported(done.stdout)
    expiry, path = int(values["STSENV_EXPIRY"]), Path(values["STSENV_STAMP"])
    assert path == cache_of(env) / "stamps" / str(expiry) and path.stat().st_mtime == expiry
    path.unlink()
    return expiry, path


def fish_refuses(env: dict[str, str], why: str) -> None:
    """fish needs the stamp: without a safe one, one line, exit 5, nothing to eval."""
    done = use(env, "fish")
    assert (done.returncode, done.stdout) == (5, ""), done.stderr
    assert stsenv_lines(done.stderr) == done.stderr.splitlines()
    (line,) = done.stderr.splitlines()
    assert line.startswith("stsenv: no safe place for the clock stamp of s3Full: "), line
    assert why in line and "STSENV_CACHE_DIR" in line, line


@needs_root
def test_no_stamp_in_a_cache_dir_of_another_user(aws_env: dict[str, str]) -> None:
    cache = cache_of(aws_env)
    cache.mkdir(mode=0o700)
    os.chown(cache, OTHER_UID, OTHER_UID)
    done = use(aws_env, "bash")
    assert done.returncode == 0, done.stderr
    assert exported(done.stdout)["STSENV_STAMP"] == ""  # bash and zsh keep time without it
    assert stsenv_lines(done.stderr) == [
        f"stsenv: warning: credential cache {cache} is not a directory owned by you; not caching"
    ]
    assert list(cache.iterdir()) == []  # neither a stamp nor a session
    fish_refuses(aws_env, "not a directory owned by you")
    assert list(cache.iterdir()) == []


@needs_root
def test_no_stamp_in_an_open_cache_dir_of_another_user(aws_env: dict[str, str]) -> None:
    cache = cache_of(aws_env)  # like STSENV_CACHE_DIR=/tmp
    cache.mkdir()
    os.chmod(cache, 0o1777)  # noqa: S103 - the mistake under test
    os.chown(cache, OTHER_UID, OTHER_UID)
    done = use(aws_env, "zsh")
    assert done.returncode == 0, done.stderr
    assert list(cache.iterdir()) == []
    fish_refuses(aws_env, "not a directory owned by you")


def test_stamps_dir_open_to_others_is_made_private(aws_env: dict[str, str]) -> None:
    expiry, path = first_use(aws_env)
    os.chmod(path.parent, 0o777)  # noqa: S103 - the mistake under test
    done = use(aws_env, "fish")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.stat().st_mtime == expiry
    assert stsenv_lines(done.stderr) == [
        f"stsenv: warning: clock stamps {path.parent} were writable by others; "
        "set them back to 0700"
    ]


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_a_symlink_at_the_stamp_is_never_followed(
    aws_env: dict[str, str], tmp_path: Path, dangling: bool
) -> None:
    expiry, path = first_use(aws_env)
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("the user's file\n")
        os.utime(victim, (1_234_567_890, 1_234_567_890))
    path.symlink_to(victim)
    for shell in ("bash", "fish"):
        done = use(aws_env, shell)
        assert done.returncode == 0, done.stderr
        assert exported(done.stdout)["STSENV_STAMP"] == str(path)
        assert not path.is_symlink() and path.stat().st_mtime == expiry  # replaced by ours
        assert stat.S_IMODE(path.lstat().st_mode) == 0o600
        path.unlink()
        path.symlink_to(victim)
    if dangling:
        assert not victim.exists() and not victim.is_symlink()  # nothing made where it chose
    else:
        assert victim.stat().st_mtime == 1_234_567_890
        assert victim.read_text() == "the user's file\n"


def test_a_stamps_symlink_to_the_users_files_deletes_nothing(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    logs = tmp_path / "logs"  # ~/logs: files named like long-expired stamps
    logs.mkdir()
    names = ["100", "2019", str(OLD), "notes.txt"]
    for name in names:
        (logs / name).write_text(name)
    cache = cache_of(aws_env)
    first_use(aws_env)
    (cache / "stamps").rmdir()
    (cache / "stamps").symlink_to(logs)
    done = use(aws_env, "bash")
    assert done.returncode == 0, done.stderr
    assert exported(done.stdout)["STSENV_STAMP"] == ""
    lines = stsenv_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("stsenv: warning: no clock stamp: "), lines
    assert "symbolic link" in lines[0]
    fish_refuses(aws_env, "is a symbolic link")
    assert sorted(p.name for p in logs.iterdir()) == sorted(names)  # all still there
    assert (cache / "stamps").is_symlink()


@needs_root
def test_a_stamp_of_another_user_is_replaced(aws_env: dict[str, str]) -> None:
    expiry, path = first_use(aws_env)
    path.write_text("")
    os.chmod(path, 0o644)
    os.chown(path, OTHER_UID, OTHER_UID)
    done = use(aws_env, "bash")
    assert (done.returncode, done.stdout != "") == (0, True), done.stderr
    assert stsenv_lines(done.stderr) == [
        f"stsenv: warning: ignoring clock stamp {path} (owned by another user); it was replaced"
    ]
    info = path.lstat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode), info.st_mtime) == (0, 0o600, expiry)


@pytest.mark.parametrize("kind", ["fifo", "directory", "loose-mode"])
def test_a_stamp_that_is_not_a_private_file_is_replaced(aws_env: dict[str, str], kind: str) -> None:
    expiry, path = first_use(aws_env)
    if kind == "fifo":
        os.mkfifo(path)  # opening it for writing would wait for a reader forever
    elif kind == "directory":
        path.mkdir()
        (path / "inside").write_text("x")
    else:
        path.write_text("")
        os.chmod(path, 0o666)  # noqa: S103 - the mistake under test
    done = use(aws_env, "fish")
    lines = stsenv_lines(done.stderr)
    if kind == "directory":  # never removed with its contents: no stamp, a clear line
        assert (done.stdout, len(lines)) == ("", 1), done.stderr
        assert lines[0].startswith("stsenv: no safe place for the clock stamp of s3Full: ")
        assert (path / "inside").read_text() == "x"
        return
    assert done.returncode == 0, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"stsenv: warning: ignoring clock stamp {path}")
    info = path.lstat()
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_mtime == expiry


def test_names_that_look_like_numbers_are_left_alone(aws_env: dict[str, str]) -> None:
    """str.isdigit() is true for '²' and '١٢٣' too; int() of the first raises."""
    _expiry, path = first_use(aws_env)
    strange = ["\u00b2", "\u0661\u0662\u0663", "12 ", "-5", "+7", "0x10"]
    for name in strange:
        (path.parent / name).write_text("")
    done = use(aws_env, "bash")
    assert done.returncode == 0 and stsenv_lines(done.stderr) == [], done.stderr
    assert all((path.parent / name).exists() for name in strange)


def test_many_uses_at_once_race_the_clean_up(aws_env: dict[str, str]) -> None:
    """20 `use` with different expiries, each cleaning up the same 400 expired stamps (and
    ones that are not ours to delete): every one exits 0 with its own stamp."""
    first_use(aws_env)
    stamps = cache_of(aws_env) / "stamps"
    for n in range(400):
        (stamps / str(OLD + n)).write_text("")
    (stamps / str(OLD - 1)).symlink_to(stamps / str(OLD))  # old, but not a file of ours
    (stamps / str(OLD - 2)).mkdir()
    env = with_pythonpath({**aws_env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"})

    def start(duration: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [STSENV, "use", "s3Full", "--duration", str(duration)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    runs = [start(900 + 60 * i) for i in range(20)]
    results = [(run.communicate(timeout=120), run.returncode) for run in runs]
    expiries = set()
    for (out, err), code in results:
        assert code == 0 and stsenv_lines(err) == [], err
        values = exported(out)
        expiries.add(values["STSENV_EXPIRY"])
        assert Path(values["STSENV_STAMP"]).stat().st_mtime == int(values["STSENV_EXPIRY"])
    assert len(expiries) == 20
    left = {p.name for p in stamps.iterdir()}
    assert left == expiries | {str(OLD - 1), str(OLD - 2)}  # every expired file of ours went


def test_exec_runs_without_a_stamp(aws_env: dict[str, str], tmp_path: Path) -> None:
    cache = cache_of(aws_env)
    first_use(aws_env)
    (cache / "stamps").rmdir()
    (cache / "stamps").symlink_to(tmp_path)
    seen = tmp_path / "seen"
    done = stsenv(
        aws_env,
        "exec",
        "s3Full",
        "--",
        "sh",
        "-c",
        'printf %s "${STSENV_STAMP-unset}" > "$0"',
        str(seen),
    )
    assert done.returncode == 0, done.stderr
    assert seen.read_text() == ""
    assert len(stsenv_lines(done.stderr)) == 1


def test_stamps_age_out(aws_env: dict[str, str]) -> None:
    """The clean-up itself still works: an expired stamp of ours goes, a recent one stays."""
    _expiry, path = first_use(aws_env)
    recent = path.parent / str(int(time.time()) - 60)
    old = path.parent / str(OLD)
    recent.write_text("")
    old.write_text("")
    assert use(aws_env, "bash").returncode == 0
    assert recent.exists() and not old.exists() and path.exists()
