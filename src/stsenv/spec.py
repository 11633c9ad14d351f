"""The one definition of every verb and option.

Both the typer app (help, completion, error messages) and the fast path in cli.py are
built from this table, so a verb or option is written down exactly once. The fast path
exists because importing typer alone costs ~45 ms, more than the whole budget of
`stsenv hook` and a cached `stsenv use` (DESIGN.md section 3).
"""

from __future__ import annotations


class Param:
    __slots__ = ("boolean", "flag", "help", "metavar", "name", "required")

    def __init__(
        self,
        name: str,
        help: str,
        flag: str | None = None,
        boolean: bool = False,
        required: bool = False,
        metavar: str = "",
    ) -> None:
        self.name = name  # the handler's keyword argument
        self.help = help
        self.flag = flag  # "--duration"; None for a positional argument
        self.boolean = boolean  # a flag that takes no value
        self.required = required  # for positional arguments
        self.metavar = metavar


class Verb:
    __slots__ = ("changes_env", "help", "name", "params")

    def __init__(
        self, name: str, help: str, params: tuple[Param, ...] = (), changes_env: bool = False
    ) -> None:
        self.name = name
        self.help = help
        self.params = params
        self.changes_env = changes_env  # the hook's wrapper evals stdout (shell/README.md)


JSON = Param("json", "Print JSON instead of text.", flag="--json", boolean=True)

VERBS: tuple[Verb, ...] = (
    Verb(
        "hook",
        'Print the shell hook to load in your rc file, e.g. eval "$(stsenv hook zsh)".',
        (Param("shell", "bash, zsh or fish (detected when omitted).", metavar="SHELL"),),
    ),
    Verb(
        "use",
        "Assume a role and export its credentials into this shell.",
        (
            Param(
                "target",
                "Alias from stsenv's config, AWS profile with role_arn, role ARN or role name.",
                required=True,
                metavar="TARGET",
            ),
            Param(
                "duration",
                "Session length: 15m to 12h, e.g. 45m, 1h, 3600.",
                flag="--duration",
                metavar="DURATION",
            ),
            Param(
                "session_name",
                "Role session name (default: <role>-session).",
                flag="--session-name",
                metavar="NAME",
            ),
            Param(
                "profile",
                "AWS profile whose credentials assume the role.",
                flag="--profile",
                metavar="PROFILE",
            ),
            Param(
                "region",
                "Region to export as AWS_REGION and AWS_DEFAULT_REGION.",
                flag="--region",
                metavar="REGION",
            ),
            Param(
                "mfa_serial",
                "ARN of the MFA device the role requires.",
                flag="--mfa-serial",
                metavar="ARN",
            ),
            Param(
                "token_code",
                "Current MFA code (asked on the terminal when omitted).",
                flag="--token-code",
                metavar="CODE",
            ),
            Param(
                "external_id",
                "External ID the role's trust policy requires.",
                flag="--external-id",
                metavar="ID",
            ),
            Param(
                "refresh",
                "Assume again even if cached credentials are still fresh.",
                flag="--refresh",
                boolean=True,
            ),
        ),
        changes_env=True,
    ),
    Verb(
        "clear",
        "Put this shell's environment back as it was before the first use.",
        changes_env=True,
    ),
    Verb("status", "Show the active role and the time it has left (no network call).", (JSON,)),
)

BY_NAME = {verb.name: verb for verb in VERBS}


def parse_fast(verb: Verb, args: list[str]) -> dict[str, str | bool | None] | None:
    """Parse the plain forms of `args` for `verb`; None means "let typer handle it".

    Only `--opt value`, `--opt=value`, boolean flags and positionals in order are taken;
    anything else (help, short options, unknown or missing values) goes to typer, which
    owns every message about usage.
    """
    values: dict[str, str | bool | None] = {
        p.name: (False if p.boolean else None) for p in verb.params
    }
    options = {p.flag: p for p in verb.params if p.flag}
    positionals = [p for p in verb.params if p.flag is None]
    i = 0
    only_positionals = False
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--" and not only_positionals:
            only_positionals = True
            continue
        if arg.startswith("-") and not only_positionals:
            flag, eq, inline = arg.partition("=")
            param = options.get(flag)
            if param is None:
                return None
            if param.boolean:
                if eq:
                    return None
                values[param.name] = True
            elif eq:
                values[param.name] = inline
            elif i < len(args):
                values[param.name] = args[i]
                i += 1
            else:
                return None
            continue
        if not positionals:
            return None
        values[positionals.pop(0).name] = arg
    if any(p.required for p in positionals):
        return None
    return values
