#!/usr/bin/env python3
"""Per-operation instruction counts from two callgrind runs.

Two runs of one program that differ only in how many operations they do
(N1 and N2): every count is (count in run 2 - count in run 1) / (N2 - N1),
so start-up and shutdown cancel out. The runs must be made with
`--dump-instr=yes --compress-pos=no --compress-strings=no`, which gives one
cost line per executed instruction address: "0xADDR LINE IR".

  cgdiff.py functions SMALL LARGE DOPS BINARY [MIN]
      self instructions per operation of every function (inlined code
      counts in the function it was inlined into), largest first, down to
      MIN per operation (default 0.5).
  cgdiff.py atomics SMALL LARGE DOPS BINARY
      how many locked read-modify-write instructions (`lock ...`, `xchg`
      with memory) ran per operation, and where.
  cgdiff.py annotate SMALL LARGE DOPS BINARY SYMBOL [SYMBOL...]
      `objdump -d` of each function of BINARY whose demangled name contains
      SYMBOL and that ran (a generic function has one symbol per instance,
      all with the same demangled name), every instruction prefixed with
      how many times it ran per operation.
"""

import bisect
import collections
import re
import subprocess
import sys


def parse(path):
    """Returns ({(object, addr): callgrind's function name}, {(object, addr): Ir})."""
    by_fn = {}
    by_addr = collections.Counter()
    ob = fn = None
    skip_next = False
    with open(path) as f:
        for line in f:
            if skip_next:  # the cost line after calls= is the call's inclusive cost
                skip_next = False
                continue
            if line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fn="):
                # Strip callgrind's recursion marks ('2): stack switches look
                # like recursion to it.
                fn = re.sub(r"'\d+$", "", line[3:].strip())
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith("0x"):
                parts = line.split()
                key = (ob, int(parts[0], 16))
                by_fn.setdefault(key, fn)
                by_addr[key] += int(parts[-1])
    return by_fn, by_addr


def functions(small, large, dops, binary, minimum=0.5):
    """Self instructions per op, by function. Addresses in `binary` are
    named by its symbol table, not by callgrind's `fn=`: after a stack
    switch callgrind's call stack is wrong, and it charges the code that
    runs after a resume to whatever function it believes is running."""
    base = binary.split("/")[-1]
    names_a, a = parse(small)
    names_b, b = parse(large)
    syms = symbols(binary)
    starts = [st for _, st, _ in syms]
    totals = collections.Counter()
    for key in set(a) | set(b):
        ob, addr = key
        name = names_b.get(key) or names_a.get(key)
        if ob.endswith(base):
            i = bisect.bisect_right(starts, addr) - 1
            if i >= 0 and addr < syms[i][1] + syms[i][2]:
                name = syms[i][0]
        totals[name] += (b.get(key, 0) - a.get(key, 0)) / dops
    print(f"{'instr/op':>9}  function")
    for name, per in totals.most_common():
        if per >= minimum:
            print(f"{per:9.1f}  {name}")
    print(f"{sum(totals.values()):9.1f}  TOTAL (all functions, user space)")


def symbols(binary):
    """[(demangled name, start, size)] of the text symbols of `binary`."""
    out = subprocess.run(["nm", "-C", "-S", binary], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        m = re.match(r"([0-9a-f]+) ([0-9a-f]+) [tTW] (.*)", line)
        if m:
            syms.append((m.group(3), int(m.group(1), 16), int(m.group(2), 16)))
    return sorted(set(syms), key=lambda s: (s[1], s[0]))


def annotate(small, large, dops, binary, wanted):
    base = binary.split("/")[-1]
    a = {ad: v for (ob, ad), v in parse(small)[1].items() if ob.endswith(base)}
    b = {ad: v for (ob, ad), v in parse(large)[1].items() if ob.endswith(base)}
    per_op = {ad: (v - a.get(ad, 0)) / dops for ad, v in b.items()}
    for want in wanted:
        # Generic functions have one symbol per instance, all with the same
        # demangled name: show the instances that ran during the operations.
        hits = [s for s in symbols(binary) if want in s[0]]
        hits = [s for s in hits if any(per_op.get(ad, 0) for ad in range(s[1], s[1] + s[2]))]
        if not hits:
            sys.exit(f"{want!r} matches no function that ran")
        for name, start, size in hits:
            dis = subprocess.run(
                ["objdump", "-d", "--no-show-raw-insn", "-C", "-w",
                 f"--start-address={start:#x}", f"--stop-address={start + size:#x}", binary],
                capture_output=True, text=True, check=True).stdout
            total = 0.0
            print(f"== {name}  ({size} bytes at {start:#x})")
            print("  runs/op  address  instruction")
            for line in dis.splitlines():
                m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
                if not m:
                    continue
                per = per_op.get(int(m.group(1), 16), 0.0)
                total += per
                mark = f"{per:8.2f}" if abs(per) >= 0.005 else "       ."
                print(f"{mark}  {m.group(1):>7}  {m.group(2)}")
            print(f"{total:8.1f}  instructions per op in this function\n")


def atomics(small, large, dops, binary):
    """Locked read-modify-write instructions (`lock`-prefixed, or `xchg`
    with a memory operand, which locks implicitly) executed per op, by
    function, in every object that ran (the program and the C library)."""
    base = binary.split("/")[-1]
    names_a, a = parse(small)
    names_b, b = parse(large)
    syms = symbols(binary)
    starts = [st for _, st, _ in syms]
    ran = {key: (b.get(key, 0) - a.get(key, 0)) / dops for key in set(a) | set(b)}
    text = {}
    for ob in {ob for (ob, _), per in ran.items() if per}:
        path = binary if ob.endswith(base) else ob
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-w", path],
                             capture_output=True, text=True).stdout
        for line in dis.splitlines():
            m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
            if m and (ob, int(m.group(1), 16)) in ran:
                text[(ob, int(m.group(1), 16))] = m.group(2)
    locked = re.compile(r"^lock |^xchg\s+%\w+,.*\(|^xchg\s+.*\(.*,%\w+$")
    totals = collections.Counter()
    for key, per in ran.items():
        insn = text.get(key, "")
        if not per or not locked.search(insn):
            continue
        ob, addr = key
        name = names_b.get(key) or names_a.get(key)
        if ob.endswith(base):
            i = bisect.bisect_right(starts, addr) - 1
            name = syms[i][0]
        totals[f"{name}: {insn.split('#')[0].strip()}"] += per
    print(f"{'runs/op':>8}  function: locked instruction")
    for name, per in sorted(totals.items(), key=lambda kv: -kv[1]):
        if per >= 0.05:
            print(f"{per:8.2f}  {name}")
    print(f"{sum(totals.values()):8.2f}  TOTAL locked instructions per op")


def main():
    cmd = sys.argv[1]
    if cmd == "functions":
        small, large, dops, binary = sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
        functions(small, large, dops, binary, float(sys.argv[6]) if len(sys.argv) > 6 else 0.5)
    elif cmd == "atomics":
        atomics(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    elif cmd == "annotate":
        small, large, dops, binary = sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
        annotate(small, large, dops, binary, sys.argv[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
