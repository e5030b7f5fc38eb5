#!/usr/bin/env bash
# Where the CPU of benches/hyper.sh goes, per request, for both servers
# (examples/async/hyper_server.rs on fibers, hyper_tokio.rs on tokio), 2
# workers each, under `wrk -c 100 -t 1`:
#
#   benches/hyper_profile.sh callgrind [SECS]  # user-space instructions per request:
#                                              # runtime (fiberio/tokio), hyper+http, libc
#   benches/hyper_profile.sh strace [SECS]     # syscalls per request, by syscall
#
# Each side: a fresh server, a 2 s warm-up, then the counted wrk run (10 s
# by default); callgrind's counters are zeroed after the warm-up and dumped
# after the run (callgrind_control). Both tools slow the server (threads
# run one at a time under valgrind), so compare the two sides, not these
# against benches/hyper.sh. Needs valgrind or strace, wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1-} secs=${2:-10}
case "$tool" in callgrind | strace) ;; *) echo "usage: benches/hyper_profile.sh callgrind|strace [SECS]" >&2; exit 2 ;; esac
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "benches/hyper_profile.sh: SECS '$secs' is not a positive whole number" >&2; exit 2; }
for t in wrk curl "$([ "$tool" = callgrind ] && echo valgrind || echo strace)"; do
  command -v "$t" >/dev/null || { echo "benches/hyper_profile.sh: $t not found (apt-get install $t)" >&2; exit 1; }
done
cargo build -p fiberio-benches --release --quiet --example hyper_server --example hyper_tokio
bin=${CARGO_TARGET_DIR:-target}/release/examples
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

for side in fibers tokio; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ "$side" = fibers ]; then prog=$bin/hyper_server; else prog=$bin/hyper_tokio; fi
  if [ "$tool" = callgrind ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$side" "$prog" --addr "127.0.0.1:$port" --workers 2 \
      >"$out/$side.log" 2>&1 &
  else
    "$prog" --addr "127.0.0.1:$port" --workers 2 >"$out/$side.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
  wrk -c 100 -t 1 -d 2 "http://127.0.0.1:$port/" >/dev/null
  if [ "$tool" = callgrind ]; then
    callgrind_control -z "$pid" >/dev/null 2>&1
  else
    strace -c -f -p "$pid" -o "$out/strace.$side" 2>/dev/null &
    tracer=$!
    sleep 0.5
  fi
  requests=$(wrk -c 100 -t 1 -d "$secs" "http://127.0.0.1:$port/" | awk '/requests in/ { print $1 }')
  if [ "$tool" = callgrind ]; then
    callgrind_control -d "$pid" >/dev/null 2>&1
    # The dump after the zeroing: cg.SIDE.1. Functions still on the stack
    # when the counters were zeroed show whole-run inclusive costs: skipped.
    callgrind_annotate --threshold=100 "$out/cg.$side.1" 2>/dev/null | awk -v side="$side" -v r="$requests" '
      /file:function/ { go = 1; next }
      go && /\(/ { p = $2; gsub(/[(%)]/, "", p); if (p + 0 > 50) next
        gsub(",", "", $1); n = $1 + 0; total += n
        if ($0 ~ /fiberio::|corosensei|tokio::/) rt += n
        else if ($0 ~ /hyper|http|httparse|bytes::/) hy += n
        else if ($0 ~ /libc\.so|ld-linux/) lc += n }
      END { printf "%-6s %8d requests: %6.0f instructions/request = runtime %5.0f + hyper/http %5.0f + libc %5.0f + other %4.0f\n",
              side, r, total / r, rt / r, hy / r, lc / r, (total - rt - hy - lc) / r }'
  else
    kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
    echo "$side: $requests requests; syscalls per request (strace -c -f):"
    awk -v r="$requests" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
      printf "    %-14s %8.4f\n", $NF, $4 / r }' "$out/strace.$side" | sort -k2 -nr | head -8
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
