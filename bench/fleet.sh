#!/bin/bash
# Fleet throughput: N copies of the shipped example (distinct names) compiled by one rtc process
# (the installed launcher, see bench/dist.sh) into N bundles, RUNS times, on a disk and on tmpfs.
# Prints, per file system, as medians over the runs:
#   - manifests per second for the whole process, JVM start-up included (what a pipeline waits for);
#   - the warm rate: bundles finished in the second half of the run per second of it, read from
#     the bundles' own timestamps (what a long fleet settles at, once start-up and the JIT's
#     warm-up are behind it);
#   - CPU time per manifest (user + system): steadier than the wall clock on a shared machine;
#   - the peak resident set size.
# Issue 17's targets: >= 500 manifests/s on a disk, >= 1000/s on tmpfs, peak RSS <= 256 MiB.
#
# Each run writes into a folder of its own, and the runs' bundles are removed only at the end. On
# an ext4 without a journal (this project's CI machines), the inode allocator passes over every
# inode freed in the last half minute, reading its inode block to check (recently_deleted): after
# removing 1000 bundles (32,000 inodes) the next 1000 took 10 s of system time instead of 1.4 s.
# A pipeline that replaces its bundles every few minutes never meets that; a benchmark that
# removes them between runs measures nothing else.
#   bench/fleet.sh [N] [RUNS] [DISK_DIR]   (default 1000 manifests, 5 runs, the disk of /var/tmp)
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000}
runs=${2:-5}
disk=$(mktemp -d "${3:-/var/tmp}/rtc-fleet.XXXXXX")
shm=$(mktemp -d /dev/shm/rtc-fleet.XXXXXX)
work=$(mktemp -d)
trap 'rm -rf "$work" "$disk" "$shm"' EXIT
# shellcheck source=bench/dist.sh
. "$here/bench/dist.sh"
mkdir "$work/hosts"
for i in $(seq -w 1 "$n"); do
  sed "s/^name: eci-reference/name: line-$i/" "$here/examples/eci-reference.yaml" >"$work/hosts/line-$i.yaml"
done
measure() { # measure FOLDER LABEL [replace]: with replace, every run replaces the bundles of the first
  local dir=$1 label=$2 mode=${3:-new} run out start end bundles rss user sys
  : >"$work/runs"
  for run in $(seq "$runs"); do
    [ -d "$dir/hosts-$run" ] || cp -r "$work/hosts" "$dir/hosts-$run" # the manifests on the same file system as the bundles
    out=$dir/out-$run
    [ "$mode" = new ] || out=$dir/out-1
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$work/rss" "$rtc" compile "$dir/hosts-$run" -o "$out" >/dev/null
    end=$(date +%s.%N)
    bundles=$(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l)
    [ "$bundles" -eq "$n" ] || { echo "fleet: run $run wrote $bundles bundles, not $n" >&2; exit 1; }
    read -r rss user sys <"$work/rss"
    # Each bundle's marker is the last file written when it was staged: its time is the bundle's.
    find "$out" -mindepth 2 -maxdepth 2 -name .rtc-bundle -printf '%T@\n' | sort -n >"$work/done"
    awk -v s="$start" -v e="$end" -v n="$n" -v rss="$rss" -v cpu="$user $sys" '
      { t[NR] = $1 }
      END {
        split(cpu, c, " ")
        h = int(NR / 2)
        printf "%.4f %.4f %.4f %.2f %.0f\n", e - s, n / (e - s), (NR - h) / (t[NR] - t[h]), 1000 * (c[1] + c[2]) / n, rss / 1024
      }' "$work/done" >>"$work/runs"
  done
  # Columns: seconds, whole-run rate, warm rate, CPU ms per manifest, peak RSS MiB.
  awk -v n="$n" -v runs="$runs" -v cpus="$(nproc)" -v label="$label" '
    function median(col,   i, j, k, v, tmp) {
      for (i = 1; i <= NR; i++) v[i] = x[i, col]
      for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
      k = int((NR + 1) / 2)
      return NR % 2 ? v[k] : (v[k] + v[k + 1]) / 2
    }
    { for (i = 1; i <= NF; i++) x[NR, i] = $i; if ($5 > peak) peak = $5 }
    END {
      printf "fleet on %s: %d manifests in one process on %d CPUs, median of %d runs:\n", label, n, cpus, runs
      printf "  whole run, JVM start-up included: %.2f s, %.0f manifests/s\n", median(1), median(2)
      printf "  warm (second half of each run):   %.0f manifests/s\n", median(3)
      printf "  CPU: %.2f ms per manifest; peak RSS %.0f MiB (largest of the runs)\n", median(4), peak
    }' "$work/runs"
}
measure "$disk" "disk ($(df --output=fstype "$disk" | tail -1 | tr -d ' ') at $(df --output=target "$disk" | tail -1))"
measure "$shm" "tmpfs (/dev/shm)"
# A pipeline's next compile: each run replaces the N bundles the first run wrote (the old ones
# deleted, what in them was not rtc's carried over). On tmpfs only: on the journal-less disk the
# runs, seconds apart, would meet the inodes the one before freed (see above).
measure "$shm" "tmpfs (/dev/shm), replacing the bundles of the run before" replace
