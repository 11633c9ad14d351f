"""The `use` arguments as one environment value, so that `refresh` can assume the same role
with the same options: a JSON list in the argv form that spec.parse_fast reads back.

The MFA code is never kept (it is single-use, and a secret while it is valid); `--refresh`
is implied by `refresh` itself. The value is only ever parsed as JSON, never evaluated.
"""

from __future__ import annotations

import json

from stsenv import spec
from stsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.model import UseRequest

_NOT_KEPT = ("token_code", "refresh")


def encode(request: UseRequest) -> str:
    args: list[str] = []
    for param in spec.ASSUME_OPTIONS:
        value = getattr(request, param.name)
        if param.name in _NOT_KEPT or not value:
            continue
        if param.boolean:
            args.append(str(param.flag))
        elif isinstance(value, str):
            args.append(f"{param.flag}={value}")  # `=`: a value starting with `-` stays a value
    args += ["--", request.target]  # a target starting with `-` stays the target
    return json.dumps(args, separators=(",", ":"))


def decode(text: str) -> dict[str, str | bool | list[str] | None]:
    """The `use` options to assume again; a damaged value is a usage error."""
    try:
        args = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested past the stack
        args = None
    values = None
    if isinstance(args, list) and all(isinstance(a, str) for a in args):
        values = spec.parse_fast(spec.BY_NAME["use"], args)
    if values is None or not values.get("target"):  # never the picker of a bare `use`
        raise UsageError(
            "STSENV_USE_ARGS does not hold the arguments of a `stsenv use`: "
            "run `stsenv use TARGET` again"
        )
    values["token_code"] = None
    values["refresh"] = True
    return values
