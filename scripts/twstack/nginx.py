"""nginx configurations rendered by the repository's renderers (scripts/render-nginx, scripts/render-sim-nginx: the
only place that fills the templates of nginx/), checked with `nginx -t` and started in the foreground."""

import shutil
import signal
import subprocess
from pathlib import Path

from .console import StackError
from .paths import SCRIPTS
from .processes import ManagedProcess, start_process


def nginx_binary() -> str:
    """nginx lives in /usr/sbin, which a non-root PATH often lacks."""
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _flags(run_dir: Path, conf: Path) -> list[str]:
    return ["-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log")]


def _render(renderer: str, run_dir: Path, listen: str, sockets: str, env: dict[str, str]) -> Path:
    result = subprocess.run([str(SCRIPTS / renderer), str(run_dir), listen, sockets], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"scripts/{renderer} failed: {result.stderr.strip()}")
    return Path(result.stdout.strip())


def render_product_conf(run_dir: Path, listen: str, sockets: list[Path], env: dict[str, str]) -> Path:
    """The product's nginx.conf in RUN_DIR for LISTEN in front of the responder SOCKETS; ENV carries the renderer's
    TW_NGINX_* overrides (RATE, TENANT_RATE, BURST, CONN, WORKER_CONNECTIONS, EVENTS, EVENTS_CONN, PUBLISH_SOCKET) and
    TW_REDIS_URL. Returns its path; publish_socket(RUN_DIR) says whether it has the live events."""
    return _render("render-nginx", run_dir, listen, ",".join(map(str, sockets)), env)


def render_simulator_conf(run_dir: Path, listen: str, socket_path: Path, env: dict[str, str]) -> Path:
    """The nginx.conf of one evolution-sim in RUN_DIR, LISTEN in front of its SOCKET_PATH. Returns its path."""
    return _render("render-sim-nginx", run_dir, listen, str(socket_path), env)


def publish_socket(run_dir: Path) -> Path | None:
    """nginx's nchan publisher socket as scripts/render-nginx wrote it into RUN_DIR/events.env (the responder's
    NCHAN_PUBLISH_SOCKET), or None when it rendered no live events (no such file)."""
    try:
        lines = (run_dir / "events.env").read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        name, _, value = line.partition("=")
        if name == "NCHAN_PUBLISH_SOCKET" and value:
            return Path(value)
    raise StackError(f"{run_dir / 'events.env'} names no NCHAN_PUBLISH_SOCKET: scripts/render-nginx changed")


def add_locations(run_dir: Path, conf: Path, locations: str) -> None:
    """Appends LOCATIONS (nginx text) to the locations include rendered into RUN_DIR, and checks the result.

    Only a copy is there, and so only with TW_NGINX_BURST or TW_NGINX_CONN (scripts/render-nginx): the repository's
    nginx/*.conf stay untouched."""
    include = run_dir / "tenant-whatsapp.locations.conf"
    if f"include {include};" not in conf.read_text():
        raise StackError(f"the rendered {conf} does not include {include}: give TW_NGINX_BURST or TW_NGINX_CONN "
                         "(scripts/render-nginx copies the include only then), or scripts/render-nginx changed")
    with open(include, "a") as file:
        file.write(locations)
    check_conf(run_dir, conf)


def check_conf(run_dir: Path, conf: Path) -> None:
    """`nginx -t` with the flags nginx will be started with; fails with nginx's own words."""
    result = subprocess.run([nginx_binary(), "-t", "-q", *_flags(run_dir, conf)], capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"nginx -t rejected {conf}: {result.stderr.strip()}")


def start_nginx(name: str, run_dir: Path, conf: Path, env: dict[str, str]) -> ManagedProcess:
    """nginx in the foreground (daemon off): its master's pid is the process's; stopped with QUIT (finish the
    requests in flight)."""
    return start_process(name, [nginx_binary(), *_flags(run_dir, conf), "-g", "daemon off;"], env,
                         signal.SIGQUIT, f"see {run_dir / 'error.log'}")
