"""The binaries of the stack: built with SwiftPM, or taken from a folder the caller names."""

import subprocess
import sys
from pathlib import Path

from .console import StackError, say
from .paths import REPO_ROOT

RESPONDER = "tenant-whatsapp"
SIMULATOR = "evolution-sim"


def build(configuration: str = "release") -> Path:
    """`swift build -c CONFIGURATION` in the checkout (its output on stderr); returns the folder of the binaries."""
    say(f"building ({configuration})")
    if subprocess.run(["swift", "build", "-c", configuration], cwd=REPO_ROOT, stdout=sys.stderr).returncode != 0:
        raise StackError(f"swift build -c {configuration} failed")
    result = subprocess.run(["swift", "build", "-c", configuration, "--show-bin-path"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True)
    return Path(result.stdout.strip())


def checked_bin_dir(bin_dir: Path) -> Path:
    """BIN_DIR, when it holds executable tenant-whatsapp and evolution-sim."""
    for name in (RESPONDER, SIMULATOR):
        if not (bin_dir / name).is_file():
            raise StackError(f"no executable {RESPONDER} and {SIMULATOR} in {bin_dir}")
    return bin_dir


def build_name() -> str:
    """What is built, named before building: others may change the tree meanwhile ("commit abc1234 + uncommitted
    changes")."""
    result = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True)
    name = f"commit {result.stdout.strip() if result.returncode == 0 else 'unknown'}"
    changes = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"],
                             capture_output=True, text=True)
    if changes.stdout.strip():
        name += " + uncommitted changes"
    return name


def supports_flag(binary: Path, subcommand: str, flag: str) -> bool:
    """Whether `BINARY SUBCOMMAND --help` mentions FLAG (older builds lack some, e.g. --max-requests)."""
    result = subprocess.run([str(binary), subcommand, "--help"], capture_output=True, text=True)
    return flag in result.stdout + result.stderr
