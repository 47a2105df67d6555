"""Floods of slow webhook bodies: a few times during the run, FLOOD_CONNECTIONS connections from one address
(127.0.0.1, the simulator's too) to nginx's POST /api/evolution/webhook, each sending its headers with
Content-Length 65536 and then dripping its body a byte at a time, faster than the location's client_body_timeout,
held 3–5 s, then closed. nginx may answer some of them (429 beyond the location's per-address limit, where it has
one): every such answer must be JSON in the envelope, never a 500; /api/health must keep answering 200 within
HEALTH_BOUND_MS, and the workers keep making their calls. The simulator's deliveries from that address may get 429
meanwhile (and are retried by it)."""

import collections
import http.client
import io
import random
import selectors
import socket
import time

from .common import http as http_call, log, spread, timed, wait_until

FLOOD_CONNECTIONS = 200
FLOOD_BODY_BYTES = 65536
DRIP_INTERVAL_S = 0.5  # a byte per connection this often: well within client_body_timeout (2–3 s)
HOLD_SECONDS = (3.0, 5.0)
HEALTH_BOUND_MS = 1000


class FloodAnswer:
    """An HTTP answer read from a flood connection: status, headers (case-insensitive), body; None while
    incomplete."""

    @staticmethod
    def parse(data):
        head, separator, body = bytes(data).partition(b"\r\n\r\n")
        if not separator:
            return None
        status_line, _, header_lines = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            return (0, {}, bytes(data))
        headers = http.client.parse_headers(io.BytesIO(header_lines + b"\r\n\r\n"))
        length = int(headers.get("Content-Length") or 0)
        if len(body) < length:
            return None
        return int(parts[1]), headers, body[:length]


class Flood:
    def __init__(self, soak, count):
        self.soak = soak
        self.count = count
        self.floods = 0
        self.opened = 0
        self.refused = 0
        self.answered = collections.Counter()  # (status, code) nginx answered before we closed
        self.closed_by_nginx = 0               # closed without an answer
        self.held = 0                          # still open when we closed them
        self.health_ms = []

    def run(self):
        rng = random.Random(f"{self.soak.o.seed}-floods")
        for at in spread(rng, self.count, self.soak.o.duration, 0.1, 0.85):
            if wait_until(self.soak, at):
                return
            with self.soak.chaos_lock:
                if self.soak.stop.is_set():
                    return
                self.flood(rng.uniform(*HOLD_SECONDS))

    def flood(self, hold):
        port = self.soak.stack.port
        head = (f"POST /api/evolution/webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {FLOOD_BODY_BYTES}\r\n\r\n{{").encode()
        selector = selectors.DefaultSelector()
        received = {}
        refused = 0
        for _ in range(FLOOD_CONNECTIONS):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=2)
                connection.sendall(head)
            except OSError:
                refused += 1
                continue
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ)
            received[connection] = bytearray()
        log(f"flood: {len(received)} slow webhook bodies from 127.0.0.1 held {hold:.1f} s"
            + (f" ({refused} connections refused)" if refused else ""))
        answered = collections.Counter()
        closed_by_nginx = 0
        ends = time.monotonic() + hold
        next_drip = time.monotonic() + DRIP_INTERVAL_S
        while time.monotonic() < ends and received:
            for key, _ in selector.select(timeout=0.05):
                connection = key.fileobj
                try:
                    data = connection.recv(65536)
                except OSError:
                    data = b""
                if data:
                    received[connection] += data
                    answer = FloodAnswer.parse(received[connection])
                    if answer is None:
                        continue
                    answered[self.take(answer)] += 1
                else:
                    closed_by_nginx += 1
                selector.unregister(connection)
                connection.close()
                del received[connection]
            if time.monotonic() >= next_drip:
                next_drip += DRIP_INTERVAL_S
                for connection in list(received):
                    try:
                        connection.send(b" ")
                    except OSError:
                        pass  # closed by nginx: the next read says so
                self.probe_health()
        held = len(received)
        for connection in received:
            selector.unregister(connection)
            connection.close()
        selector.close()
        with self.soak.lock:
            self.floods += 1
            self.opened += FLOOD_CONNECTIONS - refused
            self.refused += refused
            self.answered.update(answered)
            self.closed_by_nginx += closed_by_nginx
            self.held += held
        log(f"flood over: {sum(answered.values())} answered by nginx, {closed_by_nginx} closed by it, {held} held "
            "until closed")

    def take(self, answer):
        """Checks one answer nginx gave a flood connection; its (status, error code)."""
        status, headers, body = answer
        document = self.soak.check("flood", "-", status, headers, body, tally=None)
        return status, (document or {}).get("error", "") if status >= 400 else ""

    def probe_health(self):
        (status, headers, body), ms = timed(lambda: http_call("GET", f"{self.soak.base}/api/health", timeout=10))
        self.soak.check("health", "-", status, headers, body, tally=None)
        with self.soak.lock:
            self.health_ms.append(ms)
        if status != 200 or ms > HEALTH_BOUND_MS:
            self.soak.violation("flood_health", f"/api/health answered {status} in {ms:.0f} ms during a flood")

    def report(self, webhook_429):
        answered = ", ".join(f"{s} {c or '-'}×{n}" for (s, c), n in sorted(self.answered.items())) or "none"
        return [
            f"slow-body floods of the webhook route: {self.floods} × {FLOOD_CONNECTIONS} connections from 127.0.0.1 "
            f"(Content-Length {FLOOD_BODY_BYTES}, a byte every {DRIP_INTERVAL_S} s, held 3–5 s, then closed)",
            f"  {self.opened} opened ({self.refused} refused): answered by nginx {answered}; closed by nginx without "
            f"an answer {self.closed_by_nginx}; held until we closed them {self.held}",
            f"  /api/health meanwhile: {len(self.health_ms)} probes, slowest {max(self.health_ms, default=0):.0f} ms "
            f"(bound {HEALTH_BOUND_MS} ms); the simulator's deliveries answered 429 in the whole run: {webhook_429}",
        ]
