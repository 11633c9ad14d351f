"""The one definition of every verb and option.

Both the typer app (help, completion, error messages) and the fast path in cli.py are
built from this table, so a verb or option is written down exactly once. The fast path
exists because importing typer alone costs ~45 ms, more than the whole budget of
`stsenv hook` and a cached `stsenv use` (docs/DESIGN.md, "What it may cost").
"""

from __future__ import annotations


class Param:
    __slots__ = ("boolean", "choices", "flag", "help", "metavar", "name", "required", "variadic")

    def __init__(
        self,
        name: str,
        help: str,
        flag: str | None = None,
        boolean: bool = False,
        required: bool = False,
        metavar: str = "",
        variadic: bool = False,
        choices: tuple[str, ...] = (),
    ) -> None:
        # The handler's keyword argument (tests/unit/test_handler_signatures.py binds them);
        # it need not be the flag's name: --format arrives as export_format.
        self.name = name
        self.help = help
        self.flag = flag  # "--duration"; None for a positional argument
        self.boolean = boolean  # a flag that takes no value
        self.required = required  # for positional arguments
        self.metavar = metavar
        self.variadic = variadic  # last positional: takes every remaining one (a list)
        self.choices = choices  # the values TAB completion offers (the handler still checks)


class Verb:
    __slots__ = ("baseline", "changes_env", "help", "hidden", "module", "name", "params")

    def __init__(
        self,
        name: str,
        help: str,
        params: tuple[Param, ...] = (),
        changes_env: bool = False,
        module: str = "",
        baseline: bool = False,
        hidden: bool = False,
    ) -> None:
        self.name = name
        self.help = help
        self.params = params
        # The hook's wrapper evals stdout (shell/README.md; tests/unit/test_shell_contract.py
        # holds the wrappers' verb lists to this).
        self.changes_env = changes_env
        # The handler: stsenv.commands.<module>.<name with - as _>, imported when it runs.
        self.module = module or name.replace("-", "_")
        # The hook's wrapper runs it with the shell's baseline, so that its credentials come
        # from the user's own source (a baseline AWS_PROFILE too), not from the active role.
        self.baseline = baseline
        # Called by the hook only (not in --help): the prompt hook's own verbs.
        self.hidden = hidden


# Lists that more than one part needs, written once here (spec.py costs the fast path
# nothing more): the shells with a hook (shells.SHELLS holds one entry each; the named test
# tests/unit/test_one_place.py keeps them equal) and the formats of `stsenv export`
# (exports.render writes each).
SHELL_NAMES = ("bash", "zsh", "fish")
EXPORT_FORMATS = ("env", "dotenv", "json", "bash", "zsh", "fish", "powershell")
# The options before a verb (`stsenv --version`): TAB offers them, the typer app has them.
ROOT_OPTIONS = (("--version", "Show the version."), ("--help", "Show the help."))


def one_of(names: tuple[str, ...]) -> str:
    """("a", "b", "c") as "a, b or c", for help texts."""
    return f"{', '.join(names[:-1])} or {names[-1]}"


PROJECT_PATH = Param(
    "path",
    "A .stsenv.toml, or the directory holding one (default: the nearest one from here up).",
    metavar="[PATH]",
)
JSON = Param("json", "Print JSON instead of text.", flag="--json", boolean=True)
SHELL = Param(
    "shell",
    f"{one_of(SHELL_NAMES)} (detected when omitted).",
    metavar="SHELL",
    choices=SHELL_NAMES,
)
TARGET = Param(
    "target",
    "Alias from stsenv's config, AWS profile (role, IAM Identity Center, keys, "
    "credential_process), role ARN, ACCOUNT/ROLE of an IAM Identity Center sign-in, or role name.",
    required=True,
    metavar="TARGET",
)
SSO_SESSION = Param(
    "sso_session",
    "The [sso-session NAME] of the AWS config (default: AWS_PROFILE's, or the only one).",
    flag="--sso-session",
    metavar="NAME",
)
# The options that choose a role session, shared by every verb that gets one.
ASSUME_OPTIONS = (
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
    Param(
        "no_mfa_session",
        "Ask for an MFA code at this AssumeRole instead of using a cached MFA session "
        "(which caps the role session at 1h).",
        flag="--no-mfa-session",
        boolean=True,
    ),
)

VERBS: tuple[Verb, ...] = (
    Verb(
        "hook",
        'Print the shell hook to load in your rc file, e.g. eval "$(stsenv hook zsh)".',
        (SHELL,),
    ),
    Verb(
        "use",
        "Assume a role and export its credentials into this shell.",
        (
            Param(
                "target",
                TARGET.help + " Omitted: pick one on the terminal.",
                metavar="[TARGET]",
            ),
            *ASSUME_OPTIONS,
            Param(
                "quiet",
                "No line on stderr when it works (errors are still shown); STSENV_QUIET=1 "
                "makes it the default.",
                flag="--quiet",
                boolean=True,
            ),
            Param(
                "login",
                "Sign in to IAM Identity Center first if the target's sign-in is missing or "
                "expired (without it, `use` never starts a sign-in).",
                flag="--login",
                boolean=True,
            ),
        ),
        changes_env=True,
    ),
    Verb(
        "clear",
        "Put this shell's environment back as it was before the first use.",
        changes_env=True,
        module="use",
    ),
    Verb("status", "Show the active role and the time it has left (no network call).", (JSON,)),
    Verb(
        "refresh",
        "Assume the active role again, with the options it was started with.",
        changes_env=True,
        module="use",
    ),
    Verb(
        "export",
        "Print a role's credentials for other tools, e.g. > s3Full.env (not to a terminal).",
        (
            TARGET,
            Param(
                "export_format",
                f"{EXPORT_FORMATS[0]} (export lines, the default), {one_of(EXPORT_FORMATS[1:])}.",
                flag="--format",
                metavar="FORMAT",
                choices=EXPORT_FORMATS,
            ),
            Param(
                "force",
                "Print the secrets even when stdout is a terminal.",
                flag="--force",
                boolean=True,
            ),
            Param(
                "output",
                "Write them to FILE instead (0600, replaced atomically, never through a symlink).",
                flag="--output",
                metavar="FILE",
            ),
            *ASSUME_OPTIONS,
        ),
        baseline=True,
    ),
    Verb(
        "roles",
        "List aliases and AWS profiles with source, duration and session (no network); "
        "--sso: every account and role of an IAM Identity Center sign-in.",
        (
            JSON,
            Param(
                "sso",
                "List the accounts and roles of an IAM Identity Center sign-in (ACCOUNT/ROLE "
                "targets); cached for an hour.",
                flag="--sso",
                boolean=True,
            ),
            SSO_SESSION,
            Param(
                "refresh",
                "With --sso: list again, not from the cache.",
                flag="--refresh",
                boolean=True,
            ),
        ),
    ),
    Verb(
        "login",
        "Sign in to IAM Identity Center, or a login_session profile's console session, in the "
        "browser (device code or pasted code without one); the AWS CLI and SDKs share it.",
        (
            Param(
                "profile",
                "Sign in for this AWS profile's sign-in.",
                flag="--profile",
                metavar="PROFILE",
            ),
            SSO_SESSION,
            Param(
                "no_browser",
                "Print the address and code only; open no browser.",
                flag="--no-browser",
                boolean=True,
            ),
            Param(
                "remote",
                "As --no-browser (the name `aws login` gives it): sign in on "
                "another device and paste back the code.",
                flag="--remote",
                boolean=True,
            ),
        ),
        baseline=True,
    ),
    Verb(
        "logout",
        "Sign out of IAM Identity Center (or a login_session profile's console session) and "
        "forget the role credentials cached from it.",
        (
            Param(
                "profile",
                "Sign out of this AWS profile's sign-in.",
                flag="--profile",
                metavar="PROFILE",
            ),
            SSO_SESSION,
        ),
        module="login",
        baseline=True,
    ),
    Verb(
        "credential-process",
        "Print a role's credentials as AWS credential_process JSON (for ~/.aws/config).",
        (
            TARGET,
            *ASSUME_OPTIONS,
            Param(
                "vault",
                "TARGET is a profile whose key is in the keychain (`stsenv keys add` writes "
                "this line): print a session of that key, cached.",
                flag="--vault",
                boolean=True,
            ),
            Param(
                "long_term",
                "With --vault: print the long-term key itself (for tools that must call IAM "
                "without MFA; read from the keychain every time).",
                flag="--long-term",
                boolean=True,
            ),
        ),
        baseline=True,
    ),
    Verb(
        "keys",
        "Keep IAM user keys in the OS keychain: stsenv keys add|list|rotate|remove [PROFILE].",
        (
            Param(
                "action",
                "add, list, rotate or remove.",
                required=True,
                metavar="ACTION",
                choices=("add", "list", "rotate", "remove"),
            ),
            Param("profile", "The AWS profile of the key.", metavar="[PROFILE]"),
            Param(
                "from_credentials",
                "add: move the profile's key out of the shared credentials (or config) file.",
                flag="--from-credentials",
                boolean=True,
            ),
            Param(
                "stdin",
                "add: read the key id and the secret as two lines on stdin.",
                flag="--stdin",
                boolean=True,
            ),
            Param(
                "token_code",
                "rotate: the current MFA code (asked on the terminal when omitted).",
                flag="--token-code",
                metavar="CODE",
            ),
            JSON,
        ),
    ),
    Verb(
        "console",
        "Open the AWS console as the active role or TARGET (sign-in federation).",
        (
            Param(
                "target",
                TARGET.help + " Omitted: the role active in this shell.",
                metavar="[TARGET]",
            ),
            Param(
                "print_url",
                "Print the sign-in URL instead of opening a browser (the form for another "
                "machine; the local browser gets a private 0600 page, never the URL in argv).",
                flag="--print",
                boolean=True,
            ),
            Param(
                "service", "Open this service's page, e.g. s3.", flag="--service", metavar="SERVICE"
            ),
            Param(
                "duration",
                "Console session length: 15m to 12h (default: AWS's, 1h).",
                flag="--duration",
                metavar="DURATION",
            ),
            Param(
                "switch_role",
                "Print the console's switch-role URL for the role instead (no sign-in).",
                flag="--switch-role",
                boolean=True,
            ),
            *(p for p in ASSUME_OPTIONS if p.name != "duration"),
        ),
    ),
    Verb(
        "exec",
        "Run a command with a role's credentials in its environment only: "
        "stsenv exec [--server] TARGET -- CMD [ARGS...].",
        (
            TARGET,
            Param(
                "command",
                "The command and its arguments, after --.",
                metavar="CMD...",
                variadic=True,
            ),
            Param(
                "nest",
                "Allow running inside another exec of a different role.",
                flag="--nest",
                boolean=True,
            ),
            Param(
                "server",
                "Give CMD a loopback credential endpoint that renews the role while it runs, "
                "instead of keys.",
                flag="--server",
                boolean=True,
            ),
            *ASSUME_OPTIONS,
        ),
        baseline=True,
    ),
    Verb(
        "allow",
        "Trust a project's .stsenv.toml (this directory's or the nearest above, or PATH): "
        "its role follows you into that tree from the next prompt on.",
        (PROJECT_PATH,),
        module="project",
    ),
    Verb(
        "deny",
        "Revoke the trust in a project's .stsenv.toml (this directory's or the nearest "
        "above, or PATH).",
        (PROJECT_PATH,),
        module="project",
    ),
    Verb(
        "__enter",
        "The prompt hook's call when the governing .stsenv.toml changes: its role, if "
        "allowed and no input is needed.",
        (
            Param(
                "path",
                "The .stsenv.toml that governs the shell's directory.",
                required=True,
                metavar="PATH",
            ),
        ),
        changes_env=True,
        module="project",
        hidden=True,
    ),
    Verb(
        "completion",
        f"Print the TAB-completion script for {one_of(SHELL_NAMES)} (the hook loads it by itself).",
        (SHELL,),
        module="hook",
    ),
    Verb(
        "doctor",
        "Check the hook, config, source credentials, cache and clock; say what to fix.",
        (JSON,),
    ),
)

BY_NAME = {verb.name: verb for verb in VERBS}


def parse_fast(verb: Verb, args: list[str]) -> dict[str, str | bool | list[str] | None] | None:
    """Parse the plain forms of `args` for `verb`; None means "let typer handle it".

    Only `--opt value`, `--opt=value`, boolean flags and positionals in order are taken;
    anything else (help, short options, unknown or missing values) goes to typer, which
    owns every message about usage.
    """
    values: dict[str, str | bool | list[str] | None] = {
        p.name: (False if p.boolean else [] if p.variadic else None) for p in verb.params
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
        if positionals[0].variadic:
            rest = values[positionals[0].name]
            assert isinstance(rest, list)
            rest.append(arg)
            continue
        values[positionals.pop(0).name] = arg
    if any(p.required for p in positionals):
        return None
    return values
