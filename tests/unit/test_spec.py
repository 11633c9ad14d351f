"""The fast parser and the typer app are built from one table; they must agree."""

from __future__ import annotations

import pytest

from stsenv import spec


def use_values(args: list[str]) -> dict[str, str | bool | list[str] | None] | None:
    return spec.parse_fast(spec.BY_NAME["use"], args)


def test_plain_forms_are_parsed() -> None:
    values = use_values(["s3Full", "--duration", "45m", "--region=eu-west-1", "--refresh"])
    assert values is not None
    assert values["target"] == "s3Full"
    assert values["duration"] == "45m"
    assert values["region"] == "eu-west-1"
    assert values["refresh"] is True
    assert values["profile"] is None


def test_double_dash_makes_a_dash_target_positional() -> None:
    assert use_values(["--", "-odd"]) == {**use_values(["x"]), "target": "-odd"}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "args",
    [
        ["x", "--help"],
        ["x", "-h"],
        ["x", "--nope"],
        ["x", "--duration"],  # missing value
        ["x", "--refresh=yes"],  # a flag takes no value
        ["x", "y"],  # too many positionals
    ],
)
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    assert use_values(args) is None


def test_typer_app_has_exactly_the_specs_options() -> None:
    import os

    import typer

    from stsenv.cli import build_app
    from stsenv.settings import Settings

    group = typer.main.get_command(build_app(Settings.from_env(os.environ)))
    for verb in spec.VERBS:
        command = group.commands[verb.name]  # type: ignore[attr-defined]
        typer_flags = {
            opt for p in command.params for opt in getattr(p, "opts", []) if opt.startswith("--")
        }
        typer_flags.discard("--help")
        spec_flags = {p.flag for p in verb.params if p.flag}
        assert typer_flags == spec_flags, verb.name
