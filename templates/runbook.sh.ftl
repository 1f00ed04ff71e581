#!/bin/bash
# [=header?no_esc]
#
# Provisions, verifies and benchmarks the real-time KVM deployment "[=bundle]" on its host.
# Run as root from the bundle folder. Steps, in order (README.md says what each one changes):
#
#   ./runbook.sh preflight    check this host is the one the manifest describes (changes nothing)
#   ./runbook.sh host         install kernel arguments and the resctrl unit; then reboot
#   ./runbook.sh all          after the reboot: check-host, images, vms, verify, stress, bench, report
#   ./runbook.sh report       collect results/ (and results-<bundle>.tar.gz) to send for review
#   ./runbook.sh rollback     undo: VMs undefined, kernel arguments and resctrl unit removed
#   ./runbook.sh facts        record this host's topology in results/host/facts.txt, for rtc probe
#
# Each step can also run on its own, and every step is safe to run again.
# Options: --dry-run prints the commands that change the host instead of running them;
#          --duration 10m runs the benchmark for that long instead of the plan's duration.
set -Eeuo pipefail

# ---- The plan (generated; every value below comes from the manifest via rtc) ----------------
BUNDLE=[=bundle]
EXPECTED_CPUS=[=cpuList]
EXPECTED_THREADS_PER_CORE=[=threadsPerCore]
EXPECTED_L3_SIZE=[=l3Size]
EXPECTED_L2_SIZE=[=l2Size]
# Hybrid parts: the kernel lists P-cores in cpu_core, E-cores (low-power ones too) in cpu_atom.
EXPECTED_P_CORES=[=pCores]
EXPECTED_E_CORES=[=eCores]
declare -A EXPECTED_NODE_CPUS=(<#list nodes as n>[[=n.id]]=[=n.cpus]<#sep> </#list>)
HOST_ARGS=(<#list hostArgs as a>[=a]<#sep> </#list>)
<#if grubby>
HOST_ARG_KEYS=(<#list hostArgKeys as k>[=k]<#sep> </#list>)
<#else>
GRUB_UPDATE=(<#list grubUpdate as w>[=w]<#sep> </#list>)
</#if>
<#if resctrl??>
RESCTRL_INFO=[=resctrl.info]
# The default group's lines: one per resource (L3, or L3CODE and L3DATA with CDP).
RESCTRL_DEFAULT=(<#list resctrl.defaultLines as l>[=l]<#sep> </#list>)
EXPECTED_CBM_MASK=[=resctrl.cbmMask]
EXPECTED_MIN_CBM_BITS=[=resctrl.minCbmBits]
EXPECTED_NUM_CLOSIDS=[=resctrl.closids]
# rtc's own groups (host.cacheOwner: resctrl), made at boot by rtc-resctrl.service; none when libvirt makes them.
RESCTRL_GROUPS=(<#list resctrl.groups as g>[=g.name]<#sep> </#list>)
declare -A RESCTRL_GROUP_CPUS=(<#list resctrl.groups as g>[[=g.name]]=[=g.cpus]<#sep> </#list>)
declare -A VM_GROUP=(<#list resctrl.groups as g>[[=g.vm]]=[=g.name]<#sep> </#list>)
<#else>
RESCTRL_DEFAULT=()
RESCTRL_GROUPS=()
declare -A VM_GROUP=()
</#if>
VMS=(<#list vms as vm>[=vm.name]<#sep> </#list>)
declare -A VM_ROLE=(<#list vms as vm>[[=vm.name]]=[=vm.role]<#sep> </#list>)
declare -A VM_PINS=(<#list vms as vm>[[=vm.name]]=[=vm.pins]<#sep> </#list>)
declare -A VM_EMULATOR=(<#list vms as vm>[[=vm.name]]=[=vm.emulator]<#sep> </#list>)
declare -A VM_BASE_IMAGE=(<#list vms as vm>[[=vm.name]]=[=vm.baseImage]<#sep> </#list>)
declare -A VM_DISK_SIZE=(<#list vms as vm>[[=vm.name]]=[=vm.diskSize]<#sep> </#list>)
declare -A VM_RESCTRL=(<#list vms as vm>[[=vm.name]]=[=vm.resctrlLine]<#sep> </#list>)
declare -A VM_GUEST_ARGS=(<#list vms as vm>[[=vm.name]]=[=vm.guestArgs]<#sep> </#list>)
<#if bench??>
BENCH_VM=[=bench.vm]
BENCH_DURATION=[=bench.duration]
BENCH_SECONDS=[=bench.seconds]
BENCH_ARGS=(<#list bench.args as a>[=a]<#sep> </#list>)
BENCH_THREADS=[=bench.threads]
BENCH_BUCKETS=[=bench.buckets]
VERDICT_GREAT_US=[=bench.greatUs]
VERDICT_GOOD_US=[=bench.goodUs]
<#else>
BENCH_VM=
BENCH_THREADS=
</#if>
IMAGE_DIR=[=imageDir]
# ----------------------------------------------------------------------------------------------

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${RTC_ROOT:-}          # tests point this at a fake /proc and /sys
RESULTS=$HERE/results
DRY_RUN=0

say() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAIL: %s\n' "$*" >&2; exit 1; }

# run CMD...: runs a command that changes the host, or prints it under --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run:'
    printf ' %q' "$@"
    printf '\n'
  else
    printf '   +'
    printf ' %q' "$@"
    printf '\n'
    "$@"
  fi
}

need_root() {
  [ "$DRY_RUN" = 1 ] || [ "$(id -u)" = 0 ] || fail "run as root (sudo ./runbook.sh $1)"
}

need_commands() {
  local c missing=()
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ "${#missing[@]}" = 0 ] || fail "missing commands: ${missing[*]} (install them first; README.md lists the packages)"
}

# Compares one expected and one found value; prints a table row and remembers a mismatch.
MISMATCH=0
check_row() {
  local what=$1 expected=$2 found=$3 mark=ok
  [ "$expected" = "$found" ] || { mark=MISMATCH; MISMATCH=1; }
  printf '   %-34s %-22s %-22s %s\n' "$what" "$expected" "$found" "$mark"
}

read_file() { if [ -r "$ROOT$1" ]; then tr -d '\n' <"$ROOT$1"; else printf 'absent'; fi; }

# check_cpus WHAT EXPECTED FOUND: check_row for CPU lists, compared as sets (the kernel writes
# "4-5" where rtc writes "4,5").
check_cpus() {
  if [ "$(expand_cpus "$2")" = "$(expand_cpus "$3")" ]; then check_row "$1" "$2" "$2"; else check_row "$1" "$2" "$3"; fi
}

step_preflight() {
  need_root preflight
  say "preflight: is this the host the manifest describes?"
  need_commands virsh qemu-img jq
  command -v cloud-localds >/dev/null 2>&1 || command -v genisoimage >/dev/null 2>&1 \
    || fail "missing commands: cloud-localds or genisoimage (for the cloud-init seed images)"
  [ -e "$ROOT/dev/kvm" ] || fail "/dev/kvm is missing: enable VT-x in the BIOS and load kvm_intel"
  printf '   %-34s %-22s %-22s\n' "" "expected" "found"
  check_cpus "online CPUs" "$EXPECTED_CPUS" "$(read_file /sys/devices/system/cpu/online)"
  local node siblings
  for node in "${!EXPECTED_NODE_CPUS[@]}"; do
    check_cpus "NUMA node $node CPUs" "${EXPECTED_NODE_CPUS[$node]}" "$(read_file "/sys/devices/system/node/node$node/cpulist")"
  done
  siblings=$(expand_cpus "$(read_file /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)" | tr ',' '\n' | grep -c .)
  check_row "threads per core (SMT)" "$EXPECTED_THREADS_PER_CORE" "$siblings"
  if [ -n "$EXPECTED_L3_SIZE" ]; then
    check_row "L3 size per instance" "$EXPECTED_L3_SIZE" "$(read_file /sys/devices/system/cpu/cpu0/cache/index3/size)"
  fi
  if [ -n "$EXPECTED_L2_SIZE" ]; then
    check_row "L2 size per instance" "$EXPECTED_L2_SIZE" "$(read_file /sys/devices/system/cpu/cpu0/cache/index2/size)"
  fi
  if [ -n "$EXPECTED_P_CORES" ]; then
    check_cpus "P-core CPUs (cpu_core)" "$EXPECTED_P_CORES" "$(read_file /sys/devices/cpu_core/cpus)"
    check_cpus "E-core CPUs (cpu_atom)" "$EXPECTED_E_CORES" "$(read_file /sys/devices/cpu_atom/cpus)"
  fi
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    local info=/sys/fs/resctrl/info/$RESCTRL_INFO
    check_row "resctrl $RESCTRL_INFO (CAT) available" "yes" "$([ -d "$ROOT$info" ] && echo yes || echo no)"
    check_row "resctrl $RESCTRL_INFO cbm_mask" "$EXPECTED_CBM_MASK" "$(read_file "$info/cbm_mask" | sed 's/^0*//')"
    check_row "resctrl $RESCTRL_INFO min_cbm_bits" "$EXPECTED_MIN_CBM_BITS" "$(read_file "$info/min_cbm_bits")"
    check_row "resctrl $RESCTRL_INFO num_closids" "$EXPECTED_NUM_CLOSIDS" "$(read_file "$info/num_closids")"
  fi
  if [ "$MISMATCH" != 0 ]; then
    step_facts
    fail "this host differs from the manifest (table above); rtc probe $RESULTS/host/facts.txt writes its real topology block for the manifest; compile again"
  fi
  ok "host matches the manifest"
}

step_host() {
  need_root host
  say "host: kernel arguments and resctrl default group"
<#if grubby>
  # BLS boot entries: grubby sets the arguments in every installed kernel's entry, replacing
  # earlier values of the same keys, so running it again changes nothing.
  run grubby --update-kernel=ALL --args="${HOST_ARGS[*]}"
<#else>
  run install -D -m 0644 "$HERE/host/grub/99-rtc.cfg" /etc/default/grub.d/99-rtc.cfg
  run "${GRUB_UPDATE[@]}"
</#if>
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    run install -D -m 0644 "$HERE/host/resctrl/schemata" /etc/rtc/resctrl/schemata
    local g
    for g in "${RESCTRL_GROUPS[@]}"; do
      run install -D -m 0644 "$HERE/host/resctrl/$g/cpus_list" "/etc/rtc/resctrl/$g/cpus_list"
      run install -D -m 0644 "$HERE/host/resctrl/$g/schemata" "/etc/rtc/resctrl/$g/schemata"
    done
    run install -D -m 0644 "$HERE/host/systemd/rtc-resctrl.service" /etc/systemd/system/rtc-resctrl.service
    run systemctl daemon-reload
    run systemctl enable rtc-resctrl.service
  fi
  say "host: done. Reboot now (reboot), then run: ./runbook.sh all"
}

step_check_host() {
  say "check-host: did the reboot apply the plan?"
  local cmdline arg missing=()
  cmdline=" $(read_file /proc/cmdline) "
  for arg in "${HOST_ARGS[@]}"; do
    case "$cmdline" in *" $arg "*) ;; *) missing+=("$arg") ;; esac
  done
  [ "${#missing[@]}" = 0 ] || fail "/proc/cmdline lacks: ${missing[*]} (did the host step run, and did the host reboot?)"
  ok "/proc/cmdline carries all ${#HOST_ARGS[@]} planned arguments"
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    local found g
    found=$(schemata_differs "$ROOT/sys/fs/resctrl/schemata" "${RESCTRL_DEFAULT[@]}") \
      || fail "resctrl default group is '${found:-not mounted}', planned '${RESCTRL_DEFAULT[*]}' (systemctl status rtc-resctrl)"
    ok "resctrl default group: ${RESCTRL_DEFAULT[*]}"
    for g in "${RESCTRL_GROUPS[@]}"; do
      found=$(read_file "/sys/fs/resctrl/$g/cpus_list")
      [ "$(expand_cpus "$found")" = "$(expand_cpus "${RESCTRL_GROUP_CPUS[$g]}")" ] \
        || fail "resctrl group $g has CPUs '$found', planned ${RESCTRL_GROUP_CPUS[$g]} (systemctl status rtc-resctrl)"
      ok "resctrl group $g: CPUs ${RESCTRL_GROUP_CPUS[$g]}"
    done
  fi
}

# Kernels print masks with or without leading zeros; compare them as numbers.
normalize_schemata() {
  printf '%s' "$1" | sed -E 's/=0*([0-9a-fA-F])/=\1/g' | tr 'A-F' 'a-f'
}

# schemata_differs FILE LINE...: succeeds when FILE has every planned line (by resource, masks
# compared as numbers); otherwise fails, printing the lines FILE has for those resources.
schemata_differs() {
  local file=$1 line res found all=() ok=0
  shift
  for line in "$@"; do
    res=${line%%:*}
    found=$(grep -E "^ *$res:" "$file" 2>/dev/null | tr -d ' ' || true)
    [ -z "$found" ] || all+=("$found")
    [ "$(normalize_schemata "$found")" = "$(normalize_schemata "$line")" ] || ok=1
  done
  printf '%s' "${all[*]}"
  return "$ok"
}

step_images() {
  need_root images
  say "images: disks and cloud-init seeds"
  run install -d -m 0755 "$IMAGE_DIR"
  local vm disk seed
  for vm in "${VMS[@]}"; do
    disk=$IMAGE_DIR/$vm.qcow2
    seed=$IMAGE_DIR/$vm-seed.iso
    [ -r "${VM_BASE_IMAGE[$vm]}" ] || [ "$DRY_RUN" = 1 ] || fail "$vm: base image ${VM_BASE_IMAGE[$vm]} is missing (download the cloud image there)"
    if [ -e "$disk" ]; then
      ok "$vm: $disk exists, kept"
    else
      run qemu-img create -f qcow2 -F qcow2 -b "${VM_BASE_IMAGE[$vm]}" "$disk"
      run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
    fi
    if command -v cloud-localds >/dev/null 2>&1; then
      run cloud-localds "$seed" "$HERE/vms/$vm/user-data" "$HERE/vms/$vm/meta-data"
    else
      run genisoimage -quiet -output "$seed" -volid cidata -joliet -rock -graft-points \
        "user-data=$HERE/vms/$vm/user-data" "meta-data=$HERE/vms/$vm/meta-data"
    fi
  done
}

step_vms() {
  need_root vms
  say "vms: define and start, in the plan's order"
  local vm
  for vm in "${VMS[@]}"; do
    run virsh define "$HERE/vms/$vm/domain.xml"
    if [ "$DRY_RUN" = 0 ] && [ "$(virsh domstate "$vm" 2>/dev/null)" = running ]; then
      ok "$vm is running (restart it to apply a changed domain.xml)"
    else
      run virsh start "$vm"
    fi
  done
}

step_verify() {
  say "verify: pins and cache groups are the planned ones"
  local vm expected found i pins
  for vm in "${VMS[@]}"; do
    IFS=, read -r -a pins <<<"${VM_PINS[$vm]}"
    for i in "${!pins[@]}"; do
      # virsh prints a table: " VCPU   CPU Affinity", a rule, then " 0      4".
      found=$(virsh vcpupin "$vm" --vcpu "$i" --live | awk -v i="$i" '$1 == i && NF >= 2 { print $2 }')
      [ "$(expand_cpus "$found")" = "${pins[$i]}" ] || fail "$vm vCPU $i runs on CPU '${found}', planned ${pins[$i]}"
    done
    ok "$vm: vCPUs 0-$((${#pins[@]} - 1)) pinned to ${VM_PINS[$vm]}"
    # "emulator: CPU Affinity", a rule, then "       *: 56,58,60,62" (libvirt may write ranges).
    found=$(virsh emulatorpin "$vm" --live | awk -F: 'NF > 1 && $1 ~ /\*/ { gsub(/ /, "", $2); print $2 }')
    expected=${VM_EMULATOR[$vm]}
    [ "$(expand_cpus "$found")" = "$(expand_cpus "$expected")" ] || fail "$vm emulator threads on '$found', planned $expected"
    ok "$vm: emulator threads on $expected"
    if [ -n "${VM_RESCTRL[$vm]}" ]; then
      local group lines=()
      read -r -a lines <<<"${VM_RESCTRL[$vm]}"
      if [ "${#RESCTRL_GROUPS[@]}" -gt 0 ]; then
        group=$ROOT/sys/fs/resctrl/${VM_GROUP[$vm]}
      else
        # libvirt names its group qemu-<domid>-<name>-vcpus_<list>; the domain id changes at every start.
        group=$(find "$ROOT/sys/fs/resctrl" -maxdepth 1 -name "qemu-*-$vm-vcpus_*" -print -quit 2>/dev/null || true)
      fi
      found=$(schemata_differs "${group:-/nonexistent}/schemata" "${lines[@]}") \
        || fail "$vm cache group is '${found:-missing}', planned '${VM_RESCTRL[$vm]}'"
      ok "$vm: cache group ${VM_RESCTRL[$vm]}"
    fi
    if [ -n "${VM_GUEST_ARGS[$vm]}" ] && [ "$DRY_RUN" = 0 ]; then
      found=$(guest_run "$vm" 60 cat /proc/cmdline)
      for expected in ${VM_GUEST_ARGS[$vm]}; do
        case " $found " in *" $expected "*) ;; *) fail "$vm guest /proc/cmdline lacks $expected (has cloud-init finished?)" ;; esac
      done
      ok "$vm: guest kernel arguments present"
    fi
  done
}

# expand_cpus LIST: a cpulist as comma-separated CPUs ("4-6,9" -> "4,5,6,9"), to compare sets
# however libvirt or the kernel chose to write them.
expand_cpus() {
  local part i out=() parts=()
  IFS=, read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then
      for ((i = ${part%-*}; i <= ${part#*-}; i++)); do out+=("$i"); done
    else
      out+=("$part")
    fi
  done
  local IFS=,
  echo "${out[*]}"
}

# guest_run VM TIMEOUT_SECONDS CMD...: runs CMD in the guest through the QEMU guest agent and
# prints its standard output; fails when it exits non-zero or outlives the timeout.
guest_run() {
  local vm=$1 timeout=$2 request pid status deadline
  shift 2
  request=$(jq -nc --arg path "$1" '$ARGS.positional as $a | {execute: "guest-exec", arguments: {path: $path, arg: $a, "capture-output": true}}' --args "${@:2}")
  pid=$(virsh qemu-agent-command "$vm" "$request" | jq -r '.return.pid')
  deadline=$((SECONDS + timeout))
  while :; do
    status=$(virsh qemu-agent-command "$vm" "$(jq -nc --argjson pid "$pid" '{execute: "guest-exec-status", arguments: {pid: $pid}}')")
    if [ "$(jq -r '.return.exited' <<<"$status")" = true ]; then
      jq -r '.return["out-data"] // ""' <<<"$status" | base64 -d
      [ "$(jq -r '.return.exitcode' <<<"$status")" = 0 ] || return 1
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "guest command timed out in $vm: $*" >&2; return 1; }
    sleep 5
  done
}

step_stress() {
  say "stress: start the stressor workloads"
  local vm
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = stressor ] || continue
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would run in %s: %s\n' "$vm" "systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress"
    else
      guest_run "$vm" 60 /bin/sh -c 'systemctl is-active -q rtc-stress || systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress' >/dev/null
      ok "$vm: workload running (unit rtc-stress in the guest)"
    fi
  done
}

step_bench() {
  [ -n "$BENCH_VM" ] || { say "bench: the manifest has no benchmark"; return 0; }
  say "bench: cyclictest in $BENCH_VM for $BENCH_DURATION while the stressors run"
  mkdir -p "$RESULTS"
  # timeout interrupts a cyclictest that outlives its duration, then kills it a minute later.
  # -h: a 1 µs histogram (percentiles, overflows); --json: the same for machines (rtc report).
  local json=/var/tmp/rtc-cyclictest.json
  local cmd=(/usr/bin/timeout --signal=INT --kill-after=60 "$((BENCH_SECONDS + 120))" cyclictest "${BENCH_ARGS[@]}"
    -D "$BENCH_DURATION" -h "$BENCH_BUCKETS" --json="$json")
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run in %s:' "$BENCH_VM"
    printf ' %q' "${cmd[@]}"
    printf '\n'
    return 0
  fi
  guest_run "$BENCH_VM" "$((BENCH_SECONDS + 300))" "${cmd[@]}" >"$RESULTS/cyclictest.txt" \
    || fail "cyclictest failed in $BENCH_VM; output so far in $RESULTS/cyclictest.txt"
  guest_run "$BENCH_VM" 60 cat "$json" >"$RESULTS/cyclictest.json" \
    || say "bench: no JSON output from cyclictest (the histogram in cyclictest.txt is enough for the verdict)"
  judge "$RESULTS/cyclictest.txt"
  say "bench: for percentiles and charts, run on any machine with rtc: rtc report $HERE"
}

step_report() {
  say "report: collect the run's evidence into results/"
  mkdir -p "$RESULTS/host" "$RESULTS/vms"
  read_file /proc/cmdline >"$RESULTS/host/cmdline.txt"
  echo >>"$RESULTS/host/cmdline.txt"
  if [ -r "$ROOT/sys/fs/resctrl/schemata" ]; then
    local group
    for group in "$ROOT"/sys/fs/resctrl "$ROOT"/sys/fs/resctrl/*/; do
      [ -r "$group/schemata" ] || continue
      { echo "# ${group#"$ROOT"}"; cat "$group/schemata"; } >>"$RESULTS/host/resctrl.txt"
    done
  fi
  if command -v lscpu >/dev/null 2>&1; then lscpu >"$RESULTS/host/lscpu.txt" || true; fi
  step_facts
  local vm
  for vm in "${VMS[@]}"; do
    virsh dumpxml "$vm" >"$RESULTS/vms/$vm.xml" 2>/dev/null || echo "(not defined)" >"$RESULTS/vms/$vm.xml"
  done
  local sums
  sums=$(cd "$RESULTS" && find . -type f ! -name SHA256SUMS ! -name runbook.log -print0 | sort -z | xargs -0 sha256sum)
  printf '%s\n' "$sums" >"$RESULTS/SHA256SUMS"
  tar -czf "$HERE/results-$BUNDLE.tar.gz" -C "$HERE" plan.json results
  ok "results/ holds the host's command line, resctrl groups, CPU list, the VMs' live XML and the benchmark output"
  say "report: send $HERE/results-$BUNDLE.tar.gz to whoever asked for this run. On any machine with rtc, unpack it beside"
  say "        the bundle and run: rtc report <bundle> (report.html: percentiles and a histogram per thread)"
}

step_facts() {
  say "facts: record this host's CPUs, caches, NUMA nodes and resctrl parameters"
  mkdir -p "$RESULTS/host"
  # grep -rH prints path:line for every line of every file: rtc probe reads that back into the
  # manifest's topology block (rtc probe results/host/facts.txt). Files this host lacks are skipped.
  local r=$ROOT
  (
    shopt -s nullglob
    grep -rH . "$r"/sys/devices/system/cpu/{online,offline} "$r"/sys/devices/system/cpu/cpu[0-9]*/topology/{core_id,physical_package_id,thread_siblings_list} \
      "$r"/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/{level,type,id,size,shared_cpu_list} \
      "$r"/sys/devices/system/node/node[0-9]*/{cpulist,meminfo} "$r"/sys/devices/cpu_{core,atom}/cpus "$r"/sys/fs/resctrl/info \
      2>/dev/null || true
  ) | awk -v r="$r" 'r != "" && index($0, r) == 1 { $0 = substr($0, length(r) + 1) } { print }' >"$RESULTS/host/facts.txt"
  ok "$RESULTS/host/facts.txt: $(grep -c . "$RESULTS/host/facts.txt") lines; on any machine with rtc: rtc probe $RESULTS/host/facts.txt"
}

step_rollback() {
  need_root rollback
  say "rollback: undo what the host and vms steps changed (disks stay in $IMAGE_DIR)"
  local vm
  for vm in "${VMS[@]}"; do
    if virsh dominfo "$vm" >/dev/null 2>&1; then
      run virsh destroy "$vm" || true # already shut off is fine
      run virsh undefine "$vm"
    else
      ok "$vm: not defined"
    fi
  done
<#if grubby>
  run grubby --update-kernel=ALL --remove-args="${HOST_ARG_KEYS[*]}"
<#else>
  if [ -e "$ROOT/etc/default/grub.d/99-rtc.cfg" ]; then
    run rm -f /etc/default/grub.d/99-rtc.cfg
    run "${GRUB_UPDATE[@]}"
  else
    ok "no GRUB drop-in installed"
  fi
</#if>
  local g
  for g in "${RESCTRL_GROUPS[@]}"; do
    if [ -d "$ROOT/sys/fs/resctrl/$g" ]; then run rmdir "/sys/fs/resctrl/$g"; fi # its CPUs return to the default group
  done
  if [ -e "$ROOT/etc/systemd/system/rtc-resctrl.service" ]; then
    run systemctl disable rtc-resctrl.service
    run rm -f /etc/systemd/system/rtc-resctrl.service
    run rm -rf /etc/rtc/resctrl
    run systemctl daemon-reload
  else
    ok "no resctrl unit installed"
  fi
  say "rollback: done. Reboot to run without isolation; the resctrl default group gets every way back at boot"
}

# judge FILE: the verdict from cyclictest's output: the -h histogram's trailer (# Total, # Max
# Latencies, # Histogram Overflows) or, without -h, its summary lines (T: n ... Max: us).
# A missing thread, an overflow or a cut-short file is a FAIL with its reason, never a pass.
judge() {
  local threads max overflows
  [ -r "$1" ] || fail "no cyclictest output at $1"
  if grep -q '^# Max Latencies:' "$1"; then
    threads=$(awk '/^# Total:/ { print NF - 2 }' "$1")
    max=$(awk '/^# Max Latencies:/ { for (i = 4; i <= NF; i++) if ($i + 0 > m) m = $i + 0 } END { print m + 0 }' "$1")
    overflows=$(awk '/^# Histogram Overflows:/ { for (i = 4; i <= NF; i++) s += $i } END { print s + 0 }' "$1")
  elif grep -q '^# Histogram' "$1"; then
    fail "the histogram in $1 has no '# Max Latencies:' trailer: cyclictest's output is cut short"
  else
    threads=$(grep -c '^T:' "$1" || true)
    [ "$threads" -gt 0 ] || fail "no cyclictest summary lines or histogram in $1"
    # cyclictest prints "Max:%8ld", so a 9-digit latency runs into the label: split on it instead.
    max=$(awk -F'Max:' '/^T:/ { split($2, f, " "); if (f[1] + 0 > m) m = f[1] + 0 } END { print m + 0 }' "$1")
    overflows=0
  fi
  if [ -n "$BENCH_THREADS" ] && [ "$threads" != "$BENCH_THREADS" ]; then
    say "RESULT: FAIL - $threads of $BENCH_THREADS measuring threads reported; a missing thread cannot be judged"
    return 1
  fi
  if [ "$overflows" -gt 0 ]; then
    say "RESULT: FAIL - $overflows samples above the histogram's range (max latency $max us); rerun with a larger -h"
    return 1
  fi
  if [ "$max" -lt "$VERDICT_GREAT_US" ]; then
    say "RESULT: GREAT - max latency $max us < $VERDICT_GREAT_US us over $threads threads"
  elif [ "$max" -lt "$VERDICT_GOOD_US" ]; then
    say "RESULT: GOOD - max latency $max us < $VERDICT_GOOD_US us over $threads threads"
  else
    say "RESULT: FAIL - max latency $max us >= $VERDICT_GOOD_US us over $threads threads"
    return 1
  fi
}

usage() {
  # The header comment, from its first line of prose to the line before 'set -E'.
  sed -n '/^# Provisions/,/^set -E/{/^set -E/d;p;}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "Steps: preflight host check-host images vms verify stress bench report all rollback facts judge FILE"
}

main() {
  local steps=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --duration)
        # A shorter (or longer) benchmark than the plan's, e.g. a 10m smoke test: 30s, 10m, 2h, 1d.
        [[ ${2-} =~ ^([1-9][0-9]{0,5})([smhd])$ ]] || { echo "--duration takes a number and s, m, h or d (e.g. 10m), not '${2-}'" >&2; return 2; }
        BENCH_DURATION=$2
        case ${BASH_REMATCH[2]} in s) BENCH_SECONDS=${BASH_REMATCH[1]} ;; m) BENCH_SECONDS=$((BASH_REMATCH[1] * 60)) ;;
          h) BENCH_SECONDS=$((BASH_REMATCH[1] * 3600)) ;; d) BENCH_SECONDS=$((BASH_REMATCH[1] * 86400)) ;; esac
        shift ;;
      -h | --help) usage; return 0 ;;
      judge) judge "$2"; return ;;
      preflight | host | check-host | images | vms | verify | stress | bench | report | all | rollback | facts) steps+=("$1") ;;
      *) usage >&2; return 2 ;;
    esac
    shift
  done
  [ "${#steps[@]}" -gt 0 ] || { usage; return 2; }
  mkdir -p "$RESULTS"
  # Everything to the terminal and to the log. On exit, close the pipe and wait for tee, so the
  # last lines (the verdict) are on screen and in the log before the prompt returns.
  exec 3>&1 4>&2
  exec > >(tee -a "$RESULTS/runbook.log") 2>&1
  TEE_PID=$!
  trap 'exec 1>&3 2>&4; wait "$TEE_PID" 2>/dev/null || true' EXIT
  echo "rtc runbook for $BUNDLE: ${steps[*]}$([ "$DRY_RUN" = 1 ] && echo ' (dry run)')"
  local s bench_failed=0
  for s in "${steps[@]}"; do
    case "$s" in
      # A failed verdict still collects the evidence, then exits 1.
      all) step_check_host; step_images; step_vms; step_verify; step_stress; step_bench || bench_failed=1; step_report ;;
      check-host) step_check_host ;;
      *) "step_$s" ;;
    esac
  done
  return "$bench_failed"
}

main "$@"
