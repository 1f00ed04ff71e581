#!/bin/bash
# [=header?no_esc]
#
# Provisions, proves and benchmarks the real-time KVM deployment "[=bundle]" on its host.
# Run as root from the bundle folder. The steps, in order (README.md says what each one changes):
#
#   ./runbook.sh preflight   is this the manifest's host, and is it ready? (changes nothing)
#   ./runbook.sh host        real-time kernel, TuneD profile, kernel arguments, boot units; then reboot
#   ./runbook.sh all         after the reboot: check-host images vms wait verify stress bench report
#   ./runbook.sh status      how far the benchmark is (also after the terminal was lost)
#   ./runbook.sh collect     fetch and judge a finished benchmark (after the terminal was lost)
#   ./runbook.sh report      pack the last run's evidence into a tarball to send back
#   ./runbook.sh rollback    undo what the steps changed (disks and evidence stay)
#   ./runbook.sh facts       print this host's topology facts (for rtc probe); changes nothing
#   ./runbook.sh guest VM CMD...   run a command in a VM through its guest agent
#
# Each step of 'all' also runs on its own, and every step is safe to run again. Nothing changes
# on a host that is not the manifest's: each step that changes the host checks the topology first.
# Options: --dry-run         print every change instead of making it; writes nothing anywhere
#          --duration 10m    run the benchmark for that long instead of the plan's duration
#          --wait-minutes N  how long 'wait' gives each VM's first boot (default 30)
#          --replace-disks   images: move a disk made from another base image aside, and make it anew
# Exit codes: 0 done (a verdict: GREAT or GOOD), 1 a check failed or the verdict is FAIL,
#             2 usage, 3 no verdict (not proven real-time, or the stressors gave no load).
# Evidence, backups and the record of what changed live in /var/lib/rtc/[=bundle]/, outside
# this folder, so a new bundle never replaces them.
set -Eeuo pipefail

# ---- The plan (generated; every value below comes from the manifest via rtc) ----------------
BUNDLE=[=bundle]
EXPECTED_OS_ID=[=osId]
EXPECTED_OS_VERSION=[=osVersion]
EXPECTED_CPUS=[=cpuList]
EXPECTED_THREADS_PER_CORE=[=threadsPerCore]
EXPECTED_L3_SIZE=[=l3Size]
EXPECTED_L2_SIZE=[=l2Size]
EXPECTED_MB_CLOSIDS=[=mbClosids]
# Hybrid parts: the kernel lists P-cores in cpu_core, E-cores (low-power ones too) in cpu_atom.
EXPECTED_P_CORES=[=pCores]
EXPECTED_E_CORES=[=eCores]
declare -A EXPECTED_NODE_CPUS=(<#list nodes as n>[[=n.id]]=[=n.cpus]<#sep> </#list>)
# The host's kernel and how to recognise it running (HOST_KERNEL_RT=0: the stock kernel, by choice).
HOST_KERNEL_NAME=[=kernel.name]
HOST_KERNEL_RT=[=kernel.rt]
HOST_KERNEL_RELEASE=[=kernel.release]
HOST_KERNEL_ECI=[=kernel.eci]
HOST_KERNEL_PRO=[=kernel.pro]
NEEDS_PRO_TOKEN=[=proToken?then(1, 0)]
PRO_TOKEN_FILE=${RTC_UBUNTU_PRO_TOKEN_FILE:-/etc/rtc/ubuntu-pro-token}
HOST_PACKAGES=(<#list hostPackages as p>[=p]<#sep> </#list>)
# Those of them from the distribution's own repositories, which preflight can look up.
DISTRO_PACKAGES=(<#list distroPackages as p>[=p]<#sep> </#list>)
INSTALL=(<#list install as w>[=w]<#sep> </#list>)
APT=[=apt?then(1, 0)]
EXTRA_REPOS=(<#list extraRepos as r>[=r]<#sep> </#list>)
<#if repo??>
REPO_KEY_URL=[=repo.keyUrl]
REPO_KEYRING=[=repo.keyring]
REPO_LIST=[=repo.file]
REPO_LINE=[=repo.line]
REPO_PREF_FILE=[=repo.prefFile]
REPO_PREF=[=repo.pref]
<#else>
# No repository of rtc's: the packages come from the distribution's own.
REPO_KEY_URL='' REPO_KEYRING='' REPO_LIST='' REPO_LINE='' REPO_PREF_FILE='' REPO_PREF=''
</#if>
HOST_ARGS=(<#list hostArgs as a>[=a]<#sep> </#list>)
HOST_ARG_KEYS=(<#list hostArgKeys as k>[=k]<#sep> </#list>)
GRUBBY=[=grubby?then(1, 0)]
GRUB_UPDATE=(<#list grubUpdate as w>[=w]<#sep> </#list>)
TUNED_PROFILE=[=tunedProfile]
STALLD=[=stalld?then(1, 0)]
# What check-host reads back to prove the tuning is live: file|how to compare|expected|what.
TUNING_CHECKS=(<#list tuningChecks as c>[=c]<#sep> </#list>)
# Boot units the host step installs (the VMs' unit comes with the vms step).
UNITS=(<#list units as u>[=u]<#sep> </#list>)
# Hugepages that rtc-hugepages.service reserves per node: file|pages|what.
HUGEPAGE_CHECKS=(<#list hugepageChecks as h>[=h]<#sep> </#list>)
<#if resctrl??>
RESCTRL_INFO=[=resctrl.info]
# The default group's lines: one per resource (L3, or L3CODE and L3DATA with CDP).
RESCTRL_DEFAULT=(<#list resctrl.defaultLines as l>[=l]<#sep> </#list>)
EXPECTED_CBM_MASK=[=resctrl.cbmMask]
EXPECTED_MIN_CBM_BITS=[=resctrl.minCbmBits]
EXPECTED_NUM_CLOSIDS=[=resctrl.closids]
CAT_FLAG=[=resctrl.catFlag]
CDP_FLAG=[=resctrl.cdpFlag]
# rtc's own groups (host.cacheOwner: resctrl), made at boot by rtc-resctrl.service; none when libvirt makes them.
RESCTRL_GROUPS=(<#list resctrl.groups as g>[=g.name]<#sep> </#list>)
declare -A RESCTRL_GROUP_CPUS=(<#list resctrl.groups as g>[[=g.name]]=[=g.cpus]<#sep> </#list>)
declare -A VM_GROUP=(<#list resctrl.groups as g>[[=g.vm]]=[=g.name]<#sep> </#list>)
<#else>
RESCTRL_INFO=
RESCTRL_DEFAULT=()
RESCTRL_GROUPS=()
declare -A RESCTRL_GROUP_CPUS=()
declare -A VM_GROUP=()
</#if>
VMS=(<#list vms as vm>[=vm.name]<#sep> </#list>)
declare -A VM_ROLE=(<#list vms as vm>[[=vm.name]]=[=vm.role]<#sep> </#list>)
declare -A VM_VCPUS=(<#list vms as vm>[[=vm.name]]=[=vm.vcpus]<#sep> </#list>)
declare -A VM_PINS=(<#list vms as vm>[[=vm.name]]=[=vm.pins]<#sep> </#list>)
declare -A VM_EMULATOR=(<#list vms as vm>[[=vm.name]]=[=vm.emulator]<#sep> </#list>)
declare -A VM_BASE_IMAGE=(<#list vms as vm>[[=vm.name]]=[=vm.baseImage]<#sep> </#list>)
declare -A VM_BASE_SHA256=(<#list vms as vm>[[=vm.name]]=[=vm.baseSha256]<#sep> </#list>)
declare -A VM_DISK_SIZE=(<#list vms as vm>[[=vm.name]]=[=vm.diskSize]<#sep> </#list>)
declare -A VM_DISK_BYTES=(<#list vms as vm>[[=vm.name]]=[=vm.diskBytes]<#sep> </#list>)
declare -A VM_RESCTRL=(<#list vms as vm>[[=vm.name]]=[=vm.resctrlLine]<#sep> </#list>)
declare -A VM_GUEST_ARGS=(<#list vms as vm>[[=vm.name]]=[=vm.guestArgs]<#sep> </#list>)
declare -A VM_KERNEL_NAME=(<#list vms as vm>[[=vm.name]]=[=vm.kernelName]<#sep> </#list>)
declare -A VM_KERNEL_RT=(<#list vms as vm>[[=vm.name]]=[=vm.kernelRt]<#sep> </#list>)
declare -A VM_KERNEL_RELEASE=(<#list vms as vm>[[=vm.name]]=[=vm.kernelRelease]<#sep> </#list>)
declare -A VM_PRO=(<#list vms as vm>[[=vm.name]]=[=vm.pro]<#sep> </#list>)
declare -A VM_TUNED_PROFILE=(<#list vms as vm>[[=vm.name]]=[=vm.tunedProfile]<#sep> </#list>)
declare -A VM_TUNING_CHECKS=(<#list vms as vm>[[=vm.name]]=[=vm.tuningChecks]<#sep> </#list>)
declare -A VM_STALLD=(<#list vms as vm>[[=vm.name]]=[=vm.stalld]<#sep> </#list>)
NETWORKS=(<#list networks as n>[=n.name]<#sep> </#list>)
declare -A NETWORK_FILE=(<#list networks as n>[[=n.name]]=[=n.file]<#sep> </#list>)
# The libvirt networks, bridges and host interfaces (macvtap) the VMs' NICs need, besides 'default'.
SITE_NETWORKS=(<#list libvirtNetworks as n><#if n != "default">[=n] </#if></#list>)
BRIDGES=(<#list bridges as b>[=b]<#sep> </#list>)
MACVTAP_IFACES=(<#list macvtapIfaces as i>[=i]<#sep> </#list>)
# Host devices the VMs are given: vm|whole or vf|address|vendor:device|host driver|node|IOMMU group|pf|vf|mac
# (a VF's ids, driver and node are its physical function's; empty where there is none, or it is not known yet).
DEVICES=(<#list devices as d>[=d]<#sep> </#list>)
# Physical functions whose virtual functions are given: address|vendor:device|driver|node; and the
# count rtc-sriov.service makes of each at boot: address|count.
PF_DEVICES=(<#list pfDevices as d>[=d]<#sep> </#list>)
SRIOV_PFS=(<#list sriovPfs as p>[=p]<#sep> </#list>)
HOUSEKEEPING=[=housekeeping]
# A stressor must keep at least this much of its vCPUs busy, as the host measures it.
STRESS_LOAD_MIN=[=stressLoadMin]
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
ROOT=${RTC_ROOT:-}      # tests point this at a fake /: its /proc, /sys, /etc, /boot and /var
STATE=$ROOT/var/lib/rtc/$BUNDLE
DRY_RUN=0
REPLACE_DISKS=0
GUEST_TIMEOUT=1800
LOAD_SAMPLE=${RTC_LOAD_SAMPLE_SECONDS:-30}
FAILS=0
NOT_REALTIME=()
VERDICT_CODE=0

say() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
note() { printf '   note: %s\n' "$*"; }
# bad: a failed check; the step goes on, so all of them are seen, and fails at its end.
bad() {
  printf '   FAIL: %s\n' "$*" >&2
  FAILS=$((FAILS + 1))
}
fail() {
  printf '   FAIL: %s\n' "$*" >&2
  exit 1
}

# run CMD...: runs a command that changes the host, or prints it under --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run:'
    printf ' %q' "$@"
    printf '\n'
    return 0
  fi
  printf '   +'
  printf ' %q' "$@"
  printf '\n'
  "$@"
}

# try CMD...: run, for rollback: a failure is listed at the end instead of stopping the undo.
UNDONE=()
try() {
  if run "$@"; then
    return 0
  fi
  UNDONE+=("$*")
  printf '   could not: %s (going on)\n' "$*" >&2
}

need_root() {
  [ "$DRY_RUN" = 1 ] || [ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || fail "run as root (sudo ./runbook.sh $1)"
}

have() { command -v "$1" >/dev/null 2>&1; }

read_file() { if [ -r "$ROOT$1" ]; then tr -d '\n' <"$ROOT$1"; else printf 'absent'; fi; }

# A file rtc wrote carries its provenance line; rtc replaces or removes no other.
is_rtc_file() { grep -q '^# Generated by rtc ' "$1" 2>/dev/null; }

# ---- What changes, and how it is undone ------------------------------------------------------
# Every change is recorded in $STATE/changes, and every file rtc replaces is copied to
# $STATE/backup/ before its first change (or marked absent), so rollback restores what was there.

record() {
  [ "$DRY_RUN" = 1 ] || grep -qxF -- "$*" "$STATE/changes" 2>/dev/null || printf '%s\n' "$*" >>"$STATE/changes"
}
recorded() { grep -qxF -- "$*" "$STATE/changes" 2>/dev/null; }

backup() {
  local b=$STATE/backup$1
  if [ -e "$b" ] || [ -e "$b.absent" ]; then
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would back up: %s\n' "$1"
    return 0
  fi
  mkdir -p "$(dirname "$b")"
  if [ -e "$ROOT$1" ]; then cp -p "$ROOT$1" "$b"; else : >"$b.absent"; fi
}

# keep NAME CMD...: saves CMD's output once, before rtc's first change (the state to return to).
keep() {
  local f=$STATE/backup/$1
  shift
  [ -e "$f" ] && return 0
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would keep for rollback: %s\n' "$*"
    return 0
  fi
  mkdir -p "$STATE/backup"
  "$@" >"$f" 2>/dev/null || true
}

restore() {
  local b=$STATE/backup$1
  if [ -e "$b" ]; then
    try cp -p "$b" "$ROOT$1"
  elif [ -e "$b.absent" ] && [ -e "$ROOT$1" ]; then
    try rm -f "$ROOT$1"
  fi
}

# install_file SRC DEST MODE: the bundle's file as DEST on the host, backed up first.
install_file() {
  if [ -e "$ROOT$2" ] && cmp -s "$1" "$ROOT$2"; then
    ok "$2 is as planned"
    return 0
  fi
  backup "$2"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s (%s)\n' "$2" "${1#"$HERE"/}"
    return 0
  fi
  install -D -m "$3" "$1" "$ROOT$2"
  printf '   wrote: %s\n' "$2"
}

# write_file DEST MODE TEXT: a small file rtc makes, backed up first.
write_file() {
  if [ -e "$ROOT$1" ] && [ "$(cat "$ROOT$1")" = "${3%$'\n'}" ]; then
    ok "$1 is as planned"
    return 0
  fi
  backup "$1"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s\n' "$1"
    return 0
  fi
  mkdir -p "$(dirname "$ROOT$1")"
  printf '%s' "$3" >"$ROOT$1"
  chmod "$2" "$ROOT$1"
  printf '   wrote: %s\n' "$1"
}

# ---- Is this the manifest's host? ------------------------------------------------------------

# Compares one expected and one found value; prints a table row, marking a mismatch.
check_row() {
  local mark=ok
  [ "$2" = "$3" ] || mark=MISMATCH
  printf '   %-34s %-22s %-22s %s\n' "$1" "$2" "$3" "$mark"
}

# check_cpus WHAT EXPECTED FOUND: check_row for CPU lists, compared as sets (the kernel writes
# "4-5" where rtc writes "4,5").
check_cpus() {
  if [ "$(expand_cpus "$2")" = "$(expand_cpus "$3")" ]; then check_row "$1" "$2" "$2"; else check_row "$1" "$2" "$3"; fi
}

os_release() {
  local v
  v=$(sed -n "s/^$1=//p" "$ROOT/etc/os-release" 2>/dev/null | tr -d "\"'" | head -n 1 || true)
  printf '%s' "${v:-absent}"
}

cpu_flags() { sed -n 's/^flags[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1; }
has_flag() { case " $(cpu_flags) " in *" $1 "*) echo yes ;; *) echo no ;; esac; }

# The rows that say whether this is the manifest's host; MISMATCH marks a difference.
topology_rows() {
  local version siblings node
  version=$(os_release VERSION_ID)
  [ "$EXPECTED_OS_ID" != rhel ] || version=${version%%.*}
  check_row "operating system" "$EXPECTED_OS_ID $EXPECTED_OS_VERSION" "$(os_release ID) $version"
  check_cpus "online CPUs" "$EXPECTED_CPUS" "$(read_file /sys/devices/system/cpu/online)"
  for node in $(printf '%s\n' "${!EXPECTED_NODE_CPUS[@]}" | sort -n); do
    check_cpus "NUMA node $node CPUs" "${EXPECTED_NODE_CPUS[$node]}" "$(read_file "/sys/devices/system/node/node$node/cpulist")"
  done
  siblings=$(read_file /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)
  if [ "$siblings" = absent ]; then
    siblings="unreadable"
  else
    siblings=$(expand_cpus "$siblings" | tr ',' '\n' | grep -c . || true)
  fi
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
  if [ -n "$EXPECTED_MB_CLOSIDS" ] && [ -d "$ROOT/sys/fs/resctrl/info" ]; then
    check_row "resctrl MB num_closids" "$EXPECTED_MB_CLOSIDS" "$(read_file /sys/fs/resctrl/info/MB/num_closids)"
  fi
  [ -n "$RESCTRL_INFO" ] || return 0
  local info=/sys/fs/resctrl/info/$RESCTRL_INFO
  if [ -d "$ROOT/sys/fs/resctrl/info" ]; then
    check_row "resctrl $RESCTRL_INFO (CAT) available" "yes" "$([ -d "$ROOT$info" ] && echo yes || echo no)"
    check_row "resctrl $RESCTRL_INFO cbm_mask" "$EXPECTED_CBM_MASK" "$(read_file "$info/cbm_mask" | sed 's/^0*//')"
    check_row "resctrl $RESCTRL_INFO min_cbm_bits" "$EXPECTED_MIN_CBM_BITS" "$(read_file "$info/min_cbm_bits")"
    check_row "resctrl $RESCTRL_INFO num_closids" "$EXPECTED_NUM_CLOSIDS" "$(read_file "$info/num_closids")"
  else
    # A fresh host: resctrl is mounted by rtc-resctrl.service at the next boot. Until then the
    # CPU's flags say whether the cache allocation the plan needs is there at all.
    check_row "CPU flag $CAT_FLAG (cache alloc.)" "yes" "$(has_flag "$CAT_FLAG")"
    if [ -n "$CDP_FLAG" ]; then
      check_row "CPU flag $CDP_FLAG (code/data)" "yes" "$(has_flag "$CDP_FLAG")"
    fi
    printf '   %-34s %-22s %-22s %s\n' "resctrl" "mounted" "not mounted yet" "ok (its parameters are checked after the reboot)"
  fi
}

TABLE_HEAD=$(printf '   %-34s %-22s %-22s' "" "expected" "found")

# guard STEP: every step that changes the host runs this first. On any difference from the
# manifest it shows the table and stops, before anything is changed.
guard() {
  need_root "$1"
  local table
  table=$(topology_rows)
  if grep -q 'MISMATCH$' <<<"$table"; then
    printf '%s\n%s\n' "$TABLE_HEAD" "$table"
    fail "refusing '$1': this is not the host the manifest describes (table above), and nothing was changed. To describe this host: ./runbook.sh facts > facts.txt, then rtc probe facts.txt on any machine with rtc"
  fi
  start_changes
}

# Once per run of the script: the state folder, a lock against a second runbook, and the log.
start_changes() {
  [ "$DRY_RUN" = 0 ] && [ -z "${CHANGING-}" ] || return 0
  CHANGING=1
  mkdir -p "$STATE"
  exec 9>>"$STATE/lock"
  have flock && { flock -n 9 || fail "another runbook.sh of $BUNDLE is running on this host; wait for it to finish"; }
  # Everything to the terminal and to the log. On exit, close the pipe and wait for tee, so the
  # last lines (the verdict) are on screen and in the log before the prompt returns.
  exec 3>&1 4>&2
  exec > >(tee -a "$STATE/runbook.log") 2>&1
  TEE_PID=$!
  trap 'exec 1>&3 2>&4; wait "$TEE_PID" 2>/dev/null || true' EXIT
  echo "rtc runbook for $BUNDLE: ${STEPS[*]} ($(date -u +%Y-%m-%dT%H:%M:%SZ)); log: $STATE/runbook.log"
}

# ---- preflight -------------------------------------------------------------------------------

# device_driver ADDRESS: the driver the device is bound to now, or nothing.
device_driver() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# device_group ADDRESS: its IOMMU group, or nothing while the IOMMU is off.
device_group() {
  local link
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 0
  printf '%s' "${link##*/}"
}

# check_device WHO ADDRESS ID DRIVER NODE GROUP: the device is where the plan says, as it says.
check_device() {
  local who=$1 addr=$2 id=$3 driver=$4 node=$5 group=$6 dir found before=$FAILS
  dir=/sys/bus/pci/devices/$addr
  if [ ! -e "$ROOT$dir" ]; then
    bad "$who: this host has no PCI device $addr (lspci -D lists them; rtc probe writes host.devices)"
    return 0
  fi
  found="$(read_file "$dir/vendor"):$(read_file "$dir/device")"
  found=${found//0x/}
  if [ "$found" != "$id" ]; then
    bad "$who: $addr is a $found, planned $id: another card in that slot?"
    return 0
  fi
  found=$(read_file "$dir/numa_node")
  [ "$found" = "$node" ] || bad "$who: $addr is on NUMA node $found, planned $node (the VM's CPUs are chosen by it)"
  found=$(device_driver "$addr")
  if [ -n "$driver" ] && [ "$found" != "$driver" ] && [ "$found" != vfio-pci ]; then
    bad "$who: $addr is bound to '${found:-no driver}', planned $driver (or vfio-pci while a VM has it)"
  fi
  found=$(device_group "$addr")
  if [ -n "$group" ] && [ -n "$found" ] && [ "$found" != "$group" ]; then
    bad "$who: $addr is in IOMMU group $found, planned $group (another slot or firmware: probe the host again)"
  fi
  [ "$FAILS" -gt "$before" ] || ok "$who: $addr ($id) on NUMA node $node${group:+, IOMMU group $group}"
}

preflight_devices() {
  local d vm kind addr id driver node group pf vf mac
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    [ "$kind" = whole ] || continue
    check_device "$vm" "$addr" "$id" "$driver" "$node" "$group"
  done
  for d in "${PF_DEVICES[@]}"; do
    IFS='|' read -r addr id driver node <<<"$d"
    check_device "SR-IOV" "$addr" "$id" "$driver" "$node" ""
    if [ -e "$ROOT/sys/bus/pci/devices/$addr" ] && [ ! -e "$ROOT/sys/bus/pci/devices/$addr/sriov_totalvfs" ]; then
      bad "SR-IOV: $addr shows no sriov_totalvfs: SR-IOV is off in the BIOS, or its driver does not offer it"
    fi
  done
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    note "the IOMMU is off until the reboot after 'host' (intel_iommu=on); check-host then checks each device's IOMMU group"
  fi
}

step_preflight() {
  need_root preflight
  say "preflight: is this the host the manifest describes, and is it ready?"
  local table
  table=$(topology_rows)
  printf '%s\n%s\n' "$TABLE_HEAD" "$table"
  if grep -q 'MISMATCH$' <<<"$table"; then
    fail "this host differs from the manifest (table above), so no step of this bundle will change it. To describe it: ./runbook.sh facts > facts.txt, then rtc probe facts.txt on any machine with rtc, and compile again"
  fi
  ok "host matches the manifest"
  FAILS=0
  preflight_virtualization
  preflight_tools
  preflight_images
  preflight_cmdline
  preflight_pro
  preflight_network
  preflight_devices
  [ "$FAILS" = 0 ] || fail "$FAILS problems above; fix them and run preflight again"
  ok "ready for: ./runbook.sh host"
}

preflight_virtualization() {
  if [ "$(has_flag vmx)" = no ] && [ "$(has_flag svm)" = no ]; then
    bad "the CPU shows no VT-x (flag vmx): switch on Intel VMX virtualization (and VT-d) in the BIOS"
  elif [ ! -e "$ROOT/dev/kvm" ]; then
    note "/dev/kvm is missing: the host step installs QEMU, and kvm_intel loads at the next boot"
  else
    ok "VT-x, /dev/kvm"
  fi
}

preflight_tools() {
  local c missing=()
  for c in virsh qemu-img jq curl tuned-adm flock; do
    have "$c" || missing+=("$c")
  done
  have cloud-localds || have genisoimage || missing+=("cloud-localds")
  if [ "${#missing[@]}" -gt 0 ]; then
    note "not installed yet: ${missing[*]}; the host step installs ${HOST_PACKAGES[*]}"
  else
    ok "tools: virsh, qemu-img, jq, curl, tuned-adm, a seed builder"
  fi
  if [ "$APT" = 1 ] && have apt-get; then
    local out
    # A dry run of the install, which reads the package lists only: are the packages to be had?
    if out=$(apt-get -s -q install "${DISTRO_PACKAGES[@]}" 2>&1); then
      ok "the distribution's packages are available from this host's APT sources"
    else
      bad "apt-get cannot install the host packages: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    fi
  fi
}

preflight_images() {
  local vm img seen=" "
  for vm in "${VMS[@]}"; do
    img=${VM_BASE_IMAGE[$vm]}
    case "$seen" in *" $img "*) continue ;; esac
    seen="$seen$img "
    if [ ! -r "$ROOT$img" ]; then
      bad "base image $img is missing (for $vm; README.md says where it comes from)"
    elif [ -n "${VM_BASE_SHA256[$vm]}" ]; then
      if [ "$(sha256sum <"$ROOT$img" | cut -d' ' -f1)" = "${VM_BASE_SHA256[$vm]}" ]; then
        ok "base image $img (sha256 as planned)"
      else
        bad "base image $img has another sha256 than the manifest's ${VM_BASE_SHA256[$vm]}: download it again"
      fi
    else
      ok "base image $img"
    fi
  done
}

# The kernel command line has one owner: an rtc argument set anywhere else as well would be
# given twice. Found before the host step, named with the file to change.
preflight_cmdline() {
  local linux key files f
  linux=$(grub_cmdline_linux)
  for key in "${HOST_ARG_KEYS[@]}"; do
    case " $linux " in
      *" $key "* | *" $key="*)
        files=$(grep -ls -- "$key" "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg 2>/dev/null | grep -v '/99-rtc.cfg$' | sed "s|^$ROOT||" | paste -sd ' ' - || true)
        bad "GRUB_CMDLINE_LINUX sets $key (in ${files:-/etc/default/grub}), which rtc sets: remove it there, or it is given twice" ;;
    esac
  done
  for f in "$ROOT"/etc/grub.d/*; do
    if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
    case "${f##*/}" in 00_header | 05_debian_theme | 10_linux | 10_linux_zfs | 20_linux_xen | 20_memtest86+ | 30_os-prober | 30_uefi-firmware | 35_fwupd | 40_custom | 41_custom | 00_tuned) continue ;; esac
    if grep -qE -- '(isolcpus|nohz_full|rcu_nocbs|irqaffinity)' "$f"; then
      if [ "${f##*/}" = 09_eci ] && [ "$HOST_KERNEL_ECI" = 1 ]; then
        note "${f#"$ROOT"} adds ECI's own isolation arguments: the host step stops it from running (dpkg-statoverride), as rtc owns the command line"
      else
        bad "${f#"$ROOT"} adds its own kernel arguments (isolcpus, nohz_full, ...), which rtc sets: make it not executable (chmod -x), or they are given twice"
      fi
    fi
  done
  f=$(sed -n 's/^TUNED_BOOT_CMDLINE=//p' "$ROOT/etc/tuned/bootcmdline" 2>/dev/null | tr -d '"' || true)
  if [ -n "$f" ]; then
    note "TuneD's bootloader plugin adds '$f'; rtc's TuneD profile switches the plugin off, and check-host makes sure nothing is given twice"
  fi
}

# GRUB_CMDLINE_LINUX as grub-mkconfig sees it: /etc/default/grub and every drop-in but rtc's, sourced in a subshell.
grub_cmdline_linux() {
  (
    set +eu
    GRUB_CMDLINE_LINUX=
    # shellcheck disable=SC1090,SC1091
    [ -r "$ROOT/etc/default/grub" ] && . "$ROOT/etc/default/grub" >/dev/null 2>&1
    for f in "$ROOT"/etc/default/grub.d/*.cfg; do
      # shellcheck disable=SC1090
      [ -r "$f" ] && [ "${f##*/}" != 99-rtc.cfg ] && . "$f" >/dev/null 2>&1
    done
    printf '%s' "$GRUB_CMDLINE_LINUX"
  )
}

preflight_pro() {
  [ "$NEEDS_PRO_TOKEN" = 1 ] || return 0
  if [ -r "$ROOT$PRO_TOKEN_FILE" ] && [ -s "$ROOT$PRO_TOKEN_FILE" ]; then
    ok "Ubuntu Pro token in $PRO_TOKEN_FILE (for the real-time kernel; it stays out of the bundle)"
  else
    bad "Ubuntu's real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600), or point RTC_UBUNTU_PRO_TOKEN_FILE at it"
  fi
}

preflight_network() {
  local n
  for n in "${BRIDGES[@]}"; do
    if [ -d "$ROOT/sys/class/net/$n/bridge" ]; then ok "bridge $n exists"; else
      bad "the VMs' NICs need bridge $n, which this host does not have (ip link add $n type bridge, and a port on it)"
    fi
  done
  for n in "${MACVTAP_IFACES[@]}"; do
    if [ -e "$ROOT/sys/class/net/$n" ]; then ok "interface $n exists (macvtap)"; else
      bad "the VMs' NICs need host interface $n (macvtap), which this host does not have (ip link lists them)"
    fi
  done
  have virsh || return 0
  for n in "${SITE_NETWORKS[@]}"; do
    if virsh net-info "$n" 2>/dev/null | grep -qE '^Active:[[:space:]]+yes'; then ok "libvirt network $n is active"; else
      bad "the VMs' NICs need libvirt network $n, which is not defined or not active here (virsh net-list --all)"
    fi
  done
  for n in "${NETWORKS[@]}"; do
    if virsh net-info "$n" >/dev/null 2>&1; then
      ok "libvirt network $n exists"
    else
      note "libvirt network $n does not exist yet: the vms step defines it from ${NETWORK_FILE[$n]}"
    fi
  done
}

# ---- host ------------------------------------------------------------------------------------

step_host() {
  guard host
  say "host: real-time kernel, tuning, kernel arguments and boot units"
  host_kernel
  host_tuning
  host_cmdline
  host_units
  say "host: done. Reboot now (reboot), then run: ./runbook.sh all"
}

host_kernel() {
  if [ -n "$REPO_LIST" ]; then
    # The guide's repository: its key in a keyring of its own, named by the list with signed-by.
    if [ -s "$ROOT$REPO_KEYRING" ]; then
      ok "$REPO_KEYRING is there"
    else
      backup "$REPO_KEYRING"
      run curl -fsSL --retry 5 -o "$ROOT$REPO_KEYRING" "$REPO_KEY_URL"
    fi
    write_file "$REPO_LIST" 0644 "$REPO_LINE"$'\n'
    write_file "$REPO_PREF_FILE" 0644 "$REPO_PREF"
    record "apt-repository $REPO_LIST"
    run apt-get update
  fi
  if [ "${#EXTRA_REPOS[@]}" -gt 0 ]; then
    local enable=() r
    for r in "${EXTRA_REPOS[@]}"; do enable+=("--enable=$r"); done
    run subscription-manager repos "${enable[@]}"
  fi
  [ "$HOST_KERNEL_PRO" = 0 ] || pro_attach
  run "${INSTALL[@]}" "${HOST_PACKAGES[@]}"
  if [ "$HOST_KERNEL_PRO" = 1 ]; then
    run pro enable realtime-kernel --assume-yes
    record "ubuntu-pro realtime-kernel"
  fi
  if [ "$HOST_KERNEL_ECI" = 1 ]; then
    # eci-customizations' /etc/grub.d/09_eci adds its own isolcpus, nohz_full, rcu_nocbs and
    # more; rtc owns the command line, so the script stays installed but does not run.
    if dpkg-statoverride --list /etc/grub.d/09_eci >/dev/null 2>&1; then
      ok "/etc/grub.d/09_eci stays off"
    else
      run dpkg-statoverride --update --add root root 0644 /etc/grub.d/09_eci
      record "statoverride /etc/grub.d/09_eci"
    fi
  fi
}

# Ubuntu Pro: attached with the token from a file on the host, never from the bundle.
pro_attach() {
  if pro status --format json 2>/dev/null | jq -e '.attached == true' >/dev/null 2>&1; then
    ok "Ubuntu Pro is attached"
    return 0
  fi
  [ -s "$ROOT$PRO_TOKEN_FILE" ] || fail "Ubuntu Pro's real-time kernel needs this host attached: put your token in $PRO_TOKEN_FILE (chmod 600), or set RTC_UBUNTU_PRO_TOKEN_FILE; it stays out of the bundle"
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run: pro attach --attach-config (the token from %s)\n' "$PRO_TOKEN_FILE"
    return 0
  fi
  local cfg
  cfg=$(mktemp "$STATE/pro-attach.XXXXXX")
  jq -n --rawfile t "$ROOT$PRO_TOKEN_FILE" '{token: ($t | gsub("\\s"; "")), enable_services: []}' >"$cfg"
  printf '   + pro attach --attach-config (the token from %s)\n' "$PRO_TOKEN_FILE"
  pro attach --attach-config "$cfg" || {
    rm -f "$cfg"
    fail "pro attach refused the token in $PRO_TOKEN_FILE"
  }
  rm -f "$cfg"
  record "ubuntu-pro attached"
}

host_tuning() {
  keep tuned-profile sh -c "tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p'"
  install_file "$HERE/host/tuned/$TUNED_PROFILE/tuned.conf" "/etc/tuned/$TUNED_PROFILE/tuned.conf" 0644
  record "tuned-profile $TUNED_PROFILE"
  run systemctl enable --now tuned
  run tuned-adm profile "$TUNED_PROFILE"
  if [ "$STALLD" = 1 ]; then
    keep stalld-enabled systemctl is-enabled stalld
    run systemctl enable --now stalld
    record "stalld"
  fi
}

host_cmdline() {
  if [ "$GRUBBY" = 1 ]; then
    # BLS boot entries: the arguments go into every installed kernel's entry, replacing earlier
    # values of the same keys. What was there is kept first, for rollback.
    keep grubby-info grubby --info=ALL
    keep grubby-default grubby --default-kernel
    backup /etc/default/grub
    backup /etc/kernel/cmdline
    run grubby --update-kernel=ALL --args="${HOST_ARGS[*]}"
    record "grubby-args"
    if [ "$HOST_KERNEL_RT" = 1 ]; then
      local rt
      rt=$(newest_rt_kernel)
      if [ -n "$rt" ]; then
        run grubby --set-default="/boot/vmlinuz-$rt"
      elif [ "$DRY_RUN" = 0 ]; then
        fail "no kernel with CONFIG_PREEMPT_RT=y in /boot after installing $HOST_KERNEL_NAME"
      fi
    fi
  else
    local dropin=/etc/default/grub.d/99-rtc.cfg
    if [ -e "$ROOT$dropin" ] && ! is_rtc_file "$ROOT$dropin"; then
      fail "$dropin exists and rtc did not write it (it has no 'Generated by rtc' line): rename it, then run the host step again"
    fi
    install_file "$HERE/host/grub/99-rtc.cfg" "$dropin" 0644
    record "grub-dropin"
    run "${GRUB_UPDATE[@]}"
  fi
}

# The newest kernel in /boot built with CONFIG_PREEMPT_RT=y, by version.
newest_rt_kernel() {
  local c
  for c in "$ROOT"/boot/config-*; do
    if grep -qx 'CONFIG_PREEMPT_RT=y' "$c" 2>/dev/null && [ -e "$ROOT/boot/vmlinuz-${c##*/config-}" ]; then echo "${c##*/config-}"; fi
  done | sort -V | tail -n 1
}

host_units() {
  local u g
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    install_file "$HERE/host/resctrl/schemata" /etc/rtc/resctrl/schemata 0644
    for g in "${RESCTRL_GROUPS[@]}"; do
      install_file "$HERE/host/resctrl/$g/cpus_list" "/etc/rtc/resctrl/$g/cpus_list" 0644
      install_file "$HERE/host/resctrl/$g/schemata" "/etc/rtc/resctrl/$g/schemata" 0644
    done
  fi
  local p
  for p in "${SRIOV_PFS[@]}"; do # the VF counts to return to on rollback
    keep "sriov_numvfs-${p%%|*}" read_file "/sys/bus/pci/devices/${p%%|*}/sriov_numvfs"
  done
  [ "${#UNITS[@]}" -gt 0 ] || return 0
  for u in "${UNITS[@]}"; do
    install_file "$HERE/host/systemd/$u" "/etc/systemd/system/$u" 0644
    record "unit $u"
  done
  run systemctl daemon-reload
  for u in "${UNITS[@]}"; do
    run systemctl enable "$u"
  done
}

# ---- proofs: what must hold, read back from the running host and guests ----------------------

# collect_facts FILE...: the running kernel, command line and tuning as key=value lines. The same
# function runs on the host and, sent through the guest agent, in a guest (with ROOT empty).
collect_facts() {
  local f v
  printf 'osrelease=%s\n' "$(tr -d '\n' <"$ROOT/proc/sys/kernel/osrelease" 2>/dev/null || echo absent)"
  printf 'version=%s\n' "$(tr -d '\n' <"$ROOT/proc/sys/kernel/version" 2>/dev/null || echo absent)"
  printf 'realtime=%s\n' "$(tr -d '\n' <"$ROOT/sys/kernel/realtime" 2>/dev/null || echo absent)"
  printf 'cmdline=%s\n' "$(tr -d '\n' <"$ROOT/proc/cmdline" 2>/dev/null || echo absent)"
  if command -v tuned-adm >/dev/null 2>&1; then
    printf 'tuned.active=%s\n' "$(tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p')"
    if tuned-adm verify >/dev/null 2>&1; then echo 'tuned.verify=ok'; else echo 'tuned.verify=failed'; fi
  else
    printf 'tuned.active=\ntuned.verify=absent\n'
  fi
  printf 'stalld=%s\n' "$(systemctl is-active stalld 2>/dev/null || true)"
  for f in "$@"; do
    v=$(tr -d '\n' <"$ROOT$f" 2>/dev/null) || v=absent
    printf 'file:%s=%s\n' "$f" "$v"
  done
}

# fact FACTS KEY: the value of KEY in collect_facts' output.
fact() { awk -v k="$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$1"; }

# prove_kernel WHO FACTS RT RELEASE NAME: the planned kernel runs, PREEMPT_RT when it should be.
prove_kernel() {
  local who=$1 facts=$2 rt=$3 release=$4 name=$5 running
  running=$(fact "$facts" osrelease)
  if [ "$rt" = 0 ]; then
    note "$who runs its stock kernel $running, as the manifest chose (realtime: none): isolated, not real-time"
    NOT_REALTIME+=("$who")
    return 0
  fi
  # shellcheck disable=SC2053 # $release is a glob
  if [ "$(fact "$facts" realtime)" != 1 ] && [[ $(fact "$facts" version) != *PREEMPT_RT* ]]; then
    bad "$who runs $running, which is not a PREEMPT_RT kernel; planned: $name (installed, and the default boot entry?)"
  elif [ -n "$release" ] && [[ $running != $release ]]; then
    bad "$who runs the real-time kernel $running, not $name (a release like $release)"
  else
    ok "$who runs $running (PREEMPT_RT, $name)"
  fi
}

# prove_cmdline WHO CMDLINE ARG...: every planned argument exactly once, with rtc's value.
prove_cmdline() {
  local who=$1 cmdline=$2 arg key w found words=() lacking=0 before=$FAILS
  shift 2
  read -r -a words <<<"$cmdline"
  for arg in "$@"; do
    key=${arg%%=*}
    found=()
    for w in "${words[@]}"; do
      [ "${w%%=*}" = "$key" ] && found+=("$w")
    done
    if [ "${#found[@]}" = 0 ]; then
      lacking=$((lacking + 1))
      bad "$who: /proc/cmdline lacks $arg"
    elif [ "${#found[@]}" -gt 1 ]; then
      bad "$who: $key is on the command line ${#found[@]} times (${found[*]}); rtc's is $arg$(arg_sources "$who" "$key")"
    elif [ "${found[0]}" != "$arg" ]; then
      bad "$who: /proc/cmdline has ${found[0]} where rtc planned $arg$(arg_sources "$who" "$key")"
    fi
  done
  if [ "$lacking" -gt 0 ] && [ "$lacking" = "$#" ]; then
    note "$who: none of rtc's arguments are there: did the host step (or cloud-init) run, and did it reboot since?"
  fi
  [ "$FAILS" -gt "$before" ] || ok "$who: all $# planned kernel arguments once each, with rtc's values"
}

# Where else an argument comes from, on the host: the files to fix.
arg_sources() {
  [ "$1" = host ] || return 0
  local files
  files=$(grep -ls -- "$2" "$ROOT/etc/default/grub" "$ROOT"/etc/default/grub.d/*.cfg "$ROOT"/etc/grub.d/* "$ROOT/etc/tuned/bootcmdline" \
    "$ROOT/etc/kernel/cmdline" 2>/dev/null | grep -v '/99-rtc.cfg$' | sed "s|^$ROOT||" | paste -sd ' ' - || true)
  [ -z "$files" ] || printf '; also set in: %s' "$files"
}

# prove_tuning WHO FACTS PROFILE STALLD CHECK...: the TuneD profile active and verified, the values read back.
prove_tuning() {
  local who=$1 facts=$2 profile=$3 stalld=$4 c path kind expected what value active
  shift 4
  active=$(fact "$facts" tuned.active)
  if [ "$active" = "$profile" ]; then ok "$who: TuneD profile $profile active"; else
    bad "$who: TuneD's active profile is '${active:-none}', planned $profile (tuned-adm profile $profile)"
  fi
  case $(fact "$facts" tuned.verify) in
    ok) ok "$who: tuned-adm verify passes" ;;
    absent) bad "$who: TuneD is not installed" ;;
    *) bad "$who: tuned-adm verify fails: the live settings differ from the profile (run tuned-adm verify; /var/log/tuned/tuned.log names them)" ;;
  esac
  for c in "$@"; do
    IFS='|' read -r path kind expected what <<<"$c"
    value=$(fact "$facts" "file:$path")
    if value_matches "$kind" "$value" "$expected"; then ok "$who: $what"; else
      bad "$who: $what: $path is '$value', planned '$expected'"
    fi
  done
  if [ "$stalld" = 1 ]; then
    if [ "$(fact "$facts" stalld)" = active ]; then ok "$who: stalld running"; else
      bad "$who: stalld is not running (systemctl enable --now stalld)"
    fi
  fi
}

# value_matches KIND VALUE EXPECTED: equal; equal-or-absent (a knob some kernels lack); selected
# (the bracketed choice of a sysfs list, "always madvise [never]"); mask (a cpumask, as a number).
value_matches() {
  case $1 in
    equal) [ "$2" = "$3" ] ;;
    equal-or-absent) [ "$2" = "$3" ] || [ "$2" = absent ] ;;
    selected) [[ $2 == *"[$3]"* ]] ;;
    mask) [ "$(normalize_mask "$2")" = "$3" ] ;;
    *) return 1 ;;
  esac
}

# A cpumask as the kernel prints it ("00000000,0000000f") as a bare number ("f").
normalize_mask() {
  local m
  m=$(printf '%s' "$1" | tr -d ',' | tr 'A-F' 'a-f' | sed 's/^0*//')
  printf '%s' "${m:-0}"
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

# prove_host: every proof on the host; counts failures in FAILS.
prove_host() {
  local facts files=() c g found
  for c in "${TUNING_CHECKS[@]}"; do files+=("${c%%|*}"); done
  facts=$(collect_facts "${files[@]}")
  prove_kernel host "$facts" "$HOST_KERNEL_RT" "$HOST_KERNEL_RELEASE" "$HOST_KERNEL_NAME"
  prove_cmdline host "$(fact "$facts" cmdline)" "${HOST_ARGS[@]}"
  if [ "${#RESCTRL_DEFAULT[@]}" -gt 0 ]; then
    if found=$(schemata_differs "$ROOT/sys/fs/resctrl/schemata" "${RESCTRL_DEFAULT[@]}"); then
      ok "resctrl default group: ${RESCTRL_DEFAULT[*]}"
    else
      bad "resctrl default group is '${found:-not mounted}', planned '${RESCTRL_DEFAULT[*]}' (systemctl status rtc-resctrl)"
    fi
    for g in "${RESCTRL_GROUPS[@]}"; do
      found=$(read_file "/sys/fs/resctrl/$g/cpus_list")
      if [ "$(expand_cpus "$found")" = "$(expand_cpus "${RESCTRL_GROUP_CPUS[$g]}")" ]; then
        ok "resctrl group $g: CPUs ${RESCTRL_GROUP_CPUS[$g]}"
      else
        bad "resctrl group $g has CPUs '$found', planned ${RESCTRL_GROUP_CPUS[$g]} (systemctl status rtc-resctrl)"
      fi
    done
  fi
  local h file pages what got
  for h in "${HUGEPAGE_CHECKS[@]}"; do
    IFS='|' read -r file pages what <<<"$h"
    got=$(read_file "$file")
    if [ "$got" != absent ] && [ "$got" -ge "$pages" ]; then ok "hugepages: $got on $what"; else
      bad "hugepages: $got of $pages on $what (systemctl status rtc-hugepages)"
    fi
  done
  prove_devices
  prove_tuning host "$facts" "$TUNED_PROFILE" "$STALLD" "${TUNING_CHECKS[@]}"
}

# After the reboot: the IOMMU is on, each whole device's IOMMU group holds only devices of the
# same VM (and bridges), and each physical function has its virtual functions where planned.
prove_devices() {
  [ "${#DEVICES[@]}" -gt 0 ] || return 0
  if [ -z "$(ls -A "$ROOT/sys/kernel/iommu_groups" 2>/dev/null)" ]; then
    bad "the IOMMU is off (/sys/kernel/iommu_groups is empty): is VT-d on in the BIOS, and intel_iommu=on on the command line?"
    return 0
  fi
  ok "IOMMU on"
  local d e vm kind addr id driver node group pf vf mac member mine others found p count
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r vm kind addr id driver node group pf vf mac <<<"$d"
    if [ "$kind" = vf ]; then
      found=$(readlink "$ROOT/sys/bus/pci/devices/$pf/virtfn$vf" 2>/dev/null) || found=
      if [ "${found##*/}" = "$addr" ]; then ok "$vm: VF $vf of $pf is $addr"; else
        bad "$vm: VF $vf of $pf is '${found##*/}', planned $addr (systemctl status rtc-sriov)"
      fi
      continue
    fi
    # The devices planned for this VM, to tell the group's members apart.
    mine=" "
    for e in "${DEVICES[@]}"; do [ "${e%%|*}" = "$vm" ] && mine+="$(cut -d'|' -f3 <<<"$e") "; done
    others=()
    found=no
    for member in "$ROOT/sys/bus/pci/devices/$addr/iommu_group/devices/"*; do
      [ -e "$member" ] || [ -L "$member" ] || continue
      member=${member##*/}
      [ "$member" != "$addr" ] || found=yes
      [[ $mine == *" $member "* ]] && continue
      [[ $(read_file "/sys/bus/pci/devices/$member/class") == 0x0604* ]] && continue # a PCI bridge
      others+=("$member")
    done
    if [ "$found" = no ]; then
      bad "$vm: $addr is not in an IOMMU group (/sys/bus/pci/devices/$addr/iommu_group): is the device there, and the IOMMU on for it?"
    elif [ "${#others[@]}" -eq 0 ]; then ok "$vm: IOMMU group $(device_group "$addr") of $addr holds only its devices"; else
      bad "$vm: IOMMU group $(device_group "$addr") of $addr also holds ${others[*]}, which $vm is not given: the VM will not start"
    fi
  done
  for p in "${SRIOV_PFS[@]}"; do
    IFS='|' read -r addr count <<<"$p"
    found=$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")
    if [ "$found" = "$count" ]; then ok "SR-IOV: $count VFs on $addr"; else
      bad "SR-IOV: $addr has '$found' VFs, planned $count (systemctl status rtc-sriov)"
    fi
  done
}

step_check_host() {
  say "check-host: is the host real-time, as planned?"
  FAILS=0
  NOT_REALTIME=()
  prove_host
  [ "$FAILS" = 0 ] || fail "$FAILS checks failed (above): the host is not as planned, and bench will not judge it"
  ok "the host is as planned"
}

# ---- images ----------------------------------------------------------------------------------

step_images() {
  guard images
  say "images: disks and cloud-init seeds"
  [ -d "$ROOT$IMAGE_DIR" ] || run install -d -m 0755 "$ROOT$IMAGE_DIR"
  local vm
  for vm in "${VMS[@]}"; do
    image_disk "$vm"
    image_seed "$vm"
  done
}

# A VM's disk: an overlay on its base image, at the planned size. Kept when it is already right,
# grown when the plan grew, and never silently made from another base image, or used on a base
# image that changed under it: an overlay reads every block the guest has not written from its
# base, so the same path with other content there is a corrupt disk (the guest boots garbage, or
# stops in its boot loader). What the base was when the disk was made is recorded beside the
# other records of this bundle.
image_disk() {
  local vm=$1 disk=$ROOT$IMAGE_DIR/$1.qcow2 base=${VM_BASE_IMAGE[$1]} info backing size made why=
  [ -r "$ROOT$base" ] || [ "$DRY_RUN" = 1 ] || fail "$vm: base image $base is missing (README.md says where it comes from)"
  if [ -e "$disk" ]; then
    info=$(qemu-img info --output=json -U "$disk") || fail "$vm: qemu-img cannot read $disk"
    backing=$(jq -r '.["full-backing-filename"] // .["backing-filename"] // ""' <<<"$info")
    size=$(jq -r '.["virtual-size"]' <<<"$info")
    made=$(cat "$STATE/disks/$vm.base" 2>/dev/null || true)
    if [ "$backing" != "$base" ]; then
      why="$disk was made from ${backing:-no base image}, the plan says $base. Its data would be lost by a new disk"
    elif [ -n "$made" ] && [ "$made" != "$(base_identity "$base")" ]; then
      why="$disk was made on $base when that file was $made (bytes, modification time); it is $(base_identity "$base") now. The guest would read a corrupt disk through it: put the old image back, or lose the disk's data with a new one"
    fi
    if [ -n "$why" ]; then
      [ "$REPLACE_DISKS" = 1 ] || fail "$vm: $why: to replace it, run ./runbook.sh --replace-disks images (the old one is moved aside)"
      local aside
      aside="$disk.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
      run mv "$disk" "$aside"
      note "$vm: its old disk (made from ${backing:-no base image}) is kept as $aside"
    else
      [ -n "$made" ] || note "$vm: $disk has no record of the base image it was made on (made by hand, or by an older runbook); rtc cannot tell whether $base has changed since"
      if [ "$size" -lt "${VM_DISK_BYTES[$vm]}" ]; then
        run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
      elif [ "$size" -gt "${VM_DISK_BYTES[$vm]}" ]; then
        note "$vm: $disk is larger than the plan's ${VM_DISK_SIZE[$vm]} and is kept so (shrinking would cut the guest's file system)"
      else
        ok "$vm: $disk (${VM_DISK_SIZE[$vm]}, on $base)"
      fi
      return 0
    fi
  fi
  run qemu-img create -f qcow2 -F qcow2 -b "$base" "$disk"
  if [ "$DRY_RUN" != 1 ]; then
    mkdir -p "$STATE/disks"
    base_identity "$base" >"$STATE/disks/$vm.base"
  fi
  # A resize that fails leaves the disk at the base's size; the next run of this step grows it.
  run qemu-img resize "$disk" "${VM_DISK_SIZE[$vm]}"
}

# What tells one content of a base image from another without reading gigabytes: its size and
# modification time (a new cloud image copied over the old one changes both).
base_identity() { stat -L -c '%s %Y' "$ROOT$1" 2>/dev/null || printf 'absent'; }

# A VM's cloud-init seed, made again only when its user-data or meta-data changed. With Ubuntu
# Pro, a vendor-data with the token (read on this host, never in the bundle) goes beside them.
image_seed() {
  local vm=$1 seed=$ROOT$IMAGE_DIR/$1-seed.iso sums vendor=
  sums=$(cat "$HERE/vms/$vm/user-data" "$HERE/vms/$vm/meta-data" | sha256sum | cut -d' ' -f1)
  if [ -e "$seed" ] && [ "$(cat "$STATE/seeds/$vm.sha256" 2>/dev/null)" = "$sums" ]; then
    ok "$vm: seed $IMAGE_DIR/$vm-seed.iso is as planned"
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s (cloud-init seed from vms/%s/user-data, meta-data%s)\n' "$IMAGE_DIR/$vm-seed.iso" "$vm" \
      "$([ "${VM_PRO[$vm]}" = 1 ] && echo ', and a vendor-data with the Ubuntu Pro token')"
    return 0
  fi
  local tmp
  tmp=$(mktemp -d "$STATE/seed.XXXXXX")
  if [ "${VM_PRO[$vm]}" = 1 ]; then
    [ -s "$ROOT$PRO_TOKEN_FILE" ] || fail "$vm: its real-time kernel comes with Ubuntu Pro: put your token in $PRO_TOKEN_FILE (chmod 600)"
    vendor=$tmp/vendor-data
    # JSON is YAML: jq writes the document, escaping the token; cloud-init enables the service.
    { echo '#cloud-config'; jq -n --rawfile t "$ROOT$PRO_TOKEN_FILE" '{ubuntu_advantage: {token: ($t | gsub("\\s"; "")), enable: ["realtime-kernel"]}}'; } >"$vendor"
  fi
  if have cloud-localds; then
    run cloud-localds ${vendor:+-V "$vendor"} "$tmp/seed.iso" "$HERE/vms/$vm/user-data" "$HERE/vms/$vm/meta-data"
  else
    run genisoimage -quiet -output "$tmp/seed.iso" -volid cidata -joliet -rock -graft-points \
      "user-data=$HERE/vms/$vm/user-data" "meta-data=$HERE/vms/$vm/meta-data" ${vendor:+"vendor-data=$vendor"}
  fi
  # Moved into place whole: a running VM keeps the seed it booted with.
  chmod 0600 "$tmp/seed.iso"
  mv "$tmp/seed.iso" "$seed"
  rm -rf "$tmp"
  mkdir -p "$STATE/seeds"
  printf '%s\n' "$sums" >"$STATE/seeds/$vm.sha256"
}

# ---- vms -------------------------------------------------------------------------------------

step_vms() {
  guard vms
  say "vms: networks, then define and start the VMs in the plan's order"
  local n vm
  for n in "${NETWORKS[@]}"; do ensure_network "$n"; done
  for vm in "${VMS[@]}"; do
    local owner
    owner=$(domain_owner "$vm")
    if [ "$owner" = other ]; then
      fail "a domain named $vm exists and rtc did not define it (it has no rtc metadata): rename or remove it, then run vms again"
    fi
    run virsh define "$HERE/vms/$vm/domain.xml"
    record "domain $vm"
    # Started by rtc-vms.service in plan order, never by libvirt's autostart in its own order.
    run virsh autostart --disable "$vm"
    if [ "$(virsh domstate "$vm" 2>/dev/null)" = running ]; then
      ok "$vm is running (a changed domain.xml applies at its next start: virsh shutdown $vm, then ./runbook.sh vms)"
    else
      run virsh start "$vm"
    fi
  done
  install_file "$HERE/host/systemd/rtc-vms.service" /etc/systemd/system/rtc-vms.service 0644
  record "unit rtc-vms.service"
  run systemctl daemon-reload
  run systemctl enable rtc-vms.service
}

# A network the VMs use: there and active, or defined from the bundle and started.
ensure_network() {
  local n=$1 info
  if info=$(virsh net-info "$n" 2>/dev/null); then
    if grep -qE '^Active:[[:space:]]+yes' <<<"$info"; then
      ok "libvirt network $n is active"
    else
      run virsh net-start "$n"
    fi
    grep -qE '^Autostart:[[:space:]]+yes' <<<"$info" || run virsh net-autostart "$n"
    return 0
  fi
  run virsh net-define "$HERE/${NETWORK_FILE[$n]}"
  record "network $n"
  run virsh net-autostart "$n"
  run virsh net-start "$n"
}

# A domain rtc defined for this bundle carries rtc's element in its metadata.
# Who owns domain $1: none (there is no such domain), rtc (it carries this bundle's metadata) or
# other. virsh's words are read, not only its exit code: a busy domain (its job lock held by a
# guest-agent call just made) fails too, and is asked again; if virsh still cannot say, neither
# can the runbook, and it stops rather than guess (a guess either leaves rtc's VM running or
# touches one that is not rtc's).
domain_owner() {
  local out i
  for i in 1 2 3 4 5 6; do
    if out=$(virsh metadata "$1" --uri https://rtc.dev/xmlns/libvirt/1 2>&1); then
      case $out in *"name=\"$BUNDLE\""*) echo rtc ;; *) echo other ;; esac
      return 0
    fi
    case $out in
      *"metadata not found"*) echo other; return 0 ;;
      *"failed to get domain"* | *"Domain not found"*) echo none; return 0 ;;
    esac
    [ "$i" = 6 ] || sleep 2
  done
  fail "cannot tell whether domain $1 is rtc's; virsh says: $out"
}

# ---- wait ------------------------------------------------------------------------------------

step_wait() {
  need_root wait
  say "wait: each VM's first boot (cloud-init installs its packages, and real-time VMs reboot once)"
  local vm
  for vm in "${VMS[@]}"; do wait_guest "$vm"; done
}

# Bounded: the guest agent answers, cloud-init is done, and a real-time VM has rebooted into
# rtc's kernel arguments. On a timeout, says what was seen last and where to look.
wait_guest() {
  local vm=$1 deadline=$((SECONDS + GUEST_TIMEOUT)) status='' seen="no answer from its guest agent" next=$SECONDS
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would wait for %s: its guest agent, cloud-init done%s\n' "$vm" "$([ -n "${VM_GUEST_ARGS[$vm]}" ] && echo ', and its reboot')"
    return 0
  fi
  while :; do
    if virsh qemu-agent-command "$vm" '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      status=$(guest_run "$vm" 60 cloud-init status 2>/dev/null | sed -n 's/^status: //p' || true)
      seen="cloud-init: ${status:-no status}"
      case $status in
        done)
          if [ -z "${VM_GUEST_ARGS[$vm]}" ] || guest_run "$vm" 60 cat /proc/cmdline 2>/dev/null | grep -q -- "${VM_GUEST_ARGS[$vm]%% *}"; then
            ok "$vm: ready (cloud-init done$([ -n "${VM_GUEST_ARGS[$vm]}" ] && echo ', rebooted into its kernel arguments'))"
            return 0
          fi
          seen="cloud-init done, but not yet rebooted into rtc's kernel arguments" ;;
        error | degraded*)
          fail "$vm: cloud-init reports '$status'. Look: ./runbook.sh guest $vm cloud-init status --long, and /var/log/cloud-init-output.log in the guest" ;;
      esac
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$vm: not ready after $((GUEST_TIMEOUT / 60)) minutes ($seen). Look: virsh console $vm (its first boot installs packages and reboots once), virsh domstate $vm; then run wait again"
    fi
    if [ "$SECONDS" -ge "$next" ]; then
      printf '   waiting for %s: %s (%d of at most %d minutes)\n' "$vm" "$seen" "$(((SECONDS - deadline + GUEST_TIMEOUT) / 60))" "$((GUEST_TIMEOUT / 60))"
      next=$((SECONDS + 60))
    fi
    sleep 5
  done
}

# ---- verify ----------------------------------------------------------------------------------

step_verify() {
  say "verify: pins, cache groups and each real-time guest's kernel, arguments and tuning"
  FAILS=0
  NOT_REALTIME=()
  prove_vms
  [ "$FAILS" = 0 ] || fail "$FAILS checks failed (above): the VMs are not as planned, and bench will not judge them"
  ok "the VMs are as planned"
}

prove_vms() {
  local vm expected found i pins
  for vm in "${VMS[@]}"; do
    IFS=, read -r -a pins <<<"${VM_PINS[$vm]}"
    local before=$FAILS
    for i in "${!pins[@]}"; do
      # virsh prints a table: " VCPU   CPU Affinity", a rule, then " 0      4".
      found=$(virsh vcpupin "$vm" --vcpu "$i" --live 2>/dev/null | awk -v i="$i" '$1 == i && NF >= 2 { print $2 }' || true)
      [ "$(expand_cpus "$found")" = "${pins[$i]}" ] || bad "$vm vCPU $i runs on CPU '${found}', planned ${pins[$i]}"
    done
    [ "$FAILS" -gt "$before" ] || ok "$vm: vCPUs 0-$((${#pins[@]} - 1)) pinned to ${VM_PINS[$vm]}"
    # "emulator: CPU Affinity", a rule, then "       *: 56,58,60,62" (libvirt may write ranges).
    found=$(virsh emulatorpin "$vm" --live 2>/dev/null | awk -F: 'NF > 1 && $1 ~ /\*/ { gsub(/ /, "", $2); print $2 }' || true)
    expected=${VM_EMULATOR[$vm]}
    if [ "$(expand_cpus "$found")" = "$(expand_cpus "$expected")" ]; then ok "$vm: emulator threads on $expected"; else
      bad "$vm emulator threads on '$found', planned $expected"
    fi
    if [ -n "${VM_RESCTRL[$vm]}" ]; then
      local group lines=()
      read -r -a lines <<<"${VM_RESCTRL[$vm]}"
      if [ "${#RESCTRL_GROUPS[@]}" -gt 0 ]; then
        group=$ROOT/sys/fs/resctrl/${VM_GROUP[$vm]}
      else
        # libvirt names its group qemu-<domid>-<name>-vcpus_<list>; the domain id changes at every start.
        group=$(find "$ROOT/sys/fs/resctrl" -maxdepth 1 -name "qemu-*-$vm-vcpus_*" -print -quit 2>/dev/null || true)
      fi
      if found=$(schemata_differs "${group:-/nonexistent}/schemata" "${lines[@]}"); then ok "$vm: cache group ${VM_RESCTRL[$vm]}"; else
        bad "$vm cache group is '${found:-missing}', planned '${VM_RESCTRL[$vm]}'"
      fi
    fi
    prove_vm_devices "$vm"
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    prove_guest "$vm"
  done
}

# cpus_within LIST SET: every CPU of LIST is in SET (cpulists, as the kernel writes them).
cpus_within() {
  local c set
  set=",$(expand_cpus "$2"),"
  for c in $(expand_cpus "$1" | tr , ' '); do
    [[ $set == *",$c,"* ]] || return 1
  done
}

# What the guest sees: vendor:device of each PCI function, and the MAC of each interface.
guest_pci_ids() { local d; for d in /sys/bus/pci/devices/*; do echo "$(cat "$d/vendor"):$(cat "$d/device")"; done; }
guest_macs() { cat /sys/class/net/*/address; }

# A VM's devices, live: bound to vfio-pci on the host, their interrupts on housekeeping CPUs, and
# seen inside the guest (a whole device by its ids, a virtual function by its MAC).
prove_vm_devices() {
  local vm=$1 d dvm kind addr id driver node group pf vf mac found irq cpus seen
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r dvm kind addr id driver node group pf vf mac <<<"$d"
    [ "$dvm" = "$vm" ] || continue
    found=$(device_driver "$addr")
    if [ "$found" = vfio-pci ]; then ok "$vm: $addr is bound to vfio-pci (the VM has it)"; else
      bad "$vm: $addr is bound to '${found:-no driver}', not vfio-pci: the VM does not have it (virsh dumpxml $vm)"
    fi
    # Its interrupts on the host: the vfio-msi(x)/intx lines of /proc/interrupts that name it.
    while read -r irq; do
      cpus=$(read_file "/proc/irq/$irq/smp_affinity_list")
      if cpus_within "$cpus" "$HOUSEKEEPING"; then ok "$vm: IRQ $irq of $addr on housekeeping CPUs $cpus"; else
        bad "$vm: IRQ $irq of $addr may run on CPUs $cpus, not only the housekeeping CPUs $HOUSEKEEPING (irqbalance? irqaffinity=?)"
      fi
    done < <(awk -v a="($addr)" 'index($0, a) && /vfio/ { sub(":", "", $1); print $1 }' "$ROOT/proc/interrupts" 2>/dev/null)
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would read in %s: its PCI devices and MACs\n' "$vm"
      continue
    fi
    if [ "$kind" = vf ]; then
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_macs); guest_macs") || seen=
      if grep -qixF "$mac" <<<"$seen"; then ok "$vm: the guest has VF $vf of $pf (MAC $mac)"; else
        bad "$vm: no interface with MAC $mac in the guest (VF $vf of $pf)"
      fi
    else
      seen=$(guest_run "$vm" 60 /bin/sh -c "$(declare -f guest_pci_ids); guest_pci_ids") || seen=
      if grep -qxF "0x${id%%:*}:0x${id#*:}" <<<"$seen"; then ok "$vm: the guest has $addr ($id)"; else
        bad "$vm: the guest shows no PCI device $id ($addr)"
      fi
    fi
  done
}

# A real-time guest's kernel, command line and tuning, read inside it through its agent.
prove_guest() {
  local vm=$1 facts c files=() checks=()
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would read in %s: its kernel, /proc/cmdline and TuneD state\n' "$vm"
    return 0
  fi
  IFS=';' read -r -a checks <<<"${VM_TUNING_CHECKS[$vm]}"
  for c in "${checks[@]}"; do files+=("${c%%|*}"); done
  if ! facts=$(guest_run "$vm" 120 /bin/bash -c "$(declare -f collect_facts); ROOT=; collect_facts \"\$@\"" facts "${files[@]}"); then
    bad "$vm: its guest agent does not answer (is it booted? ./runbook.sh wait)"
    return 0
  fi
  prove_kernel "$vm" "$facts" "${VM_KERNEL_RT[$vm]}" "${VM_KERNEL_RELEASE[$vm]}" "${VM_KERNEL_NAME[$vm]}"
  local args=()
  read -r -a args <<<"${VM_GUEST_ARGS[$vm]}"
  prove_cmdline "$vm" "$(fact "$facts" cmdline)" "${args[@]}"
  prove_tuning "$vm" "$facts" "${VM_TUNED_PROFILE[$vm]}" "${VM_STALLD[$vm]}" "${checks[@]}"
}

# expand_cpus LIST: a cpulist as comma-separated CPUs ("4-6,9" -> "4,5,6,9"), to compare sets
# however libvirt or the kernel chose to write them.
expand_cpus() {
  local part i out=() parts=()
  IFS=, read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^[0-9]+-[0-9]+$ ]]; then
      for ((i = ${part%-*}; i <= ${part#*-}; i++)); do out+=("$i"); done
    else
      out+=("$part")
    fi
  done
  local IFS=,
  echo "${out[*]}"
}

# json_strings ARG...: the arguments as a JSON array. Each goes through jq on its input: given
# to jq as arguments, one like -c would be taken for jq's own option.
json_strings() {
  local a
  for a in "$@"; do printf '%s' "$a" | jq -Rs .; done | jq -sc .
}

# guest_run VM TIMEOUT_SECONDS CMD...: runs CMD in the guest through the QEMU guest agent and
# prints its standard output; fails when the agent does not answer, CMD exits non-zero, or it
# outlives the timeout.
guest_run() {
  local vm=$1 timeout=$2 request pid status deadline
  shift 2
  request=$(jq -nc --arg path "$1" --argjson arg "$(json_strings "${@:2}")" \
    '{execute: "guest-exec", arguments: {path: $path, arg: $arg, "capture-output": true}}')
  pid=$(virsh qemu-agent-command "$vm" "$request" 2>/dev/null | jq -r '.return.pid // empty' 2>/dev/null) || true
  [ -n "$pid" ] || { echo "the guest agent of $vm does not answer" >&2; return 1; }
  deadline=$((SECONDS + timeout))
  while :; do
    status=$(virsh qemu-agent-command "$vm" "$(jq -nc --argjson pid "$pid" '{execute: "guest-exec-status", arguments: {pid: $pid}}')" 2>/dev/null) || status=
    if [ -n "$status" ] && [ "$(jq -r '.return.exited // false' <<<"$status" 2>/dev/null)" = true ]; then
      jq -r '.return["out-data"] // ""' <<<"$status" | base64 -d
      [ "$(jq -r '.return.exitcode' <<<"$status")" = 0 ] || return 1
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "guest command timed out in $vm: $*" >&2; return 1; }
    sleep 1
  done
}

step_guest() {
  need_root guest
  [ $# -ge 2 ] || { echo "usage: ./runbook.sh guest VM COMMAND [ARG...]" >&2; exit 2; }
  guest_run "$1" 300 "${@:2}"
}

# ---- stress ----------------------------------------------------------------------------------

step_stress() {
  guard stress
  say "stress: start the stressor workloads, and measure the load they put on the host"
  local vm any=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = stressor ] || continue
    any=1
    if [ "$DRY_RUN" = 1 ]; then
      printf '   would run in %s: systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress\n' "$vm"
    else
      guest_run "$vm" 60 /bin/sh -c 'systemctl is-active -q rtc-stress || systemd-run --unit=rtc-stress /usr/local/sbin/rtc-stress' >/dev/null \
        || fail "$vm: could not start its workload (./runbook.sh guest $vm systemctl status rtc-stress)"
      ok "$vm: workload started (unit rtc-stress in the guest)"
    fi
  done
  [ "$any" = 1 ] || return 0
  [ "$DRY_RUN" = 0 ] || return 0
  FAILS=0
  measure_load "$LOAD_SAMPLE"
  [ "$FAILS" = 0 ] || fail "a stressor does not load the host as planned (above): a benchmark now would measure an idle host"
}

# vcpu_time VM: the VM's vCPU threads' CPU time so far, in nanoseconds, as the host counts it.
vcpu_time() { { virsh domstats --vcpu "$1" 2>/dev/null || true; } | awk -F= '/vcpu\.[0-9]+\.time=/ { s += $2 } END { printf "%d\n", s }'; }

# measure_load SECONDS: each stressor's load over a window, against STRESS_LOAD_MIN.
measure_load() {
  local vm t0 t1 start end
  declare -A t0s=()
  start=$(date +%s)
  for vm in "${VMS[@]}"; do [ "${VM_ROLE[$vm]}" = stressor ] && t0s[$vm]=$(vcpu_time "$vm"); done
  sleep "$1"
  end=$(date +%s)
  for vm in "${!t0s[@]}"; do
    t0=${t0s[$vm]}
    t1=$(vcpu_time "$vm")
    load_verdict "$vm" "$t0" "$t1" "$((end - start))"
  done
}

# load_verdict VM T0 T1 SECONDS: prints the load and counts a shortfall in FAILS.
load_verdict() {
  local pct
  pct=$((($3 - $2) / 10000000 / ($4 > 0 ? $4 : 1) / ${VM_VCPUS[$1]}))
  if [ "$pct" -ge "$STRESS_LOAD_MIN" ]; then
    ok "$1 loads its ${VM_VCPUS[$1]} vCPUs to $pct% (at least $STRESS_LOAD_MIN% planned)"
  else
    bad "$1 loads its ${VM_VCPUS[$1]} vCPUs to only $pct% over $4 s (at least $STRESS_LOAD_MIN% planned): is its workload running? (./runbook.sh guest $1 systemctl status rtc-stress)"
  fi
  printf '%s %s\n' "$1" "$pct" >>"${LOAD_FILE:-/dev/null}"
}

# ---- bench, status, collect ------------------------------------------------------------------
# The benchmark runs in the real-time guest as a systemd unit of its own, so it goes on when the
# terminal is lost; its output stays in the guest until 'collect' fetches it. Each run has its
# own folder under $STATE/runs, laid out as rtc report reads it (plan.json, results/), and a
# collected run is never overwritten.

current_run() { cat "$STATE/runs/current" 2>/dev/null || true; }
run_meta() { sed -n "s/^$2=//p" "$STATE/runs/$1/meta" 2>/dev/null || true; }

step_bench() {
  [ -n "$BENCH_VM" ] || { say "bench: the manifest has no benchmark"; return 0; }
  guard bench
  local id
  id=$(current_run)
  if [ -n "$id" ] && [ ! -e "$STATE/runs/$id/results/verdict.txt" ]; then
    say "bench: run $id has not been collected yet; waiting for it instead of starting another"
    bench_wait "$id"
    bench_collect "$id"
    return
  fi
  say "bench: first, proof that the host and the VMs are real-time as planned"
  FAILS=0
  NOT_REALTIME=()
  prove_host
  prove_vms
  if [ "$FAILS" -gt 0 ]; then
    say "RESULT: NO VERDICT - $FAILS checks failed (above): latency measured on a system that is not as planned would say nothing about it"
    VERDICT_CODE=3
    return 0
  fi
  say "bench: the stressors' load"
  if [ "$DRY_RUN" = 0 ]; then
    measure_load "$LOAD_SAMPLE"
  fi
  if [ "$FAILS" -gt 0 ]; then
    say "RESULT: NO VERDICT - the stressors do not load the host (above); start them: ./runbook.sh stress"
    VERDICT_CODE=3
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would run in %s, as unit rtc-bench-<run>:' "$BENCH_VM"
    printf ' %q' cyclictest "${BENCH_ARGS[@]}" -D "$BENCH_DURATION" -h "$BENCH_BUCKETS"
    printf '\n'
    return 0
  fi
  id=$(date -u +%Y%m%dT%H%M%SZ)
  bench_start "$id"
  bench_wait "$id"
  bench_collect "$id"
}

bench_start() {
  local id=$1 dir=$STATE/runs/$1 gdir=/var/lib/rtc/runs/$1 vm
  mkdir -p "$dir/results/host"
  cp "$HERE/plan.json" "$dir/plan.json"
  {
    echo "vm=$BENCH_VM"
    echo "start=$(date +%s)"
    echo "seconds=$BENCH_SECONDS"
    echo "duration=$BENCH_DURATION"
    echo "unit=rtc-bench-$id"
    echo "guest_dir=$gdir"
    for vm in "${VMS[@]}"; do
      [ "${VM_ROLE[$vm]}" = stressor ] && echo "vcpu_time_$vm=$(vcpu_time "$vm")"
    done
  } >"$dir/meta"
  collect_facts >"$dir/results/host/kernel.txt"
  # In the guest: a transient unit that writes cyclictest's output and its exit status to files.
  # timeout interrupts a cyclictest that outlives its duration, and kills it a minute later.
  # shellcheck disable=SC2016 # the guest's shell expands these
  guest_run "$BENCH_VM" 60 /bin/sh -c 'd=$1; u=$2; shift 2; mkdir -p "$d" && exec systemd-run --unit="$u" --quiet /bin/sh -c '\''d=$1; shift; "$@" >"$d/cyclictest.txt" 2>"$d/cyclictest.err"; echo $? >"$d/exit"'\'' sh "$d" "$@"' \
    sh "$gdir" "rtc-bench-$id" /usr/bin/timeout --signal=INT --kill-after=60 "$((BENCH_SECONDS + 120))" \
    cyclictest "${BENCH_ARGS[@]}" -D "$BENCH_DURATION" -h "$BENCH_BUCKETS" --json="$gdir/cyclictest.json" >/dev/null \
    || fail "could not start cyclictest in $BENCH_VM (./runbook.sh guest $BENCH_VM systemctl status rtc-bench-$id)"
  printf '%s\n' "$id" >"$STATE/runs/current"
  ok "run $id: cyclictest runs in $BENCH_VM for $BENCH_DURATION, as unit rtc-bench-$id"
  say "bench: safe to disconnect now; the run goes on. Later: ./runbook.sh status, and ./runbook.sh collect once it is done"
}

# bench_finished ID: the guest has written cyclictest's exit status.
bench_finished() {
  guest_run "$(run_meta "$1" vm)" 60 test -e "$(run_meta "$1" guest_dir)/exit" >/dev/null 2>&1
}

bench_wait() {
  local id=$1 start seconds next=0 now
  start=$(run_meta "$id" start)
  seconds=$(run_meta "$id" seconds)
  while ! bench_finished "$id"; do
    now=$(date +%s)
    if [ "$now" -gt $((start + seconds + 900)) ]; then
      note "run $id should have ended $(((now - start - seconds) / 60)) minutes ago; collecting what it wrote"
      return 0
    fi
    if [ "$now" -ge "$next" ]; then
      printf '   run %s: %s of %s done, about %s left\n' "$id" "$(span $((now - start)))" "$(span "$seconds")" "$(span $((start + seconds - now)))"
      next=$((now + 600))
    fi
    sleep $((seconds < 600 ? 5 : 60))
  done
}

span() {
  local s=$(($1 < 0 ? 0 : $1))
  if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60)); else printf '%dm%02ds' $((s / 60)) $((s % 60)); fi
}

bench_collect() {
  local id=$1 dir=$STATE/runs/$1 vm gdir start end t0 rc
  if [ -e "$dir/results/verdict.txt" ]; then
    say "collect: run $id was collected before; its verdict:"
    cat "$dir/results/verdict.txt"
    VERDICT_CODE=$(cat "$dir/results/exit" 2>/dev/null || echo 1)
    return 0
  fi
  vm=$(run_meta "$id" vm)
  gdir=$(run_meta "$id" guest_dir)
  say "collect: run $id from $vm"
  guest_run "$vm" 120 cat "$gdir/cyclictest.txt" >"$dir/results/cyclictest.txt" || note "no cyclictest.txt in $vm"
  guest_run "$vm" 120 cat "$gdir/cyclictest.json" >"$dir/results/cyclictest.json" 2>/dev/null || rm -f "$dir/results/cyclictest.json"
  guest_run "$vm" 60 cat "$gdir/cyclictest.err" >"$dir/results/cyclictest.err" 2>/dev/null || true
  rc=$(guest_run "$vm" 60 cat "$gdir/exit" 2>/dev/null || echo unknown)
  # The load the stressors gave over the whole run, from their vCPU time on the host.
  start=$(run_meta "$id" start)
  end=$(date +%s)
  LOAD_FILE=$dir/results/load.txt
  : >"$LOAD_FILE"
  FAILS=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = stressor ] || continue
    t0=$(run_meta "$id" "vcpu_time_$vm")
    load_verdict "$vm" "${t0:-0}" "$(vcpu_time "$vm")" "$((end - start))"
  done
  local load_fails=$FAILS verdict status=0
  NOT_REALTIME=()
  [ "$HOST_KERNEL_RT" = 1 ] || NOT_REALTIME+=(host)
  [ "${VM_KERNEL_RT[$BENCH_VM]}" = 1 ] || NOT_REALTIME+=("$BENCH_VM")
  verdict=$(judge "$dir/results/cyclictest.txt" 2>&1) || status=$?
  if [ "$rc" != 0 ] && [ "$status" = 0 ]; then
    verdict="RESULT: FAIL - cyclictest exited with status $rc (results/cyclictest.err)"
    status=1
  elif [ "$status" -le 1 ] && [ "$load_fails" -gt 0 ]; then
    verdict="RESULT: NO VERDICT - the stressors gave too little load during the run (results/load.txt); ${verdict#RESULT: }"
    status=3
  elif [ "$status" -le 1 ] && [ "${#NOT_REALTIME[@]}" -gt 0 ]; then
    verdict="RESULT: NO VERDICT - ${NOT_REALTIME[*]} ran a stock kernel (realtime: none); ${verdict#RESULT: }"
    status=3
  fi
  printf '%s\n' "$verdict" | tee "$dir/results/verdict.txt"
  echo "$status" >"$dir/results/exit"
  VERDICT_CODE=$status
  say "collect: evidence in $dir; for percentiles and charts, on any machine with rtc: rtc report <that folder>"
}

step_status() {
  local id now start seconds
  id=$(current_run)
  [ -n "$id" ] || { say "status: no benchmark has been started on this host"; return 0; }
  start=$(run_meta "$id" start)
  seconds=$(run_meta "$id" seconds)
  now=$(date +%s)
  if [ -e "$STATE/runs/$id/results/verdict.txt" ]; then
    say "status: run $id is collected: $(cat "$STATE/runs/$id/results/verdict.txt")"
  elif bench_finished "$id"; then
    say "status: run $id has finished; fetch and judge it: ./runbook.sh collect"
  else
    say "status: run $id in $(run_meta "$id" vm): $(span $((now - start))) of $(span "$seconds") done, about $(span $((start + seconds - now))) left"
  fi
}

step_collect() {
  local id
  id=$(current_run)
  [ -n "$id" ] || fail "no benchmark has been started on this host (./runbook.sh bench)"
  guard collect
  bench_finished "$id" || fail "run $id is still running: ./runbook.sh status"
  bench_collect "$id"
}

# ---- report ----------------------------------------------------------------------------------

step_report() {
  guard report
  say "report: pack the evidence to send back"
  local id dir out n=1 vm group
  id=$(current_run)
  if [ -z "$id" ]; then
    id=host-$(date -u +%Y%m%dT%H%M%SZ)
    note "no benchmark has run yet: the report holds the host's state only"
  fi
  dir=$STATE/runs/$id
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s/results/{host,vms}/ and %s/reports/rtc-%s-%s.tar.gz\n' "$dir" "$STATE" "$BUNDLE" "$id"
    return 0
  fi
  mkdir -p "$dir/results/host" "$dir/results/vms" "$STATE/reports"
  [ -e "$dir/plan.json" ] || cp "$HERE/plan.json" "$dir/plan.json"
  read_file /proc/cmdline >"$dir/results/host/cmdline.txt"
  echo >>"$dir/results/host/cmdline.txt"
  : >"$dir/results/host/resctrl.txt"
  for group in "$ROOT"/sys/fs/resctrl "$ROOT"/sys/fs/resctrl/*/; do
    [ -r "$group/schemata" ] || continue
    { echo "# ${group#"$ROOT"}"; cat "$group/schemata"; } >>"$dir/results/host/resctrl.txt"
  done
  if have lscpu; then lscpu >"$dir/results/host/lscpu.txt" || true; fi
  step_facts >"$dir/results/host/facts.txt"
  collect_facts >"$dir/results/host/state.txt"
  for vm in "${VMS[@]}"; do
    virsh dumpxml "$vm" >"$dir/results/vms/$vm.xml" 2>/dev/null || echo "(not defined)" >"$dir/results/vms/$vm.xml"
  done
  cp "$STATE/runbook.log" "$dir/results/runbook.log" 2>/dev/null || true
  (cd "$dir" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum) >"$dir/SHA256SUMS"
  # Never over an earlier report: a second one of the same run gets a number.
  out=$STATE/reports/rtc-$BUNDLE-$id.tar.gz
  while [ -e "$out" ]; do
    n=$((n + 1))
    out=$STATE/reports/rtc-$BUNDLE-$id-$n.tar.gz
  done
  tar -czf "$out" -C "$STATE/runs" "$id"
  ok "the evidence: the run's output, the host's command line, resctrl groups, topology facts and kernel state, each VM's live XML, with checksums"
  say "report: send $out. On any machine with rtc, unpack it and run: rtc report $id (report.html: percentiles and a histogram per thread)"
}

# facts: prints this host's CPUs, caches, NUMA nodes and resctrl parameters as path:value lines,
# which rtc probe reads back into the manifest's topology block. Writes nothing.
step_facts() {
  local r=$ROOT
  (
    shopt -s nullglob
    grep -rH . "$r"/etc/os-release "$r"/sys/devices/system/cpu/{online,offline} "$r"/sys/devices/system/cpu/cpu[0-9]*/topology/{core_id,physical_package_id,thread_siblings_list} \
      "$r"/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/{level,type,id,size,shared_cpu_list} \
      "$r"/sys/devices/system/node/node[0-9]*/{cpulist,meminfo} "$r"/sys/devices/cpu_{core,atom}/cpus "$r"/sys/fs/resctrl/info \
      2>/dev/null || true
    # PCI devices, for host.devices: their files, and where their driver, IOMMU group and physical function links point.
    grep -H . "$r"/sys/bus/pci/devices/*/{vendor,device,class,numa_node,sriov_totalvfs,sriov_offset,sriov_stride} \
      "$r"/sys/bus/pci/devices/*/net/*/ifindex 2>/dev/null || true
    local d l t
    for d in "$r"/sys/bus/pci/devices/*; do
      for l in driver iommu_group physfn; do
        if [ -L "$d/$l" ]; then t=$(readlink "$d/$l"); printf '%s/%s:%s\n' "$d" "$l" "${t##*/}"; fi
      done
    done
  ) | awk -v r="$r" 'r != "" && index($0, r) == 1 { $0 = substr($0, length(r) + 1) } { print }'
}

# ---- rollback --------------------------------------------------------------------------------

step_rollback() {
  need_root rollback
  start_changes
  say "rollback: undo what this bundle's steps changed (disks in $IMAGE_DIR and the evidence in $STATE stay)"
  if [ ! -e "$STATE/changes" ]; then
    ok "nothing to undo: no step of $BUNDLE has changed this host"
    return 0
  fi
  local i vm n g u profile
  for ((i = ${#VMS[@]} - 1; i >= 0; i--)); do
    vm=${VMS[$i]}
    local owner
    if ! owner=$(domain_owner "$vm"); then
      UNDONE+=("virsh undefine $vm (virsh could not say whether it is rtc's)")
    elif [ "$owner" = none ]; then
      ok "$vm: not defined"
    elif [ "$owner" = rtc ]; then
      [ "$(virsh domstate "$vm" 2>/dev/null)" != running ] || try virsh destroy "$vm"
      try virsh undefine "$vm"
    else
      note "$vm: a domain of that name exists, but rtc did not define it: left alone"
    fi
  done
  if recorded "unit rtc-vms.service"; then remove_unit rtc-vms.service; fi
  local d kind addr driver prev
  for d in "${DEVICES[@]}"; do
    IFS='|' read -r _ kind addr _ driver _ <<<"$d"
    # A managed device goes back to its host driver when its VM stops; one left on vfio-pci is given
    # back here, unless vfio-pci is where it was before rtc (host.devices says its driver).
    if [ "$kind" = whole ] && [ "$driver" != vfio-pci ] && [ "$(device_driver "$addr")" = vfio-pci ]; then
      try virsh nodedev-reattach "pci_${addr//[:.]/_}"
    fi
  done
  if recorded "unit rtc-sriov.service"; then
    for d in "${SRIOV_PFS[@]}"; do
      addr=${d%%|*}
      prev=$(cat "$STATE/backup/sriov_numvfs-$addr" 2>/dev/null || true)
      [[ $prev =~ ^[0-9]+$ ]] || prev=0
      [ "$(read_file "/sys/bus/pci/devices/$addr/sriov_numvfs")" = "$prev" ] || write_sysfs "/sys/bus/pci/devices/$addr/sriov_numvfs" "$prev"
    done
  fi
  for n in "${NETWORKS[@]}"; do
    if recorded "network $n"; then
      virsh net-info "$n" >/dev/null 2>&1 && { try virsh net-destroy "$n"; try virsh net-undefine "$n"; }
    fi
  done
  for u in "${UNITS[@]}"; do
    if recorded "unit $u"; then remove_unit "$u"; fi
  done
  for g in "${RESCTRL_GROUPS[@]}"; do
    if [ -d "$ROOT/sys/fs/resctrl/$g" ]; then try rmdir "$ROOT/sys/fs/resctrl/$g"; fi # its CPUs return to the default group
  done
  if [ -d "$ROOT/etc/rtc/resctrl" ]; then try rm -rf "$ROOT/etc/rtc/resctrl"; fi
  if recorded "tuned-profile $TUNED_PROFILE"; then
    profile=$(cat "$STATE/backup/tuned-profile" 2>/dev/null || true)
    if [ -n "$profile" ] && [ "$profile" != "$TUNED_PROFILE" ]; then try tuned-adm profile "$profile"; else try tuned-adm off; fi
    restore "/etc/tuned/$TUNED_PROFILE/tuned.conf"
  fi
  if recorded stalld && [ "$(cat "$STATE/backup/stalld-enabled" 2>/dev/null)" != enabled ]; then try systemctl disable --now stalld; fi
  if recorded "grub-dropin"; then
    if [ -e "$ROOT/etc/default/grub.d/99-rtc.cfg" ] && ! is_rtc_file "$ROOT/etc/default/grub.d/99-rtc.cfg"; then
      note "/etc/default/grub.d/99-rtc.cfg is no longer rtc's file: left alone"
    else
      restore /etc/default/grub.d/99-rtc.cfg
    fi
  fi
  if recorded "statoverride /etc/grub.d/09_eci"; then
    try dpkg-statoverride --remove /etc/grub.d/09_eci
    if [ -e "$ROOT/etc/grub.d/09_eci" ]; then try chmod 0755 "$ROOT/etc/grub.d/09_eci"; fi
  fi
  if recorded "apt-repository $REPO_LIST"; then
    restore "$REPO_LIST"
    restore "$REPO_PREF_FILE"
    restore "$REPO_KEYRING"
  fi
  if recorded "grubby-args"; then rollback_grubby; fi
  if recorded "grub-dropin" || recorded "statoverride /etc/grub.d/09_eci"; then try "${GRUB_UPDATE[@]}"; fi
  if recorded "ubuntu-pro attached" || recorded "ubuntu-pro realtime-kernel"; then
    note "Ubuntu Pro stays attached, and its real-time kernel installed (pro detach undoes it)"
  fi
  note "kernels stay installed; the boot default is what it was before"
  if [ "${#UNDONE[@]}" -gt 0 ]; then
    printf '   could not undo:\n' >&2
    printf '     %s\n' "${UNDONE[@]}" >&2
    fail "${#UNDONE[@]} changes are not undone (above); fix what stops them and run rollback again"
  fi
  [ "$DRY_RUN" = 1 ] || mv "$STATE/changes" "$STATE/changes.undone-$(date -u +%Y%m%dT%H%M%SZ)"
  say "rollback: done. Reboot to run without rtc's kernel arguments; the resctrl default group gets every way back at boot"
}

# write_sysfs FILE VALUE: for rollback, a kernel setting back to VALUE (a VF count through 0, as the kernel asks).
write_sysfs() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would write: %s to %s\n' "$2" "$1"
    return 0
  fi
  printf '   + echo %s > %s\n' "$2" "$1"
  if ! { [[ $1 != */sriov_numvfs ]] || echo 0 >"$ROOT$1"; } 2>/dev/null || ! echo "$2" >"$ROOT$1" 2>/dev/null; then
    UNDONE+=("echo $2 > $1")
    printf '   could not: echo %s > %s (going on)\n' "$2" "$1" >&2
  fi
}

remove_unit() {
  local f=/etc/systemd/system/$1
  [ -e "$ROOT$f" ] || return 0
  try systemctl disable "$1"
  restore "$f"
  try systemctl daemon-reload
}

# RHEL: each boot entry gets back the values it had before rtc for rtc's keys (none, if it had
# none), and the default kernel is the one it was.
rollback_grubby() {
  local info=$STATE/backup/grubby-info kernel args key w keep
  try grubby --update-kernel=ALL --remove-args="${HOST_ARG_KEYS[*]}"
  while IFS= read -r kernel; do
    args=$(awk -v k="kernel=\"$kernel\"" '$0 == k { found = 1; next } found && /^args=/ { sub(/^args="/, ""); sub(/"$/, ""); print; exit }' "$info")
    keep=()
    for w in $args; do
      for key in "${HOST_ARG_KEYS[@]}"; do
        [ "${w%%=*}" = "$key" ] && keep+=("$w")
      done
    done
    [ "${#keep[@]}" = 0 ] || try grubby --update-kernel="$kernel" --args="${keep[*]}"
  done < <(sed -n 's/^kernel="\(.*\)"$/\1/p' "$info" 2>/dev/null)
  kernel=$(cat "$STATE/backup/grubby-default" 2>/dev/null || true)
  [ -z "$kernel" ] || try grubby --set-default="$kernel"
  restore /etc/default/grub
  restore /etc/kernel/cmdline
}

# ---- the verdict -----------------------------------------------------------------------------

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
    echo "RESULT: FAIL - $threads of $BENCH_THREADS measuring threads reported; a missing thread cannot be judged"
    return 1
  fi
  if [ "$overflows" -gt 0 ]; then
    echo "RESULT: FAIL - $overflows samples above the histogram's range (max latency $max us); rerun with a larger -h"
    return 1
  fi
  if [ "$max" -lt "$VERDICT_GREAT_US" ]; then
    echo "RESULT: GREAT - max latency $max us < $VERDICT_GREAT_US us over $threads threads"
  elif [ "$max" -lt "$VERDICT_GOOD_US" ]; then
    echo "RESULT: GOOD - max latency $max us < $VERDICT_GOOD_US us over $threads threads"
  else
    echo "RESULT: FAIL - max latency $max us >= $VERDICT_GOOD_US us over $threads threads"
    return 1
  fi
}

usage() {
  # The header comment, from its first line of prose to the line before 'set -E'.
  sed -n '/^# Provisions/,/^set -E/{/^set -E/d;p;}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "Steps: preflight host check-host images vms wait verify stress bench status collect report all rollback facts guest judge"
}

main() {
  STEPS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --replace-disks) REPLACE_DISKS=1 ;;
      --wait-minutes)
        [[ ${2-} =~ ^[1-9][0-9]{0,3}$ ]] || { echo "--wait-minutes takes a number of minutes, not '${2-}'" >&2; return 2; }
        GUEST_TIMEOUT=$(($2 * 60))
        shift ;;
      --duration)
        # A shorter (or longer) benchmark than the plan's, e.g. a 10m smoke test: 30s, 10m, 2h, 1d.
        [[ ${2-} =~ ^([1-9][0-9]{0,5})([smhd])$ ]] || { echo "--duration takes a number and s, m, h or d (e.g. 10m), not '${2-}'" >&2; return 2; }
        BENCH_DURATION=$2
        case ${BASH_REMATCH[2]} in s) BENCH_SECONDS=${BASH_REMATCH[1]} ;; m) BENCH_SECONDS=$((BASH_REMATCH[1] * 60)) ;;
          h) BENCH_SECONDS=$((BASH_REMATCH[1] * 3600)) ;; d) BENCH_SECONDS=$((BASH_REMATCH[1] * 86400)) ;; esac
        shift ;;
      -h | --help) usage; return 0 ;;
      judge) [ $# -ge 2 ] || { usage >&2; return 2; }; judge "$2"; return ;;
      guest) shift; step_guest "$@"; return ;;
      facts) step_facts; return ;;
      preflight | host | check-host | images | vms | wait | verify | stress | bench | status | collect | report | all | rollback) STEPS+=("$1") ;;
      *) usage >&2; return 2 ;;
    esac
    shift
  done
  [ "${#STEPS[@]}" -gt 0 ] || { usage; return 2; }
  [ "$DRY_RUN" = 0 ] || echo "rtc runbook for $BUNDLE: ${STEPS[*]} (dry run: nothing is written or changed)"
  local s
  for s in "${STEPS[@]}"; do
    case "$s" in
      # A verdict of FAIL or NO VERDICT still packs the evidence, then exits with its code.
      all) guard all; step_check_host; step_images; step_vms; step_wait; step_verify; step_stress; step_bench; step_report ;;
      check-host) step_check_host ;;
      *) "step_$s" ;;
    esac
  done
  return "$VERDICT_CODE"
}

main "$@"
