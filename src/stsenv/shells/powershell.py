"""PowerShell: single-quoted strings, for `stsenv export --format powershell` only.

PowerShell has no stsenv hook, so it is not in the registry (shells.SHELLS); this is only
its quoting, kept here with the other shells' (docs/DESIGN.md, "shell quoting").

Inside '...' PowerShell expands nothing ($, backtick and newlines are plain text), but its
tokenizer ends the string at any of five quote characters, not only at ': the typographic
ones U+2018 to U+201B too (CharTraits.IsSingleQuote in PowerShell's parser). Two quote
characters in a row stand for the second one (Tokenizer.ScanStringLiteral), so each is
doubled. tests/unit/test_export_quoting.py reads the output as that tokenizer does.
"""

from __future__ import annotations

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_DOUBLED = str.maketrans({q: q * 2 for q in SINGLE_QUOTES})


def quote(value: str) -> str:
    """`value` as a PowerShell single-quoted string: every quote character doubled."""
    return "'" + value.translate(_DOUBLED) + "'"
