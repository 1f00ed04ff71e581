#!/bin/bash
# Cold start, side by side in one hyperfine run, through the installed launcher (bin/rtc of the
# distribution tarball, with its class-data archive; see bench/dist.sh):
#   - rtc writing the whole reference bundle, against Debian's virt-install printing only the
#     real-time VM's domain XML (test driver, same CPUs, memory and pins), as the guide runs it;
#   - rtc --help, --version and the completion script, against a bare JVM hello-world.
# Prints hyperfine's table, then the medians and the ratios issue 17 sets targets for
# (rtc compile <= 0.5x virt-install; help, version, completion <= 2x the bare JVM).
# Needs hyperfine, virtinst and jq (apt-get install hyperfine virtinst jq).
#   bench/coldstart.sh [RUNS]   (default 20)
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/dist.sh
. "$here/bench/dist.sh"
example=$(ls -d "$work"/rtc-*/share/rtc/examples)/eci-reference.yaml
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
  -n "rtc compile (whole bundle)" "$rtc compile $example -o $work/out" \
  -n "virt-install --print-xml (one domain XML)" "$virt_install" \
  -n "rtc --help" "$rtc --help" \
  -n "rtc --version" "$rtc --version" \
  -n "rtc completion" "$rtc completion" \
  -n "java Hello (bare JVM)" "java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $work Hello"
cat "$work/table.md"
# Medians (hyperfine's mean is pulled by the slow tail of a busy machine) and the ratios.
jq -r '.results | map({key: .command, value: (.median * 1000)}) | from_entries as $m
  | def r($a; $b): ($m[$a] / $m[$b] * 100 | floor) / 100;
  def ms($a): ($m[$a] | floor | tostring) + " ms";
  "median: rtc compile \(ms("rtc compile (whole bundle)")), virt-install \(ms("virt-install --print-xml (one domain XML)")), bare JVM \(ms("java Hello (bare JVM)"))",
  "rtc compile / virt-install = \(r("rtc compile (whole bundle)"; "virt-install --print-xml (one domain XML)"))   (target 0.5)",
  "rtc --help / bare JVM = \(r("rtc --help"; "java Hello (bare JVM)")), --version \(r("rtc --version"; "java Hello (bare JVM)")), completion \(r("rtc completion"; "java Hello (bare JVM)"))   (target 2)"' "$work/runs.json"
