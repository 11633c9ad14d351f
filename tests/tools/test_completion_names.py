"""TAB in real bash, zsh and fish offers the names botocore reads from a config with unusual
section headers (tests/config_corpus/shapes/section-names.config): `[profile<TAB>tabbed]`
is "tabbed", `[profile "my profile"]` is "my profile", a name that begins with `-` comes
after `--`, and the headers botocore skips are never offered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.emulator import base_env
from support.shells import InteractiveShell

StartShell = Callable[..., InteractiveShell]
SHAPES = Path(__file__).resolve().parents[1] / "config_corpus" / "shapes"

# A key (^Y) that writes the line being edited to a file and clears it: what TAB made of it.
DUMP_LINE = {
    "bash": 'bind -x \'"\\C-y": printf "%s" "$READLINE_LINE" > {line}; READLINE_LINE=\'',
    "zsh": "__test_dump() { print -rn -- $BUFFER > {line}; BUFFER=; zle accept-line }\n"
    "zle -N __test_dump; bindkey '^Y' __test_dump",
}


def env_for(tmp_path: Path) -> dict[str, str]:
    env = base_env(tmp_path / "home")
    env["AWS_CONFIG_FILE"] = str(SHAPES / "section-names.config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(SHAPES / "section-names.credentials")
    return env


def typed(shell: InteractiveShell, keys: str) -> str:
    line = shell.workdir.parent / "line"
    shell.child.send(keys + "\x19")  # ^Y: write the line, clear it, show a prompt
    shell.expect_prompt()
    return line.read_text()


@pytest.mark.parametrize("kind", ["bash", "zsh"])
def test_tab_inserts_the_names_botocore_reads(
    kind: str, start_shell: StartShell, tmp_path: Path
) -> None:
    before = "autoload -Uz compinit && compinit -u" if kind == "zsh" else ""
    after = DUMP_LINE[kind].replace("{line}", str(tmp_path / "line"))
    shell = start_shell(kind, env_for(tmp_path), after_hook=after, before_hook=before)
    assert typed(shell, "stsenv use tab\t") == "stsenv use tabbed "
    assert typed(shell, "stsenv use my\t") == "stsenv use my\\ profile "
    assert typed(shell, "stsenv use -- -d\t") == "stsenv use -- -dash "
    assert typed(shell, "stsenv use pers\t") == "stsenv use pers"  # "personal" "otherkey"
    assert typed(shell, "stsenv use foo\t") == "stsenv use foo"  # [profile foo bar]


def test_fish_offers_the_names_botocore_reads(start_shell: StartShell, tmp_path: Path) -> None:
    shell = start_shell("fish", env_for(tmp_path))
    out = shell.workdir / "complete"

    def offered(line: str) -> set[str]:
        shell.run(f"complete -C '{line}' > {out}")
        return {x.split("\t")[0] for x in out.read_text().splitlines()}

    names = {"tabbed", "my profile", "plural", "twice", "profile tabbed"}
    assert offered("stsenv use ") == names
    assert offered("stsenv use -- -") == {"-dash"}
