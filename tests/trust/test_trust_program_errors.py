"""Issue "Trust, second round", item 6: one `stsenv:` line, never a traceback, and for each
of these a message of its own (not the generic `unexpected` one): a cache dir that cannot
be made, a `STSENV_REFRESH_ARGS` nested too deep for json, an AWS endpoint that is not a URL.
(A stamp of another user and `use` racing the stamp clean-up: test_trust_program_stamp.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.program import one_error_line, stsenv

QUIET = {"STSENV_QUIET": "1"}  # no "is active for" line: stderr holds only what is tested


def unusable_dirs(tmp_path: Path) -> list[str]:
    regular = tmp_path / "a-file"
    regular.write_text("not a directory\n")
    return [
        "/proc/x",  # cannot be made
        "/proc/self/stsenv/cache",  # nor its parents
        str(regular / "cache"),  # a path under a regular file
        str(regular),  # the file itself
        "/dev/null",
    ]


@pytest.mark.parametrize("which", range(5))
def test_a_cache_dir_that_cannot_be_made(
    aws_env: dict[str, str], tmp_path: Path, which: int
) -> None:
    cache = unusable_dirs(tmp_path)[which]
    env = {**aws_env, **QUIET, "STSENV_CACHE_DIR": cache}
    for shell in ("bash", "zsh"):  # a warning, and the role all the same, uncached
        done = stsenv({**env, "STSENV_SHELL": shell}, "use", "s3Full")
        assert "Traceback" not in done.stderr
        assert done.returncode == 0, done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"stsenv: warning: credential cache {cache} ") and line.endswith(
            "; not caching"
        ), line
        assert "AWS_SESSION_TOKEN=" in done.stdout
        assert re.search(r"^\\builtin export STSENV_STAMP=''$", done.stdout, re.M), done.stdout
    line = one_error_line(
        stsenv({**env, "STSENV_SHELL": "fish"}, "use", "s3Full"),
        5,
        "stsenv: no safe place for the clock stamp of s3Full: ",
    )
    assert f"the cache dir {cache} " in line and "STSENV_CACHE_DIR" in line


@pytest.mark.parametrize(
    "value",
    [
        "[" * 100_000 + "]" * 31_000,  # an environment string holds at most 128 KiB
        "[" * 130_000,
        '{"a":' * 26_000,
        "[" * 50_000 + "1e99999" + "]" * 50_000,
        '"\\ud800"',
        '["--", "s3Full"' + ", []" * 30_000 + "]",
    ],
    ids=["deep-list", "deep-open", "deep-object", "huge-number", "lone-surrogate", "wide"],
)
def test_refresh_args_nested_too_deep(aws_env: dict[str, str], value: str) -> None:
    env = {**aws_env, **QUIET, "STSENV_SHELL": "bash", "STSENV_REFRESH_ARGS": value}
    start = "stsenv: STSENV_USE_ARGS does not hold the arguments of a `stsenv use`"
    one_error_line(stsenv(env, "refresh"), 2, start)


BAD_URLS = ["not a url", "http://", "://x", "http://[::1", "http://a b", "https://x y/z"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"])
def test_an_endpoint_that_is_not_a_url(aws_env: dict[str, str], variable: str, url: str) -> None:
    env = {**aws_env, **QUIET, "STSENV_SHELL": "bash", variable: url}
    target = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"  # no GetRole first
    for args in (["use", target], ["export", target], ["exec", target, "--", "true"]):
        line = one_error_line(stsenv(env, *args), 2, f"stsenv: {variable}=")
        assert "is not an endpoint URL" in line, line
