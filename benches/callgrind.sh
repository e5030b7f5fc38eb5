#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (machine-independent):
# runs examples/switch_loop.rs at two sizes per mode and divides the
# difference in instructions by the difference in operations, so start-up
# (runtime, connections) cancels out. Modes: raw, yield1, yield2, spawn
# (switches and spawns) and echo, echo8 (a 32-byte request and reply over
# loopback TCP, 1 or 8 connections, on one worker: instructions per request).
#
#   benches/callgrind.sh                  # all modes, builds switch_loop
#   benches/callgrind.sh yield2 echo8     # some modes
#   benches/callgrind.sh --bin A --bin B  # two prebuilt switch_loops side by
#                                         # side: before, after, after/before
#                                         # (benches/compare.sh builds them)
#
# Counts are all threads' user-space instructions (a syscall is one). They
# repeat to within ~0.01 instructions/op between runs of the same binary.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
bins=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bins+=("$2"); shift 2 ;;
    --bin=*) bins+=("${1#--bin=}"); shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release --example switch_loop >&2
  bins=(target/release/examples/switch_loop)
fi
[ ${#bins[@]} -le 2 ] || { echo "callgrind.sh: at most two --bin" >&2; exit 2; }
count() { # binary mode n -> total instructions (all threads)
  local out; out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$1" "$2" "$3" >/dev/null 2>&1 ||
    { echo "callgrind.sh: $1 $2 $3 failed" >&2; rm -f "$out"; exit 1; }
  awk '/^summary:/ {print $2}' "$out"; rm -f "$out"
}
per_op() { # binary mode -> instructions per operation
  local a b
  a=$(count "$1" "$2" $small); b=$(count "$1" "$2" $large)
  echo "($b - $a) / ($large - $small)" | bc -l
}
# Under valgrind the largest run (echo, 120,000 round trips) takes ~4 s.
small=20000; large=120000
if [ ${#bins[@]} -eq 1 ]; then
  printf '%-8s %14s\n' mode 'instr/op'
else
  printf '%-8s %14s %14s %8s\n' mode 'before' 'after' 'ratio'
fi
for mode in ${*:-raw yield1 yield2 spawn echo echo8}; do
  if [ ${#bins[@]} -eq 1 ]; then
    a=$(per_op "${bins[0]}" "$mode")
    printf '%-8s %14.1f\n' "$mode" "$a"
  else
    a=$(per_op "${bins[0]}" "$mode"); b=$(per_op "${bins[1]}" "$mode")
    printf '%-8s %14.1f %14.1f %8.3f\n' "$mode" "$a" "$b" "$(echo "$b / $a" | bc -l)"
  fi
done
