"""The local stack of tenant-whatsapp, brought up and down by one program.

PostgreSQL, evolution-sim (one or more, each behind its own nginx), the responder under spawn-fcgi, the
product's nginx (with nchan's live events when the module is installed) and, when asked, a Redis server for nchan,
on loopback only. `scripts/run`, `scripts/bench`, `scripts/soak` and `scripts/schemathesis` ask
this package instead of repeating it; `scripts/stack` is its command line for bash (free ports, packages).
Python standard library only: `scripts/run` works on a machine that has nothing but python3.

    with Stack(StackConfig(...)) as stack:   # everything it started is stopped on exit, Ctrl-C or SIGTERM
        stack.up()
        print(stack.base_url)
"""

from .console import StackError, say
from .ports import free_port, free_ports
from .config import StackConfig
from .simulators import Simulator
from .stack import Stack
from .tokens import mint_hs256, tenant_token

__all__ = [
    "Simulator", "Stack", "StackConfig", "StackError", "free_port", "free_ports", "mint_hs256", "say",
    "tenant_token",
]
