"""Late, replayed and future-dated webhooks: signed as Evolution signs them (an HS256 JWT with the stack's webhook
secret: iat, exp = iat + 600, app "evolution", action "webhook") with Evolution's envelope, about a random soak
tenant's instance, sent through nginx to POST /api/evolution/webhook:

- late: connection.update, logout.instance or remove.instance dated 1 h ago;
- replay: byte for byte a body the soak sent 1–20 s earlier and got 200 for, with the same (still valid) token;
- future: dated 20 h ahead (further ahead than any time zone explains);
- impossible: a date_time that is no instant (Feb 30, hour 25, month 13, year 0).

Every answer is checked as the workers' are (never a 500, JSON, the envelope); besides, each kind has its expected
answers (EXPECTED): never 5xx. Whether the responder applied each one is read from its log (the request's line)."""

import collections
import json
import random
import time

from twstack.tokens import mint_hs256

from .common import evolution_time, http, spread, wait_until

FORGED_EVENTS = ["connection.update", "logout.instance", "remove.instance"]
CONNECTION_STATES = ["open", "connecting", "close"]
LATE_SECONDS = 3600
FUTURE_SECONDS = 20 * 3600
REPLAY_WINDOW_S = (1.0, 20.0)
IMPOSSIBLE_TIMES = ["2026-02-30T25:61:61Z", "2026-02-30T12:00:00.000Z", "2025-13-01T00:00:00.000Z",
                    "0000-01-01T00:00:00.000Z"]
WEBHOOK_TOKEN_LIFETIME_S = 600
# Share of each kind in --forged-webhooks.
SHARES = {"late": 0.3, "replay": 0.3, "future": 0.2, "impossible": 0.2}
# (status, error code) answers each kind may get: a date_time 20 h ahead is one no time zone explains (UTC-12 to
# UTC+14), refused like an impossible one (issue #21 item 3).
EXPECTED = {
    "late": {(200, "")},
    "replay": {(200, "")},
    "future": {(400, "invalid_body")},
    "impossible": {(400, "invalid_body")},
}


class ForgedWebhooks:
    def __init__(self, soak, count):
        self.soak = soak
        self.count = count
        self.url = f"{soak.base}/api/evolution/webhook"
        self.secret = soak.stack.webhook_secret
        self.answers = collections.Counter()  # (kind, status, code)
        self.events = collections.Counter()   # (kind, event)
        self.applied = collections.Counter()  # (kind, True/False) from the responder's log
        self.request_ids = {}                 # X-Request-Id → kind
        self.history = []                     # (when, tenant, event, headers, body) answered 200, for replays

    def plan(self, rng):
        kinds = []
        for kind, share in SHARES.items():
            kinds += [kind] * max(1, round(self.count * share))
        rng.shuffle(kinds)
        return kinds

    def run(self):
        rng = random.Random(f"{self.soak.o.seed}-forged-webhooks")
        kinds = self.plan(rng)
        for at, kind in zip(spread(rng, len(kinds), self.soak.o.duration), kinds):
            if wait_until(self.soak, at):
                return
            with self.soak.chaos_lock:
                if self.soak.stop.is_set():
                    return
                self.send(rng, kind)

    def envelope(self, tenant, event, date_time, rng):
        name = f"tenant_{tenant}"
        data = ({"instance": name, "state": rng.choice(CONNECTION_STATES), "statusReason": 200}
                if event == "connection.update" else None)
        return {"event": event, "instance": name, "data": data, "destination": self.url, "date_time": date_time,
                "server_url": "http://127.0.0.1", "apikey": None}

    def send(self, rng, kind):
        now = time.time()
        if kind == "replay":
            age = time.monotonic()
            candidates = [h for h in self.history if REPLAY_WINDOW_S[0] <= age - h[0] <= REPLAY_WINDOW_S[1]]
            if not candidates:
                kind = "late"  # nothing to replay yet
        if kind == "replay":
            _, tenant, event, headers, body = rng.choice(candidates)
        else:
            tenant = rng.choice(self.soak.tenants)
            event = rng.choice(FORGED_EVENTS)
            date_time = {"late": lambda: evolution_time(now - LATE_SECONDS),
                         "future": lambda: evolution_time(now + FUTURE_SECONDS),
                         "impossible": lambda: rng.choice(IMPOSSIBLE_TIMES)}[kind]()
            body = self.envelope(tenant, event, date_time, rng)
            issued = int(now)
            token = mint_hs256(self.secret, {"iat": issued, "exp": issued + WEBHOOK_TOKEN_LIFETIME_S,
                                             "app": "evolution", "action": "webhook"})
            headers = {"Authorization": f"Bearer {token}"}
        status, answer_headers, data = http("POST", self.url, headers, body)
        document = self.soak.check("webhook", tenant, status, answer_headers, data, tally=None)
        code = (document or {}).get("error", "") if status >= 400 else ""
        with self.soak.lock:
            self.answers[(kind, status, code)] += 1
            self.events[(kind, event)] += 1
        request_id = answer_headers.get("X-Request-Id") if answer_headers else None
        if request_id:
            self.request_ids[request_id] = kind
        if (status, code) not in EXPECTED[kind]:
            self.soak.violation("forged_unexpected", f"{kind} {event} for {tenant} (date_time "
                                f"{body['date_time']}) → {status} {code or ''} {data[:200]!r}")
        if status == 200 and kind != "replay":
            self.history.append((time.monotonic(), tenant, event, headers, body))

    def read_log(self, lines):
        """Whether the responder applied each forged delivery, from its request lines (`applied`)."""
        for line in lines:
            if '"requestId"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            kind = self.request_ids.get(entry.get("requestId"))
            if kind is not None and "applied" in entry:
                self.applied[(kind, entry["applied"] in (True, "true"))] += 1

    def report(self):
        lines = [f"forged webhooks (signed with the webhook secret, Evolution's envelope, for random soak tenants): "
                 f"{sum(self.answers.values())}",
                 f"  {'kind':<11} {'sent':>4}  {'events (connection/logout/remove)':<34} {'applied':>7}  answers"]
        for kind in SHARES:
            sent = sum(n for (k, _, _), n in self.answers.items() if k == kind)
            events = "/".join(str(self.events[(kind, e)]) for e in FORGED_EVENTS)
            answers = ", ".join(f"{s} {c or '-'}×{n}" for (k, s, c), n in sorted(self.answers.items()) if k == kind)
            expected = " or ".join(f"{s} {c or '-'}" for s, c in sorted(EXPECTED[kind]))
            lines.append(f"  {kind:<11} {sent:>4}  {events:<34} {self.applied[(kind, True)]:>7}  "
                         f"{answers or 'none'} (expected {expected})")
        return lines
