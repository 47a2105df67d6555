"""Clients that keep asking status of some tenants on the side of a measurement, each answer recorded: the load on
the hung server's tenants in the servers rows (servers.py)."""

import json
import threading
import time
from dataclasses import dataclass

from twstack.web import request


@dataclass(frozen=True)
class Answer:
    """One status call: when it started (time.monotonic), how long it took, its HTTP status ('0': no answer) and
    the error code of its body ('' when it has none)."""

    started: float
    seconds: float
    status: int
    code: str

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    @property
    def label(self) -> str:
        """'200', '503 upstream_unavailable', …"""
        return f"{self.status} {self.code}" if self.code else str(self.status)


def error_code(body: bytes) -> str:
    """The product's error code ({"success":false,"error":"<code>",…}), '' for anything else."""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    code = value.get("error") if isinstance(value, dict) else None
    return code if isinstance(code, str) else ""


class PacedClients:
    """CLIENTS threads; client i asks GET status of TENANTS[i mod len] again and again, at most once every PACE_S
    seconds (a call that takes longer is followed by the next at once: the clients pile up on a hung server, as
    pages waiting for their answers would). Runs from start() until stop()."""

    def __init__(self, api: str, tokens: dict[str, str], tenants: list[str], clients: int, pace_s: float) -> None:
        self.api, self.tokens, self.tenants, self.clients, self.pace_s = api, tokens, tenants, clients, pace_s
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> "PacedClients":
        self.threads = [threading.Thread(target=self._client, args=(self.tenants[i % len(self.tenants)],),
                                         daemon=True, name=f"paced-client-{i}") for i in range(self.clients)]
        for thread in self.threads:
            thread.start()
        return self

    def _client(self, tenant: str) -> None:
        url = f"{self.api}/api/tenants/{tenant}/whatsapp/status"
        while not self.stopping.is_set():
            started = time.monotonic()
            status, body = request("GET", url, self.tokens[tenant], timeout=120)
            answer = Answer(started, time.monotonic() - started, status, "" if status == 200 else error_code(body))
            with self.lock:
                self.answers.append(answer)
            self.stopping.wait(max(0.0, started + self.pace_s - time.monotonic()))  # the pace, not synchronisation

    def snapshot(self) -> list[Answer]:
        """The answers so far."""
        with self.lock:
            return list(self.answers)

    def stop(self) -> list[Answer]:
        """Stops asking; waits for the calls in flight (a hung one ends at the responder's EVOLUTION_TIMEOUT_MS);
        every answer."""
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.snapshot()


def ended_within(answers: list[Answer], start: float, end: float) -> list[Answer]:
    """The answers that came between START and END (time.monotonic)."""
    return [answer for answer in answers if start <= answer.ended <= end]


def count_labels(answers: list[Answer]) -> dict[str, int]:
    """{'200': 120, '503 upstream_unavailable': 40, …}"""
    counted: dict[str, int] = {}
    for answer in answers:
        counted[answer.label] = counted.get(answer.label, 0) + 1
    return counted
