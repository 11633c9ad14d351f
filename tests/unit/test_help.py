"""`stsenv VERB --help` shows a boolean option as a flag (`--force`), never with a type
after it (`--force <bool>`, `--force BOOLEAN`), as typer 0.29's rich panels did."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from stsenv import spec

WITH_FLAGS = [verb for verb in spec.VERBS if any(p.boolean for p in verb.params)]


@pytest.mark.parametrize("verb", WITH_FLAGS, ids=[verb.name for verb in WITH_FLAGS])
def test_boolean_options_show_as_flags(verb: spec.Verb) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stsenv", verb.name, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "<bool>" not in done.stdout and "BOOLEAN" not in done.stdout, done.stdout
    for param in verb.params:
        if param.boolean:
            # The flag, then at least two spaces and the first word of its help.
            first_word = re.escape(param.help.split()[0])
            assert re.search(rf"^  {param.flag}\s\s+{first_word}", done.stdout, re.M), param.flag
