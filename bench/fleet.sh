#!/bin/bash
# Fleet throughput: N copies of the shipped example (distinct names) compiled by one ./rtc
# process into N bundles. Prints manifests per second and the peak resident set size.
#   bench/fleet.sh [N]                      (default 1000; on the disk of $TMPDIR or /tmp)
#   TMPDIR=/dev/shm bench/fleet.sh [N]      (on tmpfs: rtc's own cost, without the disk's)
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/hosts"
for i in $(seq -w 1 "$n"); do
  sed "s/^name: eci-reference/name: line-$i/" "$here/examples/eci-reference.yaml" >"$work/hosts/line-$i.yaml"
done
"$here/rtc" --version >/dev/null # build and train the class-data archive outside the measurement
start=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$work/rss" "$here/rtc" compile "$work/hosts" -o "$work/out" >/dev/null
end=$(date +%s.%N)
bundles=$(find "$work/out" -mindepth 1 -maxdepth 1 -type d | wc -l)
# CPU time as well as wall time: on a shared virtual machine the wall clock wanders with other guests'
# load, the CPU seconds a manifest costs much less.
read -r rss user sys <"$work/rss"
awk -v n="$n" -v b="$bundles" -v s="$start" -v e="$end" -v rss="$rss" -v cpu="$(echo "$user + $sys" | bc)" -v cpus="$(nproc)" 'BEGIN {
  t = e - s
  printf "fleet: %d manifests -> %d bundles in %.2f s on %d CPUs: %.0f manifests/s, peak RSS %.0f MiB\n", n, b, t, cpus, n / t, rss / 1024
  printf "       %.2f CPU s in all, %.2f ms of CPU per manifest: %.0f manifests/s per fully used CPU\n", cpu, 1000 * cpu / n, n / cpu
}'
