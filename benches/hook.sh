#!/usr/bin/env bash
# The `hook` feature's costs, side by side in one run (issue 12):
#
# 1. An echo server on fibers (1 worker, 16 connections, 32-byte requests)
#    written against std::net with the hook, next to the same server on
#    fiberio::net (benches/hook_echo.rs):
#    - user-space instructions of the worker thread per request, counted
#      by callgrind (one output per thread; the worker is the busiest),
#      from the difference between two run lengths so start-up cancels;
#    - server CPU per request from the kernel's per-thread accounting,
#      best of 5 alternating rounds (noisy on a shared machine).
# 2. Plain-thread std code (benches/hook_plain.rs: TCP round trips,
#    timeouts, sleeps on the main thread) built with and without the
#    feature: instructions per round trip, callgrind, same differencing.
#
#   benches/hook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
bin() { # cargo bench args -> the bench executable
  cargo bench "$@" --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -1
}
echo_bin=$(bin -p fiberio-benches --bench hook_echo --features hook)
plain_off=$(bin -p fiberio-benches --bench hook_plain)
plain_on=$(bin -p fiberio-benches --bench hook_plain --features hook)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

worker_ir() { # server requests-per-connection -> instructions of the busiest thread
  rm -f "$tmp"/cg*
  HOOK_ECHO_REQUESTS=$2 valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$tmp/cg" "$echo_bin" "$1" >/dev/null 2>&1
  for f in "$tmp"/cg-*; do awk '/^totals:/ {print $2}' "$f"; done | sort -n | tail -1
}
plain_ir() { # binary n -> instructions
  valgrind --tool=callgrind --callgrind-out-file="$tmp/p" "$1" "$2" >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$tmp/p"
}

echo "1. echo server, instructions of the worker thread per request (callgrind):"
declare -A per
for server in std net; do
  a=$(worker_ir $server 1000); b=$(worker_ir $server 2000)
  per[$server]=$(( (b - a) / (16 * 1000) ))
done
printf '   std::net + hook %6d\n   fiberio::net    %6d\n   ratio           %6.3f  (goal <= 1.05)\n' \
  "${per[std]}" "${per[net]}" "$(echo "${per[std]} / ${per[net]}" | bc -l)"
echo "   server CPU per request (schedstat):"
"$echo_bin" | sed 's/^/   /'

echo "2. plain-thread std code, instructions per round trip (callgrind):"
off=$(( ($(plain_ir "$plain_off" 4000) - $(plain_ir "$plain_off" 2000)) / 2000 ))
on=$(( ($(plain_ir "$plain_on" 4000) - $(plain_ir "$plain_on" 2000)) / 2000 ))
printf '   feature off %6d\n   feature on  %6d\n   ratio       %6.3f  (goal <= 1.02)\n' \
  "$off" "$on" "$(echo "$on / $off" | bc -l)"
