"""Events to the SaaS backend (issue #23) under the soak, and the receiver's outages.

The responder (and reconcile) write every tenant's connection change to the outbox (whatsapp_event_outbox) and deliver
it to scripts/event-receiver on loopback, signed with a fresh `whsec_` secret, on a fast retry schedule (RETRY_SCHEDULE:
30 attempts over about 40 s, longer than any outage, than the 30 s lease of an attempt cut short by the kill -9, and
than a PostgreSQL backend termination). The fault: a few times at random the receiver refuses every delivery (503), or
answers slowly (delayMs: within the responder's 10 s attempt timeout, or past it, so that an event the receiver took is
sent again), for 2–6 s, then answers 204 again. It is no disruptive fault (it holds no chaos lock): no answer of the
API depends on the receiver.

At the end, once the outbox has no pending row (polled, DRAIN_BOUND_S at most): every row is delivered (none dead, none
pending); every delivered event's webhook-id was received, verified and answered 2xx at least once (at least once; the
events received more than once are counted); each tenant's events were first received in outbox id order (in order per
tenant); nothing was received that the outbox does not hold (its webhook-id, type and tenant); every delivery verified.
The outbox and the receiver's deliveries are written to the state folder (events-outbox.tsv, events-received.json)."""

import collections
import json
import random
import time

from twstack.eventreceiver import new_secret, received, receiver_python, set_mode, start_receiver

from .common import log, spread, wait_until

# 0s, then 1 s × 19, then 2 s × 10: 30 attempts over about 40 s (each spread ±20 %, never sooner than 1 s).
RETRY_SCHEDULE = ",".join(["0s"] + ["1s"] * 19 + ["2s"] * 10)
RETRY_SCHEDULE_SHOWN = "0s,1s×19,2s×10"
OUTAGE_SECONDS = (2.0, 6.0)
ATTEMPT_TIMEOUT_MS = 10000  # the responder's per attempt (docs/event-webhooks.md)
# What the receiver does during an outage, weighted: refuse, answer within the attempt timeout, or past it.
OUTAGE_KINDS = [("refused", 2), ("slow", 1), ("timeout", 1)]
OUTAGE_WHAT = {"refused": "503 to every delivery", "slow": "204 after 300–2000 ms",
               "timeout": f"204 after {ATTEMPT_TIMEOUT_MS + 500} ms, past the responder's 10 s attempt timeout"}
# The outbox drains within the retry schedule once the receiver answers; an attempt cut short by the kill -9 waits
# for its 30 s lease first.
DRAIN_BOUND_S = 180
DRAIN_POLL_S = 0.5


class EventWebhooks:
    def __init__(self, soak, outages):
        self.soak = soak
        self.count = outages
        self.secret = new_secret()
        self.url = None
        self.outages = collections.Counter()          # kind → n
        self.outage_seconds = collections.Counter()   # kind → seconds
        self.drain_seconds = None
        self.rows = []
        self.deliveries = []

    def start(self):
        """Starts the receiver (stopped with the stack); returns the responder's EVENTS_* settings."""
        python = receiver_python()
        _, self.url = start_receiver(self.soak.stack, python, self.secret)
        log(f"the event receiver listens on {self.url}")
        return {"EVENTS_WEBHOOK_URL": f"{self.url}/tenant-whatsapp-events", "EVENTS_WEBHOOK_SECRET": self.secret,
                "EVENTS_RETRY_SCHEDULE": RETRY_SCHEDULE}

    # --- the fault ----------------------------------------------------------------------------------------

    def run(self):
        rng = random.Random(f"{self.soak.o.seed}-receiver-outages")
        for at in spread(rng, self.count, self.soak.o.duration, 0.05, 0.85):
            if wait_until(self.soak, at):
                return
            kind = rng.choices([k for k, _ in OUTAGE_KINDS], weights=[w for _, w in OUTAGE_KINDS])[0]
            mode = {"refused": {"status": 503},
                    "slow": {"status": 204, "delayMs": rng.randint(300, 2000)},
                    "timeout": {"status": 204, "delayMs": ATTEMPT_TIMEOUT_MS + 500}}[kind]
            seconds = round(rng.uniform(*OUTAGE_SECONDS), 1)
            set_mode(self.url, mode)
            began = time.monotonic()
            log(f"the event receiver answers {OUTAGE_WHAT[kind]} for {seconds} s")
            try:
                stopped = self.soak.stop.wait(seconds)
            finally:
                set_mode(self.url, {})  # 204 at once again
            with self.soak.lock:
                self.outages[kind] += 1
                self.outage_seconds[kind] += time.monotonic() - began
            if stopped:
                return

    # --- the end ------------------------------------------------------------------------------------------

    def drain(self):
        """Waits until the outbox has no pending row (asked every DRAIN_POLL_S, DRAIN_BOUND_S at most)."""
        set_mode(self.url, {})
        log("waiting for the outbox to have no pending event")
        began = time.monotonic()
        while self.soak.sql("SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'pending'") != "0":
            if time.monotonic() - began > DRAIN_BOUND_S:
                log(f"events still pending {DRAIN_BOUND_S} s after the calls stopped")
                return
            time.sleep(DRAIN_POLL_S)  # polling PostgreSQL
        self.drain_seconds = time.monotonic() - began

    def check(self):
        """The four invariants of the events, as violations of the soak; keeps the figures for the report."""
        soak = self.soak
        self.rows = [line.split("|", 7) for line in soak.sql(
            "SELECT id, event_id, tenant_id, type, state, attempts, coalesce(last_status::text, ''),"
            " coalesce(last_error, '') FROM whatsapp_event_outbox ORDER BY id").splitlines()]
        self.deliveries = received(self.url)
        self.save()
        by_id = {row[1]: row for row in self.rows}
        receipts = collections.defaultdict(list)  # webhook-id → the receiver's deliveries, in its order
        for delivery in self.deliveries:
            receipts[delivery["webhookId"]].append(delivery)
            if not delivery["verified"]:
                soak.violation("event_unverified", f"delivery {delivery['index']} ({delivery['webhookId']}): "
                               f"{delivery['error']}")
            row = by_id.get(delivery["webhookId"])
            body = delivery["json"] or {}
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            if row is None or body.get("type") != row[3] or data.get("tenantId") != row[2]:
                soak.violation("event_unknown", f"delivery {delivery['index']} ({delivery['webhookId']}, "
                               f"{body.get('type')} for {data.get('tenantId')}) is not in the outbox as such")
        self.duplicated = 0
        self.extra_receipts = 0
        for row in self.rows:
            row_id, event_id, tenant, kind, state, attempts, last_status, last_error = row
            if state != "delivered":
                soak.violation("event_not_delivered", f"outbox {row_id} {event_id} {kind} for {tenant}: {state} "
                               f"after {attempts} attempts (last {last_status or '-'} {last_error or '-'})")
                continue
            accepted = [d for d in receipts[event_id] if d["verified"] and 200 <= d["status"] < 300]
            if not accepted:
                soak.violation("event_not_received", f"outbox {row_id} {event_id} {kind} for {tenant}: delivered "
                               f"after {attempts} attempts, received {len(receipts[event_id])} times, never "
                               "verified and answered 2xx")
            elif len(accepted) > 1:
                self.duplicated += 1
                self.extra_receipts += len(accepted) - 1
        self.check_order(receipts)

    def check_order(self, receipts):
        """Per tenant, the first receipt of each of its events (by the receiver's order) follows its outbox order."""
        last = {}  # tenant → (outbox id, first receipt index) of its latest event received
        for row_id, event_id, tenant, kind, *_ in self.rows:
            if not receipts[event_id]:
                continue
            first = receipts[event_id][0]["index"]
            if tenant in last and first < last[tenant][1]:
                self.soak.violation("event_out_of_order", f"{tenant}: outbox {row_id} ({kind}) first received as "
                                    f"delivery {first}, before outbox {last[tenant][0]} (delivery {last[tenant][1]})")
            last[tenant] = (row_id, first)

    def save(self):
        """The evidence, in the state folder (kept when the soak fails)."""
        with open(f"{self.soak.state}/events-outbox.tsv", "w") as file:
            file.write("id\tevent_id\ttenant_id\ttype\tstate\tattempts\tlast_status\tlast_error\n")
            file.writelines("\t".join(row) + "\n" for row in self.rows)
        with open(f"{self.soak.state}/events-received.json", "w") as file:
            json.dump([{k: v for k, v in d.items() if k not in ("body", "headers")} for d in self.deliveries], file)

    # --- the report ---------------------------------------------------------------------------------------

    def report(self):
        types = collections.Counter(row[3].removeprefix("whatsapp.") for row in self.rows)
        states = collections.Counter(row[4] for row in self.rows)
        attempts = sum(int(row[5]) for row in self.rows)
        answered = collections.Counter(d["status"] for d in self.deliveries)
        drained = (f"none pending {self.drain_seconds:.1f} s after reconcile" if self.drain_seconds is not None
                   else f"still pending after {DRAIN_BOUND_S} s")
        outages = ", ".join(f"{kind} ({OUTAGE_WHAT[kind]}) ×{self.outages[kind]}, {self.outage_seconds[kind]:.1f} s"
                            for kind, _ in OUTAGE_KINDS if self.outages[kind]) or "none"
        return [
            f"events to the backend (scripts/event-receiver on loopback, EVENTS_RETRY_SCHEDULE {RETRY_SCHEDULE_SHOWN}):"
            f" {len(self.rows)} written ("
            + ", ".join(f"{t} {n}" for t, n in sorted(types.items())) + f"); {states['delivered']} delivered, "
            f"{states['dead']} dead, {states['pending']} pending ({drained})",
            f"  attempts: {attempts} ({attempts - len(self.rows)} retries); the receiver: {len(self.deliveries)} "
            "deliveries answered " + (", ".join(f"{s}×{n}" for s, n in sorted(answered.items())) or "none")
            + f"; {self.duplicated} events received more than once ({self.extra_receipts} extra receipts)",
            f"  receiver outages ({sum(self.outages.values())}, 2–6 s each): {outages}",
        ]

    CHECKS = [("events not delivered (dead or pending)", "event_not_delivered"),
              ("delivered events never received, verified and answered 2xx", "event_not_received"),
              ("events first received out of their tenant's outbox order", "event_out_of_order"),
              ("deliveries of events the outbox does not hold", "event_unknown"),
              ("deliveries not verifying", "event_unverified")]
