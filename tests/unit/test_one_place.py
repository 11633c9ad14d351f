"""One place per fact. Where a fact is written once, these tests keep it so (a copy that
creeps back fails here); where a copy must stay, the test says why and holds it equal."""

from __future__ import annotations

import re
from pathlib import Path

import stsenv
from stsenv import exports, limits, shells, spec
from stsenv.commands import complete

REPO = Path(__file__).resolve().parents[2]


def test_export_formats_are_one_list() -> None:
    """spec.EXPORT_FORMATS: what `--format` completes and its help names, what
    exports.check_format accepts (tests/unit/test_export_quoting.py reads each back)."""
    param = next(p for p in spec.BY_NAME["export"].params if p.flag == "--format")
    assert param.choices is spec.EXPORT_FORMATS
    assert exports.FORMATS is spec.EXPORT_FORMATS
    for name in spec.EXPORT_FORMATS:
        assert re.search(rf"\b{name}\b", param.help), name


def test_readme_names_every_export_format() -> None:
    """README's "Formats:" paragraph is the user's copy of the list."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Formats: `env`") :].split("\n\n")[0]
    assert set(re.findall(r"`([a-z]+)`", paragraph)) == set(spec.EXPORT_FORMATS)


def test_duration_help_is_limits_range() -> None:
    """spec.py cannot import limits.py (same layer), so its help texts carry the range."""
    text = f"15m to {limits.MAX_DURATION // 3600}h"
    assert limits.MIN_DURATION == 15 * 60
    helps = [p.help for v in spec.VERBS for p in v.params if p.flag == "--duration"]
    assert helps and all(text in help for help in helps)


def test_shells_are_one_list() -> None:
    """spec.SHELL_NAMES: `hook`/`completion`'s values and help, TAB completion's shells.
    The registry (shells.SHELLS) maps each to its quoting and needs a hook file and a
    completion script for each: a shell added to one but not the others fails here."""
    assert tuple(shells.SHELLS) == spec.SHELL_NAMES
    assert complete.SHELLS is spec.SHELL_NAMES
    for verb in ("hook", "completion"):
        (param,) = spec.BY_NAME[verb].params
        assert param.choices is spec.SHELL_NAMES
    for name in spec.SHELL_NAMES:
        assert Path(shells.hook_file(name)).is_file()
        assert Path(shells.completion_file(name)).is_file()


def test_hook_files_carry_the_programs_version() -> None:
    """The version is written in src/stsenv/__init__.py and copied into each hook file.

    A copy, held equal here, rather than stamped by `stsenv hook` when it prints the file:
    the files are also sourced directly, with no Python at shell start-up (the zsh plugin,
    stsenv.plugin.zsh, and the fisher conf.d copy in the wheel), and a stamped placeholder
    would tell `stsenv doctor` nothing there. Bump all four together."""
    for shell in spec.SHELL_NAMES:
        text = (REPO / "shell" / f"stsenv.{shell}").read_text(encoding="utf-8")
        found = re.findall(r"__stsenv_hook_version[= ](\S+) ", text)
        assert found == [stsenv.__version__], shell


def test_root_options_are_the_typer_apps() -> None:
    """spec.ROOT_OPTIONS: what TAB offers before a verb, and the app's own options."""
    import os

    import typer

    from stsenv.cli import build_app
    from stsenv.settings import Settings

    group = typer.main.get_command(build_app(Settings.from_env(os.environ)))
    context = group.make_context("stsenv", [], resilient_parsing=True)
    options = {opt for param in group.get_params(context) for opt in getattr(param, "opts", [])}
    assert options == {flag for flag, _help in spec.ROOT_OPTIONS}
