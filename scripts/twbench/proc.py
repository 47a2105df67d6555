"""What /proc says about the stack's processes: CPU time of whole process trees, resident memory."""

import os
from pathlib import Path

from twstack import StackError

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read_stats() -> tuple[dict[int, int], dict[int, list[int]]]:
    """Per pid: utime+stime+cutime+cstime in clock ticks; per parent pid: its children."""
    ticks: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name (which may hold spaces): field N is rest[N - 3].
        rest = stat[stat.rindex(")") + 2:].split()
        pid, ppid = int(entry), int(rest[1])
        ticks[pid] = int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
        children.setdefault(ppid, []).append(pid)
    return ticks, children


def cpu_ticks(roots: list[int]) -> list[int]:
    """CPU clock ticks (utime+stime) of each process tree, one number per root: the live processes of the tree, plus
    cutime+cstime of each (children that exited and were reaped, e.g. PostgreSQL's autovacuum workers). Fails when a
    root is gone."""
    ticks, children = _read_stats()
    totals = []
    for root in roots:
        if root not in ticks:
            raise StackError(f"process {root} is gone")
        total, stack = 0, [root]
        while stack:
            pid = stack.pop()
            total += ticks.get(pid, 0)
            stack.extend(children.get(pid, []))
        totals.append(total)
    return totals


def per_request_us(before: list[int], after: list[int], requests: int) -> list[str]:
    """CPU µs per request of each tree between two cpu_ticks readings (whole µs, rounded down)."""
    return [str((late - early) * 1000000 // CLOCK_TICKS // requests) for early, late in zip(before, after)]


def rss_kb(pid: int) -> int:
    """VmRSS of PID in kB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
