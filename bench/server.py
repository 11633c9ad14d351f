"""`stsenv exec --server`: endpoint latency under 50 concurrent callers, the STS calls they
cause, and the wall time of `exec --server -- true` against `exec -- true` (reported, not
budgeted), both measured in this run (docs/DESIGN.md, "What it may cost"). Run alone:
`.venv/bin/python -m bench.server`."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.world import STSENV, LocalSts, base_env

CLIENTS = 50
REQUESTS = 1000
WALL_RUNS = 30
TARGET = "s3full"
LOADGEN_SOURCE = Path(__file__).resolve().parent / "loadgen.c"
# One caller alone (Python's http.client, as botocore's own container provider), GETs one
# after another on a new connection each: the endpoint's cost per request, end to end.
CLIENT = """
import http.client, json, os, sys, time
from urllib.parse import urlsplit
url = urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
headers = {"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}
n, start = int(sys.argv[1]), float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
samples, keys = [], set()
for _ in range(n):
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("GET", url.path, headers=headers)
    body = conn.getresponse().read()
    conn.close()
    samples.append(time.perf_counter() - t0)
    keys.add(json.loads(body)["AccessKeyId"])
print(json.dumps({"samples": samples, "keys": sorted(keys)}))
"""
ALONE = CLIENT.replace("time.sleep(max(0.0, start - time.time()))", "")


def loadgen(results: Path) -> Path:
    """bench/loadgen.c, compiled: 50 concurrent callers whose own cost is small next to the
    endpoint's (50 Python processes on 2 cores time the scheduler and the interpreter)."""
    binary = results / "loadgen"
    if not binary.exists() or binary.stat().st_mtime < LOADGEN_SOURCE.stat().st_mtime:
        subprocess.run(
            ["gcc", "-O2", "-pthread", "-o", str(binary), str(LOADGEN_SOURCE)], check=True
        )
    return binary


def _quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


ROUNDS = 5  # latency rounds of REQUESTS each: a burst elsewhere on 2 cores hits one round


def _round(env: dict[str, str], results: Path) -> tuple[list[float], set[str]]:
    done = subprocess.run(
        [
            str(STSENV),
            "exec",
            "--server",
            TARGET,
            "--",
            str(loadgen(results)),
            str(CLIENTS),
            str(REQUESTS),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = [line.split() for line in done.stdout.splitlines()]
    if len(rows) != REQUESTS or any(len(row) != 2 for row in rows):
        raise ValueError(f"{sum(len(r) != 2 for r in rows)} requests got no credentials")
    return [float(row[0]) / 1e6 for row in rows], {row[1] for row in rows}


def latency(env: dict[str, str], sts: LocalSts, results: Path) -> dict[str, float]:
    before = sts.requests()
    rounds = [_round(env, results) for _ in range(ROUNDS)]
    p99s = sorted(_quantile(samples, 0.99) for samples, _keys in rounds)
    samples = [s for found, _keys in rounds for s in found]
    keys = {k for _found, found_keys in rounds for k in found_keys}
    alone = subprocess.run(
        [
            str(STSENV),
            "exec",
            "--server",
            TARGET,
            "--",
            sys.executable,
            "-c",
            ALONE,
            str(REQUESTS),
            "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    single = json.loads(alone.stdout)["samples"]
    return {
        "alone_p50_ms": statistics.median(single) * 1e3,
        "alone_p99_ms": _quantile(single, 0.99) * 1e3,
        "p50_ms": statistics.median(samples) * 1e3,
        "p99_ms": p99s[len(p99s) // 2] * 1e3,
        "p99_low_ms": p99s[0] * 1e3,
        "p99_high_ms": p99s[-1] * 1e3,
        "requests": REQUESTS,
        "distinct_keys": len(keys),
        "sts_calls": sts.requests() - before,
    }


def wall(env: dict[str, str], runs: int = WALL_RUNS) -> dict[str, float]:
    """Interleaved runs of both, medians; the cache is warm (first runs discarded)."""
    plain = [str(STSENV), "exec", TARGET, "--", "true"]
    served = [str(STSENV), "exec", "--server", TARGET, "--", "true"]
    times: dict[str, list[float]] = {"exec": [], "exec --server": []}
    for argv in (plain, served):
        subprocess.run(argv, env=env, check=True)
    for _ in range(runs):
        for label, argv in (("exec", plain), ("exec --server", served)):
            t0 = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdin=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - t0)
    a, b = statistics.median(times["exec"]), statistics.median(times["exec --server"])
    return {"exec_ms": a * 1e3, "server_ms": b * 1e3, "ratio": b / a}


def measure(
    env: dict[str, str], sts: LocalSts, results: Path, *, runs: int = WALL_RUNS
) -> list[str]:
    """The lines bench/main.py adds to its report (or prints when run alone)."""
    try:
        first = latency(env, sts, results)  # also warms the cache for the wall-time runs
        times = wall(env, runs)
    except (subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
        return [f"- `exec --server`: NOT MEASURED: {e}"]
    p99_met = "met" if first["p99_ms"] <= 5 else "MISSED"
    return [
        f"- `exec --server` endpoint, {CLIENTS} concurrent callers (bench/loadgen.c, a new "
        f"connection per request), {ROUNDS} rounds of {first['requests']:.0f} requests: p50 "
        f"{first['p50_ms']:.2f} ms; p99 {first['p99_ms']:.2f} ms, the median round's (rounds "
        f"{first['p99_low_ms']:.2f}-{first['p99_high_ms']:.2f} ms; budget <= 5 ms: {p99_met}); "
        f"{first['distinct_keys']:.0f} credential served; STS requests during the run "
        f"{first['sts_calls']:.0f} (1: the first AssumeRole, 0 when it was cached; no renewal "
        f"was due); one caller alone, {REQUESTS} GETs "
        f"in a row: p50 {first['alone_p50_ms']:.2f} ms, p99 {first['alone_p99_ms']:.2f} ms",
        f"- `stsenv exec --server {TARGET} -- true` {times['server_ms']:.1f} ms vs `stsenv exec "
        f"{TARGET} -- true` {times['exec_ms']:.1f} ms = {times['ratio']:.2f}x (not budgeted: "
        f"start-up pays for correctness; medians of {runs} interleaved runs, cache warm)",
    ]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="stsenv-bench-server-") as work:
        root = Path(work)
        sts = LocalSts(root)
        try:
            home = root / "home"
            home.mkdir()
            env = base_env(home, sts.start())
            print("\n".join(measure(env, sts, root)))
        finally:
            sts.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
