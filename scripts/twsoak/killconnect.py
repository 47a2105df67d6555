"""The responder's kill -9 mid-connect: once, at a random moment, the workers' connects are paused (their other
calls go on) until none is in flight; evolution-sim is told to hold the answer of the next create
KILL_CREATE_DELAY_MS (a `passthrough` fault: the instance is made at once, the answer waits); a connect for a fresh
tenant is sent; as soon as the simulator's call log shows its create, the responder gets SIGKILL and is started
again the same way. The killed connect's lease is left behind in PostgreSQL and its instance upstream without a
stored name. The workers' connects go on at once; that tenant's connects, one every RETRY_INTERVAL_S, must succeed
(adopting the instance) within KILL_CONNECT_BOUND_S of the kill (issue #21 item 5: short leases after a crash),
the 409 operation_in_progress answers before are counted. No other fault is injected from the pause until that
success (the faults still waiting are taken back), so only the dead responder's lease can hold it up."""

import collections
import json
import threading
import time

from .common import http, log

KILL_CONNECT_BOUND_S = 12
KILL_CREATE_DELAY_MS = 9999  # also how the soak tells this fault from its random delays in GET /_sim/faults
KILL_TENANTS = [f"soak-kill-{i}" for i in range(1, 6)]  # a fresh tenant per attempt
CONNECTS_DRAIN_S = 60
CALL_LOG_POLL_S = 0.02
RETRY_INTERVAL_S = 0.25
GIVE_UP_S = 90


def code_of(status, document):
    return (document or {}).get("error", "") if status >= 400 else ""


class KillMidConnect:
    def __init__(self, soak):
        self.soak = soak
        self.fault_posted = False
        self.attempts = []            # (tenant, what happened) of the attempts that caught no create in flight
        self.tenant = None            # the tenant whose connect was in flight at the kill
        self.create_fault = None      # the fault its create took
        self.kill_latency = None      # from seeing the create in the call log to SIGKILL, s
        self.killed_answer = None     # (status, code) nginx gave the connect in flight
        self.after = collections.Counter()  # (status, code) of that tenant's connects after the kill
        self.recovered_after = None   # s from the kill to its first successful connect
        self.recovered_status = None

    def run(self):
        """Called by the soak's chaos thread: holds the chaos lock until the responder is back, then waits for the
        tenant's connect to succeed. No other fault is injected meanwhile (those waiting are taken back), so that
        only the dead responder's lease can refuse that connect."""
        soak = self.soak
        kill_at = None
        try:
            with soak.chaos_lock:
                if soak.stop.is_set():
                    return
                soak.pause_faults()
                soak.connects_paused.set()
                try:
                    self.drain()
                    for tenant in KILL_TENANTS:
                        kill_at = self.attempt(tenant)
                        if kill_at is not None or soak.interrupted:
                            break
                        time.sleep(1)  # an open circuit breaker's cool-down (1 s in the soak) before the next try
                    else:
                        soak.violation("kill_not_mid_connect", f"no create caught in flight in {len(KILL_TENANTS)} "
                                       "attempts: " + "; ".join(f"{t}: {what}" for t, what in self.attempts))
                        soak.kill_responder()
                finally:
                    soak.connects_paused.clear()
            if kill_at is not None:
                self.recover(self.tenant, kill_at)
        finally:
            soak.faults_paused.clear()

    def drain(self):
        deadline = time.monotonic() + CONNECTS_DRAIN_S
        while True:
            with self.soak.lock:
                if self.soak.connects_in_flight == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers' connects still in flight {CONNECTS_DRAIN_S} s after pausing them")
            time.sleep(0.05)  # polling the workers' count

    def attempt(self, tenant):
        """One connect of TENANT, killed while its create is upstream; the kill's monotonic time, or None."""
        soak = self.soak
        soak.sim("DELETE", "/_sim/calls")
        if not self.fault_posted:
            status, data = soak.sim("POST", "/_sim/faults", {"route": "create", "kind": "passthrough",
                                                             "delayMs": KILL_CREATE_DELAY_MS, "times": 1})
            if status != 201:
                raise RuntimeError(f"POST /_sim/faults answered {status}: {data[:200]!r}")
            self.fault_posted = True
        url = f"{soak.base}/api/tenants/{tenant}/whatsapp/connect"
        auth = {"Authorization": f"Bearer {soak.tokens[tenant]}"}
        result = {}
        caller = threading.Thread(target=lambda: result.update(answer=http("POST", url, auth)), daemon=True)
        caller.start()
        create = None
        while caller.is_alive() and create is None:
            status, data = soak.sim("GET", "/_sim/calls")
            if status == 200:
                creates = [c for c in json.loads(data)["calls"] if c["route"] == "create"]
                create = creates[0] if creates else None
            if create is None:
                time.sleep(CALL_LOG_POLL_S)  # polling the simulator's call log for the create
        seen = time.monotonic()
        if create is not None and create.get("fault") == "passthrough" and caller.is_alive():
            kill_at = soak.kill_responder()
            self.tenant, self.create_fault, self.kill_latency = tenant, create.get("fault"), kill_at - seen
            caller.join()
            status, headers, body = result["answer"]
            document = soak.check("connect", tenant, status, headers, body, tally=None)
            self.killed_answer = (status, code_of(status, document))
            log(f"killed the responder {self.kill_latency * 1000:.0f} ms after {tenant}'s create reached the "
                f"simulator; its connect got {status} {self.killed_answer[1]}")
            return kill_at
        caller.join()
        status, headers, body = result["answer"]
        document = soak.check("connect", tenant, status, headers, body, tally=None)
        what = (f"create {'with fault ' + str(create.get('fault')) if create else 'never called'}, "
                f"connect answered {status} {code_of(status, document)}")
        self.attempts.append((tenant, what))
        log(f"no kill for {tenant}: {what}")
        return None

    def recover(self, tenant, kill_at):
        soak = self.soak
        url = f"{soak.base}/api/tenants/{tenant}/whatsapp/connect"
        auth = {"Authorization": f"Bearer {soak.tokens[tenant]}"}
        while True:
            status, headers, body = http("POST", url, auth)
            elapsed = time.monotonic() - kill_at
            document = soak.check("connect", tenant, status, headers, body, tally=None)
            self.after[(status, code_of(status, document))] += 1
            if status in (200, 201, 202):
                self.recovered_after, self.recovered_status = elapsed, status
                break
            if elapsed > GIVE_UP_S or soak.interrupted:
                break
            time.sleep(RETRY_INTERVAL_S)  # the next connect, as a client retries
        meanwhile = ", ".join(f"{s} {c or '-'}×{n}" for (s, c), n in sorted(self.after.items()))
        if self.recovered_after is None or self.recovered_after > KILL_CONNECT_BOUND_S:
            after = f"{self.recovered_after:.1f} s" if self.recovered_after is not None else f"never ({GIVE_UP_S} s)"
            soak.violation("kill_lockout", f"{tenant}'s connect after the kill -9 mid-create succeeded after {after},"
                           f" bound {KILL_CONNECT_BOUND_S} s (answers: {meanwhile})")
        outcome = (f"{self.recovered_status} after {self.recovered_after:.1f} s" if self.recovered_after is not None
                   else "never")
        log(f"{tenant}'s connect after the kill: {outcome} ({meanwhile})")

    def report(self):
        if self.tenant is None:
            return ["kill -9 mid-connect: no create caught in flight"
                    + ("; " + "; ".join(f"{t}: {w}" for t, w in self.attempts) if self.attempts else "")]
        killed = "{} {}".format(*self.killed_answer) if self.killed_answer else "-"
        after = ", ".join(f"{s} {c or '-'}×{n}" for (s, c), n in sorted(self.after.items()))
        recovered = (f"succeeded {self.recovered_after:.1f} s after the kill with {self.recovered_status}"
                     if self.recovered_after is not None else f"never succeeded within {GIVE_UP_S} s of the kill")
        return [
            f"kill -9 mid-connect: {self.tenant}'s create held upstream (fault {self.create_fault}), SIGKILL "
            f"{self.kill_latency * 1000:.0f} ms after the simulator logged it (attempt {len(self.attempts) + 1});"
            f" that connect got {killed}",
            f"  {self.tenant}'s connects every {RETRY_INTERVAL_S} s: {recovered} (bound {KILL_CONNECT_BOUND_S} s); "
            f"answers: {after}",
        ]
