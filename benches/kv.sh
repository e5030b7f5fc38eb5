#!/usr/bin/env bash
# The key-value server on threads (examples/kv_std.rs) against its port to
# fibers (examples/kv_fiberio.rs), driven by the real redis-benchmark,
# side by side in one run: runs interleaved ABBA (std fibers, fibers std,
# ...), each a fresh server process.
#
#   benches/kv.sh                     # 5 run pairs, 200 connections, 100,000 requests
#   benches/kv.sh --runs 3 --conns 50 --requests 20000 --tests set,get
#   benches/kv.sh --workers 2         # FIBERIO_WORKERS for the fiber server
#   benches/kv.sh --fibers-bin PATH   # another build of kv_fiberio (an older revision)
#   benches/kv.sh --threads-bin PATH  # ... or in place of kv_std (two fiber builds)
#
# Per run and command it records redis-benchmark's requests/s and the
# server's CPU time (user + system, from /proc/PID/stat) over that command,
# and prints per run the ratio fibers / threads of throughput and of CPU
# per request, then the medians over the runs. Needs redis-benchmark
# (Debian: apt-get install redis-tools); builds the examples in release.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5 conns=200 requests=100000 tests=set,get,incr workers="" fibers_bin="" threads_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --fibers-bin) fibers_bin=$2; shift 2 ;;
    --threads-bin) threads_bin=$2; shift 2 ;;
    *) echo "benches/kv.sh: unknown option '$1' (see the header for usage)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$conns" "$requests"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "benches/kv.sh: '$n' is not a positive count" >&2; exit 2; }
done
command -v redis-benchmark >/dev/null || {
  echo "benches/kv.sh: redis-benchmark not found (apt-get install redis-tools)" >&2; exit 1; }

cargo build --release --quiet --example kv_std --example kv_fiberio
bin=${CARGO_TARGET_DIR:-target}/release/examples
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
ticks=$(getconf CLK_TCK)

# cpu PID: the process's user + system time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# one SIDE RUN PORT: serves with SIDE's example, runs each command of
# $tests, appends "side run command rps cpu_seconds" lines to $out/results.
one() {
  local side=$1 run=$2 port=$3 pid
  if [ "$side" = fibers ]; then
    "${fibers_bin:-$bin/kv_fiberio}" --addr "127.0.0.1:$port" >"$out/server.log" 2>&1 &
  else
    "${threads_bin:-$bin/kv_std}" --addr "127.0.0.1:$port" >"$out/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  IFS=, read -ra cmds <<<"$tests"
  for cmd in "${cmds[@]}"; do
    local before after line rps
    before=$(cpu "$pid")
    line=$(redis-benchmark -p "$port" -t "$cmd" -c "$conns" -n "$requests" -q --csv | tail -1)
    after=$(cpu "$pid")
    rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
    echo "$side $run $cmd $rps $(echo "($after - $before) / $ticks" | bc -l)" >>"$out/results"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

[ -z "$workers" ] || export FIBERIO_WORKERS="$workers"
echo "kv: $runs run pairs, $conns connections, $requests requests per command, commands $tests"
for run in $(seq "$runs"); do
  if [ $((run % 2)) = 1 ]; then order="std fibers"; else order="fibers std"; fi
  for side in $order; do
    if [ "$side" = fibers ]; then port=$((6401 + run * 2)); else port=$((6400 + run * 2)); fi
    one "$side" "$run" "$port"
  done
done

python3 - "$out/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
data = {}
for side, run, cmd, rps, cpu in rows:
    data[(side, int(run), cmd)] = (float(rps), float(cpu))
cmds = list(dict.fromkeys(r[2] for r in rows))
runs = sorted({int(r[1]) for r in rows})
print(f"{'run':>3} {'command':8} {'threads req/s':>14} {'fibers req/s':>13} {'throughput':>11} {'CPU/req':>8}")
ratios = {c: ([], []) for c in cmds}
for run in runs:
    for c in cmds:
        (sr, sc), (fr, fc) = data[("std", run, c)], data[("fibers", run, c)]
        t = fr / sr
        # CPU per request: cpu seconds / requests; same request count both sides.
        cpu = (fc / sc) if sc > 0 else float("nan")
        ratios[c][0].append(t); ratios[c][1].append(cpu)
        print(f"{run:>3} {c:8} {sr:14.0f} {fr:13.0f} {t:10.2f}x {cpu:7.2f}x")
print("medians over the runs (fibers / threads):")
for c in cmds:
    t, cpu = ratios[c]
    print(f"    {c:8} throughput {statistics.median(t):.2f}x (min {min(t):.2f}x)   CPU per request {statistics.median(cpu):.2f}x (max {max(cpu):.2f}x)")
EOF
