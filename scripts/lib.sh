#!/usr/bin/env bash
# Shared helpers of the bash scripts (scripts/test, scripts/fuzz, scripts/schemathesis and the two nginx render
# scripts). Source it; don't run it. Bringing the local stack up and down, free ports, tokens and the Debian package
# lists are the stack tool's (scripts/twstack, with scripts/stack as its command line).
# shellcheck shell=bash disable=SC2034  # the TW_* variables are used by the scripts that source this file

# The repository root, from this file's own location (works from any current directory).
TW_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# The tests' Python packages, pinned in one requirements file, and the virtual environment they are installed
# into: git-ignored (under .build/), since Debian 12's pip refuses to install into the system's Python (PEP 668).
TW_PYTHON_REQUIREMENTS="$TW_REPO_ROOT/scripts/requirements-test.txt"
TW_PYTHON_VENV="$TW_REPO_ROOT/.build/python-venv"

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

# Installs the given Debian packages that are not installed yet; does nothing when all are there (the stack tool's
# `scripts/stack packages`, where the lists live).
ensure_debian_packages() {
    python3 "$TW_REPO_ROOT/scripts/stack" packages "$@" || die "could not install the Debian packages $*"
}

# Installs every package the project needs that is missing.
ensure_project_packages() {
    python3 "$TW_REPO_ROOT/scripts/stack" packages --project || die "could not install the project's Debian packages"
}

# Installs every package the tests need (the project's and the test-only ones) that is missing.
ensure_test_packages() {
    python3 "$TW_REPO_ROOT/scripts/stack" packages --test || die "could not install the tests' Debian packages"
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
