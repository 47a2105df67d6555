"""The soak of scripts/soak (which runs this file; its flags are this file's, see --help).

It brings up a throwaway stack with the stack tool (scripts/twstack: PostgreSQL, evolution-sim behind its nginx, the
product's nginx with its rate limits lifted, in /tmp/tw-soak-XXXXXX on free loopback ports), then starts the
responder through it with a small TCP relay between the responder and evolution-sim (the relay injects connection
resets), then, for --duration seconds: --workers threads make random
connect/status/disconnect calls for --tenants tenants through nginx (and sometimes scan a QR code on the simulator);
a fault thread injects random faults until at least --faults were applied; a chaos thread terminates PostgreSQL's
backends --pg-kills times and kills the responder once with SIGKILL while a connect's create is in flight upstream
(then starts it again the same way: the tenant's next connect must succeed within 12 s); other threads lock tenant
rows from a psql session --row-locks times, flood the webhook route with slow bodies --floods times and send
--forged-webhooks signed webhooks dated late, in the future or impossibly, or replayed, and make the events receiver
(scripts/event-receiver, the responder's EVENTS_WEBHOOK_URL) refuse or answer slowly --receiver-outages times
(scripts/twsoak: one module per fault, each with its own checks). The disruptive faults take turns (one chaos
lock), so each one's answers are its own. Then it stops the faults, waits for the operation leases to lapse, runs
`tenant-whatsapp reconcile` once and checks that every instance upstream named tenant_* is stored for its tenant and
every stored name exists upstream, and, once the events outbox has no pending row, that every event was delivered,
received at least once, first received in outbox order per tenant, and that nothing else was received.
Every answer is checked: never a 500, always JSON, the error envelope on every error. Prints the counts; exit 1 on a
violation.
"""

import argparse
import collections
import json
import os
import random
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from twstack import Stack, StackConfig, StackError, tenant_token  # noqa: E402
from twstack.console import exit_status  # noqa: E402
from twstack.build import build, build_name, checked_bin_dir, supports_flag  # noqa: E402
from twstack.config import own_environment  # noqa: E402
from twsoak.common import http, log  # noqa: E402
from twsoak.eventwebhooks import EventWebhooks  # noqa: E402
from twsoak.flood import Flood  # noqa: E402
from twsoak.forged import ForgedWebhooks  # noqa: E402
from twsoak.killconnect import KILL_CONNECT_BOUND_S, KILL_CREATE_DELAY_MS, KILL_TENANTS, KillMidConnect  # noqa: E402
from twsoak.rowlocks import RowLocks  # noqa: E402

# Fault kinds: what each one is, and how it is made. "sim" kinds are evolution-sim faults (POST /_sim/faults);
# "relay" kinds are made by the relay in front of the simulator.
FAULT_KINDS = {
    "500": "evolution-sim: HTTP 500 with Evolution's error envelope",
    "error_true": 'evolution-sim: HTTP 200 {"error":true,"message":"[object Object]"}',
    "cut": "evolution-sim: headers announce a body, the connection closes mid-body",
    "delay": "evolution-sim: the normal answer (the operation happens) after a delay past EVOLUTION_TIMEOUT_MS",
    "html502": "evolution-sim: an HTML 502 page, as a proxy in front of Evolution sends",
    "invalid": "evolution-sim: no HTTP answer at all (its nginx answers its own HTML 502)",
    "reset": "relay: the request never reaches the simulator, the connection is reset (RST)",
    "lost_answer": "relay: the request reaches the simulator (the operation happens), the answer is lost (RST)",
}
# The Evolution routes the responder calls while answering (not webhookSet: only when an instance's webhook differs;
# not fetchInstances: reconcile's), weighted; "*" is any route.
FAULT_ROUTES = [("*", 4), ("create", 2), ("connect", 2), ("connectionState", 2), ("delete", 2), ("webhookFind", 1)]
OPERATIONS = [("status", 45), ("connect", 35), ("disconnect", 20)]
# Answers of the WhatsApp routes that are not errors.
STATES = {"open", "connecting", "close", "not_created"}
# After a PostgreSQL backend termination, the next disruptive fault waits this long: the responder's pool has
# replaced its lost connections by then, so a row lock's or a forged webhook's answers are their own.
PG_SETTLE_S = 1.0
# The responder's settings: short Evolution timeouts so that delays run past them, a short breaker cool-down so that
# faults keep reaching Evolution, webhooks on (the stack's default).
RESPONDER_SETTINGS = {"EVOLUTION_TIMEOUT_MS": "1500", "EVOLUTION_QR_WAIT_MS": "3000",
                      "EVOLUTION_BREAKER_COOLDOWN_MS": "1000", "STATUS_MAX_AGE_MS": "1000", "DATABASE_POOL_SIZE": "8",
                      "LOG_LEVEL": "info"}
# The product's limits (10 r/s per address, 5 per tenant) would answer most of the soak's calls 429 before they
# reach the responder.
NGINX_LIMITS_LIFTED = {"TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000"}


def weighted(rng, choices):
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


# --- The relay: a TCP pipe to the simulator that can reset connections ---------------------------------------


class Relay:
    """Listens on a free loopback port and pipes each connection to the simulator's port. An armed fault applies to
    the next request any connection sends (libcurl sends a request only when the connection is idle, so the first
    bytes read after an answer start a request): `reset` drops it and resets the connection; `lost_answer` passes it
    on and resets the connection when the answer starts."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.armed = collections.deque()
        self.applied = collections.Counter()
        self.closing = False
        threading.Thread(target=self.accept, daemon=True, name="relay").start()

    def arm(self, kind):
        with self.lock:
            self.armed.append(kind)

    def disarm(self):
        """Forgets the armed faults; returns how many of each were still armed."""
        with self.lock:
            left = collections.Counter(self.armed)
            self.armed.clear()
            return left

    def take(self):
        with self.lock:
            if not self.armed:
                return None
            kind = self.armed.popleft()
            self.applied[kind] += 1
            return kind

    def accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.pipe, args=(client,), daemon=True).start()

    @staticmethod
    def reset(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()

    def pipe(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            self.reset(client)
            return
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        lose_answer = False
        try:
            while True:
                for key, _ in selector.select():
                    source, target = key.fileobj, key.data
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is client and not lose_answer:
                        fault = self.take()
                        if fault == "reset":
                            self.reset(client)
                            return
                        lose_answer = fault == "lost_answer"
                    elif source is upstream and lose_answer:
                        self.reset(client)
                        return
                    target.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass

    def close(self):
        self.closing = True
        self.listener.close()


# --- The soak -----------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, options, stack):
        self.o = options
        self.stack = stack
        self.state = str(stack.run_dir)
        self.base = stack.base_url
        self.sim_url = stack.simulators[0].url
        self.rng = random.Random(options.seed)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.tenants = [f"soak-{i:02d}" for i in range(options.tenants)]
        # The kill -9 mid-connect's fresh tenants have rows and tokens too; the workers never call for them.
        self.tokens = {t: tenant_token(stack.jwt_secret, t, "soak") for t in self.tenants + KILL_TENANTS}
        self.psql = stack.postgres.psql_command()
        self.api_key = stack.simulators[0].key()
        # Counts.
        self.answers = collections.Counter()       # (route, status, code) → n
        self.violations = collections.Counter()    # kind → n
        self.examples = collections.defaultdict(list)  # kind → a few descriptions
        self.scans = collections.Counter()         # simulator status → n
        self.injected = collections.Counter()      # fault kind → n
        self.pg_runs = 0
        self.pg_backends = 0
        self.kills = 0
        self.down_seconds = 0.0
        self.kill_window_answers = collections.Counter()
        self.interrupted = False
        self.calling = False  # while the calls run, Ctrl-C stops them; otherwise it interrupts at once
        # The disruptive faults (backend terminations, the kill -9, row locks, floods, forged webhooks) take turns.
        self.chaos_lock = threading.Lock()
        # While set, the workers make no connect (the kill -9 mid-connect must know whose create it catches).
        self.connects_paused = threading.Event()
        self.connects_in_flight = 0
        # While set, no fault is injected (the kill -9 mid-connect's tenant must meet no other fault).
        self.faults_paused = threading.Event()
        self.fault_lock = threading.Lock()
        self.withdrawn = 0
        self.rowlocks = RowLocks(self, options.row_locks)
        self.flood = Flood(self, options.floods)
        self.forged = ForgedWebhooks(self, options.forged_webhooks)
        self.kill_mid_connect = KillMidConnect(self)
        self.events = EventWebhooks(self, options.receiver_outages)
        self.events_env = {}

    def interrupt(self, *_):
        """SIGINT (Ctrl-C reaches every process of the group, the simulator too): stop, and say so at the end."""
        self.interrupted = True
        self.stop.set()
        if not self.calling:
            raise KeyboardInterrupt

    # --- helpers ---------------------------------------------------------------------------------------------

    def violation(self, kind, description):
        with self.lock:
            self.violations[kind] += 1
            if len(self.examples[kind]) < 5:
                self.examples[kind].append(description)

    def sql(self, query):
        result = subprocess.run(self.psql + ["-tA", "-c", query], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def sim(self, method, path, body=None):
        status, _, data = http(method, f"{self.sim_url}{path}", body=body, timeout=30)
        return status, data

    # --- the responder ---------------------------------------------------------------------------------------

    def start_responder(self):
        """Through the stack (spawn-fcgi on its socket), with the relay as its Evolution API; returns once it answers
        /api/health (polled every 0.1 s, for the kill's down time)."""
        self.stack.start_responder({"EVOLUTION_API_URL": f"http://127.0.0.1:{self.relay.port}", **self.events_env},
                                   poll_interval=0.1)

    # --- checking one answer ---------------------------------------------------------------------------------

    def check(self, route, tenant, status, headers, body, tally=True):
        """Checks the answer and counts any violation; counts the answer itself in the calls' table unless TALLY is
        None (the fault modules count theirs); returns the parsed body (or None)."""
        code = ""
        document = None
        where = f"{route} {tenant} → {status}"
        if status == 0:
            self.violation("no_answer", f"{where}: {body[:200]!r}")
        else:
            content_type = headers.get("Content-Type", "") if headers else ""
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if not content_type.startswith("application/json") or not isinstance(document, dict):
                self.violation("not_json", f"{where}: {content_type!r} {body[:200]!r}")
                document = None
            elif status >= 400:
                code = document.get("error") if isinstance(document.get("error"), str) else "?"
                if (document.get("success") is not False or not isinstance(document.get("error"), str)
                        or not isinstance(document.get("message"), str) or not document.get("message")
                        or not isinstance(document.get("requestId"), str)
                        or document.get("requestId") != headers.get("X-Request-Id")):
                    self.violation("not_envelope", f"{where}: {body[:200]!r}")
            elif not self.success_shape(route, tenant, status, document):
                self.violation("bad_success", f"{where}: {body[:300]!r}")
            if status == 500:
                self.violation("status_500", f"{where}: {body[:200]!r}")
        if tally is not None:
            with self.lock:
                self.answers[(route, status, code)] += 1
        return document

    @staticmethod
    def success_shape(route, tenant, status, document):
        instance = f"tenant_{tenant}"
        if route == "connect":
            return (status in (200, 201, 202) and document.get("success") is True
                    and document.get("instanceName") == instance)
        if route == "status":
            return (status == 200 and document.get("status") in STATES
                    and document.get("connected") is (document.get("status") == "open")
                    and document.get("instanceName") in (instance, None)
                    and (document.get("instanceName") is None) == (document.get("status") == "not_created"))
        if route == "disconnect":
            return status == 200 and document.get("success") is True
        if route == "webhook":
            return status == 200 and document.get("received") is True
        if route == "ready":
            return status == 200 and document.get("status") == "ready"
        if route == "flood":
            return False  # a flood's body never ends: nothing can succeed
        return True

    # --- the threads -----------------------------------------------------------------------------------------

    def worker(self, index):
        rng = random.Random(f"{self.o.seed}-worker-{index}")
        while not self.stop.is_set():
            tenant = rng.choice(self.tenants)
            operation = weighted(rng, OPERATIONS)
            url = f"{self.base}/api/tenants/{tenant}/whatsapp/{operation}"
            auth = {"Authorization": f"Bearer {self.tokens[tenant]}"}
            method = {"status": "GET", "connect": "POST", "disconnect": "DELETE"}[operation]
            connecting = False
            if operation == "connect":
                with self.lock:
                    if self.connects_paused.is_set():
                        operation, method, url = "status", "GET", url.rsplit("/", 1)[0] + "/status"
                    else:
                        self.connects_in_flight += 1
                        connecting = True
            window = self.rowlocks.window
            try:
                status, headers, body = http(method, url, auth)
            finally:
                if connecting:
                    with self.lock:
                        self.connects_in_flight -= 1
            document = self.check(operation, tenant, status, headers, body)
            self.rowlocks.observe(window, tenant, operation, status,
                                  (document or {}).get("error", "") if status >= 400 else "", headers)
            if self.responder_down.is_set():
                with self.lock:
                    self.kill_window_answers[(status, (document or {}).get("error", ""))] += 1
            if operation == "connect" and status in (200, 201, 202) and rng.random() < 0.4:
                # The phone scans the QR code (the simulator's control API, not through the relay).
                scan_status, _ = self.sim("POST", f"/_sim/instances/tenant_{tenant}/scan", {})
                with self.lock:
                    self.scans[scan_status] += 1

    def fault_spec(self, rng, kind):
        route = weighted(rng, FAULT_ROUTES)
        spec = {"route": route, "times": 1}
        if route not in ("*", "create") and rng.random() < 0.3:
            spec["instance"] = f"tenant_{rng.choice(self.tenants)}"
        timeout_ms = int(RESPONDER_SETTINGS["EVOLUTION_TIMEOUT_MS"])
        spec.update({
            "500": {"kind": "status", "status": 500},
            "error_true": {"kind": "status", "status": 200, "body": {"error": True, "message": "[object Object]"}},
            "cut": {"kind": "truncate", "status": 200, "sizeBytes": 4096},
            "delay": {"kind": "passthrough", "delayMs": rng.randint(timeout_ms + 200, timeout_ms * 3)},
            "html502": {"kind": "html", "status": 502},
            "invalid": {"kind": "invalid"},
        }[kind])
        return spec

    @staticmethod
    def kind_of(listed):
        """The soak's kind of a fault as GET /_sim/faults lists it (the kill -9 mid-connect's create delay: none)."""
        if listed["kind"] == "passthrough" and listed.get("delayMs") == KILL_CREATE_DELAY_MS:
            return None
        return {"truncate": "cut", "passthrough": "delay", "html": "html502", "invalid": "invalid"}.get(
            listed["kind"], "500" if listed.get("status") == 500 else "error_true")

    def pending_faults(self):
        status, data = self.sim("GET", "/_sim/faults")
        if status != 200:
            raise RuntimeError(f"GET /_sim/faults answered {status}")
        pending = collections.Counter()
        for fault in json.loads(data)["faults"]:
            kind = self.kind_of(fault)
            if kind is not None:
                pending[kind] += fault["remaining"]
        with self.relay.lock:
            pending.update(self.relay.armed)
        return pending

    def faults(self):
        """Injects faults at a steady pace over the first 70 % of the run, then more while fewer than --faults were
        applied (a fault waits in the simulator until a call it matches comes)."""
        rng = random.Random(f"{self.o.seed}-faults")
        interval = self.o.duration * 0.7 / max(1, self.o.faults)
        kinds = list(FAULT_KINDS)
        # Every kind at least once, in a random order, then random ones.
        plan = kinds[:]
        rng.shuffle(plan)
        while not self.stop.wait(interval):
            with self.fault_lock:
                if self.faults_paused.is_set():
                    continue
                pending = sum(self.pending_faults().values())
                applied = sum(self.injected.values()) - pending
                if applied >= self.o.faults and not plan:
                    continue
                if pending > 20:
                    continue  # enough waiting for a matching call
                kind = plan.pop() if plan else rng.choice(kinds)
                if kind in ("reset", "lost_answer"):
                    self.relay.arm(kind)
                else:
                    status, data = self.sim("POST", "/_sim/faults", self.fault_spec(rng, kind))
                    if status != 201:
                        raise RuntimeError(f"POST /_sim/faults answered {status}: {data[:200]!r}")
                with self.lock:
                    self.injected[kind] += 1

    def pause_faults(self):
        """Stops injecting faults and takes back those still waiting (in the simulator and the relay), which then
        count as never injected; resume with faults_paused.clear()."""
        with self.fault_lock:
            self.faults_paused.set()
            pending = self.pending_faults()
            self.sim("DELETE", "/_sim/faults")
            self.relay.disarm()
            with self.lock:
                self.injected.subtract(pending)
                self.injected = +self.injected
                self.withdrawn += sum(pending.values())

    def chaos(self):
        """PostgreSQL backend terminations spread over the run, and one kill -9 of the responder mid-connect at a
        random moment between 30 % and 70 % of it (twsoak.killconnect), each holding the chaos lock (the kill until
        the responder is back)."""
        rng = random.Random(f"{self.o.seed}-chaos")
        events = [(self.o.duration * (i + 1) / (self.o.pg_kills + 1), "pg") for i in range(self.o.pg_kills)]
        events.append((self.o.duration * rng.uniform(0.3, 0.7), "kill"))
        events.sort()
        for at, event in events:
            if self.stop.wait(max(0.0, self.started + at - time.monotonic())):
                return
            if event == "kill":
                self.kill_mid_connect.run()
                continue
            with self.chaos_lock:
                if self.stop.is_set():
                    return
                count = self.sql("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS done"
                                 " FROM pg_stat_activity WHERE datname = 'tenant_whatsapp'"
                                 " AND pid <> pg_backend_pid()) AS t WHERE done")
                with self.lock:
                    self.pg_runs += 1
                    self.pg_backends += int(count)
                log(f"terminated {count} PostgreSQL backends")
                self.stop.wait(PG_SETTLE_S)

    def kill_responder(self):
        """SIGKILL to the responder, then started again the same way (answering /api/health); returns the
        monotonic time of the kill."""
        down = time.monotonic()
        self.responder_down.set()
        killed = self.stack.responder.popen
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        self.kills += 1
        log(f"killed the responder (pid {killed.pid}) with SIGKILL; starting it again")
        self.start_responder()
        self.responder_down.clear()
        self.down_seconds = time.monotonic() - down
        log(f"the responder (pid {self.stack.responder.pid}) answers again after {self.down_seconds:.1f} s")
        return down

    # --- the run ---------------------------------------------------------------------------------------------

    def run(self):
        o = self.o
        self.sql("INSERT INTO tenants (id) SELECT unnest(ARRAY[%s])" % ",".join(f"'{t}'" for t in self.tokens))
        self.relay = Relay(self.stack.simulators[0].port)
        self.events_env = self.events.start()
        self.responder_down = threading.Event()
        self.start_responder()
        log(f"seed {o.seed}: {o.tenants} tenants, {o.workers} workers, {o.duration} s, at least {o.faults} faults,"
            f" {o.pg_kills} PostgreSQL terminations, one kill -9 mid-connect, {o.row_locks} row locks, {o.floods}"
            f" floods, {o.forged_webhooks} forged webhooks, {o.receiver_outages} event receiver outages")
        self.started = time.monotonic()
        errors = []

        def guarded(target, *args):
            def run():
                try:
                    target(*args)
                except Exception as error:  # a broken soak thread fails the soak
                    errors.append(f"{target.__qualname__}: {error!r}")
                    self.stop.set()
            return threading.Thread(target=run, daemon=True, name=target.__qualname__)

        threads = [guarded(self.worker, i) for i in range(o.workers)]
        threads += [guarded(self.faults), guarded(self.chaos), guarded(self.rowlocks.run), guarded(self.flood.run),
                    guarded(self.forged.run), guarded(self.events.run)]
        self.calling = True
        for thread in threads:
            thread.start()
        self.stop.wait(o.duration)
        self.stop.set()
        log("stopping the calls: waiting for those in flight")
        for thread in threads:
            thread.join()
        self.calling = False
        if self.interrupted:
            raise KeyboardInterrupt
        if errors:
            raise RuntimeError("; ".join(errors))
        if not self.stack.responder.alive():
            raise RuntimeError(f"the responder exited with {self.stack.responder.popen.returncode} during the soak")

        # No call in flight: the pending faults are exact; then none is left.
        pending = self.pending_faults()
        self.sim("DELETE", "/_sim/faults")
        self.relay.disarm()
        self.applied = self.injected - pending
        self.pending = pending

        # Evolution's pushes still queued in the simulator land before reconcile reads anything: a late one must not
        # change PostgreSQL between reconcile and the comparison.
        log("waiting for the simulator's webhook deliveries to finish")
        deadline = time.monotonic() + 120
        while True:
            status, data = self.sim("GET", "/_sim/deliveries")
            if status != 200:
                raise RuntimeError(f"GET /_sim/deliveries answered {status}")
            if not any(d.get("outcome") in ("pending", "retrying") for d in json.loads(data)["deliveries"]):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("webhook deliveries still queued 120 s after the last call")
            time.sleep(0.2)  # polling the simulator's delivery log

        # A lease left by the killed responder, or by a request that just ended, runs out on its own.
        log("waiting for the operation leases to lapse")
        deadline = time.monotonic() + 120
        while self.sql("SELECT count(*) FROM tenants WHERE operation_expires_at > now()") != "0":
            if time.monotonic() > deadline:
                raise RuntimeError("operation leases still held 120 s after the last call")
            time.sleep(0.5)  # polling PostgreSQL's clock

        log("running tenant-whatsapp reconcile")
        env = {**self.stack.responder_environment(), "LOG_FILE": os.path.join(self.state, "reconcile.log")}
        result = subprocess.run([str(self.stack.responder_binary), "reconcile", "--json"], env=env,
                                capture_output=True, text=True,
                                timeout=300)
        with open(os.path.join(self.state, "reconcile.out"), "w") as file:
            file.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"reconcile exited {result.returncode}: {result.stderr.strip()[:500]}")
        self.reconcile = json.loads(result.stdout)

        # Reconcile's changes write events too: the outbox drains after it.
        self.events.drain()
        self.events.check()
        self.compare()
        self.access_log()
        self.responder_log()
        self.simulator_log()
        return self.report()

    def compare(self):
        status, _, data = http("GET", f"{self.sim_url}/instance/fetchInstances", {"apikey": self.api_key}, timeout=30)
        if status != 200:
            raise RuntimeError(f"fetchInstances answered {status}")
        upstream = {row["name"] for row in json.loads(data) if row["name"].startswith("tenant_")}
        stored = {}
        for line in self.sql("SELECT id, whatsapp_instance_name FROM tenants"
                             " WHERE whatsapp_instance_name IS NOT NULL").splitlines():
            tenant, name = line.split("|", 1)
            stored[tenant] = name
        self.upstream_count, self.stored_count = len(upstream), len(stored)
        for name in sorted(upstream):
            tenant = name[len("tenant_"):]
            if stored.get(tenant) != name:
                self.violation("disagreement", f"{name} is upstream but tenant {tenant} stores {stored.get(tenant)}")
        for tenant, name in sorted(stored.items()):
            if name != f"tenant_{tenant}":
                self.violation("disagreement", f"tenant {tenant} stores {name}, not tenant_{tenant}")
            elif name not in upstream:
                self.violation("disagreement", f"tenant {tenant} stores {name}, which Evolution does not know")
        self.open_count = int(self.sql("SELECT count(*) FROM tenants WHERE whatsapp_status = 'open'"
                                       " AND whatsapp_instance_name IS NOT NULL"))

    def access_log(self):
        """Every answer nginx gave, from its access log (the simulator's webhook deliveries included)."""
        self.nginx_statuses = collections.Counter()
        with open(self.stack.nginx_dir / "access.log") as file:
            for line in file:
                entry = json.loads(line)
                if entry.get("requestId") in self.forged.request_ids:
                    continue  # counted with the forged webhooks
                path = entry["uri"].split("?")[0]
                route = "webhook" if path == "/api/evolution/webhook" else path.rsplit("/", 1)[-1]
                self.nginx_statuses[(route, entry["status"])] += 1
                if entry["status"] == 500:
                    self.violation("status_500", f"nginx access log: {line.strip()[:300]}")

    def responder_log(self):
        """How many stored names Evolution's remove.instance pushes cleared (the responder's log lines; the forged
        webhooks apart), and which forged webhooks the responder applied."""
        self.removals = collections.Counter()
        with open(self.stack.responder_log) as file:
            lines = file.readlines()
        for line in lines:
            if '"remove.instance"' in line:
                entry = json.loads(line)
                if entry.get("requestId") not in self.forged.request_ids:
                    self.removals[entry.get("applied") in (True, "true")] += 1
        self.forged.read_log(lines)

    def simulator_log(self):
        """The simulator's webhook attempts from its log lines: delivered, failed and retried, given up (by the
        status that ended them)."""
        self.delivered = self.retried = 0
        self.given_up = collections.Counter()
        with open(self.stack.simulators[0].log) as file:
            for line in file:
                if '"webhook delivered"' in line:
                    self.delivered += 1
                elif '"webhook failed; will retry"' in line:
                    self.retried += 1
                elif '"webhook failed; no attempts left"' in line:
                    self.given_up[json.loads(line).get("status")] += 1

    def report(self):
        o = self.o
        lines = []
        total = sum(self.answers.values())
        lines.append(f"scripts/soak, seed {o.seed}, {self.build}: {o.tenants} tenants, {o.workers} workers, "
                     f"{o.duration} s")
        lines.append("")
        lines.append(f"calls through nginx: {total} ({total / o.duration:.0f}/s)")
        lines.append(f"  {'route':<11} {'status':>6}  {'error':<24} {'count':>7}")
        for (route, status, code), count in sorted(self.answers.items(), key=lambda i: (i[0][0], i[0][1], i[0][2])):
            lines.append(f"  {route:<11} {status:>6}  {code or '-':<24} {count:>7}")
        lines.append("QR scans on the simulator: " + ", ".join(f"{s}×{n}" for s, n in sorted(self.scans.items())))
        webhooks = {s: n for (r, s), n in self.nginx_statuses.items() if r == "webhook"}
        lines.append("webhook route in nginx's access log (the simulator's deliveries and the floods' connections): "
                     + (", ".join(f"{s}×{n}" for s, n in sorted(webhooks.items())) or "none"))
        given_up = ", ".join(f"{status}×{n}" for status, n in sorted(self.given_up.items(), key=str)) or "none"
        lines.append(f"  the simulator's deliveries: {self.delivered} delivered, {self.retried} attempts failed and "
                     f"retried, {sum(self.given_up.values())} given up after 3 attempts (last answer {given_up})")
        lines.append(f"  remove.instance: {sum(self.removals.values())}, "
                     f"{self.removals[True]} clearing a stored name")
        lines.append("")
        lines.append(f"faults applied: {sum(self.applied.values())} (injected {sum(self.injected.values())}, "
                     f"never matched {sum(self.pending.values())}; {self.withdrawn} more taken back unmatched for the "
                     "kill -9 mid-connect)")
        for kind, what in FAULT_KINDS.items():
            lines.append(f"  {kind:<12} {self.applied[kind]:>5}  {what}")
        lines.append(f"PostgreSQL backend terminations: {self.pg_runs} (backends terminated: {self.pg_backends})")
        window = ", ".join(f"{s} {c or '-'}×{n}" for (s, c), n in sorted(self.kill_window_answers.items()))
        lines.append(f"responder kill -9: {self.kills}, started again the same way, answering after "
                     f"{self.down_seconds:.2f} s (the workers' answers meanwhile: {window or 'none'})")
        lines += self.kill_mid_connect.report()
        lines += self.rowlocks.report()
        lines += self.flood.report(webhooks.get(429, 0))
        lines += self.forged.report()
        lines += self.events.report()
        totals = self.reconcile.get("totals", {})
        lines.append("reconcile (once): " + ", ".join(f"{n} {k}" for k, n in totals.items()))
        lines.append(f"afterwards: {self.upstream_count} tenant_* instances upstream, {self.stored_count} stored "
                     f"({self.open_count} open)")
        lines.append("")
        checks = [("disagreements (Evolution vs PostgreSQL)", "disagreement"), ("500 answers", "status_500"),
                  ("answers not JSON", "not_json"), ("errors not in the envelope", "not_envelope"),
                  ("successes of the wrong shape", "bad_success"), ("calls without an HTTP answer", "no_answer"),
                  ("other tenants hurt by the row locks (503 database_unavailable, /api/ready failing or slow)",
                   "lock_spill"),
                  ("503 without Retry-After for a locked tenant", "lock_no_retry_after"),
                  ("/api/health failing or slow during a flood", "flood_health"),
                  ("forged webhooks answered other than expected", "forged_unexpected"),
                  (f"connects not succeeding within {KILL_CONNECT_BOUND_S} s of the kill -9 mid-connect",
                   "kill_lockout"),
                  ("kill -9 without a create in flight", "kill_not_mid_connect")] + EventWebhooks.CHECKS
        for label, kind in checks:
            lines.append(f"{label}: {self.violations[kind]}")
        failed = sum(self.violations.values()) > 0
        if sum(self.applied.values()) < o.faults:
            lines.append(f"FEWER faults applied than --faults {o.faults}")
            failed = True
        if self.kills != 1:
            lines.append("the responder was not killed")
            failed = True
        lines.append("FAIL" if failed else "PASS")
        print("\n".join(lines), flush=True)
        for kind, examples in self.examples.items():
            for example in examples:
                log(f"{kind}: {example}")
        return 1 if failed else 0


def whole_number(text):
    """The flags' values: whole numbers of at most nine digits (as scripts/soak always took them)."""
    if not text.isdigit() or len(text) > 9:
        raise argparse.ArgumentTypeError(f"must be a whole number, not '{text}'")
    return int(text)


def parse_options():
    parser = argparse.ArgumentParser(prog="scripts/soak", description="A fault soak of the whole stack (see the "
                                     "header of scripts/soak.py). Long: not part of scripts/test.")
    parser.add_argument("--duration", type=whole_number, default=120, help="how long the tenants make calls, in s")
    parser.add_argument("--tenants", type=whole_number, default=20, help="tenants making calls")
    parser.add_argument("--faults", type=whole_number, default=200, help="at least this many faults applied")
    parser.add_argument("--workers", type=whole_number, default=8, help="threads making calls at once")
    parser.add_argument("--pg-kills", type=whole_number, default=6, help="PostgreSQL backend terminations")
    parser.add_argument("--row-locks", type=whole_number, default=4, help="tenant rows locked from psql for 2-5 s")
    parser.add_argument("--floods", type=whole_number, default=3, help="floods of 200 slow webhook bodies")
    parser.add_argument("--forged-webhooks", type=whole_number, default=40,
                        help="signed webhooks dated late, 20 h ahead or impossibly, or replayed")
    parser.add_argument("--receiver-outages", type=whole_number, default=6,
                        help="times the event receiver refuses (503) or answers slowly for 2-6 s")
    parser.add_argument("--seed", type=whole_number, default=None, help="the random seed (default: random, printed)")
    parser.add_argument("--debug", action="store_true", help="build and soak the debug binaries (default: release)")
    parser.add_argument("--bin-dir", type=Path, help="no build: soak DIR/tenant-whatsapp and DIR/evolution-sim")
    parser.add_argument("--keep", action="store_true", help="keep the state folder (/tmp/tw-soak-XXXXXX: logs, "
                        "configs); also kept when the soak fails")
    options = parser.parse_args()
    if options.seed is None:
        options.seed = random.SystemRandom().randrange(1_000_000)
    if options.duration < 10 or options.tenants < 1 or options.workers < 1:
        parser.error("--duration must be at least 10, --tenants and --workers at least 1")
    return options


def stack_config(options):
    """The soak's stack: built (or --bin-dir), its simulator holding deleted names until delivered (as Evolution 2.3),
    nginx with its rate limits lifted; the responder is started by the soak, through the relay."""
    configuration = "debug" if options.debug else "release"
    if options.bin_dir:
        log(f"no build: soaking the binaries in {options.bin_dir}")
        bin_dir = checked_bin_dir(options.bin_dir)
    else:
        bin_dir = build(configuration)
    sim_args = ["serve", "--threads", "8"]
    if supports_flag(bin_dir / "evolution-sim", "serve", "--max-requests"):
        sim_args += ["--max-requests", "512"]
    return StackConfig(
        throwaway_prefix="tw-soak-", keep=options.keep, bin_dir=bin_dir, simulator_args=sim_args,
        simulator_env={"SIM_HOLD_DELETED_UNTIL_DELIVERED": "true"}, responder_args=["serve", "--max-requests", "256"],
        responder_env=RESPONDER_SETTINGS, start_responder=False, nginx_env=NGINX_LIMITS_LIFTED, capture_output=True,
        environment=without_events_settings(own_environment()))


def without_events_settings(environment):
    """Only the soak decides where events go and how they are retried: none of the caller's EVENTS_* settings reaches
    the responder."""
    return {name: value for name, value in environment.items() if not name.startswith("EVENTS_")}


def soak(options, built):
    """Brings the stack up, soaks it; exits with the soak's status (the stack keeps its folder after a failure)."""
    with Stack(stack_config(options)) as stack:
        stack.up()
        driver = Soak(options, stack)
        driver.build = built
        signal.signal(signal.SIGINT, driver.interrupt)
        signal.signal(signal.SIGTERM, driver.interrupt)
        log(f"soaking ({built})")
        try:
            status = driver.run()
        except KeyboardInterrupt:
            driver.stop.set()
            log("interrupted")
            status = 130
        except (RuntimeError, StackError) as error:
            driver.stop.set()
            log(f"error: {error}")
            status = 1
        driver.stop.set()
        if status == 0:
            log("done")
        elif status != 130:
            log(f"the soak failed (exit status {status}); logs in {stack.run_dir}")
        sys.exit(status)


def main():
    options = parse_options()
    built = f"binaries from {options.bin_dir}" if options.bin_dir else build_name()
    return exit_status(lambda: soak(options, built))


if __name__ == "__main__":
    sys.exit(main())
