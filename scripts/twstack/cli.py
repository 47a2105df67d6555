"""`scripts/stack`: what bash scripts ask of the stack tool.

    scripts/stack free-port [COUNT]            COUNT free loopback TCP ports (default 1), space-separated
    scripts/stack packages [--test] [NAME...]  installs the project's Debian packages (--test: and the tests'), and
                                               each NAME, when missing
"""

import argparse
import sys

from .console import StackError, say
from .packages import PROJECT_PACKAGES, TEST_PACKAGES, ensure_debian_packages
from .ports import free_ports


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    ports = commands.add_parser("free-port", help="free loopback TCP ports")
    ports.add_argument("count", nargs="?", type=int, default=1)
    install = commands.add_parser("packages", help="install missing Debian packages")
    install.add_argument("--project", action="store_true", help="the project's packages (the default)")
    install.add_argument("--test", action="store_true", help="the project's and the tests' packages")
    install.add_argument("names", nargs="*", help="more packages")
    options = parser.parse_args(arguments)
    try:
        if options.command == "free-port":
            print(" ".join(map(str, free_ports(options.count))))
        else:
            wanted = [] if options.names and not (options.project or options.test) else list(PROJECT_PACKAGES)
            ensure_debian_packages(wanted + (TEST_PACKAGES if options.test else []) + options.names)
    except StackError as error:
        say(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
