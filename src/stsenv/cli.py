"""Command line: parse, call, print; errors become one `stsenv:` line and an exit code.

Verbs and options are defined once in spec.py. Plain invocations are parsed there
directly; help, completion and every usage error go through the typer app built from
the same table (importing typer costs more than the hot verbs' whole budget).
"""

from __future__ import annotations

import os
import sys
import time

from stsenv import spec
from stsenv.errors import EnvironmentProblem, StsenvError, UsageError
from stsenv.settings import Settings

# Runtime imports of typing/collections.abc cost milliseconds the fast verbs do not have.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from stsenv.shells import Shell

    Handler = Callable[..., int]


def hook(settings: Settings, shell: str | None) -> int:
    from stsenv import shells

    name = shell or _detect_shell()
    with open(shells.hook_file(name), encoding="utf-8") as source:
        sys.stdout.write(source.read())
    return 0


def _detect_shell() -> str:
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        raise UsageError(
            "could not tell which shell this is: name it, e.g. `stsenv hook zsh`"
        ) from None
    return str(name)


def _rc_line() -> str:
    shell = os.path.basename(os.environ.get("SHELL", "")) or "bash"
    if shell == "fish":
        return "`stsenv hook fish | source` to ~/.config/fish/config.fish"
    rc = "~/.zshrc" if shell == "zsh" else "~/.bashrc"
    return f'`eval "$(stsenv hook {"zsh" if shell == "zsh" else "bash"})"` to {rc}'


def _hooked_shell(settings: Settings, verb: str) -> Shell:
    """The shell whose hook called us; refuse to print credentials anywhere else."""
    from stsenv import shells

    if settings.shell is None:
        raise EnvironmentProblem(
            f"`stsenv {verb}` changes your shell through its hook, which is not loaded: "
            f"add {_rc_line()} and open a new shell"
        )
    return shells.get(settings.shell)


def ask_on_terminal(prompt: str) -> str:
    """Read one line from the terminal: stdout belongs to the hook, which evals it."""
    try:
        # Two streams: a terminal is not seekable, so open(..., "r+") would always fail.
        with (
            open("/dev/tty", "w", encoding="utf-8") as out,
            open("/dev/tty", encoding="utf-8") as tty,
        ):
            out.write(prompt)
            out.flush()
            return tty.readline().strip()
    except OSError:
        raise EnvironmentProblem(
            "an MFA code is needed and there is no terminal to ask on: pass --token-code"
        ) from None


def refuse_to_ask(prompt: str) -> str:
    """The prompt hook's auto-refresh (STSENV_NO_INPUT=1) must not stop at a question."""
    raise EnvironmentProblem(
        "an MFA code is needed to renew this role, so it was not renewed automatically: "
        "run `stsenv refresh`"
    )


def use(settings: Settings, **options: Any) -> int:
    from stsenv import session
    from stsenv.model import UseRequest

    shell = _hooked_shell(settings, "use")
    quiet = bool(options.pop("quiet", False))
    now = int(time.time())
    if options.get("target") is None:
        from stsenv.roles import pick_target

        options["target"] = pick_target(os.environ, settings, now)
    ask = refuse_to_ask if settings.no_input else ask_on_terminal
    change, role = session.use(UseRequest(**options), os.environ, settings, now, ask)
    sys.stdout.write(shell.render(change))
    if not (quiet or settings.quiet):
        left = role.credentials.expiration - now
        until = time.strftime("%H:%M UTC", time.gmtime(role.credentials.expiration))
        print(f"stsenv: {role.display_name} is active for {left // 60}m, until {until}",
              file=sys.stderr)  # fmt: skip
    return 0


def clear(settings: Settings) -> int:
    # The hook restores its baseline itself before evaluating what we print; a clear
    # needs no further change, so this only checks it was called through the hook.
    _hooked_shell(settings, "clear")
    return 0


def status(settings: Settings, json: bool) -> int:
    from stsenv import session

    info = session.status(os.environ, int(time.time()))
    if json:
        import json as json_module

        print(
            json_module.dumps(
                {
                    "role": info.role,
                    "arn": info.arn,
                    "account": info.account,
                    "expiration": info.expiration,
                    "remaining_seconds": info.remaining_seconds,
                }
            )
        )
        return 0
    minutes, seconds = divmod(info.remaining_seconds, 60)
    rows = [
        ("role", info.role),
        ("arn", info.arn),
        ("account", info.account),
        ("expiration", info.expiration),
        ("remaining", f"{minutes}m {seconds:02d}s"),
        ("access key", info.access_key),
    ]
    for label, value in rows:
        print(f"{label:<11} {value}")
    return 0


def _elsewhere(name: str) -> Handler:
    """A verb of stsenv.elsewhere, imported only when that verb runs."""

    def run(settings: Settings, **values: Any) -> int:
        from stsenv import elsewhere

        handler: Handler = getattr(elsewhere, name)
        return handler(settings, **values)

    return run


HANDLERS: dict[str, Handler] = {"hook": hook, "use": use, "clear": clear, "status": status}
HANDLERS.update(
    {
        verb: _elsewhere(verb.replace("-", "_"))
        for verb in ("refresh", "roles", "export", "credential-process", "console", "exec")
    }
)


def _completion(settings: Settings, shell: str | None) -> int:
    from stsenv import shells

    name = shell or _detect_shell()
    with open(shells.completion_file(name), encoding="utf-8") as source:
        sys.stdout.write(source.read())
    return 0


def _doctor(settings: Settings, json: bool) -> int:
    from stsenv import doctor

    return doctor.run(settings, os.environ, json)


HANDLERS.update({"completion": _completion, "doctor": _doctor})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env(os.environ)
    if args[:1] == ["__complete"]:  # the shells' TAB completion (shell/completion/), not a verb
        from stsenv.completion import complete

        return complete(args[1:], os.environ, settings)
    try:
        verb = spec.BY_NAME.get(args[0]) if args else None
        values = spec.parse_fast(verb, args[1:]) if verb else None
        if verb is not None and values is not None:
            return HANDLERS[verb.name](settings, **values)
        return _run_typer(args, settings)
    except StsenvError as error:
        if settings.debug:
            raise
        print(f"stsenv: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("stsenv: interrupted; nothing was changed", file=sys.stderr)
        return 130


def _run_typer(args: list[str], settings: Settings) -> int:
    import typer
    from typer.exceptions import TyperException

    command = typer.main.get_command(build_app(settings))
    args = args or ["--help"]
    try:
        result = command.main(args, prog_name="stsenv", standalone_mode=False)
    except TyperException as error:
        message = str(error.format_message() if hasattr(error, "format_message") else error)
        where = f"stsenv {args[0]}" if args[0] in spec.BY_NAME else "stsenv"
        raise UsageError(f"{message.rstrip('.')}. See `{where} --help`.") from None
    return result if isinstance(result, int) else 0


def build_app(settings: Settings) -> Any:
    """The typer app, generated from spec.VERBS so help and parsing never disagree."""
    import inspect

    import typer

    from stsenv import __version__

    def show_version(value: bool) -> None:
        if value:
            print(f"stsenv {__version__}")
            raise typer.Exit()

    app = typer.Typer(
        name="stsenv",
        help="AWS IAM roles as easy as cd: assume a role into this shell, see its minutes "
        "left in the prompt, and have it cleared at expiry.",
        add_completion=False,
        pretty_exceptions_enable=False,
        epilog="Examples:  stsenv use s3Full --duration 2h  |  stsenv status --json  |  "
        "stsenv clear  |  stsenv exec s3Full -- aws s3 ls  |  stsenv export s3Full --format "
        "env > s3Full.env.  Set-up: eval \"$(stsenv hook zsh)\" in ~/.zshrc (README.md).",
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=show_version, is_eager=True, help="Show the version."
        ),
    ) -> None:
        pass

    for verb in spec.VERBS:
        parameters = []
        for param in verb.params:
            if param.flag is None:
                default = typer.Argument(
                    ... if param.required else None,
                    help=param.help,
                    metavar=param.metavar,
                    show_default=False,
                )
                annotation: Any = str if param.required else (str | None)
                if param.variadic:
                    annotation = list[str] | None
            elif param.boolean:
                default = typer.Option(False, param.flag, help=param.help)
                annotation = bool
            else:
                default = typer.Option(
                    None, param.flag, help=param.help, metavar=param.metavar, show_default=False
                )
                annotation = str | None
            parameters.append(
                inspect.Parameter(
                    param.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=default,
                    annotation=annotation,
                )
            )

        def run(_verb: spec.Verb = verb, **values: object) -> int:
            return HANDLERS[_verb.name](settings, **values)

        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__doc__ = verb.help
        app.command(verb.name, help=verb.help)(run)
    return app
