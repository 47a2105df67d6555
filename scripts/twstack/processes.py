"""Starting, watching and stopping the stack's processes; waiting by polling with a deadline."""

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .console import say

# How long a process may take to stop after its polite signal before SIGKILL (nginx QUIT, FastCGI TERM).
STOP_GRACE_S = 10.0


def wait_until(seconds: float, ready: Callable[[], bool], interval: float = 0.2) -> bool:
    """Calls READY every INTERVAL seconds until it returns true (True) or SECONDS have passed (False)."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)  # polling with a deadline, not synchronisation
    return True


def process_alive(pid: int) -> bool:
    """Whether PID runs (a zombie, exited but not yet reaped, counts as gone); for processes not our children."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state is the first field after the parenthesised command name, which may itself hold spaces.
    return stat[stat.rindex(")") + 2:][:1] != "Z"


@dataclass
class ManagedProcess:
    """A long-running process the stack started and stops again: nginx, a FastCGI program, a helper."""

    name: str
    popen: subprocess.Popen
    stop_signal: signal.Signals
    log_hint: str  # where to look when it dies, for the error message

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def exit_status(self) -> int | None:
        """Its exit status as a shell gives it (128 + N when signal N ended it); None while it runs."""
        status = self.popen.poll()
        return 128 - status if status is not None and status < 0 else status

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Sends the stop signal, waits up to GRACE_S seconds for the process to end, then kills it."""
        if not self.alive():
            return
        self.popen.send_signal(self.stop_signal)
        try:
            self.popen.wait(grace_s)
        except subprocess.TimeoutExpired:
            say(f"{self.name} (pid {self.pid}) did not stop after {self.stop_signal.name} within {grace_s:.0f} s: "
                "killing it")
            self.popen.kill()
            self.popen.wait()


def start_process(name: str, command: list[str], env: dict[str, str], stop_signal: signal.Signals, log_hint: str,
                  output: Path | None = None) -> ManagedProcess:
    """Starts COMMAND in the background with exactly ENV, its stdout and stderr appended to OUTPUT (inherited when
    None). It gets a session of its own: a Ctrl-C on the terminal reaches only the script, which stops it in order."""
    sink: IO[bytes] | None = open(output, "ab") if output else None
    try:
        popen = subprocess.Popen(command, env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    finally:
        if sink:
            sink.close()
    return ManagedProcess(name, popen, stop_signal, log_hint)


def spawn_fastcgi(name: str, socket_path: Path, command: list[str], env: dict[str, str], log_file: Path,
                  output: Path | None = None) -> ManagedProcess:
    """Starts COMMAND under `spawn-fcgi -n` on a unix socket of mode 0660, with LOG_FILE added to ENV.

    spawn-fcgi -n makes the socket, then execs the program in its own place: the pid is the program's, and the
    program's stderr is spawn-fcgi's (never daemonised: its output would go to /dev/null)."""
    return start_process(
        name, ["spawn-fcgi", "-n", "-s", str(socket_path), "-M", "0660", "--", *command],
        {**env, "LOG_FILE": str(log_file)}, signal.SIGTERM, f"see {log_file}", output)


def wait_for_first_exit(processes: list[ManagedProcess]) -> ManagedProcess:
    """Blocks until one of PROCESSES ends and returns it (without reaping any). A signal handler that raises
    (SIGTERM, Ctrl-C) interrupts the wait."""
    for process in processes:
        if not process.alive():
            return process
    # Those alive a moment ago are at worst zombies now (not reaped): pidfd_open takes them too.
    descriptors = {os.pidfd_open(process.pid): process for process in processes}
    try:
        ready, _, _ = select.select(list(descriptors), [], [])
        return descriptors[ready[0]]
    finally:
        for descriptor in descriptors:
            os.close(descriptor)
