"""TAB completion: candidates computed from spec.py, served without typer or botocore, and
offered by real bash, zsh and fish through the hook's lazy loader."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.shells import InteractiveShell

from stsenv import spec

StartShell = Callable[..., InteractiveShell]
STSENV = [sys.executable, "-m", "stsenv"]
# The world's alias (config.toml), role profile and key profiles (AWS config): every profile
# is a target.
PROFILE_TARGETS = {"s3full", "admin", "hanako-prjZ", "taro-prjZ"}
TARGETS = {"s3Full", *PROFILE_TARGETS}


def complete(env: dict[str, str], shell: str, *words: str) -> list[str]:
    done = subprocess.run(
        [*STSENV, "__complete", shell, *words],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert done.stderr == ""
    return done.stdout.splitlines()


def values(lines: list[str]) -> set[str]:
    return {line.split("\t")[0] for line in lines}


def test_verbs_and_each_verbs_options_come_from_the_spec(aws_env: dict[str, str]) -> None:
    assert values(complete(aws_env, "fish", "")) == {v.name for v in spec.VERBS if not v.hidden}
    for verb in spec.VERBS:
        flags = {p.flag for p in verb.params if p.flag}
        assert values(complete(aws_env, "fish", verb.name, "--")) == flags | {"--help"}, verb.name


def test_targets_options_values_and_used_flags(aws_env: dict[str, str]) -> None:
    fish = complete(aws_env, "fish", "use", "")
    assert values(fish) == TARGETS
    assert "s3Full\talias: s3FullforAssumeRole" in fish
    assert values(complete(aws_env, "fish", "use", "s3F")) == {"s3Full"}
    assert values(complete(aws_env, "fish", "exec", "--nest", "")) == TARGETS
    assert values(complete(aws_env, "fish", "use", "--profile", "taro")) == {"taro-prjZ"}
    assert values(complete(aws_env, "fish", "export", "x", "--format", "d")) == {"dotenv"}
    assert values(complete(aws_env, "fish", "export", "x", "--format=j")) == {"--format=json"}
    assert values(complete(aws_env, "fish", "hook", "")) == {"bash", "zsh", "fish"}
    # A flag given once is not offered again; a positional given once is not either.
    assert "--refresh" not in values(complete(aws_env, "fish", "use", "s3Full", "--refresh", "--"))
    assert complete(aws_env, "fish", "use", "s3Full", "") == []
    # After `exec TARGET --` comes a command, the shell's business.
    assert complete(aws_env, "fish", "exec", "s3Full", "--", "") == []


def test_bash_split_words_and_zsh_descriptions(aws_env: dict[str, str]) -> None:
    # bash's COMP_WORDS split `--format=js` at `=`.
    assert complete(aws_env, "bash", "export", "x", "--format", "=", "js") == ["json"]
    assert "=json" in complete(aws_env, "bash", "export", "x", "--format", "=")
    assert "--duration:Session length\\: 15m" not in complete(aws_env, "zsh", "use", "--d")
    assert complete(aws_env, "zsh", "use", "--du") == [
        "--duration:" + spec.BY_NAME["use"].params[1].help
    ]


def test_broken_config_offers_the_profiles_and_says_nothing(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[roles.x\n")
    assert values(complete({**aws_env, "STSENV_CONFIG": str(broken)}, "fish", "use", "")) == (
        PROFILE_TARGETS
    )


PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from stsenv.cli import main
with redirect_stdout(io.StringIO()) as out:
    main(["__complete", "bash", "use", ""])
heavy = ("typer", "botocore", "boto3", "click")
print(json.dumps([out.getvalue().split(), sorted(m for m in heavy if m in sys.modules)]))
"""


def test_completion_imports_neither_typer_nor_botocore(aws_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=aws_env,
        timeout=60,
        check=True,
    )
    printed, heavy = json.loads(done.stdout)
    assert set(printed) == TARGETS
    assert heavy == []


def test_completion_prints_the_script_files(aws_env: dict[str, str]) -> None:
    root = Path(__file__).resolve().parents[2]
    for shell in ("bash", "zsh", "fish"):
        printed = subprocess.run(
            [*STSENV, "completion", shell], capture_output=True, env=aws_env, timeout=60, check=True
        ).stdout
        assert printed == (root / "shell" / "completion" / f"stsenv.{shell}").read_bytes()


# --- real shells -------------------------------------------------------------------------------


def test_bash_completion_function_fills_compreply(
    start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell("bash", aws_env)
    out = shell.workdir / "compreply"

    def compreply(line: str) -> list[str]:
        # What bash does at TAB: the registered function, with COMP_WORDS and COMP_CWORD.
        shell.run(
            f"COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); "
            f'$(complete -p stsenv | sed "s/.*-F \\([^ ]*\\) .*/\\1/") stsenv; '
            f"printf '%s\\n' \"${{COMPREPLY[@]}}\" > {out}"
        )
        return [x for x in out.read_text().splitlines() if x]

    # The first TAB runs the hook's lazy loader, which registers the real function.
    assert set(compreply("stsenv use ''")) == TARGETS
    shell.run(f"complete -p stsenv > {out}")
    assert "-F __stsenv_complete stsenv" in out.read_text()
    assert compreply("stsenv us") == ["use"]
    assert compreply("stsenv export x --format = js") == ["json"]
    assert "--duration" in compreply("stsenv use s3Full --")


# A key (^Y) that writes the line being edited to a file and clears it: what TAB made of it.
DUMP_LINE = {
    "bash": 'bind -x \'"\\C-y": printf "%s" "$READLINE_LINE" > {line}; READLINE_LINE=\'',
    "zsh": "__test_dump() { print -rn -- $BUFFER > {line}; BUFFER=; zle accept-line }\n"
    "zle -N __test_dump; bindkey '^Y' __test_dump",
}


def dump_line(kind: str, path: Path) -> str:
    return DUMP_LINE[kind].replace("{line}", str(path))


def typed(shell: InteractiveShell, keys: str) -> str:
    line = shell.workdir.parent / "line"
    shell.child.send(keys + "\x19")  # ^Y: write the line, clear it, show a prompt
    shell.expect_prompt()
    return line.read_text()


def test_bash_tab_completes_verbs_targets_and_options(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    shell = start_shell("bash", aws_env, after_hook=dump_line("bash", tmp_path / "line"))
    assert typed(shell, "stsenv us\t") == "stsenv use "
    assert typed(shell, "stsenv use s3F\t") == "stsenv use s3Full "
    assert typed(shell, "stsenv use s3Full --dur\t") == "stsenv use s3Full --duration "


def test_zsh_tab_completes_through_compsys(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    # compinit before the hook, as oh-my-zsh and plugin managers order it.
    shell = start_shell(
        "zsh",
        aws_env,
        after_hook=dump_line("zsh", tmp_path / "line"),
        before_hook="autoload -Uz compinit && compinit -u",
    )
    assert typed(shell, "stsenv us\t") == "stsenv use "
    assert typed(shell, "stsenv use s3F\t") == "stsenv use s3Full "
    assert typed(shell, "stsenv use s3Full --dur\t") == "stsenv use s3Full --duration "
    assert typed(shell, "stsenv export x --format=js\t") == "stsenv export x --format=json "
    out = shell.workdir / "comps"
    shell.run(f"print -r -- $_comps[stsenv] > {out}")
    assert out.read_text().strip() == "_stsenv"  # the hook's loader replaced itself


def test_fish_complete_lists_verbs_and_targets(
    start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell("fish", aws_env)
    out = shell.workdir / "complete"

    def offered(line: str) -> list[str]:
        shell.run(f"complete -C '{line}' > {out}")
        return out.read_text().splitlines()

    assert offered("stsenv us") == [f"use\t{spec.BY_NAME['use'].help}"]
    assert {x.split("\t")[0] for x in offered("stsenv use ")} == TARGETS
    assert {x.split("\t")[0] for x in offered("stsenv use s3Full --re")} == {
        "--refresh",
        "--region",
    }
    # Loaded once: a later TAB still offers each candidate once.
    assert len(offered("stsenv us")) == 1
