"""Helpers for the tests of export, credential-process, exec and refresh."""

from __future__ import annotations

from pathlib import Path

from support.program import STSENV, one_error_line, stsenv

__all__ = ["CREDENTIAL_NAMES", "STSENV", "one_error_line", "read_env0", "stsenv"]
CREDENTIAL_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


def read_env0(path: Path) -> dict[str, str]:
    data = path.read_bytes().decode("utf-8", "surrogateescape")
    pairs = (item.split("=", 1) for item in data.split("\0") if item)
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
