"""Outside text made inert before it reaches a terminal: the one place that escapes it.

Everything stsenv prints may hold text it did not write: names from config files, account
and role names and error messages from IAM Identity Center and STS, environment variables a
parent shell set. A terminal acts on some characters (ESC and CSI start control sequences that
can retitle the window, move the cursor, clear the screen or write the clipboard; BEL, DEL,
the C1 range 0x80-0x9f; bidi overrides reorder what is shown). `inert` shows each such
character escaped (`\\x1b`, `\\n`, `\\u202e`), as Python's unicode_escape writes it, and
leaves printable text, non-ASCII letters included, as it is. Cheap: printable text costs one
C-level `str.isprintable`. Standard library only, no imports: the hot path prints through it.
"""

from __future__ import annotations


def inert(text: str) -> str:
    """`text` with every character a terminal would act on shown escaped (one line)."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
