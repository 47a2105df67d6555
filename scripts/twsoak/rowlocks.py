"""Row locks held from another session: a few times during the run, psql locks 1–3 random tenant rows
(`SELECT … FOR UPDATE` in a transaction) and holds them 2–5 s (`pg_sleep` inside that transaction: the fault's
duration in PostgreSQL). Meanwhile every answer for a locked tenant is counted (409 operation_in_progress, or 503
with Retry-After, are the honest answers), the other tenants' answers must never be 503 database_unavailable, and
/api/ready must answer 200 within READY_BOUND_MS (issue #21 item 1: locked rows never drain the pool)."""

import collections
import random
import subprocess
import time

from .common import http, log, spread, timed, wait_until

READY_BOUND_MS = 1000
READY_PROBE_INTERVAL_S = 0.25
LOCK_SECONDS = (2.0, 5.0)
LOCKED_TENANTS = (1, 3)


class LockWindow:
    """The tenants whose rows are locked right now (compared by identity: one window per lock)."""

    def __init__(self, tenants):
        self.tenants = frozenset(tenants)


class RowLocks:
    def __init__(self, soak, count):
        self.soak = soak
        self.count = count
        self.window = None
        self.sessions = 0
        self.rows = 0
        self.held_seconds = 0.0
        self.failed = 0
        self.locked_answers = collections.Counter()  # (route, status, code) of a locked tenant while locked
        self.other_answers = collections.Counter()   # (status, code) of the other tenants meanwhile
        self.ready_ms = []

    # --- the thread ---------------------------------------------------------------------------------------

    def run(self):
        rng = random.Random(f"{self.soak.o.seed}-row-locks")
        for at in spread(rng, self.count, self.soak.o.duration, 0.1, 0.85):
            if wait_until(self.soak, at):
                return
            with self.soak.chaos_lock:
                if self.soak.stop.is_set():
                    return
                self.hold(rng)

    def hold(self, rng):
        soak = self.soak
        tenants = sorted(rng.sample(soak.tenants, rng.randint(*LOCKED_TENANTS)))
        seconds = round(rng.uniform(*LOCK_SECONDS), 1)
        ids = ",".join(f"'{t}'" for t in tenants)
        script = (f"BEGIN;\nSELECT id FROM tenants WHERE id = ANY(ARRAY[{ids}]) FOR UPDATE;\n"
                  f"SELECT pg_sleep({seconds});\nCOMMIT;\n")
        process = subprocess.Popen(soak.psql + ["-tAq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        asked = time.monotonic()
        process.stdin.write(script)
        process.stdin.close()
        # psql prints the ids once the rows are locked (then sleeps in the transaction).
        locked = set()
        while len(locked) < len(tenants):
            line = process.stdout.readline()
            if not line:
                break
            if line.strip():
                locked.add(line.strip())
        began = time.monotonic()
        with soak.lock:
            self.window = LockWindow(locked)
        log(f"locked the rows of {', '.join(sorted(locked)) or 'no tenant'} from psql for {seconds} s (locked "
            f"{(began - asked) * 1000:.0f} ms after asking)")
        while process.poll() is None:
            self.probe_ready()
            time.sleep(READY_PROBE_INTERVAL_S)  # pacing the probes while psql holds the lock
        with soak.lock:
            self.window = None
        process.stdout.read()
        errors = process.stderr.read()
        held = time.monotonic() - began
        with soak.lock:
            self.sessions += 1
            self.rows += len(locked)
            self.held_seconds += held
            if process.returncode != 0 or len(locked) != len(tenants):
                self.failed += 1
        if process.returncode != 0:
            log(f"the row-lock session failed: {errors.strip()[:300]}")

    def probe_ready(self):
        (status, headers, body), ms = timed(lambda: http("GET", f"{self.soak.base}/api/ready", timeout=10))
        self.soak.check("ready", "-", status, headers, body, tally=None)
        with self.soak.lock:
            self.ready_ms.append(ms)
        if status != 200 or ms > READY_BOUND_MS:
            self.soak.violation("lock_spill", f"/api/ready answered {status} in {ms:.0f} ms while rows were locked")

    # --- the workers' answers -----------------------------------------------------------------------------

    def observe(self, window, tenant, route, status, code, headers):
        """One worker's answer; WINDOW is the lock window when its call started (counted when still the same)."""
        if window is None or window is not self.window:
            return
        if tenant in window.tenants:
            with self.soak.lock:
                self.locked_answers[(route, status, code)] += 1
            if status == 503 and not (headers and headers.get("Retry-After")):
                self.soak.violation("lock_no_retry_after", f"{route} {tenant} (row locked) → 503 {code} without "
                                    "Retry-After")
        else:
            with self.soak.lock:
                self.other_answers[(status, code)] += 1
            if status == 503 and code == "database_unavailable":
                self.soak.violation("lock_spill", f"{route} {tenant} (row not locked) → 503 {code} while other "
                                    "rows were locked")

    # --- the report ---------------------------------------------------------------------------------------

    def report(self):
        def listed(counter):
            return ", ".join(f"{' '.join(str(p) for p in key if p != '') or '-'}×{n}"
                             for key, n in sorted(counter.items(), key=lambda i: tuple(map(str, i[0])))) or "none"
        slowest = max(self.ready_ms, default=0)
        return [
            f"row locks from another session (psql: BEGIN; SELECT … FOR UPDATE; pg_sleep 2–5 s; COMMIT): "
            f"{self.sessions}, {self.rows} rows, held {self.held_seconds:.1f} s in all"
            + (f", {self.failed} cut short" if self.failed else ""),
            f"  answers for a locked tenant meanwhile: {listed(self.locked_answers)}",
            f"  the other tenants' answers meanwhile: {listed(self.other_answers)}",
            f"  /api/ready meanwhile: {len(self.ready_ms)} probes, slowest {slowest:.0f} ms"
            f" (bound {READY_BOUND_MS} ms)",
        ]
