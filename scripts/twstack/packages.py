"""The Debian packages the project needs, in one place, and their installation when missing."""

import os
import shutil
import subprocess
import sys

from .console import StackError, say

# The four C libraries the Swift targets link, the servers of the local stack and the tests (nginx's nchan module for
# the live events, and Redis for its channels across nginx hosts, started by the stack tool itself when asked), and
# what the scripts themselves call.
PROJECT_PACKAGES = [
    "libfcgi-dev", "libpq-dev", "libcurl4-openssl-dev", "libssl-dev",
    "nginx", "libnginx-mod-nchan", "spawn-fcgi", "postgresql", "redis-server",
    "curl", "ca-certificates",
]

# What only the tests need on top: the headless browser of the web page's test (BrowserFlowTests drives chromium
# through chromedriver), and wrk for the load of the worker pool's growth test.
TEST_PACKAGES = ["chromium", "chromium-driver", "wrk"]


def is_installed(package: str) -> bool:
    """Whether dpkg says the package is installed."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return result.returncode == 0 and result.stdout == "install ok installed"


def as_root(command: list[str]) -> None:
    """Runs COMMAND as root: directly when root, else through sudo (non-interactive without a terminal)."""
    if os.geteuid() == 0:
        subprocess.run(command, check=True)
        return
    if shutil.which("sudo") is None:
        raise StackError(f"need root for '{' '.join(command)}' and sudo is not installed: run it as root, "
                         "then try again")
    sudo = ["sudo"] if sys.stdin.isatty() else ["sudo", "-n"]
    say(f"running with sudo: {' '.join(command)}")
    if subprocess.run(sudo + command).returncode != 0:
        raise StackError(f"'sudo {' '.join(command)}' failed: run it yourself as root, then try again")


def ensure_debian_packages(packages: list[str]) -> None:
    """Installs those of PACKAGES that are not installed yet; does nothing when all are there."""
    missing = [package for package in packages if not is_installed(package)]
    if not missing:
        return
    say(f"installing Debian packages: {' '.join(missing)}")
    try:
        as_root(["apt-get", "update", "-qq"])
        as_root(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
                 "--no-install-recommends", *missing])
    except subprocess.CalledProcessError as error:
        raise StackError(f"apt-get failed (exit status {error.returncode}) installing {' '.join(missing)}") from None
