"""The clock every moving-clock test relies on: with the library the tests preload
(support/shells.py LIBFAKETIME), a process with several threads sees each move of the
clock file at once, in every clock call, never the real time.

Debian's plain libfaketime.so.1 fails this (here 4 to 18 reads in 500 gave the real time while
another thread re-read the file), which once made the server's expiry test see live
credentials past their expiry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.shells import LIBFAKETIME, need_tool

# The child moves its own clock (it writes the file, then reads the time at once) while another
# thread reads the time nonstop; the unfaked monotonic clock is its measure of real time.
CHILD = r"""
import os, sys, threading, time
path, moves = sys.argv[1], int(sys.argv[2])
done = threading.Event()
def busy():
    while not done.is_set():
        time.time()
readers = [threading.Thread(target=busy)]
for reader in readers:
    reader.start()
start = time.time() - time.monotonic()
wrong = []
for move in range(1, moves + 1):
    with open(path + ".tmp", "w") as f:
        f.write(f"+{move * 100}\n")
    os.replace(path + ".tmp", path)
    off_by = time.time() - (start + move * 100 + time.monotonic())
    if abs(off_by) > 50:
        wrong.append(round(off_by))
done.set()
for reader in readers:
    reader.join()
print(len(wrong), wrong[:5])
"""


def test_every_thread_sees_each_move_of_the_clock(tmp_path: Path) -> None:
    library = need_tool(LIBFAKETIME)
    clock = tmp_path / "clock.rc"
    clock.write_text("+0\n")
    env = {
        **os.environ,
        "LD_PRELOAD": library,
        "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(clock), "500"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 1)[0] == "0", f"reads off the moved clock: {done.stdout}"
