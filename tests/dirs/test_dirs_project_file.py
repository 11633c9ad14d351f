"""The project file's rules (stsenv.project) and the verbs around it, on real files and the
real program: what is read, what is ignored with one line, the allow store's trust."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.shells import VENV_BIN

from stsenv import project
from stsenv.errors import UsageError
from stsenv.settings import Settings

STSENV = f"{VENV_BIN}/stsenv"


def write(directory: Path, text: str | bytes, mode: int = 0o644) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".stsenv.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "STSENV_CACHE_DIR": str(tmp_path / "cache"),
        "STSENV_CONFIG": str(tmp_path / "no-config.toml"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "LANG": "C.UTF-8",
    }


def stsenv(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STSENV, *args], env=env, capture_output=True, text=True, cwd=cwd, timeout=60
    )


def one_line(done: subprocess.CompletedProcess[str], status: int, text: str) -> None:
    assert done.returncode == status, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stsenv: "), done.stderr
    assert text in lines[0]
    assert "Traceback" not in done.stderr


def test_reads_the_target_and_an_alias_s_settings(tmp_path: Path) -> None:
    path = write(tmp_path / "p", 'use = "s3Full"\nduration = 3600\nregion = "eu-west-1"\n')
    found = project.read(str(path))
    assert (found.target, found.options) == ("s3Full", {"duration": "3600", "region": "eu-west-1"})
    assert found.path == str(path)
    assert len(found.digest) == 64
    assert project.read(str(write(tmp_path / "n", "none = true\n"))).target is None
    assert project.read(str(write(tmp_path / "e", 'use = ""\n'))).target is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("use = s3Full\n", "not valid TOML"),
        (b'use = "\xff"\n', "not UTF-8"),
        ('use = "x"\nrun = "rm -rf ~"\n', "unknown setting 'run'"),
        ("use = 3\n", "use must be a string"),
        ('use = "a\\u001b[31mb"\n', "printable"),
        ('use = "x"\nregion = "nowhere land"\n', "region"),
        ('use = "x"\nduration = "1y"\n', "duration"),
        ("region = 'eu-west-1'\n", "no `use"),
        ("x" * (project.MAX_BYTES + 1), "larger than"),
    ],
)
def test_a_malformed_file_is_one_line_and_ignored(
    tmp_path: Path, env: dict[str, str], text: str | bytes, why: str
) -> None:
    path = write(tmp_path / "p", text)
    with pytest.raises(project.ProjectProblem, match="ignored"):
        project.read(str(path))
    done = stsenv({**env, "STSENV_SHELL": "bash"}, "__enter", str(path))
    one_line(done, 1, why)
    assert done.stdout == ""
    one_line(stsenv(env, "allow", str(path)), 2, why)


def test_links_foreign_and_loose_files_are_ignored(tmp_path: Path, env: dict[str, str]) -> None:
    real = write(tmp_path / "elsewhere", 'use = "s3Full"\n')
    (tmp_path / "link").mkdir()
    (tmp_path / "link/.stsenv.toml").symlink_to(real)
    loose = write(tmp_path / "loose", 'use = "s3Full"\n', mode=0o666)
    cases = [(tmp_path / "link/.stsenv.toml", "symbolic link"), (loose, "writable by others")]
    if os.geteuid() == 0:
        foreign = write(tmp_path / "foreign", 'use = "s3Full"\n')
        os.chown(foreign, 65534, 65534)
        cases.append((foreign, "owned by another user"))
    for path, why in cases:
        one_line(stsenv({**env, "STSENV_SHELL": "bash"}, "__enter", str(path)), 1, why)
        one_line(stsenv(env, "allow", str(path)), 2, why)
    # A directory of that name: `allow` looks inside it, the hook's walk never names it.
    odd = tmp_path / "dir/.stsenv.toml"
    odd.mkdir(parents=True)
    one_line(stsenv({**env, "STSENV_SHELL": "bash"}, "__enter", str(odd)), 1, "not a regular")
    one_line(stsenv(env, "allow", str(odd)), 2, "does not exist")


def test_allow_binds_path_and_contents_and_deny_revokes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = write(tmp_path / "proj", 'use = "s3Full"\n')
    hooked = {**env, "STSENV_SHELL": "bash"}
    one_line(stsenv(hooked, "__enter", str(path)), 1, "wants s3Full but is not allowed")
    # Said once: the hook passes STSENV_DIR_QUIET=1 afterwards.
    quiet = stsenv({**hooked, "STSENV_DIR_QUIET": "1"}, "__enter", str(path))
    assert (quiet.returncode, quiet.stderr, quiet.stdout) == (1, "", "")

    one_line(
        stsenv(env, "allow", cwd=tmp_path / "proj"), 0, "allowed ./.stsenv.toml (wants s3Full)"
    )
    store = tmp_path / "data/stsenv/allowed"
    entries = list(store.iterdir())
    assert store.stat().st_mode & 0o777 == 0o700
    assert len(entries) == 1 and entries[0].stat().st_mode & 0o777 == 0o600
    record = json.loads(entries[0].read_text())
    assert record["path"] == str(path) and len(record["sha256"]) == 64

    # Allowed, the role is tried (and here fails for want of credentials: one line).
    tried = stsenv(hooked, "__enter", str(path))
    assert "not allowed" not in tried.stderr and tried.returncode != 0 and tried.stdout == ""
    # Allowed by the directory above, as the nearest file from a subdirectory.
    (tmp_path / "proj/sub").mkdir()
    one_line(stsenv(env, "allow", cwd=tmp_path / "proj/sub"), 0, "allowed ../.stsenv.toml")

    path.write_text('use = "s3full"\n')
    one_line(stsenv(hooked, "__enter", str(path)), 1, "changed since it was allowed")
    doctor = stsenv(env, "doctor")
    assert f"{path} changed since it was allowed" in doctor.stdout

    one_line(stsenv(env, "deny", str(tmp_path / "proj")), 0, "is no longer allowed")
    assert list(store.iterdir()) == []
    one_line(stsenv(hooked, "__enter", str(path)), 1, "is not allowed")

    # `use = ""`: allowed, it means no role (exit 0, nothing printed for the shell).
    write(tmp_path / "proj", 'use = ""\n')
    stsenv(env, "allow", str(tmp_path / "proj"))
    nothing = stsenv(hooked, "__enter", str(path))
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (0, "", "")

    # doctor: an allowed file that is gone.
    path.unlink()
    assert "is allowed but no longer exists" in stsenv(env, "doctor").stdout


def test_a_forged_or_loose_allow_store_is_not_trusted(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "proj", 'use = "s3Full"\n')
    store = tmp_path / "data/stsenv/allowed"
    store.mkdir(parents=True, mode=0o700)
    settings = Settings.from_env(env)
    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    try:
        found = project.read(str(path))
        project.allow(settings, found)
        entry = next(store.iterdir())
        entry.chmod(0o644)  # a file others could have written: ignored
        assert project.allowed_digest(settings, found.path) is None
        entry.chmod(0o600)
        assert project.allowed_digest(settings, found.path) == found.digest
        store.chmod(0o777)  # anyone could have planted it
        with pytest.raises(UsageError, match="writable by others"):
            project.allowed_digest(settings, found.path)
    finally:
        store.chmod(0o700)
        del os.environ["XDG_DATA_HOME"]


def test_allow_without_a_file_is_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "empty").mkdir()
    one_line(stsenv(env, "allow", cwd=tmp_path / "empty"), 2, "no .stsenv.toml")
    one_line(stsenv(env, "__enter", str(tmp_path / "empty/.stsenv.toml")), 5, "hook")
