"""The servers rows (issue #19, item 10): three Evolution servers with tenants spread over them; status throughput
and p99 of the tenants of servers 1 and 2 with all three alive, next to the same while server 3 hangs, and how the
hung server's tenants are answered.

A stack of its own (the other measurements run against one simulator and no registry): three simulators registered
as sim-1…sim-3, the responder with webhooks off and STATUS_MAX_AGE_MS=0, so that every status call asks its
server. Each round measures "all alive" and "server 3 hung" (ABBA order: alive first in odd rounds); the hung
phase has two windows, while its calls pile up (from the moment it hangs) and once its breaker answers for it."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from twstack import Stack, StackConfig, StackError, say
from twstack.paths import REPO_ROOT
from twstack.processes import wait_until
from twstack.web import request

from . import load, wrk
from .context import Bench, Options, stack_config
from .pacedclients import Answer, PacedClients, count_labels, ended_within
from .proc import cpu_ticks, per_request_us
from .scenarios import Rounds, status_path
from .table import Table, counts

SERVERS = 3
SERVER_CAPACITY = 100
TENANTS_PER_SERVER = 10
HUNG_SERVER = SERVERS               # the last one hangs
HUNG_CLIENTS = 16                   # clients asking status of the hung server's tenants, in both phases
HUNG_PACE_S = 0.2                   # each asks at most once every 200 ms
HANG_MS = 60000                     # every Evolution call of the hung server is held this long (far past the timeout)
FAST_S = 0.1                        # an answer of a hung tenant within this is "answered fast"
DELTA_P99_TARGET_MS = 50            # the target: p99 within 50 ms of all alive
WRK_THREADS, WRK_CONNECTIONS = 2, 16
LUA_SCRIPT = REPO_ROOT / "bench" / "tenants-status.lua"


def servers_config(options: Options, bin_dir: Path) -> StackConfig:
    """The bench's stack with three registered simulators and STATUS_MAX_AGE_MS=0 (webhooks stay off)."""
    config = stack_config(options, bin_dir)
    config.throwaway_prefix = "tw-bench-servers-"
    config.simulators = SERVERS
    config.simulator_capacity = SERVER_CAPACITY
    config.responder_env = {**config.responder_env, "STATUS_MAX_AGE_MS": "0"}
    return config


@dataclass
class Window:
    """One row's runs summed over the rounds, plus the hung server's clients' answers during them."""

    rounds: Rounds = field(default_factory=Rounds)
    side_answers: list[Answer] = field(default_factory=list)


@dataclass
class ServersRun:
    """What the rounds gather: the tenants by server, the three windows, and the hung phases' answers and times."""

    bench: Bench
    tenants: dict[str, list[str]]
    healthy_file: Path
    alive: Window = field(default_factory=Window)
    piling: Window = field(default_factory=Window)
    breaker_open: Window = field(default_factory=Window)
    hung_answers: list[Answer] = field(default_factory=list)
    fast_after_s: list[float] = field(default_factory=list)
    recovered_after_s: list[float] = field(default_factory=list)

    @property
    def stack(self) -> Stack:
        return self.bench.stack

    @property
    def hung_tenants(self) -> list[str]:
        return self.tenants[f"sim-{HUNG_SERVER}"]

    def clients(self) -> PacedClients:
        return PacedClients(self.bench.base, self.bench.tokens, self.hung_tenants, HUNG_CLIENTS, HUNG_PACE_S)

    def cpu(self) -> list[int]:
        """CPU ticks: responder, nginx, PostgreSQL, the simulators together, and 0 for the C hello's column."""
        stack = self.stack
        ticks = cpu_ticks([stack.responder.pid, stack.nginx.pid, stack.postgres.postmaster_pid,
                           *(simulator.process.pid for simulator in stack.simulators)])
        return [*ticks[:3], sum(ticks[3:]), 0]


# --- setting up ---------------------------------------------------------------------------------------------------


def open_spread_tenants(bench: Bench) -> dict[str, list[str]]:
    """SERVERS × TENANTS_PER_SERVER tenants connected (the responder places each), then each scanned on the simulator
    it was placed on and checked open; returns them by server id."""
    tenants = [f"servers-{i:02d}" for i in range(SERVERS * TENANTS_PER_SERVER)]
    say(f"servers: {len(tenants)} tenants connected, placed over {SERVERS} servers, scanned and checked open")
    bench.insert_tenants(tenants)
    tokens = bench.mint(tenants)

    def connect(tenant: str) -> str | None:
        status, body = request("POST", f"{bench.base}/api/tenants/{tenant}/whatsapp/connect", tokens[tenant], {})
        return None if status in (200, 201) else f"{tenant}: connect answered {status}: {body[:200]!r}"
    fail_on(load.in_parallel(tenants, 8, connect), tenants, "connect")

    placed = bench.stack.postgres.query(
        f"SELECT id, evolution_server_id FROM tenants WHERE id = ANY (string_to_array('{' '.join(tenants)}', ' '))")
    server_of = dict(line.split("|") for line in placed.splitlines())
    simulators = {simulator.server_id: simulator for simulator in bench.stack.simulators}
    by_server = {server_id: sorted(t for t in tenants if server_of.get(t) == server_id) for server_id in simulators}
    if any(not placed_here for placed_here in by_server.values()) or sum(map(len, by_server.values())) != len(tenants):
        raise StackError(f"the tenants were not placed on every server: {placed!r}")

    def scan(tenant: str) -> str | None:
        simulator = simulators[server_of[tenant]]
        status, body = request("POST", f"{simulator.url}/_sim/instances/tenant_{tenant}/scan", body={})
        if status != 200:
            return f"{tenant}: scan on {simulator.server_id} answered {status}: {body[:200]!r}"
        status, body = request("GET", f"{bench.base}{status_path(tenant)}", tokens[tenant])
        if status != 200 or b'"open"' not in body:
            return f"{tenant}: status after the scan: {status} {body[:200]!r}"
        return None
    fail_on(load.in_parallel(tenants, 8, scan), tenants, "scan")
    say("servers: placed " + ", ".join(f"{server_id} {len(placed)}" for server_id, placed in by_server.items()))
    return by_server


def fail_on(errors: list[str], tenants: list[str], step: str) -> None:
    if errors:
        raise StackError(f"servers: {len(errors)} of {len(tenants)} tenants failed at {step}; first: {errors[0]}")


def healthy_tenants_file(bench: Bench, tenants: dict[str, list[str]]) -> Path:
    """The wrk script's input: 'tenant token' of every tenant of the servers that stay alive."""
    path = bench.state / "servers-healthy-tenants.txt"
    healthy = [t for server_id, placed in tenants.items() if server_id != f"sim-{HUNG_SERVER}" for t in placed]
    path.write_text("".join(f"{tenant} {bench.tokens[tenant]}\n" for tenant in healthy))
    return path


# --- the windows --------------------------------------------------------------------------------------------------


def healthy_run(run: ServersRun, window: Window, name: str, round_number: int, clients: PacedClients) -> None:
    """wrk on the healthy servers' tenants for the bench's duration; CPU around it; the side answers meanwhile."""
    duration = run.bench.options.duration
    before, started = run.cpu(), time.monotonic()
    figures = wrk.run(run.bench.state, f"servers-{name}-{round_number}",
                      [f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency", "-s",
                       str(LUA_SCRIPT), run.bench.base, "--", str(run.healthy_file), str(WRK_THREADS)])
    ended, after = time.monotonic(), run.cpu()
    if figures.requests == 0:
        raise StackError(f"wrk completed no request; see {run.bench.state}/wrk-servers-{name}-{round_number}.txt")
    window.rounds.add(round_number, figures, before, after)
    window.side_answers += ended_within(clients.snapshot(), started, ended)


def alive_phase(run: ServersRun, round_number: int) -> None:
    say(f"servers, round {round_number}: all {SERVERS} alive")
    clients = run.clients().start()
    healthy_run(run, run.alive, "alive", round_number, clients)
    clients.stop()
    run.bench.wait_idle("the all-alive run")


def hung_phase(run: ServersRun, round_number: int) -> None:
    """sim-3 holds every Evolution call; the clients pile up on it; wrk from the first moment, then again once its
    tenants are answered fast; then the fault is lifted and the breaker must close again."""
    hung = run.stack.simulators[HUNG_SERVER - 1]
    say(f"servers, round {round_number}: {hung.server_id} hangs (every call held {HANG_MS} ms)")
    load.sim_control(hung.url, "POST", "/faults", {"route": "*", "kind": "passthrough", "delayMs": HANG_MS,
                                                   "times": 1000000})
    hung_at = time.monotonic()
    clients = run.clients().start()
    healthy_run(run, run.piling, "piling", round_number, clients)

    def answered_fast() -> bool:
        run.stack.check_alive()
        return any(a.seconds < FAST_S and a.status != 200 for a in clients.snapshot())
    if not wait_until(60, answered_fast):
        clients.stop()
        raise StackError(f"{hung.server_id}'s tenants were not answered within {FAST_S} s in the 60 s after it hung")
    run.fast_after_s.append(min(a.ended for a in clients.snapshot() if a.seconds < FAST_S and a.status != 200)
                            - hung_at)
    healthy_run(run, run.breaker_open, "breaker-open", round_number, clients)
    load.sim_control(hung.url, "DELETE", "/faults")
    lifted = time.monotonic()
    try:
        run.recovered_after_s.append(wait_recovered(run, clients, lifted))
    finally:
        answers = clients.stop()
    run.hung_answers += [answer for answer in answers if answer.started < lifted]
    run.bench.wait_idle("the hang")


def wait_recovered(run: ServersRun, clients: PacedClients, lifted: float) -> float:
    """Seconds from lifting the fault (LIFTED) until the clients' first call made since is answered 200 (the
    breaker's cooldown, then its probe, closed it again)."""
    def recovered() -> list[Answer]:
        return [a for a in clients.snapshot() if a.started >= lifted and a.status == 200]

    def answered_200() -> bool:
        run.stack.check_alive()
        return bool(recovered())
    if not wait_until(60, answered_200):
        raise StackError(f"sim-{HUNG_SERVER}'s tenants were not answered 200 within 60 s after the fault was lifted")
    return min(answer.ended for answer in recovered()) - lifted


# --- the rows -----------------------------------------------------------------------------------------------------


def healthy_row(run: ServersRun, window: Window, label: str, note: str) -> None:
    rounds = window.rounds
    cells = per_request_us([0] * len(rounds.ticks), rounds.ticks, rounds.requests + len(window.side_answers))
    cells[4] = ""
    if rounds.warnings:
        note += f"; WARNING: {rounds.warnings}"
    run.bench.table.add(label, f"{rounds.requests / rounds.seconds:.0f}", rounds.worst_p99, cells, note)


def delta_note(window: Window, alive: Window) -> str:
    if window.rounds.worst_p99 == "-" or alive.rounds.worst_p99 == "-":
        return f"Δp99 vs all alive: - (target ≤ {DELTA_P99_TARGET_MS} ms): FAIL"
    delta = float(window.rounds.worst_p99) - float(alive.rounds.worst_p99)
    verdict = "PASS" if delta <= DELTA_P99_TARGET_MS else "FAIL"
    return f"Δp99 vs all alive {delta:+.2f} ms (target ≤ {DELTA_P99_TARGET_MS} ms): {verdict}"


def side_note(window: Window) -> str:
    answered = counts(count_labels(window.side_answers)) or "no answer (every call held)"
    return f"{HUNG_CLIENTS} clients on sim-{HUNG_SERVER}'s tenants meanwhile: {answered}"


def percentile_ms(answers: list[Answer], p: int) -> str:
    durations = sorted(answer.seconds for answer in answers)
    return f"{durations[max(0, -(-len(durations) * p // 100) - 1)] * 1000:.2f}" if durations else "-"


def add_rows(run: ServersRun) -> None:
    per_server = "placed " + "/".join(str(len(placed)) for placed in run.tenants.values())
    rounds = run.bench.options.rounds
    healthy_row(run, run.alive, f"{SERVERS} servers, all alive: status of sim-1+2",
                f"{run.alive.rounds.requests} requests, {rounds} rounds, {per_server}; {side_note(run.alive)}")
    healthy_row(run, run.piling, f"{SERVERS} servers, sim-3 hung: status of sim-1+2, first run",
                f"{delta_note(run.piling, run.alive)}; from the moment it hangs; {side_note(run.piling)}")
    healthy_row(run, run.breaker_open, f"{SERVERS} servers, sim-3 hung: status of sim-1+2, breaker open",
                f"{delta_note(run.breaker_open, run.alive)}; once its tenants are answered fast; "
                f"{side_note(run.breaker_open)}")
    fast = " ".join(f"{seconds:.1f}" for seconds in run.fast_after_s)
    recovered = " ".join(f"{seconds:.1f}" for seconds in run.recovered_after_s)
    quick = [a for a in run.hung_answers if a.seconds < FAST_S]
    slowest = max((a.seconds for a in run.hung_answers), default=0)
    run.bench.table.add_note(
        f"{SERVERS} servers, sim-3 hung: its tenants' answers",
        f"{counts(count_labels(run.hung_answers))}; slowest {slowest:.1f} s; answered fast (< {FAST_S * 1000:.0f} ms) "
        f"from {fast} s after it hung (each round), {len(quick)} fast answers p99 {percentile_ms(quick, 99)} ms; "
        f"200 again {recovered} s after the fault was lifted (breaker cooldown, then its probe)")


# --- the measurement ----------------------------------------------------------------------------------------------


def measure_servers(options: Options, bin_dir: Path, build_name: str, table: Table) -> list[str]:
    """The servers rows, added to TABLE, from a stack of their own (stopped before returning); the footer's lines."""
    config = servers_config(options, bin_dir)
    with Stack(config) as stack:
        stack.up()
        bench = Bench(options, stack, build_name, table=table)
        tenants = open_spread_tenants(bench)
        run = ServersRun(bench, tenants, healthy_tenants_file(bench, tenants))
        try:
            for round_number in range(1, options.rounds + 1):
                phases = [alive_phase, hung_phase] if round_number % 2 else [hung_phase, alive_phase]
                for phase in phases:
                    phase(run, round_number)
        finally:
            wrk.stop_all()
        add_rows(run)
    return footer_lines(options, config)


def footer_lines(options: Options, config: StackConfig) -> list[str]:
    """How the servers rows were made."""
    return [
        f"Servers rows: a stack of their own: {SERVERS} evolution-sim registered as sim-1…sim-{SERVERS} (capacity "
        f"{SERVER_CAPACITY}), {SERVERS * TENANTS_PER_SERVER} tenants placed by connect ({TENANTS_PER_SERVER} each), "
        "scanned open;",
        f"  responder tenant-whatsapp {' '.join(config.responder_args)}, STATUS_MAX_AGE_MS=0 (every status asks its "
        "server), webhooks off, EVOLUTION_TIMEOUT_MS, breaker and",
        "  EVOLUTION_MAX_IN_FLIGHT_PER_SERVER at their defaults. Load: wrk "
        f"-t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{options.duration}s --latency -s bench/tenants-status.lua over the "
        f"{(SERVERS - 1) * TENANTS_PER_SERVER} tenants of the other servers;",
        f"  meanwhile {HUNG_CLIENTS} python clients ask status of sim-{HUNG_SERVER}'s tenants, each at most once "
        f"every {HUNG_PACE_S * 1000:.0f} ms (in both phases). Hung: POST /_sim/faults on sim-{HUNG_SERVER}, every "
        f"route, passthrough after {HANG_MS} ms.",
        f"  {options.rounds} rounds, alive and hung alternating (ABBA); the hung phase runs wrk from the moment it "
        "hangs (\"first run\") and again once its tenants are answered",
        "  fast (\"breaker open\"); each row sums its rounds (p99: the worst round's). CPU µs/req: ÷ every request "
        "answered in the runs (wrk's and the clients');",
        "  the evolution-sim column is the three simulators together."]
