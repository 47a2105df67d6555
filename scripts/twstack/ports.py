"""Free loopback TCP ports: the one helper every script asks."""

import socket


def free_ports(count: int) -> list[int]:
    """COUNT distinct free TCP ports on 127.0.0.1.

    They are bound together, so they differ, and released before the caller uses them: another program could take
    one in between (a small race every local test stack accepts)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    """One free TCP port on 127.0.0.1 (see free_ports)."""
    return free_ports(1)[0]
