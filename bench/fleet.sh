#!/bin/bash
# Fleet throughput: N copies of the shipped example (distinct names) compiled by one ./rtc process
# into N bundles, RUNS times. Prints, as medians over the runs:
#   - manifests per second for the whole process, JVM start-up included (what a pipeline waits for);
#   - the warm rate: bundles finished in the second half of the run per second of it, read from
#     the bundles' own timestamps (what a long fleet settles at, once start-up and the JIT's
#     warm-up are behind it);
#   - CPU time per manifest (user + system): steadier than the wall clock on a shared machine;
#   - the peak resident set size.
#   bench/fleet.sh [N] [RUNS]                  (default 1000 manifests, 5 runs; on the disk of $TMPDIR or /tmp)
#   TMPDIR=/dev/shm bench/fleet.sh [N] [RUNS]  (on tmpfs: rtc's own cost, without the disk's)
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/hosts"
for i in $(seq -w 1 "$n"); do
  sed "s/^name: eci-reference/name: line-$i/" "$here/examples/eci-reference.yaml" >"$work/hosts/line-$i.yaml"
done
"$here/rtc" --version >/dev/null # build and train the class-data archive outside the measurement
for run in $(seq "$runs"); do
  rm -rf "$work/out"
  start=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$work/rss" "$here/rtc" compile "$work/hosts" -o "$work/out" >/dev/null
  end=$(date +%s.%N)
  bundles=$(find "$work/out" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ "$bundles" -eq "$n" ] || { echo "fleet: run $run wrote $bundles bundles, not $n" >&2; exit 1; }
  read -r rss user sys <"$work/rss"
  # Each bundle's marker is the last file written when it was staged: its time is the bundle's.
  find "$work/out" -mindepth 2 -maxdepth 2 -name .rtc-bundle -printf '%T@\n' | sort -n >"$work/done"
  awk -v s="$start" -v e="$end" -v n="$n" -v rss="$rss" -v cpu="$user $sys" '
    { t[NR] = $1 }
    END {
      split(cpu, c, " ")
      h = int(NR / 2)
      printf "%.4f %.4f %.4f %.1f %.0f\n", e - s, n / (e - s), (NR - h) / (t[NR] - t[h]), 1000 * (c[1] + c[2]) / n, rss / 1024
    }' "$work/done" >>"$work/runs"
done
# Columns: seconds, whole-run rate, warm rate, CPU ms per manifest, peak RSS MiB.
awk -v n="$n" -v runs="$runs" -v cpus="$(nproc)" '
  function median(col,   i, j, k, v, tmp) {
    for (i = 1; i <= NR; i++) v[i] = x[i, col]
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
    k = int((NR + 1) / 2)
    return NR % 2 ? v[k] : (v[k] + v[k + 1]) / 2
  }
  { for (i = 1; i <= NF; i++) x[NR, i] = $i; if ($5 > peak) peak = $5 }
  END {
    printf "fleet: %d manifests in one process on %d CPUs, median of %d runs:\n", n, cpus, runs
    printf "  whole run, JVM start-up included: %.2f s, %.0f manifests/s\n", median(1), median(2)
    printf "  warm (second half of each run):   %.0f manifests/s\n", median(3)
    printf "  CPU: %.2f ms per manifest; peak RSS %.0f MiB (largest of the runs)\n", median(4), peak
  }' "$work/runs"
