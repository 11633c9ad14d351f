"""Each verb's handler (stsenv.commands.<module>.<verb>) takes exactly the parameters
spec.py gives it, by name and kind, so a rename on one side only fails here, not at run
time: cli.py calls every handler as handler(settings, **values), values keyed by
spec.Param.name (the Python name; the flag is Param.flag), from the fast parser and from
the typer app alike.

A handler may take the assume options as **options: those go to model.UseRequest (checked
in its source below), so they are bound to UseRequest's parameters instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from stsenv import spec
from stsenv.cli import handler
from stsenv.model import UseRequest

SINK = inspect.signature(UseRequest).parameters


def annotations_for(param: spec.Param) -> set[str]:
    """The annotations (strings: the handlers use `from __future__ import annotations`)
    that accept what the parsers hand over for `param`."""
    if param.boolean:
        return {"bool"}
    if param.variadic:
        return {"list[str]", "list[str] | None"}
    if param.flag is None and param.required:
        return {"str"}
    return {"str | None"}


def passes_options_to_use_request(function: object, options: str) -> bool:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == UseRequest.__name__
        and any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == options
            for k in node.keywords
        )
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("verb", spec.VERBS, ids=[verb.name for verb in spec.VERBS])
def test_handler_takes_the_specs_parameters(verb: spec.Verb) -> None:
    function = handler(verb)
    where = f"stsenv.commands.{verb.module}.{function.__name__}"
    parameters = list(inspect.signature(function).parameters.values())
    assert parameters[0].name == "settings", where
    by_name = {p.name: p for p in parameters[1:] if p.kind is not inspect.Parameter.VAR_KEYWORD}
    options = next((p.name for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD), None)
    specs = {p.name: p for p in verb.params}

    assert set(by_name) <= set(specs), f"{where} takes what spec.py never gives it"
    for name, parameter in by_name.items():
        assert parameter.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ), f"{where}({name}) cannot be passed by name"
        assert parameter.annotation in annotations_for(specs[name]), f"{where}({name})"
        if specs[name].flag is None and specs[name].required:
            assert parameter.default is inspect.Parameter.empty, f"{where}({name})"

    rest = {name: p for name, p in specs.items() if name not in by_name}
    if options is None:
        assert not rest, f"{where} does not take {sorted(rest)}"
        return
    assert passes_options_to_use_request(function, options), f"{where}: **{options}"
    assert set(rest) <= set(SINK), f"UseRequest does not take {sorted(set(rest) - set(SINK))}"
    for name, param in rest.items():
        assert (SINK[name].annotation == "bool") == param.boolean, f"UseRequest({name})"
