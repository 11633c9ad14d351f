"""TAB completion inserts a candidate so that the line means it: an alias named like code
(`xq$(touch pwned)`, a `[roles."..."]` table of the stsenv config) is completed, entered,
and reaches `stsenv` as its literal name, with nothing run (issue: trust, second round,
item 5). bash inserts COMPREPLY as it is, so the hook's completion quotes each candidate
for where it goes: a bare word (also one typed with backslashes), or after an opened `'`
or `"`. zsh (compadd) and fish quote by themselves; they are held to the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import InteractiveShell

StartShell = Callable[..., InteractiveShell]

# Two aliases, told apart by their first letters: code, and code with a quote in it.
ALIASES = ["xq$(touch pwned)`touch pwned`", "it's $(touch pwned)"]


def with_aliases(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "stsenv-config.toml"
    text = Path(aws_env["STSENV_CONFIG"]).read_text()
    for alias in ALIASES:
        key = alias.replace("\\", "\\\\").replace('"', '\\"')
        text += (
            f'\n[roles."{key}"]\nrole_name = "s3FullforAssumeRole"\nsource_profile = "taro-prjZ"\n'
        )
    config.write_text(text)
    return {**aws_env, "STSENV_CONFIG": str(config)}


# What is typed before TAB: nothing of the name's specials yet, inside an opened quote,
# with backslashes, inside double quotes.
TYPED = {
    "bash": ["xq", "'xq$(to", "xq\\$\\(to", '"xq', "it", "'it", '"it'],
    "zsh": ["xq", "'xq$(to", "it", "'it"],
    "fish": ["xq", "'xq$(to", "it", "'it"],
}


@pytest.mark.parametrize(
    ("kind", "typed"), [(k, t) for k, ts in TYPED.items() for t in ts], ids=lambda x: str(x)
)
def test_a_completed_alias_is_entered_as_its_literal_name(
    kind: str, typed: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    before = "autoload -Uz compinit && compinit -u" if kind == "zsh" else ""
    shell = start_shell(kind, with_aliases(aws_env, tmp_path), before_hook=before)
    alias = next(a for a in ALIASES if a[:2] in typed)
    canary = shell.home / "pwned"
    shell.child.send(f"stsenv use {typed}\t")
    shown = shell.run("", timeout=30)  # Enter: the line as TAB made it
    assert not canary.exists(), "the completed name ran as code"
    assert shown.status == "0", shown.output
    assert shell.environ()["STSENV_ROLE"] == alias  # stsenv got the name itself
    assert shell.run("stsenv clear").status == "0"
    assert not canary.exists()
