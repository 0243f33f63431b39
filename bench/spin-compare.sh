#!/bin/bash
# spin-compare.sh [N...]: daxsim against SPIN on the scaled aops-swap race, back
# to back on this machine: for each N (default 4 5), SPIN 6.5.2 on its Promela
# model (../shared/bench/spin/run.sh N fixed: exhaustive, DFS, partial-order
# reduction on) and 'daxsim check' on the same workload
# (../shared/bench/perf-scenario.sh N flip-dontcache: every state, symmetry on),
# each timed whole with /usr/bin/time (wall seconds, peak RSS). Installs spin,
# gcc and time with apt-get when they are missing (as root).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../shared}
if [ ! -d "$shared/bench" ]; then
  echo "spin-compare: $shared/bench not found (set SHARED=path/to/shared)" >&2
  exit 2
fi
need=""
command -v spin >/dev/null || need="$need spin"
command -v gcc >/dev/null || need="$need gcc"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then echo "spin-compare: needs$need (run as root to install)" >&2; exit 2; fi
  apt-get update -qq && apt-get install -y -qq $need >/dev/null
fi
cd "$here/.." && go build -o bin/daxsim ./cmd/daxsim
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-3s %-8s %12s %10s %12s  %s\n' N tool "wall s" "peak MB" states verdict
for n in "${@:-4 5}"; do
  for n1 in $n; do
    bash "$shared/bench/perf-scenario.sh" "$n1" flip-dontcache >"$tmp/p.scn"
    /usr/bin/time -f '%e %M' -o "$tmp/t" ./bin/daxsim check -workers "$(nproc)" "$tmp/p.scn" >"$tmp/out" || true
    read -r wall kb <"$tmp/t"
    states=$(sed -n 's/.*exhaustive: \([0-9]*\) states.*/\1/p' "$tmp/out")
    verdict=$(awk '$1=="aops-consistent"{print $2}' "$tmp/out")
    printf '%-3s %-8s %12s %10d %12s  %s\n' "$n1" daxsim "$wall" $((kb / 1024)) "$states" "$verdict"
    bash "$shared/bench/spin/run.sh" "$n1" fixed >"$tmp/spin" 2>&1 || true
    swall=$(sed -n 's/^wall \([0-9.]*\) s.*/\1/p' "$tmp/spin")
    skb=$(sed -n 's/.*max RSS \([0-9]*\) KB.*/\1/p' "$tmp/spin")
    sstates=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$tmp/spin" | head -1)
    serr=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$tmp/spin" | head -1)
    printf '%-3s %-8s %12s %10d %12s  %s\n' "$n1" spin "$swall" $((${skb:-0} / 1024)) "$sstates" "errors: ${serr:-?}"
  done
done
