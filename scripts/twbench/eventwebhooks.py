"""The event webhooks rows (issue #23, item 7): 1,000 tenants changing state once each, their events delivered to a
local receiver — the time until all are delivered, deliveries/s, the delay of each, and the CPU each state change
adds in the responder and PostgreSQL.

A stack of its own: Evolution's webhooks on, the responder started twice on it, once with EVENTS_WEBHOOK_URL pointing
at scripts/event-receiver on loopback (run with the bench's virtual environment, which has `standardwebhooks`) and
once without; 1,000 fresh tenants each time, every one with an instance in `connecting`, pushed to `open` by one
signed `connection.update` webhook through nginx, 16 in flight. The run with events comes first: its window (from
the first change sent until PostgreSQL says all 1,000 events are delivered) is the window the run without them is
measured over too, so that both CPU readings cover the same idle time and the same progress queries."""

import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from twstack import Stack, StackError, say
from twstack.eventreceiver import new_secret, received, receiver_python, start_receiver
from twstack.processes import wait_until

from . import load
from .context import NGINX_LIMITS_LIFTED, POOL_SIZE, Options, stack_config
from .events import attach_instances, webhook
from .proc import CLOCK_TICKS, cpu_ticks
from .table import Table

TENANTS = 1000
WEBHOOK_CONCURRENCY = 16         # state changes in flight at once, as one Evolution node sends its webhooks
DISPATCHER_CONNECTIONS = 2       # the delivery's own: one LISTENing, one for its statements (docs/event-webhooks.md)
PROBE_INTERVAL_S = 0.2
DELIVERY_DEADLINE_S = 180


@dataclass
class Run:
    """One run of the 1,000 changes: CPU ticks of each tree over its window, the window, when each change was sent
    (unix seconds), each webhook's answer time, and the most connections the responder held."""

    label: str
    ticks: list[int]
    window_s: float
    changes_answered_s: float
    sent: dict[str, float] = field(default_factory=dict)
    answer_ms: list[float] = field(default_factory=list)
    max_connections: int = 0


class OutboxProbe:
    """One psql session, asked on demand (one session: a psql per question would fork a backend each time, PostgreSQL
    CPU counted as the change's): the responder's PostgreSQL connections and the events delivered so far."""

    QUERY = ("SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp'), "
             "(SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'delivered');\n")

    def __init__(self, psql: list[str]) -> None:
        self.process = subprocess.Popen([*psql, "-tA", "-F", " "], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def ask(self) -> tuple[int, int]:
        """(connections, delivered) now."""
        self.process.stdin.write(self.QUERY)
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise StackError("the event webhooks' psql session exited")
        connections, delivered = line.split()
        return int(connections), int(delivered)

    def close(self) -> None:
        """psql ends at the end of its input."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def restart_responder(stack: Stack, extra_env: dict[str, str]) -> None:
    """Stops the responder, waits until its PostgreSQL backends are gone, starts it again with EXTRA_ENV."""
    stack.stop_responder()
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp'"
    if not wait_until(30, lambda: stack.postgres.query(query) == "0"):
        raise StackError("the stopped responder's PostgreSQL connections were still open after 30 s")
    stack.start_responder(extra_env)


def change_states(stack: Stack, tenants: list[str], probe: OutboxProbe, trees: list[int], label: str,
                  delivered_wanted: int, window_s: float = 0) -> Run:
    """Pushes each tenant to `open` (WEBHOOK_CONCURRENCY webhooks in flight, on threads), and asks PROBE every 200 ms
    until every webhook was answered, DELIVERED_WANTED events are delivered and WINDOW_S seconds have passed; the CPU
    of TREES over that window."""
    run = Run(label, [], 0.0, 0.0)
    lock = threading.Lock()

    def one(tenant: str) -> str | None:
        sent = time.time()
        began = time.monotonic()
        status, body = webhook(stack.base_url, stack.webhook_secret, tenant, "open")
        with lock:
            run.sent[tenant] = sent
            run.answer_ms.append((time.monotonic() - began) * 1000)
        return None if status == 200 else f"{tenant}: the webhook answered {status}: {body[:200]!r}"

    errors: list[str] = []
    senders = threading.Thread(target=lambda: errors.extend(load.in_parallel(tenants, WEBHOOK_CONCURRENCY, one)),
                               name="state-changes", daemon=True)
    before = cpu_ticks(trees)
    started = time.monotonic()
    senders.start()
    while True:
        connections, delivered = probe.ask()
        run.max_connections = max(run.max_connections, connections)
        elapsed = time.monotonic() - started
        if not senders.is_alive() and not run.changes_answered_s:
            run.changes_answered_s = elapsed
        if run.changes_answered_s and delivered >= delivered_wanted and elapsed >= window_s:
            break
        if elapsed > DELIVERY_DEADLINE_S:
            raise StackError(f"event webhooks ({label}): {delivered} of {delivered_wanted} events delivered after "
                             f"{DELIVERY_DEADLINE_S} s; see {stack.responder_log}")
        stack.check_alive()
        time.sleep(PROBE_INTERVAL_S)  # pacing of the questions, not synchronisation
    after = cpu_ticks(trees)
    run.window_s = time.monotonic() - started
    run.ticks = [late - early for early, late in zip(before, after)]
    if errors:
        raise StackError(f"event webhooks ({label}): {len(errors)} state changes failed; first: {errors[0]}")
    return run


def check_outbox(stack: Stack) -> int:
    """Every event of the run delivered; returns the attempts beyond the first (answers other than 2xx)."""
    rows, delivered, attempts = stack.postgres.query(
        "SELECT count(*), count(*) FILTER (WHERE state = 'delivered'), coalesce(sum(attempts), 0) "
        "FROM whatsapp_event_outbox").split("|")
    if int(rows) != TENANTS or int(delivered) != TENANTS:
        raise StackError(f"event webhooks: the outbox holds {rows} events, {delivered} delivered; {TENANTS} expected")
    return int(attempts) - TENANTS


def delays_ms(run: Run, deliveries: list[dict]) -> tuple[list[float], float, float]:
    """ms from each change's webhook sent to its event's arrival at the receiver (sorted), and the first and the last
    arrival in seconds after the first change was sent."""
    verified = [d for d in deliveries if d["verified"]]
    if len(verified) != len(deliveries):
        first = next(d for d in deliveries if not d["verified"])
        raise StackError(f"event webhooks: {len(deliveries) - len(verified)} deliveries did not verify; first: "
                         f"{first['error']}")
    if len({d["webhookId"] for d in deliveries}) != TENANTS:
        raise StackError(f"event webhooks: the receiver got {len(deliveries)} deliveries of "
                         f"{len({d['webhookId'] for d in deliveries})} events; {TENANTS} expected")
    first_sent = min(run.sent.values())
    arrivals = {}
    for delivery in deliveries:
        tenant = delivery["json"]["data"]["tenantId"]
        arrivals[tenant] = min(arrivals.get(tenant, delivery["receivedAtUnix"]), delivery["receivedAtUnix"])
    delays = sorted((arrivals[tenant] - run.sent[tenant]) * 1000 for tenant in run.sent)
    return delays, min(arrivals.values()) - first_sent, max(arrivals.values()) - first_sent


def per_change_us(ticks: int) -> float:
    return ticks * 1000000 / CLOCK_TICKS / TENANTS


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))]


def add_rows(table: Table, on: Run, off: Run, deliveries: list[dict], retries: int, connection_bound: int,
             publisher: bool) -> None:
    """The rows: without events, with them, the difference, the connections."""
    delays, first_s, last_s = delays_ms(on, deliveries)
    cpu_on, cpu_off = [per_change_us(t) for t in on.ticks], [per_change_us(t) for t in off.ticks]
    answers = sorted(off.answer_ms)
    table.add(f"event webhooks off: {TENANTS:,} state changes, {WEBHOOK_CONCURRENCY} at once",
              f"{TENANTS / off.changes_answered_s:.0f}", f"{percentile(answers, 0.99):.1f}",
              [f"{value:.0f}" for value in cpu_off[:4]] + [""],
              f"EVENTS_WEBHOOK_URL unset; req/s, p99: the webhooks, all answered in {off.changes_answered_s:.2f} s; "
              f"CPU over the same {off.window_s:.1f} s window as the row below")
    p50, p99 = statistics.median(delays), percentile(delays, 0.99)
    steady = (TENANTS - 1) / (last_s - first_s)
    table.add(f"event webhooks on: {TENANTS:,} state changes → {len(deliveries):,} deliveries",
              f"{TENANTS / last_s:.0f}", f"{p99:.1f}", [f"{value:.0f}" for value in cpu_on[:4]] + [""],
              f"deliveries/s = {TENANTS:,} ÷ {last_s:.2f} s from the first change sent to the last event received "
              f"(changes answered in {on.changes_answered_s:.2f} s; first delivery at {first_s:.2f} s, {steady:.0f}/s "
              f"from then); change sent → event received p50 {p50:.0f} ms, p99 {p99:.0f} ms; {retries} retries, all "
              f"verified; receiver {per_change_us(on.ticks[4]):.0f} µs CPU per delivery")
    added = [on_us - off_us for on_us, off_us in zip(cpu_on, cpu_off)]
    table.add("event webhooks: CPU added per state change", cpu=[f"{value:+.0f}" for value in added[:4]] + [""],
              note=f"on − off: responder {added[0]:+.0f} µs, PostgreSQL {added[2]:+.0f} µs per change (trigger, "
                   "outbox row, NOTIFY, claim, the signed POST, its record)")
    verdict = "PASS" if on.max_connections <= connection_bound else "FAIL"
    bound = f"DATABASE_POOL_SIZE={POOL_SIZE}" + (" + 1 (the event publisher's)" if publisher else "")
    table.add_note("event webhooks: responder's PostgreSQL connections",
                   f"max {on.max_connections} open with events on (off: {off.max_connections}; sampled every "
                   f"{PROBE_INTERVAL_S * 1000:.0f} ms), ≤ {bound} + {DISPATCHER_CONNECTIONS} (the delivery's own): "
                   f"{verdict}")


def footer() -> list[str]:
    """How the event webhooks figures were made."""
    tick_us = 1000000 // CLOCK_TICKS
    return [f"Event webhooks rows: a stack of its own; {TENANTS:,} fresh tenants per run, each with an instance in "
            "connecting, pushed to open by one signed connection.update",
            f"  webhook through nginx, {WEBHOOK_CONCURRENCY} at a time. Events on: EVENTS_WEBHOOK_URL = "
            "scripts/event-receiver on loopback (verifies each delivery with standardwebhooks),",
            "  EVENTS_CONCURRENCY unset (4); measured until PostgreSQL's outbox says all are delivered (asked every "
            f"{PROBE_INTERVAL_S * 1000:.0f} ms on one psql session). Then the",
            "  responder restarted without EVENTS_WEBHOOK_URL and the same changes measured over an equally long "
            "window. CPU µs/req = µs per state change:",
            f"  utime+stime of each tree over the window ÷ {TENANTS:,} (clock tick {tick_us} µs: "
            f"±{tick_us / TENANTS:.0f} µs per change). Times: the bench's and the receiver's clocks (one machine)."]


def measure_event_webhooks(options: Options, bin_dir: Path, name: str, table: Table) -> list[str]:
    """The event webhooks rows, on a stack of their own; returns the footer lines."""
    python = receiver_python()
    config = stack_config(options, bin_dir)
    config.throwaway_prefix = "tw-bench-eventwebhooks-"
    config.webhooks = True
    config.start_responder = False
    config.nginx_env = NGINX_LIMITS_LIFTED
    # Only this bench decides where events go: none of the caller's EVENTS_* settings reaches the responder.
    config.environment = {key: value for key, value in config.environment.items() if not key.startswith("EVENTS_")}
    secret = new_secret()
    with Stack(config) as stack:
        stack.up()
        receiver, url = start_receiver(stack, python, secret)
        events_env = {"EVENTS_WEBHOOK_URL": f"{url}/tenant-whatsapp-events", "EVENTS_WEBHOOK_SECRET": secret}
        with_events = [f"evw-on-{i:04d}" for i in range(TENANTS)]
        without = [f"evw-off-{i:04d}" for i in range(TENANTS)]
        attach_instances(stack, with_events + without)
        stack.start_responder(events_env)
        probe = OutboxProbe(stack.postgres.psql_command())
        try:
            def trees() -> list[int]:
                return [stack.responder.pid, stack.nginx.pid, stack.postgres.postmaster_pid,
                        stack.simulators[0].process.pid, receiver.pid]
            say(f"event webhooks: {TENANTS} state changes with events on, until all are delivered")
            on = change_states(stack, with_events, probe, trees(), "on", TENANTS)
            say("event webhooks: restarting the responder without EVENTS_WEBHOOK_URL")
            restart_responder(stack, {})
            say(f"event webhooks: {TENANTS} state changes with events off, over {on.window_s:.1f} s")
            off = change_states(stack, without, probe, trees(), "off", 0, on.window_s)
        finally:
            probe.close()
        retries = check_outbox(stack)
        publisher = "NCHAN_PUBLISH_SOCKET" in stack.responder_environment()
        bound = POOL_SIZE + (1 if publisher else 0) + DISPATCHER_CONNECTIONS
        add_rows(table, on, off, received(url), retries, bound, publisher)
    return footer()
