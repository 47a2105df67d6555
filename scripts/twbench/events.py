"""The events rows (issue #20, item 9): 10,000 EventSource subscribers over 1,000 tenants held through nginx's nchan
for a minute — status requests made, responder CPU, nginx memory per 1,000 subscribers — and one change per tenant
pushed by Evolution's webhook: the delay from sending the webhook to each subscriber's message, p50 and p99.

A stack of its own: webhooks on, the responder publishing to nginx's nchan socket (NCHAN_PUBLISH_SOCKET), nginx with
its per-address limits lifted (TW_NGINX_EVENTS_CONN, the /api/ rates) and worker_connections raised for the
subscribers. Subscribers come from several 127.0.x.y source addresses, as many pages would."""

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from twstack import Stack, StackError, say
from twstack.tokens import mint_hs256
from twstack.web import request

from . import load
from .context import NGINX_LIMITS_LIFTED, Options, stack_config
from .proc import CLOCK_TICKS, cpu_ticks, rss_kb
from .sse import Subscribers, raise_open_files_limit
from .table import Table

TENANTS = 1000
SUBSCRIBERS_PER_TENANT = 10
SOURCE_ADDRESSES = 20                # 127.0.1.1 … 127.0.1.20
HOLD_SECONDS = 60
WEBHOOK_CONCURRENCY = 16             # deliveries in flight at once, as one Evolution node sends them
PACED_WEBHOOKS = 200                 # the paced row: this many tenants' webhooks, one every 50 ms
PACE_S = 0.05
OPEN_CONCURRENCY = 200               # streams being opened at once
WORKER_CONNECTIONS = 32768
DELIVERY_P99_TARGET_MS = 100


def events_config(options: Options, bin_dir: Path, publish_socket: Path):  # noqa: ANN201
    config = stack_config(options, bin_dir)
    config.throwaway_prefix = "tw-bench-events-"
    config.webhooks = True
    config.responder_env = {**config.responder_env, "NCHAN_PUBLISH_SOCKET": str(publish_socket),
                            "STATUS_MAX_AGE_MS": "60000"}
    config.nginx_env = {**NGINX_LIMITS_LIFTED, "TW_NGINX_PUBLISH_SOCKET": str(publish_socket),
                        "TW_NGINX_EVENTS_CONN": "60000", "TW_NGINX_WORKER_CONNECTIONS": str(WORKER_CONNECTIONS)}
    return config


def nginx_workers(master: int) -> list[int]:
    """The pids of nginx's worker processes (children of the master)."""
    workers = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            workers.append(int(status.parent.name))
    return workers


def attach_instances(stack: Stack, tenants: list[str]) -> None:
    """Each tenant gets a stored instance `tenant_{id}` in `connecting` on the default server (as after connect)."""
    listed = " ".join(tenants)
    stack.postgres.query(
        f"INSERT INTO tenants (id) SELECT unnest(string_to_array('{listed}', ' '));"
        "UPDATE tenants SET whatsapp_instance_name = 'tenant_' || id, whatsapp_status = 'connecting', "
        "evolution_server_id = 'default', whatsapp_instance_generation = gen_random_uuid()::text, "
        "whatsapp_instance_created_at = now() - interval '1 minute', whatsapp_checked_at = now() "
        f"WHERE id = ANY (string_to_array('{listed}', ' '))")


def issue_tickets(base: str, tokens: dict[str, str], tenants: list[str]) -> dict[str, str]:
    tickets: dict[str, str] = {}

    def one(tenant: str) -> str | None:
        status, body = request("POST", f"{base}/api/tenants/{tenant}/whatsapp/events/ticket", tokens[tenant], {})
        if status != 201:
            return f"{tenant}: ticket answered {status}: {body[:200]!r}"
        tickets[tenant] = json.loads(body)["ticket"]
        return None
    errors = load.in_parallel(tenants, 16, one)
    if errors:
        raise StackError(f"events: {len(errors)} tickets were refused; first: {errors[0]}")
    return tickets


def webhook(base: str, secret: str, tenant: str, state: str) -> tuple[int, bytes]:
    """Evolution's `connection.update` to STATE for the tenant's instance, signed as Evolution signs it."""
    now = int(time.time())
    token = mint_hs256(secret, {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"})
    name = f"tenant_{tenant}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
    return request("POST", f"{base}/api/evolution/webhook", token,
                   {"event": "connection.update", "instance": name, "destination": f"{base}/api/evolution/webhook",
                    "data": {"instance": name, "state": state, "statusReason": 200}, "date_time": stamp,
                    "server_url": "http://127.0.0.1", "apikey": None})


async def hold_and_publish(stack: Stack, tenants: list[str], tickets: dict[str, str], table: Table) -> list[str]:
    port = int(stack.base_url.rsplit(":", 1)[1])
    subscribers = Subscribers(port)
    workers = nginx_workers(stack.nginx.pid)
    rss_before = sum(rss_kb(pid) for pid in workers)
    streams = [(tenant, tickets[tenant], f"127.0.1.{1 + (i * SUBSCRIBERS_PER_TENANT + j) % SOURCE_ADDRESSES}")
               for i, tenant in enumerate(tenants) for j in range(SUBSCRIBERS_PER_TENANT)]
    say(f"events: opening {len(streams)} streams over {len(tenants)} tenants")
    opened_at = time.monotonic()
    await subscribers.open_all(streams, OPEN_CONCURRENCY)
    refused = [s for s in subscribers.subscribers if s.status != 200]
    if refused:
        raise StackError(f"events: {len(refused)} streams were refused; first: {refused[0].status} {refused[0].error}")
    if not await subscribers.wait_until(lambda: all(s.states for s in subscribers.subscribers), 120):
        waiting = sum(1 for s in subscribers.subscribers if not s.states)
        raise StackError(f"events: {waiting} streams got no first state within 120 s")
    open_seconds = time.monotonic() - opened_at
    rss_after = sum(rss_kb(pid) for pid in nginx_workers(stack.nginx.pid))

    say(f"events: holding {len(streams)} streams for {HOLD_SECONDS} s")
    access_log = stack.nginx_dir / "access.log"
    status_before = access_log.read_text().count("/whatsapp/status")
    cpu_before = cpu_ticks([stack.responder.pid, stack.postgres.postmaster_pid])
    await asyncio.sleep(HOLD_SECONDS)
    cpu_after = cpu_ticks([stack.responder.pid, stack.postgres.postmaster_pid])
    status_calls = access_log.read_text().count("/whatsapp/status") - status_before
    responder_s = (cpu_after[0] - cpu_before[0]) / CLOCK_TICKS
    postgres_s = (cpu_after[1] - cpu_before[1]) / CLOCK_TICKS

    loop = asyncio.get_running_loop()
    secret = stack.webhook_secret

    async def push(tenant: str, state: str, sent: dict[str, float]) -> None:
        sent[tenant] = time.monotonic()
        status, body = await loop.run_in_executor(None, webhook, stack.base_url, secret, tenant, state)
        if status != 200:
            raise StackError(f"events: the webhook of {tenant} answered {status}: {body[:200]!r}")

    async def delays_of(state: str, sent: dict[str, float]) -> tuple[list[float], float]:
        """Each stream of a tenant in SENT: ms from its webhook to its first message in STATE (sorted), and when the
        last of those messages arrived."""
        streams = [s for s in subscribers.subscribers if s.tenant in sent]

        def arrived(s) -> float | None:  # noqa: ANN001
            return next((t for t, status, _ in s.states if status == state and t >= sent[s.tenant]), None)
        if not await subscribers.wait_until(lambda: all(arrived(s) is not None for s in streams), 60):
            missing = sum(1 for s in streams if arrived(s) is None)
            raise StackError(f"events: {missing} streams never got their tenant's {state} state")
        arrivals = [(s, arrived(s)) for s in streams]
        return sorted((t - sent[s.tenant]) * 1000 for s, t in arrivals), max(t for _, t in arrivals)

    say(f"events: {PACED_WEBHOOKS} webhooks one every {PACE_S * 1000:.0f} ms, delivery to their streams")
    paced_sent: dict[str, float] = {}
    paced_tasks = []
    for tenant in tenants[:PACED_WEBHOOKS]:
        paced_tasks.append(asyncio.create_task(push(tenant, "close", paced_sent)))
        await asyncio.sleep(PACE_S)
    await asyncio.gather(*paced_tasks)
    paced, _ = await delays_of("close", paced_sent)

    say(f"events: one webhook per tenant ({WEBHOOK_CONCURRENCY} at once), delivery to every stream")
    sent: dict[str, float] = {}
    gate = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

    async def gated(tenant: str) -> None:
        async with gate:
            await push(tenant, "open", sent)
    started = time.monotonic()
    await asyncio.gather(*(gated(tenant) for tenant in tenants))
    delays, last_arrival = await delays_of("open", sent)
    all_done = last_arrival - started
    await subscribers.close()

    count = len(streams)
    per_thousand_mb = (rss_after - rss_before) / 1024 / (count / 1000)
    table.add_note(f"events: {count:,} streams over {len(tenants):,} tenants held {HOLD_SECONDS} s",
                   f"{status_calls} status requests; responder {responder_s:.2f} CPU s, PostgreSQL {postgres_s:.2f} "
                   f"CPU s in that minute; nginx worker RSS +{per_thousand_mb:.1f} MB per 1,000 streams "
                   f"({rss_before // 1024} → {rss_after // 1024} MB); all opened with their first state in "
                   f"{open_seconds:.1f} s")
    # The target (p99 < 100 ms from a webhook's arrival to its delivery) is about one change at a time: the paced
    # row. The burst row shows what queueing adds when every tenant changes at once; it gets no verdict.
    for label, values, target, extra in [
            (f"events: {PACED_WEBHOOKS} webhooks, one per 50 ms → {len(paced):,} deliveries", paced, True, ""),
            (f"events: one webhook per tenant, {WEBHOOK_CONCURRENCY} at once → {len(delays):,} deliveries", delays,
             False, f"; a burst, no target; all {len(tenants):,} delivered everywhere {all_done:.2f} s after the "
                    "first was sent")]:
        p50, p99 = statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.99))]
        verdict = ""
        if target:
            verdict = f" (target < {DELIVERY_P99_TARGET_MS} ms: {'PASS' if p99 < DELIVERY_P99_TARGET_MS else 'FAIL'})"
        table.add(label, p99=f"{p99:.1f}",
                  note=f"webhook sent → message on each stream: p50 {p50:.1f} ms, p99 {p99:.1f} ms{verdict}{extra}")
    return [f"Events rows: a stack of its own with webhooks and nchan; {len(tenants):,} tenants with an instance, "
            f"{SUBSCRIBERS_PER_TENANT} EventSource streams each from {SOURCE_ADDRESSES} source addresses",
            f"  (HTTP/1.0, one asyncio loop), nginx worker_connections {WORKER_CONNECTIONS}, per-address limits "
            f"lifted; then {len(tenants):,} signed connection.update webhooks, {WEBHOOK_CONCURRENCY} at a time;",
            "  delay = from just before the webhook was sent to the `state` message carrying `open` on each stream."]


def measure_events(options: Options, bin_dir: Path, name: str, table: Table) -> list[str]:
    """The events rows, on a stack of their own; returns the footer lines."""
    raise_open_files_limit(TENANTS * SUBSCRIBERS_PER_TENANT + 1024)
    with tempfile.TemporaryDirectory(prefix="tw-bench-nchan-") as folder:
        publish_socket = Path(folder) / "nchan-publish.sock"
        with Stack(events_config(options, bin_dir, publish_socket)) as stack:
            stack.up()
            tenants = [f"events-{i:04d}" for i in range(TENANTS)]
            attach_instances(stack, tenants)
            now = int(time.time())
            tokens = {tenant: mint_hs256(stack.jwt_secret, {"sub": "bench", "tenantId": tenant, "iat": now,
                                                            "exp": now + 86400}) for tenant in tenants}
            say(f"events: {len(tenants)} tickets")
            tickets = issue_tickets(stack.base_url, tokens, tenants)
            return asyncio.run(hold_and_publish(stack, tenants, tickets, table))
