"""Removing a file that may already be gone: one helper instead of a try/except/pass in every
module that tidies up (contextlib.suppress would say the same, but it costs an import that
the cached `use`, the cache and `exec --server`'s start-up do not pay for)."""

from __future__ import annotations

import os


def remove(path: str) -> bool:
    """Unlink `path`; False when it could not be (already gone, a folder, no permission).
    For clean-up only: the caller has nothing better to do with a file it cannot remove."""
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
