#!/usr/bin/env bash
# Shared helpers for scripts/run, scripts/test and scripts/render-nginx. Source it; don't run it.
# shellcheck shell=bash disable=SC2034  # the TW_* variables are used by the scripts that source this file

# The repository root, from this file's own location (works from any current directory).
TW_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Every Debian package the project needs, in one place: the four C libraries the Swift targets link,
# the servers of the local stack and the tests, and what the scripts themselves call.
TW_DEBIAN_PACKAGES=(
    libfcgi-dev libpq-dev libcurl4-openssl-dev libssl-dev
    nginx spawn-fcgi postgresql
    curl ca-certificates
)

# What only the tests need on top: the headless browser of the web page's test (BrowserFlowTests drives
# chromium through chromedriver).
TW_DEBIAN_TEST_PACKAGES=(
    chromium chromium-driver
)

# PostgreSQL's server binaries (Debian 12 ships PostgreSQL 15; they are not on PATH).
TW_PG_BIN=/usr/lib/postgresql/15/bin

# nginx lives in /usr/sbin, which a non-root PATH often lacks.
TW_NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# Prints a message on stderr, prefixed with the script's name.
say() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

# Prints a message on stderr and exits non-zero.
die() {
    say "error: $*"
    exit 1
}

# Runs a command as root: directly when already root, else through sudo (which may ask for a password
# when there is a terminal to ask on).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        local sudo=(sudo)
        [[ -t 0 ]] || sudo=(sudo -n)
        say "running with sudo: $*"
        "${sudo[@]}" "$@" || die "'sudo $*' failed: run it yourself as root, then try again"
    else
        die "need root for '$*' and sudo is not installed: run it as root, then try again"
    fi
}

# Installs the given Debian packages that are not installed yet; does nothing when all are there.
ensure_debian_packages() {
    local missing=() package status
    for package in "$@"; do
        status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
        [[ $status == "install ok installed" ]] || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Installs every package of TW_DEBIAN_PACKAGES that is missing.
ensure_project_packages() {
    ensure_debian_packages "${TW_DEBIAN_PACKAGES[@]}"
}

# Installs every package the tests need (the project's and the test-only ones) that is missing.
ensure_test_packages() {
    ensure_debian_packages "${TW_DEBIAN_PACKAGES[@]}" "${TW_DEBIAN_TEST_PACKAGES[@]}"
}

# Runs a PostgreSQL server binary (initdb, pg_ctl, postgres...) by name: as the `postgres` user when root
# (PostgreSQL refuses to run as root), as the current user otherwise.
run_pg() {
    local program="$1"
    shift
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$TW_PG_BIN/$program" "$@"
    else
        "$TW_PG_BIN/$program" "$@"
    fi
}

# Succeeds when the `postgres` user can traverse every folder from / down to the given path (only
# checked when root, because only then does PostgreSQL run as another user). Names the first blocker.
check_traversable_by_postgres() {
    local path="$1" prefix="" part parts
    [[ $EUID -eq 0 ]] || return 0
    IFS=/ read -ra parts <<<"$path"
    for part in "${parts[@]}"; do
        [[ -n $part ]] || continue
        prefix+="/$part"
        if ! runuser -u postgres -- test -x "$prefix"; then
            say "the postgres user cannot enter $prefix (on the way to $path)"
            say "fix: chmod o+x '$prefix' (or a+x on each blocking parent), or move the checkout"
            return 1
        fi
    done
}

# Succeeds while the process runs (a zombie, exited but not yet reaped by `wait`, counts as gone).
process_alive() {
    local pid="$1" stat
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    # The state is the first field after the parenthesised command name, which may itself hold spaces.
    stat="${stat##*) }"
    [[ ${stat:0:1} != Z ]]
}

process_gone() {
    ! process_alive "$1"
}

# Sends a signal to a process, waits up to the given seconds for it to end, then kills it.
stop_process() {
    local pid="$1" signal="$2" seconds="$3"
    kill -s "$signal" "$pid" 2>/dev/null || return 0
    if ! wait_until "$seconds" process_gone "$pid"; then
        say "process $pid did not stop after SIG$signal within ${seconds} s: killing it"
        kill -s KILL "$pid" 2>/dev/null || true
    fi
}

# Waits until a command succeeds, trying every 0.2 s for at most the given number of seconds.
wait_until() {
    local seconds="$1"
    shift
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}
