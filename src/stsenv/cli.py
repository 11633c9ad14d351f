"""Command line: parse, dispatch, and turn every failure into one `stsenv:` line and an exit code.

Verbs and options are defined once in spec.py, each with its handler's module under
stsenv.commands (imported only when the verb runs). Plain invocations are parsed there
directly; help, completion and every usage error go through the typer app built from
the same table (importing typer costs more than the hot verbs' whole budget).
"""

from __future__ import annotations

import os
import sys

from stsenv import spec
from stsenv.errors import StsenvError, UsageError
from stsenv.inert import inert
from stsenv.settings import Settings

# Runtime imports of typing/collections.abc cost milliseconds the fast verbs do not have.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Handler = Callable[..., int]

UNEXPECTED_EXIT = 70  # EX_SOFTWARE: a failure stsenv has no message for (a bug to report)


def handler(verb: spec.Verb) -> Handler:
    """The verb's function in stsenv.commands.<module>, imported now."""
    module = __import__(f"stsenv.commands.{verb.module}", fromlist=["_"])
    found: Handler = getattr(module, verb.name.replace("-", "_"))
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env(os.environ)
    try:
        if args[:1] == ["__complete"]:  # the shells' TAB completion (shell/completion/)
            from stsenv.commands.complete import complete

            return complete(args[1:], os.environ, settings)
        verb = spec.BY_NAME.get(args[0]) if args else None
        values = spec.parse_fast(verb, args[1:]) if verb else None
        if verb is not None and values is not None:
            return handler(verb)(settings, **values)
        return _run_typer(args, settings)
    except StsenvError as error:
        if settings.debug:
            raise
        # Messages quote servers, portals and config files: nothing reaches the terminal raw.
        print(f"stsenv: {inert(error.message)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("stsenv: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except Exception as error:
        if settings.debug:
            raise
        print(
            f"stsenv: unexpected {type(error).__name__}: {_one_line(error)} (nothing was "
            "changed; run again with STSENV_DEBUG=1 to see the traceback, and report it)",
            file=sys.stderr,
        )
        return UNEXPECTED_EXIT


def _one_line(error: BaseException) -> str:
    # str() of an exception may be long or hold several lines; never a secret of ours (the
    # model's reprs hide them).
    text = inert(" ".join(str(error).split()))
    return text[:160] + ("..." if len(text) > 160 else "")


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
        # Plain help: typer 0.29's rich panels show every boolean flag as `--force <bool>`
        # (tests/unit/test_help.py).
        rich_markup_mode=None,
        epilog="Examples:  stsenv use s3Full --duration 2h  |  stsenv login  |  stsenv use "
        "dev-admin  |  stsenv roles --sso  |  stsenv status --json  |  stsenv clear  |  "
        "stsenv exec --server s3Full -- terraform apply  |  stsenv export s3Full --output "
        's3Full.env.  Set-up: eval "$(stsenv hook zsh)" in ~/.zshrc (README.md).',
    )

    version_flag, version_help = spec.ROOT_OPTIONS[0]

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, version_flag, callback=show_version, is_eager=True, help=version_help
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
            return handler(_verb)(settings, **values)

        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__doc__ = verb.help
        app.command(verb.name, help=verb.help, hidden=verb.hidden)(run)
    return app
