"""The calls the measurements make: opening instances, pages polling, batches held upstream, the simulator's log."""

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from twstack import StackError
from twstack.web import request

from .proc import rss_kb


def in_parallel(items: list[str], workers: int, one: Callable[[str], str | None]) -> list[str]:
    """Runs one(item) for each item on WORKERS threads; returns the errors (non-None results) it gave."""
    queue = list(items)
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            error = one(item)
            if error:
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def open_instances(api: str, sim: str, tokens: dict[str, str], tenants: list[str], check_status: bool,
                   workers: int = 8) -> None:
    """For each tenant: connect through nginx, scan on the simulator and, when CHECK_STATUS, one status call that
    must say open (without it, with webhooks on, the open state reaches PostgreSQL as Evolution's push)."""
    def one(tenant: str) -> str | None:
        base = f"{api}/api/tenants/{tenant}/whatsapp"
        status, body = request("POST", f"{base}/connect", tokens[tenant], {})
        if status not in (200, 201):
            return f"{tenant}: connect answered {status}: {body[:200]!r}"
        status, body = request("POST", f"{sim}/_sim/instances/tenant_{tenant}/scan", body={})
        if status != 200:
            return f"{tenant}: scan answered {status}: {body[:200]!r}"
        if check_status:
            status, body = request("GET", f"{base}/status", tokens[tenant])
            if status != 200 or json.loads(body).get("status") != "open":
                return f"{tenant}: status after the scan answered {status}: {body[:200]!r}"
        return None

    errors = in_parallel(tenants, workers, one)
    if errors:
        raise StackError(f"{len(errors)} of {len(tenants)} tenants did not reach 'open'; first: {errors[0]}")


def _status_counts(statuses: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def poll(api: str, tokens: dict[str, str], tenants: list[str], interval: float, window: float) -> dict[str, Any]:
    """Each tenant's page asks GET status every INTERVAL s for WINDOW s: a thread per tenant, its calls on a fixed
    schedule (first + k × INTERVAL, while before the window's end), the tenants' first calls spread evenly over the
    first interval. A call that takes longer than INTERVAL delays that tenant's next one (as a page waiting for its
    answer would). Returns a summary: calls, statuses, non200, p50_ms, p99_ms, elapsed_s, late, first_errors."""
    results: list[tuple[int, float, float]] = []  # (status, seconds, lateness of the start in seconds)
    first_errors: list[str] = []
    lock = threading.Lock()
    # Half a second for the threads to start before the first slot.
    start = time.monotonic() + 0.5
    end = start + window

    def page(index: int, tenant: str) -> None:
        url = f"{api}/api/tenants/{tenant}/whatsapp/status"
        slot = start + index * interval / len(tenants)
        while slot < end:
            delay = slot - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing of the page's schedule, not synchronisation
            began = time.monotonic()
            status, body = request("GET", url, tokens[tenant], timeout=30)
            took = time.monotonic() - began
            with lock:
                results.append((status, took, began - slot))
                if status != 200 and len(first_errors) < 3:
                    first_errors.append(f"{tenant}: {status} {body[:200]!r}")
            slot += interval

    threads = [threading.Thread(target=page, args=(i, t), daemon=True) for i, t in enumerate(tenants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    statuses = _status_counts([status for status, _, _ in results])
    durations = sorted(took for _, took, _ in results)

    def percentile(p: int) -> Any:
        return round(durations[max(0, -(-len(durations) * p // 100) - 1)] * 1000, 2) if durations else "-"

    return {"calls": len(results), "statuses": statuses, "non200": len(results) - statuses.get("200", 0),
            "p50_ms": percentile(50), "p99_ms": percentile(99), "elapsed_s": round(elapsed, 1),
            "late": sum(1 for _, _, late in results if late > 1.0), "first_errors": first_errors}


def batch(api: str, tokens: dict[str, str], tenants: list[str], rss_pid: int = 0) -> dict[str, Any]:
    """One status call per entry of TENANTS, all started at once (a barrier); while they run, the resident memory
    of RSS_PID every 100 ms. Returns a summary: count, statuses, wall_s, max_s, min_s, rss_before_kb, rss_max_kb."""
    results: list[tuple[int, float]] = [(0, 0.0)] * len(tenants)
    barrier = threading.Barrier(len(tenants) + 1)

    def call(index: int, tenant: str) -> None:
        barrier.wait()
        started = time.monotonic()
        status, _ = request("GET", f"{api}/api/tenants/{tenant}/whatsapp/status", tokens[tenant], timeout=120)
        results[index] = (status, time.monotonic() - started)

    threads = [threading.Thread(target=call, args=(i, t), daemon=True) for i, t in enumerate(tenants)]
    for thread in threads:
        thread.start()
    rss = {"max_kb": 0, "before_kb": rss_kb(rss_pid) if rss_pid else 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss["max_kb"] = max(rss["max_kb"], rss_kb(rss_pid) if rss_pid else 0)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    return {"count": len(results), "statuses": _status_counts([status for status, _ in results]),
            "wall_s": round(wall, 2), "max_s": round(max(d for _, d in results), 2),
            "min_s": round(min(d for _, d in results), 2), "rss_before_kb": rss["before_kb"],
            "rss_max_kb": rss["max_kb"]}


def probe(url: str, token: str | None = None) -> tuple[str, float]:
    """One plain request: its status ('000' when none came, as curl says) and seconds."""
    began = time.monotonic()
    status, _ = request("GET", url, token, timeout=120)
    return f"{status:03d}", time.monotonic() - began


def sim_calls(sim: str, timeout: float = 10) -> list[dict[str, Any]] | None:
    """The simulator's call log (None when it does not answer 200)."""
    status, body = request("GET", f"{sim}/_sim/calls", timeout=timeout)
    return json.loads(body).get("calls", []) if status == 200 else None


def called(sim: str, route: str, instance: str) -> bool:
    """Whether the simulator's call log holds a call of ROUTE for INSTANCE."""
    calls = sim_calls(sim, timeout=5)
    return bool(calls) and any(c.get("route") == route and c.get("instance") == instance for c in calls)


def evolution_calls(sim: str, limit: int, tenants: list[str]) -> dict[str, Any]:
    """The simulator's call log → {"total": Evolution calls, "routes": {route: count}, "others": calls about an
    instance of none of TENANTS}. The control routes (/_sim/…) are no Evolution calls: left out (today's simulator
    does not log them at all). Fails when the log holds LIMIT entries: the oldest would be gone."""
    calls = sim_calls(sim)
    if calls is None:
        raise StackError("GET /_sim/calls did not answer 200")
    if len(calls) >= limit:
        raise StackError(f"the simulator's call log holds {len(calls)} entries, its limit: older calls were dropped")
    calls = [c for c in calls if c.get("route") != "_sim" and not c.get("path", "").startswith("/_sim/")]
    instances = {f"tenant_{tenant}" for tenant in tenants}
    routes: dict[str, int] = {}
    for call in calls:
        routes[call.get("route")] = routes.get(call.get("route"), 0) + 1
    return {"total": len(calls), "routes": routes,
            "others": sum(1 for c in calls if c.get("instance") not in instances)}


def sim_control(sim: str, method: str, path: str, body: Any = None) -> None:
    """A simulator control call (/_sim/...); anything but 2xx stops the bench."""
    status, _ = request(method, f"{sim}/_sim{path}", body=body, timeout=10)
    if not 200 <= status < 300:
        raise StackError(f"simulator control {method} /_sim{path} failed ({status})")
