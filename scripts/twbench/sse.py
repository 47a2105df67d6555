"""Many EventSource subscribers at once on one asyncio loop, for the events rows (twbench/events.py).

Each subscriber is one TCP connection from a chosen loopback source address speaking HTTP/1.0 (so nginx streams the
body without chunked framing): `GET …/events?ticket=…` with `Accept: text/event-stream`, then events parsed as
they come, each `state` message recorded with the time it arrived (time.monotonic)."""

import asyncio
import json
import resource
import time
from dataclasses import dataclass, field


@dataclass
class Subscriber:
    """One open stream: its tenant, and the states it received as (arrival time, status, version)."""

    tenant: str
    states: list[tuple[float, str, int]] = field(default_factory=list)
    status: int = 0
    error: str = ""


def raise_open_files_limit(needed: int) -> None:
    """Lifts this process's soft RLIMIT_NOFILE to NEEDED (at most the hard limit); fails when that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise RuntimeError(f"RLIMIT_NOFILE's hard limit {hard} is below the {needed} descriptors needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def _read_events(subscriber: Subscriber, reader: asyncio.StreamReader) -> None:
    data: list[str] = []
    name = None
    while True:
        line = await reader.readline()
        if not line:
            return
        text = line.decode().rstrip("\r\n")
        if not text:
            if name == "state" and data:
                body = json.loads("\n".join(data))
                subscriber.states.append((time.monotonic(), body.get("status", ""), int(body.get("version", -1))))
            data, name = [], None
        elif text.startswith("data:"):
            data.append(text[5:].lstrip(" "))
        elif text.startswith("event:"):
            name = text[6:].strip()


class Subscribers:
    """Opens and holds streams on a loop of its own thread-free asyncio run (the caller drives it with run())."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.subscribers: list[Subscriber] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: list[asyncio.Task] = []

    async def open(self, tenant: str, ticket: str, source: str) -> Subscriber:
        subscriber = Subscriber(tenant)
        self.subscribers.append(subscriber)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0))
        except OSError as error:
            subscriber.error = f"connect from {source}: {error}"
            return subscriber
        self._writers.append(writer)
        writer.write((f"GET /api/tenants/{tenant}/whatsapp/events?ticket={ticket} HTTP/1.0\r\n"
                      "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            subscriber.status = int(head.split(b" ", 2)[1])
        except (asyncio.IncompleteReadError, ValueError, IndexError) as error:
            subscriber.error = f"no answer head: {error}"
            return subscriber
        if subscriber.status == 200:
            self._tasks.append(asyncio.create_task(_read_events(subscriber, reader)))
        return subscriber

    async def open_all(self, streams: list[tuple[str, str, str]], concurrency: int) -> None:
        """Opens every (tenant, ticket, source address), CONCURRENCY at a time."""
        gate = asyncio.Semaphore(concurrency)

        async def one(stream: tuple[str, str, str]) -> None:
            async with gate:
                await self.open(*stream)
        await asyncio.gather(*(one(stream) for stream in streams))

    async def wait_until(self, condition, seconds: float) -> bool:  # noqa: ANN001
        """Polls CONDITION() every 50 ms for up to SECONDS while the streams are read."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            await asyncio.sleep(0.05)
        return condition()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
