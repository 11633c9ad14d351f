"""Issue 16 item 7: secrets under `set -x`. CI logs run with tracing on; in a real bash and
zsh with `set -xv` and a real fish with `fish_trace`, `use` (twice: the second restores and
saves the baseline again), `clear` and the expiry at a prompt trace neither the baseline's
long-term secret key nor the role's secret key and session token; and tracing is back on
afterwards, as the user had it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell
from support.trust import ROLE_ARN, long_term_env

StartShell = Callable[..., InteractiveShell]

TRACE_ON = {"bash": "set -xv", "zsh": "set -xv", "fish": "set -g fish_trace 1"}
# Prints TRACING when tracing is still on, without tracing a secret.
TRACING = {
    "bash": 'case $-$- in *x*v*) echo TRACING-"ON" ;; esac',
    "zsh": '[[ -o xtrace && -o verbose ]] && echo TRACING-"ON"',
    "fish": 'test "$fish_trace" = 1; and echo TRACING-"ON"',
}


def role_secrets(cache: Path) -> set[str]:
    found = set()
    for path in cache.glob("session-*.json"):
        creds = json.loads(path.read_text())
        found |= {creds["secret_access_key"], creds["session_token"]}
    return found


@pytest.mark.parametrize("kind", SHELLS)
def test_tracing_shows_no_secret_and_is_kept(
    start_shell: StartShell, aws_world: object, aws_env: dict[str, str], kind: str
) -> None:
    env, long_term_secret = long_term_env(aws_world, aws_env)
    # A prompt whose text, traced as the hook sets PS1, does not look like the drawn prompt
    # the test waits for (`marker::STATUS@@ `).
    retext = {"bash": "PS1=${PS1%%::*}':${__t-}:$?@@ '", "zsh": "PS1=${PS1%%::*}':%(?..):%?@@ '"}
    shell = start_shell(kind, env, faketime=True, after_hook=retext.get(kind, ""))
    shown = [shell.run(TRACE_ON[kind]).output]
    for command in (
        f"stsenv use {ROLE_ARN}",
        f"stsenv use {ROLE_ARN} --duration 15m",
        "stsenv clear",
        f"stsenv use {ROLE_ARN} --duration 15m",
    ):
        done = shell.run(command)
        assert done.status == "0", done.output
        shown.append(done.output)
    shell.set_clock(16 * 60)
    expired = shell.run("")  # the prompt hook restores the baseline at expiry
    assert "expired; its credentials were cleared" in expired.output
    shown.append(expired.output)
    still = shell.run(TRACING[kind]).output
    assert "TRACING-ON" in still.replace('TRACING-"ON"', "")  # tracing is as the user set it
    text = "".join(shown)
    assert "stsenv use" in text and len(text.splitlines()) > 10  # it did trace
    secrets = role_secrets(Path(env["STSENV_CACHE_DIR"]))
    assert secrets, "no session was cached"
    for secret in (long_term_secret, *secrets):
        assert secret not in text, f"a secret was traced by {kind}"


@pytest.mark.parametrize("kind", SHELLS)
def test_entering_and_leaving_a_project_traces_no_secret(
    start_shell: StartShell,
    aws_world: object,
    aws_env: dict[str, str],
    kind: str,
    tmp_path: Path,
) -> None:
    """The prompt hook's directory part copies the role active before a tree (entering) and
    puts it back (leaving): with tracing on, neither copy shows a secret."""
    import subprocess

    from support.shells import VENV_BIN

    env, long_term_secret = long_term_env(aws_world, aws_env)
    env["STSENV_DATA_DIR"] = str(tmp_path / "data")
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".stsenv.toml").write_text(f'use = "{ROLE_ARN}"\nsession_name = "traced"\n')
    allowed = subprocess.run(
        [f"{VENV_BIN}/stsenv", "allow", str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert allowed.returncode == 0, allowed.stderr
    retext = {"bash": "PS1=${PS1%%::*}':${__t-}:$?@@ '", "zsh": "PS1=${PS1%%::*}':%(?..):%?@@ '"}
    shell = start_shell(kind, env, after_hook=retext.get(kind, ""))
    shown = [shell.run(TRACE_ON[kind]).output]
    for command in (
        f"stsenv use {ROLE_ARN} --session-name before",
        f"cd '{project}'",
        "cd ..",
        f"cd '{project}'",
        "stsenv clear",
        "cd /",
    ):
        done = shell.run(command)
        assert done.status == "0", done.output
        shown.append(done.output)
        if command == "cd ..":
            continue
        if command.startswith("cd '"):  # the project's role is active inside
            inside = shell.run("printenv STSENV_PROJECT_FILE").output
            assert ".stsenv.toml" in inside.replace("STSENV_PROJECT_FILE", ""), inside
    text = "".join(shown)
    assert "TRACING-ON" in shell.run(TRACING[kind]).output.replace('TRACING-"ON"', "")
    secrets = role_secrets(Path(env["STSENV_CACHE_DIR"]))
    assert len(secrets) >= 4, "both sessions should be cached"
    for secret in (long_term_secret, *secrets):
        assert secret not in text, f"a secret was traced by {kind}"
