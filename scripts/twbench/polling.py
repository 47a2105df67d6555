"""Measurement 4: Evolution calls per minute of 100 tenants whose pages poll status every 3 s, for each of three
responder configurations (webhooks off; on with STATUS_MAX_AGE_MS=5000, the default; on with 60000)."""

from dataclasses import dataclass

from twstack import StackError, say
from twstack.processes import wait_until
from twstack.web import request

from . import load
from .context import Bench
from .proc import per_request_us
from .scenarios import POLL_INTERVAL_S, POLL_MAX_AGE_LONG_MS, POLL_TENANTS, SIM_CALL_LOG_LIMIT
from .table import counts


@dataclass
class Configuration:
    """One polling row: NAME (of its tenants and files), LABEL, PUSH (webhooks on: the open state arrives as
    Evolution's push; off: one status call records it), its STATUS_MAX_AGE_MS and the responder's extra settings."""

    name: str
    label: str
    push: bool
    max_age_ms: int
    extra_env: dict[str, str]


def restart_responder(bench: Bench, extra_env: dict[str, str]) -> None:
    """Stops the responder and starts it again on the same socket with EXTRA_ENV; returns once it answers /api/health
    through nginx. Its PostgreSQL backends are gone before the new process starts, so the connection row
    (measurement 5) still counts one process's pool, never two."""
    bench.stack.stop_responder()
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp'"
    if not wait_until(30, lambda: bench.stack.postgres.query(query) == "0"):
        raise StackError("the stopped responder's PostgreSQL connections were still open after 30 s")
    bench.stack.start_responder(extra_env)


def has_webhook_route(bench: Bench) -> bool:
    """An older build (--bin-dir) has no webhook route: an unsigned delivery is 401 where the route exists."""
    status, _ = request("POST", f"{bench.base}/api/evolution/webhook", body={}, timeout=10)
    return status != 404


def open_poll_tenants(bench: Bench, configuration: Configuration, tenants: list[str]) -> str:
    """Fresh tenants, opened through this responder (with webhooks on each instance carries the webhook); returns
    how old their recorded state was when the window opens ("youngest oldest" seconds)."""
    bench.insert_tenants(tenants)
    tokens = bench.mint(tenants)
    if configuration.push:
        say(f"polling ({configuration.label}): {POLL_TENANTS} tenants connected and scanned; waiting for the pushed "
            "'open'")
    else:
        say(f"polling ({configuration.label}): {POLL_TENANTS} tenants connected, scanned and checked once")
    load.open_instances(bench.base, bench.sim, tokens, tenants, check_status=not configuration.push)
    listed = f"string_to_array('{' '.join(tenants)}', ' ')"
    all_open = f"SELECT count(*) FROM tenants WHERE id = ANY ({listed}) AND whatsapp_status = 'open'"
    if not wait_until(60, lambda: bench.stack.postgres.query(all_open) == str(POLL_TENANTS)):
        raise StackError(f"after 60 s, not all {POLL_TENANTS} polling tenants were recorded open "
                         f"({configuration.label}); see {bench.state}/responder.log and "
                         f"{bench.state}/evolution-sim.log")
    # With a long STATUS_MAX_AGE_MS, how old the records are decides how many expire within the window.
    return bench.stack.postgres.query(
        "SELECT round(extract(epoch FROM now() - max(whatsapp_checked_at))::numeric, 1), "
        "round(extract(epoch FROM now() - min(whatsapp_checked_at))::numeric, 1) "
        f"FROM tenants WHERE id = ANY ({listed})", separator=" ")


def poll_row(bench: Bench, configuration: Configuration, off_per_minute: str | None) -> str | None:
    """Restarts the responder with the configuration, opens its tenants, polls for the window and adds the row;
    returns the row's Evolution calls per minute."""
    label = f"{POLL_TENANTS} tenants polling every {POLL_INTERVAL_S} s: {configuration.label}"
    say(f"polling ({configuration.label}): restarting the responder")
    restart_responder(bench, configuration.extra_env)
    if configuration.push and not has_webhook_route(bench):
        say(f"polling ({configuration.label}): this build has no webhook route; row skipped")
        bench.table.add_note(label, "not measured: POST /api/evolution/webhook answered 404 (a build without webhooks)")
        return off_per_minute
    tenants = [f"poll-{configuration.name}-{i:03d}" for i in range(POLL_TENANTS)]
    ages = open_poll_tenants(bench, configuration, tenants)

    window = bench.options.poll_window
    say(f"polling ({configuration.label}): {POLL_TENANTS} pages asking status every {POLL_INTERVAL_S} s for "
        f"{window} s")
    load.sim_control(bench.sim, "DELETE", "/calls")
    try:
        before = bench.cpu()
    except StackError:
        raise StackError(f"a process of the stack is gone before the polling window ({configuration.label})") from None
    polled = load.poll(bench.base, bench.tokens, tenants, POLL_INTERVAL_S, window)
    try:
        after = bench.cpu()
    except StackError:
        raise StackError(f"a process of the stack ended during the polling window ({configuration.label}); see "
                         f"{bench.state}/responder.log and {bench.state}/evolution-sim.log") from None
    evolution = load.evolution_calls(bench.sim, SIM_CALL_LOG_LIMIT, tenants)
    if polled["calls"] == 0:
        raise StackError(f"the poller made no call ({configuration.label})")

    per_minute = f"{evolution['total'] * 60 / window:.0f}"
    note = (f"Evolution {per_minute} calls/min ({counts(evolution['routes']) or 'no call'} in {window} s); "
            f"status {polled['calls'] * 60 / window:.0f}/min")
    note += poll_warnings(polled, evolution, window)
    if off_per_minute is None:
        off_per_minute = per_minute
    elif evolution["total"] > 0:
        note += f"; {float(off_per_minute) / float(per_minute):.1f}× fewer than off"
    else:
        note += f"; no Evolution call at all (off: {off_per_minute}/min)"
    note += steady_state(configuration.max_age_ms)
    if configuration.push:
        youngest, oldest = ages.split()
        note += f"; pushed state {youngest}–{oldest} s old at the start"
    cells = per_request_us(before, after, polled["calls"])
    bench.table.add(label, f"{polled['calls'] / window:.1f}", str(polled["p99_ms"]), cells, note)
    return off_per_minute


def poll_warnings(polled: dict, evolution: dict, window: int) -> str:
    """What went wrong in the window, if anything, for the row's note."""
    if polled["non200"] == 0:
        note = ", all 200"
    else:
        first = " | ".join(map(str, polled["first_errors"])) or "-"
        note = (f", WARNING: {polled['non200']} of {polled['calls']} not 200 ({counts(polled['statuses'])}; "
                f"first: {first})")
    if evolution["others"]:
        note += f"; WARNING: {evolution['others']} calls about other tenants' instances"
    if polled["late"]:
        note += f"; {polled['late']} calls started > 1 s after their slot"
    if polled["elapsed_s"] > window + 2:
        note += f"; the last answer came after {polled['elapsed_s']} s"
    return note


def steady_state(max_age_ms: int) -> str:
    """What a page polling for long makes, for comparison: a check records its time a little after the poll started,
    so the k-th poll after it finds the record k × interval minus a few ms old, fresh while that is under
    STATUS_MAX_AGE_MS. One poll in k asks Evolution, k = ⌊max age ÷ interval⌋ + 1 (1 when the max age is 0)."""
    polls_per_check = 1 if max_age_ms == 0 else max_age_ms // (POLL_INTERVAL_S * 1000) + 1
    asking = "every poll asks" if polls_per_check == 1 else f"1 poll in {polls_per_check} asks"
    return f"; steady state ≈ {POLL_TENANTS * 60 // (POLL_INTERVAL_S * polls_per_check)}/min ({asking})"


def measure_polling(bench: Bench) -> None:
    """The three rows. Webhooks off: STATUS_MAX_AGE_MS defaults to 0 (every status call asks Evolution); on: 5000.
    The simulator reaches the webhook route through the bench's nginx, like any client."""
    webhooks = bench.stack.webhook_environment()
    configurations = [
        Configuration("off", "webhooks off", False, 0, {}),
        Configuration("5000", "webhooks on (STATUS_MAX_AGE_MS=5000)", True, 5000, webhooks),
        Configuration(str(POLL_MAX_AGE_LONG_MS), f"webhooks on (STATUS_MAX_AGE_MS={POLL_MAX_AGE_LONG_MS})", True,
                      POLL_MAX_AGE_LONG_MS, {**webhooks, "STATUS_MAX_AGE_MS": str(POLL_MAX_AGE_LONG_MS)}),
    ]
    off_per_minute = None
    for configuration in configurations:
        off_per_minute = poll_row(bench, configuration, off_per_minute)
