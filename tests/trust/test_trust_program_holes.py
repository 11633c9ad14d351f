"""Issue "Trust, second round", item 7, through the real program: `console` hands the sign-in
URL to the browser without argv; `export --output` writes a private file atomically; alias
names with control characters are refused; a STSENV_CACHE_DIR that is somebody's folder of
files is never chmod-ed or filled, while an older stsenv cache is adopted."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support.emulator import Federation
from support.program import one_error_line, stsenv, with_pythonpath

MARKER = "CACHEDIR.TAG"
SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55\n"

# --- console: the URL in a private file, not in the browser's argv ---------------------------

BROWSER = """\
import json, os, shutil, stat, sys
record = sys.argv[-1]
given = sys.argv[1]
info = {"argv": sys.argv[1:-1]}
if given.startswith("file://"):
    path = given[len("file://"):]
    st = os.lstat(path)
    info.update(mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, regular=stat.S_ISREG(st.st_mode),
                dir_mode=stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), path=path)
    info["text"] = open(path, encoding="utf-8").read()
json.dump(info, open(record, "w"))
"""


def browser_env(env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    script = tmp_path / "browser.py"
    script.write_text(BROWSER)
    record = tmp_path / "browser-record.json"
    # Python's webbrowser runs $BROWSER (with %s for what it opens) and waits for it.
    return {**env, "BROWSER": f"{sys.executable} {script} %s {record}"}, record


def test_console_gives_the_browser_a_private_page_not_the_url(
    aws_env: dict[str, str], federation: Federation, tmp_path: Path
) -> None:
    env, record = browser_env({**aws_env, "STSENV_FEDERATION_URL": federation.url}, tmp_path)
    cache = Path(aws_env["STSENV_CACHE_DIR"])
    done = stsenv(env, "console", "s3Full")
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    seen = json.loads(record.read_text())
    argv = " ".join(seen["argv"])
    (asked,) = federation.queries
    secret = json.loads(asked["Session"][0])["sessionKey"]
    for forbidden in ("SigninToken", "tok-1", secret, "federation", "Action="):
        assert forbidden not in argv, argv
    assert seen["argv"] == [f"file://{seen['path']}"] and seen["regular"]
    assert (seen["mode"], seen["uid"], seen["dir_mode"]) == (0o600, os.geteuid(), 0o700)
    assert Path(seen["path"]).parent == cache and Path(seen["path"]).name.startswith("console-")
    text = seen["text"]
    url = f"{federation.url}?Action=login&amp;Issuer=stsenv&amp;Destination="
    assert f'http-equiv="refresh" content="0;url={url}' in text
    start = text.index("location.replace(") + len("location.replace(")
    target = json.loads(text[start : text.index(");", start)])
    assert parse_qs(urlsplit(target).query)["SigninToken"] == ["tok-1/2+3="]
    assert secret not in text  # the page holds the sign-in token only, never the keys


def test_console_removes_old_pages_only(
    aws_env: dict[str, str], federation: Federation, tmp_path: Path
) -> None:
    env, _record = browser_env({**aws_env, "STSENV_FEDERATION_URL": federation.url}, tmp_path)
    cache = Path(aws_env["STSENV_CACHE_DIR"])
    assert stsenv(env, "console", "s3Full").returncode == 0
    (first,) = cache.glob("console-*.html")
    old = cache / "console-0123.html"
    old.write_text("old")
    os.chmod(old, 0o600)
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    outside = tmp_path / "users-page.html"
    outside.write_text("mine")
    os.utime(outside, (an_hour_ago, an_hour_ago))
    link = cache / "console-link.html"
    link.symlink_to(outside)
    os.utime(link, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    assert stsenv(env, "console", "s3Full").returncode == 0
    assert not old.exists() and first.exists()  # a page of a few seconds ago stays
    assert outside.read_text() == "mine" and link.is_symlink()
    assert len(list(cache.glob("console-*.html"))) == 3  # first, the new one, the link


# --- export --output -------------------------------------------------------------------------


def export(env: dict[str, str], *args: str) -> str:
    done = stsenv(env, "export", "s3Full", *args)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


@pytest.mark.parametrize("fmt", ["env", "dotenv", "json", "fish", "powershell"])
def test_export_output_is_a_private_file(aws_env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    expected = export(aws_env, "--format", fmt)  # the session is cached: the same keys
    target = tmp_path / "s3Full.env"
    target.write_text("old, world-readable\n")
    os.chmod(target, 0o644)
    assert export(aws_env, "--format", fmt, "--output", str(target)) == ""
    info = target.lstat()
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert target.read_text() == expected and "AWS_SECRET_ACCESS_KEY" in expected
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == ["s3Full.env"]


def test_export_output_replaces_a_symlink_never_writes_through_it(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("the user's file\n")
    os.chmod(victim, 0o644)
    for name, target in (("to-a-file", victim), ("dangling", tmp_path / "nowhere")):
        link = tmp_path / name
        link.symlink_to(target)
        export(aws_env, "--output", str(link))
        assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o600
        assert "AWS_SESSION_TOKEN" in link.read_text()
    assert victim.read_text() == "the user's file\n"
    assert not (tmp_path / "nowhere").exists()


def test_export_output_ignores_the_terminal_check(aws_env: dict[str, str], tmp_path: Path) -> None:
    """stdout a terminal: refused without --output; with it, the file is written."""
    import pty

    target = tmp_path / "out.env"
    for args, status in ((["--output", str(target)], 0), ([], 2)):
        pid, fd = pty.fork()
        if pid == 0:  # the child: stdout is the pty
            env = with_pythonpath(aws_env)
            program = env["PATH"].split(":")[0] + "/stsenv"
            os.execve(program, ["stsenv", "export", "s3Full", *args], env)  # noqa: S606
        output = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        _pid, wait_status = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(wait_status) == status, output
        assert b"AWS_SECRET_ACCESS_KEY" not in output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and "AWS_SECRET" in target.read_text()


@pytest.mark.parametrize("where", ["no-dir", "a-file", "is-a-dir", "empty", "slash"])
def test_export_output_that_cannot_be_written(
    aws_env: dict[str, str], tmp_path: Path, where: str
) -> None:
    regular = tmp_path / "regular"
    regular.write_text("x")
    (tmp_path / "a-dir").mkdir()
    output = {
        "no-dir": str(tmp_path / "missing" / "x.env"),
        "a-file": str(regular / "x.env"),
        "is-a-dir": str(tmp_path / "a-dir"),
        "empty": "",
        "slash": str(tmp_path) + "/",
    }[where]
    done = stsenv(aws_env, "export", "s3Full", "--output", output)
    line = one_error_line(done, 2, "stsenv: ")
    assert line.startswith(("stsenv: cannot write ", "stsenv: --output ")), line
    assert "AWS_" not in done.stderr
    assert regular.read_text() == "x" and list((tmp_path / "a-dir").iterdir()) == []
    leftovers = [p for p in tmp_path.rglob(".stsenv-export-*")]
    assert leftovers == []


# --- alias names ------------------------------------------------------------------------------

HOSTILE_ALIASES = [
    '"\\u001b]0;pwned\\u0007x"',
    '"\\u001b[31mred"',
    '"a\\nb"',
    '"tab\\there"',
    '"\\u009b31m"',  # the C1 CSI
    '"\\u202eevil"',  # right-to-left override: not printable either
    '"bell\\u0007"',
    '"\\u0000nul"',
]


@pytest.mark.parametrize("alias", HOSTILE_ALIASES)
@pytest.mark.parametrize("form", ["header", "inline"])
def test_alias_names_with_control_characters(
    aws_env: dict[str, str], tmp_path: Path, alias: str, form: str
) -> None:
    config = tmp_path / "config.toml"
    role = 'role_name = "s3FullforAssumeRole"'
    if form == "header":
        config.write_text(f"[roles.s3Full]\n{role}\n\n[roles.{alias}]\n{role}\n")
    else:
        config.write_text(f"[roles]\ns3Full = {{ {role} }}\n{alias} = {{ {role} }}\n")
    env = {**aws_env, "STSENV_CONFIG": str(config), "STSENV_SHELL": "bash"}
    for args in (["roles"], ["use", "s3Full"], ["roles", "--json"]):
        start = f"stsenv: config {config}, line {4 if form == 'header' else 3}: "
        line = one_error_line(stsenv(env, *args), 2, start)
        assert "control characters" in line and line.isprintable(), line


def test_an_alias_with_a_slash_is_still_an_alias(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[roles."team/s3"]\nrole_name = "s3FullforAssumeRole"\n')
    env = {**aws_env, "STSENV_CONFIG": str(config), "STSENV_SHELL": "bash", "STSENV_QUIET": "1"}
    done = stsenv(env, "use", "team/s3")
    assert done.returncode == 0 and "STSENV_ROLE='team/s3'" in done.stdout, done.stderr


# --- the cache dir's marker -------------------------------------------------------------------


def use(env: dict[str, str]) -> tuple[int, str, str]:
    done = stsenv({**env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"}, "use", "s3Full")
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


def test_a_folder_of_someones_files_is_not_taken(aws_env: dict[str, str], tmp_path: Path) -> None:
    site = tmp_path / "public_html"  # STSENV_CACHE_DIR=~/public_html, by mistake
    site.mkdir()
    os.chmod(site, 0o755)  # noqa: S103 - a web folder, as it would be
    (site / "index.html").write_text("<h1>hello</h1>")
    (site / "session-notes.txt").write_text("not ours either: wrong suffix")
    before = sorted(p.name for p in site.iterdir())
    env = {**aws_env, "STSENV_CACHE_DIR": str(site)}
    code, out, err = use(env)
    assert code == 0 and "AWS_SESSION_TOKEN=" in out, err  # uncached, for bash
    assert err.splitlines() == [
        f"stsenv: warning: credential cache {site} holds files that are not stsenv's "
        f"(it has no {MARKER}); not caching"
    ]
    assert sorted(p.name for p in site.iterdir()) == before  # nothing added
    assert stat.S_IMODE(site.stat().st_mode) == 0o755  # never chmod-ed
    line = one_error_line(
        stsenv({**env, "STSENV_SHELL": "fish"}, "use", "s3Full"),
        5,
        "stsenv: no safe place for the clock stamp of s3Full: ",
    )
    assert "not stsenv's" in line
    assert sorted(p.name for p in site.iterdir()) == before


def test_an_empty_directory_is_made_the_cache(aws_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    os.chmod(folder, 0o755)  # noqa: S103 - as mkdir makes it
    code, _out, err = use({**aws_env, "STSENV_CACHE_DIR": str(folder)})
    assert code == 0 and err == "", err
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    marker = folder / MARKER
    assert marker.read_text().startswith(SIGNATURE) and "stsenv" in marker.read_text()
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert list(folder.glob("session-*.json")) and (folder / "stamps").is_dir()


PROBE = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from stsenv.cli import main
with redirect_stdout(io.StringIO()) as out, redirect_stderr(io.StringIO()) as err:
    code = main(sys.argv[1:])
heavy = ("typer", "botocore", "dataclasses", "typing", "pathlib", "tempfile", "platformdirs")
loaded = sorted(m for m in heavy if m in sys.modules)
print(json.dumps([code, out.getvalue(), err.getvalue(), loaded]))
"""


def probe_use(env: dict[str, str]) -> tuple[int, str, str, list[str]]:
    import subprocess

    env = with_pythonpath({**env, "STSENV_SHELL": "bash", "STSENV_QUIET": "1"})
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "use", "s3Full"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    code, out, err, modules = json.loads(done.stdout)
    return code, out, err, modules


def test_a_cache_of_the_previous_version_is_adopted(aws_env: dict[str, str]) -> None:
    """An upgrade keeps the cache: a directory of only stsenv's names gets the marker, and
    its session is used as it is, by a cached `use` that imports nothing more."""
    cache = Path(aws_env["STSENV_CACHE_DIR"])
    code, first, _err, _modules = probe_use(aws_env)
    assert code == 0
    (cache / MARKER).unlink()  # as the previous version left it
    (cache / ".tmp-abc.json").write_text("")  # an interrupted write of it
    (cache / ".tmp-abc.json").chmod(0o600)
    assert {p.name.split("-")[0] for p in cache.iterdir()} >= {"session", "role", "stamps"}
    code, again, err, modules = probe_use(aws_env)
    assert (code, again, err, modules) == (0, first, "", [])  # the same session, cached
    assert (cache / MARKER).read_text().startswith(SIGNATURE)
    code, again, err, modules = probe_use(aws_env)  # and with the marker there
    assert (code, again, err, modules) == (0, first, "", [])


@pytest.mark.parametrize("browser", ["'unclosed", "false %s", "/no/such/browser %s"])
def test_console_with_a_browser_that_fails_prints_the_url(
    aws_env: dict[str, str], federation: Federation, browser: str
) -> None:
    env = {**aws_env, "STSENV_FEDERATION_URL": federation.url, "BROWSER": browser}
    done = stsenv(env, "console", "s3Full")
    assert "Traceback" not in done.stderr and done.returncode == 0, done.stderr
    assert parse_qs(urlsplit(done.stdout.strip()).query)["SigninToken"] == ["tok-1/2+3="]
    assert list(Path(aws_env["STSENV_CACHE_DIR"]).glob("console-*")) == []  # no page left
