"""Loaded (via PYTHONPATH) only by Python processes that tests run under libfaketime.

libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 (without it every timed wait of
CPython hangs) makes clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which time.sleep uses,
fail with EINVAL; botocore sleeps between retries. This puts time.sleep on the timed lock
wait that works under libfaketime. It changes nothing else: no AWS code is replaced."""

from __future__ import annotations

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep  # type: ignore[assignment]
