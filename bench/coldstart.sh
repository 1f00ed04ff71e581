#!/bin/bash
# Cold start, side by side in one hyperfine run: rtc writing the whole reference bundle, against
# Debian's virt-install printing only the real-time VM's domain XML (test driver, same CPUs,
# memory and pins), and a bare JVM. Needs hyperfine and virtinst (apt-get install hyperfine virtinst).
#   bench/coldstart.sh [RUNS]   (default 20)
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/rtc" --version >/dev/null # build and train the class-data archive outside the measurement
cat >"$work/Hello.java" <<'JAVA'
public class Hello { public static void main(String[] a) { System.out.println("hello"); } }
JAVA
javac -d "$work" "$work/Hello.java"
cputune='vcpupin0.vcpu=0,vcpupin0.cpuset=4,vcpupin1.vcpu=1,vcpupin1.cpuset=6,vcpupin2.vcpu=2,vcpupin2.cpuset=8'
cputune+=',vcpupin3.vcpu=3,vcpupin3.cpuset=10,vcpupin4.vcpu=4,vcpupin4.cpuset=12,vcpupin5.vcpu=5,vcpupin5.cpuset=14'
cputune+=',vcpupin6.vcpu=6,vcpupin6.cpuset=16,vcpupin7.vcpu=7,vcpupin7.cpuset=18,emulatorpin.cpuset=56-62:2'
virt_install="virt-install --connect test:///default --print-xml --name debian12-rt --memory 8192 --vcpus 8"
virt_install+=" --cpu host-passthrough --cputune $cputune --numatune 0,mode=strict --memorybacking locked=on,nosharepages=on"
virt_install+=" --disk none --network none --graphics none --import --noautoconsole --osinfo detect=off,name=debian11"
hyperfine -N -w 3 -r "$runs" --export-markdown "$work/table.md" --export-json "$work/runs.json" \
  -n "rtc compile (whole bundle)" "$here/rtc compile $here/examples/eci-reference.yaml -o $work/out" \
  -n "virt-install --print-xml (one domain XML)" "$virt_install" \
  -n "java Hello (bare JVM)" "java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $work Hello"
cat "$work/table.md"
# Medians (hyperfine's mean is pulled by the slow tail of a busy machine) and the ratio the issue asks for.
jq -r '.results as $r | ($r[0].median * 1000) as $rtc | ($r[1].median * 1000) as $vi | ($r[2].median * 1000) as $jvm
  | "median: rtc \($rtc | floor) ms, virt-install \($vi | floor) ms, bare JVM \($jvm | floor) ms; rtc / virt-install = \(($rtc / $vi * 100 | floor) / 100)"' "$work/runs.json"
