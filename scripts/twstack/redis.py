"""A Redis server for the live events across nginx hosts (nginx/tenant-whatsapp.events.redis.conf): loopback only,
a free port, nothing written to disk, its own folder, stopped with the stack."""

import shutil
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

from .console import StackError, say
from .processes import ManagedProcess, start_process, wait_until


def redis_binary() -> str:
    """Debian's redis-server (package redis-server) lives in /usr/bin."""
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def answers_ping(port: int) -> bool:
    """Whether a Redis server on 127.0.0.1:PORT answers PING (the inline command, no client library)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Redis:
    """One redis-server on 127.0.0.1:PORT, its working folder DIR (its log there), no persistence (`--save ''`,
    `--appendonly no`): the channels nchan keeps in it live as long as the stack."""

    port: int
    dir: Path
    process: ManagedProcess | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """What nchan's upstream is given (TW_REDIS_URL of scripts/render-nginx)."""
        return f"redis://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.dir / "redis.log"

    def start(self, env: dict[str, str]) -> ManagedProcess:
        """Starts it in the foreground (stopped with TERM) and returns once it answers PING (30 s at most)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        say(f"starting Redis on 127.0.0.1:{self.port} (no persistence; log: {self.log})")
        self.process = start_process(
            "Redis", [redis_binary(), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                      "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.log),
                      "--daemonize", "no", "--protected-mode", "yes"],
            env, signal.SIGTERM, f"see {self.log}")
        if not wait_until(30, lambda: not self.process.alive() or answers_ping(self.port)) or not self.process.alive():
            raise StackError(f"Redis did not answer on 127.0.0.1:{self.port}; see {self.log}")
        return self.process
