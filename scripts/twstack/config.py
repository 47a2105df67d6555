"""What a stack is made of (StackConfig), and the environment a throwaway stack starts from."""

import os
from dataclasses import dataclass, field
from pathlib import Path


def own_environment() -> dict[str, str]:
    """The caller's environment without what would reach into a throwaway stack from the caller's shell: proxies
    (everything is on loopback), JWT keys, Evolution, database, simulator and logging settings of the product."""
    dropped_prefixes = ("JWT_", "EVOLUTION_", "SIM_", "DATABASE_")
    dropped = {"LOG_FILE", "STATUS_MAX_AGE_MS", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
               "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"}
    return {name: value for name, value in os.environ.items()
            if name not in dropped and not name.startswith(dropped_prefixes)}


@dataclass
class StackConfig:
    """What the stack is made of. Every field has the value scripts/run would use, but run_dir and the ports."""

    run_dir: Path | None = None          # None: a throwaway folder /tmp/<throwaway_prefix>XXXXXX, removed at the end
    throwaway_prefix: str = "tw-stack-"
    keep: bool = False                   # keep the throwaway folder (it is also kept after a failure)
    port: int | None = None              # nginx's loopback port; None: a free one (likewise the two below)
    pg_port: int | None = None           # names PostgreSQL's unix socket only: it listens on no TCP port
    simulator_ports: list[int] | None = None   # one per simulator
    simulators: int = 1                  # evolution-sim instances; 0: the Evolution API in evolution_api
    evolution_api: tuple[str, str] | None = None   # (URL, key) of a real Evolution API instead of simulators
    simulator_capacity: int = 100        # each registered simulator's capacity (several simulators)
    simulator_args: list[str] = field(default_factory=lambda: ["serve", "--threads", "8"])
    simulator_env: dict[str, str] = field(default_factory=dict)
    bin_dir: Path | None = None          # None: build with `swift build -c <configuration>`
    configuration: str = "release"
    extra_packages: list[str] = field(default_factory=list)   # Debian packages the caller needs on top
    responder_args: list[str] = field(default_factory=lambda: ["serve"])
    responder_env: dict[str, str] = field(default_factory=dict)
    start_responder: bool = True         # False: the caller starts it (start_responder) once the rest is up
    webhooks: bool = True                # EVOLUTION_WEBHOOK_URL/SECRET for the responder, unless set in environment
    nginx_env: dict[str, str] = field(default_factory=dict)   # TW_NGINX_* for scripts/render-nginx
    redis: bool = False                  # a Redis server for nchan's channels (nginx/tenant-whatsapp.events.redis.conf)
    extra_locations: str = ""            # nginx locations added to the product's (needs TW_NGINX_BURST or _CONN)
    capture_output: bool = False         # the programs' stderr to <name>.err in the run folder, not the terminal
    environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))   # the base of every process's
