"""Measurement 5's sampler: how many PostgreSQL connections the responder holds, every 200 ms, the whole run."""

import subprocess
import threading
import time
from pathlib import Path

from twstack import StackError

QUERY = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp';\n"
INTERVAL_S = 0.2


class ConnectionSampler:
    """One psql session asked every 200 ms on a thread of its own; keeps the maximum, and every sample ("seconds
    count") in LOG, to see when they rose."""

    def __init__(self, psql: list[str], log: Path) -> None:
        self.process = subprocess.Popen([*psql, "-tA"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.log = log
        self.maximum = 0
        self.samples = 0
        self.failure: str | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True, name="pg-sampler")
        self.thread.start()

    def _sample(self) -> None:
        started = time.monotonic()
        with open(self.log, "w", buffering=1) as log:
            while not self.stopping.is_set():
                self.process.stdin.write(QUERY)
                self.process.stdin.flush()
                line = self.process.stdout.readline()
                if not line:
                    self.failure = "psql of the connection sampler exited"
                    return
                count = int(line.strip())
                log.write(f"{time.monotonic() - started:.1f} {count}\n")
                self.maximum = max(self.maximum, count)
                self.samples += 1
                self.stopping.wait(INTERVAL_S)  # pacing of the samples, not synchronisation

    def sampled(self) -> bool:
        """Whether it took a sample yet (fails when it broke down)."""
        if self.failure:
            raise StackError(self.failure)
        return self.samples > 0

    def close(self) -> None:
        """Stops sampling without a verdict (the bench failed or was interrupted): psql ends at the end of its input."""
        self.stopping.set()
        if self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def stop(self) -> int:
        """Stops sampling; the maximum seen."""
        self.stopping.set()
        self.thread.join()
        self.process.stdin.close()
        self.process.wait()
        if self.failure:
            raise StackError(self.failure)
        return self.maximum
