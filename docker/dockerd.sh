#!/usr/bin/env bash
# A private Docker daemon for posearena's image builds and compose integration tests.
#
#   docker/dockerd.sh start    install docker.io/docker-compose if absent (needs root + apt),
#                              start dockerd on a private socket, print `export DOCKER_HOST=...`
#   docker/dockerd.sh stop     stop the daemon started here (by its pid file)
#   docker/dockerd.sh status   exit 0 when the daemon answers, 1 otherwise
#   docker/dockerd.sh env      print `export DOCKER_HOST=...` (the socket path)
#
# State lives in $POSEARENA_DOCKER_STATE (default docker/.state/, git- and docker-ignored):
# data/ (data-root), exec/ (exec-root), docker.sock, dockerd.pid, dockerd.log, env.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${POSEARENA_DOCKER_STATE:-$HERE/.state}"
SOCK="$STATE/docker.sock"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
export DOCKER_HOST="unix://$SOCK"

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

pid_alive() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# Each tool the builds and tests need, with the Debian package that provides it: every one is
# checked on its own (a machine may have docker but not debootstrap).
TOOLS=("dockerd:docker.io" "docker:docker.io" "docker-compose:docker-compose"
       "debootstrap:debootstrap")

install_docker() {
    local missing=() pkgs=() entry tool pkg
    for entry in "${TOOLS[@]}"; do
        tool="${entry%%:*}" pkg="${entry#*:}"
        if ! command -v "$tool" >/dev/null; then
            missing+=("$tool")
            [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "dockerd.sh: missing ${missing[*]} and cannot install here (needs root and" \
             "apt-get): install the Debian packages ${pkgs[*]}" >&2
        exit 2
    fi
    echo "dockerd.sh: missing ${missing[*]}: installing ${pkgs[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2
}

start() {
    install_docker
    mkdir -p "$STATE/data" "$STATE/exec"
    if pid_alive && answers; then
        echo "export DOCKER_HOST=$DOCKER_HOST"
        return 0
    fi
    if pid_alive; then
        echo "dockerd.sh: dockerd (pid $(cat "$PIDFILE")) runs but does not answer on $SOCK;" \
             "see $LOG or run '$0 stop'" >&2
        exit 1
    fi
    rm -f "$SOCK" "$PIDFILE"
    nohup dockerd --data-root "$STATE/data" --exec-root "$STATE/exec" -H "unix://$SOCK" \
        --pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null &
    local i
    for i in $(seq 1 120); do
        if answers; then
            echo "export DOCKER_HOST=$DOCKER_HOST" | tee "$STATE/env"
            return 0
        fi
        sleep 0.5
    done
    echo "dockerd.sh: dockerd did not answer on $SOCK within 60 s; last log lines:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
}

stop() {
    if ! pid_alive; then
        rm -f "$PIDFILE"
        echo "dockerd.sh: not running" >&2
        return 0
    fi
    local pid i
    pid="$(cat "$PIDFILE")"
    kill "$pid"
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { echo "dockerd.sh: stopped (pid $pid)" >&2; return 0; }
        sleep 0.5
    done
    echo "dockerd.sh: dockerd (pid $pid) still running after 30 s" >&2
    exit 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) pid_alive && answers ;;
    env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
