"""evolution-sim instances, each behind its own nginx on its own loopback port, and their registration as Evolution
servers of the responder (`tenant-whatsapp servers add`) when there are several."""

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import nginx
from .console import StackError, say
from .processes import ManagedProcess, spawn_fastcgi, wait_until
from .secretfiles import hex_secret
from .web import answers_ok

KEY_BYTES = 24


@dataclass
class Simulator:
    """One evolution-sim: server id `sim-N`, its URL (its nginx), key file, socket, logs and processes.

    The first one keeps the names a single simulator always had (evolution-sim-key, evolution-sim.log,
    evolution-sim-nginx/, sockets/evolution-sim.sock); the N-th adds `-N` to each."""

    index: int
    port: int
    run_dir: Path
    socket_dir: Path
    process: ManagedProcess | None = field(default=None, repr=False)
    nginx: ManagedProcess | None = field(default=None, repr=False)

    @property
    def _suffix(self) -> str:
        return "" if self.index == 1 else f"-{self.index}"

    @property
    def server_id(self) -> str:
        return f"sim-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def key_file(self) -> Path:
        return self.run_dir / f"evolution-sim{self._suffix}-key"

    @property
    def socket(self) -> Path:
        return self.socket_dir / f"evolution-sim{self._suffix}.sock"

    @property
    def log(self) -> Path:
        return self.run_dir / f"evolution-sim{self._suffix}.log"

    @property
    def nginx_dir(self) -> Path:
        return self.run_dir / f"evolution-sim{self._suffix}-nginx"

    def key(self) -> str:
        """The simulator's API key: random, made once, kept in its key file (mode 0600), never printed."""
        return hex_secret(self.key_file, KEY_BYTES)

    def processes(self) -> list[ManagedProcess]:
        return [process for process in (self.process, self.nginx) if process]

    def start(self, binary: Path, arguments: list[str], env: dict[str, str], output: Path | None) -> None:
        """Starts the simulator under spawn-fcgi and its nginx, then waits (30 s at most) until its URL answers."""
        say(f"starting evolution-sim {self.server_id} ({' '.join(arguments)}) on {self.url} (log: {self.log})")
        settings = {**env, "SIM_API_KEY": self.key(), "SIM_SERVER_URL": self.url}
        self.process = spawn_fastcgi(f"evolution-sim {self.server_id}", self.socket, [str(binary), *arguments],
                                     settings, self.log, output)
        conf = nginx.render_simulator_conf(self.nginx_dir, f"127.0.0.1:{self.port}", self.socket, env)
        self.nginx = nginx.start_nginx(f"nginx of evolution-sim {self.server_id}", self.nginx_dir, conf, env)
        if not wait_until(30, self._answers):
            raise StackError(f"no answer from evolution-sim {self.server_id} on {self.url} after 30 s")

    def _answers(self) -> bool:
        if not self.process.alive():
            raise StackError(f"evolution-sim {self.server_id} exited; see {self.log}")
        if not self.nginx.alive():
            raise StackError(f"nginx of evolution-sim {self.server_id} exited (is port {self.port} free?); "
                             f"see {self.nginx_dir / 'error.log'}")
        return answers_ok(f"{self.url}/")

    def stop(self) -> None:
        """Its nginx first (QUIT), then the simulator (TERM)."""
        for process in (self.nginx, self.process):
            if process:
                process.stop()


def _servers_command(responder: Path, env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(responder), "servers", *arguments], env=env, capture_output=True, text=True)


def require_servers_add(responder: Path, env: dict[str, str], count: int) -> None:
    """Fails with one line unless this build of the responder has `tenant-whatsapp servers add` (an older build
    answers --help with its general usage, exit status 0: its usage line must name the subcommand)."""
    result = _servers_command(responder, env, "add", "--help")
    if result.returncode != 0 or "tenant-whatsapp servers add" not in result.stdout + result.stderr:
        raise StackError(f"{count} simulators need `tenant-whatsapp servers add` to register them, and {responder} "
                         "has no such command: use one simulator, or a build that has it")


def register(simulators: list[Simulator], responder: Path, capacity: int, env: dict[str, str]) -> None:
    """Registers each simulator as an Evolution server of the responder's database:
    `tenant-whatsapp servers add sim-N --url URL --capacity CAPACITY --key-file KEY_FILE`, ENV holding DATABASE_URL
    and SECRETS_KEY (the responder stores the key encrypted with it; `add` checks URL and key with one authenticated
    call first, so the simulators must be up). A server an earlier run of a kept folder registered is brought up to
    date instead (`servers set` with the same options). require_servers_add says first whether the build can."""
    for simulator in simulators:
        simulator.key()  # the key file exists before it is named
        options = ["--url", simulator.url, "--capacity", str(capacity), "--key-file", str(simulator.key_file)]
        result = _servers_command(responder, env, "add", simulator.server_id, *options)
        verb = "registered"
        if result.returncode != 0 and "already registered" in result.stderr + result.stdout:
            result = _servers_command(responder, env, "set", simulator.server_id, *options)
            verb = "registered by an earlier run, updated:"
        if result.returncode != 0:
            raise StackError(f"registering {simulator.server_id} failed (tenant-whatsapp servers, exit status "
                             f"{result.returncode}): {(result.stderr or result.stdout).strip()}")
        say(f"{verb} {simulator.server_id} ({simulator.url}, capacity {capacity})")
