"""The three hook files are one state machine in three dialects (shell/README.md): the same
env-changing verbs as spec.py, the same sections in the same order, the same functions
(the README's table, plus a few helpers of one dialect declared here), and the same list
of managed names as envchange.py. Functions and names are read back from each file loaded
in its own shell, not only from the text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stsenv import spec
from stsenv.envchange import MANAGED_VARS

REPO = Path(__file__).resolve().parents[2]
SHELL_DIR = REPO / "shell"
KINDS = ("bash", "zsh", "fish")
# Helpers only one dialect needs (each is in the README's second table).
EXTRAS = {
    "bash": {
        "__stsenv_install",
        "__stsenv_ps1_remove",
        "__stsenv_due",
        "__stsenv_hook_form",
        "__stsenv_literal",
        "__stsenv_untraced",
    },
    "zsh": {"__stsenv_ps1_remove", "__stsenv_due"},
    "fish": {
        "__stsenv_run_with_baseline",
        "__stsenv_wrap_prompt",
        "__stsenv_unwrap_prompt",
        "__stsenv_prompt_is_ours",
        "__stsenv_pwd_changed",
    },
}
# What each shell prints once the file is loaded: its __stsenv_* functions, a separator,
# its managed names, one per line. (zsh needs compinit for the completion loader.)
PROBES = {
    "bash": (
        "source {file}; compgen -A function __stsenv_; echo '=='; printf '%s\\n' $__stsenv_managed"
    ),
    "zsh": (
        "autoload -Uz compinit; compinit -u -d {tmp}/zcompdump; source {file}; "
        "print -l ${{(k)functions[(I)__stsenv_*]}}; echo '=='; print -l ${{(s: :)__stsenv_managed}}"
    ),
    "fish": (
        "source {file}; functions -a -n | string split , | string match '__stsenv_*'; "
        "echo '=='; printf '%s\\n' $__stsenv_managed"
    ),
}


def text(kind: str) -> str:
    return (SHELL_DIR / f"stsenv.{kind}").read_text()


def loaded(kind: str, tmp_path: Path) -> tuple[set[str], list[str]]:
    """(functions, managed names) of the file as its shell sees it once loaded."""
    binary = shutil.which(kind)
    if binary is None:
        pytest.skip(f"{kind} is not installed")
    args = {
        "bash": ["--norc", "--noprofile", "-c"],
        "zsh": ["-f", "-c"],
        "fish": ["--no-config", "-c"],
    }
    script = PROBES[kind].format(file=SHELL_DIR / f"stsenv.{kind}", tmp=tmp_path)
    done = subprocess.run(
        [binary, *args[kind], script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "dumb"},
    )
    functions, _, names = done.stdout.partition("==\n")
    return set(functions.split()), names.split()


def readme_functions() -> tuple[set[str], str]:
    """The names in the first column of the README's first table under "What each file
    defines" (the functions of every file), and the whole README."""
    readme = (SHELL_DIR / "README.md").read_text()
    section = readme.split("## What each file defines", 1)[1]
    first_table = section.split("\n\n| name")[1].split("\n\n")[0]
    names = set(re.findall(r"^\| `(__stsenv_\w+)", first_table, re.MULTILINE))
    return names, readme


def wrapper_arms(kind: str) -> list[list[str]]:
    """The verbs of each of the wrapper's case arms, in order (the first: the ones whose
    output is evaluated; the second: the ones run with the baseline)."""
    source = text(kind)
    if kind == "fish":
        body = source.split("function stsenv ", 1)[1].split("\nend\n", 1)[0]
        return [arm.split() for arm in re.findall(r"^\s*case ([a-z_ -]+)$", body, re.MULTILINE)]
    body = source.split("\nstsenv() {", 1)[1].split("\n}\n", 1)[0]
    arms = re.findall(r"^    \(?([a-z_][a-z_| -]*)\)$", body, re.MULTILINE)
    return [[verb.strip() for verb in arm.split("|")] for arm in arms]


def wrapper_verbs(kind: str) -> list[str]:
    """The verbs of the wrapper's first case arm (the ones whose output is evaluated)."""
    arms = wrapper_arms(kind)
    assert arms, f"no `case` in {kind}'s wrapper"
    return arms[0]


def sections(kind: str) -> list[str]:
    return re.findall(r"^# --- (.+) ---$", text(kind), re.MULTILINE)


def test_wrapper_evaluates_exactly_the_verbs_that_change_the_environment() -> None:
    expected = [verb.name for verb in spec.VERBS if verb.changes_env]
    assert expected  # (use, clear, refresh)
    for kind in KINDS:
        assert wrapper_verbs(kind) == expected, kind


def test_wrapper_runs_the_baseline_verbs_with_the_baseline() -> None:
    """exec, export, credential-process, login, logout: the second arm of every wrapper."""
    expected = [verb.name for verb in spec.VERBS if verb.baseline]
    assert "exec" in expected
    for kind in KINDS:
        assert sorted(wrapper_arms(kind)[1]) == sorted(expected), kind


@pytest.mark.parametrize("kind", KINDS)
def test_functions_are_the_readmes_table_plus_declared_helpers(kind: str, tmp_path: Path) -> None:
    common, readme = readme_functions()
    assert len(common) >= 10, common
    defined, _ = loaded(kind, tmp_path)
    assert defined == common | EXTRAS[kind]
    # The helpers of one dialect are documented too.
    for name in EXTRAS[kind]:
        assert f"`{name}`" in readme, name
    # And what is written in the file is what the shell defined (nothing made up at run time).
    pattern = r"^\s*function (__stsenv_\w+)" if kind == "fish" else r"^\s*(__stsenv_\w+)\(\) \{"
    assert set(re.findall(pattern, text(kind), re.MULTILINE)) == defined


def test_sections_are_the_same_and_in_the_same_order() -> None:
    found = {kind: sections(kind) for kind in KINDS}
    assert len(found["bash"]) >= 10, found["bash"]
    assert len(set(found["bash"])) == len(found["bash"]), "a section twice"
    assert found["zsh"] == found["bash"]
    assert found["fish"] == found["bash"]
    # The private state is reset before the hook sets any of its own.
    assert found["bash"][0] == "load-time reset"


@pytest.mark.parametrize("kind", KINDS)
def test_managed_names_are_envchanges(kind: str, tmp_path: Path) -> None:
    _, names = loaded(kind, tmp_path)
    assert len(names) == len(set(names)), names
    assert set(names) == set(MANAGED_VARS) | {"STSENV_TARGET"}
    # Written once per file (one variable), never as a second list elsewhere.
    assert len(re.findall(r"AWS_SESSION_EXPIRATION", text(kind))) == 1
