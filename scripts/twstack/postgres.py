"""A PostgreSQL cluster of the local stack: made, started and stopped as the `postgres` user when root."""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .console import StackError, say

DATABASE = "tenant_whatsapp"


def newest_pg_bin() -> Path:
    """The server binaries of the newest PostgreSQL installed: the highest major version under /usr/lib/postgresql
    with initdb and pg_ctl (Debian keeps them off PATH). The Swift tests find it the same way (TestPostgres.swift)."""
    candidates = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        major = folder.parent.name
        if re.fullmatch(r"\d+(\.\d+)*", major) and (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            candidates.append((tuple(int(part) for part in major.split(".")), folder))
    if not candidates:
        raise StackError("no PostgreSQL server in /usr/lib/postgresql/<version>/bin: "
                         "install the Debian package postgresql")
    return max(candidates)[1]


def as_postgres(command: list[str]) -> list[str]:
    """COMMAND run as the `postgres` user when we are root (PostgreSQL refuses to run as root), as is otherwise."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def check_traversable_by_postgres(path: Path) -> None:
    """Fails naming the first folder from / down to PATH that the `postgres` user cannot enter (only when root,
    because only then does PostgreSQL run as another user)."""
    if os.geteuid() != 0:
        return
    prefix = Path("/")
    for part in path.parts[1:]:
        prefix = prefix / part
        if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(prefix)]).returncode != 0:
            raise StackError(f"the postgres user cannot enter {prefix} (on the way to {path}); fix: chmod o+x "
                             f"'{prefix}' (or a+x on each blocking parent), or move the folder")


def make_postgres_folder(path: Path, mode: int) -> None:
    """Creates PATH with MODE, owned by `postgres` when root (install -d)."""
    owner = ["-o", "postgres", "-g", "postgres"] if os.geteuid() == 0 else []
    subprocess.run(["install", "-d", *owner, "-m", f"{mode:04o}", str(path)], check=True)


@dataclass
class Postgres:
    """One cluster: DATA folder, LOG file, unix SOCKET_DIR and PORT (the port names the socket only: no TCP).

    A THROWAWAY cluster is made with --no-sync and runs with fsync=off (test clusters only); a kept one (scripts/run's
    .run/) keeps fsync on and is reused from one run to the next."""

    data: Path
    log: Path
    socket_dir: Path
    port: int
    throwaway: bool
    bin_dir: Path
    started: bool = False

    @property
    def database_url(self) -> str:
        """The responder's DATABASE_URL for the project's database (libpq key=value form)."""
        return f"host={self.socket_dir} port={self.port} dbname={DATABASE} user=postgres"

    @property
    def postmaster_pid(self) -> int:
        """The postmaster's pid, from the first line of postmaster.pid (readable by root and by postgres)."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def pg(self, program: str, *arguments: str, quiet: bool = True) -> subprocess.CompletedProcess:
        """Runs a server binary (initdb, pg_ctl) as the cluster's owner; its output is kept when QUIET."""
        command = as_postgres([str(self.bin_dir / program), *arguments])
        return subprocess.run(command, capture_output=quiet, text=True, start_new_session=True)

    def create_cluster_if_missing(self) -> None:
        """initdb, unless the data folder already holds a cluster (a kept one from an earlier run)."""
        if (self.data / "PG_VERSION").exists():
            return
        say(f"creating a PostgreSQL cluster in {self.data}")
        sync = ["--no-sync"] if self.throwaway else []
        result = self.pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                         "--locale=C.UTF-8", *sync)
        if result.returncode != 0:
            raise StackError(f"initdb failed: {result.stderr.strip()}")

    def start(self) -> None:
        """Starts the server on its unix socket only (listen_addresses=''), or adopts one already running on this
        data folder (a run that was killed); either way it is stopped by stop()."""
        if self.pg("pg_ctl", "-D", str(self.data), "status").returncode == 0:
            say("PostgreSQL from an earlier run is still up: using it (and stopping it on exit)")
            self.started = True
            return
        fsync = " -c fsync=off" if self.throwaway else ""
        say(f"starting PostgreSQL{' (fsync=off)' if self.throwaway else ''} "
            f"(unix socket in {self.socket_dir}, no TCP port)")
        # The quotes of listen_addresses='' survive to postgres through pg_ctl's shell.
        options = f"-k {self.socket_dir} -p {self.port} -c listen_addresses=''{fsync}"
        result = self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
        if result.returncode != 0:
            raise StackError(f"PostgreSQL did not start; see {self.log}")
        self.started = True

    def stop(self) -> None:
        """pg_ctl -m fast stop, when this stack started (or adopted) the server."""
        if not self.started:
            return
        self.started = False
        if self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop").returncode != 0:
            say(f"pg_ctl stop failed (cluster in {self.data})")

    def psql_command(self, database: str = DATABASE) -> list[str]:
        """psql on DATABASE over the unix socket as the `postgres` role, stopping at the first error."""
        return [str(self.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
                "-p", str(self.port), "-U", "postgres", "-d", database]

    def query(self, sql: str, database: str = DATABASE, separator: str = "|") -> str:
        """The unaligned, tuples-only output of SQL (stripped); fails with psql's own words."""
        result = subprocess.run([*self.psql_command(database), "-tA", "-F", separator, "-c", sql],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StackError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database_if_missing(self) -> None:
        """CREATE DATABASE tenant_whatsapp, unless it exists."""
        if self.query(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", database="postgres") != "1":
            say(f"creating database {DATABASE}")
            self.query(f"CREATE DATABASE {DATABASE}", database="postgres")
