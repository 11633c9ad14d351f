"""Prompt frameworks and plugin managers, in real shells: the zsh plugin file, the fisher
folder of the built wheel, the prefix standing aside under starship and powerlevel10k, and
the README's starship and p10k snippets run exactly as those frameworks would run them
(neither framework is packaged for Debian)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import REPO, SHELLS, InteractiveShell

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

StartShell = Callable[..., InteractiveShell]
README = (REPO / "README.md").read_text(encoding="utf-8")
HOSTILE_ROLE = "x$(touch pwned)`touch pwned`\\w%F{red}!"


def readme_block(language: str, contains: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)
    (block,) = [b for b in blocks if contains in b]
    return str(block)


def test_zsh_plugin_loads_the_hook_without_eval(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    plugin = REPO / "shell" / "stsenv.plugin.zsh"
    assert "eval" not in re.sub(r"#.*", "", plugin.read_text())
    # oh-my-zsh's layout: $ZSH_CUSTOM/plugins/<name>/<name>.plugin.zsh, here a symlink.
    plugins = tmp_path / "omz" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "stsenv").symlink_to(REPO / "shell")
    shell = start_shell("zsh", aws_env, load_hook=f"source {plugins}/stsenv/stsenv.plugin.zsh")
    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert re.fullmatch(r"\[s3Full (59|60)m\] ", shown.line)
    assert shell.run("stsenv clear").line == ""


def test_fisher_folder_of_the_wheel_is_the_fish_hook(
    wheel: Path, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    conf = zipfile.ZipFile(wheel).read("stsenv/shell/fish/conf.d/stsenv.fish")
    assert conf == (REPO / "shell" / "stsenv.fish").read_bytes()
    # `fisher install` copies conf.d/*.fish into a conf.d that fish sources at start-up;
    # here fish's vendor conf.d (the user's own holds the test's config.fish).
    conf_d = tmp_path / "share" / "fish" / "vendor_conf.d"
    conf_d.mkdir(parents=True)
    (conf_d / "stsenv.fish").write_bytes(conf)
    env = {**aws_env, "XDG_DATA_DIRS": f"{tmp_path / 'share'}:/usr/share"}
    shell = start_shell("fish", env, load_hook="")
    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert shown.line.startswith("[s3Full ")


@pytest.mark.parametrize("kind", SHELLS)
def test_prefix_stands_aside_under_starship(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, "STARSHIP_SHELL": kind})
    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert shown.line == ""
    assert (shell.variable("STSENV_SEGMENT") or "").startswith("s3Full ")
    # starship's aws module reads this one.
    assert shell.environ()["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    # STSENV_DISABLE_PROMPT=0 wants the prefix anyway (read when the segment is drawn).
    keep = "set -g STSENV_DISABLE_PROMPT 0" if kind == "fish" else "STSENV_DISABLE_PROMPT=0"
    assert shell.run(keep).line.startswith("[s3Full ")


def starship_module() -> dict[str, object]:
    config = tomllib.loads(readme_block("toml", "[custom.stsenv]"))
    module = config["custom"]["stsenv"]
    assert isinstance(module, dict)
    return module


def run_like_starship(module: dict[str, object], key: str, env: dict[str, str]) -> str | None:
    """starship runs `when` and `command` with the configured shell, the command on stdin."""
    shell = module["shell"]
    assert isinstance(shell, list)
    done = subprocess.run(
        shell,
        input=str(module[key]),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def test_starship_custom_module_from_the_readme(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    module = starship_module()
    shell = start_shell("bash", aws_env)
    assert run_like_starship(module, "when", shell.environ()) is None  # no role: hidden
    shell.run("stsenv use s3Full")
    active = shell.environ()
    assert run_like_starship(module, "when", active) is not None
    assert re.fullmatch(r"s3Full (59|60)m", run_like_starship(module, "command", active) or "")

    os.chdir(tmp_path)
    hostile = {**active, "STSENV_ROLE": HOSTILE_ROLE}
    assert (run_like_starship(module, "command", hostile) or "").startswith(HOSTILE_ROLE + " ")
    bad_expiry = {**active, "STSENV_EXPIRY": "a[$(touch pwned)]"}
    assert run_like_starship(module, "command", bad_expiry) == ""
    assert not list(tmp_path.glob("pwned")) and not (shell.home / "pwned").exists()


P10K_STUB = """POWERLEVEL9K_LEFT_PROMPT_ELEMENTS=(stsenv dir)
p10k() { print -r -- "${(j:|:)@}" > {out}; }"""


def test_p10k_segment_from_the_readme(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "p10k-args"
    shell = start_shell(
        "zsh",
        hostile_alias(aws_env, tmp_path),
        before_hook=P10K_STUB.replace("{out}", str(out)),
        after_hook=readme_block("zsh", "prompt_stsenv"),
    )
    shown = shell.run(f"stsenv use '{HOSTILE_ROLE}'")
    assert shown.status == "0", shown.output
    assert shown.line == ""  # powerlevel10k draws the segment: the prefix stands aside
    shell.run("prompt_stsenv")
    subcommand, flag, colour, text_flag, text = out.read_text().rstrip("\n").split("|", 4)
    assert (subcommand, flag, colour, text_flag) == ("segment", "-f", "2", "-t")
    # p10k expands `%` in -t text: the segment must come out as the role name, as text.
    rendered = tmp_path / "rendered"
    shell.run(f"print -Prn -- {quote_zsh(text)} > {rendered}")
    assert re.fullmatch(re.escape(HOSTILE_ROLE) + r" (59|60)m", rendered.read_text())
    assert not (shell.home / "pwned").exists()


def hostile_alias(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """aws_env whose stsenv config also names the tutorial's role HOSTILE_ROLE."""
    config = tmp_path / "stsenv-hostile.toml"
    key = HOSTILE_ROLE.replace("\\", "\\\\").replace('"', '\\"')
    config.write_text(
        Path(aws_env["STSENV_CONFIG"]).read_text()
        + f'\n[roles."{key}"]\nrole_name = "s3FullforAssumeRole"\nsource_profile = "taro-prjZ"\n'
    )
    return {**aws_env, "STSENV_CONFIG": str(config)}


def quote_zsh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
