"""Plain HTTP calls to loopback, never through a proxy of the environment."""

import json
import urllib.error
import urllib.request
from typing import Any

# Never a proxy: everything the scripts talk to is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(method: str, url: str, token: str | None = None, body: Any = None,
            timeout: float = 90) -> tuple[int, bytes]:
    """(status, body bytes) of one call; a refused, reset or timed-out connection is status 0 (and the error)."""
    headers = {}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with OPENER.open(call, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error).encode()


def answers_ok(url: str, timeout: float = 2) -> bool:
    """Whether URL answers GET with a 2xx status (curl -f)."""
    status, _ = request("GET", url, timeout=timeout)
    return 200 <= status < 300


def answers_at_all(url: str, timeout: float = 2) -> bool:
    """Whether URL gives any HTTP answer (nginx without its upstream answers 502/503: up all the same)."""
    status, _ = request("GET", url, timeout=timeout)
    return status != 0
