# ---- qualify ---------------------------------------------------------------------------------
# The platform before the plan is judged on it: the firmware's and the hardware's own noise on the
# CPUs to be isolated, the SMIs that cause it, C-states and clock frequency, cache allocation
# against the manifest, and the board's facts. Each run is a record of its own under
# $STATE/qualify/, never overwritten; bench gives a verdict only on a host whose latest record passed
# for this bundle, on the kernel and command line that run now.
#
# A record's findings, each passed, failed, or not-measured (the kernel or hardware cannot tell):
#   qualify.hwlat      hwlatdetect's worst gap with interrupts off (firmware, SMIs) below the limit
#   qualify.osnoise    rtla osnoise's worst single noise on the isolated CPUs below the limit
#   qualify.smi        SMIs counted during the windows (MSR_SMI_COUNT), with what they cost
#   qualify.cstates    no idle state deeper than C1 entered on an isolated CPU
#   qualify.frequency  the isolated CPUs' clock within 10% of itself over the windows
#   qualify.rdt        the cache allocation the plan needs is what resctrl and the CPU offer
#   qualify.iommu      an IOMMU (VT-d) where the plan passes devices through
#   qualify.planned    the planned kernel and command line run (else the tuning is not judged)
# A record passes when nothing failed and the noise was measured on the planned kernel; without
# the tracers (a stock kernel has neither hwlat nor osnoise) it is incomplete, and says so.

QUALIFY_SECONDS=${RTC_QUALIFY_SECONDS:-$QUALIFY_SECONDS}

# tracefs: where the kernel's tracers are, or nothing.
tracefs() {
  local d
  for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    [ -r "$ROOT$d/available_tracers" ] && { printf '%s' "$ROOT$d"; return 0; }
  done
  return 1
}
has_tracer() {
  local t
  t=$(tracefs) || return 1
  grep -qw "$1" "$t/available_tracers"
}

# smi_count CPU: MSR_SMI_COUNT (0x34), as turbostat and cyclictest --smi read it; empty when the
# msr driver is not there.
smi_count() {
  local dev=$ROOT/dev/cpu/$1/msr
  if [ ! -r "$dev" ] && [ -z "$ROOT" ]; then modprobe -q msr 2>/dev/null || true; fi
  [ -r "$dev" ] || return 0
  dd if="$dev" bs=1 skip=52 count=4 2>/dev/null | od -An -t u4 | tr -d ' \n'
}

# cpuidle_usage CPUS: "cpu state name usage latency" for each idle state of each CPU (latency: its
# wake-up, in us, as the idle driver declares it).
cpuidle_usage() {
  local cpu s
  for cpu in $(expand_cpus "$1" | tr ',' ' '); do
    for s in "$ROOT/sys/devices/system/cpu/cpu$cpu/cpuidle"/state[0-9]*; do
      [ -r "$s/usage" ] || continue
      printf '%s %s %s %s %s\n' "$cpu" "${s##*/state}" "$(tr -d ' \n' <"$s/name")" "$(tr -d '\n' <"$s/usage")" \
        "$(tr -d '\n' 2>/dev/null <"$s/latency" || printf 0)"
    done
  done
}

# cpu_freqs CPUS: "cpu kHz" for each CPU with a cpufreq driver.
cpu_freqs() {
  local cpu f
  for cpu in $(expand_cpus "$1" | tr ',' ' '); do
    f=$ROOT/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_cur_freq
    [ -r "$f" ] && printf '%s %s\n' "$cpu" "$(tr -d '\n' <"$f")"
  done
  return 0
}

dmi() { local v; v=$(tr -d '\n' <"$ROOT/sys/class/dmi/id/$1" 2>/dev/null || true); printf '%s' "${v:-unknown}"; }

# bundle_digest: sha256 of the bundle's SHA256SUMS, which names every file of the bundle.
bundle_digest() {
  if [ -r "$HERE/SHA256SUMS" ]; then printf 'sha256:%s' "$(sha256sum "$HERE/SHA256SUMS" | cut -d' ' -f1)"; else printf 'unknown'; fi
}

# finding ID STATUS VALUE MESSAGE: one finding of the record, and its check record.
QFINDINGS=()
finding() {
  QFINDINGS+=("$1|$2|$3|$4")
  case $2 in
    passed) check_ok "$1" host "$4" ;;
    failed) check_bad "$1" host "$4" ;;
    *) printf '   not measured: %s\n' "$4"; record_json check "$1" host unknown false "$4" ;;
  esac
}

step_qualify() {
  applying qualify.record
  guard qualify
  local planned=1 id dir n=1
  say "qualify: the platform's own noise on the CPUs to isolate ($ISOLATED), ${QUALIFY_SECONDS} s per measure, against a limit of $QUALIFY_NOISE_US us"
  running_as_planned || planned=0
  if [ "$DRY_RUN" = 1 ]; then
    printf '   would measure: hwlatdetect and rtla osnoise for %s s each (where the kernel has their tracers), SMIs, C-states, clock frequency, cache allocation, board facts\n' "$QUALIFY_SECONDS"
    printf '   would write: %s/qualify/<time>.json and the raw outputs beside it\n' "$STATE"
    return 0
  fi
  id=$(date -u +%Y%m%dT%H%M%SZ)
  while [ -e "$STATE/qualify/$id.json" ] || [ -e "$STATE/qualify/$id" ]; do
    n=$((n + 1))
    id=$(date -u +%Y%m%dT%H%M%SZ)-$n
  done
  dir=$STATE/qualify/$id
  mkdir -p "$dir"
  QFINDINGS=()
  FAILS=0
  if [ "$planned" = 1 ]; then
    finding qualify.planned passed yes "the planned kernel and command line run: the tuning is judged too"
  else
    finding qualify.planned not-measured no "the planned kernel and command line do not run yet (./runbook.sh host, then reboot): the firmware is measured, the tuning is not judged; qualify again after the reboot"
  fi
  qualify_platform_facts >"$dir/platform.txt"
  qualify_rdt
  qualify_iommu
  local smi0 smi1 cpu0
  cpu0=$(expand_cpus "$ISOLATED" | cut -d, -f1)
  smi0=$(smi_count "$cpu0")
  cpuidle_usage "$ISOLATED" >"$dir/cpuidle-before.txt"
  cpu_freqs "$ISOLATED" >"$dir/frequency.txt"
  qualify_hwlat "$dir"
  cpu_freqs "$ISOLATED" >>"$dir/frequency.txt"
  qualify_osnoise "$dir" "$ISOLATED" "$planned"
  cpu_freqs "$ISOLATED" >>"$dir/frequency.txt"
  smi1=$(smi_count "$cpu0")
  cpuidle_usage "$ISOLATED" >"$dir/cpuidle-after.txt"
  qualify_smi "$smi0" "$smi1" "$cpu0"
  qualify_cstates "$dir" "$planned"
  qualify_frequency "$dir" "$planned"
  local status
  status=$(qualify_status)
  qualify_record "$id" "$status" "$planned" "$ISOLATED" >"$STATE/qualify/$id.json"
  printf '%s\n' "$id" >"$STATE/qualify/latest"
  record_json change qualify.record host changed true "wrote $STATE/qualify/$id.json"
  case $status in
    passed) say "qualify: PASSED - the platform qualifies for this plan (record $STATE/qualify/$id.json); bench may judge it" ;;
    failed) fail "qualify: FAILED - $FAILS findings above (record $STATE/qualify/$id.json): no benchmark on this platform gives a verdict until they are fixed and qualify passes" ;;
    *) say "qualify: INCOMPLETE - what could not be measured is above (record $STATE/qualify/$id.json); bench gives no verdict until a qualify passes" ;;
  esac
}

# qualify_status: failed when a finding failed; incomplete when the plan's kernel does not run or
# no noise could be measured; else passed.
qualify_status() {
  local f id status measured=0
  for f in "${QFINDINGS[@]}"; do
    IFS='|' read -r id status _ <<<"$f"
    [ "$status" != failed ] || { echo failed; return; }
    case $id in qualify.hwlat | qualify.osnoise) [ "$status" != passed ] || measured=1 ;; esac
    [ "$id" != qualify.planned ] || [ "$status" = passed ] || { echo incomplete; return; }
  done
  if [ "$measured" = 1 ]; then echo passed; else echo incomplete; fi
}

qualify_platform_facts() {
  printf 'vendor=%s\nproduct=%s\nboard=%s\nbios_vendor=%s\nbios_version=%s\nbios_date=%s\n' "$(dmi sys_vendor)" "$(dmi product_name)" \
    "$(dmi board_name)" "$(dmi bios_vendor)" "$(dmi bios_version)" "$(dmi bios_date)"
  printf 'cpu=%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1)"
  printf 'microcode=%s\n' "$(sed -n 's/^microcode[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1)"
  printf 'smt=%s\n' "$(read_file /sys/devices/system/cpu/smt/control)"
  if compgen -G "$ROOT/sys/class/iommu/*" >/dev/null; then echo iommu=yes; else echo iommu=no; fi
}

# The cache the plan gives a real-time VM is its own only if no other agent fills it: the ways in
# resctrl's shareable_bits are used by I/O (DDIO) or a GPU whatever the groups say. The sizes and
# counts themselves are the identity table's, which every step checks first.
qualify_rdt() {
  if [ -z "$RESCTRL_INFO" ]; then
    finding qualify.rdt passed none "cache allocation: the plan allocates none (CPU flag cat_l3: $(has_flag cat_l3))"
    return 0
  fi
  local info=/sys/fs/resctrl/info/$RESCTRL_INFO shareable vm line dom overlaps=()
  if [ ! -d "$ROOT$info" ]; then
    finding qualify.rdt not-measured none "cache allocation: resctrl is not mounted yet (rtc-resctrl.service mounts it at boot)"
    return 0
  fi
  shareable=$(normalize_mask "$(read_file "$info/shareable_bits")")
  [[ $shareable =~ ^[0-9a-f]+$ ]] || shareable=0
  for vm in "${VMS[@]}"; do
    [ "${VM_ROLE[$vm]}" = realtime ] || continue
    for line in ${VM_RESCTRL[$vm]}; do
      IFS=';' read -r -a doms <<<"${line#*:}"
      for dom in "${doms[@]}"; do
        [ $((0x${dom#*=} & 0x$shareable)) = 0 ] || overlaps+=("$vm ${line%%:*} cache ${dom%%=*}: ways ${dom#*=} and shareable $shareable")
      done
    done
  done
  if [ "${#overlaps[@]}" -gt 0 ]; then
    finding qualify.rdt failed "$shareable" "cache allocation: a real-time VM's ways are also I/O's or another agent's (resctrl shareable_bits $shareable): ${overlaps[*]}; its cache is not its own: switch Intel DDIO (Data Direct I/O) off in the BIOS, or move the I/O device to another socket (rtc does not plan around these ways yet)"
  else
    finding qualify.rdt passed "$shareable" "cache allocation ($RESCTRL_INFO): no real-time VM's ways are shared with I/O or other agents (shareable_bits $shareable)"
  fi
}

qualify_iommu() {
  if [ "${#DEVICES[@]}" = 0 ]; then
    return 0
  fi
  if compgen -G "$ROOT/sys/class/iommu/*" >/dev/null; then
    finding qualify.iommu passed yes "an IOMMU is on, for the ${#DEVICES[@]} devices the plan passes through"
  else
    finding qualify.iommu failed no "no IOMMU in /sys/class/iommu, and the plan passes ${#DEVICES[@]} devices through: switch on VT-d in the BIOS, and intel_iommu=on"
  fi
}

# hwlatdetect: the hwlat tracer spins with interrupts off and records every gap in the time it
# reads; what it sees is the firmware's (SMIs) and the hardware's, never the kernel's.
qualify_hwlat() {
  local dir=$1 max
  if ! has_tracer hwlat; then
    finding qualify.hwlat not-measured none "hardware latency: this kernel has no hwlat tracer (PREEMPT_RT kernels like Debian's linux-image-rt-amd64 have it)"
    return 0
  fi
  if ! have hwlatdetect; then
    finding qualify.hwlat not-measured none "hardware latency: hwlatdetect is not installed (rt-tests)"
    return 0
  fi
  hwlatdetect --duration="${QUALIFY_SECONDS}s" --threshold=1us --cpu-list="$ISOLATED" --report="$dir/hwlat-samples.txt" >"$dir/hwlat.txt" 2>&1 || true
  max=$(sed -n 's/^Max Latency: \([0-9]*\)us$/\1/p; s/^Max Latency: Below threshold$/0/p' "$dir/hwlat.txt" | head -n 1)
  if [[ ! $max =~ ^[0-9]+$ ]]; then
    finding qualify.hwlat failed none "hardware latency: hwlatdetect gave no result ($dir/hwlat.txt)"
  elif [ "$max" -lt "$QUALIFY_NOISE_US" ]; then
    finding qualify.hwlat passed "$max" "hardware latency: at most $max us with interrupts off over ${QUALIFY_SECONDS} s (limit $QUALIFY_NOISE_US us)"
  else
    finding qualify.hwlat failed "$max" "hardware latency: $max us with interrupts off (limit $QUALIFY_NOISE_US us): the firmware takes the CPU (SMIs, power management); see the BIOS checklist (bios-checklist.md) and the SMI count"
  fi
}

# rtla osnoise: a thread per isolated CPU reads the time with everything enabled; its worst single
# gap is what the kernel, its interrupts and threads and the hardware leave on that CPU.
qualify_osnoise() {
  local dir=$1 cpus=$2 planned=$3 worst
  if ! has_tracer osnoise; then
    finding qualify.osnoise not-measured none "operating system noise: this kernel has no osnoise tracer"
    return 0
  fi
  if ! have rtla; then
    finding qualify.osnoise not-measured none "operating system noise: rtla is not installed"
    return 0
  fi
  rtla osnoise top -c "$cpus" -d "${QUALIFY_SECONDS}s" -q >"$dir/osnoise.txt" 2>&1 || true
  # CPU Period Runtime Noise %Aval MaxNoise MaxSingle HW NMI IRQ Softirq Thread
  worst=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^#/ && NF >= 12 { if ($7 + 0 >= m) { m = $7 + 0; w = $1 " " $7 " " $8 " " $9 " " $10 " " $11 " " $12 } } END { print w }' "$dir/osnoise.txt")
  if [ -z "$worst" ]; then
    finding qualify.osnoise failed none "operating system noise: rtla osnoise gave no result ($dir/osnoise.txt)"
    return 0
  fi
  local cpu max hw nmi irq sirq thread
  read -r cpu max hw nmi irq sirq thread <<<"$worst"
  local what="worst single noise $max us on CPU $cpu over ${QUALIFY_SECONDS} s (there: $hw hardware, $nmi NMI, $irq IRQ, $sirq softirq, $thread thread interferences)"
  if [ "$max" -lt "$QUALIFY_NOISE_US" ]; then
    finding qualify.osnoise passed "$max" "operating system noise: $what, limit $QUALIFY_NOISE_US us"
  elif [ "$planned" = 1 ]; then
    finding qualify.osnoise failed "$max" "operating system noise: $what, limit $QUALIFY_NOISE_US us: interrupts or threads still run on the isolated CPUs (./runbook.sh check-host, and /proc/interrupts)"
  else
    finding qualify.osnoise not-measured "$max" "operating system noise: $what; not judged before the planned kernel and command line run"
  fi
}

qualify_smi() {
  local n
  if [ -z "$1" ] || [ -z "$2" ]; then
    finding qualify.smi not-measured none "SMIs: MSR_SMI_COUNT is not readable (modprobe msr; an AMD CPU or a VM has none)"
    return 0
  fi
  n=$(($2 - $1))
  if [ "$n" = 0 ]; then
    finding qualify.smi passed 0 "SMIs: none on CPU $3 during the measures"
  else
    # SMIs are the firmware's; their cost is what hwlat measured. Many boards have a few per second
    # (a thermal or USB legacy handler); they fail the platform only through that cost.
    finding qualify.smi passed "$n" "SMIs: $n on CPU $3 during the measures (their cost is in the hardware latency above)"
  fi
}

qualify_cstates() {
  local dir=$1 planned=$2 deep
  if [ ! -s "$dir/cpuidle-before.txt" ]; then
    finding qualify.cstates passed none "C-states: no cpuidle driver on the isolated CPUs (they idle by polling or halt only)"
    return 0
  fi
  if [ "$POWER" = balanced ]; then
    qualify_cstates_held "$dir" "$planned"
    return 0
  fi
  # States beyond state1 (POLL is 0, C1 is 1) that an isolated CPU entered during the measures.
  deep=$(awk 'NR == FNR { u[$1 " " $2] = $4; next } $2 >= 2 && $4 > u[$1 " " $2] { printf "CPU %s %s %d times; ", $1, $3, $4 - u[$1 " " $2] }' \
    "$dir/cpuidle-before.txt" "$dir/cpuidle-after.txt")
  if [ -z "$deep" ]; then
    finding qualify.cstates passed 0 "C-states: no isolated CPU went deeper than C1"
  elif [ "$planned" = 1 ]; then
    finding qualify.cstates failed "${deep%; }" "C-states: deeper than C1 on isolated CPUs (${deep%; }): their wake-up is tens of us; the plan's processor.max_cstate=1 does not hold: disable C6/C1E (package C-states) in the BIOS"
  else
    finding qualify.cstates not-measured "${deep%; }" "C-states: deeper than C1 on isolated CPUs (${deep%; }); not judged before the planned command line runs"
  fi
}

# host.power: balanced: only POWER_HELD is held, per CPU, to states waking within POWER_HELD_US.
qualify_cstates_held() {
  local dir=$1 planned=$2 deep
  if [ -z "$POWER_HELD" ]; then
    finding qualify.cstates passed none "C-states: host.power is balanced and no CPU is held (no real-time VM): every CPU may sleep deep"
    return 0
  fi
  deep=$(awk -v held=",$(expand_cpus "$POWER_HELD")," -v lim="$POWER_HELD_US" 'NR == FNR { u[$1 " " $2] = $4; next }
    index(held, "," $1 ",") && $5 > lim && $4 > u[$1 " " $2] { printf "CPU %s %s (wakes in %s us) %d times; ", $1, $3, $5, $4 - u[$1 " " $2] }' \
    "$dir/cpuidle-before.txt" "$dir/cpuidle-after.txt")
  if [ -z "$deep" ]; then
    finding qualify.cstates passed 0 "C-states: no real-time VM's CPU ($POWER_HELD) entered a state waking slower than $POWER_HELD_US us; the others may sleep deep (host.power: balanced)"
  elif [ "$planned" = 1 ]; then
    finding qualify.cstates failed "${deep%; }" "C-states: real-time VMs' CPUs slept deeper than planned (${deep%; }): the plan's per-CPU limit (pm_qos_resume_latency_us $POWER_HELD_US, host.power: balanced) does not hold: run tuned-adm verify; is TuneD running its rtc profile?"
  else
    finding qualify.cstates not-measured "${deep%; }" "C-states: real-time VMs' CPUs slept deeper than planned (${deep%; }); not judged before the planned kernel and TuneD profile run"
  fi
}

qualify_frequency() {
  local dir=$1 planned=$2 spread
  if [ ! -s "$dir/frequency.txt" ]; then
    finding qualify.frequency not-measured none "clock frequency: no cpufreq driver reports it"
    return 0
  fi
  # The widest spread of one CPU's samples, in percent of its lowest.
  spread=$(awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2 }
    END { for (c in lo) if (lo[c] > 0) { s = int((hi[c] - lo[c]) * 100 / lo[c]); if (s >= m) { m = s; w = c } } print m + 0, w, lo[w], hi[w] }' "$dir/frequency.txt")
  local pct cpu lo hi
  read -r pct cpu lo hi <<<"$spread"
  if [ "$pct" -le 10 ]; then
    finding qualify.frequency passed "$pct" "clock frequency: steady within $pct% on the isolated CPUs"
  elif [ "$planned" = 1 ]; then
    finding qualify.frequency failed "$pct" "clock frequency: CPU $cpu between $lo and $hi kHz ($pct%): turbo or speed stepping moves it; fix it in the BIOS (turbo, EIST/HWP off)"
  else
    finding qualify.frequency not-measured "$pct" "clock frequency: CPU $cpu between $lo and $hi kHz ($pct%); not judged before the planned tuning runs"
  fi
}

# qualify_record ID STATUS PLANNED ISOLATED: the record, as JSON (rtc's docs/runbook-checks.md).
qualify_record() {
  local f id status value message k v first=1 facts
  facts=$(collect_facts)
  printf '{\n  "rtcQualification": 1,\n  "status": "%s",\n' "$2"
  printf '  "id": %s,\n  "bundle": %s,\n  "bundleDigest": %s,\n' "$(json_string "$1")" "$(json_string "$BUNDLE")" "$(json_string "$(bundle_digest)")"
  printf '  "planned": %s,\n  "seconds": %s,\n  "noiseLimitUs": %s,\n  "isolated": %s,\n' "$([ "$3" = 1 ] && echo true || echo false)" \
    "$QUALIFY_SECONDS" "$QUALIFY_NOISE_US" "$(json_string "$4")"
  printf '  "kernel": %s,\n  "cmdline": %s,\n' "$(json_string "$(fact "$facts" osrelease)")" "$(json_string "$(fact "$facts" cmdline)")"
  printf '  "platform": {'
  while IFS='=' read -r k v; do
    [ -n "$k" ] || continue
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n    %s: %s' "$(json_string "$k")" "$(json_string "$v")"
  done <"$STATE/qualify/$1/platform.txt"
  printf '\n  },\n  "findings": ['
  first=1
  for f in "${QFINDINGS[@]}"; do
    IFS='|' read -r id status value message <<<"$f"
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n    {"id": %s, "status": %s, "value": %s, "message": %s}' "$(json_string "$id")" "$(json_string "$status")" \
      "$(json_string "$value")" "$(json_string "$message")"
  done
  printf '\n  ]\n}\n'
}

# qualify_raw FILE KEY: a top-level value of a record as JSON text ("passed", 60), as qualify_record
# writes them: compared with json_string of what runs now, never unescaped.
qualify_raw() { sed -n "s/^  \"$2\": \(.*[^,]\),\{0,1\}\$/\1/p" "$1" 2>/dev/null | head -n 1; }

# qualified: whether bench may give a verdict; sets QUALIFY_WHY to why not, and QUALIFY_RECORD to
# the latest record.
QUALIFY_RECORD=
QUALIFY_WHY=
qualified() {
  local id f facts
  id=$(cat "$STATE/qualify/latest" 2>/dev/null || true)
  f=$STATE/qualify/$id.json
  if [ -z "$id" ] || [ ! -r "$f" ]; then
    QUALIFY_WHY="this host has not been qualified: run ./runbook.sh qualify (the platform's own noise first, then the plan's latency)"
    return 1
  fi
  QUALIFY_RECORD=$f
  case $(qualify_raw "$f" status) in
    '"passed"') ;;
    '"failed"') QUALIFY_WHY="the last qualification ($id) failed: $(qualify_failures "$f"); fix that, then ./runbook.sh qualify"; return 1 ;;
    *) QUALIFY_WHY="the last qualification ($id) is incomplete ($f says what was not measured): run ./runbook.sh qualify on the planned kernel"; return 1 ;;
  esac
  if [ "$(qualify_raw "$f" bundleDigest)" != "$(json_string "$(bundle_digest)")" ]; then
    QUALIFY_WHY="the last qualification ($id) was of another bundle (its digest differs): run ./runbook.sh qualify with this one"
    return 1
  fi
  facts=$(collect_facts)
  if [ "$(qualify_raw "$f" kernel)" != "$(json_string "$(fact "$facts" osrelease)")" ] \
    || [ "$(qualify_raw "$f" cmdline)" != "$(json_string "$(fact "$facts" cmdline)")" ]; then
    QUALIFY_WHY="the last qualification ($id) was on another kernel or command line than the running one: run ./runbook.sh qualify again"
    return 1
  fi
}

# qualify_failures FILE: the messages of a record's failed findings, one line.
qualify_failures() {
  sed -n 's/^    {"id": "\([^"]*\)", "status": "failed", .*"message": "\(.*\)"},\{0,1\}$/\1: \2/p' "$1" | paste -sd ';' - | sed 's/;/; /g'
}
