"""The bench's stack and everything the measurements share: options, tokens, the process trees, the table."""

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from twstack import Stack, StackConfig, StackError, say, tenant_token
from twstack.build import supports_flag
from twstack.paths import REPO_ROOT
from twstack.processes import ManagedProcess, spawn_fastcgi, wait_until
from twstack.config import own_environment
from twstack.web import answers_ok

from .pgsample import ConnectionSampler
from .proc import cpu_ticks
from .table import Table

POOL_SIZE = 8            # DATABASE_POOL_SIZE given to the responder (ignored by binaries without a pool)
MAX_REQUESTS = 256       # serve --max-requests, when the binary has the flag
# evolution-sim holds one request (and thread) per delayed call: it must never be the one that queues the IN_FLIGHT
# delayed calls. A simulator with --max-requests starts threads as requests arrive (up to that many). One without
# it (older builds) has a fixed --threads, all polling the socket: every extra thread costs CPU on every request, so
# it gets only what the responder of the same build can have in flight (8 threads) plus room for the control calls.
SIM_MAX_REQUESTS = 1024
SIM_FIXED_THREADS = 16
# The product's limits (10 r/s per address, 5 per tenant, 100 requests in progress per address) would answer most
# of the load 429.
NGINX_LIMITS_LIFTED = {"TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000", "TW_NGINX_CONN": "60000"}

# The C libfcgi hello, the floor the responder is compared with: the same parameters as the responder's locations,
# so both are handed the same request.
HELLO_LOCATION = """
# scripts/bench: the C libfcgi hello, the floor the responder is compared with.
# The same parameters as the responder's locations, so both are handed the same request.
location = /bench/hello {{
    fastcgi_keep_conn off;
    fastcgi_param REQUEST_METHOD $request_method;
    fastcgi_param REQUEST_URI $request_uri;
    fastcgi_param CONTENT_TYPE $content_type;
    fastcgi_param CONTENT_LENGTH $content_length;
    fastcgi_param REMOTE_ADDR $remote_addr;
    fastcgi_param REQUEST_ID $request_id;
    fastcgi_param HTTP_PROXY "";
    fastcgi_pass unix:{socket};
}}
"""


@dataclass
class Options:
    """The bench's command line (scripts/bench --help)."""

    duration: int = 5
    rounds: int = 4
    poll_window: int = 30   # seconds of each polling window (measurement 4)
    only_webhooks: bool = False
    pool_compare: bool = False   # --pool-compare: the elastic pool against a fixed one
    only_servers: bool = False   # --only-servers: the servers rows alone (twbench/servers.py)
    only_events: bool = False    # --only-events: the live events rows alone (twbench/events.py)
    only_event_webhooks: bool = False   # --only-event-webhooks: the event webhooks rows alone (eventwebhooks.py)
    keep: bool = False
    bin_dir: Path | None = None
    log_level: str = "info"


def stack_config(options: Options, bin_dir: Path) -> StackConfig:
    """A throwaway stack: one simulator sized for the in-flight scenario, the responder with a pool of 8 and webhooks
    off (measurement 4 turns them on), nginx with its limits lifted, every program's stderr in the state folder."""
    simulator = bin_dir / "evolution-sim"
    if supports_flag(simulator, "serve", "--max-requests"):
        sim_args = ["serve", "--max-requests", str(SIM_MAX_REQUESTS)]
    else:
        sim_args = ["serve", "--threads", str(SIM_FIXED_THREADS)]
    serve_args = ["serve"]
    if supports_flag(bin_dir / "tenant-whatsapp", "serve", "--max-requests"):
        serve_args += ["--max-requests", str(MAX_REQUESTS)]
    return StackConfig(
        throwaway_prefix="tw-bench-", keep=options.keep, bin_dir=bin_dir, simulator_args=sim_args,
        responder_args=serve_args, responder_env={"DATABASE_POOL_SIZE": str(POOL_SIZE), "LOG_LEVEL": options.log_level},
        webhooks=False, nginx_env=NGINX_LIMITS_LIFTED, capture_output=True, environment=own_environment())


@dataclass
class Bench:
    """What every measurement works with: the running stack, the C hello, the sampler, tokens, the table."""

    options: Options
    stack: Stack
    build_name: str
    hello: ManagedProcess | None = None
    sampler: ConnectionSampler | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    table: Table = field(default_factory=Table)

    @property
    def state(self) -> Path:
        return self.stack.run_dir

    @property
    def base(self) -> str:
        return self.stack.base_url

    @property
    def sim(self) -> str:
        return self.stack.simulators[0].url

    @property
    def trees(self) -> list[int]:
        """The process trees whose CPU the table shows, in its column order (the responder's pid changes when
        measurement 4 restarts it)."""
        return [self.stack.responder.pid, self.stack.nginx.pid, self.stack.postgres.postmaster_pid,
                self.stack.simulators[0].process.pid, self.hello.pid]

    def cpu(self) -> list[int]:
        """CPU ticks of each tree now (fails when a process of the stack is gone)."""
        return cpu_ticks(self.trees)

    def mint(self, tenants: list[str]) -> dict[str, str]:
        """Tokens (24 h) for TENANTS, remembered for later calls."""
        minted = {tenant: tenant_token(self.stack.jwt_secret, tenant, "bench") for tenant in tenants}
        self.tokens.update(minted)
        return minted

    def insert_tenants(self, tenants: list[str]) -> None:
        listed = " ".join(tenants)
        self.stack.postgres.query(f"INSERT INTO tenants (id) SELECT unnest(string_to_array('{listed}', ' '))")

    def wait_idle(self, after: str) -> None:
        """After a stall, the responder must answer health within 1 s again before the next measurement starts."""
        def idle() -> bool:
            self.stack.check_alive()
            return answers_ok(f"{self.base}/api/health", timeout=1)
        if not wait_until(120, idle):
            raise StackError(f"the responder did not answer health within 1 s for 120 s after {after}")

    # --- setting up ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """The stack with the hello's location, the C hello built and started, the connection sampler."""
        hello_socket = self.state / "hello.sock"
        self.stack.config.extra_locations = HELLO_LOCATION.format(socket=hello_socket)
        self.stack.up()
        say("building and starting the C libfcgi hello")
        hello = self.state / "hello"
        if subprocess.run(["gcc", "-O2", "-o", str(hello), str(REPO_ROOT / "bench" / "hello.c"), "-lfcgi",
                           "-lpthread"]).returncode != 0:
            raise StackError("cannot build bench/hello.c")
        self.hello = self.stack.add_process(spawn_fastcgi(
            "the C hello", hello_socket, [str(hello)], self.stack.config.environment, self.state / "hello.log",
            self.state / "hello.err"))
        self.hello.log_hint = f"see {self.state / 'hello.err'}"
        if not wait_until(30, lambda: self.stack.check_alive() or answers_ok(f"{self.base}/bench/hello")):
            raise StackError(f"no answer from {self.base}/bench/hello after 30 s")
        self.sampler = ConnectionSampler(self.stack.postgres.psql_command(), self.state / "pg-connections.log")
        if not wait_until(10, self.sampler.sampled):
            raise StackError("the PostgreSQL connection sampler took no sample in 10 s")
