#!/usr/bin/env bash
# A throwaway Redis for the shared-limiter tests and the fleet benchmark.
#   scripts/redis.sh start   installs redis-server if missing (Debian package, apt-get), starts it on
#                            a free loopback port (INVENT_REDIS_PORT to choose one), no persistence,
#                            and prints its URL (redis://127.0.0.1:PORT/0) on stdout, nothing else
#   scripts/redis.sh stop    stops the server that `start` started (by its pid file) and removes its files
#   scripts/redis.sh url     prints the running server's URL
# State lives in target/redis/ (pid, port, log), so each worktree has its own server.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/target/redis"
PIDFILE="$DIR/redis.pid"
PORTFILE="$DIR/port"

say() { printf 'redis.sh: %s\n' "$*" >&2; }

install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
  say "redis-server not found: installing the Debian package"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server; } >&2 \
    || { say "could not install redis-server (apt-get); install it and retry"; exit 1; }
}

free_port() {
  if [ -n "${INVENT_REDIS_PORT:-}" ]; then
    echo "$INVENT_REDIS_PORT"
    return
  fi
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

url() {
  echo "redis://127.0.0.1:$(cat "$PORTFILE")/0"
}

start() {
  install
  if running; then
    say "already running (pid $(cat "$PIDFILE"))"
    url
    return
  fi
  mkdir -p "$DIR"
  rm -f "$PIDFILE"
  local port
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$DIR" --pidfile "$PIDFILE" --logfile "$DIR/redis.log" >&2
  echo "$port" >"$PORTFILE"
  for _ in $(seq 100); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
      say "redis-server $(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/') on 127.0.0.1:$port (pid $(cat "$PIDFILE"))"
      url
      return
    fi
    sleep 0.1
  done
  say "redis-server did not answer on port $port within 10 s; log:"
  tail -n 20 "$DIR/redis.log" >&2 || true
  exit 1
}

stop() {
  if ! running; then
    say "not running"
    rm -f "$PIDFILE" "$PORTFILE"
    return
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop on SIGTERM within 10 s; sending SIGKILL"
    kill -9 "$pid"
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  say "stopped (pid $pid)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) running && url || { say "not running"; exit 1; } ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
