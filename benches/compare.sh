#!/usr/bin/env bash
# Two revisions of fiberio side by side, in one run: callgrind instructions
# per operation for benches/callgrind.sh's modes (yields, spawns, and
# instructions per request: echo, echo8), and with --netbench the netbench
# fiberio server's CPU µs per request at 400 connections, runs interleaved.
#
#   benches/compare.sh BASE NEW                  # callgrind (~1 min once built)
#   benches/compare.sh --netbench BASE NEW       # and netbench (~8 s per run pair)
#   benches/compare.sh --netbench d7bc0cf ../main   # a revision against a working tree
#
# BASE and NEW: a git revision (anything `git rev-parse` accepts) or a
# directory holding a checkout of this repository, taken as its working tree
# is (tracked and untracked-but-not-ignored files, uncommitted changes too).
#
# Options:
#   --netbench             also the netbench side by side
#   --runs N               netbench runs per side (default 10), in the order
#                          ABBA: base new, new base, base new, ...
#   --conns N              netbench connections (default 400)
#   --netbench-args "..."  more flags for `netbench simple` (e.g. "--duration 5")
#   --modes "..."          callgrind modes (default: callgrind.sh's list)
#   --no-callgrind         skip callgrind
#   --harness SPEC         where the harness comes from (default: the checkout
#                          this script is in; `--harness NEW` takes NEW's)
#   --no-cache             build both sides afresh and keep nothing
#
# The harness, examples/switch_loop.rs and benches/netbench/, is copied from
# one place into BOTH trees before building (the base revision may predate
# the echo modes, the new one may not have this script's version): both
# sides run the same measuring code and only the library differs. That is
# sound because the harness uses only fiberio's public API.
#
# Each side is built in a detached `git worktree` (a directory: a copy of
# its files) under a temp dir, removed afterwards, with one shared
# CARGO_TARGET_DIR (target/compare/build) so dependencies build once. The
# binaries are kept in target/compare/bin/<commit>-h<harness>-t<toolchain>/
# (a directory: dir-<hash of its files>-...) and reused by later runs, so a
# baseline is built once. COMPARE_DIR overrides target/compare.
#
# Ratios are after/before (NEW/BASE). Callgrind counts repeat to ~0.01
# instructions/op: for identical code every ratio prints 1.000. netbench's
# CPU per request is a timing and depends on what else runs: on the shared
# 2-core VM (load average 5-8) identical code gave 2.8-4.0 µs/request, a
# range of 12-40 % of the median per side, and ratios of medians of 0.980,
# 1.010 and 1.023 (5, 10, 5 runs per side); it also drops when the machine
# is busy (a starved server batches more per wakeup). So a 2 % verdict
# needs a quiet machine and --runs 10 or more; the ratio within each
# back-to-back pair and its range show how far to trust the medians.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
netbench=0 runs=10 conns=400 nbargs="" modes="" callgrind=1 harness="$root" cache=1
while [ $# -gt 0 ]; do
  case $1 in
    --netbench) netbench=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --netbench-args) nbargs=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    --harness) harness=$2; shift 2 ;;
    --no-cache) cache=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
base_spec=$1 new_spec=$2
[ "$harness" = NEW ] && harness=$new_spec
[ $callgrind = 1 ] && ! command -v valgrind >/dev/null &&
  { echo "compare.sh: valgrind is required (apt-get install valgrind), or --no-callgrind" >&2; exit 1; }

cdir=${COMPARE_DIR:-$root/target/compare}
mkdir -p "$cdir"
cdir=$(cd "$cdir" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fiberio-compare.XXXXXX")
worktrees=()
cleanup() {
  local w
  for w in "${worktrees[@]}"; do git -C "$root" worktree remove --force "$w" 2>/dev/null || true; done
  git -C "$root" worktree prune 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$SECONDS
log() { echo "compare.sh: $*" >&2; }

# A spec -> "rev COMMIT" or "dir ABSPATH".
resolve() {
  local c
  if c=$(git rev-parse -q --verify "$1^{commit}" 2>/dev/null); then
    echo "rev $c"
  elif [ -d "$1" ] && git -C "$1" rev-parse --show-toplevel >/dev/null 2>&1; then
    echo "dir $(cd "$1" && git rev-parse --show-toplevel)"
  else
    echo "compare.sh: $1 is neither a git revision nor a checkout of this repository" >&2
    return 1
  fi
}
# A directory's present files (tracked or untracked-not-ignored), NUL-separated.
dir_files() { # dir [pathspec...]
  local d=$1; shift
  git -C "$d" ls-files -z -co --exclude-standard -- "$@" |
    while IFS= read -r -d '' f; do [ -f "$d/$f" ] && printf '%s\0' "$f"; done
}
# Copies a spec's files (optionally only some paths) into an existing dir.
export_spec() { # kind ref dest [pathspec...]
  local kind=$1 ref=$2 dest=$3; shift 3
  if [ "$kind" = rev ]; then
    git -C "$root" archive "$ref" -- "$@" | tar -x -C "$dest"
  else
    dir_files "$ref" "$@" | tar -C "$ref" --null -T - -cf - | tar -x -C "$dest"
  fi
}
hash_tree() { # dir -> short hash of its files' names and contents
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

resolve "$base_spec" >/dev/null && resolve "$new_spec" >/dev/null # fail early

# The harness, once, and its hash.
r=$(resolve "$harness")
read -r hkind href <<<"$r"
mkdir -p "$tmp/harness"
export_spec "$hkind" "$href" "$tmp/harness" examples/switch_loop.rs benches/netbench
[ -f "$tmp/harness/examples/switch_loop.rs" ] || { log "no examples/switch_loop.rs in $harness"; exit 1; }
hhash=$(hash_tree "$tmp/harness")
thash=$( (rustc -vV; cargo -V; echo "RUSTFLAGS=${RUSTFLAGS:-}") | sha256sum | cut -c1-6)

# Builds (or finds in the cache) one side's binaries; sets $built to their directory.
build_side() { # name spec
  local name=$1 kind ref key bindir tree need=() b r
  r=$(resolve "$2")
  read -r kind ref <<<"$r"
  if [ "$kind" = rev ]; then
    key=${ref:0:12}
  else
    key=dir-$(dir_files "$ref" | LC_ALL=C sort -z | (cd "$ref" && xargs -0 sha256sum) | sha256sum | cut -c1-12)
  fi
  key=$key-h${hhash:0:8}-t$thash
  if [ $cache = 1 ]; then bindir=$cdir/bin/$key; else bindir=$tmp/bin/$name; fi
  need=(switch_loop)
  [ $netbench = 1 ] && need+=(netbench)
  for b in "${need[@]}"; do [ -x "$bindir/$b" ] || { b=missing; break; }; done
  if [ "$b" != missing ]; then
    log "$name: $2 -> $bindir (cached)"
    built=$bindir; return
  fi
  tree=$tmp/src-$name
  if [ "$kind" = rev ]; then
    git -C "$root" worktree add -q --detach "$tree" "$ref" >&2
    worktrees+=("$tree")
  else
    mkdir -p "$tree"; export_spec dir "$ref" "$tree"
  fi
  # The same harness on both sides (see the top of this file).
  rm -rf "$tree/benches/netbench"
  cp -a "$tmp/harness/." "$tree/"
  mkdir -p "$bindir"
  log "$name: building $2 in $tree"
  (
    cd "$tree"
    export CARGO_TARGET_DIR=$cdir/build
    cargo build -q --release --example switch_loop >&2
    cp "$CARGO_TARGET_DIR/release/examples/switch_loop" "$bindir/.switch_loop.tmp"
    mv "$bindir/.switch_loop.tmp" "$bindir/switch_loop"
    if [ $netbench = 1 ]; then
      cargo build -q --release -p netbench >&2
      cp "$CARGO_TARGET_DIR/release/netbench" "$bindir/.netbench.tmp"
      mv "$bindir/.netbench.tmp" "$bindir/netbench"
    fi
  )
  printf 'spec: %s\nsource: %s %s\nharness: %s (%s)\nbuilt: %s\n%s\n' "$2" "$kind" "$ref" "$harness" \
    "$hhash" "$(date -Is)" "$(rustc -V)" >"$bindir/info"
  built=$bindir
}
build_side base "$base_spec"; base_bin=$built
build_side new "$new_spec"; new_bin=$built
t_build=$((SECONDS - t0))

echo "base: $base_spec ($(resolve "$base_spec"))"
echo "new:  $new_spec ($(resolve "$new_spec"))"
echo "harness: $harness; binaries: $base_bin, $new_bin"
[ "$base_bin" = "$new_bin" ] && echo "(same source on both sides: both columns run the same binaries)"

t1=$SECONDS
if [ $callgrind = 1 ]; then
  echo
  echo "callgrind: instructions per operation (echo, echo8: per request)"
  # shellcheck disable=SC2086 # modes is a word list
  "$here/callgrind.sh" --bin "$base_bin/switch_loop" --bin "$new_bin/switch_loop" $modes
fi
t_callgrind=$((SECONDS - t1))

t2=$SECONDS
if [ $netbench = 1 ]; then
  sys_tmp=$tmp/netbench
  mkdir -p "$sys_tmp"
  # One run -> "cpu_us_per_req requests_per_s" from netbench's SimpleServer table.
  nb_run() { # name binary run
    local out=$sys_tmp/$1-$3
    # shellcheck disable=SC2086 # nbargs is a word list
    "$2" simple --server fiberio --conns "$conns" --out "$out" $nbargs >"$out.md" 2>"$out.err" ||
      { log "netbench ($1, run $3) failed:"; cat "$out.err" >&2; return 1; }
    awk -F'|' -v conns="$conns" '
      function trim(s) { gsub(/[ ,]/, "", s); return s }
      /^\| server \| conns \|/ && !hdr { for (i = 1; i <= NF; i++) col[trim($i)] = i; hdr = 1; next }
      hdr && trim($2) == "fiberio" && trim($3) == conns {
        print trim($(col["serverCPUµs/req"])), trim($(col["requests/s"])); found = 1; exit
      }
      END { if (!found) exit 1 }' "$out.md" ||
      { log "no fiberio $conns-connection row in $out.md"; return 1; }
  }
  echo
  echo "netbench: fiberio server at $conns connections, server CPU µs/request (getrusage), $runs runs per side"
  printf '%-4s %-5s %12s %12s %10s\n' run side 'CPU µs/req' 'requests/s' 'load avg'
  : >"$sys_tmp/base.cpu"; : >"$sys_tmp/new.cpu"; : >"$sys_tmp/pair.ratio"
  for ((i = 1; i <= runs; i++)); do
    if ((i % 2)); then order="base new"; else order="new base"; fi
    for side in $order; do
      if [ $side = base ]; then b=$base_bin; else b=$new_bin; fi
      r=$(nb_run $side "$b/netbench" $i)
      read -r cpu rps <<<"$r"
      echo "$cpu" >>"$sys_tmp/$side.cpu"
      declare "cpu_$side=$cpu"
      printf '%-4s %-5s %12s %12s %10s\n' $i $side "$cpu" "$rps" "$(cut -d' ' -f1 /proc/loadavg)"
    done
    echo "$cpu_new / $cpu_base" | bc -l >>"$sys_tmp/pair.ratio"
  done
  stats() { # file -> "median min max"
    sort -g "$1" | awk '{ v[NR] = $1 } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
  }
  r=$(stats "$sys_tmp/base.cpu"); read -r bm bmin bmax <<<"$r"
  r=$(stats "$sys_tmp/new.cpu"); read -r nm nmin nmax <<<"$r"
  echo
  printf '%-6s %10s %18s %8s\n' side median 'min-max' spread
  printf '%-6s %10.3f %18s %7.1f%%\n' base "$bm" "$bmin-$bmax" "$(echo "100 * ($bmax - $bmin) / $bm" | bc -l)"
  printf '%-6s %10.3f %18s %7.1f%%\n' new "$nm" "$nmin-$nmax" "$(echo "100 * ($nmax - $nmin) / $nm" | bc -l)"
  printf 'ratio of medians (new/base): %.3f\n' "$(echo "$nm / $bm" | bc -l)"
  r=$(stats "$sys_tmp/pair.ratio"); read -r pm pmin pmax <<<"$r"
  printf 'ratio within each run pair (back to back): median %.3f, min %.3f, max %.3f\n' "$pm" "$pmin" "$pmax"
  echo "(the load average column: other work on the machine; timings are only as quiet as it is)"
fi
t_netbench=$((SECONDS - t2))
echo
echo "time: build ${t_build} s, callgrind ${t_callgrind} s, netbench ${t_netbench} s, total $((SECONDS - t0)) s"
