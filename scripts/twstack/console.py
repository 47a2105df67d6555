"""Progress and errors on stderr, prefixed with the running script's name."""

import os
import sys
from collections.abc import Callable


class StackError(Exception):
    """A step of the stack failed; the message says which and where to look (it never holds a secret)."""


def program_name() -> str:
    """The name of the script that runs (`run`, `bench`, ...), for the prefix of every message."""
    name = os.path.basename(sys.argv[0]) or "stack"
    return name.removesuffix(".py")


def say(message: str) -> None:
    """Prints a progress line on stderr, as the bash scripts did (`NAME: message`)."""
    print(f"{program_name()}: {message}", file=sys.stderr, flush=True)


def exit_status(body: Callable[[], int]) -> int:
    """Runs a script's BODY and returns its exit status: a StackError is one line and 1, Ctrl-C is 130 (SIGTERM
    leaves as the stack's Terminated, 143)."""
    try:
        return body()
    except StackError as error:
        say(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        return 130
