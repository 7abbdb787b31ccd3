#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the store tests, on 127.0.0.1 only.
#
#   eval "$(.ci/postgres.sh start)"   # prints export lines: SMIME_TEST_POSTGRES, SMIME_PG_DIR
#   .ci/postgres.sh stop [DIR]         # stops the cluster and removes DIR (default $SMIME_PG_DIR)
#
# Installs Debian's postgresql package when no server binaries are found
# (root only). initdb and the server run as a non-root user: the caller
# when it is not root, else the system user `smimepg` (created if missing).
# Never touches a system cluster: the data directory, socket directory and
# port are its own.
set -euo pipefail

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
        echo "$d"
    fi
}

as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u smimepg -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}

start() {
    # The server user may not be allowed into the caller's directory.
    cd /tmp
    local bin
    bin=$(bindir)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "postgres.sh: no PostgreSQL server binaries and not root to install them" >&2
            exit 1
        fi
        echo "postgres.sh: installing postgresql" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(bindir)
    fi
    if [ "$(id -u)" -eq 0 ] && ! id smimepg >/dev/null 2>&1; then
        useradd -r -M -s /usr/sbin/nologin smimepg
    fi
    local dir port
    dir=$(mktemp -d /tmp/smime-pg.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown smimepg "$dir"
    chmod 700 "$dir"
    port=$(free_port)
    as_user "$bin/initdb" -D "$dir/data" -U smime --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c shared_buffers=256MB" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    as_user "$bin/psql" -q -h 127.0.0.1 -p "$port" -U smime -d postgres -c "CREATE DATABASE smime_test" >&2
    echo "export SMIME_PG_DIR=$dir"
    echo "export SMIME_PG_BIN=$bin"
    echo "export SMIME_TEST_POSTGRES=postgres://smime@127.0.0.1:$port/smime_test"
}

stop() {
    cd /tmp
    local dir=${1:-${SMIME_PG_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "postgres.sh: no cluster at '$dir'" >&2; return 0; }
    local bin
    bin=$(bindir)
    as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "${1:-}" ;;
    *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
