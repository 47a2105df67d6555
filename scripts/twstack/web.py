"""Plain HTTP calls to loopback, never through a proxy of the environment."""

import json
import urllib.error
import urllib.request
from typing import Any

# Never a proxy: everything the scripts talk to is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def exchange(method: str, url: str, headers: dict[str, str] | None = None, body: Any = None,
             timeout: float = 90) -> tuple[int, Any, bytes]:
    """(status, response headers, body bytes) of one call, BODY sent as JSON; a refused, reset or timed-out
    connection is status 0, no headers, and the error as the body."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with OPENER.open(call, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, {}, str(error).encode()


def request(method: str, url: str, token: str | None = None, body: Any = None,
            timeout: float = 90) -> tuple[int, bytes]:
    """(status, body bytes) of one call with TOKEN as its bearer token (see exchange)."""
    status, _, data = exchange(method, url, {"Authorization": f"Bearer {token}"} if token else None, body, timeout)
    return status, data


def answers_ok(url: str, timeout: float = 2) -> bool:
    """Whether URL answers GET with a 2xx status (curl -f)."""
    status, _ = request("GET", url, timeout=timeout)
    return 200 <= status < 300


def answers_at_all(url: str, timeout: float = 2) -> bool:
    """Whether URL gives any HTTP answer (nginx without its upstream answers 502/503: up all the same)."""
    status, _ = request("GET", url, timeout=timeout)
    return status != 0
