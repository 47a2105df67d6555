"""wrk runs: their raw output kept in the state folder, their figures parsed."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from twstack import StackError

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


@dataclass
class WrkFigures:
    """What one wrk run did: requests, req/s (rounded, as wrk's figure is read), p99 in ms ('-' when nothing
    completed), non-2xx answers, socket errors (connect, read, write) and timeouts."""

    requests: int
    rps: str
    p99_ms: str
    non2xx: int
    socket_errors: int
    timeouts: int


def parse(text: str, source: Path) -> WrkFigures:
    """wrk's --latency output → its figures."""
    requests = re.search(r"(\d+) requests in", text)
    if not requests:
        raise StackError(f"no 'requests in' line in the wrk output {source}")
    count = int(requests.group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    p99_ms = f"{float(p99.group(1)) * UNITS_MS[p99.group(2)]:.2f}" if p99 and count > 0 else "-"
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return WrkFigures(count, f"{rps:.0f}", p99_ms, int(non2xx.group(1)) if non2xx else 0,
                      sum(int(group) for group in errors.groups()[:3]) if errors else 0,
                      int(errors.group(4)) if errors else 0)


# The wrk runs going on (several at once during the stall), stopped by stop_all when the bench ends early.
RUNNING: set[subprocess.Popen] = set()


def run(state: Path, name: str, arguments: list[str]) -> WrkFigures:
    """Runs `wrk ARGUMENTS`; its raw output stays in STATE/wrk-NAME.txt."""
    output = state / f"wrk-{name}.txt"
    with open(output, "w") as file:
        process = subprocess.Popen(["wrk", *arguments], stdout=file, stderr=subprocess.STDOUT)
        RUNNING.add(process)
        try:
            status = process.wait()
        finally:
            RUNNING.discard(process)
    if status != 0:
        raise StackError(f"wrk failed ({name}); see {output}")
    return parse(output.read_text(), output)


def stop_all() -> None:
    """Stops the wrk runs still going on (TERM; each ends within its own -d anyway)."""
    for process in list(RUNNING):
        process.terminate()
        process.wait()
