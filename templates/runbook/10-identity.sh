# ---- identity --------------------------------------------------------------------------------
# Is this the manifest's host? Its topology, cache ways and facts, read and compared before any
# change.

os_release() {
  local v
  v=$(sed -n "s/^$1=//p" "$ROOT/etc/os-release" 2>/dev/null | tr -d "\"'" | head -n 1 || true)
  printf '%s' "${v:-absent}"
}

cpu_flags() { sed -n 's/^flags[[:space:]]*: //p' "$ROOT/proc/cpuinfo" 2>/dev/null | head -n 1; }
has_flag() { case " $(cpu_flags) " in *" $1 "*) echo yes ;; *) echo no ;; esac; }

# The rows that say whether this is the manifest's host (CHECKS' identity rows); MISMATCH marks
# a difference.
topology_rows() {
  check_rows table host topology.
  if [ -d "$ROOT/sys/fs/resctrl/info" ]; then
    check_rows table host resctrl-info.
  elif [ -n "$RESCTRL_INFO" ]; then
    # A fresh host: resctrl is mounted by rtc-resctrl.service at the next boot. Until then the
    # CPU's flags say whether the cache allocation the plan needs is there at all.
    check_rows table host cpu.
    cache_ways_row
    table_row resctrl-info.mounted "resctrl" "mounted" "not mounted yet" "ok (its parameters are checked after the reboot)"
  fi
}

# Before resctrl is mounted: the cache's ways, which the plan's masks are made of, so that a host
# with another number of ways is refused before the host step, not after its reboot. sysfs gives
# the cache's associativity, which on CAT parts is the mask's length too; where the two differ,
# resctrl is mounted for a moment to read cbm_mask itself, then unmounted (not in a dry run).
cache_ways_row() {
  local level=${RESCTRL_INFO:1:1} want ways
  want=$(mask_bits "$EXPECTED_CBM_MASK")
  ways=$(read_file "/sys/devices/system/cpu/cpu0/cache/index$level/ways_of_associativity")
  if [ "$ways" = "$want" ]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "$ways" ok
  elif ! [[ $ways =~ ^[0-9]+$ ]]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "unreadable" "ok (cbm_mask is checked after the reboot)"
  elif [ "$DRY_RUN" = 1 ]; then
    table_row cpu.cache-ways "L$level ways (associativity)" "$want" "$ways" "unsure: a real run mounts resctrl a moment to read cbm_mask"
  else
    ways=$(cbm_mask_now "$level")
    if check_matches hex "$ways" "$EXPECTED_CBM_MASK"; then
      table_row cpu.cache-ways "resctrl L$level cbm_mask (mounted a moment)" "$EXPECTED_CBM_MASK" "$ways" ok
    else
      table_row cpu.cache-ways "resctrl L$level cbm_mask (mounted a moment)" "$EXPECTED_CBM_MASK" "$ways" MISMATCH
    fi
  fi
}

# mask_bits HEX: how many bits are set.
mask_bits() {
  local v=$((16#$1)) n=0
  while [ "$v" -gt 0 ]; do
    n=$((n + (v & 1)))
    v=$((v >> 1))
  done
  echo "$n"
}

# cbm_mask_now LEVEL: the cache's cbm_mask from a resctrl mounted for the moment of reading it.
cbm_mask_now() {
  if mount -t resctrl resctrl "$ROOT/sys/fs/resctrl" 2>/dev/null; then
    read_file "/sys/fs/resctrl/info/L$1/cbm_mask" | sed 's/^0*//'
    umount "$ROOT/sys/fs/resctrl" 2>/dev/null || true
  else
    echo "resctrl-unmountable"
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
  echo "rtc runbook for $BUNDLE: ${STEPS[*]} ($(date -u +%Y-%m-%dT%H:%M:%SZ)); log: $STATE/runbook.log"
}

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
    # A profile may set knobs this kernel lacks (PREEMPT_RT kernels have no net.core.busy_poll): TuneD's
    # verify fails on them even with --ignore-missing (2.20), and logs each as "= 'None'". Those alone
    # are no difference from the profile; any other failure is.
    local log=$ROOT/var/log/tuned/tuned.log n failed
    n=$({ wc -l <"$log"; } 2>/dev/null || echo 0)
    if tuned-adm verify >/dev/null 2>&1; then
      echo 'tuned.verify=ok'
    else
      # No log (TuneD logging elsewhere, or never started): no knob to excuse, so verify's failure stands.
      failed=$({ tail -n +"$((n + 1))" "$log" 2>/dev/null || true; } | sed -n "s/.*verify: failed: '\([^']*\)' = '\([^']*\)'.*/\1=\2/p")
      if [ -n "$failed" ] && ! grep -qv '=None$' <<<"$failed"; then
        printf 'tuned.verify=missing %s\n' "$(sort -u <<<"${failed//=None/}" | paste -sd ' ' -)"
      else
        echo 'tuned.verify=failed'
      fi
    fi
  else
    printf 'tuned.active=\ntuned.verify=absent\n'
  fi
  printf 'stalld=%s\n' "$(systemctl is-active stalld 2>/dev/null || true)"
  for f in "$@"; do
    v=$(tr -d '\n' <"$ROOT$f" 2>/dev/null) || v=absent
    printf 'file:%s=%s\n' "$f" "$v"
  done
  # Where else kernel arguments are set (not rtc's drop-in): a guest's files are seen only through these lines.
  for f in /etc/default/grub /etc/default/grub.d/*.cfg /etc/kernel/cmdline /etc/tuned/bootcmdline; do
    if [ -f "$ROOT$f" ] && [ "${f##*/}" != 99-rtc.cfg ]; then
      printf 'src:%s=%s\n' "$f" "$(grep -v '^[[:space:]]*#' "$ROOT$f" 2>/dev/null | tr '\n' ' ')"
    fi
  done
}

# fact FACTS KEY: the value of KEY in collect_facts' output.
fact() { awk -v k="$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$1"; }

# facts: prints this host's CPUs, caches, NUMA nodes and resctrl parameters as path:value lines,
# which rtc probe reads back into the manifest's topology block. Writes nothing.
step_facts() {
  local r=$ROOT
  (
    shopt -s nullglob
    grep -rH . "$r"/etc/os-release "$r"/sys/devices/system/cpu/{online,offline} "$r"/sys/devices/system/cpu/cpu[0-9]*/topology/{core_id,physical_package_id,thread_siblings_list} \
      "$r"/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*/{level,type,id,size,shared_cpu_list} \
      "$r"/sys/devices/system/node/node[0-9]*/{cpulist,meminfo} "$r"/sys/devices/cpu_{core,atom}/cpus "$r"/sys/fs/resctrl/info \
      </dev/null 2>/dev/null || true
    # PCI devices, for host.devices: their files, and where their driver, IOMMU group and physical function links point.
    # (With nullglob, a host without PCI devices leaves grep no file: stdin is /dev/null, never the caller's.)
    grep -H . "$r"/sys/bus/pci/devices/*/{vendor,device,class,numa_node,sriov_totalvfs,sriov_offset,sriov_stride} \
      "$r"/sys/bus/pci/devices/*/net/*/ifindex </dev/null 2>/dev/null || true
    local d l t
    for d in "$r"/sys/bus/pci/devices/*; do
      for l in driver iommu_group physfn; do
        if [ -L "$d/$l" ]; then t=$(readlink "$d/$l"); printf '%s/%s:%s\n' "$d" "$l" "${t##*/}"; fi
      done
    done
  ) | awk -v r="$r" 'r != "" && index($0, r) == 1 { $0 = substr($0, length(r) + 1) } { print }'
}
