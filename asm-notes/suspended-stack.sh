#!/usr/bin/env bash
# Dumps the stack of a fiber that has just suspended on `read` (EAGAIN):
# stops the worker right after corosensei's switch back to it (the
# instruction after `call *(%rdx)` in Worker::run), takes the fiber's saved
# stack pointer from RSI, and prints every word from there up to the top of
# the fiber's mapping, with the symbol each one points into.
#
#   asm-notes/suspended-stack.sh [HIT]   # HIT: which return to the worker (default 40)
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --manifest-path probe/Cargo.toml >&2
bin=probe/target/release/asm-probe
# Offset of the instruction after the switch's `call *(%rdx)` in Worker::run.
objdump -d --no-show-raw-insn -C "$bin" > probe/target/asm-probe.dis
back=$(awk '
  /<fiberio::sched::worker::Worker::run>:/ { inrun = 1; next }
  inrun && /^$/ { exit }
  inrun && found { sub(":", "", $1); print $1; exit }
  inrun && /call +\*\(%rdx\)/ { found = 1 }' probe/target/asm-probe.dis)
cat > probe/target/suspended.py <<PY
import gdb, re
gdb.execute("set pagination off")
gdb.execute("starti", to_string=True)
base = int(re.search(r"0x[0-9a-f]+", [l for l in gdb.execute("info proc mappings", to_string=True).splitlines() if "asm-probe" in l][0]).group(0), 16)
gdb.execute(f"break *{base + 0x$back:#x}", to_string=True)
gdb.execute("ignore 1 ${1:-40}", to_string=True)
gdb.execute("continue", to_string=True)
sp = int(gdb.parse_and_eval("\$rsi")) & (2**64 - 1)
pid = gdb.selected_inferior().pid
top = next(int(hi, 16) for lo, hi in (l.split()[0].split("-") for l in open(f"/proc/{pid}/maps"))
           if int(lo, 16) <= sp < int(hi, 16))
print(f"saved stack pointer {sp:#x}, top of the fiber's mapping {top:#x}: {top - sp} bytes in use")
print(f"worker's stack pointer now {int(gdb.parse_and_eval('\$rsp')) & (2**64-1):#x}")
mem = gdb.selected_inferior().read_memory(sp, top - sp).tobytes()
for off in range(0, top - sp, 8):
    word = int.from_bytes(mem[off:off + 8], "little")
    sym = gdb.execute(f"info symbol {word:#x}", to_string=True).strip() if word > 0x1000 else ""
    sym = "" if sym.startswith("No symbol") else sym.replace(" in section .text", "")
    print(f"  top-{top - sp - off:<5} {sp + off:#x}: {word:#018x}  {sym[:110]}")
gdb.execute("kill")
PY
gdb -q -batch -x probe/target/suspended.py --args "$bin" pingpong 2 100 2>&1 | grep -v "^\[" 
