#!/usr/bin/env bash
# hyper 1 on fibers (examples/async/hyper_server.rs: one fiber per
# connection, block_on(serve_connection)) against the same service on
# tokio's multi-thread runtime (examples/async/hyper_tokio.rs), both with
# the same worker count, driven by wrk side by side: rounds alternate the
# order (tokio fibers, fibers tokio, ...), each side a fresh server
# process, a 1 s warm-up, then the measured wrk run on `GET /`.
#
#   benches/hyper.sh                        # 6 rounds, 10 s each, 100 connections, 2 workers
#   benches/hyper.sh --rounds 4 --secs 5 --conns 100 --threads 2 --workers 2
#   benches/hyper.sh --fibers-bin PATH      # another build of hyper_server (an older revision)
#
# Per round and side it records wrk's requests/s and the server's CPU time
# (user + system of all its threads, from /proc/PID/stat) over the measured
# run, divided by the requests wrk completed; it prints each round, the
# medians, and the ratios fibers / tokio (the goals of issue 10: CPU per
# request <= 1.0x, throughput >= 1.0x). Needs wrk (Debian: apt-get install
# wrk) and curl; builds the examples in release.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=6 secs=10 conns=100 threads=2 workers=2 fibers_bin=""
while [ $# -gt 0 ]; do
  case "$1" in --*) [ $# -ge 2 ] || { echo "benches/hyper.sh: $1 needs a value" >&2; exit 2; } ;; esac
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --secs) secs=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --fibers-bin) fibers_bin=$2; shift 2 ;;
    *) echo "benches/hyper.sh: unknown option '$1' (see the header for usage)" >&2; exit 2 ;;
  esac
done
for pair in "--rounds=$rounds" "--secs=$secs" "--conns=$conns" "--threads=$threads" "--workers=$workers"; do
  [[ "${pair#*=}" =~ ^[1-9][0-9]*$ ]] || {
    echo "benches/hyper.sh: ${pair%%=*} '${pair#*=}' is not a positive whole number" >&2; exit 2; }
done
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "benches/hyper.sh: $tool not found (apt-get install $tool)" >&2; exit 1; }
done

cargo build -p fiberio-benches --release --quiet --example hyper_server --example hyper_tokio
bin=${CARGO_TARGET_DIR:-target}/release/examples
fibers_bin=${fibers_bin:-$bin/hyper_server}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
ticks=$(getconf CLK_TCK)

# cpu PID: the process's user + system time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# balance PID: the CPU ticks of the $workers busiest threads named
# fiberio-worker-* (the stall watchdog shares the truncated name but uses
# next to none), least / most: 1.0 when the connections' fibers are spread
# evenly over the workers.
balance() {
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm")" = fiberio-worker- ] && awk '{ print $14 + $15 }' "$t/stat"
  done | sort -n | tail -n "$workers" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f\n", hi ? lo / hi : 0 }'
}

# free_port: a TCP port nobody listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# one SIDE ROUND: serves with SIDE's example, runs wrk, appends
# "side round requests rps cpu_seconds errors" to $out/results.
one() {
  local side=$1 round=$2 port pid before after report requests rps errors
  port=$(free_port)
  if [ "$side" = fibers ]; then
    "$fibers_bin" --addr "127.0.0.1:$port" --workers "$workers" >"$out/server.log" 2>&1 &
  else
    "$bin/hyper_tokio" --addr "127.0.0.1:$port" --workers "$workers" >"$out/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "benches/hyper.sh: the $side server exited:" >&2; cat "$out/server.log" >&2; exit 1; }
    sleep 0.05
  done
  wrk -c "$conns" -t "$threads" -d 1 "http://127.0.0.1:$port/" >/dev/null # warm-up
  before=$(cpu "$pid")
  report=$(wrk -c "$conns" -t "$threads" -d "$secs" "http://127.0.0.1:$port/")
  after=$(cpu "$pid")
  if [ "$side" = fibers ]; then balance "$pid" >>"$out/balance"; fi
  requests=$(echo "$report" | awk '/requests in/ { print $1 }')
  rps=$(echo "$report" | awk '/^Requests\/sec:/ { print $2 }')
  errors=$(echo "$report" | awk '/Socket errors|Non-2xx/ { printf "%s;", $0 }')
  echo "$side $round $requests $rps $(echo "($after - $before) / $ticks" | bc -l) ${errors:-none}" >>"$out/results"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "hyper: $rounds rounds, wrk -c $conns -t $threads -d $secs, $workers workers each side; $(nproc) cores," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="tokio fibers"; else order="fibers tokio"; fi
  for side in $order; do one "$side" "$round"; done
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores: rerun when it is low)"
echo "fibers: worker CPU balance per round, least / most busy worker (1.00 = even): $(tr '\n' ' ' <"$out/balance")"
python3 - "$out/results" <<'EOF_PY'
import statistics, sys
rows = [l.split(maxsplit=5) for l in open(sys.argv[1])]
data = {(side, int(r)): (int(n), float(rps), float(cpu), err.strip()) for side, r, n, rps, cpu, err in rows}
rounds = sorted({k[1] for k in data})
print(f"{'round':>5} {'tokio req/s':>12} {'fibers req/s':>13} {'tokio us CPU/req':>17} {'fibers us CPU/req':>18} {'throughput':>11} {'CPU/req':>8}")
t_ratio, c_ratio, per = [], [], {"tokio": ([], []), "fibers": ([], [])}
for r in rounds:
    (tn, tr, tc, te), (fn, fr, fc, fe) = data[("tokio", r)], data[("fibers", r)]
    tu, fu = tc / tn * 1e6, fc / fn * 1e6
    per["tokio"][0].append(tr); per["tokio"][1].append(tu)
    per["fibers"][0].append(fr); per["fibers"][1].append(fu)
    t_ratio.append(fr / tr); c_ratio.append(fu / tu)
    print(f"{r:>5} {tr:12.0f} {fr:13.0f} {tu:17.2f} {fu:18.2f} {fr / tr:10.2f}x {fu / tu:7.2f}x")
    for side, err in (("tokio", te), ("fibers", fe)):
        if err != "none":
            print(f"      round {r} {side}: wrk reported {err}")
med = statistics.median
for side in ("tokio", "fibers"):
    rps, us = per[side]
    print(f"{side:>6}: median {med(rps):.0f} req/s, {med(us):.2f} us server CPU per request")
print(f"fibers / tokio, median over the rounds: throughput {med(t_ratio):.2f}x (min {min(t_ratio):.2f}x), "
      f"CPU per request {med(c_ratio):.2f}x (max {max(c_ratio):.2f}x)   [goals: >= 1.00x, <= 1.00x]")
EOF_PY
