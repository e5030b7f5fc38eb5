#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (machine-independent):
# runs examples/switch_loop.rs at two sizes per mode and divides the
# difference in instructions by the difference in operations.
#
#   benches/callgrind.sh            # all modes
#   benches/callgrind.sh yield2     # one mode
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --example switch_loop >&2
bin=target/release/examples/switch_loop
count() { # mode n -> total instructions (all threads)
  local out; out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$out"; rm -f "$out"
}
small=20000; large=120000
printf '%-8s %14s\n' mode 'instr/op'
for mode in "${@:-raw yield1 yield2 spawn}"; do
  for m in $mode; do
    a=$(count "$m" $small); b=$(count "$m" $large)
    printf '%-8s %14.1f\n' "$m" "$(echo "($b - $a) / ($large - $small)" | bc -l)"
  done
done
