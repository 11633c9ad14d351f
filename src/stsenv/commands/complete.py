"""TAB completion: the candidates for the word being completed, computed from spec.py.

The shell side (shell/completion/stsenv.<shell>, printed by `stsenv completion SHELL`) is
a few lines per shell that call

    stsenv __complete SHELL WORD... CURRENT

with the words typed after `stsenv` and the (possibly empty) word under the cursor, and
offers the lines printed: one candidate each, followed for zsh and fish by a description.

This runs at every TAB, so it imports neither typer nor botocore: the names come from
stsenv.catalog, which reads config.toml and the AWS files with the standard library.
Nothing here ever fails loudly: a broken config simply offers fewer candidates.
"""

from __future__ import annotations

import sys

from stsenv import spec
from stsenv.inert import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from stsenv.settings import Settings

SHELLS = spec.SHELL_NAMES  # the shells with a completion script


def complete(args: list[str], environ: Mapping[str, str], settings: Settings) -> int:
    """`stsenv __complete SHELL WORD... CURRENT`: print the candidates; always exit 0."""
    if len(args) < 2 or args[0] not in SHELLS:
        return 0
    shell, words, current = args[0], args[1:-1], args[-1]
    prefix = ""
    if shell == "bash":
        # bash splits `--format=js` into `--format` `=` `js`: complete the value after `=`
        # (right after the `=` itself, that word is replaced, so it is given back).
        if words and current == "=" and words[-1].startswith("--"):
            current, prefix = "", "="
        elif len(words) >= 2 and words[-1] == "=" and words[-2].startswith("--"):
            words = words[:-1]
    lines = []
    for value, description in candidates(words, current, environ, settings):
        # Names come from config files and portals: one a terminal would act on cannot be
        # typed as a target and is not offered; a description is shown escaped.
        if not value.isprintable():
            continue
        description = inert(description)
        if shell == "bash":
            lines.append(prefix + value)
        elif shell == "zsh":  # _describe's "value:description", ':' escaped in the value
            lines.append(value.replace("\\", "\\\\").replace(":", "\\:") + ":" + description)
        else:
            lines.append(f"{value}\t{description}" if description else value)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def candidates(
    words: list[str], current: str, environ: Mapping[str, str], settings: Settings
) -> list[tuple[str, str]]:
    """(value, description) pairs starting with `current`, for `stsenv WORDS CURRENT`."""
    if not words:
        if current.startswith("-"):
            return _matching(spec.ROOT_OPTIONS, current)
        return _matching([(v.name, v.help) for v in spec.VERBS if not v.hidden], current)
    verb = spec.BY_NAME.get(words[0])
    if verb is None:
        return []
    flags = {p.flag: p for p in verb.params if p.flag}
    positionals = [p for p in verb.params if p.flag is None]
    used: set[str] = set()
    waiting: spec.Param | None = None  # an option whose value comes next
    only_positionals = False
    for word in _rejoin_bash_equals(words[1:]):
        if waiting is not None:
            waiting = None
        elif word == "--" and not only_positionals:
            only_positionals = True
        elif word.startswith("-") and not only_positionals:
            param = flags.get(word.partition("=")[0])
            if param is not None:
                used.add(word.partition("=")[0])
                if not param.boolean and "=" not in word:
                    waiting = param
        elif positionals and not positionals[0].variadic:
            positionals.pop(0)
        elif positionals:
            return []  # a command for `exec`: the shell's own business
    if waiting is not None:
        return _matching(_values(waiting, environ, settings), current)
    if current.startswith("--") and "=" in current and not only_positionals:
        flag, _eq, value = current.partition("=")
        param = flags.get(flag)
        if param is None or param.boolean:
            return []
        found = _matching(_values(param, environ, settings), value)
        return [(f"{flag}={v}", d) for v, d in found]
    if current.startswith("-") and not only_positionals:
        options = [(p.flag, p.help) for p in verb.params if p.flag and p.flag not in used]
        return _matching([*options, ("--help", "Show the help.")], current)
    if positionals and not positionals[0].variadic:
        found = _matching(_values(positionals[0], environ, settings), current)
        # A name that starts with `-` would be taken for an option: it is offered after
        # `--` (`stsenv use -- -dash`), where it is a name.
        return found if only_positionals else [(v, d) for v, d in found if v[:1] != "-"]
    return []


def _rejoin_bash_equals(words: list[str]) -> list[str]:
    """bash's COMP_WORDS split `--opt=value` at `=`; put such words back together."""
    joined: list[str] = []
    for word in words:
        if joined and (word == "=" or joined[-1].endswith("=")) and joined[-1].startswith("--"):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _matching(pairs: Iterable[tuple[str, str]], current: str) -> list[tuple[str, str]]:
    return [(v, d) for v, d in pairs if v.startswith(current)]


def _values(
    param: spec.Param, environ: Mapping[str, str], settings: Settings
) -> list[tuple[str, str]]:
    if param.choices:
        return [(choice, "") for choice in param.choices]
    from stsenv import catalog

    if param.name == "target":
        return catalog.role_targets(environ, settings)
    if param.name == "profile":
        return [(name, "AWS profile") for name in catalog.aws_profile_sections(environ)]
    return []
