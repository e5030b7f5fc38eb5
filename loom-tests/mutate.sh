#!/usr/bin/env bash
# The mutation run: applies each realistic single-point bug of
# loom-tests/mutants/*.patch to the production protocol code, one at a
# time, runs the loom suite on it (the models only: the `broken_*` tests,
# which switch on planted defects, are skipped), and prints a table and
# the kill ratio. A mutant is killed when a model fails on it.
#
#   loom-tests/mutate.sh                 # every mutant
#   loom-tests/mutate.sh park- sync-03   # mutants whose file name contains a word
#
# Each patch file starts with comment lines: `# what: <the bug>`, and for a
# mutant no model can catch, `# equivalent: <why it changes no behaviour>`;
# equivalent mutants are run and listed but left out of the ratio. Runs in
# a git worktree of HEAD under target/mutate/ (your working tree is never
# touched; commit what you want measured). On demand, not in CI: about
# 20-60 s per mutant once the first build is done.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
per_mutant_timeout=${MUTATE_TIMEOUT:-600}

mutants=()
for f in loom-tests/mutants/*.patch; do
  if [ $# -eq 0 ]; then mutants+=("$f"); continue; fi
  for word in "$@"; do
    case "$(basename "$f")" in *"$word"*) mutants+=("$f"); break ;; esac
  done
done
[ ${#mutants[@]} -gt 0 ] || { echo "mutate.sh: no mutant matches: $*" >&2; exit 2; }

work="$root/target/mutate"
tree="$work/tree"
mkdir -p "$work"
if [ -d "$tree" ]; then git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; fi
git worktree prune
git worktree add --detach "$tree" HEAD >/dev/null
cleanup() { cd "$root"; git worktree remove --force "$tree" >/dev/null 2>&1 || true; }
trap cleanup EXIT

export RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR="$work/target" CARGO_TERM_COLOR=never
suite() { # -> exit status of the loom suite (models only)
  (cd "$tree" && timeout "$per_mutant_timeout" cargo test -q -p loom-tests --release -- --skip broken_ --test-threads=1)
}

echo "mutate.sh: baseline (HEAD unmutated) must pass first..." >&2
if ! suite >"$work/baseline.log" 2>&1; then
  echo "mutate.sh: the loom suite fails without any mutant; see $work/baseline.log" >&2
  exit 1
fi

killed=0; survived=0; equivalent=0; invalid=0
rows=()
for f in "${mutants[@]}"; do
  name=$(basename "$f" .patch)
  what=$(sed -n 's/^# what: //p' "$f" | head -n 1)
  equiv=$(sed -n 's/^# equivalent: //p' "$f" | head -n 1)
  log="$work/$name.log"
  if ! (cd "$tree" && git apply --check "$root/$f") 2>"$log"; then
    result="does not apply"; invalid=$((invalid + 1))
  else
    (cd "$tree" && git apply "$root/$f")
    start=$(date +%s)
    if ! (cd "$tree" && cargo build -q -p loom-tests --release --tests) >>"$log" 2>&1; then
      result="does not compile"; invalid=$((invalid + 1))
    elif suite >>"$log" 2>&1; then
      if [ -n "$equiv" ]; then result="equivalent (survives)"; equivalent=$((equivalent + 1))
      else result="SURVIVED"; survived=$((survived + 1)); fi
    else
      failed=$(grep -E '^test .* FAILED$|^    [a-z_0-9]+$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/; s/^ +//' | sort -u | head -n 3 | paste -sd, -)
      if [ -n "$equiv" ]; then result="killed, though marked equivalent ($failed)"; else result="killed ($failed)"; fi
      killed=$((killed + 1))
    fi
    result="$result, $(( $(date +%s) - start )) s"
    (cd "$tree" && git apply -R "$root/$f")
  fi
  rows+=("| $name | ${what:-?}${equiv:+ — equivalent: $equiv} | $result |")
  echo "$name: $result" >&2
done

echo
echo "| mutant | the bug | result |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
counted=$((killed + survived))
echo
if [ "$counted" -gt 0 ]; then
  ratio=$(awk -v k="$killed" -v c="$counted" 'BEGIN { printf "%.1f", 100 * k / c }')
  echo "killed $killed of $counted non-equivalent mutants: $ratio % (equivalent: $equivalent, did not apply or compile: $invalid)"
else
  echo "no mutant ran (equivalent: $equivalent, did not apply or compile: $invalid)"
fi
