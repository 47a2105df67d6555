"""The stack as one object: what to start (StackConfig), starting it in order, describing it, stopping it."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import nginx, packages, simulators
from .build import RESPONDER, SIMULATOR, build, checked_bin_dir
from .config import StackConfig
from .console import StackError, say
from .paths import MIGRATIONS
from .ports import free_ports
from .postgres import Postgres, check_traversable_by_postgres, make_postgres_folder, newest_pg_bin
from .processes import ManagedProcess, spawn_fastcgi, wait_until
from .redis import Redis
from .secretfiles import base64_secret, hex_secret
from .simulators import Simulator
from .web import answers_at_all, answers_ok

# sun_path holds 108 bytes with its NUL; PostgreSQL's lock file is the longest path put in the socket folder.
SOCKET_PATH_LIMIT = 106
EXIT_INTERRUPTED = (130, 143)


class Terminated(SystemExit):
    """SIGTERM, turned into an exit (status 143) so that the `with` block stops the stack on its way out."""


def _raise_terminated(*_: Any) -> None:
    raise Terminated(143)


class Stack:
    """The local stack; a context manager that stops everything it started on success, failure, Ctrl-C or SIGTERM.

    Attributes a caller reads once up() returned: base_url, port, run_dir, bin_dir, responder_binary, postgres,
    simulators, responder (the process), nginx, publish_socket (nginx's nchan publisher socket, None without the live
    events), redis, jwt_secret, webhook_secret; describe() has them as a dict."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.run_dir: Path = config.run_dir or Path("/nonexistent")
        self.throwaway = config.run_dir is None
        self.postgres: Postgres | None = None
        self.simulators: list[Simulator] = []
        self.responder: ManagedProcess | None = None
        self.nginx: ManagedProcess | None = None
        self.extra_processes: list[ManagedProcess] = []
        self.redis: Redis | None = None
        # nginx's publisher socket once its configuration is rendered with the live events (nginx's nchan module),
        # given to the responder as NCHAN_PUBLISH_SOCKET; None without them.
        self.publish_socket: Path | None = None
        self._nginx_conf: Path | None = None
        self.responder_extra_env: dict[str, str] = {}
        self.port = config.port or 0
        self.pg_port = config.pg_port or 0
        self.redis_port = 0
        self.responder_socket = Path()
        self.socket_dir = Path()
        self.bin_dir = Path()
        self._previous_sigterm: Any = None

    # --- context ------------------------------------------------------------------------------------------------

    def __enter__(self) -> "Stack":
        self._previous_sigterm = signal.signal(signal.SIGTERM, _raise_terminated)
        if self.throwaway:
            self.run_dir = Path(tempfile.mkdtemp(prefix=self.config.throwaway_prefix, dir="/tmp"))
            say(f"state folder: {self.run_dir}")
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, _: Any) -> None:
        # A second Ctrl-C or TERM must not cut the stopping short (each step is bounded: 10 s before SIGKILL).
        previous_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            self.stop()
            self._remove_throwaway_folder(error)
        finally:
            signal.signal(signal.SIGINT, previous_sigint)
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    def _remove_throwaway_folder(self, error: BaseException | None) -> None:
        """Removed after success or an interrupt; kept when asked and after a failure (its logs say why)."""
        if not self.throwaway or not self.run_dir.is_dir():
            return
        interrupted = isinstance(error, KeyboardInterrupt) or (
            isinstance(error, SystemExit) and error.code in (0, None, *EXIT_INTERRUPTED))
        if self.config.keep or (error is not None and not interrupted):
            say(f"state folder kept: {self.run_dir}")
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # --- paths --------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def responder_binary(self) -> Path:
        return self.bin_dir / RESPONDER

    @property
    def simulator_binary(self) -> Path:
        return self.bin_dir / SIMULATOR

    @property
    def responder_log(self) -> Path:
        return self.run_dir / "responder.log"

    @property
    def nginx_dir(self) -> Path:
        return self.run_dir / "nginx"

    def _output(self, name: str) -> Path | None:
        return self.run_dir / f"{name}.err" if self.config.capture_output else None

    # --- bringing it up -----------------------------------------------------------------------------------------

    def up(self) -> "Stack":
        """Everything, in order: packages, binaries, folders, PostgreSQL and the database, migrations, simulators
        (registered when several), Redis (when asked), nginx's configuration (it names the publisher socket the
        responder is given), the responder (unless the caller starts it), nginx; returns once it answers."""
        packages.ensure_debian_packages(packages.PROJECT_PACKAGES + self.config.extra_packages)
        self.bin_dir = checked_bin_dir(self.config.bin_dir or build(self.config.configuration))
        self._choose_ports()
        socket_dir = self._make_folders()
        self._start_postgres(socket_dir)
        self._migrate()
        self.simulators = [Simulator(index + 1, port, self.run_dir, socket_dir)
                           for index, port in enumerate(self.config.simulator_ports or [])]
        if len(self.simulators) > 1:
            simulators.require_servers_add(self.responder_binary, self._database_environment(), len(self.simulators))
        for simulator in self.simulators:
            output = simulator.log.with_suffix(".err") if self.config.capture_output else None
            simulator.start(self.simulator_binary, self.config.simulator_args,
                            {**self.config.environment, **self.config.simulator_env}, output)
        if len(self.simulators) > 1:
            simulators.register(self.simulators, self.responder_binary, self.config.simulator_capacity,
                                self._database_environment())
        if self.config.redis:
            self.redis = Redis(self.redis_port, self.run_dir / "redis")
            self.redis.start(self.config.environment)
        self._render_nginx()
        if self.config.start_responder:
            self.start_responder(wait=False)
        self._start_nginx()
        if self.config.start_responder:
            self.wait_healthy()
        else:
            self._wait(lambda: answers_at_all(f"{self.base_url}/api/health"),
                       f"no answer from nginx on {self.base_url}")
        return self

    def _choose_ports(self) -> None:
        """The ports given, free ones for the others (found together, so they differ)."""
        count = self.config.simulators if self.config.evolution_api is None else 0
        spare = iter(free_ports(4 + count))
        self.port = self.config.port or next(spare)
        self.pg_port = self.config.pg_port or next(spare)
        self.redis_port = next(spare)
        self.config.simulator_ports = self.config.simulator_ports or [next(spare) for _ in range(count)]

    def _make_folders(self) -> Path:
        """The run folder (0755, reachable by postgres), PostgreSQL's (owned by postgres when root) and the socket
        folder, which moves to /tmp/tenant-whatsapp-<uid> when the run folder's path is too long for sockets."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = self.run_dir.resolve()
        self.run_dir.chmod(0o755)
        check_traversable_by_postgres(self.run_dir)
        make_postgres_folder(self.run_dir / "postgres", 0o700)
        socket_dir = self.run_dir / "sockets"
        if len(f"{socket_dir}/pg/.s.PGSQL.{self.pg_port}.lock") > SOCKET_PATH_LIMIT:
            socket_dir = Path(f"/tmp/tenant-whatsapp-{os.geteuid()}")
            say(f"the run folder's path is long: sockets go to {socket_dir}")
        socket_dir.mkdir(mode=0o755, exist_ok=True)
        # A folder under /tmp could have been made by someone else: it must be ours and not a symbolic link.
        if socket_dir.is_symlink() or socket_dir.stat().st_uid != os.geteuid():
            raise StackError(f"{socket_dir} is not a folder owned by you; remove it")
        make_postgres_folder(socket_dir / "pg", 0o755)
        self.responder_socket = socket_dir / "fcgi.sock"
        self.socket_dir = socket_dir
        return socket_dir

    def _start_postgres(self, socket_dir: Path) -> None:
        pg_dir = self.run_dir / "postgres"
        self.postgres = Postgres(pg_dir / "data", pg_dir / "postgres.log", socket_dir / "pg", self.pg_port,
                                 throwaway=self.throwaway, bin_dir=newest_pg_bin())
        self.postgres.create_cluster_if_missing()
        self.postgres.start()
        self.postgres.create_database_if_missing()

    def _database_environment(self) -> dict[str, str]:
        """DATABASE_URL and SECRETS_KEY (the caller's, else random, made once, kept in the run folder)."""
        secrets_key = self.config.environment.get("SECRETS_KEY") or base64_secret(self.run_dir / "secrets-key")
        return {**self.config.environment, "DATABASE_URL": self.postgres.database_url, "SECRETS_KEY": secrets_key}

    def _migrate(self) -> None:
        say("applying migrations")
        result = subprocess.run([str(self.responder_binary), "migrate", "--dir", str(MIGRATIONS)],
                                env=self._database_environment(), stdout=sys.stderr)
        if result.returncode != 0:
            raise StackError("tenant-whatsapp migrate failed")

    # --- secrets ------------------------------------------------------------------------------------------------

    @property
    def jwt_secret(self) -> str | None:
        """The HS256 key tokens are signed with: the caller's JWT_SECRET, none with JWT_PUBLIC_KEY_FILE, else random
        (made once, kept in the run folder so that tokens stay valid across restarts)."""
        environment = self.config.environment
        if environment.get("JWT_SECRET"):
            return environment["JWT_SECRET"]
        if environment.get("JWT_PUBLIC_KEY_FILE"):
            return None
        return hex_secret(self.run_dir / "jwt-secret", 32)

    @property
    def webhook_secret(self) -> str:
        """The secret Evolution signs its webhook deliveries with (random, made once, kept in the run folder)."""
        return hex_secret(self.run_dir / "webhook-secret", 32)

    def webhook_environment(self) -> dict[str, str]:
        """The responder's settings that turn webhooks on: deliveries to this stack's nginx, signed."""
        return {"EVOLUTION_WEBHOOK_URL": f"{self.base_url}/api/evolution/webhook",
                "EVOLUTION_WEBHOOK_SECRET": self.webhook_secret}

    @property
    def webhooks_on(self) -> bool:
        environment = self.config.environment
        caller_set = environment.get("EVOLUTION_WEBHOOK_URL") or environment.get("EVOLUTION_WEBHOOK_SECRET")
        return self.config.webhooks and bool(self.simulators) and not caller_set

    # --- the responder ------------------------------------------------------------------------------------------

    def responder_environment(self) -> dict[str, str]:
        """The responder's whole environment: the base, the database, JWT key, Evolution (one simulator's URL and
        key; several are registered in the database instead), webhooks, then the caller's settings."""
        env = self._database_environment()
        if self.jwt_secret is not None:
            env["JWT_SECRET"] = self.jwt_secret
        if self.config.evolution_api:
            env["EVOLUTION_API_URL"], env["EVOLUTION_API_KEY"] = self.config.evolution_api
        elif len(self.simulators) == 1:
            env["EVOLUTION_API_URL"], env["EVOLUTION_API_KEY"] = self.simulators[0].url, self.simulators[0].key()
        if self.webhooks_on:
            env.update(self.webhook_environment())
        # The responder publishes to this stack's nginx, or nowhere (never to a socket named in the caller's shell).
        env.pop("NCHAN_PUBLISH_SOCKET", None)
        if self.publish_socket is not None:
            env["NCHAN_PUBLISH_SOCKET"] = str(self.publish_socket)
        return {**env, **self.config.responder_env, **self.responder_extra_env}

    def start_responder(self, extra_env: dict[str, str] | None = None, wait: bool = True,
                        poll_interval: float = 0.2) -> ManagedProcess:
        """Starts the responder under spawn-fcgi on the stack's socket with EXTRA_ENV on top of its environment (kept
        for later restarts); with WAIT, returns once it answers /api/health through nginx (asked every
        POLL_INTERVAL seconds)."""
        if extra_env is not None:
            self.responder_extra_env = extra_env
        arguments = " ".join(self.config.responder_args)
        say(f"starting the responder: tenant-whatsapp {arguments} (log: {self.responder_log})")
        self.responder = spawn_fastcgi("the responder", self.responder_socket,
                                       [str(self.responder_binary), *self.config.responder_args],
                                       self.responder_environment(), self.responder_log, self._output("responder"))
        if wait:
            self.wait_healthy(poll_interval=poll_interval)
        return self.responder

    def stop_responder(self) -> None:
        """TERM, 10 s, then KILL."""
        if self.responder:
            self.responder.stop()

    # --- nginx and health ---------------------------------------------------------------------------------------

    def _nginx_environment(self) -> dict[str, str]:
        """scripts/render-nginx's: the caller's TW_NGINX_* overrides, the publisher socket in the socket folder (short
        enough for sun_path wherever the run folder is), and this stack's Redis when it has one."""
        env = {**self.config.environment, "TW_NGINX_PUBLISH_SOCKET": str(self.socket_dir / "nchan-publish.sock"),
               **self.config.nginx_env}
        env.pop("TW_REDIS_URL", None)
        if self.redis:
            env["TW_REDIS_URL"] = self.redis.url
        return env

    def _render_nginx(self) -> None:
        """nginx's configuration, before the responder starts: it says whether the live events are on, and the socket
        the responder publishes to (RUN_DIR/events.env, scripts/render-nginx)."""
        conf = nginx.render_product_conf(self.nginx_dir, f"127.0.0.1:{self.port}", [self.responder_socket],
                                         self._nginx_environment())
        if self.config.extra_locations:
            nginx.add_locations(self.nginx_dir, conf, self.config.extra_locations)
        self._nginx_conf = conf
        self.publish_socket = nginx.publish_socket(self.nginx_dir)

    def _start_nginx(self) -> None:
        say(f"starting nginx on 127.0.0.1:{self.port}")
        self.nginx = nginx.start_nginx("nginx", self.nginx_dir, self._nginx_conf, self._nginx_environment())

    def check_alive(self) -> None:
        """Fails naming the first process of the stack that is no longer running, and where its log is."""
        for process in self.processes():
            if not process.alive():
                raise StackError(f"{process.name} exited (exit status {process.exit_status}); "
                                 f"{process.log_hint}")

    def _wait(self, ready: Any, failure: str, seconds: float = 30, poll_interval: float = 0.2) -> None:
        def alive_and_ready() -> bool:
            self.check_alive()
            return ready()
        if not wait_until(seconds, alive_and_ready, poll_interval):
            raise StackError(f"{failure} after {seconds:.0f} s")

    def wait_healthy(self, seconds: float = 30, poll_interval: float = 0.2) -> None:
        """Returns once GET /api/health answers 2xx through nginx; fails when a process dies or after SECONDS."""
        self._wait(lambda: answers_ok(f"{self.base_url}/api/health"), f"no answer from {self.base_url}/api/health",
                   seconds, poll_interval)

    def add_process(self, process: ManagedProcess) -> ManagedProcess:
        """Adopts a process the caller started (scripts/bench's C hello): watched and stopped with the stack."""
        self.extra_processes.append(process)
        return process

    def processes(self) -> list[ManagedProcess]:
        """Every long-running process of the stack, in the order they are stopped."""
        ordered = [self.nginx, *reversed(self.extra_processes), self.responder]
        for simulator in reversed(self.simulators):
            ordered += [simulator.nginx, simulator.process]
        ordered.append(self.redis.process if self.redis else None)
        return [process for process in ordered if process]

    # --- stopping -----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops everything it started: nginx (QUIT), the FastCGI programs (TERM), the simulators' nginx and the
        simulators, each given 10 s before SIGKILL; PostgreSQL last (pg_ctl -m fast stop)."""
        say("stopping everything the stack started")
        for process in self.processes():
            process.stop()
        if self.postgres:
            self.postgres.stop()

    # --- description --------------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The running stack as plain data (URLs, ports, sockets, pids, logs, key files; never a secret)."""
        def pid(process: ManagedProcess | None) -> int | None:
            return process.pid if process else None
        return {
            "run_dir": str(self.run_dir), "base_url": self.base_url, "port": self.port, "bin_dir": str(self.bin_dir),
            "nginx": {"pid": pid(self.nginx), "dir": str(self.nginx_dir),
                      "access_log": str(self.nginx_dir / "access.log"), "error_log": str(self.nginx_dir / "error.log")},
            "responder": {"pid": pid(self.responder), "socket": str(self.responder_socket),
                          "log": str(self.responder_log), "args": self.config.responder_args},
            "postgres": self.postgres and {"pid": self.postgres.postmaster_pid, "port": self.postgres.port,
                                           "socket_dir": str(self.postgres.socket_dir),
                                           "data": str(self.postgres.data), "log": str(self.postgres.log),
                                           "database_url": self.postgres.database_url},
            "simulators": [{"id": s.server_id, "url": s.url, "port": s.port, "key_file": str(s.key_file),
                            "socket": str(s.socket), "log": str(s.log), "nginx_dir": str(s.nginx_dir),
                            "pid": pid(s.process), "nginx_pid": pid(s.nginx)} for s in self.simulators],
            "secret_files": {name: str(self.run_dir / name) for name in ("jwt-secret", "webhook-secret", "secrets-key")
                             if (self.run_dir / name).exists()},
            "events": {"publish_socket": self.publish_socket and str(self.publish_socket),
                       "redis": self.redis and {"url": self.redis.url, "pid": pid(self.redis.process),
                                                "dir": str(self.redis.dir), "log": str(self.redis.log)}},
        }
