#!/usr/bin/env bash
# Shared helpers for scripts/run, scripts/test, scripts/bench and the two nginx render scripts. Source it; don't
# run it.
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
# chromium through chromedriver), and wrk for the load of the worker pool's growth test.
TW_DEBIAN_TEST_PACKAGES=(
    chromium chromium-driver wrk
)

# The tests' Python packages, pinned in one requirements file, and the virtual environment they are installed
# into: git-ignored (under .build/), since Debian 12's pip refuses to install into the system's Python (PEP 668).
TW_PYTHON_REQUIREMENTS="$TW_REPO_ROOT/scripts/requirements-test.txt"
TW_PYTHON_VENV="$TW_REPO_ROOT/.build/python-venv"

# PostgreSQL's server binaries (initdb, pg_ctl, psql...): Debian keeps them off PATH, in
# /usr/lib/postgresql/<major>/bin. Found by locate_pg_bin (run_pg calls it), not when this file is sourced: the
# scripts install PostgreSQL after that.
TW_PG_BIN=""

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

# Sets TW_PG_BIN to the server binaries of the newest PostgreSQL installed (the highest major version under
# /usr/lib/postgresql that has initdb and pg_ctl); dies naming the package to install when there is none.
# The Swift tests find it the same way (Tests/IntegrationTests/Support/TestPostgres.swift).
locate_pg_bin() {
    [[ -z $TW_PG_BIN ]] || return 0
    local dir candidates=()
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            candidates+=("$dir")
        fi
    done
    ((${#candidates[@]} > 0)) ||
        die "no PostgreSQL server in /usr/lib/postgresql/<version>/bin: install the Debian package postgresql"
    TW_PG_BIN="$(printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1)"
}

# Runs a PostgreSQL server binary (initdb, pg_ctl, postgres...) by name: as the `postgres` user when root
# (PostgreSQL refuses to run as root), as the current user otherwise.
run_pg() {
    local program="$1"
    shift
    locate_pg_bin
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

# --- nginx configurations rendered from nginx/*.template (scripts/render-nginx, scripts/render-sim-nginx) ----

# Prints lines FIRST to LAST of the running script's header comment (its usage), without the `# `, and exits 2.
usage_from_header() {
    sed -n "$1,$2p" "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Dies unless the path is absolute and nginx can read it as a bare token: whitespace, quotes, `;`, braces, `$` or
# `#` would change its meaning.
require_plain_path() {
    local what="$1" path="$2"
    [[ $path == /* ]] || die "$what must be an absolute path: $path"
    case $path in
        *[[:space:]\;\{\}\"\'\\\$#]*) die "$what contains a character nginx cannot take unquoted: $path" ;;
    esac
}

# Dies unless LISTEN is a loopback address and port: the local configurations never listen anywhere else.
require_loopback_listen() {
    local listen="$1"
    [[ $listen =~ ^(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]|localhost):[0-9]{1,5}$ ]] ||
        die "LISTEN must be a loopback address:port (127.x.x.x, [::1] or localhost), not '$listen'"
}

# Dies unless the path can name a unix socket in an nginx configuration: a plain path that fits sun_path (108
# bytes with its terminating NUL).
require_socket_path() {
    local what="$1" path="$2"
    require_plain_path "$what" "$path"
    ((${#path} < 107)) || die "$what is ${#path} bytes long; it must stay under 107: $path"
}

# Creates the run folder of an nginx configuration and prints its absolute path with symbolic links resolved
# (what nginx is given for -p, the pid file, the logs and the temp folders).
prepare_nginx_run_dir() {
    local run_dir="$1"
    [[ $run_dir == /* ]] || run_dir="$PWD/$run_dir"
    require_plain_path RUN_DIR "$run_dir"
    mkdir -p "$run_dir"
    run_dir="$(cd "$run_dir" && pwd -P)"
    require_plain_path RUN_DIR "$run_dir"
    printf '%s\n' "$run_dir"
}

# Writes RUN_DIR/nginx.conf from nginx/TEMPLATE, checks it with `nginx -t` and prints its path. Fills the
# placeholders @RUN_DIR@ and @USER_LINE@ itself and each @NAME@ from a NAME=VALUE argument; one left unfilled is
# an error. RUN_DIR comes from prepare_nginx_run_dir.
render_nginx_conf() {
    local template="$1" run_dir="$2"
    shift 2
    local conf pair unknown temp user_line=""
    # nginx must run its worker as root when started as root, else the worker (nobody) cannot open a socket made
    # by root: 502 "Permission denied".
    if [[ $EUID -eq 0 ]]; then
        user_line="user root;"
    fi
    conf="$(<"$TW_REPO_ROOT/nginx/$template")"
    # A quoted replacement is taken literally (bash 5.2 would otherwise expand `&` in it).
    conf="${conf//"@RUN_DIR@"/"$run_dir"}"
    for pair in "$@"; do
        conf="${conf//"@${pair%%=*}@"/"${pair#*=}"}"
    done
    conf="${conf//"@USER_LINE@"/"$user_line"}"
    if unknown="$(grep -oE '@[A-Z_]+@' <<<"$conf")"; then
        die "nginx/$template has a placeholder this script does not fill: ${unknown%%$'\n'*}"
    fi
    printf '%s\n' "$conf" >"$run_dir/nginx.conf"
    # nginx creates its temp folders itself, but only if their parent exists and is writable; make them now.
    for temp in client_body_temp fastcgi_temp proxy_temp uwsgi_temp scgi_temp; do
        mkdir -p "$run_dir/$temp"
    done
    check_nginx_conf "$run_dir" "$run_dir/nginx.conf"
    printf '%s\n' "$run_dir/nginx.conf"
}

# Runs `nginx -t` on CONF with the flags it will be started with (-p RUN_DIR, -e RUN_DIR/error.log); dies with
# nginx's own words when it refuses the file.
check_nginx_conf() {
    local run_dir="$1" conf="$2" output
    if ! output="$("$TW_NGINX" -t -q -p "$run_dir" -c "$conf" -e "$run_dir/error.log" 2>&1)"; then
        printf '%s\n' "$output" >&2
        die "nginx -t rejected $conf"
    fi
}

# --- Python tools ------------------------------------------------------------------------------------------

# Makes TW_PYTHON_VENV a virtual environment of the python3 on PATH holding the packages of
# TW_PYTHON_REQUIREMENTS. Reused while neither that file nor that python3 changes (a stamp in the environment
# keeps their checksum), made anew otherwise. Installs the Debian package python3-venv when `python3 -m venv`
# fails: Debian ships the venv module's pip bootstrap separately.
ensure_python_venv() {
    local stamp="$TW_PYTHON_VENV/requirements.sha256" python wanted lock
    command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH"
    # The interpreter itself, also when the python3 on PATH is a virtual environment's (this one's, say).
    python="$(python3 -c '
import os, sys
print(os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable))')" || die "python3 does not run"
    wanted="$(
        {
            cat "$TW_PYTHON_REQUIREMENTS"
            "$python" -c 'import sys; print(sys.executable, sys.version)'
        } | sha256sum
    )" || die "cannot read $TW_PYTHON_REQUIREMENTS"
    wanted="${wanted%% *}"
    mkdir -p "$(dirname "$TW_PYTHON_VENV")"
    # Two test runs in one checkout must not build the environment at the same time.
    exec {lock}>"$TW_PYTHON_VENV.lock"
    flock "$lock"
    if [[ -x $TW_PYTHON_VENV/bin/python3 && -f $stamp && $(<"$stamp") == "$wanted" ]]; then
        exec {lock}>&-
        return 0
    fi
    say "making the Python virtual environment $TW_PYTHON_VENV from ${TW_PYTHON_REQUIREMENTS#"$TW_REPO_ROOT/"}"
    if ! "$python" -m venv --clear "$TW_PYTHON_VENV" >/dev/null 2>&1; then
        ensure_debian_packages python3-venv
        "$python" -m venv --clear "$TW_PYTHON_VENV" ||
            die "$python -m venv failed, even with python3-venv installed"
    fi
    "$TW_PYTHON_VENV/bin/python3" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-virtualenv -r "$TW_PYTHON_REQUIREMENTS" ||
        die "pip could not install ${TW_PYTHON_REQUIREMENTS#"$TW_REPO_ROOT/"} into $TW_PYTHON_VENV"
    printf '%s\n' "$wanted" >"$stamp"
    exec {lock}>&-
}
