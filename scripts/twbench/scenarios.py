"""The measurements, each adding its rows to the table. A new row is a new function here, added to the list in
scripts/bench (MEASUREMENTS)."""

import threading
from dataclasses import dataclass, field

from twstack import StackError, say
from twstack.processes import wait_until

from . import load, wrk
from .context import Bench
from .proc import per_request_us
from .table import counts, pass_or_fail, ratio

STALL_MS = 5000          # the upstream delay injected in the isolation and in-flight scenarios
STALLED_CALLS = 64       # concurrent status calls of the stalled tenant
STALL_PROBE_SECONDS = 3  # length of the wrk runs during the stall (must stay under STALL_MS)
IN_FLIGHT = 256          # concurrent status calls of distinct tenants
P99_TARGET_MS = 50
RSS_TARGET_MB = 64
# Measurement 4: pages polling status. The window (Options.poll_window) must stay a whole multiple of the interval,
# so that every tenant makes exactly window ÷ interval calls.
POLL_TENANTS = 100
POLL_INTERVAL_S = 3
POLL_MAX_AGE_LONG_MS = 60000   # the third configuration's STATUS_MAX_AGE_MS
# evolution-sim keeps the newest 10,000 calls in its log (SimulatorState.callLogLimit). A window of the polling
# scenario makes at most one Evolution call per status call (connectionState of an open instance; no other route),
# so at most POLL_TENANTS × window ÷ interval = 1000 in 30 s: one read at the end of the window sees them all, and no
# periodic read-and-clear (which would lose the calls made between a read and its clear) is needed. Reading fails
# when the log is full all the same, since the oldest entries would then be gone.
SIM_CALL_LOG_LIMIT = 10000

STATUS_TENANT, TENANT_A, TENANT_B = "bench-s", "bench-a", "bench-b"
IN_FLIGHT_TENANTS = [f"bench-{i:04d}" for i in range(IN_FLIGHT)]


def status_path(tenant: str) -> str:
    return f"/api/tenants/{tenant}/whatsapp/status"


def open_bench_tenants(bench: Bench) -> None:
    """The tenants of measurements 1 to 3, each connected and scanned (instance open)."""
    tenants = [STATUS_TENANT, TENANT_A, TENANT_B, *IN_FLIGHT_TENANTS]
    say(f"creating {len(tenants)} tenants, each connected and scanned (instance open)")
    bench.insert_tenants(tenants)
    load.open_instances(bench.base, bench.sim, bench.mint(tenants), tenants, check_status=True)


# --- Measurement 1: throughput and CPU per request ------------------------------------------------------------


@dataclass
class Rounds:
    """One route's throughput rounds, summed: requests, seconds of its runs, worst p99, CPU ticks per tree."""

    requests: int = 0
    seconds: float = 0.0
    worst_p99: str = "0"
    ticks: list[int] = field(default_factory=lambda: [0] * 5)
    warnings: str = ""

    def add(self, round_number: int, figures: wrk.WrkFigures, before: list[int], after: list[int]) -> None:
        self.requests += figures.requests
        self.seconds += figures.requests / float(figures.rps)
        if figures.p99_ms == "-" or float(figures.p99_ms) > (0 if self.worst_p99 == "-" else float(self.worst_p99)):
            self.worst_p99 = figures.p99_ms
        self.ticks = [total + late - early for total, early, late in zip(self.ticks, before, after)]
        if figures.non2xx or figures.socket_errors or figures.timeouts:
            self.warnings += (f"round {round_number}: {figures.non2xx} non-2xx, {figures.socket_errors} socket "
                              f"errors, {figures.timeouts} timeouts of {figures.requests}; ")


def throughput_round(bench: Bench, rounds: Rounds, name: str, label: str, path: str, token: str | None,
                     round_number: int) -> None:
    """wrk -t2 -c16 on PATH, with the CPU counters of every tree read right before and right after."""
    say(f"throughput, round {round_number} of {bench.options.rounds}: {label} "
        f"(wrk -t2 -c16 -d{bench.options.duration}s)")
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    before = bench.cpu()
    figures = wrk.run(bench.state, f"{name}-{round_number}",
                      ["-t2", "-c16", f"-d{bench.options.duration}s", "--latency", *headers, f"{bench.base}{path}"])
    after = bench.cpu()
    if figures.requests == 0:
        raise StackError(f"wrk completed no request on {path}; see {bench.state}/wrk-{name}-{round_number}.txt")
    rounds.add(round_number, figures, before, after)


def throughput_row(bench: Bench, rounds: Rounds, label: str) -> tuple[int, list[str]]:
    """One row from the rounds: req/s over the time of its runs, the worst p99, CPU µs per request."""
    cells = per_request_us([0] * len(rounds.ticks), rounds.ticks, rounds.requests)
    rps = round(rounds.requests / rounds.seconds)
    note = f"WARNING: {rounds.warnings}" if rounds.warnings else \
        f"{rounds.requests} requests in {bench.options.rounds} rounds"
    bench.table.add(label, f"{rps:.0f}", rounds.worst_p99, cells, note)
    if rounds.warnings:
        # A separate row, so nobody copies the figures above as the route's.
        bench.table.add_note("  WARNING", f"{label} had failed or non-2xx requests: its figures above are not the "
                                          "route's")
    return rps, cells


def measure_throughput(bench: Bench) -> None:
    """Runs alternate (hello, health, status, hello, …) and each row sums its rounds: this VM's speed drifts by tens
    of percent within minutes, and one run of each, minutes apart, compared the drift as much as the code."""
    routes = [("hello", "C hello", "/bench/hello", None),
              ("health", "GET /api/health", "/api/health", None),
              ("status", "GET status", status_path(STATUS_TENANT), bench.tokens[STATUS_TENANT])]
    sums = {name: Rounds() for name, _, _, _ in routes}
    for round_number in range(1, bench.options.rounds + 1):
        for name, label, path, token in routes:
            throughput_round(bench, sums[name], name, label, path, token, round_number)
    hello_rps, hello_cells = throughput_row(bench, sums["hello"], "C hello (GET /bench/hello)")
    health_rps, health_cells = throughput_row(bench, sums["health"], "GET /api/health")
    throughput_row(bench, sums["status"], "GET status (open instance)")
    # health ÷ hello: what the Swift responder costs over the floor of the same plumbing.
    bench.table.add("health ÷ hello", ratio(health_rps, hello_rps), "",
                    [ratio(float(health_cells[0]), float(hello_cells[4])), "", "", "", ""],
                    "throughput ratio; responder CPU of health ÷ the C hello's CPU")


# --- Measurement 2: isolation under a stalled tenant -------------------------------------------------------------


def in_background(work: dict, name: str, function, *arguments) -> threading.Thread:
    """Runs FUNCTION(*ARGUMENTS) on a thread; its result, or the error it raised, lands in WORK[NAME]."""
    def run() -> None:
        try:
            work[name] = function(*arguments)
        except Exception as error:  # reported by join_all
            work[name] = error
    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return thread


def join_all(threads: list[threading.Thread], work: dict) -> None:
    """Waits for the background jobs; the first error any raised stops the bench."""
    for thread in threads:
        thread.join()
    for name, result in work.items():
        if isinstance(result, Exception):
            raise StackError(f"a background measurement job failed ({name}): {result}")


def stall_row(bench: Bench, label: str, figures: wrk.WrkFigures, probe: tuple[str, float]) -> None:
    note = f"p99 < {P99_TARGET_MS} ms: {pass_or_fail(figures.p99_ms, P99_TARGET_MS)}; {figures.requests} done"
    if figures.timeouts:
        note += f", {figures.timeouts} past wrk's 2 s timeout"
    if figures.non2xx:
        note += f", WARNING: {figures.non2xx} non-2xx"
    if figures.socket_errors:
        note += f", {figures.socket_errors} socket errors"
    note += f"; a single request: {probe[0]} in {probe[1] * 1000:.0f} ms"
    bench.table.add(label, figures.rps, figures.p99_ms, note=note)


def measure_isolation(bench: Bench) -> None:
    """64 status calls of tenant A held 5 s upstream; meanwhile wrk -t1 -c4 for 3 s on tenant B's status and on
    /api/health, and one plain request each on the side (how long a single call waits when wrk completes none)."""
    work = run_stall(bench)
    stall_row(bench, "stall: tenant B status", work["stall-b"], work["probe-b"])
    stall_row(bench, "stall: GET /api/health", work["stall-health"], work["probe-health"])
    summary = work["stalled"]
    bench.table.add_note(f"stall: the {STALLED_CALLS} calls of A", f"each held {STALL_MS} ms upstream: "
                         f"{counts(summary['statuses'])}, slowest {summary['max_s']} s")


def run_stall(bench: Bench, tag: str = "") -> dict:
    """The stall of measurement 2, without rows: the results by name ("stalled": the batch's summary, "probe-b",
    "probe-health": the single requests, "stall-b", "stall-health": the wrk figures). TAG prefixes the wrk files."""
    say(f"isolation: {STALLED_CALLS} status calls of {TENANT_A} held {STALL_MS} ms upstream; wrk on {TENANT_B} and "
        "health meanwhile")
    load.sim_control(bench.sim, "DELETE", "/calls")
    load.sim_control(bench.sim, "POST", "/faults", {"route": "connectionState", "instance": f"tenant_{TENANT_A}",
                                                    "kind": "passthrough", "delayMs": STALL_MS, "times": STALLED_CALLS})
    work: dict = {}
    stalled = in_background(work, "stalled", load.batch, bench.base, bench.tokens, [TENANT_A] * STALLED_CALLS)

    def stall_reached_evolution() -> bool:
        if not stalled.is_alive():
            raise StackError("the stalled batch ended before its first call reached the simulator")
        return load.called(bench.sim, "connectionState", f"tenant_{TENANT_A}")
    if not wait_until(30, stall_reached_evolution):
        raise StackError(f"no connectionState call for tenant_{TENANT_A} reached the simulator in 30 s")

    b_url, b_token = f"{bench.base}{status_path(TENANT_B)}", bench.tokens[TENANT_B]
    probe_args = ["-t1", "-c4", f"-d{STALL_PROBE_SECONDS}s", "--latency"]
    threads = [stalled,
               in_background(work, "probe-b", load.probe, b_url, b_token),
               in_background(work, "probe-health", load.probe, f"{bench.base}/api/health"),
               in_background(work, "stall-b", wrk.run, bench.state, f"{tag}stall-b",
                             [*probe_args, "-H", f"Authorization: Bearer {b_token}", b_url]),
               in_background(work, "stall-health", wrk.run, bench.state, f"{tag}stall-health",
                             [*probe_args, f"{bench.base}/api/health"])]
    say(f"isolation: waiting for the {STALLED_CALLS} stalled calls and the probes to end")
    join_all(threads, work)
    load.sim_control(bench.sim, "DELETE", "/faults")   # whatever the calls did not consume (single flight shares one)
    bench.wait_idle("the stall")
    return work


# --- Measurement 3: many requests in flight ---------------------------------------------------------------------


def measure_in_flight(bench: Bench) -> None:
    """256 status calls of 256 open tenants at once, each held 5 s upstream: answers, wall time, the responder's
    peak resident memory; and /api/health meanwhile (wrk -t1 -c4 while the calls are held: issue #21's admission
    keeps workers free for it, target p99 < 50 ms)."""
    say(f"in flight: {IN_FLIGHT} status calls of {IN_FLIGHT} tenants at once, each held {STALL_MS} ms upstream, "
        "health probed meanwhile")
    load.sim_control(bench.sim, "DELETE", "/calls")
    load.sim_control(bench.sim, "POST", "/faults", {"route": "connectionState", "kind": "passthrough",
                                                    "delayMs": STALL_MS, "times": IN_FLIGHT})
    work: dict = {}
    batch = in_background(work, "batch", load.batch, bench.base, bench.tokens, IN_FLIGHT_TENANTS,
                          bench.stack.responder.pid)

    def held_upstream() -> bool:
        if not batch.is_alive():
            raise StackError("the in-flight batch ended before its calls reached the simulator")
        calls = load.sim_calls(bench.sim, timeout=5) or []
        return sum(1 for call in calls if call.get("route") == "connectionState") >= IN_FLIGHT // 2
    if not wait_until(30, held_upstream):
        raise StackError("the in-flight calls did not reach the simulator in 30 s")
    probe_args = ["-t1", "-c4", f"-d{STALL_PROBE_SECONDS}s", "--latency"]
    threads = [batch, in_background(work, "probe-health", load.probe, f"{bench.base}/api/health"),
               in_background(work, "health", wrk.run, bench.state, "in-flight-health",
                             [*probe_args, f"{bench.base}/api/health"])]
    join_all(threads, work)
    load.sim_control(bench.sim, "DELETE", "/faults")
    summary = work["batch"]
    bench.wait_idle("the batch")
    rss_max_mb = f"{summary['rss_max_kb'] / 1024:.1f}"
    rss_before_mb = f"{summary['rss_before_kb'] / 1024:.1f}"
    bench.table.add_note(
        f"{IN_FLIGHT} tenants in flight",
        f"{counts(summary['statuses'])} (503: beyond EVOLUTION_MAX_IN_FLIGHT, 3/4 of --max-requests); "
        f"batch {summary['wall_s']} s (≈{STALL_MS // 1000} s when all run at once), "
        f"slowest {summary['max_s']} s; responder RSS max {rss_max_mb} MB ({rss_before_mb} before), "
        f"< {RSS_TARGET_MB} MB: {pass_or_fail(rss_max_mb, RSS_TARGET_MB)}")
    stall_row(bench, f"{IN_FLIGHT} in flight: GET /api/health", work["health"], work["probe-health"])
