"""--pool-compare: the responder's elastic worker pool (default flags: --threads ready, growing up to --max-requests
when every worker is stuck) against a fixed pool of --max-requests threads (--threads N --max-requests N: no growth,
no parking, no supervisor), alternating the two over the rounds in one run. Each round restarts the responder with
each configuration in turn (ABBA order: elastic first in odd rounds, fixed first in even ones), runs the throughput
rows (health, status) and the stall rows on it, and reads its RSS and threads."""

from dataclasses import dataclass, field
from pathlib import Path

from twstack import say

from .context import MAX_REQUESTS, Bench
from .polling import restart_responder
from .proc import CLOCK_TICKS, rss_kb
from .scenarios import (P99_TARGET_MS, STATUS_TENANT, Rounds, run_stall, status_path, throughput_round,
                        throughput_row)
from .table import pass_or_fail, ratio

CPU_TOLERANCE = 1.05   # the rule: fixed within 5 % of elastic on CPU per request


@dataclass
class Pool:
    """One configuration's sums over the rounds."""

    name: str
    arguments: list[str]
    health: Rounds = field(default_factory=Rounds)
    status: Rounds = field(default_factory=Rounds)
    stall_b: list[str] = field(default_factory=list)        # p99 of each round ("-": nothing completed)
    stall_health: list[str] = field(default_factory=list)
    stall_failures: list[str] = field(default_factory=list)
    rss_after_load_kb: list[int] = field(default_factory=list)
    rss_after_stall_kb: list[int] = field(default_factory=list)
    threads_after_load: list[int] = field(default_factory=list)
    threads_after_stall: list[int] = field(default_factory=list)
    health_us: list[int] = field(default_factory=list)      # responder CPU µs/req of each round
    status_us: list[int] = field(default_factory=list)


def pools(bench: Bench) -> list[Pool]:
    elastic = list(bench.stack.config.responder_args)
    fixed = ["serve", "--threads", str(MAX_REQUESTS), "--max-requests", str(MAX_REQUESTS)]
    return [Pool("elastic", elastic), Pool("fixed", fixed)]


def thread_count(pid: int) -> int:
    try:
        return len(list(Path(f"/proc/{pid}/task").iterdir()))
    except OSError:
        return 0


def worst(p99s: list[str]) -> str:
    """The worst p99 of the rounds ("-" when one round completed nothing)."""
    return "-" if "-" in p99s else max(p99s, key=float)


def one_round(bench: Bench, pool: Pool, round_number: int) -> None:
    """Restarts the responder with the pool's flags; health and status throughput; RSS; the stall; RSS again."""
    say(f"pool comparison, round {round_number}: {pool.name} pool (tenant-whatsapp {' '.join(pool.arguments)})")
    bench.stack.config.responder_args = pool.arguments
    restart_responder(bench, {})
    pid = bench.stack.responder.pid
    for rounds, per_round, name, label, path, token in (
            (pool.health, pool.health_us, "health", "GET /api/health", "/api/health", None),
            (pool.status, pool.status_us, "status", "GET status", status_path(STATUS_TENANT),
             bench.tokens[STATUS_TENANT])):
        ticks, requests = rounds.ticks[0], rounds.requests
        throughput_round(bench, rounds, f"pool-{pool.name}-{name}", f"{pool.name}: {label}", path, token,
                         round_number)
        per_round.append((rounds.ticks[0] - ticks) * 1000000 // CLOCK_TICKS // (rounds.requests - requests))
    pool.rss_after_load_kb.append(rss_kb(pid))
    pool.threads_after_load.append(thread_count(pid))
    work = run_stall(bench, tag=f"pool-{pool.name}-{round_number}-")
    pool.rss_after_stall_kb.append(rss_kb(pid))
    pool.threads_after_stall.append(thread_count(pid))
    for name, p99s in (("stall-b", pool.stall_b), ("stall-health", pool.stall_health)):
        figures = work[name]
        p99s.append(figures.p99_ms)
        if figures.non2xx or figures.socket_errors or figures.timeouts:
            pool.stall_failures.append(f"round {round_number} {name}: {figures.non2xx} non-2xx, "
                                       f"{figures.socket_errors} socket errors, {figures.timeouts} timeouts")


def measure_pool_compare(bench: Bench) -> None:
    """The rounds, then the table: per pool, health and status (req/s, worst p99, CPU µs/req), RSS and threads, the
    stall rows; the ratios fixed ÷ elastic; the issue's rule applied."""
    elastic, fixed = pools(bench)
    for round_number in range(1, bench.options.rounds + 1):
        order = [elastic, fixed] if round_number % 2 else [fixed, elastic]
        for pool in order:
            one_round(bench, pool, round_number)
    bench.stack.config.responder_args = elastic.arguments

    cells = {}
    for pool in (elastic, fixed):
        for route, rounds in (("health", pool.health), ("status", pool.status)):
            label = f"pool {pool.name}: GET /api/health" if route == "health" else f"pool {pool.name}: GET status"
            cells[pool.name, route] = throughput_row(bench, rounds, label)
    within = True
    for route in ("health", "status"):
        (elastic_rps, elastic_cpu), (fixed_rps, fixed_cpu) = cells["elastic", route], cells["fixed", route]
        cpu = float(fixed_cpu[0]) / float(elastic_cpu[0]) if float(elastic_cpu[0]) > 0 else float("inf")
        within = within and cpu <= CPU_TOLERANCE
        bench.table.add(f"pool fixed ÷ elastic: {route}", ratio(fixed_rps, elastic_rps), "",
                        [f"{cpu:.2f}", ratio(float(fixed_cpu[1]), float(elastic_cpu[1])), "", "", ""],
                        "req/s ratio; responder and nginx CPU µs/req ratios")
    stalls_pass = True
    for pool in (elastic, fixed):
        for label, p99s in (("stall: tenant B status", pool.stall_b), ("stall: GET /api/health", pool.stall_health)):
            verdict = pass_or_fail(worst(p99s), P99_TARGET_MS)
            stalls_pass = stalls_pass and (verdict == "PASS" or pool is elastic)
            bench.table.add(f"pool {pool.name}: {label}", "", worst(p99s),
                            note=f"worst of {len(p99s)} rounds, p99 < {P99_TARGET_MS} ms: {verdict}; rounds: "
                                 f"{' '.join(p99s)} ms")
        if pool.stall_failures:
            stalls_pass = stalls_pass and pool is elastic
            bench.table.add_note(f"  WARNING ({pool.name})", "; ".join(pool.stall_failures))
    for pool in (elastic, fixed):
        load_mb = " ".join(f"{kb / 1024:.1f}" for kb in pool.rss_after_load_kb)
        stall_mb = " ".join(f"{kb / 1024:.1f}" for kb in pool.rss_after_stall_kb)
        bench.table.add_note(f"pool {pool.name}: RSS, threads",
                             f"RSS after health+status {load_mb} MB, after the stall {stall_mb} MB (each round); "
                             f"threads after health+status {' '.join(map(str, pool.threads_after_load))}, after the "
                             f"stall {' '.join(map(str, pool.threads_after_stall))}")
    for route in ("health", "status"):
        ratios = [fixed_us / elastic_us for elastic_us, fixed_us in
                  zip(getattr(elastic, f"{route}_us"), getattr(fixed, f"{route}_us")) if elastic_us > 0]
        bench.table.add_note(f"pool {route}: responder µs/req", "by round, elastic: "
                             f"{' '.join(map(str, getattr(elastic, f'{route}_us')))}; fixed: "
                             f"{' '.join(map(str, getattr(fixed, f'{route}_us')))}; fixed ÷ elastic: "
                             f"{' '.join(f'{r:.2f}' for r in ratios)}")
    rule = "YES: delete parking, recall and the supervisor" if within and stalls_pass else "NO: keep the elastic pool"
    bench.table.add_note("pool decision", f"fixed within {round((CPU_TOLERANCE - 1) * 100)} % on responder CPU µs/req "
                         f"of health and status: {'yes' if within else 'no'}; fixed passes the stall rows: "
                         f"{'yes' if stalls_pass else 'no'} → {rule}")
