"""Roles that follow the directory, in real interactive bash, zsh and fish: a project's
.stsenv.toml, trusted with `stsenv allow`, gives its role at the first prompt inside the
tree; the first prompt outside puts the shell back exactly as it was before."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, VENV_BIN, InteractiveShell

StartShell = Callable[..., InteractiveShell]

NOT_ALLOWED = "wants {} but is not allowed: run `stsenv allow` to trust it"
CHANGED = "wants {} but changed since it was allowed: run `stsenv allow` to trust it"
EXPIRED = "stsenv: role {} expired; its credentials were cleared"
URGENT_OFFSET = 15 * 60 - (3 * 60 + 30)  # a 15-minute role then has 3m30s left


def managed(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(("AWS_", "STSENV_"))}


def project(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".stsenv.toml"
    path.write_text(text)
    path.chmod(0o644)
    return path


@pytest.fixture
def env(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """aws_env with one data dir for every shell of the test (the allow store), and an MFA
    alias next to the tutorial's s3Full."""
    config = tmp_path / "stsenv-dirs.toml"
    config.write_text(
        Path(aws_env["STSENV_CONFIG"]).read_text()
        + '\n[roles.s3Mfa]\nrole_name = "s3FullforAssumeRole"\nsource_profile = "taro-prjZ"\n'
        'mfa_serial = "arn:aws:iam::123456789012:mfa/taro"\n'
    )
    return {**aws_env, "STSENV_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path / "data")}


@pytest.fixture
def trees(tmp_path: Path) -> Path:
    """projA (s3Full, the alias) with sub/deep, projB (s3full, the AWS profile), plain."""
    root = tmp_path / "work"
    project(root / "projA", 'use = "s3Full"\n')
    (root / "projA/sub/deep").mkdir(parents=True)
    project(root / "projB", 'use = "s3full"\nregion = "eu-west-1"\n')
    (root / "plain/a/b").mkdir(parents=True)
    return root


def allow(env: dict[str, str], path: Path) -> None:
    """`stsenv allow PATH` from outside any shell (the store is the user's, not a shell's)."""
    done = subprocess.run(
        [f"{VENV_BIN}/stsenv", "allow", str(path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def role(shell: InteractiveShell) -> str | None:
    return shell.environ().get("STSENV_ROLE")


@pytest.mark.parametrize("kind", SHELLS)
def test_cd_in_out_between_and_into_subdirectories(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    shell = start_shell(kind, env)
    shell.run(f"cd '{trees}/plain'")
    before = managed(shell.environ())

    # Not allowed: one line, once per file per shell, and nothing changes.
    shown = shell.run("cd ../projA")
    assert shown.output.count(NOT_ALLOWED.format("s3Full")) == 1
    assert "./.stsenv.toml" in shown.output
    assert managed(shell.environ()) == before
    assert "stsenv:" not in shell.run("cd sub").output
    assert "stsenv:" not in shell.run("cd ../..; cd projA").output

    # Allowed: the role at the next prompt, named after its file.
    shown = shell.run("stsenv allow")
    assert "takes effect at the next prompt" in shown.output
    assert shown.line.startswith("[s3Full ")
    inside = shell.environ()
    assert inside["STSENV_ROLE"] == "s3Full"
    assert inside["STSENV_PROJECT_FILE"] == f"{trees}/projA/.stsenv.toml"
    shell.run("stsenv status > status.txt")
    assert f"from        {trees}/projA/.stsenv.toml" in (trees / "projA/status.txt").read_text()

    # Into a subdirectory: the same role, the same session.
    assert "stsenv:" not in shell.run("cd sub/deep").output
    assert managed(shell.environ()) == managed(inside)

    # Between two trees: straight to the other one's role.
    shell.run(f"stsenv allow '{trees}/projB'")
    shown = shell.run("cd ../../../projB")
    assert shown.line.startswith("[s3full ")
    other = shell.environ()
    assert other["STSENV_ROLE"] == "s3full" and other["AWS_REGION"] == "eu-west-1"
    assert other["AWS_ACCESS_KEY_ID"] != inside["AWS_ACCESS_KEY_ID"]

    # Out: exactly as before.
    shown = shell.run("cd ../plain/a/b")
    assert shown.line == ""
    assert managed(shell.environ()) == before

    # pushd / popd are directory changes like any other.
    assert shell.run(f"pushd '{trees}/projA/sub' > /dev/null").line.startswith("[s3Full ")
    assert managed(shell.environ())["AWS_ACCESS_KEY_ID"] == inside["AWS_ACCESS_KEY_ID"]
    assert shell.run("popd > /dev/null").line == ""
    assert managed(shell.environ()) == before

    # deny: from the next prompt on, the file has no effect.
    shell.run(f"cd '{trees}/projA'")
    shown = shell.run("stsenv deny")
    assert "no longer allowed" in shown.output
    assert shown.line == ""
    assert managed(shell.environ()) == before


@pytest.mark.parametrize("kind", SHELLS)
def test_leaving_gives_back_the_role_active_before_and_manual_use_wins_inside(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    allow(env, trees / "projA")
    shell = start_shell(kind, env)
    shell.run(f"cd '{trees}/plain'")
    assert shell.run("stsenv use s3full --quiet").status == "0"
    before = managed(shell.environ())

    assert shell.run("cd ../projA").line.startswith("[s3Full ")
    assert role(shell) == "s3Full"
    assert shell.run("cd ..").line.startswith("[s3full ")
    assert managed(shell.environ()) == before  # the same session, byte for byte

    # A manual clear inside wins until the tree is left...
    shell.run("cd projA")
    assert shell.run("stsenv clear").line == ""
    assert shell.run("cd sub").line == ""
    assert role(shell) is None
    # ... and a manual use too.
    assert shell.run("stsenv use s3full --region us-east-2 --quiet").status == "0"
    assert shell.run("cd deep").line.startswith("[s3full ")
    assert shell.environ()["AWS_REGION"] == "us-east-2"
    # Leaving restores what was there before entering.
    shell.run(f"cd '{trees}/plain'")
    assert managed(shell.environ()) == before
    # `stsenv refresh` still renews the role that this shell started.
    assert shell.run("stsenv refresh").status == "0"
    assert role(shell) == "s3full"


@pytest.mark.parametrize("kind", SHELLS)
def test_a_new_shell_started_inside_takes_the_role(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    allow(env, trees / "projA")
    shell = start_shell(kind, env, after_hook=f"cd '{trees}/projA/sub'")
    assert role(shell) == "s3Full"
    assert shell.run(f"cd '{trees}'").line == ""
    assert role(shell) is None


@pytest.mark.parametrize("kind", SHELLS)
def test_an_edited_file_is_not_used_until_allowed_again(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    allow(env, trees / "projA")
    shell = start_shell(kind, env)
    shell.run(f"cd '{trees}/projA'")
    assert role(shell) == "s3Full"
    shell.run("cd ..")
    before = managed(shell.environ())
    project(trees / "projA", 'use = "s3full"\n')  # a `git pull` changed it

    shown = shell.run("cd projA")
    assert shown.output.count(CHANGED.format("s3full")) == 1
    assert managed(shell.environ()) == before  # neither the old role nor the new one
    shell.run("cd ..")
    assert "stsenv:" not in shell.run("cd projA").output  # said once

    # doctor names it.
    shell.run("stsenv doctor > doctor.txt")
    assert "changed since it was allowed" in (trees / "projA/doctor.txt").read_text()


@pytest.mark.parametrize("kind", SHELLS)
def test_a_role_that_needs_an_mfa_code_asks_nothing_at_cd(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    project(trees / "mfa", 'use = "s3Mfa"\nduration = "15m"\n')
    allow(env, trees / "mfa")
    shell = start_shell(kind, env)
    before = managed(shell.environ())
    shown = shell.run(f"cd '{trees}/mfa'", timeout=30)  # a question would hang here
    assert shown.output.count("stsenv:") == 1, shown.output
    assert "an MFA code is needed: run `stsenv use s3Mfa --duration 15m`" in shown.output
    assert "MFA code for" not in shown.output
    assert shown.status == "0" and shown.line == ""
    assert managed(shell.environ()) == before


@pytest.mark.parametrize("kind", SHELLS)
def test_expiry_inside_renews_when_nothing_is_asked_else_clears(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path, tmp_path: Path
) -> None:
    project(trees / "short", 'use = "s3Full"\nduration = "15m"\n')
    allow(env, trees / "short")
    shell = start_shell(kind, env, faketime=True)
    before = managed(shell.environ())
    shell.run(f"cd '{trees}/short'")
    first = shell.environ()
    assert first["STSENV_ROLE"] == "s3Full"

    # The last threshold: renewed silently (no notice, no `is active` line).
    shell.set_clock(URGENT_OFFSET)
    shown = shell.run("")
    assert "stsenv:" not in shown.output, shown.output
    renewed = shell.environ()
    assert renewed["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]
    assert renewed["STSENV_PROJECT_FILE"] == first["STSENV_PROJECT_FILE"]

    # No renewal possible (the source keys are gone): at the expiry, what went wrong and
    # the usual line, and the shell as it was before the tree. (The local AWS keeps real
    # time: the renewed session ends about when the first one would have.)
    credentials = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.rename(tmp_path / "keys-away")
    try:
        shell.set_clock(16 * 60)
        shown = shell.run("")
        assert "stsenv: ./.stsenv.toml wants s3Full: no AWS credentials" in shown.output
        assert shown.output.count(EXPIRED.format("s3Full")) == 1
        assert shown.line == ""
        assert managed(shell.environ()) == before
    finally:
        (tmp_path / "keys-away").rename(credentials)


@pytest.mark.parametrize("kind", SHELLS)
def test_prompts_and_cds_without_a_governing_file_start_no_process(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    allow(env, trees / "projA")
    shell = start_shell(kind, env)
    shell.run(f"cd '{trees}/plain'")
    deep = "/".join(f"d{i}" for i in range(12))
    (trees / "plain" / deep).mkdir(parents=True)
    with shell.count_processes() as created:
        for _ in range(3):
            shell.run("")  # $PWD unchanged
        shell.run(f"cd {deep}")  # 12 levels, no governing file
        shell.run("cd ../../..")
        shell.run(f"cd '{trees}/plain/a/b'")
    assert created == []
    shell.run(f"cd '{trees}/projA'")
    with shell.count_processes() as created:
        shell.run("")
        shell.run("cd sub/deep")  # the same governing file
        shell.run("cd ..")
    assert created == []
    # The same measurement sees the one process of entering a tree.
    shell.run(f"cd '{trees}'")
    with shell.count_processes() as created:
        shell.run("cd projA")
    assert created


# The prompt hook's slow path, counted: bash and zsh's __stsenv_due; fish's walk (its usual
# prompt with a role always runs the tick, as it always did).
COUNT_SLOW = {
    "bash": 'eval "__t_slow() $(declare -f __stsenv_due | tail -n +2)"; '
    "__stsenv_due() { ((++__t_n)); __t_slow; }; __t_n=0",
    "zsh": "functions -c __stsenv_due __t_slow; __stsenv_due() { ((++__t_n)); __t_slow; }; __t_n=0",
    "fish": "functions -c __stsenv_dir_changed __t_slow; function __stsenv_dir_changed; "
    "set -g __t_n (math $__t_n + 1); __t_slow; end; set -g __t_n 0",
}


# Sibling directories: the second is matched by the first read as a pattern (extglob's too).
PATTERN_PAIRS = [
    ("q*", "qZ"),
    ("r?", "rZ"),
    ("[s]", "s"),
    ("@(t)", "t"),
    ("+(u)", "uu"),
    ("v\\w", "vw"),
]


@pytest.mark.parametrize("kind", SHELLS)
def test_a_prompt_with_nothing_to_do_stays_on_the_fast_path(
    kind: str, start_shell: StartShell, env: dict[str, str], tmp_path: Path
) -> None:
    """A prompt whose $PWD, role and PS1 did not change never reaches the slow path, with or
    without a role, in directories whose names hold pattern characters (bash compares with
    a pattern made from the path); a cd reaches it once, also to a directory that the last
    one's name, read as a pattern, would match."""
    odd = tmp_path / "a*b?c[d]e(f)g|h+i@j!k\\l m&n"
    for pair in PATTERN_PAIRS:
        for name in pair:
            (odd / name).mkdir(parents=True)
    shell = start_shell(kind, env)
    shell.run(f"cd '{odd}'")
    shell.run(COUNT_SLOW[kind])

    def slow() -> int:
        return int(shell.variable("__t_n") or "-1")

    def cds_are_seen() -> None:
        for first, second in PATTERN_PAIRS:
            shell.run(f"cd '{odd}/{first}'")
            before = slow()
            shell.run(f"cd '../{second}'")
            assert slow() - before == 1, (first, second)
        shell.run(f"cd '{odd}'")

    for _ in range(3):
        shell.run("")
    assert slow() == 0
    cds_are_seen()
    shell.run("stsenv use s3Full")
    assert role(shell) == "s3Full"
    # A new role shows "60m" for a second, then the minute changes: one slow prompt to
    # redraw, then none for 59 s.
    time.sleep(1.5)
    shell.run("")
    before = slow()
    for _ in range(4):
        shell.run("")
    assert slow() == before
    cds_are_seen()
    assert role(shell) == "s3Full"


HOSTILE_NAMES = ["new\nline", "$(touch pwned)", "`touch pwned`", 'it\'s "q" \\ x', "-n"]


@pytest.mark.parametrize("kind", SHELLS)
def test_hostile_names_and_contents_run_nothing(
    kind: str, start_shell: StartShell, env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "hostile"
    allowed = []
    for i, name in enumerate(HOSTILE_NAMES):
        allowed.append(project(root / name / "in", f'use = "s3Full"\nsession_name = "h{i}"\n'))
    # A name that is not UTF-8.
    raw = os.fsencode(str(root)) + b"/\xff\xfe-dir"
    os.makedirs(raw)
    with open(raw + b"/.stsenv.toml", "w") as f:
        f.write('use = "s3Full"\n')
    # Contents meant to run: as a value, and as text that is not TOML.
    project(root / "content-value", 'use = "$(touch pwned)`touch pwned`"\n')
    project(root / "content-text", "$(touch pwned)\n`touch pwned`\nuse = s3Full; touch pwned\n")
    # A cloned repository's file: never allowed, so nothing is assumed either.
    source = tmp_path / "upstream"
    project(source, 'use = "s3Full"\n')
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(source)], check=True)
    subprocess.run([*git, "-C", str(source), "add", "."], check=True)
    subprocess.run([*git, "-C", str(source), "commit", "-qm", "x"], check=True)
    subprocess.run(["git", "clone", "-q", str(source), str(root / "clone")], check=True)
    for path in allowed:
        allow(env, path)
    allow(env, Path(os.fsdecode(raw)))
    allow(env, root / "content-value")

    shell = start_shell(kind, env)
    shell.run(f"cd '{root}'")
    for name in HOSTILE_NAMES:
        if kind == "fish":
            quoted = name.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "'\\n'")
            shell.run(f"cd -- '{quoted}/in'")
        else:
            shell.run(
                "cd -- $'"
                + name.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
                + "/in'"
            )
        seen = shell.environ()
        assert seen.get("STSENV_ROLE") == "s3Full", name
        assert seen["STSENV_PROJECT_FILE"].endswith("/in/.stsenv.toml")
        shell.run(f"cd '{root}'")
        assert role(shell) is None
    shell.run("cd \\xff\\xfe-dir" if kind == "fish" else "cd $'\\xff\\xfe-dir'")
    assert role(shell) == "s3Full"
    shell.run(f"cd '{root}'")
    shown = shell.run("cd content-value")
    assert shown.output.count("stsenv:") == 1 and role(shell) is None
    shown = shell.run("cd ../content-text")
    assert shown.output.count("stsenv:") == 1 and "not valid TOML" in shown.output
    shown = shell.run("cd ../clone")
    assert shown.output.count(NOT_ALLOWED.format("s3Full")) == 1
    assert role(shell) is None
    assert not list(tmp_path.rglob("pwned"))
    assert not list(Path(env["HOME"]).rglob("pwned"))
    assert shell.run("echo alive").status == "0"


@pytest.mark.parametrize("kind", ["bash", "zsh"])  # (fish's prompt counter restarts in a child)
def test_a_child_shell_does_not_carry_the_tree_s_role_out_of_it(
    kind: str, start_shell: StartShell, env: dict[str, str], trees: Path
) -> None:
    allow(env, trees / "projA")
    shell = start_shell(kind, env)
    shell.run(f"cd '{trees}/projA'")
    parent = shell.environ()
    assert parent["STSENV_ROLE"] == "s3Full"
    child = f"{shell.binary} --noprofile --rcfile {shell.rc} -i" if kind == "bash" else "zsh -i"
    assert shell.run(child).line.startswith("[s3Full ")  # inherited, then entered
    assert shell.run("cd ..").line == ""
    assert role(shell) is None
    shell.run("exit")
    assert shell.environ() == parent
