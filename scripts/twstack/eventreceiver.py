"""scripts/event-receiver beside a stack: the Standard Webhooks endpoint that scripts/bench (the event webhooks rows)
and scripts/soak point EVENTS_WEBHOOK_URL at.

The receiver verifies each delivery with the `standardwebhooks` package, which this module does not import: it runs
the receiver with the python of a virtual environment that scripts/lib.sh's ensure_python_venv makes from
scripts/requirements-bench.txt (Debian's pip installs nothing into the system's Python), shared by the bench and the
soak."""

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from .console import StackError
from .paths import REPO_ROOT, SCRIPTS
from .processes import ManagedProcess, start_process, wait_until
from .stack import Stack
from .web import request

RECEIVER = SCRIPTS / "event-receiver"
REQUIREMENTS = SCRIPTS / "requirements-bench.txt"
VENV = REPO_ROOT / ".build" / "bench-venv"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + the base64 of 32 random bytes (as docs/event-webhooks.md says to make one)."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def receiver_python() -> Path:
    """The python of the virtual environment with `standardwebhooks`, made (or checked) by scripts/lib.sh's
    ensure_python_venv from scripts/requirements-bench.txt; its progress goes to stderr."""
    script = 'source "$1" && TW_PYTHON_REQUIREMENTS="$2" && TW_PYTHON_VENV="$3" && ensure_python_venv'
    result = subprocess.run(["bash", "-c", script, "eventreceiver", str(SCRIPTS / "lib.sh"), str(REQUIREMENTS),
                             str(VENV)], stdout=sys.stderr)
    if result.returncode != 0:
        raise StackError(f"cannot make the Python virtual environment {VENV}")
    return VENV / "bin" / "python3"


def start_receiver(stack: Stack, python: Path, secret: str) -> tuple[ManagedProcess, str]:
    """scripts/event-receiver on a free loopback port, watched and stopped with the stack; returns it and its base
    URL."""
    port_file = stack.run_dir / "event-receiver.port"
    output = stack.run_dir / "event-receiver.err"
    receiver = stack.add_process(start_process(
        "the event receiver", [str(python), str(RECEIVER), "--host", "127.0.0.1", "--port", "0", "--port-file",
                               str(port_file)],
        {**stack.config.environment, "EVENT_RECEIVER_SECRET": secret}, signal.SIGTERM, f"see {output}", output))
    if not wait_until(15, lambda: stack.check_alive() or port_file.exists()):
        raise StackError(f"the event receiver wrote no port file in 15 s; see {output}")
    url = f"http://127.0.0.1:{int(port_file.read_text())}"
    if request("GET", f"{url}/_receiver/mode", timeout=5)[0] != 200:
        raise StackError(f"the event receiver does not answer on {url}; see {output}")
    return receiver, url


def set_mode(url: str, mode: dict) -> None:
    """POST /_receiver/mode: how the receiver answers deliveries from now on (status, retryAfter, delayMs)."""
    status, body = request("POST", f"{url}/_receiver/mode", body=mode, timeout=10)
    if status != 200:
        raise StackError(f"POST /_receiver/mode answered {status}: {body[:200]!r}")


def received(url: str) -> list[dict]:
    """Every delivery the receiver recorded, oldest first (its `index` is the order it recorded them in)."""
    status, body = request("GET", f"{url}/_receiver/deliveries", timeout=120)
    if status != 200:
        raise StackError(f"GET /_receiver/deliveries answered {status}")
    return json.loads(body)["deliveries"]
