#!/usr/bin/env bash
# Instructions per park on fiberio's read -> EAGAIN -> park -> next fiber
# path, counted by callgrind (user space only; the kernel's side of the
# syscalls is not counted). Runs asm-notes/probe's `pingpong` (64 loopback
# TCP pairs on one worker, 32-byte request and reply, as SimpleServer) at
# 200 and 1200 rounds and divides every difference by the difference in
# parks (2 per round trip: 2 * 64 * 1000 = 128,000), so start-up cancels out.
#
#   asm-notes/measure.sh                      # per-function table
#   asm-notes/measure.sh atomics              # locked instructions per park
#   asm-notes/measure.sh annotate SYM [SYM..] # objdump of SYM, runs per park
#                                             # on every instruction
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --manifest-path probe/Cargo.toml >&2
bin=probe/target/release/asm-probe
out=probe/target/callgrind; mkdir -p "$out"
pairs=64; r1=200; r2=1200
parks=$((2 * pairs * (r2 - r1)))
for r in $r1 $r2; do
  f="$out/pingpong.$r"
  if [ ! -s "$f" ] || [ "$f" -ot "$bin" ]; then
    valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
      --callgrind-out-file="$f" "$bin" pingpong $pairs $r >/dev/null 2>"$f.log"
  fi
done
if [ "${1:-functions}" = atomics ]; then
  python3 cgdiff.py atomics "$out/pingpong.$r1" "$out/pingpong.$r2" $parks "$bin"
elif [ "${1:-functions}" = annotate ]; then
  shift
  python3 cgdiff.py annotate "$out/pingpong.$r1" "$out/pingpong.$r2" $parks "$bin" "$@"
else
  python3 cgdiff.py functions "$out/pingpong.$r1" "$out/pingpong.$r2" $parks "$bin" "${2:-0.5}"
fi
