"""Every config of the corpus (tests/config_corpus: botocore's and the AWS CLI's own test
configs, and the shapes of issue 20) read by stsenv as botocore reads it.

1. aws/configfile.py (the standard-library reading behind TAB, the picker and `roles`)
   gives exactly botocore's Session.full_config, or refuses exactly the files botocore
   refuses, naming the line and the reason.
2. For every config: `roles`, `roles --json`, `doctor` and TAB (bash, zsh, fish) run through
   stsenv's real entry point (cli.main, in this process: botocore is imported once for
   ~130 configs) and `use` of every profile botocore knows, against the local moto STS;
   each profile's verdict is compared with botocore's own in the same test. Every failure
   is one `stsenv:` line, never "unexpected".
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import exceptions as bx
from support.local_aws import REGION, LocalAws

from stsenv.aws import configfile
from stsenv.aws.source import botocore_sees
from stsenv.cli import UNEXPECTED_EXIT, main
from stsenv.errors import UsageError

CORPUS = Path(__file__).resolve().parents[1] / "config_corpus"
PUBLIC = sorted((CORPUS / "public").iterdir())
SHAPES = sorted((CORPUS / "shapes").glob("*.config"))
NOWHERE = "/nonexistent/stsenv-corpus"


def _pair(config: Path) -> tuple[str, str]:
    credentials = config.with_suffix(".credentials")
    return str(config), str(credentials) if credentials.exists() else NOWHERE


# (id, config file, credentials file): every file as the config file, and the public files
# as the credentials file too (botocore reads that one without the `profile ` prefix).
AS_CONFIG = [(p.name, *_pair(p)) for p in [*PUBLIC, *SHAPES]]
AS_CREDENTIALS = [(f"{p.name}-as-credentials", NOWHERE, str(p)) for p in PUBLIC]


def corpus_size() -> int:
    return len(AS_CONFIG) + len(AS_CREDENTIALS)


def env_for(config: str, credentials: str, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": f"{CORPUS / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": config,
        "AWS_SHARED_CREDENTIALS_FILE": credentials,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": REGION,
        "STSENV_CONFIG": str(home / "no-stsenv.toml"),
        "STSENV_CACHE_DIR": str(home / "cache"),
        "STSENV_NO_INPUT": "1",  # an MFA code is never asked for: one line instead
        "STSENV_MFA_SESSION": "0",
    }


def botocore_full_config(env: dict[str, str]) -> dict[str, Any] | bx.ConfigParseError:
    with botocore_sees(env):
        try:
            config: dict[str, Any] = dict(botocore.session.Session().full_config)
            return config
        except bx.ConfigParseError as e:
            return e


@pytest.mark.parametrize(
    ("case", "config", "credentials"),
    AS_CONFIG + AS_CREDENTIALS,
    ids=[c[0] for c in AS_CONFIG + AS_CREDENTIALS],
)
def test_the_files_read_as_botocore_reads_them(
    case: str, config: str, credentials: str, tmp_path: Path
) -> None:
    theirs = botocore_full_config(env_for(config, credentials, tmp_path))
    try:
        ours: dict[str, Any] | UsageError = configfile.full_config(config, credentials)
    except UsageError as e:
        ours = e
    if isinstance(theirs, bx.ConfigParseError):
        assert isinstance(ours, UsageError), f"botocore refuses {case}, stsenv reads {ours}"
        path = str(theirs.kwargs["path"])
        which = "credentials" if path == credentials else "config"
        assert ours.message.startswith(f"the AWS {which} file {path} cannot be parsed: ")
        reason = ours.message.rsplit("cannot be parsed: ", 1)[1]
        assert "line" in reason or "encoding" in reason, ours.message
    else:
        assert ours == theirs


# --- the tools over every config, and `use` of every profile against moto ------------------


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """stsenv's entry point, as the console script calls it."""
    out, err = io.StringIO(), io.StringIO()
    with botocore_sees(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def checked(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The house rule for every run: no unexpected failure, errors are one `stsenv:` line."""
    status, out, err = run(env, *args)
    assert status != UNEXPECTED_EXIT and "unexpected" not in err, (args, err)
    assert "Traceback" not in err, err
    if status not in (0, 1) or (status == 1 and args[0] != "doctor"):
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("stsenv: "), (args, err)
    return status, out, err


def candidate(shell: str, line: str) -> str:
    """The value of one line of `stsenv __complete SHELL`: bash's as it is, fish's before
    its tab, zsh's before the first ':' that `\\` does not escape (_describe's format)."""
    if shell == "fish":
        return line.split("\t")[0]
    if shell == "bash":
        return line
    value, i = "", 0
    while i < len(line) and line[i] != ":":
        if line[i] == "\\" and i + 1 < len(line):
            i += 1
        value += line[i]
        i += 1
    return value


class AskedForMfa(Exception):
    pass


# What botocore raises when AWS or the sign-in answered: the profile's config was accepted.
_AWS_ANSWERED = (
    bx.ClientError,
    bx.EndpointConnectionError,
    bx.SSOTokenLoadError,
    bx.TokenRetrievalError,
    bx.UnauthorizedSSOTokenError,
    AskedForMfa,
)


def botocore_verdict(name: str, env: dict[str, str]) -> str:
    """ "accepted" when botocore resolves credentials for the profile (or gets as far as
    AWS or the sign-in answering), else "refused (why)"."""

    def prompter(prompt: str) -> str:
        raise AskedForMfa(prompt)

    with botocore_sees(env):
        try:
            session = botocore.session.Session(profile=name)
            provider = session.get_component("credential_provider").get_provider("assume-role")
            provider._prompter = prompter
            found = session.get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
        except _AWS_ANSWERED:
            return "accepted"
        except Exception as e:  # every other failure is botocore refusing this profile
            return f"refused ({type(e).__name__})"
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        return "refused (no credentials)"
    return "accepted"


def stsenv_verdict(status: int) -> str:
    # 0: active; 3: AWS said no (the made-up keys) or a sign-in is needed; 4: AWS did not
    # answer usefully; 5: an MFA code is needed and nobody may be asked. 2: the config or
    # the input is wrong.
    return "refused" if status in (1, 2) else "accepted"


# Where stsenv is stricter than botocore, on purpose, with a clearer line (the closing note
# of issue 20 counts them): its message says which.
STRICTER = {
    "cannot count them down": "temporary keys with no end written beside them: stsenv "
    "cannot count down what it does not know (botocore hands them out as they are)",
    "is not a role ARN": "a role_arn whose account is not 12 digits: AWS refuses it at the "
    "call, stsenv before (botocore passes it on)",
}


@pytest.fixture(scope="module")
def disagreements() -> Iterator[dict[tuple[str, str], str]]:
    """The stricter verdicts met, written to STSENV_CORPUS_REPORT when it is set."""
    found: dict[tuple[str, str], str] = {}
    yield found
    report = os.environ.get("STSENV_CORPUS_REPORT")
    if report:
        rows = [{"config": c, "profile": p, "why": w} for (c, p), w in sorted(found.items())]
        Path(report).write_text(json.dumps({"cases": corpus_size(), "stricter": rows}, indent=1))


@pytest.mark.parametrize(
    ("case", "config", "credentials"), AS_CONFIG, ids=[c[0] for c in AS_CONFIG]
)
def test_every_tool_and_every_profile_as_botocore_sees_it(
    case: str,
    config: str,
    credentials: str,
    aws_world: LocalAws,
    tmp_path: Path,
    disagreements: dict[tuple[str, str], str],
) -> None:
    env = env_for(config, credentials, tmp_path / "home")
    env["AWS_ENDPOINT_URL"] = aws_world.endpoint
    theirs = botocore_full_config(env)
    names = set() if isinstance(theirs, Exception) else set(theirs["profiles"])

    status, out, err = checked(env, "roles", "--json")
    if isinstance(theirs, Exception):
        assert status == 2 and "cannot be parsed: " in err  # the line and the reason
    listed = {row["name"] for row in json.loads(out)} if status == 0 else set()
    assert listed <= names, "roles lists what botocore does not know"
    status, text, _err = checked(env, "roles")
    assert "None" not in text
    checked(env, "doctor")
    checked(env, "doctor", "--json")

    # TAB offers what `roles` lists, no more and no less; a name that starts with `-`
    # after `--`, as `use -- -dash` takes it.
    for shell in ("bash", "zsh", "fish"):
        _s, offered, _e = checked(env, "__complete", shell, "use", "")
        _s, after_dashes, _e = checked(env, "__complete", shell, "use", "--", "")
        plain = {candidate(shell, line) for line in offered.splitlines()}
        dashed = {candidate(shell, line) for line in after_dashes.splitlines()}
        assert plain == {n for n in listed if not n.startswith("-")}, shell
        assert dashed == listed, shell

    wrong = []
    for name in sorted(names):
        expected = botocore_verdict(name, env)
        status, _out, err = checked({**env, "STSENV_SHELL": "bash"}, "use", "--", name)
        got = stsenv_verdict(status)
        if not expected.startswith(got):
            why = [reason for words, reason in STRICTER.items() if words in err]
            if got == "refused" and why:
                disagreements[(case, name)] = why[0]
                continue
            wrong.append(f"{name}: botocore {expected}, stsenv {got}: {err.strip()}")
        if got == "accepted" and name not in listed:
            wrong.append(f"{name}: botocore and `use` accept it, `roles` does not list it")
    assert not wrong, "\n".join(wrong)


def test_the_corpus_is_large_enough() -> None:
    # README of the corpus: its size is reported; a rebuild that lost files fails here.
    assert corpus_size() >= 200 and len(SHAPES) >= 15
