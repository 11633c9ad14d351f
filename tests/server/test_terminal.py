"""`stsenv exec --server` in an interactive shell: CMD runs in a process group of its own,
which stsenv puts in the terminal's foreground, so CMD reads the terminal, ^C reaches it, and
^Z / `fg` stop and continue the whole job as they do for any command (bash, zsh, fish)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.emulator import VENV_BIN
from support.shells import InteractiveShell

from server.support import gone

StartShell = Callable[..., InteractiveShell]
READ = "stsenv exec --server s3Full -- sh -c 'read line; echo \"got:$line\"'"


@pytest.fixture(params=["bash", "zsh", "fish"])
def shell(
    request: pytest.FixtureRequest, start_shell: StartShell, server_env: dict[str, str]
) -> InteractiveShell:
    return start_shell(request.param, {**server_env, "PATH": f"{VENV_BIN}:{server_env['PATH']}"})


def test_the_command_reads_the_terminal(shell: InteractiveShell) -> None:
    shell.child.sendline(READ)
    shell.child.sendline("typed")
    ran = shell.expect_prompt()
    assert ran.status == "0" and "got:typed" in ran.output, ran.output


def test_ctrl_c_ends_the_command(shell: InteractiveShell) -> None:
    """A background child of sh ignores ^C: stsenv ends it with the rest of CMD's group."""
    shell.child.sendline("stsenv exec --server s3Full -- sh -c 'sleep 600 & echo pid:$!; wait'")
    shell.child.expect(r"pid:(\d+)")
    child = int(shell.child.match.group(1))
    shell.child.sendintr()
    ran = shell.expect_prompt()
    assert ran.status == "130", ran.output
    assert gone(child)


def test_ctrl_z_and_fg(shell: InteractiveShell) -> None:
    shell.child.sendline(
        'stsenv exec --server s3Full -- sh -c \'echo st""arted; read line; echo "got:$line"\''
    )
    shell.child.expect("started")  # the command's output, not the line typed
    shell.child.sendcontrol("z")
    stopped = shell.expect_prompt()
    if shell.kind != "fish":  # fish leaves $status alone for a stopped job
        assert stopped.status in ("148", "20"), stopped.output  # 128 + SIGTSTP, zsh's 20
    shell.child.sendline("fg")
    shell.child.sendline("later")
    ran = shell.expect_prompt()
    assert ran.status == "0" and "got:later" in ran.output, ran.output
