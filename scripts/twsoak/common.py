"""What the soak and its fault modules share: logging, plain HTTP to loopback, Evolution's date_time, pacing."""

import sys
import time

from twstack.web import exchange

REQUEST_TIMEOUT_S = 90  # above nginx's 60 s fastcgi_read_timeout: nginx always answers first


def log(message):
    print(f"soak: {message}", file=sys.stderr, flush=True)


def http(method, url, headers=None, body=None, timeout=REQUEST_TIMEOUT_S):
    """(status, headers, body bytes); status 0 when no HTTP answer came (refused, reset, timed out)."""
    return exchange(method, url, headers, body, timeout)


def evolution_time(seconds):
    """SECONDS since the epoch as Evolution's date_time (and evolution-sim's): `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC."""
    whole = int(seconds // 1)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((seconds - whole) * 1000):03d}Z"


def spread(rng, count, duration, first=0.05, last=0.9):
    """COUNT moments (seconds from the start) at random within [FIRST, LAST] of DURATION, in order."""
    return sorted(rng.uniform(first * duration, last * duration) for _ in range(count))


def wait_until(soak, at):
    """Waits until AT seconds after the soak's start; True when the soak stops first."""
    return soak.stop.wait(max(0.0, soak.started + at - time.monotonic()))


def timed(call):
    """(the call's result, its duration in ms)."""
    began = time.monotonic()
    result = call()
    return result, (time.monotonic() - began) * 1000
